//! `lastmile nas`: routers and concentrators (NAS) that speak RADIUS.

use clap::Subcommand;

use super::{Ctx, explain, read_stdin};

#[derive(Subcommand)]
pub enum NasCommand {
    /// Register a NAS.
    Add {
        #[arg(long)]
        name: String,
        /// The IPv4 or IPv6 address the NAS sends RADIUS from.
        #[arg(long)]
        address: String,
        /// Read the shared secret from standard input.
        #[arg(long, conflicts_with = "secret")]
        secret_stdin: bool,
        /// The shared secret (visible in the process list; prefer --secret-stdin).
        #[arg(long)]
        secret: Option<String>,
        /// mikrotik, accel-ppp, cisco, huawei, juniper or generic.
        #[arg(long, default_value = "generic")]
        kind: String,
        /// Where CoA and Disconnect requests go.
        #[arg(long, default_value_t = 3799)]
        coa_port: i64,
        /// Always require Message-Authenticator in Access-Request (BlastRADIUS).
        #[arg(long)]
        require_message_authenticator: bool,
    },
    /// List the NAS.
    List,
}

pub async fn run(ctx: &Ctx, command: NasCommand) -> anyhow::Result<()> {
    match command {
        NasCommand::Add {
            name,
            address,
            secret_stdin,
            secret,
            kind,
            coa_port,
            require_message_authenticator,
        } => {
            let secret = match (secret_stdin, secret) {
                (true, _) => read_stdin("secret")?,
                (false, Some(s)) => s,
                (false, None) => anyhow::bail!("--secret-stdin or --secret is required"),
            };
            let svc = ctx.open().await?;
            let input = services::nas::NasInput {
                name,
                address,
                secret,
                kind,
                coa_port,
                require_message_authenticator,
                ..Default::default()
            };
            let id = services::nas::create(&svc, &services::Caller::cli(), &input)
                .await
                .map_err(explain)?;
            let n = services::nas::get(&svc, &services::Caller::cli(), id)
                .await
                .map_err(explain)?;
            println!("added NAS {} at {} (id {id})", n.name, n.address);
        }
        NasCommand::List => {
            let svc = ctx.open().await?;
            let all = services::nas::list(&svc, &services::Caller::cli())
                .await
                .map_err(explain)?;
            println!(
                "{:<5} {:<24} {:<40} {:<10} {:<6} STATUS",
                "ID", "NAME", "ADDRESS", "KIND", "COA"
            );
            for n in all {
                println!(
                    "{:<5} {:<24} {:<40} {:<10} {:<6} {}",
                    n.id,
                    n.name,
                    n.address,
                    n.kind,
                    n.coa_port,
                    if n.disabled { "disabled" } else { "enabled" }
                );
            }
        }
    }
    Ok(())
}
