//! Routers and concentrators (NAS) that speak RADIUS to Lastmile: the
//! editor's rules, the shared secret kept encrypted (shown again only by an
//! audited reveal), the `nas.changed` outbox event ([`NasChanged`]) the
//! radius nodes reload on, and the CoA-port reachability test.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use domain::Permission;
use domain::event::{NasChange, NasChanged};
use domain::radius::{self as rules, NasKind};
use domain::validate::{self, FieldError};
use serde_json::json;
/// A router as stored, for interfaces to name.
pub use store::nas::Nas;

use crate::staff::require_any;
use crate::{Caller, Change, Error, Result, Services, check};

/// Whether `caller` may read the NAS list (`radius.view` or
/// `radius.manage`).
pub fn may_view(caller: &Caller) -> Result<()> {
    require_any(caller, &[Permission::RadiusView, Permission::RadiusManage])
}

/// Whether `caller` may change NAS (`radius.manage`): what the changes
/// check first, for interfaces that read a body before.
pub fn may_manage(caller: &Caller) -> Result<()> {
    caller.require(Permission::RadiusManage)
}

/// A NAS as the editor, the API or the CLI gives it.
#[derive(Debug, Clone)]
pub struct NasInput {
    pub name: String,
    /// IPv4 or IPv6 source address.
    pub address: String,
    /// The shared secret. On update, empty keeps the current one.
    pub secret: String,
    /// One of [`NasKind`]'s codes.
    pub kind: String,
    pub coa_port: i64,
    pub require_message_authenticator: bool,
    pub disabled: bool,
    pub notes: String,
}

impl Default for NasInput {
    fn default() -> NasInput {
        NasInput {
            name: String::new(),
            address: String::new(),
            secret: String::new(),
            kind: NasKind::Mikrotik.as_str().into(),
            coa_port: 3799,
            require_message_authenticator: false,
            disabled: false,
            notes: String::new(),
        }
    }
}

impl From<&Nas> for NasInput {
    fn from(n: &Nas) -> NasInput {
        NasInput {
            name: n.name.clone(),
            address: n.address.clone(),
            secret: String::new(),
            kind: n.kind.clone(),
            coa_port: n.coa_port,
            require_message_authenticator: n.require_message_authenticator,
            disabled: n.disabled,
            notes: n.notes.clone(),
        }
    }
}

/// What [`delete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    Deleted,
    /// Connection records or log entries refer to it: kept, disabled.
    Disabled,
}

/// The audit view of a NAS: never the secret.
fn nas_json(n: &Nas) -> serde_json::Value {
    serde_json::to_value(n).unwrap_or_default()
}

/// Checks the fields other than the secret; returns (name, address, kind).
fn validated(input: &NasInput) -> Result<(String, String, NasKind)> {
    let name = input.name.trim().to_owned();
    check("name", rules::nas_name(&name))?;
    let address = rules::nas_address(&input.address).map_err(|e| match e {
        FieldError::Required => Error::invalid("address", e),
        _ => Error::invalid_msg("address", "must be an IPv4 or IPv6 address"),
    })?;
    let kind = NasKind::parse(&input.kind).ok_or(Error::invalid("kind", FieldError::Choice))?;
    check("coa_port", rules::port(input.coa_port))?;
    check("notes", validate::optional_multiline(&input.notes, 2000))?;
    Ok((name, address, kind))
}

