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

use radius::{Packet, attr};
use sqlx::AnyConnection;
use tokio::sync::mpsc;

use crate::Result;
use crate::journal::{self, Batch, Position};
use crate::metrics::Metrics;
use crate::sql::Placeholders;
use crate::view::{View, cycle_start};

/// Acct-Status-Type values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 1
    Start,
    /// 2
    Stop,
    /// 3
    Interim,
    /// 7
    On,
    /// 8
    Off,
}

/// One Accounting-Request, parsed.
#[derive(Debug, Clone)]
pub struct Record {
    /// nas.id
    pub nas_id: i64,
    /// Acct-Status-Type.
    pub status: Status,
    /// Acct-Session-Id.
    pub session_id: String,
    /// User-Name.
    pub login: String,
    /// Framed-IP-Address.
    pub framed_ip: Option<String>,
    /// Framed-IPv6-Prefix.
    pub framed_ipv6_prefix: Option<String>,
    /// Delegated-IPv6-Prefix.
    pub delegated_ipv6_prefix: Option<String>,
    /// Calling-Station-Id.
    pub calling_station_id: String,
    /// NAS-Port-Id.
    pub nas_port_id: String,
    /// Octets from the subscriber, Gigawords included.
    pub input: i64,
    /// Octets to the subscriber, Gigawords included.
    pub output: i64,
    /// Acct-Session-Time.
    pub session_time: i64,
    /// Acct-Terminate-Cause name (Stop).
    pub terminate_cause: String,
    /// When it happened: now minus Acct-Delay-Time.
    pub at: i64,
}

fn prefix_text(p: radius::Ipv6Prefix) -> String {
    format!("{}/{}", p.addr, p.len)
}

/// Parses a verified Accounting-Request; `None` when it has no usable
/// Acct-Status-Type (or no Acct-Session-Id where one is needed).
pub fn parse(p: &Packet, nas_id: i64, now: i64) -> Option<Record> {
    let status = match p.get(attr::ACCT_STATUS_TYPE)? {
        1 => Status::Start,
        2 => Status::Stop,
        3 => Status::Interim,
        7 => Status::On,
        8 => Status::Off,
        _ => return None,
    };
    let session_id = p.get(attr::ACCT_SESSION_ID).unwrap_or_default();
    if session_id.is_empty() && !matches!(status, Status::On | Status::Off) {
        return None;
    }
    let octets = |lo, hi| {
        let lo = p.get(lo).unwrap_or(0) as i64;
        let hi = p.get(hi).unwrap_or(0) as i64;
        (hi << 32) | lo
    };
    Some(Record {
        nas_id,
        status,
        session_id,
        login: p.get(attr::USER_NAME).unwrap_or_default(),
        framed_ip: p.get(attr::FRAMED_IP_ADDRESS).map(|ip| ip.to_string()),
        framed_ipv6_prefix: p.get(attr::FRAMED_IPV6_PREFIX).map(prefix_text),
        delegated_ipv6_prefix: p.get(attr::DELEGATED_IPV6_PREFIX).map(prefix_text),
        calling_station_id: p.get(attr::CALLING_STATION_ID).unwrap_or_default(),
        nas_port_id: p.get(attr::NAS_PORT_ID).unwrap_or_default(),
        input: octets(attr::ACCT_INPUT_OCTETS, attr::ACCT_INPUT_GIGAWORDS),
        output: octets(attr::ACCT_OUTPUT_OCTETS, attr::ACCT_OUTPUT_GIGAWORDS),
        session_time: p.get(attr::ACCT_SESSION_TIME).unwrap_or(0) as i64,
        terminate_cause: if status == Status::Stop {
            p.value_text("Acct-Terminate-Cause").unwrap_or_default()
        } else {
            String::new()
        },
        at: now - p.get(attr::ACCT_DELAY_TIME).unwrap_or(0).min(86_400) as i64,
    })
}

