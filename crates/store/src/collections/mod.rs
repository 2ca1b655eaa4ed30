//! Collections (dunning): the policy row, the steps taken per invoice
//! (reminders, the suspension notice, late charges), the suspensions the
//! daily pass made and trust unlocks (migration `0020_collections`), and
//! speed reductions (migration `0028_speed_reduction`).
//!
//! Open amounts come only from [`crate::billing::reports::SETTLEMENTS`], so
//! whatever settles an invoice there (credit notes, payments) counts here.

use sqlx::AnyConnection;

use crate::billing::reports::SETTLEMENTS;
use crate::params::id_list;
use crate::{Error, Result};

/// An invoice's amount open on `$1`, as a SQL expression over `i`.
fn open_expr() -> String {
    format!(
        "i.total + COALESCE((SELECT SUM(s.amount) FROM ({SETTLEMENTS}) s \
         WHERE s.invoice_id = i.id AND s.on_date <= $1), 0)"
    )
}

/// Invoices that can be owed: issued (or voided, until the credit note
/// that voided it settles it).
const OWED: &str = "i.kind = 'invoice' AND i.status IN ('issued', 'voided')";

/// The stored policy (JSON), if staff saved one.
pub async fn policy(conn: &mut AnyConnection) -> Result<Option<(String, i64, String)>> {
    Ok(
        sqlx::query_as("SELECT policy, updated_at, updated_by FROM dunning_policy WHERE id = 1")
            .fetch_optional(conn)
            .await?,
    )
}

/// Saves the policy (JSON).
pub async fn put_policy(conn: &mut AnyConnection, json: &str, by: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO dunning_policy (id, policy, updated_at, updated_by) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET policy = excluded.policy,
            updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(json)
    .bind(at)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// An invoice the daily pass looks at.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Candidate {
    pub id: i64,
    pub number: Option<String>,
    /// The id of its public payment page.
    pub public_id: String,
    pub customer_id: i64,
    pub contract_id: Option<i64>,
    pub due_date: String,
    pub total: i64,
    pub open: i64,
}

/// The next `limit` customers after `after` with an invoice due between
/// `lo` and `hi` (both included) that is open on `as_of`, and those
/// invoices, in customer order. Reads the `invoices_aging_customer` index.
pub async fn candidates(
    conn: &mut AnyConnection,
    as_of: &str,
    lo: &str,
    hi: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Candidate>> {
    let customers: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT i.customer_id FROM invoices i
         WHERE i.kind = 'invoice' AND i.customer_id > $1 AND i.due_date >= $2
           AND i.due_date <= $3 AND i.status = 'issued'
         ORDER BY i.customer_id LIMIT $4",
    )
    .bind(after)
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM (
            SELECT i.id, i.number, i.public_id, i.customer_id, i.contract_id, i.due_date,
                i.total, CAST({open} AS BIGINT) AS open
            FROM invoices i
            WHERE i.kind = 'invoice' AND i.status = 'issued' AND i.customer_id IN ({ids})
              AND i.due_date >= $2 AND i.due_date <= $3) o
         WHERE o.open > 0 ORDER BY o.customer_id, o.due_date, o.id",
        open = open_expr(),
        ids = id_list(&customers),
    )))
    .bind(as_of)
    .bind(lo)
    .bind(hi)
    .fetch_all(conn)
    .await?)
}

/// The steps already taken for `invoice_ids`: `(invoice_id, step)`.
pub async fn steps_of(conn: &mut AnyConnection, invoice_ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT invoice_id, step FROM dunning_notices WHERE invoice_id IN ({})",
        id_list(invoice_ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// What each of `customer_ids` owes on `as_of` in invoices due before it,
/// with the oldest such due date: `(customer_id, owed, oldest_due)`;
/// customers owing nothing are left out.
pub async fn overdue_of(
    conn: &mut AnyConnection,
    as_of: &str,
    customer_ids: &[i64],
) -> Result<Vec<(i64, i64, String)>> {
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT o.customer_id, CAST(SUM(o.open) AS BIGINT), MIN(o.due_date) FROM (
            SELECT i.customer_id, i.due_date, {open} AS open FROM invoices i
            WHERE {OWED} AND i.customer_id IN ({ids}) AND i.due_date < $1) o
         WHERE o.open > 0 GROUP BY o.customer_id",
        open = open_expr(),
        ids = id_list(customer_ids),
    )))
    .bind(as_of)
    .fetch_all(conn)
    .await?)
}

