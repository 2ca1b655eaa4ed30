//! Accounting from radclient: Start → Interim → Stop with Gigawords into
//! radius_sessions and contract_usage, the simultaneous-use limit fed by
//! it, and Accounting-On closing a NAS's sessions.

use domain::catalog::SuspendedBehavior;
use services::catalog;
use store::testing::each_engine;

use crate::*;

/// A contract "alice" (password "alice-pass") and a loopback NAS: its
/// contract id and the NAS id.
async fn alice_on_a_nas(s: &Services) -> (i64, i64) {
    let c = customer(s).await;
    let p = catalog::create_plan(
        s,
        &setup_caller(),
        &plan("Fibra 300", SuspendedBehavior::Reject),
    )
    .await
    .unwrap()
    .id;
    let alice = contract(s, c, p, "alice", "alice-pass", "", "").await;
    let nas = add_nas(s, "bng-1", "127.0.0.1", "mikrotik", 3799).await;
    (alice, nas)
}

async fn acct(addr: std::net::SocketAddr, lines: &str) -> String {
    radclient(addr, "acct", lines.to_owned()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_usage_are_durable_before_the_answer() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (alice, nas) = alice_on_a_nas(&s).await;
        let server = start(&s).await;
        let auth = server.auth_addr();
        let addr = server.acct_addr();

        let out = pap(auth, "alice", "alice-pass", "").await;
        assert!(out.contains("Received Access-Accept"), "{out}");

        let out = acct(
            addr,
            "Acct-Status-Type = Start\nAcct-Session-Id = \"s1\"\nUser-Name = \"alice\"\nFramed-IP-Address = 100.64.0.7\nCalling-Station-Id = \"00:11:22:33:44:55\"\nNAS-Port-Id = \"ether1\"\n",
        )
        .await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        // Acknowledged means synced to the journal; the committer applies
        // it right behind.
        server.settled().await;
        let row: (i64, Option<i64>, Option<String>, Option<i64>) = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_as(
                "SELECT nas_id, contract_id, framed_ip, stopped_at FROM radius_sessions WHERE acct_session_id = 's1'",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap()
        };
        assert_eq!(row, (nas, Some(alice), Some("100.64.0.7".into()), None));

        // Simultaneous use: one open session is the default limit.
        let out = pap(auth, "alice", "alice-pass", "").await;
        assert!(out.contains("Received Access-Reject"), "{out}");
        assert_eq!(server.metrics().rejects(aaa::metrics::Reason::SimultaneousUse), 1);

        // Interim with Gigawords: 2^32 * 1 + 1000 in, 2^32 * 2 + 500 out.
        let out = acct(
            addr,
            "Acct-Status-Type = Interim-Update\nAcct-Session-Id = \"s1\"\nUser-Name = \"alice\"\nAcct-Input-Octets = 1000\nAcct-Input-Gigawords = 1\nAcct-Output-Octets = 500\nAcct-Output-Gigawords = 2\nAcct-Session-Time = 60\n",
        )
        .await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        let out = acct(
            addr,
            "Acct-Status-Type = Stop\nAcct-Session-Id = \"s1\"\nUser-Name = \"alice\"\nAcct-Input-Octets = 2000\nAcct-Input-Gigawords = 1\nAcct-Output-Octets = 700\nAcct-Output-Gigawords = 2\nAcct-Session-Time = 120\nAcct-Terminate-Cause = User-Request\n",
        )
        .await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        server.settled().await;
        let (input, output, time, stopped, cause): (i64, i64, i64, Option<i64>, String) = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_as(
                "SELECT input_octets, output_octets, session_time, stopped_at, terminate_cause
                   FROM radius_sessions WHERE acct_session_id = 's1'",
            )
            .fetch_one(&mut *conn)
            .await
            .unwrap()
        };
        let gw = 1i64 << 32;
        assert_eq!((input, output, time), (gw + 2000, 2 * gw + 700, 120));
        assert!(stopped.is_some());
        assert_eq!(cause, "User-Request");
        let usage: (i64, i64, i64) = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_as(
                "SELECT input_octets, output_octets, session_time FROM contract_usage WHERE contract_id = $1",
            )
            .bind(alice)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
        };
        assert_eq!(usage, (gw + 2000, 2 * gw + 700, 120));
        // A retransmitted Stop changes nothing.
        acct(
            addr,
            "Acct-Status-Type = Stop\nAcct-Session-Id = \"s1\"\nUser-Name = \"alice\"\nAcct-Input-Octets = 2000\nAcct-Input-Gigawords = 1\nAcct-Session-Time = 120\n",
        )
        .await;
        server.settled().await;
        let n: i64 = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM radius_sessions")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert_eq!(n, 1);

        // The session closed: alice may connect again.
        let out = pap(auth, "alice", "alice-pass", "").await;
        assert!(out.contains("Received Access-Accept"), "{out}");

        // Accounting-On from the NAS closes what it had open.
        for id in ["s2", "s3"] {
            acct(
                addr,
                &format!("Acct-Status-Type = Start\nAcct-Session-Id = \"{id}\"\nUser-Name = \"alice\"\n"),
            )
            .await;
        }
        let out = acct(addr, "Acct-Status-Type = Accounting-On\n").await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        server.settled().await;
        let open: i64 = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM radius_sessions WHERE stopped_at IS NULL")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert_eq!(open, 0);
        let causes: Vec<String> = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_scalar(
                "SELECT terminate_cause FROM radius_sessions WHERE acct_session_id IN ('s2', 's3')",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap()
        };
        assert_eq!(causes, ["nas-reboot", "nas-reboot"]);
        assert_eq!(server.view().open_sessions(alice), 0);
        server.stop().await;
    })
    .await;
}

