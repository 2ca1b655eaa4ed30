//! The load loop: each thread owns a group of connected UDP sockets and
//! keeps up to 256 requests in flight per socket, matched back by
//! (socket, identifier). Closed loop keeps a fixed window outstanding; open
//! loop sends at a fixed rate whatever the replies do.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant, SystemTime};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use crate::hist::Histogram;
use crate::users::User;
use crate::wire::{AcctSession, AcctStatus, Builder, Expect, Mode, Problem, Rng};

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Server address (authentication or accounting port).
    pub server: SocketAddr,
    /// Shared secret.
    pub secret: Vec<u8>,
    /// Request kind.
    pub mode: Mode,
    /// Outstanding requests in closed loop (spread over the sockets).
    pub window: usize,
    /// UDP sockets (each has its own 256 identifiers).
    pub sockets: usize,
    /// Threads; the sockets are split between them.
    pub threads: usize,
    /// Measured time (after warm-up); `None` with `requests` set.
    pub duration: Option<Duration>,
    /// Stop after this many measured requests.
    pub requests: Option<u64>,
    /// Time run before measuring; its replies are not counted.
    pub warmup: Duration,
    /// Open loop: requests per second in total; `None` for closed loop.
    pub rate: Option<f64>,
    /// A request without reply after this long counts as lost (requests
    /// are never retransmitted).
    pub timeout: Duration,
    /// Interim-Updates per accounting session, between Start and Stop.
    pub acct_interims: u32,
    /// Accounting sends only Starts of new sessions (to leave sessions
    /// online), one per user in file order.
    pub acct_start_only: bool,
    /// NAS-IP-Address sent.
    pub nas_ip: [u8; 4],
}

/// Counters and latencies of a run (or of one thread of it).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Requests sent while measuring.
    pub sent: u64,
    /// Verified replies of the expected kind to measured requests.
    pub ok: u64,
    /// Verified replies that arrived inside the measured window (the
    /// throughput figure in duration mode).
    pub ok_in_window: u64,
    /// Measured requests without a reply within the timeout.
    pub lost: u64,
    /// Replies whose identifier had no request outstanding (after a
    /// timeout, or duplicates).
    pub late: u64,
    /// Replies that failed verification, by [`Problem::index`].
    pub problems: [u64; 6],
    /// Verified replies without Message-Authenticator.
    pub missing_message_authenticator: u64,
    /// ICMP port unreachable seen (nothing listening).
    pub refused: u64,
    /// Open loop: sends skipped because all identifiers were in flight.
    pub overruns: u64,
    /// Sends the kernel refused.
    pub send_errors: u64,
    /// Open loop: the latest a send left after its scheduled time.
    pub max_send_lag: Duration,
    /// Latency of every verified reply, in nanoseconds.
    pub hist: Histogram,
    /// Measured time: the window in duration mode, first send to last
    /// reply in count mode.
    pub elapsed: Duration,
}

impl Stats {
    /// Replies that failed verification.
    pub fn errors(&self) -> u64 {
        self.problems.iter().sum()
    }

