//! Counters and a latency histogram kept in plain atomics (the auth threads
//! bump them without locks or allocation), rendered as Prometheus text for
//! `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Why an Access-Request was rejected (the stable codes written to
/// `radius_auth_log.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The password (PAP, CHAP or MS-CHAP response) does not match.
    WrongPassword,
    /// No contract has this login.
    UnknownUser,
    /// The contract is suspended and its plan rejects suspended contracts.
    ContractSuspended,
    /// The contract is canceled.
    ContractCanceled,
    /// The contract awaits installation.
    ContractPending,
    /// Calling-Station-Id differs from the contract's MAC.
    MacMismatch,
    /// The contract already has as many open sessions as allowed.
    SimultaneousUse,
    /// Usage this cycle is over the plan's quota and the plan blocks.
    QuotaBlocked,
    /// The NAS must send Message-Authenticator and did not.
    MissingMessageAuthenticator,
    /// No PAP, CHAP, MS-CHAP or MS-CHAPv2 credentials in the request.
    UnsupportedMethod,
}

impl Reason {
    /// Every reason, in the order of [`Reason::index`].
    pub const ALL: [Reason; 10] = [
        Reason::WrongPassword,
        Reason::UnknownUser,
        Reason::ContractSuspended,
        Reason::ContractCanceled,
        Reason::ContractPending,
        Reason::MacMismatch,
        Reason::SimultaneousUse,
        Reason::QuotaBlocked,
        Reason::MissingMessageAuthenticator,
        Reason::UnsupportedMethod,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::WrongPassword => "wrong-password",
            Reason::UnknownUser => "unknown-user",
            Reason::ContractSuspended => "contract-suspended",
            Reason::ContractCanceled => "contract-canceled",
            Reason::ContractPending => "contract-pending",
            Reason::MacMismatch => "mac-mismatch",
            Reason::SimultaneousUse => "simultaneous-use",
            Reason::QuotaBlocked => "quota-blocked",
            Reason::MissingMessageAuthenticator => "missing-message-authenticator",
            Reason::UnsupportedMethod => "unsupported-method",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Why a datagram got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The source address is not a known, enabled NAS.
    UnknownClient,
    /// The packet does not decode.
    Malformed,
    /// Request Authenticator or Message-Authenticator does not verify.
    BadAuthenticator,
    /// Message-Authenticator required (BlastRADIUS) but absent.
    MissingMessageAuthenticator,
    /// A code this port does not serve.
    UnexpectedCode,
    /// The accounting journal's queue is full, or too many journaled
    /// records wait for the database (the NAS retransmits).
    AccountingBacklog,
    /// The journal append failed (the NAS retransmits).
    AccountingFailed,
}

impl DropReason {
    const ALL: [DropReason; 7] = [
        DropReason::UnknownClient,
        DropReason::Malformed,
        DropReason::BadAuthenticator,
        DropReason::MissingMessageAuthenticator,
        DropReason::UnexpectedCode,
        DropReason::AccountingBacklog,
        DropReason::AccountingFailed,
    ];

    fn code(self) -> &'static str {
        match self {
            DropReason::UnknownClient => "unknown-client",
            DropReason::Malformed => "malformed",
            DropReason::BadAuthenticator => "bad-authenticator",
            DropReason::MissingMessageAuthenticator => "missing-message-authenticator",
            DropReason::UnexpectedCode => "unexpected-code",
            DropReason::AccountingBacklog => "accounting-backlog",
            DropReason::AccountingFailed => "accounting-failed",
        }
    }
}

/// Upper bounds (seconds) of the auth latency histogram buckets.
const BUCKETS: [f64; 10] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25,
];

