//! PayPal webhook events and their verification through PayPal's own call,
//! `POST /v1/notifications/verify-webhook-signature`: we pass the five
//! transmission headers, our webhook's id and the event exactly as
//! received (the signature covers a CRC32 of the raw body, so the event is
//! forwarded byte for byte, never re-serialized), and trust the event only
//! when PayPal answers `verification_status: SUCCESS`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{Capture, Error, Link, Money, Paypal, RawCapture, amount};
use crate::http::Request;

/// The headers PayPal sends with each webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransmissionHeaders {
    /// `PAYPAL-TRANSMISSION-ID`
    pub transmission_id: String,
    /// `PAYPAL-TRANSMISSION-TIME`
    pub transmission_time: String,
    /// `PAYPAL-TRANSMISSION-SIG`
    pub transmission_sig: String,
    /// `PAYPAL-CERT-URL`
    pub cert_url: String,
    /// `PAYPAL-AUTH-ALGO`
    pub auth_algo: String,
}

impl TransmissionHeaders {
    /// Header names, lower case (HTTP header names are case-insensitive).
    pub const NAMES: [&'static str; 5] = [
        "paypal-transmission-id",
        "paypal-transmission-time",
        "paypal-transmission-sig",
        "paypal-cert-url",
        "paypal-auth-algo",
    ];

    /// Reads the five headers through `get` (given a lower-case name).
    pub fn from_lookup<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<TransmissionHeaders, VerifyError> {
        let one = |name: &'static str| {
            get(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or(VerifyError::MissingHeader(name))
        };
        Ok(TransmissionHeaders {
            transmission_id: one(Self::NAMES[0])?,
            transmission_time: one(Self::NAMES[1])?,
            transmission_sig: one(Self::NAMES[2])?,
            cert_url: one(Self::NAMES[3])?,
            auth_algo: one(Self::NAMES[4])?,
        })
    }
}

/// Why a webhook delivery was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("webhook: header {0} missing")]
    MissingHeader(&'static str),
    /// The body is not an event (or names a resource we cannot read).
    #[error("webhook event: {0}")]
    Payload(String),
    /// PayPal did not vouch for this delivery (`FAILURE`).
    #[error("webhook: PayPal's verification answered {0}")]
    Rejected(String),
    /// The verification call itself failed; the delivery can be retried.
    #[error("webhook: verification call: {0}")]
    Call(#[from] Error),
}

#[derive(Serialize)]
struct VerifyRequest<'a> {
    auth_algo: &'a str,
    cert_url: &'a str,
    transmission_id: &'a str,
    transmission_sig: &'a str,
    transmission_time: &'a str,
    webhook_id: &'a str,
    webhook_event: &'a RawValue,
}

impl Paypal {
    /// Verifies a webhook delivery with PayPal and parses its event.
    pub async fn verify_webhook(
        &self,
        headers: &TransmissionHeaders,
        webhook_id: &str,
        body: &[u8],
    ) -> Result<Event, VerifyError> {
        let text = std::str::from_utf8(body)
            .map_err(|e| VerifyError::Payload(format!("not UTF-8: {e}")))?;
        let raw: &RawValue =
            serde_json::from_str(text).map_err(|e| VerifyError::Payload(e.to_string()))?;
        // Parse first: a body we cannot read is refused without a call.
        let event = Event::parse(body)?;
        let request = VerifyRequest {
            auth_algo: &headers.auth_algo,
            cert_url: &headers.cert_url,
            transmission_id: &headers.transmission_id,
            transmission_sig: &headers.transmission_sig,
            transmission_time: &headers.transmission_time,
            webhook_id,
            webhook_event: raw,
        };
        #[derive(Deserialize)]
        struct Answer {
            verification_status: String,
        }
        let answer: Answer = self
            .send(|| Request::post("v1/notifications/verify-webhook-signature").json(&request))
            .await?;
        if answer.verification_status != "SUCCESS" {
            return Err(VerifyError::Rejected(answer.verification_status));
        }
        Ok(event)
    }
}

/// A refund, as `PAYMENT.CAPTURE.REFUNDED` carries it.
#[derive(Debug, Clone)]
pub struct RefundResource {
    pub id: String,
    pub status: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// The refunded capture (from the refund's `up` link).
    pub capture_id: Option<String>,
    pub custom_id: Option<String>,
    pub invoice_id: Option<String>,
}

