//! What staff and courts read from the AAA runtime's records: online
//! sessions and connection history, the authentication log, usage per
//! billing cycle, "who had address X at time T" (Marco Civil, art. 13;
//! every lookup audited), staff disconnects (a `radius_coa` row the radius
//! node sends), and the retention purge.

use domain::Permission;
use domain::radius::{self as rules, Target};
use serde_json::json;
use store::radius::NewCoa;
/// Connection records, the authentication log, usage and CoA requests as
/// stored, and the filters of their lists, for interfaces to name.
pub use store::radius::{
    AuthEntry, AuthFilter, Coa, IpMatch, Session, SessionFilter, SessionSearch, Usage,
};

use crate::staff::require_any;
use crate::{Caller, Change, Error, Result, Services};

/// Who on the staff may read connection records, the authentication log
/// and CoA requests.
const RADIUS_READ: &[Permission] = &[Permission::RadiusView, Permission::RadiusManage];

/// For a customer caller, that the records belong to it (`owner`: the
/// customer of their contract): another customer's, or no customer's, are
/// `NotFound`. Staff were checked by [`may_view`].
fn require_owner(caller: &Caller, owner: Option<i64>) -> Result<()> {
    match (caller, owner) {
        (Caller::Customer { .. }, Some(o)) => {
            caller.require_for_customer(Permission::RadiusView, o)
        }
        (Caller::Customer { .. }, None) => Err(Error::NotFound),
        _ => Ok(()),
    }
}

/// The customer contract `contract_id` belongs to (`NotFound` if none).
async fn owner_of(svc: &Services, contract_id: i64) -> Result<i64> {
    let mut c = svc.db.conn().await?;
    Ok(store::contracts::get(&mut c, contract_id)
        .await?
        .customer_id)
}

/// Whether `caller` may read RADIUS records at all: staff with
/// `radius.view` or `radius.manage`, and customers (each call then keeps
/// them to their own contracts). What the reads check first, for
/// interfaces that validate paging before.
pub fn may_view(caller: &Caller) -> Result<()> {
    match caller {
        Caller::Customer { .. } => Ok(()),
        _ => require_any(caller, RADIUS_READ),
    }
}

/// The RADIUS hot path: the statements the AAA runtime runs (the
/// accounting committer's batch writes, the subscriber view's loads, the
/// NAS table, the CoA queue, the authentication log), and the outbox
/// reads and cursor its change feed and CoA queue consume. They are the
/// store's own (`store::radius::hot`), re-exported so the runtime reaches
/// the database only through this crate.
pub mod hot {
    pub use store::events::{
        Recorded, advance_cursor, after as events_after, find_cursor, last_id as last_event_id,
        start_cursor,
    };
    pub use store::radius::hot::*;
    pub use store::radius::{NewCoa, insert_coa};
}

/// Rows a list returns at most per page.
pub const MAX_PAGE: i64 = 500;

/// Turns a search box's text into a session search: an IP address (or
/// IPv6 prefix), a MAC address (any common spelling), or a login prefix.
pub fn session_search(q: &str) -> Option<SessionSearch> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    if let Ok(t) = rules::who_target(q) {
        return Some(SessionSearch::Ip(ip_match(&t)));
    }
    if let Ok(mac) = domain::contracts::mac(q) {
        // NAS vendors spell Calling-Station-Id differently; match the usual
        // forms of the same address.
        let (lower, upper) = (mac.to_lowercase(), mac.to_uppercase());
        let forms = vec![
            lower.replace(':', "-"),
            upper.replace(':', "-"),
            lower.replace(':', ""),
            upper.replace(':', ""),
            lower,
            upper,
        ];
        return Some(SessionSearch::Mac(forms));
    }
    Some(SessionSearch::Login(q.to_lowercase()))
}

fn ip_match(t: &Target) -> IpMatch {
    match t {
        Target::V4(a) => IpMatch::V4(a.clone()),
        Target::V6 { prefixes, .. } => IpMatch::V6(prefixes.clone()),
    }
}

/// A page of sessions (newest first) and whether more follow: staff with
/// `radius.view` (or `radius.manage`), or a customer over its own
/// contracts only.
pub async fn sessions(
    svc: &Services,
    caller: &Caller,
    filter: &SessionFilter,
) -> Result<(Vec<Session>, bool)> {
    may_view(caller)?;
    let mut f = filter.clone();
    if let Caller::Customer { customer_id, .. } = caller {
        if let Some(k) = f.contract_id {
            require_owner(caller, Some(owner_of(svc, k).await?))?;
        }
        if f.customer_id.is_some_and(|c| c != *customer_id) {
            return Err(Error::NotFound);
        }
        f.customer_id = Some(*customer_id);
    }
    f.limit = f.limit.clamp(1, MAX_PAGE);
    let mut c = svc.db.conn().await?;
    Ok(store::radius::sessions(&mut c, &f).await?)
}

