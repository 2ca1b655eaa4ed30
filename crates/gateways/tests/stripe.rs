//! The Stripe client against the fake Stripe, and webhook signatures.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use gateways::fake::stripe::{CardOutcome, FakeStripe, SECRET_KEY, WEBHOOK_SECRET};
use gateways::http::Config;
use gateways::stripe::webhook::{self, EventKind, VerifyError};
use gateways::stripe::{
    CheckoutPayment, CheckoutSetup, Error, NewCustomer, NewPaymentIntent, NewRefund,
    OffSessionCharge, PaymentIntentStatus, Stripe,
};

const NOW: i64 = 1_780_000_000;

// ---- signature verification ----

fn event_body() -> Vec<u8> {
    serde_json::json!({
        "id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "created": NOW,
        "livemode": false,
        "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 1990,
            "amount_received": 1990, "currency": "brl", "status": "succeeded",
            "metadata": {"invoice": "INV-7"}}},
    })
    .to_string()
    .into_bytes()
}

#[test]
fn a_valid_signature_verifies_and_the_event_is_typed() {
    let body = event_body();
    let header = webhook::sign(&body, "whsec_a", NOW);
    let event = webhook::verify(&body, &header, &["whsec_a"], NOW + 10, 300).expect("valid");
    assert_eq!(event.id, "evt_1");
    let EventKind::PaymentIntentSucceeded(pi) = event.kind else {
        panic!("typed as payment_intent.succeeded: {:?}", event.kind)
    };
    assert_eq!((pi.amount, pi.currency.as_str()), (1990, "brl"));
    assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
    assert_eq!(pi.metadata["invoice"], "INV-7");
}

#[test]
fn one_matching_v1_among_several_is_enough_and_any_secret_may_match() {
    let body = event_body();
    let good = webhook::signature(&body, "whsec_new", NOW);
    let other = webhook::signature(&body, "whsec_unrelated", NOW);
    let header = format!("t={NOW},v1={other},v1={good},v0=deadbeef");
    assert!(webhook::verify(&body, &header, &["whsec_new"], NOW, 300).is_ok());
    // Rolling secrets: the endpoint knows the old and the new one.
    assert!(webhook::verify(&body, &header, &["whsec_old", "whsec_new"], NOW, 300).is_ok());
}

#[test]
fn a_wrong_secret_or_a_changed_body_is_a_mismatch() {
    let body = event_body();
    let header = webhook::sign(&body, "whsec_a", NOW);
    assert_eq!(
        webhook::verify(&body, &header, &["whsec_b"], NOW, 300).err(),
        Some(VerifyError::Mismatch)
    );
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        webhook::verify(&tampered, &header, &["whsec_a"], NOW, 300).err(),
        Some(VerifyError::Mismatch)
    );
    assert_eq!(
        webhook::verify(&body, &header, &[], NOW, 300).err(),
        Some(VerifyError::NoSecret)
    );
}

#[test]
fn a_stale_or_future_timestamp_is_refused_naming_it() {
    let body = event_body();
    let header = webhook::sign(&body, "whsec_a", NOW);
    let err = webhook::verify(&body, &header, &["whsec_a"], NOW + 301, 300).expect_err("stale");
    assert_eq!(
        err,
        VerifyError::Stale {
            timestamp: NOW,
            now: NOW + 301,
            tolerance: 300
        }
    );
    assert!(err.to_string().contains(&NOW.to_string()), "{err}");
    assert!(webhook::verify(&body, &header, &["whsec_a"], NOW - 301, 300).is_err());
    assert!(webhook::verify(&body, &header, &["whsec_a"], NOW + 300, 300).is_ok());
}

#[test]
fn malformed_headers_say_what_is_wrong() {
    let body = event_body();
    let sig = webhook::signature(&body, "whsec_a", NOW);
    let cases = [
        (format!("v1={sig}"), VerifyError::NoTimestamp),
        (format!("t={NOW}"), VerifyError::NoSignature),
        (
            format!("t=soon,v1={sig}"),
            VerifyError::Malformed("t=soon".into()),
        ),
        (
            format!("t={NOW},garbage"),
            VerifyError::Malformed("garbage".into()),
        ),
        (String::new(), VerifyError::Malformed(String::new())),
        (format!("t={NOW},v1=not-hex"), VerifyError::Mismatch),
    ];
    for (header, want) in cases {
        assert_eq!(
            webhook::verify(&body, &header, &["whsec_a"], NOW, 300).err(),
            Some(want),
            "{header}"
        );
    }
}

