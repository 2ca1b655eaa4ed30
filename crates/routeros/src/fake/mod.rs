//! An in-process fake RouterOS for tests: the binary API on TCP and TLS
//! and the REST API on HTTP and HTTPS, over one in-memory configuration.
//!
//! It is built on this crate's codec and speaks what a RouterOS 7 router
//! answers to the commands provisioning uses:
//!
//! - `/login` with `=name=` and `=password=` (a `!trap` for a wrong pair;
//!   any other command before login ends the session with `!fatal`);
//! - per menu (`/ppp/secret`, `/queue/simple`, `/queue/tree`,
//!   `/ip/firewall/address-list`, `/ip/hotspot/user`, and any added with
//!   [`FakeBuilder::menu`]): `add` (answers `=ret=*N`), `set`, `unset`,
//!   `remove` (by `.id`, several separated by commas, or by name), `print`
//!   with queries, `.proplist` and `count-only`;
//! - `!trap` for an unknown menu or command (category 0), an unknown id
//!   (`no such item`), a duplicate name or address-list entry, a missing
//!   name, a malformed query;
//! - `!empty` before `!done` for a print without items when built as
//!   RouterOS 7.18 or later ([`FakeBuilder::version`]);
//! - `/cancel` (the cancelled command gets `!trap` category 2,
//!   `interrupted`) and `/quit` (`!fatal`);
//! - `/system/resource/print` with the configured version.
//!
//! Simplifications, on purpose: items keep exactly the properties given
//! plus `disabled=false` when not given (a real router fills in many more
//! defaults); comparisons in queries are numeric or textual; error
//! messages follow RouterOS's wording where known and are otherwise
//! plain.
//!
//! Test controls: [`FakeRouter::rows`] reads what was pushed;
//! [`FakeRouter::insert`], [`FakeRouter::update`] and
//! [`FakeRouter::delete`] change the router behind the client's back
//! (drift); [`FakeRouter::delay`] and [`FakeRouter::hang`] slow or stall a
//! command; [`FakeRouter::commands`] lists what was received.

mod api;
mod rest;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::{Command, RestConfig, Row, TlsOptions, TrapCategory, client};

/// Menus the fake knows without being told.
pub const DEFAULT_MENUS: &[&str] = &[
    "/ppp/secret",
    "/ppp/profile",
    "/queue/simple",
    "/queue/tree",
    "/queue/type",
    "/ip/firewall/address-list",
    "/ip/hotspot/user",
    "/ip/hotspot/user/profile",
    "/ip/pool",
];

/// How to build a [`FakeRouter`].
pub struct FakeBuilder {
    users: Vec<(String, String)>,
    version: String,
    menus: Vec<String>,
}

impl FakeBuilder {
    /// Accepts this user name and password (the first one added is what
    /// [`FakeRouter::config`] logs in with).
    pub fn user(mut self, name: &str, password: &str) -> FakeBuilder {
        self.users.push((name.to_owned(), password.to_owned()));
        self
    }

    /// The RouterOS version to play (`7.18`, `7.15.3`, `6.49.10`):
    /// 7.18 and later answer an empty print with `!empty`.
    pub fn version(mut self, version: &str) -> FakeBuilder {
        version.clone_into(&mut self.version);
        self
    }

    /// Knows one more menu (`/interface/vlan`).
    pub fn menu(mut self, path: &str) -> FakeBuilder {
        self.menus.push(path.to_owned());
        self
    }

    /// Binds the four listeners on 127.0.0.1 and starts serving.
    pub async fn start(self) -> std::io::Result<FakeRouter> {
        let certs = Certs::generate();
        let users = if self.users.is_empty() {
            vec![("admin".to_owned(), String::new())]
        } else {
            self.users
        };
        let mut menus = BTreeMap::new();
        for m in DEFAULT_MENUS
            .iter()
            .map(|s| (*s).to_owned())
            .chain(self.menus)
        {
            let menu = Menu::new(&m);
            menus.insert(m, menu);
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                users: users.clone(),
                empty_reply: version_at_least(&self.version, 7, 18),
                version: self.version,
                menus,
                delays: HashMap::new(),
                log: Vec::new(),
            }),
        });
        let tls = Arc::new(certs.server_config()?);
        let mut tasks = Vec::new();

        let api = TcpListener::bind("127.0.0.1:0").await?;
        let api_addr = api.local_addr()?;
        tasks.push(tokio::spawn(api::serve(api, None, shared.clone())));
        let api_tls = TcpListener::bind("127.0.0.1:0").await?;
        let api_tls_addr = api_tls.local_addr()?;
        tasks.push(tokio::spawn(api::serve(
            api_tls,
            Some(tokio_rustls::TlsAcceptor::from(tls.clone())),
            shared.clone(),
        )));
        let rest = TcpListener::bind("127.0.0.1:0").await?;
        let rest_addr = rest.local_addr()?;
        tasks.push(tokio::spawn(rest::serve(rest, None, shared.clone())));
        let rest_tls = TcpListener::bind("127.0.0.1:0").await?;
        let rest_tls_addr = rest_tls.local_addr()?;
        tasks.push(tokio::spawn(rest::serve(
            rest_tls,
            Some(tokio_rustls::TlsAcceptor::from(tls)),
            shared.clone(),
        )));
        Ok(FakeRouter {
            shared,
            users,
            certs,
            api_addr,
            api_tls_addr,
            rest_addr,
            rest_tls_addr,
            tasks,
        })
    }
}

