//! Pix and Banco do Brasil boletos wired to invoices, on SQLite and
//! PostgreSQL, against the local fakes of `gateways::fake`: the static BR
//! Code charge; a PSP charge paid by webhook (confirmed with the PSP,
//! recorded once however often it is delivered) and by the sweep when the
//! webhook was lost; refunds through `devolucao`; a hybrid boleto
//! registered and paid by the polling job; voids cancel charges.

use std::collections::BTreeMap;

use ::gateways::fake::bb::FakeBb;
use ::gateways::fake::pix::FakePix;
use domain::payments::InvoiceStatus;
use domain::system::settings as keys;
use jiff::civil::date;
use services::billing::{Policy, documents, run};
use services::payments::gateways::{self, TestOutcome, boleto, pix};
use services::{Caller, Services};
use store::testing::each_engine;

use crate::admin_caller;
use crate::billing_docs::{billed_customer, invoice_ids};

fn console() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

pub(crate) async fn set(s: &Services, values: &[(&str, &str)]) {
    let map: BTreeMap<String, String> = values
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    services::system::settings::update(s, &admin_caller(), &map)
        .await
        .unwrap();
}

pub(crate) async fn pix_api(s: &Services, fake: &FakePix) {
    set(
        s,
        &[
            (keys::PIX_MODE, "api"),
            (keys::PIX_KEY, &fake.chave),
            (keys::PIX_API_URL, &fake.base_url),
            (keys::PIX_OAUTH_URL, &fake.oauth_url),
            (keys::PIX_CLIENT_ID, &fake.client_id),
            (keys::PIX_CLIENT_SECRET, &fake.client_secret),
            (keys::PIX_CERTIFICATE, &fake.certs.client_cert_pem),
            (keys::PIX_PRIVATE_KEY, &fake.certs.client_key_pem),
            (keys::PIX_PSP_CA, &fake.certs.ca_pem),
            (keys::PIX_CHARGE, "cobv"),
        ],
    )
    .await;
}

async fn bb_api(s: &Services, fake: &FakeBb) {
    let c = fake.config();
    let oauth = format!("{}oauth/token", fake.oauth_url());
    set(
        s,
        &[
            (keys::BOLETO_MODE, "bb_api"),
            (keys::BOLETO_API_URL, fake.base_url()),
            (keys::BOLETO_OAUTH_URL, &oauth),
            (keys::BOLETO_CLIENT_ID, &c.client_id),
            (keys::BOLETO_CLIENT_SECRET, &c.client_secret),
            (keys::BOLETO_APP_KEY, &c.app_key),
            (keys::BOLETO_AGREEMENT, &c.convenio),
            (keys::BOLETO_AGENCY, &c.agencia),
            (keys::BOLETO_ACCOUNT, &c.conta),
            (keys::BOLETO_WALLET, "17"),
            (keys::BOLETO_WALLET_VARIATION, "35"),
            (keys::BOLETO_HYBRID_PIX, "true"),
        ],
    )
    .await;
}

/// A customer with one issued invoice of 99.90 (February 2026).
pub(crate) async fn one_invoice(s: &Services) -> (i64, i64) {
    let (customer, _) = billed_customer(s, "Ana", "529.982.247-25", "ana@example.net").await;
    run::run(s, &console(), date(2026, 2, 10), &Policy::default())
        .await
        .unwrap();
    let ids = invoice_ids(s, customer, "invoice").await;
    assert_eq!(ids.len(), 1);
    (customer, ids[0])
}

pub(crate) async fn status(s: &Services, invoice_id: i64) -> (InvoiceStatus, i64) {
    let d = documents::get(s, &console(), invoice_id)
        .await
        .unwrap()
        .document;
    let map = services::payments::standings(s, &console(), std::slice::from_ref(&d))
        .await
        .unwrap();
    (map[&d.id].status, map[&d.id].paid)
}

pub(crate) async fn charges(
    s: &Services,
    invoice_id: i64,
) -> Vec<store::payments::charges::Charge> {
    gateways::of_invoice(s, &admin_caller(), invoice_id)
        .await
        .unwrap()
}

