//! What the AAA runtime records, read for staff and courts: connection
//! records (sessions), the authentication log, usage per billing cycle, and
//! CoA / Disconnect requests; plus the retention purge. What the AAA
//! runtime itself runs, on its hot path, is in [`hot`].

pub mod hot;

use sqlx::AnyConnection;

use crate::params::{Params, id_list};
use crate::staff::users::escape_like;
use crate::{Error, Result};

/// A connection record with the names staff need next to it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Session {
    pub id: i64,
    pub nas_id: i64,
    pub nas_name: String,
    pub acct_session_id: String,
    pub login: String,
    pub contract_id: Option<i64>,
    pub contract_number: Option<String>,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub plan_id: Option<i64>,
    pub plan_name: Option<String>,
    pub framed_ip: Option<String>,
    pub framed_ipv6_prefix: Option<String>,
    pub delegated_ipv6_prefix: Option<String>,
    pub calling_station_id: String,
    pub nas_port_id: String,
    pub started_at: i64,
    pub updated_at: i64,
    pub stopped_at: Option<i64>,
    pub input_octets: i64,
    pub output_octets: i64,
    pub session_time: i64,
    pub terminate_cause: String,
}

const SESSION_SELECT: &str = "SELECT s.id, s.nas_id, COALESCE(n.name, '') AS nas_name, s.acct_session_id, \
    s.login, s.contract_id, k.number AS contract_number, k.customer_id, c.name AS customer_name, \
    k.plan_id, p.name AS plan_name, s.framed_ip, s.framed_ipv6_prefix, s.delegated_ipv6_prefix, \
    s.calling_station_id, s.nas_port_id, s.started_at, s.updated_at, s.stopped_at, \
    s.input_octets, s.output_octets, s.session_time, s.terminate_cause \
    FROM radius_sessions s LEFT JOIN nas n ON n.id = s.nas_id \
    LEFT JOIN contracts k ON k.id = s.contract_id \
    LEFT JOIN customers c ON c.id = k.customer_id \
    LEFT JOIN plans p ON p.id = k.plan_id";

/// What to search sessions for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionSearch {
    /// Logins starting with this text.
    Login(String),
    /// This IPv4 address, or an IPv6 address inside one of these prefixes.
    Ip(IpMatch),
    /// A Calling-Station-Id, in any of these spellings.
    Mac(Vec<String>),
}

/// An address to match against sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpMatch {
    V4(String),
    /// Every prefix that contains the address (see `domain::radius::who_target`).
    V6(Vec<String>),
}

/// Filters for session lists.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    /// Only sessions without a stop.
    pub online: bool,
    pub search: Option<SessionSearch>,
    pub nas_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Keyset cursor: sessions with `id < before` (newest first).
    pub before: Option<i64>,
    pub limit: i64,
}

