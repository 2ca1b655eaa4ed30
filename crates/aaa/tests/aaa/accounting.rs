//! Accounting from radclient: Start → Interim → Stop with Gigawords into
//! radius_sessions and contract_usage, the simultaneous-use limit fed by
//! it, and Accounting-On closing a NAS's sessions.

use domain::plan::SuspendedBehavior;
use services::catalog;
use store::testing::each_engine;

use crate::*;

async fn acct(addr: std::net::SocketAddr, lines: &str) -> String {
    radclient(addr, "acct", lines.to_owned()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_and_usage_are_durable_before_the_answer() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = customer(&s).await;
        let p = catalog::create_plan(&s, &admin(), &plan("Fibra 300", SuspendedBehavior::Reject))
            .await
            .unwrap();
        let alice = contract(&s, c, p, "alice", "alice-pass", "", "").await;
        let nas = add_nas(&s, "bng-1", "127.0.0.1", "mikrotik", 3799).await;
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
        // Acknowledged means committed: the row is there now.
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
