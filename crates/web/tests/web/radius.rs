//! The network area and the RADIUS API end to end: pages, permissions,
//! validation naming fields, disconnects, "who had address X at T" and its
//! audit trail. Every test runs on SQLite and on PostgreSQL; connection
//! records are inserted directly, the way the AAA runtime writes them.

use crate::common::{self, App, call, cli_caller, console};
use axum::http::{Method, StatusCode};
use serde_json::json;
use services::Services;
use store::testing::each_engine;

/// [`common::app`] with a technician and a finance user.
async fn app(db: store::Db) -> App {
    let app = common::app(db).await;
    for role in ["technician", "finance"] {
        app.user(role, role, None).await;
    }
    app
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
        &cli_caller(),
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
        services::crm::Created::Customer(c) => c.id,
        other => panic!("{other:?}"),
    };
    use domain::catalog::*;
    let plan = services::catalog::create_plan(
        svc,
        &cli_caller(),
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
    .unwrap()
    .id;
    services::contracts::create(
        svc,
        &cli_caller(),
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
    .id
}

#[tokio::test]
async fn network_pages_permissions_and_forms() {
    each_engine(|db| async move {
        let app = app(db).await;
        let admin = app.browser("admin").await;
        let tech = app.browser("technician").await;
        let finance = app.browser("finance").await;

        // The area's front door, and who may enter.
        let p = admin.request(Method::GET, "/network", &[]).await;
        assert_eq!(p.location(), "/network/sessions");
        for uri in [
            "/network/sessions",
            "/network/auth-log",
            "/network/who",
            "/network/nas",
            "/network/nas/new",
            "/settings/radius",
        ] {
            let p = admin.request(Method::GET, uri, &[]).await;
            assert_eq!(p.status, StatusCode::OK, "{uri}: {}", p.body);
        }
        let p = tech.request(Method::GET, "/network/sessions", &[]).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("/network/who\""), "no lookup tab without the permission");
        for uri in ["/network/who", "/network/nas/new"] {
            let p = tech.request(Method::GET, uri, &[]).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{uri}");
        }
        let p = finance.request(Method::GET, "/network/sessions", &[]).await;
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
        let p = admin.request(Method::POST, "/network/nas/new", &bad).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Enter an IPv4 or IPv6 address"), "{}", p.body);
        assert!(!p.body.contains("s3cr3t-shared"));
        let p = admin.request(Method::POST,
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
        let p = admin.request(Method::POST, "/network/nas/new", &good).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert!(p.location().starts_with("/network/nas/1?ok="), "{}", p.location());
        let mut same_name = good;
        same_name[1] = ("address", "10.0.0.2");
        let p = admin.request(Method::POST, "/network/nas/new", &same_name).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Another NAS already has this name"), "{}", p.body);
        let mut same_address = good;
        same_address[0] = ("name", "bng-2");
        let p = admin.request(Method::POST, "/network/nas/new", &same_address).await;
        assert!(p.body.contains("Another NAS already uses this address"), "{}", p.body);
        let p = admin.request(Method::GET, "/network/nas/1", &[]).await;
        assert!(p.body.contains("bng-centro") && !p.body.contains("s3cr3t-shared"));
        // A technician sees the list but cannot change anything.
        let p = tech.request(Method::POST, "/network/nas/1", &good).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let p = tech.request(Method::POST, "/network/nas/1/reveal", &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        // Reveal shows it once, audited.
        let p = admin.request(Method::POST, "/network/nas/1/reveal", &[]).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("s3cr3t-shared"));
        let revealed = services::system::audit::list(
            &app.svc,
            &console(),
            &services::system::audit::Query {
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
        let p = admin.request(Method::POST, "/network/nas/1/test", &[]).await;
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
        let p = tech.request(Method::GET, "/network/sessions?q=100.64.7.7", &[]).await;
        assert!(p.body.contains("maria.souza") && p.body.contains("Maria Souza"), "{}", p.body);
        assert!(!p.body.contains("/disconnect"), "no disconnect button without radius.manage");
        let p = tech.request(Method::POST, &format!("/network/sessions/{online}/disconnect"), &[]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let p = admin.request(Method::GET, "/network/sessions", &[]).await;
        assert!(p.body.contains(&format!("/network/sessions/{online}/disconnect")));
        let p = admin.request(Method::POST, &format!("/network/sessions/{online}/disconnect"), &[]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert!(p.location().contains("ok=radius-disconnect-queued"), "{}", p.location());
        let p = admin.request(Method::GET, p.location(), &[]).await;
        assert!(p.body.contains("Disconnect requested") && p.body.contains("Pending"), "{}", p.body);
        let p = admin.request(Method::POST, &format!("/network/sessions/{old}/disconnect"), &[("back", "https://evil.example/")]).await;
        assert!(p.location().starts_with("/network/sessions?ok=radius-session-closed"), "{}", p.location());

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
        let p = tech.request(Method::GET, &format!("/contracts/{k}/sessions"), &[]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("<svg class=\"chart\""), "usage chart");
        assert!(p.body.contains("82.0 GB"), "{}", p.body);
        assert!(p.body.contains("MAC address does not match the contract"));
        let p = tech.request(Method::GET, "/contracts/9999/sessions", &[]).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);

        // The auth log explains every reject, in both languages.
        let p = tech.request(Method::GET, "/network/auth-log?result=reject", &[]).await;
        assert!(p.body.contains("MAC address does not match the contract"), "{}", p.body);
        let p = tech.request(Method::GET, "/network/auth-log?from=yesterday", &[]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Who had 100.64.3.9 at 15:30 São Paulo time: Maria, audited.
        let p = admin.request(Method::POST, "/network/who", &[("ip", "100.64.3.9"), ("at", "2026-03-01 15:30")]).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("maria.souza") && p.body.contains("AA:BB:CC:00:11:22"), "{}", p.body);
        assert!(p.body.contains("2026-03-01 14:00"), "start shown in the company zone");
        let p = admin.request(Method::POST, "/network/who", &[("ip", "100.64.3.9"), ("at", "2026-03-01 17:30")]).await;
        assert!(p.body.contains("No connection record holds this address"), "{}", p.body);
        let p = admin.request(Method::POST, "/network/who", &[("ip", "banana"), ("at", "2026-03-01 15:30")]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Enter an IPv4 address"), "{}", p.body);
        let p = tech.request(Method::POST, "/network/who", &[("ip", "100.64.3.9"), ("at", "2026-03-01 15:30")]).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let lookups = services::system::audit::list(
            &app.svc,
            &console(),
            &services::system::audit::Query {
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
        let token = app.token.clone();
        let (_, viewer) =
            services::staff::tokens::create(&app.svc, &console(), app.admin_id, "viewer", "radius.view")
                .await
                .unwrap();

        // Create: validation names fields; the secret never comes back.
        let r = call(&app, Method::POST, "/api/v1/nas", Some(&token), Some(json!({
            "name": "bng-1", "address": "not-an-ip", "secret": "x1", "kind": "mikrotik"
        }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.field(), "address");
        let r = call(&app, Method::POST, "/api/v1/nas", Some(&token), Some(json!({
            "name": "bng-1", "address": "10.0.0.1", "secret": "x1", "kind": "nokia"
        }))).await;
        assert_eq!(r.field(), "kind");
        let r = call(&app, Method::POST, "/api/v1/nas", Some(&token), Some(json!({
            "name": "bng-1", "address": "10.0.0.1", "secret": "x1", "kind": "mikrotik", "colour": "red"
        }))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.field(), "colour");
        let r = call(&app, Method::POST, "/api/v1/nas", Some(&viewer), Some(json!({
            "name": "bng-1", "address": "10.0.0.1", "secret": "x1", "kind": "mikrotik"
        }))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.body["permission"], "radius.manage");
        let r = call(&app, Method::POST, "/api/v1/nas", Some(&token), Some(json!({
            "name": "bng-1", "address": "2001:DB8::1", "secret": "top-secret", "kind": "accel-ppp"
        }))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["address"], "2001:db8::1");
        assert_eq!(r.body["coa_port"], 3799);
        assert!(!r.body.to_string().contains("top-secret") && r.body.get("secret").is_none());
        let id = r.body["id"].as_i64().unwrap();
        let r = call(&app, Method::POST, "/api/v1/nas", Some(&token), Some(json!({
            "name": "bng-2", "address": "2001:db8::1", "secret": "x", "kind": "cisco"
        }))).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.field(), "address");
        let r = call(&app, Method::PATCH, &format!("/api/v1/nas/{id}"), Some(&token), Some(json!({
            "coa_port": 1700, "notes": "POP centro"
        }))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["coa_port"], 1700);
        let r = call(&app, Method::PATCH, &format!("/api/v1/nas/{id}"), Some(&token), Some(json!({"coa_port": 0}))).await;
        assert_eq!(r.field(), "coa_port");
        let r = call(&app, Method::GET, "/api/v1/nas", Some(&viewer), None).await;
        assert_eq!(r.body.as_array().unwrap().len(), 1);

        // Sessions, disconnect, who.
        let t = 1_772_384_400;
        let old = insert_session(&app.db, id, "maria", None, "100.64.3.9", t, Some(t + 7200)).await;
        let online = insert_session(&app.db, id, "joao", None, "100.64.3.9", t + 7300, None).await;
        let r = call(&app, Method::GET, "/api/v1/radius/sessions", Some(&viewer), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(r.body["data"][0]["login"], "joao");
        let r = call(&app, Method::GET, "/api/v1/radius/sessions?online=false&limit=1", Some(&viewer), None).await;
        assert_eq!(r.body["data"][0]["id"], online);
        let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
        let r = call(&app, Method::GET, &format!("/api/v1/radius/sessions?online=false&limit=1&cursor={cursor}"), Some(&viewer), None).await;
        assert_eq!(r.body["data"][0]["id"], old);
        assert!(r.body["next_cursor"].is_null());
        let r = call(&app, Method::GET, "/api/v1/radius/sessions?cursor=@@", Some(&viewer), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.field(), "cursor");
        let r = call(&app, Method::POST, &format!("/api/v1/radius/sessions/{online}/disconnect"), Some(&viewer), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = call(&app, Method::POST, &format!("/api/v1/radius/sessions/{online}/disconnect"), Some(&token), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(r.body["status"], "pending");
        let r = call(&app, Method::POST, &format!("/api/v1/radius/sessions/{old}/disconnect"), Some(&token), None).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.body["code"], "session-closed");

        let r = call(&app, Method::GET, "/api/v1/radius/who?ip=100.64.3.9&at=2026-03-01T15:00:00-03:00", Some(&viewer), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.body["permission"], "radius.lookup");
        let r = call(&app, Method::GET, "/api/v1/radius/who?ip=100.64.3.9&at=2026-03-01%2015:00", Some(&token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["at"], "2026-03-01T18:00:00Z");
        assert_eq!(r.body["sessions"][0]["login"], "maria");
        let r = call(&app, Method::GET, "/api/v1/radius/who?at=2026-03-01%2015:00", Some(&token), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.field(), "ip");
        let r = call(&app, Method::GET, "/api/v1/radius/who?ip=100.64.3.9&at=noon", Some(&token), None).await;
        assert_eq!(r.field(), "at");

        // Auth log and usage.
        let r = call(&app, Method::GET, "/api/v1/radius/auth-log?reason=bad-luck", Some(&viewer), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.field(), "reason");
        let r = call(&app, Method::GET, "/api/v1/radius/auth-log?from=soon", Some(&viewer), None).await;
        assert_eq!(r.field(), "from");
        let r = call(&app, Method::GET, "/api/v1/radius/auth-log?result=reject&limit=10", Some(&viewer), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body["data"].as_array().unwrap().is_empty());
        let r = call(&app, Method::GET, "/api/v1/contracts/9999/usage", Some(&viewer), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = call(&app, Method::GET, "/api/v1/contracts/1/usage?cycles=0", Some(&viewer), None).await;
        assert_eq!(r.field(), "cycles");

        // Delete: a NAS with records is disabled instead.
        let r = call(&app, Method::DELETE, &format!("/api/v1/nas/{id}"), Some(&token), None).await;
        assert_eq!(r.body["result"], "disabled");
        let r = call(&app, Method::GET, &format!("/api/v1/nas/{id}"), Some(&token), None).await;
        assert_eq!(r.body["disabled"], true);

        // The OpenAPI document lists the area.
        let r = call(&app, Method::GET, "/api/v1/openapi.json", Some(&token), None).await;
        assert!(r.body["paths"]["/api/v1/radius/who"]["get"].is_object());
    })
    .await;
}

/// The links (`href="/…"`) and post-form targets of a page.
fn targets(body: &str) -> (Vec<String>, Vec<String>) {
    let attr = |name: &str| -> Vec<String> {
        body.split(name)
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|u| u.starts_with('/'))
            .map(|u| u.replace("&amp;", "&"))
            .collect()
    };
    let posts = body
        .split("<form")
        .skip(1)
        .filter_map(|f| f.split('>').next())
        .filter(|tag| tag.contains("method=\"post\""))
        .filter_map(|tag| tag.split("action=\"").nth(1)?.split('"').next())
        .map(str::to_owned)
        .collect();
    (attr("href=\""), posts)
}

#[tokio::test]
async fn a_network_viewer_is_shown_only_what_answers() {
    each_engine(|db| async move {
        let app = app(db).await;
        let role = services::staff::RoleInput {
            name: "noc".into(),
            permissions: vec!["radius.view".into()],
            ip_allowlist: String::new(),
        };
        services::staff::create_role(&app.svc, &console(), &role)
            .await
            .unwrap();
        app.user("noc", "noc", Some("en")).await;
        let nas = services::nas::NasInput {
            name: "bng-centro".into(),
            address: "10.0.0.1".into(),
            secret: "s3cr3t-shared".into(),
            kind: "mikrotik".into(),
            coa_port: 3799,
            ..Default::default()
        };
        let nas = services::nas::create(&app.svc, &console(), &nas)
            .await
            .unwrap();
        let k = contract(&app.svc).await;
        let now = store::now();
        insert_session(
            &app.db,
            nas,
            "maria.souza",
            Some(k),
            "100.64.7.7",
            now - 60,
            None,
        )
        .await;
        insert_session(
            &app.db,
            nas,
            "maria.souza",
            Some(k),
            "100.64.3.9",
            now - 9000,
            Some(now - 7200),
        )
        .await;

        // Every page reachable from the network area, through links only.
        let noc = app.browser("noc").await;
        let mut queue = vec!["/network".to_owned()];
        let mut seen = std::collections::BTreeSet::new();
        let mut forms = std::collections::BTreeSet::new();
        let mut refused = Vec::new();
        while let Some(uri) = queue.pop() {
            if !seen.insert(uri.clone()) || seen.len() > 60 {
                continue;
            }
            let p = noc.get(&uri).await;
            assert!(!p.status.is_server_error(), "{uri}: {}", p.status);
            if p.status == StatusCode::FORBIDDEN {
                refused.push(uri);
                continue;
            }
            if p.status.is_redirection() {
                queue.push(p.location().to_owned());
                continue;
            }
            let (links, posts) = targets(&p.body);
            if uri.starts_with("/network") || uri.starts_with("/contracts/") {
                forms.extend(posts);
            }
            queue.extend(
                links.into_iter().filter(|l| {
                    !l.starts_with("/assets/") && l != "/logo" && !l.starts_with("/api/")
                }),
            );
        }
        assert!(refused.is_empty(), "linked but answer 403: {refused:?}");
        assert!(
            seen.contains("/network/sessions") && seen.contains("/network/nas"),
            "{seen:?}"
        );
        assert!(
            seen.contains(&format!("/contracts/{k}/sessions")),
            "{seen:?}"
        );
        // Nothing it cannot do is offered (signing out and the language
        // are on every page).
        let own = ["/logout", "/language"];
        let offered: Vec<_> = forms
            .iter()
            .filter(|f| !own.contains(&f.as_str()))
            .collect();
        assert!(offered.is_empty(), "forms that answer 403: {offered:?}");

        // Its navigation is the network area alone, and home leads there.
        let p = noc.get("/network/sessions").await;
        let nav = p.body.split("</nav>").next().unwrap();
        assert!(nav.contains("href=\"/network\""));
        for other in [
            "href=\"/\" class=\"nav-link",
            "/customers",
            "/plans",
            "/users",
            "/settings",
        ] {
            assert!(!nav.contains(other), "{other} in {nav}");
        }
        let home = noc.get("/").await;
        assert_eq!(home.status, StatusCode::SEE_OTHER);
        assert_eq!(home.location(), "/network");
    })
    .await;
}
