//! Billing runs, the periods each contract has been billed for, and the
//! one-off charges waiting for a contract's next invoice.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Run {
    pub id: i64,
    pub as_of: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub contracts_total: i64,
    pub contracts_done: i64,
    pub invoices: i64,
    pub total: i64,
    pub error: Option<String>,
    pub actor_kind: String,
    pub actor_name: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// The job running it, when it runs as one.
    pub job_id: Option<i64>,
}

const RUN_COLUMNS: &str = "id, as_of, status, contracts_total, contracts_done, invoices, total, \
    error, actor_kind, actor_name, started_at, finished_at, job_id";

pub async fn start(
    conn: &mut AnyConnection,
    as_of: &str,
    contracts_total: i64,
    actor: &crate::system::audit::Actor,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO billing_runs (as_of, status, contracts_total, actor_kind, actor_name, started_at)
         VALUES ($1, 'running', $2, $3, $4, $5) RETURNING id",
    )
    .bind(as_of)
    .bind(contracts_total)
    .bind(actor.kind)
    .bind(&actor.name)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

/// Names the job that runs `id`.
pub async fn set_job(conn: &mut AnyConnection, id: i64, job_id: i64) -> Result<()> {
    sqlx::query("UPDATE billing_runs SET job_id = $1 WHERE id = $2")
        .bind(job_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Starts `id` over (its job is retried after a crash): the contracts are
/// walked again from the first; invoices and totals keep what earlier
/// attempts issued, since nothing is issued twice.
pub async fn restart(conn: &mut AnyConnection, id: i64, contracts_total: i64) -> Result<()> {
    sqlx::query(
        "UPDATE billing_runs SET status = 'running', contracts_total = $1, contracts_done = 0,
            error = NULL, finished_at = NULL WHERE id = $2",
    )
    .bind(contracts_total)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a batch's figures to a running run.
pub async fn progress(
    conn: &mut AnyConnection,
    id: i64,
    contracts: i64,
    invoices: i64,
    total: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE billing_runs SET contracts_done = contracts_done + $1, invoices = invoices + $2,
            total = total + $3 WHERE id = $4",
    )
    .bind(contracts)
    .bind(invoices)
    .bind(total)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn finish(conn: &mut AnyConnection, id: i64, error: Option<&str>, at: i64) -> Result<()> {
    sqlx::query("UPDATE billing_runs SET status = $1, error = $2, finished_at = $3 WHERE id = $4")
        .bind(if error.is_some() { "failed" } else { "done" })
        .bind(error)
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Run> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(crate::Error::NotFound)
}

/// The latest runs, newest first.
pub async fn list(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Run>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM billing_runs ORDER BY id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Everything the run needs to know about a contract to bill it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Billable {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub status: String,
    pub suspend_reason: Option<String>,
    pub price: i64,
    pub installation_fee: i64,
    pub installation_installments: i64,
    pub billing_day: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub plan_id: i64,
    pub plan_name: String,
    pub billing_mode: String,
    pub cycle: String,
    pub tax_category: String,
    #[sqlx(try_from = "crate::Flag")]
    pub tax_exempt: bool,
    /// The end of the last billed period, if any.
    pub billed_until: Option<String>,
    /// Installation-fee installments on invoices not voided.
    pub installments_billed: i64,
    /// When it first became active (Unix seconds), if a transition says so;
    /// imported contracts may have none.
    pub activated_at: Option<i64>,
}

/// Contracts that may owe something — installed (not pending installation)
/// and not canceled before their last billed period ended — in id order
/// after `after_id`, at most `limit`.
pub async fn billable(
    conn: &mut AnyConnection,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Billable>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{BILLABLE} WHERE k.id > $1 AND k.status <> 'pending_installation' ORDER BY k.id LIMIT $2"
    )))
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The billable contracts of the next `customers` customers after
/// customer `after_customer`, by customer then contract: a customer's
/// contracts are never split between two calls.
pub async fn billable_by_customer(
    conn: &mut AnyConnection,
    after_customer: i64,
    customers: i64,
) -> Result<Vec<Billable>> {
    // The batch's last customer first, then the contracts as a range of
    // customer ids on both tables: with the batch as `IN (subquery)`
    // PostgreSQL joined customers by hashing the whole table, one scan of
    // every customer per batch (quadratic over a run).
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(customer_id) FROM (
            SELECT DISTINCT customer_id FROM contracts
            WHERE customer_id > $1 AND status <> 'pending_installation'
            ORDER BY customer_id LIMIT $2) b",
    )
    .bind(after_customer)
    .bind(customers)
    .fetch_one(&mut *conn)
    .await?;
    let Some(last) = last else {
        return Ok(Vec::new());
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{BILLABLE} WHERE k.status <> 'pending_installation'
            AND k.customer_id > $1 AND k.customer_id <= $2 AND c.id > $1 AND c.id <= $2
         ORDER BY k.customer_id, k.id"
    )))
    .bind(after_customer)
    .bind(last)
    .fetch_all(conn)
    .await?)
}

