//! The billing part of the REST API end to end: tax rates (validation
//! naming the field), a run previewed, started and followed to the end,
//! invoices listed with every filter and paginated, read with lines, taxes
//! and breakdown, credited per line or whole, voided, and the billing
//! scopes. Every test runs on SQLite and on PostgreSQL.

use std::time::{Duration, Instant};

use crate::common::{App, Reply, app, assert_problem, call, console};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::testing::each_engine;

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

/// The ids a billed installation has.
struct Billed {
    ana: i64,
    ana_contract: i64,
    bruno_contract: i64,
}

/// Brazil's SCM taxes (inside the price), a postpaid plan of 99.90 and two
/// customers with a contract each, active since 2026-01-10 (billing day 10).
async fn installation(app: &App) -> Billed {
    for (name, rate) in [("ICMS", "18"), ("PIS", "0.65"), ("COFINS", "3")] {
        created(
            &post(
                app,
                "/api/v1/tax-rates",
                json!({"name": name, "rate": rate, "mode": "included_share", "category": "scm"}),
            )
            .await,
        );
    }
    let plan = created(
        &post(
            app,
            "/api/v1/plans",
            json!({
                "name": "Fibra 300", "download_kbps": 300_000, "upload_kbps": 150_000,
                "price": 9_990, "technology": "fiber", "billing_mode": "postpaid",
                "tax_category": "scm",
            }),
        )
        .await,
    );
    let mut ids = Vec::new();
    for (name, doc, login) in [
        ("Ana", "529.982.247-25", "ana"),
        ("Bruno", "111.444.777-35", "bruno"),
    ] {
        let customer = created(
            &post(
                app,
                "/api/v1/customers",
                json!({"kind": "person", "name": name, "document": doc}),
            )
            .await,
        );
        let contract = created(
            &post(
                app,
                "/api/v1/contracts",
                json!({
                    "customer_id": customer, "plan_id": plan, "billing_day": 10,
                    "start_date": "2026-01-10", "login": login,
                }),
            )
            .await,
        );
        // Active since its start date (a transition would date it today).
        sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
            .bind(contract)
            .execute(app.db.pool())
            .await
            .unwrap();
        ids.push((customer, contract));
    }
    Billed {
        ana: ids[0].0,
        ana_contract: ids[0].1,
        bruno_contract: ids[1].1,
    }
}

