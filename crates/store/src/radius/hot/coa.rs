//! The CoA / Disconnect queue as the RADIUS node works it: the open
//! sessions a contract event concerns, pending rows, claiming an attempt
//! and recording the NAS's answer. Rows are added with
//! [`crate::radius::insert_coa`], as staff disconnects are.

use sqlx::AnyConnection;

use crate::Result;

/// The open sessions of a contract: (radius_sessions.id, nas.id).
pub async fn contract_open_sessions(
    c: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, nas_id FROM radius_sessions WHERE contract_id = $1 AND stopped_at IS NULL",
    )
    .bind(contract_id)
    .fetch_all(c)
    .await?)
}

/// A pending request with what the packet names of its session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingCoa {
    /// radius_coa.id
    pub id: i64,
    /// `coa` or `disconnect`.
    pub kind: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// The contract, when known.
    pub contract_id: Option<i64>,
    /// Where it goes.
    pub nas_id: i64,
    /// The session's Acct-Session-Id (none for a contract-wide request).
    pub acct_session_id: Option<String>,
    /// The session's login.
    pub login: Option<String>,
    /// The session's Framed-IP-Address.
    pub framed_ip: Option<String>,
}

/// Pending requests never tried, or last tried at or before `retry_before`,
/// oldest first, at most 200.
pub async fn pending_coa(c: &mut AnyConnection, retry_before: i64) -> Result<Vec<PendingCoa>> {
    Ok(sqlx::query_as(
        "SELECT q.id, q.kind, q.attempts, q.contract_id, q.nas_id, s.acct_session_id, s.login, s.framed_ip
           FROM radius_coa q LEFT JOIN radius_sessions s ON s.id = q.session_id
          WHERE q.status = 'pending' AND (q.attempts = 0 OR q.updated_at <= $1)
          ORDER BY q.id LIMIT 200",
    )
    .bind(retry_before)
    .fetch_all(c)
    .await?)
}

/// Claims the next attempt of a pending request that has made `attempts`
/// (compare-and-swap: another node may be looking at the same row).
/// `false` when someone else claimed it or it is no longer pending.
pub async fn claim_coa(c: &mut AnyConnection, id: i64, attempts: i64, at: i64) -> Result<bool> {
    let claimed = sqlx::query(
        "UPDATE radius_coa SET attempts = attempts + 1, updated_at = $1
          WHERE id = $2 AND status = 'pending' AND attempts = $3",
    )
    .bind(at)
    .bind(id)
    .bind(attempts)
    .execute(c)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Records a request's outcome: `ack`, `nak` (with the NAS's Error-Cause)
/// or `failed`.
pub async fn record_coa(
    c: &mut AnyConnection,
    id: i64,
    status: &str,
    error_cause: Option<i64>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE radius_coa SET status = $1, error_cause = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(status)
    .bind(error_cause)
    .bind(at)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}
