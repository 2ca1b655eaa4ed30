//! The overdue customer's journey, on SQLite and PostgreSQL: reminder (the
//! e-mail in the outbox), the RGC notice, suspension (a real Access-Request
//! to the running node gets the restricted profile, and the Disconnect to
//! the NAS is recorded with its ACK), trust unlock by staff in the browser,
//! suspension again when the unlock's days end unpaid, payment on the
//! public page through the local Stripe (the fake plays the payer's part on
//! its Checkout page and signs its webhooks), then automatic reactivation
//! (the full profile, the CoA recorded). Time is driven with `lastmile
//! collections run --as-of`. Each step is a function, so a failure names
//! its step.

use std::net::UdpSocket;
use std::sync::{Arc, Mutex};

use gateways::fake::stripe::{self as fake_stripe, FakeStripe};
use jiff::ToSpan;
use jiff::civil::Date;
use radius::{Code, Packet};

use super::*;

const NAS_SECRET: &str = "journey-nas-secret";
const LOGIN: &str = "carla";
const LOGIN_PASSWORD: &str = "carla-pw-123";
const EMAIL: &str = "carla@example.net";

/// Everything a step needs.
struct Journey {
    dir: std::path::PathBuf,
    database_url: Option<String>,
    db_url: String,
    base: String,
    auth: std::net::SocketAddr,
    acct: std::net::SocketAddr,
    customer: i64,
    contract: i64,
    public_id: String,
    today: Date,
    /// What the NAS's CoA port received.
    nas_seen: Arc<Mutex<Vec<Packet>>>,
    axe_js: String,
    pictures: bool,
}

/// A NAS's CoA port on loopback: answers Disconnect-Request with
/// Disconnect-ACK and CoA-Request with CoA-ACK, keeping what it received.
fn nas_peer() -> (u16, Arc<Mutex<Vec<Packet>>>) {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("NAS socket");
    let port = sock.local_addr().expect("NAS address").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let Ok(req) = Packet::decode(&buf[..n], NAS_SECRET.as_bytes()) else {
                continue;
            };
            if req.verify_request_authenticator().is_err() {
                continue;
            }
            let code = match req.code {
                Code::DisconnectRequest => Code::DisconnectAck,
                _ => Code::CoaAck,
            };
            let mut reply = req.make_response(code);
            reply.add_message_authenticator();
            kept.lock().unwrap().push(req);
            if let Ok(wire) = reply.encode(NAS_SECRET.as_bytes()) {
                let _ = sock.send_to(&wire, from);
            }
        }
    });
    (port, seen)
}

/// A UDP port free now (the node binds it next).
fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free UDP port")
}