#[test]
fn a_signed_body_that_is_not_an_event_is_a_payload_error() {
    let body = br#"{"id":"evt_2","type":"charge.refunded","data":{"object":{"id":"ch_1"}}}"#;
    let header = webhook::sign(body, "whsec_a", NOW);
    let err = webhook::verify(body, &header, &["whsec_a"], NOW, 300).expect_err("payload");
    assert!(
        matches!(&err, VerifyError::Payload(m) if m.contains("charge.refunded")),
        "{err}"
    );
    let other = br#"{"id":"evt_3","type":"customer.created","data":{"object":{}}}"#;
    let header = webhook::sign(other, "whsec_a", NOW);
    let event = webhook::verify(other, &header, &["whsec_a"], NOW, 300).expect("ignored type");
    assert!(matches!(event.kind, EventKind::Other(t) if t == "customer.created"));
}

// ---- against the fake ----

/// A webhook endpoint like the app's: verifies each delivery and keeps the
/// events, processing each event id once.
#[derive(Clone, Default)]
struct Receiver {
    events: Arc<Mutex<Vec<webhook::Event>>>,
    deliveries: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(fake: &FakeStripe) -> Receiver {
        let receiver = Receiver::default();
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hooks/stripe",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    *state.deliveries.lock().expect("lock") += 1;
                    let header = headers
                        .get("stripe-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    let now = jiff::Timestamp::now().as_second();
                    match webhook::verify(&body, header, &[WEBHOOK_SECRET], now, 300) {
                        Ok(event) => {
                            let mut events = state.events.lock().expect("lock");
                            if !events.iter().any(|e| e.id == event.id) {
                                events.push(event);
                            }
                            StatusCode::OK
                        }
                        Err(_) => StatusCode::BAD_REQUEST,
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake.set_webhook_url(format!("http://{addr}/hooks/stripe"));
        receiver
    }

    fn events(&self) -> Vec<webhook::Event> {
        self.events.lock().expect("lock").clone()
    }
}

fn client(fake: &FakeStripe) -> Stripe {
    Stripe::new(&Config::new(fake.url()), SECRET_KEY).expect("client")
}

fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn checkout(invoice: &str, customer: Option<String>, save_card: bool) -> CheckoutPayment {
    CheckoutPayment {
        description: format!("Invoice {invoice}"),
        amount: 9990,
        currency: "BRL".into(),
        client_reference_id: invoice.into(),
        customer,
        customer_email: Some("ana@example.com".into()),
        success_url: "https://isp.example/pay/done".into(),
        cancel_url: "https://isp.example/pay/cancel".into(),
        metadata: meta(&[("invoice", invoice)]),
        save_card,
        idempotency_key: format!("invoice-{invoice}-checkout"),
    }
}

#[tokio::test]
async fn requests_are_authenticated_pinned_and_nested_in_brackets() {
    let fake = FakeStripe::start().await;
    let session = client(&fake)
        .create_checkout_payment(&checkout("INV-1", None, false))
        .await
        .expect("session");
    assert!(
        session
            .url
            .as_deref()
            .is_some_and(|u| u.contains(&session.id))
    );
    assert_eq!(session.payment_status, "unpaid");
    assert_eq!(session.amount_total, Some(9990));
    let logged = &fake.requests()[0];
    assert_eq!(
        logged.stripe_version.as_deref(),
        Some(gateways::stripe::API_VERSION)
    );
    assert_eq!(
        logged.idempotency_key.as_deref(),
        Some("invoice-INV-1-checkout")
    );
    assert!(
        logged
            .body
            .contains("line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=brl"),
        "{}",
        logged.body
    );
    assert!(
        logged.body.contains("metadata%5Binvoice%5D=INV-1"),
        "{}",
        logged.body
    );
    assert_eq!(
        logged.params["line_items"][0]["price_data"]["unit_amount"],
        "9990"
    );
    assert_eq!(
        logged.params["line_items"][0]["price_data"]["product_data"]["name"],
        "Invoice INV-1"
    );
    // No customer: none is sent (nulls are left out, not sent empty).
    assert!(logged.params.get("customer").is_none());

    let wrong = Stripe::new(&Config::new(fake.url()), "sk_test_wrong").expect("client");
    let err = wrong.customer("cus_x").await.expect_err("refused");
    assert!(
        matches!(&err, Error::Api { status: 401, message, .. } if message.contains("Invalid API Key")),
        "{err}"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_creates_one_object() {
    let fake = FakeStripe::start().await;
    let stripe = client(&fake);
    let first = stripe
        .create_checkout_payment(&checkout("INV-2", None, false))
        .await
        .expect("first");
    let again = stripe
        .create_checkout_payment(&checkout("INV-2", None, false))
        .await
        .expect("retry");
    assert_eq!(first.id, again.id);
    let sessions = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/checkout/sessions")
        .count();
    assert_eq!(sessions, 2);
    assert!(fake.object(&first.id).is_some());
    // Exactly one session exists: the second id the fake would make is unused.
    assert!(fake.object("cs_test_Fake0000000002").is_none());

    let mut changed = checkout("INV-2", None, false);
    changed.amount = 100;
    let err = stripe
        .create_checkout_payment(&changed)
        .await
        .expect_err("other parameters");
    assert!(
        matches!(&err, Error::Api { status: 400, kind, .. } if kind == "idempotency_error"),
        "{err}"
    );
}

#[tokio::test]
async fn missing_parameters_are_refused_naming_them() {
    let fake = FakeStripe::start().await;
    let mut bad = checkout("INV-3", None, false);
    bad.success_url = String::new();
    let err = client(&fake)
        .create_checkout_payment(&bad)
        .await
        .expect_err("missing");
    assert!(
        matches!(&err, Error::Api { status: 400, code: Some(c), param: Some(p), .. } if c == "parameter_missing" && p == "success_url"),
        "{err}"
    );
    assert!(err.to_string().contains("success_url"), "{err}");
}

#[tokio::test]
async fn a_paid_checkout_reaches_the_webhook_signed_even_when_delivered_twice() {
    let fake = FakeStripe::start().await;
    let receiver = Receiver::start(&fake).await;
    fake.deliver_twice(true);
    let stripe = client(&fake);
    let session = stripe
        .create_checkout_payment(&checkout("INV-4", None, false))
        .await
        .expect("session");
    let deliveries = fake.complete_checkout(&session.id).await.expect("paid");
    assert_eq!(deliveries.len(), 4, "two events, each twice");
    assert!(
        deliveries.iter().all(|d| d.status == Some(200)),
        "{deliveries:?}"
    );
    assert_eq!(*receiver.deliveries.lock().expect("lock"), 4);
    let events = receiver.events();
    assert_eq!(events.len(), 2, "each event id processed once");
    let completed = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::CheckoutSessionCompleted(s) => Some(s.clone()),
            _ => None,
        })
        .expect("checkout.session.completed");
    assert_eq!(completed.id, session.id);
    assert_eq!(completed.payment_status, "paid");
    assert_eq!(completed.client_reference_id.as_deref(), Some("INV-4"));
    assert_eq!(completed.metadata["invoice"], "INV-4");
    let pi = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::PaymentIntentSucceeded(p) => Some(p.clone()),
            _ => None,
        })
        .expect("payment_intent.succeeded");
    assert_eq!(Some(pi.id.clone()), completed.payment_intent);
    assert_eq!(
        (pi.amount_received, pi.metadata["invoice"].as_str()),
        (9990, "INV-4")
    );
    let shown = stripe.checkout_session(&session.id).await.expect("get");
    assert_eq!(shown.status.as_deref(), Some("complete"));

