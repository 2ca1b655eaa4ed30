//! Stripe and PayPal wired into the books, on SQLite and PostgreSQL,
//! against the local fakes of `gateways::fake`: Checkout → signed webhook →
//! invoice paid (once, however often the event comes), a bad signature
//! refused with nothing recorded, a saved card charged by the job (and a
//! decline visible on the charge row), a refund through Stripe; PayPal's
//! order → approval → capture, where only a COMPLETED capture pays and a
//! delivery PayPal does not vouch for changes nothing.

use std::collections::BTreeMap;

use domain::Money;
use domain::payments::InvoiceStatus;
use domain::system::settings as keys;
use gateways::fake::paypal::{self as fake_paypal, CaptureOutcome, FakePaypal};
use gateways::fake::stripe::{self as fake_stripe, CardOutcome, FakeStripe};
use gateways::stripe::webhook;
use jiff::civil::date;
use services::billing::{Policy, run};
use services::payments::gateways::{WebhookError, WebhookOutcome, page, paypal, stripe};
use services::{Caller, Services};
use store::testing::each_engine;

use crate::billing_docs::{billed_customer, invoice_ids};
use crate::{admin_caller, svc};

pub(crate) const BASE: &str = "https://isp.example";

fn console() -> Caller {
    Caller::Cli {
        name: "test".into(),
    }
}

async fn set(s: &Services, pairs: &[(&str, &str)]) {
    let values: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    services::system::settings::update(s, &admin_caller(), &values)
        .await
        .unwrap();
}

pub(crate) async fn with_stripe(s: &Services, fake: &FakeStripe) {
    set(
        s,
        &[
            (keys::STRIPE_ENABLED, "true"),
            (keys::STRIPE_API_URL, &fake.url()),
            (keys::STRIPE_SECRET_KEY, fake_stripe::SECRET_KEY),
            (keys::STRIPE_WEBHOOK_SECRET, fake_stripe::WEBHOOK_SECRET),
        ],
    )
    .await;
}

pub(crate) async fn with_paypal(s: &Services, fake: &FakePaypal) {
    set(
        s,
        &[
            (keys::PAYPAL_ENABLED, "true"),
            (keys::PAYPAL_API_URL, &fake.url()),
            (keys::PAYPAL_CLIENT_ID, fake_paypal::CLIENT_ID),
            (keys::PAYPAL_CLIENT_SECRET, fake_paypal::SECRET),
            (keys::PAYPAL_WEBHOOK_ID, fake_paypal::WEBHOOK_ID),
        ],
    )
    .await;
}

/// One issued invoice (February) for a new customer: (customer, invoice id, public id).
pub(crate) async fn one_invoice(s: &Services, name: &str, doc: &str) -> (i64, i64, String) {
    let email = format!("{}@example.net", doc.replace(['.', '-'], ""));
    let (customer, _) = billed_customer(s, name, doc, &email).await;
    run::run(s, &console(), date(2026, 2, 10), &Policy::default())
        .await
        .unwrap();
    let id = *invoice_ids(s, customer, "invoice").await.last().unwrap();
    let mut c = s.db.conn().await.unwrap();
    let d = store::billing::documents::get(&mut c, id).await.unwrap();
    (customer, id, d.public_id)
}

/// Delivers the fake's events from `from` on to the service, signed now.
pub(crate) async fn deliver_stripe(
    s: &Services,
    fake: &FakeStripe,
    from: usize,
) -> Vec<WebhookOutcome> {
    let mut out = Vec::new();
    for event in fake.events().into_iter().skip(from) {
        let body = serde_json::to_string(&event).unwrap();
        let sig = webhook::sign(
            body.as_bytes(),
            fake_stripe::WEBHOOK_SECRET,
            jiff::Timestamp::now().as_second(),
        );
        out.push(
            stripe::webhook(s, body.as_bytes(), Some(&sig))
                .await
                .unwrap(),
        );
    }
    out
}

async fn status(s: &Services, public_id: &str) -> (InvoiceStatus, i64) {
    page::status(s, public_id).await.unwrap()
}

