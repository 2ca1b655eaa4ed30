//! Accounting under a hostile NAS and an unlucky database: impossible
//! counters, a database refusing every write for a while (a trigger, a
//! lock, killed connections, a read-only database, deadlocks and
//! serialization failures, a full disk), a record refused for its content,
//! and rows that do not decode at start-up.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use aaa::acct::{Committer, Record, Status};
use aaa::journal::Batch;
use aaa::metrics::Metrics;
use aaa::view::View;
use domain::catalog::SuspendedBehavior;
use services::catalog;
use store::Engine;
use store::testing::each_engine;

use crate::*;

fn record(nas_id: i64, session: &str, login: &str, status: Status, input: i64) -> Record {
    Record {
        nas_id,
        status,
        session_id: session.into(),
        login: login.into(),
        framed_ip: Some("100.64.1.1".into()),
        framed_ipv6_prefix: None,
        delegated_ipv6_prefix: None,
        calling_station_id: String::new(),
        nas_port_id: "ether1".into(),
        input,
        output: 0,
        session_time: 60,
        terminate_cause: if status == Status::Stop {
            "User-Request".into()
        } else {
            String::new()
        },
        at: store::now(),
    }
}

/// A contract "alice" on a plan and a loopback NAS: contract id, NAS id.
async fn alice(s: &Services) -> (i64, i64) {
    let c = customer(s).await;
    let p = catalog::create_plan(
        s,
        &setup_caller(),
        &plan("Fibra 500", SuspendedBehavior::Reject),
    )
    .await
    .unwrap()
    .id;
    let k = contract(s, c, p, "alice", "alice-pass", "", "").await;
    let nas = add_nas(s, "bng-1", "127.0.0.1", "mikrotik", 3799).await;
    (k, nas)
}

async fn exec(s: &Services, sql: &str) {
    let mut c = s.db.conn().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut *c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn scalar(s: &Services, sql: &str) -> i64 {
    let mut c = s.db.conn().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut *c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A committer with a journal directory (for its dead letters) running in
/// the background: the sender of its batches, its metrics, the directory.
struct Running {
    tx: tokio::sync::mpsc::UnboundedSender<Batch>,
    metrics: Arc<Metrics>,
    dir: std::path::PathBuf,
    task: tokio::task::JoinHandle<()>,
    next: u64,
}

impl Running {
    async fn start(s: &Services) -> Running {
        let metrics = Arc::new(Metrics::default());
        let view = Arc::new(View::load(s, metrics.clone()).await.unwrap());
        let dir = s.data_dir.join("radius-journal");
        std::fs::create_dir_all(&dir).unwrap();
        let committer = Committer::new(s.clone(), view, metrics.clone())
            .with_journal("test-node".into(), dir.clone())
            .unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(committer.run(rx));
        Running {
            tx,
            metrics,
            dir,
            task,
            next: 0,
        }
    }

    /// Sends records as one journal batch (positions go on from the last).
    fn send(&mut self, records: &[Record]) {
        let b = Batch::encode(1, self.next, records);
        self.next = b.end().unwrap().offset;
        self.tx.send(b).unwrap();
        self.metrics
            .acct_journaled
            .fetch_add(records.len() as u64, Relaxed);
    }

    async fn settled(&self, what: &str) {
        eventually(20.0, what, || async {
            (self.metrics.acct_backlog() == 0).then_some(())
        })
        .await
    }

    async fn stop(self) {
        drop(self.tx);
        self.task.await.unwrap();
    }
}

/// The reproduction from the hardening issue: Acct-Input-Gigawords of
/// 0xFFFFFFFF used to be stored as a negative count, summed into usage
/// until it overflowed, and then the RADIUS server could not start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impossible_gigawords_are_refused_with_a_reason_and_the_server_restarts() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (alice, _nas) = alice(&s).await;
        let server = start(&s).await;
        let addr = server.acct_addr();
        let start_line = "Acct-Status-Type = Start\nAcct-Session-Id = \"g1\"\nUser-Name = \"alice\"\nFramed-IP-Address = 100.64.0.7\n";
        let out = radclient(addr, "acct", start_line.into()).await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        for _ in 0..2 {
            let out = radclient(
                addr,
                "acct",
                "Acct-Status-Type = Interim-Update\nAcct-Session-Id = \"g1\"\nUser-Name = \"alice\"\nAcct-Input-Octets = 4294967295\nAcct-Input-Gigawords = 4294967295\nAcct-Session-Time = 60\n".into(),
            )
            .await;
            // Acknowledged: the NAS must not retransmit it for ever.
            assert!(out.contains("Received Accounting-Response"), "{out}");
        }
        let out = radclient(
            addr,
            "acct",
            "Acct-Status-Type = Interim-Update\nAcct-Session-Id = \"g1\"\nUser-Name = \"alice\"\nAcct-Input-Octets = 5000\nAcct-Input-Gigawords = 1\nAcct-Session-Time = 120\n".into(),
        )
        .await;
        assert!(out.contains("Received Accounting-Response"), "{out}");
        server.settled().await;
        let m = server.metrics();
        assert_eq!(m.acct_invalid.load(Relaxed), 2);
        assert_eq!(m.acct_refused.load(Relaxed), 2);
        assert_eq!(m.acct_dead_letters.load(Relaxed), 2);
        let letters = aaa::deadletter::read(&s.data_dir.join("radius-journal")).unwrap();
        assert_eq!(letters.len(), 2);
        assert!(letters[0].reason.contains("Gigawords"), "{}", letters[0].reason);
        assert_eq!(letters[0].record.session_id, "g1");
        // No negative count anywhere; the good Interim counted.
        let negative = scalar(
            &s,
            "SELECT (SELECT COUNT(*) FROM radius_sessions WHERE input_octets < 0 OR output_octets < 0)
                  + (SELECT COUNT(*) FROM contract_usage WHERE input_octets < 0 OR output_octets < 0)",
        )
        .await;
        assert_eq!(negative, 0);
        let input = scalar(&s, "SELECT input_octets FROM radius_sessions WHERE acct_session_id = 'g1'").await;
        assert_eq!(input, (1 << 32) + 5000);
        let used = services::radius::usage(&s, &services::Caller::system("test"), alice, 12).await.unwrap();
        assert_eq!(used.iter().map(|u| u.input_octets).sum::<i64>(), (1 << 32) + 5000);
        server.stop().await;
        // The server starts again, its dead letters with it.
        let again = start(&s).await;
        assert_eq!(again.metrics().acct_dead_letters.load(Relaxed), 2);
        assert_eq!(again.view().usage.load().get(&alice).copied(), Some((1 << 32) + 5000));
        again.stop().await;
    })
    .await;
}