/// Starts a run as of `as_of` and waits for it to finish; returns the run.
async fn run(app: &App, as_of: &str) -> Value {
    let r = post(app, "/api/v1/billing-runs", json!({"as_of": as_of})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let location = r.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("/api/v1/billing-runs/{}", r.body["run_id"])
    );
    assert_eq!(r.body["run"]["id"], r.body["run_id"]);
    assert_eq!(r.body["run"]["job_id"], r.body["job_id"]);
    work(app).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = get(app, &location).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        match r.body["status"].as_str() {
            Some("done") => return r.body,
            Some("running") => {}
            other => panic!("run {other:?}: {}", r.body),
        }
        assert!(
            Instant::now() < deadline,
            "waited 60 s for run {location} to be done: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs every due job in the foreground, as a worker node would (the
/// tests' installation has no runner of its own).
async fn work(app: &App) {
    use services::system::jobs::{Registry, RunnerConfig, runner};
    let cfg = RunnerConfig::new("test-worker");
    let registry = Registry::with_builtins();
    while let Some(job) = runner::claim(&app.svc, &cfg).await.unwrap() {
        runner::execute_claimed(&app.svc, &registry, &cfg, job).await;
    }
}

fn ids(r: &Reply) -> Vec<i64> {
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_run_is_previewed_started_and_followed_to_the_end() {
    each_engine(|db| async move {
        let app = app(db).await;
        let b = installation(&app).await;

        let r = post(
            &app,
            "/api/v1/billing-runs/preview",
            json!({"as_of": "2026-03-10"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let p = &r.body;
        assert_eq!(
            (p["contracts"].as_i64(), p["invoices"].as_i64()),
            (Some(2), Some(4))
        );
        assert_eq!(p["total"], 4 * 9_990);
        assert_eq!(
            p["by_plan"],
            json!([{"plan": "Fibra 300", "invoices": 4, "total": 4 * 9_990}])
        );
        let icms = p["by_tax"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tax"] == "ICMS")
            .unwrap();
        assert_eq!(icms["amount"], 4 * 1_798);
        assert!(p["contract"].is_null());

        // Every line of one contract.
        let r = post(
            &app,
            &format!(
                "/api/v1/billing-runs/preview?contract_id={}",
                b.ana_contract
            ),
            json!({"as_of": "2026-03-10"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let docs = r.body["contract"]["documents"].as_array().unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            (
                docs[0]["period_start"].as_str(),
                docs[0]["period_end"].as_str()
            ),
            (Some("2026-01-10"), Some("2026-02-10"))
        );
        let line = &docs[0]["lines"][0];
        assert_eq!(line["source"], "plan");
        assert_eq!(
            (line["description"].as_str(), line["total"].as_i64()),
            (Some("Fibra 300"), Some(9_990))
        );
        let taxes: Vec<(&str, i64)> = line["taxes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap(), t["amount"].as_i64().unwrap()))
            .collect();
        assert_eq!(taxes.len(), 3);
        assert!(taxes.contains(&("ICMS", 1_798)), "{taxes:?}");

        // Bad input names the field.
        let r = post(
            &app,
            "/api/v1/billing-runs/preview?contract_id=999999",
            json!({"as_of": "2026-03-10"}),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "contract_id");
        for bad in ["2026-02-30", "10/03/2026", "2026-03-10T00:00", ""] {
            let r = post(&app, "/api/v1/billing-runs/preview", json!({"as_of": bad})).await;
            assert_problem(&r, 422);
            assert_eq!(r.field(), "as_of", "{bad}");
        }
        let r = post(&app, "/api/v1/billing-runs", json!({"as_of": "soon"})).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "as_of");

        // A preview writes nothing.
        assert_eq!(ids(&get(&app, "/api/v1/invoices").await).len(), 0);

        let done = run(&app, "2026-03-10").await;
        assert_eq!(
            (
                done["contracts_done"].as_i64(),
                done["contracts_total"].as_i64(),
                done["invoices"].as_i64(),
                done["total"].as_i64()
            ),
            (Some(2), Some(2), Some(4), Some(4 * 9_990))
        );
        assert_eq!(done["as_of"], "2026-03-10");
        // Its job is in the jobs list.
        let job = get(&app, &format!("/api/v1/jobs/{}", done["job_id"])).await;
        assert_eq!(
            (job.body["kind"].as_str(), job.body["status"].as_str()),
            (Some("billing-run"), Some("succeeded")),
            "{}",
            job.body
        );
        assert!(done["finished_at"].is_string());
        assert_eq!(ids(&get(&app, "/api/v1/invoices").await).len(), 4);

        // Starting it again bills nothing twice.
        let again = run(&app, "2026-03-10").await;
        assert_eq!(again["invoices"], 0);
        let r = get(&app, "/api/v1/billing-runs").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.body["data"][0]["id"], again["id"],
            "newest first: {}",
            r.body
        );
        assert_eq!(r.body["data"].as_array().unwrap().len(), 2);
        let r = get(&app, "/api/v1/billing-runs?limit=1").await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        let r = get(&app, "/api/v1/billing-runs?limit=0").await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "limit");
        assert_problem(&get(&app, "/api/v1/billing-runs/999999").await, 404);
        // Runs are audited under the token's user.
        let r = get(&app, "/api/v1/audit?action=billing_run.start").await;
        assert_eq!(r.body["data"][0]["actor"]["name"], "admin");
    })
    .await;
}

#[tokio::test]
async fn invoices_are_filtered_paginated_and_read_with_lines_and_taxes() {
    each_engine(|db| async move {
        let app = app(db).await;
        let b = installation(&app).await;
        run(&app, "2026-03-10").await;

        // Pages of 3 then 1, newest first, without overlap.
        let first = get(&app, "/api/v1/invoices?limit=3").await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        let page1 = ids(&first);
        assert_eq!(page1.len(), 3);
        assert!(page1.windows(2).all(|w| w[0] > w[1]));
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let second = get(&app, &format!("/api/v1/invoices?limit=3&cursor={cursor}")).await;
        let page2 = ids(&second);
        assert_eq!(page2.len(), 1);
        assert!(page2[0] < page1[2]);
        assert!(second.body["next_cursor"].is_null());

        let count = |r: Reply| ids(&r).len();
        assert_eq!(
            count(get(&app, &format!("/api/v1/invoices?customer_id={}", b.ana)).await),
            2
        );
        assert_eq!(
            count(
                get(
                    &app,
                    &format!("/api/v1/invoices?contract_id={}", b.bruno_contract)
                )
                .await
            ),
            2
        );
        let r = get(&app, "/api/v1/invoices?number=2026-000001").await;
        assert_eq!(r.body["data"][0]["number"], "2026-000001");
        assert_eq!(count(r), 1);
        assert_eq!(count(get(&app, "/api/v1/invoices?status=issued").await), 4);
        assert_eq!(count(get(&app, "/api/v1/invoices?status=voided").await), 0);
        assert_eq!(
            count(get(&app, "/api/v1/invoices?issued_from=2026-03-10").await),
            4
        );
        assert_eq!(
            count(get(&app, "/api/v1/invoices?issued_from=2026-03-11").await),
            0
        );
        assert_eq!(
            count(get(&app, "/api/v1/invoices?issued_to=2026-03-09").await),
            0
        );
        // Due ten days after issue.
        assert_eq!(
            count(get(&app, "/api/v1/invoices?due_before=2026-03-21").await),
            4
        );
        assert_eq!(
            count(get(&app, "/api/v1/invoices?due_before=2026-03-20").await),
            0
        );
        // Overdue is against today; one invoice due far ahead is not.
        let later = page1[0];
        sqlx::query("UPDATE invoices SET due_date = '2999-01-01' WHERE id = $1")
            .bind(later)
            .execute(app.db.pool())
            .await
            .unwrap();
        let overdue = ids(&get(&app, "/api/v1/invoices?overdue=true").await);
        assert_eq!(overdue.len(), 3);
        assert!(!overdue.contains(&later));
        assert_eq!(count(get(&app, "/api/v1/invoices?overdue=false").await), 4);
        // Credit notes are not invoices.
        assert_eq!(count(get(&app, "/api/v1/credit-notes").await), 0);

        for (uri, field, status) in [
            ("/api/v1/invoices?status=paid", "status", 422),
            (
                "/api/v1/invoices?issued_from=2026-13-01",
                "issued_from",
                422,
            ),
            ("/api/v1/invoices?issued_to=yesterday", "issued_to", 422),
            ("/api/v1/invoices?due_before=2026-3-1", "due_before", 422),
            ("/api/v1/invoices?issued_to=", "issued_to", 422),
            ("/api/v1/invoices?cursor=!!", "cursor", 422),
            ("/api/v1/invoices?limit=201", "limit", 422),
            ("/api/v1/invoices?overdue=maybe", "overdue", 400),
            ("/api/v1/invoices?customer_id=x", "customer_id", 400),
            ("/api/v1/credit-notes?invoice_id=x", "invoice_id", 400),
        ] {
            let r = get(&app, uri).await;
            assert_problem(&r, status);
            assert_eq!(r.field(), field, "{uri}");
        }

        // One invoice: its line, the line's taxes and the breakdown.
        let id = page2[0];
        let r = get(&app, &format!("/api/v1/invoices/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let d = &r.body;
        assert_eq!(
            (d["kind"].as_str(), d["status"].as_str()),
            (Some("invoice"), Some("issued"))
        );
        assert_eq!(d["number"], "2026-000001");
        assert_eq!(
            (d["total"].as_i64(), d["tax"].as_i64()),
            (Some(9_990), Some(2_163))
        );
        assert_eq!(d["due_date"], "2026-03-20");
        assert_eq!(d["customer_name"], "Ana");
        let line = &d["lines"][0];
        assert_eq!(d["lines"].as_array().unwrap().len(), 1);
        assert_eq!(
            (line["period_start"].as_str(), line["period_end"].as_str()),
            (Some("2026-01-10"), Some("2026-02-10"))
        );
        assert_eq!(line["source"], "plan");
        let icms = json!({
            "tax_rate_id": line["taxes"][0]["tax_rate_id"], "name": "ICMS", "rate": "18",
            "rate_ppm": 180_000, "mode": "included_share", "amount": 1_798,
        });
        assert!(
            line["taxes"].as_array().unwrap().contains(&icms),
            "{}",
            line["taxes"]
        );
        let breakdown = d["tax_breakdown"].as_array().unwrap();
        assert_eq!(breakdown.len(), 3);
        let sum: i64 = breakdown
            .iter()
            .map(|t| t["amount"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, 2_163);
        assert!(
            breakdown
                .iter()
                .any(|t| t["name"] == "PIS" && t["rate"] == "0.65" && t["amount"] == 65)
        );
        assert_eq!(d["credit_notes"], json!([]));

        assert_problem(&get(&app, "/api/v1/invoices/999999").await, 404);
        assert_problem(&get(&app, "/api/v1/invoices/x").await, 400);
        // An invoice is not at the credit notes' path.
        assert_problem(&get(&app, &format!("/api/v1/credit-notes/{id}")).await, 404);
    })
    .await;
}

#[tokio::test]
async fn invoices_are_credited_per_line_or_whole_and_voided() {
    each_engine(|db| async move {
        let app = app(db).await;
        let b = installation(&app).await;
        run(&app, "2026-02-10").await;
        let invoices = ids(&get(&app, "/api/v1/invoices").await);
        assert_eq!(invoices.len(), 2);
        let (bruno_invoice, ana_invoice) = (invoices[0], invoices[1]);
        let inv = get(&app, &format!("/api/v1/invoices/{ana_invoice}")).await.body;
        assert_eq!(inv["contract_id"], b.ana_contract);
        let line = inv["lines"][0]["id"].as_i64().unwrap();

        // Part of a line.
        let uri = format!("/api/v1/invoices/{ana_invoice}/credit-notes");
        let r = post(
            &app,
            &uri,
            json!({"reason": "Two days without service", "lines": [{"line_id": line, "amount": 2_000}]}),
        )
        .await;
        let note = created(&r);
        assert_eq!(
            r.headers["location"].to_str().unwrap(),
            format!("/api/v1/credit-notes/{note}")
        );
        assert_eq!(r.body["kind"], "credit_note");
        assert_eq!(r.body["number"], "NC2026-000001");
        assert_eq!(r.body["total"], -2_000);
        assert_eq!(r.body["credits_invoice_id"], ana_invoice);
        assert_eq!(r.body["notes"], "Two days without service");
        assert_eq!(r.body["lines"][0]["credits_line_id"], line);
        assert_eq!(r.body["lines"][0]["taxes"].as_array().unwrap().len(), 3);
        assert_eq!(r.body["tax_breakdown"].as_array().unwrap().len(), 3);

        // Refusals name the field.
        for (body, field) in [
            (json!({"reason": "x", "lines": [{"line_id": line, "amount": 10_000}]}), "amount"),
            (json!({"reason": "x", "lines": [{"line_id": line, "amount": 0}]}), "amount"),
            (json!({"reason": "x", "lines": [{"line_id": 999_999}]}), "lines"),
            (json!({"reason": "x", "lines": []}), "lines"),
            (json!({"reason": " ", "lines": [{"line_id": line}]}), "reason"),
            (json!({"lines": [{"line_id": line}]}), "reason"),
            (json!({"reason": "x", "lines": [{"line_id": line, "amount": "5"}]}), "lines[0].amount"),
        ] {
            let r = post(&app, &uri, body.clone()).await;
            assert_problem(&r, 422);
            assert_eq!(r.field(), field, "{body}");
        }

        // Listed and read at their own path.
        let r = get(&app, &format!("/api/v1/credit-notes?invoice_id={ana_invoice}")).await;
        assert_eq!(ids(&r), vec![note]);
        assert_eq!(ids(&get(&app, &format!("/api/v1/credit-notes?invoice_id={bruno_invoice}")).await).len(), 0);
        assert_eq!(ids(&get(&app, "/api/v1/credit-notes?number=NC2026-000001").await), vec![note]);
        assert_eq!(ids(&get(&app, &format!("/api/v1/credit-notes?customer_id={}", b.ana)).await), vec![note]);
        let r = get(&app, &format!("/api/v1/credit-notes/{note}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["total"], -2_000);
        assert_problem(&get(&app, &format!("/api/v1/invoices/{note}")).await, 404);
        let r = get(&app, &format!("/api/v1/invoices/{ana_invoice}")).await;
        assert_eq!(r.body["credit_notes"][0]["id"], note);

        // Voiding credits the rest and marks the invoice voided.
        let void = format!("/api/v1/invoices/{ana_invoice}/void");
        let r = post(&app, &void, json!({"reason": ""})).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "reason");
        let r = post(&app, &void, json!({"reason": "Billed by mistake"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "voided");
        assert_eq!(r.body["void_reason"], "Billed by mistake");
        assert!(r.body["voided_at"].is_string());
        let notes = r.body["credit_notes"].as_array().unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[1]["total"], -(9_990 - 2_000));
        let r = get(&app, "/api/v1/invoices?status=voided").await;
        assert_eq!(ids(&r), vec![ana_invoice]);

        // A voided invoice takes no more corrections.
        let r = post(&app, &void, json!({"reason": "again"})).await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "invoice-not-issued");
        let r = post(&app, &uri, json!({"reason": "again"})).await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "invoice-not-issued");
        // Nor is a credit note an invoice to void.
        let r = post(&app, &format!("/api/v1/invoices/{note}/void"), json!({"reason": "x"})).await;
        assert_problem(&r, 404);
        let r = post(&app, "/api/v1/invoices/999999/void", json!({"reason": "x"})).await;
        assert_problem(&r, 404);

        // The whole invoice at once, then nothing is left.
        let whole = format!("/api/v1/invoices/{bruno_invoice}/credit-notes");
        let r = post(&app, &whole, json!({"reason": "Goodwill"})).await;
        created(&r);
        assert_eq!(r.body["total"], -9_990);
        let r = get(&app, &format!("/api/v1/invoices/{bruno_invoice}")).await;
        assert_eq!(r.body["status"], "issued", "a credit note does not void");
        let r = post(&app, &whole, json!({"reason": "Again"})).await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "nothing-to-credit");

        // Every correction is in the audit log.
        let r = get(&app, "/api/v1/audit?action=credit_note.issue").await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 3);
        let r = get(&app, "/api/v1/audit?action=invoice.void").await;
        assert_eq!(r.body["data"][0]["entity_id"], ana_invoice.to_string());
    })
    .await;
}

#[tokio::test]
async fn tax_rates_are_created_changed_and_validated_naming_the_field() {
    each_engine(|db| async move {
        let app = app(db).await;
        let r = post(
            &app,
            "/api/v1/tax-rates",
            json!({"name": "VAT", "rate": "20", "mode": "on_top"}),
        )
        .await;
        let id = created(&r);
        assert_eq!(
            r.headers["location"].to_str().unwrap(),
            format!("/api/v1/tax-rates/{id}")
        );
        assert_eq!(
            (r.body["rate"].as_str(), r.body["rate_ppm"].as_i64()),
            (Some("20"), Some(200_000))
        );
        assert_eq!((r.body["category"].as_str(), r.body["active"].as_bool()), (Some(""), Some(true)));

        for (body, field) in [
            (json!({"name": "A", "rate": "101", "mode": "on_top"}), "rate"),
            (json!({"name": "A", "rate": "100.0001", "mode": "on_top"}), "rate"),
            (json!({"name": "A", "rate": "1.23456", "mode": "on_top"}), "rate"),
            (json!({"name": "A", "rate": "-1", "mode": "on_top"}), "rate"),
            (json!({"name": "A", "rate": 18, "mode": "on_top"}), "rate"),
            (json!({"name": "A", "mode": "on_top"}), "rate"),
            (json!({"name": "A", "rate": "5", "mode": "sideways"}), "mode"),
            (json!({"name": " ", "rate": "5", "mode": "on_top"}), "name"),
            (json!({"name": "A", "rate": "5", "mode": "on_top", "zzz": 1}), "zzz"),
        ] {
            let r = post(&app, "/api/v1/tax-rates", body.clone()).await;
            assert_problem(&r, 422);
            assert_eq!(r.field(), field, "{body}");
        }
        let r = post(&app, "/api/v1/tax-rates", json!({"name": "VAT", "rate": "5", "mode": "on_top"})).await;
        assert_problem(&r, 409);
        assert_eq!(r.field(), "name");

        let r = post(
            &app,
            "/api/v1/tax-rates",
            json!({"name": "ISS", "rate": "5", "mode": "included_vat", "category": "sva", "position": 2, "active": false}),
        )
        .await;
        let iss = created(&r);

        // A change keeps what it does not name.
        let uri = format!("/api/v1/tax-rates/{id}");
        let r = patch(&app, &uri, json!({"rate": "17,5"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (r.body["name"].as_str(), r.body["rate"].as_str(), r.body["rate_ppm"].as_i64(), r.body["mode"].as_str()),
            (Some("VAT"), Some("17.5"), Some(175_000), Some("on_top"))
        );
        let r = patch(&app, &uri, json!({"rate": "150"})).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "rate");
        let r = patch(&app, &uri, json!({"name": "ISS"})).await;
        assert_problem(&r, 409);
        let r = patch(&app, &uri, json!({"zzz": true})).await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "zzz");
        assert_problem(&patch(&app, "/api/v1/tax-rates/999999", json!({"rate": "1"})).await, 404);

        let r = get(&app, &uri).await;
        assert_eq!(r.body["rate"], "17.5");
        assert_problem(&get(&app, "/api/v1/tax-rates/999999").await, 404);
        let r = get(&app, "/api/v1/tax-rates").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let names: Vec<&str> = r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["VAT", "ISS"], "by position");
        let r = get(&app, &format!("/api/v1/tax-rates/{iss}")).await;
        assert_eq!(
            (r.body["category"].as_str(), r.body["active"].as_bool(), r.body["position"].as_i64()),
            (Some("sva"), Some(false), Some(2))
        );
        let r = get(&app, "/api/v1/audit?action=tax_rate.update").await;
        assert_eq!(r.body["data"][0]["entity_id"], id.to_string());
    })
    .await;
}

#[tokio::test]
async fn billing_needs_the_billing_scopes() {
    each_engine(|db| async move {
        let app = app(db).await;
        installation(&app).await;
        run(&app, "2026-02-10").await;
        let invoice = ids(&get(&app, "/api/v1/invoices").await)[0];
        let token = |scopes: &'static str| {
            let app = &app;
            async move {
                services::staff::tokens::create(&app.svc, &console(), app.admin_id, scopes, scopes)
                    .await
                    .unwrap()
                    .1
            }
        };
        let crm = token("customers.view").await;
        let view = token("billing.view").await;
        let manage = token("billing.view billing.manage").await;
        let void = format!("/api/v1/invoices/{invoice}/void");
        let credit = format!("/api/v1/invoices/{invoice}/credit-notes");
        let reason = json!({"reason": "x"});
        let as_of = json!({"as_of": "2026-02-10"});
        let tax = json!({"name": "T", "rate": "1", "mode": "on_top"});
        for (t, method, uri, body, needed) in [
            (&crm, Method::GET, "/api/v1/invoices", None, "billing.view"),
            (
                &crm,
                Method::GET,
                "/api/v1/credit-notes",
                None,
                "billing.view",
            ),
            (&crm, Method::GET, "/api/v1/tax-rates", None, "billing.view"),
            (
                &crm,
                Method::GET,
                "/api/v1/billing-runs",
                None,
                "billing.view",
            ),
            (
                &crm,
                Method::POST,
                "/api/v1/billing-runs/preview",
                Some(&as_of),
                "billing.view",
            ),
            (
                &view,
                Method::POST,
                "/api/v1/billing-runs",
                Some(&as_of),
                "billing.manage",
            ),
            (
                &view,
                Method::POST,
                "/api/v1/tax-rates",
                Some(&tax),
                "billing.manage",
            ),
            (
                &manage,
                Method::POST,
                void.as_str(),
                Some(&reason),
                "billing.void",
            ),
            (
                &manage,
                Method::POST,
                credit.as_str(),
                Some(&reason),
                "billing.void",
            ),
        ] {
            let r = call(&app, method, uri, Some(t), body.cloned()).await;
            assert_problem(&r, 403);
            assert_eq!(r.body["permission"], needed, "{uri}");
        }
        // The permission is checked before the body is read.
        let r = call(&app, Method::POST, &void, Some(&manage), Some(json!([]))).await;
        assert_problem(&r, 403);
        let r = call(
            &app,
            Method::GET,
            &format!("/api/v1/invoices/{invoice}"),
            Some(&crm),
            None,
        )
        .await;
        assert_problem(&r, 403);

        let r = call(&app, Method::GET, "/api/v1/invoices", Some(&view), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(
            &app,
            Method::POST,
            "/api/v1/billing-runs/preview",
            Some(&view),
            Some(as_of),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = call(&app, Method::GET, "/api/v1/invoices", None, None).await;
        assert_problem(&r, 401);
        // Nothing was voided on the way.
        let r = get(&app, &format!("/api/v1/invoices/{invoice}")).await;
        assert_eq!(r.body["status"], "issued");
    })
    .await;
}

#[tokio::test]
async fn openapi_document_lists_the_billing_operations() {
    each_engine(|db| async move {
        let app = app(db).await;
        let doc = call(&app, Method::GET, "/api/v1/openapi.json", None, None)
            .await
            .body;
        for (path, method, id, scope) in [
            ("/api/v1/invoices", "get", "invoices.list", "billing.view"),
            ("/api/v1/invoices/{id}", "get", "invoices.show", "billing.view"),
            ("/api/v1/invoices/{id}/void", "post", "invoices.void", "billing.void"),
            ("/api/v1/invoices/{id}/credit-notes", "post", "invoices.credit", "billing.void"),
            ("/api/v1/credit-notes", "get", "credit_notes.list", "billing.view"),
            ("/api/v1/credit-notes/{id}", "get", "credit_notes.show", "billing.view"),
            ("/api/v1/billing-runs", "get", "billing_runs.list", "billing.view"),
            ("/api/v1/billing-runs", "post", "billing_runs.start", "billing.manage"),
            ("/api/v1/billing-runs/{id}", "get", "billing_runs.show", "billing.view"),
            ("/api/v1/billing-runs/preview", "post", "billing_runs.preview", "billing.view"),
            ("/api/v1/tax-rates", "get", "tax_rates.list", "billing.view"),
            ("/api/v1/tax-rates", "post", "tax_rates.create", "billing.manage"),
            ("/api/v1/tax-rates/{id}", "get", "tax_rates.show", "billing.view"),
            ("/api/v1/tax-rates/{id}", "patch", "tax_rates.update", "billing.manage"),
        ] {
            let op = &doc["paths"][path][method];
            assert_eq!(op["operationId"], id, "{method} {path}");
            assert_eq!(op["security"][0]["bearer"], json!([scope]), "{id}");
            assert_eq!(op["tags"], json!(["billing"]), "{id}");
        }
        let start = &doc["paths"]["/api/v1/billing-runs"]["post"]["responses"]["202"];
        assert!(start["headers"].get("Location").is_some(), "{start}");
        assert!(doc["paths"]["/api/v1/invoices/{id}/void"]["post"]["responses"]["409"].is_object());
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["InvoiceStatus"]["enum"], json!(["draft", "issued", "voided"]));
        assert_eq!(
            schemas["InvoiceView"]["properties"]["status"]["$ref"],
            "#/components/schemas/InvoiceStatus"
        );
        assert_eq!(
            schemas["Paged_InvoiceView"]["properties"]["data"]["items"]["$ref"],
            "#/components/schemas/InvoiceView"
        );
        // The view carries its id beside the closed body; PATCH requires nothing.
        assert!(schemas["TaxRateView"].get("allOf").is_none());
        assert!(schemas["TaxRateView"]["properties"].get("id").is_some());
        assert_eq!(
            doc["paths"]["/api/v1/tax-rates/{id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/TaxRatePatch"
        );
        assert!(schemas["TaxRatePatch"].get("required").is_none());
        assert_eq!(schemas["TaxRateBody"]["example"]["rate"], "18");
        let overdue = doc["paths"]["/api/v1/invoices"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "overdue")
            .unwrap();
        assert_eq!(overdue["schema"]["type"], "boolean");
    })
    .await;
}
