//! The payments book (migration 0019): payments, refunds and reversals
//! per customer, their allocations to invoices, and the `paid` / `paid_on`
//! kept on each invoice. Rows are only added; a refund or reversal is a
//! row of its own whose allocations give back what the payment settled.

pub mod charges;
pub mod recon;
pub mod recurrences;
pub mod webhooks;

use sqlx::AnyConnection;

use crate::{Engine, Result};

/// A row of the payments book as stored (`kind`: `payment`, `refund`,
/// `reversal`; see `domain::payments`). `amount` is always positive.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Payment {
    pub id: i64,
    pub public_id: String,
    pub customer_id: i64,
    pub kind: String,
    pub method: String,
    pub amount: i64,
    pub received_on: String,
    pub received_at: i64,
    pub gateway: Option<String>,
    pub reference: Option<String>,
    pub invoice_id: Option<i64>,
    pub reverses_payment_id: Option<i64>,
    pub fee: i64,
    pub receipt_number: Option<String>,
    pub notes: String,
    pub actor_kind: String,
    pub actor_name: String,
    pub created_at: i64,
    /// The customer's name, for lists.
    pub customer_name: String,
}

const COLUMNS: &str = "p.id, p.public_id, p.customer_id, p.kind, p.method, p.amount, \
    p.received_on, p.received_at, p.gateway, p.reference, p.invoice_id, p.reverses_payment_id, \
    p.fee, p.receipt_number, p.notes, p.actor_kind, p.actor_name, p.created_at, \
    c.name AS customer_name";

const FROM: &str = "payments p JOIN customers c ON c.id = p.customer_id";

/// A new row of the book.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub public_id: &'a str,
    pub customer_id: i64,
    pub kind: &'a str,
    pub method: &'a str,
    pub amount: i64,
    pub received_on: &'a str,
    pub received_at: i64,
    pub gateway: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub invoice_id: Option<i64>,
    pub reverses_payment_id: Option<i64>,
    pub fee: i64,
    pub notes: &'a str,
    pub actor_kind: &'a str,
    pub actor_name: &'a str,
}

/// Adds a row; `None` when a row with the same `(gateway, reference)`
/// exists already (committed, or committed by a concurrent transaction
/// this one waited for), in which case nothing was written.
pub async fn insert(conn: &mut AnyConnection, p: &NewPayment<'_>, at: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO payments (public_id, customer_id, kind, method, amount, received_on,
            received_at, gateway, reference, invoice_id, reverses_payment_id, fee, notes,
            actor_kind, actor_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (gateway, reference) DO NOTHING
         RETURNING id",
    )
    .bind(p.public_id)
    .bind(p.customer_id)
    .bind(p.kind)
    .bind(p.method)
    .bind(p.amount)
    .bind(p.received_on)
    .bind(p.received_at)
    .bind(p.gateway)
    .bind(p.reference)
    .bind(p.invoice_id)
    .bind(p.reverses_payment_id)
    .bind(p.fee)
    .bind(p.notes)
    .bind(p.actor_kind)
    .bind(p.actor_name)
    .bind(at)
    .fetch_optional(conn)
    .await?)
}

/// Gives payment `id` its receipt number (taken after the insert, so a
/// duplicate delivery takes no number).
pub async fn set_receipt_number(conn: &mut AnyConnection, id: i64, number: &str) -> Result<()> {
    sqlx::query("UPDATE payments SET receipt_number = $2 WHERE id = $1 AND receipt_number IS NULL")
        .bind(id)
        .bind(number)
        .execute(conn)
        .await
        .map_err(crate::conflict("receipt_number"))?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Payment> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE p.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

pub async fn by_public_id(conn: &mut AnyConnection, public_id: &str) -> Result<Payment> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE p.public_id = $1"
    )))
    .bind(public_id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// The row a gateway delivered with `reference`, if recorded.
pub async fn by_reference(
    conn: &mut AnyConnection,
    gateway: &str,
    reference: &str,
) -> Result<Option<Payment>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE p.gateway = $1 AND p.reference = $2"
    )))
    .bind(gateway)
    .bind(reference)
    .fetch_optional(conn)
    .await?)
}

