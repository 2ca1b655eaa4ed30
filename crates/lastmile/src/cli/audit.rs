//! `lastmile audit`: the audit log.

use std::process::ExitCode;

use clap::Subcommand;

use super::{Ctx, explain};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; exits 1 if it was tampered with.
    Verify,
}

pub async fn run(ctx: &Ctx, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = command;
    let svc = ctx.open().await?;
    let verdict = services::system::audit::verify(&svc, &services::Caller::cli())
        .await
        .map_err(explain)?;
    use store::system::audit::Verdict::*;
    let problem = match verdict {
        Intact { entries } => {
            println!("audit log intact: {entries} entries, hash chain verified");
            return Ok(ExitCode::SUCCESS);
        }
        Altered { id } => format!("entry {id} was altered after it was written"),
        Broken { id, .. } => format!(
            "entry {id} does not follow the entry before it (rows removed, inserted or reordered)"
        ),
        Gap { after, next } => format!("entries between {after} and {next} are missing"),
        Truncated { last_id, head_id } => {
            format!(
                "the log ends at {last_id} but was written up to {head_id}: the last entries were removed"
            )
        }
    };
    eprintln!("AUDIT LOG TAMPERED: {problem}");
    Ok(ExitCode::from(1))
}
