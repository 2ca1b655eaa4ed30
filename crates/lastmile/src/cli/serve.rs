//! `lastmile serve` and `lastmile migrate`.

use clap::Args;

use super::Ctx;
use crate::config::Role;

// The help text is the command's own, in `Command`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on for HTTP.
    #[arg(long, env = "LASTMILE_HTTP")]
    http: Option<String>,
    /// What this node does.
    #[arg(long, value_enum, env = "LASTMILE_ROLE")]
    role: Option<Role>,
}

pub async fn run(ctx: Ctx, a: ServeArgs) -> anyhow::Result<()> {
    let mut o = ctx.overrides;
    o.http = a.http;
    o.role = a.role;
    let config = crate::config::Config::load(&o)?;
    crate::serve::run(config).await
}

pub async fn migrate(ctx: &Ctx) -> anyhow::Result<()> {
    ctx.open().await?;
    println!("database is up to date");
    Ok(())
}