/// The server's counters. Shared by every thread through an `Arc`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Access-Requests received from known clients.
    pub auth_requests: AtomicU64,
    /// Access-Accepts sent (restricted profile included).
    pub accepts: AtomicU64,
    /// Accepts given the restricted profile.
    pub restricted: AtomicU64,
    rejects: [AtomicU64; 10],
    drops: [AtomicU64; 7],
    /// Retransmissions answered from the reply cache.
    pub duplicates: AtomicU64,
    /// Accounting-Requests received from known clients.
    pub acct_requests: AtomicU64,
    /// Accounting records appended to the journal (and acknowledged), or
    /// found there at start-up.
    pub acct_journaled: AtomicU64,
    /// Journal appends (one write and one sync each).
    pub acct_syncs: AtomicU64,
    /// Accounting records applied to the database.
    pub acct_writes: AtomicU64,
    /// Accounting records refused for their content (by the database, or
    /// counters no NAS can send) and kept in the dead letters.
    pub acct_refused: AtomicU64,
    /// Records in this node's dead letters now.
    pub acct_dead_letters: AtomicU64,
    /// Accounting-Requests whose counters failed [`crate::acct::Record::check`]
    /// when decoded.
    pub acct_invalid: AtomicU64,
    /// Since when (Unix seconds) the database has taken no accounting
    /// writes; 0 while it does.
    pub acct_stalled_since: AtomicI64,
    /// Accounting transactions committed (each holds a batch).
    pub acct_commits: AtomicU64,
    /// Authentication log lines lost because the writer's queue was full.
    pub auth_log_dropped: AtomicU64,
    /// CoA / Disconnect requests answered with ACK, NAK, or not at all.
    pub coa_ack: AtomicU64,
    /// See `coa_ack`.
    pub coa_nak: AtomicU64,
    /// See `coa_ack`.
    pub coa_failed: AtomicU64,
    latency: [AtomicU64; 11],
    latency_sum_ns: AtomicU64,
    /// Subscribers in the in-memory view.
    pub subscribers: AtomicU64,
    /// The journal backlog's cap ([`crate::Config::journal_max_backlog`]).
    pub acct_backlog_limit: AtomicU64,
}

impl Metrics {
    /// Counts a reject.
    pub fn reject(&self, r: Reason) {
        self.rejects[r.index()].fetch_add(1, Relaxed);
    }

    /// Rejects so far for a reason.
    pub fn rejects(&self, r: Reason) -> u64 {
        self.rejects[r.index()].load(Relaxed)
    }

    /// Counts a dropped datagram.
    pub fn dropped(&self, d: DropReason) {
        self.drops[d as usize].fetch_add(1, Relaxed);
    }

    /// Drops so far for a reason.
    pub fn drops(&self, d: DropReason) -> u64 {
        self.drops[d as usize].load(Relaxed)
    }

    /// Accounting records journaled but not yet applied to the database.
    pub fn acct_backlog(&self) -> u64 {
        self.acct_journaled
            .load(Relaxed)
            .saturating_sub(self.acct_writes.load(Relaxed) + self.acct_refused.load(Relaxed))
    }

