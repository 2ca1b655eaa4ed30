//! The queries behind the billing reports: receivables aging, monthly
//! recurring revenue and its movements, revenue by plan, city and month,
//! and tax totals. Read-only; sums come back per small group (a due date,
//! a plan, a month) and the services turn them into the reports.

use sqlx::AnyConnection;

use crate::Result;

/// What settles part of an invoice, as rows `(invoice_id, on_date, amount)`:
/// the issued credit notes against it and the payments' allocations to it
/// (negative), and the allocations of refunds and reversals and the
/// payments' released ones that open it again (positive), each from the
/// day it counts. An invoice's open amount
/// on a date is its total plus its settlements dated up to then; every
/// report reads it through here.
pub const SETTLEMENTS: &str = "SELECT credits_invoice_id AS invoice_id, issue_date AS on_date, \
    total AS amount FROM invoices \
    WHERE kind = 'credit_note' AND status = 'issued' AND credits_invoice_id IS NOT NULL \
    UNION ALL SELECT a.invoice_id, a.allocated_on, \
    CASE WHEN p.kind = 'payment' AND a.released = 0 THEN -a.amount ELSE a.amount END \
    FROM payment_allocations a JOIN payments p ON p.id = a.payment_id";

/// Invoices that count as receivables on `$1`: issued by then (a voided
/// one stays until the credit note that voided it, which settles it).
const RECEIVABLE: &str =
    "i.kind = 'invoice' AND i.status IN ('issued', 'voided') AND i.issue_date <= $1";

/// Invoices issued up to a date, summed per due date.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DueDateSum {
    pub due_date: String,
    /// Totals plus settlements up to the date.
    pub amount: i64,
    /// Invoices with something left open.
    pub invoices: i64,
}

/// Receivables as of `as_of` (`YYYY-MM-DD`) per due date: the whole book
/// in two grouped reads (the invoices' sums per due and issue date that
/// `receivables_by_date` keeps, migration 0030, then the few settled
/// invoices), so the services bucket a few hundred rows.
pub async fn open_by_due_date(conn: &mut AnyConnection, as_of: &str) -> Result<Vec<DueDateSum>> {
    let issued: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT due_date, CAST(SUM(total) AS BIGINT), CAST(SUM(invoices) AS BIGINT)
         FROM receivables_by_date WHERE issue_date <= $1
         GROUP BY due_date HAVING SUM(invoices) <> 0",
    )
    .bind(as_of)
    .fetch_all(&mut *conn)
    .await?;
    // Per invoice first: an invoice settled in full leaves the count.
    let settled: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT i.due_date, CAST(SUM(x.settled) AS BIGINT),
            CAST(SUM(CASE WHEN i.total + x.settled <= 0 THEN 1 ELSE 0 END) AS BIGINT)
         FROM (SELECT s.invoice_id, SUM(s.amount) AS settled FROM ({SETTLEMENTS}) s
               WHERE s.on_date <= $1 GROUP BY s.invoice_id) x
         JOIN invoices i ON i.id = x.invoice_id
         WHERE {RECEIVABLE} GROUP BY i.due_date"
    )))
    .bind(as_of)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: std::collections::BTreeMap<String, DueDateSum> = issued
        .into_iter()
        .map(|(due_date, amount, invoices)| {
            (
                due_date.clone(),
                DueDateSum {
                    due_date,
                    amount,
                    invoices,
                },
            )
        })
        .collect();
    for (due, amount, closed) in settled {
        if let Some(s) = out.get_mut(&due) {
            s.amount = s.amount.saturating_add(amount);
            s.invoices -= closed;
        }
    }
    Ok(out.into_values().collect())
}

/// The due dates that start the aging buckets, as of a date: a due date on
/// or after `current` is not late; on or after `d30`, 1–30 days; `d60`,
/// 31–60; `d90`, 61–90; before `d90`, over 90 days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingCuts {
    pub as_of: String,
    pub current: String,
    pub d30: String,
    pub d60: String,
    pub d90: String,
}

