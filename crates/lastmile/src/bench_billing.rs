//! `lastmile bench-billing` (hidden): billing's figures on the current
//! database, through the service calls the pages and the API make. Prints,
//! asserts nothing. `scripts/bench-billing` runs it after `lastmile demo
//! --customers 100000 --billing-months 0`:
//!
//! 1. one billing run as of today over every contract, started a month ago
//!    so each owes about one period (time, invoices, the process's peak
//!    RSS, which is the run's: nothing before it is big);
//! 2. a year of receivables for the aging report: invoices written straight
//!    in SQL until there are `--invoices` (1.2 million by default), twelve
//!    due dates a month apart per contract, a few credited;
//! 3. p50/p95/p99 of the aging report (summary and first page by customer),
//!    the invoice list and one customer's documents.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng};
use services::Services;
use services::billing::{documents, reports};
use store::Engine;
use store::billing::documents::Filter;

static CLI: std::sync::LazyLock<services::Caller> = std::sync::LazyLock::new(services::Caller::cli);

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn print(label: &str, target_ms: f64, mut times: Vec<Duration>) {
    times.sort();
    let p95 = percentile(&times, 0.95);
    println!(
        "  {label:<40} p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  (target p95 < {target_ms} ms{})",
        percentile(&times, 0.50),
        p95,
        percentile(&times, 0.99),
        if p95 < target_ms { ", ok" } else { ", MISSED" },
    );
}

/// The process's peak resident set (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub async fn run(svc: &Services, invoices: i64, skip_run: bool) -> anyhow::Result<()> {
    let mut c = svc.db.conn().await?;
    let contracts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contracts WHERE status <> 'pending_installation'")
            .fetch_one(&mut *c)
            .await?;
    anyhow::ensure!(contracts > 0, "no contracts: run `lastmile demo` first");
    drop(c);
    if !skip_run {
        let existing: Vec<String> = services::billing::taxes::list(svc, &CLI)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        for (name, percent) in services::demo::SCM_TAXES {
            if !existing.iter().any(|e| e == name) {
                services::billing::taxes::create(
                    svc,
                    &CLI,
                    &services::billing::taxes::TaxInput {
                        name: (*name).into(),
                        percent: (*percent).into(),
                        mode: "included_share".into(),
                        category: "scm".into(),
                        position: 0,
                        active: true,
                    },
                )
                .await?;
            }
        }
        let today = {
            let mut c = svc.db.conn().await?;
            services::crm::today(&mut c).await?
        };
        // The demo's contracts started over the last year: moved to a month
        // ago (activated then too), so the run bills about one period each
        // rather than a year of them.
        let month_ago = today.checked_sub(jiff::Span::new().months(1))?;
        let at = month_ago
            .to_zoned(jiff::tz::TimeZone::UTC)?
            .timestamp()
            .as_second();
        let mut tx = svc.db.begin().await?;
        sqlx::query("UPDATE contracts SET start_date = $1")
            .bind(month_ago.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE contract_transitions SET at = $1 WHERE at > $1")
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let t = Instant::now();
        let policy = services::billing::settings::policy(svc).await?;
        let id = services::billing::run::run(svc, &CLI, today, &policy).await?;
        let elapsed = t.elapsed();
        let mut c = svc.db.conn().await?;
        let r = store::billing::runs::get(&mut c, id).await?;
        drop(c);
        println!("billing run as of {today} over {contracts} installed contracts:");
        println!(
            "  {} invoices in {:.1} s ({:.0} invoices/s; target < 30 s), peak RSS {:.0} MiB (target < 150 MiB)",
            r.invoices,
            elapsed.as_secs_f64(),
            r.invoices as f64 / elapsed.as_secs_f64().max(0.001),
            peak_rss_mib()
        );
    }
    fill(svc, invoices).await?;
    measure(svc).await
}

