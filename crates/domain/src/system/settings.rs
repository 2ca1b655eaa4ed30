//! The installation's settings: one table of definitions (key, kind, bounds,
//! default) drives storage, validation, the settings pages and the API.

/// What values a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Text {
        max: usize,
    },
    /// An e-mail address, or empty.
    Email,
    /// One of a fixed list.
    Choice(&'static [&'static str]),
    /// Role names separated by commas (checked against the roles table by the service).
    RoleList,
    /// Stored encrypted at rest; never shown back.
    Secret,
    /// A document numbering prefix (`{year}` stands for the year), as
    /// [`crate::billing::invoice::Series`] accepts it.
    NumberPrefix,
    /// An `http` or `https` URL, or empty.
    Url,
    /// PEM blocks (certificates, private keys): several lines; a secret one
    /// (a private key) is stored encrypted and never shown back.
    Pem {
        secret: bool,
    },
}

impl Kind {
    /// Stored encrypted at rest and never shown back.
    pub fn is_secret(self) -> bool {
        matches!(self, Kind::Secret | Kind::Pem { secret: true })
    }
}

/// A setting's definition.
#[derive(Debug, Clone, Copy)]
pub struct Def {
    pub key: &'static str,
    pub group: Group,
    pub kind: Kind,
    pub default: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Security,
    Email,
    Backup,
    Radius,
    Billing,
    /// Payment gateways, one page each.
    Pix,
    Boleto,
    Stripe,
    Paypal,
}

impl Group {
    pub const ALL: [Group; 9] = [
        Group::Security,
        Group::Email,
        Group::Backup,
        Group::Radius,
        Group::Billing,
        Group::Pix,
        Group::Boleto,
        Group::Stripe,
        Group::Paypal,
    ];
    pub fn slug(self) -> &'static str {
        match self {
            Group::Security => "security",
            Group::Email => "email",
            Group::Backup => "backup",
            Group::Radius => "radius",
            Group::Billing => "billing",
            Group::Pix => "pix",
            Group::Boleto => "boleto",
            Group::Stripe => "stripe",
            Group::Paypal => "paypal",
        }
    }
    pub fn from_slug(s: &str) -> Option<Group> {
        Self::ALL.into_iter().find(|g| g.slug() == s)
    }
}