fn start_record(nas_id: i64, session: &str, login: &str) -> aaa::acct::Record {
    aaa::acct::Record {
        nas_id,
        status: aaa::acct::Status::Start,
        session_id: session.into(),
        login: login.into(),
        framed_ip: Some("100.64.1.1".into()),
        framed_ipv6_prefix: None,
        delegated_ipv6_prefix: None,
        calling_station_id: "00:11:22:33:44:55".into(),
        nas_port_id: "ether1".into(),
        input: 0,
        output: 0,
        session_time: 0,
        terminate_cause: String::new(),
        at: store::now(),
    }
}

/// Many Starts in one transaction go out as multi-row INSERTs; a Start of
/// a session already open in the database (opened before a restart, so not
/// in the committer's memory) and a repeated Start inside the batch change
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_starts_is_written_once_each() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = customer(&s).await;
        let p = catalog::create_plan(&s, &setup_caller(), &plan("Fibra 300", SuspendedBehavior::Reject))
            .await
            .unwrap().id;
        let bob = contract(&s, c, p, "bob", "bob-pass", "", "").await;
        let nas = add_nas(&s, "bng-1", "127.0.0.1", "mikrotik", 3799).await;
        {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query(
                "INSERT INTO radius_sessions (nas_id, acct_session_id, login, calling_station_id, started_at, updated_at)
                 VALUES ($1, 'old', 'bob', '', 1, 1)",
            )
            .bind(nas)
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        let metrics = std::sync::Arc::new(aaa::metrics::Metrics::default());
        let view = std::sync::Arc::new(aaa::view::View::load(&s, metrics.clone()).await.unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut sessions: Vec<String> = (0..1200).map(|i| format!("b{i}")).collect();
        sessions.push("old".into());
        sessions.push("b7".into());
        let mut records: Vec<_> = sessions
            .iter()
            .map(|id| start_record(nas, id, if id == "b3" { "bob" } else { "nobody" }))
            .collect();
        // A Stop whose Start never arrived: one closed row, one by one.
        let mut lost = start_record(nas, "lost", "bob");
        lost.status = aaa::acct::Status::Stop;
        lost.input = 4_242;
        lost.session_time = 60;
        records.push(lost);
        tx.send(aaa::journal::Batch::encode(1, 0, &records)).unwrap();
        drop(tx);
        // Everything is queued before the committer runs: one transaction.
        aaa::acct::Committer::new(s.clone(), view.clone(), metrics.clone())
            .run(rx)
            .await;
        assert_eq!(
            metrics.acct_writes.load(std::sync::atomic::Ordering::Relaxed),
            records.len() as u64
        );
        assert_eq!(metrics.acct_commits.load(std::sync::atomic::Ordering::Relaxed), 1);
        let mut conn = s.db.conn().await.unwrap();
        let (rows, distinct): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT acct_session_id) FROM radius_sessions WHERE stopped_at IS NULL",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!((rows, distinct), (1201, 1201));
        let (contract, ip): (Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT contract_id, framed_ip FROM radius_sessions WHERE acct_session_id = 'b3'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!((contract, ip.as_deref()), (Some(bob), Some("100.64.1.1")));
        let old_ip: Option<String> =
            sqlx::query_scalar("SELECT framed_ip FROM radius_sessions WHERE acct_session_id = 'old'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(old_ip, None, "the Start of an open session wrote nothing");
        let (contract, input, stopped): (Option<i64>, i64, Option<i64>) = sqlx::query_as(
            "SELECT contract_id, input_octets, stopped_at FROM radius_sessions WHERE acct_session_id = 'lost'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!((contract, input), (Some(bob), 4_242));
        assert!(stopped.is_some(), "closed at its Stop");
        assert_eq!(view.open_sessions(bob), 1);
    })
    .await;
}

/// A record journaled (acknowledged) but not applied when the server
/// stopped is applied at the next start, once: the position stored with
/// it keeps a third start from applying it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journaled_records_are_replayed_once_after_a_restart() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (alice, nas) = alice_on_a_nas(&s).await;
        let server = start(&s).await;
        let out = acct(
            server.acct_addr(),
            "Acct-Status-Type = Start\nAcct-Session-Id = \"r1\"\nUser-Name = \"alice\"\n",
        )
        .await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        server.settled().await;
        server.stop().await;

        // What a crash leaves: an Interim-Update in a segment after the
        // ones applied (the next start opens a segment after it).
        let dir = s.data_dir.join("radius-journal");
        let last = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                u64::from_str_radix(name.strip_suffix(".acct")?, 16).ok()
            })
            .max()
            .unwrap();
        let mut interim = start_record(nas, "r1", "alice");
        interim.status = aaa::acct::Status::Interim;
        interim.input = 5_000;
        interim.session_time = 30;
        let mut bytes = Vec::new();
        aaa::journal::encode_frame(&interim, &mut bytes);
        std::fs::write(dir.join(format!("{:016x}.acct", last + 1)), &bytes).unwrap();

        let usage = |s: Services| async move {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_scalar::<_, i64>(
                "SELECT input_octets FROM contract_usage WHERE contract_id = $1",
            )
            .bind(alice)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
        };
        for _ in 0..2 {
            let server = start(&s).await;
            server.settled().await;
            assert_eq!(usage(s.clone()).await, 5_000);
            server.stop().await;
        }
        let segments = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".acct")
            })
            .count();
        assert!(
            segments <= 2,
            "applied segments are deleted ({segments} left)"
        );
    })
    .await;
}