/// Serialises changes to one customer's account until the transaction
/// ends: on PostgreSQL the customer's row is locked (concurrent payments,
/// refunds and credit applied by a run queue behind each other, so what
/// they read open is still open when they write); SQLite has one writer.
pub async fn lock_account(
    conn: &mut AnyConnection,
    engine: Engine,
    customer_id: i64,
) -> Result<()> {
    let sql = match engine {
        Engine::Postgres => "SELECT id FROM customers WHERE id = $1 FOR UPDATE",
        Engine::Sqlite => "SELECT id FROM customers WHERE id = $1",
    };
    sqlx::query_scalar::<_, i64>(sql)
        .bind(customer_id)
        .fetch_optional(conn)
        .await?
        .ok_or(crate::Error::NotFound)?;
    Ok(())
}

/// An issued invoice's amounts as payments see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceAmounts {
    pub id: i64,
    pub customer_id: i64,
    pub number: Option<String>,
    pub status: String,
    pub issue_date: Option<String>,
    pub due_date: String,
    pub total: i64,
    /// What issued credit notes took back (positive).
    pub credited: i64,
    pub paid: i64,
}

impl InvoiceAmounts {
    /// What is left to pay.
    pub fn open(&self) -> i64 {
        self.total - self.credited - self.paid
    }
}

#[derive(sqlx::FromRow)]
struct Counted {
    id: i64,
    customer_id: i64,
    kind: String,
    number: Option<String>,
    status: String,
    issue_date: Option<String>,
    due_date: String,
    total: i64,
    paid: i64,
    credits_invoice_id: Option<i64>,
}

const COUNTED_COLUMNS: &str = "d.id, d.customer_id, d.kind, d.number, d.status, d.issue_date, \
    d.due_date, d.total, d.paid, d.credits_invoice_id";

fn amounts_of(rows: Vec<Counted>) -> Vec<InvoiceAmounts> {
    let mut credited: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for r in &rows {
        if let (true, Some(of)) = (
            r.kind == "credit_note" && r.status == "issued",
            r.credits_invoice_id,
        ) {
            *credited.entry(of).or_default() -= r.total;
        }
    }
    rows.into_iter()
        .filter(|r| r.kind == "invoice")
        .map(|r| InvoiceAmounts {
            credited: credited.get(&r.id).copied().unwrap_or(0),
            id: r.id,
            customer_id: r.customer_id,
            number: r.number,
            status: r.status,
            issue_date: r.issue_date,
            due_date: r.due_date,
            total: r.total,
            paid: r.paid,
        })
        .collect()
}

/// The issued invoices of `customer_id` with something left to pay,
/// oldest due first (credit notes matched here from the customer's own
/// documents, read through its index, as the statement does).
pub async fn open_invoices(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> Result<Vec<InvoiceAmounts>> {
    let rows: Vec<Counted> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COUNTED_COLUMNS} FROM invoices d
         WHERE d.customer_id = $1 AND d.status IN ('issued', 'voided')
         ORDER BY d.due_date, d.id"
    )))
    .bind(customer_id)
    .fetch_all(conn)
    .await?;
    Ok(amounts_of(rows)
        .into_iter()
        .filter(|i| i.status == "issued" && i.open() > 0)
        .collect())
}

/// One invoice's amounts (any status).
pub async fn invoice_amounts(conn: &mut AnyConnection, invoice_id: i64) -> Result<InvoiceAmounts> {
    let rows: Vec<Counted> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COUNTED_COLUMNS} FROM invoices d
         WHERE (d.id = $1 AND d.kind = 'invoice')
            OR (d.credits_invoice_id = $1 AND d.kind = 'credit_note')"
    )))
    .bind(invoice_id)
    .fetch_all(conn)
    .await?;
    amounts_of(rows)
        .into_iter()
        .next()
        .ok_or(crate::Error::NotFound)
}

