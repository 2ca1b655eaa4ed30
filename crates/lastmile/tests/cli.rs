//! The command line, run as a real process. Every test that touches a
//! database runs twice through [`each_engine`]: on SQLite in its data
//! directory (the default URL) and on a fresh PostgreSQL database of its
//! own (`store::testing::postgres`, so a missing PostgreSQL fails the test).

#![allow(clippy::unwrap_used)] // tests may panic on unexpected values

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use store::{Db, Engine};

/// An installation the binary is run against: its data directory and, on
/// PostgreSQL, the URL of a database made for this test alone.
struct Install {
    engine: Engine,
    dir: PathBuf,
    /// `Some` on PostgreSQL (passed as `--database-url`); SQLite uses the
    /// default, `<data-dir>/lastmile.db`.
    database_url: Option<String>,
}

impl Install {
    /// Runs `lastmile <args>` with `stdin` on this installation.
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastmile"));
        cmd.arg("--data-dir").arg(&self.dir);
        if let Some(url) = &self.database_url {
            cmd.args(["--database-url", url]);
        }
        lastmile(cmd, args, stdin)
    }

    /// Runs `setup` and checks it succeeded.
    fn setup(&self) {
        let o = self.run(SETUP, Some("correct horse battery\n"));
        assert!(o.status.success(), "{}", err(&o));
    }

    /// Opens the installation's database directly, as someone with access
    /// to it (or the RADIUS runtime) would, and runs `f` on it.
    fn with_db<T, F: Future<Output = T>>(&self, f: impl FnOnce(Db) -> F) -> T {
        let url = self
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.dir.join("lastmile.db").display()));
        block_on(async move {
            let db = Db::connect(&url, 1).await.expect("open the database");
            let out = f(db.clone()).await;
            db.close().await;
            out
        })
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Runs `test` on a new SQLite installation, then on one on a new
/// PostgreSQL database, naming the engine in any failure's output.
fn each_engine(name: &str, test: impl Fn(&Install)) {
    for engine in [Engine::Sqlite, Engine::Postgres] {
        let dir = temp_dir(&format!("{name}-{engine:?}"));
        let database_url = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(block_on(async {
                let db = store::testing::postgres().await;
                let url = db.url().to_owned();
                db.close().await;
                url
            })),
        };
        eprintln!("-- running on {engine:?}");
        test(&Install {
            engine,
            dir: dir.clone(),
            database_url,
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn lastmile(mut cmd: Command, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = cmd
        .args(args)
        .env_remove("LASTMILE_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run lastmile");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

/// `lastmile --data-dir <dir> <args>` with no database of its own.
fn lastmile_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastmile"));
    cmd.arg("--data-dir").arg(dir);
    lastmile(cmd, args, None)
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lastmile-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const SETUP: &[&str] = &[
    "setup",
    "--company",
    "Fibra Sul",
    "--country",
    "BR",
    "--currency",
    "BRL",
    "--locale",
    "pt-BR",
    "--timezone",
    "America/Sao_Paulo",
    "--admin-username",
    "ana",
    "--admin-email",
    "ana@fibrasul.com.br",
    "--password-stdin",
];

/// `user create` for `joao` in `role`.
fn create_joao(i: &Install, role: &str) -> Output {
    i.run(
        &[
            "user",
            "create",
            "--username",
            "joao",
            "--role",
            role,
            "--email",
            "joao@fibrasul.com.br",
            "--password-stdin",
        ],
        Some("long enough password\n"),
    )
}

#[test]
fn setup_runs_once() {
    each_engine("setup", |i| {
        i.setup();
        let o = i.run(SETUP, Some("correct horse battery\n"));
        assert!(!o.status.success());
        assert!(err(&o).contains("already completed"), "{}", err(&o));
    });
}

#[test]
fn user_create_names_the_bad_flag() {
    each_engine("users", |i| {
        i.setup();
        let o = i.run(
            &[
                "user",
                "create",
                "--username",
                "Bad Name",
                "--role",
                "support",
                "--password-stdin",
            ],
            Some("long enough password"),
        );
        assert!(err(&o).contains("--username"), "{}", err(&o));
        let o = create_joao(i, "nosuch");
        assert!(
            err(&o).contains("--role") && err(&o).contains("nosuch"),
            "{}",
            err(&o)
        );

        let o = create_joao(i, "finance");
        assert!(o.status.success(), "{}", err(&o));
        let o = i.run(&["user", "reset-2fa", "--username", "joao"], None);
        assert!(o.status.success(), "{}", err(&o));
    });
}

#[test]
fn token_create_prints_the_token_alone() {
    each_engine("tokens", |i| {
        i.setup();
        let o = create_joao(i, "finance");
        assert!(o.status.success(), "{}", err(&o));
        let o = i.run(
            &[
                "token",
                "create",
                "--user",
                "joao",
                "--scopes",
                "audit.view,dashboard.view",
            ],
            None,
        );
        assert!(o.status.success(), "{}", err(&o));
        let token = out(&o);
        assert_eq!(token.lines().count(), 1);
        assert!(
            token.starts_with("lm_") && token.trim().len() > 40,
            "{token}"
        );
        let o = i.run(
            &[
                "token",
                "create",
                "--user",
                "joao",
                "--scopes",
                "bogus.scope",
            ],
            None,
        );
        assert!(
            err(&o).contains("--scopes") && err(&o).contains("bogus.scope"),
            "{}",
            err(&o)
        );
    });
}

#[test]
fn audit_verify_finds_an_altered_entry() {
    each_engine("audit", |i| {
        i.setup();
        let o = create_joao(i, "finance");
        assert!(o.status.success(), "{}", err(&o));
        let o = i.run(&["audit", "verify"], None);
        assert!(o.status.success(), "{}", err(&o));
        assert!(out(&o).contains("intact"), "{}", out(&o));

        // Someone with access to the database drops the append-only
        // trigger and rewrites the second entry.
        let drop_trigger = match i.engine {
            Engine::Sqlite => "DROP TRIGGER audit_log_no_update",
            Engine::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log",
        };
        let id: i64 = i.with_db(|db| async move {
            sqlx::query(drop_trigger)
                .execute(db.pool())
                .await
                .expect(drop_trigger);
            let id: i64 =
                sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1")
                    .fetch_one(db.pool())
                    .await
                    .expect("second entry");
            sqlx::query("UPDATE audit_log SET actor_name = 'someone else' WHERE id = $1")
                .bind(id)
                .execute(db.pool())
                .await
                .expect("alter the entry");
            id
        });
        let o = i.run(&["audit", "verify"], None);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            err(&o).contains(&format!("entry {id} was altered")),
            "{}",
            err(&o)
        );
    });
}

/// The data directory and what Lastmile writes in it are private to its
/// user; an older installation's looser modes are tightened at start.
#[cfg(unix)]
#[test]
fn data_dir_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let set = |p: &Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    };
    let dir = temp_dir("modes");
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastmile"));
        cmd.arg("--data-dir").arg(&dir);
        lastmile(cmd, args, stdin)
    };
    let o = run(SETUP, Some("correct horse battery\n"));
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(mode(&dir), 0o700);
    for name in [
        "lastmile.db",
        "lastmile.db-wal",
        "lastmile.db-shm",
        "secret.key",
    ] {
        let p = dir.join(name);
        if name == "lastmile.db" || name == "secret.key" || p.exists() {
            assert_eq!(mode(&p), 0o600, "{name}");
        }
    }
    let o = run(&["backup"], None);
    assert!(o.status.success(), "{}", err(&o));
    let file = PathBuf::from(out(&o).trim());
    assert_eq!(mode(&dir.join("backups")), 0o700);
    assert_eq!(mode(&file), 0o600);

    // An installation made before: readable by everyone.
    set(&dir, 0o755);
    set(&dir.join("lastmile.db"), 0o644);
    let o = run(&["audit", "verify"], None);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("lastmile.db")), 0o600);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_check_names_bad_keys_and_values() {
    let dir = temp_dir("config");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("lastmile.toml");
    std::fs::write(&file, "http = \"127.0.0.1:9000\"\nhtpp = \"x\"\n").expect("write");
    let o = lastmile_in(&dir, &["config", "check"]);
    assert!(!o.status.success());
    assert!(err(&o).contains("htpp"), "{}", err(&o));

    std::fs::write(&file, "http = \"not an address\"\n").expect("write");
    let o = lastmile_in(&dir, &["config", "check"]);
    assert!(
        err(&o).contains("http:") && err(&o).contains("not an address"),
        "{}",
        err(&o)
    );

    std::fs::write(
        &file,
        "trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.1\"]\nrole = \"web\"\n",
    )
    .expect("write");
    let o = lastmile_in(&dir, &["config", "check"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("role = web") && out(&o).contains("10.0.0.0/8"));

    let o = Command::new(env!("CARGO_BIN_EXE_lastmile"))
        .args(["--data-dir"])
        .arg(&dir)
        .args(["config", "check"])
        .env("LASTMILE_HTTPP", "x")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&o.stderr).contains("LASTMILE_HTTPP"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_and_version() {
    let dir = temp_dir("help");
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["user", "create", "--help"],
        &["token", "create", "--help"],
    ] {
        let o = lastmile_in(&dir, args);
        assert!(o.status.success());
        assert!(out(&o).contains("Usage"), "{args:?}");
    }
    assert!(out(&lastmile_in(&dir, &["version"])).starts_with("lastmile "));
}

/// `nas add <args>` with `secret` on stdin.
fn add_nas(i: &Install, args: &[&str], secret: Option<&str>) -> Output {
    let mut all = vec!["nas", "add"];
    all.extend_from_slice(args);
    i.run(&all, secret)
}

#[test]
fn nas_add_and_list() {
    each_engine("nas", |i| {
        i.setup();
        let o = add_nas(
            i,
            &[
                "--name",
                "bng-centro",
                "--address",
                "10.20.0.1",
                "--kind",
                "mikrotik",
                "--secret-stdin",
            ],
            Some("s3cr3t-shared\n"),
        );
        assert!(o.status.success(), "{}", err(&o));
        assert!(
            out(&o).contains("added NAS bng-centro at 10.20.0.1 (id 1)"),
            "{}",
            out(&o)
        );
        // Bad input names the flag; the same address twice is refused.
        let o = add_nas(
            i,
            &["--name", "x", "--address", "10.20.0.300", "--secret", "abc"],
            None,
        );
        assert!(!o.status.success());
        assert!(err(&o).contains("--address"), "{}", err(&o));
        let o = add_nas(
            i,
            &[
                "--name",
                "x",
                "--address",
                "10.20.0.2",
                "--kind",
                "nokia",
                "--secret",
                "abc",
            ],
            None,
        );
        assert!(err(&o).contains("--kind"), "{}", err(&o));
        let o = add_nas(
            i,
            &["--name", "dup", "--address", "10.20.0.1", "--secret", "abc"],
            None,
        );
        assert!(!o.status.success());
        assert!(err(&o).contains("address already exists"), "{}", err(&o));
        let o = add_nas(
            i,
            &[
                "--name",
                "v6",
                "--address",
                "2001:DB8::0:1",
                "--kind",
                "accel-ppp",
                "--coa-port",
                "1700",
                "--secret",
                "abc",
            ],
            None,
        );
        assert!(o.status.success(), "{}", err(&o));
        let o = i.run(&["nas", "list"], None);
        assert!(o.status.success(), "{}", err(&o));
        let listing = out(&o);
        assert!(
            listing.contains("bng-centro") && listing.contains("mikrotik"),
            "{listing}"
        );
        assert!(
            listing.contains("2001:db8::1") && listing.contains("1700"),
            "{listing}"
        );
        assert!(!listing.contains("s3cr3t"), "the secret is never printed");
    });
}

/// Inserts a connection record straight into the database, the way the
/// RADIUS runtime would.
fn insert_session(i: &Install, nas_id: i64, login: &str, ip: &str, start: i64, stop: Option<i64>) {
    let login = login.to_owned();
    let ip = ip.to_owned();
    i.with_db(|db| async move {
        sqlx::query(
            "INSERT INTO radius_sessions (nas_id, acct_session_id, login, framed_ip,
                calling_station_id, started_at, updated_at, stopped_at)
             VALUES ($1, $2, $3, $4, 'AA:BB:CC:00:11:22', $5, $5, $6)",
        )
        .bind(nas_id)
        .bind(format!("sess-{login}-{start}"))
        .bind(&login)
        .bind(&ip)
        .bind(start)
        .bind(stop)
        .execute(db.pool())
        .await
        .expect("insert a session");
    });
}

