//! Boleto by CNAB files and reconciliation (migration 0025): remittance
//! and return files (`cnab_files`), what each return line did
//! (`cnab_file_entries`), the boleto charges a remittance registered
//! (`payment_charges` rows of gateway `cnab`) and the queue of money that
//! matched no boleto (`unmatched_payments`).

use sqlx::AnyConnection;

use crate::Result;
use crate::params::Params;

/// The gateway name of boletos registered by remittance file.
pub const GATEWAY: &str = "cnab";

/// A CNAB file as listed (without the remittance's content).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CnabFile {
    pub id: i64,
    pub kind: String,
    pub format: String,
    pub bank: String,
    pub sequence: i64,
    pub name: String,
    pub sha256: String,
    pub status: String,
    pub lines: i64,
    pub titles: i64,
    pub total: i64,
    pub settled: i64,
    pub settled_amount: i64,
    pub already_settled: i64,
    pub unmatched: i64,
    pub unmatched_amount: i64,
    pub divergent: i64,
    pub rejected: i64,
    pub other: i64,
    pub fees: i64,
    pub error: Option<String>,
    pub uploaded_by: String,
    pub created_at: i64,
    pub processed_at: Option<i64>,
}

const FILE_COLUMNS: &str = "id, kind, format, bank, sequence, name, sha256, status, lines, \
    titles, total, settled, settled_amount, already_settled, unmatched, unmatched_amount, \
    divergent, rejected, other, fees, error, uploaded_by, created_at, processed_at";

/// A file to add.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    pub kind: &'a str,
    pub format: &'a str,
    pub bank: &'a str,
    pub sequence: i64,
    pub name: &'a str,
    pub sha256: &'a str,
    pub content: Option<&'a str>,
    pub status: &'a str,
    pub lines: i64,
    pub titles: i64,
    pub total: i64,
    pub uploaded_by: &'a str,
}

/// Adds a file; `None` when a file with the same SHA-256 exists already.
pub async fn insert_file(
    conn: &mut AnyConnection,
    f: &NewFile<'_>,
    at: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO cnab_files (kind, format, bank, sequence, name, sha256, content, status,
            lines, titles, total, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (sha256) DO NOTHING
         RETURNING id",
    )
    .bind(f.kind)
    .bind(f.format)
    .bind(f.bank)
    .bind(f.sequence)
    .bind(f.name)
    .bind(f.sha256)
    .bind(f.content)
    .bind(f.status)
    .bind(f.lines)
    .bind(f.titles)
    .bind(f.total)
    .bind(f.uploaded_by)
    .bind(at)
    .fetch_optional(conn)
    .await?)
}

pub async fn file_by_sha(conn: &mut AnyConnection, sha256: &str) -> Result<Option<CnabFile>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {FILE_COLUMNS} FROM cnab_files WHERE sha256 = $1"
    )))
    .bind(sha256)
    .fetch_optional(conn)
    .await?)
}