    // A forged delivery is refused by the receiver.
    let forged = fake
        .post_event_body(
            r#"{"id":"evt_forged","type":"payment_intent.succeeded","data":{"object":{}}}"#,
            Some(format!(
                "t={},v1={}",
                jiff::Timestamp::now().as_second(),
                "00".repeat(32)
            )),
        )
        .await;
    assert_eq!(forged, Some(400));
}

#[tokio::test]
async fn a_saved_card_is_charged_off_session_and_declines_are_typed() {
    let fake = FakeStripe::start().await;
    let receiver = Receiver::start(&fake).await;
    let stripe = client(&fake);
    let customer = stripe
        .create_customer(&NewCustomer {
            email: Some("ana@example.com".into()),
            name: Some("Ana".into()),
            metadata: meta(&[("lastmile_customer", "42")]),
            idempotency_key: "customer-42-create".into(),
        })
        .await
        .expect("customer");
    let found = stripe
        .find_customers("lastmile_customer", "42")
        .await
        .expect("search");
    assert_eq!(
        found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [customer.id.as_str()]
    );
    assert_eq!(
        stripe.customer(&customer.id).await.expect("get").metadata["lastmile_customer"],
        "42"
    );

    let setup = stripe
        .create_checkout_setup(&CheckoutSetup {
            customer: customer.id.clone(),
            currency: "brl".into(),
            client_reference_id: "customer-42".into(),
            success_url: "https://isp.example/card/done".into(),
            cancel_url: "https://isp.example/card/cancel".into(),
            metadata: meta(&[("lastmile_customer", "42")]),
            idempotency_key: "customer-42-card-1".into(),
        })
        .await
        .expect("setup session");
    assert_eq!(setup.mode, "setup");
    fake.complete_checkout(&setup.id).await.expect("card saved");
    let saved = receiver
        .events()
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::SetupIntentSucceeded(s) => Some(s),
            _ => None,
        })
        .expect("setup_intent.succeeded");
    assert_eq!(saved.customer.as_deref(), Some(customer.id.as_str()));
    let pm = saved.payment_method.clone().expect("payment method");
    assert_eq!(
        stripe
            .setup_intent(&saved.id)
            .await
            .expect("get")
            .payment_method,
        Some(pm.clone())
    );

    let charge = |key: &str| OffSessionCharge {
        customer: customer.id.clone(),
        payment_method: pm.clone(),
        amount: 12990,
        currency: "brl".into(),
        description: Some("Invoice INV-5".into()),
        metadata: meta(&[("invoice", "INV-5")]),
        idempotency_key: key.into(),
    };
    let paid = stripe
        .charge_saved_card(&charge("invoice-INV-5-auto-1"))
        .await
        .expect("charged");
    assert_eq!(paid.status, PaymentIntentStatus::Succeeded);
    assert_eq!(paid.amount_received, 12990);
    let logged = fake.requests().last().cloned().expect("logged");
    assert_eq!(
        (
            logged.params["off_session"].as_str(),
            logged.params["confirm"].as_str()
        ),
        (Some("true"), Some("true"))
    );
    fake.settle().await;
    assert!(
        receiver
            .events()
            .iter()
            .any(|e| matches!(&e.kind, EventKind::PaymentIntentSucceeded(p) if p.id == paid.id))
    );

    fake.set_card_outcome(&pm, CardOutcome::Decline("insufficient_funds".into()));
    let err = stripe
        .charge_saved_card(&charge("invoice-INV-6-auto-1"))
        .await
        .expect_err("declined");
    let Error::Card {
        code,
        decline_code,
        payment_intent,
        ..
    } = &err
    else {
        panic!("a card error: {err}")
    };
    assert_eq!(code, "card_declined");
    assert_eq!(decline_code.as_deref(), Some("insufficient_funds"));
    let failed_id = payment_intent.clone().expect("names the intent");
    fake.settle().await;
    let failed = receiver
        .events()
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::PaymentIntentPaymentFailed(p) => Some(p),
            _ => None,
        })
        .expect("payment_intent.payment_failed");
    assert_eq!(failed.id, failed_id);
    assert_eq!(
        failed
            .last_payment_error
            .and_then(|e| e.decline_code)
            .as_deref(),
        Some("insufficient_funds")
    );

    fake.set_card_outcome(&pm, CardOutcome::RequireAuthentication);
    let err = stripe
        .charge_saved_card(&charge("invoice-INV-7-auto-1"))
        .await
        .expect_err("3DS");
    assert!(
        matches!(
            &err,
            Error::AuthenticationRequired {
                payment_intent: Some(_)
            }
        ),
        "{err}"
    );

    // A card that belongs to nobody cannot be charged off-session.
    let mut stranger = charge("invoice-INV-8-auto-1");
    stranger.payment_method = "pm_unknown".into();
    let err = stripe
        .charge_saved_card(&stranger)
        .await
        .expect_err("unknown card");
    assert!(
        matches!(&err, Error::Api { param: Some(p), .. } if p == "payment_method"),
        "{err}"
    );
}