pub(crate) async fn payments_of(s: &Services, customer: i64) -> Vec<services::payments::Payment> {
    let (rows, _) = services::payments::list(
        s,
        &console(),
        &services::payments::Filter {
            customer_id: Some(customer),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    rows
}

async fn charges(s: &Services, invoice: i64) -> Vec<store::payments::charges::Charge> {
    services::payments::gateways::of_invoice(s, &admin_caller(), invoice)
        .await
        .unwrap()
}

#[tokio::test]
async fn stripe_checkout_then_signed_webhooks_pay_the_invoice_once() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fake = FakeStripe::start().await;
        with_stripe(&s, &fake).await;
        let (ana, inv, pid) = one_invoice(&s, "Ana Souza", "529.982.247-25").await;
        let (_, open) = status(&s, &pid).await;
        assert!(open > 0);

        let url = stripe::checkout(&s, &pid, BASE).await.unwrap();
        // Pressing the button again reuses the open session.
        assert_eq!(stripe::checkout(&s, &pid, BASE).await.unwrap(), url);
        let rows = charges(&s, inv).await;
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].status.as_str(), rows[0].amount), ("open", open));
        let session = fake.object(&rows[0].external_id).unwrap();
        assert_eq!(session["metadata"][stripe::META_INVOICE], pid.as_str());
        assert_eq!(
            session["success_url"],
            format!("{BASE}/pay/{pid}/done").as_str()
        );
        let posts: Vec<_> = fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .collect();
        assert_eq!(posts.len(), 1, "one session created");
        assert_eq!(
            posts[0].idempotency_key.as_deref(),
            Some(format!("invoice-{pid}-checkout-0").as_str())
        );

        fake.complete_checkout(&rows[0].external_id).await.unwrap();
        let outcomes = deliver_stripe(&s, &fake, 0).await;
        // payment_intent.succeeded and checkout.session.completed name the
        // same PaymentIntent: one payment.
        assert!(matches!(outcomes[0], WebhookOutcome::Paid { .. }));
        assert_eq!(outcomes.len(), 2);
        assert_eq!(status(&s, &pid).await, (InvoiceStatus::Paid, 0));
        let paid = payments_of(&s, ana).await;
        assert_eq!(paid.len(), 1);
        assert_eq!(paid[0].gateway.as_deref(), Some("stripe"));
        assert!(paid[0].reference.as_deref().unwrap().starts_with("pi_"));
        assert_eq!(paid[0].amount, open);
        assert_eq!(charges(&s, inv).await[0].status, "paid");

        // Stripe delivers the same events again: nothing more happens.
        let again = deliver_stripe(&s, &fake, 0).await;
        assert!(again.iter().all(|o| *o == WebhookOutcome::Duplicate));
        assert_eq!(payments_of(&s, ana).await.len(), 1);

        // A paid invoice offers no checkout.
        assert!(matches!(
            stripe::checkout(&s, &pid, BASE).await,
            Err(services::Error::Refused("invoice-paid"))
        ));
    })
    .await;
}

#[tokio::test]
async fn stripe_webhooks_with_bad_signatures_record_nothing() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fake = FakeStripe::start().await;
        with_stripe(&s, &fake).await;
        let (ana, inv, pid) = one_invoice(&s, "Bia Lima", "111.444.777-35").await;
        stripe::checkout(&s, &pid, BASE).await.unwrap();
        let session = charges(&s, inv).await[0].external_id.clone();
        fake.complete_checkout(&session).await.unwrap();
        let event = fake.events()[0].clone();
        let body = serde_json::to_string(&event).unwrap();
        let now = jiff::Timestamp::now().as_second();

        let wrong_secret = webhook::sign(body.as_bytes(), "whsec_someone_else", now);
        let stale = webhook::sign(body.as_bytes(), fake_stripe::WEBHOOK_SECRET, now - 301);
        let good = webhook::sign(body.as_bytes(), fake_stripe::WEBHOOK_SECRET, now);
        let tampered = body.replacen("\"amount_received\":", "\"amount_received\":1", 1);
        for (body, sig) in [
            (body.as_str(), Some(wrong_secret.as_str())),
            (body.as_str(), Some(stale.as_str())),
            (body.as_str(), Some("t=1,v1=zz")),
            (body.as_str(), None),
            (tampered.as_str(), Some(good.as_str())),
        ] {
            let r = stripe::webhook(&s, body.as_bytes(), sig).await;
            assert!(matches!(r, Err(WebhookError::Refused(_))), "{r:?}");
        }
        assert!(payments_of(&s, ana).await.is_empty());
        let mut c = s.db.conn().await.unwrap();
        assert_eq!(
            store::payments::webhooks::count(&mut c, "stripe")
                .await
                .unwrap(),
            0
        );
        assert_eq!(status(&s, &pid).await.0, InvoiceStatus::Overdue);
    })
    .await;
}

