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
}

const RUN_COLUMNS: &str = "id, as_of, status, contracts_total, contracts_done, invoices, total, \
    error, actor_kind, actor_name, started_at, finished_at";

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
    Ok(sqlx::query_as(
        "SELECT k.id, k.number, k.customer_id, k.status, k.suspend_reason, k.price,
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
         JOIN customers c ON c.id = k.customer_id
         WHERE k.id > $1 AND k.status <> 'pending_installation'
         ORDER BY k.id LIMIT $2",
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

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

/// Opens the savepoint one document of a batch is written under.
pub async fn document_savepoint(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("SAVEPOINT billing_document")
        .execute(conn)
        .await?;
    Ok(())
}

/// Keeps the document written since [`document_savepoint`] (`keep`) or
/// undoes it, and closes the savepoint.
pub async fn document_done(conn: &mut AnyConnection, keep: bool) -> Result<()> {
    if !keep {
        sqlx::query("ROLLBACK TO SAVEPOINT billing_document")
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("RELEASE SAVEPOINT billing_document")
        .execute(conn)
        .await?;
    Ok(())
}