/// One contract as [`billable`] reads it (whatever its status), for a
/// preview of its lines.
pub async fn billable_contract(conn: &mut AnyConnection, id: i64) -> Result<Billable> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{BILLABLE} WHERE k.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(crate::Error::NotFound)
}

const BILLABLE: &str = "SELECT k.id, k.number, k.customer_id, k.status, k.suspend_reason, k.price,
        k.installation_fee, k.installation_installments, k.billing_day, k.start_date,
        k.end_date, k.plan_id, p.name AS plan_name, p.billing_mode, p.cycle, p.tax_category,
        c.tax_exempt,
        (SELECT MAX(b.period_end) FROM billed_periods b WHERE b.contract_id = k.id) AS billed_until,
        (SELECT COUNT(*) FROM invoice_lines l JOIN invoices d ON d.id = l.invoice_id
            WHERE l.contract_id = k.id AND l.source = 'installation' AND d.kind = 'invoice'
            AND d.status <> 'voided') AS installments_billed,
        (SELECT MIN(t.at) FROM contract_transitions t WHERE t.contract_id = k.id
            AND t.to_status = 'active') AS activated_at
     FROM contracts k
     JOIN plans p ON p.id = k.plan_id
     JOIN customers c ON c.id = k.customer_id";

/// How many contracts [`billable`] walks through (for progress).
pub async fn count_billable(conn: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM contracts WHERE status <> 'pending_installation'")
            .fetch_one(conn)
            .await?,
    )
}

/// A status change of a contract, for the days it spent suspended.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatusChange {
    pub contract_id: i64,
    pub to_status: String,
    pub reason: Option<String>,
    pub at: i64,
}

/// The status changes of `contract_id`, oldest first.
pub async fn status_changes(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<StatusChange>> {
    Ok(sqlx::query_as(
        "SELECT contract_id, to_status, reason, at FROM contract_transitions
         WHERE contract_id = $1 ORDER BY at, id",
    )
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// An applied plan change billing has not accounted for yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanChange {
    pub id: i64,
    pub contract_id: i64,
    pub effective_date: String,
    pub from_plan: String,
    pub to_plan: String,
    pub from_price: i64,
    pub to_price: i64,
}

/// The applied plan changes of `contract_id` not yet accounted for by an
/// invoice, in the order they were applied.
pub async fn unbilled_plan_changes(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<PlanChange>> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.contract_id, c.effective_date, f.name AS from_plan, t.name AS to_plan,
            c.from_price, c.to_price
         FROM contract_plan_changes c
         JOIN plans f ON f.id = c.from_plan_id
         JOIN plans t ON t.id = c.to_plan_id
         WHERE c.contract_id = $1 AND c.applied_at IS NOT NULL AND c.billed_at IS NULL
            AND c.canceled_at IS NULL
         ORDER BY c.id",
    )
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// Records that `invoice_id` (none when there was nothing to bill)
/// accounts for plan change `id`. `false` when something already did.
pub async fn plan_change_billed(
    conn: &mut AnyConnection,
    id: i64,
    invoice_id: Option<i64>,
    at: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE contract_plan_changes SET billed_at = $1, billed_invoice_id = $2
         WHERE id = $3 AND billed_at IS NULL",
    )
    .bind(at)
    .bind(invoice_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The invoice (id and number) that billed `day` of `contract_id`, if any.
pub async fn invoice_billing(
    conn: &mut AnyConnection,
    contract_id: i64,
    day: &str,
) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT d.id, COALESCE(d.number, '') FROM billed_periods b
         JOIN invoices d ON d.id = b.invoice_id
         WHERE b.contract_id = $1 AND b.period_start <= $2 AND b.period_end > $2
         ORDER BY b.period_start DESC LIMIT 1",
    )
    .bind(contract_id)
    .bind(day)
    .fetch_optional(conn)
    .await?)
}

