//! Codec throughput, printed as figures. Run with
//! `cargo bench -p routeros --bench codec`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use routeros::codec::{Decoder, Sentence};
use routeros::{Reply, ReplyKind, Row};

/// Runs `f` repeatedly for about `budget`; returns runs per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// A print answer as a router sends it: 10,000 PPP secrets and `!done`.
fn print_answer(items: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for n in 0..items {
        let mut r = Reply::new(ReplyKind::Re);
        r.tag = Some("7".into());
        r.attributes = [
            (".id", format!("*{:X}", n + 1)),
            ("name", format!("customer-{n:05}")),
            ("service", "pppoe".into()),
            ("caller-id", String::new()),
            ("password", format!("pw-{n:08}")),
            ("profile", "plan-100M".into()),
            ("routes", String::new()),
            ("ipv6-routes", String::new()),
            ("limit-bytes-in", "0".into()),
            ("limit-bytes-out", "0".into()),
            (
                "remote-address",
                format!("100.64.{}.{}", n / 250, n % 250 + 1),
            ),
            ("disabled", "false".into()),
            ("comment", format!("contract {n}")),
        ]
        .into_iter()
        .collect::<Row>();
        r.to_sentence().encode(&mut out).expect("encodes");
    }
    let mut done = Reply::new(ReplyKind::Done);
    done.tag = Some("7".into());
    done.to_sentence().encode(&mut out).expect("encodes");
    out
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500),
    );
    let items = 10_000;
    let wire = print_answer(items);

    // Framing only, fed in 64 KiB reads as the client's reader does.
    let framing = rate(budget, || {
        let mut d = Decoder::new();
        let mut count = 0;
        for chunk in wire.chunks(64 * 1024) {
            d.feed(chunk);
            while let Some(s) = d.next_sentence().expect("decodes") {
                count += black_box(s.words().len());
            }
        }
        black_box(count);
    });
    // Framing and reply parsing into rows.
    let replies = rate(budget, || {
        let mut d = Decoder::new();
        let mut rows = 0;
        for chunk in wire.chunks(64 * 1024) {
            d.feed(chunk);
            while let Some(s) = d.next_sentence().expect("decodes") {
                let r = Reply::parse(&s).expect("parses");
                rows += usize::from(r.kind == ReplyKind::Re);
            }
        }
        black_box(rows);
    });
    let sentence = Sentence::from_words([
        "/ppp/secret/add",
        "=name=customer-00042",
        "=password=pw-00000042",
        "=profile=plan-100M",
        "=remote-address=100.64.0.43",
        ".tag=42",
    ]);
    let mut buf = Vec::with_capacity(256);
    let encode = rate(budget, || {
        buf.clear();
        sentence.encode(&mut buf).expect("encodes");
        black_box(&buf);
    });

    let mb = wire.len() as f64 / 1e6;
    println!("routeros codec ({items} PPP secrets, {mb:.2} MB per print answer)");
    println!(
        "  decode (framing):          {:>10.0} sentences/s  {:>8.1} MB/s",
        framing * (items + 1) as f64,
        framing * mb
    );
    println!(
        "  decode + parse replies:    {:>10.0} rows/s       {:>8.1} MB/s",
        replies * items as f64,
        replies * mb
    );
    println!("  encode an add command:     {encode:>10.0} sentences/s");
}
