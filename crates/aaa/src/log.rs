//! The authentication log writer: auth threads `try_send` a line (never
//! waiting); this task writes whatever is queued in one multi-row INSERT
//! per transaction. A full queue drops the line and counts it.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use services::Services;
use services::radius::hot;
use tokio::sync::mpsc;

use crate::metrics::Metrics;

/// Queue length; past it lines are dropped.
pub const QUEUE: usize = 65_536;

/// One `radius_auth_log` row.
pub use hot::AuthLine as Line;

/// Queues a line without waiting.
pub fn push(tx: &mpsc::Sender<Line>, metrics: &Metrics, line: Line) {
    if tx.try_send(line).is_err() {
        metrics.auth_log_dropped.fetch_add(1, Relaxed);
    }
}

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
    hot::insert_auth_log(&mut tx, svc.db.engine(), lines).await?;
    tx.commit().await?;
    Ok(())
}
