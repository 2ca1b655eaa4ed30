//! Login failures, temporary address bans, known devices and attack
//! notices. They live in the database so that every node throttles alike.

use sqlx::AnyConnection;

use crate::Result;

pub async fn record_failure(
    conn: &mut AnyConnection,
    at: i64,
    ip: &str,
    username: &str,
    reason: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO login_failures (at, ip, username, reason) VALUES ($1, $2, $3, $4)")
        .bind(at)
        .bind(ip)
        .bind(username)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn failures_from_ip(conn: &mut AnyConnection, ip: &str, since: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE ip = $1 AND at >= $2")
            .bind(ip)
            .bind(since)
            .fetch_one(conn)
            .await?,
    )
}

pub async fn failures_for_account(
    conn: &mut AnyConnection,
    username: &str,
    since: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at >= $2 AND reason IN ('bad_password', 'bad_totp')",
    )
    .bind(username)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// Failures that count against a password guesser.
const GUESSES: &str = "reason IN ('bad_password', 'bad_totp')";

/// One account's wrong passwords and codes from one address since `since`:
/// how many, and when the last one was.
pub async fn failures_for_pair(
    conn: &mut AnyConnection,
    username: &str,
    ip: &str,
    since: i64,
) -> Result<(i64, Option<i64>)> {
    let (n, last): (i64, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*), MAX(at) FROM login_failures
         WHERE username = $1 AND ip = $2 AND at >= $3 AND {GUESSES}"
    )))
    .bind(username)
    .bind(ip)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok((n, last))
}

/// How many addresses sent wrong passwords or codes for `username` since `since`.
pub async fn addresses_for_account(
    conn: &mut AnyConnection,
    username: &str,
    since: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(DISTINCT ip) FROM login_failures WHERE username = $1 AND at >= $2 AND {GUESSES}"
    )))
    .bind(username)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// Claims the right to tell about an attack on `username`: true for the
/// first caller since `since` (on any node), false while a notice sent at
/// or after `since` stands.
pub async fn claim_alert(
    conn: &mut AnyConnection,
    username: &str,
    now: i64,
    since: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO login_alerts (username, notified_at) VALUES ($1, $2)
         ON CONFLICT (username) DO UPDATE SET notified_at = excluded.notified_at
         WHERE login_alerts.notified_at < $3",
    )
    .bind(username)
    .bind(now)
    .bind(since)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A browser that completed a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KnownDevice {
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    pub ip: String,
    pub user_agent: String,
}

pub async fn insert_device(conn: &mut AnyConnection, d: &KnownDevice) -> Result<()> {
    sqlx::query(
        "INSERT INTO known_devices (token_hash, user_id, created_at, last_used_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&d.token_hash)
    .bind(d.user_id)
    .bind(d.created_at)
    .bind(d.last_used_at)
    .bind(&d.ip)
    .bind(&d.user_agent)
    .execute(conn)
    .await?;
    Ok(())
}

/// The device with this token hash, if it belongs to `user_id` and was used
/// at or after `since`.
pub async fn device_of(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    since: i64,
) -> Result<Option<KnownDevice>> {
    Ok(sqlx::query_as(
        "SELECT token_hash, user_id, created_at, last_used_at, ip, user_agent FROM known_devices
         WHERE token_hash = $1 AND user_id = $2 AND last_used_at >= $3",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(since)
    .fetch_optional(conn)
    .await?)
}

pub async fn touch_device(
    conn: &mut AnyConnection,
    token_hash: &str,
    at: i64,
    ip: &str,
) -> Result<()> {
    sqlx::query("UPDATE known_devices SET last_used_at = $1, ip = $2 WHERE token_hash = $3")
        .bind(at)
        .bind(ip)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Keeps the user's `keep` most recently used devices and forgets the rest.
pub async fn prune_devices(conn: &mut AnyConnection, user_id: i64, keep: i64) -> Result<u64> {
    let r = sqlx::query(
        "DELETE FROM known_devices WHERE user_id = $1 AND token_hash NOT IN (
             SELECT token_hash FROM known_devices WHERE user_id = $1
             ORDER BY last_used_at DESC, created_at DESC LIMIT $2)",
    )
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// Forgets every device of a user (after a password reset).
pub async fn forget_devices(conn: &mut AnyConnection, user_id: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM known_devices WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Ban {
    pub id: i64,
    /// `ip` or `account`.
    pub kind: String,
    pub subject: String,
    pub reason: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub lifted_at: Option<i64>,
    pub lifted_by: Option<String>,
}

pub async fn insert_ban(
    conn: &mut AnyConnection,
    kind: &str,
    subject: &str,
    reason: &str,
    at: i64,
    expires_at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO bans (kind, subject, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(kind)
    .bind(subject)
    .bind(reason)
    .bind(at)
    .bind(expires_at)
    .fetch_one(conn)
    .await?)
}

/// The active ban on `subject`, if any.
pub async fn active_ban(
    conn: &mut AnyConnection,
    kind: &str,
    subject: &str,
    now: i64,
) -> Result<Option<Ban>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, subject, reason, created_at, expires_at, lifted_at, lifted_by FROM bans
         WHERE kind = $1 AND subject = $2 AND expires_at > $3 AND lifted_at IS NULL
         ORDER BY expires_at DESC LIMIT 1",
    )
    .bind(kind)
    .bind(subject)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

pub async fn active_bans(conn: &mut AnyConnection, now: i64) -> Result<Vec<Ban>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, subject, reason, created_at, expires_at, lifted_at, lifted_by FROM bans
         WHERE expires_at > $1 AND lifted_at IS NULL ORDER BY created_at DESC LIMIT 500",
    )
    .bind(now)
    .fetch_all(conn)
    .await?)
}

pub async fn get_ban(conn: &mut AnyConnection, id: i64) -> Result<Option<Ban>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, subject, reason, created_at, expires_at, lifted_at, lifted_by FROM bans WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn lift_ban(conn: &mut AnyConnection, id: i64, by: &str, at: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE bans SET lifted_at = $1, lifted_by = $2 WHERE id = $3 AND lifted_at IS NULL",
    )
    .bind(at)
    .bind(by)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Forgets failures of a subject once a ban is lifted, so it starts clean.
pub async fn clear_failures(conn: &mut AnyConnection, kind: &str, subject: &str) -> Result<()> {
    let sql = if kind == "ip" {
        "DELETE FROM login_failures WHERE ip = $1"
    } else {
        "DELETE FROM login_failures WHERE username = $1"
    };
    sqlx::query(sql).bind(subject).execute(conn).await?;
    Ok(())
}

/// Removes failures older than `before`, bans that ended before it and
/// attack notices sent before it.
pub async fn purge(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let a = sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    let b = sqlx::query("DELETE FROM bans WHERE expires_at < $1 OR lifted_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    let c = sqlx::query("DELETE FROM login_alerts WHERE notified_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(a.rows_affected() + b.rows_affected() + c.rows_affected())
}

/// Forgets devices unused since `before`.
pub async fn purge_devices(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM known_devices WHERE last_used_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}

/// Recent refused logins, newest first, for the security page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Failure {
    pub id: i64,
    pub at: i64,
    pub ip: String,
    pub username: String,
    pub reason: String,
}

pub async fn recent_failures(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Failure>> {
    Ok(sqlx::query_as(
        "SELECT id, at, ip, username, reason FROM login_failures ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
