//! Server-side staff sessions. The cookie holds a random token; the table
//! holds only its SHA-256, so a database leak yields no usable session.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    #[sqlx(try_from = "crate::Flag")]
    pub mfa_pending: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ip: String,
    pub user_agent: String,
}

pub async fn insert(conn: &mut AnyConnection, s: &Session) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, mfa_pending, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&s.token_hash)
    .bind(s.user_id)
    .bind(s.mfa_pending)
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.expires_at)
    .bind(&s.ip)
    .bind(&s.user_agent)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<Session>> {
    Ok(sqlx::query_as(
        "SELECT token_hash, user_id, mfa_pending, created_at, last_seen_at, expires_at, ip, user_agent
         FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}

pub async fn touch(conn: &mut AnyConnection, token_hash: &str, at: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(at)
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn complete_mfa(conn: &mut AnyConnection, token_hash: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET mfa_pending = FALSE WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_for_user(conn: &mut AnyConnection, user_id: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

pub async fn list_for_user(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<Session>> {
    Ok(sqlx::query_as(
        "SELECT token_hash, user_id, mfa_pending, created_at, last_seen_at, expires_at, ip, user_agent
         FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// Deletes sessions past their absolute expiry or idle longer than
/// `idle_secs`. Returns how many went.
pub async fn delete_expired(conn: &mut AnyConnection, now: i64, idle_secs: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(now - idle_secs)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn count_active(conn: &mut AnyConnection, now: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE expires_at > $1")
            .bind(now)
            .fetch_one(conn)
            .await?,
    )
}

/// Single-use password reset tokens (hashed like sessions).
pub mod resets {
    use super::*;

    pub async fn insert(
        conn: &mut AnyConnection,
        token_hash: &str,
        user_id: i64,
        at: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(at)
            .bind(expires_at)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Marks the token used and returns its user, if it is valid now.
    pub async fn consume(
        conn: &mut AnyConnection,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(conn)
        .await?)
    }

    pub async fn is_valid(conn: &mut AnyConnection, token_hash: &str, now: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_one(conn)
        .await?;
        Ok(n > 0)
    }
}
