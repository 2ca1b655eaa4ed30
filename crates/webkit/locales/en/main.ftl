# Navigation
nav-main = Main navigation
nav-menu = Menu
nav-dashboard = Dashboard
nav-customers = Customers
nav-plans = Plans
nav-billing = Billing
nav-network = Network
nav-support = Support
nav-map = Map
nav-reports = Reports
nav-administration = Administration
nav-users = Users
nav-roles = Roles
nav-audit = Audit log
nav-jobs = Jobs
nav-security = Security
nav-settings = Settings
nav-account = My account
nav-soon = soon
nav-soon-title = This area arrives in a coming release
language = Language
locale-browser = Same as the browser

# Actions
action-apply = Apply
action-back-to-login = Back to sign in
action-cancel = Cancel
action-continue = Continue
action-copy = Copy
action-delete = Delete
action-filter = Filter
action-go-home = Go to the dashboard
action-login = Sign in
action-logout = Sign out
action-logout-everywhere = Sign out everywhere
action-save = Save changes
action-verify = Verify
yes = Yes
no = No
optional = (optional)
empty-results = Nothing matches these filters.
pager-first = First page
pager-next = Next page
pager-older = Older entries
filter-all-roles = All roles
filter-any-status = Any status
filter-from = From
filter-to = To
status-active = Active
status-disabled = Disabled

# Confirmations
confirm-delete-role = Delete this role? This cannot be undone.
confirm-disable-2fa = Turn off two-factor authentication for your account?
confirm-lift-ban = Lift this ban now?
confirm-logout-everywhere = End every session of this account, on every device?
confirm-reset-2fa = Remove this user's two-factor authentication? They will have to enrol again.
confirm-revoke-token = Revoke this token? Scripts using it will stop working.

# Flash messages
flash-setup-done = Setup complete. Welcome to Lastmile!
flash-saved = Changes saved.
flash-user-created = User created.
flash-password-set = Password set. The user's sessions were ended.
flash-2fa-reset = Two-factor authentication removed.
flash-logged-out-everywhere = Every session was ended.
flash-logged-out = You signed out.
flash-role-created = Role created.
flash-role-deleted = Role deleted.
flash-refused-role-builtin = Built-in roles cannot be deleted.
flash-refused-role-in-use = This role still has users; move them to another role first.
flash-ban-lifted = Ban lifted.
flash-password-changed = Password changed. Your other sessions were ended.
flash-password-reset = Password changed. Sign in with the new password.
flash-session-expired = Your session expired. Sign in again.
flash-token-created = Token created.
flash-token-revoked = Token revoked.
flash-2fa-restarted = A new secret was generated. Scan the new code.
flash-2fa-disabled = Two-factor authentication turned off.

