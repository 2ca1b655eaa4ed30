//! Pix Automático recurrences (migration 0027): a contract's authorisation
//! at the PSP, its state as the PSP last told us, and what the charge job
//! needs to charge the contract's invoices with `/cobr`.

use sqlx::AnyConnection;

use crate::Result;

/// A recurrence as stored (`status`: created, approved, rejected,
/// expired, canceled; `amount_policy`: fixed, minimum, variable).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Recurrence {
    pub id: i64,
    pub contract_id: i64,
    pub rec_id: String,
    pub solicrec_id: Option<String>,
    pub status: String,
    pub amount_policy: String,
    pub amount: Option<i64>,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub payer_ispb: String,
    pub payer_agency: Option<String>,
    pub payer_account: String,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, contract_id, rec_id, solicrec_id, status, amount_policy, amount, \
    valid_from, valid_to, payer_ispb, payer_agency, payer_account, error, created_at, updated_at";

/// A recurrence to write (the PSP made it).
#[derive(Debug, Clone)]
pub struct NewRecurrence<'a> {
    pub contract_id: i64,
    pub rec_id: &'a str,
    pub solicrec_id: Option<&'a str>,
    pub status: &'a str,
    pub amount_policy: &'a str,
    pub amount: Option<i64>,
    pub valid_from: &'a str,
    pub valid_to: Option<&'a str>,
    pub payer_ispb: &'a str,
    pub payer_agency: Option<&'a str>,
    pub payer_account: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, r: &NewRecurrence<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO pix_recurrences (contract_id, rec_id, solicrec_id, status, amount_policy,
            amount, valid_from, valid_to, payer_ispb, payer_agency, payer_account,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
         RETURNING id",
    )
    .bind(r.contract_id)
    .bind(r.rec_id)
    .bind(r.solicrec_id)
    .bind(r.status)
    .bind(r.amount_policy)
    .bind(r.amount)
    .bind(r.valid_from)
    .bind(r.valid_to)
    .bind(r.payer_ispb)
    .bind(r.payer_agency)
    .bind(r.payer_account)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Recurrence> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM pix_recurrences WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

pub async fn by_rec_id(conn: &mut AnyConnection, rec_id: &str) -> Result<Option<Recurrence>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM pix_recurrences WHERE rec_id = $1"
    )))
    .bind(rec_id)
    .fetch_optional(conn)
    .await?)
}

/// Contract `contract_id`'s recurrences, newest first (a contract has a
/// few: one live, the ended ones before it).
pub async fn of_contract(conn: &mut AnyConnection, contract_id: i64) -> Result<Vec<Recurrence>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM pix_recurrences WHERE contract_id = $1 ORDER BY id DESC LIMIT 50"
    )))
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// The contract's live recurrence (created or approved), if any.
pub async fn live_of(conn: &mut AnyConnection, contract_id: i64) -> Result<Option<Recurrence>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM pix_recurrences
         WHERE contract_id = $1 AND status IN ('created', 'approved')
         ORDER BY id DESC LIMIT 1"
    )))
    .bind(contract_id)
    .fetch_optional(conn)
    .await?)
}

/// Keeps the authorisation request's id.
pub async fn set_solicrec(
    conn: &mut AnyConnection,
    id: i64,
    solicrec_id: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE pix_recurrences SET solicrec_id = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(solicrec_id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a recurrence's status (and why it ended); returns whether it changed.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    error: Option<&str>,
    at: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE pix_recurrences SET status = $2, error = COALESCE($3, error), updated_at = $4
         WHERE id = $1 AND status <> $2",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Recurrences still waiting for the payer (`created`), oldest first: the
/// poll asks the PSP about them.
pub async fn waiting(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Recurrence>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM pix_recurrences WHERE status = 'created' ORDER BY id LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
