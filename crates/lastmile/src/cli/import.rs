//! `lastmile import`: customers or contracts from a CSV file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use services::Services;

use super::{Ctx, explain};

// The help text is the command's own, in `Command`.
#[derive(Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_parser = ["customers", "contracts"])]
    what: String,
    /// The CSV file.
    file: PathBuf,
    /// Only check the file and report every bad row; write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<ExitCode> {
    let svc = ctx.open().await?;
    import(&svc, &a.what, &a.file, a.dry_run).await
}

async fn import(
    svc: &Services,
    what: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let kind = services::crm::import::Kind::parse(what)
        .ok_or_else(|| anyhow::anyhow!("import customers or contracts, not `{what}`"))?;
    let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let caller = services::Caller::cli();
    let report = if dry_run {
        services::crm::import::check(svc, &caller, kind, &data).await
    } else {
        services::crm::import::import(svc, &caller, kind, &data).await
    }
    .map_err(explain)?;
    for p in &report.problems {
        let field = if p.field.is_empty() { "-" } else { &p.field };
        println!("line {}: {field}: {}", p.line, p.message);
    }
    if report.more_problems > 0 {
        println!("… and {} more problems", report.more_problems);
    }
    println!(
        "{} rows, {} good, {} with problems",
        report.rows,
        report.good,
        report.rows - report.good
    );
    if report.is_clean() {
        if dry_run {
            println!("the file is clean: run again without --dry-run to import it");
        } else {
            println!("imported {} {}", report.imported, kind.as_str());
        }
        Ok(ExitCode::SUCCESS)
    } else {
        if !dry_run {
            println!("nothing was imported: fix the rows above and try again");
        }
        Ok(ExitCode::from(1))
    }
}
