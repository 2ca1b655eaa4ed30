//! The RADIUS server in process on ephemeral ports, driven by FreeRADIUS's
//! own `radclient` (freeradius-utils), on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod accounting;
mod authentication;
mod coa;
mod hardening;
mod reduction;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use aaa::{Config, Server};
use domain::Money;
use domain::catalog::{
    BillingMode, Burst, Cycle, Plan, Quota, QuotaAction, SuspendedBehavior, Technology,
};
use domain::contracts::{Status, SuspendReason};
use services::contracts::{self, ContractInput};
use services::crm::{self, Created, CustomerInput};
use services::{Actor, Services};
use store::Db;

pub const SECRET: &str = "test-secret";

pub fn admin() -> Actor {
    Actor {
        kind: "user",
        id: Some(1),
        name: "admin".into(),
        source_ip: Some("192.0.2.10".into()),
    }
}

/// The caller of set-up calls to the customer and contract services: the
/// console.
pub fn setup_caller() -> services::Caller {
    services::Caller::Cli {
        name: "test".into(),
    }
}

pub fn svc(db: &Db) -> Services {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "lastmile-aaa-tests/{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    Services::new(
        db.clone(),
        services::secrets::SecretBox::from_key(&[9; 32]),
        dir,
    )
}

pub fn plan(name: &str, behavior: SuspendedBehavior) -> Plan {
    Plan {
        name: name.into(),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: Some(Burst {
            rate_kbps: 400_000,
            threshold_kbps: 250_000,
            time_secs: 10,
        }),
        burst_up: Some(Burst {
            rate_kbps: 200_000,
            threshold_kbps: 120_000,
            time_secs: 10,
        }),
        quota: None,
        price: Money(9990),
        billing_mode: BillingMode::Postpaid,
        cycle: Cycle::Monthly,
        installation_fee: Money(0),
        loyalty_months: 0,
        early_termination_fee: Money(0),
        tax_category: "scm".into(),
        technology: Technology::Fiber,
        suspended_behavior: behavior,
        active: true,
        public: true,
    }
}

pub fn quota_plan(name: &str) -> Plan {
    Plan {
        quota: Some(Quota {
            megabytes: 1,
            action: QuotaAction::Block,
            throttle_kbps: None,
        }),
        ..plan(name, SuspendedBehavior::Reject)
    }
}

/// One customer; contracts added with [`contract`].
pub async fn customer(s: &Services) -> i64 {
    let input = CustomerInput {
        kind: "person".into(),
        name: "Ana Lima".into(),
        document: "529.982.247-25".into(),
        emails: vec!["ana@example.com".into()],
        phones: vec!["(11) 98765-4321".into()],
        ..Default::default()
    };
    match crm::create_customer(s, &setup_caller(), &input)
        .await
        .unwrap()
    {
        Created::Customer(c) => c.id,
        Created::Duplicates(d) => panic!("duplicates {d:?}"),
    }
}

/// An active contract.
pub async fn contract(
    s: &Services,
    customer: i64,
    plan: i64,
    login: &str,
    password: &str,
    mac: &str,
    ipv4: &str,
) -> i64 {
    let id = contracts::create(
        s,
        &setup_caller(),
        &ContractInput {
            customer_id: customer,
            plan_id: plan,
            billing_day: 1,
            login: login.into(),
            password: password.into(),
            mac: mac.into(),
            ipv4: ipv4.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    contracts::transition(s, &setup_caller(), id, Status::Active, None, "")
        .await
        .unwrap();
    id
}

pub async fn suspend(s: &Services, id: i64) {
    contracts::transition(
        s,
        &setup_caller(),
        id,
        Status::Suspended,
        Some(SuspendReason::NonPayment),
        "",
    )
    .await
    .unwrap();
}

/// Registers a NAS directly (the NAS service is another part's).
pub async fn add_nas(s: &Services, name: &str, address: &str, kind: &str, coa_port: u16) -> i64 {
    let mut tx = s.db.begin().await.unwrap();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO nas (name, address, secret, kind, coa_port, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(name)
    .bind(address)
    .bind(s.secrets.encrypt(SECRET))
    .bind(kind)
    .bind(i64::from(coa_port))
    .bind(store::now())
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

pub async fn start(s: &Services) -> Server {
    Server::start(
        s,
        Config {
            auth: "127.0.0.1:0".parse().unwrap(),
            acct: "127.0.0.1:0".parse().unwrap(),
            threads: 2,
            journal: s.data_dir.join("radius-journal"),
            ..Config::default()
        },
    )
    .await
    .unwrap()
}

fn tool(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = format!("{dir}/{name}");
        if std::path::Path::new(&p).exists() {
            return p;
        }
    }
    panic!("`{name}` is not installed: install freeradius-utils (the test command does)");
}

/// Runs radclient with `input` (attribute lines) against `addr`; returns its
/// output. Runs on a blocking thread so the server's tasks keep running.
pub async fn radclient(addr: std::net::SocketAddr, kind: &str, input: String) -> String {
    let kind = kind.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(tool("radclient"))
            .args(["-x", "-r", "2", "-t", "2", &addr.to_string(), &kind, SECRET])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
    .await
    .unwrap()
}

pub async fn pap(addr: std::net::SocketAddr, user: &str, pw: &str, extra: &str) -> String {
    radclient(
        addr,
        "auth",
        format!(
            "User-Name = \"{user}\"\nUser-Password = \"{pw}\"\nMessage-Authenticator = 0x00\n{extra}"
        ),
    )
    .await
}

/// Polls until `check` returns `Some` or `secs` pass.
pub async fn eventually<T, F, Fut>(secs: f64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The reasons in the authentication log for `login`, oldest first.
pub async fn log_reasons(s: &Services, login: &str) -> Vec<(String, String)> {
    let mut c = s.db.conn().await.unwrap();
    sqlx::query_as("SELECT result, reason FROM radius_auth_log WHERE login = $1 ORDER BY id")
        .bind(login)
        .fetch_all(&mut *c)
        .await
        .unwrap()
}
