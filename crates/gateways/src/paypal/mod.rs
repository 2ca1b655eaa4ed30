//! PayPal's REST API (developer.paypal.com): OAuth2 client credentials,
//! Orders v2 (create, show, capture), Payments v2 refunds and Webhooks v1
//! signature verification.
//!
//! The access token is cached until shortly before it expires and fetched
//! again when PayPal answers 401. Every POST carries `PayPal-Request-Id`
//! (the caller's deterministic key, e.g. `invoice-<public_id>-order`), so a
//! retry does not create a second order, capture or refund. Amounts travel
//! as decimal text ([`amount`]); a capture's own status decides whether the
//! money arrived, not the order's.

pub mod amount;
pub mod webhook;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::{self, Request};
pub use amount::AmountError;

/// PayPal's live API.
pub const BASE_URL: &str = "https://api-m.paypal.com/";
/// PayPal's sandbox API.
pub const SANDBOX_URL: &str = "https://api-m.sandbox.paypal.com/";

/// A token is renewed this long before PayPal's `expires_in` ends, so a
/// request never leaves with a token that expires on the way.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// One problem PayPal lists in an error's `details`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Issue {
    #[serde(default)]
    pub field: Option<String>,
    /// `ORDER_NOT_APPROVED`, `INSTRUMENT_DECLINED`, `MISSING_REQUIRED_PARAMETER`, …
    pub issue: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// What went wrong calling PayPal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No answer, a non-PayPal answer, or a body we could not parse.
    #[error(transparent)]
    Http(#[from] http::Error),
    /// PayPal refused our client id and secret (`invalid_client`).
    #[error("PayPal refused the API credentials (HTTP {status}, {error}): {description}")]
    Credentials {
        status: u16,
        error: String,
        description: String,
    },
    /// A refusal in PayPal's error shape (`name`, `details[].issue`).
    #[error("PayPal refused the request (HTTP {status}, {name}{}): {message}", issues.iter().map(|i| format!(", {}{}", i.issue, i.field.as_deref().map(|f| format!(" at {f}")).unwrap_or_default())).collect::<String>())]
    Api {
        status: u16,
        name: String,
        message: String,
        debug_id: Option<String>,
        issues: Vec<Issue>,
    },
    /// An amount in PayPal's answer that is not valid for its currency.
    #[error(transparent)]
    Amount(#[from] AmountError),
    /// A 2xx answer lacking what PayPal documents (an approve link, a capture).
    #[error("PayPal answer: {0}")]
    Unexpected(String),
    /// Bad input from our side (negative amount, id with `/`).
    #[error("PayPal request: {0}")]
    Input(String),
}

impl Error {
    /// Whether PayPal named this `issue` (`INSTRUMENT_DECLINED`: the buyer
    /// must choose another funding source; `ORDER_NOT_APPROVED`; …).
    pub fn has_issue(&self, issue: &str) -> bool {
        matches!(self, Error::Api { issues, .. } if issues.iter().any(|i| i.issue == issue))
    }

    fn from_http(err: http::Error) -> Error {
        #[derive(Deserialize)]
        struct ApiBody {
            name: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            debug_id: Option<String>,
            #[serde(default)]
            details: Vec<Issue>,
        }
        #[derive(Deserialize)]
        struct OAuthBody {
            error: String,
            #[serde(default)]
            error_description: String,
        }
        let http::Error::Status { status, body, .. } = &err else {
            return Error::Http(err);
        };
        if let Ok(b) = serde_json::from_str::<ApiBody>(body) {
            return Error::Api {
                status: status.as_u16(),
                name: b.name,
                message: b.message,
                debug_id: b.debug_id,
                issues: b.details,
            };
        }
        if let Ok(b) = serde_json::from_str::<OAuthBody>(body)
            && b.error == "invalid_client"
        {
            return Error::Credentials {
                status: status.as_u16(),
                error: b.error,
                description: b.error_description,
            };
        }
        Error::Http(err)
    }
}

/// A link in a PayPal answer (HATEOAS).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Link {
    pub href: String,
    pub rel: String,
    #[serde(default)]
    pub method: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct Money {
    pub currency_code: String,
    pub value: String,
}

/// An order to create (intent `CAPTURE`, one purchase unit).
#[derive(Debug, Clone, Default)]
pub struct NewOrder {
    /// `purchase_units[0].reference_id` and `custom_id`: our invoice's
    /// public id, which capture events echo in `custom_id`.
    pub reference: String,
    /// `invoice_id`: PayPal refuses a second order with the same one
    /// (`DUPLICATE_INVOICE_ID`), a guard against paying an invoice twice.
    pub invoice_id: Option<String>,
    pub description: String,
    /// Minor units of `currency`.
    pub amount: i64,
    /// ISO code (`BRL`).
    pub currency: String,
    pub return_url: String,
    pub cancel_url: String,
    pub brand_name: Option<String>,
    /// `PayPal-Request-Id`, e.g. `invoice-<public_id>-order`.
    pub request_id: String,
}

/// An order as PayPal shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    pub id: String,
    /// `CREATED`, `PAYER_ACTION_REQUIRED`, `APPROVED`, `COMPLETED`, …
    pub status: String,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    purchase_units: Vec<PurchaseUnit>,
}

