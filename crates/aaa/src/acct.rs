//! Accounting: records parsed on the listener threads, written by one group
//! committer per node. The committer takes everything queued (while the
//! previous transaction committed, more arrived), writes it in one
//! transaction, and only after the commit sends the Accounting-Responses:
//! nothing acknowledged is lost by a crash (SQLite runs with
//! `synchronous = FULL`, PostgreSQL with its default `synchronous_commit`).
//!
//! Every record is idempotent, so a NAS's retransmission of an
//! unacknowledged request is harmless: a repeated Start finds the open
//! session (`ON CONFLICT … DO NOTHING`), a repeated Interim-Update sets the
//! same absolute counters (delta 0), a repeated Stop finds the session
//! already closed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use radius::{Packet, attr};
use sqlx::AnyConnection;
use tokio::sync::mpsc;

use crate::Result;
use crate::metrics::{DropReason, Metrics};
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

/// A record waiting for its commit, with the reply to send after it.
#[derive(Debug)]
pub struct Job {
    /// The record.
    pub record: Record,
    /// The encoded Accounting-Response.
    pub reply: Vec<u8>,
    /// Where it goes.
    pub peer: SocketAddr,
    /// The socket it came in on.
    pub sock: Arc<UdpSocket>,
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

/// Per batch: usage deltas per (contract, cycle) and session-count deltas.
#[derive(Default)]
struct Effects {
    usage: HashMap<(i64, String), (i64, i64, i64)>,
    sessions: Vec<(i64, i32)>,
}

/// The committer's state.
pub struct Committer {
    svc: services::Services,
    view: Arc<View>,
    metrics: Arc<Metrics>,
    open: HashMap<(i64, String), Open>,
    today: (i64, jiff::civil::Date),
}

impl Committer {
    /// A committer over `svc`.
    pub fn new(svc: services::Services, view: Arc<View>, metrics: Arc<Metrics>) -> Committer {
        Committer {
            svc,
            view,
            metrics,
            open: HashMap::new(),
            today: (0, jiff::civil::date(2000, 1, 1)),
        }
    }

    /// Runs until every sender is gone.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(4096);
        while rx.recv_many(&mut batch, 8192).await > 0 {
            self.commit_batch(&mut batch).await;
            batch.clear();
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

    async fn commit_batch(&mut self, batch: &mut [Job]) {
        let today = self.today().await;
        match self.write(batch.iter().map(|j| &j.record), today).await {
            Ok(fx) => self.done(batch.iter(), fx),
            Err(e) => {
                // The cache may hold rows of the rolled-back transaction.
                self.open.clear();
                tracing::warn!(error = %e, records = batch.len(), "accounting batch failed; retrying one by one");
                for j in batch.iter() {
                    match self.write(std::iter::once(&j.record), today).await {
                        Ok(fx) => self.done(std::iter::once(j), fx),
                        Err(e) => {
                            self.open.clear();
                            self.metrics.dropped(DropReason::AccountingFailed);
                            tracing::warn!(error = %e, session = %j.record.session_id, "accounting record not written; the NAS will retransmit");
                        }
                    }
                }
            }
        }
    }

    fn done<'a>(&self, jobs: impl Iterator<Item = &'a Job>, fx: Effects) {
        for (contract, d) in fx.sessions {
            self.view.count_session(contract, d);
        }
        for j in jobs {
            self.metrics.acct_writes.fetch_add(1, Relaxed);
            let _ = j.sock.send_to(&j.reply, j.peer);
        }
        self.metrics.acct_commits.fetch_add(1, Relaxed);
    }

