//! Promo codes (migration `0014_discounts`), the plans each is limited to,
//! and their redemptions.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Promo {
    pub id: i64,
    /// Normalised: trimmed, upper case.
    pub code: String,
    /// `fixed` (value in minor units) or `percent` (value in ppm).
    pub kind: String,
    pub value: i64,
    pub description: String,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub max_uses: Option<i64>,
    pub max_uses_per_customer: Option<i64>,
    pub cycles: Option<i64>,
    pub uses: i64,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What staff set on a promo code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<'a> {
    pub code: &'a str,
    pub kind: &'a str,
    pub value: i64,
    pub description: &'a str,
    pub valid_from: Option<&'a str>,
    pub valid_until: Option<&'a str>,
    pub max_uses: Option<i64>,
    pub max_uses_per_customer: Option<i64>,
    pub cycles: Option<i64>,
    pub active: bool,
}

const COLUMNS: &str = "id, code, kind, value, description, valid_from, valid_until, max_uses, \
    max_uses_per_customer, cycles, uses, active, created_at, updated_at";

pub async fn insert(conn: &mut AnyConnection, f: &Fields<'_>, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO promo_codes (code, kind, value, description, valid_from, valid_until,
            max_uses, max_uses_per_customer, cycles, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(f.code)
    .bind(f.kind)
    .bind(f.value)
    .bind(f.description)
    .bind(f.valid_from)
    .bind(f.valid_until)
    .bind(f.max_uses)
    .bind(f.max_uses_per_customer)
    .bind(f.cycles)
    .bind(f.active)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("code"))
}

pub async fn update(conn: &mut AnyConnection, id: i64, f: &Fields<'_>, at: i64) -> Result<()> {
    let n = sqlx::query(
        "UPDATE promo_codes SET code = $1, kind = $2, value = $3, description = $4,
            valid_from = $5, valid_until = $6, max_uses = $7, max_uses_per_customer = $8,
            cycles = $9, active = $10, updated_at = $11 WHERE id = $12",
    )
    .bind(f.code)
    .bind(f.kind)
    .bind(f.value)
    .bind(f.description)
    .bind(f.valid_from)
    .bind(f.valid_until)
    .bind(f.max_uses)
    .bind(f.max_uses_per_customer)
    .bind(f.cycles)
    .bind(f.active)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("code"))?
    .rows_affected();
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

pub async fn set_active(conn: &mut AnyConnection, id: i64, active: bool, at: i64) -> Result<()> {
    let n = sqlx::query("UPDATE promo_codes SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(active)
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Promo> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM promo_codes WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// The code with this normalised text.
pub async fn by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<Promo>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM promo_codes WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(conn)
    .await?)
}

/// Which codes a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Part of the code or description (upper-cased codes match any case).
    pub q: Option<String>,
    /// `active` (active and not past its last day), `expired` (past it),
    /// `inactive` (deactivated); none: all.
    pub state: Option<String>,
    /// Today, `YYYY-MM-DD`, for `active` and `expired`.
    pub today: String,
    /// Codes with a larger id (keyset paging, oldest first).
    pub after_id: Option<i64>,
    pub limit: i64,
}

/// A page of codes and whether more follow.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Promo>, bool)> {
    let q = f.q.as_deref().map(str::trim).unwrap_or("");
    let pattern = format!("%{}%", q.replace(['%', '_', '\\'], ""));
    let limit = f.limit.max(1);
    let mut rows: Vec<Promo> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM promo_codes
         WHERE ($1 = '' OR code LIKE $2 OR LOWER(description) LIKE $3)
           AND ($4 = ''
                OR ($4 = 'active' AND active = $5 AND (valid_until IS NULL OR valid_until >= $6))
                OR ($4 = 'expired' AND valid_until < $6)
                OR ($4 = 'inactive' AND active = $7))
           AND id > $8
         ORDER BY id LIMIT $9"
    )))
    .bind(q)
    .bind(pattern.to_uppercase())
    .bind(pattern.to_lowercase())
    .bind(f.state.as_deref().unwrap_or(""))
    .bind(true)
    .bind(f.today.as_str())
    .bind(false)
    .bind(f.after_id.unwrap_or(0))
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

pub async fn plans(conn: &mut AnyConnection, id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT plan_id FROM promo_code_plans WHERE promo_code_id = $1 ORDER BY plan_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Replaces the plans a code is limited to.
pub async fn set_plans(conn: &mut AnyConnection, id: i64, plan_ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM promo_code_plans WHERE promo_code_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for p in plan_ids {
        sqlx::query("INSERT INTO promo_code_plans (promo_code_id, plan_id) VALUES ($1, $2)")
            .bind(id)
            .bind(p)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Takes one use of a code if it has one left: one conditional UPDATE, so
/// concurrent redemptions never overshoot `max_uses` (PostgreSQL re-checks
/// the condition on the row a concurrent writer committed; SQLite has one
/// writer). It also locks the row until the transaction ends, so what the
/// caller reads next about this code's redemptions is current.
pub async fn take_use(conn: &mut AnyConnection, id: i64, at: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE promo_codes SET uses = uses + 1, updated_at = $1
         WHERE id = $2 AND (max_uses IS NULL OR uses < max_uses)",
    )
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Times a customer redeemed a code.
pub async fn customer_uses(conn: &mut AnyConnection, id: i64, customer_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM promo_redemptions WHERE promo_code_id = $1 AND customer_id = $2",
    )
    .bind(id)
    .bind(customer_id)
    .fetch_one(conn)
    .await?)
}

pub async fn insert_redemption(
    conn: &mut AnyConnection,
    id: i64,
    customer_id: i64,
    contract_id: i64,
    discount_id: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO promo_redemptions (promo_code_id, customer_id, contract_id, discount_id,
            redeemed_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(customer_id)
    .bind(contract_id)
    .bind(discount_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