pub(crate) async fn payments_of(
    s: &Services,
    customer_id: i64,
) -> Vec<services::payments::Payment> {
    services::payments::list(
        s,
        &admin_caller(),
        &services::payments::Filter {
            customer_id: Some(customer_id),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .0
}

#[tokio::test]
async fn static_pix_charge_carries_the_invoice_txid_and_amount() {
    each_engine(|db| async move {
        let s = crate::svc(&db);
        let (_, inv) = one_invoice(&s).await;
        set(
            &s,
            &[
                (keys::PIX_MODE, "static"),
                (keys::PIX_KEY, "cobranca@provedor.example"),
                (keys::PIX_MERCHANT_NAME, "Provedor Exemplo"),
                (keys::PIX_MERCHANT_CITY, "Sao Paulo"),
            ],
        )
        .await;
        let note = pix::charges_job(&s).await.unwrap();
        assert!(note.starts_with("1 Pix charges created"), "{note}");
        let rows = charges(&s, inv).await;
        assert_eq!(rows.len(), 1);
        let c = &rows[0];
        assert_eq!(
            (c.method.as_str(), c.gateway.as_str()),
            ("pix", "pix_static")
        );
        assert_eq!((c.status.as_str(), c.amount), ("open", 9_990));
        let code = brpay::pix::parse(c.pay_code.as_deref().unwrap()).unwrap();
        assert_eq!(code.txid.as_deref(), Some(c.external_id.as_str()));
        assert_eq!(c.external_id.len(), 25);
        assert!(c.pay_code.as_deref().unwrap().contains("99.90"));
        // A second run creates nothing more.
        assert!(pix::charges_job(&s).await.unwrap().starts_with("0 Pix"));
        assert_eq!(charges(&s, inv).await.len(), 1);
        // The payment block the PDF and e-mail carry.
        let block = gateways::payment_instructions(&s, inv, "pt-BR")
            .await
            .unwrap();
        assert_eq!(block.rows[0].0, "Pix copia e cola");
        assert_eq!(Some(block.rows[0].1.as_str()), c.pay_code.as_deref());
        // The invoice PDF and its e-mail carry it.
        let (_, pdf) = services::billing::pdf::invoice(&s, &admin_caller(), inv)
            .await
            .unwrap();
        let text = crate::billing_docs::pdftotext(&pdf);
        assert!(text.contains("Pix copia e cola"), "{text}");
        assert!(
            text.contains(&c.pay_code.as_deref().unwrap()[..20]),
            "{text}"
        );
        let mail = services::billing::mail::compose(&s, inv).await.unwrap();
        assert!(
            mail.body.contains(c.pay_code.as_deref().unwrap()),
            "{}",
            mail.body
        );
    })
    .await;
}

#[tokio::test]
async fn pix_charge_paid_by_webhook_is_recorded_once_and_refunded_through_the_psp() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let s = crate::svc(&db);
        let (customer, inv) = one_invoice(&s).await;
        pix_api(&s, &fake).await;
        assert!(matches!(
            gateways::test_connection(&s, &admin_caller(), keys::Group::Pix)
                .await
                .unwrap(),
            TestOutcome::Ok(_)
        ));
        pix::charges_job(&s).await.unwrap();
        let c = charges(&s, inv).await.remove(0);
        assert_eq!((c.gateway.as_str(), c.status.as_str()), ("psp", "open"));
        assert!(c.pay_code.as_deref().unwrap().starts_with("000201"));
        // Idempotent: asking again returns the same charge.
        let again = pix::ensure_pix_charge(&s, inv).await.unwrap();
        assert_eq!(again.id, c.id);

        let paid = fake.pay(&c.external_id, 9_990).await.unwrap();
        let body = serde_json::json!({ "pix": [paid] }).to_string();
        let r = pix::handle_webhook(&s, body.as_bytes()).await.unwrap();
        assert_eq!((r.recorded, r.repeated), (1, 0));
        assert_eq!(status(&s, inv).await, (InvoiceStatus::Paid, 9_990));
        let c = charges(&s, inv).await.remove(0);
        assert_eq!(c.status, "paid");
        assert!(c.payment_id.is_some());

        // The PSP delivers it again: nothing more is recorded.
        let r = pix::handle_webhook(&s, body.as_bytes()).await.unwrap();
        assert_eq!((r.recorded, r.repeated), (0, 1));
        let ps = payments_of(&s, customer).await;
        assert_eq!(ps.len(), 1);
        assert_eq!(
            ps[0].reference.as_deref(),
            Some(paid.end_to_end_id.as_str())
        );
        assert_eq!(ps[0].gateway.as_deref(), Some("psp"));

        // A forged notification the PSP does not confirm records nothing.
        let mut forged = paid.clone();
        forged.end_to_end_id = "E99999008202601011200abcdefghijk".into();
        let body = serde_json::json!({ "pix": [forged] }).to_string();
        assert!(pix::handle_webhook(&s, body.as_bytes()).await.is_err());
        assert_eq!(payments_of(&s, customer).await.len(), 1);

        // A refund goes through the PSP's devolucao, then into the books.
        let back = pix::refund(
            &s,
            &admin_caller(),
            ps[0].id,
            domain::Money(1_000),
            "Cobrança em duplicidade",
        )
        .await
        .unwrap();
        assert!(!back.duplicate);
        assert!(
            fake.requests()
                .iter()
                .any(|r| r.method == "PUT" && r.uri.contains("/devolucao/")),
        );
        assert_eq!(status(&s, inv).await.1, 8_990);
    })
    .await;
}

