//! `lastmile demo`: realistic demo data, and a loopback NAS to try RADIUS
//! against.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use services::Services;

use super::{Ctx, explain};
use crate::config::Config;

// The help text is the command's own, in `Command`.
#[derive(Args)]
pub struct DemoArgs {
    /// How many customers to create.
    #[arg(long, default_value_t = 1000)]
    customers: usize,
    /// The same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write `login,password,contract_status` of every contract to this CSV file.
    #[arg(long)]
    credentials_out: Option<PathBuf>,
    /// Shared secret of the loopback NAS the demo registers (generated
    /// when not given).
    #[arg(long)]
    nas_secret: Option<String>,
    /// Months of billing history to write through the billing run (one
    /// run per month, then corrections); 0 writes none. Default: 12, or 1
    /// above 10,000 customers, where each month is a run over every
    /// contract (pass 12 to wait for the whole year).
    #[arg(long)]
    billing_months: Option<u32>,
}

pub async fn run(ctx: &Ctx, a: DemoArgs) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let svc = super::open(&config).await?;
    let examples = demo(&svc, a.customers, a.seed, a.credentials_out).await?;
    let months = a
        .billing_months
        .unwrap_or(if a.customers > 10_000 { 1 } else { 12 });
    if months > 0 {
        billing(&svc, months).await?;
    }
    network(&svc).await?;
    demo_nas(&svc, &config, a.nas_secret, &examples).await
}

/// Sites, devices, links, prefixes and pools, and static addresses (with
/// a delegated IPv6 prefix) for the first 40 active contracts.
async fn network(svc: &services::Services) -> anyhow::Result<()> {
    let mut c = svc.db.conn().await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM contracts WHERE status = 'active' AND ipv4 IS NULL ORDER BY id LIMIT 40",
    )
    .fetch_all(&mut *c)
    .await?;
    drop(c);
    let m = services::network::demo::seed(svc, &ids, 40).await?;
    println!(
        "network: {} sites, {} devices, {} links, {} pools, {} contracts with a static address",
        m.sites, m.devices, m.links, m.pools, m.assigned
    );
    Ok(())
}

/// A year (or `months`) of invoices, credit notes and voids through the
/// real billing run.
async fn billing(svc: &Services, months: u32) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let progress = |done: usize, total: usize| {
        eprintln!(
            "  billing run {done}/{total} ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    };
    let h = services::demo::billing_history(svc, &services::Caller::cli(), months, &progress)
        .await
        .map_err(explain)?;
    println!(
        "billing history: {} runs, {} invoices ({} minor units), {} credit notes ({} voids), {} payments ({} refunds) in {:.1} s",
        h.runs,
        h.invoices,
        h.total.0,
        h.credit_notes,
        h.voided,
        h.payments,
        h.refunds,
        h.elapsed.as_secs_f64()
    );
    Ok(())
}

async fn demo(
    svc: &Services,
    customers: usize,
    seed: u64,
    credentials_out: Option<PathBuf>,
) -> anyhow::Result<Vec<services::demo::DemoLogin>> {
    let mut file = match &credentials_out {
        Some(p) => Some(std::io::BufWriter::new(
            // Subscriber passwords: private like everything else we write.
            store::files::options()
                .create(true)
                .truncate(true)
                .open(p)
                .with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let started = std::time::Instant::now();
    let progress = |done: usize, total: usize| {
        if total >= 20_000 || done == total {
            eprintln!(
                "  {done}/{total} customers ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let opts = services::demo::DemoOptions { customers, seed };
    let sink = file.as_mut().map(|f| f as &mut (dyn std::io::Write + Send));
    let s = match services::demo::run(svc, &services::Caller::cli(), &opts, &progress, sink).await {
        Err(services::Error::Refused("demo-not-empty")) => {
            anyhow::bail!("this database already has customers: run the demo on an empty one")
        }
        other => other.map_err(explain)?,
    };
    if let Some(mut f) = file {
        use std::io::Write;
        f.flush().context("writing the credentials file")?;
    }
    if let Some(a) = &s.admin {
        println!(
            "setup done: sign in as {} with password {}",
            a.username, a.password
        );
    }
    println!(
        "demo data: {} customers ({} companies), {} contracts, {} notes, {} timeline events in {:.1} s",
        s.customers,
        s.companies,
        s.contracts,
        s.notes,
        s.events,
        s.elapsed.as_secs_f64()
    );
    println!("plans: {}", s.plans.join(", "));
    for (status, n) in &s.by_status {
        println!("  {status:<30} {n}");
    }
    println!("example PPPoE logins:");
    for e in &s.examples {
        let status = match &e.suspend_reason {
            Some(r) => format!("{} ({r})", e.status),
            None => e.status.clone(),
        };
        println!("  {:<28} {:<14} {status}", e.login, e.password);
    }
    if let Some(p) = credentials_out {
        println!("credentials of every contract: {}", p.display());
    }
    Ok(s.examples)
}

/// Registers the loopback NAS (so `radtest` on this machine is a router)
/// and prints request lines that work as they stand against `lastmile serve`.
async fn demo_nas(
    svc: &Services,
    config: &Config,
    secret: Option<String>,
    examples: &[services::demo::DemoLogin],
) -> anyhow::Result<()> {
    use rand::RngExt as _;
    let secret = secret.unwrap_or_else(|| {
        let mut rng = rand::rng();
        (0..16)
            .map(|_| char::from(b"abcdefghjkmnpqrstuvwxyz23456789"[rng.random_range(0..31)]))
            .collect()
    });
    let input = services::nas::NasInput {
        name: "demo-loopback".into(),
        address: "127.0.0.1".into(),
        secret: secret.clone(),
        kind: "mikrotik".into(),
        notes: "Registered by `lastmile demo`: radtest / radclient on this machine.".into(),
        ..Default::default()
    };
    services::nas::create(svc, &services::Caller::cli(), &input)
        .await
        .map_err(explain)?;
    let port = config.radius_auth.port();
    let target = format!("127.0.0.1:{port}");
    let examples = examples.iter().filter(|e| e.status == "active").take(2);
    println!();
    println!("loopback NAS registered (127.0.0.1, MikroTik profile, secret {secret}).");
    println!(
        "Start `lastmile serve`, then from this machine (Debian: apt install freeradius-utils):"
    );
    for e in examples {
        println!("  # {}", e.login);
        println!("  radtest {} '{}' {target} 0 {secret}", e.login, e.password);
        println!(
            "  radtest -t chap {} '{}' {target} 0 {secret}",
            e.login, e.password
        );
        // Debian's radtest speaks MS-CHAPv1 only; MS-CHAPv2 goes through
        // radclient with a response computed here.
        let challenge: [u8; 16] = rand::random();
        let peer: [u8; 16] = rand::random();
        let response = radius::auth::mschap2::client_response(
            1,
            &challenge,
            &peer,
            e.login.as_bytes(),
            &e.password,
        );
        println!(
            "  printf 'User-Name = \"{}\"\\nMS-CHAP-Challenge = 0x{}\\nMS-CHAP2-Response = 0x{}\\nMessage-Authenticator = 0x00\\n' | radclient -x {target} auth {secret}",
            e.login,
            hex::encode(challenge),
            hex::encode(response)
        );
    }
    Ok(())
}