pub const SESSION_IDLE_MINUTES: &str = "security.session_idle_minutes";
pub const SESSION_ABSOLUTE_HOURS: &str = "security.session_absolute_hours";
pub const REQUIRE_2FA_ROLES: &str = "security.require_2fa_roles";
pub const LOGIN_MAX_FAILURES_IP: &str = "security.login_max_failures_ip";
pub const LOGIN_MAX_FAILURES_ACCOUNT: &str = "security.login_max_failures_account";
pub const LOGIN_WINDOW_MINUTES: &str = "security.login_window_minutes";
pub const BAN_MINUTES: &str = "security.ban_minutes";
pub const NFTABLES_EXPORT: &str = "security.nftables_export";
pub const SMTP_HOST: &str = "email.smtp_host";
pub const SMTP_PORT: &str = "email.smtp_port";
pub const SMTP_SECURITY: &str = "email.smtp_security";
pub const SMTP_USERNAME: &str = "email.smtp_username";
pub const SMTP_PASSWORD: &str = "email.smtp_password";
pub const EMAIL_FROM: &str = "email.from_address";
/// Invoices and credit notes are e-mailed to the customer when issued.
pub const EMAIL_SEND_INVOICES: &str = "email.send_invoices";
/// The address customers reach this installation at (`https://pay.example.net`):
/// the base of the payment links in invoice e-mails and PDFs, reminders and
/// notices. Empty: the `public_url` of the configuration file.
pub const PUBLIC_URL: &str = "email.public_url";
pub const BACKUP_ENABLED: &str = "backup.enabled";
pub const BACKUP_HOUR: &str = "backup.hour";
pub const BACKUP_RETENTION_DAYS: &str = "backup.retention_days";
/// Connection records (`radius_sessions`) are purged after this many days;
/// at least a year (Marco Civil, art. 13).
pub const RADIUS_SESSION_RETENTION_DAYS: &str = "radius.session_retention_days";
pub const RADIUS_AUTH_LOG_RETENTION_DAYS: &str = "radius.auth_log_retention_days";
pub const RADIUS_SESSION_TIMEOUT: &str = "radius.session_timeout";
pub const RADIUS_INTERIM_INTERVAL: &str = "radius.interim_interval";
pub const RADIUS_STALE_AFTER_MISSED_INTERIMS: &str = "radius.stale_after_missed_interims";
pub const RADIUS_SIMULTANEOUS_USE: &str = "radius.simultaneous_use";
pub const RADIUS_RESTRICTED_ADDRESS_LIST: &str = "radius.restricted_address_list";
pub const RADIUS_RESTRICTED_POOL: &str = "radius.restricted_pool";
pub const RADIUS_RESTRICTED_KBPS: &str = "radius.restricted_kbps";
pub const RADIUS_LOG_ACCEPTS: &str = "radius.log_accepts";
/// `actual_days` (a day is 1/days-in-period of the price) or `thirty_day`
/// (a day is 1/30 of a month).
pub const BILLING_PRORATION: &str = "billing.proration";
/// A partial first period is billed `separate`ly or `fold`ed into the first
/// full period's invoice.
pub const BILLING_FIRST_PERIOD: &str = "billing.first_period";
/// One invoice per `contract`, or per `customer` and billing day.
pub const BILLING_GROUPING: &str = "billing.grouping";
pub const BILLING_PREPAID_DAYS_BEFORE: &str = "billing.prepaid_days_before";
pub const BILLING_DUE_DAYS: &str = "billing.due_days";
/// Days suspended for non-payment are not charged (Brazil's RGC).
pub const BILLING_UNCHARGED_NON_PAYMENT: &str = "billing.uncharged_non_payment";
pub const BILLING_UNCHARGED_CUSTOMER_REQUEST: &str = "billing.uncharged_customer_request";
pub const BILLING_UNCHARGED_ADMINISTRATIVE: &str = "billing.uncharged_administrative";
pub const BILLING_INVOICE_PREFIX: &str = "billing.invoice_prefix";
pub const BILLING_CREDIT_NOTE_PREFIX: &str = "billing.credit_note_prefix";
pub const BILLING_NUMBER_DIGITS: &str = "billing.number_digits";
/// The daily billing run is queued at this hour (company time zone).
pub const BILLING_DAILY_RUN: &str = "billing.daily_run";
pub const BILLING_RUN_HOUR: &str = "billing.run_hour";

/// `off`, `static` (a BR Code with the key and the invoice's txid, no PSP)
/// or `api` (charges through the PSP's API Pix v2).
pub const PIX_MODE: &str = "pix.mode";
pub const PIX_KEY: &str = "pix.key";
/// The receiver's name and city as the BR Code carries them.
pub const PIX_MERCHANT_NAME: &str = "pix.merchant_name";
pub const PIX_MERCHANT_CITY: &str = "pix.merchant_city";
pub const PIX_API_URL: &str = "pix.api_url";
pub const PIX_OAUTH_URL: &str = "pix.oauth_url";
pub const PIX_CLIENT_ID: &str = "pix.client_id";
pub const PIX_CLIENT_SECRET: &str = "pix.client_secret";
/// The client certificate (PEM) the PSP issued for mutual TLS.
pub const PIX_CERTIFICATE: &str = "pix.certificate";
pub const PIX_PRIVATE_KEY: &str = "pix.private_key";
/// The PSP's CA (PEM): trusted for its API and required of the client
/// certificate its webhook presents.
pub const PIX_PSP_CA: &str = "pix.psp_ca";
/// `cob` (immediate charge) or `cobv` (with due date, fine and interest).
pub const PIX_CHARGE: &str = "pix.charge";
/// How long an immediate charge stays payable.
pub const PIX_EXPIRY_HOURS: &str = "pix.expiry_hours";
/// Minutes between sweeps of received Pix (`GET /pix`) that catch missed
/// webhooks.
pub const PIX_SWEEP_MINUTES: &str = "pix.sweep_minutes";

