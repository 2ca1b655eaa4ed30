//! The accounting committer's statements: session rows written many at a
//! time, usage per contract and cycle, the journal position, the stale
//! sweep.

use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;

use super::{Placeholders, ladder};
use crate::{Engine, Result};

/// A `radius_sessions` row as the committer writes it, borrowed from the
/// accounting records it folds (a transaction folds thousands; copies
/// would double its allocations).
#[derive(Debug, Clone)]
pub struct SessionRow<'r> {
    /// nas.id
    pub nas_id: i64,
    /// Acct-Session-Id.
    pub session_id: &'r str,
    /// User-Name.
    pub login: &'r str,
    /// The contract of the login, when known (written by inserts only).
    pub contract_id: Option<i64>,
    /// Framed-IP-Address.
    pub framed_ip: Option<&'r str>,
    /// Framed-IPv6-Prefix.
    pub framed_ipv6_prefix: Option<&'r str>,
    /// Delegated-IPv6-Prefix.
    pub delegated_ipv6_prefix: Option<&'r str>,
    /// Calling-Station-Id.
    pub calling_station_id: &'r str,
    /// NAS-Port-Id.
    pub nas_port_id: &'r str,
    /// When the session started (Unix seconds).
    pub started_at: i64,
    /// When its last record was sent (`updated_at`, and `stopped_at` once
    /// stopped).
    pub at: i64,
    /// Whether a Stop closed it.
    pub stopped: bool,
    /// Octets from the subscriber.
    pub input: i64,
    /// Octets to the subscriber.
    pub output: i64,
    /// Acct-Session-Time.
    pub session_time: i64,
    /// Acct-Terminate-Cause name ('' until a Stop).
    pub terminate_cause: &'r str,
}

/// An open session as stored: its id and the counters last written (the
/// committer turns absolute counters into usage deltas from them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRow {
    /// radius_sessions.id
    pub id: i64,
    /// Acct-Session-Id.
    pub session_id: String,
    /// The contract, when known.
    pub contract_id: Option<i64>,
    /// Octets from the subscriber.
    pub input: i64,
    /// Octets to the subscriber.
    pub output: i64,
    /// Acct-Session-Time.
    pub session_time: i64,
}

/// Usage to add to one contract's cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageDelta<'a> {
    /// contracts.id
    pub contract_id: i64,
    /// The cycle's first day (`YYYY-MM-DD`).
    pub cycle_start: &'a str,
    /// Octets from the subscriber.
    pub input: i64,
    /// Octets to the subscriber.
    pub output: i64,
    /// Seconds online.
    pub session_time: i64,
}

/// Rows per multi-row statement at most: 16 × 256 = 4,096 placeholders,
/// well under SQLite's 32,766 and PostgreSQL's 65,535.
const CHUNK: usize = 256;

/// Inserts new session rows, open or already closed, with one multi-row
/// `INSERT … ON CONFLICT (nas_id, acct_session_id) WHERE stopped_at IS
/// NULL DO NOTHING` per chunk. Returns each row's id in the order given,
/// or `None` where an open row of that session was already there (the
/// caller redoes those one by one). Sessions must be unique in `rows`.
pub async fn insert_sessions(
    c: &mut AnyConnection,
    engine: Engine,
    rows: &[&SessionRow<'_>],
) -> Result<Vec<Option<i64>>> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in ladder(rows, CHUNK) {
        let mut sql = String::with_capacity(400 + chunk.len() * 80);
        sql.push_str(
            "INSERT INTO radius_sessions (nas_id, acct_session_id, login, contract_id, framed_ip,
                framed_ipv6_prefix, delegated_ipv6_prefix, calling_station_id, nas_port_id,
                started_at, updated_at, stopped_at, input_octets, output_octets, session_time, terminate_cause)
             VALUES ",
        );
        Placeholders::new(engine).rows(&mut sql, chunk.len(), 16);
        sql.push_str(
            " ON CONFLICT (nas_id, acct_session_id) WHERE stopped_at IS NULL DO NOTHING
             RETURNING id, nas_id, acct_session_id",
        );
        let mut q = sqlx::query_as::<_, (i64, i64, String)>(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.nas_id)
                .bind(r.session_id.to_owned())
                .bind(r.login.to_owned())
                .bind(r.contract_id)
                .bind(r.framed_ip.map(str::to_owned))
                .bind(r.framed_ipv6_prefix.map(str::to_owned))
                .bind(r.delegated_ipv6_prefix.map(str::to_owned))
                .bind(r.calling_station_id.to_owned())
                .bind(r.nas_port_id.to_owned())
                .bind(r.started_at)
                .bind(r.at)
                .bind(r.stopped.then_some(r.at))
                .bind(r.input)
                .bind(r.output)
                .bind(r.session_time)
                .bind(r.terminate_cause.to_owned());
        }
        // RETURNING order is not the VALUES order on either engine: match
        // rows back by their (NAS, Acct-Session-Id), unique in this chunk.
        let inserted: HashMap<(i64, String), i64> = q
            .fetch_all(&mut *c)
            .await?
            .into_iter()
            .map(|(id, nas, session)| ((nas, session), id))
            .collect();
        for r in chunk {
            ids.push(inserted.get(&(r.nas_id, r.session_id.to_owned())).copied());
        }
    }
    Ok(ids)
}

