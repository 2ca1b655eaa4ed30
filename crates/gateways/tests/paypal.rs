//! The PayPal client against the fake PayPal.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use gateways::fake::paypal::{CLIENT_ID, CaptureOutcome, FakePaypal, SECRET, WEBHOOK_ID};
use gateways::http::Config;
use gateways::paypal::webhook::{EventKind, TransmissionHeaders, VerifyError};
use gateways::paypal::{CaptureStatus, Error, NewOrder, NewRefund, Paypal};

fn client(fake: &FakePaypal) -> Paypal {
    Paypal::new(&Config::new(fake.url()), CLIENT_ID, SECRET).expect("client")
}

fn order(invoice: &str) -> NewOrder {
    NewOrder {
        reference: invoice.into(),
        invoice_id: Some(invoice.into()),
        description: format!("Invoice {invoice}"),
        amount: 1990,
        currency: "BRL".into(),
        return_url: "https://isp.example/pay/done".into(),
        cancel_url: "https://isp.example/pay/cancel".into(),
        brand_name: Some("Fibra Exemplo".into()),
        request_id: format!("invoice-{invoice}-order"),
    }
}

/// A webhook endpoint keeping each delivery's headers and raw body.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

impl Receiver {
    async fn start(fake: &FakePaypal) -> Receiver {
        let receiver = Receiver::default();
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hooks/paypal",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    state.got.lock().expect("lock").push((headers, body));
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake.set_webhook_url(format!("http://{addr}/hooks/paypal"));
        receiver
    }

    fn all(&self) -> Vec<(HeaderMap, Bytes)> {
        self.got.lock().expect("lock").clone()
    }
}

fn transmission(headers: &HeaderMap) -> TransmissionHeaders {
    TransmissionHeaders::from_lookup(|name| headers.get(name).and_then(|v| v.to_str().ok()))
        .expect("all five headers")
}