/// A billed period and when it was billed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BilledPeriod {
    pub period_start: String,
    pub period_end: String,
    pub billed_at: i64,
}

/// The periods of `contract_id` billed so far, oldest first.
pub async fn billed_periods(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<BilledPeriod>> {
    Ok(sqlx::query_as(
        "SELECT period_start, period_end, billed_at FROM billed_periods
         WHERE contract_id = $1 ORDER BY period_start",
    )
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// The billed days of `contract_id` already credited as suspended, as
/// (start, end) pairs.
pub async fn credited_days(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT period_start, period_end FROM billing_day_credits
         WHERE contract_id = $1 ORDER BY period_start",
    )
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// Records days of `contract_id` credited on `invoice_id`. `false` when a
/// range starting there was credited already (the caller rolls back).
pub async fn credit_days(
    conn: &mut AnyConnection,
    contract_id: i64,
    start: &str,
    end: &str,
    invoice_id: Option<i64>,
    at: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO billing_day_credits (contract_id, period_start, period_end, invoice_id,
            credited_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (contract_id, period_start) DO NOTHING",
    )
    .bind(contract_id)
    .bind(start)
    .bind(end)
    .bind(invoice_id)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// The status changes of the contracts in `ids`, by contract, oldest
/// first (one query for a batch of the run).
pub async fn status_changes_for(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<StatusChange>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT contract_id, to_status, reason, at FROM contract_transitions
         WHERE contract_id IN ({}) ORDER BY contract_id, at, id",
        crate::params::id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// [`unbilled_plan_changes`] of the contracts in `ids`, by contract.
pub async fn unbilled_plan_changes_for(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<PlanChange>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.contract_id, c.effective_date, f.name AS from_plan, t.name AS to_plan,
            c.from_price, c.to_price
         FROM contract_plan_changes c
         JOIN plans f ON f.id = c.from_plan_id
         JOIN plans t ON t.id = c.to_plan_id
         WHERE c.contract_id IN ({}) AND c.applied_at IS NOT NULL AND c.billed_at IS NULL
            AND c.canceled_at IS NULL
         ORDER BY c.contract_id, c.id",
        crate::params::id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// The extra service items of the contracts in `ids`, by contract.
pub async fn items_for(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<crate::contracts::Item>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT ci.id, ci.contract_id, ci.item_id, s.name, ci.price, ci.quantity, ci.created_at
         FROM contract_items ci JOIN service_items s ON s.id = ci.item_id
         WHERE ci.contract_id IN ({}) ORDER BY ci.contract_id, ci.id",
        crate::params::id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// Starts a savepoint inside a transaction: the run commits documents in
/// groups, each document still whole or not at all.
pub async fn savepoint(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("SAVEPOINT billing_document")
        .execute(conn)
        .await?;
    Ok(())
}

/// Keeps what was written since [`savepoint`].
pub async fn release(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("RELEASE SAVEPOINT billing_document")
        .execute(conn)
        .await?;
    Ok(())
}

/// Undoes what was written since [`savepoint`] (and ends it).
pub async fn roll_back_to_savepoint(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("ROLLBACK TO SAVEPOINT billing_document")
        .execute(&mut *conn)
        .await?;
    sqlx::query("RELEASE SAVEPOINT billing_document")
        .execute(conn)
        .await?;
    Ok(())
}

/// Records that `contract_id`'s period starting `start` is billed. `false`
/// when it already was (another run or node got there first): the caller
/// rolls its transaction back.
pub async fn mark_billed(
    conn: &mut AnyConnection,
    contract_id: i64,
    start: &str,
    end: &str,
    invoice_id: Option<i64>,
    at: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO billed_periods (contract_id, period_start, period_end, invoice_id, billed_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (contract_id, period_start) DO NOTHING",
    )
    .bind(contract_id)
    .bind(start)
    .bind(end)
    .bind(invoice_id)
    .bind(at)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// A one-off charge waiting for its contract's next invoice.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Charge {
    pub id: i64,
    pub contract_id: i64,
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub actor_name: String,
    pub created_at: i64,
    pub invoice_line_id: Option<i64>,
}

pub async fn add_charge(
    conn: &mut AnyConnection,
    contract_id: i64,
    description: &str,
    quantity: i64,
    unit_price: i64,
    actor_name: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO pending_charges (contract_id, description, quantity, unit_price, actor_name,
            created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(contract_id)
    .bind(description)
    .bind(quantity)
    .bind(unit_price)
    .bind(actor_name)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

/// The charges of `contract_id` not billed yet, oldest first.
pub async fn open_charges(conn: &mut AnyConnection, contract_id: i64) -> Result<Vec<Charge>> {
    Ok(sqlx::query_as(
        "SELECT id, contract_id, description, quantity, unit_price, actor_name, created_at,
            invoice_line_id FROM pending_charges
         WHERE contract_id = $1 AND invoice_line_id IS NULL ORDER BY id",
    )
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// Ties a charge to the line that bills it. `false` when it was billed
/// already.
pub async fn charge_billed(conn: &mut AnyConnection, id: i64, line_id: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE pending_charges SET invoice_line_id = $1 WHERE id = $2 AND invoice_line_id IS NULL",
    )
    .bind(line_id)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Removes a charge not billed yet. `false` when it was billed or is gone.
pub async fn delete_charge(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    Ok(
        sqlx::query("DELETE FROM pending_charges WHERE id = $1 AND invoice_line_id IS NULL")
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

const BATCH_LOCK: i64 = 0x004c_4d42_494c_4c53;

/// Taken first by a transaction that issues a batch of documents: batches
/// of concurrent runs (two nodes, a run started twice) then follow each
/// other instead of each holding rows the other waits for (a billed
/// period, the number series). SQLite has one writer already.
pub async fn lock_batch(conn: &mut AnyConnection, engine: crate::Engine) -> Result<()> {
    if engine == crate::Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(BATCH_LOCK)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// [`open_charges`] of the contracts in `ids`, by contract, oldest first
/// (one query for a group of the run's documents).
pub async fn open_charges_for(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Charge>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, contract_id, description, quantity, unit_price, actor_name, created_at,
            invoice_line_id FROM pending_charges
         WHERE contract_id IN ({}) AND invoice_line_id IS NULL ORDER BY contract_id, id",
        crate::params::id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// The periods of the contracts in `ids` billed from `from` on, as
/// `(contract_id, period_start)`: what a group of the run must not bill
/// again.
pub async fn billed_from(
    conn: &mut AnyConnection,
    ids: &[i64],
    from: &str,
) -> Result<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT contract_id, period_start FROM billed_periods
         WHERE contract_id IN ({}) AND period_start >= $1",
        crate::params::id_list(ids)
    )))
    .bind(from)
    .fetch_all(conn)
    .await?)
}

/// A billed period to record: contract, start, end, invoice (none when it
/// charged nothing).
pub type NewBilledPeriod = (i64, String, String, Option<i64>);

/// [`mark_billed`] for many periods in as few statements as fit. Returns
/// how many were recorded: fewer than given means someone billed one of
/// them first, and the caller rolls its transaction back.
pub async fn mark_billed_many(
    conn: &mut AnyConnection,
    rows: &[NewBilledPeriod],
    at: i64,
) -> Result<u64> {
    let rows: Vec<Vec<crate::bulk::Value>> = rows
        .iter()
        .map(|(contract, start, end, invoice)| {
            vec![
                (*contract).into(),
                start.into(),
                end.into(),
                (*invoice).into(),
                at.into(),
            ]
        })
        .collect();
    crate::bulk::insert_rows_with(
        conn,
        "billed_periods",
        &[
            "contract_id",
            "period_start",
            "period_end",
            "invoice_id",
            "billed_at",
        ],
        &rows,
        " ON CONFLICT (contract_id, period_start) DO NOTHING",
    )
    .await
}

/// [`billed_periods`] of the contracts in `ids`, by contract, each with
/// its contract's id first.
pub async fn billed_periods_for(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String, String, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT contract_id, period_start, period_end, billed_at FROM billed_periods
         WHERE contract_id IN ({}) ORDER BY contract_id, period_start",
        crate::params::id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// [`credited_days`] of the contracts in `ids`, by contract, each with its
/// contract's id first.
pub async fn credited_days_for(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT contract_id, period_start, period_end FROM billing_day_credits
         WHERE contract_id IN ({}) ORDER BY contract_id, period_start",
        crate::params::id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}
