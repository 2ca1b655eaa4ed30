//! Discounts and promo codes through the admin pages and the REST API, on
//! SQLite and PostgreSQL: the promo code list (filters, CSV), create, edit
//! and deactivate; the contract page's discounts section (apply a code,
//! add and end a discount, refusals in the user's language); a code on
//! the new-contract form; who may see and change them.

use axum::http::{Method, StatusCode};
use serde_json::json;
use services::Services;
use store::testing::each_engine;

use crate::common::{self, App, assert_problem, assert_redirect, call, cli_caller, console};

/// A customer with a pending contract on "Fibra 500" (99,90): the plan's
/// and the contract's ids.
async fn contract(svc: &Services, login: &str, document: &str) -> (i64, i64, i64) {
    let customer = match services::crm::create_customer(
        svc,
        &cli_caller(),
        &services::crm::CustomerInput {
            kind: "person".into(),
            name: format!("Cliente {login}"),
            document: document.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    {
        services::crm::Created::Customer(c) => c.id,
        other => panic!("{other:?}"),
    };
    let plan = match services::catalog::plan_names(svc, &cli_caller())
        .await
        .unwrap()
        .into_iter()
        .find(|(_, n)| n == "Fibra 500")
    {
        Some((id, _)) => id,
        None => {
            use domain::catalog::*;
            services::catalog::create_plan(
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
            .id
        }
    };
    let k = services::contracts::create(
        svc,
        &cli_caller(),
        &services::contracts::ContractInput {
            customer_id: customer,
            plan_id: plan,
            billing_day: 5,
            login: login.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    (customer, plan, k)
}

async fn app(db: store::Db) -> App {
    let app = common::app(db).await;
    app.user("technician", "technician", None).await;
    app.user("finance", "finance", None).await;
    app
}

#[tokio::test]
async fn promo_code_pages_and_the_contract_discounts_section() {
    each_engine(|db| async move {
        let app = app(db).await;
        let (customer, plan, k) = contract(&app.svc, "maria", "52998224725").await;
        let finance = app.browser("finance").await;

        let p = finance.get("/billing/promo-codes").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains("Promo codes"));

        // Create: a bad amount is refused naming the field, kept as typed.
        let plan_s = plan.to_string();
        let mut fields = vec![
            ("code", "welcome"),
            ("kind", "percent"),
            ("value", "abc"),
            ("cycles", "3"),
            ("plan_ids", plan_s.as_str()),
            ("active", "1"),
        ];
        let p = finance.post("/billing/promo-codes/new", &fields).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(p.body.contains("e-value") && p.body.contains("value=\"welcome\""));
        fields[2] = ("value", "10");
        let p = finance.post("/billing/promo-codes/new", &fields).await;
        assert_redirect(&p, "/billing/promo-codes/");
        let id: i64 = p
            .location()
            .trim_start_matches("/billing/promo-codes/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let p = finance.get(p.location()).await;
        assert!(p.body.contains("Promo code created.") && p.body.contains("WELCOME"));
        // The same code in another case is taken.
        let p = finance.post("/billing/promo-codes/new", &fields).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Lists: search, state filters, CSV.
        let p = finance
            .get("/billing/promo-codes?q=welc&state=active")
            .await;
        assert!(p.body.contains("WELCOME") && p.body.contains("10 %"));
        let p = finance.get("/billing/promo-codes?state=inactive").await;
        assert!(!p.body.contains("WELCOME"));
        let csv = finance.get("/billing/promo-codes/export.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.contains("WELCOME") && csv.body.starts_with('\u{feff}'));

        // The contract page: refusals in words, then the code applied.
        let page = format!("/contracts/{k}");
        let p = finance.get(&page).await;
        assert!(p.body.contains("Discounts") && p.body.contains("No discounts."));
        let p = finance
            .post(&format!("{page}/promo-codes"), &[("code", "nope")])
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("This promo code does not exist."),
            "{}",
            p.body
        );
        let p = finance
            .post(&format!("{page}/promo-codes"), &[("code", "Welcome")])
            .await;
        assert_redirect(&p, &format!("{page}?ok=promo-applied"));
        let p = finance.get(&page).await;
        assert!(p.body.contains("Promo WELCOME") && p.body.contains("0 of 3 cycles used"));

        // A discount: larger than the price is refused; then added.
        let add = |value: &'static str| {
            vec![
                ("kind", "fixed"),
                ("value", value),
                ("description", "Loyalty"),
                ("cycles", "2"),
            ]
        };
        let p = finance
            .post(&format!("{page}/discounts"), &add("500,00"))
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("e-value"));
        let p = finance
            .post(&format!("{page}/discounts"), &add("20,00"))
            .await;
        assert_redirect(&p, &format!("{page}?ok=discount-added"));
        let list = services::billing::discounts::list(&app.svc, &console(), k)
            .await
            .unwrap();
        let loyalty = list.iter().find(|d| d.promo_code.is_none()).unwrap();
        assert_eq!((loyalty.value, loyalty.cycles), (2_000, Some(2)));
        let p = finance.get(&page).await;
        assert!(p.body.contains("Discount: Loyalty"));

        // Ending: once; a second time says it already ended.
        let end = format!("{page}/discounts/{}/end", loyalty.id);
        assert!(p.body.contains(&end) && p.body.contains("data-confirm"));
        let p = finance.post(&end, &[]).await;
        assert_redirect(&p, &format!("{page}?ok=discount-ended"));
        let p = finance.post(&end, &[]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("This discount has already ended."));
        // Another contract's discount is not this contract's to end.
        let (_, _, other) = contract(&app.svc, "joao", "11144477735").await;
        let p = finance
            .post(
                &format!("/contracts/{other}/discounts/{}/end", loyalty.id),
                &[],
            )
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);

        // Edit, then deactivate (with a confirmation on the page).
        let edit = format!("/billing/promo-codes/{id}");
        let p = finance.get(&edit).await;
        assert!(p.body.contains("Redeemed 1 times.") && p.body.contains("data-confirm"));
        let mut changed = fields.clone();
        changed[2] = ("value", "15");
        let p = finance.post(&edit, &changed).await;
        assert_redirect(&p, &format!("{edit}?ok=saved"));
        let p = finance.post(&format!("{edit}/deactivate"), &[]).await;
        assert_redirect(&p, &format!("{edit}?ok=promo-deactivated"));
        let p = finance.get("/billing/promo-codes?state=inactive").await;
        assert!(p.body.contains("WELCOME") && p.body.contains("15 %"));

        // The new-contract form takes a code, refused in words.
        let admin = app.browser("admin").await;
        let customer_s = customer.to_string();
        let p = admin
            .post(
                "/contracts/new",
                &[
                    ("customer_id", customer_s.as_str()),
                    ("plan_id", plan_s.as_str()),
                    ("billing_day", "10"),
                    ("promo_code", "welcome"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(p.body.contains("This promo code is no longer active."));

        // Who may: a technician sees neither the codes nor the section.
        let tech = app.browser("technician").await;
        let p = tech.get("/billing/promo-codes").await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let p = tech.get(&page).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("Promo WELCOME"));
        let p = tech
            .post(&format!("{page}/promo-codes"), &[("code", "x")])
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn promo_code_pages_speak_portuguese() {
    each_engine(|db| async move {
        let app = common::app_in(db, "pt-BR").await;
        let (_, _, k) = contract(&app.svc, "maria", "52998224725").await;
        let admin = app.browser("admin").await;
        let p = admin.get("/billing/promo-codes").await;
        assert!(p.body.contains("Cupons promocionais"), "{}", p.body);
        let p = admin
            .post(&format!("/contracts/{k}/promo-codes"), &[("code", "NADA")])
            .await;
        assert!(p.body.contains("Este cupom não existe."), "{}", p.body);
    })
    .await;
}

#[tokio::test]
async fn discounts_and_promo_codes_through_the_api() {
    each_engine(|db| async move {
        let app = app(db).await;
        let token = app.token.clone();
        let (customer, plan, k) = contract(&app.svc, "maria", "52998224725").await;
        let post = |uri: String, body: serde_json::Value| {
            let token = token.clone();
            let app = &app;
            async move { call(app, Method::POST, &uri, Some(&token), Some(body)).await }
        };

        let r = post(
            "/api/v1/promo-codes".into(),
            json!({
                "code": "spring26", "kind": "percent", "value": 100000, "max_uses": 1,
                "cycles": 3, "plan_ids": [plan],
            }),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["code"], "SPRING26");
        let id = r.body["id"].as_i64().unwrap();
        let r = post(
            "/api/v1/promo-codes".into(),
            json!({"code": "x y", "kind": "fixed", "value": 100}),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "code");
        let r = post(
            "/api/v1/promo-codes".into(),
            json!({"code": "SPRING26", "kind": "fixed", "value": 100}),
        )
        .await;
        assert_problem(&r, 409);

        let r = call(
            &app,
            Method::GET,
            "/api/v1/promo-codes?state=active&q=spring",
            Some(&token),
            None,
        )
        .await;
        assert_eq!(r.body["data"][0]["id"], id, "{}", r.body);
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/promo-codes/{id}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(r.body["plan_ids"], json!([plan]));
        let r = call(
            &app,
            Method::PUT,
            &format!("/api/v1/promo-codes/{id}"),
            Some(&token),
            Some(json!({
                "code": "SPRING26", "kind": "percent", "value": 150000, "max_uses": 1, "cycles": 3,
            })),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (r.body["value"].as_i64(), r.body["plan_ids"].clone()),
            (Some(150_000), json!([]))
        );

        // Redeeming: a refusal names `code` and says why; then the discount.
        let r = post(
            format!("/api/v1/contracts/{k}/promo-codes"),
            json!({"code": "NOPE"}),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "code");
        assert!(r.body.to_string().contains("does not exist"), "{}", r.body);
        let r = post(
            format!("/api/v1/contracts/{k}/promo-codes"),
            json!({"code": "spring26"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(
            (r.body["promo_code"].as_str(), r.body["cycles"].as_i64()),
            (Some("SPRING26"), Some(3))
        );
        let (_, _, other) = contract(&app.svc, "joao", "11144477735").await;
        let r = post(
            format!("/api/v1/contracts/{other}/promo-codes"),
            json!({"code": "spring26"}),
        )
        .await;
        assert_problem(&r, 422);
        assert!(
            r.body.to_string().contains("used as many times as allowed"),
            "{}",
            r.body
        );

        // Discounts by contract; add one, end it, once.
        let r = call(&app, Method::GET, "/api/v1/discounts", Some(&token), None).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "contract");
        let r = post(
            "/api/v1/discounts".into(),
            json!({
                "contract_id": k, "kind": "fixed", "value": 1500, "description": "Loyalty",
                "until": "2027-06-01",
            }),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let d = r.body["id"].as_i64().unwrap();
        let r = post(
            "/api/v1/discounts".into(),
            json!({
                "contract_id": k, "kind": "fixed", "value": 99_999, "description": "Too much",
            }),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "value");
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/discounts?contract={k}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 2, "{}", r.body);
        let r = post(format!("/api/v1/discounts/{d}/end"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["ended_at"].is_string());
        let r = call(
            &app,
            Method::POST,
            &format!("/api/v1/discounts/{d}/end"),
            Some(&token),
            None,
        )
        .await;
        assert_problem(&r, 409);

        let r = call(
            &app,
            Method::POST,
            &format!("/api/v1/promo-codes/{id}/deactivate"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(r.body["active"], false, "{}", r.body);

        // A code given with a new contract is judged first.
        let r = post("/api/v1/contracts".into(), json!({
            "customer_id": customer, "plan_id": plan, "billing_day": 10, "promo_code": "SPRING26",
        }))
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "promo_code");

        // Scopes: billing.view reads, cannot change.
        let (_, viewer) = services::staff::tokens::create(
            &app.svc,
            &console(),
            app.admin_id,
            "viewer",
            "billing.view",
        )
        .await
        .unwrap();
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/promo-codes/{id}"),
            Some(&viewer),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = call(
            &app,
            Method::POST,
            "/api/v1/promo-codes",
            Some(&viewer),
            Some(json!({"code": "Z", "kind": "fixed", "value": 1})),
        )
        .await;
        assert_problem(&r, 403);
    })
    .await;
}
