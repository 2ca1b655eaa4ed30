//! Configuration: flags, then `LASTMILE_*` environment variables, then the
//! TOML file, then defaults. `config check` validates all of them and names
//! any bad key or value.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ipnet::IpNet;
use serde::Deserialize;

/// The TOML file's keys (every one optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub http: Option<String>,
    pub role: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
    pub public_url: Option<String>,
    pub max_connections: Option<u32>,
    pub log: Option<String>,
    pub radius_auth: Option<String>,
    pub radius_acct: Option<String>,
    pub radius_threads: Option<usize>,
    pub radius_journal_max_backlog: Option<u64>,
    pub pix_webhook_listen: Option<String>,
    pub pix_webhook_cert: Option<PathBuf>,
    pub pix_webhook_key: Option<PathBuf>,
}

/// The optional HTTPS listener for the Pix webhook (mutual TLS): its
/// address and its own certificate chain and key (PEM files).
#[derive(Debug, Clone)]
pub struct PixWebhook {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What `serve` and the other commands run with.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub http: SocketAddr,
    pub role: Role,
    pub trusted_proxies: Vec<IpNet>,
    pub public_url: Option<String>,
    pub max_connections: u32,
    pub log: String,
    pub secret_key: Option<String>,
    /// RADIUS authentication address (roles `all` and `radius`).
    pub radius_auth: SocketAddr,
    /// RADIUS accounting address.
    pub radius_acct: SocketAddr,
    /// RADIUS receive threads per port (0: one per core).
    pub radius_threads: usize,
    /// Accounting records journaled and not yet in the database beyond
    /// which new Accounting-Requests go unanswered (the NAS retransmits).
    pub radius_journal_max_backlog: u64,
    /// The Pix webhook listener, when configured.
    pub pix_webhook: Option<PixWebhook>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    All,
    Web,
    Radius,
    Worker,
}

impl Role {
    pub fn web(self) -> bool {
        matches!(self, Role::All | Role::Web)
    }
    pub fn worker(self) -> bool {
        matches!(self, Role::All | Role::Worker)
    }
    pub fn radius(self) -> bool {
        matches!(self, Role::All | Role::Radius)
    }
    pub fn name(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Web => "web",
            Role::Radius => "radius",
            Role::Worker => "worker",
        }
    }
}

/// Values given on the command line (already merged with their env vars by clap).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub http: Option<String>,
    pub role: Option<Role>,
}

const ENV_KEYS: &[&str] = &[
    "LASTMILE_CONFIG",
    "LASTMILE_DATA_DIR",
    "LASTMILE_DATABASE_URL",
    "LASTMILE_HTTP",
    "LASTMILE_ROLE",
    "LASTMILE_TRUSTED_PROXIES",
    "LASTMILE_PUBLIC_URL",
    "LASTMILE_MAX_CONNECTIONS",
    "LASTMILE_LOG",
    "LASTMILE_SECRET_KEY",
    "LASTMILE_RADIUS_AUTH",
    "LASTMILE_RADIUS_ACCT",
    "LASTMILE_RADIUS_THREADS",
    "LASTMILE_RADIUS_JOURNAL_MAX_BACKLOG",
    "LASTMILE_PIX_WEBHOOK_LISTEN",
    "LASTMILE_PIX_WEBHOOK_CERT",
    "LASTMILE_PIX_WEBHOOK_KEY",
    // Read by the test suite only.
    "LASTMILE_TEST_POSTGRES",
    "LASTMILE_SAMPLES",
    "LASTMILE_AXE_JS",
    "LASTMILE_SCREENSHOTS",
];

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// Reads the TOML file: the one named, else `<data_dir>/lastmile.toml` if present.
fn read_file(
    path: Option<&Path>,
    data_dir: &Path,
) -> anyhow::Result<(FileConfig, Option<PathBuf>)> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let p = data_dir.join("lastmile.toml");
            if !p.exists() {
                return Ok((FileConfig::default(), None));
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let file: FileConfig =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((file, Some(path)))
}

