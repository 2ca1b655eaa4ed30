//! Key/value settings. Definitions, defaults and validation live in
//! `domain::system::settings`; this module only stores strings.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::Result;

pub async fn all(conn: &mut AnyConnection) -> Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn get(conn: &mut AnyConnection, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn set(conn: &mut AnyConnection, key: &str, value: &str, at: i64) -> Result<()> {
    // Both engines spell the upsert the same way.
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
