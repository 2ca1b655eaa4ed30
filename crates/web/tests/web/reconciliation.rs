//! Boleto files and reconciliation as staff and API clients use them, on
//! SQLite and PostgreSQL: generating a remittance and downloading it, the
//! bank's return uploaded through the API (processed once) and through the
//! page (multipart, CSRF), the report and its CSV, and the unmatched queue
//! assigned through the API and dismissed on its page.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use brpay::boleto::banks::Bank;
use serde_json::json;
use services::payments::recon::simulate;
use store::testing::each_engine;

use crate::billing::{bill, fixture};
use crate::common::{
    App, CSRF, app, assert_problem, assert_redirect, call, cli_caller, send, send_json,
};

async fn cnab_mode(a: &App) {
    let values: BTreeMap<String, String> = [
        ("boleto.mode", "cnab"),
        ("boleto.bank", "001"),
        ("boleto.agency", "1234-5"),
        ("boleto.account", "12345-6"),
        ("boleto.wallet", "17"),
        ("boleto.agreement", "1234567"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    services::system::settings::update(&a.svc, &cli_caller(), &values)
        .await
        .unwrap();
}

/// (nosso número, amount) of each segment P of a CNAB 240 remittance:
/// columns 38–57 and 86–100 as the bank reads them.
fn titles(remittance: &str) -> Vec<(String, i64)> {
    remittance
        .split("\r\n")
        .filter(|l| l.len() == 240 && &l[7..8] == "3" && &l[13..14] == "P")
        .map(|l| (l[37..57].trim().to_owned(), l[85..100].parse().unwrap()))
        .collect()
}

fn paid(nn: &str, amount: i64) -> simulate::Title {
    simulate::Title {
        nosso_numero: nn.into(),
        occurrence: "06".into(),
        amount,
        paid: amount,
        fee: 199,
        credit_date: Some(jiff::civil::date(2026, 3, 20)),
        payer_name: "Ana".into(),
        reason: String::new(),
    }
}

async fn upload(a: &App, name: &str, body: &str) -> crate::common::Reply {
    let req = Request::post(format!("/api/v1/reconciliation/files?name={name}"))
        .header("authorization", format!("Bearer {}", a.token))
        .header("content-type", "application/octet-stream")
        .body(Body::from(body.to_owned()))
        .unwrap();
    send_json(&a.router, req).await
}

#[tokio::test]
async fn reconciliation_through_the_api_settles_once_and_assigns_the_unmatched() {
    each_engine(|db| async move {
        let a = app(db).await;
        let f = fixture(&a).await;
        bill(&a).await;

        // Not in cnab mode: the setting is named.
        let r = call(
            &a,
            Method::POST,
            "/api/v1/reconciliation/remittances",
            Some(&a.token),
            Some(json!({"format": "240"})),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "boleto.mode");
        cnab_mode(&a).await;
        let r = call(
            &a,
            Method::POST,
            "/api/v1/reconciliation/remittances",
            Some(&a.token),
            Some(json!({"format": "999"})),
        )
        .await;
        assert_problem(&r, 422);
        assert_eq!(r.field(), "format");

        let r = call(
            &a,
            Method::POST,
            "/api/v1/reconciliation/remittances",
            Some(&a.token),
            Some(json!({"format": "240"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["kind"], "remessa");
        let id = r.body["id"].as_i64().unwrap();
        let req = Request::get(format!("/api/v1/reconciliation/remittances/{id}"))
            .header("authorization", format!("Bearer {}", a.token))
            .body(Body::empty())
            .unwrap();
        let file = send(&a.router, req).await;
        assert_eq!(file.status, StatusCode::OK);
        assert!(
            file.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("remessa-001-")
        );
        let t = titles(&file.body);
        assert_eq!(t.len() as i64, r.body["titles"].as_i64().unwrap());
        assert!(!t.is_empty());

        let mut lines: Vec<simulate::Title> = t.iter().map(|(nn, v)| paid(nn, *v)).collect();
        lines.push(paid("12345670009999999", 4_200));
        let ret = simulate::return_240(
            Bank::BancoDoBrasil,
            3,
            jiff::civil::date(2026, 3, 21),
            &lines,
        )
        .unwrap();
        let r = upload(&a, "ret-3.ret", &ret).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["duplicate"], false);
        assert_eq!(r.body["file"]["settled"].as_i64().unwrap(), t.len() as i64);
        assert_eq!(r.body["file"]["unmatched"], 1);
        let file_id = r.body["file"]["id"].as_i64().unwrap();
        // Twice: the first upload, nothing done.
        let again = upload(&a, "copy.ret", &ret).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.body["duplicate"], true);
        assert_eq!(again.body["file"]["id"], file_id);
        // A malformed file: the line and columns named.
        let bad = ret.replacen("\r\n", "\r\nX", 1);
        let r = upload(&a, "bad.ret", &bad).await;
        assert_problem(&r, 422);
        assert!(r.body.to_string().contains("line 2"), "{}", r.body);

        let r = call(
            &a,
            Method::GET,
            &format!("/api/v1/reconciliation/files/{file_id}?outcome=unmatched"),
            Some(&a.token),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["entries"].as_array().unwrap().len(), 1);
        let req = Request::get(format!("/api/v1/reconciliation/files/{file_id}/report.csv"))
            .header("authorization", format!("Bearer {}", a.token))
            .body(Body::empty())
            .unwrap();
        let csv = send(&a.router, req).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.body.starts_with("line,nosso_numero"));
        assert_eq!(csv.body.lines().count(), t.len() + 2);
        let r = call(
            &a,
            Method::GET,
            "/api/v1/reconciliation/files?kind=retorno",
            Some(&a.token),
            None,
        )
        .await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);

        // The queue, assigned to Ana.
        let r = call(
            &a,
            Method::GET,
            "/api/v1/unmatched-payments?status=open",
            Some(&a.token),
            None,
        )
        .await;
        let queue = r.body["data"].as_array().unwrap().clone();
        assert_eq!(queue.len(), 1);
        assert_eq!(queue[0]["amount"], 4_200);
        let uid = queue[0]["id"].as_i64().unwrap();
        let r = call(
            &a,
            Method::POST,
            &format!("/api/v1/unmatched-payments/{uid}/assign"),
            Some(&a.token),
            Some(json!({"customer_id": f.ana, "note": "old boleto"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["entry"]["status"], "assigned");
        assert_eq!(r.body["payment"]["amount"], 4_200);
        assert_eq!(r.body["payment"]["method"], "boleto");
        let r = call(
            &a,
            Method::POST,
            &format!("/api/v1/unmatched-payments/{uid}/dismiss"),
            Some(&a.token),
            Some(json!({"note": "x"})),
        )
        .await;
        assert_problem(&r, 422);
    })
    .await;
}

#[tokio::test]
async fn reconciliation_pages_generate_upload_and_resolve() {
    each_engine(|db| async move {
        let a = app(db).await;
        fixture(&a).await;
        bill(&a).await;
        cnab_mode(&a).await;
        let admin = a.browser("admin").await;
        let list = admin.get("/payments/reconciliation").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(list.body.contains("Generate remittance"));
        assert!(list.body.contains("enctype=\"multipart/form-data\""));

        let r = admin.post("/payments/reconciliation/remittances", &[("format", "240")]).await;
        assert_redirect(&r, "/payments/reconciliation/");
        let show = admin.get(r.location()).await;
        assert_eq!(show.status, StatusCode::OK);
        assert!(show.body.contains("Remittance generated"), "{}", show.body);
        let id = r.location().trim_start_matches("/payments/reconciliation/").split('?').next().unwrap().to_owned();
        let dl = admin.get(&format!("/payments/reconciliation/{id}/download")).await;
        assert_eq!(dl.status, StatusCode::OK);
        let t = titles(&dl.body);
        assert!(!t.is_empty());

        // The return, uploaded as a browser does.
        let ret = simulate::return_240(
            Bank::BancoDoBrasil,
            1,
            jiff::civil::date(2026, 3, 21),
            &[paid(&t[0].0, t[0].1), paid("12345670008888888", 1_000)],
        )
        .unwrap();
        let multipart = |csrf: &str| {
            let body = format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"CBR0001.ret\"\r\nContent-Type: application/octet-stream\r\n\r\n{ret}\r\n--XyZ--\r\n"
            );
            Request::post(format!("/payments/reconciliation/upload?_csrf={csrf}"))
                .header("cookie", &admin.cookie)
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .body(Body::from(body))
                .unwrap()
        };
        // Without the CSRF token: refused.
        let r = send(&a.router, multipart("wrong")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = send(&a.router, multipart(CSRF)).await;
        assert_redirect(&r, "/payments/reconciliation/");
        let page = admin.get(r.location()).await;
        assert!(page.body.contains("Return file processed"), "{}", page.body);
        assert!(page.body.contains("CBR0001.ret"));
        assert!(page.body.contains("Unmatched"));
        let r = send(&a.router, multipart(CSRF)).await;
        let page = admin.get(r.location()).await;
        assert!(page.body.contains("processed before"), "{}", page.body);

        // The queue page: dismissed with a reason.
        let q = admin.get("/payments/unmatched").await;
        assert_eq!(q.status, StatusCode::OK);
        assert!(q.body.contains("12345670008888888"));
        let (queue, _) = services::payments::recon::unmatched::list(&a.svc, &cli_caller(), Some("open"), None, 10).await.unwrap();
        let uid = queue[0].id;
        let r = admin.post(&format!("/payments/unmatched/{uid}/dismiss"), &[("note", "")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = admin.post(&format!("/payments/unmatched/{uid}/dismiss"), &[("note", "bank test line")]).await;
        assert_redirect(&r, "/payments/unmatched");
        let q = admin.get("/payments/unmatched?status=dismissed").await;
        assert!(q.body.contains("bank test line"));

        // In Portuguese too.
        a.user("maria", "admin", Some("pt-BR")).await;
        let pt = a.browser("maria").await;
        let page = pt.get("/payments/reconciliation").await;
        assert!(page.body.contains("Arquivos de boleto"), "{}", page.body);
        assert!(page.body.contains("Gerar remessa"));
        let q = pt.get("/payments/unmatched?status=dismissed").await;
        assert!(q.body.contains("Descartado"));
    })
    .await;
}
