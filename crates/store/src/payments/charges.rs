//! Charges created at payment providers for invoices (migration 0022): a
//! Pix charge, a registered boleto, a Checkout Session, a PayPal order, an
//! automatic charge of a saved card. One row per charge; `(gateway,
//! external_id)` is unique, so creating the same charge twice keeps one
//! row. Also the cards customers save for automatic charges
//! (`saved_payment_methods`, migration 0024) and the staff list of charges.

use sqlx::AnyConnection;

use crate::Result;
use crate::params::Params;

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
    /// 1 for a saved card charged by the card-charges job.
    pub automatic: i64,
    /// Who closed it by hand (staff cancel), if anyone.
    pub closed_by: Option<String>,
}

const COLUMNS: &str = "id, invoice_id, method, gateway, external_id, status, amount, pay_code, \
    barcode, url, expires_at, payment_id, error, created_at, updated_at, automatic, closed_by";

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

/// Issued invoices with something left to pay and no charge (open, paid,
/// failed, or closed by staff) at `gateway` yet, oldest first, at most `limit`: the ones a charge job
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
                  AND (c.status IN ('open', 'paid', 'failed') OR c.closed_by IS NOT NULL))
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

/// A charge to add as it stands (a checkout, an order, an automatic card
/// charge that may already have failed).
#[derive(Debug, Clone)]
pub struct Added<'a> {
    pub invoice_id: i64,
    pub method: &'a str,
    pub gateway: &'a str,
    pub external_id: &'a str,
    pub status: &'a str,
    pub amount: i64,
    pub url: Option<&'a str>,
    pub expires_at: Option<i64>,
    pub error: Option<&'a str>,
    pub automatic: bool,
}

/// Adds a charge; `None` when `(gateway, external_id)` is there already.
pub async fn insert(conn: &mut AnyConnection, c: &Added<'_>, at: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO payment_charges (invoice_id, method, gateway, external_id, status, amount,
            url, expires_at, error, automatic, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (gateway, external_id) DO NOTHING
         RETURNING id",
    )
    .bind(c.invoice_id)
    .bind(c.method)
    .bind(c.gateway)
    .bind(c.external_id)
    .bind(c.status)
    .bind(c.amount)
    .bind(c.url)
    .bind(c.expires_at)
    .bind(c.error)
    .bind(i64::from(c.automatic))
    .bind(at)
    .fetch_optional(conn)
    .await?)
}

/// The newest open, unexpired (at `now`), non-automatic charge of invoice
/// `invoice_id` at `gateway` for `amount`: a customer pressing "pay" again
/// reuses it.
pub async fn open_checkout(
    conn: &mut AnyConnection,
    invoice_id: i64,
    gateway: &str,
    amount: i64,
    now: i64,
) -> Result<Option<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment_charges
         WHERE invoice_id = $1 AND gateway = $2 AND amount = $3 AND status = 'open'
           AND automatic = 0 AND (expires_at IS NULL OR expires_at > $4)
         ORDER BY id DESC LIMIT 1"
    )))
    .bind(invoice_id)
    .bind(gateway)
    .bind(amount)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Moves charge `id` to `status` (with `error` for a failure, and the
/// payment that settled it); a paid charge stays paid.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    payment_id: Option<i64>,
    error: Option<&str>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE payment_charges
         SET status = $2, payment_id = COALESCE($3, payment_id), error = $4, updated_at = $5
         WHERE id = $1 AND status <> 'paid'",
    )
    .bind(id)
    .bind(status)
    .bind(payment_id)
    .bind(error)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels open charge `id` by hand (`by`: who), with the reason in
/// `error`; returns whether it changed.
pub async fn cancel_by(
    conn: &mut AnyConnection,
    id: i64,
    by: &str,
    reason: &str,
    at: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE payment_charges SET status = 'canceled', closed_by = $2, error = $3, updated_at = $4
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(by)
    .bind(reason)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// How many charges invoice `invoice_id` has at `gateway` (any state):
/// the attempt number of the next one, for idempotency keys and txids.
pub async fn count_of(conn: &mut AnyConnection, invoice_id: i64, gateway: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM payment_charges WHERE invoice_id = $1 AND gateway = $2",
    )
    .bind(invoice_id)
    .bind(gateway)
    .fetch_one(conn)
    .await?)
}

/// A charge with the names the staff list shows.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Listed {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub charge: Charge,
    pub invoice_number: Option<String>,
    pub customer_id: i64,
    pub customer_name: String,
}

/// What the staff list of charges shows (newest first, keyset by id).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub gateway: Option<String>,
    pub status: Option<String>,
    pub customer_id: Option<i64>,
    pub invoice_id: Option<i64>,
    /// Created at or after (Unix seconds).
    pub created_from: Option<i64>,
    /// Created before (Unix seconds).
    pub created_before: Option<i64>,
    /// The provider's id (txid, session, order, nosso número) or the
    /// invoice's number, exactly.
    pub search: Option<String>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

const LISTED: &str = "c.id, c.invoice_id, c.method, c.gateway, c.external_id, c.status, c.amount, \
    c.pay_code, c.barcode, c.url, c.expires_at, c.payment_id, c.error, c.created_at, \
    c.updated_at, c.automatic, c.closed_by, d.number AS invoice_number, d.customer_id, \
    cu.name AS customer_name";