/// `off`, `cnab` (remittance and return files exchanged with the bank by
/// hand) or `bb_api` (Banco do Brasil's registration API).
pub const BOLETO_MODE: &str = "boleto.mode";
/// Bank code (`001` Banco do Brasil, `237` Bradesco, …).
pub const BOLETO_BANK: &str = "boleto.bank";
pub const BOLETO_AGENCY: &str = "boleto.agency";
pub const BOLETO_ACCOUNT: &str = "boleto.account";
pub const BOLETO_WALLET: &str = "boleto.wallet";
pub const BOLETO_WALLET_VARIATION: &str = "boleto.wallet_variation";
/// The agreement (convênio) number the bank assigned.
pub const BOLETO_AGREEMENT: &str = "boleto.agreement";
pub const BOLETO_API_URL: &str = "boleto.api_url";
pub const BOLETO_OAUTH_URL: &str = "boleto.oauth_url";
pub const BOLETO_CLIENT_ID: &str = "boleto.client_id";
pub const BOLETO_CLIENT_SECRET: &str = "boleto.client_secret";
/// Banco do Brasil's developer application key (`gw-dev-app-key`).
pub const BOLETO_APP_KEY: &str = "boleto.app_key";
/// Registered boletos also carry a Pix QR (the hybrid boleto).
pub const BOLETO_HYBRID_PIX: &str = "boleto.hybrid_pix";

pub const STRIPE_ENABLED: &str = "stripe.enabled";
pub const STRIPE_API_URL: &str = "stripe.api_url";
pub const STRIPE_SECRET_KEY: &str = "stripe.secret_key";
pub const STRIPE_PUBLISHABLE_KEY: &str = "stripe.publishable_key";
/// The endpoint's signing secret (`whsec_…`).
pub const STRIPE_WEBHOOK_SECRET: &str = "stripe.webhook_secret";
/// Invoices of customers with a saved card are charged automatically on
/// their due date.
pub const STRIPE_AUTOMATIC_CHARGES: &str = "stripe.automatic_charges";

pub const PAYPAL_ENABLED: &str = "paypal.enabled";
pub const PAYPAL_API_URL: &str = "paypal.api_url";
pub const PAYPAL_CLIENT_ID: &str = "paypal.client_id";
pub const PAYPAL_CLIENT_SECRET: &str = "paypal.client_secret";
/// The webhook's id, which PayPal's verification call needs.
pub const PAYPAL_WEBHOOK_ID: &str = "paypal.webhook_id";