/// One connection record (as [`sessions`]).
pub async fn session(svc: &Services, caller: &Caller, id: i64) -> Result<Session> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    let s = store::radius::session(&mut c, id).await?;
    require_owner(caller, s.customer_id)?;
    Ok(s)
}

/// Sessions online now (`radius.view` or `radius.manage`).
pub async fn online_count(svc: &Services, caller: &Caller) -> Result<i64> {
    require_any(caller, RADIUS_READ)?;
    let mut c = svc.db.conn().await?;
    Ok(store::radius::online_count(&mut c).await?)
}

/// Accounting records the database refused for their content, waiting in
/// RADIUS nodes' dead letters (`lastmile aaa journal` on the node lists
/// them): the count and the number of nodes (`radius.view` or
/// `radius.manage`).
pub async fn dead_letters(svc: &Services, caller: &Caller) -> Result<(i64, i64)> {
    require_any(caller, RADIUS_READ)?;
    let mut c = svc.db.conn().await?;
    Ok(store::radius::dead_letters(&mut c).await?)
}

/// A page of the authentication log (newest first; as [`sessions`], a
/// customer sees only its own contracts' entries). Unknown results or
/// reasons are refused naming the field.
pub async fn auth_log(
    svc: &Services,
    caller: &Caller,
    filter: &AuthFilter,
) -> Result<(Vec<AuthEntry>, bool)> {
    may_view(caller)?;
    if let Caller::Customer { .. } = caller {
        // The log is kept per contract; a customer names one of its own.
        let k = filter.contract_id.ok_or(Error::NotFound)?;
        require_owner(caller, Some(owner_of(svc, k).await?))?;
    }
    if let Some(r) = &filter.result
        && !rules::AUTH_RESULTS.contains(&r.as_str())
    {
        return Err(Error::invalid(
            "result",
            domain::validate::FieldError::Choice,
        ));
    }
    if let Some(r) = &filter.reason
        && !rules::AUTH_REASONS.contains(&r.as_str())
    {
        return Err(Error::invalid(
            "reason",
            domain::validate::FieldError::Choice,
        ));
    }
    if let (Some(a), Some(b)) = (filter.from, filter.to)
        && a > b
    {
        return Err(Error::invalid_msg("to", "must not be before `from`"));
    }
    let mut f = filter.clone();
    f.limit = f.limit.clamp(1, MAX_PAGE);
    f.login = f
        .login
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty());
    let mut c = svc.db.conn().await?;
    Ok(store::radius::auth_log(&mut c, &f).await?)
}

/// The last `cycles` billing cycles of a contract's usage, oldest first
/// (the order a chart reads): staff with `radius.view` (or
/// `radius.manage`), or the contract's own customer.
pub async fn usage(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
    cycles: i64,
) -> Result<Vec<Usage>> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    let k = store::contracts::get(&mut c, contract_id).await?;
    require_owner(caller, Some(k.customer_id))?;
    let mut rows = store::radius::usage(&mut c, contract_id, cycles.clamp(1, 120)).await?;
    rows.reverse();
    Ok(rows)
}

/// The answer to "who had address X at time T".
#[derive(Debug, Clone)]
pub struct WhoAnswer {
    /// The address or prefix asked about, canonical.
    pub target: String,
    /// Unix seconds.
    pub at: i64,
    pub sessions: Vec<Session>,
}

/// Parses the address and the instant of a lookup (`at` as RFC 3339 or a
/// wall-clock time in the company's zone), naming the field on error.
async fn parse_who(svc: &Services, ip: &str, at: &str) -> Result<(Target, i64)> {
    let target = rules::who_target(ip).map_err(|e| match e {
        domain::validate::FieldError::Required => Error::invalid("ip", e),
        _ => Error::invalid_msg("ip", "must be an IPv4 address or an IPv6 address or prefix"),
    })?;
    let tz = company_tz(svc).await?;
    let at = rules::parse_instant(at, &tz).map_err(|e| match e {
        domain::validate::FieldError::Required => Error::invalid("at", e),
        _ => Error::invalid_msg(
            "at",
            "must be RFC 3339 (2026-03-01T14:05:00-03:00) or YYYY-MM-DD HH:MM",
        ),
    })?;
    Ok((target, at))
}