/// A running fake router. Stops serving when dropped.
pub struct FakeRouter {
    shared: Arc<Shared>,
    users: Vec<(String, String)>,
    certs: Certs,
    api_addr: SocketAddr,
    api_tls_addr: SocketAddr,
    rest_addr: SocketAddr,
    rest_tls_addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for FakeRouter {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl FakeRouter {
    /// A builder: RouterOS 7.18, user `admin` with an empty password
    /// unless [`FakeBuilder::user`] says otherwise.
    pub fn builder() -> FakeBuilder {
        FakeBuilder {
            users: Vec::new(),
            version: "7.18".to_owned(),
            menus: Vec::new(),
        }
    }

    /// A fake with the builder's defaults and this user.
    pub async fn start(user: &str, password: &str) -> std::io::Result<FakeRouter> {
        FakeRouter::builder().user(user, password).start().await
    }

    /// The binary API on plain TCP.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// The binary API on TLS.
    pub fn api_tls_addr(&self) -> SocketAddr {
        self.api_tls_addr
    }

    /// `http://127.0.0.1:port` of the REST face.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// `https://127.0.0.1:port` of the REST face.
    pub fn rest_tls_url(&self) -> String {
        format!("https://{}", self.rest_tls_addr)
    }

    /// The CA that issued the fake's certificate, in PEM (to trust it as
    /// a root).
    pub fn ca_pem(&self) -> &str {
        &self.certs.ca_pem
    }

    /// The SHA-256 fingerprint of the fake's certificate (to pin it).
    pub fn cert_fingerprint(&self) -> [u8; 32] {
        crate::fingerprint(&self.certs.server_der)
    }

    /// A client configuration for the plain binary API, as the first user.
    pub fn config(&self) -> client::Config {
        let (u, p) = &self.users[0];
        client::Config::new("127.0.0.1", u.as_str(), p.as_str()).port(self.api_addr.port())
    }

    /// A client configuration for api-ssl, trusting the fake's CA.
    pub fn tls_config(&self) -> client::Config {
        self.config()
            .tls(TlsOptions {
                extra_roots_pem: vec![self.certs.ca_pem.clone()],
                ..TlsOptions::default()
            })
            .port(self.api_tls_addr.port())
    }

    /// A REST configuration over plain HTTP, as the first user.
    pub fn rest_config(&self) -> RestConfig {
        let (u, p) = &self.users[0];
        RestConfig::new(self.rest_url(), u.as_str(), p.as_str())
    }

    /// A REST configuration over HTTPS, pinning the fake's certificate.
    pub fn rest_tls_config(&self) -> RestConfig {
        let (u, p) = &self.users[0];
        RestConfig::new(self.rest_tls_url(), u.as_str(), p.as_str()).tls(TlsOptions {
            pin_sha256: Some(self.cert_fingerprint()),
            ..TlsOptions::default()
        })
    }

    /// The items of a menu, in id order.
    pub fn rows(&self, menu: &str) -> Vec<Row> {
        self.shared
            .lock()
            .menus
            .get(menu)
            .map(|m| m.items.values().cloned().collect())
            .unwrap_or_default()
    }

    /// One item.
    pub fn row(&self, menu: &str, id: &str) -> Option<Row> {
        let n = parse_id(id)?;
        self.shared.lock().menus.get(menu)?.items.get(&n).cloned()
    }

    /// Adds an item directly (drift: something the client did not push);
    /// returns its id. The menu is created when unknown.
    pub fn insert<K: Into<String>, V: Into<String>>(
        &self,
        menu: &str,
        props: impl IntoIterator<Item = (K, V)>,
    ) -> String {
        let mut st = self.shared.lock();
        let m = st
            .menus
            .entry(menu.to_owned())
            .or_insert_with(|| Menu::new(menu));
        let props: Row = props.into_iter().collect();
        m.push(props)
    }

    /// Changes one property of an item directly (drift). False when there
    /// is no such item.
    pub fn update(&self, menu: &str, id: &str, key: &str, value: &str) -> bool {
        let mut st = self.shared.lock();
        let Some((n, m)) = parse_id(id).zip(st.menus.get_mut(menu)) else {
            return false;
        };
        let Some(mut row) = m.items.get(&n).cloned() else {
            return false;
        };
        row.insert(key, value);
        m.put(n, row);
        true
    }

    /// Removes an item directly (drift). False when there is no such item.
    pub fn delete(&self, menu: &str, id: &str) -> bool {
        let mut st = self.shared.lock();
        let Some(n) = parse_id(id) else { return false };
        st.menus.get_mut(menu).is_some_and(|m| m.take(n).is_some())
    }

    /// Answers `command` (`/queue/simple/print`) only after `delay`, on
    /// both faces.
    pub fn delay(&self, command: &str, delay: Duration) {
        self.shared
            .lock()
            .delays
            .insert(command.to_owned(), Some(delay));
    }

    /// Never answers `command` (until [`FakeRouter::release`]).
    pub fn hang(&self, command: &str) {
        self.shared.lock().delays.insert(command.to_owned(), None);
    }

    /// Answers `command` at once again.
    pub fn release(&self, command: &str) {
        self.shared.lock().delays.remove(command);
    }

    /// Every command received after login, in the order received (before
    /// any delay): command words of the binary API, and the command each
    /// REST request maps to.
    pub fn commands(&self) -> Vec<String> {
        self.shared.lock().log.clone()
    }
}

// ------------------------------------------------------------------ state

pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn login_ok(&self, name: &str, password: &str) -> bool {
        self.lock()
            .users
            .iter()
            .any(|(u, p)| u == name && p == password)
    }

    /// `None`: answer now; `Some(None)`: never; `Some(Some(d))`: after d.
    fn delay_of(&self, command: &str) -> Option<Option<Duration>> {
        self.lock().delays.get(command).copied()
    }

    fn log(&self, command: &str) {
        self.lock().log.push(command.to_owned());
    }

    /// Runs a command against the configuration.
    fn execute(&self, command: &Command) -> Result<Answer, FakeTrap> {
        self.lock().execute(command)
    }
}

struct State {
    users: Vec<(String, String)>,
    version: String,
    empty_reply: bool,
    menus: BTreeMap<String, Menu>,
    delays: HashMap<String, Option<Duration>>,
    log: Vec<String>,
}

#[derive(Default)]
struct Menu {
    next_id: u32,
    items: BTreeMap<u32, Row>,
    /// Properties unique in this menu, and RouterOS's words for a clash.
    unique: Option<(&'static [&'static str], &'static str)>,
    /// Unique property values → item, so adds stay O(1) with 10,000
    /// items.
    index: HashMap<Vec<String>, u32>,
}

impl Menu {
    fn new(path: &str) -> Menu {
        Menu {
            unique: unique_keys(path),
            ..Menu::default()
        }
    }