fn check_secret(s: &str) -> Result<()> {
    check("secret", validate::required(s, 128))?;
    // A secret with control characters cannot be typed on most routers and
    // usually means a paste went wrong.
    if s.chars().any(char::is_control) {
        return Err(Error::invalid_msg(
            "secret",
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn conflict(e: store::Error) -> Error {
    match e {
        store::Error::Conflict(what) => Error::Conflict(what),
        other => other.into(),
    }
}

/// The `nas.changed` event radius nodes reload on.
fn changed(nas_id: i64, action: NasChange) -> NasChanged {
    NasChanged { nas_id, action }
}

/// Registers a NAS (`radius.manage`).
pub async fn create(svc: &Services, caller: &Caller, input: &NasInput) -> Result<i64> {
    may_manage(caller)?;
    let (name, address, kind) = validated(input)?;
    check_secret(&input.secret)?;
    let row = Nas {
        id: 0,
        name,
        address,
        secret: svc.secrets.encrypt(&input.secret),
        kind: kind.as_str().into(),
        coa_port: input.coa_port,
        require_message_authenticator: input.require_message_authenticator,
        seen_message_authenticator: false,
        disabled: input.disabled,
        notes: input.notes.trim().to_owned(),
        created_at: 0,
        updated_at: 0,
    };
    let engine = svc.db.engine();
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let id = store::nas::insert(&mut tx, &row, now)
        .await
        .map_err(conflict)?;
    let created = store::nas::get(&mut tx, id).await?;
    // Every NAS is a router in the network inventory.
    crate::network::inventory::adopt_nas(&mut tx, id, &created.name, &created.address, now).await?;
    Change::new("nas.create", "nas", id)
        .after(nas_json(&created))
        .event(changed(id, NasChange::Created))
        .record(&mut tx, engine, &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a NAS; an empty secret keeps the current one (`radius.manage`).
pub async fn update(svc: &Services, caller: &Caller, id: i64, input: &NasInput) -> Result<()> {
    may_manage(caller)?;
    // The form's mistakes are named before the NAS is looked up.
    validated(input)?;
    if !input.secret.is_empty() {
        check_secret(&input.secret)?;
    }
    write(svc, caller, id, |_| input.clone()).await?;
    Ok(())
}

/// Changes to a NAS, each field optional (an API `PATCH`): omitted fields
/// keep their value.
#[derive(Debug, Clone, Default)]
pub struct NasPatch {
    pub name: Option<String>,
    pub address: Option<String>,
    /// A new shared secret; an empty one is refused.
    pub secret: Option<String>,
    pub kind: Option<String>,
    pub coa_port: Option<i64>,
    pub require_message_authenticator: Option<bool>,
    pub disabled: Option<bool>,
    pub notes: Option<String>,
}

/// Applies `patch` over the NAS as it is, read in the same transaction as
/// the write (`radius.manage`); returns the NAS as it is now.
pub async fn patch(svc: &Services, caller: &Caller, id: i64, patch: &NasPatch) -> Result<Nas> {
    may_manage(caller)?;
    if patch.secret.as_deref() == Some("") {
        return Err(Error::invalid("secret", FieldError::Required));
    }
    write(svc, caller, id, |cur| {
        let p = patch.clone();
        NasInput {
            name: p.name.unwrap_or(cur.name),
            address: p.address.unwrap_or(cur.address),
            secret: p.secret.unwrap_or_default(),
            kind: p.kind.unwrap_or(cur.kind),
            coa_port: p.coa_port.unwrap_or(cur.coa_port),
            require_message_authenticator: p
                .require_message_authenticator
                .unwrap_or(cur.require_message_authenticator),
            disabled: p.disabled.unwrap_or(cur.disabled),
            notes: p.notes.unwrap_or(cur.notes),
        }
    })
    .await
}

/// Writes NAS `id` as `edit` makes it from its current fields (secret
/// empty: kept unless `edit` sets one), audited and announced.
async fn write(
    svc: &Services,
    caller: &Caller,
    id: i64,
    edit: impl FnOnce(NasInput) -> NasInput,
) -> Result<Nas> {
    let engine = svc.db.engine();
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let before = store::nas::get(&mut tx, id).await?;
    let input = edit(NasInput::from(&before));
    let (name, address, kind) = validated(&input)?;
    let new_secret = !input.secret.is_empty();
    if new_secret {
        check_secret(&input.secret)?;
    }
    let row = Nas {
        name,
        address,
        secret: if new_secret {
            svc.secrets.encrypt(&input.secret)
        } else {
            before.secret.clone()
        },
        kind: kind.as_str().into(),
        coa_port: input.coa_port,
        require_message_authenticator: input.require_message_authenticator,
        disabled: input.disabled,
        notes: input.notes.trim().to_owned(),
        ..before.clone()
    };
    store::nas::update(&mut tx, id, &row, now)
        .await
        .map_err(conflict)?;
    let after = store::nas::get(&mut tx, id).await?;
    let mut after_json = nas_json(&after);
    if new_secret && let Some(o) = after_json.as_object_mut() {
        // Say that it changed, never what it is.
        o.insert("secret_changed".into(), json!(true));
    }
    Change::new("nas.update", "nas", id)
        .before(nas_json(&before))
        .after(after_json)
        .event(changed(id, NasChange::Updated))
        .record(&mut tx, engine, &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a NAS that nothing refers to; one with connection records, log
/// entries or CoA requests is disabled instead (the records must keep
/// naming it; `radius.manage`).
pub async fn delete(svc: &Services, caller: &Caller, id: i64) -> Result<Removed> {
    may_manage(caller)?;
    let actor = caller.actor();
    let engine = svc.db.engine();
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let before = store::nas::get(&mut tx, id).await?;
    let removed = if store::nas::in_use(&mut tx, id).await? {
        let row = Nas {
            disabled: true,
            ..before.clone()
        };
        store::nas::update(&mut tx, id, &row, now).await?;
        Change::new("nas.disable", "nas", id)
            .before(nas_json(&before))
            .after(json!({"disabled": true, "reason": "has connection records"}))
            .event(changed(id, NasChange::Disabled))
            .record(&mut tx, engine, &actor)
            .await?;
        Removed::Disabled
    } else {
        store::nas::delete(&mut tx, id).await?;
        Change::new("nas.delete", "nas", id)
            .before(nas_json(&before))
            .event(changed(id, NasChange::Deleted))
            .record(&mut tx, engine, &actor)
            .await?;
        Removed::Deleted
    };
    tx.commit().await?;
    Ok(removed)
}

/// One NAS (`radius.view` or `radius.manage`).
pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Nas> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::nas::get(&mut c, id).await?)
}

/// Every NAS, by name (`radius.view` or `radius.manage`).
pub async fn list(svc: &Services, caller: &Caller) -> Result<Vec<Nas>> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::nas::list(&mut c).await?)
}

/// Online sessions per NAS id (`radius.view` or `radius.manage`).
pub async fn online_counts(
    svc: &Services,
    caller: &Caller,
) -> Result<std::collections::HashMap<i64, i64>> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::nas::online_counts(&mut c)
        .await?
        .into_iter()
        .collect())
}

/// The clear-text secret of a NAS row (no audit: the CoA test's own
/// packet).
fn secret_of(svc: &Services, n: &Nas) -> Result<String> {
    svc.secrets
        .decrypt(&n.secret)
        .map_err(|e| Error::Internal(format!("NAS {} secret: {e}", n.id)))
}

/// Shows a NAS's secret to a person (`radius.manage`), recording who saw
/// it (`nas.secret_revealed`).
pub async fn reveal_secret(svc: &Services, caller: &Caller, id: i64) -> Result<String> {
    may_manage(caller)?;
    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let n = store::nas::get(&mut tx, id).await?;
    let secret = secret_of(svc, &n)?;
    Change::new("nas.secret_revealed", "nas", id)
        .after(json!({"name": n.name}))
        .record(&mut tx, engine, &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(secret)
}

/// What the reachability test saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    /// A reply came back. `authentic` is false when its authenticators do
    /// not verify with our secret (the secrets differ).
    Answered {
        code: String,
        millis: u64,
        authentic: bool,
    },
    /// Nothing within the timeout.
    NoAnswer { timeout_ms: u64 },
    /// The request could not be sent (no route, bad address…).
    Failed(String),
}

/// How long the test waits for a reply.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends a CoA-Request with a Message-Authenticator for a session that does
/// not exist to the NAS's CoA port, and reports whether anything answered
/// within [`TEST_TIMEOUT`] (a NAS that listens answers CoA-NAK, Error-Cause
/// 503 "Session Context Not Found"; no session is touched;
/// `radius.manage`).
pub async fn test_coa(svc: &Services, caller: &Caller, id: i64) -> Result<Reachability> {
    may_manage(caller)?;
    let n = get(svc, caller, id).await?;
    let secret = secret_of(svc, &n)?;
    let ip: IpAddr = n
        .address
        .parse()
        .map_err(|_| Error::Internal(format!("NAS {id} has address {}", n.address)))?;
    let port = u16::try_from(n.coa_port)
        .map_err(|_| Error::Internal(format!("NAS {id} has CoA port {}", n.coa_port)))?;
    Ok(probe(SocketAddr::new(ip, port), secret.as_bytes(), TEST_TIMEOUT).await)
}

/// The probe behind [`test_coa`], on any address (tests use a local socket).
pub async fn probe(to: SocketAddr, secret: &[u8], timeout: Duration) -> Reachability {
    let identifier: u8 = rand::random();
    let mut req = radius::Packet::new(radius::Code::CoaRequest, identifier);
    req.add_message_authenticator();
    req.add_text(radius::attr::USER_NAME, "lastmile-reachability-test");
    req.add_text(
        radius::attr::ACCT_SESSION_ID,
        &format!("lastmile-test-{:016x}", rand::random::<u64>()),
    );
    let wire = match req.encode(secret) {
        Ok(w) => w,
        Err(e) => return Reachability::Failed(e.to_string()),
    };
    let mut auth = [0u8; 16];
    auth.copy_from_slice(&wire[4..20]);
    let bind: SocketAddr = if to.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let sock = match tokio::net::UdpSocket::bind(bind).await {
        Ok(s) => s,
        Err(e) => return Reachability::Failed(e.to_string()),
    };
    if let Err(e) = sock.connect(to).await {
        return Reachability::Failed(e.to_string());
    }
    let started = Instant::now();
    if let Err(e) = sock.send(&wire).await {
        return Reachability::Failed(e.to_string());
    }
    let mut buf = vec![0u8; radius::MAX_PACKET_LEN];
    let deadline = started + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let got = tokio::time::timeout(left, sock.recv(&mut buf)).await;
        let len = match got {
            Err(_) => {
                return Reachability::NoAnswer {
                    timeout_ms: timeout.as_millis() as u64,
                };
            }
            // An ICMP "port unreachable" surfaces as a receive error on a
            // connected socket: that is a clear "nothing listens".
            Ok(Err(e)) => return Reachability::Failed(e.to_string()),
            Ok(Ok(len)) => len,
        };
        let bytes = &buf[..len];
        // Replies to someone else's identifier are not ours; keep waiting.
        if bytes.len() < radius::HEADER_LEN || bytes[1] != identifier {
            continue;
        }
        let millis = started.elapsed().as_millis() as u64;
        return match radius::Packet::decode_response(bytes, secret, &auth) {
            Ok(p) => Reachability::Answered {
                code: format!("{:?}", p.code),
                millis,
                authentic: p.verify_response_authenticator().is_ok(),
            },
            Err(_) => Reachability::Answered {
                code: format!("code {}", bytes[0]),
                millis,
                authentic: false,
            },
        };
    }
}