#[tokio::test]
async fn saved_card_is_charged_by_the_job_and_a_decline_is_visible() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fake = FakeStripe::start().await;
        with_stripe(&s, &fake).await;
        let (ana, inv, pid) = one_invoice(&s, "Caio Prado", "390.533.447-05").await;
        let (bia, inv_b, pid_b) = one_invoice(&s, "Duda Reis", "153.509.460-56").await;

        // Both save a card through Checkout in setup mode.
        for (p, customer) in [(&pid, ana), (&pid_b, bia)] {
            let url = stripe::save_card_checkout(&s, p, BASE).await.unwrap();
            // The fake's page is `…/c/pay/{session id}`.
            let id = url.rsplit('/').next().unwrap().to_owned();
            assert_eq!(fake.object(&id).unwrap()["mode"], "setup");
            let before = fake.events().len();
            fake.complete_checkout(&id).await.unwrap();
            deliver_stripe(&s, &fake, before).await;
            assert!(
                stripe::has_saved_card(&s, &admin_caller(), customer)
                    .await
                    .unwrap()
            );
        }
        // Nothing happens while automatic charges are off.
        assert_eq!(
            stripe::charge_saved_cards(&s).await.unwrap(),
            stripe::ChargeRun::default()
        );
        set(&s, &[(keys::STRIPE_AUTOMATIC_CHARGES, "true")]).await;

        // Bia's card is declined.
        let pm_b = {
            let mut c = s.db.conn().await.unwrap();
            store::payments::charges::saved_method(&mut c, bia, "stripe")
                .await
                .unwrap()
                .unwrap()
                .payment_method
                .unwrap()
        };
        fake.set_card_outcome(&pm_b, CardOutcome::Decline("insufficient_funds".into()));

        let run = stripe::charge_saved_cards(&s).await.unwrap();
        assert_eq!(run, stripe::ChargeRun { paid: 1, failed: 1 });
        assert_eq!(status(&s, &pid).await, (InvoiceStatus::Paid, 0));
        let paid = payments_of(&s, ana).await;
        assert_eq!(paid.len(), 1);
        let key = fake
            .requests()
            .into_iter()
            .find(|r| r.params["off_session"] == "true")
            .and_then(|r| r.idempotency_key)
            .unwrap();
        assert!(key.ends_with("-autocharge"), "{key}");

        assert_eq!(status(&s, &pid_b).await.0, InvoiceStatus::Overdue);
        let failed = charges(&s, inv_b).await;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].status, "failed");
        assert_eq!(failed[0].automatic, 1);
        assert!(
            failed[0]
                .error
                .as_deref()
                .unwrap()
                .contains("insufficient_funds"),
            "{:?}",
            failed[0].error
        );
        assert_eq!(charges(&s, inv).await[0].status, "paid");

        // Once per invoice: the next pass charges nobody again.
        assert_eq!(
            stripe::charge_saved_cards(&s).await.unwrap(),
            stripe::ChargeRun::default()
        );
    })
    .await;
}

