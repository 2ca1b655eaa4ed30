//! Access-Requests from radclient: methods, reply profiles, every reject
//! reason, BlastRADIUS, unknown clients, duplicates, and a changed password
//! seen within a second.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use aaa::metrics::{DropReason, Reason};
use domain::catalog::SuspendedBehavior;
use radius::auth::mschap2;
use radius::{Code, Packet, attr};
use services::{catalog, contracts};
use store::testing::each_engine;

use crate::*;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_are_accepted_with_their_plan_and_rejected_with_a_reason() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = customer(&s).await;
        let restricted = catalog::create_plan(&s, &setup_caller(), &plan("Fibra 300", SuspendedBehavior::Restricted))
            .await
            .unwrap().id;
        let rejecting = catalog::create_plan(&s, &setup_caller(), &plan("Fibra 100", SuspendedBehavior::Reject))
            .await
            .unwrap().id;
        let quota = catalog::create_plan(&s, &setup_caller(), &quota_plan("Franquia"))
            .await
            .unwrap().id;
        let alice = contract(&s, c, restricted, "alice", "alice-pass", "", "100.64.0.10").await;
        contract(&s, c, restricted, "bob", "bob-pass", "00:11:22:33:44:55", "").await;
        let carol = contract(&s, c, restricted, "carol", "carol-pass", "", "").await;
        let dave = contract(&s, c, rejecting, "dave", "dave-pass", "", "").await;
        let erin = contract(&s, c, quota, "erin", "erin-pass", "", "").await;
        suspend(&s, carol).await;
        suspend(&s, dave).await;
        // Erin used 2 MB of her 1 MB this cycle.
        {
            let today = {
                let mut conn = s.db.conn().await.unwrap();
                services::crm::today(&mut conn).await.unwrap()
            };
            let mut tx = s.db.begin().await.unwrap();
            sqlx::query(
                "INSERT INTO contract_usage (contract_id, cycle_start, input_octets, output_octets, updated_at)
                 VALUES ($1, $2, 1000000, 1000000, 0)",
            )
            .bind(erin)
            .bind(aaa::view::cycle_start(today, 1).to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        add_nas(&s, "bng-1", "127.0.0.1", "mikrotik", 3799).await;
        let started = Instant::now();
        let server = start(&s).await;
        eprintln!("start-up with a handful of subscribers: {:?}", started.elapsed());
        let addr = server.auth_addr();

        // PAP: accepted with the plan's rate (Mikrotik spelling, burst
        // included), the static IPv4, the timers, Message-Authenticator.
        let out = pap(addr, "alice", "alice-pass", "").await;
        assert!(out.contains("Received Access-Accept"), "{out}");
        assert!(
            out.contains("Mikrotik-Rate-Limit = \"150M/300M 200M/400M 120M/250M 10/10\""),
            "{out}"
        );
        assert!(out.contains("Framed-IP-Address = 100.64.0.10"), "{out}");
        assert!(out.contains("Acct-Interim-Interval = 300"), "{out}");
        assert!(out.contains("Message-Authenticator"), "{out}");

        // CHAP.
        let chal = [7u8; 16];
        let resp = radius::auth::chap::encode(9, b"alice-pass", &chal);
        let out = radclient(
            addr,
            "auth",
            format!(
                "User-Name = \"alice\"\nCHAP-Challenge = 0x{}\nCHAP-Password = 0x{}\nMessage-Authenticator = 0x00\n",
                hex(&chal),
                hex(&resp)
            ),
        )
        .await;
        assert!(out.contains("Received Access-Accept"), "CHAP: {out}");

        // MS-CHAPv2 with MS-CHAP2-Success and MPPE keys.
        let ac: [u8; 16] = *b"0123456789ABCDEF";
        let pc: [u8; 16] = *b"fedcba9876543210";
        let r = mschap2::client_response(7, &ac, &pc, b"alice", "alice-pass");
        let out = radclient(
            addr,
            "auth",
            format!(
                "User-Name = \"alice\"\nMS-CHAP-Challenge = 0x{}\nMS-CHAP2-Response = 0x{}\nMessage-Authenticator = 0x00\n",
                hex(&ac),
                hex(&r)
            ),
        )
        .await;
        assert!(out.contains("Received Access-Accept"), "MS-CHAPv2: {out}");
        assert!(out.contains("MS-CHAP2-Success"), "{out}");
        assert!(out.contains("MS-MPPE-Recv-Key"), "{out}");

        // Rejects, each with its reason.
        let out = pap(addr, "alice", "wrong", "").await;
        assert!(out.contains("Received Access-Reject"), "{out}");
        let out = pap(addr, "nobody", "x", "").await;
        assert!(out.contains("Received Access-Reject"), "{out}");
        let out = pap(addr, "bob", "bob-pass", "Calling-Station-Id = \"AA-BB-CC-DD-EE-FF\"\n").await;
        assert!(out.contains("Received Access-Reject"), "{out}");
        let out = pap(addr, "bob", "bob-pass", "Calling-Station-Id = \"0011.2233.4455\"\n").await;
        assert!(out.contains("Received Access-Accept"), "MAC in another spelling: {out}");
        let out = pap(addr, "dave", "dave-pass", "").await;
        assert!(out.contains("Received Access-Reject"), "{out}");
        let out = pap(addr, "erin", "erin-pass", "").await;
        assert!(out.contains("Received Access-Reject"), "quota: {out}");
        // Suspended on a "restricted" plan: the restricted profile.
        let out = pap(addr, "carol", "carol-pass", "").await;
        assert!(out.contains("Received Access-Accept"), "{out}");
        assert!(
            out.contains("Mikrotik-Address-List = \"lastmile-restricted\""),
            "{out}"
        );
        assert!(out.contains("Mikrotik-Rate-Limit = \"512k/512k\""), "{out}");

        let m = server.metrics();
        assert_eq!(m.rejects(Reason::WrongPassword), 1);
        assert_eq!(m.rejects(Reason::UnknownUser), 1);
        assert_eq!(m.rejects(Reason::MacMismatch), 1);
        assert_eq!(m.rejects(Reason::ContractSuspended), 1);
        assert_eq!(m.rejects(Reason::QuotaBlocked), 1);
        for (login, want) in [
            ("alice", ("reject", "wrong-password")),
            ("nobody", ("reject", "unknown-user")),
            ("bob", ("reject", "mac-mismatch")),
            ("dave", ("reject", "contract-suspended")),
            ("erin", ("reject", "quota-blocked")),
            ("carol", ("restricted", "contract-suspended")),
        ] {
            let got = eventually(3.0, "auth log", || async {
                let l = log_reasons(&s, login).await;
                (!l.is_empty()).then_some(l)
            })
            .await;
            assert_eq!(
                (got[0].0.as_str(), got[0].1.as_str()),
                want,
                "{login}: {got:?}"
            );
        }

        // Unknown client: dropped and counted, no answer.
        let sock = UdpSocket::bind("127.0.0.2:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        let mut req = Packet::new(Code::AccessRequest, 1);
        req.add_message_authenticator();
        req.add_text(attr::USER_NAME, "alice");
        req.add(attr::USER_PASSWORD, b"alice-pass".to_vec());
        sock.send_to(&req.encode(SECRET.as_bytes()).unwrap(), addr).unwrap();
        let mut buf = [0u8; 4096];
        assert!(sock.recv_from(&mut buf).is_err(), "an unknown NAS got an answer");
        assert_eq!(m.drops(DropReason::UnknownClient), 1);

        // A retransmission (same source, identifier, authenticator) gets the
        // cached reply, byte for byte, without a second decision.
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let wire = req.encode(SECRET.as_bytes()).unwrap();
        sock.send_to(&wire, addr).unwrap();
        let (n1, _) = sock.recv_from(&mut buf).unwrap();
        let first = buf[..n1].to_vec();
        let accepts = m.accepts.load(std::sync::atomic::Ordering::Relaxed);
        sock.send_to(&wire, addr).unwrap();
        let (n2, _) = sock.recv_from(&mut buf).unwrap();
        assert_eq!(first, buf[..n2].to_vec());
        assert_eq!(m.duplicates.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(m.accepts.load(std::sync::atomic::Ordering::Relaxed), accepts);
        let reply = Packet::decode_response(&first, SECRET.as_bytes(), &req.authenticator).unwrap();
        reply.verify_response_authenticator().unwrap();
        assert_eq!(reply.code, Code::AccessAccept);
        // BlastRADIUS: Message-Authenticator is the first attribute.
        assert_eq!(first[20], 80, "Message-Authenticator must come first");

        // This NAS has sent Message-Authenticator: from now on a request
        // without one is dropped and logged.
        let mut bare = Packet::new(Code::AccessRequest, 2);
        bare.add_text(attr::USER_NAME, "alice");
        bare.add(attr::USER_PASSWORD, b"alice-pass".to_vec());
        sock.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
        sock.send_to(&bare.encode(SECRET.as_bytes()).unwrap(), addr).unwrap();
        assert!(sock.recv_from(&mut buf).is_err(), "answered without Message-Authenticator");
        assert_eq!(m.drops(DropReason::MissingMessageAuthenticator), 1);
        eventually(3.0, "seen_message_authenticator persisted", || async {
            let mut c = s.db.conn().await.unwrap();
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM nas WHERE seen_message_authenticator = TRUE",
            )
            .fetch_one(&mut *c)
            .await
            .unwrap();
            (n == 1).then_some(())
        })
        .await;

        // A changed password is seen within a second.
        contracts::update_access(
            &s, &setup_caller(),
            alice,
            &contracts::AccessInput {
                password: Some("new-alice-pass".into()),
                ..Default::default()
            })
        .await
        .unwrap();
        let changed = Instant::now();
        eventually(1.0, "new password accepted", || async {
            let out = pap(addr, "alice", "new-alice-pass", "").await;
            out.contains("Received Access-Accept").then_some(())
        })
        .await;
        eprintln!("password change seen after {:?}", changed.elapsed());

        let mut text = String::new();
        server.render_metrics(&mut text);
        assert!(
            text.contains(&format!(
                "lastmile_radius_rejects_total{{reason=\"wrong-password\"}} {}",
                m.rejects(Reason::WrongPassword)
            )) && text.contains("lastmile_radius_auth_duration_seconds_bucket"),
            "{text}"
        );
        server.stop().await;
    })
    .await;
}