    fn merge(&mut self, o: &Stats) {
        self.sent += o.sent;
        self.ok += o.ok;
        self.ok_in_window += o.ok_in_window;
        self.lost += o.lost;
        self.late += o.late;
        for (a, b) in self.problems.iter_mut().zip(o.problems) {
            *a += b;
        }
        self.missing_message_authenticator += o.missing_message_authenticator;
        self.refused += o.refused;
        self.overruns += o.overruns;
        self.send_errors += o.send_errors;
        self.max_send_lag = self.max_send_lag.max(o.max_send_lag);
        self.hist.merge(&o.hist);
        self.elapsed = self.elapsed.max(o.elapsed);
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration is inconsistent.
    #[error("{0}")]
    Config(String),
    /// A socket could not be set up.
    #[error("socket: {0}")]
    Io(#[from] io::Error),
}

#[derive(Clone, Copy)]
struct Slot {
    busy: bool,
    measured: bool,
    sent: Instant,
    lane: u32,
    expect: Expect,
}

struct Sock {
    slots: Vec<Slot>,
    /// Free identifiers, oldest first: an identifier is reused as late as
    /// possible, so a very late reply rarely meets a new request.
    free: VecDeque<u8>,
    busy: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Warmup,
    Measure,
    Drain,
}

/// Opens a non-blocking UDP socket connected to `server`, so the kernel
/// drops datagrams from anyone else.
pub fn connect(server: SocketAddr) -> io::Result<UdpSocket> {
    let any: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let udp = UdpSocket::bind(any)?;
    udp.connect(server)?;
    udp.set_nonblocking(true)?;
    Ok(udp)
}

fn unix_now() -> u32 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// Runs the load described by `cfg` over `users` and returns the merged
/// statistics of all threads.
pub fn run(cfg: &Config, users: &[User]) -> Result<Stats, RunError> {
    if users.is_empty() {
        return Err(RunError::Config("no users".into()));
    }
    if cfg.sockets == 0 || cfg.threads == 0 || cfg.threads > cfg.sockets {
        return Err(RunError::Config(
            "need at least one socket per thread".into(),
        ));
    }
    if cfg.rate.is_none() && (cfg.window < cfg.sockets || cfg.window > 256 * cfg.sockets) {
        return Err(RunError::Config(format!(
            "window {} must be between the socket count ({}) and 256 per socket",
            cfg.window, cfg.sockets
        )));
    }
    if cfg.duration.is_none() && cfg.requests.is_none() {
        return Err(RunError::Config(
            "give a duration or a request count".into(),
        ));
    }
    if cfg.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(RunError::Config("rate must be a positive number".into()));
    }
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    // One prefix per run keeps Acct-Session-Ids unique across runs.
    let prefix = Rng::new(seed).next_u64() as u32;
    let builder = Builder::new(&cfg.secret, cfg.nas_ip, prefix);
    let start = Instant::now();
    let results: Vec<io::Result<Stats>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..cfg.threads)
            .map(|t| {
                let share =
                    |total: usize| total / cfg.threads + usize::from(t < total % cfg.threads);
                let part = Part {
                    thread: t,
                    sockets: share(cfg.sockets),
                    window: share(cfg.window),
                    rate: cfg.rate.map(|r| r / cfg.threads as f64),
                    quota: cfg.requests.map(|n| {
                        n / cfg.threads as u64 + u64::from((t as u64) < n % cfg.threads as u64)
                    }),
                    seed: seed ^ (t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                };
                let builder = builder.clone();
                scope.spawn(move || Worker::new(cfg, users, builder, part, start)?.run())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("load thread panicked")))
            })
            .collect()
    });
    let mut total = Stats::default();
    for r in results {
        total.merge(&r?);
    }
    Ok(total)
}

struct Part {
    thread: usize,
    sockets: usize,
    window: usize,
    rate: Option<f64>,
    quota: Option<u64>,
    seed: u64,
}

struct Worker<'a> {
    cfg: &'a Config,
    users: &'a [User],
    builder: Builder,
    part: Part,
    start: Instant,
    socks: Vec<Sock>,
    /// The sockets, apart from their state so that `poll` can borrow them
    /// for the whole run while the state changes.
    udps: Vec<UdpSocket>,
    buf: Vec<u8>,
    rng: Rng,
    /// Accounting sessions (closed loop: one per outstanding request).
    lanes: Vec<AcctSession>,
    lane_sock: Vec<usize>,
    idle: VecDeque<u32>,
    next_user: usize,
    next_session: u64,
    stats: Stats,
    busy: usize,
    phase: Phase,
    measured_sent: u64,
    last_ok: Instant,
}