/// A step to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStep {
    pub invoice_id: i64,
    pub customer_id: i64,
    pub step: String,
    pub amount: i64,
    pub owed: i64,
    pub suspend_from: Option<String>,
}

/// Records `steps` on `sent_on`, skipping any already taken (whoever took
/// it: another node, an earlier attempt); returns the ids and the
/// `(invoice_id, step)` of those recorded now, so only they are sent.
pub async fn insert_steps(
    conn: &mut AnyConnection,
    sent_on: &str,
    steps: &[NewStep],
    at: i64,
) -> Result<Vec<(i64, i64, String)>> {
    let mut out = Vec::with_capacity(steps.len());
    for chunk in steps.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO dunning_notices (invoice_id, customer_id, step, sent_on, amount, owed,
                suspend_from, created_at) VALUES ",
        );
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..8 {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (invoice_id, step) DO NOTHING RETURNING id, invoice_id, step");
        let mut q = sqlx::query_as::<_, (i64, i64, String)>(sqlx::AssertSqlSafe(sql));
        for s in chunk {
            q = q
                .bind(s.invoice_id)
                .bind(s.customer_id)
                .bind(s.step.clone())
                .bind(sent_on.to_owned())
                .bind(s.amount)
                .bind(s.owed)
                .bind(s.suspend_from.clone())
                .bind(at);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// A suspension notice or another step as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Notice {
    pub id: i64,
    pub invoice_id: i64,
    pub customer_id: i64,
    pub step: String,
    pub sent_on: String,
    pub amount: i64,
    pub owed: i64,
    pub suspend_from: Option<String>,
    pub closed_on: Option<String>,
}

const NOTICE: &str =
    "id, invoice_id, customer_id, step, sent_on, amount, owed, suspend_from, closed_on";

/// An open notice whose suspension day has come, with its invoice's
/// number and what it still has open.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeDue {
    pub id: i64,
    pub invoice_id: i64,
    pub customer_id: i64,
    pub sent_on: String,
    pub number: Option<String>,
    pub open: i64,
}

/// Open notices whose suspension date has come by `as_of`, after id
/// `after`, oldest first, with their invoice's number and open amount (one
/// read for the group).
pub async fn notices_due(
    conn: &mut AnyConnection,
    as_of: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<NoticeDue>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.id, n.invoice_id, n.customer_id, n.sent_on, i.number,
            CAST({open} AS BIGINT) AS open
         FROM dunning_notices n JOIN invoices i ON i.id = n.invoice_id
         WHERE n.closed_on IS NULL AND n.suspend_from <= $1 AND n.id > $2
         ORDER BY n.id LIMIT $3",
        open = open_expr()
    )))
    .bind(as_of)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Open notices sent on `sent_by` or earlier whose suspension day is still
/// after `as_of` (the speed-reduction step's window), after id `after`,
/// oldest first, with their invoice's number and open amount.
pub async fn notices_to_reduce(
    conn: &mut AnyConnection,
    as_of: &str,
    sent_by: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<NoticeDue>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.id, n.invoice_id, n.customer_id, n.sent_on, i.number,
            CAST({open} AS BIGINT) AS open
         FROM dunning_notices n JOIN invoices i ON i.id = n.invoice_id
         WHERE n.closed_on IS NULL AND n.suspend_from > $1 AND n.sent_on <= $2 AND n.id > $3
         ORDER BY n.id LIMIT $4",
        open = open_expr()
    )))
    .bind(as_of)
    .bind(sent_by)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A speed reduction as stored: the rate is a percentage, or both kbit/s.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Reduction {
    pub id: i64,
    pub contract_id: i64,
    pub customer_id: i64,
    pub notice_id: i64,
    pub reduced_on: String,
    pub percent: Option<i64>,
    pub up_kbps: Option<i64>,
    pub down_kbps: Option<i64>,
    pub ended_on: Option<String>,
    pub ended_why: Option<String>,
}

const REDUCTION: &str = "id, contract_id, customer_id, notice_id, reduced_on, percent, \
    up_kbps, down_kbps, ended_on, ended_why";

