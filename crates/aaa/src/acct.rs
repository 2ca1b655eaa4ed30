//! Accounting: records parsed on the listener threads, acknowledged once
//! they are synced to the node's [`journal`](crate::journal), and applied
//! to the database behind by one [`Committer`] per node, thousands of
//! records per transaction, with the journal position in the same
//! transaction (applied exactly once, replayed after a crash).
//!
//! Every record is also idempotent, so a NAS's retransmission of a request
//! whose answer was lost is harmless: a repeated Start finds the open
//! session (`ON CONFLICT … DO NOTHING`), a repeated Interim-Update sets the
//! same absolute counters (delta 0), a repeated Stop finds the session
//! already closed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use services::radius::hot::{self, JournalPosition, SessionRow, UsageDelta};
use services::{AnyConnection, WriteFailure};
use tokio::sync::mpsc;

use crate::deadletter::{self, DeadLetters, Letter};
use crate::journal::{self, Batch, Position};
use crate::metrics::Metrics;
use crate::view::{View, cycle_start};
use crate::{Error, Result};

pub use crate::record::{MAX_OCTETS, Record, Status, parse};

/// The usage a counter moved by since `old`: a counter that went backwards
/// restarted (a NAS reboot, or a 64-bit counter wrapping), as FreeRADIUS's
/// sqlcounter reads it, so the new value is all new usage.
fn step(new: i64, old: i64) -> i64 {
    if new >= old { new - old } else { new }
}

/// Adds usage without overflow (a sum past i64 stays at its maximum).
fn add_usage_to(u: &mut (i64, i64, i64), d: (i64, i64, i64)) {
    u.0 = u.0.saturating_add(d.0.max(0));
    u.1 = u.1.saturating_add(d.1.max(0));
    u.2 = u.2.saturating_add(d.2.max(0));
}

/// An open session as the committer remembers it (the row id and the
/// counters last written, to turn absolute counters into usage deltas).
#[derive(Debug, Clone)]
struct Open {
    id: i64,
    contract_id: Option<i64>,
    input: i64,
    output: i64,
    time: i64,
}

impl From<&hot::OpenRow> for Open {
    fn from(o: &hot::OpenRow) -> Open {
        Open {
            id: o.id,
            contract_id: o.contract_id,
            input: o.input,
            output: o.output,
            time: o.session_time,
        }
    }
}

/// Open sessions by NAS and Acct-Session-Id (nested, so a lookup borrows
/// the record's id instead of building a key).
#[derive(Default)]
struct OpenSessions(HashMap<i64, HashMap<String, Open>>);

impl OpenSessions {
    fn get(&self, nas: i64, session: &str) -> Option<&Open> {
        self.0.get(&nas)?.get(session)
    }

    fn insert(&mut self, nas: i64, session: &str, o: Open) {
        let m = self.0.entry(nas).or_default();
        match m.get_mut(session) {
            Some(slot) => *slot = o,
            None => {
                m.insert(session.to_owned(), o);
            }
        }
    }

    fn remove(&mut self, nas: i64, session: &str) {
        if let Some(m) = self.0.get_mut(&nas) {
            m.remove(session);
        }
    }

    fn close_nas(&mut self, nas: i64) {
        self.0.remove(&nas);
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// Per transaction: usage deltas per (contract, cycle) and session-count
/// deltas.
#[derive(Default)]
struct Effects {
    usage: HashMap<(i64, String), (i64, i64, i64)>,
    sessions: Vec<(i64, i32)>,
}

/// Records per transaction at most: large enough that a commit's cost is
/// spread thin, small enough that one transaction stays short.
const MAX_TRANSACTION: usize = 16_384;

/// `records` cut at every Accounting-On/Off, which gets a slice of its own:
/// it closes every open session of its NAS, so what came before it is
/// written before it and what came after, after.
fn sections<'a, 'r>(records: &'a [&'r Record]) -> Vec<&'a [&'r Record]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, r) in records.iter().enumerate() {
        if matches!(r.status, Status::On | Status::Off) {
            if start < i {
                out.push(&records[start..i]);
            }
            out.push(&records[i..=i]);
            start = i + 1;
        }
    }
    if start < records.len() {
        out.push(&records[start..]);
    }
    out
}

