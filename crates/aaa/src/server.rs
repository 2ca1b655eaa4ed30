//! Sockets, threads and tasks.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use radius::{Code, Packet};
use services::Services;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::sync::{Notify, mpsc};

use crate::acct::{self, Committer};
use crate::auth;
use crate::journal::{self, Entry, Journal};
use crate::log::{self, Line};
use crate::metrics::{DropReason, Metrics};
use crate::nas::{self, NasTable};
use crate::view::View;
use crate::{Error, Result, coa, feed};

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct Config {
    /// Authentication address (default `0.0.0.0:1812`; port 0 picks one).
    pub auth: SocketAddr,
    /// Accounting address (default `0.0.0.0:1813`).
    pub acct: SocketAddr,
    /// Receive threads per port (0: one per core).
    pub threads: usize,
    /// The accounting journal's directory (on persistent storage: records
    /// are acknowledged once they are synced there).
    pub journal: PathBuf,
    /// Records journaled and not yet applied beyond which new
    /// Accounting-Requests go unanswered (default [`journal::MAX_BACKLOG`]).
    pub journal_max_backlog: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            auth: SocketAddr::from(([0, 0, 0, 0], 1812)),
            acct: SocketAddr::from(([0, 0, 0, 0], 1813)),
            threads: 0,
            journal: PathBuf::from("data/radius-journal"),
            journal_max_backlog: journal::MAX_BACKLOG,
        }
    }
}

/// Parsed Accounting-Requests waiting for the journal writer.
const ACCT_QUEUE: usize = 8192;

/// RFC 5080's duplicate detection window.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(10);

/// State every thread and task shares.
pub(crate) struct Shared {
    pub svc: Services,
    pub view: Arc<View>,
    pub nas: NasTable,
    pub metrics: Arc<Metrics>,
    pub log_tx: mpsc::Sender<Line>,
    /// The journal writer's queue.
    pub acct_tx: std::sync::mpsc::SyncSender<Entry>,
    pub seen_tx: mpsc::UnboundedSender<i64>,
    pub log_accepts: AtomicBool,
    pub coa_wake: Notify,
    pub feed_wake: Notify,
}

/// A running server.
pub struct Server {
    shared: Arc<Shared>,
    auth_addr: SocketAddr,
    acct_addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("auth", &self.auth_addr)
            .field("acct", &self.acct_addr)
            .finish()
    }
}

/// `n` sockets bound to the same address with SO_REUSEPORT (the kernel
/// spreads datagrams over them by source). Port 0: the first picks one,
/// the rest join it.
fn bind_group(what: &'static str, addr: SocketAddr, n: usize) -> Result<Vec<UdpSocket>> {
    let err = |source| Error::Bind { what, addr, source };
    // SO_REUSEPORT would also let a second server (another `lastmile
    // serve`, a leftover FreeRADIUS) join the group silently and take a
    // share of the requests. Binding once without it first fails with
    // "address in use" when anyone holds the port.
    if addr.port() != 0 {
        drop(UdpSocket::bind(addr).map_err(err)?);
    }
    let mut out = Vec::with_capacity(n);
    let mut at = addr;
    for _ in 0..n {
        let s =
            Socket::new(Domain::for_address(at), Type::DGRAM, Some(Protocol::UDP)).map_err(err)?;
        s.set_reuse_port(true).map_err(err)?;
        // Room for bursts while a thread is descheduled.
        let _ = s.set_recv_buffer_size(8 << 20);
        let _ = s.set_send_buffer_size(4 << 20);
        s.bind(&at.into()).map_err(err)?;
        let u: UdpSocket = s.into();
        // The loop wakes periodically to notice a stop.
        u.set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(err)?;
        if at.port() == 0 {
            at = u.local_addr().map_err(err)?;
        }
        out.push(u);
    }
    Ok(out)
}

