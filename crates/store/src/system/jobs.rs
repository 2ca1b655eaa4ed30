//! The job queue: leased rows that any node may claim.
//!
//! A job is `queued` until a worker claims it (`running`, with a lease that
//! the worker extends while it works). It ends `succeeded`, or after a failed
//! attempt waits as `failed` until its retry time (exponential backoff),
//! and after `max_attempts` it is `dead` with its last error. A job whose
//! lease ran out (its node died) is claimed again by another worker.
//!
//! Claiming is one `UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING`: on
//! PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`, so concurrent
//! claimers skip each other's rows instead of waiting; on SQLite the write
//! transaction (single writer) gives the same exclusivity.
//!
//! Every function takes `now` (Unix seconds) so callers and tests decide the
//! clock. Changes to a running job go through its [`Lease`]: a worker that
//! lost its lease (another worker reclaimed the job) can no longer touch it.

use sqlx::AnyConnection;

use crate::{Engine, Result};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Queued,
    Running,
    Succeeded,
    /// An attempt failed; the job waits for its retry at `run_at`.
    Failed,
    /// Out of attempts: kept with its last error until someone retries it.
    Dead,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Queued,
        Status::Running,
        Status::Succeeded,
        Status::Failed,
        Status::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Status {
    type Error = String;
    fn try_from(s: String) -> Result<Status, String> {
        Status::parse(&s).ok_or_else(|| format!("unknown job status `{s}`"))
    }
}

/// One job row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// JSON text.
    pub payload: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub attempts: i64,
    pub max_attempts: i64,
    /// When the job is due (for `failed`: when it is retried).
    pub run_at: i64,
    pub lease_until: Option<i64>,
    pub locked_by: Option<String>,
    pub progress_done: i64,
    pub progress_total: i64,
    pub progress_note: String,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, lease_until, \
     locked_by, progress_done, progress_total, progress_note, last_error, created_at, \
     started_at, finished_at";

/// A worker's hold on a claimed job: the row changes only while `locked_by`
/// and `attempts` still match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: i64,
    pub worker: String,
    pub attempt: i64,
}

impl Job {
    /// The lease of a job this worker just claimed.
    pub fn lease(&self) -> Lease {
        Lease {
            job_id: self.id,
            worker: self.locked_by.clone().unwrap_or_default(),
            attempt: self.attempts,
        }
    }
}

/// First retry delay; each further attempt doubles it, up to [`BACKOFF_CAP`].
pub const BACKOFF_BASE: i64 = 30;
pub const BACKOFF_CAP: i64 = 3600;

/// Delay before retrying after failed attempt number `attempt` (1-based).
pub fn backoff_secs(attempt: i64) -> i64 {
    let exp = (attempt - 1).clamp(0, 20) as u32;
    BACKOFF_BASE.saturating_mul(1_i64 << exp).min(BACKOFF_CAP)
}

/// Queues a job; returns its id.
pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
    max_attempts: i64,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, status, max_attempts, run_at, created_at)
         VALUES ($1, $2, 'queued', $3, $4, $5) RETURNING id",
    )
    .bind(kind)
    .bind(payload.to_string())
    .bind(max_attempts.max(1))
    .bind(run_at)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// Claims the next due job for `worker` with a lease until `now + lease_secs`:
/// a queued job whose time has come, a failed one due for retry, or a
/// running one whose lease ran out. Jobs whose lease ran out on their last
/// allowed attempt are declared dead on the way.
///
/// On SQLite call it inside a write transaction ([`crate::Db::begin`]); on
/// PostgreSQL any connection will do.
pub async fn claim(
    conn: &mut AnyConnection,
    engine: Engine,
    worker: &str,
    now: i64,
    lease_secs: i64,
) -> Result<Option<Job>> {
    sqlx::query(
        "UPDATE jobs SET status = 'dead', finished_at = $1, lease_until = NULL,
            last_error = COALESCE(last_error || ' / ', '') || 'lease expired on the last attempt (worker '
                || COALESCE(locked_by, '?') || ' stopped?)'
         WHERE status = 'running' AND lease_until < $1 AND attempts >= max_attempts",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let lock = match engine {
        Engine::Postgres => "FOR UPDATE SKIP LOCKED",
        Engine::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET status = 'running', lease_until = $2, locked_by = $3,
            attempts = attempts + 1, started_at = $1, finished_at = NULL
         WHERE id = (
            SELECT id FROM jobs
            WHERE (status IN ('queued', 'failed') AND run_at <= $1)
               OR (status = 'running' AND lease_until < $1)
            ORDER BY run_at, id LIMIT 1 {lock})
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(now + lease_secs)
        .bind(worker)
        .fetch_optional(conn)
        .await?)
}

/// Whether [`claim`] would find something: a read, so idle workers poll
/// without taking the write lock (SQLite) or opening a transaction.
pub async fn has_due(conn: &mut AnyConnection, now: i64) -> Result<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM jobs
         WHERE (status IN ('queued', 'failed') AND run_at <= $1)
            OR (status = 'running' AND lease_until < $1)
         LIMIT 1",
    )
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

const HELD: &str = "id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'";

