//! One harness that runs a test against a fresh SQLite file and a fresh
//! PostgreSQL database. PostgreSQL is found at `LASTMILE_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`); the test command
//! starts a throwaway cluster when none is reachable. A missing PostgreSQL
//! fails the test: a skipped engine would be a silent pass.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

use crate::{Db, Engine};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    use std::hash::{BuildHasher, RandomState};
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let r = RandomState::new().hash_one((std::process::id(), n));
    format!("{}_{:x}", crate::now(), r & 0xffff_ffff)
}

/// The PostgreSQL server URL the tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("LASTMILE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A migrated database on a new SQLite file under the temp dir.
pub async fn sqlite() -> Db {
    let dir = std::env::temp_dir().join("lastmile-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("t_{}.db", unique_suffix()));
    let db = Db::connect(&format!("sqlite://{}", path.display()), 4)
        .await
        .expect("open sqlite");
    db.migrate().await.expect("migrate sqlite");
    db
}

/// A new, migrated PostgreSQL database (`lmtest_<time>_<n>`). Databases left
/// by runs more than an hour old are dropped on the way.
pub async fn postgres() -> Db {
    let admin = postgres_admin_url();
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {} ({e}); run the README test command, \
             which starts one, or set LASTMILE_TEST_POSTGRES",
                crate::redact_url(&admin)
            )
        });
    drop_stale(&mut conn).await;
    let name = format!("lmtest_{}", unique_suffix());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let db = Db::connect(&format!("{base}/{name}"), 4)
        .await
        .expect("open postgres");
    db.migrate().await.expect("migrate postgres");
    db
}

async fn drop_stale(conn: &mut sqlx::AnyConnection) {
    let cutoff = crate::now() - 3600;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'lmtest_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let ts: Option<i64> = name.split('_').nth(1).and_then(|t| t.parse().ok());
        if ts.is_some_and(|t| t < cutoff) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *conn)
            .await;
        }
    }
}

/// Runs `test` on SQLite, then on PostgreSQL, naming the engine in any panic.
pub async fn each_engine<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let db = match engine {
            Engine::Sqlite => sqlite().await,
            Engine::Postgres => postgres().await,
        };
        eprintln!("-- running on {engine:?}");
        test(db.clone()).await;
        db.close().await;
    }
}
