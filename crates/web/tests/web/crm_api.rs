//! The CRM part of the REST API end to end: customers (duplicates, search by
//! any key, addresses, notes, timeline), plans and service items with
//! re-pricing, contracts (terms, every status transition, plan changes,
//! credentials), field-naming validation, scopes and the OpenAPI document.
//! Every test runs on SQLite and on PostgreSQL.

use crate::common::{self, App, Reply, assert_problem, call, cli_caller, console, send};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use store::testing::each_engine;

/// [`common::app`] with the provider's own customer field the tests fill in.
async fn app(db: store::Db) -> App {
    let app = common::app(db).await;
    services::crm::custom_fields::create(
        &app.svc,
        &cli_caller(),
        &services::crm::custom_fields::DefInput {
            key: "portao".into(),
            label: "Cor do portão".into(),
            kind: "text".into(),
            choices: vec![],
            required: false,
            position: 0,
        },
    )
    .await
    .unwrap();
    app
}

async fn get(app: &App, uri: &str) -> Reply {
    call(app, Method::GET, uri, Some(&app.token), None).await
}

async fn post(app: &App, uri: &str, body: Value) -> Reply {
    call(app, Method::POST, uri, Some(&app.token), Some(body)).await
}

async fn patch(app: &App, uri: &str, body: Value) -> Reply {
    call(app, Method::PATCH, uri, Some(&app.token), Some(body)).await
}

