//! Lastmile's RADIUS AAA server runtime.
//!
//! - [`Server::start`] binds the authentication and accounting ports with one
//!   `SO_REUSEPORT` socket per worker thread. Auth threads run a blocking
//!   receive → decide → send loop that reads only memory: the NAS table
//!   ([`nas`]) and the subscriber view ([`view`]). Auth never touches the
//!   database; its log lines go to a batched background writer that drops
//!   (and counts) when its queue is full.
//! - Accounting threads verify and parse, then hand records to the journal
//!   writer ([`journal`]), which appends everything queued with one write
//!   and one `fdatasync` and only then sends the Accounting-Responses. One
//!   committer ([`acct`]) applies the journal to the database behind, many
//!   records per transaction, exactly once.
//! - A change feed ([`feed`]) polls the domain-event outbox every 250 ms
//!   (and wakes at once on PostgreSQL `NOTIFY`) to keep the view current,
//!   and turns contract status and plan changes into CoA / Disconnect work
//!   that [`coa`] sends to the NAS holding the session.
//! - [`metrics::Metrics`] counts everything; [`Server::render_metrics`]
//!   prints them for `/metrics`.

pub mod acct;
pub mod auth;
pub mod coa;
pub mod deadletter;
pub mod feed;
pub mod journal;
pub mod log;
pub mod metrics;
pub mod nas;
pub mod profile;
pub mod record;
mod server;
pub mod view;

pub use server::{Config, Server};

/// What can go wrong starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A socket could not be bound or configured.
    #[error("RADIUS {what} socket on {addr}: {source}")]
    Bind {
        /// `authentication` or `accounting`.
        what: &'static str,
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The accounting journal cannot be opened or read.
    #[error("accounting journal {dir}: {source}")]
    Journal {
        /// Its directory.
        dir: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A database failure.
    #[error(transparent)]
    Store(#[from] services::StoreError),
    /// A services failure.
    #[error(transparent)]
    Services(#[from] services::Error),
    /// Anything else.
    #[error("{0}")]
    Internal(String),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
