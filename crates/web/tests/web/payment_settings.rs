//! Settings → Payments: one page per gateway, secrets (client secrets,
//! private keys) stored encrypted and never shown back, addresses and PEM
//! text checked naming the field.

use crate::common;
use axum::http::{Method, StatusCode};
use store::testing::each_engine;

const KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAtopsecretkeymaterialxxxxxxxxxxxxxxxxxx\n-----END PRIVATE KEY-----";
const CERT_PEM: &str =
    "-----BEGIN CERTIFICATE-----\nMIIBcertificatepublicpartxxxxxxxxxx\n-----END CERTIFICATE-----";

async fn stored(db: &store::Db, key: &str) -> String {
    let mut c = db.conn().await.unwrap();
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

#[tokio::test]
async fn gateway_settings_pages_keep_secrets_encrypted_and_name_bad_fields() {
    each_engine(|db| async move {
        let app = common::app(db).await;
        app.user("finance", "finance", None).await;
        let admin = app.browser("admin").await;

        for g in ["pix", "boleto", "stripe", "paypal"] {
            let p = admin.get(&format!("/settings/{g}")).await;
            assert_eq!(p.status, StatusCode::OK, "{g}: {}", p.body);
            assert!(p.body.contains(">Payments</a>"), "{g}: the payments tab");
        }

        // A bad address and a broken PEM are refused, naming the fields;
        // the private key typed is not echoed back.
        let bad = [
            ("pix.mode", "api"),
            ("pix.api_url", "ftp://psp.example"),
            (
                "pix.private_key",
                "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----",
            ),
            ("pix.charge", "cobv"),
            ("pix.expiry_hours", "72"),
            ("pix.sweep_minutes", "10"),
        ];
        let p = admin.request(Method::POST, "/settings/pix", &bad).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
        assert!(p.body.contains("API address"), "{}", p.body);
        assert!(p.body.contains("http:// or https://"), "{}", p.body);
        assert!(
            !p.body.contains("not base64!"),
            "a secret is never sent back"
        );

        let good = [
            ("pix.mode", "api"),
            ("pix.key", "12345678000190"),
            ("pix.merchant_name", "Provedor Teste"),
            ("pix.merchant_city", "Sao Paulo"),
            ("pix.api_url", "https://psp.example/api/v2/"),
            ("pix.oauth_url", "https://psp.example/oauth/token"),
            ("pix.client_id", "client-1"),
            ("pix.client_secret", "very-secret-value"),
            ("pix.certificate", CERT_PEM),
            ("pix.private_key", KEY_PEM),
            ("pix.psp_ca", ""),
            ("pix.charge", "cobv"),
            ("pix.expiry_hours", "72"),
            ("pix.sweep_minutes", "10"),
        ];
        let p = admin.request(Method::POST, "/settings/pix", &good).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

        // Encrypted at rest; the certificate (public) is shown, the key is not.
        for key in ["pix.private_key", "pix.client_secret"] {
            let raw = stored(&app.db, key).await;
            assert!(raw.starts_with("enc1:"), "{key} encrypted at rest: {raw}");
        }
        assert_eq!(
            stored(&app.db, "pix.api_url").await,
            "https://psp.example/api/v2"
        );
        let p = admin.get("/settings/pix").await;
        assert!(p.body.contains("MIIBcertificatepublicpart"));
        assert!(!p.body.contains("topsecretkeymaterial"));
        assert!(!p.body.contains("very-secret-value"));

        // Saving again with the secrets left empty keeps them.
        let keep: Vec<(&str, &str)> = good
            .iter()
            .map(|&(k, v)| {
                if k == "pix.private_key" || k == "pix.client_secret" {
                    (k, "")
                } else {
                    (k, v)
                }
            })
            .collect();
        let p = admin.request(Method::POST, "/settings/pix", &keep).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let s = services::system::settings::current(&app.svc).await.unwrap();
        assert_eq!(
            s.secret(&app.svc, "pix.private_key").unwrap().trim(),
            KEY_PEM
        );

        // Staff without settings.manage see the page but cannot save.
        let finance = app.browser("finance").await;
        let p = finance.get("/settings/stripe").await;
        if p.status == StatusCode::OK {
            assert!(p.body.contains("<fieldset disabled>"), "{}", p.body);
        }
        let p = finance
            .request(
                Method::POST,
                "/settings/stripe",
                &[("stripe.enabled", "true")],
            )
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
    })
    .await;
}
