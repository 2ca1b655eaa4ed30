//! A contract suspended through the services makes the server send a
//! Disconnect-Request to the NAS holding the session (a real RADIUS peer
//! here, built on the radius crate), and the answer is recorded.

use std::net::UdpSocket;
use std::sync::{Arc, Mutex};

use domain::catalog::SuspendedBehavior;
use radius::{Code, Packet, attr};
use services::catalog;
use store::testing::each_engine;

use crate::*;

/// A NAS's CoA port: answers Disconnect-Request with ACK and CoA-Request
/// with NAK (Error-Cause 503, session context not found), recording what
/// it received.
fn peer() -> (u16, Arc<Mutex<Vec<Packet>>>) {
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
            let mut reply = match req.code {
                Code::DisconnectRequest => req.make_response(Code::DisconnectAck),
                _ => {
                    let mut r = req.make_response(Code::CoaNak);
                    r.add(attr::ERROR_CAUSE, 503);
                    r
                }
            };
            reply.add_message_authenticator();
            seen2.lock().unwrap().push(req);
            let _ = sock.send_to(&reply.encode(SECRET.as_bytes()).unwrap(), from);
        }
    });
    (port, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspension_disconnects_the_session() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = customer(&s).await;
        let p = catalog::create_plan(&s, &setup_caller(), &plan("Fibra 300", SuspendedBehavior::Restricted))
            .await
            .unwrap().id;
        let alice = contract(&s, c, p, "alice", "alice-pass", "", "").await;
        let (port, seen) = peer();
        add_nas(&s, "bng-1", "127.0.0.1", "mikrotik", port).await;
        let server = start(&s).await;
        let out = radclient(
            server.acct_addr(),
            "acct",
            "Acct-Status-Type = Start\nAcct-Session-Id = \"s9\"\nUser-Name = \"alice\"\nFramed-IP-Address = 100.64.0.9\n".into(),
        )
        .await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        server.settled().await;

        suspend(&s, alice).await;
        let (status, attempts): (String, i64) = eventually(5.0, "Disconnect-ACK recorded", || async {
            let mut conn = s.db.conn().await.unwrap();
            let r: Option<(String, i64)> = sqlx::query_as(
                "SELECT status, attempts FROM radius_coa WHERE contract_id = $1 AND kind = 'disconnect'",
            )
            .bind(alice)
            .fetch_optional(&mut *conn)
            .await
            .unwrap();
            r.filter(|(st, _)| st != "pending")
        })
        .await;
        assert_eq!((status.as_str(), attempts), ("ack", 1));
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].code, Code::DisconnectRequest);
        assert_eq!(got[0].get(attr::USER_NAME).as_deref(), Some("alice"));
        assert_eq!(got[0].get(attr::ACCT_SESSION_ID).as_deref(), Some("s9"));
        assert_eq!(got[0].get(attr::FRAMED_IP_ADDRESS), Some([100, 64, 0, 9].into()));
        assert!(got[0].has_message_authenticator());

        // A staff "disconnect" row (written by the admin pages) is sent too;
        // a NAK is recorded with its Error-Cause.
        let session: i64 = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_scalar("SELECT id FROM radius_sessions WHERE acct_session_id = 's9'")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        {
            let mut tx = s.db.begin().await.unwrap();
            sqlx::query(
                "INSERT INTO radius_coa (created_at, updated_at, kind, session_id, contract_id, nas_id, reason, requested_by)
                 SELECT $1, $1, 'coa', $2, $3, nas_id, 'staff', 'admin' FROM radius_sessions WHERE id = $2",
            )
            .bind(store::now())
            .bind(session)
            .bind(alice)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        server.wake_coa();
        let (status, cause): (String, Option<i64>) = eventually(5.0, "CoA-NAK recorded", || async {
            let mut conn = s.db.conn().await.unwrap();
            let r: Option<(String, Option<i64>)> = sqlx::query_as(
                "SELECT status, error_cause FROM radius_coa WHERE kind = 'coa' AND status <> 'pending'",
            )
            .fetch_optional(&mut *conn)
            .await
            .unwrap();
            r
        })
        .await;
        assert_eq!((status.as_str(), cause), ("nak", Some(503)));
        // The NAS saw the CoA-Request for the same session, and the
        // counters tell one ACK and one NAK.
        let coa = eventually(5.0, "the NAS to have seen the CoA-Request", || {
            let seen = seen.clone();
            async move { seen.lock().unwrap().get(1).cloned() }
        })
        .await;
        assert_eq!(coa.code, Code::CoaRequest);
        assert_eq!(coa.get(attr::ACCT_SESSION_ID).as_deref(), Some("s9"));
        eventually(5.0, "one CoA ACK and one NAK counted", || async {
            let mut text = String::new();
            server.render_metrics(&mut text);
            (text.contains("lastmile_radius_coa_total{result=\"ack\"} 1")
                && text.contains("lastmile_radius_coa_total{result=\"nak\"} 1"))
            .then_some(())
        })
        .await;
        server.stop().await;
    })
    .await;
}