pub async fn get_file(conn: &mut AnyConnection, id: i64) -> Result<CnabFile> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {FILE_COLUMNS} FROM cnab_files WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// A remittance's content (`None` for a return file).
pub async fn file_content(conn: &mut AnyConnection, id: i64) -> Result<Option<String>> {
    sqlx::query_scalar::<_, Option<String>>("SELECT content FROM cnab_files WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(crate::Error::NotFound)
}

/// Files newest first, of one kind or both; `limit + 1` rows are read so
/// the caller knows whether more follow.
pub async fn list_files(
    conn: &mut AnyConnection,
    kind: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<(Vec<CnabFile>, bool)> {
    let mut p = Params::default();
    let mut sql = format!("SELECT {FILE_COLUMNS} FROM cnab_files WHERE 1 = 1");
    if let Some(k) = kind {
        sql += &format!(" AND kind = {}", p.add(k));
    }
    if let Some(b) = before_id {
        sql += &format!(" AND id < {}", p.add(b));
    }
    sql += &format!(" ORDER BY id DESC LIMIT {}", p.add(limit + 1));
    let mut rows = p
        .bind_as(sqlx::query_as::<_, CnabFile>(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    Ok((rows, more))
}

/// A return file's counts when processing ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub lines: i64,
    pub titles: i64,
    pub total: i64,
    pub settled: i64,
    pub settled_amount: i64,
    pub already_settled: i64,
    pub unmatched: i64,
    pub unmatched_amount: i64,
    pub divergent: i64,
    pub rejected: i64,
    pub other: i64,
    pub fees: i64,
}

/// Sets a file's status, counts and error.
pub async fn finish_file(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    c: &Counts,
    error: Option<&str>,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE cnab_files SET status = $2, lines = $3, titles = $4, total = $5, settled = $6,
            settled_amount = $7, already_settled = $8, unmatched = $9, unmatched_amount = $10,
            divergent = $11, rejected = $12, other = $13, fees = $14, error = $15,
            processed_at = $16
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(c.lines)
    .bind(c.titles)
    .bind(c.total)
    .bind(c.settled)
    .bind(c.settled_amount)
    .bind(c.already_settled)
    .bind(c.unmatched)
    .bind(c.unmatched_amount)
    .bind(c.divergent)
    .bind(c.rejected)
    .bind(c.other)
    .bind(c.fees)
    .bind(error)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// What one return line did.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Entry {
    pub line: i64,
    pub nosso_numero: String,
    pub occurrence: String,
    pub outcome: String,
    pub amount: i64,
    pub paid: i64,
    pub fee: i64,
    pub credit_date: Option<String>,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub message: String,
}

/// Rows per multi-row insert: 11 placeholders each stays well under both
/// engines' limits (SQLite 32766, PostgreSQL 65535).
const ENTRY_ROWS: usize = 500;

/// Adds the entries of file `file_id` (multi-row inserts).
pub async fn insert_entries(
    conn: &mut AnyConnection,
    file_id: i64,
    entries: &[Entry],
) -> Result<()> {
    for chunk in entries.chunks(ENTRY_ROWS) {
        let mut p = Params::for_conn(conn);
        let mut values = Vec::with_capacity(chunk.len());
        for e in chunk {
            values.push(format!(
                "({file_id}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                p.add(e.line),
                p.add(e.nosso_numero.as_str()),
                p.add(e.occurrence.as_str()),
                p.add(e.outcome.as_str()),
                p.add(e.amount),
                p.add(e.paid),
                p.add(e.fee),
                e.credit_date
                    .as_deref()
                    .map_or_else(|| "NULL".to_owned(), |d| p.add(d)),
                e.invoice_id
                    .map_or_else(|| "NULL".to_owned(), |i| i.to_string()),
                e.payment_id
                    .map_or_else(|| "NULL".to_owned(), |i| i.to_string()),
                p.add(e.message.as_str()),
            ));
        }
        let sql = format!(
            "INSERT INTO cnab_file_entries (file_id, line, nosso_numero, occurrence, outcome,
                amount, paid, fee, credit_date, invoice_id, payment_id, message)
             VALUES {}",
            values.join(", ")
        );
        p.bind_scalar(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)))
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Forgets a file's entries (before it is processed again after a failure).
pub async fn delete_entries(conn: &mut AnyConnection, file_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM cnab_file_entries WHERE file_id = $1")
        .bind(file_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A file's entries in line order; `outcome` filters.
pub async fn entries(
    conn: &mut AnyConnection,
    file_id: i64,
    outcome: Option<&str>,
) -> Result<Vec<Entry>> {
    let mut p = Params::default();
    let mut sql = format!(
        "SELECT line, nosso_numero, occurrence, outcome, amount, paid, fee, credit_date,
            invoice_id, payment_id, message
         FROM cnab_file_entries WHERE file_id = {}",
        p.add(file_id)
    );
    if let Some(o) = outcome {
        sql += &format!(" AND outcome = {}", p.add(o));
    }
    sql += " ORDER BY line";
    Ok(
        p.bind_as(sqlx::query_as::<_, Entry>(sqlx::AssertSqlSafe(sql)))
            .fetch_all(conn)
            .await?,
    )
}

/// An issued invoice a remittance may register a boleto for: no open or
/// paid `cnab` charge yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Remittable {
    pub id: i64,
    pub number: Option<String>,
    pub customer_id: i64,
    pub issue_date: Option<String>,
    pub due_date: String,
    pub customer_name: String,
    pub customer_document: String,
}

/// Issued invoices that still owe something (`paid` below the total; the
/// caller subtracts credit notes) and have no open or paid `cnab` boleto,
/// oldest due first.
pub async fn remittable(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Remittable>> {
    Ok(sqlx::query_as(
        "SELECT i.id, i.number, i.customer_id, i.issue_date, i.due_date,
            c.name AS customer_name, c.document_norm AS customer_document
         FROM invoices i JOIN customers c ON c.id = i.customer_id
         WHERE i.kind = 'invoice' AND i.status = 'issued' AND i.paid < i.total
           AND NOT EXISTS (SELECT 1 FROM payment_charges pc
                           WHERE pc.invoice_id = i.id AND pc.gateway = 'cnab'
                             AND pc.status IN ('open', 'paid'))
         ORDER BY i.due_date, i.id
         LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A boleto a remittance registers.
#[derive(Debug, Clone)]
pub struct NewCharge<'a> {
    pub invoice_id: i64,
    pub nosso_numero: &'a str,
    pub amount: i64,
    pub digitable_line: &'a str,
    pub barcode: &'a str,
}

/// Adds the `cnab` boleto charges of a remittance (multi-row).
pub async fn insert_charges(
    conn: &mut AnyConnection,
    charges: &[NewCharge<'_>],
    at: i64,
) -> Result<()> {
    for chunk in charges.chunks(ENTRY_ROWS) {
        let mut p = Params::for_conn(conn);
        let mut values = Vec::with_capacity(chunk.len());
        for c in chunk {
            values.push(format!(
                "({}, 'boleto', 'cnab', {}, 'open', {}, {}, {}, {at}, {at})",
                c.invoice_id,
                p.add(c.nosso_numero),
                c.amount,
                p.add(c.digitable_line),
                p.add(c.barcode),
            ));
        }
        let sql = format!(
            "INSERT INTO payment_charges (invoice_id, method, gateway, external_id, status,
                amount, pay_code, barcode, created_at, updated_at)
             VALUES {}",
            values.join(", ")
        );
        p.bind_scalar(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)))
            .fetch_optional(&mut *conn)
            .await
            .map_err(crate::conflict("nosso_numero"))?;
    }
    Ok(())
}

/// A `cnab` boleto found by its nosso número, with its invoice.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Charge {
    pub id: i64,
    pub external_id: String,
    pub status: String,
    pub amount: i64,
    pub payment_id: Option<i64>,
    pub invoice_id: i64,
    pub customer_id: i64,
    pub invoice_status: String,
}

/// The `cnab` boletos among `numbers` (one query per call: the caller
/// passes a chunk of a return file).
pub async fn charges_by_numbers(
    conn: &mut AnyConnection,
    numbers: &[String],
) -> Result<Vec<Charge>> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::for_conn(conn);
    let list: Vec<String> = numbers.iter().map(|n| p.add(n.as_str())).collect();
    let sql = format!(
        "SELECT pc.id, pc.external_id, pc.status, pc.amount, pc.payment_id, pc.invoice_id,
            i.customer_id, i.status AS invoice_status
         FROM payment_charges pc JOIN invoices i ON i.id = pc.invoice_id
         WHERE pc.gateway = 'cnab' AND pc.external_id IN ({})",
        list.join(", ")
    );
    Ok(
        p.bind_as(sqlx::query_as::<_, Charge>(sqlx::AssertSqlSafe(sql)))
            .fetch_all(conn)
            .await?,
    )
}

/// Marks charges paid by their payments: `(charge id, payment id)`.
pub async fn set_charges_paid(
    conn: &mut AnyConnection,
    paid: &[(i64, i64)],
    at: i64,
) -> Result<()> {
    for chunk in paid.chunks(ENTRY_ROWS) {
        if chunk.is_empty() {
            continue;
        }
        // Ids are integers: one statement per chunk with a CASE is safe.
        let cases: String = chunk
            .iter()
            .map(|(c, p)| format!(" WHEN {c} THEN {p}"))
            .collect();
        let ids = chunk
            .iter()
            .map(|(c, _)| c.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE payment_charges SET status = 'paid', updated_at = {at},
                payment_id = CASE id{cases} END
             WHERE id IN ({ids})"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Marks an open charge failed (the bank refused its registration).
pub async fn set_charge_failed(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE payment_charges SET status = 'failed', error = $2, updated_at = $3
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(error)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Money received that matched no boleto.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Unmatched {
    pub id: i64,
    pub source: String,
    pub reference: String,
    pub file_id: Option<i64>,
    pub amount: i64,
    pub fee: i64,
    pub paid_on: String,
    pub payer_name: String,
    pub payer_document: String,
    pub raw: String,
    pub status: String,
    pub customer_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub note: String,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub created_at: i64,
}

const UNMATCHED_COLUMNS: &str = "id, source, reference, file_id, amount, fee, paid_on, \
    payer_name, payer_document, raw, status, customer_id, invoice_id, payment_id, note, \
    resolved_by, resolved_at, created_at";

/// Money to queue.
#[derive(Debug, Clone)]
pub struct NewUnmatched<'a> {
    pub source: &'a str,
    pub reference: &'a str,
    pub file_id: Option<i64>,
    pub amount: i64,
    pub fee: i64,
    pub paid_on: &'a str,
    pub payer_name: &'a str,
    pub payer_document: &'a str,
    pub raw: &'a str,
}

/// Queues money; `None` when the same `(source, reference)` is queued
/// already.
pub async fn insert_unmatched(
    conn: &mut AnyConnection,
    u: &NewUnmatched<'_>,
    at: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO unmatched_payments (source, reference, file_id, amount, fee, paid_on,
            payer_name, payer_document, raw, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10)
         ON CONFLICT (source, reference) DO NOTHING
         RETURNING id",
    )
    .bind(u.source)
    .bind(u.reference)
    .bind(u.file_id)
    .bind(u.amount)
    .bind(u.fee)
    .bind(u.paid_on)
    .bind(u.payer_name)
    .bind(u.payer_document)
    .bind(u.raw)
    .bind(at)
    .fetch_optional(conn)
    .await?)
}

pub async fn get_unmatched(conn: &mut AnyConnection, id: i64) -> Result<Unmatched> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {UNMATCHED_COLUMNS} FROM unmatched_payments WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// The queue newest first, one status or all; `limit + 1` rows read.
pub async fn list_unmatched(
    conn: &mut AnyConnection,
    status: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<(Vec<Unmatched>, bool)> {
    let mut p = Params::default();
    let mut sql = format!("SELECT {UNMATCHED_COLUMNS} FROM unmatched_payments WHERE 1 = 1");
    if let Some(s) = status {
        sql += &format!(" AND status = {}", p.add(s));
    }
    if let Some(b) = before_id {
        sql += &format!(" AND id < {}", p.add(b));
    }
    sql += &format!(" ORDER BY id DESC LIMIT {}", p.add(limit + 1));
    let mut rows = p
        .bind_as(sqlx::query_as::<_, Unmatched>(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    Ok((rows, more))
}

/// How an open queue entry was resolved.
#[derive(Debug, Clone)]
pub struct Resolution<'a> {
    /// assigned or dismissed
    pub status: &'a str,
    pub customer_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub note: &'a str,
    pub by: &'a str,
}

/// Resolves entry `id` if still open; `false` when it was not.
pub async fn resolve_unmatched(
    conn: &mut AnyConnection,
    id: i64,
    r: &Resolution<'_>,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE unmatched_payments SET status = $2, customer_id = $3, invoice_id = $4,
            payment_id = $5, note = $6, resolved_by = $7, resolved_at = $8
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(r.status)
    .bind(r.customer_id)
    .bind(r.invoice_id)
    .bind(r.payment_id)
    .bind(r.note)
    .bind(r.by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