/// Records contract `contract_id`'s speed reduction for notice
/// `notice_id`; `None` when that notice already reduced it once.
#[allow(clippy::too_many_arguments)]
pub async fn insert_reduction(
    conn: &mut AnyConnection,
    contract_id: i64,
    customer_id: i64,
    notice_id: i64,
    on: &str,
    percent: Option<i64>,
    kbps: Option<(i64, i64)>,
    at: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO dunning_reductions (contract_id, customer_id, notice_id, reduced_on,
            percent, up_kbps, down_kbps, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (contract_id, notice_id) DO NOTHING RETURNING id",
    )
    .bind(contract_id)
    .bind(customer_id)
    .bind(notice_id)
    .bind(on)
    .bind(percent)
    .bind(kbps.map(|k| k.0))
    .bind(kbps.map(|k| k.1))
    .bind(at)
    .fetch_optional(conn)
    .await?)
}

/// Contract `contract_id`'s open speed reduction.
pub async fn open_reduction(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Option<Reduction>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {REDUCTION} FROM dunning_reductions
         WHERE contract_id = $1 AND ended_on IS NULL ORDER BY id DESC LIMIT 1"
    )))
    .bind(contract_id)
    .fetch_optional(conn)
    .await?)
}

/// Ends contract `contract_id`'s open reductions on `on` for `why`;
/// whether there was one.
pub async fn end_reduction(
    conn: &mut AnyConnection,
    contract_id: i64,
    on: &str,
    why: &str,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE dunning_reductions SET ended_on = $1, ended_why = $2
         WHERE contract_id = $3 AND ended_on IS NULL",
    )
    .bind(on)
    .bind(why)
    .bind(contract_id)
    .execute(conn)
    .await?
    .rows_affected()
        > 0)
}

/// The contracts of `customer_id` with an open speed reduction.
pub async fn reduced_contracts(conn: &mut AnyConnection, customer_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT contract_id FROM dunning_reductions
         WHERE customer_id = $1 AND ended_on IS NULL ORDER BY contract_id",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// A customer's open notices (suspension not yet made or waived).
pub async fn open_notices(conn: &mut AnyConnection, customer_id: i64) -> Result<Vec<Notice>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTICE} FROM dunning_notices
         WHERE customer_id = $1 AND closed_on IS NULL AND suspend_from IS NOT NULL
         ORDER BY suspend_from, id"
    )))
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// Every step taken for a customer's invoices, newest first.
pub async fn steps_of_customer(conn: &mut AnyConnection, customer_id: i64) -> Result<Vec<Notice>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTICE} FROM dunning_notices WHERE customer_id = $1 ORDER BY id DESC LIMIT 200"
    )))
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// Closes notice `id` on `on` (the pass acted on it, or its debt went).
pub async fn close_notice(conn: &mut AnyConnection, id: i64, on: &str) -> Result<()> {
    sqlx::query("UPDATE dunning_notices SET closed_on = $1 WHERE id = $2 AND closed_on IS NULL")
        .bind(on)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether invoice `id` has something open on `as_of`.
pub async fn invoice_open(conn: &mut AnyConnection, id: i64, as_of: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT CAST({open} AS BIGINT) FROM invoices i WHERE i.id = $2",
        open = open_expr()
    )))
    .bind(as_of)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .unwrap_or(0))
}

/// An invoice's facts for late charges and messages.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvoiceFacts {
    pub id: i64,
    pub number: Option<String>,
    pub customer_id: i64,
    pub contract_id: Option<i64>,
    pub due_date: String,
    pub total: i64,
    pub kind: String,
    pub status: String,
}

