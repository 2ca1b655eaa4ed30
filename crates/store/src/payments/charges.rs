//! Charges created at payment providers for invoices (migration 0022): a
//! Pix charge, a registered boleto, a checkout session. One row per charge;
//! `(gateway, external_id)` is unique, so creating the same charge twice
//! keeps one row.

use sqlx::AnyConnection;

use crate::Result;

/// A charge as stored (`status`: open, paid, canceled, expired, failed).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Charge {
    pub id: i64,
    pub invoice_id: i64,
    pub method: String,
    pub gateway: String,
    pub external_id: String,
    pub status: String,
    pub amount: i64,
    pub pay_code: Option<String>,
    pub barcode: Option<String>,
    pub url: Option<String>,
    pub expires_at: Option<i64>,
    pub payment_id: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, invoice_id, method, gateway, external_id, status, amount, pay_code, \
    barcode, url, expires_at, payment_id, error, created_at, updated_at";

/// A charge to write.
#[derive(Debug, Clone, Default)]
pub struct NewCharge<'a> {
    pub invoice_id: i64,
    pub method: &'a str,
    pub gateway: &'a str,
    pub external_id: &'a str,
    pub amount: i64,
    pub pay_code: Option<&'a str>,
    pub barcode: Option<&'a str>,
    pub url: Option<&'a str>,
    pub expires_at: Option<i64>,
}

/// Writes a charge, or (same gateway and external id) refreshes the open
/// row's codes; returns the row. A charge already paid or canceled keeps
/// its state.
pub async fn upsert(conn: &mut AnyConnection, c: &NewCharge<'_>, at: i64) -> Result<Charge> {
    sqlx::query(
        "INSERT INTO payment_charges (invoice_id, method, gateway, external_id, status, amount,
            pay_code, barcode, url, expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (gateway, external_id) DO UPDATE SET
            pay_code = excluded.pay_code, barcode = excluded.barcode, url = excluded.url,
            expires_at = excluded.expires_at, amount = excluded.amount,
            updated_at = excluded.updated_at
         WHERE payment_charges.status = 'open'",
    )
    .bind(c.invoice_id)
    .bind(c.method)
    .bind(c.gateway)
    .bind(c.external_id)
    .bind(c.amount)
    .bind(c.pay_code)
    .bind(c.barcode)
    .bind(c.url)
    .bind(c.expires_at)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    by_external(conn, c.gateway, c.external_id)
        .await?
        .ok_or(crate::Error::NotFound)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Charge> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_charges WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// The charge a provider knows as `external_id`.
pub async fn by_external(
    conn: &mut AnyConnection,
    gateway: &str,
    external_id: &str,
) -> Result<Option<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_charges WHERE gateway = $1 AND external_id = $2"
    )))
    .bind(gateway)
    .bind(external_id)
    .fetch_optional(conn)
    .await?)
}

/// The charge of any gateway with `external_id` among `gateways` (a Pix
/// txid may belong to a PSP charge or to a hybrid boleto's Pix).
pub async fn by_external_any(conn: &mut AnyConnection, external_id: &str) -> Result<Vec<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_charges WHERE external_id = $1 ORDER BY id"
    )))
    .bind(external_id)
    .fetch_all(conn)
    .await?)
}

/// Every charge of an invoice, newest first.
pub async fn of_invoice(conn: &mut AnyConnection, invoice_id: i64) -> Result<Vec<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_charges WHERE invoice_id = $1 ORDER BY id DESC"
    )))
    .bind(invoice_id)
    .fetch_all(conn)
    .await?)
}

/// The open charge of an invoice by `method` at `gateway`, if any.
pub async fn open_of(
    conn: &mut AnyConnection,
    invoice_id: i64,
    method: &str,
    gateway: &str,
) -> Result<Option<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_charges
         WHERE invoice_id = $1 AND method = $2 AND gateway = $3 AND status = 'open'
         ORDER BY id DESC LIMIT 1"
    )))
    .bind(invoice_id)
    .bind(method)
    .bind(gateway)
    .fetch_optional(conn)
    .await?)
}

/// Issued invoices with something left to pay and no charge (open or paid)
/// at `gateway` yet, oldest first, at most `limit`: the ones a charge job
/// still has to create charges for.
pub async fn invoices_without(
    conn: &mut AnyConnection,
    gateway: &str,
    limit: i64,
) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT d.id FROM invoices d
         WHERE d.kind = 'invoice' AND d.status = 'issued' AND d.paid < d.total
           AND NOT EXISTS (SELECT 1 FROM payment_charges c
                WHERE c.invoice_id = d.id AND c.gateway = $1
                  AND c.status IN ('open', 'paid', 'failed'))
         ORDER BY d.id LIMIT $2",
    )
    .bind(gateway)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Open charges at `gateway` whose invoice no longer needs them (voided,
/// or paid some other way), at most `limit`.
pub async fn stale(conn: &mut AnyConnection, gateway: &str, limit: i64) -> Result<Vec<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_charges c
         WHERE c.gateway = $1 AND c.status = 'open'
           AND EXISTS (SELECT 1 FROM invoices d WHERE d.id = c.invoice_id
                AND (d.status <> 'issued' OR d.paid >= d.total))
         ORDER BY c.id LIMIT $2"
    )))
    .bind(gateway)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Open charges at `gateway`, oldest first (for polling the provider).
pub async fn open_at(conn: &mut AnyConnection, gateway: &str, limit: i64) -> Result<Vec<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_charges WHERE gateway = $1 AND status = 'open'
         ORDER BY id LIMIT $2"
    )))
    .bind(gateway)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks a charge paid by payment `payment_id` (from any state but
/// canceled: money that arrived is money). Returns whether it changed.
pub async fn mark_paid(
    conn: &mut AnyConnection,
    id: i64,
    payment_id: i64,
    at: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE payment_charges SET status = 'paid', payment_id = $2, error = NULL, updated_at = $3
         WHERE id = $1 AND status <> 'paid'",
    )
    .bind(id)
    .bind(payment_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Sets an open charge's status (`canceled`, `expired`, `failed`) with an
/// optional error; returns whether it changed.
pub async fn close(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    error: Option<&str>,
    at: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE payment_charges SET status = $2, error = $3, updated_at = $4
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Writes a charge that failed at the provider (so the job does not try
/// it again every run; staff see the error on the invoice).
pub async fn insert_failed(
    conn: &mut AnyConnection,
    c: &NewCharge<'_>,
    error: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO payment_charges (invoice_id, method, gateway, external_id, status, amount,
            error, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'failed', $5, $6, $7, $7)
         ON CONFLICT (gateway, external_id) DO UPDATE SET error = excluded.error,
            updated_at = excluded.updated_at
         WHERE payment_charges.status IN ('open', 'failed')",
    )
    .bind(c.invoice_id)
    .bind(c.method)
    .bind(c.gateway)
    .bind(c.external_id)
    .bind(c.amount)
    .bind(error)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A sweep's position (`gateway_cursors`, migration 0023).
pub async fn cursor(conn: &mut AnyConnection, name: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM gateway_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn set_cursor(conn: &mut AnyConnection, name: &str, value: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO gateway_cursors (name, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(value)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
