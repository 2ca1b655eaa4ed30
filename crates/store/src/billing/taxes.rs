//! Tax rates.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TaxRate {
    pub id: i64,
    pub name: String,
    pub rate_ppm: i64,
    /// `on_top`, `included_vat` or `included_share` (see `domain::billing::tax`).
    pub mode: String,
    pub category: String,
    pub position: i64,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What staff set on a tax rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<'a> {
    pub name: &'a str,
    pub rate_ppm: i64,
    pub mode: &'a str,
    pub category: &'a str,
    pub position: i64,
    pub active: bool,
}

const COLUMNS: &str =
    "id, name, rate_ppm, mode, category, position, active, created_at, updated_at";

pub async fn insert(conn: &mut AnyConnection, f: &Fields<'_>, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO tax_rates (name, rate_ppm, mode, category, position, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(f.name)
    .bind(f.rate_ppm)
    .bind(f.mode)
    .bind(f.category)
    .bind(f.position)
    .bind(f.active)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("name"))
}

pub async fn update(conn: &mut AnyConnection, id: i64, f: &Fields<'_>, at: i64) -> Result<()> {
    let n = sqlx::query(
        "UPDATE tax_rates SET name = $1, rate_ppm = $2, mode = $3, category = $4, position = $5,
            active = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(f.name)
    .bind(f.rate_ppm)
    .bind(f.mode)
    .bind(f.category)
    .bind(f.position)
    .bind(f.active)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("name"))?
    .rows_affected();
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<TaxRate> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tax_rates WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// Every rate, in document order (`position`, then name).
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<TaxRate>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tax_rates ORDER BY position, name, id"
    )))
    .fetch_all(conn)
    .await?)
}

/// The active rates for a plan's tax category: those of the category and
/// those that apply to every category, in document order.
pub async fn for_category(conn: &mut AnyConnection, category: &str) -> Result<Vec<TaxRate>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tax_rates
         WHERE active = $1 AND (category = '' OR category = $2)
         ORDER BY position, name, id"
    )))
    .bind(true)
    .bind(category)
    .fetch_all(conn)
    .await?)
}
