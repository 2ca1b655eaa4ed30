//! Billing documents over HTTP, on SQLite and PostgreSQL: the invoice PDF
//! page and API route (type, authorization), the customer's Billing tab
//! with its statement and PDF, the balance and statement API, and the
//! invoice template settings page.

use axum::http::{Method, StatusCode};
use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use services::billing::{Policy, run};
use services::contracts::ContractInput;
use services::crm::{Created, CustomerInput};
use store::testing::each_engine;

use crate::common::{App, app, assert_problem, call, cli_caller};

/// A customer with an active contract billed for February and March
/// 2026; returns (customer id, invoice ids oldest first).
async fn billed(a: &App) -> (i64, Vec<i64>) {
    let svc = &a.svc;
    let plan = services::catalog::create_plan(
        svc,
        &cli_caller(),
        &Plan {
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
        },
    )
    .await
    .unwrap()
    .id;
    let Created::Customer(c) = services::crm::create_customer(
        svc,
        &cli_caller(),
        &CustomerInput {
            kind: "person".into(),
            name: "Ana Souza".into(),
            document: "529.982.247-25".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap() else {
        panic!("duplicate")
    };
    let k = services::contracts::create(
        svc,
        &cli_caller(),
        &ContractInput {
            customer_id: c.id,
            plan_id: plan,
            billing_day: 10,
            start_date: "2026-01-10".into(),
            login: "ana".into(),
            password: "first-pw".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let mut tx = svc.db.begin().await.unwrap();
    sqlx::query("UPDATE contracts SET status = 'active' WHERE id = $1")
        .bind(k)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for as_of in ["2026-02-10", "2026-03-10"] {
        run::run(
            svc,
            &cli_caller(),
            as_of.parse().unwrap(),
            &Policy::default(),
        )
        .await
        .unwrap();
    }
    let (docs, _) = services::billing::documents::list(
        svc,
        &cli_caller(),
        &store::billing::documents::Filter {
            customer_id: Some(c.id),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (c.id, docs.iter().rev().map(|d| d.id).collect())
}

#[tokio::test]
async fn invoice_pdf_page_and_api_route() {
    each_engine(|db| async move {
        let a = app(db).await;
        let (_, ids) = billed(&a).await;
        let b = a.browser("admin").await;
        let r = b.get(&format!("/billing/invoices/{}/pdf", ids[0])).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["content-type"], "application/pdf");
        assert!(
            r.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("invoice-2026-000001.pdf"),
            "{:?}",
            r.headers
        );
        assert!(r.bytes.starts_with(b"%PDF-"));
        assert_eq!(
            b.get("/billing/invoices/999999/pdf").await.status,
            StatusCode::NOT_FOUND
        );

        // A technician (no billing.view) is refused.
        a.user("tech", "technician", None).await;
        let t = a.browser("tech").await;
        assert_eq!(
            t.get(&format!("/billing/invoices/{}/pdf", ids[0]))
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // The API: the PDF with the admin's token; documented as a PDF.
        let r = crate::common::send(
            &a.router,
            axum::http::Request::get(format!("/api/v1/invoices/{}/pdf", ids[1]))
                .header("authorization", format!("Bearer {}", a.token))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["content-type"], "application/pdf");
        assert!(r.bytes.starts_with(b"%PDF-"));
        let r = call(&a, Method::GET, "/api/v1/invoices/1/pdf", None, None).await;
        assert_problem(&r, 401);
        let spec = call(&a, Method::GET, "/api/v1/openapi.json", None, None).await;
        let pdf = &spec.body["paths"]["/api/v1/invoices/{id}/pdf"]["get"];
        assert!(
            pdf["responses"]["200"]["content"]["application/pdf"].is_object(),
            "{pdf}"
        );
        for p in [
            "/api/v1/customers/{id}/balance",
            "/api/v1/customers/{id}/statement",
        ] {
            assert!(spec.body["paths"][p]["get"].is_object(), "{p}");
        }
    })
    .await;
}

#[tokio::test]
async fn customer_billing_tab_statement_and_api() {
    each_engine(|db| async move {
        let a = app(db).await;
        let (customer, ids) = billed(&a).await;
        let b = a.browser("admin").await;
        let overview = b.get(&format!("/customers/{customer}")).await;
        assert!(
            overview
                .body
                .contains(&format!("href=\"/customers/{customer}/billing\"")),
            "the tab is linked"
        );
        let tab = b
            .get(&format!(
                "/customers/{customer}/billing?from=2026-03-01&to=2026-12-31"
            ))
            .await;
        assert_eq!(tab.status, StatusCode::OK, "{}", tab.body);
        for want in [
            "Balance",
            "199.80",
            &format!("href=\"/billing/invoices/{}\"", ids[0]),
            &format!("href=\"/billing/invoices/{}\"", ids[1]),
            "Opening balance",
            "99.90",
            "Closing balance",
            "2026-000002",
            &format!("/customers/{customer}/billing/statement.pdf?from=2026-03-01&"),
        ] {
            assert!(tab.body.contains(want), "missing {want:?}");
        }
        let bad = b
            .get(&format!("/customers/{customer}/billing?from=2026-13-01"))
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("id=\"e-from\""), "{}", bad.body);
        let pdf = b
            .get(&format!(
                "/customers/{customer}/billing/statement.pdf?from=2026-01-01&to=2026-12-31"
            ))
            .await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert!(pdf.bytes.starts_with(b"%PDF-"));

        let csv = b
            .get(&format!(
                "/customers/{customer}/billing/statement.csv?from=2026-03-01&to=2026-12-31"
            ))
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(
            csv.body.contains("Opening balance") && csv.body.contains("2026-000002"),
            "{}",
            csv.body
        );
        assert!(csv.body.contains("199.80"), "{}", csv.body);

        // Without billing.view: no tab, and the page is refused.
        a.user("tech", "technician", None).await;
        let t = a.browser("tech").await;
        let overview = t.get(&format!("/customers/{customer}")).await;
        assert_eq!(overview.status, StatusCode::OK);
        assert!(
            !overview
                .body
                .contains(&format!("/customers/{customer}/billing"))
        );
        assert_eq!(
            t.get(&format!("/customers/{customer}/billing"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // The API.
        let r = call(
            &a,
            Method::GET,
            &format!("/api/v1/customers/{customer}/balance"),
            Some(&a.token),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["balance"], 2 * 9_990);
        assert_eq!(r.body["currency"], "BRL");
        assert_eq!(r.body["open_invoices"].as_array().unwrap().len(), 2);
        let r = call(
            &a,
            Method::GET,
            &format!("/api/v1/customers/{customer}/statement?from=2026-03-01&to=2026-12-31"),
            Some(&a.token),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["opening"], 9_990);
        assert_eq!(r.body["rows"][0]["kind"], "invoice");
        assert_eq!(r.body["rows"][0]["balance"], 2 * 9_990);
        assert_eq!(r.body["closing"], 2 * 9_990);
        let r = call(
            &a,
            Method::GET,
            &format!("/api/v1/customers/{customer}/statement?from=2026-05-01&to=2026-04-01"),
            Some(&a.token),
            None,
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "to");
        let r = call(
            &a,
            Method::GET,
            "/api/v1/customers/999999/balance",
            Some(&a.token),
            None,
        )
        .await;
        assert_problem(&r, 404);
    })
    .await;
}

#[tokio::test]
async fn invoice_template_settings_page() {
    each_engine(|db| async move {
        let a = app(db).await;
        let b = a.browser("admin").await;
        let r = b.get("/settings/invoice-template?locale=en").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("{{document.number}}"), "{}", r.body);
        let r = b
            .post(
                "/settings/invoice-template",
                &[("locale", "en"), ("body", "# {{invoice.numero}}")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("invoice.numero"));
        let r = b
            .post(
                "/settings/invoice-template",
                &[
                    ("locale", "en"),
                    ("body", "# {{document.title}}\n\n{{lines}}"),
                ],
            )
            .await;
        crate::common::assert_redirect(&r, "/settings/invoice-template?locale=en");
        let r = b
            .post(
                "/settings/invoice-template/preview",
                &[
                    ("locale", "en"),
                    ("body", "# {{document.title}}\n\n{{totals}}"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.bytes.starts_with(b"%PDF-"));
        a.user("fin", "finance", None).await;
        let f = a.browser("fin").await;
        assert_eq!(
            f.get("/settings/invoice-template").await.status,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}
