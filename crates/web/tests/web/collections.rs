//! The collections pages and API over HTTP, on SQLite and PostgreSQL: an
//! overdue customer suspended by the daily pass is on the collections page
//! and its CSV, the contract page says so and offers the trust unlock,
//! whose form refuses a missing CSRF token and too many days, then
//! unlocks once; the policy page refuses Brazil's limits by field; the API
//! lists the overdue customer and refuses a second unlock; staff without
//! `collections.view` are kept out. The speed-reduction step shows on the
//! contract, customer and overdue pages.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use domain::collections::Policy;
use domain::contracts::Status;
use jiff::ToSpan;
use serde_json::json;
use services::contracts::ContractInput;
use services::crm::{Created, CustomerInput};
use services::{Services, catalog};
use store::billing::documents::{NewDocument, NewLine, Totals};
use store::testing::each_engine;

use crate::common::{app, assert_redirect, call, cli_caller, send};

/// Ana, 120.00 overdue since 40 days ago, suspended by the pass: (contract).
async fn suspended(svc: &Services) -> i64 {
    overdue(svc, 40, &[5, 20]).await
}

/// Ana's contract with 120.00 due `days_ago`, after the passes of due +
/// each of `passes` days.
async fn overdue(svc: &Services, days_ago: i64, passes: &[i64]) -> i64 {
    let caller = cli_caller();
    let plan = catalog::create_plan(
        svc,
        &caller,
        &Plan {
            name: "Fibra 300".into(),
            description: String::new(),
            download_kbps: 300_000,
            upload_kbps: 150_000,
            burst_down: None,
            burst_up: None,
            quota: None,
            price: Money(12_000),
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
        },
    )
    .await
    .unwrap()
    .id;
    let input = CustomerInput {
        kind: "person".into(),
        name: "Ana Souza".into(),
        document: "529.982.247-25".into(),
        emails: vec!["ana@example.net".into()],
        ..Default::default()
    };
    let customer = match services::crm::create_customer(svc, &caller, &input)
        .await
        .unwrap()
    {
        Created::Customer(c) => c.id,
        Created::Duplicates(d) => panic!("{d:?}"),
    };
    let k = services::contracts::create(
        svc,
        &caller,
        &ContractInput {
            customer_id: customer,
            plan_id: plan,
            billing_day: 10,
            start_date: "2026-01-10".into(),
            login: "ana.souza".into(),
            password: "first-pw".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    services::contracts::transition(svc, &caller, k, Status::Active, None, "")
        .await
        .unwrap();
    let today = {
        let mut c = svc.db.conn().await.unwrap();
        services::crm::today(&mut c).await.unwrap()
    };
    let due = today.checked_sub(days_ago.days()).unwrap();
    let due_s = due.to_string();
    let mut tx = svc.db.begin().await.unwrap();
    let id = store::billing::documents::insert(
        &mut tx,
        &NewDocument {
            kind: "invoice",
            status: "issued",
            number: Some("2026-000001"),
            public_id: "collections-web-1",
            customer_id: customer,
            contract_id: Some(k),
            issue_date: Some("2026-01-01"),
            due_date: &due_s,
            totals: Totals {
                net: 12_000,
                discount: 0,
                tax: 0,
                total: 12_000,
            },
            credits_invoice_id: None,
            billing_run_id: None,
            notes: "",
        },
        store::now(),
    )
    .await
    .unwrap();
    store::billing::documents::insert_line(
        &mut tx,
        id,
        &NewLine {
            position: 0,
            source: "plan",
            contract_id: Some(k),
            description: "Fibra 300",
            period: None,
            quantity: 1,
            unit_price: 12_000,
            discount: 0,
            amount: 12_000,
            net: 12_000,
            total: 12_000,
            credits_line_id: None,
            taxes: vec![],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for &offset in passes {
        services::collections::pass(svc, &caller, due.checked_add(offset.days()).unwrap())
            .await
            .unwrap();
    }
    k
}

/// The speed-reduction step on the pages: the contract and customer pages
/// say since when and when suspension comes, the overdue list marks the
/// customer, and the unlock form says what lifting it does.
#[tokio::test]
async fn reduced_speed_on_the_pages() {
    each_engine(|db| async move {
        let app = app(db).await;
        let caller = cli_caller();
        let mut p = services::collections::policy(&app.svc, &caller)
            .await
            .unwrap()
            .policy;
        p.speed_reduction = Some(domain::collections::SpeedReduction {
            after_notice_days: 0,
            rate: domain::collections::ReducedRate::Percent { percent: 25 },
        });
        services::collections::update_policy(&app.svc, &caller, p)
            .await
            .unwrap();
        // Due 6 days ago, the notice (and the reduction) yesterday.
        let k = overdue(&app.svc, 6, &[5]).await;
        let b = app.browser("admin").await;
        let r = b.get(&format!("/contracts/{k}")).await;
        assert!(r.body.contains("Speed reduced since"), "{}", r.body);
        assert!(r.body.contains("Suspension in 14 days"), "{}", r.body);
        assert!(r.body.contains(&format!("/contracts/{k}/trust-unlock")));
        let customer: i64 = {
            let mut c = app.db.conn().await.unwrap();
            sqlx::query_scalar("SELECT customer_id FROM contracts WHERE id = $1")
                .bind(k)
                .fetch_one(&mut *c)
                .await
                .unwrap()
        };
        let r = b.get(&format!("/customers/{customer}")).await;
        assert!(r.body.contains("Speed reduced since"), "{}", r.body);
        let r = b.get("/collections").await;
        assert!(r.body.contains("badge-warn\">Speed reduced"), "{}", r.body);
        let csv = b.get("/collections/overdue.csv").await;
        assert!(csv.body.contains("reduced_contracts"), "{}", csv.body);
        let r = b.get(&format!("/contracts/{k}/trust-unlock")).await;
        assert!(r.body.contains("speed back now"), "{}", r.body);
        let r = b
            .post(&format!("/contracts/{k}/trust-unlock"), &[("days", "2")])
            .await;
        assert_redirect(&r, &format!("/contracts/{k}?ok=collections-unlocked"));
        let r = b.get(&format!("/contracts/{k}")).await;
        assert!(!r.body.contains("Speed reduced since"), "{}", r.body);
        assert!(r.body.contains("Suspension in 14 days"), "{}", r.body);
    })
    .await;
}

#[tokio::test]
async fn collections_page_and_trust_unlock_form() {
    each_engine(|db| async move {
        let app = app(db).await;
        let k = suspended(&app.svc).await;
        let b = app.browser("admin").await;

        let r = b.get("/collections").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for needle in ["Ana Souza", "120.00", "Suspended", "/collections/policy"] {
            assert!(r.body.contains(needle), "{needle}");
        }
        let r = b.get("/collections?min_days=abc").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = b.get("/collections?min_days=60").await;
        assert!(!r.body.contains("Ana Souza"));
        let csv = b.get("/collections/overdue.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.body.contains("Ana Souza") && csv.body.contains("120.00"),
            "{}",
            csv.body
        );

        let r = b.get(&format!("/contracts/{k}")).await;
        assert!(
            r.body.contains("Suspended for non-payment since"),
            "{}",
            r.body
        );
        assert!(r.body.contains(&format!("/contracts/{k}/trust-unlock")));
        let r = b.get(&format!("/contracts/{k}/trust-unlock")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("at most 5"), "{}", r.body);

        // Without the CSRF field: refused before anything happens.
        let req = Request::post(format!("/contracts/{k}/trust-unlock"))
            .header("cookie", &b.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("days=2"))
            .unwrap();
        assert_eq!(send(&app.router, req).await.status, StatusCode::FORBIDDEN);
        let r = b
            .post(&format!("/contracts/{k}/trust-unlock"), &[("days", "9")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = b
            .post(&format!("/contracts/{k}/trust-unlock"), &[("days", "2")])
            .await;
        assert_redirect(&r, &format!("/contracts/{k}?ok=collections-unlocked"));
        let r = b
            .get(&format!("/contracts/{k}?ok=collections-unlocked"))
            .await;
        assert!(r.body.contains("Contract unlocked on trust."));
        assert!(r.body.contains("Unlocked on trust until"), "{}", r.body);

        // The API: the overdue list, and no second unlock.
        let t = Some(app.token.as_str());
        let r = call(&app, Method::GET, "/api/v1/collections/overdue", t, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["data"][0]["customer_name"], "Ana Souza");
        assert_eq!(r.body["data"][0]["owed"], 12_000);
        let r = call(
            &app,
            Method::POST,
            "/api/v1/collections/trust-unlocks",
            t,
            Some(json!({"contract_id": k, "days": 2})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/collections/contracts/{k}"),
            t,
            None,
        )
        .await;
        assert_eq!(r.body["state"], "unlocked");

        // A technician holds no collections permission.
        app.user("tech", "technician", None).await;
        let tech = app.browser("tech").await;
        assert_eq!(tech.get("/collections").await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            tech.get(&format!("/contracts/{k}/trust-unlock"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

#[tokio::test]
async fn policy_page_and_api() {
    each_engine(|db| async move {
        let app = app(db).await;
        let b = app.browser("admin").await;
        let r = b.get("/collections/policy").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("protection") || r.body.contains("credit"),
            "{}",
            r.body
        );
        let p = Policy::default_for("BR");
        let mut pairs: Vec<(String, String)> = vec![
            ("fine".into(), "3".into()),
            ("interest_monthly".into(), "1".into()),
            ("notice_offset_days".into(), "5".into()),
            ("suspend_after_notice_days".into(), "15".into()),
            ("min_amount".into(), "10.00".into()),
            ("unlock_max_days".into(), "5".into()),
            ("cancel_after_days".into(), "60".into()),
            ("reconnect_hours".into(), "24".into()),
            ("reconnection_fee".into(), "0".into()),
            ("notice.subject_en".into(), p.notice.subject_en.clone()),
            ("notice.body_en".into(), p.notice.body_en.clone()),
            ("notice.subject_pt".into(), p.notice.subject_pt.clone()),
            ("notice.body_pt".into(), p.notice.body_pt.clone()),
        ];
        for (i, r) in p.reminders.iter().enumerate() {
            let t = &r.template;
            for (k, v) in [
                ("offset_days", r.offset_days.to_string()),
                ("subject_en", t.subject_en.clone()),
                ("body_en", t.body_en.clone()),
                ("subject_pt", t.subject_pt.clone()),
                ("body_pt", t.body_pt.clone()),
            ] {
                pairs.push((format!("reminders.{i}.{k}"), v));
            }
        }
        let as_refs = |pairs: &[(String, String)]| -> Vec<(String, String)> { pairs.to_vec() };
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = b.post("/collections/policy", &refs).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("fine") && r.body.contains("2 %"),
            "{}",
            r.body
        );
        let mut ok = as_refs(&pairs);
        ok[0].1 = "1,5".into();
        ok[3].1 = "20".into();
        let refs: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = b.post("/collections/policy", &refs).await;
        assert_redirect(&r, "/collections/policy?ok=collections-policy-saved");
        // The speed-reduction step: refused on or after the suspension
        // day, next to its field; saved before it.
        let mut reduced = ok.clone();
        reduced.push(("speed_reduction.after_notice_days".into(), "20".into()));
        reduced.push(("speed_reduction.percent".into(), "50".into()));
        let refs: Vec<(&str, &str)> = reduced
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = b.post("/collections/policy", &refs).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("id=\"e-speed_reduction.after_notice_days\""),
            "{}",
            r.body
        );
        let n = reduced.len();
        reduced[n - 2].1 = "5".into();
        let refs: Vec<(&str, &str)> = reduced
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = b.post("/collections/policy", &refs).await;
        assert_redirect(&r, "/collections/policy?ok=collections-policy-saved");
        let t = Some(app.token.as_str());
        let r = call(&app, Method::GET, "/api/v1/collections/policy", t, None).await;
        assert_eq!(r.body["speed_reduction"]["after_notice_days"], 5);
        assert_eq!(r.body["speed_reduction"]["percent"], 50);
        assert_eq!(r.body["fine"], "1.5");
        assert_eq!(r.body["suspend_after_notice_days"], 20);
        assert_eq!(r.body["reminders"].as_array().unwrap().len(), 3);
        let mut body = r.body.clone();
        let o = body.as_object_mut().unwrap();
        for k in ["country", "updated_at", "updated_by"] {
            o.remove(k);
        }
        o.insert("interest_monthly".into(), json!("1.5"));
        let r = call(
            &app,
            Method::PUT,
            "/api/v1/collections/policy",
            t,
            Some(body),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.field(), "interest_monthly");
        let r = call(
            &app,
            Method::POST,
            "/api/v1/collections/runs",
            t,
            Some(json!({})),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let r = call(
            &app,
            Method::GET,
            "/api/v1/collections/cancellation-list",
            t,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["data"].as_array().unwrap().len(), 0);
    })
    .await;
}
