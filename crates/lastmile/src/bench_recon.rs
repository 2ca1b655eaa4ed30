//! `lastmile bench-recon` (hidden): reconciliation's figure on the current
//! database, through the service calls the page and the API make. Prints,
//! asserts nothing. `scripts/bench-recon` runs it after `lastmile demo`:
//!
//! 1. `--titles` open invoices (written straight in SQL over the demo's
//!    contracts, a due date ten days ahead) and the remittances that
//!    register a boleto for each (time);
//! 2. the bank's CNAB 240 return liquidating every boleto (built with
//!    `services::payments::recon::simulate`), processed as an upload
//!    (time, lines per second, the process's peak RSS; target < 10 s for
//!    100,000 settlements).

use std::collections::BTreeMap;
use std::time::Instant;

use brpay::boleto::banks::Bank;
use services::Services;
use services::payments::recon::{remittance, returns, simulate};
use store::Engine;

static CLI: std::sync::LazyLock<services::Caller> = std::sync::LazyLock::new(services::Caller::cli);

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

pub async fn run(svc: &Services, titles: i64) -> anyhow::Result<()> {
    let mut c = svc.db.conn().await?;
    let contracts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contracts WHERE status <> 'pending_installation'")
            .fetch_one(&mut *c)
            .await?;
    anyhow::ensure!(contracts > 0, "no contracts: run `lastmile demo` first");
    drop(c);
    let settings: BTreeMap<String, String> = [
        ("boleto.mode", "cnab"),
        ("boleto.bank", "001"),
        ("boleto.agency", "1234-5"),
        ("boleto.account", "12345-6"),
        ("boleto.wallet", "17"),
        ("boleto.agreement", "7654321"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    services::system::settings::update(svc, &CLI, &settings).await?;

    // 1. Open invoices, one per contract per round, until there are enough.
    let started = Instant::now();
    let today = jiff::Zoned::now().date();
    let due = today.checked_add(jiff::Span::new().days(10))?;
    let mut added = 0;
    let mut round = 0;
    while added < titles {
        round += 1;
        let mut tx = svc.db.begin().await?;
        added += sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO invoices (kind, number, status, public_id, customer_id, contract_id,
                issue_date, due_date, net, discount, tax, total, created_at, issued_at)
             SELECT 'invoice', 'R{round}-' || k.id, 'issued', 'bench-recon-{round}-' || k.id,
                k.customer_id, k.id, '{today}', '{due}', 9990, 0, 0, 9990, $1, $1
             FROM contracts k WHERE k.status <> 'pending_installation'
             ORDER BY k.id LIMIT $2"
        )))
        .bind(store::now())
        .bind(titles - added)
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        tx.commit().await?;
    }
    let mut c = svc.db.conn().await?;
    let analyze = match svc.db.engine() {
        Engine::Sqlite => "ANALYZE",
        Engine::Postgres => "VACUUM ANALYZE invoices",
    };
    sqlx::query(analyze).execute(&mut *c).await?;
    drop(c);
    println!(
        "invoices: {added} open added in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut files = 0;
    let mut registered = 0;
    loop {
        match remittance::generate(svc, &CLI, brpay::cnab::Format::Cnab240).await {
            Ok(f) => {
                files += 1;
                registered += f.titles;
            }
            Err(services::Error::Invalid {
                field: "invoices", ..
            }) => break,
            Err(e) => return Err(e.into()),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "remittances: {registered} boletos in {files} files, {secs:.1} s ({:.0} boletos/s)",
        registered as f64 / secs
    );

    // 2. The bank liquidates every one of them.
    let mut c = svc.db.conn().await?;
    let open: Vec<(String, i64)> = sqlx::query_as(
        "SELECT external_id, amount FROM payment_charges
         WHERE gateway = 'cnab' AND status = 'open' ORDER BY id LIMIT $1",
    )
    .bind(titles)
    .fetch_all(&mut *c)
    .await?;
    drop(c);
    let credit = today.yesterday()?;
    let lines: Vec<simulate::Title> = open
        .iter()
        .map(|(nn, amount)| simulate::Title {
            nosso_numero: nn.clone(),
            occurrence: "06".into(),
            amount: *amount,
            paid: *amount,
            fee: 180,
            credit_date: Some(credit),
            payer_name: "PAGADOR".into(),
            reason: String::new(),
        })
        .collect();
    let file = simulate::return_240(Bank::BancoDoBrasil, 1, today, &lines)?;
    println!(
        "return file: {} settlements, {:.1} MB",
        lines.len(),
        file.len() as f64 / 1e6
    );
    let started = Instant::now();
    let done = returns::process(svc, &CLI, "bench.ret", file.as_bytes()).await?;
    let secs = started.elapsed().as_secs_f64();
    let f = done.file;
    println!(
        "reconciled: {} settled ({} unmatched, {} divergent, {} already) in {secs:.2} s, {:.0} settlements/s, peak RSS {:.0} MiB (target < 10 s for 100,000{})",
        f.settled,
        f.unmatched,
        f.divergent,
        f.already_settled,
        f.settled as f64 / secs,
        peak_rss_mib(),
        if lines.len() >= 100_000 && secs < 10.0 {
            ", ok"
        } else if lines.len() >= 100_000 {
            ", MISSED"
        } else {
            ""
        }
    );
    Ok(())
}