/// Outbox rows this release cannot read (an unknown kind, a broken payload,
/// a version from a newer release) are logged and skipped: the suspension
/// after them still disconnects the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_events_are_skipped() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = customer(&s).await;
        let p = catalog::create_plan(&s, &setup_caller(), &plan("Fibra 300", SuspendedBehavior::Restricted))
            .await
            .unwrap().id;
        let alice = contract(&s, c, p, "alice", "alice-pass", "", "").await;
        let (port, seen) = peer();
        add_nas(&s, "bng-1", "127.0.0.1", "mikrotik", port).await;
        let server = start(&s).await;
        let out = radclient(
            server.acct_addr(),
            "acct",
            "Acct-Status-Type = Start\nAcct-Session-Id = \"s9\"\nUser-Name = \"alice\"\n".into(),
        )
        .await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        server.settled().await;
        // The CoA consumer starts from the events after its first look.
        eventually(5.0, "the CoA cursor", || async {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_scalar::<_, i64>(
                "SELECT last_id FROM domain_event_cursors WHERE consumer = 'aaa.coa'",
            )
            .fetch_optional(&mut *conn)
            .await
            .unwrap()
        })
        .await;

        let id = alice.to_string();
        let unreadable = [
            ("contract.teleported", domain::event::VERSION, "{}".to_owned()),
            ("contract.status_changed", domain::event::VERSION, "{not json".to_owned()),
            (
                "contract.status_changed",
                domain::event::VERSION + 1,
                format!(r#"{{"contract_id": {id}, "to": "suspended"}}"#),
            ),
            // A renamed field: `to` is missing.
            (
                "contract.status_changed",
                domain::event::VERSION,
                format!(
                    r#"{{"contract_id": {id}, "customer_id": {c}, "login": "alice", "from": "active",
                        "status_to": "suspended", "reason": "non_payment", "number": "000001"}}"#
                ),
            ),
        ];
        {
            let mut tx = s.db.begin().await.unwrap();
            for (kind, version, payload) in unreadable {
                sqlx::query(
                    "INSERT INTO domain_events (at, kind, version, entity_kind, entity_id, payload, actor_kind, actor_name)
                     VALUES ($1, $2, $3, 'contract', $4, $5, 'system', 'test')",
                )
                .bind(store::now())
                .bind(kind)
                .bind(version)
                .bind(&id)
                .bind(payload)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }

        suspend(&s, alice).await;
        let reasons: Vec<(String, String)> = eventually(5.0, "Disconnect-ACK recorded", || async {
            let mut conn = s.db.conn().await.unwrap();
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT reason, status FROM radius_coa WHERE contract_id = $1 ORDER BY id",
            )
            .bind(alice)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            (!rows.is_empty() && rows.iter().all(|(_, st)| st != "pending")).then_some(rows)
        })
        .await;
        assert_eq!(reasons, [("contract suspended".to_owned(), "ack".to_owned())]);
        assert_eq!(seen.lock().unwrap().len(), 1);
        server.stop().await;
    })
    .await;
}
