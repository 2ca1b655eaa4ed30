//! radload against a small RADIUS responder built with the radius crate:
//! every mode, open and closed loop, lost and forged replies, the probe.

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use radius::auth::{Method, chap, mschap2, pap};
use radius::{Code, Packet, attr};
use radload::engine::{self, Config, Stats};
use radload::users::{self, User};
use radload::wire::Mode;

const SECRET: &[u8] = b"test-secret";

fn users() -> Vec<User> {
    let csv: String = std::iter::once("login,password,contract_status\n".to_owned())
        .chain((0..50).map(|i| {
            let status = if i % 10 == 9 { "suspended" } else { "active" };
            format!("user{i:03}@isp,pw-{i}-{},{status}\n", i * 7919 % 1000)
        }))
        .collect();
    users::parse(&csv, Some("active")).expect("users parse")
}

#[derive(Default)]
struct Seen {
    session_ids: HashSet<String>,
    acct_users: HashSet<String>,
    requests: u64,
}

struct Responder {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.join().expect("responder thread");
        }
    }
}

/// Answers like a NAS-facing server: verifies each request and the
/// password, accepts with a Message-Authenticator first and a Mikrotik
/// rate, acknowledges accounting. Signs with `secret`; leaves every
/// `drop_every`-th request unanswered.
fn responder(secret: &'static [u8], drop_every: Option<u64>) -> Responder {
    let passwords: HashMap<String, String> =
        users().into_iter().map(|u| (u.login, u.password)).collect();
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    let addr = sock.local_addr().expect("addr");
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (stop2, seen2) = (stop.clone(), seen.clone());
    let handle = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut n = 0u64;
        while !stop2.load(Ordering::Relaxed) {
            let Ok((len, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            n += 1;
            // Requests are always signed with the shared test secret.
            let req = Packet::decode(&buf[..len], SECRET).expect("request decodes");
            req.verify_request_authenticator()
                .expect("request authenticators");
            let mut seen = seen2.lock().expect("lock");
            seen.requests += 1;
            if drop_every.is_some_and(|d| n.is_multiple_of(d)) {
                continue;
            }
            let user = req.get(attr::USER_NAME).expect("User-Name");
            let reply = if req.code == Code::AccountingRequest {
                seen.session_ids
                    .insert(req.get(attr::ACCT_SESSION_ID).expect("session id"));
                seen.acct_users.insert(user);
                req.make_response(Code::AccountingResponse)
            } else {
                assert!(req.has_message_authenticator(), "BlastRADIUS: MA sent");
                let pw = &passwords[&user];
                let mut reply = req.make_response(Code::AccessAccept);
                reply.add_message_authenticator();
                match Method::of(&req) {
                    Some(Method::Pap) => pap::verify(&req, pw.as_bytes()).expect("PAP"),
                    Some(Method::Chap) => chap::verify(&req, pw.as_bytes()).expect("CHAP"),
                    Some(Method::MsChap2) => mschap2::verify(&req, pw)
                        .expect("MS-CHAPv2")
                        .add_to(&mut reply),
                    other => panic!("unexpected method {other:?}"),
                }
                reply.add_text(attr::mikrotik::RATE_LIMIT, "50M/100M");
                reply
            };
            let wire = reply.encode(secret).expect("reply encodes");
            sock.send_to(&wire, from).expect("send");
        }
    });
    Responder {
        addr,
        stop,
        seen,
        handle: Some(handle),
    }
}

fn config(server: SocketAddr, mode: Mode) -> Config {
    Config {
        server,
        secret: SECRET.to_vec(),
        mode,
        window: 16,
        sockets: 2,
        threads: 1,
        duration: Some(Duration::from_millis(250)),
        requests: None,
        warmup: Duration::from_millis(50),
        rate: None,
        // Generous: a starved responder thread on a busy machine is not a lost reply.
        timeout: Duration::from_secs(2),
        acct_interims: 1,
        acct_start_only: false,
        nas_ip: [127, 0, 0, 1],
    }
}