/// Extends the lease (heartbeat). False if the lease was lost.
pub async fn extend_lease(conn: &mut AnyConnection, lease: &Lease, until: i64) -> Result<bool> {
    let sql = format!("UPDATE jobs SET lease_until = $4 WHERE {HELD}");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lease.job_id)
        .bind(&lease.worker)
        .bind(lease.attempt)
        .bind(until)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records progress: `done` of `total` units, and a short note.
pub async fn progress(
    conn: &mut AnyConnection,
    lease: &Lease,
    done: i64,
    total: i64,
    note: &str,
) -> Result<bool> {
    let sql = format!(
        "UPDATE jobs SET progress_done = $4, progress_total = $5, progress_note = $6 WHERE {HELD}"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lease.job_id)
        .bind(&lease.worker)
        .bind(lease.attempt)
        .bind(done.max(0))
        .bind(total.max(0))
        .bind(truncate(note, 500))
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks the job succeeded. False if the lease was lost.
pub async fn succeed(conn: &mut AnyConnection, lease: &Lease, now: i64) -> Result<bool> {
    let sql = format!(
        "UPDATE jobs SET status = 'succeeded', finished_at = $4, lease_until = NULL,
            progress_done = CASE WHEN progress_total > 0 THEN progress_total ELSE progress_done END
         WHERE {HELD}"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(lease.job_id)
        .bind(&lease.worker)
        .bind(lease.attempt)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a failed attempt: `failed` with a retry after [`backoff_secs`],
/// or `dead` when this was the last attempt. Returns the new status, or
/// `None` if the lease was lost.
pub async fn fail(
    conn: &mut AnyConnection,
    lease: &Lease,
    error: &str,
    now: i64,
) -> Result<Option<Status>> {
    let sql = format!(
        "UPDATE jobs SET
            status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
            run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE $5 END,
            finished_at = CASE WHEN attempts >= max_attempts THEN $4 ELSE NULL END,
            lease_until = NULL, last_error = $6
         WHERE {HELD}
         RETURNING status"
    );
    let status: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(lease.job_id)
        .bind(&lease.worker)
        .bind(lease.attempt)
        .bind(now)
        .bind(now + backoff_secs(lease.attempt))
        .bind(truncate(error, 4000))
        .fetch_optional(conn)
        .await?;
    Ok(status.as_deref().and_then(Status::parse))
}

/// Puts a dead or failed job back in the queue to run now, with a fresh
/// set of attempts (the last error stays until the next attempt ends).
/// Returns the job as it was, or `None` if it is not dead or failed.
pub async fn retry_now(conn: &mut AnyConnection, id: i64, now: i64) -> Result<Option<Job>> {
    let Some(before) = get(&mut *conn, id).await? else {
        return Ok(None);
    };
    let r = sqlx::query(
        "UPDATE jobs SET status = 'queued', run_at = $2, attempts = 0, lease_until = NULL,
            locked_by = NULL, finished_at = NULL, progress_done = 0, progress_total = 0,
            progress_note = ''
         WHERE id = $1 AND status IN ('dead', 'failed')",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok((r.rows_affected() == 1).then_some(before))
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Job>> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Filters for the job list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub kind: Option<String>,
    /// Keyset cursor: jobs with `id < before`.
    pub before: Option<i64>,
    pub limit: i64,
}

/// Newest first, plus whether more follow.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Job>, bool)> {
    let limit = f.limit.clamp(1, 500);
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs
         WHERE ($1 IS NULL OR status = $1)
           AND ($2 IS NULL OR kind = $2)
           AND ($3 IS NULL OR id < $3)
         ORDER BY id DESC LIMIT $4"
    );
    let mut rows: Vec<Job> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(f.status.map(Status::as_str))
        .bind(f.kind.as_deref())
        .bind(f.before)
        .bind(limit + 1)
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// How many jobs are in each status (every status present, zero if none).
pub async fn counts(conn: &mut AnyConnection) -> Result<Vec<(Status, i64)>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
            .fetch_all(conn)
            .await?;
    Ok(Status::ALL
        .into_iter()
        .map(|s| {
            let n = rows
                .iter()
                .find(|(name, _)| name == s.as_str())
                .map_or(0, |(_, n)| *n);
            (s, n)
        })
        .collect())
}

/// Seconds the oldest due job has been waiting (0 when nothing waits).
pub async fn queue_lag(conn: &mut AnyConnection, now: i64) -> Result<i64> {
    let oldest: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(run_at) FROM jobs WHERE status IN ('queued', 'failed') AND run_at <= $1",
    )
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(oldest.map_or(0, |t| (now - t).max(0)))
}

/// Deletes jobs in `status` that finished before `before`; returns how many.
pub async fn purge(conn: &mut AnyConnection, status: Status, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM jobs WHERE status = $1 AND finished_at < $2")
        .bind(status.as_str())
        .bind(before)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// Whether a job of `kind` is queued or running (to avoid piling up
/// duplicates of a job that one run serves).
pub async fn pending_of_kind(conn: &mut AnyConnection, kind: &str, now: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = $1
           AND ((status = 'queued' AND run_at <= $2) OR (status = 'running' AND lease_until >= $2))",
    )
    .bind(kind)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(3), 120);
        assert_eq!(backoff_secs(8), 3600);
        assert_eq!(backoff_secs(1000), 3600);
        assert_eq!(backoff_secs(0), 30);
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate("ação", 2), "aç");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
