//! Login failures and temporary bans (per source address and per account).
//! They live in the database so that every node enforces the same bans.

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

/// Removes failures older than `before` and bans that ended before it.
pub async fn purge(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let a = sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    let b = sqlx::query("DELETE FROM bans WHERE expires_at < $1 OR lifted_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(a.rows_affected() + b.rows_affected())
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
