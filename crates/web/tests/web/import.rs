//! The CSV import page: upload, dry-run report, confirmation of exactly the
//! checked file; on SQLite and on PostgreSQL.

use crate::common::{self, CSRF, Page, cli_caller, send};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use services::Services;
use store::testing::each_engine;

/// A pt-BR installation, its services and the admin's browser cookies.
async fn app(db: store::Db) -> (Router, Services, String) {
    let app = common::app_in(db, "pt-BR").await;
    let cookie = app.browser("admin").await.cookie;
    (app.router, app.svc, cookie)
}

fn upload(cookie: &str, kind: &str, file: &str) -> Request<Body> {
    let b = "XyZbOuNdArY";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{b}--\r\n"
    );
    Request::post(format!("/customers/import?_csrf={CSRF}"))
        .header("cookie", cookie)
        .header("content-type", format!("multipart/form-data; boundary={b}"))
        .body(Body::from(body))
        .unwrap()
}

fn confirm(cookie: &str, kind: &str, sha: &str) -> Request<Body> {
    Request::post("/customers/import/confirm")
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("_csrf={CSRF}&kind={kind}&sha256={sha}")))
        .unwrap()
}

async fn count(svc: &Services) -> i64 {
    let mut c = svc.db.conn().await.unwrap();
    store::crm::customers::count(&mut c).await.unwrap()
}

#[tokio::test]
async fn import_page_checks_then_imports_the_checked_file() {
    each_engine(|db| async move {
        let (router, svc, cookie) = app(db).await;
        let Page { status, body, .. } = send(
            &router,
            Request::get("/customers/import")
                .header("cookie", &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Importar clientes e contratos"), "{body}");

        // A file with bad rows: each listed, translated, no confirm button.
        let bad = "nome;cpf_cnpj;email\nAna;529.982.247-24;ana@example.com\nBia;390.533.447-05;bia@\n";
        let Page { status, body, .. } = send(&router, upload(&cookie, "customers", bad)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Informe um CPF válido") || body.contains("CPF"), "{body}");
        assert!(body.contains("<code>document</code>"));
        assert!(body.contains("<code>emails</code>"));
        assert!(!body.contains("/customers/import/confirm"));

        // A clean file: the report offers "Import" for its hash.
        let good = "nome;cpf_cnpj;email\nAna;529.982.247-25;ana@example.com\nBia;390.533.447-05;bia@example.com\n";
        let sha = services::crm::import::sha256(good.as_bytes());
        let Page { status, body, .. } = send(&router, upload(&cookie, "customers", good)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&sha), "{body}");
        assert!(body.contains("/customers/import/confirm"));
        assert_eq!(count(&svc).await, 0);

        // A hash that was never checked is refused; the checked one imports.
        let other = "0".repeat(64);
        let status = send(&router, confirm(&cookie, "customers", &other)).await.status;
        assert_eq!(status, StatusCode::GONE);
        let r = send(&router, confirm(&cookie, "customers", &sha)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/customers/import?ok=imported&n=2");
        assert_eq!(count(&svc).await, 2);
        // Confirming twice does not import twice.
        let status = send(&router, confirm(&cookie, "customers", &sha)).await.status;
        assert_eq!(status, StatusCode::GONE);
        assert_eq!(count(&svc).await, 2);

        // Without the CSRF token nothing is checked.
        let mut req = upload(&cookie, "customers", good);
        *req.uri_mut() = "/customers/import".parse().unwrap();
        let status = send(&router, req).await.status;
        assert_eq!(status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn import_page_checks_custom_fields() {
    each_engine(|db| async move {
        let (router, svc, cookie) = app(db).await;
        services::crm::custom_fields::create(
            &svc,
            &cli_caller(),
            &services::crm::custom_fields::DefInput {
                key: "periodo".into(),
                label: "Período de instalação".into(),
                kind: "choice".into(),
                choices: vec!["manhã".into(), "tarde".into()],
                required: true,
                position: 0,
            },
        )
        .await
        .unwrap();

        // The column is missing: one header problem names the field.
        let without = "nome;cpf_cnpj\nAna;529.982.247-25\n";
        let Page { status, body, .. } = send(&router, upload(&cookie, "customers", without)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains("<code>custom_fields.periodo</code>"),
            "{body}"
        );
        assert!(body.contains("Falta uma coluna obrigatória"), "{body}");
        assert!(!body.contains("/customers/import/confirm"));

        // Present by its label: an empty and a wrong value, each on its line.
        let bad =
            "nome;cpf_cnpj;Período de instalação\nAna;529.982.247-25;\nBia;390.533.447-05;noite\n";
        let body = send(&router, upload(&cookie, "customers", bad)).await.body;
        let rows: Vec<&str> = body
            .split("<tr><td class=\"mono\">")
            .skip(1)
            .map(|r| r.split("</tr>").next().unwrap())
            .collect();
        assert_eq!(rows.len(), 2, "{body}");
        assert!(rows[0].starts_with("2<") && rows[0].contains("custom_fields.periodo"));
        assert!(rows[0].contains("Campo obrigatório"), "{}", rows[0]);
        assert!(rows[1].starts_with("3<") && rows[1].contains("custom_fields.periodo"));
        assert!(rows[1].contains("Escolha uma das opções"), "{}", rows[1]);
        assert!(!body.contains("/customers/import/confirm"));

        // A clean file imports the values.
        let good = "nome;cpf_cnpj;periodo\nAna;529.982.247-25;tarde\n";
        let sha = services::crm::import::sha256(good.as_bytes());
        let body = send(&router, upload(&cookie, "customers", good)).await.body;
        assert!(body.contains(&sha), "{body}");
        let status = send(&router, confirm(&cookie, "customers", &sha))
            .await
            .status;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let hits = services::crm::search(&svc, &cli_caller(), "52998224725", 1)
            .await
            .unwrap();
        assert_eq!(hits[0].customer.custom_fields["periodo"], "tarde");
    })
    .await;
}