#[tokio::test]
async fn stripe_refund_goes_through_stripe_and_opens_the_invoice() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fake = FakeStripe::start().await;
        with_stripe(&s, &fake).await;
        let (ana, inv, pid) = one_invoice(&s, "Eva Costa", "714.602.380-01").await;
        stripe::checkout(&s, &pid, BASE).await.unwrap();
        let session = charges(&s, inv).await[0].external_id.clone();
        fake.complete_checkout(&session).await.unwrap();
        deliver_stripe(&s, &fake, 0).await;
        let payment = payments_of(&s, ana).await.remove(0);
        let intent = payment.reference.clone().unwrap();

        let r = stripe::refund(&s, &admin_caller(), payment.id, Money(1_000), "goodwill")
            .await
            .unwrap();
        assert_eq!(r.row.gateway.as_deref(), Some("stripe"));
        assert!(r.row.reference.as_deref().unwrap().starts_with("re_"));
        let refund = fake.object(r.row.reference.as_deref().unwrap()).unwrap();
        assert_eq!(refund["payment_intent"], intent.as_str());
        assert_eq!(refund["amount"], 1_000);
        assert_eq!(status(&s, &pid).await, (InvoiceStatus::Overdue, 1_000));

        // Without the permission nothing reaches Stripe.
        let before = fake.requests().len();
        let clerk = crate::staff_with(domain::PermissionSet::from_iter([
            domain::Permission::PaymentsView,
        ]));
        assert!(
            stripe::refund(&s, &clerk, payment.id, Money(100), "no")
                .await
                .is_err()
        );
        assert_eq!(fake.requests().len(), before);
    })
    .await;
}

/// Hands the fake's deliveries from `from` on to the service, headers and
/// body exactly as PayPal sent them.
pub(crate) async fn deliver_paypal(
    s: &Services,
    fake: &FakePaypal,
    from: usize,
) -> Vec<Result<WebhookOutcome, String>> {
    fake.settle().await;
    let mut out = Vec::new();
    for d in fake.deliveries().into_iter().skip(from) {
        out.push(deliver_one(s, &d, d.body.as_bytes()).await);
    }
    out
}

async fn deliver_one(
    s: &Services,
    d: &fake_paypal::Delivery,
    body: &[u8],
) -> Result<WebhookOutcome, String> {
    let h = d.headers.clone();
    paypal::webhook(s, body, |name| {
        Some(match name {
            "paypal-transmission-id" => h.transmission_id.clone(),
            "paypal-transmission-time" => h.transmission_time.clone(),
            "paypal-transmission-sig" => h.transmission_sig.clone(),
            "paypal-cert-url" => h.cert_url.clone(),
            "paypal-auth-algo" => h.auth_algo.clone(),
            _ => return None,
        })
    })
    .await
    .map_err(|e| match e {
        WebhookError::Refused(m) => format!("refused: {m}"),
        WebhookError::Failed(e) => format!("failed: {e}"),
    })
}

#[tokio::test]
async fn paypal_order_approved_and_captured_completed_pays() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fake = FakePaypal::start().await;
        with_paypal(&s, &fake).await;
        let (ana, inv, pid) = one_invoice(&s, "Fábio Melo", "529.982.247-25").await;
        let url = paypal::checkout(&s, &pid, BASE).await.unwrap();
        assert_eq!(paypal::checkout(&s, &pid, BASE).await.unwrap(), url);
        let order = charges(&s, inv).await[0].external_id.clone();
        let body = fake
            .requests()
            .into_iter()
            .find(|r| r.path.ends_with("checkout/orders"))
            .unwrap()
            .body;
        assert!(body.contains(&pid), "custom_id carries the invoice: {body}");

        fake.approve(&order).await.unwrap();
        let outcomes = deliver_paypal(&s, &fake, 0).await;
        assert!(
            matches!(outcomes[0], Ok(WebhookOutcome::Paid { .. })),
            "{outcomes:?}"
        );
        assert_eq!(status(&s, &pid).await, (InvoiceStatus::Paid, 0));
        let paid = payments_of(&s, ana).await;
        assert_eq!(paid.len(), 1, "the capture's own event adds nothing");
        assert_eq!(paid[0].gateway.as_deref(), Some("paypal"));
        assert_eq!(charges(&s, inv).await[0].status, "paid");

        // The capture's own PAYMENT.CAPTURE.COMPLETED comes after: it names
        // the recorded payment and adds none.
        let later = deliver_paypal(&s, &fake, 1).await;
        assert_eq!(
            later,
            vec![Ok(WebhookOutcome::Paid {
                payment_id: paid[0].id
            })]
        );
        assert_eq!(payments_of(&s, ana).await.len(), 1);

        // Delivered again: nothing more.
        let again = deliver_paypal(&s, &fake, 0).await;
        assert!(
            again.iter().all(|o| *o == Ok(WebhookOutcome::Duplicate)),
            "{again:?}"
        );
        assert_eq!(payments_of(&s, ana).await.len(), 1);

        // A refund goes through PayPal.
        let r = paypal::refund(&s, &admin_caller(), paid[0].id, Money(500), "partial")
            .await
            .unwrap();
        assert_eq!(r.row.gateway.as_deref(), Some("paypal"));
        assert_eq!(status(&s, &pid).await.1, 500);
    })
    .await;
}