pub async fn invoice(conn: &mut AnyConnection, id: i64) -> Result<InvoiceFacts> {
    sqlx::query_as(
        "SELECT id, number, customer_id, contract_id, due_date, total, kind, status
         FROM invoices WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// The contracts an invoice bills: its own, else those on its lines.
pub async fn invoice_contracts(conn: &mut AnyConnection, id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT COALESCE(i.contract_id, l.contract_id) FROM invoices i
         LEFT JOIN invoice_lines l ON l.invoice_id = i.id
         WHERE i.id = $1 AND COALESCE(i.contract_id, l.contract_id) IS NOT NULL",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Records a suspension of `contract_id` for notice `notice_id`; `None`
/// when that notice already suspended that contract once.
pub async fn insert_suspension(
    conn: &mut AnyConnection,
    contract_id: i64,
    customer_id: i64,
    notice_id: Option<i64>,
    on: &str,
    at: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO dunning_suspensions (contract_id, customer_id, notice_id, suspended_on,
            created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (contract_id, notice_id) DO NOTHING RETURNING id",
    )
    .bind(contract_id)
    .bind(customer_id)
    .bind(notice_id)
    .bind(on)
    .bind(at)
    .fetch_optional(conn)
    .await?)
}

/// A suspension the pass made.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Suspension {
    pub id: i64,
    pub contract_id: i64,
    pub customer_id: i64,
    pub notice_id: Option<i64>,
    pub suspended_on: String,
    pub ended_on: Option<String>,
    /// The trust unlock of this suspension, if any.
    pub unlock_id: Option<i64>,
    pub unlocked_on: Option<String>,
    pub until_date: Option<String>,
    pub expired_on: Option<String>,
}

const SUSPENSION: &str = "s.id, s.contract_id, s.customer_id, s.notice_id, s.suspended_on, \
    s.ended_on, u.id AS unlock_id, u.unlocked_on, u.until_date, u.expired_on";

/// Contract `contract_id`'s latest open suspension, with its unlock.
pub async fn open_suspension(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Option<Suspension>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUSPENSION} FROM dunning_suspensions s
         LEFT JOIN dunning_unlocks u ON u.suspension_id = s.id
         WHERE s.contract_id = $1 AND s.ended_on IS NULL ORDER BY s.id DESC LIMIT 1"
    )))
    .bind(contract_id)
    .fetch_optional(conn)
    .await?)
}

/// Ends `customer_id`'s open suspensions on `on`; returns how many.
pub async fn end_suspensions(conn: &mut AnyConnection, customer_id: i64, on: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE dunning_suspensions SET ended_on = $1 WHERE customer_id = $2 AND ended_on IS NULL",
    )
    .bind(on)
    .bind(customer_id)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Records the trust unlock of suspension `suspension_id`; `Conflict` when
/// it was unlocked before (once per suspension).
#[allow(clippy::too_many_arguments)]
pub async fn insert_unlock(
    conn: &mut AnyConnection,
    suspension_id: i64,
    contract_id: i64,
    customer_id: i64,
    on: &str,
    until: &str,
    days: i64,
    actor: &str,
    at: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO dunning_unlocks (suspension_id, contract_id, customer_id, unlocked_on,
            until_date, days, actor_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (suspension_id) DO NOTHING RETURNING id",
    )
    .bind(suspension_id)
    .bind(contract_id)
    .bind(customer_id)
    .bind(on)
    .bind(until)
    .bind(days)
    .bind(actor)
    .bind(at)
    .fetch_optional(conn)
    .await?)
}

/// A trust unlock whose days are over.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Unlock {
    pub id: i64,
    pub suspension_id: i64,
    pub contract_id: i64,
    pub customer_id: i64,
    pub until_date: String,
}