# Errors
error-forbidden = You do not have permission to do this.
error-not-found = This page does not exist.
error-invalid = Some of the data sent is not valid.
error-conflict = This already exists.
error-conflict-field = This { $what } is already taken.
error-refused = This action was refused.
error-internal = Something went wrong on our side. The error was logged; try again in a moment.
refused-setup-done = Setup was already completed for this installation.
refused-bad-credentials = Wrong username or password.
refused-banned = Too many failed attempts from this address. Try again later or ask an administrator to lift the block.
refused-throttled = { $seconds ->
    [one] Too many failed attempts from this address. Wait one second and try again.
   *[other] Too many failed attempts from this address. Wait { $seconds } seconds and try again.
}
refused-ip-not-allowed = Sign-in is not allowed from your network address.
refused-session-expired = Your session expired. Sign in again.
refused-bad-code = That code is not valid. Use the current code from your app or an unused recovery code.
refused-last-admin = This is the last active administrator: give another user the admin role first.
refused-role-builtin = Built-in roles cannot be deleted.
refused-role-in-use = This role still has users.
refused-reset-invalid = This reset link is invalid, was already used, or expired. Ask for a new one.
refused-2fa-already-enabled = Two-factor authentication is already on.
refused-2fa-not-started = Start the enrolment again.
refused-2fa-required = Your role requires two-factor authentication; it cannot be turned off.
refused-ban-not-active = This ban is no longer active.
refused-token-revoked = This token was already revoked.
refused-repricing-changed = The contracts to re-price changed since the preview. Preview again.
refused-contract-changed = This contract changed meanwhile. Reload and try again.
invalid-required = This field is required.
invalid-too-long = This is too long.
invalid-username = Use 3 to 32 characters: lowercase letters, digits, dots, dashes or underscores.
invalid-email = Enter a valid e-mail address.
invalid-password-short = Use at least 10 characters.
invalid-password-long = Use at most 256 characters.
invalid-timezone = Choose a time zone from the list.
invalid-country = Use a two-letter country code, such as BR or US.
invalid-currency = Use a three-letter currency code, such as BRL or USD.
invalid-invalid = Invalid value
invalid-mismatch = The two passwords do not match.
invalid-cpf = Enter a valid CPF (11 digits; the check digits do not match).
invalid-cnpj = Enter a valid CNPJ (14 characters; the check digits do not match).
invalid-document = Enter a valid tax document.
invalid-cep = Enter a CEP with 8 digits, such as 01310-100.
invalid-phone = Enter a valid phone number, with area code.
invalid-date = Enter a date as YYYY-MM-DD.
invalid-amount = Enter an amount such as 99.90.
invalid-range = This value is out of the allowed range.
invalid-choice = Choose one of the options.
invalid-login = Use 3 to 64 characters starting with a letter or digit: lowercase letters, digits, dots, dashes, underscores or @.
invalid-mac = Enter a MAC address such as AA:BB:CC:DD:EE:FF.
invalid-ipv4 = Enter an IPv4 address such as 192.0.2.10.
invalid-ipv6-prefix = Enter an IPv6 prefix such as 2001:db8:1::/48.
invalid-coordinates = Latitude must be between -90 and 90 and longitude between -180 and 180.
invalid-control-character = Must not contain control characters (such as a bell or escape) or bidirectional overrides; one-line fields take no line breaks or tabs.
invalid-prefix = Enter an IP prefix such as 192.0.2.0/24 or 2001:db8::/48.
invalid-ip-address = Enter an IP address such as 192.0.2.10 or 2001:db8::1.
invalid-not-inside = Must lie inside the prefix that holds it.
invalid-overlaps = Overlaps another pool.
invalid-in-dynamic-pool = This address lies inside a dynamic pool; static addresses come from static pools.

# Permissions
perm-dashboard-view = See the dashboard
perm-users-view = See staff users
perm-users-manage = Create and edit staff users
perm-roles-manage = Manage roles and permissions
perm-audit-view = Read the audit log
perm-jobs-view = See background jobs
perm-jobs-manage = Retry and manage jobs
perm-settings-view = See settings
perm-settings-manage = Change settings
perm-security-manage = Manage bans and login security
perm-system-view = See system health
perm-customers-view = See customers, contracts and timelines
perm-customers-manage = Create and edit customers, addresses and notes
perm-customers-documents = See and verify identity documents (KYC)
perm-customers-import = Import and export customers and contracts (CSV)
perm-plans-view = See plans and service items
perm-plans-manage = Create and edit plans and re-price contracts
perm-contracts-manage = Create contracts, change plans and credentials
perm-contracts-status = Activate, suspend and cancel contracts
perm-radius-view = See routers (NAS), online sessions and the authentication log
perm-radius-manage = Manage routers (NAS) and disconnect sessions
perm-radius-lookup = Answer "who had this IP address" (court orders)
perm-billing-view = See invoices, credit notes, tax rates and billing runs
perm-billing-manage = Manage tax rates and run billing
perm-billing-void = Void invoices and issue credit notes

# Fields
field-2fa = 2FA
field-code = Code
field-company = Company name
field-confirm-password = Repeat the new password
field-country = Country (ISO code)
field-created = Created
field-currency = Currency (ISO code)
field-current-password = Current password
field-display-name = Full name
field-email = E-mail
field-ip-allowlist = IP allowlist
field-last-login = Last sign-in
field-legal-document = Legal document (CNPJ, tax id)
field-locale = Default language
field-logo = Logo
field-name = Name
field-new-password = New password
field-password = Password
field-permissions = Permissions
field-role = Role
field-status = Status
field-timezone = Time zone
field-username = Username
hint-ip-allowlist = One address or CIDR network per line (IPv4 or IPv6), e.g. 203.0.113.0/24. Empty allows any address.
hint-logo = PNG, JPEG or WebP, up to 512 KiB. Shown on the panel and, later, on invoices.
allowlist-any = any address

