//! The network pages on SQLite and PostgreSQL: every list and form renders
//! in both languages once the demo's network data is there, a form refuses
//! bad input naming the field, a pool's page takes and releases an
//! address, and a viewer sees no form to submit.

use crate::common::{App, app, assert_redirect};
use axum::http::StatusCode;
use store::testing::each_engine;

async fn seeded(app: &App) {
    services::network::demo::seed(&app.svc, &[], 0)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_network_page_renders_and_forms_name_the_field() {
    each_engine(|db| async move {
        let app = app(db).await;
        seeded(&app).await;
        let admin = app.browser("admin").await;
        for uri in [
            "/network/sites",
            "/network/sites/new",
            "/network/sites/1",
            "/network/devices",
            "/network/devices/new",
            "/network/devices/1",
            "/network/links",
            "/network/links/new",
            "/network/links/1",
            "/network/prefixes",
            "/network/prefixes/new",
            "/network/prefixes/1",
            "/network/pools",
            "/network/pools/new",
            "/network/pools/3",
            "/network/sites?q=torre&kind=tower",
        ] {
            let p = admin.get(uri).await;
            assert_eq!(p.status, StatusCode::OK, "{uri}");
            assert!(!p.body.contains("network-"), "{uri}: an untranslated key");
        }
        let pools = admin.get("/network/pools").await;
        assert!(pools.body.contains("<meter") && pools.body.contains("ip-fixo"));
        // Bad input: named, nothing written.
        let r = admin
            .post(
                "/network/pools/new",
                &[
                    ("prefix_id", "2"),
                    ("cidr", "203.0.113.0/25"),
                    ("kind", "static"),
                    ("name", "x"),
                    ("purpose", "customers"),
                    ("warn_percent", "80"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Overlaps another pool"), "{}", r.body);
        // Reserve the next free address of the static pool, then release it.
        let r = admin
            .post(
                "/network/pools/3/take",
                &[("contract", ""), ("address", ""), ("note", "switch")],
            )
            .await;
        assert_redirect(&r, "/network/pools/3");
        let page = admin.get("/network/pools/3").await;
        assert!(page.body.contains("203.0.113.2"), "{}", page.body);
        // Portuguese.
        app.user("ana", "admin", Some("pt-BR")).await;
        let pt = app.browser("ana").await;
        let p = pt.get("/network/devices").await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("Equipamentos"));
        // Support may look (network.view) but gets no form to submit.
        app.user("sam", "support", None).await;
        let viewer = app.browser("sam").await;
        let p = viewer.get("/network/sites/1").await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("<fieldset disabled>"));
        let r = viewer
            .post(
                "/network/sites/new",
                &[("name", "Y"), ("kind", "tower"), ("status", "active")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    })
    .await;
}