    fn key_of(&self, row: &Row) -> Option<Vec<String>> {
        let (keys, _) = self.unique?;
        keys.iter().map(|k| row.get(k).map(str::to_owned)).collect()
    }

    /// Refuses a row whose unique properties another item has, or that
    /// lacks a unique `name`.
    fn check(&self, row: &Row, except: Option<u32>) -> Result<(), FakeTrap> {
        let Some((keys, message)) = self.unique else {
            return Ok(());
        };
        if keys == ["name"] && row.get("name").is_none_or(str::is_empty) {
            return Err(FakeTrap::new(
                Some(TrapCategory::ArgumentValue),
                "missing value(s) of argument(s) name",
            ));
        }
        match self.key_of(row).and_then(|k| self.index.get(&k)) {
            Some(n) if Some(*n) != except => Err(FakeTrap::new(None, message)),
            _ => Ok(()),
        }
    }

    /// Stores `row` as item `n`, keeping the index in step.
    fn put(&mut self, n: u32, row: Row) {
        self.take(n);
        if let Some(k) = self.key_of(&row) {
            self.index.insert(k, n);
        }
        self.items.insert(n, row);
    }

    /// Removes item `n`, keeping the index in step.
    fn take(&mut self, n: u32) -> Option<Row> {
        let row = self.items.remove(&n)?;
        if let Some(k) = self.key_of(&row)
            && self.index.get(&k) == Some(&n)
        {
            self.index.remove(&k);
        }
        Some(row)
    }

