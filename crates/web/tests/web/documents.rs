//! Document downloads are permission-checked and served as attachments,
//! through the API, on SQLite and PostgreSQL.

use crate::common::{self, App, Page, app, cli_caller, console};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use services::crm::{Created, CustomerInput};
use store::testing::each_engine;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-rest";

/// An API call with a raw body.
async fn send(router: &Router, method: Method, uri: &str, token: &str, body: &[u8]) -> Page {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(Body::from(body.to_vec()))
        .unwrap();
    common::send(router, req).await
}

#[tokio::test]
async fn downloads_need_the_documents_permission_and_are_attachments() {
    each_engine(|db| async move {
        let App {
            router,
            svc,
            admin_id: admin,
            token: all,
            ..
        } = app(db).await;
        let (_, view) =
            services::staff::tokens::create(&svc, &console(), admin, "view", "customers.view")
                .await
                .unwrap();
        let customer = CustomerInput {
            kind: "person".into(),
            name: "João da Silva".into(),
            document: "529.982.247-25".into(),
            ..Default::default()
        };
        let Created::Customer(c) = services::crm::create_customer(&svc, &cli_caller(), &customer)
            .await
            .unwrap()
        else {
            panic!("duplicate")
        };
        let c = c.id;

        let base = format!("/api/v1/customers/{c}/documents");
        let Page {
            status: st,
            bytes: body,
            ..
        } = send(
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
        let Page {
            status: st,
            bytes: body,
            ..
        } = send(
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
        let Page { status: st, .. } =
            send(&router, Method::GET, &format!("{base}/{id}"), &view, b"").await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let Page { status: st, .. } = send(&router, Method::GET, &base, &view, b"").await;
        assert_eq!(st, StatusCode::FORBIDDEN);

        // With it: the bytes, as an attachment, never sniffed or cached.
        let Page {
            status: st,
            headers: h,
            bytes: body,
            ..
        } = send(&router, Method::GET, &format!("{base}/{id}"), &all, b"").await;
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

        let Page {
            status: st,
            bytes: body,
            ..
        } = send(
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
        let status = common::send(&router, req).await.status;
        assert!(
            status.is_redirection() || status == StatusCode::UNAUTHORIZED,
            "{status}"
        );

        let req = Request::builder()
            .uri("/api/v1/openapi.json")
            .body(Body::empty())
            .unwrap();
        let spec = common::send(&router, req).await.body;
        assert!(spec.contains("/api/v1/customers/{id}/documents/{doc}"));
        assert!(spec.contains("/api/v1/contracts/{id}/contract.pdf"));
    })
    .await;
}
