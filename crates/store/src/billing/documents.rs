//! Invoices and credit notes: the document, its lines, each line's taxes,
//! and the number series they take their numbers from.

use sqlx::AnyConnection;

use crate::Result;

/// A document as stored (`kind`: `invoice` or `credit_note`; `status`:
/// `draft`, `issued` or `voided`; see `domain::billing::invoice`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Document {
    pub id: i64,
    pub kind: String,
    pub number: Option<String>,
    pub status: String,
    pub public_id: String,
    pub customer_id: i64,
    pub contract_id: Option<i64>,
    pub issue_date: Option<String>,
    pub due_date: String,
    pub net: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
    pub credits_invoice_id: Option<i64>,
    pub billing_run_id: Option<i64>,
    pub notes: String,
    pub void_reason: Option<String>,
    pub created_at: i64,
    pub issued_at: Option<i64>,
    pub voided_at: Option<i64>,
    /// The customer's name, for lists.
    pub customer_name: String,
    /// What payments settled (migration 0019).
    pub paid: i64,
    /// The day nothing was left to pay, if so.
    pub paid_on: Option<String>,
}

const COLUMNS: &str = "d.id, d.kind, d.number, d.status, d.public_id, d.customer_id, \
    d.contract_id, d.issue_date, d.due_date, d.net, d.discount, d.tax, d.total, \
    d.credits_invoice_id, d.billing_run_id, d.notes, d.void_reason, d.created_at, d.issued_at, \
    d.voided_at, c.name AS customer_name, d.paid, d.paid_on";

const FROM: &str = "invoices d JOIN customers c ON c.id = d.customer_id";

/// A new document's header; the amounts come from its lines.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub kind: &'a str,
    pub status: &'a str,
    pub number: Option<&'a str>,
    pub public_id: &'a str,
    pub customer_id: i64,
    pub contract_id: Option<i64>,
    pub issue_date: Option<&'a str>,
    pub due_date: &'a str,
    pub totals: Totals,
    pub credits_invoice_id: Option<i64>,
    pub billing_run_id: Option<i64>,
    pub notes: &'a str,
}

/// A document's sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub net: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
}

pub async fn insert(conn: &mut AnyConnection, d: &NewDocument<'_>, at: i64) -> Result<i64> {
    let issued_at = d.number.map(|_| at);
    sqlx::query_scalar(
        "INSERT INTO invoices (kind, number, status, public_id, customer_id, contract_id,
            issue_date, due_date, net, discount, tax, total, credits_invoice_id, billing_run_id,
            notes, created_at, issued_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         RETURNING id",
    )
    .bind(d.kind)
    .bind(d.number)
    .bind(d.status)
    .bind(d.public_id)
    .bind(d.customer_id)
    .bind(d.contract_id)
    .bind(d.issue_date)
    .bind(d.due_date)
    .bind(d.totals.net)
    .bind(d.totals.discount)
    .bind(d.totals.tax)
    .bind(d.totals.total)
    .bind(d.credits_invoice_id)
    .bind(d.billing_run_id)
    .bind(d.notes)
    .bind(at)
    .bind(issued_at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("number"))
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Document> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

pub async fn by_public_id(conn: &mut AnyConnection, public_id: &str) -> Result<Document> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE d.public_id = $1"
    )))
    .bind(public_id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// Issues a draft: its number, dates and final totals. `false` when the
/// document was not a draft any more (another writer issued it).
pub async fn issue(
    conn: &mut AnyConnection,
    id: i64,
    number: &str,
    issue_date: &str,
    due_date: &str,
    at: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE invoices SET status = 'issued', number = $1, issue_date = $2, due_date = $3,
            issued_at = $4 WHERE id = $5 AND status = 'draft'",
    )
    .bind(number)
    .bind(issue_date)
    .bind(due_date)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("number"))?
    .rows_affected()
        == 1)
}

/// Marks an issued document voided. `false` when it was not issued.
pub async fn void(conn: &mut AnyConnection, id: i64, reason: &str, at: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE invoices SET status = 'voided', void_reason = $1, voided_at = $2
         WHERE id = $3 AND status = 'issued'",
    )
    .bind(reason)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Rewrites a draft's sums after its lines changed.