#[derive(Debug, Clone, Deserialize)]
struct PurchaseUnit {
    #[serde(default)]
    payments: Option<Payments>,
}

#[derive(Debug, Clone, Deserialize)]
struct Payments {
    #[serde(default)]
    captures: Vec<RawCapture>,
}

impl Order {
    /// Where to send the buyer to approve the payment (`payer-action` with
    /// `payment_source.paypal`, `approve` in the older flow).
    pub fn approve_url(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == "payer-action" || l.rel == "approve")
            .map(|l| l.href.as_str())
    }

    /// The order's captures (after a capture call).
    pub fn captures(&self) -> Result<Vec<Capture>, Error> {
        let mut out = Vec::new();
        for (u, unit) in self.purchase_units.iter().enumerate() {
            for (c, raw) in unit
                .payments
                .iter()
                .flat_map(|p| p.captures.iter())
                .enumerate()
            {
                out.push(Capture::from_raw(
                    raw.clone(),
                    &format!("purchase_units[{u}].payments.captures[{c}]"),
                )?);
            }
        }
        Ok(out)
    }
}

/// A capture's status: only [`CaptureStatus::Completed`] means paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureStatus {
    Completed,
    /// Not yet: PayPal names why (`PENDING_REVIEW`, `ECHECK`, …); a
    /// `PAYMENT.CAPTURE.COMPLETED` or `DENIED` event follows.
    Pending {
        reason: Option<String>,
    },
    Declined,
    Failed,
    Refunded,
    PartiallyRefunded,
    /// A status newer than this code.
    Other(String),
}

/// A capture (money taken from the buyer, or the attempt to).
#[derive(Debug, Clone)]
pub struct Capture {
    pub id: String,
    pub status: CaptureStatus,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// Our reference, as set in the order's `custom_id`.
    pub custom_id: Option<String>,
    pub invoice_id: Option<String>,
    /// The order it belongs to (`supplementary_data.related_ids.order_id`).
    pub order_id: Option<String>,
}

impl Capture {
    /// Whether the money arrived.
    pub fn is_paid(&self) -> bool {
        self.status == CaptureStatus::Completed
    }