/// `aaa who --ip <ip> --at <at>`.
fn who(i: &Install, ip: &str, at: &str) -> Output {
    i.run(&["aaa", "who", "--ip", ip, "--at", at], None)
}

#[test]
fn aaa_who_had_an_address() {
    each_engine("who", |i| {
        i.setup();
        let o = add_nas(
            i,
            &[
                "--name",
                "bng-centro",
                "--address",
                "10.20.0.1",
                "--secret-stdin",
            ],
            Some("s3cr3t-shared\n"),
        );
        assert!(o.status.success(), "{}", err(&o));

        // 2026-03-01 14:00 to 16:00 in São Paulo (UTC-3) = 17:00 to 19:00 UTC.
        let start = 1_772_384_400;
        insert_session(i, 1, "maria.souza", "100.64.3.9", start, Some(start + 7200));
        insert_session(i, 1, "joao.lima", "100.64.3.9", start + 7200 + 60, None);
        let o = who(i, "100.64.3.9", "2026-03-01 15:30");
        assert!(o.status.success(), "{}", err(&o));
        let text = out(&o);
        assert!(text.contains("maria.souza"), "{text}");
        assert!(!text.contains("joao.lima"), "{text}");
        assert!(text.contains("2026-03-01 14:00:00 -03:00"), "{text}");
        let o = who(i, "100.64.3.9", "2026-03-01T22:00:00Z");
        assert!(
            out(&o).contains("joao.lima") && out(&o).contains("(online)"),
            "{}",
            out(&o)
        );
        let o = who(i, "100.64.3.10", "2026-03-01 15:30");
        assert!(o.status.success());
        assert!(out(&o).contains("no connection record"), "{}", out(&o));
        let o = who(i, "100.64.3.9", "yesterday");
        assert!(!o.status.success());
        assert!(err(&o).contains("--at"), "{}", err(&o));
        let o = who(i, "not-an-ip", "2026-03-01 15:30");
        assert!(err(&o).contains("--ip"), "{}", err(&o));
    });
}