/// Adds invoices until there are `target`, in SQL (one statement per
/// month back): due on the contract's billing day, issued ten days before.
async fn fill(svc: &Services, target: i64) -> anyhow::Result<()> {
    let mut c = svc.db.conn().await?;
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE kind = 'invoice'")
        .fetch_one(&mut *c)
        .await?;
    if have >= target {
        println!("receivables: {have} invoices already");
        return Ok(());
    }
    let started = Instant::now();
    let today = services::crm::today(&mut c).await?;
    let mut month = 1i64;
    let mut total = have;
    while total < target && month <= 120 {
        let first = today
            .first_of_month()
            .checked_sub(jiff::Span::new().months(month))?;
        let prefix = first.strftime("%Y-%m-").to_string();
        let issue = format!("{prefix}01");
        let due = match svc.db.engine() {
            Engine::Sqlite => format!("'{prefix}' || printf('%02d', k.billing_day)"),
            Engine::Postgres => format!("'{prefix}' || lpad(k.billing_day::text, 2, '0')"),
        };
        let mut tx = svc.db.begin().await?;
        let added = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO invoices (kind, number, status, public_id, customer_id, contract_id,
                issue_date, due_date, net, discount, tax, total, created_at, issued_at)
             SELECT 'invoice', 'B{prefix}' || k.id, 'issued', 'bench-{prefix}' || k.id,
                k.customer_id, k.id, '{issue}', {due}, k.price * 76 / 100, 0,
                k.price - k.price * 76 / 100, k.price, $1, $1
             FROM contracts k WHERE k.status <> 'pending_installation'
             ORDER BY k.id LIMIT $2"
        )))
        .bind(store::now())
        .bind(target - total)
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        tx.commit().await?;
        total += added;
        month += 1;
    }
    // A few credit notes against them, as corrections leave.
    let mut tx = svc.db.begin().await?;
    sqlx::query(
        "INSERT INTO invoices (kind, number, status, public_id, customer_id, contract_id,
            issue_date, due_date, net, discount, tax, total, credits_invoice_id, created_at,
            issued_at)
         SELECT 'credit_note', 'C' || i.number, 'issued', 'c' || i.public_id, i.customer_id,
            i.contract_id, i.due_date, i.due_date, -i.net / 2, 0, -i.tax / 2, -i.net / 2 - i.tax / 2,
            i.id, i.created_at, i.created_at
         FROM invoices i WHERE i.kind = 'invoice' AND i.number LIKE 'B%' AND i.id % 97 = 0",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let analyze = match svc.db.engine() {
        Engine::Sqlite => "ANALYZE",
        Engine::Postgres => "VACUUM ANALYZE invoices",
    };
    sqlx::query(analyze).execute(&mut *c).await?;
    println!(
        "receivables: {total} invoices ({} added in {:.1} s)",
        total - have,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn measure(svc: &Services) -> anyhow::Result<()> {
    let today = {
        let mut c = svc.db.conn().await?;
        services::crm::today(&mut c).await?.to_string()
    };
    // Warm the pool and the caches.
    let a = reports::aging(svc, &CLI, &today).await?;
    println!(
        "aging as of {today}: {} open invoices, {} minor units ({} overdue)",
        a.invoices,
        a.total.0,
        a.overdue().0
    );
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        reports::aging(svc, &CLI, &today).await?;
        times.push(t.elapsed());
    }
    print("aging report (buckets)", 500.0, times);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        reports::aging_by_customer(svc, &CLI, &today, 0, 50).await?;
        times.push(t.elapsed());
    }
    print("aging by customer, first page", 500.0, times);

    let mut times = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        documents::list(
            svc,
            &CLI,
            &Filter {
                limit: 50,
                ..Default::default()
            },
        )
        .await?;
        times.push(t.elapsed());
    }
    print("invoice list, first page (50)", 50.0, times);

    let ids: Vec<i64> = {
        let mut c = svc.db.conn().await?;
        sqlx::query_scalar("SELECT DISTINCT customer_id FROM invoices ORDER BY customer_id")
            .fetch_all(&mut *c)
            .await?
    };
    anyhow::ensure!(!ids.is_empty(), "no invoices to read");
    let mut r = StdRng::seed_from_u64(7);
    let mut times = Vec::new();
    for _ in 0..300 {
        let id = ids[r.random_range(0..ids.len())];
        let t = Instant::now();
        documents::list(
            svc,
            &CLI,
            &Filter {
                customer_id: Some(id),
                limit: 100,
                ..Default::default()
            },
        )
        .await?;
        times.push(t.elapsed());
    }
    print("one customer's documents (100)", 50.0, times);
    let mut times = Vec::new();
    for _ in 0..100 {
        let id = ids[r.random_range(0..ids.len())];
        let t = Instant::now();
        reports::open_invoices(svc, &CLI, id, &today).await?;
        times.push(t.elapsed());
    }
    print("one customer's open invoices", 50.0, times);
    Ok(())
}