/// A session row as one record leaves it (`hot::SessionRow` borrows from
/// the records: a transaction folds thousands; copies would double its
/// allocations). The contract is set by the caller.
fn row_of(r: &Record) -> SessionRow<'_> {
    SessionRow {
        nas_id: r.nas_id,
        session_id: &r.session_id,
        login: &r.login,
        contract_id: None,
        framed_ip: r.framed_ip.as_deref(),
        framed_ipv6_prefix: r.framed_ipv6_prefix.as_deref(),
        delegated_ipv6_prefix: r.delegated_ipv6_prefix.as_deref(),
        calling_station_id: &r.calling_station_id,
        nas_port_id: &r.nas_port_id,
        started_at: r.at - r.session_time,
        at: r.at,
        stopped: r.status == Status::Stop,
        input: r.input,
        output: r.output,
        session_time: r.session_time,
        terminate_cause: &r.terminate_cause,
    }
}

/// A row's state after an Interim-Update or Stop.
fn advance<'r>(row: &mut SessionRow<'r>, r: &'r Record) {
    row.at = r.at;
    row.input = r.input;
    row.output = r.output;
    row.session_time = r.session_time;
    row.stopped = r.status == Status::Stop;
    row.terminate_cause = &r.terminate_cause;
    // First one seen wins, as COALESCE does in the one-by-one path.
    row.framed_ip = row.framed_ip.or(r.framed_ip.as_deref());
    row.framed_ipv6_prefix = row.framed_ipv6_prefix.or(r.framed_ipv6_prefix.as_deref());
    row.delegated_ipv6_prefix = row
        .delegated_ipv6_prefix
        .or(r.delegated_ipv6_prefix.as_deref());
}

/// A session's records in one section, folded into one write.
#[derive(Debug)]
struct Folded<'r> {
    /// Its open row before the section (cache or database): an UPDATE;
    /// none: an INSERT.
    existing: Option<Open>,
    /// The row after the section; `None` when nothing changes (a repeated
    /// Start of an open session).
    row: Option<SessionRow<'r>>,
    contract: Option<i64>,
    /// Usage: the sum of every step's delta.
    usage: (i64, i64, i64),
    /// Set once written: the row id.
    id: Option<i64>,
}

/// Folds one session's records (in order), starting from its open row if
/// it has one; `None` for what the fold does not model (records of a
/// session not open, a second session under the same id).
fn fold<'r>(existing: Option<&Open>, records: &[&'r Record]) -> Option<Folded<'r>> {
    let mut f = Folded {
        existing: existing.cloned(),
        row: None,
        contract: existing.and_then(|o| o.contract_id),
        usage: (0, 0, 0),
        id: None,
    };
    let mut counters = existing.map(|o| (o.input, o.output, o.time));
    let mut open = existing.is_some();
    let add = add_usage_to;
    for r in records {
        match r.status {
            Status::Start if open => {}
            Status::Start => {
                if f.row.is_some() || f.existing.is_some() {
                    return None;
                }
                f.row = Some(row_of(r));
                add(&mut f.usage, (r.input, r.output, r.session_time));
                counters = Some((r.input, r.output, r.session_time));
                open = true;
            }
            Status::Interim | Status::Stop => {
                if !open {
                    return None;
                }
                let (i, o, t) = counters?;
                if r.input < i || r.output < o {
                    tracing::info!(nas = r.nas_id, session = %r.session_id, login = %r.login,
                        "accounting counters went backwards within a session: read as restarted (NAS reboot or wrap)");
                }
                add(
                    &mut f.usage,
                    (step(r.input, i), step(r.output, o), step(r.session_time, t)),
                );
                counters = Some((r.input, r.output, r.session_time));
                match &mut f.row {
                    Some(row) => advance(row, r),
                    None => f.row = Some(row_of(r)),
                }
                open = r.status != Status::Stop;
            }
            Status::On | Status::Off => return None,
        }
    }
    Some(f)
}

/// Applies journaled accounting records to the database, in journal order,
/// many per transaction, storing in the same transaction the journal
/// position applied up to (so a restart replays exactly what is missing).
pub struct Committer {
    svc: services::Services,
    view: Arc<View>,
    metrics: Arc<Metrics>,
    /// This node's journal: its id (the `radius_journal` key) and directory.
    journal: Option<(String, PathBuf)>,
    /// Records refused for their content, beside the journal.
    dead: Option<DeadLetters>,
    /// Segments below this one are deleted.
    deleted_below: u64,
    open: OpenSessions,
    today: (i64, jiff::civil::Date),
    /// Since when writes have failed for want of a database (Unix seconds).
    stalled_since: Option<i64>,
}

/// Why a write failed: the database takes no writes now
/// ([`WriteFailure::Outage`]: keep the journal position and retry for as
/// long as it takes), or it refuses this content
/// ([`WriteFailure::Refused`]: the record goes to the dead letters with
/// the reason). The store tells them apart; anything that is not a
/// database error is an outage.
fn classify(e: &Error) -> WriteFailure {
    match e {
        Error::Store(s) => s.write_failure(),
        _ => WriteFailure::Outage,
    }
}