/// `items` in chunks whose lengths are powers of two, at most `max` (a
/// power of two): 300 → 256, 32, 8, 4. A multi-row statement's text depends
/// on its row count; with a few fixed counts each text is prepared once per
/// connection and stays in sqlx's statement cache. Batches of every size
/// from 1 to thousands would otherwise parse and plan a new statement of up
/// to thousands of placeholders nearly every time (measured: throughput
/// fell as the window grew).
fn ladder<T>(mut items: &[T], max: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    while !items.is_empty() {
        let n = if items.len() >= max {
            max
        } else {
            1 << items.len().ilog2()
        };
        let (head, rest) = items.split_at(n);
        out.push(head);
        items = rest;
    }
    out
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

/// `records` in rounds that keep each session's records in order: round k
/// holds every session's k-th record, so a round names a session at most
/// once and can be written with multi-row statements. Accounting-On/Off
/// closes every open session of its NAS, so it gets a round of its own
/// between what came before and after it.
fn rounds<'a>(records: &[&'a Record]) -> Vec<Vec<&'a Record>> {
    let mut out: Vec<Vec<&Record>> = Vec::new();
    let mut base = 0;
    let mut count: HashMap<(i64, &str), usize> = HashMap::new();
    for r in records {
        if matches!(r.status, Status::On | Status::Off) {
            out.push(vec![*r]);
            base = out.len();
            count.clear();
            continue;
        }
        let k = count.entry((r.nas_id, r.session_id.as_str())).or_insert(0);
        let i = base + *k;
        *k += 1;
        if out.len() <= i {
            out.resize_with(i + 1, Vec::new);
        }
        out[i].push(*r);
    }
    out
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
    /// Segments below this one are deleted.
    deleted_below: u64,
    open: OpenSessions,
    today: (i64, jiff::civil::Date),
}

impl Committer {
    /// A committer over `svc` that records no journal position (tests).
    pub fn new(svc: services::Services, view: Arc<View>, metrics: Arc<Metrics>) -> Committer {
        Committer {
            svc,
            view,
            metrics,
            journal: None,
            deleted_below: 0,
            open: OpenSessions::default(),
            today: (0, jiff::civil::date(2000, 1, 1)),
        }
    }

    /// Records the position applied up to under `node` and deletes the
    /// applied segments of `dir`.
    pub fn with_journal(mut self, node: String, dir: PathBuf) -> Committer {
        self.journal = Some((node, dir));
        self
    }