/// Every setting.
pub const DEFS: &[Def] = &[
    Def {
        key: SESSION_IDLE_MINUTES,
        group: Group::Security,
        kind: Kind::Int { min: 5, max: 1440 },
        default: "30",
    },
    Def {
        key: SESSION_ABSOLUTE_HOURS,
        group: Group::Security,
        kind: Kind::Int { min: 1, max: 720 },
        default: "12",
    },
    Def {
        key: REQUIRE_2FA_ROLES,
        group: Group::Security,
        kind: Kind::RoleList,
        default: "",
    },
    Def {
        key: LOGIN_MAX_FAILURES_IP,
        group: Group::Security,
        kind: Kind::Int { min: 3, max: 1000 },
        default: "10",
    },
    Def {
        key: LOGIN_MAX_FAILURES_ACCOUNT,
        group: Group::Security,
        kind: Kind::Int { min: 3, max: 100 },
        default: "5",
    },
    Def {
        key: LOGIN_WINDOW_MINUTES,
        group: Group::Security,
        kind: Kind::Int { min: 1, max: 1440 },
        default: "15",
    },
    Def {
        key: BAN_MINUTES,
        group: Group::Security,
        kind: Kind::Int { min: 1, max: 10080 },
        default: "30",
    },
    Def {
        key: NFTABLES_EXPORT,
        group: Group::Security,
        kind: Kind::Bool,
        default: "false",
    },
    Def {
        key: SMTP_HOST,
        group: Group::Email,
        kind: Kind::Text { max: 255 },
        default: "",
    },
    Def {
        key: SMTP_PORT,
        group: Group::Email,
        kind: Kind::Int { min: 1, max: 65535 },
        default: "587",
    },
    Def {
        key: SMTP_SECURITY,
        group: Group::Email,
        kind: Kind::Choice(&["starttls", "tls", "none"]),
        default: "starttls",
    },
    Def {
        key: SMTP_USERNAME,
        group: Group::Email,
        kind: Kind::Text { max: 255 },
        default: "",
    },
    Def {
        key: SMTP_PASSWORD,
        group: Group::Email,
        kind: Kind::Secret,
        default: "",
    },
    Def {
        key: EMAIL_FROM,
        group: Group::Email,
        kind: Kind::Email,
        default: "",
    },
    Def {
        key: EMAIL_SEND_INVOICES,
        group: Group::Email,
        kind: Kind::Bool,
        default: "true",
    },
    Def {
        key: PUBLIC_URL,
        group: Group::Email,
        kind: Kind::Url,
        default: "",
    },
    Def {
        key: BACKUP_ENABLED,
        group: Group::Backup,
        kind: Kind::Bool,
        default: "true",
    },
    Def {
        key: BACKUP_HOUR,
        group: Group::Backup,
        kind: Kind::Int { min: 0, max: 23 },
        default: "3",
    },
    Def {
        key: BACKUP_RETENTION_DAYS,
        group: Group::Backup,
        kind: Kind::Int { min: 1, max: 3650 },
        default: "14",
    },
    Def {
        key: RADIUS_SESSION_RETENTION_DAYS,
        group: Group::Radius,
        kind: Kind::Int {
            min: crate::radius::MIN_SESSION_RETENTION_DAYS,
            max: 3650,
        },
        default: "400",
    },
    Def {
        key: RADIUS_AUTH_LOG_RETENTION_DAYS,
        group: Group::Radius,
        kind: Kind::Int { min: 1, max: 3650 },
        default: "90",
    },
    // Seconds; 0 sends no Session-Timeout.
    Def {
        key: RADIUS_SESSION_TIMEOUT,
        group: Group::Radius,
        kind: Kind::Int {
            min: 0,
            max: 31_536_000,
        },
        default: "0",
    },
    // Seconds; 0 sends no Acct-Interim-Interval.
    Def {
        key: RADIUS_INTERIM_INTERVAL,
        group: Group::Radius,
        kind: Kind::Int {
            min: 0,
            max: 86_400,
        },
        default: "300",
    },
    Def {
        key: RADIUS_STALE_AFTER_MISSED_INTERIMS,
        group: Group::Radius,
        kind: Kind::Int { min: 0, max: 100 },
        default: "3",
    },
    // Open sessions per contract; 0 is unlimited.
    Def {
        key: RADIUS_SIMULTANEOUS_USE,
        group: Group::Radius,
        kind: Kind::Int { min: 0, max: 100 },
        default: "1",
    },
    Def {
        key: RADIUS_RESTRICTED_ADDRESS_LIST,
        group: Group::Radius,
        kind: Kind::Text { max: 64 },
        default: "lastmile-restricted",
    },
    Def {
        key: RADIUS_RESTRICTED_POOL,
        group: Group::Radius,
        kind: Kind::Text { max: 64 },
        default: "",
    },
    // kbit/s both ways; 0 sends no speed.
    Def {
        key: RADIUS_RESTRICTED_KBPS,
        group: Group::Radius,
        kind: Kind::Int {
            min: 0,
            max: 100_000_000,
        },
        default: "512",
    },
    // Accepts are logged only when asked: rejects always are.
    Def {
        key: RADIUS_LOG_ACCEPTS,
        group: Group::Radius,
        kind: Kind::Bool,
        default: "false",
    },
    Def {
        key: BILLING_PRORATION,
        group: Group::Billing,
        kind: Kind::Choice(&["actual_days", "thirty_day"]),
        default: "actual_days",
    },
    Def {
        key: BILLING_FIRST_PERIOD,
        group: Group::Billing,
        kind: Kind::Choice(&["separate", "fold"]),
        default: "separate",
    },
    Def {
        key: BILLING_GROUPING,
        group: Group::Billing,
        kind: Kind::Choice(&["contract", "customer"]),
        default: "contract",
    },
    Def {
        key: BILLING_PREPAID_DAYS_BEFORE,
        group: Group::Billing,
        kind: Kind::Int { min: 0, max: 60 },
        default: "10",
    },
    Def {
        key: BILLING_DUE_DAYS,
        group: Group::Billing,
        kind: Kind::Int { min: 0, max: 90 },
        default: "10",
    },
    Def {
        key: BILLING_UNCHARGED_NON_PAYMENT,
        group: Group::Billing,
        kind: Kind::Bool,
        default: "true",
    },
    Def {
        key: BILLING_UNCHARGED_CUSTOMER_REQUEST,
        group: Group::Billing,
        kind: Kind::Bool,
        default: "true",
    },
    Def {
        key: BILLING_UNCHARGED_ADMINISTRATIVE,
        group: Group::Billing,
        kind: Kind::Bool,
        default: "false",
    },
    Def {
        key: BILLING_INVOICE_PREFIX,
        group: Group::Billing,
        kind: Kind::NumberPrefix,
        default: "{year}-",
    },
    Def {
        key: BILLING_CREDIT_NOTE_PREFIX,
        group: Group::Billing,
        kind: Kind::NumberPrefix,
        default: "NC{year}-",
    },
    Def {
        key: BILLING_NUMBER_DIGITS,
        group: Group::Billing,
        kind: Kind::Int { min: 1, max: 12 },
        default: "6",
    },
    Def {
        key: BILLING_DAILY_RUN,
        group: Group::Billing,
        kind: Kind::Bool,
        default: "true",
    },
    Def {
        key: BILLING_RUN_HOUR,
        group: Group::Billing,
        kind: Kind::Int { min: 0, max: 23 },
        default: "6",
    },
    Def {
        key: PIX_MODE,
        group: Group::Pix,
        kind: Kind::Choice(&["off", "static", "api"]),
        default: "off",
    },
    Def {
        key: PIX_KEY,
        group: Group::Pix,
        kind: Kind::Text { max: 77 },
        default: "",
    },
    Def {
        key: PIX_MERCHANT_NAME,
        group: Group::Pix,
        kind: Kind::Text { max: 25 },
        default: "",
    },
    Def {
        key: PIX_MERCHANT_CITY,
        group: Group::Pix,
        kind: Kind::Text { max: 15 },
        default: "",
    },
    Def {
        key: PIX_API_URL,
        group: Group::Pix,
        kind: Kind::Url,
        default: "",
    },
    Def {
        key: PIX_OAUTH_URL,
        group: Group::Pix,
        kind: Kind::Url,
        default: "",
    },
    Def {
        key: PIX_CLIENT_ID,
        group: Group::Pix,
        kind: Kind::Text { max: 255 },
        default: "",
    },
    Def {
        key: PIX_CLIENT_SECRET,
        group: Group::Pix,
        kind: Kind::Secret,
        default: "",
    },
    Def {
        key: PIX_CERTIFICATE,
        group: Group::Pix,
        kind: Kind::Pem { secret: false },
        default: "",
    },
    Def {
        key: PIX_PRIVATE_KEY,
        group: Group::Pix,
        kind: Kind::Pem { secret: true },
        default: "",
    },
    Def {
        key: PIX_PSP_CA,
        group: Group::Pix,
        kind: Kind::Pem { secret: false },
        default: "",
    },
    Def {
        key: PIX_CHARGE,
        group: Group::Pix,
        kind: Kind::Choice(&["cobv", "cob"]),
        default: "cobv",
    },
    Def {
        key: PIX_EXPIRY_HOURS,
        group: Group::Pix,
        kind: Kind::Int { min: 1, max: 720 },
        default: "72",
    },
    Def {
        key: PIX_SWEEP_MINUTES,
        group: Group::Pix,
        kind: Kind::Int { min: 1, max: 1440 },
        default: "10",
    },
    Def {
        key: BOLETO_MODE,
        group: Group::Boleto,
        kind: Kind::Choice(&["off", "cnab", "bb_api"]),
        default: "off",
    },
    Def {
        key: BOLETO_BANK,
        group: Group::Boleto,
        kind: Kind::Text { max: 3 },
        default: "001",
    },
    Def {
        key: BOLETO_AGENCY,
        group: Group::Boleto,
        kind: Kind::Text { max: 10 },
        default: "",
    },
    Def {
        key: BOLETO_ACCOUNT,
        group: Group::Boleto,
        kind: Kind::Text { max: 20 },
        default: "",
    },
    Def {
        key: BOLETO_WALLET,
        group: Group::Boleto,
        kind: Kind::Text { max: 5 },
        default: "17",
    },
    Def {
        key: BOLETO_WALLET_VARIATION,
        group: Group::Boleto,
        kind: Kind::Text { max: 5 },
        default: "",
    },
    Def {
        key: BOLETO_AGREEMENT,
        group: Group::Boleto,
        kind: Kind::Text { max: 20 },
        default: "",
    },
    Def {
        key: BOLETO_API_URL,
        group: Group::Boleto,
        kind: Kind::Url,
        default: "https://api.bb.com.br/cobrancas/v2",
    },
    Def {
        key: BOLETO_OAUTH_URL,
        group: Group::Boleto,
        kind: Kind::Url,
        default: "https://oauth.bb.com.br/oauth/token",
    },
    Def {
        key: BOLETO_CLIENT_ID,
        group: Group::Boleto,
        kind: Kind::Text { max: 255 },
        default: "",
    },
    Def {
        key: BOLETO_CLIENT_SECRET,
        group: Group::Boleto,
        kind: Kind::Secret,
        default: "",
    },
    Def {
        key: BOLETO_APP_KEY,
        group: Group::Boleto,
        kind: Kind::Secret,
        default: "",
    },
    Def {
        key: BOLETO_HYBRID_PIX,
        group: Group::Boleto,
        kind: Kind::Bool,
        default: "true",
    },
    Def {
        key: STRIPE_ENABLED,
        group: Group::Stripe,
        kind: Kind::Bool,
        default: "false",
    },
    Def {
        key: STRIPE_API_URL,
        group: Group::Stripe,
        kind: Kind::Url,
        default: "https://api.stripe.com",
    },
    Def {
        key: STRIPE_SECRET_KEY,
        group: Group::Stripe,
        kind: Kind::Secret,
        default: "",
    },
    Def {
        key: STRIPE_PUBLISHABLE_KEY,
        group: Group::Stripe,
        kind: Kind::Text { max: 255 },
        default: "",
    },
    Def {
        key: STRIPE_WEBHOOK_SECRET,
        group: Group::Stripe,
        kind: Kind::Secret,
        default: "",
    },
    Def {
        key: STRIPE_AUTOMATIC_CHARGES,
        group: Group::Stripe,
        kind: Kind::Bool,
        default: "false",
    },
    Def {
        key: PAYPAL_ENABLED,
        group: Group::Paypal,
        kind: Kind::Bool,
        default: "false",
    },
    Def {
        key: PAYPAL_API_URL,
        group: Group::Paypal,
        kind: Kind::Url,
        default: "https://api-m.paypal.com",
    },
    Def {
        key: PAYPAL_CLIENT_ID,
        group: Group::Paypal,
        kind: Kind::Text { max: 255 },
        default: "",
    },
    Def {
        key: PAYPAL_CLIENT_SECRET,
        group: Group::Paypal,
        kind: Kind::Secret,
        default: "",
    },
    Def {
        key: PAYPAL_WEBHOOK_ID,
        group: Group::Paypal,
        kind: Kind::Text { max: 64 },
        default: "",
    },
];

