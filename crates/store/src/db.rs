use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::{Error, Result};

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A connection pool plus what the code must know about its engine.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
    url: Arc<str>,
    /// SQLite has one writer; queueing writers here (fairly, in process)
    /// beats spinning in SQLite's busy handler. `BEGIN IMMEDIATE` still guards
    /// against other processes (the CLI next to a running server).
    sqlite_writer: Option<Arc<Mutex<()>>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("engine", &self.engine).finish()
    }
}

/// Creates the SQLite file as 0600 before SQLite does (SQLite gives its
/// `-wal` and `-shm` files the database file's mode), and takes group and
/// other access away from an existing installation's files, saying so.
fn private_sqlite_files(db: &Path) -> Result<()> {
    match crate::files::options().create_new(true).open(db) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = db.as_os_str().to_owned();
                p.push(suffix);
                crate::files::tighten_logged(Path::new(&p));
            }
        }
        Err(e) => {
            return Err(Error::Config(format!(
                "cannot create {}: {e}",
                db.display()
            )));
        }
    }
    Ok(())
}

impl Db {
    /// Opens a pool on `url` (`sqlite://path` or `postgres://…`). SQLite files
    /// are created if missing and run in WAL mode.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            return Err(Error::Config(format!(
                "unsupported database URL `{}`: expected sqlite://… or postgres://…",
                redact_url(url)
            )));
        };
        let mut url_owned = url.to_owned();
        if engine == Engine::Sqlite {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or(path);
            if let Some(parent) = Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                crate::files::create_dir_all(parent).map_err(|e| {
                    Error::Config(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            let creates = !url.contains('?') || url.contains("mode=rwc");
            if !url.contains('?') {
                url_owned.push_str("?mode=rwc");
            }
            if creates && !path.is_empty() && !path.starts_with(':') {
                private_sqlite_files(Path::new(path))?;
            }
        }
        let opts = AnyConnectOptions::from_str(&url_owned)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // synchronous = FULL: in WAL mode every commit
                        // fsyncs the WAL before it returns, so a committed
                        // transaction (an acknowledged RADIUS accounting
                        // record among them) survives power loss. NORMAL
                        // only survives a process crash: it can lose the
                        // last commits if the machine stops.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 10000",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Db {
            pool,
            engine,
            url: url.into(),
            sqlite_writer: (engine == Engine::Sqlite).then(|| Arc::new(Mutex::new(()))),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The URL this pool was opened with (contains credentials: never log it;
    /// see [`redact_url`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies pending migrations for this engine.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.engine {
            Engine::Sqlite => &SQLITE_MIGRATIONS,
            Engine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// A pooled connection for reads.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<WriteTx> {
        let guard = match &self.sqlite_writer {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        };
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            engine: self.engine,
            _guard: guard,
        })
    }

    /// Size of the database in bytes.
    pub async fn size_bytes(&self) -> Result<i64> {
        let sql = match self.engine {
            Engine::Sqlite => {
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            }
            Engine::Postgres => "SELECT pg_database_size(current_database())",
        };
        Ok(sqlx::query_scalar(sql).fetch_one(&self.pool).await?)
    }

    /// SQLite only: writes a consistent copy of the live database to
    /// `target` (an online backup; writers wait while it runs).
    pub async fn vacuum_into(&self, target: &Path) -> Result<()> {
        let target = target
            .to_str()
            .ok_or_else(|| Error::Config(format!("path {} is not UTF-8", target.display())))?;
        // VACUUM INTO takes no bound parameters: quote the path as an SQL string.
        let sql = format!("VACUUM INTO '{}'", target.replace('\'', "''"));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether the SQLite file at `path` holds a Lastmile database (opened
/// read-only; nothing is written).
pub async fn is_lastmile_sqlite(path: &Path) -> Result<bool> {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&format!("sqlite://{}?mode=ro", path.display())).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'
           AND name IN ('_sqlx_migrations', 'company', 'users', 'audit_log', 'jobs')",
    )
    .fetch_one(&mut conn)
    .await?;
    let _ = conn.close().await;
    Ok(n == 5)
}

/// A write transaction; derefs to the connection every store function takes.
/// Dropped without [`WriteTx::commit`], it rolls back.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    engine: Engine,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Undoes everything the transaction wrote, now rather than when the
    /// connection is next used (a caller that starts over at once).
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://lm:s3cret@db:5432/lastmile"),
            "postgres://lm:***@db:5432/lastmile"
        );
        assert_eq!(
            super::redact_url("sqlite://data/x.db"),
            "sqlite://data/x.db"
        );
    }
}
