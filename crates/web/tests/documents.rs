//! Document downloads are permission-checked and served as attachments,
//! through the API, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use services::Services;
use services::crm::{Created, CustomerInput};
use services::secrets::SecretBox;
use services::setup::SetupInput;
use store::audit::Actor;
use store::testing::each_engine;
use tower::ServiceExt;
use web::{AppState, WebConfig};

fn cli() -> Actor {
    Actor {
        kind: "cli",
        id: None,
        name: "test".into(),
        source_ip: None,
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-rest";

async fn send(
    router: &Router,
    method: Method,
    uri: &str,
    token: &str,
    body: &[u8],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(Body::from(body.to_vec()))
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

#[tokio::test]
async fn downloads_need_the_documents_permission_and_are_attachments() {
    each_engine(|db| async move {
        let dir = std::env::temp_dir().join("lastmile-tests");
        let svc = Services::new(db, SecretBox::from_key(&[7; 32]), dir);
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
            admin_password: "correct horse battery".into(),
            logo: None,
        };
        let admin = services::setup::run(&svc, &input, None).await.unwrap();
        let (_, all) = services::tokens::create(&svc, &cli(), admin, "all", "all")
            .await
            .unwrap();
        let (_, view) = services::tokens::create(&svc, &cli(), admin, "view", "customers.view")
            .await
            .unwrap();
        let customer = CustomerInput {
            kind: "person".into(),
            name: "João da Silva".into(),
            document: "529.982.247-25".into(),
            ..Default::default()
        };
        let Created::Customer(c) = services::crm::create_customer(&svc, &cli(), &customer)
            .await
            .unwrap()
        else {
            panic!("duplicate")
        };
        let router = web::router(AppState::new(svc.clone(), WebConfig::default()));

        let base = format!("/api/v1/customers/{c}/documents");
        let (st, _, body) = send(
            &router,
            Method::POST,
            &format!("{base}?kind=identity&filename=rg.png"),
            &all,
            PNG,
        )
        .await;
        assert_eq!(
            st,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["content_type"], "image/png");
        assert_eq!(doc["status"], "pending");
        let id = doc["id"].as_i64().unwrap();

        // Content decides the type, and the problem names the field.
        let (st, _, body) = send(
            &router,
            Method::POST,
            &format!("{base}?kind=identity&filename=x.png"),
            &all,
            b"<html>",
        )
        .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        let p: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(p["errors"][0]["field"], "file", "{p}");

        // Without customers.documents: refused, listing included.
        let (st, _, _) = send(&router, Method::GET, &format!("{base}/{id}"), &view, b"").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _, _) = send(&router, Method::GET, &base, &view, b"").await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // With it: the bytes, as an attachment, never sniffed or cached.
        let (st, h, body) = send(&router, Method::GET, &format!("{base}/{id}"), &all, b"").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body, PNG);
        assert_eq!(h["content-type"], "image/png");
        let cd = h["content-disposition"].to_str().unwrap();
        assert!(
            cd.starts_with("attachment;") && cd.contains("rg.png"),
            "{cd}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["cache-control"], "private, no-store");

        let (st, _, body) = send(
            &router,
            Method::POST,
            &format!("{base}/{id}/verify"),
            &all,
            b"",
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], "verified");
        assert_eq!(v["verified_by"], "admin");

        // The browser download route refuses without a session.
        let req = Request::builder()
            .uri(format!("/customers/{c}/documents/{id}"))
            .body(Body::empty())
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        assert!(
            resp.status().is_redirection() || resp.status() == StatusCode::UNAUTHORIZED,
            "{}",
            resp.status()
        );

        let req = Request::builder()
            .uri("/api/v1/openapi.json")
            .body(Body::empty())
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        let spec = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let spec = String::from_utf8_lossy(&spec);
        assert!(spec.contains("/api/v1/customers/{id}/documents/{doc}"));
        assert!(spec.contains("/api/v1/contracts/{id}/contract.pdf"));
    })
    .await;
}