    fn push(&mut self, props: Row) -> String {
        self.next_id += 1;
        let id = format!("*{:X}", self.next_id);
        let mut row = Row::new();
        row.insert(".id", id.as_str());
        for (k, v) in props {
            if k != ".id" {
                row.insert(k, v);
            }
        }
        self.put(self.next_id, row);
        id
    }

    /// Resolves `*N` ids, or names, to item keys.
    fn resolve(&self, ids: &str) -> Result<Vec<u32>, FakeTrap> {
        let mut out = Vec::new();
        for id in ids.split(',') {
            let found = match parse_id(id) {
                Some(n) if self.items.contains_key(&n) => Some(n),
                Some(_) => None,
                None => self
                    .items
                    .iter()
                    .find(|(_, r)| r.get("name") == Some(id))
                    .map(|(n, _)| *n),
            };
            out.push(found.ok_or_else(|| FakeTrap::not_found("no such item"))?);
        }
        Ok(out)
    }
}

fn parse_id(id: &str) -> Option<u32> {
    u32::from_str_radix(id.strip_prefix('*')?, 16).ok()
}

fn version_at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version
        .split(['.', ' '])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let have = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    have >= (major, minor)
}

/// What a command produced.
pub(crate) enum Answer {
    /// `!re` rows, then `!empty` when there are none and the version says
    /// so.
    Rows { rows: Vec<Row>, empty_reply: bool },
    /// `!done` with these attributes.
    Done(Row),
}

/// A refusal, as `!trap` or an HTTP error.
#[derive(Debug)]
pub(crate) struct FakeTrap {
    pub category: Option<TrapCategory>,
    pub message: String,
    /// For the REST face: 404 for a missing item, else 400.
    pub not_found: bool,
}

impl FakeTrap {
    fn new(category: Option<TrapCategory>, message: impl Into<String>) -> FakeTrap {
        FakeTrap {
            category,
            message: message.into(),
            not_found: false,
        }
    }

    fn not_found(message: &str) -> FakeTrap {
        FakeTrap {
            category: None,
            message: message.to_owned(),
            not_found: true,
        }
    }
}

/// Properties that must be unique in a menu, and how RouterOS words the
/// refusal.
fn unique_keys(menu: &str) -> Option<(&'static [&'static str], &'static str)> {
    Some(match menu {
        "/ppp/secret" => (
            &["name"],
            "failure: secret with the same name already exists",
        ),
        "/ppp/profile" => (
            &["name"],
            "failure: profile with the same name already exists",
        ),
        "/queue/simple" => (&["name"], "failure: queue with such name exists already"),
        "/queue/tree" => (&["name"], "failure: queue with such name exists already"),
        "/queue/type" => (
            &["name"],
            "failure: queue type with such name exists already",
        ),
        "/ip/hotspot/user" => (&["name"], "failure: user with the same name already exists"),
        "/ip/hotspot/user/profile" => (
            &["name"],
            "failure: profile with the same name already exists",
        ),
        "/ip/pool" => (&["name"], "failure: pool with such name exists already"),
        "/ip/firewall/address-list" => (&["list", "address"], "failure: already have such entry"),
        _ => return None,
    })
}