/// What issued credit notes took back from each of `invoice_ids`
/// (positive), for lists.
pub async fn credited(conn: &mut AnyConnection, invoice_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=invoice_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT credits_invoice_id, CAST(-SUM(total) AS BIGINT) FROM invoices
         WHERE kind = 'credit_note' AND status = 'issued' AND credits_invoice_id IN ({})
         GROUP BY credits_invoice_id",
        marks.join(", ")
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in invoice_ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// An allocation to add: payment `payment_id` moved `amount` on invoice
/// `invoice_id` from `on` (settling it for a payment, opening it again for
/// a refund or reversal); the invoice's `paid` moves by `paid_delta` and
/// its `paid_on` becomes `paid_on` (`Some` when nothing is left open).
#[derive(Debug, Clone, Copy)]
pub struct NewAllocation<'a> {
    pub payment_id: i64,
    pub invoice_id: i64,
    pub amount: i64,
    pub paid_delta: i64,
    pub on: &'a str,
    pub paid_on: Option<&'a str>,
    /// A payment's money given back from the invoice to the payment.
    pub released: bool,
}

/// Adds an allocation and moves the invoice's `paid` with it.
pub async fn allocate(conn: &mut AnyConnection, a: &NewAllocation<'_>, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO payment_allocations (payment_id, invoice_id, amount, allocated_on, created_at,
            released)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.payment_id)
    .bind(a.invoice_id)
    .bind(a.amount)
    .bind(a.on)
    .bind(at)
    .bind(i64::from(a.released))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE invoices SET paid = paid + $2, paid_on = $3 WHERE id = $1")
        .bind(a.invoice_id)
        .bind(a.paid_delta)
        .bind(a.paid_on)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets an invoice's `paid_on` (a credit note can settle what is left).
pub async fn set_paid_on(
    conn: &mut AnyConnection,
    invoice_id: i64,
    paid_on: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE invoices SET paid_on = $2 WHERE id = $1")
        .bind(invoice_id)
        .bind(paid_on)
        .execute(conn)
        .await?;
    Ok(())
}

/// One allocation, with the invoice's number and the row's kind.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Allocation {
    pub id: i64,
    pub payment_id: i64,
    pub invoice_id: i64,
    pub invoice_number: Option<String>,
    pub amount: i64,
    pub allocated_on: String,
    pub created_at: i64,
    /// The kind of the row it belongs to (`payment`: settles, unless
    /// `released`).
    pub kind: String,
    pub receipt_number: Option<String>,
    pub method: String,
    /// 1: a payment's money given back from the invoice (a credit note
    /// settled it instead).
    pub released: i64,
    /// The payment whose money it moves (the refund's or reversal's
    /// payment for those).
    pub of_payment: i64,
}

impl Allocation {
    /// What it adds to what its payment holds on the invoice.
    pub fn held(&self) -> i64 {
        if self.kind == "payment" && self.released == 0 {
            self.amount
        } else {
            -self.amount
        }
    }
}

const ALLOCATION: &str = "SELECT a.id, a.payment_id, a.invoice_id, i.number AS invoice_number, \
    a.amount, a.allocated_on, a.created_at, p.kind, p.receipt_number, p.method, a.released, \
    COALESCE(p.reverses_payment_id, p.id) AS of_payment \
    FROM payment_allocations a JOIN payments p ON p.id = a.payment_id \
    JOIN invoices i ON i.id = a.invoice_id";

/// The allocations of payment `payment_id` and of the refunds and
/// reversals that took it back, oldest first.
pub async fn allocations_of(conn: &mut AnyConnection, payment_id: i64) -> Result<Vec<Allocation>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ALLOCATION} WHERE a.payment_id = $1
            OR a.payment_id IN (SELECT r.id FROM payments r WHERE r.reverses_payment_id = $1)
         ORDER BY a.id"
    )))
    .bind(payment_id)
    .fetch_all(conn)
    .await?)
}