/// Usage sums saturate instead of overflowing: many sessions each near the
/// bound add up past i64 on one contract.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_sums_saturate() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (alice, nas) = alice(&s).await;
        let mut c = Running::start(&s).await;
        let big = aaa::acct::MAX_OCTETS - 1;
        for round in 0..2 {
            let records: Vec<Record> = (0..80)
                .flat_map(|i| {
                    let id = format!("big-{round}-{i}");
                    [
                        record(nas, &id, "alice", Status::Start, 0),
                        record(nas, &id, "alice", Status::Stop, big),
                    ]
                })
                .collect();
            c.send(&records);
            c.settled("the big sessions").await;
        }
        let used = scalar(
            &s,
            &format!("SELECT input_octets FROM contract_usage WHERE contract_id = {alice}"),
        )
        .await;
        assert_eq!(used, i64::MAX);
        if db.engine() == Engine::Sqlite {
            let kind: String = {
                let mut conn = s.db.conn().await.unwrap();
                sqlx::query_scalar("SELECT typeof(input_octets) FROM contract_usage")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap()
            };
            assert_eq!(kind, "integer");
        }
        assert_eq!(c.metrics.acct_refused.load(Relaxed), 0);
        c.stop().await;
    })
    .await;
}

/// A database that refuses every write (here a trigger that raises, as a
/// read-only standby or a full disk would) loses nothing: the committer
/// keeps the journal position and retries until the writes go through,
/// and sends nothing to the dead letters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_refusing_every_write_for_a_while_loses_nothing() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (_alice, nas) = alice(&s).await;
        let mut c = Running::start(&s).await;
        let starts: Vec<Record> = (0..300)
            .map(|i| record(nas, &format!("t{i}"), "alice", Status::Start, 0))
            .collect();
        c.send(&starts);
        c.settled("the Starts").await;
        let (add, drop) = match db.engine() {
            Engine::Sqlite => (
                vec![
                    "CREATE TRIGGER refuse_i BEFORE INSERT ON radius_sessions BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END",
                    "CREATE TRIGGER refuse_u BEFORE UPDATE ON radius_sessions BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END",
                ],
                vec!["DROP TRIGGER refuse_i", "DROP TRIGGER refuse_u"],
            ),
            Engine::Postgres => (
                vec![
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by a test trigger'; END $$",
                    "CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON radius_sessions FOR EACH ROW EXECUTE FUNCTION refuse()",
                ],
                vec!["DROP TRIGGER refuse ON radius_sessions", "DROP FUNCTION refuse()"],
            ),
        };
        for sql in add {
            exec(&s, sql).await;
        }
        let stops: Vec<Record> = (0..300)
            .map(|i| record(nas, &format!("t{i}"), "alice", Status::Stop, 1000 + i))
            .collect();
        c.send(&stops);
        // Stalled, not skipping: wait until the committer says so, then
        // longer than the old code took to give a record up (about 3 s).
        eventually(10.0, "the committer to report the stall", || async {
            (c.metrics.acct_stalled_since.load(Relaxed) > 0).then_some(())
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
        assert_eq!(c.metrics.acct_refused.load(Relaxed), 0);
        assert_eq!(c.metrics.acct_backlog(), 300);
        for sql in drop {
            exec(&s, sql).await;
        }
        c.settled("the Stops after the trigger went").await;
        assert_eq!(c.metrics.acct_stalled_since.load(Relaxed), 0);
        let open = scalar(&s, "SELECT COUNT(*) FROM radius_sessions WHERE stopped_at IS NULL").await;
        let closed = scalar(&s, "SELECT COUNT(*) FROM radius_sessions WHERE stopped_at IS NOT NULL").await;
        assert_eq!((open, closed), (0, 300));
        let sum = scalar(&s, "SELECT CAST(SUM(input_octets) AS BIGINT) FROM radius_sessions").await;
        assert_eq!(sum, (0..300).map(|i| 1000 + i).sum::<i64>());
        assert!(aaa::deadletter::read(&c.dir).unwrap().is_empty());
        c.stop().await;
    })
    .await;
}