/// A customer's receivables per aging bucket.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct CustomerAging {
    pub customer_id: i64,
    pub customer_name: String,
    pub current: i64,
    pub d1_30: i64,
    pub d31_60: i64,
    pub d61_90: i64,
    pub over_90: i64,
    pub total: i64,
    pub invoices: i64,
}

/// Customers with something open as of `cuts.as_of`, most owed first
/// (`offset`/`limit` paging: the order is by amount, not by a key).
///
/// The order needs only each customer's total: as of today the sums
/// `receivables_by_customer` keeps, for an earlier date summed from the
/// `invoices_aging_customer` index (in customer order, so neither engine
/// sorts a million rows), with the few settled invoices joined per
/// customer, and sorted, paged and counted in the database, so a page
/// costs one customer row (or one pass over the index) rather than seven
/// sums per invoice, and a page of rows back rather than one per customer. The
/// buckets are then summed for the page's customers only (an index range
/// each), with their settlements merged here as [`open_by_due_date`]
/// does.
pub async fn aging_by_customer(
    conn: &mut AnyConnection,
    cuts: &AgingCuts,
    offset: i64,
    limit: i64,
) -> Result<Vec<CustomerAging>> {
    // As of the last issue date or later every counted invoice counts:
    // each customer's face total is the one `receivables_by_customer`
    // keeps (migration 0030), 100,000 rows rather than a million
    // invoices. Earlier dates sum the invoices issued by then.
    let last_issue: Option<String> =
        sqlx::query_scalar("SELECT MAX(issue_date) FROM receivables_by_date WHERE invoices <> 0")
            .fetch_one(&mut *conn)
            .await?;
    let book = if last_issue.is_none_or(|d| d.as_str() <= cuts.as_of.as_str()) {
        "SELECT customer_id, total AS amount FROM receivables_by_customer WHERE invoices <> 0"
            .to_owned()
    } else {
        format!(
            "SELECT i.customer_id, SUM(i.total) AS amount FROM invoices i
             WHERE {RECEIVABLE} GROUP BY i.customer_id"
        )
    };
    let order: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT a.customer_id, CAST(a.amount + COALESCE(s.amount, 0) AS BIGINT) AS owed
         FROM ({book}) a
         LEFT JOIN (SELECT i.customer_id, SUM(x.settled) AS amount
               FROM (SELECT s.invoice_id, SUM(s.amount) AS settled FROM ({SETTLEMENTS}) s
                     WHERE s.on_date <= $1 GROUP BY s.invoice_id) x
               JOIN invoices i ON i.id = x.invoice_id
               WHERE {RECEIVABLE} GROUP BY i.customer_id) s ON s.customer_id = a.customer_id
         WHERE a.amount + COALESCE(s.amount, 0) > 0
         ORDER BY owed DESC, a.customer_id LIMIT $2 OFFSET $3"
    )))
    .bind(&cuts.as_of)
    .bind(limit.max(0))
    .bind(offset.max(0))
    .fetch_all(&mut *conn)
    .await?;
    if order.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = order.iter().map(|r| r.0).collect();
    let in_page = crate::params::id_list(&ids);
    let bucket =
        |cond: &str| format!("CAST(SUM(CASE WHEN {cond} THEN i.total ELSE 0 END) AS BIGINT)");
    let sql = format!(
        "SELECT i.customer_id, '' AS customer_name,
            {current} AS current, {d1} AS d1_30, {d31} AS d31_60, {d61} AS d61_90,
            {d91} AS over_90, CAST(SUM(i.total) AS BIGINT) AS total, COUNT(*) AS invoices
         FROM invoices i WHERE {RECEIVABLE} AND i.customer_id IN ({in_page})
         GROUP BY i.customer_id",
        current = bucket("i.due_date >= $2"),
        d1 = bucket("i.due_date < $2 AND i.due_date >= $3"),
        d31 = bucket("i.due_date < $3 AND i.due_date >= $4"),
        d61 = bucket("i.due_date < $4 AND i.due_date >= $5"),
        d91 = bucket("i.due_date < $5"),
    );
    let mut rows: Vec<CustomerAging> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&cuts.as_of)
        .bind(&cuts.current)
        .bind(&cuts.d30)
        .bind(&cuts.d60)
        .bind(&cuts.d90)
        .fetch_all(&mut *conn)
        .await?;
    let settled: Vec<(i64, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT i.customer_id, i.due_date, i.total, CAST(x.settled AS BIGINT)
         FROM (SELECT s.invoice_id, SUM(s.amount) AS settled FROM ({SETTLEMENTS}) s
               WHERE s.on_date <= $1 GROUP BY s.invoice_id) x
         JOIN invoices i ON i.id = x.invoice_id
         WHERE {RECEIVABLE} AND i.customer_id IN ({in_page})"
    )))
    .bind(&cuts.as_of)
    .fetch_all(&mut *conn)
    .await?;
    let at: std::collections::HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(n, r)| (r.customer_id, n))
        .collect();
    for (customer, due, total, amount) in settled {
        let Some(r) = at.get(&customer).and_then(|n| rows.get_mut(*n)) else {
            continue;
        };
        let b = if due >= cuts.current {
            &mut r.current
        } else if due >= cuts.d30 {
            &mut r.d1_30
        } else if due >= cuts.d60 {
            &mut r.d31_60
        } else if due >= cuts.d90 {
            &mut r.d61_90
        } else {
            &mut r.over_90
        };
        *b += amount;
        r.total += amount;
        if total + amount <= 0 {
            r.invoices -= 1;
        }
    }
    // In the page's order (the totals are the ones it was sorted by).
    let rank: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(n, id)| (*id, n)).collect();
    rows.sort_by_key(|r| rank.get(&r.customer_id).copied().unwrap_or(usize::MAX));
    let names: std::collections::HashMap<i64, String> = crate::crm::customers::get_many(conn, &ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|mut r| {
            r.customer_name = names.get(&r.customer_id).cloned().unwrap_or_default();
            r
        })
        .collect())
}