/// Brings open rows (by id) to their new state, one multi-row `UPDATE …
/// FROM (VALUES …)` per chunk (the first Framed-IP-Address seen stays).
/// Returns, in the order given, whether each row was updated: `false` when
/// it was closed meanwhile (the stale sweep, another node).
pub async fn update_sessions(
    c: &mut AnyConnection,
    engine: Engine,
    rows: &[(i64, &SessionRow<'_>)],
) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in ladder(rows, CHUNK) {
        let mut sql = String::from(
            "UPDATE radius_sessions SET updated_at = v.column2, input_octets = v.column3, output_octets = v.column4, session_time = v.column5, stopped_at = v.column6, terminate_cause = v.column7, framed_ip = COALESCE(radius_sessions.framed_ip, v.column8) FROM (VALUES ",
        );
        Placeholders::new(engine).rows(&mut sql, chunk.len(), 8);
        sql.push_str(") AS v WHERE radius_sessions.id = v.column1 AND radius_sessions.stopped_at IS NULL RETURNING radius_sessions.id");
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for (id, r) in chunk {
            q = q
                .bind(*id)
                .bind(r.at)
                .bind(r.input)
                .bind(r.output)
                .bind(r.session_time)
                .bind(r.stopped.then_some(r.at))
                .bind(r.terminate_cause.to_owned())
                .bind(r.framed_ip.map(str::to_owned));
        }
        let updated: HashSet<i64> = q.fetch_all(&mut *c).await?.into_iter().collect();
        out.extend(chunk.iter().map(|(id, _)| updated.contains(id)));
    }
    Ok(out)
}

/// Brings one open row to `r`'s state (the one-by-one path; the first
/// addresses seen stay). `false` when it was closed meanwhile.
pub async fn update_session(c: &mut AnyConnection, id: i64, r: &SessionRow<'_>) -> Result<bool> {
    let res = sqlx::query(
        "UPDATE radius_sessions SET updated_at = $1, input_octets = $2, output_octets = $3,
                session_time = $4, framed_ip = COALESCE(framed_ip, $5),
                framed_ipv6_prefix = COALESCE(framed_ipv6_prefix, $6),
                delegated_ipv6_prefix = COALESCE(delegated_ipv6_prefix, $7),
                stopped_at = $8, terminate_cause = $9
          WHERE id = $10 AND stopped_at IS NULL",
    )
    .bind(r.at)
    .bind(r.input)
    .bind(r.output)
    .bind(r.session_time)
    .bind(r.framed_ip)
    .bind(r.framed_ipv6_prefix)
    .bind(r.delegated_ipv6_prefix)
    .bind(r.stopped.then_some(r.at))
    .bind(r.terminate_cause)
    .bind(id)
    .execute(c)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// The open rows of these sessions of one NAS, one query per chunk.
pub async fn open_sessions(
    c: &mut AnyConnection,
    engine: Engine,
    nas_id: i64,
    session_ids: &[&str],
) -> Result<Vec<OpenRow>> {
    let mut out = Vec::new();
    for chunk in ladder(session_ids, CHUNK) {
        let mut p = Placeholders::new(engine);
        let mut sql = String::from(
            "SELECT id, acct_session_id, contract_id, input_octets, output_octets, session_time
               FROM radius_sessions WHERE stopped_at IS NULL AND nas_id = ",
        );
        p.push(&mut sql);
        sql.push_str(" AND acct_session_id IN ");
        p.rows(&mut sql, 1, chunk.len());
        let mut q = sqlx::query_as::<_, (i64, String, Option<i64>, i64, i64, i64)>(
            sqlx::AssertSqlSafe(sql),
        )
        .bind(nas_id);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut *c).await?.into_iter().map(
            |(id, session_id, contract_id, input, output, session_time)| OpenRow {
                id,
                session_id,
                contract_id,
                input,
                output,
                session_time,
            },
        ));
    }
    Ok(out)
}

/// The open row of one session.
pub async fn open_session(
    c: &mut AnyConnection,
    nas_id: i64,
    session_id: &str,
) -> Result<Option<OpenRow>> {
    let row: Option<(i64, Option<i64>, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, contract_id, input_octets, output_octets, session_time FROM radius_sessions
          WHERE nas_id = $1 AND acct_session_id = $2 AND stopped_at IS NULL",
    )
    .bind(nas_id)
    .bind(session_id)
    .fetch_optional(c)
    .await?;
    Ok(
        row.map(|(id, contract_id, input, output, session_time)| OpenRow {
            id,
            session_id: session_id.to_owned(),
            contract_id,
            input,
            output,
            session_time,
        }),
    )
}