#[test]
fn demo_fills_an_empty_installation_once() {
    each_engine("demo", |i| {
        let creds = i.dir.join("credentials.csv");
        let o = i.run(
            &[
                "demo",
                "--customers",
                "50",
                "--seed",
                "3",
                "--credentials-out",
                creds.to_str().unwrap(),
            ],
            None,
        );
        assert!(o.status.success(), "{}", err(&o));
        let text = out(&o);
        assert!(
            text.contains("setup done: sign in as admin with password "),
            "{text}"
        );
        assert!(text.contains("demo data: 50 customers"), "{text}");
        assert!(text.contains("example PPPoE logins:"), "{text}");
        assert!(text.contains("loopback NAS registered"), "{text}");
        assert!(
            text.contains("radtest ") && text.contains("| radclient -x"),
            "{text}"
        );
        let csv = std::fs::read_to_string(&creds).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("login,password,contract_status"));
        let rows: Vec<&str> = lines.collect();
        assert!(rows.len() >= 50, "{csv}");
        assert!(rows.iter().all(|r| r.split(',').count() == 3));
        assert!(rows.iter().any(|r| r.ends_with(",active")));

        // A second run on a filled database is refused, naming why.
        let o = i.run(&["demo", "--customers", "5"], None);
        assert!(!o.status.success());
        assert!(err(&o).contains("already has customers"), "{}", err(&o));
    });
}