pub fn def(key: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.key == key)
}

/// Why a value is refused; the message names what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting `{0}`")]
    UnknownKey(String),
    #[error("must be a whole number from {min} to {max}")]
    OutOfRange { min: i64, max: i64 },
    #[error("must be true or false")]
    NotBool,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must be an e-mail address")]
    NotEmail,
    #[error("must be one of: {0}")]
    NotChoice(String),
    #[error("must be an http:// or https:// address")]
    NotUrl,
    #[error("must be PEM text (-----BEGIN …----- to -----END …-----); line {0} is not")]
    NotPem(usize),
    #[error("must not contain control characters or bidirectional overrides")]
    ControlCharacter,
    #[error("{0}")]
    Prefix(crate::billing::invoice::SeriesError),
}

/// Validates and normalises a value for `key` (trimmed; booleans as
/// `true`/`false`; role lists without blanks).
pub fn normalize(key: &str, value: &str) -> Result<String, SettingError> {
    let d = def(key).ok_or_else(|| SettingError::UnknownKey(key.to_owned()))?;
    let v = value.trim();
    match d.kind {
        Kind::Int { min, max } => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
            _ => Err(SettingError::OutOfRange { min, max }),
        },
        Kind::Bool => match v {
            "true" | "on" | "1" | "yes" => Ok("true".into()),
            "false" | "off" | "0" | "no" | "" => Ok("false".into()),
            _ => Err(SettingError::NotBool),
        },
        Kind::Text { max } if v.chars().count() > max => Err(SettingError::TooLong(max)),
        Kind::Text { .. } if crate::validate::single_line(v).is_err() => {
            Err(SettingError::ControlCharacter)
        }
        Kind::Secret if v.chars().count() > SECRET_MAX => Err(SettingError::TooLong(SECRET_MAX)),
        Kind::Text { .. } | Kind::Secret => Ok(v.to_owned()),
        Kind::Url if v.is_empty() => Ok(String::new()),
        Kind::Url => match url_scheme(v) {
            Some("http" | "https") if v.len() <= 255 && crate::validate::single_line(v).is_ok() => {
                Ok(v.trim_end_matches('/').to_owned())
            }
            _ => Err(SettingError::NotUrl),
        },
        Kind::Pem { .. } if v.is_empty() => Ok(String::new()),
        Kind::Pem { .. } if v.chars().count() > PEM_MAX => Err(SettingError::TooLong(PEM_MAX)),
        Kind::Pem { .. } => pem_blocks(v),
        Kind::Email if v.is_empty() => Ok(String::new()),
        Kind::Email => crate::validate::email(v)
            .map(|()| v.to_owned())
            .map_err(|_| SettingError::NotEmail),
        Kind::NumberPrefix => crate::billing::invoice::Series::new(v, 6)
            .map(|_| v.to_owned())
            .map_err(SettingError::Prefix),
        Kind::Choice(options) if options.contains(&v) => Ok(v.to_owned()),
        Kind::Choice(options) => Err(SettingError::NotChoice(options.join(", "))),
        Kind::RoleList => Ok(v
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
            .join(",")),
    }
}