#[tokio::test]
async fn payment_intents_succeed_or_fail_by_the_customer_with_events() {
    let fake = FakeStripe::start().await;
    let receiver = Receiver::start(&fake).await;
    let stripe = client(&fake);
    let new = |key: &str| NewPaymentIntent {
        amount: 4990,
        currency: "brl".into(),
        customer: None,
        description: None,
        metadata: meta(&[("invoice", "INV-9")]),
        setup_future_usage_off_session: false,
        idempotency_key: key.into(),
    };
    let pi = stripe
        .create_payment_intent(&new("invoice-INV-9-intent"))
        .await
        .expect("intent");
    assert_eq!(pi.status, PaymentIntentStatus::RequiresPaymentMethod);
    fake.fail_intent(&pi.id, "expired_card")
        .await
        .expect("fails");
    fake.succeed_intent(&pi.id).await.expect("then pays");
    let kinds: Vec<String> = receiver
        .events()
        .iter()
        .map(|e| e.event_type.clone())
        .collect();
    assert_eq!(
        kinds,
        ["payment_intent.payment_failed", "payment_intent.succeeded"]
    );
    let shown = stripe.payment_intent(&pi.id).await.expect("get");
    assert_eq!(
        (shown.status, shown.amount_received),
        (PaymentIntentStatus::Succeeded, 4990)
    );
    assert!(fake.succeed_intent(&pi.id).await.is_err(), "paid once");
}

