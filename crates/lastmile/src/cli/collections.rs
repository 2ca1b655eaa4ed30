//! `lastmile collections`: the daily collections pass from the console
//! (cron, catching up after downtime, or as of a past date).

use clap::{Args, Subcommand};

use super::{Ctx, explain};

#[derive(Subcommand)]
pub enum CollectionsCommand {
    /// Send the reminders and suspension notices due, suspend contracts
    /// whose notice period is over, and suspend again those whose trust
    /// unlock ended unpaid (each step once, however often it runs).
    Run(RunArgs),
}

#[derive(Args)]
pub struct RunArgs {
    /// Act as of this date (YYYY-MM-DD; default: today in the company's
    /// time zone).
    #[arg(long)]
    as_of: Option<String>,
}

pub async fn run(ctx: &Ctx, command: CollectionsCommand) -> anyhow::Result<()> {
    let CollectionsCommand::Run(args) = command;
    let svc = ctx.open().await?;
    let caller = services::Caller::cli();
    let as_of = match args.as_of.as_deref() {
        Some(s) => domain::validate::date(s)
            .map_err(|e| anyhow::anyhow!("--as-of: {e} (expected YYYY-MM-DD)"))?,
        None => {
            let mut c = svc.db.conn().await?;
            services::crm::today(&mut c).await.map_err(explain)?
        }
    };
    let report = services::collections::pass(&svc, &caller, as_of)
        .await
        .map_err(explain)?;
    println!("{}", report.summary());
    Ok(())
}