# Setup
setup-title = Set up Lastmile
setup-intro = Tell us about your company and create the first administrator. This runs once.
setup-company = Your company
setup-admin = First administrator
setup-enrol-2fa = Set up two-factor authentication right after this step (recommended)
setup-submit = Finish setup

# Login and password reset
login-title = Sign in
login-intro = Sign in to manage your network and subscribers.
login-forgot = Forgot your password?
twofa-title = Two-factor authentication
twofa-login-intro = Enter the 6-digit code from your authenticator app.
twofa-recovery-hint = Lost your phone? Enter one of your recovery codes instead.
reset-title = Reset your password
reset-intro = Enter your account's e-mail address and we will send you a link to choose a new password.
reset-send = Send reset link
reset-sent = If an account uses that address, a link is on its way. It is valid for one hour.
reset-choose = Choose a new password

# Dashboard
dash-users = Staff users
dash-sessions = Active sessions
dash-audit-today = Audit entries (24 h)
dash-bans = Active bans
dash-health = System health
dash-database = Database
dash-db-size = Database size
dash-next-title = Next steps
dash-next-intro = A few things to finish before your team starts.
dash-next-2fa = Turn on two-factor authentication for your account
dash-next-users = Invite your team: finance, support and technicians
dash-next-email = Configure outgoing e-mail
dash-next-backup = Check the daily backup settings

# Users
users-search = Search name, username or e-mail
users-new = New user
users-create = Create user
users-edit = Edit user
users-profile = Profile
users-security = Security
users-disabled = Account disabled (cannot sign in)
users-set-password = Set a new password
users-reset-2fa = Remove 2FA
users-history = See this user's history in the audit log

# Roles
roles-intro = A role is a set of permissions. Built-in roles cannot be changed, but you can restrict where they sign in from.
roles-new = New role
roles-create = Create role
roles-edit = Edit role
roles-builtin = built-in
roles-builtin-note = This is a built-in role: its name and permissions are fixed. You can set its IP allowlist.

# Audit
audit-when = When
audit-actor = Who
audit-action = Action
audit-entity = Record
audit-source = Address
audit-hash = Chain hash
audit-before = Before
audit-after = After

# Security
security-bans = Active bans
security-bans-intro = Addresses blocked after too many failed sign-ins. Accounts are never blocked: failures only slow down further attempts on that account from the same address.
security-kind = Type
security-kind-ip = Address
security-kind-account = Account
security-subject = Blocked
security-reason = Reason
security-until = Until
security-lift = Lift ban
security-no-bans = No active bans.
security-failures = Recent refused sign-ins
failure-bad-password = Wrong password
failure-bad-totp = Wrong 2FA code
failure-ip-not-allowed = Address not allowed
failure-disabled = Account disabled

