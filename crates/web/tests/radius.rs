//! The network area and the RADIUS API end to end: pages, permissions,
//! validation naming fields, disconnects, "who had address X at T" and its
//! audit trail. Every test runs on SQLite and on PostgreSQL; connection
//! records are inserted directly, the way the AAA runtime writes them.

#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use services::secrets::SecretBox;
use services::setup::SetupInput;
use services::{Actor, Services};
use store::testing::each_engine;
use tower::ServiceExt;
use web::{AppState, WebConfig};

const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789";
const PASSWORD: &str = "correct horse battery";

struct App {
    router: Router,
    svc: Services,
    db: store::Db,
}

fn cli() -> Actor {
    Actor {
        kind: "cli",
        id: None,
        name: "test".into(),
        source_ip: None,
    }
}

async fn app(db: store::Db) -> App {
    let dir = std::env::temp_dir().join("lastmile-tests");
    let svc = Services::new(db.clone(), SecretBox::from_key(&[7; 32]), dir);
    let input = SetupInput {
        company: "Provedor Teste".into(),
        legal_document: "12.345.678/0001-90".into(),
        country: "BR".into(),
        currency: "BRL".into(),
        locale: "en".into(),
        timezone: "America/Sao_Paulo".into(),
        admin_username: "admin".into(),
        admin_email: "admin@example.net".into(),
        admin_name: "Admin".into(),
        admin_password: PASSWORD.into(),
        logo: None,
    };
    services::setup::run(&svc, &input, None).await.unwrap();
    for role in ["technician", "finance"] {
        let u = services::staff::UserInput {
            username: role.into(),
            email: format!("{role}@example.net"),
            role: role.into(),
            ..Default::default()
        };
        services::staff::create_user(&svc, &cli(), &u, PASSWORD)
            .await
            .unwrap();
    }
    let router = web::router(AppState::new(svc.clone(), WebConfig::default()));
    App { router, svc, db }
}

/// A signed-in browser session for `username`.
async fn session(app: &App, username: &str) -> String {
    let req = services::auth::LoginRequest {
        username,
        password: PASSWORD,
        ip: "127.0.0.1".parse().unwrap(),
        user_agent: "test",
    };
    match services::auth::login(&app.svc, &req).await.unwrap() {
        services::auth::LoginOutcome::Done { session_token } => session_token,
        other => panic!("{other:?}"),
    }
}

struct Page {
    status: StatusCode,
    location: String,
    body: String,
}