impl Config {
    pub fn load(o: &Overrides) -> anyhow::Result<Config> {
        let early_dir = o.data_dir.clone().unwrap_or_else(|| PathBuf::from("data"));
        let (file, _) = read_file(o.config.as_deref(), &early_dir)?;
        let data_dir = o
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("data"));
        let database_url = o
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("lastmile.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            bail!(
                "database_url: expected sqlite://PATH or postgres://…, got `{}`",
                store::redact_url(&database_url)
            );
        }
        let http_s = o
            .http
            .clone()
            .or(file.http)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let http = http_s.parse().map_err(|_| {
            anyhow::anyhow!("http: `{http_s}` is not an address like 127.0.0.1:8080")
        })?;
        let role = match (o.role, file.role.as_deref()) {
            (Some(r), _) => r,
            (None, Some(r)) => <Role as clap::ValueEnum>::from_str(r, true).map_err(|_| {
                anyhow::anyhow!("role: `{r}` is not one of all, web, radius, worker")
            })?,
            (None, None) => Role::All,
        };
        let proxies: Vec<String> = match env("LASTMILE_TRUSTED_PROXIES") {
            Some(v) => v
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            None => file.trusted_proxies.unwrap_or_default(),
        };
        let mut trusted_proxies = Vec::new();
        for p in proxies {
            let net = p
                .parse::<IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!("trusted_proxies: `{p}` is not an address or CIDR network")
                })?;
            trusted_proxies.push(net);
        }
        let public_url = env("LASTMILE_PUBLIC_URL").or(file.public_url);
        if let Some(u) = &public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            bail!("public_url: `{u}` must start with http:// or https://");
        }
        let max_connections = match env("LASTMILE_MAX_CONNECTIONS") {
            Some(v) => v
                .parse()
                .map_err(|_| anyhow::anyhow!("LASTMILE_MAX_CONNECTIONS: `{v}` is not a number"))?,
            None => file.max_connections.unwrap_or(16),
        };
        if !(1..=1000).contains(&max_connections) {
            bail!("max_connections: {max_connections} is outside 1..=1000");
        }
        let log = env("LASTMILE_LOG")
            .or(file.log)
            .unwrap_or_else(|| "info".into());
        let secret_key = env("LASTMILE_SECRET_KEY");
        let udp = |key: &str, env_key: &str, file: Option<String>, default: &str| {
            let v = env(env_key).or(file).unwrap_or_else(|| default.into());
            v.parse::<SocketAddr>()
                .map_err(|_| anyhow::anyhow!("{key}: `{v}` is not an address like {default}"))
        };
        let radius_auth = udp(
            "radius_auth",
            "LASTMILE_RADIUS_AUTH",
            file.radius_auth,
            "0.0.0.0:1812",
        )?;
        let radius_acct = udp(
            "radius_acct",
            "LASTMILE_RADIUS_ACCT",
            file.radius_acct,
            "0.0.0.0:1813",
        )?;
        let radius_threads = match env("LASTMILE_RADIUS_THREADS") {
            Some(v) => v
                .parse()
                .map_err(|_| anyhow::anyhow!("LASTMILE_RADIUS_THREADS: `{v}` is not a number"))?,
            None => file.radius_threads.unwrap_or(0),
        };
        if radius_threads > 64 {
            bail!("radius_threads: {radius_threads} is outside 0..=64 (0 is one per core)");
        }
        let radius_journal_max_backlog = match env("LASTMILE_RADIUS_JOURNAL_MAX_BACKLOG") {
            Some(v) => v.parse().map_err(|_| {
                anyhow::anyhow!("LASTMILE_RADIUS_JOURNAL_MAX_BACKLOG: `{v}` is not a number")
            })?,
            None => file
                .radius_journal_max_backlog
                .unwrap_or(aaa::journal::MAX_BACKLOG),
        };
        if !(1_000..=100_000_000).contains(&radius_journal_max_backlog) {
            bail!(
                "radius_journal_max_backlog: {radius_journal_max_backlog} is outside 1000..=100000000 (records)"
            );
        }
        let pix_webhook = match env("LASTMILE_PIX_WEBHOOK_LISTEN").or(file.pix_webhook_listen) {
            None => None,
            Some(v) => {
                let listen = v.parse::<SocketAddr>().map_err(|_| {
                    anyhow::anyhow!("pix_webhook_listen: `{v}` is not an address like 0.0.0.0:8443")
                })?;
                let path = |key: &str, env_key: &str, file: Option<PathBuf>| {
                    env(env_key).map(PathBuf::from).or(file).ok_or_else(|| {
                        anyhow::anyhow!(
                            "{key}: required with pix_webhook_listen (a PEM file, {env_key})"
                        )
                    })
                };
                Some(PixWebhook {
                    listen,
                    cert: path(
                        "pix_webhook_cert",
                        "LASTMILE_PIX_WEBHOOK_CERT",
                        file.pix_webhook_cert,
                    )?,
                    key: path(
                        "pix_webhook_key",
                        "LASTMILE_PIX_WEBHOOK_KEY",
                        file.pix_webhook_key,
                    )?,
                })
            }
        };
        Ok(Config {
            pix_webhook,
            data_dir,
            database_url,
            http,
            role,
            trusted_proxies,
            public_url,
            max_connections,
            log,
            secret_key,
            radius_auth,
            radius_acct,
            radius_threads,
            radius_journal_max_backlog,
        })
    }

    /// Validates everything `load` does, plus the secret key and stray
    /// `LASTMILE_*` variables; returns what it checked.
    pub fn check(o: &Overrides) -> anyhow::Result<Vec<String>> {
        let c = Config::load(o)?;
        let mut report = vec![
            format!("data_dir = {}", c.data_dir.display()),
            format!("database_url = {}", store::redact_url(&c.database_url)),
            format!("http = {}", c.http),
            format!("role = {}", c.role.name()),
            format!(
                "trusted_proxies = {:?}",
                c.trusted_proxies
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
            ),
            format!("max_connections = {}", c.max_connections),
            format!("radius_auth = {}", c.radius_auth),
            format!("radius_acct = {}", c.radius_acct),
            format!("radius_threads = {}", c.radius_threads),
            format!(
                "radius_journal_max_backlog = {}",
                c.radius_journal_max_backlog
            ),
        ];
        if let Some(p) = &c.pix_webhook {
            for f in [&p.cert, &p.key] {
                std::fs::metadata(f)
                    .with_context(|| format!("pix_webhook: cannot read {}", f.display()))?;
            }
            report.push(format!(
                "pix_webhook = {} (certificate {}, key {})",
                p.listen,
                p.cert.display(),
                p.key.display()
            ));
        }
        if let Some(k) = &c.secret_key {
            services::secrets::SecretBox::load(Some(k), &c.data_dir)
                .map_err(|e| anyhow::anyhow!("LASTMILE_SECRET_KEY: {e}"))?;
            report.push("secret key = from LASTMILE_SECRET_KEY".into());
        } else {
            report.push(format!(
                "secret key = {}",
                c.data_dir.join("secret.key").display()
            ));
        }
        for (k, _) in std::env::vars() {
            if k.starts_with("LASTMILE_") && !ENV_KEYS.contains(&k.as_str()) {
                bail!(
                    "{k}: unknown environment variable (known: {})",
                    ENV_KEYS.join(", ")
                );
            }
        }
        Ok(report)
    }
}
