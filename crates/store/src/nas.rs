//! Routers and access concentrators (NAS) that speak RADIUS to Lastmile.

use sqlx::AnyConnection;

use crate::{Error, Result};

/// A NAS row. The secret is encrypted text (`enc1:…`); the services decrypt
/// it only for the RADIUS runtime, the reachability test and an audited
/// reveal.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Nas {
    pub id: i64,
    pub name: String,
    pub address: String,
    #[serde(skip)]
    pub secret: String,
    pub kind: String,
    pub coa_port: i64,
    #[sqlx(try_from = "crate::Flag")]
    pub require_message_authenticator: bool,
    #[sqlx(try_from = "crate::Flag")]
    pub seen_message_authenticator: bool,
    #[sqlx(try_from = "crate::Flag")]
    pub disabled: bool,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, address, secret, kind, coa_port, require_message_authenticator, \
    seen_message_authenticator, disabled, notes, created_at, updated_at";

/// PostgreSQL columns are BOOLEAN and the `Any` driver binds booleans as
/// integers on SQLite only, so flags go into the SQL text as literals.
fn lit(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

fn unique(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(d) = &e
        && d.is_unique_violation()
    {
        let m = d.message().to_ascii_lowercase();
        let c = d.constraint().unwrap_or_default().to_ascii_lowercase();
        return Error::Conflict(if m.contains("address") || c.contains("address") {
            "address"
        } else {
            "name"
        });
    }
    Error::Sql(e)
}

/// Inserts `n` (its id and instants are ignored); returns the new id.
pub async fn insert(conn: &mut AnyConnection, n: &Nas, at: i64) -> Result<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "INSERT INTO nas (name, address, secret, kind, coa_port, require_message_authenticator,
            disabled, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, {}, {}, $6, $7, $7) RETURNING id",
        lit(n.require_message_authenticator),
        lit(n.disabled)
    )))
    .bind(&n.name)
    .bind(&n.address)
    .bind(&n.secret)
    .bind(&n.kind)
    .bind(n.coa_port)
    .bind(&n.notes)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(unique)
}

/// Rewrites every editable column of NAS `id` from `n`.
pub async fn update(conn: &mut AnyConnection, id: i64, n: &Nas, at: i64) -> Result<()> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE nas SET name = $1, address = $2, secret = $3, kind = $4, coa_port = $5,
            require_message_authenticator = {}, disabled = {}, notes = $6, updated_at = $7
         WHERE id = $8",
        lit(n.require_message_authenticator),
        lit(n.disabled)
    )))
    .bind(&n.name)
    .bind(&n.address)
    .bind(&n.secret)
    .bind(&n.kind)
    .bind(n.coa_port)
    .bind(&n.notes)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(unique)?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Nas> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM nas WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn by_address(conn: &mut AnyConnection, address: &str) -> Result<Option<Nas>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM nas WHERE address = $1"
    )))
    .bind(address)
    .fetch_optional(conn)
    .await?)
}

/// Every NAS, by name (installations have tens, not thousands).
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Nas>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM nas ORDER BY name, id"
    )))
    .fetch_all(conn)
    .await?)
}

/// Whether any connection record, authentication log entry or CoA request
/// refers to NAS `id` (then it may only be disabled, never deleted).
pub async fn in_use(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM radius_sessions WHERE nas_id = $1 LIMIT 1) a)
              + (SELECT COUNT(*) FROM (SELECT 1 FROM radius_auth_log WHERE nas_id = $1 LIMIT 1) b)
              + (SELECT COUNT(*) FROM (SELECT 1 FROM radius_coa WHERE nas_id = $1 LIMIT 1) c)",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let r = sqlx::query("DELETE FROM nas WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

/// Online sessions per NAS id (for the list page).
pub async fn online_counts(conn: &mut AnyConnection) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT nas_id, COUNT(*) FROM radius_sessions WHERE stopped_at IS NULL GROUP BY nas_id",
    )
    .fetch_all(conn)
    .await?)
}
