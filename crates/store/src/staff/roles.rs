//! Roles: a name, a set of permission codes, and an IP allowlist.

use sqlx::AnyConnection;

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Role {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "crate::Flag")]
    pub builtin: bool,
    /// Space-separated permission codes.
    pub permissions: String,
    /// CIDR networks, one per line; empty allows any address.
    pub ip_allowlist: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A role with how many users hold it, for the roles list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleSummary {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "crate::Flag")]
    pub builtin: bool,
    pub permissions: String,
    pub ip_allowlist: String,
    pub users: i64,
}

const COLUMNS: &str = "id, name, builtin, permissions, ip_allowlist, created_at, updated_at";

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<RoleSummary>> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.name, r.builtin, r.permissions, r.ip_allowlist,
                (SELECT COUNT(*) FROM users u WHERE u.role_id = r.id) AS users
         FROM roles r ORDER BY r.builtin DESC, r.name",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Role> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM roles WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<Role>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM roles WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(conn)
    .await?)
}

pub async fn insert(
    conn: &mut AnyConnection,
    name: &str,
    builtin: bool,
    permissions: &str,
    ip_allowlist: &str,
    at: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO roles (name, builtin, permissions, ip_allowlist, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(name)
    .bind(builtin)
    .bind(permissions)
    .bind(ip_allowlist)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("role name"))
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
    permissions: &str,
    ip_allowlist: &str,
    at: i64,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE roles SET name = $1, permissions = $2, ip_allowlist = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(name)
    .bind(permissions)
    .bind(ip_allowlist)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("role name"))?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

/// Rewrites a built-in role's permissions when a release changes them; returns
/// whether the stored set differed.
pub async fn sync_builtin(
    conn: &mut AnyConnection,
    name: &str,
    permissions: &str,
    at: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE roles SET permissions = $1, updated_at = $2
         WHERE name = $3 AND builtin = TRUE AND permissions <> $1",
    )
    .bind(permissions)
    .bind(at)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM roles WHERE id = $1 AND builtin = FALSE")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
