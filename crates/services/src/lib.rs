//! Lastmile's business areas. Each module owns its rules and calls the store;
//! every change takes an [`Actor`] and writes an audit entry in the same
//! transaction.

pub mod billing;
mod cache;
pub mod caller;
pub mod catalog;
pub mod change;
pub mod collections;
mod context;
pub mod contracts;
pub mod crm;
pub mod demo;
pub mod extra_metrics;
pub mod nas;
pub mod network;
pub mod payments;
pub mod radius;
pub mod secrets;
pub mod staff;
pub mod system;

pub use caller::Caller;
pub use change::Change;
pub use context::Services;
/// File modes of what Lastmile writes (directories 0700, files 0600).
pub use store::files;
pub use store::system::audit::Actor;
/// The database plumbing interfaces hold (a pool, its engine, a connection
/// or write transaction to pass down) without depending on the store.
pub use store::{AnyConnection, Db, Engine, Error as StoreError, WriteFailure, WriteTx, now};

use domain::validate::FieldError;

/// What a service call can fail with. Interfaces turn each variant into a
/// page message or an `application/problem+json` document.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field failed validation: the field name and why.
    #[error("{field}: {reason}")]
    Invalid {
        field: &'static str,
        reason: FieldReason,
    },
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    /// The actor lacks the permission, or the action is never allowed.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Refused by a rule, with a stable code the interfaces translate.
    #[error("refused: {0}")]
    Refused(&'static str),
    /// A contract status move the status machine does not allow from the
    /// contract's status at the time of the change (read inside the
    /// change's transaction, so a concurrent move cannot slip between the
    /// check and the write): the code `illegal-transition`.
    #[error("a contract cannot go from {current} to {requested}")]
    IllegalTransition {
        current: domain::contracts::Status,
        requested: domain::contracts::Status,
    },
    /// Too many failed sign-ins from this address for this account: try
    /// again after `retry_after` seconds. Says nothing about whether the
    /// account exists.
    #[error("throttled: retry after {retry_after} s")]
    Throttled { retry_after: i64 },
    #[error(transparent)]
    Store(store::Error),
    #[error("{0}")]
    Internal(String),
}

/// Why a field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldReason {
    Rule(FieldError),
    /// Free text from a lower layer (setting rules, CIDR parse errors).
    Message(String),
}

impl FieldReason {
    /// Stable code for i18n (`invalid-<code>`) and API documents.
    pub fn code(&self) -> &str {
        match self {
            FieldReason::Rule(r) => r.code(),
            FieldReason::Message(_) => "invalid",
        }
    }
}

impl std::fmt::Display for FieldReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldReason::Rule(r) => r.fmt(f),
            FieldReason::Message(m) => f.write_str(m),
        }
    }
}

impl Error {
    pub fn invalid(field: &'static str, rule: FieldError) -> Error {
        Error::Invalid {
            field,
            reason: FieldReason::Rule(rule),
        }
    }
    pub fn invalid_msg(field: &'static str, msg: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            reason: FieldReason::Message(msg.into()),
        }
    }
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Conflict(what) => Error::Conflict(what),
            store::Error::NotFound => Error::NotFound,
            other => Error::Store(other),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks a field with a domain rule, naming the field on failure.
pub(crate) fn check(field: &'static str, r: Result<(), FieldError>) -> Result<()> {
    r.map_err(|e| Error::invalid(field, e))
}
