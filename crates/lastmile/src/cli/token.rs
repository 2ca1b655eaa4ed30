//! `lastmile token`: API tokens.

use clap::Subcommand;

use super::{Ctx, explain};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints only the token.
    Create {
        /// Username the token acts as.
        #[arg(long)]
        user: String,
        /// Comma-separated permission codes, or `all`.
        #[arg(long)]
        scopes: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

pub async fn run(ctx: &Ctx, command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create { user, scopes, name } = command;
    let svc = ctx.open().await?;
    let u = services::staff::user_by_username(&svc, &services::Caller::cli(), &user)
        .await
        .map_err(|_| anyhow::anyhow!("--user: no user named `{user}`"))?;
    let (_, token) =
        services::staff::tokens::create(&svc, &services::Caller::cli(), u.id, &name, &scopes)
            .await
            .map_err(explain)?;
    println!("{token}");
    Ok(())
}