/// Unlocks ending by `as_of` the pass has not dealt with, after id `after`.
pub async fn unlocks_ending(
    conn: &mut AnyConnection,
    as_of: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Unlock>> {
    Ok(sqlx::query_as(
        "SELECT id, suspension_id, contract_id, customer_id, until_date FROM dunning_unlocks
         WHERE expired_on IS NULL AND until_date <= $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(as_of)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks unlock `id` dealt with on `on`; false when another pass did.
pub async fn expire_unlock(conn: &mut AnyConnection, id: i64, on: &str) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE dunning_unlocks SET expired_on = $1 WHERE id = $2 AND expired_on IS NULL",
    )
    .bind(on)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A customer with something overdue, for the collections page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Overdue {
    pub customer_id: i64,
    pub customer_name: String,
    pub owed: i64,
    pub oldest_due: String,
    pub invoices: i64,
    /// Its contracts suspended for non-payment now.
    pub suspended: i64,
    /// Its contracts at a reduced speed now.
    pub reduced: i64,
}

/// Customers owing on `as_of` for invoices due before it, the oldest at
/// least on `oldest_by` (a days-late filter), most owed first; `name` (folded
/// search text, already lower case) filters by name when not empty.
///
/// The settlements are summed once per invoice and joined (a hash join),
/// not looked up per invoice; names and suspended contracts are read for
/// the page's rows only.
pub async fn overdue(
    conn: &mut AnyConnection,
    as_of: &str,
    oldest_by: &str,
    name: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<Overdue>> {
    let (join, cond) = if name.is_empty() {
        ("", "")
    } else {
        (
            "JOIN customers c ON c.id = i.customer_id",
            "AND c.search_text LIKE $3",
        )
    };
    let sql = format!(
        "SELECT o.customer_id, '' AS customer_name, CAST(SUM(o.open) AS BIGINT) AS owed,
            MIN(o.due_date) AS oldest_due, COUNT(*) AS invoices, 0 AS suspended, 0 AS reduced
         FROM (SELECT i.customer_id, i.due_date, i.total + COALESCE(x.settled, 0) AS open
               FROM invoices i {join}
               LEFT JOIN (SELECT s.invoice_id, SUM(s.amount) AS settled FROM ({SETTLEMENTS}) s
                          WHERE s.on_date <= $1 GROUP BY s.invoice_id) x ON x.invoice_id = i.id
               WHERE {OWED} AND i.due_date < $1 {cond}) o
         WHERE o.open > 0
         GROUP BY o.customer_id
         HAVING MIN(o.due_date) <= $2
         ORDER BY owed DESC, o.customer_id LIMIT {limit} OFFSET {offset}",
        limit = limit.clamp(0, 100_000),
        offset = offset.max(0),
    );
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(as_of)
        .bind(oldest_by);
    let q = if name.is_empty() {
        q
    } else {
        q.bind(format!("%{name}%"))
    };
    let mut rows: Vec<Overdue> = q.fetch_all(&mut *conn).await?;
    if rows.is_empty() {
        return Ok(rows);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    let names: std::collections::HashMap<i64, String> =
        sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(format!(
            "SELECT id, name FROM customers WHERE id IN ({})",
            id_list(&ids)
        )))
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    let suspended: std::collections::HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(format!(
            "SELECT customer_id, COUNT(*) FROM contracts
             WHERE customer_id IN ({}) AND status = 'suspended' AND suspend_reason = 'non_payment'
             GROUP BY customer_id",
            id_list(&ids)
        )))
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    let reduced: std::collections::HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(format!(
            "SELECT customer_id, COUNT(DISTINCT contract_id) FROM dunning_reductions
             WHERE customer_id IN ({}) AND ended_on IS NULL GROUP BY customer_id",
            id_list(&ids)
        )))
        .fetch_all(conn)
        .await?
        .into_iter()
        .collect();
    for r in &mut rows {
        r.customer_name = names.get(&r.customer_id).cloned().unwrap_or_default();
        r.suspended = suspended.get(&r.customer_id).copied().unwrap_or(0);
        r.reduced = reduced.get(&r.customer_id).copied().unwrap_or(0);
    }
    Ok(rows)
}

/// A contract suspended for non-payment long enough to be listed for
/// cancellation.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ToCancel {
    pub contract_id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    /// Unix seconds of the suspension (the first, when the pass made it).
    pub suspended_at: i64,
    /// The day the pass suspended it, when it did.
    pub suspended_on: Option<String>,
}

/// Contracts suspended for non-payment since `before_date` (the pass's own
/// suspensions) or `before_ts` (suspended by other means), oldest first.
pub async fn to_cancel(
    conn: &mut AnyConnection,
    before_date: &str,
    before_ts: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<ToCancel>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT k.id AS contract_id, k.number, k.customer_id, c.name AS customer_name,
            k.status_changed_at AS suspended_at,
            (SELECT MIN(s.suspended_on) FROM dunning_suspensions s
             WHERE s.contract_id = k.id AND s.ended_on IS NULL) AS suspended_on
         FROM contracts k JOIN customers c ON c.id = k.customer_id
         WHERE k.status = 'suspended' AND k.suspend_reason = 'non_payment'
           AND (k.status_changed_at <= $1 OR EXISTS (SELECT 1 FROM dunning_suspensions s
                WHERE s.contract_id = k.id AND s.ended_on IS NULL AND s.suspended_on <= $2))
         ORDER BY k.status_changed_at, k.id LIMIT {limit} OFFSET {offset}",
        limit = limit.clamp(0, 100_000),
        offset = offset.max(0),
    )))
    .bind(before_ts)
    .bind(before_date)
    .fetch_all(conn)
    .await?)
}

