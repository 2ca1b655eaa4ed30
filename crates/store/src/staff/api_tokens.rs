//! API tokens: stored as SHA-256 hashes, with scopes and a last-use time.

use sqlx::AnyConnection;

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it in lists.
    pub prefix: String,
    #[serde(skip)]
    pub token_hash: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, user_id, name, prefix, token_hash, scopes, created_at, last_used_at, revoked_at";

pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    name: &str,
    prefix: &str,
    token_hash: &str,
    scopes: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, prefix, token_hash, scopes, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(prefix)
    .bind(token_hash)
    .bind(scopes)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

pub async fn by_hash(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<ApiToken>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(conn)
    .await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<ApiToken> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// Tokens of one user, or of everyone when `user_id` is `None`, newest first,
/// with keyset pagination on id.
pub async fn list(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<ApiToken>, bool)> {
    let mut rows: Vec<ApiToken> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_tokens
         WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3"
    )))
    .bind(user_id)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

pub async fn revoke(conn: &mut AnyConnection, id: i64, at: i64) -> Result<bool> {
    let r =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn touch(conn: &mut AnyConnection, id: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