impl<'a> Worker<'a> {
    fn new(
        cfg: &'a Config,
        users: &'a [User],
        builder: Builder,
        part: Part,
        start: Instant,
    ) -> io::Result<Worker<'a>> {
        let mut socks = Vec::with_capacity(part.sockets);
        let mut udps = Vec::with_capacity(part.sockets);
        for _ in 0..part.sockets {
            udps.push(connect(cfg.server)?);
            socks.push(Sock {
                slots: vec![
                    Slot {
                        busy: false,
                        measured: false,
                        sent: start,
                        lane: 0,
                        expect: Expect {
                            authenticator: [0; 16],
                            code: 0,
                            mschap2_success: None,
                        },
                    };
                    256
                ],
                free: (0..=255u8).collect(),
                busy: 0,
            });
        }
        // Open loop cycles over more sessions than could be in flight, so
        // one session's requests stay in order in practice.
        let lanes = if part.rate.is_some() {
            4096
        } else {
            part.window
        };
        // Threads start at different users so they do not all log in the
        // same subscriber at once.
        let next_user = part.thread * (users.len() / cfg.threads);
        let mut w = Worker {
            cfg,
            users,
            builder,
            start,
            socks,
            udps,
            buf: Vec::with_capacity(4096),
            rng: Rng::new(part.seed),
            lanes: Vec::with_capacity(lanes),
            lane_sock: (0..lanes).map(|i| i % part.sockets).collect(),
            idle: (0..lanes as u32).collect(),
            next_user,
            next_session: (part.thread as u64) << 40,
            stats: Stats::default(),
            busy: 0,
            phase: Phase::Warmup,
            measured_sent: 0,
            last_ok: start,
            part,
        };
        for _ in 0..lanes {
            let s = w.new_session();
            w.lanes.push(s);
        }
        Ok(w)
    }

    fn take_user(&mut self) -> usize {
        let u = self.next_user % self.users.len();
        self.next_user = u + 1;
        u
    }

    fn new_session(&mut self) -> AcctSession {
        let number = self.next_session;
        self.next_session += 1;
        // Counted Starts take their user when sent, so the first N sent
        // are N different users whichever lanes they go out on.
        let user = if self.cfg.acct_start_only {
            0
        } else {
            self.take_user() as u32
        };
        AcctSession {
            number,
            user,
            status: AcctStatus::Start,
            session_time: 0,
            input: 0,
            output: 0,
        }
    }

    /// The session's next request once this one is sent: Start, then the
    /// interims with growing counters (past 4 GiB, so Gigawords are used),
    /// then Stop, then a new session.
    fn advance(&mut self, lane: usize) {
        let s = self.lanes[lane];
        let next_step = |s: AcctSession, status| AcctSession {
            status,
            session_time: s.session_time + 300,
            input: s.input + 3_000_000_000 + s.number % 1000,
            output: s.output + 7_000_000_000 + s.number % 777,
            ..s
        };
        let interims_done = s.session_time / 300;
        self.lanes[lane] = match s.status {
            _ if self.cfg.acct_start_only => self.new_session(),
            AcctStatus::Stop => self.new_session(),
            AcctStatus::Start | AcctStatus::Interim if interims_done < self.cfg.acct_interims => {
                next_step(s, AcctStatus::Interim)
            }
            AcctStatus::Start | AcctStatus::Interim => next_step(s, AcctStatus::Stop),
        };
    }

    /// Sends the next request of `lane` on socket `si`. False when the
    /// socket has no free identifier.
    fn send(&mut self, udp: &UdpSocket, si: usize, lane: u32) -> bool {
        let Some(id) = self.socks[si].free.pop_front() else {
            return false;
        };
        let expect = if self.cfg.mode == Mode::Acct {
            let l = lane as usize;
            if self.cfg.acct_start_only {
                self.lanes[l].user = self.take_user() as u32;
            }
            let s = self.lanes[l];
            let e = self.builder.accounting_request(
                &mut self.buf,
                id,
                &self.users[s.user as usize],
                &s,
                unix_now(),
            );
            self.advance(l);
            e
        } else {
            let u = self.take_user();
            self.builder.access_request(
                &mut self.buf,
                self.cfg.mode,
                id,
                &self.users[u],
                u as u32,
                &mut self.rng,
            )
        };
        let measured = self.phase == Phase::Measure;
        if let Err(e) = udp.send(&self.buf) {
            if e.kind() == io::ErrorKind::ConnectionRefused {
                self.stats.refused += 1;
            } else {
                self.stats.send_errors += 1;
            }
            // Left outstanding: it times out and counts as lost, which
            // keeps a dead server from turning this loop into a spin.
        }
        let sock = &mut self.socks[si];
        sock.slots[usize::from(id)] = Slot {
            busy: true,
            measured,
            sent: Instant::now(),
            lane,
            expect,
        };
        sock.busy += 1;
        self.busy += 1;
        if measured {
            self.stats.sent += 1;
            self.measured_sent += 1;
        }
        true
    }

    fn quota_reached(&self) -> bool {
        self.part.quota.is_some_and(|q| self.measured_sent >= q)
    }

    fn complete(&mut self, si: usize, id: u8, lane: u32) {
        let sock = &mut self.socks[si];
        sock.slots[usize::from(id)].busy = false;
        sock.free.push_back(id);
        sock.busy -= 1;
        self.busy -= 1;
        if self.part.rate.is_none() && self.phase != Phase::Drain {
            self.idle.push_back(lane);
        }
    }

    fn on_reply(&mut self, si: usize, reply: &[u8], now: Instant) {
        let Some(&id) = reply.get(1) else {
            self.stats.problems[Problem::Malformed.index()] += 1;
            return;
        };
        let slot = self.socks[si].slots[usize::from(id)];
        if !slot.busy {
            self.stats.late += 1;
            return;
        }
        let verdict = self.builder.verify_reply(reply, &slot.expect);
        self.complete(si, id, slot.lane);
        if verdict.is_ok() && self.phase == Phase::Measure {
            self.stats.ok_in_window += 1;
        }
        if !slot.measured {
            return;
        }
        match verdict {
            Ok(has_ma) => {
                self.stats.ok += 1;
                self.last_ok = now;
                let ns = now.saturating_duration_since(slot.sent).as_nanos();
                self.stats
                    .hist
                    .record(u64::try_from(ns).unwrap_or(u64::MAX));
                // Accounting-Response rarely carries one; only count Accepts.
                if !has_ma && slot.expect.code == crate::wire::ACCESS_ACCEPT {
                    self.stats.missing_message_authenticator += 1;
                }
            }
            Err(p) => self.stats.problems[p.index()] += 1,
        }
    }

    fn expire(&mut self, now: Instant) {
        for si in 0..self.socks.len() {
            if self.socks[si].busy == 0 {
                continue;
            }
            for id in 0..=255u8 {
                let slot = self.socks[si].slots[usize::from(id)];
                if slot.busy && now.saturating_duration_since(slot.sent) >= self.cfg.timeout {
                    if slot.measured {
                        self.stats.lost += 1;
                    }
                    self.complete(si, id, slot.lane);
                }
            }
        }
    }

    fn run(mut self) -> io::Result<Stats> {
        // Precise wake-ups matter for open-loop pacing; best effort.
        let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1000));
        let cfg = self.cfg;
        let warm_end = self.start + cfg.warmup;
        let mut measure_start = warm_end;
        let mut measure_end = None;
        let interval = self.part.rate.map(|r| Duration::from_secs_f64(1.0 / r));
        let mut next_due = self.start;
        let mut rr = 0usize;
        let mut next_expiry = self.start;
        let expiry_every =
            (cfg.timeout / 4).clamp(Duration::from_millis(1), Duration::from_millis(20));
        let mut buf = [0u8; 4096];
        let mut drain_deadline = None;
        let udps = std::mem::take(&mut self.udps);
        let mut fds: Vec<PollFd<'_>> = udps.iter().map(|u| PollFd::new(u, PollFlags::IN)).collect();
        loop {
            let now = Instant::now();
            if self.phase == Phase::Warmup && now >= warm_end {
                self.phase = Phase::Measure;
                measure_start = now;
                self.stats = Stats::default();
                self.last_ok = now;
            }
            if self.phase == Phase::Measure
                && (cfg.duration.is_some_and(|d| now >= measure_start + d) || self.quota_reached())
            {
                self.phase = Phase::Drain;
                measure_end = Some(now);
                self.idle.clear();
                drain_deadline = Some(now + cfg.timeout + Duration::from_millis(10));
            }
            if self.phase == Phase::Drain
                && (self.busy == 0 || drain_deadline.is_some_and(|d| now >= d))
            {
                break;
            }
            if self.phase != Phase::Drain {
                if let Some(iv) = interval {
                    while next_due <= now && !self.quota_reached() {
                        let lag = now - next_due;
                        self.stats.max_send_lag = self.stats.max_send_lag.max(lag);
                        let lane = (rr % self.lanes.len()) as u32;
                        let n = self.socks.len();
                        let sent = (0..n).any(|k| {
                            let si = (rr + k) % n;
                            self.send(&udps[si], si, lane)
                        });
                        if !sent {
                            self.stats.overruns += 1;
                        }
                        rr += 1;
                        next_due += iv;
                    }
                } else {
                    while !self.quota_reached() {
                        let Some(lane) = self.idle.pop_front() else {
                            break;
                        };
                        let si = self.lane_sock[lane as usize];
                        if !self.send(&udps[si], si, lane) {
                            // Cannot happen (a lane holds at most one
                            // identifier), but never spin on it.
                            self.idle.push_front(lane);
                            break;
                        }
                    }
                }
            }
            let now = Instant::now();
            let mut wait = next_expiry.saturating_duration_since(now);
            if interval.is_some() && self.phase != Phase::Drain {
                wait = wait.min(next_due.saturating_duration_since(now));
            }
            if let Some(d) = drain_deadline {
                wait = wait.min(d.saturating_duration_since(now));
            }
            if self.phase == Phase::Warmup {
                wait = wait.min(warm_end.saturating_duration_since(now));
            }
            if let Some(d) = cfg.duration
                && self.phase == Phase::Measure
            {
                wait = wait.min((measure_start + d).saturating_duration_since(now));
            }
            match poll(&mut fds, Some(&timespec(wait))) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
            let now = Instant::now();
            for si in 0..fds.len() {
                if fds[si].revents().is_empty() {
                    continue;
                }
                loop {
                    match udps[si].recv(&mut buf) {
                        Ok(n) => self.on_reply(si, &buf[..n], now),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                            self.stats.refused += 1;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            if now >= next_expiry {
                self.expire(now);
                next_expiry = now + expiry_every;
            }
        }
        let end = measure_end.unwrap_or_else(Instant::now);
        self.stats.elapsed = if cfg.duration.is_some() {
            end.saturating_duration_since(measure_start)
        } else {
            self.last_ok.saturating_duration_since(measure_start)
        };
        Ok(self.stats)
    }
}

/// Sends one request every `every` until a verified reply of the expected
/// kind arrives or `deadline` passes: how long a starting server takes to
/// answer. Returns the time from the call to that reply.
pub fn probe(
    cfg: &Config,
    user: &User,
    every: Duration,
    deadline: Duration,
) -> io::Result<Option<Duration>> {
    let start = Instant::now();
    let builder = Builder::new(&cfg.secret, cfg.nas_ip, 0x7072_6f62);
    let udp = connect(cfg.server)?;
    let mut rng = Rng::new(start.elapsed().as_nanos() as u64 ^ 0x5eed);
    let mut out = Vec::with_capacity(4096);
    let mut buf = [0u8; 4096];
    let mut id = 0u8;
    // Expectations of every request sent so far, by identifier: a slow
    // first answer still counts.
    let mut sent: Vec<Option<Expect>> = vec![None; 256];
    while start.elapsed() < deadline {
        id = id.wrapping_add(1);
        let expect = if cfg.mode == Mode::Acct {
            let s = AcctSession {
                number: u64::from(id),
                user: 0,
                status: AcctStatus::Start,
                session_time: 0,
                input: 0,
                output: 0,
            };
            builder.accounting_request(&mut out, id, user, &s, unix_now())
        } else {
            builder.access_request(&mut out, cfg.mode, id, user, 1, &mut rng)
        };
        sent[usize::from(id)] = Some(expect);
        // Refused while nothing listens yet: try again next round.
        let _ = udp.send(&out);
        let round = Instant::now();
        while round.elapsed() < every {
            let left = every.saturating_sub(round.elapsed());
            let mut fds = [PollFd::new(&udp, PollFlags::IN)];
            match poll(&mut fds, Some(&timespec(left))) {
                Ok(0) => break,
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
            match udp.recv(&mut buf) {
                Ok(n) => {
                    let got = &buf[..n];
                    if let Some(Some(exp)) = got.get(1).map(|i| sent[usize::from(*i)])
                        && builder.verify_reply(got, &exp).is_ok()
                    {
                        return Ok(Some(start.elapsed()));
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    // Nothing listening yet: wait out the round.
                    std::thread::sleep(left.min(Duration::from_millis(2)));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(None)
}
