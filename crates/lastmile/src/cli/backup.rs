//! `lastmile backup` and `lastmile restore`.

use std::path::PathBuf;

use clap::Args;

use super::Ctx;

// Help texts are the commands' own, in `Command`.
#[derive(Args)]
pub struct BackupArgs {
    /// Directory to write into (default: <data-dir>/backups).
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The backup file.
    file: PathBuf,
}

pub async fn backup(ctx: &Ctx, a: BackupArgs) -> anyhow::Result<()> {
    let svc = ctx.open().await?;
    let path = crate::serve::backup(&svc, a.output, &services::Caller::cli()).await?;
    println!("{}", path.display());
    Ok(())
}

pub async fn restore(ctx: &Ctx, a: RestoreArgs) -> anyhow::Result<()> {
    let config = ctx.config()?;
    crate::serve::restore(&config, &a.file, &services::Caller::cli()).await?;
    println!("restored {}", a.file.display());
    Ok(())
}