pub async fn set_totals(conn: &mut AnyConnection, id: i64, t: Totals) -> Result<()> {
    sqlx::query(
        "UPDATE invoices SET net = $1, discount = $2, tax = $3, total = $4
         WHERE id = $5 AND status = 'draft'",
    )
    .bind(t.net)
    .bind(t.discount)
    .bind(t.tax)
    .bind(t.total)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a draft (its lines go with it). `false` unless it was a draft.
pub async fn delete_draft(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM invoices WHERE id = $1 AND status = 'draft'")
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// What a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub customer_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub billing_run_id: Option<i64>,
    /// Credit notes of this invoice.
    pub credits_invoice_id: Option<i64>,
    /// The document number, exactly.
    pub number: Option<String>,
    /// Any of these customers (empty: any customer; a customer search
    /// hands its matches here).
    pub customer_ids: Vec<i64>,
    /// Issue dates from / to (inclusive, `YYYY-MM-DD`).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Due dates before this day (exclusive, `YYYY-MM-DD`).
    pub due_before: Option<String>,
    /// Issued invoices not paid in full whose due date is before this day:
    /// overdue as of it.
    pub overdue_on: Option<String>,
    /// Documents with a smaller id (keyset paging, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A page of documents, newest first, and whether more follow.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Document>, bool)> {
    let mut sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE 1 = 1");
    let mut n = 0;
    let mut next = |col: &str| {
        n += 1;
        format!(" AND {col} ${n}")
    };
    if f.kind.is_some() {
        sql += &next("d.kind =");
    }
    if f.status.is_some() {
        sql += &next("d.status =");
    }
    if f.customer_id.is_some() {
        sql += &next("d.customer_id =");
    }
    if f.contract_id.is_some() {
        sql += &next("d.contract_id =");
    }
    if f.billing_run_id.is_some() {
        sql += &next("d.billing_run_id =");
    }
    if f.credits_invoice_id.is_some() {
        sql += &next("d.credits_invoice_id =");
    }
    if f.number.is_some() {
        sql += &next("d.number =");
    }
    if f.from.is_some() {
        sql += &next("d.issue_date >=");
    }
    if f.to.is_some() {
        sql += &next("d.issue_date <=");
    }
    if f.due_before.is_some() {
        sql += &next("d.due_date <");
    }
    if f.overdue_on.is_some() {
        sql += " AND d.kind = 'invoice' AND d.status = 'issued' AND d.paid < d.total";
        sql += &next("d.due_date <");
    }
    if f.before_id.is_some() {
        sql += &next("d.id <");
    }
    if !f.customer_ids.is_empty() {
        let marks: Vec<String> = (n + 1..=n + f.customer_ids.len())
            .map(|i| format!("${i}"))
            .collect();
        n += f.customer_ids.len();
        sql += &format!(" AND d.customer_id IN ({})", marks.join(", "));
    }
    n += 1;
    sql += &format!(" ORDER BY d.id DESC LIMIT ${n}");
    let mut q = sqlx::query_as::<_, Document>(sqlx::AssertSqlSafe(sql));
    for s in [&f.kind, &f.status].into_iter().flatten() {
        q = q.bind(s.as_str());
    }
    for i in [
        f.customer_id,
        f.contract_id,
        f.billing_run_id,
        f.credits_invoice_id,
    ]
    .into_iter()
    .flatten()
    {
        q = q.bind(i);
    }
    if let Some(n) = &f.number {
        q = q.bind(n.as_str());
    }
    for s in [&f.from, &f.to, &f.due_before, &f.overdue_on]
        .into_iter()
        .flatten()
    {
        q = q.bind(s.as_str());
    }
    if let Some(b) = f.before_id {
        q = q.bind(b);
    }
    for i in &f.customer_ids {
        q = q.bind(*i);
    }
    let limit = f.limit.max(1);
    let mut rows = q.bind(limit + 1).fetch_all(conn).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// A stored line.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Line {
    pub id: i64,
    pub invoice_id: i64,
    pub position: i64,
    pub source: String,
    pub contract_id: Option<i64>,
    pub description: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount: i64,
    pub amount: i64,
    pub net: i64,
    pub total: i64,
    pub credits_line_id: Option<i64>,
}

/// A tax of a stored line.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct LineTax {
    pub line_id: i64,
    pub tax_rate_id: i64,
    pub name: String,
    pub rate_ppm: i64,
    pub mode: String,
    pub amount: i64,
}

/// A line to write, with its taxes.
#[derive(Debug, Clone)]
pub struct NewLine<'a> {
    pub position: i64,
    pub source: &'a str,
    pub contract_id: Option<i64>,
    pub description: &'a str,
    pub period: Option<(String, String)>,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount: i64,
    pub amount: i64,
    pub net: i64,
    pub total: i64,
    pub credits_line_id: Option<i64>,
    pub taxes: Vec<NewLineTax<'a>>,
}