/// A record the database refuses for its own content while it takes the
/// others goes to the dead letters with the database's reason; the rest of
/// its batch is applied, the journal moves past it, and a retry after the
/// cause is fixed applies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_refused_for_its_content_waits_in_the_dead_letters_until_retried() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (_alice, nas) = alice(&s).await;
        exec(
            &s,
            &format!(
                "INSERT INTO radius_sessions (nas_id, acct_session_id, login, calling_station_id, started_at, updated_at, stopped_at)
                 VALUES ({nas}, 'before', 'mallory', '', 1, 1, 2)"
            ),
        )
        .await;
        exec(
            &s,
            "CREATE UNIQUE INDEX one_mallory ON radius_sessions (login) WHERE login = 'mallory'",
        )
        .await;
        let mut c = Running::start(&s).await;
        let records: Vec<Record> = (0..100)
            .map(|i| {
                let login = if i == 37 { "mallory" } else { "alice" };
                record(nas, &format!("r{i}"), login, Status::Start, 0)
            })
            .collect();
        c.send(&records);
        c.settled("the batch").await;
        assert_eq!(c.metrics.acct_refused.load(Relaxed), 1);
        assert_eq!(c.metrics.acct_writes.load(Relaxed), 99);
        let letters = aaa::deadletter::read(&c.dir).unwrap();
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].record.session_id, "r37");
        assert!(!letters[0].reason.is_empty());
        let open = scalar(&s, "SELECT COUNT(*) FROM radius_sessions WHERE stopped_at IS NULL").await;
        assert_eq!(open, 99);
        // The journal position is past the whole batch, refused record
        // included; the count is there for every node's panel.
        let (position, dead): (i64, i64) = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_as("SELECT position, dead_letters FROM radius_journal WHERE node = 'test-node'")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        assert_eq!((position as u64, dead), (c.next, 1));
        // The cause fixed, a retry applies it.
        exec(&s, "DROP INDEX one_mallory").await;
        aaa::deadletter::request_retry(&c.dir).unwrap();
        eventually(10.0, "the retry", || async {
            (!aaa::deadletter::retry_pending(&c.dir)).then_some(())
        })
        .await;
        assert!(aaa::deadletter::read(&c.dir).unwrap().is_empty());
        assert_eq!(c.metrics.acct_dead_letters.load(Relaxed), 0);
        let mallory = scalar(
            &s,
            "SELECT COUNT(*) FROM radius_sessions WHERE acct_session_id = 'r37' AND stopped_at IS NULL",
        )
        .await;
        assert_eq!(mallory, 1);
        let dead = scalar(&s, "SELECT dead_letters FROM radius_journal WHERE node = 'test-node'").await;
        assert_eq!(dead, 0);
        c.stop().await;
    })
    .await;
}