/// Every allocation on invoice `invoice_id`, oldest first.
pub async fn allocations_on(conn: &mut AnyConnection, invoice_id: i64) -> Result<Vec<Allocation>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ALLOCATION} WHERE a.invoice_id = $1 ORDER BY a.id"
    )))
    .bind(invoice_id)
    .fetch_all(conn)
    .await?)
}

/// What refunds and reversals took back of payment `payment_id`.
pub async fn taken_back(conn: &mut AnyConnection, payment_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments
         WHERE reverses_payment_id = $1",
    )
    .bind(payment_id)
    .fetch_one(conn)
    .await?)
}

/// Each payment of `customer_id` with money not applied to any invoice
/// (its amount less what was taken back and what its allocations still
/// hold), oldest first: `(payment_id, left)`.
pub async fn credits(conn: &mut AnyConnection, customer_id: i64) -> Result<Vec<(i64, i64)>> {
    // Per payment: + amount, − refunds' amounts, − own allocations (+ its
    // released ones), + refunds' allocations (what they gave back).
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT x.pid, CAST(SUM(x.v) AS BIGINT) FROM (
            SELECT p.id AS pid, p.amount AS v FROM payments p
             WHERE p.customer_id = $1 AND p.kind = 'payment'
            UNION ALL
            SELECT r.reverses_payment_id, -r.amount FROM payments r
             WHERE r.customer_id = $1 AND r.kind <> 'payment'
            UNION ALL
            SELECT p.id, CASE WHEN a.released = 0 THEN -a.amount ELSE a.amount END
             FROM payments p JOIN payment_allocations a ON a.payment_id = p.id
             WHERE p.customer_id = $1 AND p.kind = 'payment'
            UNION ALL
            SELECT r.reverses_payment_id, a.amount FROM payments r
             JOIN payment_allocations a ON a.payment_id = r.id
             WHERE r.customer_id = $1 AND r.kind <> 'payment'
         ) x GROUP BY x.pid ORDER BY x.pid",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter(|(_, left)| *left > 0).collect())
}

/// Which of `customer_ids` have credit (money of theirs not applied to
/// any invoice; [`credits`] summed per customer): the billing run asks once
/// per group, so only those customers cost the per-invoice credit step.
pub async fn customers_with_credit(
    conn: &mut AnyConnection,
    customer_ids: &[i64],
) -> Result<Vec<i64>> {
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=customer_ids.len()).map(|i| format!("${i}")).collect();
    let ids = marks.join(", ");
    let sql = format!(
        "SELECT x.cid FROM (
            SELECT p.customer_id AS cid, p.amount AS v FROM payments p
             WHERE p.customer_id IN ({ids}) AND p.kind = 'payment'
            UNION ALL
            SELECT r.customer_id, -r.amount FROM payments r
             WHERE r.customer_id IN ({ids}) AND r.kind <> 'payment'
            UNION ALL
            SELECT p.customer_id, CASE WHEN a.released = 0 THEN -a.amount ELSE a.amount END
             FROM payments p JOIN payment_allocations a ON a.payment_id = p.id
             WHERE p.customer_id IN ({ids}) AND p.kind = 'payment'
            UNION ALL
            SELECT r.customer_id, a.amount FROM payments r
             JOIN payment_allocations a ON a.payment_id = r.id
             WHERE r.customer_id IN ({ids}) AND r.kind <> 'payment'
         ) x GROUP BY x.cid HAVING SUM(x.v) > 0"
    );
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for id in customer_ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// What a list of the book asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub customer_id: Option<i64>,
    pub method: Option<String>,
    pub kind: Option<String>,
    /// Received from / to (inclusive, `YYYY-MM-DD`).
    pub from: Option<String>,
    pub to: Option<String>,
    /// A receipt number or a gateway reference, exactly.
    pub search: Option<String>,
    /// Rows with a smaller id (keyset paging, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A page of the book, newest first, and whether more follow.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Payment>, bool)> {
    enum Arg<'a> {
        Int(i64),
        Text(&'a str),
    }
    let mut conds: Vec<(&str, Arg)> = Vec::new();
    if let Some(c) = f.customer_id {
        conds.push((" AND p.customer_id = ?", Arg::Int(c)));
    }
    if let Some(m) = &f.method {
        conds.push((" AND p.method = ?", Arg::Text(m)));
    }
    if let Some(k) = &f.kind {
        conds.push((" AND p.kind = ?", Arg::Text(k)));
    }
    if let Some(d) = &f.from {
        conds.push((" AND p.received_on >= ?", Arg::Text(d)));
    }
    if let Some(d) = &f.to {
        conds.push((" AND p.received_on <= ?", Arg::Text(d)));
    }
    if let Some(s) = &f.search {
        conds.push((" AND (p.receipt_number = ?", Arg::Text(s)));
        conds.push((" OR p.reference = ?)", Arg::Text(s)));
    }
    if let Some(b) = f.before_id {
        conds.push((" AND p.id < ?", Arg::Int(b)));
    }
    conds.push((" ORDER BY p.id DESC LIMIT ?", Arg::Int(f.limit + 1)));
    let mut sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE 1 = 1");
    for (n, (cond, _)) in conds.iter().enumerate() {
        sql += &cond.replace('?', &format!("${}", n + 1));
    }
    let args = conds.into_iter().map(|(_, a)| a);
    let mut q = sqlx::query_as::<_, Payment>(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = match a {
            Arg::Int(i) => q.bind(i),
            Arg::Text(t) => q.bind(t),
        };
    }
    let mut rows = q.fetch_all(conn).await?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit.max(0) as usize);
    Ok((rows, more))
}

