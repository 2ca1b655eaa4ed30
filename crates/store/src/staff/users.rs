//! Staff accounts.

use sqlx::AnyConnection;

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role_id: i64,
    pub role_name: String,
    pub role_permissions: String,
    pub role_ip_allowlist: String,
    pub locale: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    pub disabled: bool,
    /// Encrypted at rest (see the services' secret box).
    pub totp_secret: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    pub totp_enabled: bool,
    pub totp_last_step: i64,
    pub ip_allowlist: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
}

const SELECT: &str = "SELECT u.id, u.username, u.email, u.display_name, u.password_hash, u.role_id,
    r.name AS role_name, r.permissions AS role_permissions, r.ip_allowlist AS role_ip_allowlist,
    u.locale, u.disabled, u.totp_secret, u.totp_enabled, u.totp_last_step, u.ip_allowlist,
    u.created_at, u.updated_at, u.last_login_at
    FROM users u JOIN roles r ON r.id = u.role_id";

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<User> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE u.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE u.username = $1"
    )))
    .bind(username)
    .fetch_optional(conn)
    .await?)
}

/// Enabled users, for notices to those with a permission (staff lists are
/// short; the limit only guards against surprises).
pub async fn enabled(conn: &mut AnyConnection) -> Result<Vec<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE u.disabled = FALSE ORDER BY u.id LIMIT 1000"
    )))
    .fetch_all(conn)
    .await?)
}

pub async fn by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE LOWER(u.email) = LOWER($1) ORDER BY u.id LIMIT 1"
    )))
    .bind(email)
    .fetch_optional(conn)
    .await?)
}

/// Filters for the users list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Matches username, display name or e-mail (case-insensitive, partial).
    pub q: Option<String>,
    pub role_id: Option<i64>,
    pub disabled: Option<bool>,
    /// Keyset cursor: only users with `id > after`.
    pub after: Option<i64>,
    pub limit: i64,
}

/// One page of users ordered by id, plus whether more follow.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<User>, bool)> {
    let mut p = crate::params::Params::default();
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    if let Some(text) = &f.q {
        let like = p.add(format!("%{}%", escape_like(&text.to_lowercase())));
        sql.push_str(&format!(
            " AND (LOWER(u.username) LIKE {like} ESCAPE '\\' OR LOWER(u.display_name) LIKE {like} ESCAPE '\\' \
             OR LOWER(u.email) LIKE {like} ESCAPE '\\')"
        ));
    }
    if let Some(r) = f.role_id {
        sql.push_str(&format!(" AND u.role_id = {}", p.add(r)));
    }
    // A literal, not a parameter: the column is BOOLEAN on PostgreSQL.
    match f.disabled {
        Some(true) => sql.push_str(" AND u.disabled = TRUE"),
        Some(false) => sql.push_str(" AND u.disabled = FALSE"),
        None => {}
    }
    if let Some(a) = f.after {
        sql.push_str(&format!(" AND u.id > {}", p.add(a)));
    }
    sql.push_str(&format!(" ORDER BY u.id LIMIT {}", p.add(f.limit + 1)));
    let q = p.bind_as(sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(sql)));
    let mut rows = q.fetch_all(conn).await?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit as usize);
    Ok((rows, more))
}

/// Makes `%`, `_` and `\` typed by a user match themselves (with `ESCAPE '\'`).
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?)
}

/// The columns a staff member's profile consists of.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role_id: i64,
    pub locale: Option<&'a str>,
    pub ip_allowlist: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, u: &NewUser<'_>, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (username, email, display_name, password_hash, role_id, locale,
            ip_allowlist, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(u.username)
    .bind(u.email)
    .bind(u.display_name)
    .bind(u.password_hash)
    .bind(u.role_id)
    .bind(u.locale)
    .bind(u.ip_allowlist)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("username"))
}

/// Editable profile fields (not the password or 2FA).
#[derive(Debug, Clone)]
pub struct Profile<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role_id: i64,
    pub locale: Option<&'a str>,
    pub disabled: bool,
    pub ip_allowlist: &'a str,
}

pub async fn update_profile(
    conn: &mut AnyConnection,
    id: i64,
    p: &Profile<'_>,
    at: i64,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE users SET email = $1, display_name = $2, role_id = $3, locale = $4, disabled = $5,
            ip_allowlist = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(p.email)
    .bind(p.display_name)
    .bind(p.role_id)
    .bind(p.locale)
    .bind(p.disabled)
    .bind(p.ip_allowlist)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn set_locale(
    conn: &mut AnyConnection,
    id: i64,
    locale: Option<&str>,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET locale = $1, updated_at = $2 WHERE id = $3")
        .bind(locale)
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_password_hash(
    conn: &mut AnyConnection,
    id: i64,
    hash: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a (still unconfirmed, or confirmed) TOTP secret.
pub async fn set_totp(
    conn: &mut AnyConnection,
    id: i64,
    secret: Option<&str>,
    enabled: bool,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_enabled = $2, totp_last_step = 0, updated_at = $3 WHERE id = $4",
    )
    .bind(secret)
    .bind(enabled)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the TOTP time step just accepted, only if it is newer than the
/// last one: returns false for a replayed code.
pub async fn advance_totp_step(conn: &mut AnyConnection, id: i64, step: i64) -> Result<bool> {
    let r =
        sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
            .bind(step)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn touch_login(conn: &mut AnyConnection, id: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count_with_role(conn: &mut AnyConnection, role_id: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role_id = $1")
            .bind(role_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Enabled users holding a role named `role`, e.g. to keep at least one admin.
pub async fn count_active_in_role_named(conn: &mut AnyConnection, role: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN roles r ON r.id = u.role_id WHERE r.name = $1 AND u.disabled = FALSE",
    )
    .bind(role)
    .fetch_one(conn)
    .await?)
}

pub async fn replace_recovery_codes(
    conn: &mut AnyConnection,
    user_id: i64,
    hashes: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(h)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Marks a matching unused recovery code as used; false if none matched.
pub async fn use_recovery_code(
    conn: &mut AnyConnection,
    user_id: i64,
    hash: &str,
    at: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(at)
    .bind(user_id)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn unused_recovery_codes(conn: &mut AnyConnection, user_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?)
}
