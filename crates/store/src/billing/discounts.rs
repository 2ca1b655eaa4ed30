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

/// The running discounts of the contracts in `ids`, by contract, oldest
/// first (one query for a group of the billing run's documents).
pub async fn running_for(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Discount>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE d.contract_id IN ({}) AND d.ended_at IS NULL
         ORDER BY d.contract_id, d.id",
        crate::params::id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// [`count_cycle`] for many discounts in one statement: each `(id, used,
/// n)` counts `n` more cycles where the count is still `used`. Returns how
/// many rows moved; fewer than given means another writer counted first.
pub async fn count_cycles(
    conn: &mut AnyConnection,
    counts: &[(i64, i64, i64)],
    at: i64,
) -> Result<u64> {
    if counts.is_empty() {
        return Ok(0);
    }
    // Ids and counts are integers the run computed: written inline, so the
    // statement has one placeholder whatever the group's size.
    let case = |f: &dyn Fn(&(i64, i64, i64)) -> i64| {
        counts
            .iter()
            .map(|c| format!("WHEN {} THEN {}", c.0, f(c)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let add = format!("(CASE id {} END)", case(&|c| c.2));
    let used = format!("(CASE id {} END)", case(&|c| c.1));
    let ids: Vec<i64> = counts.iter().map(|c| c.0).collect();
    let sql = format!(
        "UPDATE contract_discounts SET cycles_used = cycles_used + {add},
            ended_at = CASE WHEN cycles IS NOT NULL AND cycles_used + {add} >= cycles THEN $1
                            ELSE ended_at END
         WHERE id IN ({}) AND cycles_used = {used} AND ended_at IS NULL",
        crate::params::id_list(&ids)
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Ends the running discounts in `ids` (their until-date passed).
pub async fn end_many(conn: &mut AnyConnection, ids: &[i64], at: i64) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE contract_discounts SET ended_at = $1 WHERE id IN ({}) AND ended_at IS NULL",
        crate::params::id_list(ids)
    )))
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected())
}
