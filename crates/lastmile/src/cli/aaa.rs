//! `lastmile aaa`: RADIUS records (connection lookups for court orders)
//! and the accounting journal.

use anyhow::Context;
use clap::Subcommand;

use super::{Ctx, explain};

#[derive(Subcommand)]
pub enum AaaCommand {
    /// Who had an address at an instant (Marco Civil art. 13); the lookup is audited.
    Who {
        /// IPv4 address, or IPv6 address or prefix.
        #[arg(long)]
        ip: String,
        /// RFC 3339, or 'YYYY-MM-DD HH:MM' in the company's time zone.
        #[arg(long)]
        at: String,
    },
    /// The accounting journal: records acknowledged to the NAS and not yet
    /// in the database, and the dead letters (records the database refused
    /// for their content, kept beside the journal).
    Journal {
        /// Wait until nothing is pending (at most this many seconds) and
        /// print how long it took; with --retry, wait for the retry.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<f64>,
        /// Ask the RADIUS node using this data directory to apply the dead
        /// letters again (once the cause is fixed); what is refused again
        /// stays, with the new reason.
        #[arg(long)]
        retry: bool,
    },
}

pub async fn run(ctx: &Ctx, command: AaaCommand) -> anyhow::Result<()> {
    match command {
        AaaCommand::Journal { wait, retry } => journal(ctx, wait, retry).await,
        AaaCommand::Who { ip, at } => who(ctx, &ip, &at).await,
    }
}

async fn journal(ctx: &Ctx, wait: Option<f64>, retry: bool) -> anyhow::Result<()> {
    let config = ctx.config()?;
    let svc = super::open(&config).await?;
    let dir = config.data_dir.join("radius-journal");
    let Some(node) = aaa::journal::existing_node_id(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
    else {
        println!(
            "no accounting journal in {} (the RADIUS server has not run with this data directory)",
            dir.display()
        );
        return Ok(());
    };
    let started = std::time::Instant::now();
    if retry {
        let before = aaa::deadletter::read(&dir)
            .with_context(|| format!("cannot read the dead letters in {}", dir.display()))?
            .len();
        aaa::deadletter::request_retry(&dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        println!(
            "retry of {before} dead letter(s) requested: the RADIUS node applies it within a second (or at its next start)"
        );
        if let Some(limit) = wait {
            while aaa::deadletter::retry_pending(&dir) {
                if started.elapsed().as_secs_f64() > limit {
                    anyhow::bail!(
                        "the retry has not run after {limit} s: is `lastmile serve` running with the RADIUS role?"
                    );
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let after = aaa::deadletter::read(&dir)
                .with_context(|| format!("cannot read the dead letters in {}", dir.display()))?
                .len();
            println!(
                "retried: {} applied, {after} refused again",
                before.saturating_sub(after)
            );
        }
    }
    loop {
        let applied = aaa::journal::applied(&svc, &node).await?;
        let (bytes, segments) = aaa::journal::pending(&dir, applied)
            .with_context(|| format!("cannot read {}", dir.display()))?;
        let waited = started.elapsed().as_secs_f64();
        match wait {
            Some(limit) if bytes > 0 && waited < limit => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
            Some(_) if bytes > 0 => {
                anyhow::bail!("{bytes} bytes still pending after {waited:.2} s")
            }
            _ => {}
        }
        println!("journal:  {}", dir.display());
        println!("node:     {node}");
        println!(
            "applied:  segment {}, byte {}",
            applied.segment, applied.offset
        );
        println!("pending:  {bytes} bytes in {segments} segment(s)");
        if wait.is_some() && !retry {
            println!("drained in {waited:.3} s");
        }
        let letters = aaa::deadletter::read(&dir)
            .with_context(|| format!("cannot read the dead letters in {}", dir.display()))?;
        println!("dead letters: {}", letters.len());
        for l in letters.iter().take(50) {
            let r = &l.record;
            println!(
                "  {} NAS {} session {} login {} ({:?}): {}",
                jiff::Timestamp::from_second(l.refused_at)
                    .map_or_else(|_| l.refused_at.to_string(), |t| t.to_string()),
                r.nas_id,
                r.session_id,
                r.login,
                r.status,
                l.reason
            );
        }
        if letters.len() > 50 {
            println!("  … and {} more", letters.len() - 50);
        }
        if !letters.is_empty() && !retry {
            println!("once the cause is fixed: lastmile aaa journal --retry --wait 30");
        }
        break;
    }
    Ok(())
}

async fn who(ctx: &Ctx, ip: &str, at: &str) -> anyhow::Result<()> {
    let svc = ctx.open().await?;
    let answer = services::radius::who(&svc, &services::Caller::cli(), ip, at)
        .await
        .map_err(explain)?;
    let tz = services::radius::company_tz(&svc).await.map_err(explain)?;
    let when = |t: i64| {
        jiff::Timestamp::from_second(t)
            .map(|t| {
                t.to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S %:z")
                    .to_string()
            })
            .unwrap_or_else(|_| t.to_string())
    };
    println!("address {} at {}", answer.target, when(answer.at));
    if answer.sessions.is_empty() {
        println!("no connection record holds this address at that instant");
    }
    for s in &answer.sessions {
        println!();
        println!("login:              {}", s.login);
        println!(
            "contract:           {}",
            s.contract_number.as_deref().unwrap_or("-")
        );
        println!(
            "customer:           {}",
            s.customer_name.as_deref().unwrap_or("-")
        );
        println!("NAS:                {}", s.nas_name);
        let addrs = [
            s.framed_ip.as_deref(),
            s.framed_ipv6_prefix.as_deref(),
            s.delegated_ipv6_prefix.as_deref(),
        ];
        let addrs: Vec<&str> = addrs.into_iter().flatten().collect();
        println!("addresses:          {}", addrs.join(", "));
        println!("calling-station-id: {}", s.calling_station_id);
        println!("acct-session-id:    {}", s.acct_session_id);
        println!("start:              {}", when(s.started_at));
        println!(
            "stop:               {}",
            s.stopped_at.map(when).unwrap_or_else(|| "(online)".into())
        );
    }
    Ok(())
}
