//! The run's figures: one JSON line for scripts and a short summary for
//! people.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::{Config, Stats};
use crate::wire::Problem;

/// What one run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Free text naming the run (e.g. "freeradius").
    pub label: String,
    /// Server address.
    pub server: String,
    /// pap, chap, mschapv2 or acct.
    pub mode: &'static str,
    /// "closed" (window) or "open" (fixed rate).
    #[serde(rename = "loop")]
    pub loop_kind: &'static str,
    /// Outstanding requests (closed loop).
    pub window: usize,
    /// UDP sockets.
    pub sockets: usize,
    /// Generator threads.
    pub threads: usize,
    /// Open loop: requests per second asked for.
    pub target_rate: Option<f64>,
    /// Users loaded.
    pub users: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Requests sent while measuring.
    pub sent: u64,
    /// Verified replies of the expected kind.
    pub ok: u64,
    /// Verified replies per second.
    pub per_second: f64,
    /// Latency percentiles and maximum, in microseconds.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Maximum.
    pub max_us: f64,
    /// Requests without a reply within the timeout.
    pub lost: u64,
    /// Replies that failed verification.
    pub errors: u64,
    /// Those failures by kind.
    pub error_kinds: BTreeMap<&'static str, u64>,
    /// Replies with no request outstanding under their identifier.
    pub late: u64,
    /// Verified replies without Message-Authenticator.
    pub missing_message_authenticator: u64,
    /// ICMP port unreachable seen.
    pub refused: u64,
    /// Open loop: sends skipped because every identifier was in flight.
    pub overruns: u64,
    /// Open loop: latest send after its scheduled time, in microseconds.
    pub max_send_lag_us: f64,
    /// CPU used by the generator over the whole run, in % of one core.
    pub cpu_percent: Option<f64>,
}

fn us(ns: u64) -> f64 {
    (ns as f64 / 100.0).round() / 10.0
}

impl Report {
    /// Builds the report of a run.
    pub fn new(
        cfg: &Config,
        label: &str,
        users: usize,
        stats: &Stats,
        cpu_percent: Option<f64>,
    ) -> Report {
        let secs = stats.elapsed.as_secs_f64();
        let counted = if cfg.duration.is_some() {
            stats.ok_in_window
        } else {
            stats.ok
        };
        let h = &stats.hist;
        Report {
            label: label.to_owned(),
            server: cfg.server.to_string(),
            mode: cfg.mode.name(),
            loop_kind: if cfg.rate.is_some() { "open" } else { "closed" },
            window: cfg.window,
            sockets: cfg.sockets,
            threads: cfg.threads,
            target_rate: cfg.rate,
            users,
            seconds: (secs * 1000.0).round() / 1000.0,
            sent: stats.sent,
            ok: stats.ok,
            per_second: if secs > 0.0 {
                (counted as f64 / secs).round()
            } else {
                0.0
            },
            p50_us: us(h.quantile(0.50)),
            p90_us: us(h.quantile(0.90)),
            p99_us: us(h.quantile(0.99)),
            p999_us: us(h.quantile(0.999)),
            max_us: us(h.max()),
            lost: stats.lost,
            errors: stats.errors(),
            error_kinds: Problem::ALL
                .iter()
                .filter(|p| stats.problems[p.index()] > 0)
                .map(|p| (p.name(), stats.problems[p.index()]))
                .collect(),
            late: stats.late,
            missing_message_authenticator: stats.missing_message_authenticator,
            refused: stats.refused,
            overruns: stats.overruns,
            max_send_lag_us: us(u64::try_from(stats.max_send_lag.as_nanos()).unwrap_or(u64::MAX)),
            cpu_percent,
        }
    }

    /// A few lines for a terminal.
    pub fn human(&self) -> String {
        let how = match self.target_rate {
            Some(r) => format!("open loop at {r:.0}/s"),
            None => format!("window {}", self.window),
        };
        let mut s = format!(
            "{} {} -> {} ({how}, {} sockets, {} thread(s), {} users)\n  {:.0} {}/s over {:.2} s: {} sent, {} ok, {} lost, {} errors\n  latency p50 {:.0} us, p90 {:.0} us, p99 {:.0} us, p99.9 {:.0} us, max {:.0} us\n",
            self.label,
            self.mode,
            self.server,
            self.sockets,
            self.threads,
            self.users,
            self.per_second,
            if self.mode == "acct" { "acct" } else { "auth" },
            self.seconds,
            self.sent,
            self.ok,
            self.lost,
            self.errors,
            self.p50_us,
            self.p90_us,
            self.p99_us,
            self.p999_us,
            self.max_us,
        );
        for (k, v) in &self.error_kinds {
            s.push_str(&format!("  error {k}: {v}\n"));
        }
        if self.missing_message_authenticator > 0 {
            s.push_str(&format!(
                "  replies without Message-Authenticator: {}\n",
                self.missing_message_authenticator
            ));
        }
        if self.late + self.refused + self.overruns > 0 {
            s.push_str(&format!(
                "  late replies {}, refused {}, open-loop overruns {}\n",
                self.late, self.refused, self.overruns
            ));
        }
        if let Some(c) = self.cpu_percent {
            s.push_str(&format!("  generator CPU: {c:.0}% of one core\n"));
        }
        s
    }
}

/// User + system CPU seconds used so far by this process (Linux
/// `/proc/self/stat`), `None` elsewhere.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / rustix::param::clock_ticks_per_second() as f64)
}