#[tokio::test]
async fn refunds_are_limited_to_what_was_paid_and_announced() {
    let fake = FakeStripe::start().await;
    let receiver = Receiver::start(&fake).await;
    let stripe = client(&fake);
    let session = stripe
        .create_checkout_payment(&checkout("INV-10", None, false))
        .await
        .expect("session");
    fake.complete_checkout(&session.id).await.expect("paid");
    let pi = stripe
        .checkout_session(&session.id)
        .await
        .expect("get")
        .payment_intent
        .expect("intent");
    let refund = |amount, key: &str| NewRefund {
        payment_intent: pi.clone(),
        amount,
        metadata: meta(&[("invoice", "INV-10")]),
        idempotency_key: key.into(),
    };
    let partial = stripe
        .create_refund(&refund(Some(1000), "refund-1"))
        .await
        .expect("refund");
    assert_eq!(
        (partial.amount, partial.status.as_str()),
        (1000, "succeeded")
    );
    assert_eq!(partial.payment_intent.as_deref(), Some(pi.as_str()));
    let err = stripe
        .create_refund(&refund(Some(9000), "refund-2"))
        .await
        .expect_err("too much");
    assert!(
        matches!(&err, Error::Api { param: Some(p), .. } if p == "amount"),
        "{err}"
    );
    let rest = stripe
        .create_refund(&refund(None, "refund-3"))
        .await
        .expect("the rest");
    assert_eq!(rest.amount, 8990);
    fake.settle().await;
    let refunded: Vec<(i64, bool)> = receiver
        .events()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::ChargeRefunded(c) => Some((c.amount_refunded, c.refunded)),
            _ => None,
        })
        .collect();
    assert_eq!(refunded, [(1000, false), (9990, true)]);
}

#[tokio::test]
async fn a_setup_intent_saves_a_card_for_its_customer() {
    let fake = FakeStripe::start().await;
    let receiver = Receiver::start(&fake).await;
    let stripe = client(&fake);
    assert!(
        Stripe::new(&Config::new(fake.url()), " ").is_err(),
        "empty key refused"
    );
    let customer = stripe
        .create_customer(&NewCustomer {
            email: None,
            name: Some("Bruno".into()),
            metadata: meta(&[("lastmile_customer", "7")]),
            idempotency_key: "customer-7-create".into(),
        })
        .await
        .expect("customer");
    let err = stripe
        .create_setup_intent("cus_missing", &BTreeMap::new(), "customer-x-setup")
        .await
        .expect_err("unknown customer");
    assert!(
        matches!(&err, Error::Api { code: Some(c), param: Some(p), .. } if c == "resource_missing" && p == "customer"),
        "{err}"
    );
    let intent = stripe
        .create_setup_intent(
            &customer.id,
            &meta(&[("lastmile_customer", "7")]),
            "customer-7-setup-1",
        )
        .await
        .expect("setup intent");
    assert_eq!(intent.status, "requires_payment_method");
    assert_eq!(intent.usage.as_deref(), Some("off_session"));
    fake.confirm_setup_intent(&intent.id)
        .await
        .expect("customer confirms");
    let saved = stripe.setup_intent(&intent.id).await.expect("get");
    assert_eq!(saved.status, "succeeded");
    let pm = saved.payment_method.expect("card");
    let event = receiver.events().pop().expect("an event");
    assert!(
        matches!(&event.kind, EventKind::SetupIntentSucceeded(s) if s.payment_method.as_deref() == Some(pm.as_str()) && s.metadata["lastmile_customer"] == "7"),
        "{event:?}"
    );
    let paid = stripe
        .charge_saved_card(&OffSessionCharge {
            customer: customer.id.clone(),
            payment_method: pm,
            amount: 100,
            currency: "jpy".into(),
            description: None,
            metadata: BTreeMap::new(),
            idempotency_key: "invoice-INV-11-auto-1".into(),
        })
        .await
        .expect("charged");
    assert_eq!((paid.amount, paid.currency.as_str()), (100, "jpy"));
    assert!(gateways::stripe::is_zero_decimal(&paid.currency));
}