#[tokio::test]
async fn the_token_is_cached_and_fetched_again_after_a_401_or_expiry() {
    let fake = FakePaypal::start().await;
    let paypal = client(&fake);
    paypal.create_order(&order("INV-1")).await.expect("order 1");
    paypal.create_order(&order("INV-2")).await.expect("order 2");
    assert_eq!(fake.tokens_issued(), 1, "one token for both calls");
    let token_call = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/oauth2/token")
        .expect("token call");
    assert!(
        token_call
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
    );
    assert_eq!(token_call.body, "grant_type=client_credentials");

    fake.expire_tokens();
    paypal
        .create_order(&order("INV-3"))
        .await
        .expect("after revocation");
    assert_eq!(
        fake.tokens_issued(),
        2,
        "401 → new token → same request again"
    );
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .rev()
        .take(3)
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        [200, 200, 401],
        "the retried call, the token, the refused call"
    );

    // A token that lives less than the safety margin is not reused.
    fake.set_token_lifetime(30);
    fake.expire_tokens();
    paypal
        .create_order(&order("INV-3b"))
        .await
        .expect("after revocation");
    assert_eq!(fake.tokens_issued(), 3);
    paypal.access_token().await.expect("token");
    paypal.access_token().await.expect("token");
    assert_eq!(fake.tokens_issued(), 5);

    let wrong = Paypal::new(&Config::new(fake.url()), CLIENT_ID, "not-the-secret").expect("client");
    let err = wrong.access_token().await.expect_err("refused");
    assert!(
        matches!(&err, Error::Credentials { status: 401, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn an_order_is_approved_then_captured_completed() {
    let fake = FakePaypal::start().await;
    let paypal = client(&fake);
    let created = paypal.create_order(&order("INV-4")).await.expect("order");
    assert_eq!(created.status, "PAYER_ACTION_REQUIRED");
    assert!(
        created
            .approve_url()
            .is_some_and(|u| u.contains(&created.id))
    );
    let logged = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v2/checkout/orders")
        .expect("logged");
    assert_eq!(logged.request_id.as_deref(), Some("invoice-INV-4-order"));
    let body: serde_json::Value = serde_json::from_str(&logged.body).expect("json");
    assert_eq!(body["purchase_units"][0]["amount"]["value"], "19.90");
    assert_eq!(body["purchase_units"][0]["custom_id"], "INV-4");
    assert!(body["purchase_units"][0].get("soft_descriptor").is_none());

    // The same PayPal-Request-Id is the same order.
    let again = paypal.create_order(&order("INV-4")).await.expect("retry");
    assert_eq!(again.id, created.id);

    let err = paypal
        .capture_order(&created.id, "capture-INV-4")
        .await
        .expect_err("not approved");
    assert!(err.has_issue("ORDER_NOT_APPROVED"), "{err}");

    fake.approve(&created.id).await.expect("buyer approves");
    assert_eq!(
        paypal.order(&created.id).await.expect("get").status,
        "APPROVED"
    );
    let capture = paypal
        .capture_order(&created.id, "capture-INV-4-2")
        .await
        .expect("captured");
    assert!(capture.is_paid());
    assert_eq!(capture.status, CaptureStatus::Completed);
    assert_eq!((capture.amount, capture.currency.as_str()), (1990, "BRL"));
    assert_eq!(capture.custom_id.as_deref(), Some("INV-4"));
    assert_eq!(capture.order_id.as_deref(), Some(created.id.as_str()));
    let shown = paypal.order(&created.id).await.expect("get");
    assert_eq!(shown.status, "COMPLETED");
    assert_eq!(shown.captures().expect("captures")[0].id, capture.id);

    // A second order for the same invoice is refused by PayPal.
    let mut twice = order("INV-4");
    twice.request_id = "invoice-INV-4-order-2".into();
    let err = paypal
        .create_order(&twice)
        .await
        .expect_err("duplicate invoice");
    assert!(err.has_issue("DUPLICATE_INVOICE_ID"), "{err}");
}

#[tokio::test]
async fn the_capture_status_decides_not_the_order_status() {
    let fake = FakePaypal::start().await;
    let receiver = Receiver::start(&fake).await;
    let paypal = client(&fake);

    let pending = paypal.create_order(&order("INV-5")).await.expect("order");
    fake.set_capture_outcome(
        &pending.id,
        CaptureOutcome::Pending("PENDING_REVIEW".into()),
    );
    fake.approve(&pending.id).await.expect("approve");
    let capture = paypal
        .capture_order(&pending.id, "capture-INV-5")
        .await
        .expect("pending");
    assert_eq!(
        capture.status,
        CaptureStatus::Pending {
            reason: Some("PENDING_REVIEW".into())
        }
    );
    assert!(!capture.is_paid());
    fake.resolve_pending(&capture.id, true)
        .await
        .expect("completes later");

    let declined = paypal.create_order(&order("INV-6")).await.expect("order");
    fake.set_capture_outcome(&declined.id, CaptureOutcome::Declined);
    fake.approve(&declined.id).await.expect("approve");
    let capture = paypal
        .capture_order(&declined.id, "capture-INV-6")
        .await
        .expect("answered");
    assert_eq!(capture.status, CaptureStatus::Declined);
    assert!(!capture.is_paid());
    assert_eq!(
        paypal.order(&declined.id).await.expect("get").status,
        "COMPLETED",
        "the order completes even though the money did not come"
    );

    let refused = paypal.create_order(&order("INV-7")).await.expect("order");
    fake.set_capture_outcome(&refused.id, CaptureOutcome::InstrumentDeclined);
    fake.approve(&refused.id).await.expect("approve");
    let err = paypal
        .capture_order(&refused.id, "capture-INV-7")
        .await
        .expect_err("declined");
    assert!(err.has_issue("INSTRUMENT_DECLINED"), "{err}");
    assert!(matches!(&err, Error::Api { status: 422, .. }), "{err}");

    fake.settle().await;
    let mut kinds = Vec::new();
    for (headers, body) in receiver.all() {
        let event = paypal
            .verify_webhook(&transmission(&headers), WEBHOOK_ID, &body)
            .await
            .expect("verified");
        kinds.push(match event.kind {
            EventKind::OrderApproved(o) => format!("approved {}", o.custom_id.unwrap_or_default()),
            EventKind::CapturePending(c) => format!("pending {}", c.custom_id.unwrap_or_default()),
            EventKind::CaptureCompleted(c) => {
                format!("completed {}", c.custom_id.unwrap_or_default())
            }
            EventKind::CaptureDenied(c) => format!("denied {}", c.custom_id.unwrap_or_default()),
            other => format!("{other:?}"),
        });
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "approved INV-5",
            "approved INV-6",
            "approved INV-7",
            "completed INV-5",
            "denied INV-6",
            "pending INV-5",
        ]
    );
}

#[tokio::test]
async fn webhooks_verify_only_as_sent() {
    let fake = FakePaypal::start().await;
    let receiver = Receiver::start(&fake).await;
    fake.deliver_twice(true);
    let paypal = client(&fake);
    let created = paypal.create_order(&order("INV-8")).await.expect("order");
    fake.approve(&created.id).await.expect("approve");
    paypal
        .capture_order(&created.id, "capture-INV-8")
        .await
        .expect("captured");
    fake.settle().await;
    let got = receiver.all();
    assert_eq!(got.len(), 4, "two events, each delivered twice");

    let (headers, body) = got.last().cloned().expect("delivery");
    let event = paypal
        .verify_webhook(&transmission(&headers), WEBHOOK_ID, &body)
        .await
        .expect("SUCCESS");
    let EventKind::CaptureCompleted(capture) = &event.kind else {
        panic!("a completed capture: {event:?}")
    };
    assert_eq!(
        (capture.amount, capture.custom_id.as_deref()),
        (1990, Some("INV-8"))
    );
    assert_eq!(event.event_type, "PAYMENT.CAPTURE.COMPLETED");
    let (first_headers, first_body) = &got[2];
    let first = paypal
        .verify_webhook(&transmission(first_headers), WEBHOOK_ID, first_body)
        .await
        .expect("the repeat verifies too");
    assert_eq!(first.id, event.id, "a repeat carries the same event id");

    // The amount changed on the way: PayPal does not vouch for it.
    let tampered = String::from_utf8(body.to_vec())
        .expect("utf-8")
        .replace("\"19.90\"", "\"1990.00\"");
    assert_ne!(tampered.as_bytes(), &body[..]);
    let err = paypal
        .verify_webhook(&transmission(&headers), WEBHOOK_ID, tampered.as_bytes())
        .await
        .expect_err("tampered");
    assert!(
        matches!(&err, VerifyError::Rejected(s) if s == "FAILURE"),
        "{err}"
    );

    // Another webhook's id, or a made-up transmission, fail too.
    let err = paypal
        .verify_webhook(&transmission(&headers), "OTHERWEBHOOKID", &body)
        .await
        .expect_err("other webhook");
    assert!(matches!(err, VerifyError::Rejected(_)), "{err}");
    let mut forged = transmission(&headers);
    forged.transmission_id = "00000000-0000-0000-0000-000000000000".into();
    assert!(
        paypal
            .verify_webhook(&forged, WEBHOOK_ID, &body)
            .await
            .is_err()
    );

    // Missing headers are named before any call.
    let mut partial = headers.clone();
    partial.remove("paypal-transmission-sig");
    let err = TransmissionHeaders::from_lookup(|n| partial.get(n).and_then(|v| v.to_str().ok()))
        .expect_err("missing");
    assert!(err.to_string().contains("paypal-transmission-sig"), "{err}");
    let err = paypal
        .verify_webhook(&transmission(&headers), WEBHOOK_ID, b"not json")
        .await
        .expect_err("not an event");
    assert!(matches!(err, VerifyError::Payload(_)), "{err}");
}

#[tokio::test]
async fn refunds_are_limited_to_the_capture_and_announced() {
    let fake = FakePaypal::start().await;
    let receiver = Receiver::start(&fake).await;
    let paypal = client(&fake);
    let created = paypal.create_order(&order("INV-9")).await.expect("order");
    fake.approve(&created.id).await.expect("approve");
    let capture = paypal
        .capture_order(&created.id, "capture-INV-9")
        .await
        .expect("captured");
    let refund = |amount, key: &str| NewRefund {
        capture_id: capture.id.clone(),
        amount,
        currency: "BRL".into(),
        note_to_payer: Some("Refund of invoice INV-9".into()),
        request_id: key.into(),
    };
    let partial = paypal
        .refund_capture(&refund(Some(500), "refund-1"))
        .await
        .expect("refund");
    assert_eq!(partial.status, "COMPLETED");
    assert_eq!(partial.amount, Some((500, "BRL".to_owned())));
    let again = paypal
        .refund_capture(&refund(Some(500), "refund-1"))
        .await
        .expect("replayed");
    assert_eq!(again.id, partial.id, "same PayPal-Request-Id, one refund");
    let err = paypal
        .refund_capture(&refund(Some(1500), "refund-2"))
        .await
        .expect_err("too much");
    assert!(err.has_issue("REFUND_AMOUNT_EXCEEDED"), "{err}");
    let rest = paypal
        .refund_capture(&refund(None, "refund-3"))
        .await
        .expect("the rest");
    assert_eq!(rest.amount, Some((1490, "BRL".to_owned())));
    let err = paypal
        .refund_capture(&refund(None, "refund-4"))
        .await
        .expect_err("nothing left");
    assert!(err.has_issue("CAPTURE_FULLY_REFUNDED"), "{err}");

    fake.settle().await;
    let mut refunded = Vec::new();
    for (headers, body) in receiver.all() {
        let event = paypal
            .verify_webhook(&transmission(&headers), WEBHOOK_ID, &body)
            .await
            .expect("verified");
        if let EventKind::CaptureRefunded(r) = event.kind {
            assert_eq!(r.capture_id.as_deref(), Some(capture.id.as_str()));
            assert_eq!(r.custom_id.as_deref(), Some("INV-9"));
            refunded.push(r.amount);
        }
    }
    refunded.sort();
    assert_eq!(refunded, [500, 1490]);
}

#[tokio::test]
async fn bad_orders_are_refused_in_paypal_shape() {
    let fake = FakePaypal::start().await;
    let paypal = client(&fake);
    let mut zero = order("INV-10");
    zero.amount = 0;
    let err = paypal.create_order(&zero).await.expect_err("zero");
    assert!(matches!(err, Error::Input(_)), "{err}");
    let mut yen = order("INV-11");
    yen.currency = "JPY".into();
    yen.amount = 500;
    paypal.create_order(&yen).await.expect("whole yen");
    let body: serde_json::Value =
        serde_json::from_str(&fake.requests().last().expect("logged").body).expect("json");
    assert_eq!(body["purchase_units"][0]["amount"]["value"], "500");
    let err = paypal
        .order("../v1/oauth2/token")
        .await
        .expect_err("not an id");
    assert!(matches!(err, Error::Input(_)), "{err}");
    let err = paypal.order("UNKNOWN1").await.expect_err("no such order");
    assert!(
        matches!(&err, Error::Api { status: 404, name, .. } if name == "RESOURCE_NOT_FOUND"),
        "{err}"
    );
}
