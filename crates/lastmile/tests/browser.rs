//! Browser tests: the real binary, driven through headless Chromium with
//! ChromeDriver (both from Debian; the test command installs them).
//!
//! One journey per database: setup wizard with 2FA enrolment, sign-in with
//! a code, a custom role and a user in it, the audit log, a permission
//! refusal, language switching, and an idle-session timeout. On PostgreSQL
//! a second node shares the database and the session. Billing in the
//! browser, and the overdue customer's journey (`overdue.rs`): reminder,
//! notice, suspension with RADIUS restricting and the CoA recorded, trust
//! unlock, re-suspension, payment on the public page through the local
//! Stripe, and automatic reactivation.

#![allow(clippy::unwrap_used)] // tests may panic on unexpected values

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

#[path = "browser/overdue.rs"]
mod overdue;

const PASSWORD: &str = "correct horse battery";

/// The binary under test: Cargo's, unless `LASTMILE_TEST_BIN` names a copy
/// (a target directory shared by several checkouts may rebuild Cargo's
/// between the build and the run).
fn lastmile_bin() -> String {
    std::env::var("LASTMILE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_lastmile").to_owned())
}

/// A `lastmile serve` process on a free port.
struct Node {
    child: Child,
    url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_node(data_dir: &std::path::Path, database_url: Option<&str>) -> Node {
    start_node_with(data_dir, database_url, &[])
}

/// [`start_node`] with more environment (RADIUS ports of the test's own).
fn start_node_with(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
    env: &[(&str, String)],
) -> Node {
    let mut cmd = Command::new(lastmile_bin());
    cmd.args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir);
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let mut child = cmd
        .env("LASTMILE_LOG", "warn")
        // Two nodes run at once: RADIUS on ports of their own, never the
        // machine's 1812/1813 (a held port is refused, not shared).
        .env("LASTMILE_RADIUS_AUTH", "127.0.0.1:0")
        .env("LASTMILE_RADIUS_ACCT", "127.0.0.1:0")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start lastmile");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("lastmile exited before printing its URL")
            .expect("read stdout");
        if let Some(rest) = line.split("running at ").nth(1) {
            break rest.trim().trim_end_matches('/').to_owned();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Node { child, url }
}

/// ChromeDriver on a free port, and a headless Chromium session.
struct Browser {
    driver: Child,
    client: Client,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn browser() -> Browser {
    let port = free_port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is missing: install chromium-driver (the README test command does)");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                     "--window-size=1366,900", "--lang=en-US"],
            "prefs": {"intl.accept_languages": "en-US,en"}
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut last_err = None;
    for _ in 0..50 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Browser { driver, client },
            Err(e) => {
                last_err = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("cannot start a Chromium session: {last_err:?}");
}

/// The text of `css`, waiting up to 10 s for it; on failure the panic shows
/// where the browser is and what the page says.
async fn text(c: &Client, css: &str) -> String {
    match c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(el) => el.text().await.expect("text"),
        Err(e) => {
            let body = c.find(Locator::Css("body")).await.ok();
            let shown = match body {
                Some(b) => b.text().await.unwrap_or_default(),
                None => String::new(),
            };
            panic!("{css}: {e}\nat {}\npage text:\n{shown}", path(c).await)
        }
    }
}

async fn fill(c: &Client, css: &str, value: &str) {
    let el = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    el.clear().await.expect("clear");
    el.send_keys(value).await.expect("type");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// Clicks something that loads a new page, and waits up to 10 s until the
/// old page is gone and the new one has loaded; fails, saying where the
/// browser is, when either does not happen.
async fn submit(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.expect("html");
    click(c, css).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    // the old document's element goes stale once the browser navigates
    while old.tag_name().await.is_ok() {
        if tokio::time::Instant::now() > deadline {
            panic!(
                "{css}: no new page within 10 s of the click; at {}",
                path(c).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    loop {
        let state = c.execute("return document.readyState", vec![]).await.ok();
        if state.as_ref().and_then(|v| v.as_str()) == Some("complete") {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "{css}: the new page did not finish loading within 10 s \
                 (readyState {state:?}); at {}",
                path(c).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Chooses `<option>` matching `css` in an auto-submitting select.
async fn choose_and_wait(c: &Client, css: &str) {
    submit(c, css).await;
}

async fn path(c: &Client) -> String {
    let u = c.current_url().await.expect("url");
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    }
}

/// Waits (up to 10 s) until the browser is on `want`.
async fn wait_path(c: &Client, want: &str, what: &str) {
    for _ in 0..100 {
        if c.current_url()
            .await
            .map(|u| u.path() == want)
            .unwrap_or(false)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: expected {want}, at {}", path(c).await);
}

async fn logout(c: &Client) {
    click(c, ".user-menu summary").await;
    submit(c, ".user-menu form[action='/logout'] button").await;
    wait_path(c, "/login", "back at login").await;
}

async fn login(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.expect("goto login");
    fill(c, "#f-username", user).await;
    fill(c, "#f-password", password).await;
    submit(c, "form[action='/login'] button[type=submit]").await;
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn journey(database_url: Option<String>) {
    let dir = std::env::temp_dir().join(format!(
        "lastmile-browser-{}-{}",
        std::process::id(),
        database_url.is_some()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let node = start_node(&dir, database_url.as_deref());
    let b = browser().await;
    let c = &b.client;
    let base = node.url.clone();

    // First run: the wizard, in the browser's language, switchable.
    c.goto(&format!("{base}/")).await.expect("goto /");
    assert_eq!(path(c).await, "/setup");
    assert_eq!(text(c, ".wizard h1").await, "Set up Lastmile");
    submit(c, ".bare-lang button[value='pt-BR']").await;
    assert_eq!(text(c, ".wizard h1").await, "Configurar o Lastmile");
    submit(c, ".bare-lang button[value='en']").await;
    assert_eq!(text(c, ".wizard h1").await, "Set up Lastmile");

    fill(c, "#f-company", "Fibra Sul Telecom").await;
    fill(c, "#f-legal_document", "12.345.678/0001-95").await;
    fill(c, "#f-country", "BR").await;
    fill(c, "#f-currency", "BRL").await;
    fill(c, "#f-admin_name", "Ana Souza").await;
    fill(c, "#f-admin_username", "ana").await;
    fill(c, "#f-admin_email", "ana@fibrasul.com.br").await;
    // A weak password is refused next to its field, and nothing is created.
    fill(c, "#f-admin_password", "short").await;
    submit(c, ".wizard button[type=submit]").await;
    assert!(text(c, "#e-admin_password").await.contains("at least 10"));
    fill(c, "#f-admin_password", PASSWORD).await;
    submit(c, ".wizard button[type=submit]").await;

    // Enrolment straight after setup.
    wait_path(c, "/account/2fa", "2FA page").await;
    let secret = text(c, "#totp-secret").await;
    fill(
        c,
        "#f-code",
        &services::staff::totp::current(&secret, now()),
    )
    .await;
    submit(c, "form[action='/account/2fa'] button[type=submit]").await;
    let codes = text(c, "#recovery-codes").await;
    assert!(codes.contains("recovery codes"), "{codes}");

    // Setup is closed for good.
    c.goto(&format!("{base}/setup")).await.expect("goto setup");
    assert_eq!(path(c).await, "/");

    // Sign in again with a code (the next time step: the enrolment code is spent).
    logout(c).await;
    login(c, &base, "ana", "not the password").await;
    assert_eq!(text(c, "#login-error").await, "Wrong username or password.");
    login(c, &base, "ana", PASSWORD).await;
    wait_path(c, "/login/2fa", "2FA step").await;
    fill(c, "#f-code", "000000").await;
    submit(c, "form[action='/login/2fa'] button[type=submit]").await;
    assert!(text(c, "#code-error").await.contains("not valid"));
    fill(
        c,
        "#f-code",
        &services::staff::totp::current(&secret, now() + 30),
    )
    .await;
    submit(c, "form[action='/login/2fa'] button[type=submit]").await;
    wait_path(c, "/", "dashboard").await;
    assert_eq!(text(c, ".page-title").await, "Dashboard");

    // A custom role and a finance user in it.
    c.goto(&format!("{base}/roles/new"))
        .await
        .expect("roles/new");
    fill(c, "#f-name", "billing").await;
    click(c, "input[name=permissions][value='audit.view']").await;
    submit(c, ".content form button[type=submit]").await;
    wait_path(c, "/roles", "roles list").await;
    assert!(text(c, ".flash-ok").await.contains("Role created"));

    c.goto(&format!("{base}/users/new"))
        .await
        .expect("users/new");
    fill(c, "#f-username", "fin").await;
    fill(c, "#f-display_name", "Fernanda Lima").await;
    fill(c, "#f-email", "fin@fibrasul.com.br").await;
    c.find(Locator::Css("#f-role option[value='billing']"))
        .await
        .expect("billing option")
        .click()
        .await
        .expect("select");
    fill(c, "#f-password", PASSWORD).await;
    submit(c, ".content form[action='/users/new'] button[type=submit]").await;
    assert!(text(c, ".flash-ok").await.contains("User created"));

    // Every change is in the audit log.
    c.goto(&format!("{base}/audit")).await.expect("audit");
    let audit = text(c, ".table").await;
    for action in [
        "setup.complete",
        "user.2fa_enable",
        "role.create",
        "user.create",
        "auth.login",
    ] {
        assert!(audit.contains(action), "{action} in {audit}");
    }

    // Language switch for a signed-in user.
    click(c, ".user-menu summary").await;
    choose_and_wait(c, "#lang-pick option[value='pt-BR']").await;
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Auditoria']"))
        .await
        .expect("Portuguese heading");
    click(c, ".user-menu summary").await;
    choose_and_wait(c, "#lang-pick option[value='en']").await;
    c.wait()
        .for_element(Locator::XPath("//h1[text()='Audit log']"))
        .await
        .expect("English heading");

    // The finance user is refused what the role does not grant.
    logout(c).await;
    login(c, &base, "fin", PASSWORD).await;
    wait_path(c, "/", "fin dashboard").await;
    c.goto(&format!("{base}/users")).await.expect("users");
    assert_eq!(text(c, ".error-code").await, "403");
    assert!(text(c, ".error-card").await.contains("See staff users"));

    // A second node on the same PostgreSQL serves the same session.
    if let Some(url) = &database_url {
        let node_b = start_node(&dir.join("b"), Some(url));
        c.goto(&format!("{}/", node_b.url)).await.expect("node b");
        assert_eq!(text(c, ".page-title").await, "Dashboard");
        assert!(text(c, ".user-name").await.contains("Fernanda"));
    }

    // An idle session ends: move its clock back past the idle timeout.
    let db_url = database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("lastmile.db").display()));
    let db = store::Db::connect(&db_url, 1).await.expect("open db");
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 7200")
        .execute(db.pool())
        .await
        .expect("age sessions");
    c.goto(&format!("{base}/audit")).await.expect("audit again");
    assert_eq!(path(c).await, "/login?next=%2Faudit");
    db.close().await;

    let _ = b.client.clone().close().await;
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_journey_on_sqlite_and_postgres() {
    journey(None).await;
    let pg = store::testing::postgres().await;
    let url = pg.url().to_owned();
    pg.close().await;
    journey(Some(url)).await;
}

/// axe-core's script, from `LASTMILE_AXE_JS` (the test command fetches
/// it with npm); its absence fails the test, as ChromeDriver's does.
fn axe_source() -> String {
    let path = std::env::var("LASTMILE_AXE_JS").expect(
        "LASTMILE_AXE_JS must name axe-core's axe.min.js (the README test command fetches it)",
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs axe (WCAG 2 A and AA rules) on the page and fails naming every
/// violation and the elements it found.
async fn axe(c: &Client, axe_js: &str, what: &str) {
    c.execute(&format!("{axe_js}\nreturn true;"), vec![])
        .await
        .expect("inject axe");
    let result = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })
               .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' @ ' +
                 v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe");
    let violations: Vec<String> = serde_json::from_value(result).unwrap_or_default();
    assert!(
        violations.is_empty(),
        "{what} at {}: {violations:#?}",
        path(c).await
    );
}

/// Screenshots of the page at 1366 px and 390 px wide into
/// `LASTMILE_SCREENSHOTS` when set (for people to look at; nothing is
/// asserted on them), then back to the desktop width.
async fn screenshots(c: &Client, name: &str) {
    let Ok(dir) = std::env::var("LASTMILE_SCREENSHOTS") else {
        return;
    };
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    for (w, h) in [(1366, 1400), (390, 1600)] {
        c.set_window_size(w, h).await.expect("window size");
        // The phone layout slides the menu away: wait until it is gone.
        for _ in 0..50 {
            let gone = c
                .execute(
                    "return document.getElementById('sidebar').getBoundingClientRect().right <= 0 \
                     || window.innerWidth > 860",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if gone {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(format!("{dir}/{name}-{w}.png"), png).expect("write screenshot");
    }
    c.set_window_size(1366, 900).await.expect("window size");
}

/// An installation with taxes, a plan and two active postpaid contracts
/// (from 2026-01-10, billing day 10), written before the node starts.
async fn billing_data(db: store::Db, data_dir: &std::path::Path) {
    use domain::Money;
    use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
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
    for (name, pct) in [("ICMS", "18"), ("PIS", "0,65"), ("COFINS", "3")] {
        services::billing::taxes::create(
            &svc,
            &cli,
            &services::billing::taxes::TaxInput {
                name: name.into(),
                percent: pct.into(),
                mode: "included_share".into(),
                category: "scm".into(),
                position: 0,
                active: true,
            },
        )
        .await
        .expect("tax");
    }
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
        suspended_behavior: SuspendedBehavior::Reject,
        active: true,
        public: true,
    };
    let plan_id = services::catalog::create_plan(&svc, &cli, &plan)
        .await
        .expect("plan")
        .id;
    for (name, doc, login) in [
        ("Carla Mendes", "529.982.247-25", "carla"),
        ("Bruno Lima", "111.444.777-35", "bruno"),
    ] {
        let input = services::crm::CustomerInput {
            kind: "person".into(),
            name: name.into(),
            document: doc.into(),
            ..Default::default()
        };
        let services::crm::Created::Customer(c) =
            services::crm::create_customer(&svc, &cli, &input)
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
                start_date: "2026-01-10".into(),
                login: login.into(),
                password: "first-pw-123".into(),
                ..Default::default()
            },
        )
        .await
        .expect("contract")
        .id;
        // Active since its start date, so billing starts there.
        let mut tx = db.begin().await.expect("begin");
        sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
            .bind(k)
            .execute(&mut *tx)
            .await
            .expect("activate");
        tx.commit().await.expect("commit");
    }
    db.close().await;
}

/// A billing run from the browser: new run, preview (one contract's
/// lines), confirmation, the run's progress, an invoice and a credit note,
/// each page checked with axe.
async fn billing_journey(database_url: Option<String>) {
    let axe_js = axe_source();
    let dir = std::env::temp_dir().join(format!(
        "lastmile-browser-billing-{}-{}",
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
    billing_data(db, &dir).await;
    let node = start_node(&dir, database_url.as_deref());
    let b = browser().await;
    let c = &b.client;
    let base = node.url.clone();
    // Pictures once, from the SQLite run.
    let pictures = database_url.is_none();

    login(c, &base, "ana", PASSWORD).await;
    wait_path(c, "/", "dashboard").await;
    c.goto(&format!("{base}/billing/runs")).await.expect("runs");
    assert!(text(c, ".table").await.contains("No billing run yet."));
    axe(c, &axe_js, "runs list").await;
    submit(c, "a[href='/billing/runs/new']").await;
    // A date input takes keys in the browser's locale order: set it.
    c.execute(
        "document.getElementById('f-as_of').value = arguments[0]",
        vec![serde_json::json!("2026-03-10")],
    )
    .await
    .expect("set as of");
    axe(c, &axe_js, "new run").await;
    submit(c, ".content form button[type=submit]").await;
    wait_path(c, "/billing/runs/preview", "preview").await;
    assert_eq!(text(c, "#preview-contracts").await, "2");
    assert_eq!(text(c, "#preview-invoices").await, "4");
    assert_eq!(text(c, "#preview-total").await, "399.60");
    fill(c, "input[name=contract]", "carla").await;
    submit(
        c,
        "form[action='/billing/runs/preview'] button[type=submit]",
    )
    .await;
    let lines = text(c, "#preview-lines").await;
    assert!(lines.contains("Fibra 300"), "{lines}");
    axe(c, &axe_js, "preview").await;
    if pictures {
        screenshots(c, "preview").await;
    }

    // Confirm: the run's page shows its progress and the invoices.
    submit(c, "#confirm-run").await;
    assert!(text(c, ".flash-ok").await.contains("Billing run started."));
    // The run is a job the node's worker picks up; the page reloads
    // itself (app.js) until it is done.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = match c.find(Locator::Css("#run-status")).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if status == "Done" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run was not done within 30 s: {status:?} at {}",
            path(c).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(text(c, "#run-invoices").await, "4");
    axe(c, &axe_js, "run").await;

    // An invoice, then a credit note for all of it.
    submit(c, ".table a.mono").await;
    let title = text(c, ".page-title").await;
    assert!(title.starts_with("Invoice 2026-00000"), "{title}");
    assert!(text(c, ".content").await.contains("Taxes by rate"));
    axe(c, &axe_js, "invoice").await;
    if pictures {
        screenshots(c, "invoice").await;
    }
    submit(c, "a[href$='/credit']").await;
    axe(c, &axe_js, "credit note form").await;
    fill(c, "#f-reason", "Service down for two days").await;
    submit(c, ".content form button[type=submit]").await;
    assert!(text(c, ".flash-ok").await.contains("Credit note issued."));
    assert!(
        text(c, ".page-title")
            .await
            .starts_with("Credit note NC2026-000001")
    );
    assert!(
        text(c, ".content")
            .await
            .contains("Service down for two days")
    );
    axe(c, &axe_js, "credit note").await;

    c.goto(&format!("{base}/billing/invoices"))
        .await
        .expect("invoices");
    assert!(text(c, ".table").await.contains("NC2026-000001"));
    axe(c, &axe_js, "invoice list").await;
    if pictures {
        screenshots(c, "invoices").await;
    }
    c.goto(&format!("{base}/billing/taxes"))
        .await
        .expect("taxes");
    axe(c, &axe_js, "tax rates").await;
    c.goto(&format!("{base}/payments")).await.expect("payments");
    axe(c, &axe_js, "payments list").await;
    if pictures {
        screenshots(c, "payments").await;
    }
    c.goto(&format!("{base}/payments/charges"))
        .await
        .expect("charges");
    axe(c, &axe_js, "charges list").await;

    // An invoice's public payment page, signed out: no session needed.
    let db = store::Db::connect(&db_url, 1).await.expect("open db");
    let public_id: String = {
        let mut conn = db.conn().await.expect("connection");
        sqlx::query_scalar(
            "SELECT public_id FROM invoices WHERE kind = 'invoice' AND status = 'issued'
             ORDER BY id LIMIT 1",
        )
        .fetch_one(&mut *conn)
        .await
        .expect("an issued invoice")
    };
    logout(c).await;
    c.goto(&format!("{base}/pay/{public_id}"))
        .await
        .expect("payment page");
    assert!(!text(c, "#pay-open").await.is_empty());
    axe(c, &axe_js, "payment page").await;
    if pictures {
        screenshots(c, "pay").await;
    }

    let _ = b.client.clone().close().await;
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_in_the_browser_on_sqlite_and_postgres() {
    billing_journey(None).await;
    let pg = store::testing::postgres().await;
    let url = pg.url().to_owned();
    pg.close().await;
    billing_journey(Some(url)).await;
}
