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
pub mod contracts;
pub mod crm;
mod db;
pub mod events;
pub mod files;
pub mod nas;
mod params;
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