/// The company's time zone (UTC before setup).
pub async fn company_tz(svc: &Services) -> Result<jiff::tz::TimeZone> {
    let mut c = svc.db.conn().await?;
    Ok(store::system::company::get(&mut c)
        .await?
        .and_then(|c| jiff::tz::TimeZone::get(&c.timezone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC))
}

/// The sessions that held address `ip` (IPv4, or IPv6 address or prefix)
/// at `at` (RFC 3339, or a wall-clock time in the company's zone), with
/// the lookup recorded in the audit log (who asked, for what, how many
/// records answered) in the same transaction: a court-ordered disclosure
/// must leave a trace (`radius.lookup`). A bad address or time is refused
/// naming `ip` or `at`.
pub async fn who(svc: &Services, caller: &Caller, ip: &str, at: &str) -> Result<WhoAnswer> {
    caller.require(Permission::RadiusLookup)?;
    let (target, at) = parse_who(svc, ip, at).await?;
    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let sessions = store::radius::who(&mut tx, &ip_match(&target), at).await?;
    Change::new("radius.who", "address", target.text())
        .after(json!({
            "ip": target.text(),
            "at": at,
            "sessions": sessions.iter().map(|s| s.id).collect::<Vec<_>>(),
        }))
        .record(&mut tx, engine, &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(WhoAnswer {
        target: target.text().to_owned(),
        at,
        sessions,
    })
}

/// Asks the radius node to disconnect an online session: a pending
/// Disconnect-Request in `radius_coa`, audited (`radius.manage`). Refused
/// with `session-closed` when the session already stopped.
pub async fn disconnect(svc: &Services, caller: &Caller, session_id: i64) -> Result<i64> {
    caller.require(Permission::RadiusManage)?;
    let actor = caller.actor();
    let engine = svc.db.engine();
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let s = store::radius::session(&mut tx, session_id).await?;
    if s.stopped_at.is_some() {
        return Err(Error::Refused("session-closed"));
    }
    let id = store::radius::insert_coa(
        &mut tx,
        &NewCoa {
            kind: "disconnect",
            session_id: Some(s.id),
            contract_id: s.contract_id,
            nas_id: s.nas_id,
            reason: "staff",
            requested_by: &actor.name,
        },
        now,
    )
    .await?;
    Change::new("radius.disconnect", "radius_session", s.id)
        .after(json!({
            "coa_id": id, "login": s.login, "nas": s.nas_name,
            "acct_session_id": s.acct_session_id, "framed_ip": s.framed_ip,
        }))
        .record(&mut tx, engine, &actor)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Recent CoA / Disconnect requests, optionally for one contract or
/// session (`radius.view` or `radius.manage`).
pub async fn coa_requests(
    svc: &Services,
    caller: &Caller,
    contract_id: Option<i64>,
    session_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Coa>> {
    require_any(caller, RADIUS_READ)?;
    let mut c = svc.db.conn().await?;
    Ok(store::radius::coa_list(&mut c, contract_id, session_id, limit.clamp(1, MAX_PAGE)).await?)
}

/// Rows deleted per transaction, so a first purge of a large table never
/// holds the writer for long.
const PURGE_BATCH: i64 = 5_000;

/// Deletes connection records that stopped more than the retention setting
/// ago (never less than a year) and authentication log entries older than
/// theirs: the `purge-radius` job's work (`radius.manage`).
pub async fn purge(svc: &Services, caller: &Caller) -> Result<String> {
    caller.require(Permission::RadiusManage)?;
    let settings = crate::system::settings::current(svc).await?;
    let session_days = settings
        .int(domain::system::settings::RADIUS_SESSION_RETENTION_DAYS)
        .max(rules::MIN_SESSION_RETENTION_DAYS);
    let log_days = settings
        .int(domain::system::settings::RADIUS_AUTH_LOG_RETENTION_DAYS)
        .max(1);
    purge_older_than(svc, caller, session_days, log_days).await
}

/// [`purge`] with explicit retentions (days); `session_days` is raised to
/// the legal minimum (`radius.manage`).
pub async fn purge_older_than(
    svc: &Services,
    caller: &Caller,
    session_days: i64,
    log_days: i64,
) -> Result<String> {
    caller.require(Permission::RadiusManage)?;
    let now = store::now();
    let session_cutoff = now - session_days.max(rules::MIN_SESSION_RETENTION_DAYS) * 86_400;
    let log_cutoff = now - log_days.max(1) * 86_400;
    let mut sessions = 0;
    loop {
        let mut tx = svc.db.begin().await?;
        let n = store::radius::purge_sessions(&mut tx, session_cutoff, PURGE_BATCH).await?;
        tx.commit().await?;
        sessions += n;
        if n < PURGE_BATCH as u64 {
            break;
        }
    }
    let mut log = 0;
    loop {
        let mut tx = svc.db.begin().await?;
        let n = store::radius::purge_auth_log(&mut tx, log_cutoff, PURGE_BATCH).await?;
        tx.commit().await?;
        log += n;
        if n < PURGE_BATCH as u64 {
            break;
        }
    }
    Ok(format!(
        "{sessions} connection records and {log} authentication log entries removed"
    ))
}
