//! `lastmile config`: the configuration.

use clap::Subcommand;

use super::Ctx;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration file and LASTMILE_* variables.
    Check,
}

pub fn run(ctx: &Ctx, command: ConfigCommand) -> anyhow::Result<()> {
    let ConfigCommand::Check = command;
    for line in crate::config::Config::check(&ctx.overrides)? {
        println!("{line}");
    }
    println!("configuration OK");
    Ok(())
}