    /// Runs until every sender is gone. What arrived while a transaction
    /// ran goes into the next one.
    pub async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Batch>) {
        let mut batches = Vec::new();
        while let Some(b) = rx.recv().await {
            let mut n = b.records.len();
            batches.push(b);
            while n < MAX_TRANSACTION
                && let Ok(b) = rx.try_recv()
            {
                n += b.records.len();
                batches.push(b);
            }
            self.apply_batches(&batches).await;
            batches.clear();
        }
    }

    async fn today(&mut self) -> jiff::civil::Date {
        let now = store::now();
        if now - self.today.0 >= 60
            && let Ok(mut c) = self.svc.db.conn().await
            && let Ok(d) = services::crm::today(&mut c).await
        {
            self.today = (now, d);
        }
        self.today.1
    }

    /// Writes the batches in one transaction; on failure, retries, then
    /// goes record by record. The records are already acknowledged, so
    /// none is given up while the database is unreachable; one the
    /// database refuses while it accepts others is logged and skipped.
    async fn apply_batches(&mut self, batches: &[Batch]) {
        let records: Vec<&Record> = batches.iter().flat_map(|b| &b.records).collect();
        let Some(upto) = batches.iter().rev().find_map(Batch::end) else {
            return;
        };
        let today = self.today().await;
        for attempt in 0..3u64 {
            match self.write(&records, today, Some(upto)).await {
                Ok(fx) => return self.done(records.len(), fx, upto),
                Err(e) => {
                    // The cache may hold rows of the rolled-back transaction.
                    self.open.clear();
                    tracing::warn!(error = %e, records = records.len(), attempt, "accounting batch failed");
                    tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
                }
            }
        }
        for b in batches {
            for (r, &offset) in b.records.iter().zip(&b.ends) {
                let at = Position {
                    segment: b.segment,
                    offset,
                };
                let mut tries = 0;
                loop {
                    match self.write(&[r], today, Some(at)).await {
                        Ok(fx) => {
                            self.done(1, fx, at);
                            break;
                        }
                        Err(e) => {
                            self.open.clear();
                            tries += 1;
                            if tries >= 3 && self.database_answers().await {
                                self.metrics.acct_skipped.fetch_add(1, Relaxed);
                                tracing::error!(error = %e, record = ?r, "accounting record refused by the database; skipped (it stays in the journal until its segment is applied)");
                                break;
                            }
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            }
        }
    }

    async fn database_answers(&self) -> bool {
        match self.svc.db.conn().await {
            Ok(mut c) => sqlx::query("SELECT 1").execute(&mut *c).await.is_ok(),
            Err(_) => false,
        }
    }

    fn done(&mut self, n: usize, fx: Effects, upto: Position) {
        for (contract, d) in fx.sessions {
            self.view.count_session(contract, d);
        }
        self.metrics.acct_writes.fetch_add(n as u64, Relaxed);
        self.metrics.acct_commits.fetch_add(1, Relaxed);
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
        for round in rounds(records) {
            self.write_round(&mut tx, &round, today, &mut fx).await?;
        }
        let now = store::now();
        // Sorted, so concurrent writers (several nodes on PostgreSQL) lock
        // the usage rows in the same order and cannot deadlock on them.
        let mut usage: Vec<_> = fx.usage.iter().collect();
        usage.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for chunk in ladder(&usage, 256) {
            let mut sql = String::from(
                "INSERT INTO contract_usage (contract_id, cycle_start, input_octets, output_octets, session_time, updated_at) VALUES ",
            );
            Placeholders::new(self.svc.db.engine()).rows(&mut sql, chunk.len(), 6);
            sql.push_str(
                " ON CONFLICT (contract_id, cycle_start) DO UPDATE SET
                   input_octets = contract_usage.input_octets + excluded.input_octets,
                   output_octets = contract_usage.output_octets + excluded.output_octets,
                   session_time = contract_usage.session_time + excluded.session_time,
                   updated_at = excluded.updated_at",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((contract, cycle), (i, o, t)) in chunk {
                q = q
                    .bind(*contract)
                    .bind(cycle.clone())
                    .bind(*i)
                    .bind(*o)
                    .bind(*t)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        if let (Some((node, _)), Some(p)) = (&self.journal, upto) {
            sqlx::query(
                "INSERT INTO radius_journal (node, segment, position, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (node) DO UPDATE SET segment = excluded.segment,
                   position = excluded.position, updated_at = excluded.updated_at",
            )
            .bind(node)
            .bind(p.segment as i64)
            .bind(p.offset as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(fx)
    }

    /// One round (a session at most once): Starts as multi-row INSERTs,
    /// Interim-Updates and Stops of known open sessions as multi-row
    /// UPDATEs, the rest (sessions never started here, Accounting-On/Off)
    /// one by one.
    async fn write_round(
        &mut self,
        c: &mut AnyConnection,
        round: &[&Record],
        today: jiff::civil::Date,
        fx: &mut Effects,
    ) -> Result<()> {
        self.prefetch(c, round).await?;
        let mut fast: Vec<(&Record, Open)> = Vec::new();
        let mut starts: Vec<&Record> = Vec::new();
        let mut slow: Vec<&Record> = Vec::new();
        for r in round {
            let cached = self.open.get(r.nas_id, &r.session_id);
            match (r.status, cached) {
                (Status::Interim | Status::Stop, Some(o)) => fast.push((r, o.clone())),
                // A repeated Start of a session this node has open: nothing
                // to write (the same answer the slow path would give).
                (Status::Start, Some(_)) => {}
                (Status::Start, None) => starts.push(r),
                _ => slow.push(r),
            }
        }
        self.insert_starts(c, &starts, today, fx).await?;
        for chunk in ladder(&fast, 256) {
            let mut sql = String::from(
                "UPDATE radius_sessions SET updated_at = v.column2, input_octets = v.column3, output_octets = v.column4, session_time = v.column5, stopped_at = v.column6, terminate_cause = v.column7, framed_ip = COALESCE(radius_sessions.framed_ip, v.column8) FROM (VALUES ",
            );
            Placeholders::new(self.svc.db.engine()).rows(&mut sql, chunk.len(), 8);
            sql.push_str(") AS v WHERE radius_sessions.id = v.column1 AND radius_sessions.stopped_at IS NULL RETURNING radius_sessions.id");
            let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
            for (r, o) in chunk {
                let stop = r.status == Status::Stop;
                q = q
                    .bind(o.id)
                    .bind(r.at)
                    .bind(r.input)
                    .bind(r.output)
                    .bind(r.session_time)
                    .bind(stop.then_some(r.at))
                    .bind(r.terminate_cause.clone())
                    .bind(r.framed_ip.clone());
            }
            let updated: std::collections::HashSet<i64> =
                q.fetch_all(&mut *c).await?.into_iter().collect();
            for (r, o) in chunk {
                if !updated.contains(&o.id) {
                    // Closed meanwhile (stale sweep): the slow path decides.
                    self.open.remove(r.nas_id, &r.session_id);
                    slow.push(r);
                    continue;
                }
                let d = |new: i64, old: i64| if new >= old { new - old } else { new };
                let delta = (
                    d(r.input, o.input),
                    d(r.output, o.output),
                    d(r.session_time, o.time),
                );
                if r.status == Status::Stop {
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
            }
        }
        for r in slow {
            self.apply(c, r, today, fx).await?;
        }
        Ok(())
    }

    /// Loads the open sessions of the round's Interim-Updates and Stops
    /// that the cache lacks (after a restart, or sessions another node
    /// started) with one query per NAS and chunk, instead of one each.
    async fn prefetch(&mut self, c: &mut AnyConnection, round: &[&Record]) -> Result<()> {
        let mut by_nas: HashMap<i64, Vec<&str>> = HashMap::new();
        for r in round {
            if matches!(r.status, Status::Interim | Status::Stop)
                && self.open.get(r.nas_id, &r.session_id).is_none()
            {
                by_nas.entry(r.nas_id).or_default().push(&r.session_id);
            }
        }
        for (nas, ids) in by_nas {
            for chunk in ladder(&ids, 256) {
                let mut p = Placeholders::new(self.svc.db.engine());
                let mut sql = String::from(
                    "SELECT id, acct_session_id, contract_id, input_octets, output_octets, session_time
                       FROM radius_sessions WHERE stopped_at IS NULL AND nas_id = ",
                );
                p.push(&mut sql);
                sql.push_str(" AND acct_session_id IN ");
                p.rows(&mut sql, 1, chunk.len());
                let mut q = sqlx::query_as::<_, (i64, String, Option<i64>, i64, i64, i64)>(
                    sqlx::AssertSqlSafe(sql),
                )
                .bind(nas);
                for id in chunk {
                    q = q.bind(*id);
                }
                for (id, session, contract_id, input, output, time) in q.fetch_all(&mut *c).await? {
                    self.open.insert(
                        nas,
                        &session,
                        Open {
                            id,
                            contract_id,
                            input,
                            output,
                            time,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Starts of sessions unknown to the cache, one multi-row INSERT per
    /// chunk. `ON CONFLICT … DO NOTHING` on the partial unique index of open
    /// sessions is the idempotency check: a Start whose session is already
    /// open (a retransmission, or opened by another node) returns no row and
    /// changes nothing, exactly like the one-by-one path.
    async fn insert_starts(
        &mut self,
        c: &mut AnyConnection,
        starts: &[&Record],
        today: jiff::civil::Date,
        fx: &mut Effects,
    ) -> Result<()> {
        const COLUMNS: usize = 16;
        // 16 × 256 = 4,096 placeholders: well under SQLite's 32,766 and
        // PostgreSQL's 65,535.
        for chunk in ladder(starts, 256) {
            let mut sql = String::with_capacity(400 + chunk.len() * 80);
            sql.push_str(
                "INSERT INTO radius_sessions (nas_id, acct_session_id, login, contract_id, framed_ip,
                    framed_ipv6_prefix, delegated_ipv6_prefix, calling_station_id, nas_port_id,
                    started_at, updated_at, stopped_at, input_octets, output_octets, session_time, terminate_cause)
                 VALUES ",
            );
            Placeholders::new(self.svc.db.engine()).rows(&mut sql, chunk.len(), COLUMNS);
            sql.push_str(
                " ON CONFLICT (nas_id, acct_session_id) WHERE stopped_at IS NULL DO NOTHING
                 RETURNING id, nas_id, acct_session_id",
            );
            let mut q = sqlx::query_as::<_, (i64, i64, String)>(sqlx::AssertSqlSafe(sql));
            let mut contracts = Vec::with_capacity(chunk.len());
            for r in chunk {
                let contract = self.view.get(&r.login).map(|s| s.contract_id);
                contracts.push(contract);
                q = q
                    .bind(r.nas_id)
                    .bind(r.session_id.clone())
                    .bind(r.login.clone())
                    .bind(contract)
                    .bind(r.framed_ip.clone())
                    .bind(r.framed_ipv6_prefix.clone())
                    .bind(r.delegated_ipv6_prefix.clone())
                    .bind(r.calling_station_id.clone())
                    .bind(r.nas_port_id.clone())
                    .bind(r.at - r.session_time)
                    .bind(r.at)
                    .bind(None::<i64>)
                    .bind(r.input)
                    .bind(r.output)
                    .bind(r.session_time)
                    .bind(String::new());
            }
            // RETURNING order is not the VALUES order on either engine:
            // match rows back by their (NAS, Acct-Session-Id), unique in
            // this chunk.
            let inserted: HashMap<(i64, String), i64> = q
                .fetch_all(&mut *c)
                .await?
                .into_iter()
                .map(|(id, nas, session)| ((nas, session), id))
                .collect();
            for (r, contract) in chunk.iter().zip(contracts) {
                let key = (r.nas_id, r.session_id.clone());
                let Some(&id) = inserted.get(&key) else {
                    continue;
                };
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
                if let Some(k) = contract {
                    fx.sessions.push((k, 1));
                }
                self.add_usage(
                    fx,
                    &r.login,
                    contract,
                    today,
                    (r.input, r.output, r.session_time),
                );
            }
        }
        Ok(())
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
        e.0 += d.0;
        e.1 += d.1;
        e.2 += d.2;
    }

    async fn find_open(&mut self, c: &mut AnyConnection, r: &Record) -> Result<Option<Open>> {
        if let Some(o) = self.open.get(r.nas_id, &r.session_id) {
            return Ok(Some(o.clone()));
        }
        let row: Option<(i64, Option<i64>, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, contract_id, input_octets, output_octets, session_time FROM radius_sessions
              WHERE nas_id = $1 AND acct_session_id = $2 AND stopped_at IS NULL",
        )
        .bind(r.nas_id)
        .bind(&r.session_id)
        .fetch_optional(c)
        .await?;
        Ok(row.map(|(id, contract_id, input, output, time)| Open {
            id,
            contract_id,
            input,
            output,
            time,
        }))
    }

    async fn insert(
        &mut self,
        c: &mut AnyConnection,
        r: &Record,
        open: bool,
    ) -> Result<Option<i64>> {
        let contract = self.view.get(&r.login).map(|s| s.contract_id);
        let started = r.at - r.session_time;
        let stopped = (!open).then_some(r.at);
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO radius_sessions (nas_id, acct_session_id, login, contract_id, framed_ip,
                framed_ipv6_prefix, delegated_ipv6_prefix, calling_station_id, nas_port_id,
                started_at, updated_at, stopped_at, input_octets, output_octets, session_time, terminate_cause)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             ON CONFLICT (nas_id, acct_session_id) WHERE stopped_at IS NULL DO NOTHING
             RETURNING id",
        )
        .bind(r.nas_id)
        .bind(&r.session_id)
        .bind(&r.login)
        .bind(contract)
        .bind(&r.framed_ip)
        .bind(&r.framed_ipv6_prefix)
        .bind(&r.delegated_ipv6_prefix)
        .bind(&r.calling_station_id)
        .bind(&r.nas_port_id)
        .bind(started)
        .bind(r.at)
        .bind(stopped)
        .bind(r.input)
        .bind(r.output)
        .bind(r.session_time)
        .bind(&r.terminate_cause)
        .fetch_optional(c)
        .await?;
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
                    let d = |new: i64, old: i64| if new >= old { new - old } else { new };
                    let delta = (
                        d(r.input, o.input),
                        d(r.output, o.output),
                        d(r.session_time, o.time),
                    );
                    let res = sqlx::query(
                        "UPDATE radius_sessions SET updated_at = $1, input_octets = $2, output_octets = $3,
                                session_time = $4, framed_ip = COALESCE(framed_ip, $5),
                                framed_ipv6_prefix = COALESCE(framed_ipv6_prefix, $6),
                                delegated_ipv6_prefix = COALESCE(delegated_ipv6_prefix, $7),
                                stopped_at = $8, terminate_cause = $9
                          WHERE id = $10 AND stopped_at IS NULL",
                    )
                    .bind(r.at)
                    .bind(r.input)
                    .bind(r.output)
                    .bind(r.session_time)
                    .bind(&r.framed_ip)
                    .bind(&r.framed_ipv6_prefix)
                    .bind(&r.delegated_ipv6_prefix)
                    .bind(stop.then_some(r.at))
                    .bind(&r.terminate_cause)
                    .bind(o.id)
                    .execute(&mut *c)
                    .await?;
                    if res.rows_affected() == 1 {
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
                        let closed: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM radius_sessions
                              WHERE nas_id = $1 AND acct_session_id = $2 AND stopped_at IS NOT NULL
                                AND stopped_at >= $3 LIMIT 1",
                        )
                        .bind(r.nas_id)
                        .bind(&r.session_id)
                        .bind(r.at - 86_400)
                        .fetch_optional(&mut *c)
                        .await?;
                        if closed.is_some() {
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
                let closed: Vec<Option<i64>> = sqlx::query_scalar(
                    "UPDATE radius_sessions SET stopped_at = $1, updated_at = $1, terminate_cause = 'nas-reboot'
                      WHERE nas_id = $2 AND stopped_at IS NULL RETURNING contract_id",
                )
                .bind(r.at)
                .bind(r.nas_id)
                .fetch_all(&mut *c)
                .await?;
                for k in closed.into_iter().flatten() {
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
    let cutoff = store::now() - i64::from(interval) * i64::from(missed);
    let mut tx = svc.db.begin().await?;
    let closed: Vec<Option<i64>> = sqlx::query_scalar(
        "UPDATE radius_sessions SET stopped_at = updated_at, terminate_cause = 'stale'
          WHERE stopped_at IS NULL AND updated_at < $1 RETURNING contract_id",
    )
    .bind(cutoff)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    for k in closed.iter().flatten() {
        view.count_session(*k, -1);
    }
    Ok(closed.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ladder_chunks_are_powers_of_two() {
        let v: Vec<u32> = (0..300).collect();
        let sizes: Vec<usize> = super::ladder(&v, 256).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [256, 32, 8, 4]);
        let v: Vec<u32> = (0..600).collect();
        let sizes: Vec<usize> = super::ladder(&v, 256).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [256, 256, 64, 16, 8]);
        assert!(super::ladder(&v[..0], 256).is_empty());
    }
}