/// Waits between attempts while the database takes no writes: 100 ms,
/// doubling up to 10 s.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Backoff {
        Backoff(Duration::from_millis(100))
    }

    async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_secs(10));
    }
}

/// How often an idle committer looks for a dead-letter retry request.
const TICK: Duration = Duration::from_secs(1);

impl Committer {
    /// A committer over `svc` that records no journal position and keeps no
    /// dead letters (tests; refused records are only logged).
    pub fn new(svc: services::Services, view: Arc<View>, metrics: Arc<Metrics>) -> Committer {
        Committer {
            svc,
            view,
            metrics,
            journal: None,
            dead: None,
            deleted_below: 0,
            open: OpenSessions::default(),
            today: (0, jiff::civil::date(2000, 1, 1)),
            stalled_since: None,
        }
    }

    /// Records the position applied up to under `node`, deletes the applied
    /// segments of `dir`, and keeps refused records in its dead letters.
    pub fn with_journal(mut self, node: String, dir: PathBuf) -> std::io::Result<Committer> {
        let dead = DeadLetters::open(&dir)?;
        self.metrics
            .acct_dead_letters
            .store(dead.len() as u64, Relaxed);
        self.dead = Some(dead);
        self.journal = Some((node, dir));
        Ok(self)
    }

    /// Runs until every sender is gone. What arrived while a transaction
    /// ran goes into the next one. Between batches (at least every second)
    /// it looks for a dead-letter retry request.
    pub async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Batch>) {
        let mut batches = Vec::new();
        loop {
            let first = match tokio::time::timeout(TICK, rx.recv()).await {
                Ok(Some(b)) => Some(b),
                Ok(None) => break,
                Err(_) => None,
            };
            self.retry_dead_letters().await;
            let Some(b) = first else { continue };
            let mut n = b.len();
            batches.push(b);
            while n < MAX_TRANSACTION
                && let Ok(b) = rx.try_recv()
            {
                n += b.len();
                batches.push(b);
            }
            self.apply_batches(&batches).await;
            batches.clear();
        }
    }

    /// Runs over the journal files: reads what the writer has synced
    /// (`written`) from `tail`, up to [`MAX_TRANSACTION`] records per
    /// transaction, until the writer is gone and everything is read.
    pub async fn run_journal(mut self, mut tail: journal::Tail, mut written: journal::Written) {
        let mut closing = false;
        loop {
            let end = *written.borrow_and_update();
            let batch = match tail.read(end, MAX_TRANSACTION) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "accounting journal: cannot read; retrying");
                    tokio::time::sleep(TICK).await;
                    continue;
                }
            };
            if batch.is_empty() {
                if closing {
                    return;
                }
                tokio::select! {
                    changed = written.changed() => closing = changed.is_err(),
                    () = tokio::time::sleep(TICK) => {}
                }
            } else {
                self.apply_batches(std::slice::from_ref(&batch)).await;
            }
            self.retry_dead_letters().await;
        }
    }

    async fn today(&mut self) -> jiff::civil::Date {
        let now = services::now();
        if now - self.today.0 >= 60
            && let Ok(mut c) = self.svc.db.conn().await
            && let Ok(d) = services::crm::today(&mut c).await
        {
            self.today = (now, d);
        }
        self.today.1
    }

    /// Writes the batches, in one transaction when it can. The records are
    /// already acknowledged, so none is ever given up: while the database
    /// takes no writes the same transaction is retried with back-off, the
    /// journal position staying where it is (RADIUS goes on acknowledging
    /// into the journal); a record the database refuses for its content is
    /// found by halving the batch, and goes to the dead letters, as does a
    /// record whose counters no NAS can have sent.
    async fn apply_batches(&mut self, batches: &[Batch]) {
        let decoded: Vec<(Record, Position)> = batches.iter().flat_map(Batch::records).collect();
        let encoded: usize = batches.iter().map(Batch::len).sum();
        if decoded.len() < encoded {
            // Frames are checked when written and when replayed: a bug.
            tracing::error!(
                decoded = decoded.len(),
                encoded,
                "accounting journal: records in memory do not decode; the rest of the batch is replayed at the next start"
            );
        }
        let Some(upto) = decoded.last().map(|&(_, at)| at) else {
            return;
        };
        let mut valid: Vec<(&Record, Position)> = Vec::with_capacity(decoded.len());
        for (r, at) in &decoded {
            match r.check() {
                Ok(()) => valid.push((r, *at)),
                Err(why) => self.refuse(r, *at, why).await,
            }
        }
        // Parts of the batch, in journal order; one that the database
        // refuses for its content is split in two until the record is found.
        let mut parts: Vec<&[(&Record, Position)]> = vec![&valid];
        while let Some(part) = parts.pop() {
            let Some(&(_, end)) = part.last() else {
                continue;
            };
            let records: Vec<&Record> = part.iter().map(|&(r, _)| r).collect();
            let mut backoff = Backoff::new();
            loop {
                let today = self.today().await;
                match self.write(&records, today, Some(end)).await {
                    Ok(fx) => {
                        self.done(records.len(), fx, end);
                        break;
                    }
                    Err(e) => {
                        // The cache may hold rows of the rolled-back transaction.
                        self.open.clear();
                        match classify(&e) {
                            WriteFailure::Outage => {
                                self.stalled(&e, records.len());
                                backoff.wait().await;
                            }
                            WriteFailure::Refused(reason) if part.len() == 1 => {
                                let (r, at) = part[0];
                                self.refuse(r, at, reason).await;
                                self.save_position(at).await;
                                break;
                            }
                            WriteFailure::Refused(_) => {
                                let (a, b) = part.split_at(part.len() / 2);
                                parts.push(b);
                                parts.push(a);
                                break;
                            }
                        }
                    }
                }
            }
        }
        // Refused records at the end of the batch: move past them too.
        if valid.last().map(|&(_, at)| at) != Some(upto) {
            self.save_position(upto).await;
        }
    }

    /// Notes that writes fail for want of a database (logged once a minute).
    fn stalled(&mut self, e: &Error, records: usize) {
        let now = services::now();
        let since = *self.stalled_since.get_or_insert(now);
        self.metrics.acct_stalled_since.store(since, Relaxed);
        let secs = now - since;
        if secs == 0 || secs % 60 == 0 {
            tracing::warn!(error = %e, records, stalled_s = secs,
                "accounting: the database takes no writes; records stay in the journal and are retried");
        }
    }

    /// Moves the journal position on alone (past refused records), retrying
    /// while the database takes no writes.
    async fn save_position(&mut self, at: Position) {
        let mut backoff = Backoff::new();
        loop {
            let today = self.today().await;
            match self.write(&[], today, Some(at)).await {
                Ok(fx) => return self.done(0, fx, at),
                Err(e) => {
                    self.stalled(&e, 0);
                    backoff.wait().await;
                }
            }
        }
    }

    /// Keeps a refused record in the dead letters (synced before the journal
    /// position moves past it; retried while the file cannot be written).
    async fn refuse(&mut self, r: &Record, at: Position, reason: String) {
        tracing::error!(nas = r.nas_id, session = %r.session_id, login = %r.login, status = ?r.status, reason = %reason,
            "accounting record refused: kept in the dead letters (`lastmile aaa journal --retry` applies them again)");
        self.metrics.acct_refused.fetch_add(1, Relaxed);
        let Some(dead) = &mut self.dead else { return };
        let letter = Letter {
            position: at,
            refused_at: services::now(),
            reason,
            record: r.clone(),
        };
        let mut backoff = Backoff::new();
        loop {
            match dead.add(letter.clone()) {
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, "cannot write the accounting dead letters; retrying");
                    backoff.wait().await;
                }
            }
        }
        self.metrics
            .acct_dead_letters
            .store(dead.len() as u64, Relaxed);
    }

    /// Applies the dead letters again when `lastmile aaa journal --retry`
    /// asked for it; what is refused again stays, with the new reason.
    async fn retry_dead_letters(&mut self) {
        let Some((node, dir)) = self.journal.clone() else {
            return;
        };
        if !deadletter::retry_pending(&dir) {
            return;
        }
        let letters = match &mut self.dead {
            Some(d) => d.take(),
            None => return,
        };
        let total = letters.len();
        let mut keep = Vec::new();
        for l in letters {
            if let Err(why) = l.record.check() {
                keep.push(Letter { reason: why, ..l });
                continue;
            }
            let today = self.today().await;
            match self.write(&[&l.record], today, None).await {
                Ok(fx) => {
                    for (contract, d) in fx.sessions {
                        self.view.count_session(contract, d);
                    }
                }
                Err(e) => {
                    self.open.clear();
                    let reason = match classify(&e) {
                        WriteFailure::Refused(why) => why,
                        WriteFailure::Outage => e.to_string(),
                    };
                    keep.push(Letter {
                        reason,
                        refused_at: services::now(),
                        ..l
                    });
                }
            }
        }
        let kept = keep.len();
        if let Some(d) = &mut self.dead {
            if let Err(e) = d.replace(keep) {
                // The old file is intact: a retry later applies the records
                // again, which is harmless (records are idempotent).
                tracing::error!(error = %e, "cannot rewrite the accounting dead letters");
                return;
            }
            self.metrics
                .acct_dead_letters
                .store(d.len() as u64, Relaxed);
        }
        if let Ok(mut c) = self.svc.db.conn().await {
            let _ = hot::set_dead_letters(&mut c, &node, kept as i64).await;
        }
        // Last: its absence tells `lastmile aaa journal --retry` it is done.
        if let Err(e) = std::fs::remove_file(dir.join(deadletter::RETRY_REQUEST)) {
            tracing::warn!(error = %e, "cannot remove the dead-letter retry request");
        }
        tracing::info!(
            retried = total,
            applied = total - kept,
            refused = kept,
            "accounting dead letters retried"
        );
    }

    fn done(&mut self, n: usize, fx: Effects, upto: Position) {
        if self.stalled_since.take().is_some() {
            self.metrics.acct_stalled_since.store(0, Relaxed);
            tracing::info!("accounting: the database takes writes again");
        }
        for (contract, d) in fx.sessions {
            self.view.count_session(contract, d);
        }
        self.metrics.acct_writes.fetch_add(n as u64, Relaxed);
        if n > 0 {
            self.metrics.acct_commits.fetch_add(1, Relaxed);
        }
        if let Some((_, dir)) = &self.journal
            && upto.segment > self.deleted_below
        {
            match journal::delete_before(dir, upto.segment) {
                Ok(()) => self.deleted_below = upto.segment,
                Err(e) => {
                    tracing::warn!(error = %e, dir = %dir.display(), "cannot delete applied accounting journal segments")
                }
            }
        }
    }

    async fn write(
        &mut self,
        records: &[&Record],
        today: jiff::civil::Date,
        upto: Option<Position>,
    ) -> Result<Effects> {
        let mut tx = self.svc.db.begin().await?;
        let mut fx = Effects::default();
        for section in sections(records) {
            self.write_section(&mut tx, section, today, &mut fx).await?;
        }
        let now = services::now();
        // Sorted, so concurrent writers (several nodes on PostgreSQL) lock
        // the usage rows in the same order and cannot deadlock on them.
        let mut usage: Vec<UsageDelta> = fx
            .usage
            .iter()
            .map(
                |((contract_id, cycle), &(input, output, session_time))| UsageDelta {
                    contract_id: *contract_id,
                    cycle_start: cycle,
                    input,
                    output,
                    session_time,
                },
            )
            .collect();
        usage.sort_unstable_by(|a, b| {
            (a.contract_id, a.cycle_start).cmp(&(b.contract_id, b.cycle_start))
        });
        hot::add_usage(&mut tx, self.svc.db.engine(), &usage, now).await?;
        if let (Some((node, _)), Some(p)) = (&self.journal, upto) {
            let at = JournalPosition {
                segment: p.segment as i64,
                offset: p.offset as i64,
            };
            let dead = self.dead.as_ref().map_or(0, |d| d.len() as i64);
            hot::save_journal_position(&mut tx, node, at, dead, now).await?;
        }
        tx.commit().await?;
        Ok(fx)
    }

    /// One section (no Accounting-On/Off inside): each session's records
    /// folded into at most one INSERT of a new row or one UPDATE of its
    /// open row, written with multi-row statements. A Start, Interim and
    /// Stop of a short session in one transaction become one row written
    /// once; the database ends as if each record had been written in turn
    /// (it keeps only a session's latest counters), and usage gets the sum
    /// of the steps. Sequences the fold does not model (a session id
    /// reused after its Stop, records of a session not open) and rows
    /// found closed meanwhile take the one-by-one path.
    async fn write_section(
        &mut self,
        c: &mut AnyConnection,
        section: &[&Record],
        today: jiff::civil::Date,
        fx: &mut Effects,
    ) -> Result<()> {
        if let [r] = section
            && matches!(r.status, Status::On | Status::Off)
        {
            return self.apply(c, r, today, fx).await;
        }
        let mut groups: Vec<(i64, &str, Vec<&Record>)> = Vec::new();
        let mut index: HashMap<(i64, &str), usize> = HashMap::new();
        for r in section {
            let i = *index
                .entry((r.nas_id, r.session_id.as_str()))
                .or_insert_with(|| {
                    groups.push((r.nas_id, r.session_id.as_str(), Vec::new()));
                    groups.len() - 1
                });
            groups[i].2.push(r);
        }
        let keys: Vec<(i64, &str)> = groups.iter().map(|(n, s, _)| (*n, *s)).collect();
        self.prefetch(c, &keys).await?;
        let mut inserts: Vec<Folded> = Vec::new();
        let mut updates: Vec<Folded> = Vec::new();
        let mut slow: Vec<&[&Record]> = Vec::new();
        for (nas, session, records) in &groups {
            let folded = fold(self.open.get(*nas, session), records).map(|mut f| {
                if f.existing.is_none()
                    && let Some(row) = &f.row
                {
                    f.contract = self.view.get(row.login).map(|s| s.contract_id);
                }
                if let Some(row) = &mut f.row {
                    row.contract_id = f.contract;
                }
                f
            });
            match folded {
                // A repeated Start of an open session: nothing to write.
                Some(f) if f.row.is_none() => {}
                Some(f) if f.existing.is_some() => updates.push(f),
                Some(f) => inserts.push(f),
                None => slow.push(records),
            }
        }
        let ids = self.insert_rows(c, &inserts).await?;
        for (f, id) in inserts.iter_mut().zip(ids) {
            f.id = id;
        }
        let ids = self.update_rows(c, &updates).await?;
        for (f, id) in updates.iter_mut().zip(ids) {
            f.id = id;
        }
        for f in inserts.iter().chain(&updates) {
            if f.id.is_none()
                && let Some(row) = &f.row
            {
                slow.push(&groups[index[&(row.nas_id, row.session_id)]].2);
            }
        }
        for records in slow {
            for r in records {
                self.apply(c, r, today, fx).await?;
            }
        }
        for f in inserts.iter().chain(&updates) {
            if f.id.is_some() {
                self.settle(f, today, fx);
            }
        }
        Ok(())
    }

    /// Effects of a folded session once its statement succeeded.
    fn settle(&mut self, f: &Folded<'_>, today: jiff::civil::Date, fx: &mut Effects) {
        let row = f.row.as_ref().expect("a folded session writes a row");
        let contract = f.contract;
        match (&f.existing, row.stopped) {
            (Some(_), true) => {
                self.open.remove(row.nas_id, row.session_id);
                if let Some(k) = contract {
                    fx.sessions.push((k, -1));
                }
            }
            (None, true) => {}
            (_, false) => {
                self.open.insert(
                    row.nas_id,
                    row.session_id,
                    Open {
                        id: f.id.unwrap_or_default(),
                        contract_id: contract,
                        input: row.input,
                        output: row.output,
                        time: row.session_time,
                    },
                );
                if f.existing.is_none()
                    && let Some(k) = contract
                {
                    fx.sessions.push((k, 1));
                }
            }
        }
        self.add_usage(fx, row.login, contract, today, f.usage);
    }

    /// Loads the open sessions of `keys` that the cache lacks (after a
    /// restart, or sessions another node started) with one query per NAS
    /// and chunk.
    async fn prefetch(&mut self, c: &mut AnyConnection, keys: &[(i64, &str)]) -> Result<()> {
        let mut by_nas: HashMap<i64, Vec<&str>> = HashMap::new();
        for (nas, session) in keys {
            if self.open.get(*nas, session).is_none() {
                by_nas.entry(*nas).or_default().push(session);
            }
        }
        for (nas, ids) in by_nas {
            for o in hot::open_sessions(c, self.svc.db.engine(), nas, &ids).await? {
                self.open.insert(nas, &o.session_id, Open::from(&o));
            }
        }
        Ok(())
    }

    /// New rows, multi-row INSERTs; returns each one's id, or `None` to
    /// redo it one by one (an open row appeared meanwhile: `ON CONFLICT …
    /// DO NOTHING` on the partial unique index of open sessions).
    async fn insert_rows(
        &mut self,
        c: &mut AnyConnection,
        rows: &[Folded<'_>],
    ) -> Result<Vec<Option<i64>>> {
        let rows: Vec<&SessionRow> = rows
            .iter()
            .map(|f| f.row.as_ref().expect("an insert has a row"))
            .collect();
        Ok(hot::insert_sessions(c, self.svc.db.engine(), &rows).await?)
    }

    /// Open rows brought to their folded state, multi-row UPDATEs; returns
    /// each one's id, or `None` to redo it one by one (closed meanwhile by
    /// the stale sweep or another node).
    async fn update_rows(
        &mut self,
        c: &mut AnyConnection,
        rows: &[Folded<'_>],
    ) -> Result<Vec<Option<i64>>> {
        let rows: Vec<(i64, &SessionRow)> = rows
            .iter()
            .map(|f| {
                let id = f.existing.as_ref().map_or(0, |o| o.id);
                (id, f.row.as_ref().expect("an update has a row"))
            })
            .collect();
        let updated = hot::update_sessions(c, self.svc.db.engine(), &rows).await?;
        let mut ids = Vec::with_capacity(rows.len());
        for ((id, r), ok) in rows.iter().zip(updated) {
            if ok {
                ids.push(Some(*id));
            } else {
                self.open.remove(r.nas_id, r.session_id);
                ids.push(None);
            }
        }
        Ok(ids)
    }

    fn add_usage(
        &self,
        fx: &mut Effects,
        login: &str,
        contract: Option<i64>,
        today: jiff::civil::Date,
        d: (i64, i64, i64),
    ) {
        let Some(contract) = contract else { return };
        if d == (0, 0, 0) {
            return;
        }
        let day = self
            .view
            .get(login)
            .filter(|s| s.contract_id == contract)
            .or_else(|| self.view.by_contract(contract))
            .map_or(1, |s| s.billing_day);
        let e = fx
            .usage
            .entry((contract, cycle_start(today, day).to_string()))
            .or_default();
        add_usage_to(e, d);
    }

    async fn find_open(&mut self, c: &mut AnyConnection, r: &Record) -> Result<Option<Open>> {
        if let Some(o) = self.open.get(r.nas_id, &r.session_id) {
            return Ok(Some(o.clone()));
        }
        let row = hot::open_session(c, r.nas_id, &r.session_id).await?;
        Ok(row.as_ref().map(Open::from))
    }

    /// One new row for the one-by-one path, open or already closed (a Stop
    /// whose Start was lost); `None` when an open row was there already.
    async fn insert(
        &mut self,
        c: &mut AnyConnection,
        r: &Record,
        open: bool,
    ) -> Result<Option<i64>> {
        let contract = self.view.get(&r.login).map(|s| s.contract_id);
        let mut row = row_of(r);
        row.stopped = !open;
        row.contract_id = contract;
        let one = Folded {
            existing: None,
            row: Some(row),
            contract,
            usage: (0, 0, 0),
            id: None,
        };
        let id = self
            .insert_rows(c, std::slice::from_ref(&one))
            .await?
            .first()
            .copied()
            .flatten();
        if let Some(id) = id
            && open
        {
            self.open.insert(
                r.nas_id,
                &r.session_id,
                Open {
                    id,
                    contract_id: contract,
                    input: r.input,
                    output: r.output,
                    time: r.session_time,
                },
            );
        }
        // The contract of a newly inserted row.
        Ok(id.and(contract))
    }

    async fn apply(
        &mut self,
        c: &mut AnyConnection,
        r: &Record,
        today: jiff::civil::Date,
        fx: &mut Effects,
    ) -> Result<()> {
        match r.status {
            Status::Start => {
                let existed = self.find_open(c, r).await?.is_some();
                if !existed {
                    let contract = self.insert(c, r, true).await?;
                    if let Some(k) = contract {
                        fx.sessions.push((k, 1));
                    }
                    let contract = self.view.get(&r.login).map(|s| s.contract_id);
                    self.add_usage(
                        fx,
                        &r.login,
                        contract,
                        today,
                        (r.input, r.output, r.session_time),
                    );
                }
            }
            Status::Interim | Status::Stop => {
                let stop = r.status == Status::Stop;
                let mut handled = false;
                if let Some(o) = self.find_open(c, r).await? {
                    let delta = (
                        step(r.input, o.input),
                        step(r.output, o.output),
                        step(r.session_time, o.time),
                    );
                    if hot::update_session(c, o.id, &row_of(r)).await? {
                        handled = true;
                        if stop {
                            self.open.remove(r.nas_id, &r.session_id);
                            if let Some(k) = o.contract_id {
                                fx.sessions.push((k, -1));
                            }
                        } else {
                            self.open.insert(
                                r.nas_id,
                                &r.session_id,
                                Open {
                                    input: r.input,
                                    output: r.output,
                                    time: r.session_time,
                                    ..o.clone()
                                },
                            );
                        }
                        self.add_usage(fx, &r.login, o.contract_id, today, delta);
                    } else {
                        // Closed meanwhile (stale sweep, Accounting-On).
                        self.open.remove(r.nas_id, &r.session_id);
                    }
                }
                if !handled {
                    if stop {
                        // A retransmitted Stop finds its session closed.
                        if hot::closed_since(c, r.nas_id, &r.session_id, r.at - 86_400).await? {
                            return Ok(());
                        }
                    }
                    // Start lost (or sent to another server): the record
                    // still belongs in the connection log.
                    let contract = self.insert(c, r, !stop).await?;
                    if !stop && let Some(k) = contract {
                        fx.sessions.push((k, 1));
                    }
                    let contract = self.view.get(&r.login).map(|s| s.contract_id);
                    self.add_usage(
                        fx,
                        &r.login,
                        contract,
                        today,
                        (r.input, r.output, r.session_time),
                    );
                }
            }
            Status::On | Status::Off => {
                for k in hot::close_nas_sessions(c, r.nas_id, r.at).await? {
                    fx.sessions.push((k, -1));
                }
                let nas = r.nas_id;
                self.open.close_nas(nas);
            }
        }
        Ok(())
    }
}

/// Closes sessions without accounting for `missed` interim intervals
/// (`terminate_cause = 'stale'`, stopped at their last update) and returns
/// how many.
pub async fn sweep_stale(
    svc: &services::Services,
    view: &View,
    interval: u32,
    missed: u32,
) -> Result<usize> {
    if interval == 0 || missed == 0 {
        return Ok(0);
    }
    let cutoff = services::now() - i64::from(interval) * i64::from(missed);
    let mut tx = svc.db.begin().await?;
    let (n, contracts) = hot::close_stale_sessions(&mut tx, cutoff).await?;
    tx.commit().await?;
    for k in contracts {
        view.count_session(k, -1);
    }
    Ok(n)
}

#[cfg(test)]
mod counter_tests {
    use super::*;

    #[test]
    fn usage_steps_restart_on_a_counter_going_backwards_and_sums_saturate() {
        assert_eq!(step(700, 500), 200);
        assert_eq!(step(100, 800), 100);
        let mut u = (i64::MAX - 1, 0, 0);
        add_usage_to(&mut u, (5, -3, 2));
        assert_eq!(u, (i64::MAX, 0, 2));
    }
}

#[cfg(test)]
mod fold_tests {
    use super::*;

    fn rec(status: Status, input: i64, at: i64) -> Record {
        Record {
            nas_id: 1,
            status,
            session_id: "s1".into(),
            login: "ana".into(),
            framed_ip: (status == Status::Interim).then(|| "100.64.0.1".into()),
            framed_ipv6_prefix: None,
            delegated_ipv6_prefix: None,
            calling_station_id: String::new(),
            nas_port_id: String::new(),
            input,
            output: 0,
            session_time: at - 100,
            terminate_cause: if status == Status::Stop {
                "User-Request".into()
            } else {
                String::new()
            },
            at,
        }
    }

    #[test]
    fn a_short_session_becomes_one_closed_row_with_the_summed_usage() {
        let (s, i, p) = (
            rec(Status::Start, 0, 100),
            rec(Status::Interim, 700, 160),
            rec(Status::Stop, 900, 220),
        );
        let f = fold(None, &[&s, &i, &p]).unwrap();
        let row = f.row.unwrap();
        assert!(f.existing.is_none());
        assert!(row.stopped);
        assert_eq!((row.started_at, row.at, row.input), (100, 220, 900));
        assert_eq!(row.framed_ip, Some("100.64.0.1"));
        assert_eq!(row.terminate_cause, "User-Request");
        assert_eq!(f.usage, (900, 0, 120));
    }

    #[test]
    fn an_open_session_is_updated_from_its_counters() {
        let open = Open {
            id: 7,
            contract_id: Some(3),
            input: 500,
            output: 0,
            time: 30,
        };
        let (a, b) = (
            rec(Status::Interim, 800, 160),
            rec(Status::Interim, 100, 220),
        );
        let f = fold(Some(&open), &[&a, &b]).unwrap();
        assert!(!f.row.as_ref().unwrap().stopped);
        // 500 → 800 is +300; 800 → 100 went backwards (restarted): +100.
        assert_eq!(f.usage.0, 400);
        assert_eq!(f.contract, Some(3));
        // A repeated Start of an open session writes nothing.
        let start = rec(Status::Start, 0, 100);
        let f = fold(Some(&open), &[&start]).unwrap();
        assert!(f.row.is_none());
    }

    #[test]
    fn what_the_fold_does_not_model_goes_one_by_one() {
        let (s, p) = (rec(Status::Start, 0, 100), rec(Status::Stop, 10, 200));
        // The same id started again after its Stop.
        assert!(fold(None, &[&s, &p, &s]).is_none());
        // Records of a session that is not open.
        assert!(fold(None, &[&rec(Status::Interim, 5, 150)]).is_none());
        assert!(fold(None, &[&p]).is_none());
    }

    #[test]
    fn accounting_on_and_off_get_a_section_of_their_own() {
        let (a, on, b) = (
            rec(Status::Start, 0, 100),
            rec(Status::On, 0, 150),
            rec(Status::Stop, 1, 200),
        );
        let all = [&a, &a, &on, &b];
        let lens: Vec<usize> = sections(&all).iter().map(|s| s.len()).collect();
        assert_eq!(lens, [2, 1, 1]);
    }
}
