//! What the card gateways (Stripe, PayPal) keep: their rows of
//! `payment_charges` (a Checkout Session, a PayPal order, an automatic
//! charge of a saved card), the webhook events already handled
//! (`webhook_events`, migration 0022) and the saved cards
//! (`saved_payment_methods`, migration 0024).

use sqlx::AnyConnection;

use crate::Result;

/// A charge at a provider for an invoice, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Charge {
    pub id: i64,
    pub invoice_id: i64,
    pub method: String,
    pub gateway: String,
    pub external_id: String,
    /// `open`, `paid`, `canceled`, `expired` or `failed`.
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
}

const CHARGE_COLUMNS: &str = "id, invoice_id, method, gateway, external_id, status, amount, \
    pay_code, barcode, url, expires_at, payment_id, error, created_at, updated_at, automatic";

/// A charge to add.
#[derive(Debug, Clone)]
pub struct NewCharge<'a> {
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
pub async fn insert_charge(
    conn: &mut AnyConnection,
    c: &NewCharge<'_>,
    at: i64,
) -> Result<Option<i64>> {
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
pub async fn open_charge(
    conn: &mut AnyConnection,
    invoice_id: i64,
    gateway: &str,
    amount: i64,
    now: i64,
) -> Result<Option<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHARGE_COLUMNS} FROM payment_charges
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

/// A charge by its provider id.
pub async fn charge_by_external(
    conn: &mut AnyConnection,
    gateway: &str,
    external_id: &str,
) -> Result<Option<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHARGE_COLUMNS} FROM payment_charges WHERE gateway = $1 AND external_id = $2"
    )))
    .bind(gateway)
    .bind(external_id)
    .fetch_optional(conn)
    .await?)
}

/// Every charge of invoice `invoice_id`, newest first.
pub async fn charges_of_invoice(conn: &mut AnyConnection, invoice_id: i64) -> Result<Vec<Charge>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHARGE_COLUMNS} FROM payment_charges WHERE invoice_id = $1 ORDER BY id DESC"
    )))
    .bind(invoice_id)
    .fetch_all(conn)
    .await?)
}

/// Moves charge `id` to `status` (with `error` for a failure, and the
/// payment that settled it); a paid charge stays paid.
pub async fn set_charge_status(
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

/// Notes webhook event `(gateway, event_id)` as handled; `false` when it
/// was handled before (a repeated delivery: do nothing). Call it first, in
/// the transaction that acts on the event.
pub async fn claim_webhook_event(
    conn: &mut AnyConnection,
    gateway: &str,
    event_id: &str,
    kind: &str,
    outcome: &str,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO webhook_events (gateway, event_id, kind, received_at, outcome)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (gateway, event_id) DO NOTHING",
    )
    .bind(gateway)
    .bind(event_id)
    .bind(kind)
    .bind(at)
    .bind(outcome)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the outcome of a claimed event (`processed`, `ignored`, `failed`).
pub async fn set_webhook_outcome(
    conn: &mut AnyConnection,
    gateway: &str,
    event_id: &str,
    outcome: &str,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_events SET outcome = $3, error = $4 WHERE gateway = $1 AND event_id = $2",
    )
    .bind(gateway)
    .bind(event_id)
    .bind(outcome)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many events of `gateway` were handled (tests and the gateway page).
pub async fn webhook_event_count(conn: &mut AnyConnection, gateway: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE gateway = $1")
            .bind(gateway)
            .fetch_one(conn)
            .await?,
    )
}

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

/// Whether webhook event `(gateway, event_id)` was handled already.
pub async fn webhook_seen(conn: &mut AnyConnection, gateway: &str, event_id: &str) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM webhook_events WHERE gateway = $1 AND event_id = $2",
    )
    .bind(gateway)
    .bind(event_id)
    .fetch_one(conn)
    .await?
        > 0)
}
