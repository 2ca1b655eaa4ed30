//! Accounting under a hostile NAS and an unlucky database: impossible
//! counters, a database refusing every write for a while, a record refused
//! for its content, and rows that do not decode at start-up.

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
    let p = catalog::create_plan(s, &admin(), &plan("Fibra 500", SuspendedBehavior::Reject))
        .await
        .unwrap();
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
