//! Codec and authentication throughput, printed as operations per second.
//! Run with `cargo bench -p radius --bench codec`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use radius::auth::{mschap2, pap};
use radius::{Code, Packet, attr};

const SECRET: &[u8] = b"bench-secret";

/// Runs `f` repeatedly for about `budget` and returns operations per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    // Warm up.
    for _ in 0..1000 {
        f();
    }
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..1000 {
            f();
        }
        n += 1000;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn access_request_pap() -> Packet {
    let mut p = Packet::new(Code::AccessRequest, 1);
    p.add_message_authenticator();
    p.add_text(attr::USER_NAME, "subscriber-000123@isp");
    p.add(attr::USER_PASSWORD, b"correct horse".to_vec());
    p.add(attr::NAS_IP_ADDRESS, [10, 0, 0, 1].into());
    p.add(attr::NAS_PORT, 15);
    p.add_text(attr::NAS_PORT_ID, "ether1-vlan100");
    p.add(attr::SERVICE_TYPE, 2);
    p.add(attr::FRAMED_PROTOCOL, 1);
    p.add_text(attr::CALLING_STATION_ID, "AA:BB:CC:DD:EE:FF");
    p.add_text(attr::CALLED_STATION_ID, "pppoe-server-1");
    p.add_text(attr::NAS_IDENTIFIER, "bras-01");
    p
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500),
    );
    let req = access_request_pap();
    let wire = req.encode(SECRET).expect("encodes");

    let decode = rate(budget, || {
        let p = Packet::decode(black_box(&wire), SECRET).expect("decodes");
        black_box(p.verify_request_authenticator().is_ok());
    });

    let mut accept = Packet::decode(&wire, SECRET)
        .expect("decodes")
        .make_response(Code::AccessAccept);
    accept.add_message_authenticator();
    accept.add(attr::FRAMED_IP_ADDRESS, [100, 64, 3, 7].into());
    accept.add(attr::SESSION_TIMEOUT, 86400);
    accept.add(attr::ACCT_INTERIM_INTERVAL, 300);
    accept.add_text(
        attr::mikrotik::RATE_LIMIT,
        "50M/100M 60M/120M 40M/80M 10/10",
    );
    accept.add_text(attr::mikrotik::ADDRESS_LIST, "active");
    let encode = rate(budget, || {
        black_box(black_box(&accept).encode(SECRET).expect("encodes"));
    });

    // A server's whole PAP path: decode, verify authenticators, check the
    // password, build and encode the Accept.
    let pap_rate = rate(budget, || {
        let p = Packet::decode(black_box(&wire), SECRET).expect("decodes");
        p.verify_request_authenticator().expect("valid");
        pap::verify(&p, b"correct horse").expect("right password");
        let mut r = p.make_response(Code::AccessAccept);
        r.add_message_authenticator();
        r.add_text(attr::mikrotik::RATE_LIMIT, "50M/100M");
        black_box(r.encode(SECRET).expect("encodes"));
    });

    let mut m = Packet::new(Code::AccessRequest, 2);
    let ac = [0x5au8; 16];
    let pc = [0xa5u8; 16];
    m.add_message_authenticator();
    m.add_text(attr::USER_NAME, "subscriber-000123");
    m.add(attr::microsoft::MS_CHAP_CHALLENGE, ac.to_vec());
    m.add(
        attr::microsoft::MS_CHAP2_RESPONSE,
        mschap2::client_response(1, &ac, &pc, b"subscriber-000123", "correct horse").to_vec(),
    );
    let mwire = m.encode(SECRET).expect("encodes");
    let nt_hash = radius::auth::mschap::nt_password_hash("correct horse");
    let mschap_rate = rate(budget, || {
        let p = Packet::decode(black_box(&mwire), SECRET).expect("decodes");
        p.verify_request_authenticator().expect("valid");
        let ok = mschap2::verify_with_hash(&p, &nt_hash).expect("right password");
        let mut r = p.make_response(Code::AccessAccept);
        r.add_message_authenticator();
        ok.add_to(&mut r);
        black_box(r.encode(SECRET).expect("encodes"));
    });

    println!(
        "radius codec benchmark (one core, {} ms per figure)",
        budget.as_millis()
    );
    println!("  packets decoded/s (Access-Request, 11 attributes, verified): {decode:>12.0}");
    println!("  packets encoded/s (Access-Accept, 7 attributes, signed):      {encode:>12.0}");
    println!("  Access-Request PAP verifications/s (decode+verify+reply):     {pap_rate:>12.0}");
    println!("  Access-Request MS-CHAPv2 verifications/s (with MPPE reply):   {mschap_rate:>12.0}");
}
