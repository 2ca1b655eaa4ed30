//! `lastmile bench-crm` (hidden): latency of the CRM's read paths on the
//! current database, through the same service calls the pages and the API
//! make (real queries, real decoding; no HTTP). Prints p50/p95/p99 per
//! operation; asserts nothing. `scripts/bench-crm` runs it after
//! `lastmile demo --customers 100000`.

use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng};
use services::Services;
use services::crm::{self, ListQuery};

/// Samples per operation.
const SAMPLES: usize = 300;

/// The bench runs at the console, as the console's caller (built once,
/// outside the timed calls).
static CLI: std::sync::LazyLock<services::Caller> = std::sync::LazyLock::new(services::Caller::cli);

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn print(label: &str, target_ms: f64, mut times: Vec<Duration>, found: usize) {
    times.sort();
    let p95 = percentile(&times, 0.95);
    println!(
        "  {label:<34} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  (target p95 < {target_ms} ms{}){}",
        percentile(&times, 0.50),
        p95,
        percentile(&times, 0.99),
        if p95 < target_ms { ", ok" } else { ", MISSED" },
        if found < times.len() {
            format!("  [{} of {} found]", found, times.len())
        } else {
            String::new()
        }
    );
}

/// The query strings searched for, drawn from real rows.
struct Samples {
    names: Vec<String>,
    docs: Vec<String>,
    docs_bare: Vec<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    logins: Vec<String>,
    ips: Vec<String>,
    numbers: Vec<String>,
    customer_ids: Vec<i64>,
}

/// `+5519991234567` → `(19) 99123-4567`: how people type it.
fn national(e164: &str) -> String {
    let d = e164.trim_start_matches("+55");
    if d.len() == 11 {
        format!("({}) {}-{}", &d[..2], &d[2..7], &d[7..])
    } else if d.len() == 10 {
        format!("({}) {}-{}", &d[..2], &d[2..6], &d[6..])
    } else {
        e164.to_owned()
    }
}

async fn samples(svc: &Services) -> anyhow::Result<Samples> {
    let mut c = svc.db.conn().await?;
    let max_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM customers")
        .fetch_one(&mut *c)
        .await?;
    anyhow::ensure!(max_id > 0, "no customers: run `lastmile demo` first");
    let mut r = StdRng::seed_from_u64(42);
    let mut s = Samples {
        names: Vec::new(),
        docs: Vec::new(),
        docs_bare: Vec::new(),
        emails: Vec::new(),
        phones: Vec::new(),
        logins: Vec::new(),
        ips: Vec::new(),
        numbers: Vec::new(),
        customer_ids: Vec::new(),
    };
    let mut tries = 0;
    while s.customer_ids.len() < SAMPLES && tries < SAMPLES * 20 {
        tries += 1;
        let id = r.random_range(1..=max_id);
        let Ok(cust) = crm::get_customer(svc, &CLI, id).await else {
            continue;
        };
        s.customer_ids.push(id);
        // A partial name: the start of the first word and a later word.
        let words = domain::crm::search::words(&cust.name);
        let first: String = words
            .first()
            .map(|w| w.chars().take(4).collect())
            .unwrap_or_default();
        let last = words.last().cloned().unwrap_or_default();
        s.names.push(format!("{first} {last}"));
        s.docs.push(cust.document.clone());
        s.docs_bare.push(cust.document_norm.clone());
        if let Some(e) = cust.emails.first() {
            s.emails.push(e.clone());
        }
        if let Some(p) = cust.phones.first() {
            s.phones.push(national(p));
        }
        let filter = store::contracts::Filter {
            customer_id: Some(id),
            limit: 10,
            ..Default::default()
        };
        for k in services::contracts::list(svc, &CLI, &filter).await?.0 {
            s.logins.push(k.pppoe_login.clone());
            s.numbers.push(k.number.trim_start_matches('0').to_owned());
            if let Some(ip) = k.ipv4 {
                s.ips.push(ip);
            }
        }
    }
    // IPs are on a fifth of the contracts: top them up directly.
    if s.ips.len() < SAMPLES / 2 {
        let ips: Vec<String> = sqlx::query_scalar(
            "SELECT ipv4 FROM contracts WHERE ipv4 IS NOT NULL ORDER BY id LIMIT 300",
        )
        .fetch_all(&mut *c)
        .await?;
        s.ips.extend(ips);
    }
    Ok(s)
}

async fn time_search(svc: &Services, label: &str, queries: &[String]) -> anyhow::Result<()> {
    let mut times = Vec::with_capacity(queries.len());
    let mut found = 0;
    for q in queries {
        let t = Instant::now();
        let hits = crm::search(svc, &CLI, q, 20).await?;
        times.push(t.elapsed());
        if !hits.is_empty() {
            found += 1;
        }
    }
    print(label, 20.0, times, found);
    Ok(())
}

pub async fn run(svc: &Services) -> anyhow::Result<()> {
    let s = samples(svc).await.context("sampling the data")?;
    // Warm the pool and caches the way a running server has them.
    for q in s.names.iter().take(20) {
        crm::search(svc, &CLI, q, 20).await?;
    }
    println!("search (crm::search, 20 results):");
    time_search(svc, "name, partial words", &s.names).await?;
    time_search(svc, "document with punctuation", &s.docs).await?;
    time_search(svc, "document digits only", &s.docs_bare).await?;
    time_search(svc, "e-mail", &s.emails).await?;
    time_search(svc, "phone, national format", &s.phones).await?;
    time_search(svc, "PPPoE login", &s.logins).await?;
    time_search(svc, "IPv4", &s.ips).await?;
    time_search(svc, "contract number (no zeros)", &s.numbers).await?;

    println!("customer list (crm::list, 50 per page):");
    let lists: [(&str, ListQuery); 4] = [
        (
            "first page, newest",
            ListQuery {
                limit: 50,
                ..Default::default()
            },
        ),
        (
            "first page, by name",
            ListQuery {
                limit: 50,
                sort: store::crm::customers::Sort::Name,
                ..Default::default()
            },
        ),
        (
            "status = suspended",
            ListQuery {
                limit: 50,
                status: Some(domain::contracts::Status::Suspended),
                ..Default::default()
            },
        ),
        (
            "city = Campinas",
            ListQuery {
                limit: 50,
                city: Some("Campinas".into()),
                ..Default::default()
            },
        ),
    ];
    for (label, q) in lists {
        let mut times = Vec::with_capacity(100);
        let mut found = 0;
        for _ in 0..100 {
            let t = Instant::now();
            let (rows, _) = crm::list(svc, &CLI, &q).await?;
            times.push(t.elapsed());
            if !rows.is_empty() {
                found += 1;
            }
        }
        print(label, 50.0, times, found);
    }

    println!("customer detail (customer + addresses + contracts + timeline page):");
    let mut times = Vec::with_capacity(s.customer_ids.len());
    for id in &s.customer_ids {
        let t = Instant::now();
        crm::get_customer(svc, &CLI, *id).await?;
        crm::addresses(svc, &CLI, *id).await?;
        let filter = store::contracts::Filter {
            customer_id: Some(*id),
            limit: 50,
            ..Default::default()
        };
        services::contracts::list(svc, &CLI, &filter).await?;
        crm::timeline(svc, &CLI, *id, None, None, 20).await?;
        times.push(t.elapsed());
    }
    let n = times.len();
    print("detail", 30.0, times, n);
    Ok(())
}