/// A customer's contracts in a status, with their suspension reason.
pub async fn contracts_of(
    conn: &mut AnyConnection,
    customer_id: i64,
) -> Result<Vec<(i64, String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT id, status, suspend_reason FROM contracts WHERE customer_id = $1 ORDER BY id",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// Starts a savepoint (one customer's changes inside a larger transaction).
pub async fn savepoint(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("SAVEPOINT collections_customer")
        .execute(conn)
        .await?;
    Ok(())
}

/// Keeps what was written since [`savepoint`].
pub async fn release(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("RELEASE SAVEPOINT collections_customer")
        .execute(conn)
        .await?;
    Ok(())
}

/// Undoes what was written since [`savepoint`] (and ends it).
pub async fn roll_back_to_savepoint(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("ROLLBACK TO SAVEPOINT collections_customer")
        .execute(&mut *conn)
        .await?;
    sqlx::query("RELEASE SAVEPOINT collections_customer")
        .execute(conn)
        .await?;
    Ok(())
}

/// Names the per-customer collections lock ("LMCO" in the high bits).
const CUSTOMER_LOCK: i64 = 0x4c4d_434f_0000_0000;

/// Holds customer `customer_id`'s collections lock until the transaction
/// ends, so a suspension and a payment's reactivation for the same
/// customer never decide on each other's uncommitted state (PostgreSQL;
/// SQLite's single writer already serialises them). Two customers sharing
/// the low 32 bits of their id only wait for each other.
pub async fn lock_customer(conn: &mut AnyConnection, customer_id: i64) -> Result<()> {
    if !conn.backend_name().eq_ignore_ascii_case("sqlite") {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CUSTOMER_LOCK | (customer_id & 0xffff_ffff))
            .execute(conn)
            .await?;
    }
    Ok(())
}

// Batch forms of the reads and writes above, for payments recorded by the
// thousand (return files): one statement for many customers or invoices.

/// [`invoice`] for many ids (those that exist).
pub async fn invoices(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<InvoiceFacts>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, number, customer_id, contract_id, due_date, total, kind, status
         FROM invoices WHERE id IN ({})",
        id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// [`open_notices`] of many customers, by customer.
pub async fn open_notices_of(
    conn: &mut AnyConnection,
    customer_ids: &[i64],
) -> Result<Vec<Notice>> {
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTICE} FROM dunning_notices
         WHERE customer_id IN ({}) AND closed_on IS NULL AND suspend_from IS NOT NULL
         ORDER BY customer_id, suspend_from, id",
        id_list(customer_ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// [`invoice_open`] for many invoices: `(invoice_id, open)`.
pub async fn invoices_open(
    conn: &mut AnyConnection,
    ids: &[i64],
    as_of: &str,
) -> Result<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT i.id, CAST({open} AS BIGINT) FROM invoices i WHERE i.id IN ({ids})",
        open = open_expr(),
        ids = id_list(ids)
    )))
    .bind(as_of)
    .fetch_all(conn)
    .await?)
}

/// [`close_notice`] for many notices.
pub async fn close_notices(conn: &mut AnyConnection, ids: &[i64], on: &str) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE dunning_notices SET closed_on = $1 WHERE id IN ({}) AND closed_on IS NULL",
        id_list(ids)
    )))
    .bind(on)
    .execute(conn)
    .await?;
    Ok(())
}

/// [`contracts_of`] for many customers: `(customer_id, contract_id,
/// status, suspend_reason)`, by customer then contract.
pub async fn contracts_of_many(
    conn: &mut AnyConnection,
    customer_ids: &[i64],
) -> Result<Vec<(i64, i64, String, Option<String>)>> {
    if customer_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT customer_id, id, status, suspend_reason FROM contracts
         WHERE customer_id IN ({}) ORDER BY customer_id, id",
        id_list(customer_ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// [`end_suspensions`] for many customers.
pub async fn end_suspensions_of(
    conn: &mut AnyConnection,
    customer_ids: &[i64],
    on: &str,
) -> Result<u64> {
    if customer_ids.is_empty() {
        return Ok(0);
    }
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE dunning_suspensions SET ended_on = $1
         WHERE customer_id IN ({}) AND ended_on IS NULL",
        id_list(customer_ids)
    )))
    .bind(on)
    .execute(conn)
    .await?
    .rows_affected())
}

/// [`lock_customer`] for many customers, in the order given (callers sort
/// them, so two batches never wait for each other in a cycle).
pub async fn lock_customers(conn: &mut AnyConnection, customer_ids: &[i64]) -> Result<()> {
    if customer_ids.is_empty() || conn.backend_name().eq_ignore_ascii_case("sqlite") {
        return Ok(());
    }
    for chunk in customer_ids.chunks(1000) {
        let keys: Vec<String> = chunk
            .iter()
            .map(|id| (CUSTOMER_LOCK | (id & 0xffff_ffff)).to_string())
            .collect();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(ARRAY[{}]::bigint[])
                WITH ORDINALITY AS x(k, n) ORDER BY n",
            keys.join(", ")
        )))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
