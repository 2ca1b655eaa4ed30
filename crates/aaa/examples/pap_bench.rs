//! Quick speed check of the RADIUS server: 100,000 subscribers in a fresh
//! SQLite database, start-up time to the first answer, then a closed loop
//! of PAP Access-Requests (a window of outstanding requests per socket,
//! every reply verified) and accounting Interim-Updates, printing
//! requests/s, p50/p99 latency and RSS.
//!
//! `cargo run --release -p aaa --example pap_bench -- [subscribers] [seconds]`
//! (set `LASTMILE_BENCH_DB=postgres://…` to use PostgreSQL instead).

#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use radius::{Code, Packet, attr};

const SECRET: &[u8] = b"bench-secret";
const SOCKETS: usize = 4;
const WINDOW: usize = 16;

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn seed(svc: &services::Services, n: usize) {
    let now = store::now();
    let mut tx = svc.db.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO customers (kind, name, document_kind, document, document_norm, search_text, name_key,
                                created_at, updated_at)
         VALUES ('person', 'Bench', 'foreign', 'B1', 'B1', 'bench', 'bench', $1, $1)",
    )
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO plans (name, download_kbps, upload_kbps, price, billing_mode, cycle, technology,
                            suspended_behavior, created_at, updated_at)
         VALUES ('Bench 300', 300000, 150000, 9990, 'postpaid', 'monthly', 'fiber', 'reject', $1, $1)",
    )
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    // The same encrypted password for everyone would make decryption
    // cheaper than real life: encrypt each one.
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut sql = String::from(
            "INSERT INTO contracts (number, customer_id, plan_id, price, billing_day, start_date, status,
                status_changed_at, pppoe_login, pppoe_password, created_at, updated_at) VALUES ",
        );
        for (j, i) in chunk.iter().enumerate() {
            if j > 0 {
                sql.push(',');
            }
            let pw = svc.secrets.encrypt(&format!("pw{i}"));
            sql.push_str(&format!(
                "('{i:07}', 1, 1, 9990, 1, '2025-01-01', 'active', {now}, 'user{i}', '{pw}', {now}, {now})"
            ));
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO nas (name, address, secret, kind, created_at, updated_at)
         VALUES ('bench', '127.0.0.1', $1, 'mikrotik', $2, $2)",
    )
    .bind(svc.secrets.encrypt(std::str::from_utf8(SECRET).unwrap()))
    .bind(now)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

fn pap_request(id: u8, user: usize) -> (Packet, Vec<u8>) {
    let mut p = Packet::new(Code::AccessRequest, id);
    p.add_message_authenticator();
    p.add_text(attr::USER_NAME, &format!("user{user}"));
    p.add(attr::USER_PASSWORD, format!("pw{user}").into_bytes());
    let w = p.encode(SECRET).unwrap();
    (p, w)
}

fn interim_request(id: u8, user: usize, n: u32) -> (Packet, Vec<u8>) {
    let mut p = Packet::new(Code::AccountingRequest, id);
    p.add(attr::ACCT_STATUS_TYPE, if n == 0 { 1 } else { 3 });
    p.add_text(attr::ACCT_SESSION_ID, &format!("s{user}"));
    p.add_text(attr::USER_NAME, &format!("user{user}"));
    p.add(attr::ACCT_INPUT_OCTETS, n.wrapping_mul(1000));
    p.add(attr::ACCT_OUTPUT_OCTETS, n.wrapping_mul(5000));
    p.add(attr::ACCT_SESSION_TIME, n * 60);
    let w = p.encode(SECRET).unwrap();
    let mut a = [0u8; 16];
    a.copy_from_slice(&w[4..20]);
    p.authenticator = a;
    (p, w)
}

