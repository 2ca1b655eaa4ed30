//! A full sync against the fake router: 10,000 PPP secrets and 10,000
//! simple queues added, then printed back, over the binary API (pipelined
//! on one connection, and one command at a time) and over REST. Issue 19
//! asks for a full sync under 30 s. Run with
//! `cargo bench -p routeros --bench sync` (BENCH_ITEMS to change 10,000,
//! BENCH_IN_FLIGHT to change 32).

use std::time::{Duration, Instant};

use routeros::fake::FakeRouter;
use routeros::{Client, Error, Print, RestClient, Router};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn secret(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("name", format!("customer-{n:05}")),
        ("password", format!("pw-{n:08}")),
        ("profile", "plan-100M".into()),
        ("service", "pppoe".into()),
        (
            "remote-address",
            format!("100.64.{}.{}", n / 250, n % 250 + 1),
        ),
        ("comment", format!("contract {n}")),
    ]
}

fn queue(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("name", format!("customer-{n:05}")),
        ("target", format!("100.64.{}.{}/32", n / 250, n % 250 + 1)),
        ("max-limit", "50M/100M".into()),
        ("burst-limit", "60M/120M".into()),
        ("burst-threshold", "40M/80M".into()),
        ("burst-time", "16s/16s".into()),
        ("comment", format!("contract {n}")),
    ]
}

/// Adds `items` secrets and queues with `in_flight` commands at a time,
/// prints both menus back; returns (push time, print time).
async fn sync(
    router: Router,
    items: usize,
    in_flight: usize,
) -> Result<(Duration, Duration), Error> {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..in_flight {
        let router = router.clone();
        tasks.spawn(async move {
            let mut n = worker;
            while n < items {
                router.add("/ppp/secret", secret(n)).await?;
                router.add("/queue/simple", queue(n)).await?;
                n += in_flight;
            }
            Ok::<_, Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| Error::Closed(e.to_string()))??;
    }
    let pushed = start.elapsed();
    let start = Instant::now();
    let secrets = router.print("/ppp/secret", &Print::new()).await?;
    let queues = router.print("/queue/simple", &Print::new()).await?;
    let printed = start.elapsed();
    assert_eq!((secrets.len(), queues.len()), (items, items));
    Ok((pushed, printed))
}

fn report(label: &str, items: usize, (pushed, printed): (Duration, Duration)) {
    let total = pushed + printed;
    println!(
        "  {label:<28} push {:>7.2} s ({:>6.0} adds/s)  print back {:>6.0} ms  full sync {:>6.2} s {}",
        pushed.as_secs_f64(),
        (2 * items) as f64 / pushed.as_secs_f64(),
        printed.as_secs_f64() * 1e3,
        total.as_secs_f64(),
        if total < Duration::from_secs(30) {
            "(< 30 s target: met)"
        } else {
            "(< 30 s target: MISSED)"
        }
    );
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let items = env("BENCH_ITEMS", 10_000);
    let in_flight = env("BENCH_IN_FLIGHT", 32);
    println!("routeros sync against the fake router: {items} PPP secrets + {items} simple queues");

    let fake = FakeRouter::start("bench", "bench")
        .await
        .map_err(|e| Error::Closed(e.to_string()))?;
    let api = Router::Api(Client::connect(&fake.config()).await?);
    report(
        &format!("API, {in_flight} in flight"),
        items,
        sync(api, items, in_flight).await?,
    );

    let fake = FakeRouter::start("bench", "bench")
        .await
        .map_err(|e| Error::Closed(e.to_string()))?;
    let api = Router::Api(Client::connect(&fake.config()).await?);
    report("API, one at a time", items, sync(api, items, 1).await?);

    let fake = FakeRouter::start("bench", "bench")
        .await
        .map_err(|e| Error::Closed(e.to_string()))?;
    let tls = Router::Api(Client::connect(&fake.tls_config()).await?);
    report(
        &format!("API over TLS, {in_flight} in flight"),
        items,
        sync(tls, items, in_flight).await?,
    );

    let fake = FakeRouter::start("bench", "bench")
        .await
        .map_err(|e| Error::Closed(e.to_string()))?;
    let rest = Router::Rest(RestClient::new(&fake.rest_config())?);
    report(
        &format!("REST, {in_flight} in flight"),
        items,
        sync(rest, items, in_flight).await?,
    );
    Ok(())
}
