//! The command line: `Command` lists every command, each handled by its
//! own module (its arguments beside its handler); this file parses, runs
//! the runtime and holds what several commands share (opening the
//! database, the CLI's actor, reading secrets from standard input,
//! explaining service errors).

mod aaa;
mod audit;
mod backup;
mod bench_dunning;
mod billing;
mod collections;
mod config;
mod demo;
mod import;
mod nas;
mod serve;
mod setup;
mod token;
mod user;
mod version;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use services::Services;

use crate::config::{Config, Overrides};

#[derive(Parser)]
#[command(
    name = "lastmile",
    version,
    about = "Lastmile: ISP operations platform (customers, billing, RADIUS, network, support)"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command accepts.
#[derive(Args, Clone)]
struct Global {
    /// TOML configuration file (default: <data-dir>/lastmile.toml if it exists).
    #[arg(long, global = true, env = "LASTMILE_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for the SQLite database, the secret key and backups.
    #[arg(long, global = true, env = "LASTMILE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (default: SQLite in the data dir).
    #[arg(long, global = true, env = "LASTMILE_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run Lastmile (web, API, jobs; RADIUS arrives with its own release).
    Serve(serve::ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// First-run setup without the browser (for unattended installs).
    Setup(setup::SetupArgs),
    /// Staff users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Back up the database (SQLite online backup or pg_dump).
    Backup(backup::BackupArgs),
    /// Restore a backup made by `lastmile backup` (stop `serve` first).
    Restore(backup::RestoreArgs),
    /// The audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Configuration.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Routers and concentrators (NAS) that speak RADIUS to Lastmile.
    #[command(subcommand)]
    Nas(nas::NasCommand),
    /// RADIUS records: connection lookups for court orders.
    #[command(subcommand)]
    Aaa(aaa::AaaCommand),
    /// Billing runs (invoices due as of a date).
    #[command(subcommand)]
    Billing(billing::BillingCommand),
    /// Collections: reminders, suspension notices and suspensions for non-payment.
    #[command(subcommand)]
    Collections(collections::CollectionsCommand),
    /// Import customers or contracts from a CSV file (`,` or `;`, English or Portuguese headers).
    Import(import::ImportArgs),
    /// Fill the database with realistic demo data (doing setup first if needed).
    Demo(demo::DemoArgs),
    /// Latency of the CRM's read paths on this database (for scripts/bench-crm).
    #[command(name = "bench-crm", hide = true)]
    BenchCrm,
    /// Billing's figures on this database (for scripts/bench-billing).
    #[command(name = "bench-billing", hide = true)]
    BenchBilling {
        /// Invoices the aging report reads (added in SQL when fewer).
        #[arg(long, default_value_t = 1_200_000)]
        invoices: i64,
        /// Measure the reads only (no billing run).
        #[arg(long)]
        skip_run: bool,
    },
    /// The collections pass's figures on this database (for scripts/bench-dunning).
    #[command(name = "bench-dunning", hide = true)]
    BenchDunning(bench_dunning::BenchDunningArgs),
    /// Reconciliation's figure on this database (for scripts/bench-recon).
    #[command(name = "bench-recon", hide = true)]
    BenchRecon {
        /// Boletos registered and then liquidated by one return file.
        #[arg(long, default_value_t = 100_000)]
        titles: i64,
    },
    /// IP address management's figures on this database (for scripts/bench-ipam).
    #[command(name = "bench-ipam", hide = true)]
    BenchIpam {
        /// Addresses allocated from /16 pools.
        #[arg(long, default_value_t = 100_000)]
        addresses: i64,
        /// Addresses per transaction.
        #[arg(long, default_value_t = 1_000)]
        batch: i64,
    },
    /// Invoice PDFs rendered per second per core (no database needed).
    #[command(name = "bench-pdf", hide = true)]
    BenchPdf(crate::bench_pdf::BenchPdfArgs),
    /// Pix, boleto and CNAB tools that print JSON (no database needed).
    #[command(subcommand)]
    Tools(crate::tools::ToolsCommand),
    /// Print the version.
    Version,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn overrides(g: &Global) -> Overrides {
    let database_url = g
        .database_url
        .clone()
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()));
    Overrides {
        config: g.config.clone(),
        data_dir: g.data_dir.clone(),
        database_url,
        http: None,
        role: None,
    }
}