impl State {
    fn execute(&mut self, command: &Command) -> Result<Answer, FakeTrap> {
        let name = command.name.as_str();
        if name == "/cancel" {
            return Ok(Answer::Done(Row::new()));
        }
        if name == "/system/resource/print" {
            let row: Row = [
                ("version", format!("{} (stable)", self.version)),
                ("board-name", "fake".to_owned()),
                ("platform", "MikroTik".to_owned()),
            ]
            .into_iter()
            .collect();
            return Ok(Answer::Rows {
                rows: vec![row],
                empty_reply: false,
            });
        }
        let Some((menu_name, verb)) = name.rsplit_once('/') else {
            return Err(no_such_command(name));
        };
        let empty_reply = self.empty_reply;
        let Some(menu) = self.menus.get_mut(menu_name) else {
            return Err(no_such_command(name));
        };
        let attrs = &command.attributes;
        match verb {
            "print" | "getall" => {
                for (k, _) in attrs.iter() {
                    if !matches!(k, ".proplist" | "count-only" | "detail" | "without-paging") {
                        return Err(FakeTrap::new(
                            Some(TrapCategory::ArgumentValue),
                            format!("unknown parameter {k}"),
                        ));
                    }
                }
                command.query.validate().map_err(|e| {
                    FakeTrap::new(
                        Some(TrapCategory::ArgumentValue),
                        format!("invalid query: {e}"),
                    )
                })?;
                let mut rows = Vec::new();
                for row in menu.items.values() {
                    if command.query.matches(row).unwrap_or(false) {
                        rows.push(row.clone());
                    }
                }
                if attrs.contains("count-only") {
                    let mut done = Row::new();
                    done.insert("ret", rows.len().to_string());
                    return Ok(Answer::Done(done));
                }
                if let Some(list) = attrs.get(".proplist") {
                    let keep: Vec<&str> = list.split(',').collect();
                    for row in &mut rows {
                        row.retain(|k, _| keep.contains(&k));
                    }
                }
                Ok(Answer::Rows { rows, empty_reply })
            }
            "add" => {
                if attrs.contains(".id") {
                    return Err(FakeTrap::new(
                        Some(TrapCategory::ArgumentValue),
                        "unknown parameter .id",
                    ));
                }
                let mut props = attrs.clone();
                menu.check(&props, None)?;
                if !props.contains("disabled") {
                    props.insert("disabled", "false");
                }
                let id = menu.push(props);
                let mut done = Row::new();
                done.insert("ret", id);
                Ok(Answer::Done(done))
            }
            "set" | "unset" | "remove" => {
                let Some(ids) = attrs.get(".id").or_else(|| attrs.get("numbers")) else {
                    return Err(FakeTrap::new(
                        Some(TrapCategory::ArgumentValue),
                        "missing value(s) of argument(s) .id",
                    ));
                };
                let keys = menu.resolve(ids)?;
                match verb {
                    "remove" => {
                        for k in keys {
                            menu.take(k);
                        }
                    }
                    "unset" => {
                        let Some(prop) = attrs.get("value-name") else {
                            return Err(FakeTrap::new(
                                Some(TrapCategory::ArgumentValue),
                                "missing value(s) of argument(s) value-name",
                            ));
                        };
                        for k in keys {
                            if let Some(mut row) = menu.items.get(&k).cloned() {
                                row.remove(prop);
                                menu.put(k, row);
                            }
                        }
                    }
                    _ => {
                        for k in keys {
                            let mut row = menu.items.get(&k).cloned().unwrap_or_default();
                            for (key, v) in attrs.iter() {
                                if key != ".id" && key != "numbers" {
                                    row.insert(key, v);
                                }
                            }
                            menu.check(&row, Some(k))?;
                            menu.put(k, row);
                        }
                    }
                }
                Ok(Answer::Done(Row::new()))
            }
            _ => Err(FakeTrap::new(
                Some(TrapCategory::MissingItemOrCommand),
                format!("no such command ({verb})"),
            )),
        }
    }
}

fn no_such_command(name: &str) -> FakeTrap {
    FakeTrap::new(
        Some(TrapCategory::MissingItemOrCommand),
        format!("no such command or directory ({name})"),
    )
}

// ------------------------------------------------------------------ certificates

/// A CA and a server certificate for 127.0.0.1 and localhost.
struct Certs {
    ca_pem: String,
    server_pem: String,
    server_key_pem: String,
    server_der: Vec<u8>,
}

impl Certs {
    fn generate() -> Certs {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Fake RouterOS test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let mut params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("server parameters");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "fake-router");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &issuer).expect("server certificate");
        Certs {
            ca_pem: ca.pem(),
            server_pem: cert.pem(),
            server_key_pem: key.serialize_pem(),
            server_der: cert.der().to_vec(),
        }
    }

    fn server_config(&self) -> std::io::Result<rustls::ServerConfig> {
        let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
        let chain = CertificateDer::pem_slice_iter(self.server_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("server certificate: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(self.server_key_pem.as_bytes())
            .map_err(|e| bad(format!("server key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad(format!("TLS: {e}")))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| bad(format!("server certificate: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(version_at_least("7.18", 7, 18));
        assert!(version_at_least("7.19.1", 7, 18));
        assert!(version_at_least("8.0", 7, 18));
        assert!(!version_at_least("7.17.2", 7, 18));
        assert!(!version_at_least("6.49.10", 7, 18));
    }

    #[test]
    fn ids_are_hex() {
        let mut m = Menu::default();
        for _ in 0..26 {
            m.push(Row::new());
        }
        assert_eq!(m.items[&26].id(), Some("*1A"));
        assert_eq!(parse_id("*1A"), Some(26));
        assert_eq!(m.resolve("*1,*1A").unwrap(), [1, 26]);
        assert!(m.resolve("*1B").is_err());
    }
}
