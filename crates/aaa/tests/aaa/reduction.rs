//! Collections' speed-reduction step as RADIUS carries it: the daily pass
//! reduces an overdue contract, the server sends a CoA-Request with the
//! reduced rate to the NAS holding the session (ACK recorded), the next
//! Access-Accept carries the reduced rate (Mikrotik and accel-ppp
//! spellings), and payment gives the plan's speed back with another CoA.

use std::net::UdpSocket;
use std::sync::{Arc, Mutex};

use domain::catalog::SuspendedBehavior;
use domain::collections::{ReducedRate, SpeedReduction};
use jiff::ToSpan;
use radius::{Code, Packet, attr};
use services::{catalog, collections};
use store::billing::documents::{NewDocument, NewLine, Totals};
use store::testing::each_engine;

use crate::*;

/// A NAS's CoA port answering every request with an ACK, recording what it
/// received.
fn acking_peer() -> (u16, Arc<Mutex<Vec<Packet>>>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let Ok(req) = Packet::decode(&buf[..n], SECRET.as_bytes()) else {
                continue;
            };
            if req.verify_request_authenticator().is_err() {
                continue;
            }
            let code = match req.code {
                Code::DisconnectRequest => Code::DisconnectAck,
                _ => Code::CoaAck,
            };
            let mut reply = req.make_response(code);
            reply.add_message_authenticator();
            seen2.lock().unwrap().push(req);
            let _ = sock.send_to(&reply.encode(SECRET.as_bytes()).unwrap(), from);
        }
    });
    (port, seen)
}