const LISTED_FROM: &str = "payment_charges c JOIN invoices d ON d.id = c.invoice_id \
    JOIN customers cu ON cu.id = d.customer_id";

/// A page of charges matching `f`, and whether more follow.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Listed>, bool)> {
    let mut p = Params::default();
    let mut sql = format!("SELECT {LISTED} FROM {LISTED_FROM} WHERE 1 = 1");
    if let Some(g) = &f.gateway {
        sql += &format!(" AND c.gateway = {}", p.add(g.as_str()));
    }
    if let Some(s) = &f.status {
        sql += &format!(" AND c.status = {}", p.add(s.as_str()));
    }
    if let Some(c) = f.customer_id {
        sql += &format!(" AND d.customer_id = {}", p.add(c));
    }
    if let Some(i) = f.invoice_id {
        sql += &format!(" AND c.invoice_id = {}", p.add(i));
    }
    if let Some(t) = f.created_from {
        sql += &format!(" AND c.created_at >= {}", p.add(t));
    }
    if let Some(t) = f.created_before {
        sql += &format!(" AND c.created_at < {}", p.add(t));
    }
    if let Some(s) = &f.search {
        let a = p.add(s.as_str());
        let b = p.add(s.as_str());
        sql += &format!(" AND (c.external_id = {a} OR d.number = {b})");
    }
    if let Some(b) = f.before_id {
        sql += &format!(" AND c.id < {}", p.add(b));
    }
    sql += &format!(" ORDER BY c.id DESC LIMIT {}", p.add(f.limit + 1));
    let q = sqlx::query_as::<_, Listed>(sqlx::AssertSqlSafe(sql));
    let mut rows = p.bind_as(q).fetch_all(conn).await?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit.max(0) as usize);
    Ok((rows, more))
}

/// One charge with the names the staff page shows.
pub async fn listed(conn: &mut AnyConnection, id: i64) -> Result<Listed> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LISTED} FROM {LISTED_FROM} WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

// ---------------------------------------------------------------- saved cards

/// A customer's saved card at a gateway.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct SavedMethod {
    pub id: i64,
    pub customer_id: i64,
    pub gateway: String,
    pub provider_customer: String,
    pub payment_method: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SAVED_COLUMNS: &str =
    "id, customer_id, gateway, provider_customer, payment_method, created_at, updated_at";

/// Customer `customer_id`'s saved card at `gateway`, if any.
pub async fn saved_method(
    conn: &mut AnyConnection,
    customer_id: i64,
    gateway: &str,
) -> Result<Option<SavedMethod>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SAVED_COLUMNS} FROM saved_payment_methods WHERE customer_id = $1 AND gateway = $2"
    )))
    .bind(customer_id)
    .bind(gateway)
    .fetch_optional(conn)
    .await?)
}

/// Keeps `provider_customer` as customer `customer_id`'s id at `gateway`
/// (the card comes later); an existing row keeps its own.
pub async fn ensure_provider_customer(
    conn: &mut AnyConnection,
    customer_id: i64,
    gateway: &str,
    provider_customer: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO saved_payment_methods (customer_id, gateway, provider_customer,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (customer_id, gateway) DO NOTHING",
    )
    .bind(customer_id)
    .bind(gateway)
    .bind(provider_customer)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves `payment_method` for the customer whose id at `gateway` is
/// `provider_customer`; `false` when no such customer is known.
pub async fn set_payment_method(
    conn: &mut AnyConnection,
    gateway: &str,
    provider_customer: &str,
    payment_method: &str,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE saved_payment_methods SET payment_method = $3, updated_at = $4
         WHERE gateway = $1 AND provider_customer = $2",
    )
    .bind(gateway)
    .bind(provider_customer)
    .bind(payment_method)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// An invoice the card-charges job charges: issued, due by `today`, with
/// something left to pay (before credit notes), its customer holding a
/// saved card at `gateway`, and no automatic charge tried yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueForCard {
    pub invoice_id: i64,
    pub public_id: String,
    pub number: Option<String>,
    pub customer_id: i64,
    pub total: i64,
    pub paid: i64,
    pub provider_customer: String,
    pub payment_method: String,
}

/// Invoices to charge to saved cards today (see [`DueForCard`]), at most `limit`.
pub async fn due_for_card(
    conn: &mut AnyConnection,
    gateway: &str,
    today: &str,
    limit: i64,
) -> Result<Vec<DueForCard>> {
    Ok(sqlx::query_as(
        "SELECT d.id AS invoice_id, d.public_id, d.number, d.customer_id, d.total, d.paid,
                s.provider_customer, s.payment_method
         FROM invoices d
         JOIN saved_payment_methods s ON s.customer_id = d.customer_id AND s.gateway = $1
         WHERE d.kind = 'invoice' AND d.status = 'issued' AND d.due_date <= $2
           AND d.total > d.paid AND s.payment_method IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM payment_charges pc
                           WHERE pc.invoice_id = d.id AND pc.gateway = $1 AND pc.automatic = 1)
         ORDER BY d.due_date, d.id
         LIMIT $3",
    )
    .bind(gateway)
    .bind(today)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
