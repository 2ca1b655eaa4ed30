//! Charges at gateways as staff and API clients see them, on SQLite and
//! PostgreSQL against the Pix fake: the list and a charge's page, cancel
//! (confirmed, refused to who may only read) and re-create, the API's
//! charges operations; Pix Automático from the contract page through the
//! mutual-TLS listener to an invoice paid by a recurring charge.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use domain::system::settings as keys;
use gateways::fake::pix::FakePix;
use gateways::pix::PixClient;
use serde_json::json;
use services::payments::gateways::pix;
use store::testing::each_engine;

use crate::billing;
use crate::common::{self, App, assert_problem, assert_redirect, call, cli_caller};

async fn pix_api(a: &App, fake: &FakePix) {
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
}

async fn open_charges(a: &App) -> Vec<store::payments::charges::Charge> {
    let mut c = a.db.conn().await.unwrap();
    store::payments::charges::open_at(&mut c, "psp", 100)
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_see_cancel_and_recreate_charges_on_pages_and_through_the_api() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let a = common::app(db).await;
        billing::fixture(&a).await;
        billing::bill(&a).await;
        pix_api(&a, &fake).await;
        pix::charges_job(&a.svc).await.unwrap();
        let all = open_charges(&a).await;
        assert_eq!(all.len(), 4);
        let c = &all[0];
        a.user("sam", "support", None).await;
        let admin = a.browser("admin").await;
        let support = a.browser("sam").await;

        // The list, its filters (a bad one named), and a charge's page.
        let page = admin.get("/payments/charges").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(&c.external_id), "{}", page.body);
        assert!(page.body.contains("Pix (PSP)"), "{}", page.body);
        let page = admin
            .get(&format!("/payments/charges?q={}", c.external_id))
            .await;
        assert_eq!(page.body.matches("/payments/charges/").count(), 1);
        let page = admin.get("/payments/charges?from=yesterday").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        let show = format!("/payments/charges/{}", c.id);
        let page = admin.get(&show).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Cancel charge"), "{}", page.body);
        assert!(page.body.contains("Gateway history"), "{}", page.body);

        // Support reads but may not act.
        assert_eq!(support.get(&show).await.status, StatusCode::OK);
        let r = support
            .post(
                &format!("{show}/cancel"),
                &[("reason", "x"), ("confirm", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Unconfirmed: named; confirmed: canceled at the PSP and here.
        let r = admin
            .post(&format!("{show}/cancel"), &[("reason", "Wrong amount")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = admin
            .post(
                &format!("{show}/cancel"),
                &[("reason", "Wrong amount"), ("confirm", "1")],
            )
            .await;
        assert_redirect(&r, &format!("{show}?ok=charge-canceled"));
        let page = admin.get(&format!("{show}?ok=charge-canceled")).await;
        assert!(page.body.contains("Charge canceled."), "{}", page.body);
        assert!(page.body.contains("Create a new charge"), "{}", page.body);
        let r = admin.post(&format!("{show}/recreate"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().ends_with("?ok=charge-recreated"));

        // The API: list, show, cancel (twice: the second is a conflict).
        let t = Some(a.token.as_str());
        let r = call(
            &a,
            Method::GET,
            "/api/v1/payments/charges?status=open",
            t,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["data"].as_array().unwrap().len(), 4);
        let other = all[1].id;
        let r = call(
            &a,
            Method::GET,
            &format!("/api/v1/payments/charges/{other}"),
            t,
            None,
        )
        .await;
        assert_eq!(r.body["status"], "open");
        assert_eq!(r.body["cancelable"], true);
        let cancel = format!("/api/v1/payments/charges/{other}/cancel");
        let r = call(&a, Method::POST, &cancel, t, Some(json!({"reason": ""}))).await;
        assert_problem(&r, 422);
        assert_eq!(r.body["errors"][0]["field"], "reason", "{}", r.body);
        let r = call(
            &a,
            Method::POST,
            &cancel,
            t,
            Some(json!({"reason": "Duplicated"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "canceled");
        let r = call(
            &a,
            Method::POST,
            &cancel,
            t,
            Some(json!({"reason": "Again"})),
        )
        .await;
        assert_problem(&r, 409);
        assert_eq!(r.body["code"], "charge-not-open");
        let r = call(
            &a,
            Method::POST,
            &format!("/api/v1/payments/charges/{other}/recreate"),
            t,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["status"], "open");
        let audit = services::system::audit::list(
            &a.svc,
            &cli_caller(),
            &services::system::audit::Query {
                action: Some("charge.cancel".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0;
        assert_eq!(audit.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn pix_automatico_from_the_contract_page_to_an_invoice_paid_by_cobr() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let a = common::app(db).await;
        let f = billing::fixture(&a).await;
        billing::bill(&a).await;
        pix_api(&a, &fake).await;

        // The listener takes the recurrence and recurring-charge webhooks.
        let (cert, key) = fake.certs.issue_server(&["127.0.0.1"]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = web::pix_webhook::serve(a.svc.clone(), listener, &cert, &key).unwrap();
        let url = format!("https://{addr}/api/v1/webhooks/pix");
        let psp = PixClient::new(fake.config()).unwrap();
        psp.put_webhook_rec(&url).await.unwrap();
        psp.put_webhook_cobr(&url).await.unwrap();

        let contract = {
            let mut c = a.db.conn().await.unwrap();
            let filter = store::contracts::Filter {
                customer_id: Some(f.ana),
                limit: 10,
                ..Default::default()
            };
            store::contracts::list(&mut c, &filter).await.unwrap().0[0].id
        };
        let admin = a.browser("admin").await;
        let page = admin.get(&format!("/contracts/{contract}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("Enrol in Pix Automático"),
            "{}",
            page.body
        );

        // A bad bank code is named; then the request goes to the payer's bank.
        let today = {
            let mut c = a.db.conn().await.unwrap();
            services::crm::today(&mut c).await.unwrap().to_string()
        };
        let enrol = format!("/contracts/{contract}/pix-automatico");
        let mut fields = vec![
            ("amount_policy", "variable"),
            ("amount", ""),
            ("valid_from", today.as_str()),
            ("valid_to", ""),
            ("payer_ispb", "123"),
            ("payer_agency", "0001"),
            ("payer_account", "123456"),
        ];
        let r = admin.post(&enrol, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("aria-invalid"), "{}", r.body);
        fields[4] = ("payer_ispb", "60746948");
        let r = admin.post(&enrol, &fields).await;
        assert_redirect(
            &r,
            &format!("/contracts/{contract}?ok=pix-automatico-enrolled"),
        );
        let page = admin.get(&format!("/contracts/{contract}")).await;
        assert!(page.body.contains("Waiting for the payer"), "{}", page.body);

        // The payer approves: the PSP notifies the listener.
        let t = Some(a.token.as_str());
        let list = format!("/api/v1/contracts/{contract}/pix-recurrences");
        let r = call(&a, Method::GET, &list, t, None).await;
        let rec_id = r.body[0]["rec_id"].as_str().unwrap().to_owned();
        fake.approve_rec(&rec_id).await.unwrap();
        let r = call(&a, Method::GET, &list, t, None).await;
        assert_eq!(r.body[0]["status"], "approved", "{:?}", fake.deliveries());
        let page = admin.get(&format!("/contracts/{contract}")).await;
        assert!(page.body.contains(">Active<"), "{}", page.body);

        // Ana's invoices are charged by cobr, then one is paid.
        pix::charges_job(&a.svc).await.unwrap();
        let cobr = open_charges(&a)
            .await
            .into_iter()
            .find(|c| c.method == "pix_automatico")
            .expect("a recurring charge");
        fake.pay(&cobr.external_id, cobr.amount).await.unwrap();
        let last = fake.deliveries().pop().unwrap();
        assert!(last.url.ends_with("/cobr"), "{last:?}");
        assert_eq!(last.result, Ok(200), "{last:?}");
        let mut c = a.db.conn().await.unwrap();
        let paid = store::payments::charges::get(&mut c, cobr.id)
            .await
            .unwrap();
        assert_eq!(paid.status, "paid");
        let inv = store::payments::invoice_amounts(&mut c, cobr.invoice_id)
            .await
            .unwrap();
        assert_eq!(inv.open(), 0);
        drop(c);
        task.abort();
    })
    .await;
}