impl Server {
    /// Binds the ports, loads the NAS table and the subscriber view and
    /// replays the journal (at once), and starts every thread and task.
    /// Returns once requests are answered.
    pub async fn start(svc: &Services, config: Config) -> Result<Server> {
        let started = Instant::now();
        let metrics = Arc::new(Metrics::default());
        let threads = match config.threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
        .clamp(1, 64);
        // Bound first: a port held by another process fails the start at
        // once, and requests arriving while the view loads wait in the
        // sockets' buffers (answered as soon as the threads start) instead
        // of meeting a closed port.
        let auth_socks = bind_group("authentication", config.auth, threads)?;
        let acct_socks = bind_group("accounting", config.acct, threads.min(2))?;
        // Events after this id are replayed on top of the loaded view, so
        // nothing changed during the load is missed.
        let feed_from = feed::last_event_id(svc).await?;
        let nas = NasTable::default();
        let (log_tx, log_rx) = mpsc::channel(log::QUEUE);
        // Records journaled before a stop or crash and not yet applied go
        // to the committer first.
        let journal_err = |source| Error::Journal {
            dir: config.journal.clone(),
            source,
        };
        let node = Journal::node_id(&config.journal).map_err(journal_err)?;
        let replay = async {
            let applied = journal::applied(svc, &node).await?;
            let (dir, node) = (config.journal.clone(), node.clone());
            let (journal, pending) =
                tokio::task::spawn_blocking(move || Journal::replay(&dir, node, applied))
                    .await
                    .map_err(|e| Error::Internal(e.to_string()))?
                    .map_err(journal_err)?;
            Ok::<_, Error>((applied, journal, pending))
        };
        let log_accepts = async {
            Ok::<_, Error>(
                services::system::settings::current(svc)
                    .await?
                    .bool(domain::system::settings::RADIUS_LOG_ACCEPTS),
            )
        };
        // Independent, so at once (each on a pooled connection of its own).
        let (view, (), (applied, journal, pending), log_accepts) = tokio::try_join!(
            View::load(svc, metrics.clone()),
            nas.reload(svc),
            replay,
            log_accepts,
        )?;
        let view = Arc::new(view);
        let loaded_ms = started.elapsed().as_millis() as u64;
        metrics.acct_journaled.fetch_add(pending, Relaxed);
        // A bounded std channel is a ring of slots allocated up front and
        // touched as it turns: 65,536 entries of ~330 bytes became 21 MB of
        // RSS after the first burst. The writer drains it at every sync, so
        // a few thousand slots hold any NAS window; beyond them requests are
        // dropped (and counted) for the NAS to retransmit.
        let (acct_tx, journal_rx) = std::sync::mpsc::sync_channel::<Entry>(ACCT_QUEUE);
        let (written_tx, written_rx) = tokio::sync::watch::channel(journal::Position {
            segment: journal.segment(),
            offset: 0,
        });
        metrics
            .acct_backlog_limit
            .store(config.journal_max_backlog.max(1), Relaxed);
        let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<i64>();
        let shared = Arc::new(Shared {
            svc: svc.clone(),
            view: view.clone(),
            nas,
            metrics: metrics.clone(),
            log_tx,
            acct_tx,
            seen_tx,
            log_accepts: AtomicBool::new(log_accepts),
            coa_wake: Notify::new(),
            feed_wake: Notify::new(),
        });
        let auth_addr = auth_socks[0]
            .local_addr()
            .map_err(|e| Error::Internal(e.to_string()))?;
        let acct_addr = acct_socks[0]
            .local_addr()
            .map_err(|e| Error::Internal(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        let mut tasks_first = Vec::new();
        for (i, s) in auth_socks.into_iter().enumerate() {
            let sh = shared.clone();
            let st = stop.clone();
            handles.push(
                std::thread::Builder::new()
                    .name(format!("radius-auth-{i}"))
                    .spawn(move || auth_loop(s, sh, st))
                    .map_err(|e| Error::Internal(e.to_string()))?,
            );
        }
        {
            let m = metrics.clone();
            let st = stop.clone();
            let node = journal.node().to_owned();
            let dir = journal.dir().to_owned();
            handles.push(
                std::thread::Builder::new()
                    .name("radius-journal".into())
                    .spawn(move || journal::writer(journal, journal_rx, written_tx, m, st))
                    .map_err(|e| Error::Internal(e.to_string()))?,
            );
            let tail = journal::Tail::new(&dir, applied);
            let committer = Committer::new(svc.clone(), view.clone(), metrics.clone())
                .with_journal(node, dir)
                .map_err(journal_err)?;
            tasks_first.push(tokio::spawn(committer.run_journal(tail, written_rx)));
        }
        for (i, s) in acct_socks.into_iter().enumerate() {
            let sh = shared.clone();
            let st = stop.clone();
            handles.push(
                std::thread::Builder::new()
                    .name(format!("radius-acct-{i}"))
                    .spawn(move || acct_loop(Arc::new(s), sh, st))
                    .map_err(|e| Error::Internal(e.to_string()))?,
            );
        }
        let mut tasks = tasks_first;
        tasks.push(tokio::spawn(log::writer(
            svc.clone(),
            log_rx,
            metrics.clone(),
        )));
        {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                while let Some(id) = seen_rx.recv().await {
                    if let Err(e) = nas::mark_seen(&svc, id).await {
                        tracing::warn!(nas = id, error = %e, "cannot record that the NAS sends Message-Authenticator");
                    }
                }
            }));
        }
        tasks.push(tokio::spawn(feed::run(shared.clone(), feed_from)));
        tasks.push(tokio::spawn(feed::housekeeping(shared.clone())));
        if svc.db.engine() == services::Engine::Postgres {
            tasks.push(tokio::spawn(feed::listen(shared.clone())));
        }
        tasks.push(tokio::spawn(coa::sender(shared.clone())));
        tracing::info!(
            auth = %auth_addr,
            acct = %acct_addr,
            threads,
            subscribers = metrics.subscribers.load(Relaxed),
            loaded_ms,
            ms = started.elapsed().as_millis() as u64,
            "RADIUS server ready"
        );
        Ok(Server {
            shared,
            auth_addr,
            acct_addr,
            stop,
            threads: handles,
            tasks,
        })
    }

    /// The bound authentication address.
    pub fn auth_addr(&self) -> SocketAddr {
        self.auth_addr
    }

    /// The bound accounting address.
    pub fn acct_addr(&self) -> SocketAddr {
        self.acct_addr
    }

    /// The counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.shared.metrics
    }

    /// The subscriber view.
    pub fn view(&self) -> &Arc<View> {
        &self.shared.view
    }

    /// Waits until every accounting record acknowledged so far is in the
    /// database (tests, benchmarks, an orderly stop).
    pub async fn settled(&self) {
        while self.shared.metrics.acct_backlog() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Re-reads the NAS table now (it is also re-read every few seconds).
    pub async fn reload_nas(&self) -> Result<()> {
        self.shared.nas.reload(&self.shared.svc).await
    }

    /// Wakes the CoA sender (it also polls every second).
    pub fn wake_coa(&self) {
        self.shared.coa_wake.notify_one();
    }

    /// Appends the Prometheus text of the counters.
    pub fn render_metrics(&self, out: &mut String) {
        self.shared.metrics.render(out);
    }

    /// Stops threads and tasks. Accounting not yet journaled was never
    /// acknowledged (the NAS retransmits it); journaled records not yet
    /// applied are replayed at the next start.
    pub async fn stop(self) {
        self.stop.store(true, Relaxed);
        for t in &self.tasks {
            t.abort();
        }
        let threads = self.threads;
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
    }
}

