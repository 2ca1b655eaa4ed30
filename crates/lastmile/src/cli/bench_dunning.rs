//! `lastmile bench-dunning` (hidden): the collections pass's figures on the
//! current database. Prints, asserts nothing. `scripts/bench-dunning` runs
//! it after `lastmile demo --customers 100000 --billing-months 0`:
//!
//! 1. invoices written straight in SQL: `--history-months` settled months
//!    per contract (each with a credit note for all of it, standing in for
//!    the payments that settle most invoices), and this month's invoice per
//!    contract with due dates spread over 30 days, 85 % of them settled;
//! 2. the daily pass as of today (reminders and notices), again the same
//!    day (nothing to send: every step once), and as of today + the
//!    policy's notice period (the suspensions), each timed;
//! 3. p50/p95/p99 of the overdue list's first page and the cancellation
//!    list.

use std::time::{Duration, Instant};

use clap::Args;
use services::Services;
use services::collections as dunning;
use store::Engine;

#[derive(Args)]
pub struct BenchDunningArgs {
    /// Settled months of invoices per contract before this month's.
    #[arg(long, default_value_t = 2)]
    history_months: i64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    ms(sorted[i.min(sorted.len() - 1)])
}

fn print(label: &str, target_ms: f64, mut times: Vec<Duration>) {
    times.sort();
    let p95 = percentile(&times, 0.95);
    println!(
        "  {label:<36} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  (target p95 < {target_ms} ms{})",
        percentile(&times, 0.50),
        p95,
        percentile(&times, 0.99),
        if p95 < target_ms { ", ok" } else { ", MISSED" },
    );
}

pub async fn run(svc: &Services, args: &BenchDunningArgs) -> anyhow::Result<()> {
    let cli = services::Caller::cli();
    let (contracts, today) = {
        let mut c = svc.db.conn().await?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contracts WHERE status <> 'pending_installation'",
        )
        .fetch_one(&mut *c)
        .await?;
        (n, services::crm::today(&mut c).await?)
    };
    anyhow::ensure!(contracts > 0, "no contracts: run `lastmile demo` first");
    fill(svc, today, args.history_months).await?;

    let policy = dunning::policy(svc, &cli).await?.policy;
    println!("collections pass over {contracts} installed contracts:");
    let passes = [
        ("as of today", today),
        ("as of today, again", today),
        (
            "as of today + notice period",
            today.checked_add(jiff::Span::new().days(policy.suspend_after_notice_days))?,
        ),
    ];
    for (label, as_of) in passes {
        let t = Instant::now();
        let r = dunning::pass(svc, &cli, as_of).await?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "  {label:<28} {secs:>6.1} s (target < 30 s{}): {} customers in the window, {} reminders, {} notices, {} suspended, {} settled",
            if secs < 30.0 { ", ok" } else { ", MISSED" },
            r.customers,
            r.reminders,
            r.notices,
            r.suspended,
            r.settled
        );
    }

    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        dunning::overdue(
            svc,
            &cli,
            &dunning::OverdueFilter {
                min_days: 1,
                q: String::new(),
                offset: 0,
                limit: 51,
            },
        )
        .await?;
        times.push(t.elapsed());
    }
    print("overdue list, first page (50)", 500.0, times);
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        dunning::to_cancel(svc, &cli, 0, 51).await?;
        times.push(t.elapsed());
    }
    print("cancellation list, first page", 100.0, times);
    Ok(())
}

/// A date `days` from `today` as SQL over the literal date text.
fn shifted(engine: Engine, today: &str, days: &str) -> String {
    match engine {
        Engine::Sqlite => format!("date('{today}', printf('%+d days', {days}))"),
        Engine::Postgres => format!("to_char('{today}'::date + ({days})::int, 'YYYY-MM-DD')"),
    }
}

/// Invoices for every installed contract: `history` settled months, then
/// this month's, due over 30 days around today, 85 % settled.
async fn fill(svc: &Services, today: jiff::civil::Date, history: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let engine = svc.db.engine();
    let today_s = today.to_string();
    let mut written = 0;
    for month in (0..=history).rev() {
        let tag = format!("D{month}-");
        let due = shifted(engine, &today_s, &format!("3 - k.id % 30 - {}", month * 30));
        let mut tx = svc.db.begin().await?;
        written += sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO invoices (kind, number, status, public_id, customer_id, contract_id,
                issue_date, due_date, net, discount, tax, total, created_at, issued_at)
             SELECT 'invoice', '{tag}' || k.id, 'issued', 'bench-{tag}' || k.id,
                k.customer_id, k.id, {issue}, {due}, k.price, 0, 0, k.price, $1, $1
             FROM contracts k WHERE k.status <> 'pending_installation'",
            issue = shifted(
                engine,
                &today_s,
                &format!("-7 - k.id % 30 - {}", month * 30)
            ),
        )))
        .bind(store::now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Settled: every invoice of past months, 85 % of this month's.
        let settled = if month == 0 { "AND i.id % 20 >= 3" } else { "" };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO invoices (kind, number, status, public_id, customer_id, contract_id,
                issue_date, due_date, net, discount, tax, total, credits_invoice_id, created_at,
                issued_at)
             SELECT 'credit_note', 'C' || i.number, 'issued', 'c' || i.public_id, i.customer_id,
                i.contract_id, i.issue_date, i.issue_date, -i.net, 0, 0, -i.total, i.id,
                i.created_at, i.created_at
             FROM invoices i WHERE i.kind = 'invoice' AND i.number LIKE '{tag}%' {settled}"
        )))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    let mut c = svc.db.conn().await?;
    let analyze = match engine {
        Engine::Sqlite => "ANALYZE",
        Engine::Postgres => "VACUUM ANALYZE invoices",
    };
    sqlx::query(analyze).execute(&mut *c).await?;
    println!(
        "invoices: {written} written with their credit notes in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