#[tokio::test]
async fn the_sweep_records_a_pix_whose_webhook_was_lost() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let s = crate::svc(&db);
        let (customer, inv) = one_invoice(&s).await;
        pix_api(&s, &fake).await;
        pix::charges_job(&s).await.unwrap();
        let c = charges(&s, inv).await.remove(0);
        fake.drop_webhooks(true);
        fake.pay(&c.external_id, 9_990).await.unwrap();
        assert_eq!(status(&s, inv).await.1, 0);

        let note = pix::sweep(&s).await.unwrap();
        assert!(note.contains("1 recorded"), "{note}");
        assert_eq!(status(&s, inv).await, (InvoiceStatus::Paid, 9_990));
        // The next sweep overlaps the last one and records nothing twice.
        let note = pix::sweep(&s).await.unwrap();
        assert!(note.contains("0 recorded"), "{note}");
        assert_eq!(payments_of(&s, customer).await.len(), 1);
        assert!(
            fake.requests()
                .iter()
                .any(|r| r.method == "GET" && r.uri.contains("/pix?") && r.uri.contains("inicio=")),
        );
    })
    .await;
}

#[tokio::test]
async fn voiding_an_invoice_cancels_its_pix_charge_at_the_psp() {
    each_engine(|db| async move {
        let fake = FakePix::start().await;
        let s = crate::svc(&db);
        let (_, inv) = one_invoice(&s).await;
        pix_api(&s, &fake).await;
        pix::charges_job(&s).await.unwrap();
        documents::void(
            &s,
            &admin_caller(),
            inv,
            "Emitida por engano",
            &Policy::default(),
        )
        .await
        .unwrap();
        let note = pix::charges_job(&s).await.unwrap();
        assert!(note.ends_with("1 canceled"), "{note}");
        let c = charges(&s, inv).await.remove(0);
        assert_eq!(c.status, "canceled");
        assert!(fake.pay(&c.external_id, 9_990).await.is_err());
        assert!(
            fake.requests()
                .iter()
                .any(|r| r.method == "PATCH" && r.uri.contains(&c.external_id)),
        );
    })
    .await;
}

async fn add_address(s: &Services, customer: i64) {
    let mut c = s.db.conn().await.unwrap();
    store::crm::customers::insert_address(
        &mut c,
        customer,
        &store::crm::customers::AddressData {
            kind: "billing".into(),
            street: "Rua das Flores".into(),
            number: "100".into(),
            district: "Centro".into(),
            city: "Sao Paulo".into(),
            state: "SP".into(),
            postal_code: "01001-000".into(),
            country: "BR".into(),
            ..Default::default()
        },
        store::now(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn hybrid_boleto_is_registered_at_bb_and_paid_by_the_polling_job() {
    each_engine(|db| async move {
        let fake = FakeBb::start().await;
        let s = crate::svc(&db);
        let (customer, inv) = one_invoice(&s).await;
        add_address(&s, customer).await;
        bb_api(&s, &fake).await;
        assert!(matches!(
            gateways::test_connection(&s, &admin_caller(), keys::Group::Boleto)
                .await
                .unwrap(),
            TestOutcome::Ok(_)
        ));
        let note = boleto::charges_job(&s).await.unwrap();
        assert!(note.starts_with("1 boletos registered"), "{note}");
        let rows = charges(&s, inv).await;
        let b = rows.iter().find(|c| c.gateway == "bb").unwrap();
        let p = rows.iter().find(|c| c.gateway == "bb_pix").unwrap();
        assert_eq!(b.method, "boleto");
        assert_eq!(b.pay_code.as_deref().map(str::len), Some(47));
        assert_eq!(b.barcode.as_deref().map(str::len), Some(44));
        assert!(p.pay_code.as_deref().unwrap().starts_with("000201"));
        let block = gateways::payment_instructions(&s, inv, "en").await.unwrap();
        assert!(block.rows.iter().any(|(l, _)| l == "Boleto line"));

        let today = jiff::Zoned::now().date();
        assert!(fake.pay(&b.external_id, 9_990, today));
        let note = boleto::poll(&s).await.unwrap();
        assert!(note.contains("1 recorded"), "{note}");
        assert_eq!(status(&s, inv).await, (InvoiceStatus::Paid, 9_990));
        let rows = charges(&s, inv).await;
        assert!(rows.iter().all(|c| c.status == "paid"), "{rows:?}");
        // Polling again lists it again and records nothing more.
        boleto::poll(&s).await.unwrap();
        let ps = payments_of(&s, customer).await;
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].reference.as_deref(), Some(b.external_id.as_str()));
    })
    .await;
}

#[tokio::test]
async fn voiding_an_invoice_cancels_its_boleto_at_bb() {
    each_engine(|db| async move {
        let fake = FakeBb::start().await;
        let s = crate::svc(&db);
        let (customer, inv) = one_invoice(&s).await;
        add_address(&s, customer).await;
        bb_api(&s, &fake).await;
        boleto::charges_job(&s).await.unwrap();
        documents::void(
            &s,
            &admin_caller(),
            inv,
            "Emitida por engano",
            &Policy::default(),
        )
        .await
        .unwrap();
        let note = boleto::charges_job(&s).await.unwrap();
        assert!(note.ends_with("1 canceled"), "{note}");
        let rows = charges(&s, inv).await;
        assert!(rows.iter().all(|c| c.status == "canceled"), "{rows:?}");
        let b = rows.iter().find(|c| c.gateway == "bb").unwrap();
        assert_eq!(fake.state_of(&b.external_id), Some(7));
    })
    .await;
}