#[tokio::test]
async fn paypal_pending_capture_does_not_pay_until_completed() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fake = FakePaypal::start().await;
        with_paypal(&s, &fake).await;
        let (ana, inv, pid) = one_invoice(&s, "Gil Nunes", "111.444.777-35").await;
        paypal::checkout(&s, &pid, BASE).await.unwrap();
        let order = charges(&s, inv).await[0].external_id.clone();
        fake.set_capture_outcome(&order, CaptureOutcome::Pending("PENDING_REVIEW".into()));
        fake.approve(&order).await.unwrap();
        let outcomes = deliver_paypal(&s, &fake, 0).await;
        assert!(
            outcomes.iter().all(|o| *o == Ok(WebhookOutcome::Noted)),
            "{outcomes:?}"
        );
        assert!(payments_of(&s, ana).await.is_empty());
        assert_eq!(status(&s, &pid).await.0, InvoiceStatus::Overdue);
        let row = charges(&s, inv).await.remove(0);
        assert_eq!(row.status, "open");
        assert!(row.error.as_deref().unwrap().contains("PENDING_REVIEW"));

        // PayPal clears it later: its COMPLETED event pays.
        let capture =
            fake.order(&order).unwrap()["purchase_units"][0]["payments"]["captures"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned();
        let from = fake.deliveries().len();
        fake.resolve_pending(&capture, true).await.unwrap();
        let outcomes = deliver_paypal(&s, &fake, from).await;
        assert!(
            matches!(outcomes[0], Ok(WebhookOutcome::Paid { .. })),
            "{outcomes:?}"
        );
        assert_eq!(status(&s, &pid).await, (InvoiceStatus::Paid, 0));
    })
    .await;
}

#[tokio::test]
async fn paypal_delivery_that_fails_verification_changes_nothing() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fake = FakePaypal::start().await;
        with_paypal(&s, &fake).await;
        let (ana, inv, pid) = one_invoice(&s, "Hugo Dias", "390.533.447-05").await;
        paypal::checkout(&s, &pid, BASE).await.unwrap();
        let order = charges(&s, inv).await[0].external_id.clone();
        fake.approve(&order).await.unwrap();
        fake.settle().await;
        let d = fake.deliveries().remove(0);
        // The same headers over another body: PayPal answers FAILURE.
        let forged = d.body.replacen("APPROVED", "APPROVED ", 1);
        let r = deliver_one(&s, &d, forged.as_bytes()).await;
        assert!(r.as_ref().is_err_and(|e| e.starts_with("refused")), "{r:?}");
        // Headers missing: refused without asking PayPal.
        let r = paypal::webhook(&s, d.body.as_bytes(), |_| None).await;
        assert!(matches!(r, Err(WebhookError::Refused(_))));
        assert!(payments_of(&s, ana).await.is_empty());
        assert_eq!(charges(&s, inv).await[0].status, "open");
        let capture_calls = fake
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/capture"))
            .count();
        assert_eq!(capture_calls, 0, "nothing captured on a forged delivery");
        let mut c = s.db.conn().await.unwrap();
        assert_eq!(
            store::payments::webhooks::count(&mut c, "paypal")
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn the_public_page_shows_only_what_the_customer_needs() {
    each_engine(|db| async move {
        let s = svc(&db);
        let fake = FakeStripe::start().await;
        with_stripe(&s, &fake).await;
        let (_, _, pid) = one_invoice(&s, "Iara Maria Gomes", "714.602.380-01").await;
        let p = page::view(&s, &pid).await.unwrap();
        assert_eq!(p.first_name, "Iara");
        assert!(p.open > 0 && p.card && !p.paypal);
        assert!(p.number.starts_with("FAT") || !p.number.is_empty());
        assert!(matches!(
            page::view(&s, "no-such-invoice").await,
            Err(services::Error::NotFound)
        ));
    })
    .await;
}