/// An invoice of one customer with something open.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct OpenInvoice {
    pub id: i64,
    pub number: Option<String>,
    pub issue_date: Option<String>,
    pub due_date: String,
    pub total: i64,
    pub open: i64,
}

/// `customer_id`'s invoices with something open as of `as_of`, oldest due
/// first.
pub async fn open_invoices(
    conn: &mut AnyConnection,
    customer_id: i64,
    as_of: &str,
) -> Result<Vec<OpenInvoice>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM (
            SELECT i.id, i.number, i.issue_date, i.due_date, i.total,
                CAST(i.total + COALESCE((SELECT SUM(s.amount) FROM ({SETTLEMENTS}) s
                    WHERE s.invoice_id = i.id AND s.on_date <= $1), 0) AS BIGINT) AS open
            FROM invoices i WHERE i.customer_id = $2 AND {RECEIVABLE}) o
         WHERE o.open > 0 ORDER BY o.due_date, o.id"
    )))
    .bind(as_of)
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// Active contracts' prices summed per plan and the plan's cycle.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanPrices {
    pub plan_id: i64,
    pub plan_name: String,
    pub cycle: String,
    pub contracts: i64,
    pub price: i64,
}

pub async fn active_plan_prices(conn: &mut AnyConnection) -> Result<Vec<PlanPrices>> {
    Ok(sqlx::query_as(
        "SELECT p.id AS plan_id, p.name AS plan_name, p.cycle, COUNT(*) AS contracts,
            CAST(SUM(k.price) AS BIGINT) AS price
         FROM contracts k JOIN plans p ON p.id = k.plan_id
         WHERE k.status = 'active'
         GROUP BY p.id, p.name, p.cycle ORDER BY p.name",
    )
    .fetch_all(conn)
    .await?)
}

/// Active contracts' service items summed per plan and the item's cycle.
pub async fn active_item_prices(conn: &mut AnyConnection) -> Result<Vec<(i64, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT k.plan_id, s.cycle, CAST(SUM(ci.price * ci.quantity) AS BIGINT)
         FROM contract_items ci
         JOIN contracts k ON k.id = ci.contract_id
         JOIN service_items s ON s.id = ci.item_id
         WHERE k.status = 'active'
         GROUP BY k.plan_id, s.cycle",
    )
    .fetch_all(conn)
    .await?)
}