/// Rows that do not decode (a REAL in a counter column on SQLite, written by
/// an older version; counters at i64's maximum on PostgreSQL) neither stop
/// the view from loading nor break the usage re-read for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_usage_row_never_stops_the_view() {
    each_engine(|db| async move {
        let s = svc(&db);
        let (alice, _nas) = alice(&s).await;
        let (ana, p) = {
            let mut conn = s.db.conn().await.unwrap();
            sqlx::query_as::<_, (i64, i64)>("SELECT customer_id, plan_id FROM contracts")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        };
        let bob = contract(&s, ana, p, "bob", "bob-pass", "", "").await;
        let cycle = {
            let mut conn = s.db.conn().await.unwrap();
            services::crm::today(&mut conn).await.unwrap()
        };
        let cycle = aaa::view::cycle_start(cycle, 1).to_string();
        let bad = match db.engine() {
            Engine::Sqlite => "1e300",
            Engine::Postgres => "9223372036854775807",
        };
        exec(
            &s,
            &format!(
                "INSERT INTO contract_usage (contract_id, cycle_start, input_octets, output_octets, session_time, updated_at)
                 VALUES ({alice}, '{cycle}', {bad}, 9223372036854775807, 0, 1), ({bob}, '{cycle}', 700, 300, 0, 1)"
            ),
        )
        .await;
        let metrics = Arc::new(Metrics::default());
        let view = View::load(&s, metrics).await.expect("the view loads");
        let usage = view.usage.load();
        assert_eq!(usage.get(&bob).copied(), Some(1000));
        if db.engine() == Engine::Postgres {
            // Summed in Rust (in SQL the sum raised for the whole query).
            assert_eq!(usage.get(&alice).copied(), Some(2 * i64::MAX as u64));
        } else {
            assert_eq!(usage.get(&alice), None, "the REAL row is left out");
        }
        view.reload_usage(&s).await.expect("the re-read works");
    })
    .await;
}

/// The database locked by another process (SQLite: a write transaction held
/// past the 10 s busy timeout, so writes fail with SQLITE_BUSY; PostgreSQL:
/// the table locked, so writes wait) delays accounting and loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_by_another_process_delays_accounting_and_loses_nothing() {
    use sqlx::Connection as _;
    each_engine(|db| async move {
        let s = svc(&db);
        let (_alice, nas) = alice(&s).await;
        let mut c = Running::start(&s).await;
        let mut other = sqlx::AnyConnection::connect(db.url()).await.unwrap();
        let (lock, hold) = match db.engine() {
            Engine::Sqlite => ("BEGIN IMMEDIATE", 11),
            Engine::Postgres => (
                "BEGIN; LOCK TABLE radius_sessions IN ACCESS EXCLUSIVE MODE",
                3,
            ),
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(lock))
            .execute(&mut other)
            .await
            .unwrap();
        let starts: Vec<Record> = (0..50)
            .map(|i| record(nas, &format!("l{i}"), "alice", Status::Start, 0))
            .collect();
        c.send(&starts);
        tokio::time::sleep(std::time::Duration::from_secs(hold)).await;
        if db.engine() == Engine::Sqlite {
            // The write gave up with SQLITE_BUSY: a stall, not a refusal.
            eventually(10.0, "the stall to be reported", || async {
                (c.metrics.acct_stalled_since.load(Relaxed) > 0).then_some(())
            })
            .await;
        }
        assert_eq!(
            c.metrics.acct_backlog(),
            50,
            "nothing applied under the lock"
        );
        sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
        c.settled("the Starts after the lock").await;
        assert_eq!(c.metrics.acct_refused.load(Relaxed), 0);
        let open = scalar(
            &s,
            "SELECT COUNT(*) FROM radius_sessions WHERE stopped_at IS NULL",
        )
        .await;
        assert_eq!(open, 50);
        assert!(aaa::deadletter::read(&c.dir).unwrap().is_empty());
        c.stop().await;
    })
    .await;
}

