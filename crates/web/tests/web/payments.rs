//! Payments as staff and API clients use them, on SQLite and PostgreSQL:
//! recording a payment through the customer's form (CSRF, fields named),
//! the book, its CSV, a payment's page and receipt PDF, refunding and
//! reversing with confirmation, the invoice list's payment badges, and
//! the API's list, record, refund, reverse, an invoice's payments and a
//! customer's credit.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use store::testing::each_engine;

use crate::billing::{bill, fixture};
use crate::common::{App, app, assert_problem, assert_redirect, call, send};

fn pdftotext(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = std::env::temp_dir().join(format!("lastmile-web-payments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("receipt-{}.pdf", store::now()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/test)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

async fn raw(a: &App, uri: &str, cookie: &str) -> (StatusCode, String, Vec<u8>) {
    let req = Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    let r = send(&a.router, req).await;
    let ct = r
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (r.status, ct, r.bytes.to_vec())
}

#[tokio::test]
async fn a_payment_is_recorded_on_the_page_and_refunded() {
    each_engine(|db| async move {
        let a = app(db).await;
        let f = fixture(&a).await;
        bill(&a).await;
        a.user("sam", "support", None).await;
        let admin = a.browser("admin").await;
        let support = a.browser("sam").await;
        let new = format!("/customers/{}/payments/new", f.ana);

        // The form offers the open invoices; the amount is the oldest's.
        let form = admin.get(&new).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(form.body.contains("value=\"99.90\""), "{}", form.body);
        assert!(form.body.contains("name=\"_csrf\""));
        // Support may read payments but not record them.
        assert_eq!(support.get(&new).await.status, StatusCode::FORBIDDEN);
        assert_eq!(support.get("/payments").await.status, StatusCode::OK);

        // Without the CSRF field the post is refused.
        let req = Request::post(new.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &admin.cookie)
            .body(Body::from("method=cash&amount=1.00&received_on=2026-05-02"))
            .unwrap();
        assert_eq!(send(&a.router, req).await.status, StatusCode::FORBIDDEN);

        // Fields are named: an amount that is not money, a future day.
        let r = admin
            .post(
                &new,
                &[
                    ("method", "cash"),
                    ("amount", "abc"),
                    ("received_on", "2026-05-02"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-amount\""), "{}", r.body);
        let r = admin
            .post(
                &new,
                &[
                    ("method", "cash"),
                    ("amount", "10.00"),
                    ("received_on", "2999-01-01"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("id=\"e-received_on\""), "{}", r.body);

        // 150.00 in cash: the first invoice paid, the second in part.
        let r = admin
            .post(
                &new,
                &[
                    ("method", "cash"),
                    ("amount", "150.00"),
                    ("received_on", "2026-05-02"),
                    ("invoice_id", ""),
                    ("fee", ""),
                    ("notes", "at the counter"),
                ],
            )
            .await;
        assert_redirect(&r, "/payments/");
        assert!(r.location().ends_with("?ok=payment-recorded"));
        let id: i64 = r.location()["/payments/".len()..]
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let page = admin
            .get(&format!("/payments/{id}?ok=payment-recorded"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for want in [
            "REC2026-000001",
            "Ana Souza",
            "150.00",
            "Cash",
            "/billing/invoices/",
            &format!("/payments/{id}/receipt.pdf"),
            &format!("/payments/{id}/refund"),
            &format!("/payments/{id}/reverse"),
            "Payment recorded.",
        ] {
            assert!(page.body.contains(want), "{want} in\n{}", page.body);
        }
        // The book and its CSV.
        let list = admin.get("/payments?method=cash").await;
        assert!(list.body.contains("REC2026-000001"), "{}", list.body);
        let found = admin.get("/payments?q=REC2026-000001").await;
        assert!(found.body.contains(&format!("/payments/{id}")));
        let bad = admin.get("/payments?from=2026-13-01").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let csv = admin.get("/payments/export.csv").await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.contains("REC2026-000001") && csv.body.contains("receipt_number"));

        // The invoices show what was paid.
        let invoices = admin
            .get(&format!("/billing/invoices?customer_id={}", f.ana))
            .await;
        assert!(invoices.body.contains("Paid"), "{}", invoices.body);
        assert!(invoices.body.contains("Overdue"), "{}", invoices.body);
        let billing = admin.get(&format!("/customers/{}/billing", f.ana)).await;
        assert!(
            billing.body.contains(&format!("/payments/{id}")),
            "{}",
            billing.body
        );
        assert!(billing.body.contains(&new));

        // The receipt, as a PDF.
        let (status, ct, pdf) =
            raw(&a, &format!("/payments/{id}/receipt.pdf"), &admin.cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ct, "application/pdf");
        let text = pdftotext(&pdf);
        for want in ["Receipt", "REC2026-000001", "Ana Souza", "150.00", "Cash"] {
            assert!(text.contains(want), "{want} in {text}");
        }

        // Refunding asks for a reason, then opens the second invoice again.
        let refund = format!("/payments/{id}/refund");
        assert_eq!(support.get(&refund).await.status, StatusCode::FORBIDDEN);
        let confirm = admin.get(&refund).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("Refund this amount?"));
        let r = admin
            .post(&refund, &[("amount", "10.00"), ("reason", "")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("field-error"), "{}", r.body);
        let r = admin
            .post(&refund, &[("amount", "10.00"), ("reason", "charged twice")])
            .await;
        assert_redirect(&r, &format!("/payments/{id}?ok=payment-refunded"));
        let r = admin
            .post(&format!("/payments/{id}/reverse"), &[("reason", "bounced")])
            .await;
        assert_redirect(&r, &format!("/payments/{id}?ok=payment-reversed"));
        let page = admin.get(&format!("/payments/{id}")).await;
        assert!(page.body.contains("charged twice") && page.body.contains("bounced"));
        assert!(!page.body.contains(&format!("/payments/{id}/refund\"")));
    })
    .await;
}

#[tokio::test]
async fn the_api_lists_records_refunds_and_reverses() {
    each_engine(|db| async move {
        let a = app(db).await;
        let f = fixture(&a).await;
        bill(&a).await;
        let t = Some(a.token.as_str());
        let r = call(
            &a,
            Method::POST,
            "/api/v1/payments",
            t,
            Some(json!({
                "customer_id": f.ana, "method": "bank_transfer", "amount": 25_000,
                "received_on": "2026-05-02", "notes": "TED",
            })),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(r.headers["location"], format!("/api/v1/payments/{id}"));
        assert_eq!(r.body["allocations"].as_array().unwrap().len(), 2);
        assert_eq!(r.body["credit_left"], 25_000 - 2 * 9_990);
        let invoice = r.body["allocations"][0]["invoice_id"].as_i64().unwrap();

        // Gateway methods come from their gateways; fields are named.
        let r = call(
            &a,
            Method::POST,
            "/api/v1/payments",
            t,
            Some(json!({"customer_id": f.ana, "method": "pix", "amount": 10, "received_on": "2026-05-02"})),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "method");
        let r = call(
            &a,
            Method::POST,
            "/api/v1/payments",
            t,
            Some(json!({"customer_id": f.ana, "method": "cash", "amount": 0, "received_on": "2026-05-02"})),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "amount");

        let list = call(&a, Method::GET, "/api/v1/payments?method=bank_transfer", t, None).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(list.body["data"][0]["receipt_number"], "REC2026-000001");
        let credit = call(&a, Method::GET, &format!("/api/v1/customers/{}/credit", f.ana), t, None).await;
        assert_eq!(credit.body["credit"], 25_000 - 2 * 9_990);
        let paid = call(&a, Method::GET, &format!("/api/v1/invoices/{invoice}/payments"), t, None).await;
        assert_eq!(paid.body[0]["amount"], 9_990);

        let r = call(
            &a,
            Method::POST,
            &format!("/api/v1/payments/{id}/refund"),
            t,
            Some(json!({"amount": 6_000, "reason": "overpaid"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["refundable"], 19_000);
        assert_eq!(r.body["unapplied"], 0);
        let r = call(
            &a,
            Method::POST,
            &format!("/api/v1/payments/{id}/reverse"),
            t,
            Some(json!({"reason": "bounced"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["refundable"], 0);
        let r = call(
            &a,
            Method::POST,
            &format!("/api/v1/payments/{id}/reverse"),
            t,
            Some(json!({"reason": "again"})),
        )
        .await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "nothing-to-reverse");

        let receipt = call(&a, Method::GET, &format!("/api/v1/payments/{id}/receipt"), t, None).await;
        assert_eq!(receipt.status, StatusCode::OK);
        assert_eq!(receipt.content_type(), "application/pdf");

        // A token without the scope is refused.
        let view = services::staff::tokens::create(
            &a.svc,
            &crate::common::console(),
            a.admin_id,
            "viewer",
            "payments.view",
        )
        .await
        .unwrap();
        let r = call(
            &a,
            Method::POST,
            &format!("/api/v1/payments/{id}/refund"),
            Some(view.1.as_str()),
            Some(json!({"amount": 1, "reason": "x"})),
        )
        .await;
        assert_problem(&r, 403);
    })
    .await;
}