/// FreeRADIUS's radclient against the node (one try, one second).
fn radclient(addr: std::net::SocketAddr, kind: &str, input: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new("radclient")
        .args([
            "-x",
            "-r",
            "1",
            "-t",
            "1",
            &addr.to_string(),
            kind,
            NAS_SECRET,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radclient is missing: install freeradius-utils (the test command does)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("radclient input");
    let o = child.wait_with_output().expect("radclient");
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asks the node until its answer contains every `want` (20 s: the
/// RADIUS view follows the database within a poll), naming `step`.
async fn access_request(j: &Journey, step: &str, want: &[&str]) -> String {
    let input = format!(
        "User-Name = \"{LOGIN}\"\nUser-Password = \"{LOGIN_PASSWORD}\"\nMessage-Authenticator = 0x00\n"
    );
    let mut last = String::new();
    for _ in 0..40 {
        let auth = j.auth;
        let input = input.clone();
        last = tokio::task::spawn_blocking(move || radclient(auth, "auth", &input))
            .await
            .expect("radclient thread");
        if want.iter().all(|w| last.contains(w)) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{step}: the RADIUS answer never had {want:?}; last answer:\n{last}");
}

/// The node's database, for checks.
async fn db(j: &Journey) -> store::Db {
    store::Db::connect(&j.db_url, 1).await.expect("open db")
}

/// Polls `sql` (one text or integer column per row, as text) until `done`
/// holds for its rows, 20 s at most, naming `step`.
async fn rows_until(
    j: &Journey,
    step: &str,
    sql: &str,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let db = db(j).await;
    let mut last = Vec::new();
    for _ in 0..100 {
        let mut conn = db.conn().await.expect("connection");
        last = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{step}: {sql}: {e}"));
        drop(conn);
        if done(&last) {
            db.close().await;
            return last;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{step}: {sql} never gave what was expected; last rows: {last:?}");
}

/// The CoA/Disconnect rows of the contract, as `kind reason status`.
fn coa_sql(j: &Journey) -> String {
    format!(
        "SELECT kind || ' ' || reason || ' ' || status FROM radius_coa
         WHERE contract_id = {} ORDER BY id",
        j.contract
    )
}

/// `lastmile collections run --as-of <date>` against the node's database.
fn collections_run(j: &Journey, step: &str, as_of: Date) -> String {
    let mut cmd = Command::new(lastmile_bin());
    cmd.args([
        "collections",
        "run",
        "--as-of",
        &as_of.to_string(),
        "--data-dir",
    ])
    .arg(&j.dir)
    .env("LASTMILE_LOG", "warn");
    if let Some(url) = &j.database_url {
        cmd.args(["--database-url", url]);
    }
    let out = cmd.output().expect("lastmile collections run");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{step}: collections run failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The installation before the node starts: a Brazilian company, a plan
/// whose suspended contracts get the restricted profile, Carla with one
/// active contract and an invoice due five days ago, a Mikrotik NAS whose
/// CoA port is the test's, and Stripe pointed at the local fake.
async fn overdue_data(
    db: store::Db,
    data_dir: &std::path::Path,
    coa_port: u16,
    stripe: &FakeStripe,
) -> (i64, i64, String, Date) {
    use domain::Money;
    use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
    use domain::system::settings as keys;
    let secrets = services::secrets::SecretBox::load(None, data_dir).expect("secret key");
    let svc = services::Services::new(db.clone(), secrets, data_dir.to_owned());
    services::system::setup::run(
        &svc,
        &services::system::setup::SetupInput {
            company: "Fibra Sul Telecom".into(),
            legal_document: "12.345.678/0001-95".into(),
            country: "BR".into(),
            currency: "BRL".into(),
            locale: "en".into(),
            timezone: "America/Sao_Paulo".into(),
            admin_username: "ana".into(),
            admin_email: "ana@fibrasul.com.br".into(),
            admin_name: "Ana Souza".into(),
            admin_password: PASSWORD.into(),
            logo: None,
        },
        None,
    )
    .await
    .expect("setup");
    let cli = services::Caller::Cli {
        name: "test".into(),
    };
    let plan = Plan {
        name: "Fibra 300".into(),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: None,
        burst_up: None,
        quota: None,
        price: Money(9_990),
        billing_mode: BillingMode::Postpaid,
        cycle: Cycle::Monthly,
        installation_fee: Money(0),
        loyalty_months: 0,
        early_termination_fee: Money(0),
        tax_category: "scm".into(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Restricted,
        active: true,
        public: true,
    };
    let plan_id = services::catalog::create_plan(&svc, &cli, &plan)
        .await
        .expect("plan")
        .id;
    let input = services::crm::CustomerInput {
        kind: "person".into(),
        name: "Carla Mendes".into(),
        document: "529.982.247-25".into(),
        emails: vec![EMAIL.into()],
        ..Default::default()
    };
    let services::crm::Created::Customer(c) = services::crm::create_customer(&svc, &cli, &input)
        .await
        .expect("customer")
    else {
        panic!("duplicate customer")
    };
    let k = services::contracts::create(
        &svc,
        &cli,
        &services::contracts::ContractInput {
            customer_id: c.id,
            plan_id,
            billing_day: 10,
            login: LOGIN.into(),
            password: LOGIN_PASSWORD.into(),
            ..Default::default()
        },
    )
    .await
    .expect("contract")
    .id;
    services::contracts::transition(
        &svc,
        &cli,
        k,
        domain::contracts::Status::Active,
        None,
        "installed",
    )
    .await
    .expect("activate");
    services::nas::create(
        &svc,
        &cli,
        &services::nas::NasInput {
            name: "bng-1".into(),
            address: "127.0.0.1".into(),
            secret: NAS_SECRET.into(),
            kind: "mikrotik".into(),
            coa_port: i64::from(coa_port),
            ..Default::default()
        },
    )
    .await
    .expect("NAS");
    let values: std::collections::BTreeMap<String, String> = [
        (keys::STRIPE_ENABLED, "true".to_owned()),
        (keys::STRIPE_API_URL, stripe.url()),
        (keys::STRIPE_SECRET_KEY, fake_stripe::SECRET_KEY.to_owned()),
        (
            keys::STRIPE_WEBHOOK_SECRET,
            fake_stripe::WEBHOOK_SECRET.to_owned(),
        ),
        // The session the test opens stays open (the NAS here sends no
        // Stop): new Access-Requests must not be refused for it.
        (keys::RADIUS_SIMULTANEOUS_USE, "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    services::system::settings::update(&svc, &cli, &values)
        .await
        .expect("Stripe settings");
    let today = {
        let mut conn = db.conn().await.expect("connection");
        services::crm::today(&mut conn).await.expect("today")
    };
    // The invoice a billing run would have issued, due five days ago.
    let due = today.checked_sub(5.days()).expect("due date").to_string();
    let public_id = format!("Jrny{:018}", now() % 1_000_000_000_000_000_000);
    let mut tx = db.begin().await.expect("begin");
    let invoice = store::billing::documents::insert(
        &mut tx,
        &store::billing::documents::NewDocument {
            kind: "invoice",
            status: "issued",
            number: Some("2026-000001"),
            public_id: &public_id,
            customer_id: c.id,
            contract_id: Some(k),
            issue_date: Some(&due),
            due_date: &due,
            totals: store::billing::documents::Totals {
                net: 9_990,
                discount: 0,
                tax: 0,
                total: 9_990,
            },
            credits_invoice_id: None,
            billing_run_id: None,
            notes: "",
        },
        store::now(),
    )
    .await
    .expect("invoice");
    store::billing::documents::insert_line(
        &mut tx,
        invoice,
        &store::billing::documents::NewLine {
            position: 0,
            source: "plan",
            contract_id: Some(k),
            description: "Fibra 300",
            period: None,
            quantity: 1,
            unit_price: 9_990,
            discount: 0,
            amount: 9_990,
            net: 9_990,
            total: 9_990,
            credits_line_id: None,
            taxes: vec![],
        },
    )
    .await
    .expect("invoice line");
    tx.commit().await.expect("commit");
    db.close().await;
    (c.id, k, public_id, today)
}

/// Due + 3: the reminder e-mail is in the outbox; Carla is on the overdue
/// list with the notice as her next step.
async fn reminder(j: &Journey, c: &Client) {
    let out = collections_run(j, "reminder", j.today.checked_sub(2.days()).unwrap());
    assert!(out.contains("1 reminders"), "reminder: {out}");
    rows_until(
        j,
        "reminder",
        &format!("SELECT subject FROM email_outbox WHERE to_addr = '{EMAIL}' ORDER BY id"),
        |r| r.len() == 1 && r[0].contains("is overdue"),
    )
    .await;
    c.goto(&format!("{}/collections", j.base))
        .await
        .expect("collections");
    let table = text(c, ".table").await;
    assert!(table.contains("Carla Mendes"), "reminder: {table}");
    assert!(table.contains("Suspension notice"), "reminder: {table}");
    axe(c, &j.axe_js, "overdue list").await;
    if j.pictures {
        screenshots(c, "collections-overdue").await;
    }
}

/// Due + 5: the RGC notice (reason, amount, date, credit bureaus,
/// reconnection time) by e-mail; the customer page counts the days.
async fn notice(j: &Journey, c: &Client) {
    let out = collections_run(j, "notice", j.today);
    assert!(out.contains("1 notices"), "notice: {out}");
    let mails = rows_until(
        j,
        "notice",
        &format!("SELECT body_text FROM email_outbox WHERE to_addr = '{EMAIL}' ORDER BY id"),
        |r| r.len() == 2,
    )
    .await;
    for needle in ["Reason:", "credit protection bureaus", "within 24 hours"] {
        assert!(
            mails[1].contains(needle),
            "notice: {needle} in {}",
            mails[1]
        );
    }
    c.goto(&format!("{}/customers/{}", j.base, j.customer))
        .await
        .expect("customer page");
    let line = text(c, ".collections-notice").await;
    assert!(line.contains("Suspension in 15 days"), "notice: {line}");
    axe(c, &j.axe_js, "customer with a notice").await;
    if j.pictures {
        screenshots(c, "customer-notice").await;
    }
}

/// Notice + 15 days: suspended; the session on the NAS gets a
/// Disconnect-Request (ACK recorded) and a new Access-Request gets the
/// restricted profile.
async fn suspension(j: &Journey, c: &Client) {
    let out = collections_run(j, "suspension", j.today.checked_add(15.days()).unwrap());
    assert!(out.contains("1 suspended"), "suspension: {out}");
    rows_until(j, "suspension", &coa_sql(j), |r| {
        r == ["disconnect contract suspended ack"]
    })
    .await;
    assert_eq!(
        j.nas_seen.lock().unwrap().len(),
        1,
        "suspension: one Disconnect"
    );
    access_request(
        j,
        "suspension",
        &[
            "Access-Accept",
            "Mikrotik-Address-List = \"lastmile-restricted\"",
        ],
    )
    .await;
    c.goto(&format!("{}/contracts/{}", j.base, j.contract))
        .await
        .expect("contract page");
    let line = text(c, ".collections-notice").await;
    assert!(
        line.contains("Suspended for non-payment"),
        "suspension: {line}"
    );
    axe(c, &j.axe_js, "suspended contract").await;
    if j.pictures {
        screenshots(c, "contract-suspended").await;
    }
}

/// Staff unlock on trust for two days in the browser: back in service
/// (the full profile), the reactivation's Disconnect recorded.
async fn trust_unlock(j: &Journey, c: &Client) {
    submit(c, ".collections-notice a[href$='/trust-unlock']").await;
    axe(c, &j.axe_js, "trust unlock form").await;
    fill(c, "#f-days", "2").await;
    submit(c, ".content form button[type=submit]").await;
    assert!(
        text(c, ".flash-ok").await.contains("unlocked on trust"),
        "trust unlock: flash"
    );
    let line = text(c, ".collections-notice").await;
    assert!(
        line.contains("Unlocked on trust until"),
        "trust unlock: {line}"
    );
    rows_until(j, "trust unlock", &coa_sql(j), |r| {
        r == [
            "disconnect contract suspended ack",
            "disconnect contract reactivated ack",
        ]
    })
    .await;
    let answer = access_request(j, "trust unlock", &["Access-Accept", "150M/300M"]).await;
    assert!(
        !answer.contains("Mikrotik-Address-List"),
        "trust unlock: {answer}"
    );
}

/// The unlock's days over, still unpaid: suspended again by the pass.
async fn resuspension(j: &Journey, c: &Client) {
    let out = collections_run(j, "re-suspension", j.today.checked_add(16.days()).unwrap());
    assert!(out.contains("1 suspended again"), "re-suspension: {out}");
    rows_until(j, "re-suspension", &coa_sql(j), |r| {
        r.len() == 3 && r[2] == "disconnect contract suspended ack"
    })
    .await;
    access_request(
        j,
        "re-suspension",
        &[
            "Access-Accept",
            "Mikrotik-Address-List = \"lastmile-restricted\"",
        ],
    )
    .await;
    c.goto(&format!("{}/contracts/{}", j.base, j.contract))
        .await
        .expect("contract page");
    let line = text(c, ".collections-notice").await;
    assert!(
        line.contains("Suspended for non-payment"),
        "re-suspension: {line}"
    );
    // The unlock was used: no second one.
    assert!(
        c.find(Locator::Css(".collections-notice a[href$='/trust-unlock']"))
            .await
            .is_err(),
        "re-suspension: the unlock button is gone"
    );
}

/// The public payment page, signed out: "Pay by card" creates the Checkout
/// Session at the local Stripe; the fake plays the payer (pays on its
/// Checkout page) and delivers its signed webhooks to the node; the page
/// shows the invoice paid.
async fn payment(j: &Journey, c: &Client, stripe: &FakeStripe) {
    logout(c).await;
    let page = format!("{}/pay/{}", j.base, j.public_id);
    c.goto(&page).await.expect("payment page");
    let open = text(c, "#pay-open").await;
    assert!(open.contains("99.90"), "payment: {open}");
    axe(c, &j.axe_js, "payment page").await;
    if j.pictures {
        screenshots(c, "pay-overdue").await;
    }
    click(c, "form[action$='/card'] button[type=submit]").await;
    // Chromium follows the redirect to Stripe's page, or stops it under the
    // page's form-action policy (the fake is plain http on loopback): the
    // session the node created is what the payer pays either way.
    let session = rows_until(
        j,
        "payment",
        "SELECT external_id FROM payment_charges WHERE gateway = 'stripe' ORDER BY id",
        |r| r.len() == 1,
    )
    .await
    .remove(0);
    stripe
        .complete_checkout(&session)
        .await
        .unwrap_or_else(|e| panic!("payment: the fake's checkout: {e:?}"));
    stripe.settle().await;
    c.goto(&page).await.expect("payment page again");
    assert!(
        text(c, "#pay-paid").await.contains("paid"),
        "payment: the page shows it paid"
    );
    axe(c, &j.axe_js, "paid payment page").await;
    if j.pictures {
        screenshots(c, "pay-paid").await;
    }
}

/// Paid: reactivated at once, the CoA recorded, RADIUS accepts with the
/// plan's speed; the staff pages say nothing more about collections.
async fn reactivation(j: &Journey, c: &Client) {
    rows_until(
        j,
        "reactivation",
        &format!("SELECT status FROM contracts WHERE id = {}", j.contract),
        |r| r == ["active"],
    )
    .await;
    rows_until(j, "reactivation", &coa_sql(j), |r| {
        r.len() == 4 && r[3] == "disconnect contract reactivated ack"
    })
    .await;
    let answer = access_request(j, "reactivation", &["Access-Accept", "150M/300M"]).await;
    assert!(
        !answer.contains("Mikrotik-Address-List"),
        "reactivation: {answer}"
    );
    assert_eq!(
        j.nas_seen.lock().unwrap().len(),
        4,
        "reactivation: four requests"
    );
    login(c, &j.base, "ana", PASSWORD).await;
    wait_path(c, "/", "dashboard").await;
    c.goto(&format!("{}/contracts/{}", j.base, j.contract))
        .await
        .expect("contract page");
    assert!(
        c.find(Locator::Css(".collections-notice")).await.is_err(),
        "reactivation: no collections notice left"
    );
    c.goto(&format!("{}/collections", j.base))
        .await
        .expect("collections");
    let table = text(c, ".content").await;
    assert!(!table.contains("Carla Mendes"), "reactivation: {table}");
}

async fn overdue_journey(database_url: Option<String>) {
    let axe_js = axe_source();
    let dir = std::env::temp_dir().join(format!(
        "lastmile-browser-overdue-{}-{}",
        std::process::id(),
        database_url.is_some()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("data dir");
    let db_url = database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("lastmile.db").display()));
    let db = store::Db::connect(&db_url, 2).await.expect("open db");
    db.migrate().await.expect("migrate");
    let stripe = FakeStripe::start().await;
    let (coa_port, nas_seen) = nas_peer();
    let (customer, contract, public_id, today) = overdue_data(db, &dir, coa_port, &stripe).await;
    let (auth_port, acct_port) = (free_udp_port(), free_udp_port());
    let node = start_node_with(
        &dir,
        database_url.as_deref(),
        &[
            ("LASTMILE_RADIUS_AUTH", format!("127.0.0.1:{auth_port}")),
            ("LASTMILE_RADIUS_ACCT", format!("127.0.0.1:{acct_port}")),
        ],
    );
    stripe.set_webhook_url(format!("{}/api/v1/webhooks/stripe", node.url));
    let j = Journey {
        dir: dir.clone(),
        database_url: database_url.clone(),
        db_url,
        base: node.url.clone(),
        auth: ([127, 0, 0, 1], auth_port).into(),
        acct: ([127, 0, 0, 1], acct_port).into(),
        customer,
        contract,
        public_id,
        today,
        nas_seen,
        axe_js,
        pictures: database_url.is_none(),
    };

    // In service: the plan's speed, and a session open on the NAS.
    access_request(&j, "in service", &["Access-Accept", "150M/300M"]).await;
    let acct = j.acct;
    let out = tokio::task::spawn_blocking(move || {
        radclient(
            acct,
            "acct",
            &format!(
                "Acct-Status-Type = Start\nAcct-Session-Id = \"j1\"\nUser-Name = \"{LOGIN}\"\nFramed-IP-Address = 100.64.0.9\n"
            ),
        )
    })
    .await
    .expect("radclient thread");
    assert!(out.contains("Received Accounting-Response"), "{out}");
    rows_until(
        &j,
        "in service",
        "SELECT acct_session_id FROM radius_sessions WHERE stopped_at IS NULL",
        |r| r == ["j1"],
    )
    .await;

    let b = browser().await;
    let c = &b.client;
    login(c, &j.base, "ana", PASSWORD).await;
    wait_path(c, "/", "dashboard").await;

    reminder(&j, c).await;
    notice(&j, c).await;
    suspension(&j, c).await;
    trust_unlock(&j, c).await;
    resuspension(&j, c).await;
    payment(&j, c, &stripe).await;
    reactivation(&j, c).await;

    let _ = b.client.clone().close().await;
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_customer_journey_on_sqlite_and_postgres() {
    overdue_journey(None).await;
    let pg = store::testing::postgres().await;
    let url = pg.url().to_owned();
    pg.close().await;
    overdue_journey(Some(url)).await;
}
