//! The one error type of both clients.

use std::fmt;
use std::time::Duration;

use crate::codec::{DecodeError, EncodeError};
use crate::proto::ParseError;

/// The `=category=` of a `!trap`, as the manual numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapCategory {
    /// 0: missing item or command.
    MissingItemOrCommand,
    /// 1: argument value failure.
    ArgumentValue,
    /// 2: execution of command interrupted.
    Interrupted,
    /// 3: scripting related failure.
    Scripting,
    /// 4: general failure.
    General,
    /// 5: API related failure.
    Api,
    /// 6: TTY related failure.
    Tty,
    /// 7: value generated with the `:return` command.
    Return,
    /// A number the manual does not define.
    Other(u32),
}

impl TrapCategory {
    /// The category of a number.
    pub fn from_number(n: u32) -> TrapCategory {
        match n {
            0 => TrapCategory::MissingItemOrCommand,
            1 => TrapCategory::ArgumentValue,
            2 => TrapCategory::Interrupted,
            3 => TrapCategory::Scripting,
            4 => TrapCategory::General,
            5 => TrapCategory::Api,
            6 => TrapCategory::Tty,
            7 => TrapCategory::Return,
            n => TrapCategory::Other(n),
        }
    }

    /// The category's number.
    pub fn number(self) -> u32 {
        match self {
            TrapCategory::MissingItemOrCommand => 0,
            TrapCategory::ArgumentValue => 1,
            TrapCategory::Interrupted => 2,
            TrapCategory::Scripting => 3,
            TrapCategory::General => 4,
            TrapCategory::Api => 5,
            TrapCategory::Tty => 6,
            TrapCategory::Return => 7,
            TrapCategory::Other(n) => n,
        }
    }
}

/// A command the router refused: a `!trap` of the binary API, or an error
/// answer of the REST API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// Absent when the router sends none (most "failure:" messages, and
    /// every REST error).
    pub category: Option<TrapCategory>,
    /// The router's message (`no such item`, `failure: secret with the
    /// same name already exists`).
    pub message: String,
    /// The HTTP status of a REST error.
    pub http_status: Option<u16>,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(c) = self.category {
            write!(f, " (category {})", c.number())?;
        }
        if let Some(s) = self.http_status {
            write!(f, " (HTTP {s})")?;
        }
        Ok(())
    }
}

/// What went wrong talking to a router.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad settings or arguments (TLS material, a menu path, a URL).
    #[error("configuration: {0}")]
    Config(String),
    /// The TCP connection could not be made.
    #[error("connecting to {addr}: {source}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed (untrusted or unpinned certificate, wrong
    /// name, no common cipher).
    #[error("TLS with {addr}: {source}")]
    Tls {
        /// `host:port`.
        addr: String,
        /// Why (rustls's error inside).
        #[source]
        source: std::io::Error,
    },
    /// The router refused the user name or password.
    #[error("login refused: {0}")]
    Login(String),
    /// The router refused a command.
    #[error("{command}: {trap}")]
    Trap {
        /// The command, passwords masked (or `METHOD url` for REST).
        command: String,
        /// What the router said.
        trap: Trap,
    },
    /// The router sent `!fatal` and closed the connection.
    #[error("router closed the session: {0}")]
    Fatal(String),
    /// The connection is gone (closed by the router, a read or write
    /// error, an earlier fatal error).
    #[error("connection closed: {0}")]
    Closed(String),
    /// No answer in time.
    #[error("{what}: no answer after {after:?}")]
    Timeout {
        /// The command or step.
        what: String,
        /// The limit that passed.
        after: Duration,
    },
    /// The router sent bytes that are not the API.
    #[error("malformed data from the router: {0}")]
    Decode(#[from] DecodeError),
    /// The router sent a sentence that is not a reply.
    #[error("malformed reply from the router: {0}")]
    Parse(#[from] ParseError),
    /// A command that cannot be encoded.
    #[error("cannot encode the command: {0}")]
    Encode(#[from] EncodeError),
    /// An answer of the right shape with the wrong content (`add` without
    /// the new `.id`).
    #[error("{command}: unexpected answer: {message}")]
    Unexpected {
        /// The command.
        command: String,
        /// What was wrong with the answer.
        message: String,
    },
    /// A REST answer that is neither data nor a RouterOS error.
    #[error("{method} {url}: {message}")]
    Http {
        /// The HTTP method.
        method: String,
        /// The URL.
        url: String,
        /// The status, when an answer came.
        status: Option<u16>,
        /// The transport error, or the start of the body.
        message: String,
    },
}

impl Error {
    /// The trap of a refused command.
    pub fn trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap { trap, .. } => Some(trap),
            _ => None,
        }
    }

    /// Whether the connection cannot be used any more (open a new one).
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            Error::Fatal(_) | Error::Closed(_) | Error::Decode(_) | Error::Parse(_)
        )
    }
}