    /// Records one auth request's time from receive to send.
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| s <= *b)
            .unwrap_or(BUCKETS.len());
        self.latency[i].fetch_add(1, Relaxed);
        self.latency_sum_ns
            .fetch_add(d.as_nanos().min(u64::MAX as u128) as u64, Relaxed);
    }

    /// Appends the Prometheus text exposition of every counter.
    pub fn render(&self, out: &mut String) {
        let c = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP lastmile_radius_{name} {help}");
            let _ = writeln!(out, "# TYPE lastmile_radius_{name} counter");
            let _ = writeln!(out, "lastmile_radius_{name}_total {v}");
        };
        c(
            out,
            "auth_requests",
            "Access-Requests from known clients",
            self.auth_requests.load(Relaxed),
        );
        c(
            out,
            "accepts",
            "Access-Accepts sent",
            self.accepts.load(Relaxed),
        );
        c(
            out,
            "restricted",
            "Access-Accepts with the restricted profile",
            self.restricted.load(Relaxed),
        );
        c(
            out,
            "duplicates",
            "Retransmissions answered from the reply cache",
            self.duplicates.load(Relaxed),
        );
        c(
            out,
            "acct_requests",
            "Accounting-Requests from known clients",
            self.acct_requests.load(Relaxed),
        );
        c(
            out,
            "acct_journaled",
            "Accounting records appended to the journal and acknowledged",
            self.acct_journaled.load(Relaxed),
        );
        c(
            out,
            "acct_syncs",
            "Accounting journal appends (write and fdatasync)",
            self.acct_syncs.load(Relaxed),
        );
        c(
            out,
            "acct_writes",
            "Accounting records applied to the database",
            self.acct_writes.load(Relaxed),
        );
        c(
            out,
            "acct_refused",
            "Accounting records refused for their content and kept in the dead letters",
            self.acct_refused.load(Relaxed),
        );
        c(
            out,
            "acct_invalid",
            "Accounting-Requests with counters no NAS can send (Gigawords out of bounds)",
            self.acct_invalid.load(Relaxed),
        );
        c(
            out,
            "acct_commits",
            "Accounting transactions committed",
            self.acct_commits.load(Relaxed),
        );
        c(
            out,
            "auth_log_dropped",
            "Authentication log lines dropped (writer queue full)",
            self.auth_log_dropped.load(Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP lastmile_radius_rejects Access-Rejects by reason"
        );
        let _ = writeln!(out, "# TYPE lastmile_radius_rejects counter");
        for r in Reason::ALL {
            let _ = writeln!(
                out,
                "lastmile_radius_rejects_total{{reason=\"{}\"}} {}",
                r.code(),
                self.rejects(r)
            );
        }
        let _ = writeln!(
            out,
            "# HELP lastmile_radius_drops Datagrams dropped by reason"
        );
        let _ = writeln!(out, "# TYPE lastmile_radius_drops counter");
        for d in DropReason::ALL {
            let _ = writeln!(
                out,
                "lastmile_radius_drops_total{{reason=\"{}\"}} {}",
                d.code(),
                self.drops(d)
            );
        }
        let _ = writeln!(out, "# HELP lastmile_radius_coa CoA/Disconnect results");
        let _ = writeln!(out, "# TYPE lastmile_radius_coa counter");
        for (k, v) in [
            ("ack", &self.coa_ack),
            ("nak", &self.coa_nak),
            ("failed", &self.coa_failed),
        ] {
            let _ = writeln!(
                out,
                "lastmile_radius_coa_total{{result=\"{k}\"}} {}",
                v.load(Relaxed)
            );
        }
        let gauge = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP lastmile_radius_{name} {help}");
            let _ = writeln!(out, "# TYPE lastmile_radius_{name} gauge");
            let _ = writeln!(out, "lastmile_radius_{name} {v}");
        };
        let since = self.acct_stalled_since.load(Relaxed);
        for (name, help, v) in [
            (
                "acct_backlog",
                "Accounting records journaled, not yet in the database",
                self.acct_backlog(),
            ),
            (
                "acct_backlog_limit",
                "Backlog past which Accounting-Requests go unanswered",
                self.acct_backlog_limit.load(Relaxed),
            ),
            (
                "acct_dead_letters",
                "Accounting records waiting in this node's dead letters",
                self.acct_dead_letters.load(Relaxed),
            ),
            (
                "acct_stalled_seconds",
                "How long the database has taken no accounting writes",
                if since > 0 {
                    (services::now() - since).max(0) as u64
                } else {
                    0
                },
            ),
            (
                "subscribers",
                "Subscribers in the in-memory view",
                self.subscribers.load(Relaxed),
            ),
        ] {
            gauge(out, name, help, v);
        }
        let _ = writeln!(
            out,
            "# HELP lastmile_radius_auth_duration_seconds Access-Request receive-to-send time"
        );
        let _ = writeln!(
            out,
            "# TYPE lastmile_radius_auth_duration_seconds histogram"
        );
        let mut cum = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cum += self.latency[i].load(Relaxed);
            let _ = writeln!(
                out,
                "lastmile_radius_auth_duration_seconds_bucket{{le=\"{b}\"}} {cum}"
            );
        }
        cum += self.latency[BUCKETS.len()].load(Relaxed);
        let _ = writeln!(
            out,
            "lastmile_radius_auth_duration_seconds_bucket{{le=\"+Inf\"}} {cum}"
        );
        let _ = writeln!(
            out,
            "lastmile_radius_auth_duration_seconds_sum {}",
            self.latency_sum_ns.load(Relaxed) as f64 / 1e9
        );
        let _ = writeln!(out, "lastmile_radius_auth_duration_seconds_count {cum}");
    }
}