    async fn write<'a>(
        &mut self,
        records: impl Iterator<Item = &'a Record>,
        today: jiff::civil::Date,
    ) -> Result<Effects> {
        let records: Vec<&Record> = records.collect();
        let mut tx = self.svc.db.begin().await?;
        let mut fx = Effects::default();
        // Fast path: Interim-Updates and Stops of sessions this node knows
        // open, written with one multi-row UPDATE per chunk instead of one
        // round trip each. A session seen twice in the batch, or a NAS
        // sending Accounting-On/Off in it, keeps the ordered slow path.
        let mut seen: HashMap<(i64, &str), usize> = HashMap::new();
        let mut reboot: Vec<i64> = Vec::new();
        for r in &records {
            *seen.entry((r.nas_id, r.session_id.as_str())).or_default() += 1;
            if matches!(r.status, Status::On | Status::Off) {
                reboot.push(r.nas_id);
            }
        }
        let mut fast: Vec<(&Record, Open)> = Vec::new();
        let mut starts: Vec<&Record> = Vec::new();
        let mut slow: Vec<&Record> = Vec::new();
        for r in &records {
            let alone = seen.get(&(r.nas_id, r.session_id.as_str())) == Some(&1)
                && !reboot.contains(&r.nas_id);
            if !alone {
                slow.push(r);
                continue;
            }
            let cached = self.open.get(&(r.nas_id, r.session_id.clone()));
            match (r.status, cached) {
                (Status::Interim | Status::Stop, Some(o)) => fast.push((r, o.clone())),
                // A repeated Start of a session this node has open: nothing
                // to write (the same answer the slow path would give).
                (Status::Start, Some(_)) => {}
                (Status::Start, None) => starts.push(r),
                _ => slow.push(r),
            }
        }
        self.insert_starts(&mut tx, &starts, today, &mut fx).await?;
        for chunk in ladder(&fast, 256) {
            let mut sql = String::from(
                "UPDATE radius_sessions SET updated_at = v.column2, input_octets = v.column3, output_octets = v.column4, session_time = v.column5, stopped_at = v.column6, terminate_cause = v.column7, framed_ip = COALESCE(radius_sessions.framed_ip, v.column8) FROM (VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 8;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${},${},${},${},${},${},${},${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                ));
            }
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
                q.fetch_all(&mut *tx).await?.into_iter().collect();
            for (r, o) in chunk {
                let key = (r.nas_id, r.session_id.clone());
                if !updated.contains(&o.id) {
                    // Closed meanwhile (stale sweep): the slow path decides.
                    self.open.remove(&key);
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
                    self.open.remove(&key);
                    if let Some(k) = o.contract_id {
                        fx.sessions.push((k, -1));
                    }
                } else {
                    self.open.insert(
                        key,
                        Open {
                            input: r.input,
                            output: r.output,
                            time: r.session_time,
                            ..o.clone()
                        },
                    );
                }
                self.add_usage(&mut fx, &r.login, o.contract_id, today, delta);
            }
        }
        for r in slow {
            self.apply(&mut tx, r, today, &mut fx).await?;
        }
        let now = store::now();
        // Sorted: concurrent committers (PostgreSQL) then lock the usage
        // rows in the same order and cannot deadlock on them.
        let mut usage: Vec<_> = fx.usage.iter().collect();
        usage.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for chunk in ladder(&usage, 256) {
            let mut sql = String::from(
                "INSERT INTO contract_usage (contract_id, cycle_start, input_octets, output_octets, session_time, updated_at) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 6;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${},${},${},${},${},${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                ));
            }
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
        tx.commit().await?;
        Ok(fx)
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
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push('(');
                for k in 1..=COLUMNS {
                    if k > 1 {
                        sql.push(',');
                    }
                    let _ = write!(sql, "${}", i * COLUMNS + k);
                }
                sql.push(')');
            }
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
                    key,
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
        let key = (r.nas_id, r.session_id.clone());
        if let Some(o) = self.open.get(&key) {
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
                (r.nas_id, r.session_id.clone()),
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
                let key = (r.nas_id, r.session_id.clone());
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
                            self.open.remove(&key);
                            if let Some(k) = o.contract_id {
                                fx.sessions.push((k, -1));
                            }
                        } else {
                            self.open.insert(
                                key.clone(),
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
                        self.open.remove(&key);
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
                self.open.retain(|(n, _), _| *n != nas);
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