/// Whether this session has a row closed at or after `since` (a
/// retransmitted Stop finds its session closed).
pub async fn closed_since(
    c: &mut AnyConnection,
    nas_id: i64,
    session_id: &str,
    since: i64,
) -> Result<bool> {
    let closed: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM radius_sessions
          WHERE nas_id = $1 AND acct_session_id = $2 AND stopped_at IS NOT NULL
            AND stopped_at >= $3 LIMIT 1",
    )
    .bind(nas_id)
    .bind(session_id)
    .bind(since)
    .fetch_optional(c)
    .await?;
    Ok(closed.is_some())
}

/// Closes every open session of a NAS (Accounting-On/Off: it rebooted);
/// returns the contracts of the rows closed, one entry per row.
pub async fn close_nas_sessions(c: &mut AnyConnection, nas_id: i64, at: i64) -> Result<Vec<i64>> {
    let closed: Vec<Option<i64>> = sqlx::query_scalar(
        "UPDATE radius_sessions SET stopped_at = $1, updated_at = $1, terminate_cause = 'nas-reboot'
          WHERE nas_id = $2 AND stopped_at IS NULL RETURNING contract_id",
    )
    .bind(at)
    .bind(nas_id)
    .fetch_all(c)
    .await?;
    Ok(closed.into_iter().flatten().collect())
}

/// Closes sessions not updated since `cutoff` (`terminate_cause =
/// 'stale'`, stopped at their last update); returns how many, and the
/// contracts of those that had one.
pub async fn close_stale_sessions(c: &mut AnyConnection, cutoff: i64) -> Result<(usize, Vec<i64>)> {
    let closed: Vec<Option<i64>> = sqlx::query_scalar(
        "UPDATE radius_sessions SET stopped_at = updated_at, terminate_cause = 'stale'
          WHERE stopped_at IS NULL AND updated_at < $1 RETURNING contract_id",
    )
    .bind(cutoff)
    .fetch_all(c)
    .await?;
    Ok((closed.len(), closed.into_iter().flatten().collect()))
}

/// Adds usage, one multi-row upsert per chunk. Pass the deltas sorted by
/// (contract, cycle): concurrent writers (several nodes on PostgreSQL)
/// then lock the usage rows in the same order and cannot deadlock on them.
/// Sums saturate at i64's maximum instead of overflowing (PostgreSQL would
/// raise, SQLite turn the column into REAL).
pub async fn add_usage(
    c: &mut AnyConnection,
    engine: Engine,
    deltas: &[UsageDelta<'_>],
    at: i64,
) -> Result<()> {
    for chunk in ladder(deltas, CHUNK) {
        let mut sql = String::from(
            "INSERT INTO contract_usage (contract_id, cycle_start, input_octets, output_octets, session_time, updated_at) VALUES ",
        );
        Placeholders::new(engine).rows(&mut sql, chunk.len(), 6);
        sql.push_str(
            " ON CONFLICT (contract_id, cycle_start) DO UPDATE SET
               input_octets = CASE WHEN contract_usage.input_octets > 9223372036854775807 - excluded.input_octets
                 THEN 9223372036854775807 ELSE contract_usage.input_octets + excluded.input_octets END,
               output_octets = CASE WHEN contract_usage.output_octets > 9223372036854775807 - excluded.output_octets
                 THEN 9223372036854775807 ELSE contract_usage.output_octets + excluded.output_octets END,
               session_time = CASE WHEN contract_usage.session_time > 9223372036854775807 - excluded.session_time
                 THEN 9223372036854775807 ELSE contract_usage.session_time + excluded.session_time END,
               updated_at = excluded.updated_at",
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            q = q
                .bind(d.contract_id)
                .bind(d.cycle_start.to_owned())
                .bind(d.input)
                .bind(d.output)
                .bind(d.session_time)
                .bind(at);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Where a node's accounting journal has been applied up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JournalPosition {
    /// Segment number.
    pub segment: i64,
    /// Byte offset in it.
    pub offset: i64,
}

/// Stores the position `node` applied its journal up to and how many dead
/// letters it holds (in the transaction that wrote the records).
pub async fn save_journal_position(
    c: &mut AnyConnection,
    node: &str,
    p: JournalPosition,
    dead_letters: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO radius_journal (node, segment, position, updated_at, dead_letters) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (node) DO UPDATE SET segment = excluded.segment,
           position = excluded.position, updated_at = excluded.updated_at,
           dead_letters = excluded.dead_letters",
    )
    .bind(node)
    .bind(p.segment)
    .bind(p.offset)
    .bind(at)
    .bind(dead_letters)
    .execute(c)
    .await?;
    Ok(())
}

/// The position `node` applied its journal up to, if it ever applied any.
pub async fn journal_position(
    c: &mut AnyConnection,
    node: &str,
) -> Result<Option<JournalPosition>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT segment, position FROM radius_journal WHERE node = $1")
            .bind(node)
            .fetch_optional(c)
            .await?;
    Ok(row.map(|(segment, offset)| JournalPosition { segment, offset }))
}

/// Records how many dead letters `node` holds.
pub async fn set_dead_letters(c: &mut AnyConnection, node: &str, n: i64) -> Result<()> {
    sqlx::query("UPDATE radius_journal SET dead_letters = $1 WHERE node = $2")
        .bind(n)
        .bind(node)
        .execute(c)
        .await?;
    Ok(())
}