const SECRET_MAX: usize = 1024;
/// A certificate chain or a private key in PEM.
const PEM_MAX: usize = 16384;

fn url_scheme(v: &str) -> Option<&str> {
    let (scheme, rest) = v.split_once("://")?;
    (!rest.is_empty() && !rest.starts_with('/')).then_some(scheme)
}

/// One or more `-----BEGIN …-----` / `-----END …-----` blocks of base64,
/// with line endings normalised to `\n`.
fn pem_blocks(v: &str) -> Result<String, SettingError> {
    let text = v.replace("\r\n", "\n");
    let mut open: Option<&str> = None;
    let mut blocks = 0;
    for (i, line) in text.lines().map(str::trim).enumerate() {
        let bad = || SettingError::NotPem(i + 1);
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if open.is_some() {
                return Err(bad());
            }
            open = Some(label);
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if open != Some(label) {
                return Err(bad());
            }
            open = None;
            blocks += 1;
        } else if line.is_empty() {
            continue;
        } else if open.is_none()
            || !line.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'+' | b'/' | b'=' | b':' | b',' | b'-' | b' ')
            })
        {
            return Err(bad());
        }
    }
    if open.is_some() || blocks == 0 {
        return Err(SettingError::NotPem(text.lines().count()));
    }
    Ok(text.trim().to_owned() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        for d in DEFS {
            assert_eq!(
                normalize(d.key, d.default).as_deref(),
                Ok(d.default),
                "{}",
                d.key
            );
        }
    }

    #[test]
    fn validation_names_the_rule() {
        let cases = [
            (SESSION_IDLE_MINUTES, " 45 ", Ok("45")),
            (
                SESSION_IDLE_MINUTES,
                "2",
                Err(SettingError::OutOfRange { min: 5, max: 1440 }),
            ),
            (
                SESSION_IDLE_MINUTES,
                "abc",
                Err(SettingError::OutOfRange { min: 5, max: 1440 }),
            ),
            (NFTABLES_EXPORT, "on", Ok("true")),
            (BILLING_INVOICE_PREFIX, " FAT{year}/ ", Ok("FAT{year}/")),
            (
                BILLING_INVOICE_PREFIX,
                "FAT {year}",
                Err(SettingError::Prefix(
                    crate::billing::invoice::SeriesError::Prefix,
                )),
            ),
            (NFTABLES_EXPORT, "maybe", Err(SettingError::NotBool)),
            (EMAIL_FROM, "noc@example.net", Ok("noc@example.net")),
            (EMAIL_FROM, "not-an-address", Err(SettingError::NotEmail)),
            (
                SMTP_SECURITY,
                "ssl",
                Err(SettingError::NotChoice("starttls, tls, none".into())),
            ),
            (REQUIRE_2FA_ROLES, " admin , ,finance", Ok("admin,finance")),
            (
                STRIPE_API_URL,
                "https://api.stripe.com/",
                Ok("https://api.stripe.com"),
            ),
            (PIX_API_URL, "", Ok("")),
            (
                PUBLIC_URL,
                " https://pay.example.net/ ",
                Ok("https://pay.example.net"),
            ),
            (PUBLIC_URL, "pay.example.net", Err(SettingError::NotUrl)),
            (PIX_API_URL, "ftp://psp.example", Err(SettingError::NotUrl)),
            (PIX_API_URL, "https://", Err(SettingError::NotUrl)),
            (
                PIX_CERTIFICATE,
                "-----BEGIN CERTIFICATE-----\r\nMIIB+w==\r\n-----END CERTIFICATE-----\r\n",
                Ok("-----BEGIN CERTIFICATE-----\nMIIB+w==\n-----END CERTIFICATE-----\n"),
            ),
            (
                PIX_PRIVATE_KEY,
                "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END CERTIFICATE-----",
                Err(SettingError::NotPem(3)),
            ),
            (
                PIX_CERTIFICATE,
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----",
                Err(SettingError::NotPem(2)),
            ),
            (SMTP_HOST, "smtp.example.net", Ok("smtp.example.net")),
            (
                SMTP_HOST,
                "smtp\u{1b}.example.net",
                Err(SettingError::ControlCharacter),
            ),
            ("nope", "1", Err(SettingError::UnknownKey("nope".into()))),
        ];
        for (key, value, want) in cases {
            assert_eq!(
                normalize(key, value).as_deref().map_err(Clone::clone),
                want.map_err(|e: SettingError| e),
                "{key}={value}"
            );
        }
    }
}