fn created(r: &Reply) -> i64 {
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

fn plan_body(name: &str, price: i64) -> Value {
    json!({
        "name": name, "download_kbps": 300_000, "upload_kbps": 150_000,
        "price": price, "technology": "fiber",
    })
}

async fn new_plan(app: &App, name: &str, price: i64) -> i64 {
    created(&post(app, "/api/v1/plans", plan_body(name, price)).await)
}

async fn new_customer(app: &App, name: &str, doc: &str) -> i64 {
    created(
        &post(
            app,
            "/api/v1/customers",
            json!({"kind": "person", "name": name, "document": doc}),
        )
        .await,
    )
}

async fn new_contract(app: &App, customer: i64, plan: i64, login: &str) -> i64 {
    created(
        &post(
            app,
            "/api/v1/contracts",
            json!({"customer_id": customer, "plan_id": plan, "billing_day": 10, "login": login}),
        )
        .await,
    )
}

async fn audit_count(app: &App, action: &str) -> usize {
    let r = get(app, &format!("/api/v1/audit?action={action}&limit=200")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn customers_plans_and_contracts_through_the_api() {
    each_engine(|db| async move {
        let app = app(db).await;

        // Catalog: a plan and a service item.
        let plan = post(&app, "/api/v1/plans", plan_body("Fibra 300", 9990)).await;
        let plan_id = created(&plan);
        assert_eq!(plan.headers["location"], format!("/api/v1/plans/{plan_id}"));
        assert_eq!(plan.body["billing_mode"], "postpaid");
        assert_eq!(plan.body["active"], true);
        let r = post(&app, "/api/v1/plans", plan_body("Fibra 300", 1)).await;
        assert_problem(&r, 409);
        assert_eq!(r.field(), "name");
        let r = patch(&app, &format!("/api/v1/plans/{plan_id}"), json!({"description": "300 mega", "burst_down_rate_kbps": null})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["description"], "300 mega");
        assert_eq!(r.body["price"], 9990);
        let wireless = new_plan(&app, "Rádio 50", 5990).await;
        patch(&app, &format!("/api/v1/plans/{wireless}"), json!({"technology": "wireless", "active": false})).await;
        let r = get(&app, "/api/v1/plans?technology=fiber").await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        let r = get(&app, "/api/v1/plans?active=false").await;
        assert_eq!(r.body["data"][0]["id"], wireless);
        let r = get(&app, "/api/v1/plans?limit=1").await;
        let next = r.body["next_cursor"].as_str().unwrap().to_owned();
        let r = get(&app, &format!("/api/v1/plans?limit=1&cursor={next}")).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        assert!(r.body["next_cursor"].is_null());
        let item = created(
            &post(&app, "/api/v1/service-items", json!({"name": "IPTV", "price": 2990})).await,
        );
        let r = patch(&app, &format!("/api/v1/service-items/{item}"), json!({"price": 3490})).await;
        assert_eq!(r.body["price"], 3490);
        assert_eq!(r.body["cycle"], "monthly");
        assert_eq!(get(&app, "/api/v1/service-items?active=true").await.body["data"][0]["id"], item);

        // A customer; the same document again is a 409 listing the first.
        let body = json!({
            "kind": "person", "name": "Ana Lúcia Lima", "document": "529.982.247-25",
            "emails": ["ana@example.com"], "phones": ["+55 (11) 98765-4321"],
            "tags": ["VIP"], "custom_fields": {"portao": "azul"},
        });
        let r = post(&app, "/api/v1/customers", body.clone()).await;
        let ana = created(&r);
        assert_eq!(r.headers["location"], format!("/api/v1/customers/{ana}"));
        assert_eq!(r.body["phones"], json!(["+5511987654321"]));
        assert_eq!(r.body["custom_fields"]["portao"], "azul");
        let r = post(&app, "/api/v1/customers", body.clone()).await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "duplicates");
        let dups = r.body["duplicates"].as_array().unwrap();
        assert!(dups.iter().all(|d| d["customer_id"] == ana));
        assert!(dups.iter().any(|d| d["matched"] == "document"));
        assert_eq!(dups[0]["url"], format!("/api/v1/customers/{ana}"));
        let mut again = body.clone();
        again["allow_duplicates"] = json!(true);
        again["name"] = json!("Ana L. Lima (filial)");
        let twin = created(&post(&app, "/api/v1/customers", again).await);
        let bruno = new_customer(&app, "Bruno Souza", "11144477735").await;

        // PATCH keeps what it does not name.
        let r = patch(&app, &format!("/api/v1/customers/{ana}"), json!({"trade_name": "Ana Net"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["trade_name"], "Ana Net");
        assert_eq!(r.body["document"], "529.982.247-25");
        assert_eq!(r.body["tags"], json!(["vip"]));
        // The language follows the company's until one is chosen.
        assert_eq!(r.body["locale"], "");
        let r = patch(&app, &format!("/api/v1/customers/{ana}"), json!({"locale": "pt-BR"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((&r.body["locale"], &r.body["trade_name"]), (&json!("pt-BR"), &json!("Ana Net")));

        // Addresses.
        let addr_uri = format!("/api/v1/customers/{ana}/addresses");
        let r = post(&app, &addr_uri, json!({
            "kind": "service", "street": "Av. Paulista", "number": "1000",
            "city": "São Paulo", "state": "sp", "postal_code": "01310100",
        })).await;
        let addr = created(&r);
        assert_eq!(r.body["postal_code"], "01310100");
        assert_eq!(r.body["state"], "SP");
        let spare = created(&post(&app, &addr_uri, json!({
            "kind": "billing", "street": "Rua B", "city": "Recife", "state": "PE", "postal_code": "50000-000",
        })).await);
        let r = patch(&app, &format!("{addr_uri}/{spare}"), json!({"number": "12"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["number"], "12");
        assert_eq!(r.body["city"], "Recife");
        // Another customer's address is not found under this one.
        let r = patch(&app, &format!("/api/v1/customers/{bruno}/addresses/{spare}"), json!({"number": "1"})).await;
        assert_problem(&r, 404);
        let r = call(&app, Method::DELETE, &format!("{addr_uri}/{spare}"), Some(&app.token), None).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        assert_eq!(get(&app, &addr_uri).await.body["data"].as_array().unwrap().len(), 1);

        // Notes.
        let r = post(&app, &format!("/api/v1/customers/{ana}/notes"), json!({"body": "Prefers mornings"})).await;
        created(&r);
        assert_eq!(r.body["author_name"], "admin");
        let r = get(&app, &format!("/api/v1/customers/{ana}/notes")).await;
        assert_eq!(r.body["data"][0]["body"], "Prefers mornings");

        // A contract with a service address and an item.
        let r = post(&app, "/api/v1/contracts", json!({
            "customer_id": ana, "plan_id": plan_id, "billing_day": 5,
            "service_address_id": addr, "login": "Ana.Lima", "password": "s3cret-pw",
            "ipv4": "100.64.1.20", "items": [{"item_id": item, "quantity": 2}],
        })).await;
        let k = created(&r);
        assert_eq!(r.body["status"], "pending_installation");
        assert_eq!(r.body["login"], "ana.lima");
        assert_eq!(r.body["price"], 9990);
        assert_eq!(r.body["next_statuses"], json!(["active", "canceled"]));
        assert!(r.body.get("password").is_none());
        let number = r.body["number"].as_str().unwrap().to_owned();
        let r = post(&app, "/api/v1/contracts", json!({
            "customer_id": bruno, "plan_id": plan_id, "billing_day": 5, "login": "ana.lima",
        })).await;
        assert_problem(&r, 409);
        assert_eq!(r.field(), "login");
        // The address is in use now.
        let r = call(&app, Method::DELETE, &format!("{addr_uri}/{addr}"), Some(&app.token), None).await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "address-in-use");

        // Search by any key, saying which one matched.
        for (q, matched) in [
            ("11 98765 4321", "phone"),
            ("(11)987654321", "phone"),
            ("52998224725", "document"),
            ("ana.lima", "login"),
            ("100.64.1.20", "ip"),
            (number.as_str(), "contract"),
            ("ANA@example.com", "email"),
            ("lúcia LIMA", "name"),
            ("lucia", "name"),
        ] {
            let r = get(&app, &format!("/api/v1/customers?q={}", q.replace(' ', "+"))).await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
            let data = r.body["data"].as_array().unwrap();
            assert_eq!(data[0]["id"], ana, "{q}: {data:?}");
            assert_eq!(data[0]["matched"], matched, "{q}");
            if ["login", "ip", "contract"].contains(&matched) {
                assert_eq!(data[0]["matched_contract_id"], k);
            }
        }
        let r = get(&app, "/api/v1/customers?q=ana&tag=vip").await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "tag");

        // Filters, sorts and cursors.
        let r = get(&app, "/api/v1/customers?status=pending_installation").await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        let r = get(&app, &format!("/api/v1/customers?plan_id={plan_id}&tag=vip&city=sao+paulo")).await;
        assert_eq!(r.body["data"][0]["id"], ana);
        let mut seen = Vec::new();
        let mut uri = "/api/v1/customers?sort=name&limit=1".to_owned();
        loop {
            let r = get(&app, &uri).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            seen.extend(r.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
            match r.body["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/v1/customers?sort=name&limit=1&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, vec![twin, ana, bruno]);
        let r = get(&app, "/api/v1/customers?limit=2").await;
        assert_eq!(r.body["data"][0]["id"], bruno);

        // Contracts: list, search, terms, credentials, plan changes.
        let other = new_contract(&app, bruno, plan_id, "bruno").await;
        let r = get(&app, &format!("/api/v1/contracts?customer_id={ana}")).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        let r = get(&app, "/api/v1/contracts?limit=1").await;
        assert_eq!(r.body["data"][0]["id"], other);
        let c = r.body["next_cursor"].as_str().unwrap().to_owned();
        let r = get(&app, &format!("/api/v1/contracts?limit=1&cursor={c}")).await;
        assert_eq!(r.body["data"][0]["id"], k);
        let r = get(&app, "/api/v1/contracts?q=BRUNO").await;
        assert_eq!(r.body["data"][0]["id"], other);
        let short = number.trim_start_matches('0');
        let r = get(&app, &format!("/api/v1/contracts?q={short}")).await;
        assert_eq!(r.body["data"][0]["id"], k);

        let r = patch(&app, &format!("/api/v1/contracts/{k}"), json!({
            "billing_day": 12, "password": "new-secret", "ipv4": null, "notes": "poste 7",
        })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["billing_day"], 12);
        assert!(r.body["ipv4"].is_null());
        assert_eq!(r.body["service_address_id"], addr);
        let r = get(&app, &format!("/api/v1/contracts/{k}/credentials")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["cache-control"], "no-store");
        assert_eq!(r.body, json!({"login": "ana.lima", "password": "new-secret"}));
        assert_eq!(audit_count(&app, "contract.credentials.view").await, 1);
        assert_eq!(audit_count(&app, "contract.update").await, 1);

        let upgrade = new_plan(&app, "Fibra 1G", 19990).await;
        let r = post(&app, &format!("/api/v1/contracts/{k}/plan-changes"), json!({
            "plan_id": upgrade, "effective_date": "2999-01-01",
        })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["state"], "scheduled");
        assert_eq!(r.body["to_price"], 19990);
        let r = post(&app, &format!("/api/v1/contracts/{other}/plan-changes"), json!({"plan_id": upgrade})).await;
        assert_eq!(r.body["state"], "applied");
        assert_eq!(get(&app, &format!("/api/v1/contracts/{other}")).await.body["plan_id"], upgrade);
        assert_eq!(get(&app, &format!("/api/v1/contracts/{k}/plan-changes")).await.body["data"].as_array().unwrap().len(), 1);

        // Re-pricing: preview, a stale fingerprint, then apply.
        let preview_uri = format!("/api/v1/plans/{plan_id}/repricing/preview");
        let r = post(&app, &preview_uri, json!({"price": 10990})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["count"], 1);
        assert_eq!(r.body["sample"][0]["contract_id"], k);
        assert_eq!(r.body["sample"][0]["old_price"], 9990);
        let stale = r.body["fingerprint"].as_str().unwrap().to_owned();
        new_contract(&app, twin, plan_id, "twin").await;
        let r = post(&app, &format!("/api/v1/plans/{plan_id}/repricing"), json!({"price": 10990, "fingerprint": stale})).await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "repricing-changed");
        let fresh = post(&app, &preview_uri, json!({"price": 10990})).await.body["fingerprint"].as_str().unwrap().to_owned();
        let r = post(&app, &format!("/api/v1/plans/{plan_id}/repricing"), json!({"price": 10990, "fingerprint": fresh})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["changed"], 2);
        assert_eq!(get(&app, &format!("/api/v1/contracts/{k}")).await.body["price"], 10990);

        // The timeline, newest first, paged.
        let mut kinds = Vec::new();
        let mut uri = format!("/api/v1/customers/{ana}/timeline?limit=2");
        loop {
            let r = get(&app, &uri).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            kinds.extend(r.body["data"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()));
            match r.body["next_cursor"].as_str() {
                Some(c) => uri = format!("/api/v1/customers/{ana}/timeline?limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(kinds.last().unwrap(), "customer.created");
        assert_eq!(kinds.first().unwrap(), "contract.price_changed");
        for k in ["note.added", "contract.created", "contract.updated", "contract.plan_change_scheduled"] {
            assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
        }
        let r = get(&app, &format!("/api/v1/customers/{ana}/timeline?kind=contract.")).await;
        assert!(r.body["data"].as_array().unwrap().iter().all(|e| e["kind"].as_str().unwrap().starts_with("contract.")));
        let r = get(&app, &format!("/api/v1/customers/{ana}/timeline?cursor=bm9wZQ")).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "cursor");
    })
    .await;
}

#[tokio::test]
async fn every_transition_and_an_illegal_one() {
    each_engine(|db| async move {
        let app = app(db).await;
        let plan = new_plan(&app, "Fibra 100", 7990).await;
        let ana = new_customer(&app, "Ana", "52998224725").await;
        let a = new_contract(&app, ana, plan, "ana").await;
        let b = new_contract(&app, ana, plan, "ana2").await;
        let c = new_contract(&app, ana, plan, "ana3").await;
        let go = |id: i64, body: Value| {
            let app = &app;
            async move { post(app, &format!("/api/v1/contracts/{id}/transitions"), body).await }
        };

        // Suspending needs a reason; only suspending takes one.
        let r = go(a, json!({"to": "active"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "active");
        let r = go(a, json!({"to": "suspended"})).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "reason");
        let r = go(a, json!({"to": "suspended", "reason": "late"})).await;
        assert_eq!(r.field(), "reason");
        let r = go(
            a,
            json!({"to": "suspended", "reason": "non_payment", "note": "invoice 12"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "suspended");
        assert_eq!(r.body["suspend_reason"], "non_payment");
        assert_eq!(r.body["next_statuses"], json!(["active", "canceled"]));
        let r = go(a, json!({"to": "active", "reason": "non_payment"})).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "reason");
        let r = go(a, json!({"to": "active"})).await;
        assert_eq!(r.body["status"], "active");
        assert!(r.body["suspend_reason"].is_null());
        let r = go(a, json!({"to": "canceled"})).await;
        assert_eq!(r.body["status"], "canceled");
        assert!(r.body["end_date"].is_string());
        // pending → canceled, suspended → canceled.
        assert_eq!(
            go(b, json!({"to": "canceled"})).await.body["status"],
            "canceled"
        );
        go(c, json!({"to": "active"})).await;
        go(c, json!({"to": "suspended", "reason": "customer_request"})).await;
        assert_eq!(
            go(c, json!({"to": "canceled"})).await.body["status"],
            "canceled"
        );

        // Canceled is final: 409 naming both statuses, nothing recorded.
        let r = go(a, json!({"to": "active"})).await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "illegal-transition");
        assert_eq!(r.body["current_status"], "canceled");
        assert_eq!(r.body["requested_status"], "active");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("canceled") && detail.contains("active"),
            "{detail}"
        );
        let r = go(a, json!({"to": "gone"})).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "to");

        let r = get(&app, &format!("/api/v1/contracts/{a}/transitions")).await;
        let steps: Vec<(String, String)> = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["from_status"].as_str().unwrap().into(),
                    t["to_status"].as_str().unwrap().into(),
                )
            })
            .collect();
        let want = [
            ("pending_installation", "active"),
            ("active", "suspended"),
            ("suspended", "active"),
            ("active", "canceled"),
        ];
        assert_eq!(
            steps,
            want.map(|(f, t)| (f.to_owned(), t.to_owned())).to_vec()
        );
        assert_eq!(r.body["data"][1]["reason"], "non_payment");
        assert_eq!(r.body["data"][1]["note"], "invoice 12");
        assert_eq!(audit_count(&app, "contract.transition").await, 8);
        // A canceled contract's terms are history.
        let r = patch(
            &app,
            &format!("/api/v1/contracts/{a}"),
            json!({"notes": "x"}),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "status");
        let r = get(&app, "/api/v1/contracts?status=canceled").await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 3);
    })
    .await;
}

#[tokio::test]
async fn validation_errors_name_each_field() {
    each_engine(|db| async move {
        let app = app(db).await;
        let plan = new_plan(&app, "Fibra 100", 7990).await;
        let ana = new_customer(&app, "Ana", "52998224725").await;
        let k = new_contract(&app, ana, plan, "ana").await;
        let customer = json!({"kind": "person", "name": "Bia", "document": "11144477735"});
        let with = |base: &Value, key: &str, v: Value| {
            let mut b = base.clone();
            b[key] = v;
            b
        };
        let address = json!({"kind": "service", "street": "Rua A", "city": "Recife", "state": "PE", "postal_code": "50000-000"});
        let contract = json!({"customer_id": ana, "plan_id": plan, "billing_day": 10});
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (Method::POST, "/api/v1/customers".into(), with(&customer, "kind", json!("robot")), "kind"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "name", json!(" ")), "name"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "document", json!("123")), "document"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "document", json!(12)), "document"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "emails", json!(["nope"])), "emails"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "phones", json!(["12"])), "phones"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "birth_date", json!("2990-01-01")), "birth_date"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "preferred_channel", json!("fax")), "preferred_channel"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "locale", json!("fr")), "locale"),
            (Method::PATCH, format!("/api/v1/customers/{ana}"), json!({"locale": "klingon"}), "locale"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "custom_fields", json!({"Bad Key": "x"})), "custom_fields"),
            (Method::POST, "/api/v1/customers".into(), with(&customer, "colour", json!("x")), "colour"),
            (Method::POST, "/api/v1/customers".into(), json!({"kind": "person", "name": "X"}), "document"),
            (Method::PATCH, format!("/api/v1/customers/{ana}"), json!({"emails": ["@"]}), "emails"),
            (Method::PATCH, format!("/api/v1/customers/{ana}"), json!({"tags": "vip"}), "tags"),
            (Method::POST, format!("/api/v1/customers/{ana}/addresses"), with(&address, "postal_code", json!("123")), "postal_code"),
            (Method::POST, format!("/api/v1/customers/{ana}/addresses"), with(&address, "state", json!("XX")), "state"),
            (Method::POST, format!("/api/v1/customers/{ana}/addresses"), with(&address, "kind", json!("home")), "kind"),
            (Method::POST, format!("/api/v1/customers/{ana}/addresses"), with(&address, "lat", json!(91.0)), "lat"),
            (Method::POST, format!("/api/v1/customers/{ana}/notes"), json!({"body": ""}), "body"),
            (Method::POST, "/api/v1/plans".into(), with(&plan_body("P", 1), "download_kbps", json!(0)), "download_kbps"),
            (Method::POST, "/api/v1/plans".into(), with(&plan_body("P", 1), "price", json!(-1)), "price"),
            (Method::POST, "/api/v1/plans".into(), with(&plan_body("P", 1), "technology", json!("laser")), "technology"),
            (Method::POST, "/api/v1/plans".into(), with(&plan_body("P", 1), "cycle", json!("weekly")), "cycle"),
            (Method::POST, "/api/v1/plans".into(), with(&plan_body("P", 1), "burst_down_rate_kbps", json!(400_000)), "burst_down_threshold_kbps"),
            (Method::POST, "/api/v1/plans".into(), with(&plan_body("P", 1), "quota_mb", json!(1000)), "quota_action"),
            (Method::POST, "/api/v1/plans".into(), with(&plan_body("P", 1), "loyalty_months", json!(99)), "loyalty_months"),
            (Method::POST, "/api/v1/plans".into(), json!({"name": "P"}), "download_kbps"),
            (Method::PATCH, format!("/api/v1/plans/{plan}"), json!({"name": ""}), "name"),
            (Method::POST, "/api/v1/service-items".into(), json!({"name": "X", "price": -5}), "price"),
            (Method::POST, format!("/api/v1/plans/{plan}/repricing/preview"), json!({"price": -1}), "price"),
            (Method::POST, format!("/api/v1/plans/{plan}/repricing/preview"), json!({"price": 1, "sample": 999}), "sample"),
            (Method::POST, format!("/api/v1/plans/{plan}/repricing"), json!({"price": 1, "fingerprint": ""}), "fingerprint"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "billing_day", json!(29)), "billing_day"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "customer_id", json!(999_999)), "customer_id"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "plan_id", json!(999_999)), "plan_id"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "login", json!("has space")), "login"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "mac", json!("zz:zz")), "mac"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "ipv4", json!("999.1.1.1")), "ipv4"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "start_date", json!("01/02/2026")), "start_date"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "price", json!(-1)), "price"),
            (Method::POST, "/api/v1/contracts".into(), with(&contract, "items", json!([{"item_id": 999}])), "items"),
            (Method::PATCH, format!("/api/v1/contracts/{k}"), json!({"billing_day": 0}), "billing_day"),
            (Method::PATCH, format!("/api/v1/contracts/{k}"), json!({"password": "abc"}), "password"),
            (Method::PATCH, format!("/api/v1/contracts/{k}"), json!({"ipv6_prefix": "x"}), "ipv6_prefix"),
            (Method::PATCH, format!("/api/v1/contracts/{k}"), json!({"number": "1"}), "number"),
            (Method::POST, format!("/api/v1/contracts/{k}/plan-changes"), json!({"plan_id": plan}), "plan_id"),
            (Method::POST, format!("/api/v1/contracts/{k}/plan-changes"), json!({"plan_id": 999_999}), "plan_id"),
        ];
        for (method, uri, body, field) in cases {
            let r = call(&app, method.clone(), &uri, Some(&app.token), Some(body.clone())).await;
            assert_problem(&r, 422);
            assert_eq!(r.field(), field, "{method} {uri} {body}: {}", r.body);
        }
        for (uri, field) in [
            ("/api/v1/customers?status=late", "status"),
            ("/api/v1/customers?sort=age", "sort"),
            ("/api/v1/customers?limit=0", "limit"),
            ("/api/v1/plans?technology=laser", "technology"),
            ("/api/v1/contracts?status=late", "status"),
            ("/api/v1/customers?cursor=zzz", "cursor"),
        ] {
            let r = get(&app, uri).await;
            assert_problem(&r, 422);
            assert_eq!(r.field(), field, "{uri}");
        }
        for (uri, field) in [
            ("/api/v1/customers?plan_id=abc", "plan_id"),
            ("/api/v1/plans?active=maybe", "active"),
            ("/api/v1/contracts?customer_id=x", "customer_id"),
            ("/api/v1/customers/abc", "id"),
        ] {
            let r = get(&app, uri).await;
            assert_problem(&r, 400);
            assert_eq!(r.field(), field, "{uri}");
        }
        for uri in ["/api/v1/customers/999999", "/api/v1/plans/999999", "/api/v1/contracts/999999", "/api/v1/service-items/999999", "/api/v1/customers/999999/timeline"] {
            assert_problem(&get(&app, uri).await, 404);
        }
        // Nothing half-written: still one customer, one plan, one contract.
        assert_eq!(get(&app, "/api/v1/customers").await.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(get(&app, "/api/v1/plans").await.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(get(&app, "/api/v1/contracts").await.body["data"].as_array().unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn scopes_are_required() {
    each_engine(|db| async move {
        let app = app(db).await;
        let plan = new_plan(&app, "Fibra 100", 7990).await;
        let ana = new_customer(&app, "Ana", "52998224725").await;
        let k = new_contract(&app, ana, plan, "ana").await;
        let (_, viewer) = services::staff::tokens::create(
            &app.svc,
            &console(),
            app.admin_id,
            "viewer",
            "customers.view",
        )
        .await
        .unwrap();
        let v = Some(viewer.as_str());
        assert_eq!(
            call(&app, Method::GET, "/api/v1/customers", v, None)
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            call(
                &app,
                Method::GET,
                &format!("/api/v1/contracts/{k}"),
                v,
                None
            )
            .await
            .status,
            StatusCode::OK
        );
        let cases: Vec<(Method, String, Option<Value>, &str)> = vec![
            (
                Method::POST,
                "/api/v1/customers".into(),
                Some(json!({})),
                "customers.manage",
            ),
            (
                Method::PATCH,
                format!("/api/v1/customers/{ana}"),
                Some(json!({})),
                "customers.manage",
            ),
            (
                Method::POST,
                format!("/api/v1/customers/{ana}/notes"),
                Some(json!({"body": "x"})),
                "customers.manage",
            ),
            (Method::GET, "/api/v1/plans".into(), None, "plans.view"),
            (
                Method::GET,
                "/api/v1/service-items".into(),
                None,
                "plans.view",
            ),
            (
                Method::POST,
                "/api/v1/plans".into(),
                Some(json!({})),
                "plans.manage",
            ),
            (
                Method::POST,
                format!("/api/v1/plans/{plan}/repricing/preview"),
                Some(json!({"price": 1})),
                "plans.manage",
            ),
            (
                Method::POST,
                "/api/v1/contracts".into(),
                Some(json!({})),
                "contracts.manage",
            ),
            (
                Method::PATCH,
                format!("/api/v1/contracts/{k}"),
                Some(json!({})),
                "contracts.manage",
            ),
            (
                Method::GET,
                format!("/api/v1/contracts/{k}/credentials"),
                None,
                "contracts.manage",
            ),
            (
                Method::POST,
                format!("/api/v1/contracts/{k}/transitions"),
                Some(json!({"to": "active"})),
                "contracts.status",
            ),
        ];
        for (method, uri, body, permission) in cases {
            let r = call(&app, method.clone(), &uri, v, body).await;
            assert_problem(&r, 403);
            assert_eq!(r.body["permission"], permission, "{method} {uri}");
        }
        // Refused requests changed nothing and read no secret.
        assert_eq!(
            get(&app, &format!("/api/v1/contracts/{k}")).await.body["status"],
            "pending_installation"
        );
        assert_eq!(audit_count(&app, "contract.credentials.view").await, 0);
        // contracts.status alone moves a contract but cannot read customers.
        let (_, ops) = services::staff::tokens::create(
            &app.svc,
            &console(),
            app.admin_id,
            "ops",
            "contracts.status",
        )
        .await
        .unwrap();
        let r = call(
            &app,
            Method::POST,
            &format!("/api/v1/contracts/{k}/transitions"),
            Some(&ops),
            Some(json!({"to": "active"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(&app, Method::GET, "/api/v1/customers", Some(&ops), None).await;
        assert_problem(&r, 403);
        assert_eq!(r.body["permission"], "customers.view");
    })
    .await;
}

#[tokio::test]
async fn openapi_document_lists_the_crm_operations() {
    each_engine(|db| async move {
        let app = app(db).await;
        let r = call(&app, Method::GET, "/api/v1/openapi.json", None, None).await;
        let paths = r.body["paths"].as_object().unwrap();
        for (p, method, scope) in [
            ("/api/v1/customers", "get", "customers.view"),
            ("/api/v1/customers", "post", "customers.manage"),
            ("/api/v1/customers/{id}", "patch", "customers.manage"),
            (
                "/api/v1/customers/{id}/addresses",
                "post",
                "customers.manage",
            ),
            (
                "/api/v1/customers/{id}/addresses/{address_id}",
                "delete",
                "customers.manage",
            ),
            ("/api/v1/customers/{id}/notes", "get", "customers.view"),
            ("/api/v1/customers/{id}/timeline", "get", "customers.view"),
            ("/api/v1/plans", "post", "plans.manage"),
            ("/api/v1/plans/{id}", "patch", "plans.manage"),
            (
                "/api/v1/plans/{id}/repricing/preview",
                "post",
                "plans.manage",
            ),
            ("/api/v1/plans/{id}/repricing", "post", "plans.manage"),
            ("/api/v1/service-items", "get", "plans.view"),
            ("/api/v1/service-items/{id}", "patch", "plans.manage"),
            ("/api/v1/contracts", "get", "customers.view"),
            ("/api/v1/contracts/{id}", "patch", "contracts.manage"),
            (
                "/api/v1/contracts/{id}/transitions",
                "post",
                "contracts.status",
            ),
            (
                "/api/v1/contracts/{id}/transitions",
                "get",
                "customers.view",
            ),
            (
                "/api/v1/contracts/{id}/plan-changes",
                "post",
                "contracts.manage",
            ),
            (
                "/api/v1/contracts/{id}/credentials",
                "get",
                "contracts.manage",
            ),
        ] {
            assert!(paths.contains_key(p), "missing {p}");
            assert_eq!(
                paths[p][method]["security"][0]["bearer"],
                json!([scope]),
                "{method} {p}"
            );
        }
        let schemas = r.body["components"]["schemas"].as_object().unwrap();
        for s in [
            "CustomerView",
            "CreateCustomer",
            "PlanBody",
            "ContractView",
            "TransitionRequest",
            "DuplicateRef",
            "RepricingPreviewView",
        ] {
            assert!(schemas.contains_key(s), "missing schema {s}");
        }
        let html = send(
            &app.router,
            Request::get("/api/docs").body(Body::empty()).unwrap(),
        )
        .await
        .body;
        assert!(html.contains("/api/v1/contracts/{id}/transitions"));
        assert!(html.contains("contracts.status"));
    })
    .await;
}

/// The plan form and the API take a plan's burst and quota by one rule,
/// the domain's: a burst comes whole or names its first missing part; a
/// quota's size needs its action; an action without a size is no quota.
#[tokio::test]
async fn plan_form_and_api_share_the_burst_and_quota_rule() {
    each_engine(|db| async move {
        let app = app(db).await;
        let b = common::Browser::login(&app.router, "admin", common::PASSWORD).await;
        // The parts sent (besides a valid plan), and the field named missing.
        type Case = (
            &'static [(&'static str, &'static str)],
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            (
                &[("burst_down_rate_kbps", "400000")],
                Some("burst_down_threshold_kbps"),
            ),
            (
                &[
                    ("burst_up_rate_kbps", "200000"),
                    ("burst_up_threshold_kbps", "100000"),
                ],
                Some("burst_up_time_secs"),
            ),
            (
                &[("burst_down_threshold_kbps", "100000")],
                Some("burst_down_rate_kbps"),
            ),
            (&[("quota_mb", "100000")], Some("quota_action")),
            (&[("quota_action", "block")], None),
        ];
        for (n, (parts, missing)) in cases.iter().enumerate() {
            let name = format!("Plano {n}");
            let mut form: Vec<(&str, &str)> = vec![
                ("name", &name),
                ("technology", "fiber"),
                ("download_kbps", "300000"),
                ("upload_kbps", "150000"),
                ("price", "99,90"),
                ("billing_mode", "postpaid"),
                ("cycle", "monthly"),
                ("loyalty_months", "0"),
                ("suspended_behavior", "reject"),
                ("active", "1"),
                ("public", "1"),
            ];
            form.extend_from_slice(parts);
            let page = b.post("/plans/new", &form).await;
            let mut body = plan_body(&format!("API {name}"), 9990);
            for (k, v) in *parts {
                body[*k] = match v.parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => json!(v),
                };
            }
            let api = post(&app, "/api/v1/plans", body).await;
            match missing {
                Some(field) => {
                    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{parts:?}");
                    // The field marked, with the "required" message.
                    let marked = format!("has-error\">\n  <label for=\"f-{field}\">");
                    assert!(page.body.contains(&marked), "{parts:?}: {}", page.body);
                    assert!(page.body.contains("This field is required."));
                    assert_problem(&api, 422);
                    assert_eq!(api.field(), *field, "{parts:?}");
                    assert_eq!(api.body["errors"][0]["code"], "required");
                }
                None => {
                    common::assert_redirect(&page, "/plans?ok=plan-created");
                    assert!(created(&api) > 0);
                    assert!(api.body["quota_mb"].is_null(), "{}", api.body);
                }
            }
        }
    })
    .await;
}

/// Amounts are written, read and shown in the installation's currency's
/// minor unit: yen have none.
#[tokio::test]
async fn amounts_follow_the_currencys_minor_unit() {
    each_engine(|db| async move {
        let app = app(db).await;
        let mut company = services::system::setup::company(&app.svc)
            .await
            .unwrap()
            .unwrap();
        company.currency = "JPY".into();
        services::system::setup::update_company(&app.svc, &cli_caller(), &company)
            .await
            .unwrap();
        let b = common::Browser::login(&app.router, "admin", common::PASSWORD).await;
        let form = [
            ("name", "Hikari 1G"),
            ("technology", "fiber"),
            ("download_kbps", "1000000"),
            ("upload_kbps", "500000"),
            ("price", "4.980"),
            ("billing_mode", "postpaid"),
            ("cycle", "monthly"),
            ("loyalty_months", "0"),
            ("suspended_behavior", "reject"),
            ("active", "1"),
            ("public", "1"),
        ];
        common::assert_redirect(&b.post("/plans/new", &form).await, "/plans?ok=plan-created");
        // 4.980 yen: thousands grouped, no minor unit (in reais it would
        // have been 4,98).
        let plans = get(&app, "/api/v1/plans").await;
        assert_eq!(plans.body["data"][0]["price"], 4980, "{}", plans.body);
        let list = b.get("/plans").await;
        assert!(list.body.contains(">4,980<"), "{}", list.body);
        assert!(!list.body.contains("49.80"));
        let id = plans.body["data"][0]["id"].as_i64().unwrap();
        let edit = b.get(&format!("/plans/{id}")).await;
        assert!(edit.body.contains("value=\"4980\""), "{}", edit.body);
    })
    .await;
}