# Settings
settings-company = Company
settings-security = Security
settings-email = E-mail
settings-backup = Backups
setting-security-session-idle-minutes = Idle timeout (minutes)
setting-security-session-idle-minutes-hint = Staff are signed out after this long without activity.
setting-security-session-absolute-hours = Maximum session length (hours)
setting-security-session-absolute-hours-hint = Staff must sign in again after this long, active or not.
setting-security-require-2fa-roles = Roles that must use 2FA
setting-security-require-2fa-roles-hint = Comma-separated role names, e.g. admin,finance. Their users enrol at next sign-in.
setting-security-login-max-failures-ip = Failed sign-ins before an address is banned
setting-security-login-max-failures-ip-hint = Counted within the window below.
setting-security-login-max-failures-account = Failed sign-ins for one account from one address before delays begin
setting-security-login-max-failures-account-hint = Counted within the window below. Each further attempt from that address waits twice as long (15 s, 30 s, 60 s…, at most the ban length). Browsers that signed in to the account before are not delayed. The same count across all addresses e-mails the account's owner and the admins (once per window).
setting-security-login-window-minutes = Counting window (minutes)
setting-security-login-window-minutes-hint = Failures older than this no longer count.
setting-security-ban-minutes = Ban length (minutes)
setting-security-ban-minutes-hint = How long an address ban lasts unless lifted; also the longest delay between attempts.
setting-security-nftables-export = Export banned addresses to nftables
setting-security-nftables-export-hint = Writes the banned addresses to an nftables set file in the data directory.
setting-email-smtp-host = SMTP server
setting-email-smtp-host-hint = Host name of your mail server or provider.
setting-email-smtp-port = SMTP port
setting-email-smtp-port-hint = Usually 587 (STARTTLS) or 465 (TLS).
setting-email-smtp-security = Connection security
setting-email-smtp-security-hint = starttls, tls, or none (only for a server on your own network).
setting-email-smtp-username = SMTP username
setting-email-smtp-username-hint = Leave empty if the server needs no sign-in.
setting-email-smtp-password = SMTP password
setting-email-smtp-password-hint = Stored encrypted. Leave empty to keep the current one.
setting-email-from-address = Sender address
setting-email-from-address-hint = The address messages come from, e.g. noc@yourprovider.com.
setting-backup-enabled = Daily backups
setting-backup-enabled-hint = Back up the database every day into the data directory.
setting-backup-hour = Backup hour
setting-backup-hour-hint = Hour of the day (0–23) in the company's time zone.
setting-backup-retention-days = Keep backups for (days)
setting-backup-retention-days-hint = Older backups are deleted automatically.

# Account
account-profile = Profile
account-password = Password
account-change-password = Change password
account-sessions = Where you are signed in
account-browser = Browser
account-last-seen = Last activity
account-this-session = this browser
twofa-on = On
twofa-off = Off
twofa-off-hint = Protect your account with a code from an authenticator app.
twofa-manage = Manage two-factor authentication
twofa-recovery-left = { $count ->
    [one] One unused recovery code left.
   *[other] { $count } unused recovery codes left.
}
twofa-required = Your role requires two-factor authentication. Set it up to continue.
twofa-required-note = Your role requires two-factor authentication, so it stays on.
twofa-step-app = Install an authenticator app (such as Aegis, Google Authenticator, Microsoft Authenticator or 1Password).
twofa-step-scan = Scan this code with the app.
twofa-manual = Cannot scan? Enter this key:
twofa-step-code = Enter the 6-digit code the app shows.
twofa-enable = Turn on 2FA
twofa-disable = Turn off 2FA
twofa-enabled-title = Two-factor authentication is on
twofa-recovery-intro = Save these recovery codes somewhere safe. Each works once if you lose your phone. They will not be shown again.
tokens-title = API tokens
tokens-intro = Tokens let scripts and other systems use the REST API as you, limited to the scopes you choose.
tokens-name = Token name
tokens-scopes = Scopes
tokens-all = All of my permissions
tokens-create = Create token
tokens-created = Your new token
tokens-shown-once = Copy it now: it is shown only once and stored only as a hash.
tokens-prefix = Starts with
tokens-last-used = Last used
tokens-revoke = Revoke
tokens-revoked = revoked
tokens-none = No tokens yet.
api-docs-title = API reference
api-docs-intro = Every operation of the Lastmile REST API, generated from the OpenAPI document the server publishes. Create a token on your account page and send it with each request.
api-docs-version = Version
api-docs-auth = Authentication
api-docs-document = OpenAPI 3.1 document
api-docs-pagination = Lists return data (the page) and next_cursor. Pass next_cursor back as ?cursor= for the next page; it is null on the last one. ?limit= takes 1 to 200 (default 50).
api-docs-operations = Operations
api-docs-method = Method
api-docs-path = Path
api-docs-summary = Summary
api-docs-scope = Required scope
api-docs-scope-any = any valid token
api-docs-tag = Area
api-docs-request = Request body
api-docs-parameters = Parameters
api-docs-name = Name
api-docs-in = In
api-docs-type = Type
api-docs-description = Description
api-docs-required = required
api-docs-responses = Responses
api-docs-status = Status
api-docs-problems = Errors
api-docs-problems-intro = Every error is an application/problem+json document (RFC 9457) with type, title, status and detail; validation errors add errors: a list of field, code and message, and refusals for lack of permission name the permission.
api-docs-schemas = Schemas