async fn page(app: &App, who: &str, method: Method, uri: &str, form: &[(&str, &str)]) -> Page {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header("host", "localhost")
        .header("cookie", format!("lm_session={who}; lm_csrf={CSRF}"));
    let body = if method == Method::POST {
        req = req.header("content-type", "application/x-www-form-urlencoded");
        let mut pairs = vec![("_csrf", CSRF)];
        pairs.extend_from_slice(form);
        Body::from(serde_urlencoded::to_string(&pairs).unwrap())
    } else {
        Body::empty()
    };
    let resp = app
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    Page {
        status,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

struct Reply {
    status: StatusCode,
    body: Value,
}

impl Reply {
    fn field(&self) -> &str {
        self.body["errors"][0]["field"].as_str().unwrap_or("")
    }
}

async fn api(app: &App, token: &str, method: Method, uri: &str, body: Option<Value>) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let resp = app
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

async fn insert_session(
    db: &store::Db,
    nas_id: i64,
    login: &str,
    contract_id: Option<i64>,
    ip: &str,
    start: i64,
    stop: Option<i64>,
) -> i64 {
    let mut c = db.conn().await.unwrap();
    sqlx::query_scalar(
        "INSERT INTO radius_sessions (nas_id, acct_session_id, login, contract_id, framed_ip,
            calling_station_id, started_at, updated_at, stopped_at, input_octets, output_octets)
         VALUES ($1, $2, $3, $4, $5, 'AA:BB:CC:00:11:22', $6, $6, $7, 1200000, 98000000)
         RETURNING id",
    )
    .bind(nas_id)
    .bind(format!("acct-{login}-{start}"))
    .bind(login)
    .bind(contract_id)
    .bind(ip)
    .bind(start)
    .bind(stop)
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

async fn contract(svc: &Services) -> i64 {
    let customer = match services::crm::create_customer(
        svc,
        &cli(),
        &services::crm::CustomerInput {
            kind: "person".into(),
            name: "Maria Souza".into(),
            document: "52998224725".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    {
        services::crm::Created::Customer(id) => id,
        other => panic!("{other:?}"),
    };
    use domain::plan::*;
    let plan = services::catalog::create_plan(
        svc,
        &cli(),
        &Plan {
            name: "Fibra 500".into(),
            description: String::new(),
            download_kbps: 500_000,
            upload_kbps: 250_000,
            burst_down: None,
            burst_up: None,
            quota: None,
            price: domain::Money(9990),
            billing_mode: BillingMode::Postpaid,
            cycle: Cycle::Monthly,
            installation_fee: domain::Money(0),
            loyalty_months: 0,
            early_termination_fee: domain::Money(0),
            tax_category: "scm".into(),
            technology: Technology::Fiber,
            suspended_behavior: SuspendedBehavior::Restricted,
            active: true,
            public: true,
        },
    )
    .await
    .unwrap();
    services::contracts::create(
        svc,
        &cli(),
        &services::contracts::ContractInput {
            customer_id: customer,
            plan_id: plan,
            billing_day: 5,
            login: "maria.souza".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn network_pages_permissions_and_forms() {
    each_engine(|db| async move {
        let app = app(db).await;
        let admin = session(&app, "admin").await;
        let tech = session(&app, "technician").await;
        let finance = session(&app, "finance").await;

        // The area's front door, and who may enter.
        let p = page(&app, &admin, Method::GET, "/network", &[]).await;
        assert_eq!(p.location, "/network/sessions");
        for uri in [
            "/network/sessions",
            "/network/auth-log",
            "/network/who",
            "/network/nas",
            "/network/nas/new",
            "/settings/radius",
        ] {
            let p = page(&app, &admin, Method::GET, uri, &[]).await;
            assert_eq!(p.status, StatusCode::OK, "{uri}: {}", p.body);
        }
        let p = page(&app, &tech, Method::GET, "/network/sessions", &[]).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("/network/who\""), "no lookup tab without the permission");
        for uri in ["/network/who", "/network/nas/new"] {
            let p = page(&app, &tech, Method::GET, uri, &[]).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{uri}");
        }
        let p = page(&app, &finance, Method::GET, "/network/sessions", &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(p.body.contains("See routers (NAS)"), "names the permission: {}", p.body);

        // NAS editor: errors name the field in words; the secret is never echoed.
        let bad = [
            ("name", "bng-centro"),
            ("address", "10.0.0.300"),
            ("kind", "mikrotik"),
            ("coa_port", "3799"),
            ("secret", "s3cr3t-shared"),
        ];
        let p = page(&app, &admin, Method::POST, "/network/nas/new", &bad).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Enter an IPv4 or IPv6 address"), "{}", p.body);
        assert!(!p.body.contains("s3cr3t-shared"));
        let p = page(
            &app,
            &admin,
            Method::POST,
            "/network/nas/new",
            &[
                ("name", "bng-centro"),
                ("address", "10.0.0.1"),
                ("kind", "mikrotik"),
                ("coa_port", "abc"),
                ("secret", "s3cr3t-shared"),
            ],
        )
        .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("e-coa_port") || p.body.contains("f-coa_port\" name=\"coa_port\" type=\"number\" value=\"0\""), "{}", p.body);
        let good = [
            ("name", "bng-centro"),
            ("address", "10.0.0.1"),
            ("kind", "mikrotik"),
            ("coa_port", "3799"),
            ("secret", "s3cr3t-shared"),
            ("notes", "rack 3"),
        ];
        let p = page(&app, &admin, Method::POST, "/network/nas/new", &good).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert!(p.location.starts_with("/network/nas/1?ok="), "{}", p.location);
        let mut same_name = good;
        same_name[1] = ("address", "10.0.0.2");
        let p = page(&app, &admin, Method::POST, "/network/nas/new", &same_name).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Another NAS already has this name"), "{}", p.body);
        let mut same_address = good;
        same_address[0] = ("name", "bng-2");
        let p = page(&app, &admin, Method::POST, "/network/nas/new", &same_address).await;
        assert!(p.body.contains("Another NAS already uses this address"), "{}", p.body);
        let p = page(&app, &admin, Method::GET, "/network/nas/1", &[]).await;
        assert!(p.body.contains("bng-centro") && !p.body.contains("s3cr3t-shared"));
        // A technician sees the list but cannot change anything.
        let p = page(&app, &tech, Method::POST, "/network/nas/1", &good).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let p = page(&app, &tech, Method::POST, "/network/nas/1/reveal", &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        // Reveal shows it once, audited.
        let p = page(&app, &admin, Method::POST, "/network/nas/1/reveal", &[]).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("s3cr3t-shared"));
        let revealed = services::audit::list(
            &app.svc,
            &store::audit::Filter {
                action: Some("nas.secret_revealed".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0;
        assert_eq!(revealed.len(), 1);
        assert_eq!(revealed[0].actor_name, "admin");
        // The CoA test reports silence from a router that is not there.
        let p = page(&app, &admin, Method::POST, "/network/nas/1/test", &[]).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.body.contains("No answer within 2 seconds") || p.body.contains("could not be sent"),
            "{}",
            p.body
        );

        // Sessions, disconnect, the contract's history and the lookup.
        let k = contract(&app.svc).await;
        let t = 1_772_384_400; // 2026-03-01 14:00 in São Paulo
        let old = insert_session(&app.db, 1, "maria.souza", Some(k), "100.64.3.9", t, Some(t + 7200)).await;
        let online = insert_session(&app.db, 1, "maria.souza", Some(k), "100.64.7.7", store::now() - 60, None).await;
        let p = page(&app, &tech, Method::GET, "/network/sessions?q=100.64.7.7", &[]).await;
        assert!(p.body.contains("maria.souza") && p.body.contains("Maria Souza"), "{}", p.body);
        assert!(!p.body.contains("/disconnect"), "no disconnect button without radius.manage");
        let p = page(&app, &tech, Method::POST, &format!("/network/sessions/{online}/disconnect"), &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let p = page(&app, &admin, Method::GET, "/network/sessions", &[]).await;
        assert!(p.body.contains(&format!("/network/sessions/{online}/disconnect")));
        let p = page(&app, &admin, Method::POST, &format!("/network/sessions/{online}/disconnect"), &[]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert!(p.location.contains("ok=radius-disconnect-queued"), "{}", p.location);
        let p = page(&app, &admin, Method::GET, &p.location, &[]).await;
        assert!(p.body.contains("Disconnect requested") && p.body.contains("Pending"), "{}", p.body);
        let p = page(&app, &admin, Method::POST, &format!("/network/sessions/{old}/disconnect"), &[("back", "https://evil.example/")]).await;
        assert!(p.location.starts_with("/network/sessions?ok=radius-session-closed"), "{}", p.location);

        let mut c = app.db.conn().await.unwrap();
        sqlx::query(
            "INSERT INTO contract_usage (contract_id, cycle_start, input_octets, output_octets, session_time, updated_at)
             VALUES ($1, '2026-02-05', 2000000000, 61000000000, 86400, 0), ($1, '2026-03-05', 3000000000, 82000000000, 90000, 0)",
        )
        .bind(k)
        .execute(&mut *c)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO radius_auth_log (at, nas_id, login, contract_id, method, result, reason)
             VALUES ($1, 1, 'maria.souza', $2, 'pap', 'reject', 'mac-mismatch')",
        )
        .bind(store::now() - 5)
        .bind(k)
        .execute(&mut *c)
        .await
        .unwrap();
        drop(c);
        let p = page(&app, &tech, Method::GET, &format!("/contracts/{k}/sessions"), &[]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("<svg class=\"chart\""), "usage chart");
        assert!(p.body.contains("82.0 GB"), "{}", p.body);
        assert!(p.body.contains("MAC address does not match the contract"));
        let p = page(&app, &tech, Method::GET, "/contracts/9999/sessions", &[]).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);

        // The auth log explains every reject, in both languages.
        let p = page(&app, &tech, Method::GET, "/network/auth-log?result=reject", &[]).await;
        assert!(p.body.contains("MAC address does not match the contract"), "{}", p.body);
        let p = page(&app, &tech, Method::GET, "/network/auth-log?from=yesterday", &[]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Who had 100.64.3.9 at 15:30 São Paulo time: Maria, audited.
        let p = page(&app, &admin, Method::POST, "/network/who", &[("ip", "100.64.3.9"), ("at", "2026-03-01 15:30")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("maria.souza") && p.body.contains("AA:BB:CC:00:11:22"), "{}", p.body);
        assert!(p.body.contains("2026-03-01 14:00"), "start shown in the company zone");
        let p = page(&app, &admin, Method::POST, "/network/who", &[("ip", "100.64.3.9"), ("at", "2026-03-01 17:30")]).await;
        assert!(p.body.contains("No connection record holds this address"), "{}", p.body);
        let p = page(&app, &admin, Method::POST, "/network/who", &[("ip", "banana"), ("at", "2026-03-01 15:30")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Enter an IPv4 address"), "{}", p.body);
        let p = page(&app, &tech, Method::POST, "/network/who", &[("ip", "100.64.3.9"), ("at", "2026-03-01 15:30")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let lookups = services::audit::list(
            &app.svc,
            &store::audit::Filter {
                action: Some("radius.who".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0;
        assert_eq!(lookups.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn radius_api() {
    each_engine(|db| async move {
        let app = app(db).await;
        let admin = services::staff::user_by_username(&app.svc, "admin").await.unwrap();
        let (_, token) = services::tokens::create(&app.svc, &cli(), admin.id, "all", "all")
            .await
            .unwrap();
        let (_, viewer) =
            services::tokens::create(&app.svc, &cli(), admin.id, "viewer", "radius.view")
                .await
                .unwrap();

        // Create: validation names fields; the secret never comes back.
        let r = api(&app, &token, Method::POST, "/api/v1/nas", Some(json!({
            "name": "bng-1", "address": "not-an-ip", "secret": "x1", "kind": "mikrotik"
        }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.field(), "address");
        let r = api(&app, &token, Method::POST, "/api/v1/nas", Some(json!({
            "name": "bng-1", "address": "10.0.0.1", "secret": "x1", "kind": "nokia"
        }))).await;
        assert_eq!(r.field(), "kind");
        let r = api(&app, &token, Method::POST, "/api/v1/nas", Some(json!({
            "name": "bng-1", "address": "10.0.0.1", "secret": "x1", "kind": "mikrotik", "colour": "red"
        }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.field(), "colour");
        let r = api(&app, &viewer, Method::POST, "/api/v1/nas", Some(json!({
            "name": "bng-1", "address": "10.0.0.1", "secret": "x1", "kind": "mikrotik"
        }))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.body["permission"], "radius.manage");
        let r = api(&app, &token, Method::POST, "/api/v1/nas", Some(json!({
            "name": "bng-1", "address": "2001:DB8::1", "secret": "top-secret", "kind": "accel-ppp"
        }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["address"], "2001:db8::1");
        assert_eq!(r.body["coa_port"], 3799);
        assert!(!r.body.to_string().contains("top-secret") && r.body.get("secret").is_none());
        let id = r.body["id"].as_i64().unwrap();
        let r = api(&app, &token, Method::POST, "/api/v1/nas", Some(json!({
            "name": "bng-2", "address": "2001:db8::1", "secret": "x", "kind": "cisco"
        }))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.field(), "address");
        let r = api(&app, &token, Method::PATCH, &format!("/api/v1/nas/{id}"), Some(json!({
            "coa_port": 1700, "notes": "POP centro"
        }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["coa_port"], 1700);
        let r = api(&app, &token, Method::PATCH, &format!("/api/v1/nas/{id}"), Some(json!({"coa_port": 0}))).await;
        assert_eq!(r.field(), "coa_port");
        let r = api(&app, &viewer, Method::GET, "/api/v1/nas", None).await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);

        // Sessions, disconnect, who.
        let t = 1_772_384_400;
        let old = insert_session(&app.db, id, "maria", None, "100.64.3.9", t, Some(t + 7200)).await;
        let online = insert_session(&app.db, id, "joao", None, "100.64.3.9", t + 7300, None).await;
        let r = api(&app, &viewer, Method::GET, "/api/v1/radius/sessions", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(r.body["data"][0]["login"], "joao");
        let r = api(&app, &viewer, Method::GET, "/api/v1/radius/sessions?online=false&limit=1", None).await;
        assert_eq!(r.body["data"][0]["id"], online);
        let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
        let r = api(&app, &viewer, Method::GET, &format!("/api/v1/radius/sessions?online=false&limit=1&cursor={cursor}"), None).await;
        assert_eq!(r.body["data"][0]["id"], old);
        assert!(r.body["next_cursor"].is_null());
        let r = api(&app, &viewer, Method::GET, "/api/v1/radius/sessions?cursor=@@", None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.field(), "cursor");
        let r = api(&app, &viewer, Method::POST, &format!("/api/v1/radius/sessions/{online}/disconnect"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = api(&app, &token, Method::POST, &format!("/api/v1/radius/sessions/{online}/disconnect"), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(r.body["status"], "pending");
        let r = api(&app, &token, Method::POST, &format!("/api/v1/radius/sessions/{old}/disconnect"), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.body["code"], "session-closed");

        let r = api(&app, &viewer, Method::GET, "/api/v1/radius/who?ip=100.64.3.9&at=2026-03-01T15:00:00-03:00", None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.body["permission"], "radius.lookup");
        let r = api(&app, &token, Method::GET, "/api/v1/radius/who?ip=100.64.3.9&at=2026-03-01%2015:00", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["at"], "2026-03-01T18:00:00Z");
        assert_eq!(r.body["sessions"][0]["login"], "maria");
        let r = api(&app, &token, Method::GET, "/api/v1/radius/who?at=2026-03-01%2015:00", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.field(), "ip");
        let r = api(&app, &token, Method::GET, "/api/v1/radius/who?ip=100.64.3.9&at=noon", None).await;
        assert_eq!(r.field(), "at");

        // Auth log and usage.
        let r = api(&app, &viewer, Method::GET, "/api/v1/radius/auth-log?reason=bad-luck", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.field(), "reason");
        let r = api(&app, &viewer, Method::GET, "/api/v1/radius/auth-log?from=soon", None).await;
        assert_eq!(r.field(), "from");
        let r = api(&app, &viewer, Method::GET, "/api/v1/radius/auth-log?result=reject&limit=10", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body["data"].as_array().unwrap().is_empty());
        let r = api(&app, &viewer, Method::GET, "/api/v1/contracts/9999/usage", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = api(&app, &viewer, Method::GET, "/api/v1/contracts/1/usage?cycles=0", None).await;
        assert_eq!(r.field(), "cycles");

        // Delete: a NAS with records is disabled instead.
        let r = api(&app, &token, Method::DELETE, &format!("/api/v1/nas/{id}"), None).await;
        assert_eq!(r.body["result"], "disabled");
        let r = api(&app, &token, Method::GET, &format!("/api/v1/nas/{id}"), None).await;
        assert_eq!(r.body["disabled"], true);

        // The OpenAPI document lists the area.
        let r = api(&app, &token, Method::GET, "/api/v1/openapi.json", None).await;
        assert!(r.body["paths"]["/api/v1/radius/who"]["get"].is_object());
    })
    .await;
}