#[test]
fn import_checks_every_row_then_writes() {
    each_engine("import", |i| {
        i.setup();
        // The dry run lists each bad row and writes nothing.
        std::fs::create_dir_all(&i.dir).unwrap();
        let file = i.dir.join("clientes.csv");
        std::fs::write(
            &file,
            "\u{feff}nome;cpf_cnpj;email\nAna Teste;529.982.247-24;ana.teste@example.com\nBia Teste;390.533.447-05;bia@\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let o = i.run(&["import", "customers", f, "--dry-run"], None);
        assert_eq!(o.status.code(), Some(1));
        let text = out(&o);
        assert!(text.contains("line 2: document:"), "{text}");
        assert!(text.contains("line 3: emails:"), "{text}");
        assert!(text.contains("2 rows, 0 good, 2 with problems"), "{text}");

        std::fs::write(
            &file,
            "nome;cpf_cnpj;email\nAna Teste;529.982.247-25;ana.teste@example.com\n",
        )
        .unwrap();
        let o = i.run(&["import", "customers", f, "--dry-run"], None);
        assert!(o.status.success(), "{}", out(&o));
        assert!(out(&o).contains("the file is clean"));
        let o = i.run(&["import", "customers", f], None);
        assert!(o.status.success(), "{}", out(&o));
        assert!(out(&o).contains("imported 1 customers"), "{}", out(&o));
        // The same file again is refused: the customer now exists.
        let o = i.run(&["import", "customers", f, "--dry-run"], None);
        assert_eq!(o.status.code(), Some(1), "{}", out(&o));
        let o = i.run(&["audit", "verify"], None);
        assert!(o.status.success(), "{}", out(&o));
    });
}

/// `n` customers with one active postpaid contract each (billing day 10,
/// from 2026-01-10), written straight into the database.
async fn billable_base(db: &Db, n: i64) {
    let now = 1_767_225_600_i64; // 2026-01-01
    let mut tx = db.begin().await.unwrap();
    let plan: i64 = sqlx::query_scalar(
        "INSERT INTO plans (name, download_kbps, upload_kbps, price, billing_mode, cycle,
            technology, suspended_behavior, created_at, updated_at)
         VALUES ('Fibra 300', 300000, 150000, 9990, 'postpaid', 'monthly', 'fiber', 'reject',
            $1, $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    for i in 0..n {
        let doc = format!("{:011}", 10_000_000_000 + i);
        let name = format!("Cliente {i:05}");
        let customer: i64 = sqlx::query_scalar(
            "INSERT INTO customers (kind, name, document_kind, document, document_norm,
                search_text, name_key, created_at, updated_at)
             VALUES ('person', $1, 'cpf', $2, $2, $3, $3, $4, $4) RETURNING id",
        )
        .bind(&name)
        .bind(&doc)
        .bind(name.to_lowercase())
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO contracts (number, customer_id, plan_id, price, billing_day, start_date,
                status, status_changed_at, pppoe_login, pppoe_password, created_at, updated_at)
             VALUES ($1, $2, $3, 9990, 10, '2026-01-10', 'active', $4, $5, 'x', $4, $4)",
        )
        .bind(format!("K{i:06}"))
        .bind(customer)
        .bind(plan)
        .bind(now)
        .bind(format!("cliente{i}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn count(db: &Db, sql: &str) -> i64 {
    let mut c = db.conn().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

#[test]
fn a_billing_run_killed_midway_is_finished_by_the_next_exactly_once() {
    each_engine("billing-kill", |i| {
        i.setup();
        i.with_db(|db| async move { billable_base(&db, 300).await });
        let o = i.run(
            &["billing", "run", "--as-of", "2026-07-10", "--preview"],
            None,
        );
        assert!(o.status.success(), "{}", err(&o));
        assert!(
            out(&o).contains("300 contracts, 1800 invoices, total 179820.00"),
            "{}",
            out(&o)
        );
        let bad = i.run(&["billing", "run", "--as-of", "2026-13-01"], None);
        assert!(err(&bad).contains("--as-of"), "{}", err(&bad));

        // kill -9 once some invoices are written.
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lastmile"));
        cmd.arg("--data-dir").arg(&i.dir);
        if let Some(url) = &i.database_url {
            cmd.args(["--database-url", url]);
        }
        let mut child = cmd
            .args(["billing", "run", "--as-of", "2026-07-10"])
            .env_remove("LASTMILE_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut at_kill = 0;
        for _ in 0..600 {
            at_kill =
                i.with_db(|db| async move { count(&db, "SELECT COUNT(*) FROM invoices").await });
            if at_kill >= 100 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let after_kill =
            i.with_db(|db| async move { count(&db, "SELECT COUNT(*) FROM invoices").await });
        assert!(
            (100..1_800).contains(&after_kill),
            "killed midway: {at_kill} then {after_kill} invoices"
        );

        let o = i.run(&["billing", "run", "--as-of", "2026-07-10"], None);
        assert!(o.status.success(), "{}", err(&o));
        let again = i.run(&["billing", "run", "--as-of", "2026-07-10"], None);
        assert!(
            out(&again).contains(": 300 contracts, 0 invoices"),
            "{}",
            out(&again)
        );
        i.with_db(|db| async move {
            assert_eq!(count(&db, "SELECT COUNT(*) FROM invoices").await, 1_800);
            assert_eq!(
                count(&db, "SELECT COUNT(DISTINCT number) FROM invoices").await,
                1_800
            );
            // Gap-free: numbers 1 to 1800 of the year's series.
            assert_eq!(
                count(
                    &db,
                    "SELECT MAX(last) FROM number_series WHERE series = 'invoice'"
                )
                .await,
                1_800
            );
            // No half-written document: every invoice has its line and
            // every billed period its invoice.
            assert_eq!(
                count(
                    &db,
                    "SELECT COUNT(*) FROM invoices d WHERE NOT EXISTS
                        (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = d.id)"
                )
                .await,
                0
            );
            assert_eq!(
                count(
                    &db,
                    "SELECT COUNT(*) FROM billed_periods WHERE invoice_id IS NULL"
                )
                .await,
                0
            );
            assert_eq!(
                count(&db, "SELECT CAST(SUM(total) AS BIGINT) FROM invoices").await,
                1_800 * 9_990
            );
        });
    });
}