fn ip_condition(p: &mut Params, m: &IpMatch) -> String {
    match m {
        IpMatch::V4(a) => format!("s.framed_ip = {}", p.add(a.as_str())),
        IpMatch::V6(prefixes) if prefixes.is_empty() => "1 = 0".into(),
        IpMatch::V6(prefixes) => {
            let list = prefixes
                .iter()
                .map(|x| p.add(x.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            let list2 = prefixes
                .iter()
                .map(|x| p.add(x.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            format!("(s.framed_ipv6_prefix IN ({list}) OR s.delegated_ipv6_prefix IN ({list2}))")
        }
    }
}

/// One page of sessions, newest first, plus whether more follow.
pub async fn sessions(conn: &mut AnyConnection, f: &SessionFilter) -> Result<(Vec<Session>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if f.online {
        conds.push("s.stopped_at IS NULL".into());
    }
    match &f.search {
        None => {}
        Some(SessionSearch::Login(l)) => conds.push(format!(
            "s.login LIKE {} ESCAPE '\\'",
            p.add(format!("{}%", escape_like(l)))
        )),
        Some(SessionSearch::Ip(m)) => conds.push(ip_condition(&mut p, m)),
        Some(SessionSearch::Mac(forms)) => {
            let list = forms
                .iter()
                .map(|x| p.add(x.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            conds.push(format!("s.calling_station_id IN ({list})"));
        }
    }
    if let Some(n) = f.nas_id {
        conds.push(format!("s.nas_id = {}", p.add(n)));
    }
    if let Some(pl) = f.plan_id {
        conds.push(format!("k.plan_id = {}", p.add(pl)));
    }
    if let Some(k) = f.contract_id {
        conds.push(format!("s.contract_id = {}", p.add(k)));
    }
    if let Some(c) = f.customer_id {
        conds.push(format!("k.customer_id = {}", p.add(c)));
    }
    if let Some(b) = f.before {
        conds.push(format!("s.id < {}", p.add(b)));
    }
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "{SESSION_SELECT} WHERE {} ORDER BY s.id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    let mut rows: Vec<Session> = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit.max(0) as usize);
    Ok((rows, more))
}

pub async fn session(conn: &mut AnyConnection, id: i64) -> Result<Session> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SESSION_SELECT} WHERE s.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// The sessions that held `ip` at instant `at` (started at or before it and
/// not stopped before it), oldest first.
pub async fn who(conn: &mut AnyConnection, ip: &IpMatch, at: i64) -> Result<Vec<Session>> {
    let mut p = Params::default();
    let cond = ip_condition(&mut p, ip);
    let t = p.add(at);
    let sql = format!(
        "{SESSION_SELECT} WHERE {cond} AND s.started_at <= {t}
            AND (s.stopped_at IS NULL OR s.stopped_at >= {t})
         ORDER BY s.started_at, s.id LIMIT 100"
    );
    Ok(p.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

/// Online sessions.
pub async fn online_count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM radius_sessions WHERE stopped_at IS NULL")
            .fetch_one(conn)
            .await?,
    )
}

/// Accounting records waiting in RADIUS nodes' dead letters (refused by the
/// database for their content), summed over nodes, and how many nodes hold
/// some.
pub async fn dead_letters(conn: &mut AnyConnection) -> Result<(i64, i64)> {
    let (n, nodes): (Option<i64>, i64) = sqlx::query_as(
        "SELECT CAST(SUM(dead_letters) AS BIGINT), COUNT(*) FROM radius_journal WHERE dead_letters > 0",
    )
    .fetch_one(conn)
    .await?;
    Ok((n.unwrap_or(0), nodes))
}

/// An authentication log entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct AuthEntry {
    pub id: i64,
    pub at: i64,
    pub nas_id: Option<i64>,
    pub nas_name: Option<String>,
    pub login: String,
    pub contract_id: Option<i64>,
    pub method: String,
    pub result: String,
    pub reason: String,
    pub calling_station_id: String,
}

/// Filters for the authentication log.
#[derive(Debug, Clone, Default)]
pub struct AuthFilter {
    /// Logins starting with this text.
    pub login: Option<String>,
    pub result: Option<String>,
    pub reason: Option<String>,
    pub nas_id: Option<i64>,
    pub contract_id: Option<i64>,
    /// `at >= from`.
    pub from: Option<i64>,
    /// `at <= to`.
    pub to: Option<i64>,
    /// Keyset cursor: entries with `id < before` (newest first).
    pub before: Option<i64>,
    pub limit: i64,
}

pub async fn auth_log(conn: &mut AnyConnection, f: &AuthFilter) -> Result<(Vec<AuthEntry>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if let Some(l) = &f.login {
        conds.push(format!(
            "l.login LIKE {} ESCAPE '\\'",
            p.add(format!("{}%", escape_like(l)))
        ));
    }
    if let Some(r) = &f.result {
        conds.push(format!("l.result = {}", p.add(r.as_str())));
    }
    if let Some(r) = &f.reason {
        conds.push(format!("l.reason = {}", p.add(r.as_str())));
    }
    if let Some(n) = f.nas_id {
        conds.push(format!("l.nas_id = {}", p.add(n)));
    }
    if let Some(k) = f.contract_id {
        conds.push(format!("l.contract_id = {}", p.add(k)));
    }
    if let Some(t) = f.from {
        conds.push(format!("l.at >= {}", p.add(t)));
    }
    if let Some(t) = f.to {
        conds.push(format!("l.at <= {}", p.add(t)));
    }
    if let Some(b) = f.before {
        conds.push(format!("l.id < {}", p.add(b)));
    }
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "SELECT l.id, l.at, l.nas_id, n.name AS nas_name, l.login, l.contract_id, l.method,
            l.result, l.reason, l.calling_station_id
         FROM radius_auth_log l LEFT JOIN nas n ON n.id = l.nas_id
         WHERE {} ORDER BY l.id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    let mut rows: Vec<AuthEntry> = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit.max(0) as usize);
    Ok((rows, more))
}

/// Usage of a contract in one billing cycle.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Usage {
    pub contract_id: i64,
    /// `YYYY-MM-DD`.
    pub cycle_start: String,
    pub input_octets: i64,
    pub output_octets: i64,
    pub session_time: i64,
    pub updated_at: i64,
}

/// The last `limit` cycles of a contract, newest first.
pub async fn usage(conn: &mut AnyConnection, contract_id: i64, limit: i64) -> Result<Vec<Usage>> {
    Ok(sqlx::query_as(
        "SELECT contract_id, cycle_start, input_octets, output_octets, session_time, updated_at
         FROM contract_usage WHERE contract_id = $1 ORDER BY cycle_start DESC LIMIT $2",
    )
    .bind(contract_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A CoA-Request or Disconnect-Request and what the NAS answered.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Coa {
    pub id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub kind: String,
    pub session_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub nas_id: i64,
    pub nas_name: String,
    pub login: Option<String>,
    pub reason: String,
    pub status: String,
    pub attempts: i64,
    pub error_cause: Option<i64>,
    pub requested_by: String,
}

/// A new CoA / Disconnect request, `pending` for the radius node.
#[derive(Debug, Clone)]
pub struct NewCoa<'a> {
    pub kind: &'a str,
    pub session_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub nas_id: i64,
    pub reason: &'a str,
    pub requested_by: &'a str,
}

pub async fn insert_coa(conn: &mut AnyConnection, c: &NewCoa<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO radius_coa (created_at, updated_at, kind, session_id, contract_id, nas_id,
            reason, status, requested_by)
         VALUES ($1, $1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING id",
    )
    .bind(at)
    .bind(c.kind)
    .bind(c.session_id)
    .bind(c.contract_id)
    .bind(c.nas_id)
    .bind(c.reason)
    .bind(c.requested_by)
    .fetch_one(conn)
    .await?)
}

/// Recent requests, newest first, optionally for one contract or session.
pub async fn coa_list(
    conn: &mut AnyConnection,
    contract_id: Option<i64>,
    session_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Coa>> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if let Some(k) = contract_id {
        conds.push(format!("r.contract_id = {}", p.add(k)));
    }
    if let Some(s) = session_id {
        conds.push(format!("r.session_id = {}", p.add(s)));
    }
    let lim = p.add(limit);
    let sql = format!(
        "SELECT r.id, r.created_at, r.updated_at, r.kind, r.session_id, r.contract_id, r.nas_id,
            n.name AS nas_name, s.login, r.reason, r.status, r.attempts, r.error_cause,
            r.requested_by
         FROM radius_coa r JOIN nas n ON n.id = r.nas_id
         LEFT JOIN radius_sessions s ON s.id = r.session_id
         WHERE {} ORDER BY r.id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    Ok(p.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

/// Deletes up to `batch` connection records that stopped before `cutoff`
/// (open sessions are never purged); CoA requests that pointed at them
/// keep their row without the link. Returns how many went.
pub async fn purge_sessions(conn: &mut AnyConnection, cutoff: i64, batch: i64) -> Result<u64> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM radius_sessions WHERE stopped_at IS NOT NULL AND stopped_at < $1
         ORDER BY id LIMIT $2",
    )
    .bind(cutoff)
    .bind(batch)
    .fetch_all(&mut *conn)
    .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let list = id_list(&ids);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE radius_coa SET session_id = NULL WHERE session_id IN ({list})"
    )))
    .execute(&mut *conn)
    .await?;
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM radius_sessions WHERE id IN ({list})"
    )))
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// Deletes up to `batch` authentication log entries older than `cutoff`.
pub async fn purge_auth_log(conn: &mut AnyConnection, cutoff: i64, batch: i64) -> Result<u64> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM radius_auth_log WHERE at < $1 ORDER BY id LIMIT $2")
            .bind(cutoff)
            .bind(batch)
            .fetch_all(&mut *conn)
            .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM radius_auth_log WHERE id IN ({})",
        id_list(&ids)
    )))
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}