    pub(crate) fn from_raw(raw: RawCapture, field: &str) -> Result<Capture, Error> {
        let status = match raw.status.as_str() {
            "COMPLETED" => CaptureStatus::Completed,
            "PENDING" => CaptureStatus::Pending {
                reason: raw.status_details.and_then(|d| d.reason),
            },
            "DECLINED" => CaptureStatus::Declined,
            "FAILED" => CaptureStatus::Failed,
            "REFUNDED" => CaptureStatus::Refunded,
            "PARTIALLY_REFUNDED" => CaptureStatus::PartiallyRefunded,
            other => CaptureStatus::Other(other.to_owned()),
        };
        let amount = raw
            .amount
            .ok_or_else(|| Error::Unexpected(format!("{field}.amount: missing")))?;
        Ok(Capture {
            id: raw.id,
            status,
            amount: amount::to_minor(
                &amount.value,
                &amount.currency_code,
                &format!("{field}.amount.value"),
            )?,
            currency: amount.currency_code,
            custom_id: raw.custom_id,
            invoice_id: raw.invoice_id,
            order_id: raw
                .supplementary_data
                .and_then(|s| s.related_ids)
                .and_then(|r| r.order_id),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawCapture {
    id: String,
    status: String,
    #[serde(default)]
    status_details: Option<StatusDetails>,
    #[serde(default)]
    amount: Option<Money>,
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default)]
    invoice_id: Option<String>,
    #[serde(default)]
    supplementary_data: Option<SupplementaryData>,
}

#[derive(Debug, Clone, Deserialize)]
struct StatusDetails {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct SupplementaryData {
    #[serde(default)]
    related_ids: Option<RelatedIds>,
}

#[derive(Debug, Clone, Deserialize)]
struct RelatedIds {
    #[serde(default)]
    order_id: Option<String>,
}

/// A refund to make of a capture; `amount: None` refunds what is left.
#[derive(Debug, Clone, Default)]
pub struct NewRefund {
    pub capture_id: String,
    /// Minor units of `currency`.
    pub amount: Option<i64>,
    pub currency: String,
    pub note_to_payer: Option<String>,
    /// `PayPal-Request-Id`, e.g. `refund-<our refund id>`.
    pub request_id: String,
}

/// A refund.
#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    /// `COMPLETED`, `PENDING`, `FAILED`, `CANCELLED`.
    pub status: String,
    /// Minor units, when PayPal includes the amount.
    pub amount: Option<(i64, String)>,
}

#[derive(Deserialize)]
struct RawRefund {
    id: String,
    status: String,
    #[serde(default)]
    amount: Option<Money>,
}

struct Token {
    value: String,
    renew_at: Instant,
}

/// A client for one PayPal REST app (client id and secret).
pub struct Paypal {
    http: http::Client,
    client_id: String,
    secret: String,
    token: Mutex<Option<Token>>,
}

impl Paypal {
    /// A client for `config.base_url` ([`BASE_URL`] or [`SANDBOX_URL`]).
    pub fn new(
        config: &http::Config,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Result<Paypal, Error> {
        let (client_id, secret) = (client_id.into(), secret.into());
        if client_id.is_empty() || secret.is_empty() {
            return Err(Error::Input(
                "client id and secret must not be empty".into(),
            ));
        }
        Ok(Paypal {
            http: http::Client::new(config)?,
            client_id,
            secret,
            token: Mutex::new(None),
        })
    }

    fn cached_token(&self) -> Option<String> {
        let guard = self.token.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|t| Instant::now() < t.renew_at)
            .map(|t| t.value.clone())
    }

    fn forget_token(&self, value: &str) {
        let mut guard = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|t| t.value == value) {
            *guard = None;
        }
    }

    /// A valid access token: the cached one, or a new one from
    /// `POST /v1/oauth2/token` (client credentials, Basic auth).
    pub async fn access_token(&self) -> Result<String, Error> {
        if let Some(token) = self.cached_token() {
            return Ok(token);
        }
        #[derive(Deserialize)]
        struct Answer {
            access_token: String,
            #[serde(default)]
            expires_in: u64,
        }
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.client_id, self.secret));
        let request = Request::post("v1/oauth2/token")
            .header("authorization", format!("Basic {basic}"))
            .header("accept", "application/json")
            .form(&[("grant_type", "client_credentials")]);
        let answer: Answer = self
            .http
            .send(request)
            .await
            .map_err(Error::from_http)?
            .json()?;
        let lifetime = Duration::from_secs(answer.expires_in).saturating_sub(TOKEN_MARGIN);
        let mut guard = self.token.lock().unwrap_or_else(|p| p.into_inner());
        *guard = Some(Token {
            value: answer.access_token.clone(),
            renew_at: Instant::now() + lifetime,
        });
        Ok(answer.access_token)
    }

    /// Sends with the Bearer token; on 401 (token revoked or expired early)
    /// gets a new token and sends once more.
    async fn send<T: DeserializeOwned>(&self, build: impl Fn() -> Request) -> Result<T, Error> {
        let token = self.access_token().await?;
        let answer = match self.http.send(build().bearer(&token)).await {
            Err(e) if e.status().map(|s| s.as_u16()) == Some(401) => {
                self.forget_token(&token);
                let token = self.access_token().await?;
                self.http.send(build().bearer(&token)).await
            }
            other => other,
        };
        Ok(answer.map_err(Error::from_http)?.json()?)
    }

    /// `POST /v2/checkout/orders`; send the buyer to [`Order::approve_url`].
    pub async fn create_order(&self, o: &NewOrder) -> Result<Order, Error> {
        if o.amount <= 0 {
            return Err(Error::Input(format!(
                "order amount {}: must be positive",
                o.amount
            )));
        }
        let body = json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "reference_id": o.reference,
                "custom_id": o.reference,
                "invoice_id": o.invoice_id,
                "description": o.description,
                "amount": {
                    "currency_code": o.currency.to_ascii_uppercase(),
                    "value": amount::to_decimal(o.amount, &o.currency),
                },
            }],
            "payment_source": {"paypal": {"experience_context": {
                "return_url": o.return_url,
                "cancel_url": o.cancel_url,
                "brand_name": o.brand_name,
                "user_action": "PAY_NOW",
                "shipping_preference": "NO_SHIPPING",
            }}},
        });
        let body = without_nulls(body);
        let order: Order = self
            .send(|| {
                Request::post("v2/checkout/orders")
                    .json(&body)
                    .idempotency_key("paypal-request-id", &o.request_id)
            })
            .await?;
        if order.approve_url().is_none() {
            return Err(Error::Unexpected(format!(
                "order {}: no approve or payer-action link",
                order.id
            )));
        }
        Ok(order)
    }

    /// `GET /v2/checkout/orders/{id}`.
    pub async fn order(&self, id: &str) -> Result<Order, Error> {
        let path = format!("v2/checkout/orders/{}", path_segment(id)?);
        self.send(|| Request::get(&path)).await
    }

    /// `POST /v2/checkout/orders/{id}/capture` after the buyer approved.
    /// Returns the capture, whose status decides: `COMPLETED` is paid,
    /// `PENDING` not yet, `DECLINED`/`FAILED` not paid. A buyer whose
    /// funding source failed is [`Error::Api`] with issue
    /// `INSTRUMENT_DECLINED`.
    pub async fn capture_order(&self, order_id: &str, request_id: &str) -> Result<Capture, Error> {
        let path = format!("v2/checkout/orders/{}/capture", path_segment(order_id)?);
        let order: Order = self
            .send(|| {
                Request::post(&path)
                    .header("prefer", "return=representation")
                    .json(&json!({}))
                    .idempotency_key("paypal-request-id", request_id)
            })
            .await?;
        let mut captures = order.captures()?;
        if captures.is_empty() {
            return Err(Error::Unexpected(format!(
                "order {} (status {}): no capture in the answer",
                order.id, order.status
            )));
        }
        let mut capture = captures.remove(0);
        capture.order_id.get_or_insert(order.id);
        Ok(capture)
    }

    /// `POST /v2/payments/captures/{id}/refund`.
    pub async fn refund_capture(&self, r: &NewRefund) -> Result<Refund, Error> {
        let path = format!(
            "v2/payments/captures/{}/refund",
            path_segment(&r.capture_id)?
        );
        let amount = match r.amount {
            Some(a) if a <= 0 => {
                return Err(Error::Input(format!("refund amount {a}: must be positive")));
            }
            Some(a) => json!({
                "currency_code": r.currency.to_ascii_uppercase(),
                "value": amount::to_decimal(a, &r.currency),
            }),
            None => Value::Null,
        };
        let body = without_nulls(json!({
            "amount": amount,
            "note_to_payer": r.note_to_payer,
        }));
        let raw: RawRefund = self
            .send(|| {
                Request::post(&path)
                    .header("prefer", "return=representation")
                    .json(&body)
                    .idempotency_key("paypal-request-id", &r.request_id)
            })
            .await?;
        let amount = match raw.amount {
            Some(m) => Some((
                amount::to_minor(&m.value, &m.currency_code, "amount.value")?,
                m.currency_code,
            )),
            None => None,
        };
        Ok(Refund {
            id: raw.id,
            status: raw.status,
            amount,
        })
    }
}

/// PayPal refuses explicit nulls in places; our optional fields are left out.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn path_segment(id: &str) -> Result<&str, Error> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::Input(format!("PayPal id {id:?}: not an id")));
    }
    Ok(id)
}
