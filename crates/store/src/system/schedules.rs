//! Cron-like schedules that enqueue jobs.
//!
//! Every node's scheduler reads the due schedules and tries to move each one
//! to its next run with a compare-and-swap on `next_run_at`; only the node
//! whose swap changed the row enqueues the job, in the same transaction. So
//! with any number of nodes each scheduled run happens exactly once. (On
//! PostgreSQL the second updater waits for the first one's row lock, then
//! re-checks the condition and finds it no longer true.)

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Schedule {
    pub name: String,
    pub cron: String,
    pub job_kind: String,
    #[sqlx(try_from = "crate::Flag")]
    pub enabled: bool,
    pub next_run_at: i64,
    pub last_run_at: Option<i64>,
}

const COLUMNS: &str = "name, cron, job_kind, enabled, next_run_at, last_run_at";

/// Creates or updates a schedule. `next_run_at` is taken when the schedule
/// is new, or when its cron expression, kind or enabled state changed; an
/// unchanged schedule keeps its next run (so nodes starting up one after
/// another never move or skip a run).
pub async fn upsert(
    conn: &mut AnyConnection,
    name: &str,
    cron: &str,
    job_kind: &str,
    enabled: bool,
    next_run_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO schedules (name, cron, job_kind, enabled, next_run_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET
            next_run_at = CASE
                WHEN schedules.cron <> excluded.cron
                  OR schedules.job_kind <> excluded.job_kind
                  OR schedules.enabled <> excluded.enabled
                THEN excluded.next_run_at ELSE schedules.next_run_at END,
            cron = excluded.cron,
            job_kind = excluded.job_kind,
            enabled = excluded.enabled",
    )
    .bind(name)
    .bind(cron)
    .bind(job_kind)
    .bind(enabled)
    .bind(next_run_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Schedule>> {
    let sql = format!("SELECT {COLUMNS} FROM schedules ORDER BY name");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?)
}

pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<Option<Schedule>> {
    let sql = format!("SELECT {COLUMNS} FROM schedules WHERE name = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .fetch_optional(conn)
        .await?)
}

/// Enabled schedules whose next run has come.
pub async fn due(conn: &mut AnyConnection, now: i64) -> Result<Vec<Schedule>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM schedules WHERE enabled = TRUE AND next_run_at <= $1 ORDER BY name"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .fetch_all(conn)
        .await?)
}

/// Moves `s` from the run it was due for (`s.next_run_at`) to `new_next`
/// and, only if this call made that move, enqueues its job with `payload`.
/// Call inside a write transaction. Returns the new job's id, or `None` if
/// another scheduler got there first.
pub async fn fire(
    conn: &mut AnyConnection,
    s: &Schedule,
    new_next: i64,
    payload: &serde_json::Value,
    max_attempts: i64,
    now: i64,
) -> Result<Option<i64>> {
    let r = sqlx::query(
        "UPDATE schedules SET next_run_at = $1, last_run_at = $2
         WHERE name = $3 AND next_run_at = $4 AND enabled = TRUE",
    )
    .bind(new_next)
    .bind(now)
    .bind(&s.name)
    .bind(s.next_run_at)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(None);
    }
    let id =
        crate::system::jobs::enqueue(conn, &s.job_kind, payload, now, max_attempts, now).await?;
    Ok(Some(id))
}