/// The sum of `customer_id`'s book received before `before` (all when
/// `None`), signed: payments less refunds and reversals.
pub async fn received(
    conn: &mut AnyConnection,
    customer_id: i64,
    before: Option<&str>,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'payment' THEN amount ELSE -amount END), 0)
            AS BIGINT)
         FROM payments WHERE customer_id = $1 AND ($2 IS NULL OR received_on < $2)",
    )
    .bind(customer_id)
    .bind(before)
    .fetch_one(conn)
    .await?)
}

/// `customer_id`'s rows received from `from` to `to` (inclusive), oldest
/// first: the statement's payment lines.
pub async fn received_between(
    conn: &mut AnyConnection,
    customer_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<Payment>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM}
         WHERE p.customer_id = $1 AND p.received_on >= $2 AND p.received_on <= $3
         ORDER BY p.received_on, p.id"
    )))
    .bind(customer_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// The receipt number of payment `id` (for refunds naming it).
pub async fn receipt_number(conn: &mut AnyConnection, id: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT receipt_number FROM payments WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

/// Whether `customer_id` has any row in the book (one index probe).
pub async fn has_payments(conn: &mut AnyConnection, customer_id: i64) -> Result<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT id FROM payments WHERE customer_id = $1 LIMIT 1")
            .bind(customer_id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Queues the receipt e-mail of payment `payment_id` to its customer's
/// first e-mail (composed and rendered when sent, as invoices are). Nothing
/// when the customer has no e-mail, `email.send_invoices` is off or it was
/// queued before.
pub async fn enqueue_receipt(conn: &mut AnyConnection, payment_id: i64, at: i64) -> Result<bool> {
    let first_email = if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        "json_extract(c.emails, '$[0]')"
    } else {
        "(c.emails::jsonb ->> 0)"
    };
    let sql = format!(
        "INSERT INTO email_outbox (to_addr, subject, body_text, status, created_at,
            attachment_kind, attachment_id)
         SELECT {first_email}, COALESCE(p.receipt_number, ''), '', 'pending', $2, 'receipt', p.id
         FROM payments p JOIN customers c ON c.id = p.customer_id
         WHERE p.id = $1 AND p.kind = 'payment' AND p.receipt_number IS NOT NULL
           AND COALESCE({first_email}, '') <> ''
           AND NOT EXISTS (SELECT 1 FROM settings
                WHERE key = 'email.send_invoices' AND value = 'false')
         ON CONFLICT DO NOTHING"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(payment_id)
        .bind(at)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

// The batch forms below write what the one-payment functions above write,
// for many payments with a few multi-row statements (return files settle
// thousands of boletos per transaction).

/// The rows gateway `gateway` delivered with any of `references`.
pub async fn by_references(
    conn: &mut AnyConnection,
    gateway: &str,
    references: &[&str],
) -> Result<Vec<Payment>> {
    let mut out = Vec::with_capacity(references.len());
    for part in references.chunks(2000) {
        let mut p = crate::params::Params::for_conn(conn);
        let g = p.add(gateway);
        let list: Vec<String> = part.iter().map(|r| p.add(*r)).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE p.gateway = {g} AND p.reference IN ({})",
            list.join(", ")
        );
        out.extend(
            p.bind_as(sqlx::query_as::<_, Payment>(sqlx::AssertSqlSafe(sql)))
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    Ok(out)
}

/// [`lock_account`] for many customers, in id order (so two batches never
/// wait for each other in a cycle); returns the ids that exist.
pub async fn lock_accounts(
    conn: &mut AnyConnection,
    engine: Engine,
    customer_ids: &[i64],
) -> Result<Vec<i64>> {
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    let lock = match engine {
        Engine::Postgres => " FOR UPDATE",
        Engine::Sqlite => "",
    };
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM customers WHERE id IN ({}) ORDER BY id{lock}",
        crate::params::id_list(customer_ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// Every issued or voided invoice of `customer_ids` with its amounts
/// (whatever is left open), by customer, oldest due first: what
/// [`open_invoices`] filters, for many customers in one read.
pub async fn invoices_of(
    conn: &mut AnyConnection,
    customer_ids: &[i64],
) -> Result<Vec<InvoiceAmounts>> {
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Counted> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COUNTED_COLUMNS} FROM invoices d
         WHERE d.customer_id IN ({}) AND d.status IN ('issued', 'voided')
         ORDER BY d.customer_id, d.due_date, d.id",
        crate::params::id_list(customer_ids)
    )))
    .fetch_all(conn)
    .await?;
    Ok(amounts_of(rows))
}

/// Adds many rows as [`insert`] does one; for each, in the order given, its
/// id, or `None` when a row with the same `(gateway, reference)` exists
/// already (nothing written for it). Every row needs its own `public_id`.
pub async fn insert_many(
    conn: &mut AnyConnection,
    rows: &[NewPayment<'_>],
    at: i64,
) -> Result<Vec<Option<i64>>> {
    use crate::bulk::Value;
    use sqlx::Row as _;
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|p| {
            vec![
                p.public_id.into(),
                p.customer_id.into(),
                p.kind.into(),
                p.method.into(),
                p.amount.into(),
                p.received_on.into(),
                p.received_at.into(),
                p.gateway.map(str::to_owned).into(),
                p.reference.map(str::to_owned).into(),
                p.invoice_id.into(),
                p.reverses_payment_id.into(),
                p.fee.into(),
                p.notes.into(),
                p.actor_kind.into(),
                p.actor_name.into(),
                at.into(),
            ]
        })
        .collect();
    let written = crate::bulk::insert_rows_fetching(
        conn,
        "payments",
        &[
            "public_id",
            "customer_id",
            "kind",
            "method",
            "amount",
            "received_on",
            "received_at",
            "gateway",
            "reference",
            "invoice_id",
            "reverses_payment_id",
            "fee",
            "notes",
            "actor_kind",
            "actor_name",
            "created_at",
        ],
        &values,
        " ON CONFLICT (gateway, reference) DO NOTHING RETURNING id, public_id",
    )
    .await?;
    let mut ids = std::collections::HashMap::with_capacity(written.len());
    for r in &written {
        ids.insert(r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?);
    }
    Ok(rows.iter().map(|p| ids.get(p.public_id).copied()).collect())
}

/// Gives each payment its receipt number (see [`set_receipt_number`]):
/// `(payment id, number)`.
pub async fn set_receipt_numbers(
    conn: &mut AnyConnection,
    numbers: &[(i64, String)],
) -> Result<()> {
    for chunk in numbers.chunks(1000) {
        let mut p = crate::params::Params::for_conn(conn);
        let cases: String = chunk
            .iter()
            .map(|(id, n)| format!(" WHEN {id} THEN {}", p.add(n.as_str())))
            .collect();
        let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        let sql = format!(
            "UPDATE payments SET receipt_number = CASE id{cases} END
             WHERE id IN ({}) AND receipt_number IS NULL",
            crate::params::id_list(&ids)
        );
        p.bind_query(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .execute(&mut *conn)
            .await
            .map_err(crate::conflict("receipt_number"))?;
    }
    Ok(())
}

/// Adds many allocations (as [`allocate`] does one, in the order given)
/// and moves each invoice's `paid` by the sum of its deltas; its `paid_on`
/// becomes that of its last allocation here.
pub async fn allocate_many(
    conn: &mut AnyConnection,
    allocations: &[NewAllocation<'_>],
    at: i64,
) -> Result<()> {
    use crate::bulk::Value;
    if allocations.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<Value>> = allocations
        .iter()
        .map(|a| {
            vec![
                a.payment_id.into(),
                a.invoice_id.into(),
                a.amount.into(),
                a.on.into(),
                at.into(),
                i64::from(a.released).into(),
            ]
        })
        .collect();
    crate::bulk::insert_rows(
        conn,
        "payment_allocations",
        &[
            "payment_id",
            "invoice_id",
            "amount",
            "allocated_on",
            "created_at",
            "released",
        ],
        &rows,
    )
    .await?;
    // Per invoice: the summed delta and the last paid_on, in first-seen order.
    let mut order: Vec<i64> = Vec::new();
    let mut moved: std::collections::HashMap<i64, (i64, Option<&str>)> =
        std::collections::HashMap::new();
    for a in allocations {
        let e = moved.entry(a.invoice_id).or_insert_with(|| {
            order.push(a.invoice_id);
            (0, None)
        });
        e.0 += a.paid_delta;
        e.1 = a.paid_on;
    }
    for chunk in order.chunks(1000) {
        let mut p = crate::params::Params::for_conn(conn);
        let mut paid = String::new();
        let mut paid_on = String::new();
        for id in chunk {
            let (delta, on) = moved[id];
            paid.push_str(&format!(" WHEN {id} THEN {delta}"));
            let on = on.map_or_else(|| "NULL".to_owned(), |d| p.add(d));
            paid_on.push_str(&format!(" WHEN {id} THEN {on}"));
        }
        let sql = format!(
            "UPDATE invoices SET paid = paid + CASE id{paid} END, paid_on = CASE id{paid_on} END
             WHERE id IN ({})",
            crate::params::id_list(chunk)
        );
        p.bind_query(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// [`enqueue_receipt`] for many payments, queued in id order.
pub async fn enqueue_receipts(
    conn: &mut AnyConnection,
    payment_ids: &[i64],
    at: i64,
) -> Result<u64> {
    if payment_ids.is_empty() {
        return Ok(0);
    }
    let first_email = if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        "json_extract(c.emails, '$[0]')"
    } else {
        "(c.emails::jsonb ->> 0)"
    };
    let mut queued = 0;
    for chunk in payment_ids.chunks(2000) {
        let sql = format!(
            "INSERT INTO email_outbox (to_addr, subject, body_text, status, created_at,
                attachment_kind, attachment_id)
             SELECT {first_email}, COALESCE(p.receipt_number, ''), '', 'pending', $1, 'receipt', p.id
             FROM payments p JOIN customers c ON c.id = p.customer_id
             WHERE p.id IN ({}) AND p.kind = 'payment' AND p.receipt_number IS NOT NULL
               AND COALESCE({first_email}, '') <> ''
               AND NOT EXISTS (SELECT 1 FROM settings
                    WHERE key = 'email.send_invoices' AND value = 'false')
             ORDER BY p.id
             ON CONFLICT DO NOTHING",
            crate::params::id_list(chunk)
        );
        queued += sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(at)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(queued)
}