/// An order the buyer approved (`CHECKOUT.ORDER.APPROVED`): capture it.
#[derive(Debug, Clone)]
pub struct ApprovedOrder {
    pub id: String,
    pub status: String,
    /// `purchase_units[0].custom_id`: our reference.
    pub custom_id: Option<String>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// `PAYMENT.CAPTURE.COMPLETED`: paid.
    CaptureCompleted(Capture),
    /// `PAYMENT.CAPTURE.PENDING`: not yet.
    CapturePending(Capture),
    /// `PAYMENT.CAPTURE.DENIED` (a pending capture refused) or
    /// `PAYMENT.CAPTURE.DECLINED`: not paid.
    CaptureDenied(Capture),
    /// `PAYMENT.CAPTURE.REFUNDED`.
    CaptureRefunded(RefundResource),
    /// `CHECKOUT.ORDER.APPROVED`.
    OrderApproved(ApprovedOrder),
    /// Any other type: acknowledged and ignored.
    Other,
}

/// A webhook event.
#[derive(Debug, Clone)]
pub struct Event {
    /// `WH-…`: PayPal retries deliveries; process each id once.
    pub id: String,
    pub event_type: String,
    pub create_time: Option<String>,
    pub kind: EventKind,
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    event_type: String,
    #[serde(default)]
    create_time: Option<String>,
    #[serde(default)]
    resource: Value,
}

#[derive(Deserialize)]
struct RawRefund {
    id: String,
    status: String,
    amount: Money,
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default)]
    invoice_id: Option<String>,
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct RawOrder {
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    purchase_units: Vec<RawUnit>,
}

#[derive(Deserialize)]
struct RawUnit {
    #[serde(default)]
    custom_id: Option<String>,
}

impl Event {
    /// Parses an event body.
    pub fn parse(body: &[u8]) -> Result<Event, VerifyError> {
        let raw: RawEvent =
            serde_json::from_slice(body).map_err(|e| VerifyError::Payload(e.to_string()))?;
        let t = raw.event_type.as_str();
        let payload = |e: String| VerifyError::Payload(format!("{t}: resource: {e}"));
        let capture = |resource: Value| -> Result<Capture, VerifyError> {
            let rawc: RawCapture =
                serde_json::from_value(resource).map_err(|e| payload(e.to_string()))?;
            Capture::from_raw(rawc, "resource").map_err(|e| payload(e.to_string()))
        };
        let kind = match t {
            "PAYMENT.CAPTURE.COMPLETED" => EventKind::CaptureCompleted(capture(raw.resource)?),
            "PAYMENT.CAPTURE.PENDING" => EventKind::CapturePending(capture(raw.resource)?),
            "PAYMENT.CAPTURE.DENIED" | "PAYMENT.CAPTURE.DECLINED" => {
                EventKind::CaptureDenied(capture(raw.resource)?)
            }
            "PAYMENT.CAPTURE.REFUNDED" => {
                let r: RawRefund =
                    serde_json::from_value(raw.resource).map_err(|e| payload(e.to_string()))?;
                let minor = amount::to_minor(
                    &r.amount.value,
                    &r.amount.currency_code,
                    "resource.amount.value",
                )
                .map_err(|e| payload(e.to_string()))?;
                let capture_id = r
                    .links
                    .iter()
                    .find(|l| l.rel == "up")
                    .and_then(|l| l.href.split("/captures/").nth(1))
                    .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned());
                EventKind::CaptureRefunded(RefundResource {
                    id: r.id,
                    status: r.status,
                    amount: minor,
                    currency: r.amount.currency_code,
                    capture_id,
                    custom_id: r.custom_id,
                    invoice_id: r.invoice_id,
                })
            }
            "CHECKOUT.ORDER.APPROVED" => {
                let o: RawOrder =
                    serde_json::from_value(raw.resource).map_err(|e| payload(e.to_string()))?;
                EventKind::OrderApproved(ApprovedOrder {
                    id: o.id,
                    status: o.status,
                    custom_id: o.purchase_units.into_iter().find_map(|u| u.custom_id),
                })
            }
            _ => EventKind::Other,
        };
        Ok(Event {
            id: raw.id,
            event_type: raw.event_type,
            create_time: raw.create_time,
            kind,
        })
    }
}
