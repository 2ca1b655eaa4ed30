//! Lastmile's persistence: one query set for SQLite and PostgreSQL.
//!
//! Queries go through sqlx's `Any` driver with `$n` placeholders, which both
//! engines accept, and use only the types both agree on (`i64`, `f64`,
//! `bool`, `String`, `Vec<u8>`). Instants are Unix seconds. Where the engines
//! differ (row locking, advisory locks, database size, backups) the code asks
//! [`Engine`] and keeps both spellings side by side in one function.
//!
//! Every function takes a `&mut AnyConnection`: a pooled connection for
//! reads, or a [`WriteTx`] (which derefs to one) for changes.

pub mod billing;
pub mod bulk;
pub mod catalog;
pub mod collections;
pub mod contracts;
pub mod crm;
mod db;
pub mod events;
pub mod files;
pub mod nas;
pub mod network;
mod params;
pub mod payments;
pub mod radius;
pub mod staff;
pub mod system;
#[cfg(feature = "testing")]
pub mod testing;

pub use db::{Db, Engine, WriteTx, is_lastmile_sqlite, redact_url};
pub use sqlx::AnyConnection;

/// A database failure. Unique-key violations are told apart because the
/// services turn them into "already exists" messages naming the field.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Config(String),
    /// Rows came back in a shape they cannot be read from.
    #[error("cannot read rows: {0}")]
    Decode(String),
}

/// What a failed write says about the database (see
/// [`Error::write_failure`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteFailure {
    /// The database takes no writes now: down, read-only, disk full, a lock
    /// or statement timeout, a serialization failure, or an error of unknown
    /// meaning such as a trigger refusing every row. Retrying later may
    /// succeed.
    Outage,
    /// The database refuses this content (a constraint on the row, a value
    /// out of range), with its message: retrying the same write fails again.
    Refused(String),
}

impl Error {
    /// Tells a write the database refuses for its content from a database
    /// that takes no writes now. Content: a constraint violation (unique,
    /// foreign key, not null, check: PostgreSQL's SQLSTATE class 23,
    /// SQLite's constraint codes) or a data exception (PostgreSQL's class
    /// 22: numeric value out of range, invalid text…; SQLite's
    /// `SQLITE_TOOBIG` (18) and `SQLITE_MISMATCH` (20)). Anything else is an
    /// outage.
    pub fn write_failure(&self) -> WriteFailure {
        let sql = match self {
            Error::Sql(s) => s,
            Error::Conflict(what) => {
                return WriteFailure::Refused(format!("{what} already exists"));
            }
            _ => return WriteFailure::Outage,
        };
        let sqlx::Error::Database(d) = sql else {
            return WriteFailure::Outage;
        };
        use sqlx::error::ErrorKind;
        let constraint = matches!(
            d.kind(),
            ErrorKind::UniqueViolation
                | ErrorKind::ForeignKeyViolation
                | ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation
        );
        let code = d.code();
        let code = code.as_deref().unwrap_or("");
        let data = (code.len() == 5 && code.starts_with("22")) || matches!(code, "18" | "20");
        if constraint || data {
            WriteFailure::Refused(d.message().to_owned())
        } else {
            WriteFailure::Outage
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps a unique-constraint violation to [`Error::Conflict`] naming `what`.
pub(crate) fn conflict(what: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(what),
        _ => Error::Sql(e),
    }
}

/// Now, as Unix seconds.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A boolean column. SQLite stores it as an integer and sqlx's `Any` driver
/// only decodes real booleans, so rows read flags through this type
/// (`#[sqlx(try_from = "Flag")]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <bool as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <bool as sqlx::Type<sqlx::Any>>::compatible(ty)
            || <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        match <bool as sqlx::Decode<sqlx::Any>>::decode(value.clone()) {
            Ok(b) => Ok(Flag(b)),
            Err(_) => Ok(Flag(<i64 as sqlx::Decode<sqlx::Any>>::decode(value)? != 0)),
        }
    }
}
