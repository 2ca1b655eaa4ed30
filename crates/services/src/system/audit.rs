//! Recording and checking the audit log.

use domain::Permission;
use domain::system::audit::{Edge, period_bound};
use store::AnyConnection;
use store::system::audit::{Change, Filter};
/// Audit entries and the chain's verdict, for interfaces to name.
pub use store::system::audit::{Entry, Verdict};

use crate::{Actor, Caller, Error, Result, Services};

/// Records `change` by `actor` inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut AnyConnection,
    engine: store::Engine,
    actor: &Actor,
    action: &str,
    entity_kind: &str,
    entity_id: impl ToString,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    let id = entity_id.to_string();
    let change = Change {
        action,
        entity_kind,
        entity_id: &id,
        before,
        after,
    };
    store::system::audit::append(conn, engine, actor, &change, store::now()).await?;
    Ok(())
}

/// What the audit list is filtered by, as the page's form and the API's
/// query give it. `from` and `to` are text: [`list`] reads them in the
/// installation's time zone (see [`domain::system::audit::period_bound`]).
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The actor's name (exact).
    pub actor: Option<String>,
    /// An action or its prefix (`user.`).
    pub action: Option<String>,
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    /// The period's start: a date (its first instant), a wall-clock time,
    /// RFC 3339 or Unix seconds.
    pub from: Option<String>,
    /// The period's end: a date (the whole day included), a wall-clock
    /// time, RFC 3339 or Unix seconds (not included).
    pub to: Option<String>,
    /// Keyset cursor: entries with `id < before`.
    pub before: Option<i64>,
    pub limit: i64,
}

/// Whether `caller` may read the audit log (`audit.view`): what [`list`]
/// checks first, for interfaces that validate paging before.
pub fn may_view(caller: &Caller) -> Result<()> {
    caller.require(Permission::AuditView)
}

/// A page of entries, newest first, and whether more follow
/// (`audit.view`). A `from` or `to` that is not a date or time is refused
/// naming the field.
pub async fn list(svc: &Services, caller: &Caller, q: &Query) -> Result<(Vec<Entry>, bool)> {
    may_view(caller)?;
    let tz = crate::system::setup::timezone(svc).await?;
    let bound = |field: &'static str, v: &Option<String>, edge: Edge| {
        period_bound(v.as_deref().unwrap_or(""), &tz, edge).map_err(|e| Error::invalid(field, e))
    };
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let filter = Filter {
        actor: text(&q.actor),
        action: text(&q.action),
        entity_kind: text(&q.entity_kind),
        entity_id: text(&q.entity_id),
        from: bound("from", &q.from, Edge::From)?,
        to: bound("to", &q.to, Edge::To)?,
        before: q.before,
        limit: q.limit,
    };
    let mut c = svc.db.conn().await?;
    Ok(store::system::audit::list(&mut c, &filter).await?)
}

/// One entry (`audit.view`).
pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Entry> {
    caller.require(Permission::AuditView)?;
    let mut c = svc.db.conn().await?;
    store::system::audit::get(&mut c, id)
        .await?
        .ok_or(crate::Error::NotFound)
}

/// Checks the whole hash chain (`audit.view`).
pub async fn verify(svc: &Services, caller: &Caller) -> Result<Verdict> {
    caller.require(Permission::AuditView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::system::audit::verify(&mut c).await?)
}