/// The view reads contracts a page at a time, the id range split between
/// readers: every one of 20,001 contracts (three pages, two readers) is
/// loaded, the first, the one at a reader's boundary and the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_contract_is_loaded_across_pages_and_readers() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = customer(&s).await;
        let p = catalog::create_plan(
            &s,
            &setup_caller(),
            &plan("Fibra", SuspendedBehavior::Reject),
        )
        .await
        .unwrap()
        .id;
        let first = contract(&s, c, p, "first", "same-pass", "", "").await;
        add_nas(&s, "bng-1", "127.0.0.1", "mikrotik", 3799).await;
        // Copies of the first contract's row (same encrypted password).
        let mut tx = s.db.begin().await.unwrap();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO contracts (number, customer_id, plan_id, price, billing_day, start_date,
                 status, status_changed_at, pppoe_login, pppoe_password, created_at, updated_at)
             SELECT 'bulk-' || i, customer_id, plan_id, price, billing_day, start_date, status,
                 status_changed_at, 'bulk' || i, pppoe_password, created_at, updated_at
               FROM n, contracts WHERE contracts.id = $1",
        )
        .bind(first)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let server = start(&s).await;
        assert_eq!(
            server
                .metrics()
                .subscribers
                .load(std::sync::atomic::Ordering::Relaxed),
            20_001
        );
        for login in ["first", "bulk1", "bulk10000", "bulk10001", "bulk20000"] {
            let out = pap(server.auth_addr(), login, "same-pass", "").await;
            assert!(out.contains("Received Access-Accept"), "{login}: {out}");
        }
        server.stop().await;
    })
    .await;
}