/// An issued invoice of `total` due on `due` for contract `k`.
async fn invoice(s: &Services, customer: i64, k: i64, due: jiff::civil::Date, total: i64) -> i64 {
    let due = due.to_string();
    let mut tx = s.db.begin().await.unwrap();
    let id = store::billing::documents::insert(
        &mut tx,
        &NewDocument {
            kind: "invoice",
            status: "issued",
            number: Some("2026-000001"),
            public_id: "reduction-test-invoice",
            customer_id: customer,
            contract_id: Some(k),
            issue_date: Some("2026-01-01"),
            due_date: &due,
            totals: Totals {
                net: total,
                discount: 0,
                tax: 0,
                total,
            },
            credits_invoice_id: None,
            billing_run_id: None,
            notes: "",
        },
        store::now(),
    )
    .await
    .unwrap();
    store::billing::documents::insert_line(
        &mut tx,
        id,
        &NewLine {
            position: 0,
            source: "plan",
            contract_id: Some(k),
            description: "Fibra",
            period: None,
            quantity: 1,
            unit_price: total,
            discount: 0,
            amount: total,
            net: total,
            total,
            credits_line_id: None,
            taxes: vec![],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The CoA row with `reason` for contract `k` once answered: its status.
async fn coa_answered(s: &Services, k: i64, reason: &str) -> String {
    eventually(10.0, reason, || async {
        let mut conn = s.db.conn().await.unwrap();
        let r: Option<(String, String)> = sqlx::query_as(
            "SELECT kind, status FROM radius_coa WHERE contract_id = $1 AND reason = $2",
        )
        .bind(k)
        .bind(reason)
        .fetch_optional(&mut *conn)
        .await
        .unwrap();
        r.filter(|(_, st)| st != "pending")
            .map(|(kind, st)| format!("{kind} {st}"))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reduced_rate_in_access_accept_and_coa() {
    each_engine(|db| async move {
        let s = svc(&db);
        let caller = setup_caller();
        {
            let mut c = s.db.conn().await.unwrap();
            store::system::company::create(
                &mut c,
                &store::system::company::Company {
                    name: "Fibra Sul".into(),
                    legal_document: String::new(),
                    country: "BR".into(),
                    currency: "BRL".into(),
                    locale: "pt-BR".into(),
                    timezone: "UTC".into(),
                },
                store::now(),
            )
            .await
            .unwrap();
        }
        // The session opened below stays open (this NAS sends no Stop):
        // later Access-Requests must not be refused for it.
        let unlimited: std::collections::BTreeMap<String, String> = [(
            domain::system::settings::RADIUS_SIMULTANEOUS_USE.to_owned(),
            "0".to_owned(),
        )]
        .into_iter()
        .collect();
        services::system::settings::update(&s, &caller, &unlimited)
            .await
            .unwrap();
        let c = customer(&s).await;
        let p = catalog::create_plan(&s, &caller, &plan("Fibra 300", SuspendedBehavior::Reject))
            .await
            .unwrap()
            .id;
        let alice = contract(&s, c, p, "alice", "alice-pass", "", "").await;
        let (port, seen) = acking_peer();
        let nas = add_nas(&s, "bng-1", "127.0.0.1", "mikrotik", port).await;
        let server = start(&s).await;
        let out = radclient(
            server.acct_addr(),
            "acct",
            "Acct-Status-Type = Start\nAcct-Session-Id = \"s9\"\nUser-Name = \"alice\"\n".into(),
        )
        .await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        server.settled().await;
        let out = pap(server.auth_addr(), "alice", "alice-pass", "").await;
        assert!(
            out.contains("Mikrotik-Rate-Limit = \"150M/300M 200M/400M 120M/250M 10/10\""),
            "{out}"
        );

        // Half the plan's speeds from the day of the notice.
        let mut policy = collections::policy(&s, &caller).await.unwrap().policy;
        policy.speed_reduction = Some(SpeedReduction {
            after_notice_days: 0,
            rate: ReducedRate::Percent { percent: 50 },
        });
        collections::update_policy(&s, &caller, policy)
            .await
            .unwrap();
        let today = {
            let mut conn = s.db.conn().await.unwrap();
            crm::today(&mut conn).await.unwrap()
        };
        let due = today.checked_sub(5.days()).unwrap();
        let inv = invoice(&s, c, alice, due, 12_000).await;
        let r = collections::pass(&s, &caller, today).await.unwrap();
        assert_eq!((r.notices, r.reduced, r.suspended), (1, 1, 0));

        // A CoA-Request (not a disconnect) with the reduced rate, ACKed.
        assert_eq!(coa_answered(&s, alice, "speed reduced").await, "coa ack");
        let coa = seen.lock().unwrap().last().cloned().unwrap();
        assert_eq!(coa.code, Code::CoaRequest);
        assert_eq!(coa.get(attr::ACCT_SESSION_ID).as_deref(), Some("s9"));
        assert_eq!(
            coa.get(attr::mikrotik::RATE_LIMIT).as_deref(),
            Some("75M/150M")
        );
        // A new session gets the reduced rate too.
        let out = pap(server.auth_addr(), "alice", "alice-pass", "").await;
        assert!(out.contains("Access-Accept"), "{out}");
        assert!(out.contains("Mikrotik-Rate-Limit = \"75M/150M\""), "{out}");

        // The same NAS as accel-ppp (the NAS table is re-read every 5 s):
        // Filter-Id `down/up` in kbit/s.
        {
            let mut tx = s.db.begin().await.unwrap();
            sqlx::query("UPDATE nas SET kind = 'accel-ppp' WHERE id = $1")
                .bind(nas)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let out = eventually(15.0, "accel-ppp's spelling", || async {
            let out = pap(server.auth_addr(), "alice", "alice-pass", "").await;
            out.contains("Filter-Id = \"150000/75000\"").then_some(out)
        })
        .await;
        assert!(!out.contains("Mikrotik-Rate-Limit"), "{out}");

        // Paid: the plan's speed again, with its CoA.
        services::payments::record(
            &s,
            &caller,
            &services::payments::NewPayment {
                customer_id: c,
                method: domain::payments::Method::BankTransfer,
                amount: Money(12_000),
                received_on: today.to_string(),
                invoice_id: Some(inv),
                gateway: None,
                reference: None,
                fee: Money(0),
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(coa_answered(&s, alice, "speed restored").await, "coa ack");
        let coa = seen.lock().unwrap().last().cloned().unwrap();
        assert_eq!(coa.code, Code::CoaRequest);
        assert_eq!(coa.get(attr::FILTER_ID).as_deref(), Some("300000/150000"));
        let out = pap(server.auth_addr(), "alice", "alice-pass", "").await;
        assert!(out.contains("Filter-Id = \"300000/150000\""), "{out}");
        server.stop().await;
    })
    .await;
}