/// What a command needs from the command line beyond its own arguments.
struct Ctx {
    overrides: Overrides,
}

impl Ctx {
    /// The configuration (file, variables, flags).
    fn config(&self) -> anyhow::Result<Config> {
        Config::load(&self.overrides)
    }

    /// The configuration's database, migrated, as services.
    async fn open(&self) -> anyhow::Result<Services> {
        open(&self.config()?).await
    }
}

/// A password or secret given on standard input (`what` names it in errors).
fn read_stdin(what: &str) -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .with_context(|| format!("reading the {what} from standard input"))?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!p.is_empty(), "no {what} on standard input");
    Ok(p)
}

/// Opens the database, migrates it, and builds the services.
pub async fn open(config: &Config) -> anyhow::Result<Services> {
    // The data directory holds the database, backups, imports and the key:
    // private to Lastmile's user, also when an older release made it 0755.
    store::files::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    store::files::tighten_logged(&config.data_dir);
    let db = store::Db::connect(&config.database_url, config.max_connections)
        .await
        .with_context(|| format!("opening {}", store::redact_url(&config.database_url)))?;
    db.migrate().await.context("migrating the database")?;
    let secrets =
        services::secrets::SecretBox::load(config.secret_key.as_deref(), &config.data_dir)?;
    let svc = Services::new(db, secrets, config.data_dir.clone())
        .with_public_url(config.public_url.clone());
    services::system::setup::sync_builtin_roles(&svc)
        .await
        .context("updating the built-in roles")?;
    Ok(svc)
}

/// Shows a service error the way a person at a terminal needs it.
fn explain(e: services::Error) -> anyhow::Error {
    match e {
        services::Error::Invalid { field, reason } => {
            anyhow::anyhow!("--{}: {reason}", field.replace('_', "-"))
        }
        other => anyhow::anyhow!(other),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Ctx {
        overrides: overrides(&cli.global),
    };
    match cli.command {
        Command::Tools(t) => return Ok(crate::tools::run(t)),
        Command::Version => version::run(),
        Command::Config(c) => config::run(&ctx, c)?,
        Command::Serve(a) => serve::run(ctx, a).await?,
        Command::Migrate => serve::migrate(&ctx).await?,
        Command::Setup(a) => setup::run(&ctx, a).await?,
        Command::User(c) => user::run(&ctx, c).await?,
        Command::Token(c) => token::run(&ctx, c).await?,
        Command::Backup(a) => backup::backup(&ctx, a).await?,
        Command::Restore(a) => backup::restore(&ctx, a).await?,
        Command::Nas(c) => nas::run(&ctx, c).await?,
        Command::Aaa(c) => aaa::run(&ctx, c).await?,
        Command::Billing(c) => billing::run(&ctx, c).await?,
        Command::Collections(c) => collections::run(&ctx, c).await?,
        Command::Import(a) => return import::run(&ctx, a).await,
        Command::BenchCrm => crate::bench::run(&ctx.open().await?).await?,
        Command::BenchBilling { invoices, skip_run } => {
            crate::bench_billing::run(&ctx.open().await?, invoices, skip_run).await?
        }
        Command::BenchRecon { titles } => {
            crate::bench_recon::run(&ctx.open().await?, titles).await?
        }
        Command::BenchIpam { addresses, batch } => {
            crate::bench_ipam::run(&ctx.open().await?, addresses, batch).await?
        }
        Command::BenchPdf(a) => crate::bench_pdf::run(&a)?,
        Command::BenchDunning(a) => bench_dunning::run(&ctx.open().await?, &a).await?,
        Command::Demo(a) => demo::run(&ctx, a).await?,
        Command::Audit(c) => return audit::run(&ctx, c).await,
    }
    Ok(ExitCode::SUCCESS)
}
