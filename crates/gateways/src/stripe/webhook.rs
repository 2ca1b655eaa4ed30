//! Stripe webhook events and their `Stripe-Signature` verification
//! (docs.stripe.com/webhooks#verify-manually): the header carries a
//! timestamp `t` and one or more `v1` signatures, each an HMAC-SHA256 of
//! `"{t}.{raw body}"` keyed with an endpoint secret (`whsec_…`). Several
//! `v1` appear while a secret is being rolled, so any match is enough.

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use super::{CheckoutSession, PaymentIntent, SetupIntent};
use std::collections::BTreeMap;

type HmacSha256 = Hmac<Sha256>;

/// Stripe's libraries' default: events signed more than five minutes
/// away from our clock are refused (replays of captured requests).
pub const DEFAULT_TOLERANCE: i64 = 300;

/// Why a webhook request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// No `t=` element in `Stripe-Signature`.
    #[error("Stripe-Signature: no timestamp (t=)")]
    NoTimestamp,
    /// No `v1=` element in `Stripe-Signature`.
    #[error("Stripe-Signature: no v1 signature")]
    NoSignature,
    /// An element that is not `key=value`, or a `t` that is not a number.
    #[error("Stripe-Signature: malformed element {0:?}")]
    Malformed(String),
    /// No endpoint secret configured to check against.
    #[error("no webhook signing secret configured")]
    NoSecret,
    /// No `v1` is the HMAC of this payload under any of our secrets.
    #[error("Stripe-Signature: no v1 signature matches the payload")]
    Mismatch,
    /// Correctly signed, but too long ago (or too far ahead).
    #[error("Stripe-Signature: timestamp {timestamp} is more than {tolerance} s from now ({now})")]
    Stale {
        timestamp: i64,
        now: i64,
        tolerance: i64,
    },
    /// Correctly signed but not an event we can read.
    #[error("Stripe event: {0}")]
    Payload(String),
}

/// The `v1` signature of `payload` at `timestamp`, in hex.
pub fn signature(payload: &[u8], secret: &str, timestamp: i64) -> String {
    hex::encode(mac(payload, secret, timestamp).finalize().into_bytes())
}

/// A `Stripe-Signature` header value, exactly as Stripe sends it.
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    format!("t={timestamp},v1={}", signature(payload, secret, timestamp))
}

fn mac(payload: &[u8], secret: &str, timestamp: i64) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// Verifies `header` (the `Stripe-Signature` value) over the raw request
/// body against each secret, checks the timestamp is within `tolerance`
/// seconds of `now` (Unix seconds), and parses the event.
pub fn verify(
    payload: &[u8],
    header: &str,
    secrets: &[&str],
    now: i64,
    tolerance: i64,
) -> Result<Event, VerifyError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for element in header.split(',') {
        let element = element.trim();
        let (key, value) = element
            .split_once('=')
            .ok_or_else(|| VerifyError::Malformed(element.to_owned()))?;
        match key {
            "t" => {
                let t = value
                    .parse::<i64>()
                    .map_err(|_| VerifyError::Malformed(element.to_owned()))?;
                timestamp.get_or_insert(t);
            }
            "v1" => signatures.push(value),
            // v0 (test-mode legacy) and future schemes are ignored, as in
            // Stripe's libraries: only v1 is trusted.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::NoTimestamp)?;
    if signatures.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    if secrets.iter().all(|s| s.is_empty()) {
        return Err(VerifyError::NoSecret);
    }
    let matches = secrets.iter().filter(|s| !s.is_empty()).any(|secret| {
        signatures.iter().any(|sig| {
            // A v1 that is not hex cannot match; verify_slice compares in
            // constant time.
            hex::decode(sig)
                .is_ok_and(|bytes| mac(payload, secret, timestamp).verify_slice(&bytes).is_ok())
        })
    });
    if !matches {
        return Err(VerifyError::Mismatch);
    }
    if (now - timestamp).abs() > tolerance {
        return Err(VerifyError::Stale {
            timestamp,
            now,
            tolerance,
        });
    }
    Event::parse(payload)
}

/// A Charge, as `charge.refunded` carries it.
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    pub id: String,
    pub amount: i64,
    /// Total refunded so far (minor units), this refund included.
    #[serde(default)]
    pub amount_refunded: i64,
    pub currency: String,
    #[serde(default)]
    pub payment_intent: Option<String>,
    /// Whether the whole amount is refunded.
    #[serde(default)]
    pub refunded: bool,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// `checkout.session.completed`: check `payment_status == "paid"`
    /// (a delayed method completes the session unpaid).
    CheckoutSessionCompleted(CheckoutSession),
    /// `payment_intent.succeeded`: the money is ours.
    PaymentIntentSucceeded(PaymentIntent),
    /// `payment_intent.payment_failed`: see `last_payment_error`.
    PaymentIntentPaymentFailed(PaymentIntent),
    /// `charge.refunded`: `amount_refunded` is the running total.
    ChargeRefunded(Charge),
    /// `setup_intent.succeeded`: `payment_method` is saved for the customer.
    SetupIntentSucceeded(SetupIntent),
    /// Any other type: acknowledged and ignored.
    Other(String),
}

/// A webhook event.
#[derive(Debug, Clone)]
pub struct Event {
    /// `evt_…`: Stripe may deliver an event more than once; process each id once.
    pub id: String,
    /// The event's `type`.
    pub event_type: String,
    /// Unix seconds.
    pub created: i64,
    pub livemode: bool,
    pub kind: EventKind,
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    created: i64,
    #[serde(default)]
    livemode: bool,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: Value,
}

impl Event {
    /// Parses an event body (after its signature is verified).
    pub fn parse(payload: &[u8]) -> Result<Event, VerifyError> {
        let raw: RawEvent =
            serde_json::from_slice(payload).map_err(|e| VerifyError::Payload(e.to_string()))?;
        fn object<T: serde::de::DeserializeOwned>(
            event_type: &str,
            object: Value,
        ) -> Result<T, VerifyError> {
            serde_json::from_value(object)
                .map_err(|e| VerifyError::Payload(format!("{event_type}: data.object: {e}")))
        }
        let t = raw.event_type.as_str();
        let o = raw.data.object;
        let kind = match t {
            "checkout.session.completed" => EventKind::CheckoutSessionCompleted(object(t, o)?),
            "payment_intent.succeeded" => EventKind::PaymentIntentSucceeded(object(t, o)?),
            "payment_intent.payment_failed" => EventKind::PaymentIntentPaymentFailed(object(t, o)?),
            "charge.refunded" => EventKind::ChargeRefunded(object(t, o)?),
            "setup_intent.succeeded" => EventKind::SetupIntentSucceeded(object(t, o)?),
            other => EventKind::Other(other.to_owned()),
        };
        Ok(Event {
            id: raw.id,
            event_type: raw.event_type,
            created: raw.created,
            livemode: raw.livemode,
            kind,
        })
    }
}