struct Cached {
    authenticator: [u8; 16],
    reply: Vec<u8>,
    at: Instant,
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
    )
}

/// One auth thread: receive, decide from memory, send. SO_REUSEPORT hashes
/// by source, so a NAS's retransmissions reach the same thread and its
/// reply cache.
fn auth_loop(sock: UdpSocket, sh: Arc<Shared>, stop: Arc<AtomicBool>) {
    let mut buf = [0u8; radius::MAX_PACKET_LEN];
    let mut cache: HashMap<(SocketAddr, u8), Cached> = HashMap::with_capacity(1024);
    let mut swept = Instant::now();
    while !stop.load(Relaxed) {
        if swept.elapsed() > Duration::from_secs(1) {
            cache.retain(|_, c| c.at.elapsed() < DUPLICATE_WINDOW);
            swept = Instant::now();
        }
        let (n, peer) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e) if timed_out(&e) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "RADIUS auth receive failed");
                continue;
            }
        };
        let t0 = Instant::now();
        let Some(nas) = sh.nas.get(peer.ip()) else {
            sh.metrics.dropped(DropReason::UnknownClient);
            continue;
        };
        let data = &buf[..n];
        if n < radius::HEADER_LEN {
            sh.metrics.dropped(DropReason::Malformed);
            continue;
        }
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&data[4..20]);
        if let Some(c) = cache.get(&(peer, data[1]))
            && c.authenticator == authenticator
            && c.at.elapsed() < DUPLICATE_WINDOW
        {
            sh.metrics.duplicates.fetch_add(1, Relaxed);
            let _ = sock.send_to(&c.reply, peer);
            continue;
        }
        let req = match Packet::decode(data, &nas.secret) {
            Ok(p) => p,
            Err(_) => {
                sh.metrics.dropped(DropReason::Malformed);
                continue;
            }
        };
        if req.verify_request_authenticator().is_err() {
            sh.metrics.dropped(DropReason::BadAuthenticator);
            continue;
        }
        let has_ma = req.has_message_authenticator();
        let reply = match req.code {
            Code::AccessRequest => {
                sh.metrics.auth_requests.fetch_add(1, Relaxed);
                // BlastRADIUS: never answer such a request; tell staff why.
                // Proxy-State without Message-Authenticator is dropped too
                // (the published mitigation, FreeRADIUS's
                // limit_proxy_state): NAS are not proxies, and the attack
                // hides its collision blob in Proxy-State.
                let proxy_state = req.find(radius::attr::PROXY_STATE.id).is_some();
                if !has_ma && (proxy_state || nas.requires_message_authenticator()) {
                    sh.metrics.dropped(DropReason::MissingMessageAuthenticator);
                    log::push(
                        &sh.log_tx,
                        &sh.metrics,
                        Line {
                            at: services::now(),
                            nas_id: nas.id,
                            login: req.get(radius::attr::USER_NAME).unwrap_or_default(),
                            contract_id: None,
                            method: auth::method_name(radius::auth::Method::of(&req)),
                            result: "reject",
                            reason: crate::metrics::Reason::MissingMessageAuthenticator.code(),
                            calling_station_id: req
                                .get(radius::attr::CALLING_STATION_ID)
                                .unwrap_or_default(),
                        },
                    );
                    continue;
                }
                if has_ma && !nas.seen_message_authenticator.swap(true, Relaxed) {
                    let _ = sh.seen_tx.send(nas.id);
                }
                let out = auth::decide(&req, &nas, &sh.view);
                let result = match (&out.reason, out.restricted) {
                    (None, _) => "accept",
                    (Some(_), true) => "restricted",
                    (Some(_), false) => "reject",
                };
                match result {
                    "reject" => {
                        if let Some(r) = out.reason {
                            sh.metrics.reject(r);
                        }
                    }
                    _ => {
                        sh.metrics.accepts.fetch_add(1, Relaxed);
                        if out.restricted {
                            sh.metrics.restricted.fetch_add(1, Relaxed);
                        }
                    }
                }
                if result != "accept" || sh.log_accepts.load(Relaxed) {
                    log::push(
                        &sh.log_tx,
                        &sh.metrics,
                        Line {
                            at: services::now(),
                            nas_id: nas.id,
                            login: req.get(radius::attr::USER_NAME).unwrap_or_default(),
                            contract_id: out.contract_id,
                            method: auth::method_name(out.method),
                            result,
                            reason: out.reason.map_or("", |r| r.code()),
                            calling_station_id: req
                                .get(radius::attr::CALLING_STATION_ID)
                                .unwrap_or_default(),
                        },
                    );
                }
                out.reply
            }
            Code::StatusServer => {
                // RFC 5997: Status-Server on the auth port gets an Access-Accept.
                let mut r = req.make_response(Code::AccessAccept);
                r.add_message_authenticator();
                r
            }
            _ => {
                sh.metrics.dropped(DropReason::UnexpectedCode);
                continue;
            }
        };
        // The reply goes into the buffer of the entry it replaces in the
        // duplicate cache (a NAS reuses its identifiers), not a new one.
        let key = (peer, data[1]);
        let mut wire = cache.remove(&key).map(|c| c.reply).unwrap_or_default();
        if let Err(e) = reply.encode_into(&nas.secret, &mut wire) {
            tracing::warn!(error = %e, "cannot encode a RADIUS reply");
            continue;
        }
        let _ = sock.send_to(&wire, peer);
        sh.metrics.observe(t0.elapsed());
        cache.insert(
            key,
            Cached {
                authenticator,
                reply: wire,
                at: t0,
            },
        );
    }
}