// --- Transient failures: the committer waits them out ------------------------

/// A PostgreSQL connection of its own on the test's database, and its
/// backend's pid.
async fn pg_session(db: &store::Db) -> (sqlx::AnyConnection, i64) {
    use sqlx::Connection as _;
    let mut c = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    let pid: i64 = sqlx::query_scalar("SELECT pg_backend_pid()::bigint")
        .fetch_one(&mut c)
        .await
        .unwrap();
    (c, pid)
}

/// Terminates every backend of the test's database but `spare` (as an
/// administrator, a failover or a crashed pooler would); how many.
async fn terminate_backends(c: &mut sqlx::AnyConnection, spare: &[i64]) -> i64 {
    let spare: Vec<String> = spare.iter().map(i64::to_string).collect();
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid NOT IN ({})) k
          WHERE gone",
        if spare.is_empty() {
            "0".into()
        } else {
            spare.join(", ")
        }
    )))
    .fetch_one(c)
    .await
    .unwrap()
}

/// Waits until a backend of the test's database other than `ours` waits
/// for a lock (the committer, mid-transaction, behind one of ours): its pid.
async fn lock_waiter(c: &mut sqlx::AnyConnection, ours: &[i64], what: &str) -> i64 {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let pids: Vec<i64> = sqlx::query_scalar(
            "SELECT pid::bigint FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_all(&mut *c)
        .await
        .unwrap();
        if let Some(pid) = pids.into_iter().find(|p| !ours.contains(p)) {
            return pid;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

async fn raw(c: &mut sqlx::AnyConnection, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(c)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

impl Running {
    /// Waits until the committer reports that the database takes no writes.
    async fn stalled(&self, what: &str) {
        eventually(15.0, what, || async {
            (self.metrics.acct_stalled_since.load(Relaxed) > 0).then_some(())
        })
        .await
    }
}

/// Sessions `prefix0`… of alice: (open, closed, summed input octets), and
/// how many rows share a session id (0 when each was written once).
async fn sessions(s: &Services, prefix: &str) -> (i64, i64, i64, i64) {
    let like = format!("'{prefix}%'");
    let open = scalar(
        s,
        &format!("SELECT COUNT(*) FROM radius_sessions WHERE acct_session_id LIKE {like} AND stopped_at IS NULL"),
    )
    .await;
    let closed = scalar(
        s,
        &format!("SELECT COUNT(*) FROM radius_sessions WHERE acct_session_id LIKE {like} AND stopped_at IS NOT NULL"),
    )
    .await;
    let input = scalar(
        s,
        &format!("SELECT CAST(COALESCE(SUM(input_octets), 0) AS BIGINT) FROM radius_sessions WHERE acct_session_id LIKE {like}"),
    )
    .await;
    let twice = scalar(
        s,
        &format!("SELECT COUNT(*) - COUNT(DISTINCT acct_session_id) FROM radius_sessions WHERE acct_session_id LIKE {like}"),
    )
    .await;
    (open, closed, input, twice)
}

/// alice's usage this cycle (input octets), summed over the usage rows.
async fn usage_input(s: &Services, contract: i64) -> i64 {
    scalar(
        s,
        &format!("SELECT CAST(COALESCE(SUM(input_octets), 0) AS BIGINT) FROM contract_usage WHERE contract_id = {contract}"),
    )
    .await
}

/// PostgreSQL connections killed under the committer (`pg_terminate_backend`,
/// as a restart, a failover or a pooler would): first deterministically,
/// while its transaction waits behind a lock; then again and again during a
/// burst of requests acknowledged by the server. Everything acknowledged is
/// in the database once, nothing in the dead letters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_killed_mid_burst_lose_nothing() {
    let db = store::testing::postgres().await;
    let s = svc(&db);
    let (alice, _nas) = alice(&s).await;
    let server = start(&s).await;
    let addr = server.acct_addr();
    let requests = |kind: &str, from: usize, to: usize, input: Option<usize>| -> String {
        (from..to)
            .map(|i| {
                let counters = input.map_or(String::new(), |n| {
                    format!("Acct-Input-Octets = {}\nAcct-Session-Time = 60\n", n + i)
                });
                format!("Acct-Status-Type = {kind}\nAcct-Session-Id = \"k{i}\"\nUser-Name = \"alice\"\n{counters}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let acked = |out: &str| out.matches("Received Accounting-Response").count();

    // The committer's transaction waits behind a table lock; its backend
    // is killed there.
    let (mut admin, admin_pid) = pg_session(&db).await;
    let (mut locker, locker_pid) = pg_session(&db).await;
    raw(
        &mut locker,
        "BEGIN; LOCK TABLE radius_sessions IN ACCESS EXCLUSIVE MODE",
    )
    .await;
    let out = radclient(addr, "acct", requests("Start", 0, 100, None)).await;
    assert_eq!(acked(&out), 100, "{out}");
    let ours = [admin_pid, locker_pid];
    let committer = lock_waiter(&mut admin, &ours, "the committer behind the lock").await;
    let killed: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT pg_terminate_backend({committer})"
    )))
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(killed);
    eventually(15.0, "the stall to be reported", || async {
        (server.metrics().acct_stalled_since.load(Relaxed) > 0).then_some(())
    })
    .await;
    assert_eq!(server.metrics().acct_backlog(), 100);
    raw(&mut locker, "ROLLBACK").await;
    eventually(20.0, "the Starts after the kill", || async {
        (server.metrics().acct_backlog() == 0).then_some(())
    })
    .await;

    // A burst while every backend of the database is killed every 20 ms.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut kills = 0;
            // Bounded: 500 rounds of 20 ms at most.
            for _ in 0..500 {
                if stop.load(Relaxed) {
                    break;
                }
                kills += terminate_backends(&mut admin, &[locker_pid]).await;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            kills
        }
    });
    let mut acknowledged = 0;
    for (kind, from, to, input) in [
        ("Interim-Update", 0, 100, Some(500)),
        ("Start", 100, 150, None),
        ("Stop", 0, 100, Some(1000)),
        ("Start", 150, 200, None),
    ] {
        let out = radclient(addr, "acct", requests(kind, from, to, input)).await;
        acknowledged += acked(&out);
    }
    assert_eq!(acknowledged, 300);
    stop.store(true, Relaxed);
    let kills = killer.await.unwrap();
    assert!(kills > 0, "no backend was killed");
    eventually(30.0, "the burst after the kills", || async {
        (server.metrics().acct_backlog() == 0).then_some(())
    })
    .await;
    assert_eq!(server.metrics().acct_refused.load(Relaxed), 0);
    // k0–k99 started and stopped, k100–k199 open; each written once.
    let stops: i64 = (0..100).map(|i| 1000 + i).sum();
    assert_eq!(sessions(&s, "k").await, (100, 100, stops, 0));
    assert_eq!(usage_input(&s, alice).await, stops);
    assert!(
        aaa::deadletter::read(&s.data_dir.join("radius-journal"))
            .unwrap()
            .is_empty()
    );
    server.stop().await;
    db.close().await;
}

/// A PostgreSQL database that turns read-only (`default_transaction_read_only`,
/// as a standby after a failover refuses writes) delays accounting and loses
/// nothing. Sessions keep the setting they started with, so, as in a
/// failover, the connections are dropped each time it changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_read_only_database_delays_accounting_and_loses_nothing() {
    let db = store::testing::postgres().await;
    let s = svc(&db);
    let (alice, nas) = alice(&s).await;
    let mut c = Running::start(&s).await;
    let starts: Vec<Record> = (0..50)
        .map(|i| record(nas, &format!("ro{i}"), "alice", Status::Start, 0))
        .collect();
    c.send(&starts);
    c.settled("the Starts").await;
    let (mut admin, pid) = pg_session(&db).await;
    let name: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    raw(
        &mut admin,
        &format!("ALTER DATABASE {name} SET default_transaction_read_only = on"),
    )
    .await;
    terminate_backends(&mut admin, &[pid]).await;
    let stops: Vec<Record> = (0..50)
        .map(|i| record(nas, &format!("ro{i}"), "alice", Status::Stop, 700 + i))
        .collect();
    c.send(&stops);
    c.stalled("the read-only database to stall the committer")
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(c.metrics.acct_backlog(), 50, "nothing applied read-only");
    assert_eq!(c.metrics.acct_refused.load(Relaxed), 0);
    raw(
        &mut admin,
        &format!("ALTER DATABASE {name} RESET default_transaction_read_only"),
    )
    .await;
    terminate_backends(&mut admin, &[pid]).await;
    c.settled("the Stops once the database takes writes").await;
    assert_eq!(c.metrics.acct_refused.load(Relaxed), 0);
    let want: i64 = (0..50).map(|i| 700 + i).sum();
    assert_eq!(sessions(&s, "ro").await, (0, 50, want, 0));
    assert_eq!(usage_input(&s, alice).await, want);
    assert!(aaa::deadletter::read(&c.dir).unwrap().is_empty());
    c.stop().await;
    db.close().await;
}

/// A deadlock (40P01) and a serialization failure (40001) abort the
/// committer's transaction; it is retried, not refused. Both are provoked
/// deterministically: the deadlock by a transaction that holds the journal
/// position row and then wants a session row the committer holds (with a
/// long deadlock_timeout of its own, so the committer is the one PostgreSQL
/// aborts); the serialization failure by running the committer at
/// REPEATABLE READ and committing a change to a row it waits for. A second
/// lock keeps the retry waiting, so the stall is seen before it clears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_deadlocks_and_serialization_failures_are_retried() {
    let db = store::testing::postgres().await;
    let s = svc(&db);
    let (alice, nas) = alice(&s).await;
    let mut c = Running::start(&s).await;
    let starts: Vec<Record> = (0..20)
        .map(|i| record(nas, &format!("d{i}"), "alice", Status::Start, 0))
        .collect();
    c.send(&starts);
    c.settled("the Starts").await;
    let interims = |input: i64| -> Vec<Record> {
        (0..20)
            .map(|i| record(nas, &format!("d{i}"), "alice", Status::Interim, input))
            .collect()
    };
    let (mut admin, admin_pid) = pg_session(&db).await;
    let name: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    // PostgreSQL looks for a deadlock once, deadlock_timeout after a wait
    // begins: 3 s leaves T ample time to close the cycle before the
    // committer looks (T's own, 60 s, makes the committer the one aborted).
    raw(
        &mut admin,
        &format!("ALTER DATABASE {name} SET deadlock_timeout = '3s'"),
    )
    .await;
    terminate_backends(&mut admin, &[admin_pid]).await;
    let (mut t, t_pid) = pg_session(&db).await;
    let deadlocks = || async {
        let mut conn = s.db.conn().await.unwrap();
        sqlx::query_scalar::<_, i64>(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap()
    };
    let before = deadlocks().await;

    // Deadlock: T holds the position row; the committer updates the session
    // rows, then waits for the position row; T then wants a session row.
    raw(
        &mut t,
        "BEGIN; SET LOCAL deadlock_timeout = '60s';
         SELECT position FROM radius_journal WHERE node = 'test-node' FOR UPDATE",
    )
    .await;
    c.send(&interims(500));
    lock_waiter(
        &mut admin,
        &[admin_pid, t_pid],
        "the committer behind the position row",
    )
    .await;
    // Returns once PostgreSQL has aborted the committer (its 3 s timeout).
    raw(
        &mut t,
        "UPDATE radius_sessions SET updated_at = updated_at WHERE acct_session_id = 'd0'",
    )
    .await;
    c.stalled("the deadlock to stall the committer").await;
    assert_eq!(c.metrics.acct_backlog(), 20);
    raw(&mut t, "ROLLBACK").await;
    c.settled("the Interims after the deadlock").await;
    eventually(10.0, "the deadlock in pg_stat_database", || async {
        (deadlocks().await > before).then_some(())
    })
    .await;

    // Serialization failure: new sessions run REPEATABLE READ.
    raw(
        &mut admin,
        &format!("ALTER DATABASE {name} SET default_transaction_isolation = 'repeatable read'"),
    )
    .await;
    terminate_backends(&mut admin, &[admin_pid, t_pid]).await;
    let (mut position, position_pid) = pg_session(&db).await;
    raw(
        &mut t,
        "BEGIN; UPDATE radius_sessions SET updated_at = updated_at WHERE acct_session_id = 'd1'",
    )
    .await;
    c.send(&interims(900));
    let ours = [admin_pid, t_pid, position_pid];
    // The committer's UPDATE waits for T's row. (At READ COMMITTED it would
    // go on once T commits, and no stall would ever be seen below.)
    lock_waiter(&mut admin, &ours, "the committer behind the session row").await;
    // The retry will wait behind this lock on the position row.
    raw(
        &mut position,
        "BEGIN; SELECT position FROM radius_journal WHERE node = 'test-node' FOR UPDATE",
    )
    .await;
    raw(&mut t, "COMMIT").await;
    c.stalled("the serialization failure to stall the committer")
        .await;
    assert_eq!(c.metrics.acct_backlog(), 20);
    raw(&mut position, "ROLLBACK").await;
    c.settled("the Interims after the serialization failure")
        .await;
    raw(&mut admin, &format!("ALTER DATABASE {name} RESET ALL")).await;

    assert_eq!(c.metrics.acct_refused.load(Relaxed), 0);
    assert_eq!(sessions(&s, "d").await, (20, 0, 20 * 900, 0));
    assert_eq!(usage_input(&s, alice).await, 20 * 900);
    assert!(aaa::deadletter::read(&c.dir).unwrap().is_empty());
    c.stop().await;
    db.close().await;
}

/// Runs `sql` on every connection of the pool (SQLite's limits and modes
/// are per connection): holds them all at once, so none is missed.
async fn on_every_connection(s: &Services, sql: &str) {
    let pool = s.db.pool();
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.unwrap());
    }
    for conn in &mut held {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut **conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// SQLite refusing writes as a read-only database (`PRAGMA query_only`:
/// SQLITE_READONLY, the error a read-only file or mount gives; the tests
/// run as root, for whom file modes do not make a file read-only) and as a
/// full disk (`PRAGMA max_page_count` at the current size: SQLITE_FULL)
/// delays accounting and loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_read_only_and_full_database_delay_accounting_and_lose_nothing() {
    let db = store::testing::sqlite().await;
    let s = svc(&db);
    let (alice, nas) = alice(&s).await;
    let mut c = Running::start(&s).await;
    let starts: Vec<Record> = (0..100)
        .map(|i| record(nas, &format!("q{i}"), "alice", Status::Start, 0))
        .collect();
    c.send(&starts);
    c.settled("the Starts").await;

    on_every_connection(&s, "PRAGMA query_only = 1").await;
    let stops: Vec<Record> = (0..100)
        .map(|i| record(nas, &format!("q{i}"), "alice", Status::Stop, 300 + i))
        .collect();
    c.send(&stops);
    c.stalled("the read-only database to stall the committer")
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(c.metrics.acct_backlog(), 100, "nothing applied read-only");
    on_every_connection(&s, "PRAGMA query_only = 0").await;
    c.settled("the Stops once the database takes writes").await;
    let stopped: i64 = (0..100).map(|i| 300 + i).sum();
    assert_eq!(sessions(&s, "q").await, (0, 100, stopped, 0));

    // Full: not one more page.
    let pages = scalar(&s, "SELECT page_count FROM pragma_page_count()").await;
    on_every_connection(&s, &format!("PRAGMA max_page_count = {pages}")).await;
    let more: Vec<Record> = (0..2000)
        .map(|i| record(nas, &format!("f{i}"), "alice", Status::Start, 5))
        .collect();
    c.send(&more);
    c.stalled("the full database to stall the committer").await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(c.metrics.acct_backlog(), 2000, "nothing applied while full");
    on_every_connection(&s, "PRAGMA max_page_count = 1073741823").await;
    c.settled("the Starts once there is room").await;

    assert_eq!(c.metrics.acct_refused.load(Relaxed), 0);
    assert_eq!(sessions(&s, "f").await, (2000, 0, 2000 * 5, 0));
    assert_eq!(usage_input(&s, alice).await, stopped + 2000 * 5);
    assert!(aaa::deadletter::read(&c.dir).unwrap().is_empty());
    c.stop().await;
    db.close().await;
}
