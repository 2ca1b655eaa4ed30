//! `radload`: drives a RADIUS server with verified requests and prints one
//! JSON line (stdout) and a summary (stderr). See `radload --help`.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use radload::engine::{self, Config};
use radload::report::{Report, cpu_seconds};
use radload::users;
use radload::wire::Mode;

/// RADIUS load generator: a window of outstanding requests over several
/// UDP sockets (or a fixed rate), every reply verified, latency per
/// request, no retransmissions.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Server address, e.g. 127.0.0.1:1812 (accounting: its 1813).
    #[arg(long, default_value = "127.0.0.1:1812")]
    server: String,
    /// Shared secret.
    #[arg(long, env = "RADLOAD_SECRET")]
    secret: String,
    /// CSV of `login,password,contract_status` (from `lastmile demo --credentials-out`).
    #[arg(long)]
    users: PathBuf,
    /// Only users with this contract_status ("" for all).
    #[arg(long, default_value = "active")]
    status: String,
    /// Use at most this many users (the first ones).
    #[arg(long)]
    max_users: Option<usize>,
    /// pap, chap, mschapv2 or acct.
    #[arg(long, default_value = "pap")]
    mode: Mode,
    /// Outstanding requests (closed loop).
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// UDP sockets.
    #[arg(long, default_value_t = 4)]
    sockets: usize,
    /// Threads (the sockets are split between them).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Measured time, e.g. 10s or 500ms.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Stop after this many measured requests instead.
    #[arg(long)]
    requests: Option<u64>,
    /// Load applied before measuring.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    warmup: Duration,
    /// Open loop: this many requests per second in total.
    #[arg(long)]
    rate: Option<f64>,
    /// A request unanswered for this long is lost.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    timeout: Duration,
    /// Accounting: Interim-Updates per session between Start and Stop.
    #[arg(long, default_value_t = 1)]
    acct_interims: u32,
    /// Accounting: only Start a new session per request (leaves them online).
    #[arg(long)]
    acct_start_only: bool,
    /// NAS-IP-Address sent.
    #[arg(long, default_value = "127.0.0.1")]
    nas_ip: std::net::Ipv4Addr,
    /// Name of the run in the output.
    #[arg(long, default_value = "")]
    label: String,
    /// Instead of a load: send one request every 10 ms until one is
    /// answered as expected, print the time it took (`probe_ms`), and fail
    /// after this long.
    #[arg(long, value_parser = parse_duration)]
    probe: Option<Duration>,
    /// Exit with status 1 when any request was lost or any reply failed
    /// verification.
    #[arg(long)]
    strict: bool,
    /// No summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// `10s`, `250ms`, `2m`, or plain seconds (`1.5`).
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 10s or 250ms"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("{s:?}: unit must be ms, s or m")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
}

fn resolve(s: &str) -> Result<SocketAddr, String> {
    s.to_socket_addrs()
        .map_err(|e| format!("--server {s}: {e}"))?
        .next()
        .ok_or_else(|| format!("--server {s}: no address"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("radload: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<ExitCode, String> {
    let server = resolve(&args.server)?;
    let status = (!args.status.is_empty()).then_some(args.status.as_str());
    let mut users = users::load(&args.users, status).map_err(|e| e.to_string())?;
    if let Some(n) = args.max_users {
        users.truncate(n.max(1));
    }
    let cfg = Config {
        server,
        secret: args.secret.into_bytes(),
        mode: args.mode,
        window: args.window,
        sockets: args.sockets,
        threads: args.threads,
        duration: args.duration,
        requests: args.requests,
        warmup: args.warmup,
        rate: args.rate,
        timeout: args.timeout,
        acct_interims: args.acct_interims,
        acct_start_only: args.acct_start_only,
        nas_ip: args.nas_ip.octets(),
    };
    if let Some(deadline) = args.probe {
        let got = engine::probe(&cfg, &users[0], Duration::from_millis(10), deadline)
            .map_err(|e| e.to_string())?;
        return Ok(match got {
            Some(d) => {
                println!(
                    "{{\"label\":{},\"probe_ms\":{:.1}}}",
                    serde_json::Value::from(args.label),
                    d.as_secs_f64() * 1000.0
                );
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("radload: no verified answer from {server} within {deadline:?}");
                ExitCode::from(1)
            }
        });
    }
    let cfg = Config {
        duration: cfg
            .duration
            .or_else(|| cfg.requests.is_none().then(|| Duration::from_secs(10))),
        ..cfg
    };
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let stats = engine::run(&cfg, &users).map_err(|e| e.to_string())?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu0
        .zip(cpu_seconds())
        .map(|(a, b)| ((b - a) / wall * 1000.0).round() / 10.0);
    let report = Report::new(&cfg, &args.label, users.len(), &stats, cpu);
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    if !args.quiet {
        eprint!("{}", report.human());
    }
    if args.strict && (report.lost > 0 || report.errors > 0) {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5h").is_err());
    }
}
