//! The authentication log, written in batches by the RADIUS node.

use sqlx::AnyConnection;

use super::Placeholders;
use crate::{Engine, Result};

/// One `radius_auth_log` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthLine {
    /// Unix seconds.
    pub at: i64,
    /// nas.id
    pub nas_id: i64,
    /// User-Name as sent.
    pub login: String,
    /// The contract, when the login is known.
    pub contract_id: Option<i64>,
    /// pap, chap, mschap, mschapv2 or ''.
    pub method: &'static str,
    /// accept, restricted or reject.
    pub result: &'static str,
    /// Reason code ('' for a plain accept).
    pub reason: &'static str,
    /// Calling-Station-Id as sent.
    pub calling_station_id: String,
}

/// Rows per INSERT statement (8 parameters each, well under both engines'
/// limits).
const ROWS_PER_INSERT: usize = 500;

/// Appends lines, one multi-row INSERT per 500.
pub async fn insert_auth_log(
    c: &mut AnyConnection,
    engine: Engine,
    lines: &[AuthLine],
) -> Result<()> {
    for chunk in lines.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO radius_auth_log (at, nas_id, login, contract_id, method, result, reason, calling_station_id) VALUES ",
        );
        Placeholders::new(engine).rows(&mut sql, chunk.len(), 8);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for l in chunk {
            q = q
                .bind(l.at)
                .bind(l.nas_id)
                .bind(&l.login)
                .bind(l.contract_id)
                .bind(l.method)
                .bind(l.result)
                .bind(l.reason)
                .bind(&l.calling_station_id);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}