/// One accounting thread: verify, parse, queue for the journal writer
/// (which answers once the record is synced).
fn acct_loop(sock: Arc<UdpSocket>, sh: Arc<Shared>, stop: Arc<AtomicBool>) {
    let mut buf = [0u8; radius::MAX_PACKET_LEN];
    while !stop.load(Relaxed) {
        let (n, peer) = match sock.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e) if timed_out(&e) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "RADIUS accounting receive failed");
                continue;
            }
        };
        let Some(nas) = sh.nas.get(peer.ip()) else {
            sh.metrics.dropped(DropReason::UnknownClient);
            continue;
        };
        let req = match Packet::decode(&buf[..n], &nas.secret) {
            Ok(p) => p,
            Err(_) => {
                sh.metrics.dropped(DropReason::Malformed);
                continue;
            }
        };
        if req.verify_request_authenticator().is_err() {
            sh.metrics.dropped(DropReason::BadAuthenticator);
            continue;
        }
        let reply = match req.code {
            Code::AccountingRequest => req.make_response(Code::AccountingResponse),
            Code::StatusServer => {
                let r = req.make_response(Code::AccountingResponse);
                if let Ok(w) = r.encode(&nas.secret) {
                    let _ = sock.send_to(&w, peer);
                }
                continue;
            }
            _ => {
                sh.metrics.dropped(DropReason::UnexpectedCode);
                continue;
            }
        };
        sh.metrics.acct_requests.fetch_add(1, Relaxed);
        // No Message-Authenticator here: BlastRADIUS concerns Access-*
        // replies, the Response Authenticator already signs this one, and
        // FreeRADIUS clients compute the attribute over Accounting-Response
        // differently (radclient rejects the RFC 3579 spelling).
        let Some(record) = acct::parse(&req, nas.id, services::now()) else {
            // Nothing to store (an unknown status type): acknowledge.
            if let Ok(w) = reply.encode(&nas.secret) {
                let _ = sock.send_to(&w, peer);
            }
            continue;
        };
        if let Err(why) = record.check() {
            // Acknowledged and journaled all the same: the committer keeps
            // it in the dead letters, so nothing the NAS sent is lost and
            // nothing impossible reaches usage.
            sh.metrics.acct_invalid.fetch_add(1, Relaxed);
            tracing::warn!(nas = nas.id, session = %record.session_id, login = %record.login, reason = %why,
                "Accounting-Request with impossible counters");
        }
        let Ok(wire) = reply.encode(&nas.secret) else {
            continue;
        };
        let mut frame = Vec::with_capacity(160);
        journal::encode_frame(&record, &mut frame);
        let entry = Entry {
            frame,
            reply: wire,
            peer,
            sock: sock.clone(),
        };
        if sh.acct_tx.try_send(entry).is_err() {
            sh.metrics.dropped(DropReason::AccountingBacklog);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_port_held_by_another_socket_is_refused_not_shared() {
        let holder = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = holder.local_addr().unwrap();
        let err = super::bind_group("authentication", addr, 2).unwrap_err();
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
        drop(holder);
        assert_eq!(
            super::bind_group("authentication", addr, 2).unwrap().len(),
            2
        );
    }
}