/// A contract's recurring charges as they stand: its price in its plan's
/// cycle and its items' prices summed per cycle.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Recurring {
    pub contract_id: i64,
    pub price: i64,
    pub cycle: String,
    pub items_monthly: i64,
    pub items_quarterly: i64,
    pub items_yearly: i64,
}

/// A status move that starts or ends recurring revenue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Move {
    pub contract_id: i64,
    /// `active` (first activation) or `canceled`.
    pub to_status: String,
    pub at: i64,
}

/// Between two instants (Unix seconds, `[from, to)`): each contract's
/// first activation, and cancellations of contracts that had been
/// installed.
pub async fn subscription_moves(conn: &mut AnyConnection, from: i64, to: i64) -> Result<Vec<Move>> {
    Ok(sqlx::query_as(
        "SELECT contract_id, 'active' AS to_status, MIN(at) AS at FROM contract_transitions
         WHERE to_status = 'active' GROUP BY contract_id HAVING MIN(at) >= $1 AND MIN(at) < $2
         UNION ALL
         SELECT contract_id, 'canceled' AS to_status, at FROM contract_transitions
         WHERE to_status = 'canceled' AND from_status <> 'pending_installation'
            AND at >= $1 AND at < $2
         ORDER BY at",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// An applied plan change, with both plans' cycles.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanMove {
    pub contract_id: i64,
    pub effective_date: String,
    pub from_price: i64,
    pub from_cycle: String,
    pub to_price: i64,
    pub to_cycle: String,
}

const PLAN_MOVE: &str = "SELECT pc.contract_id, pc.effective_date, pc.from_price, \
    fp.cycle AS from_cycle, pc.to_price, tp.cycle AS to_cycle \
    FROM contract_plan_changes pc \
    JOIN plans fp ON fp.id = pc.from_plan_id JOIN plans tp ON tp.id = pc.to_plan_id \
    WHERE pc.applied_at IS NOT NULL AND pc.canceled_at IS NULL";

/// Plan changes that took effect between two dates (`[from, to)`).
pub async fn plan_moves(conn: &mut AnyConnection, from: &str, to: &str) -> Result<Vec<PlanMove>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PLAN_MOVE} AND pc.effective_date >= $1 AND pc.effective_date < $2
         ORDER BY pc.effective_date, pc.id"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Every applied plan change of the given contracts, oldest first (what a
/// contract cost before its first change).
pub async fn plan_moves_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<PlanMove>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut q = sqlx::query_as::<_, PlanMove>(sqlx::AssertSqlSafe(format!(
            "{PLAN_MOVE} AND pc.contract_id IN ({list}) ORDER BY pc.effective_date, pc.id"
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// The recurring charges of the given contracts.
pub async fn recurring(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Recurring>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let item = |cycle: &str| {
            format!(
                "CAST(COALESCE((SELECT SUM(ci.price * ci.quantity) FROM contract_items ci
                    JOIN service_items s ON s.id = ci.item_id
                    WHERE ci.contract_id = k.id AND s.cycle = '{cycle}'), 0) AS BIGINT)"
            )
        };
        let mut q = sqlx::query_as::<_, Recurring>(sqlx::AssertSqlSafe(format!(
            "SELECT k.id AS contract_id, k.price, p.cycle,
                {} AS items_monthly, {} AS items_quarterly, {} AS items_yearly
             FROM contracts k JOIN plans p ON p.id = k.plan_id WHERE k.id IN ({list})",
            item("monthly"),
            item("quarterly"),
            item("yearly"),
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// How revenue is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevenueBy {
    Plan,
    City,
    Month,
}

/// Which documents revenue counts.
#[derive(Debug, Clone, Default)]
pub struct RevenueFilter {
    /// Issue dates, inclusive (`YYYY-MM-DD`).
    pub from: String,
    pub to: String,
    pub plan_id: Option<i64>,
    /// The billing address's city, as folded for the city filter.
    pub city_key: Option<String>,
}

/// Revenue of one group: invoices minus credit notes (which are stored
/// negative), without and with tax.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow, serde::Serialize)]
pub struct RevenueRow {
    /// The plan's name, the city, or the month (`YYYY-MM`); empty when the
    /// document has no plan (a customer-level document) or no city.
    pub key: String,
    pub invoices: i64,
    pub credit_notes: i64,
    pub net: i64,
    pub tax: i64,
    pub total: i64,
}

pub async fn revenue(
    conn: &mut AnyConnection,
    by: RevenueBy,
    f: &RevenueFilter,
) -> Result<Vec<RevenueRow>> {
    let key = match by {
        RevenueBy::Plan => "COALESCE(p.name, '')",
        RevenueBy::City => "COALESCE(a.city, '')",
        RevenueBy::Month => "SUBSTR(d.issue_date, 1, 7)",
    };
    let plans = by == RevenueBy::Plan || f.plan_id.is_some();
    let cities = by == RevenueBy::City || f.city_key.is_some();
    let mut sql = format!(
        "SELECT {key} AS key,
            CAST(SUM(CASE WHEN d.kind = 'invoice' THEN 1 ELSE 0 END) AS BIGINT) AS invoices,
            CAST(SUM(CASE WHEN d.kind = 'credit_note' THEN 1 ELSE 0 END) AS BIGINT) AS credit_notes,
            CAST(SUM(d.net) AS BIGINT) AS net, CAST(SUM(d.tax) AS BIGINT) AS tax,
            CAST(SUM(d.total) AS BIGINT) AS total
         FROM invoices d"
    );
    if plans {
        sql +=
            " LEFT JOIN contracts k ON k.id = d.contract_id LEFT JOIN plans p ON p.id = k.plan_id";
    }
    if cities {
        sql += " LEFT JOIN customer_addresses a ON a.customer_id = d.customer_id AND a.kind = 'billing'";
    }
    sql += " WHERE d.status IN ('issued', 'voided') AND d.issue_date >= $1 AND d.issue_date <= $2";
    let mut n = 2;
    if f.plan_id.is_some() {
        n += 1;
        sql += &format!(" AND k.plan_id = ${n}");
    }
    if f.city_key.is_some() {
        n += 1;
        sql += &format!(" AND a.city_key = ${n}");
    }
    sql += &format!(" GROUP BY {key} ORDER BY {key}");
    let mut q = sqlx::query_as::<_, RevenueRow>(sqlx::AssertSqlSafe(sql))
        .bind(&f.from)
        .bind(&f.to);
    if let Some(p) = f.plan_id {
        q = q.bind(p);
    }
    if let Some(c) = &f.city_key {
        q = q.bind(c.as_str());
    }
    Ok(q.fetch_all(conn).await?)
}

/// One tax's total in one month.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow, serde::Serialize)]
pub struct TaxRow {
    /// `YYYY-MM`.
    pub month: String,
    pub name: String,
    pub rate_ppm: i64,
    pub mode: String,
    /// The line amounts it was applied to.
    pub base: i64,
    pub amount: i64,
}

/// Each tax per month of issue, with credit notes taking theirs back,
/// between two issue dates (inclusive).
pub async fn tax_totals(conn: &mut AnyConnection, from: &str, to: &str) -> Result<Vec<TaxRow>> {
    Ok(sqlx::query_as(
        "SELECT SUBSTR(d.issue_date, 1, 7) AS month, t.name, t.rate_ppm, t.mode,
            CAST(SUM(l.amount) AS BIGINT) AS base, CAST(SUM(t.amount) AS BIGINT) AS amount
         FROM invoice_line_taxes t
         JOIN invoice_lines l ON l.id = t.line_id
         JOIN invoices d ON d.id = l.invoice_id
         WHERE d.status IN ('issued', 'voided') AND d.issue_date >= $1 AND d.issue_date <= $2
         GROUP BY SUBSTR(d.issue_date, 1, 7), t.name, t.rate_ppm, t.mode
         ORDER BY month, t.name, t.rate_ppm",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Cities of customers' billing addresses (name and folded key), for the
/// revenue filter.
pub async fn billing_cities(conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT MIN(city), city_key FROM customer_addresses WHERE kind = 'billing'
         GROUP BY city_key ORDER BY city_key LIMIT 500",
    )
    .fetch_all(conn)
    .await?)
}