#[derive(Debug, Clone)]
pub struct NewLineTax<'a> {
    pub tax_rate_id: i64,
    pub name: &'a str,
    pub rate_ppm: i64,
    pub mode: &'a str,
    pub amount: i64,
}

/// Writes a line and its taxes; returns the line's id.
pub async fn insert_line(
    conn: &mut AnyConnection,
    invoice_id: i64,
    l: &NewLine<'_>,
) -> Result<i64> {
    let (start, end) = match &l.period {
        Some((s, e)) => (Some(s.as_str()), Some(e.as_str())),
        None => (None, None),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO invoice_lines (invoice_id, position, source, contract_id, description,
            period_start, period_end, quantity, unit_price, discount, amount, net, total,
            credits_line_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(invoice_id)
    .bind(l.position)
    .bind(l.source)
    .bind(l.contract_id)
    .bind(l.description)
    .bind(start)
    .bind(end)
    .bind(l.quantity)
    .bind(l.unit_price)
    .bind(l.discount)
    .bind(l.amount)
    .bind(l.net)
    .bind(l.total)
    .bind(l.credits_line_id)
    .fetch_one(&mut *conn)
    .await?;
    if l.taxes.is_empty() {
        return Ok(id);
    }
    // One statement for all the line's taxes (Brazil's SCM lines carry
    // five): the billing run writes a line per contract and period.
    let values = (0..l.taxes.len())
        .map(|i| {
            let b = i * 6;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO invoice_line_taxes (line_id, tax_rate_id, name, rate_ppm, mode, amount)
         VALUES {values}"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for t in &l.taxes {
        q = q
            .bind(id)
            .bind(t.tax_rate_id)
            .bind(t.name)
            .bind(t.rate_ppm)
            .bind(t.mode)
            .bind(t.amount);
    }
    q.execute(&mut *conn).await?;
    Ok(id)
}

pub async fn lines(conn: &mut AnyConnection, invoice_id: i64) -> Result<Vec<Line>> {
    Ok(sqlx::query_as(
        "SELECT id, invoice_id, position, source, contract_id, description, period_start,
            period_end, quantity, unit_price, discount, amount, net, total, credits_line_id
         FROM invoice_lines WHERE invoice_id = $1 ORDER BY position, id",
    )
    .bind(invoice_id)
    .fetch_all(conn)
    .await?)
}

pub async fn line_taxes(conn: &mut AnyConnection, invoice_id: i64) -> Result<Vec<LineTax>> {
    Ok(sqlx::query_as(
        "SELECT t.line_id, t.tax_rate_id, t.name, t.rate_ppm, t.mode, t.amount
         FROM invoice_line_taxes t JOIN invoice_lines l ON l.id = t.line_id
         WHERE l.invoice_id = $1 ORDER BY l.position, l.id, t.tax_rate_id",
    )
    .bind(invoice_id)
    .fetch_all(conn)
    .await?)
}

/// How much of each line of `invoice_id` credit notes already took back
/// (issued or voided ones alike are counted only while issued).
pub async fn credited(conn: &mut AnyConnection, invoice_id: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT l.credits_line_id, CAST(SUM(l.total) AS BIGINT) FROM invoice_lines l
         JOIN invoices d ON d.id = l.invoice_id
         JOIN invoice_lines o ON o.id = l.credits_line_id
         WHERE o.invoice_id = $1 AND d.status = 'issued'
         GROUP BY l.credits_line_id",
    )
    .bind(invoice_id)
    .fetch_all(conn)
    .await?)
}

/// The next number of `series` in `year` (0 for series without a year),
/// taken inside the caller's transaction: concurrent issuers wait for each
/// other on the series row, and a rollback gives the number back, so
/// numbers have no gaps.
pub async fn next_number(conn: &mut AnyConnection, series: &str, year: i64) -> Result<i64> {
    // The upsert takes the row lock on PostgreSQL; SQLite has one writer.
    Ok(sqlx::query_scalar(
        "INSERT INTO number_series (series, year, last) VALUES ($1, $2, 1)
         ON CONFLICT (series, year) DO UPDATE SET last = number_series.last + 1
         RETURNING last",
    )
    .bind(series)
    .bind(year)
    .fetch_one(conn)
    .await?)
}
