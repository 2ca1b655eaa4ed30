//! Why a service refused an action that was well-formed: each refusal has
//! a stable code (`refused-<code>` in the message catalogue, `code` in API
//! problem documents) and, where the message needs them, its details.

use crate::contracts::Status;

/// A rule that refused the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("two-factor authentication is already enabled")]
    TwoFactorAlreadyEnabled,
    #[error("two-factor enrolment was not started")]
    TwoFactorNotStarted,
    #[error("two-factor authentication is required")]
    TwoFactorRequired,
    #[error("the code is wrong or expired")]
    BadCode,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("the address is not banned")]
    BanNotActive,
    #[error("the address is banned for now")]
    Banned,
    #[error("a contract cannot go from {from} to {to}")]
    IllegalTransition { from: Status, to: Status },
    #[error("the contract changed meanwhile")]
    ContractChanged,
    #[error("the custom field is in use")]
    CustomFieldInUse,
    #[error("demo data goes only into an empty installation")]
    DemoNotEmpty,
    #[error("e-mail is not configured")]
    EmailNotConfigured,
    #[error("the invoice is not issued")]
    InvoiceNotIssued,
    #[error("this address may not sign in to the account")]
    IpNotAllowed,
    #[error("another node took over the job")]
    JobLeaseLost,
    #[error("the job cannot be retried")]
    JobNotRetryable,
    #[error("the last enabled administrator must stay")]
    LastAdmin,
    #[error("nothing is left to credit")]
    NothingToCredit,
    #[error("prices changed since the preview")]
    RepricingChanged,
    #[error("the reset link is invalid or expired")]
    ResetInvalid,
    #[error("built-in roles cannot change")]
    RoleBuiltin,
    #[error("the role is in use")]
    RoleInUse,
    #[error("the session was closed")]
    SessionClosed,
    #[error("the session expired")]
    SessionExpired,
    #[error("set-up is already done")]
    SetupDone,
    #[error("the token was revoked")]
    TokenRevoked,
    #[error("there are too many custom fields")]
    TooManyCustomFields,
    #[error("other network records still refer to it")]
    NetworkInUse,
    #[error("the pool has no free address left")]
    PoolFull,
    #[error("addresses are assigned from static pools only")]
    PoolNotStatic,
}

impl Refusal {
    /// One of each kind (details filled with examples), so a test can check
    /// that every code has its message in every language.
    pub const EXAMPLES: [Refusal; 30] = [
        Refusal::TwoFactorAlreadyEnabled,
        Refusal::TwoFactorNotStarted,
        Refusal::TwoFactorRequired,
        Refusal::BadCode,
        Refusal::BadCredentials,
        Refusal::BanNotActive,
        Refusal::Banned,
        Refusal::IllegalTransition {
            from: Status::Canceled,
            to: Status::Active,
        },
        Refusal::ContractChanged,
        Refusal::CustomFieldInUse,
        Refusal::DemoNotEmpty,
        Refusal::EmailNotConfigured,
        Refusal::InvoiceNotIssued,
        Refusal::IpNotAllowed,
        Refusal::JobLeaseLost,
        Refusal::JobNotRetryable,
        Refusal::LastAdmin,
        Refusal::NothingToCredit,
        Refusal::RepricingChanged,
        Refusal::ResetInvalid,
        Refusal::RoleBuiltin,
        Refusal::RoleInUse,
        Refusal::SessionClosed,
        Refusal::SessionExpired,
        Refusal::SetupDone,
        Refusal::TokenRevoked,
        Refusal::TooManyCustomFields,
        Refusal::NetworkInUse,
        Refusal::PoolFull,
        Refusal::PoolNotStatic,
    ];

    /// The stable code: `refused-<code>` in the catalogue, `code` in API
    /// problem documents. Never changes once released.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::TwoFactorAlreadyEnabled => "2fa-already-enabled",
            Refusal::TwoFactorNotStarted => "2fa-not-started",
            Refusal::TwoFactorRequired => "2fa-required",
            Refusal::BadCode => "bad-code",
            Refusal::BadCredentials => "bad-credentials",
            Refusal::BanNotActive => "ban-not-active",
            Refusal::Banned => "banned",
            Refusal::IllegalTransition { .. } => "illegal-transition",
            Refusal::ContractChanged => "contract-changed",
            Refusal::CustomFieldInUse => "custom-field-in-use",
            Refusal::DemoNotEmpty => "demo-not-empty",
            Refusal::EmailNotConfigured => "email-not-configured",
            Refusal::InvoiceNotIssued => "invoice-not-issued",
            Refusal::IpNotAllowed => "ip-not-allowed",
            Refusal::JobLeaseLost => "job-lease-lost",
            Refusal::JobNotRetryable => "job-not-retryable",
            Refusal::LastAdmin => "last-admin",
            Refusal::NothingToCredit => "nothing-to-credit",
            Refusal::RepricingChanged => "repricing-changed",
            Refusal::ResetInvalid => "reset-invalid",
            Refusal::RoleBuiltin => "role-builtin",
            Refusal::RoleInUse => "role-in-use",
            Refusal::SessionClosed => "session-closed",
            Refusal::SessionExpired => "session-expired",
            Refusal::SetupDone => "setup-done",
            Refusal::TokenRevoked => "token-revoked",
            Refusal::TooManyCustomFields => "too-many-custom-fields",
            Refusal::NetworkInUse => "network-in-use",
            Refusal::PoolFull => "pool-full",
            Refusal::PoolNotStatic => "pool-not-static",
        }
    }

    /// The catalogue key of its message.
    pub fn message_key(self) -> String {
        format!("refused-{}", self.code())
    }

    /// The details its message names (`$from`, `$to`…), as text.
    pub fn args(self) -> Vec<(&'static str, String)> {
        match self {
            Refusal::IllegalTransition { from, to } => vec![
                ("from", from.as_str().to_owned()),
                ("to", to.as_str().to_owned()),
            ],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_stable() {
        let mut codes: Vec<_> = Refusal::EXAMPLES.iter().map(|r| r.code()).collect();
        codes.sort();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "duplicate refusal codes");
        assert_eq!(Refusal::BadCode.message_key(), "refused-bad-code");
        let t = Refusal::IllegalTransition {
            from: Status::Canceled,
            to: Status::Active,
        };
        assert_eq!(t.args()[0], ("from", "canceled".to_owned()));
    }
}