/// A closed loop over one socket: keeps `WINDOW` requests outstanding.
fn generator(
    to: SocketAddr,
    subscribers: usize,
    seed: usize,
    stop: Arc<AtomicBool>,
    acct: bool,
) -> (u64, u64, Vec<u32>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut inflight: Vec<Option<(Packet, Instant)>> = (0..256).map(|_| None).collect();
    let mut next_id: u8 = 0;
    let mut user = seed;
    let mut ok = 0u64;
    let mut lost = 0u64;
    let mut lat = Vec::with_capacity(1 << 20);
    let mut round = 0u32;
    let mut buf = [0u8; 4096];
    let mut send =
        |inflight: &mut Vec<Option<(Packet, Instant)>>, next_id: &mut u8, user: &mut usize| {
            *user = (*user + 7919) % subscribers;
            if *user < 7919 {
                round += 1;
            }
            let (p, w) = if acct {
                interim_request(*next_id, *user, round)
            } else {
                pap_request(*next_id, *user)
            };
            sock.send_to(&w, to).unwrap();
            inflight[*next_id as usize] = Some((p, Instant::now()));
            *next_id = next_id.wrapping_add(1);
        };
    for _ in 0..WINDOW {
        send(&mut inflight, &mut next_id, &mut user);
    }
    while !stop.load(Relaxed) {
        match sock.recv_from(&mut buf) {
            Ok((n, _)) => {
                let id = buf[1] as usize;
                if let Some((req, t)) = inflight[id].take() {
                    let auth = req.authenticator;
                    let r = Packet::decode_response(&buf[..n], SECRET, &auth).unwrap();
                    r.verify_response_authenticator().unwrap();
                    assert!(
                        matches!(r.code, Code::AccessAccept | Code::AccountingResponse),
                        "{:?}",
                        r.code
                    );
                    ok += 1;
                    lat.push(t.elapsed().as_micros() as u32);
                    send(&mut inflight, &mut next_id, &mut user);
                }
            }
            Err(_) => {
                // Whatever is outstanding is lost; refill the window.
                for slot in inflight.iter_mut() {
                    if slot.take().is_some() {
                        lost += 1;
                    }
                }
                for _ in 0..WINDOW {
                    send(&mut inflight, &mut next_id, &mut user);
                }
            }
        }
    }
    (ok, lost, lat)
}

fn run(name: &str, to: SocketAddr, subscribers: usize, secs: u64, acct: bool) {
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let handles: Vec<_> = (0..SOCKETS)
        .map(|i| {
            let stop = stop.clone();
            std::thread::spawn(move || generator(to, subscribers, i * 1000, stop, acct))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Relaxed);
    let mut ok = 0;
    let mut lost = 0;
    let mut lat = Vec::new();
    for h in handles {
        let (o, l, v) = h.join().unwrap();
        ok += o;
        lost += l;
        lat.extend(v);
    }
    let el = t0.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "{name}: {:.0} req/s ({} answered, {} lost), p50 {} µs, p99 {} µs, window {} × {} sockets",
        ok as f64 / el,
        ok,
        lost,
        pct(0.5),
        pct(0.99),
        WINDOW,
        SOCKETS
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let subscribers: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("lastmile-aaa-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = std::env::var("LASTMILE_BENCH_DB")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.join("bench.db").display()));
    let db = store::Db::connect(&url, 8).await.unwrap();
    db.migrate().await.unwrap();
    let svc = services::Services::new(
        db,
        services::secrets::SecretBox::from_key(&[3; 32]),
        dir.clone(),
    );
    let t = Instant::now();
    seed(&svc, subscribers).await;
    println!("seeded {subscribers} subscribers in {:?}", t.elapsed());
    let rss0 = rss_mb();
    let t = Instant::now();
    let server = aaa::Server::start(
        &svc,
        aaa::Config {
            auth: "127.0.0.1:0".parse().unwrap(),
            acct: "127.0.0.1:0".parse().unwrap(),
            threads: 0,
            journal: dir.join("radius-journal"),
            ..aaa::Config::default()
        },
    )
    .await
    .unwrap();
    // First answered request.
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (req, w) = pap_request(1, 0);
    sock.send_to(&w, server.auth_addr()).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).unwrap();
    let r = Packet::decode_response(&buf[..n], SECRET, &req.authenticator).unwrap();
    assert_eq!(r.code, Code::AccessAccept);
    println!(
        "start-up to first answer: {:?}; RSS {:.0} MB (process before start-up {:.0} MB)",
        t.elapsed(),
        rss_mb(),
        rss0
    );
    let auth = server.auth_addr();
    let acct = server.acct_addr();
    tokio::task::spawn_blocking(move || run("PAP", auth, subscribers, secs, false))
        .await
        .unwrap();
    let online = subscribers.min(50_000);
    tokio::task::spawn_blocking(move || run("accounting (durable)", acct, online, secs, true))
        .await
        .unwrap();
    println!("RSS after load: {:.0} MB", rss_mb());
    let mut text = String::new();
    server.render_metrics(&mut text);
    for l in text.lines().filter(|l| {
        l.starts_with("lastmile_radius_acct_commits_total")
            || l.starts_with("lastmile_radius_acct_writes_total")
            || (l.starts_with("lastmile_radius_drops_total") && !l.ends_with(" 0"))
    }) {
        println!("{l}");
    }
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
