//! The Pix webhook listener end to end: the fake PSP pays a charge and
//! POSTs the notification over mutual TLS to the dedicated listener, which
//! confirms it with the PSP and marks the invoice paid; clients without a
//! certificate from the PSP's CA (setting `pix.psp_ca`) never get past the
//! TLS handshake.

use std::collections::BTreeMap;
use std::time::Duration;

use domain::system::settings as keys;
use gateways::fake::pix::{Certs, FakePix};
use gateways::pix::PixClient;
use services::payments::gateways::pix;
use store::testing::each_engine;

use crate::billing;
use crate::common::{self, cli_caller};

async fn post_without_psp_certificate(url: &str, ca: &str, identity: Option<(String, String)>) {
    let client = gateways::http::Client::new(&gateways::http::Config {
        base_url: format!("{url}/api/v1/webhooks/pix/"),
        timeout: Duration::from_secs(5),
        attempts: 1,
        extra_roots_pem: vec![ca.to_owned()],
        identity_pem: identity,
    })
    .unwrap();
    let r = client
        .send(gateways::http::Request::post("pix").json(&serde_json::json!({ "pix": [] })))
        .await;
    let e = r.expect_err("the handshake must fail");
    assert_eq!(e.status(), None, "no HTTP answer at all: {e}");
}

#[tokio::test]
async fn the_psp_notifies_over_mutual_tls_and_the_invoice_is_paid() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let a = common::app(db).await;
        billing::fixture(&a).await;
        billing::bill(&a).await;
        let values: BTreeMap<String, String> = [
            (keys::PIX_MODE, "api"),
            (keys::PIX_KEY, fake.chave.as_str()),
            (keys::PIX_API_URL, fake.base_url.as_str()),
            (keys::PIX_OAUTH_URL, fake.oauth_url.as_str()),
            (keys::PIX_CLIENT_ID, fake.client_id.as_str()),
            (keys::PIX_CLIENT_SECRET, fake.client_secret.as_str()),
            (keys::PIX_CERTIFICATE, fake.certs.client_cert_pem.as_str()),
            (keys::PIX_PRIVATE_KEY, fake.certs.client_key_pem.as_str()),
            (keys::PIX_PSP_CA, fake.certs.ca_pem.as_str()),
            (keys::PIX_CHARGE, "cob"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        services::system::settings::update(&a.svc, &cli_caller(), &values)
            .await
            .unwrap();

        // The listener, with a server certificate the PSP trusts.
        let (cert, key) = fake.certs.issue_server(&["127.0.0.1"]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = web::pix_webhook::serve(a.svc.clone(), listener, &cert, &key).unwrap();
        let url = format!("https://{addr}");
        PixClient::new(fake.config())
            .unwrap()
            .put_webhook(&fake.chave, &format!("{url}/api/v1/webhooks/pix"))
            .await
            .unwrap();

        let note = pix::charges_job(&a.svc).await.unwrap();
        assert!(note.starts_with("4 Pix charges created"), "{note}");
        let mut c = a.db.conn().await.unwrap();
        let charge = store::payments::charges::open_at(&mut c, "psp", 1)
            .await
            .unwrap()
            .remove(0);
        drop(c);
        fake.pay(&charge.external_id, charge.amount).await.unwrap();
        let deliveries = fake.deliveries();
        assert_eq!(deliveries.len(), 1);
        assert_eq!(
            deliveries[0].url,
            format!("{url}{}", web::pix_webhook::PATH)
        );
        assert_eq!(deliveries[0].result, Ok(200), "{deliveries:?}");
        let mut c = a.db.conn().await.unwrap();
        let paid = store::payments::charges::get(&mut c, charge.id)
            .await
            .unwrap();
        assert_eq!(paid.status, "paid");
        let inv = store::payments::invoice_amounts(&mut c, charge.invoice_id)
            .await
            .unwrap();
        assert_eq!(inv.open(), 0);
        drop(c);

        // No client certificate, or one from another CA: no HTTP at all.
        post_without_psp_certificate(&url, &fake.certs.ca_pem, None).await;
        let stranger = Certs::generate();
        let (sc, sk) = stranger.issue_client("fake-pix-psp");
        post_without_psp_certificate(&url, &fake.certs.ca_pem, Some((sc, sk))).await;

        // The invoice page lists its charge, paid, with its Pix code.
        let admin = a.browser("admin").await;
        let page = admin
            .get(&format!("/billing/invoices/{}", charge.invoice_id))
            .await;
        assert_eq!(page.status, axum::http::StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Charges at gateways"), "{}", page.body);
        assert!(page.body.contains("Pix (PSP)"), "{}", page.body);
        assert!(page.body.contains(">Paid<"), "{}", page.body);
        // "Test connection" signs in to the PSP with the saved settings.
        let page = admin.post("/settings/pix/test", &[]).await;
        assert_eq!(page.status, axum::http::StatusCode::OK, "{}", page.body);
        assert!(
            page.body
                .contains("The provider accepted the saved credentials."),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("Pix received in the last minute"),
            "{}",
            page.body
        );
        let page = admin.post("/settings/boleto/test", &[]).await;
        assert!(page.body.contains("This method is off"), "{}", page.body);
        task.abort();
    })
    .await;
}
