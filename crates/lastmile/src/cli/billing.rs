//! `lastmile billing`: billing runs from the console (cron, catching up,
//! or a preview before the first real run).

use clap::{Args, Subcommand};
use domain::Money;

use super::{Ctx, explain};

#[derive(Subcommand)]
pub enum BillingCommand {
    /// Issue every invoice due as of a date (each contract's period once,
    /// however often it runs; a run stopped midway is finished by the next).
    Run(RunArgs),
}

#[derive(Args)]
pub struct RunArgs {
    /// Bill what is due on this date (YYYY-MM-DD; default: today in the
    /// company's time zone).
    #[arg(long)]
    as_of: Option<String>,
    /// Show what the run would issue, writing nothing.
    #[arg(long)]
    preview: bool,
}

pub async fn run(ctx: &Ctx, command: BillingCommand) -> anyhow::Result<()> {
    let BillingCommand::Run(args) = command;
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
    let policy = services::billing::settings::policy(&svc)
        .await
        .map_err(explain)?;
    if args.preview {
        let p = services::billing::run::preview(&svc, &caller, as_of, &policy)
            .await
            .map_err(explain)?;
        println!(
            "as of {as_of}: {} contracts, {} invoices, total {}",
            p.contracts,
            p.invoices,
            decimal(p.total)
        );
        for (plan, (n, total)) in &p.by_plan {
            println!("  {plan}: {n} periods, {}", decimal(*total));
        }
        for (tax, amount) in &p.by_tax {
            println!("  tax {tax}: {}", decimal(*amount));
        }
        return Ok(());
    }
    let id = services::billing::run::run(&svc, &caller, as_of, &policy)
        .await
        .map_err(explain)?;
    let r = services::billing::run::get_run(&svc, &caller, id)
        .await
        .map_err(explain)?;
    println!(
        "run {id} as of {as_of}: {} contracts, {} invoices, total {}",
        r.contracts_done,
        r.invoices,
        decimal(Money(r.total))
    );
    Ok(())
}

/// An amount in minor units as a plain decimal (`1234.50`), for scripts.
fn decimal(m: Money) -> String {
    let sign = if m.0 < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", m.0.abs() / 100, m.0.abs() % 100)
}
