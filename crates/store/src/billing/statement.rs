//! A customer's account: what its documents add up to, the documents of a
//! period in order, and the invoices still open. Every query is bounded by
//! one customer through `invoices_customer_issue` (migration 0016), so a
//! statement costs the same over a thousand invoices or a million.

use sqlx::AnyConnection;

use crate::Result;

/// Documents that count towards a balance: issued ones, and voided
/// invoices (their credit note takes them back, so both stay on the
/// account). Drafts never do.
const COUNTED: &str = "d.status IN ('issued', 'voided') AND d.issue_date IS NOT NULL";

/// The sum of every counted document of `customer_id` issued before
/// `before` (`YYYY-MM-DD`), or all of them when `None`.
pub async fn balance(
    conn: &mut AnyConnection,
    customer_id: i64,
    before: Option<&str>,
) -> Result<i64> {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(d.total), 0) AS BIGINT) FROM invoices d
         WHERE d.customer_id = $1 AND {COUNTED} AND ($2 IS NULL OR d.issue_date < $2)"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(before)
        .fetch_one(conn)
        .await?)
}

/// One document on a statement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub number: Option<String>,
    pub status: String,
    pub issue_date: String,
    pub due_date: String,
    /// Signed: credit notes are negative.
    pub total: i64,
    /// The invoice a credit note takes back, by number.
    pub credits_number: Option<String>,
}

/// The counted documents of `customer_id` issued from `from` to `to`
/// (inclusive), oldest first.
pub async fn entries(
    conn: &mut AnyConnection,
    customer_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<Entry>> {
    let sql = format!(
        "SELECT d.id, d.kind, d.number, d.status, d.issue_date, d.due_date, d.total,
            o.number AS credits_number
         FROM invoices d LEFT JOIN invoices o ON o.id = d.credits_invoice_id
         WHERE d.customer_id = $1 AND {COUNTED} AND d.issue_date >= $2 AND d.issue_date <= $3
         ORDER BY d.issue_date, d.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await?)
}

/// An issued invoice with what is left to pay on it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Open {
    pub id: i64,
    pub number: Option<String>,
    pub issue_date: String,
    pub due_date: String,
    pub total: i64,
    /// The total less what credit notes took back and what was paid.
    pub open: i64,
}

/// The issued invoices of `customer_id` with something left to pay, by due
/// date. The customer's counted documents are read through its index and
/// the credit notes matched here: a correlated sub-query on
/// `credits_invoice_id` let SQLite's planner scan the whole table (the
/// column is NULL on nearly every row).
pub async fn open_invoices(conn: &mut AnyConnection, customer_id: i64) -> Result<Vec<Open>> {
    let sql = format!(
        "SELECT d.id, d.kind, d.number, d.status, d.issue_date, d.due_date, d.total,
            d.credits_invoice_id, d.paid
         FROM invoices d
         WHERE d.customer_id = $1 AND {COUNTED}
         ORDER BY d.due_date, d.id"
    );
    let rows: Vec<Counted> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .fetch_all(conn)
        .await?;
    let mut credited: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for r in &rows {
        if let (true, Some(of)) = (
            r.kind == "credit_note" && r.status == "issued",
            r.credits_invoice_id,
        ) {
            *credited.entry(of).or_default() += r.total;
        }
    }
    Ok(rows
        .into_iter()
        .filter(|r| r.kind == "invoice" && r.status == "issued")
        .map(|r| Open {
            open: r.total + credited.get(&r.id).copied().unwrap_or(0) - r.paid,
            id: r.id,
            number: r.number,
            issue_date: r.issue_date,
            due_date: r.due_date,
            total: r.total,
        })
        .filter(|o| o.open > 0)
        .collect())
}

/// A counted document as [`open_invoices`] reads it.
#[derive(sqlx::FromRow)]
struct Counted {
    id: i64,
    kind: String,
    number: Option<String>,
    status: String,
    issue_date: String,
    due_date: String,
    total: i64,
    credits_invoice_id: Option<i64>,
    paid: i64,
}
