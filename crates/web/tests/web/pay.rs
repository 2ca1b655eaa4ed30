//! The public payment page and the webhook endpoints, on SQLite and
//! PostgreSQL: the page renders for an open invoice without a session,
//! shows "paid" once Stripe's signed webhook arrives at
//! `/api/v1/webhooks/stripe`, sends "Pay by card" on to Stripe, answers 404
//! with no detail for an id it does not know, and refuses a badly signed
//! webhook with 400.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use domain::system::settings as keys;
use gateways::fake::stripe::{self as fake_stripe, FakeStripe};
use gateways::stripe::webhook;

use crate::billing::{bill, fixture};
use crate::common::{App, CSRF, app, form, send};
use store::testing::each_engine;

async fn with_stripe(a: &App, fake: &FakeStripe) {
    let values: BTreeMap<String, String> = [
        (keys::STRIPE_ENABLED, "true".to_owned()),
        (keys::STRIPE_API_URL, fake.url()),
        (keys::STRIPE_SECRET_KEY, fake_stripe::SECRET_KEY.to_owned()),
        (
            keys::STRIPE_WEBHOOK_SECRET,
            fake_stripe::WEBHOOK_SECRET.to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    services::system::settings::update(&a.svc, &crate::common::console(), &values)
        .await
        .unwrap();
}

async fn get(a: &App, uri: &str, lang: &str) -> crate::common::Page {
    let req = Request::get(uri)
        .header("accept-language", lang)
        .body(Body::empty())
        .unwrap();
    send(&a.router, req).await
}

async fn webhook_post(a: &App, body: &str, sig: &str) -> StatusCode {
    let req = Request::post("/api/v1/webhooks/stripe")
        .header("content-type", "application/json")
        .header("stripe-signature", sig)
        .body(Body::from(body.to_owned()))
        .unwrap();
    send(&a.router, req).await.status
}

#[tokio::test]
async fn the_payment_page_takes_a_card_and_shows_paid() {
    each_engine(|db| async move {
        let a = app(db).await;
        let f = fixture(&a).await;
        bill(&a).await;
        let fake = FakeStripe::start().await;
        with_stripe(&a, &fake).await;
        let public_id: String = {
            let mut c = a.db.conn().await.unwrap();
            sqlx::query_scalar(
                "SELECT public_id FROM invoices WHERE customer_id = $1 AND kind = 'invoice'
                 ORDER BY id LIMIT 1",
            )
            .bind(f.ana)
            .fetch_one(&mut *c)
            .await
            .unwrap()
        };
        let uri = format!("/pay/{public_id}");

        // Open, without a session, in the visitor's language.
        let page = get(&a, &uri, "en").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Provedor Teste"));
        assert!(page.body.contains("Pay by card"));
        assert!(page.body.contains("data-refresh"));
        assert!(!page.body.contains("This invoice is paid"));
        let pt = get(&a, &uri, "pt-BR,pt;q=0.9").await;
        assert!(pt.body.contains("Pagar com cartão"), "{}", pt.body);
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("form-action 'self' https:"), "{csp}");
        let status = get(&a, &format!("{uri}/status"), "en").await;
        assert!(status.body.contains("\"open\":9990"), "{}", status.body);

        // Unknown ids: a bare 404.
        for bad in [
            "/pay/AAAAAAAAAAAAAAAAAAAAAA",
            "/pay/x/status",
            "/pay/%27%20OR%201=1",
        ] {
            let r = get(&a, bad, "en").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
            assert!(!r.body.contains("Provedor"), "{bad}");
        }

        // "Pay by card" goes to Stripe's Checkout page.
        let req = Request::post(format!("{uri}/card"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", format!("lm_csrf={CSRF}"))
            .body(Body::from(form(&[])))
            .unwrap();
        let r = send(&a.router, req).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let to = r.location().to_owned();
        assert!(to.starts_with(&fake.url()), "{to}");
        let session = to.rsplit('/').next().unwrap().to_owned();
        fake.complete_checkout(&session).await.unwrap();

        // A badly signed delivery: 401, nothing recorded.
        let events = fake.events();
        let body = serde_json::to_string(&events[0]).unwrap();
        let now = jiff::Timestamp::now().as_second();
        let forged = webhook::sign(body.as_bytes(), "whsec_not_ours", now);
        assert_eq!(
            webhook_post(&a, &body, &forged).await,
            StatusCode::UNAUTHORIZED
        );
        assert!(
            !get(&a, &uri, "en")
                .await
                .body
                .contains("This invoice is paid")
        );

        // Stripe's signed events: the page shows paid; a second delivery is 200.
        for event in &events {
            let body = serde_json::to_string(event).unwrap();
            let sig = webhook::sign(body.as_bytes(), fake_stripe::WEBHOOK_SECRET, now);
            assert_eq!(webhook_post(&a, &body, &sig).await, StatusCode::OK);
            assert_eq!(webhook_post(&a, &body, &sig).await, StatusCode::OK);
        }
        let page = get(&a, &uri, "en").await;
        assert!(page.body.contains("This invoice is paid"), "{}", page.body);
        assert!(!page.body.contains("Pay by card"));
        let status = get(&a, &format!("{uri}/status"), "en").await;
        assert!(
            status.body.contains("\"status\":\"paid\""),
            "{}",
            status.body
        );
        let done = get(&a, &format!("{uri}/done"), "en").await;
        assert!(done.body.contains("This invoice is paid"), "{}", done.body);
        let payments: i64 = {
            let mut c = a.db.conn().await.unwrap();
            sqlx::query_scalar("SELECT COUNT(*) FROM payments WHERE customer_id = $1")
                .bind(f.ana)
                .fetch_one(&mut *c)
                .await
                .unwrap()
        };
        assert_eq!(payments, 1);
    })
    .await;
}
