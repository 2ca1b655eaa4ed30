//! The network API end to end on SQLite and PostgreSQL: the inventory,
//! prefixes and pools with their use, assignments onto contracts and their
//! conflicts, field-naming validation and scopes.

use crate::common::{App, Reply, app, assert_problem, call, cli_caller, console};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::testing::each_engine;

async fn get(app: &App, uri: &str) -> Reply {
    call(app, Method::GET, uri, Some(&app.token), None).await
}

async fn post(app: &App, uri: &str, body: Value) -> Reply {
    call(app, Method::POST, uri, Some(&app.token), Some(body)).await
}

fn created(r: &Reply) -> i64 {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// A contract through the services (the contract API has its own tests).
async fn contract(app: &App, login: &str, document: &str) -> i64 {
    use services::crm::{Created, CustomerInput};
    let plan = services::catalog::create_plan(
        &app.svc,
        &cli_caller(),
        &domain::catalog::Plan {
            name: format!("Plano {login}"),
            description: String::new(),
            download_kbps: 100_000,
            upload_kbps: 50_000,
            burst_down: None,
            burst_up: None,
            quota: None,
            price: domain::Money(9990),
            billing_mode: domain::catalog::BillingMode::Postpaid,
            cycle: domain::catalog::Cycle::Monthly,
            installation_fee: domain::Money(0),
            loyalty_months: 0,
            early_termination_fee: domain::Money(0),
            tax_category: String::new(),
            technology: domain::catalog::Technology::Fiber,
            suspended_behavior: domain::catalog::SuspendedBehavior::Reject,
            active: true,
            public: true,
        },
    )
    .await
    .unwrap();
    let Created::Customer(c) = services::crm::create_customer(
        &app.svc,
        &cli_caller(),
        &CustomerInput {
            kind: "person".into(),
            name: format!("Cliente {login}"),
            document: document.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap() else {
        panic!("duplicates")
    };
    services::contracts::create(
        &app.svc,
        &cli_caller(),
        &services::contracts::ContractInput {
            customer_id: c.id,
            plan_id: plan.id,
            billing_day: 10,
            start_date: "2026-01-10".into(),
            login: login.into(),
            password: "first-pw".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn the_inventory_through_the_api() {
    each_engine(|db| async move {
        let app = app(db).await;
        let site = created(
            &post(
                &app,
                "/api/v1/sites",
                json!({
                    "name": "Torre Centro", "kind": "tower",
                    "latitude": -23.55, "longitude": -46.63,
                }),
            )
            .await,
        );
        let r = post(
            &app,
            "/api/v1/sites",
            json!({"name": "X", "kind": "castle"}),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "kind");
        let r = post(
            &app,
            "/api/v1/sites",
            json!({"name": "X", "kind": "tower", "latitude": 95.0, "longitude": 0.0}),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "latitude");
        let r = post(
            &app,
            "/api/v1/devices",
            json!({
                "name": "core-1", "role": "router", "site_id": site,
                "mac": "aa:bb:cc:dd:ee:ff", "password": "s3cret-pw",
            }),
        )
        .await;
        let core = created(&r);
        assert_eq!(r.body["has_password"], true);
        assert_eq!(r.body["mac"], "AA:BB:CC:DD:EE:FF");
        assert!(r.body.get("password").is_none() && !r.body.to_string().contains("s3cret"));
        let r = call(
            &app,
            Method::PATCH,
            &format!("/api/v1/devices/{core}"),
            Some(&app.token),
            Some(json!({"firmware": "7.19"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (
                r.body["firmware"].as_str(),
                r.body["has_password"].as_bool()
            ),
            (Some("7.19"), Some(true))
        );
        let link = created(
            &post(&app, "/api/v1/links", json!({
                "name": "Centro - core", "kind": "fibre", "a_site_id": site, "b_device_id": core,
                "capacity_mbps": 10000, "path": [[-23.55, -46.63], [-23.56, -46.64]],
            }))
            .await,
        );
        let r = get(&app, &format!("/api/v1/links/{link}")).await;
        assert_eq!(r.body["a_name"], "Torre Centro");
        assert_eq!(r.body["path"][1][0], -23.56);
        let r = get(&app, "/api/v1/devices?q=core&role=router").await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        let r = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/sites/{site}"),
            Some(&app.token),
            None,
        )
        .await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "network-in-use");
        let r = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/links/{link}"),
            Some(&app.token),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
    })
    .await;
}

#[tokio::test]
async fn prefixes_pools_and_assignments_through_the_api() {
    each_engine(|db| async move {
        let app = app(db).await;
        let k1 = contract(&app, "ana", "529.982.247-25").await;
        let k2 = contract(&app, "bia", "111.444.777-35").await;
        let p = created(&post(&app, "/api/v1/prefixes", json!({"cidr": "100.64.0.0/16"})).await);
        let child = post(&app, "/api/v1/prefixes", json!({"cidr": "100.64.0.0/20"})).await;
        assert_eq!(child.body["parent_id"], p);
        let r = post(&app, "/api/v1/prefixes", json!({"cidr": "100.64.0.9/16"})).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "cidr");
        let pool = created(
            &post(
                &app,
                "/api/v1/pools",
                json!({
                    "prefix_id": p, "name": "fixos", "cidr": "100.64.0.0/30", "kind": "static",
                }),
            )
            .await,
        );
        created(
            &post(
                &app,
                "/api/v1/pools",
                json!({
                    "prefix_id": p, "name": "pppoe", "cidr": "100.64.4.0/22", "kind": "dynamic",
                }),
            )
            .await,
        );
        let r = post(
            &app,
            "/api/v1/pools",
            json!({
                "prefix_id": p, "name": "other", "cidr": "100.64.4.0/24", "kind": "static",
            }),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(
            (r.field(), r.body["errors"][0]["code"].as_str()),
            ("cidr", Some("overlaps"))
        );

        let r = post(
            &app,
            "/api/v1/assignments",
            json!({"contract_id": k1, "pool_id": pool}),
        )
        .await;
        created(&r);
        assert_eq!(r.body["address"], "100.64.0.1");
        let r = post(
            &app,
            "/api/v1/assignments",
            json!({"contract_id": k2, "address": "100.64.0.1"}),
        )
        .await;
        assert_problem(&r, 409);
        let r = post(
            &app,
            "/api/v1/assignments",
            json!({"contract_id": k2, "address": "100.64.5.5"}),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(
            (r.field(), r.body["errors"][0]["code"].as_str()),
            ("address", Some("in-dynamic-pool"))
        );
        let second = created(
            &post(
                &app,
                "/api/v1/assignments",
                json!({"contract_id": k2, "pool_id": pool}),
            )
            .await,
        );
        let r = post(
            &app,
            "/api/v1/assignments",
            json!({"pool_id": pool, "note": "gw"}),
        )
        .await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "pool-full");
        let r = get(&app, &format!("/api/v1/pools/{pool}")).await;
        assert_eq!(
            (
                r.body["used"].as_i64(),
                r.body["size"].as_i64(),
                r.body["warning"].as_bool()
            ),
            (Some(2), Some(2), Some(true))
        );
        let r = get(&app, &format!("/api/v1/pools/{pool}/assignments?limit=1")).await;
        assert_eq!(r.body["data"][0]["address"], "100.64.0.1");
        let next = r.body["next_cursor"].as_str().unwrap().to_owned();
        let r = get(
            &app,
            &format!("/api/v1/pools/{pool}/assignments?limit=1&cursor={next}"),
        )
        .await;
        assert_eq!(r.body["data"][0]["address"], "100.64.0.2");
        assert_eq!(r.body["next_cursor"], Value::Null);
        let r = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/assignments/{second}"),
            Some(&app.token),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = get(&app, &format!("/api/v1/pools/{pool}")).await;
        assert_eq!(r.body["used"], 1);

        // A token that may only look is refused every change, naming the scope.
        let (_, viewer) = services::staff::tokens::create(
            &app.svc,
            &console(),
            app.admin_id,
            "noc",
            "network.view",
        )
        .await
        .unwrap();
        let r = call(&app, Method::GET, "/api/v1/pools", Some(&viewer), None).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = call(
            &app,
            Method::POST,
            "/api/v1/sites",
            Some(&viewer),
            Some(json!({"name": "Y", "kind": "tower"})),
        )
        .await;
        assert_problem(&r, 403);
        let r = call(
            &app,
            Method::POST,
            "/api/v1/assignments",
            Some(&viewer),
            Some(json!({"contract_id": k2, "pool_id": pool})),
        )
        .await;
        assert_problem(&r, 403);
    })
    .await;
}
