//! The authentication log writer: auth threads `try_send` a line (never
//! waiting); this task writes whatever is queued in one multi-row INSERT
//! per transaction. A full queue drops the line and counts it.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use services::Services;
use tokio::sync::mpsc;

use crate::metrics::Metrics;

/// Queue length; past it lines are dropped.
pub const QUEUE: usize = 65_536;

/// One `radius_auth_log` row.
#[derive(Debug, Clone)]
pub struct Line {
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

/// Queues a line without waiting.
pub fn push(tx: &mpsc::Sender<Line>, metrics: &Metrics, line: Line) {
    if tx.try_send(line).is_err() {
        metrics.auth_log_dropped.fetch_add(1, Relaxed);
    }
}

/// Rows per INSERT statement (7 parameters each, well under both engines'
/// limits).
const ROWS_PER_INSERT: usize = 500;

/// Writes queued lines until every sender is gone.
pub async fn writer(svc: Services, mut rx: mpsc::Receiver<Line>, metrics: Arc<Metrics>) {
    let mut batch = Vec::with_capacity(4096);
    while rx.recv_many(&mut batch, 4096).await > 0 {
        if let Err(e) = write(&svc, &batch).await {
            tracing::warn!(error = %e, lines = batch.len(), "cannot write the RADIUS authentication log");
            metrics
                .auth_log_dropped
                .fetch_add(batch.len() as u64, Relaxed);
        }
        batch.clear();
        // Let lines accumulate a little: fewer, larger transactions.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn write(svc: &Services, lines: &[Line]) -> crate::Result<()> {
    let mut tx = svc.db.begin().await?;
    for chunk in lines.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO radius_auth_log (at, nas_id, login, contract_id, method, result, reason, calling_station_id) VALUES ",
        );
        crate::sql::Placeholders::new(svc.db.engine()).rows(&mut sql, chunk.len(), 8);
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
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
