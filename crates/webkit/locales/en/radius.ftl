## RADIUS / network area: sessions, authentication log, "who had address X
## at T", NAS editor, a contract's connection history

radius-tab-sessions = Online sessions
radius-tab-auth-log = Authentication log
radius-tab-who = Who had this IP?
radius-tab-nas = Routers (NAS)
radius-sessions-title = Online sessions
radius-auth-log-title = Authentication log
radius-who-title = Who had this IP address?
radius-nas-title = Routers (NAS)
radius-nas-new = Add NAS
radius-nas-edit = Edit NAS
radius-contract-title = Connections of contract { $number }
radius-back-to-contract = Contract { $number }

radius-search = Login, IP or MAC
radius-any = Any
radius-any-nas = Any NAS
radius-any-plan = Any plan
radius-plan = Plan
radius-online-count = { $count ->
    [one] { $count } session online
   *[other] { $count } sessions online
}
radius-dead-letters = { $count ->
    [one] { $count } accounting record was refused by the database and waits in a RADIUS node's dead letters.
   *[other] { $count } accounting records were refused by the database and wait in RADIUS nodes' dead letters.
}
radius-dead-letters-hint = On the node, `lastmile aaa journal` shows why; once the cause is fixed, `lastmile aaa journal --retry` applies them.
radius-login = Login
radius-customer = Customer
radius-contract = Contract
radius-address = Address
radius-started = Started
radius-stopped = Ended
radius-duration = Duration
radius-traffic = Traffic
radius-download = Download
radius-upload = Upload
radius-online = Online
radius-when = When
radius-result = Result
radius-reason = Reason
radius-method = Method
radius-updated = Updated
radius-terminate-cause = Ended because
radius-no-sessions = No session online matches these filters.
radius-no-history = This contract has no connection records yet.
radius-disconnect = Disconnect
radius-confirm-disconnect = Disconnect { $login } now? The router ends the session; the customer's equipment usually reconnects by itself.
radius-requested-by = Requested by

radius-result-accept = Accepted
radius-result-restricted = Restricted
radius-result-reject = Rejected
radius-reason-wrong-password = Wrong password
radius-reason-unknown-user = Unknown user (no contract with this login)
radius-reason-contract-suspended = Contract suspended
radius-reason-contract-canceled = Contract canceled
radius-reason-contract-pending = Contract not installed yet
radius-reason-mac-mismatch = MAC address does not match the contract
radius-reason-simultaneous-use = Over the simultaneous-use limit
radius-reason-quota-blocked = Data quota used up (blocked)
radius-reason-missing-message-authenticator = Router sent no Message-Authenticator (BlastRADIUS protection)
radius-reason-unsupported-method = Authentication method not supported

radius-coa-title = Disconnect and change requests
radius-coa-hint = Sent to the router by the RADIUS node, with retries; the router's answer appears here.
radius-coa-none = No requests yet.
radius-coa-kind = Request
radius-kind-disconnect = Disconnect
radius-kind-coa = Change of authorization
radius-coa-status-pending = Pending
radius-coa-status-ack = Done (ACK)
radius-coa-status-nak = Refused (NAK)
radius-coa-status-failed = No answer
radius-error-cause-201 = Residual session context removed
radius-error-cause-401 = Unsupported attribute
radius-error-cause-402 = Missing attribute
radius-error-cause-403 = NAS identification mismatch
radius-error-cause-404 = Invalid request
radius-error-cause-405 = Unsupported service
radius-error-cause-407 = Invalid attribute value
radius-error-cause-501 = Administratively prohibited
radius-error-cause-503 = Session not found
radius-error-cause-504 = Session cannot be removed
radius-error-cause-506 = Router out of resources