fn assert_clean(s: &Stats) {
    assert!(s.ok > 50, "some load went through: {s:?}");
    assert_eq!(s.errors(), 0, "{s:?}");
    assert_eq!(s.lost, 0, "{s:?}");
    assert_eq!(s.hist.len(), s.ok, "one latency per verified reply");
    assert!(s.hist.quantile(0.99) > 0);
    assert!(s.ok <= s.sent);
}

#[test]
fn closed_loop_every_mode_verifies_every_reply() {
    let r = responder(SECRET, None);
    let users = users();
    assert_eq!(users.len(), 45, "suspended users are left out");
    for mode in [Mode::Pap, Mode::Chap, Mode::Mschapv2, Mode::Acct] {
        let s = engine::run(&config(r.addr, mode), &users).expect("runs");
        assert_clean(&s);
        assert_eq!(s.missing_message_authenticator, 0, "{mode:?}");
        assert!(s.elapsed >= Duration::from_millis(250));
    }
    // Sessions go Start, Interim, Stop: about a third of the requests
    // open a new session, each with its own Acct-Session-Id.
    let seen = r.seen.lock().expect("lock");
    assert!(seen.session_ids.len() > 10);
}

#[test]
fn two_threads_and_open_loop() {
    let r = responder(SECRET, None);
    let users = users();
    let cfg = Config {
        threads: 2,
        ..config(r.addr, Mode::Chap)
    };
    assert_clean(&engine::run(&cfg, &users).expect("runs"));

    let cfg = Config {
        rate: Some(2000.0),
        duration: Some(Duration::from_millis(500)),
        ..config(r.addr, Mode::Pap)
    };
    let s = engine::run(&cfg, &users).expect("runs");
    assert_clean(&s);
    // 2000/s for 0.5 s, give or take scheduling on a busy machine.
    assert!((800..=1100).contains(&s.sent), "sent {}", s.sent);
    assert_eq!(s.overruns, 0);
}

#[test]
fn counted_starts_leave_one_session_per_user() {
    let r = responder(SECRET, None);
    let users = users();
    let cfg = Config {
        duration: None,
        requests: Some(45),
        warmup: Duration::ZERO,
        acct_start_only: true,
        ..config(r.addr, Mode::Acct)
    };
    let s = engine::run(&cfg, &users).expect("runs");
    assert_eq!(s.sent, 45);
    assert_eq!(s.ok, 45);
    let seen = r.seen.lock().expect("lock");
    assert_eq!(seen.session_ids.len(), 45);
    assert_eq!(seen.acct_users.len(), 45, "every user gets one session");
}

#[test]
fn lost_and_forged_replies_are_counted() {
    let users = users();
    let r = responder(SECRET, Some(10));
    let cfg = Config {
        timeout: Duration::from_millis(100),
        ..config(r.addr, Mode::Pap)
    };
    let s = engine::run(&cfg, &users).expect("runs");
    assert!(s.lost > 0, "{s:?}");
    assert_eq!(s.errors(), 0);
    drop(r);

    let r = responder(b"not-the-secret", None);
    let s = engine::run(&config(r.addr, Mode::Mschapv2), &users).expect("runs");
    assert_eq!(s.ok, 0);
    assert!(s.problems[radload::wire::Problem::BadAuthenticator.index()] > 0);
}

#[test]
fn probe_waits_for_a_verified_answer() {
    let users = users();
    let r = responder(SECRET, None);
    let got = engine::probe(
        &config(r.addr, Mode::Pap),
        &users[0],
        Duration::from_millis(10),
        Duration::from_secs(2),
    )
    .expect("probe");
    assert!(got.is_some_and(|d| d < Duration::from_secs(1)));
    let addr = r.addr;
    drop(r);
    // Nothing listens there any more.
    let got = engine::probe(
        &config(addr, Mode::Pap),
        &users[0],
        Duration::from_millis(10),
        Duration::from_millis(100),
    )
    .expect("probe");
    assert_eq!(got, None);
}
