//! Discounts on contracts (migration `0014_discounts`): a fixed amount or a
//! percentage off the plan line, for some cycles or until a date, made by
//! staff or by redeeming a promo code.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Discount {
    pub id: i64,
    pub contract_id: i64,
    /// `fixed` (value in minor units) or `percent` (value in ppm).
    pub kind: String,
    pub value: i64,
    pub description: String,
    pub cycles: Option<i64>,
    pub cycles_used: i64,
    /// `YYYY-MM-DD`: periods starting on or after it are not discounted.
    pub until: Option<String>,
    pub promo_code_id: Option<i64>,
    /// The promo code's text, when a code made it.
    pub promo_code: Option<String>,
    pub actor_name: String,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

/// What a new discount stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDiscount<'a> {
    pub contract_id: i64,
    pub kind: &'a str,
    pub value: i64,
    pub description: &'a str,
    pub cycles: Option<i64>,
    pub until: Option<&'a str>,
    pub promo_code_id: Option<i64>,
    pub actor_name: &'a str,
}

const COLUMNS: &str = "d.id, d.contract_id, d.kind, d.value, d.description, d.cycles, \
    d.cycles_used, d.until, d.promo_code_id, p.code AS promo_code, d.actor_name, d.created_at, \
    d.ended_at";
const FROM: &str = "contract_discounts d LEFT JOIN promo_codes p ON p.id = d.promo_code_id";

pub async fn insert(conn: &mut AnyConnection, d: &NewDiscount<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO contract_discounts (contract_id, kind, value, description, cycles, until,
            promo_code_id, actor_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(d.contract_id)
    .bind(d.kind)
    .bind(d.value)
    .bind(d.description)
    .bind(d.cycles)
    .bind(d.until)
    .bind(d.promo_code_id)
    .bind(d.actor_name)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Discount> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// A contract's discounts, oldest first; `running_only` leaves out the
/// ended ones (what the billing run applies, in this order).
pub async fn for_contract(
    conn: &mut AnyConnection,
    contract_id: i64,
    running_only: bool,
) -> Result<Vec<Discount>> {
    let running = if running_only {
        " AND d.ended_at IS NULL"
    } else {
        ""
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE d.contract_id = $1{running} ORDER BY d.id LIMIT 500"
    )))
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// Ends a running discount; `false` when it had already ended.
pub async fn end(conn: &mut AnyConnection, id: i64, at: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE contract_discounts SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Counts one more discounted cycle, ending the discount when that was its
/// last. Compares the count read (`used`), so a cycle is counted once even
/// if two writers raced; `false` when the row had moved on.
pub async fn count_cycle(conn: &mut AnyConnection, id: i64, used: i64, at: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE contract_discounts SET cycles_used = cycles_used + 1,
            ended_at = CASE WHEN cycles IS NOT NULL AND cycles_used + 1 >= cycles THEN $1
                            ELSE ended_at END
         WHERE id = $2 AND cycles_used = $3 AND ended_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .bind(used)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
