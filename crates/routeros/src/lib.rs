//! MikroTik RouterOS API for Lastmile, usable on its own.
//!
//! - [`codec`]: the binary API's framing without I/O (lengths, words,
//!   sentences) and a streaming [`codec::Decoder`];
//! - [`proto`]: [`Command`] and [`Reply`] (`!re`, `!done`, `!trap`,
//!   `!fatal`, `!empty`), attribute and API-attribute words; [`Query`]
//!   builds and evaluates `?` query words;
//! - [`Client`]: the binary API over TCP (8728) or TLS (8729), logging in
//!   as RouterOS 6.43+ does, with concurrent tagged commands;
//! - [`RestClient`]: the RouterOS 7 REST API over HTTPS;
//! - [`Router`]: either, behind the same menu operations (print, add,
//!   set, remove) returning the same [`Row`]s and [`Error`];
//! - `fake` (feature `fake`): an in-process router speaking both, with
//!   state tests can read and change.
//!
//! ```no_run
//! # async fn demo() -> Result<(), routeros::Error> {
//! use routeros::{Client, Config, Print, Query};
//! let router = Client::connect(&Config::new("10.0.0.1", "lastmile", "secret")).await?;
//! let id = router
//!     .add("/ppp/secret", [("name", "alice"), ("password", "pw"), ("profile", "50M")])
//!     .await?;
//! let rows = router
//!     .print("/ppp/secret", &Print::new().query(Query::new().eq("name", "alice")))
//!     .await?;
//! assert_eq!(rows[0].id(), Some(id.as_str()));
//! router.set("/ppp/secret", &id, [("disabled", "yes")]).await?;
//! router.remove("/ppp/secret", &id).await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

use std::borrow::Cow;

pub mod client;
pub mod codec;
mod error;
#[cfg(feature = "fake")]
pub mod fake;
pub mod proto;
mod query;
pub mod rest;
mod row;
mod tls;

pub use client::{Client, Config, Response};
pub use error::{Error, Trap, TrapCategory};
pub use proto::{Command, Reply, ReplyKind};
pub use query::{Query, QueryError};
pub use rest::{RestClient, RestConfig};
pub use row::Row;
pub use tls::{TlsOptions, fingerprint, parse_fingerprint};

/// A word's text: UTF-8 when it is, else each byte as the Latin-1
/// character of that value (RouterOS sends comments in the router's code
/// page, often Windows-1252), so no byte is lost or replaced.
///
/// ```
/// assert_eq!(routeros::text(b"caf\xc3\xa9"), "café");
/// assert_eq!(routeros::text(b"caf\xe9"), "café");
/// ```
pub fn text(word: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(word) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(word.iter().map(|&b| char::from(b)).collect()),
    }
}

/// What a `print` asks for: a query and a property list, both optional.
///
/// ```
/// use routeros::{Print, Query};
/// let p = Print::new()
///     .query(Query::new().eq("disabled", "false"))
///     .proplist(["name", "profile"]);
/// assert_eq!(p.proplist, ["name", "profile"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Print {
    /// Which items (all when empty).
    pub query: Query,
    /// Properties to return (`.id` must be listed to get it); empty for
    /// all.
    pub proplist: Vec<String>,
}

impl Print {
    /// Every item, every property.
    pub fn new() -> Print {
        Print::default()
    }

    /// Only items matching `query`.
    pub fn query(mut self, query: Query) -> Print {
        self.query = query;
        self
    }

    /// Only these properties.
    pub fn proplist<S: AsRef<str>>(mut self, names: impl IntoIterator<Item = S>) -> Print {
        self.proplist = names.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }
}

/// A menu path in the API's form (`/ppp/secret`), from that form or the
/// console's (`/ppp secret`, `ppp/secret/`).
///
/// ```
/// assert_eq!(routeros::menu_path("/ip firewall address-list").unwrap(), "/ip/firewall/address-list");
/// assert!(routeros::menu_path("/ppp/secret=x").is_err());
/// assert!(routeros::menu_path("/").is_err());
/// ```
pub fn menu_path(menu: &str) -> Result<String, Error> {
    let parts: Vec<&str> = menu
        .split(|c: char| c == '/' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let bad = |why: &str| Error::Config(format!("menu path {menu:?}: {why}"));
    if parts.is_empty() {
        return Err(bad("no menu"));
    }
    for p in &parts {
        if !p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(bad("menu names are letters, digits, `-`, `_` and `.`"));
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

pub(crate) fn menu_command(menu: &str, verb: &str) -> Result<String, Error> {
    Ok(format!("{}/{verb}", menu_path(menu)?))
}

/// A router reached by either API: the same menu operations, rows and
/// errors, so provisioning code need not care which one a router speaks.
#[derive(Clone)]
pub enum Router {
    /// The binary API (8728/8729).
    Api(Client),
    /// The REST API (RouterOS 7).
    Rest(RestClient),
}

impl Router {
    /// See [`Client::print`].
    pub async fn print(&self, menu: &str, print: &Print) -> Result<Vec<Row>, Error> {
        match self {
            Router::Api(c) => c.print(menu, print).await,
            Router::Rest(c) => c.print(menu, print).await,
        }
    }

    /// See [`Client::add`]; returns the new `.id`.
    pub async fn add<K: Into<String>, V: Into<String>>(
        &self,
        menu: &str,
        attrs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, Error> {
        match self {
            Router::Api(c) => c.add(menu, attrs).await,
            Router::Rest(c) => c.add(menu, attrs).await,
        }
    }

    /// See [`Client::set`].
    pub async fn set<K: Into<String>, V: Into<String>>(
        &self,
        menu: &str,
        id: &str,
        attrs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), Error> {
        match self {
            Router::Api(c) => c.set(menu, id, attrs).await,
            Router::Rest(c) => c.set(menu, id, attrs).await,
        }
    }

    /// See [`Client::remove`].
    pub async fn remove(&self, menu: &str, id: &str) -> Result<(), Error> {
        match self {
            Router::Api(c) => c.remove(menu, id).await,
            Router::Rest(c) => c.remove(menu, id).await,
        }
    }
}
