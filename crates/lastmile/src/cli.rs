//! The command line: parsing, and one function per command.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use services::Services;

use crate::config::{Config, Overrides, Role};

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
    Serve {
        /// Address to listen on for HTTP.
        #[arg(long, env = "LASTMILE_HTTP")]
        http: Option<String>,
        /// What this node does.
        #[arg(long, value_enum, env = "LASTMILE_ROLE")]
        role: Option<Role>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// First-run setup without the browser (for unattended installs).
    Setup(SetupArgs),
    /// Staff users.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Back up the database (SQLite online backup or pg_dump).
    Backup {
        /// Directory to write into (default: <data-dir>/backups).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Restore a backup made by `lastmile backup` (stop `serve` first).
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Routers and concentrators (NAS) that speak RADIUS to Lastmile.
    #[command(subcommand)]
    Nas(NasCommand),
    /// RADIUS records: connection lookups for court orders.
    #[command(subcommand)]
    Aaa(AaaCommand),
    /// Import customers or contracts from a CSV file (`,` or `;`, English or Portuguese headers).
    Import {
        /// What the file holds.
        #[arg(value_parser = ["customers", "contracts"])]
        what: String,
        /// The CSV file.
        file: PathBuf,
        /// Only check the file and report every bad row; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Fill the database with realistic demo data (doing setup first if needed).
    Demo {
        /// How many customers to create.
        #[arg(long, default_value_t = 1000)]
        customers: usize,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write `login,password,contract_status` of every contract to this CSV file.
        #[arg(long)]
        credentials_out: Option<PathBuf>,
        /// Shared secret of the loopback NAS the demo registers (generated
        /// when not given).
        #[arg(long)]
        nas_secret: Option<String>,
    },
    /// Latency of the CRM's read paths on this database (for scripts/bench-crm).
    #[command(name = "bench-crm", hide = true)]
    BenchCrm,
    /// Pix, boleto and CNAB tools that print JSON (no database needed).
    #[command(subcommand)]
    Tools(crate::tools::ToolsCommand),
    /// Print the version.
    Version,
}

#[derive(Args)]
struct SetupArgs {
    #[arg(long)]
    company: String,
    /// Legal document (CNPJ, VAT number, …).
    #[arg(long, default_value = "-")]
    legal_document: String,
    /// ISO 3166 country code, e.g. BR.
    #[arg(long)]
    country: String,
    /// ISO 4217 currency code, e.g. BRL.
    #[arg(long)]
    currency: String,
    /// en or pt-BR.
    #[arg(long, default_value = "en")]
    locale: String,
    /// IANA time zone, e.g. America/Sao_Paulo.
    #[arg(long, default_value = "UTC")]
    timezone: String,
    #[arg(long)]
    admin_username: String,
    #[arg(long)]
    admin_email: String,
    #[arg(long, default_value = "")]
    admin_name: String,
    /// Read the admin password from standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff user.
    Create {
        #[arg(long)]
        username: String,
        /// Role name: admin, finance, technician, support or a custom role.
        #[arg(long)]
        role: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Remove a user's two-factor authentication (lost phone).
    #[command(name = "reset-2fa")]
    Reset2fa {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
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

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain; exits 1 if it was tampered with.
    Verify,
}

#[derive(Subcommand)]
enum NasCommand {
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

#[derive(Subcommand)]
enum AaaCommand {
    /// Who had an address at an instant (Marco Civil art. 13); the lookup is audited.
    Who {
        /// IPv4 address, or IPv6 address or prefix.
        #[arg(long)]
        ip: String,
        /// RFC 3339, or 'YYYY-MM-DD HH:MM' in the company's time zone.
        #[arg(long)]
        at: String,
    },
    /// The accounting journal: records acknowledged to the NAS and not yet
    /// in the database, and the dead letters (records the database refused
    /// for their content, kept beside the journal).
    Journal {
        /// Wait until nothing is pending (at most this many seconds) and
        /// print how long it took; with --retry, wait for the retry.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<f64>,
        /// Ask the RADIUS node using this data directory to apply the dead
        /// letters again (once the cause is fixed); what is refused again
        /// stays, with the new reason.
        #[arg(long)]
        retry: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration file and LASTMILE_* variables.
    Check,
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

fn cli_actor() -> services::Actor {
    let who = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "cli".into());
    services::Actor {
        kind: "cli",
        id: None,
        name: who,
        source_ip: None,
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading the password from standard input")?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!p.is_empty(), "no password on standard input");
    Ok(p)
}

fn read_secret() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading the secret from standard input")?;
    let p = s.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!p.is_empty(), "no secret on standard input");
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
    let svc = Services::new(db, secrets, config.data_dir.clone());
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
    let mut o = overrides(&cli.global);
    match cli.command {
        Command::Tools(t) => return Ok(crate::tools::run(t)),
        Command::Version => {
            println!("lastmile {}", env!("CARGO_PKG_VERSION"));
        }
        Command::Config(ConfigCommand::Check) => {
            for line in Config::check(&o)? {
                println!("{line}");
            }
            println!("configuration OK");
        }
        Command::Serve { http, role } => {
            o.http = http;
            o.role = role;
            let config = Config::load(&o)?;
            crate::serve::run(config).await?;
        }
        Command::Migrate => {
            let config = Config::load(&o)?;
            open(&config).await?;
            println!("database is up to date");
        }
        Command::Setup(a) => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let input = services::system::setup::SetupInput {
                company: a.company,
                legal_document: a.legal_document,
                country: a.country.to_uppercase(),
                currency: a.currency.to_uppercase(),
                locale: a.locale,
                timezone: a.timezone,
                admin_username: a.admin_username.to_lowercase(),
                admin_email: a.admin_email,
                admin_name: a.admin_name,
                admin_password: if a.password_stdin {
                    read_password()?
                } else {
                    String::new()
                },
                logo: None,
            };
            match services::system::setup::run(&svc, &input, None).await {
                Ok(_) => println!("setup complete: sign in as {}", input.admin_username),
                Err(services::Error::Refused("setup-done")) => {
                    anyhow::bail!("setup was already completed for this database")
                }
                Err(e) => return Err(explain(e)),
            }
        }
        Command::User(UserCommand::Create {
            username,
            role,
            email,
            name,
            password_stdin,
        }) => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let password = if password_stdin {
                read_password()?
            } else {
                String::new()
            };
            let input = services::staff::UserInput {
                email: email.unwrap_or_default(),
                display_name: name,
                username: username.to_lowercase(),
                role,
                ..Default::default()
            };
            let id =
                services::staff::create_user(&svc, &services::Caller::cli(), &input, &password)
                    .await
                    .map_err(explain)?;
            println!("created user {} (id {id})", input.username);
        }
        Command::User(UserCommand::Reset2fa { username }) => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let caller = services::Caller::cli();
            let user = services::staff::user_by_username(&svc, &caller, &username)
                .await
                .map_err(|_| anyhow::anyhow!("--username: no user named `{username}`"))?;
            services::staff::reset_2fa(&svc, &caller, user.id)
                .await
                .map_err(explain)?;
            println!("two-factor authentication removed for {username}");
        }
        Command::Token(TokenCommand::Create { user, scopes, name }) => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let caller = services::Caller::cli();
            let u = services::staff::user_by_username(&svc, &caller, &user)
                .await
                .map_err(|_| anyhow::anyhow!("--user: no user named `{user}`"))?;
            let (_, token) = services::staff::tokens::create(&svc, &caller, u.id, &name, &scopes)
                .await
                .map_err(explain)?;
            println!("{token}");
        }
        Command::Backup { output } => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let path = crate::serve::backup(&svc, output, &services::Caller::cli()).await?;
            println!("{}", path.display());
        }
        Command::Restore { file } => {
            let config = Config::load(&o)?;
            crate::serve::restore(&config, &file, &services::Caller::cli()).await?;
            println!("restored {}", file.display());
        }
        Command::Nas(NasCommand::Add {
            name,
            address,
            secret_stdin,
            secret,
            kind,
            coa_port,
            require_message_authenticator,
        }) => {
            let secret = match (secret_stdin, secret) {
                (true, _) => read_secret()?,
                (false, Some(s)) => s,
                (false, None) => anyhow::bail!("--secret-stdin or --secret is required"),
            };
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let input = services::nas::NasInput {
                name,
                address,
                secret,
                kind,
                coa_port,
                require_message_authenticator,
                ..Default::default()
            };
            let caller = services::Caller::cli();
            let id = services::nas::create(&svc, &caller, &input)
                .await
                .map_err(explain)?;
            let n = services::nas::get(&svc, &caller, id)
                .await
                .map_err(explain)?;
            println!("added NAS {} at {} (id {id})", n.name, n.address);
        }
        Command::Nas(NasCommand::List) => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
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
        Command::Aaa(AaaCommand::Journal { wait, retry }) => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let dir = config.data_dir.join("radius-journal");
            let Some(node) = aaa::journal::existing_node_id(&dir)
                .with_context(|| format!("cannot read {}", dir.display()))?
            else {
                println!(
                    "no accounting journal in {} (the RADIUS server has not run with this data directory)",
                    dir.display()
                );
                return Ok(ExitCode::SUCCESS);
            };
            let started = std::time::Instant::now();
            if retry {
                let before = aaa::deadletter::read(&dir)
                    .with_context(|| format!("cannot read the dead letters in {}", dir.display()))?
                    .len();
                aaa::deadletter::request_retry(&dir)
                    .with_context(|| format!("cannot write in {}", dir.display()))?;
                println!(
                    "retry of {before} dead letter(s) requested: the RADIUS node applies it within a second (or at its next start)"
                );
                if let Some(limit) = wait {
                    while aaa::deadletter::retry_pending(&dir) {
                        if started.elapsed().as_secs_f64() > limit {
                            anyhow::bail!(
                                "the retry has not run after {limit} s: is `lastmile serve` running with the RADIUS role?"
                            );
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    let after = aaa::deadletter::read(&dir)
                        .with_context(|| {
                            format!("cannot read the dead letters in {}", dir.display())
                        })?
                        .len();
                    println!(
                        "retried: {} applied, {after} refused again",
                        before.saturating_sub(after)
                    );
                }
            }
            loop {
                let applied = aaa::journal::applied(&svc, &node).await?;
                let (bytes, segments) = aaa::journal::pending(&dir, applied)
                    .with_context(|| format!("cannot read {}", dir.display()))?;
                let waited = started.elapsed().as_secs_f64();
                match wait {
                    Some(limit) if bytes > 0 && waited < limit => {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        continue;
                    }
                    Some(_) if bytes > 0 => {
                        anyhow::bail!("{bytes} bytes still pending after {waited:.2} s")
                    }
                    _ => {}
                }
                println!("journal:  {}", dir.display());
                println!("node:     {node}");
                println!(
                    "applied:  segment {}, byte {}",
                    applied.segment, applied.offset
                );
                println!("pending:  {bytes} bytes in {segments} segment(s)");
                if wait.is_some() && !retry {
                    println!("drained in {waited:.3} s");
                }
                let letters = aaa::deadletter::read(&dir).with_context(|| {
                    format!("cannot read the dead letters in {}", dir.display())
                })?;
                println!("dead letters: {}", letters.len());
                for l in letters.iter().take(50) {
                    let r = &l.record;
                    println!(
                        "  {} NAS {} session {} login {} ({:?}): {}",
                        jiff::Timestamp::from_second(l.refused_at)
                            .map_or_else(|_| l.refused_at.to_string(), |t| t.to_string()),
                        r.nas_id,
                        r.session_id,
                        r.login,
                        r.status,
                        l.reason
                    );
                }
                if letters.len() > 50 {
                    println!("  … and {} more", letters.len() - 50);
                }
                if !letters.is_empty() && !retry {
                    println!("once the cause is fixed: lastmile aaa journal --retry --wait 30");
                }
                break;
            }
        }
        Command::Aaa(AaaCommand::Who { ip, at }) => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let answer = services::radius::who(&svc, &services::Caller::cli(), &ip, &at)
                .await
                .map_err(explain)?;
            let tz = services::radius::company_tz(&svc).await.map_err(explain)?;
            let when = |t: i64| {
                jiff::Timestamp::from_second(t)
                    .map(|t| {
                        t.to_zoned(tz.clone())
                            .strftime("%Y-%m-%d %H:%M:%S %:z")
                            .to_string()
                    })
                    .unwrap_or_else(|_| t.to_string())
            };
            println!("address {} at {}", answer.target, when(answer.at));
            if answer.sessions.is_empty() {
                println!("no connection record holds this address at that instant");
            }
            for s in &answer.sessions {
                println!();
                println!("login:              {}", s.login);
                println!(
                    "contract:           {}",
                    s.contract_number.as_deref().unwrap_or("-")
                );
                println!(
                    "customer:           {}",
                    s.customer_name.as_deref().unwrap_or("-")
                );
                println!("NAS:                {}", s.nas_name);
                let addrs = [
                    s.framed_ip.as_deref(),
                    s.framed_ipv6_prefix.as_deref(),
                    s.delegated_ipv6_prefix.as_deref(),
                ];
                let addrs: Vec<&str> = addrs.into_iter().flatten().collect();
                println!("addresses:          {}", addrs.join(", "));
                println!("calling-station-id: {}", s.calling_station_id);
                println!("acct-session-id:    {}", s.acct_session_id);
                println!("start:              {}", when(s.started_at));
                println!(
                    "stop:               {}",
                    s.stopped_at.map(when).unwrap_or_else(|| "(online)".into())
                );
            }
        }
        Command::Import {
            what,
            file,
            dry_run,
        } => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            return import(&svc, &what, &file, dry_run).await;
        }
        Command::BenchCrm => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            crate::bench::run(&svc).await?;
        }
        Command::Demo {
            customers,
            seed,
            credentials_out,
            nas_secret,
        } => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
            let examples = demo(&svc, customers, seed, credentials_out).await?;
            demo_nas(&svc, &config, nas_secret, &examples).await?;
        }
        Command::Audit(AuditCommand::Verify) => {
            let config = Config::load(&o)?;
            let svc = open(&config).await?;
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
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn demo(
    svc: &Services,
    customers: usize,
    seed: u64,
    credentials_out: Option<PathBuf>,
) -> anyhow::Result<Vec<services::demo::DemoLogin>> {
    let mut file = match &credentials_out {
        Some(p) => Some(std::io::BufWriter::new(
            // Subscriber passwords: private like everything else we write.
            store::files::options()
                .create(true)
                .truncate(true)
                .open(p)
                .with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let started = std::time::Instant::now();
    let progress = |done: usize, total: usize| {
        if total >= 20_000 || done == total {
            eprintln!(
                "  {done}/{total} customers ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let opts = services::demo::DemoOptions { customers, seed };
    let sink = file.as_mut().map(|f| f as &mut (dyn std::io::Write + Send));
    let s = match services::demo::run(svc, &cli_actor(), &opts, &progress, sink).await {
        Err(services::Error::Refused("demo-not-empty")) => {
            anyhow::bail!("this database already has customers: run the demo on an empty one")
        }
        other => other.map_err(explain)?,
    };
    if let Some(mut f) = file {
        use std::io::Write;
        f.flush().context("writing the credentials file")?;
    }
    if let Some(a) = &s.admin {
        println!(
            "setup done: sign in as {} with password {}",
            a.username, a.password
        );
    }
    println!(
        "demo data: {} customers ({} companies), {} contracts, {} notes, {} timeline events in {:.1} s",
        s.customers,
        s.companies,
        s.contracts,
        s.notes,
        s.events,
        s.elapsed.as_secs_f64()
    );
    println!("plans: {}", s.plans.join(", "));
    for (status, n) in &s.by_status {
        println!("  {status:<30} {n}");
    }
    println!("example PPPoE logins:");
    for e in &s.examples {
        let status = match &e.suspend_reason {
            Some(r) => format!("{} ({r})", e.status),
            None => e.status.clone(),
        };
        println!("  {:<28} {:<14} {status}", e.login, e.password);
    }
    if let Some(p) = credentials_out {
        println!("credentials of every contract: {}", p.display());
    }
    Ok(s.examples)
}

/// Registers the loopback NAS (so `radtest` on this machine is a router)
/// and prints request lines that work as they stand against `lastmile serve`.
async fn demo_nas(
    svc: &Services,
    config: &Config,
    secret: Option<String>,
    examples: &[services::demo::DemoLogin],
) -> anyhow::Result<()> {
    use rand::RngExt as _;
    let secret = secret.unwrap_or_else(|| {
        let mut rng = rand::rng();
        (0..16)
            .map(|_| char::from(b"abcdefghjkmnpqrstuvwxyz23456789"[rng.random_range(0..31)]))
            .collect()
    });
    let input = services::nas::NasInput {
        name: "demo-loopback".into(),
        address: "127.0.0.1".into(),
        secret: secret.clone(),
        kind: "mikrotik".into(),
        notes: "Registered by `lastmile demo`: radtest / radclient on this machine.".into(),
        ..Default::default()
    };
    services::nas::create(svc, &services::Caller::cli(), &input)
        .await
        .map_err(explain)?;
    let port = config.radius_auth.port();
    let target = format!("127.0.0.1:{port}");
    let examples = examples.iter().filter(|e| e.status == "active").take(2);
    println!();
    println!("loopback NAS registered (127.0.0.1, MikroTik profile, secret {secret}).");
    println!(
        "Start `lastmile serve`, then from this machine (Debian: apt install freeradius-utils):"
    );
    for e in examples {
        println!("  # {}", e.login);
        println!("  radtest {} '{}' {target} 0 {secret}", e.login, e.password);
        println!(
            "  radtest -t chap {} '{}' {target} 0 {secret}",
            e.login, e.password
        );
        // Debian's radtest speaks MS-CHAPv1 only; MS-CHAPv2 goes through
        // radclient with a response computed here.
        let challenge: [u8; 16] = rand::random();
        let peer: [u8; 16] = rand::random();
        let response = radius::auth::mschap2::client_response(
            1,
            &challenge,
            &peer,
            e.login.as_bytes(),
            &e.password,
        );
        println!(
            "  printf 'User-Name = \"{}\"\\nMS-CHAP-Challenge = 0x{}\\nMS-CHAP2-Response = 0x{}\\nMessage-Authenticator = 0x00\\n' | radclient -x {target} auth {secret}",
            e.login,
            hex::encode(challenge),
            hex::encode(response)
        );
    }
    Ok(())
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
    let report = if dry_run {
        services::crm::import::check(svc, kind, &data).await
    } else {
        services::crm::import::import(svc, &cli_actor(), kind, &data).await
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