radius-who-intro = Answers the question a court order asks (Marco Civil da Internet, art. 13): which subscriber held an IPv4 address or IPv6 prefix at a given moment. Connection records are kept for at least one year.
radius-who-ip = IPv4 address or IPv6 address/prefix
radius-who-at = Date and time
radius-who-at-hint = As YYYY-MM-DD HH:MM[:SS] in { $zone }, or RFC 3339 with an offset (2026-03-01T14:05:33-03:00).
radius-who-search = Look up
radius-who-audited = Every lookup is recorded in the audit log under your name.
radius-who-result = { $ip } at
radius-who-none = No connection record holds this address at that moment.
radius-invalid-ip = Enter an IPv4 address, or an IPv6 address or prefix (e.g. 2001:db8:100::/56).
radius-invalid-instant = Enter a date and time as YYYY-MM-DD HH:MM, or RFC 3339.

radius-nas-intro = Routers and concentrators that authenticate subscribers against Lastmile. Packets from any other address are dropped.
radius-nas-none = No NAS yet. Add your first router to start authenticating subscribers.
radius-nas-name = Name
radius-nas-address = IP address
radius-nas-kind = Vendor profile
radius-nas-coa-port = CoA port
radius-nas-secret = Shared secret
radius-nas-secret-keep = Leave blank to keep the current secret
radius-nas-secret-hint = Stored encrypted. It is never shown again after saving, except through "Reveal secret" (recorded in the audit log).
radius-nas-require-ma = Always require Message-Authenticator
radius-nas-require-ma-hint = BlastRADIUS protection. Once the router sends it, it is required anyway.
radius-nas-disabled = Disabled (packets from this router are dropped)
radius-nas-notes = Notes
radius-nas-create = Add NAS
radius-nas-settings = Router
radius-nas-state = State
radius-nas-test = Test CoA port
radius-nas-test-hint = The test sends a CoA-Request for a session that does not exist and waits 2 seconds for any answer. No subscriber is affected.
radius-nas-reveal = Reveal secret
radius-nas-revealed = The shared secret (this was recorded in the audit log):
radius-nas-delete = Delete
radius-confirm-reveal = Show the shared secret? This is recorded in the audit log.
radius-confirm-delete-nas = Delete this NAS? If it has connection records it is disabled instead, since the records must keep naming it.
radius-ma-required = Required
radius-ma-seen = Seen, now required
radius-ma-not-yet = Not seen yet
radius-kind-mikrotik = MikroTik
radius-kind-accel-ppp = accel-ppp
radius-kind-cisco = Cisco
radius-kind-huawei = Huawei
radius-kind-juniper = Juniper
radius-kind-generic = Generic
radius-invalid-address = Enter an IPv4 or IPv6 address, such as 10.0.0.1.
radius-nas-taken-name = Another NAS already has this name.
radius-nas-taken-address = Another NAS already uses this address.
radius-test-answered = The router answered ({ $code }): the CoA port is reachable and the secret matches.
radius-test-bad-secret = Something answered ({ $code }), but its signature does not match the shared secret. Check the secret on the router.
radius-test-no-answer = No answer within 2 seconds. Check the address, the CoA port, the router's firewall and that CoA is enabled for this server.
radius-test-failed = The test could not be sent: { $error }

radius-fixed-address = Fixed IPv4
radius-usage-title = Usage per billing cycle
radius-usage-none = No usage recorded yet.
radius-cycle = Cycle starting
radius-online-time = Time online
radius-history-title = Connection history
radius-recent-auth = Recent authentications
radius-contract-status-pending-installation = Pending installation
radius-contract-status-active = Active
radius-contract-status-suspended = Suspended
radius-contract-status-canceled = Canceled

flash-radius-disconnect-queued = Disconnect requested. The RADIUS node sends it to the router now; its answer appears below.
flash-radius-session-closed = That session had already ended.
flash-radius-nas-created = NAS added. Configure the same secret on the router, then use "Test CoA port".
flash-radius-nas-deleted = NAS deleted.
flash-radius-nas-disabled = This NAS has connection records, so it was disabled instead of deleted.
refused-session-closed = That session has already ended.

setting-radius-session-retention-days = Keep connection records for (days)
setting-radius-session-retention-days-hint = At least 365: the Marco Civil da Internet (art. 13) requires one year. Older closed sessions are purged nightly.
setting-radius-auth-log-retention-days = Keep the authentication log for (days)
setting-radius-auth-log-retention-days-hint = Older accept and reject entries are purged nightly.
