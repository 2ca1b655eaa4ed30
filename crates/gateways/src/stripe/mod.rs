//! Stripe's REST API (docs.stripe.com/api): customers, Checkout Sessions,
//! PaymentIntents (one-off and off-session charges of a saved card),
//! SetupIntents, refunds, and webhook signature verification.
//!
//! Requests are form-encoded with bracketed nesting ([`form`]), carry the
//! secret key as a Bearer token, pin [`API_VERSION`] in `Stripe-Version`,
//! and every POST carries an `Idempotency-Key` the caller derives from its
//! own operation (`invoice-<public_id>-checkout`), so a retry — ours or the
//! HTTP client's — creates one object. Amounts are Stripe's integer minor
//! units, which are ours too (see [`is_zero_decimal`]).

pub mod form;
pub mod webhook;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::http::{self, Request};

/// Stripe's production API.
pub const BASE_URL: &str = "https://api.stripe.com/";

/// The API version every request pins, so an account's default version
/// changing in Stripe's dashboard does not change the objects we parse.
pub const API_VERSION: &str = "2025-12-15.clover";

/// Errors keep whole bodies: a card error embeds the PaymentIntent.
const ERROR_BODY_LIMIT: usize = 65_536;

/// Currencies Stripe counts in whole units (amount 500 = ¥500).
const ZERO_DECIMAL: [&str; 16] = [
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Whether Stripe's amounts in `currency` are whole units rather than
/// hundredths (Stripe's list of zero-decimal currencies). BRL, USD and EUR
/// are not: `amount: 1990` is R$ 19,90, as in `domain::money`.
pub fn is_zero_decimal(currency: &str) -> bool {
    ZERO_DECIMAL.contains(&currency.to_ascii_lowercase().as_str())
}

/// What went wrong calling Stripe.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No answer, a non-Stripe answer, or a body we could not parse.
    #[error(transparent)]
    Http(#[from] http::Error),
    /// The card was declined (HTTP 402, `type: card_error`).
    #[error("card declined ({code}{}): {message}", decline_code.as_deref().map(|d| format!(", {d}")).unwrap_or_default())]
    Card {
        /// Stripe's `error.code` (`card_declined`, `expired_card`, …).
        code: String,
        /// The issuer's reason (`insufficient_funds`, …), when given.
        decline_code: Option<String>,
        message: String,
        /// The PaymentIntent the attempt belonged to, when Stripe names it.
        payment_intent: Option<String>,
    },
    /// The bank asks for the customer's authentication (3-D Secure), which
    /// an off-session charge cannot do: the customer must pay on-session.
    #[error("the card's bank asks for the customer's authentication (payment intent {})", payment_intent.as_deref().unwrap_or("unknown"))]
    AuthenticationRequired { payment_intent: Option<String> },
    /// Any other refusal, in Stripe's error shape.
    #[error("Stripe refused the request (HTTP {status}, {kind}{}{}): {message}", code.as_deref().map(|c| format!(", {c}")).unwrap_or_default(), param.as_deref().map(|p| format!(", parameter {p}")).unwrap_or_default())]
    Api {
        status: u16,
        /// `error.type`: `invalid_request_error`, `idempotency_error`, `api_error`, …
        kind: String,
        code: Option<String>,
        /// The parameter at fault.
        param: Option<String>,
        message: String,
    },
}

/// Stripe's `error` object (also a PaymentIntent's `last_payment_error`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ApiError {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(flatten)]
    error: ApiError,
    #[serde(default)]
    payment_intent: Option<IdOnly>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl Error {
    fn from_http(err: http::Error) -> Error {
        let http::Error::Status { status, body, .. } = &err else {
            return Error::Http(err);
        };
        let Ok(envelope) = serde_json::from_str::<ErrorEnvelope>(body) else {
            return Error::Http(err);
        };
        let ErrorBody {
            error,
            payment_intent,
        } = envelope.error;
        let payment_intent = payment_intent.map(|p| p.id);
        let message = error.message.unwrap_or_default();
        if error.kind == "card_error" || status.as_u16() == 402 {
            if error.code.as_deref() == Some("authentication_required") {
                return Error::AuthenticationRequired { payment_intent };
            }
            return Error::Card {
                code: error.code.unwrap_or_else(|| "card_declined".into()),
                decline_code: error.decline_code,
                message,
                payment_intent,
            };
        }
        Error::Api {
            status: status.as_u16(),
            kind: error.kind,
            code: error.code,
            param: error.param,
            message,
        }
    }
}

/// A Stripe customer.
#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// A customer to create; `metadata` carries our customer's id so the
/// Stripe customer can be found from ours.
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub email: Option<String>,
    pub name: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// E.g. `customer-<our id>-create`.
    pub idempotency_key: String,
}

/// A Checkout Session (`mode` `payment` or `setup`).
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub mode: String,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`: only `paid` means money.
    pub payment_status: String,
    /// Where to send the customer (while `open`).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub setup_intent: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// A hosted page where the customer pays one amount once.
#[derive(Debug, Clone, Default)]
pub struct CheckoutPayment {
    /// Shown on the page as the line's name (e.g. "Invoice 2026-000123").
    pub description: String,
    /// Minor units of `currency`.
    pub amount: i64,
    /// ISO code, lower case (`brl`).
    pub currency: String,
    /// Our reference (the invoice's public id), echoed in events.
    pub client_reference_id: String,
    /// A Stripe customer id, to attach the payment (and saved card) to.
    pub customer: Option<String>,
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
    /// Also copied to the PaymentIntent, whose events carry it.
    pub metadata: BTreeMap<String, String>,
    /// Saves the card for later off-session charges (needs `customer`).
    pub save_card: bool,
    /// E.g. `invoice-<public_id>-checkout`.
    pub idempotency_key: String,
}

/// A hosted page where the customer saves a card without paying.
#[derive(Debug, Clone, Default)]
pub struct CheckoutSetup {
    pub customer: String,
    pub currency: String,
    pub client_reference_id: String,
    pub success_url: String,
    pub cancel_url: String,
    pub metadata: BTreeMap<String, String>,
    pub idempotency_key: String,
}

/// Where a PaymentIntent is in its life.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
    /// A status newer than this code.
    #[serde(other)]
    Unknown,
}

/// A PaymentIntent.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_received: i64,
    pub currency: String,
    pub status: PaymentIntentStatus,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub latest_charge: Option<String>,
    #[serde(default)]
    pub last_payment_error: Option<ApiError>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// A PaymentIntent to create.
#[derive(Debug, Clone, Default)]
pub struct NewPaymentIntent {
    pub amount: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Saves the payment method for off-session charges once paid.
    pub setup_future_usage_off_session: bool,
    pub idempotency_key: String,
}

/// A charge of a saved card while the customer is away (monthly billing).
#[derive(Debug, Clone, Default)]
pub struct OffSessionCharge {
    pub customer: String,
    pub payment_method: String,
    pub amount: i64,
    pub currency: String,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// E.g. `invoice-<public_id>-autocharge-<attempt>`.
    pub idempotency_key: String,
}

/// A SetupIntent (saving a card for later).
#[derive(Debug, Clone, Deserialize)]
pub struct SetupIntent {
    pub id: String,
    /// `requires_payment_method`, …, `succeeded`.
    pub status: String,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub usage: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// A refund.
#[derive(Debug, Clone, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    /// `pending`, `succeeded`, `failed`, `canceled`, `requires_action`.
    pub status: String,
    #[serde(default)]
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub charge: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// A refund to make; `amount: None` refunds what is left.
#[derive(Debug, Clone, Default)]
pub struct NewRefund {
    pub payment_intent: String,
    pub amount: Option<i64>,
    pub metadata: BTreeMap<String, String>,
    pub idempotency_key: String,
}

/// A client for one Stripe account.
#[derive(Clone)]
pub struct Stripe {
    http: http::Client,
    secret_key: String,
}

impl Stripe {
    /// A client for `config.base_url` ([`BASE_URL`] in production) with the
    /// account's secret key (`sk_live_…`, `sk_test_…` or a restricted `rk_…`).
    pub fn new(config: &http::Config, secret_key: impl Into<String>) -> Result<Stripe, Error> {
        let secret_key = secret_key.into();
        if secret_key.trim().is_empty() {
            return Err(http::Error::Config("Stripe secret key: empty".into()).into());
        }
        Ok(Stripe {
            http: http::Client::new(config)?,
            secret_key,
        })
    }

    fn request(&self, request: Request) -> Request {
        request
            .bearer(&self.secret_key)
            .header("stripe-version", API_VERSION)
            .error_body_limit(ERROR_BODY_LIMIT)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &Value,
        idempotency_key: &str,
    ) -> Result<T, Error> {
        if idempotency_key.is_empty() {
            return Err(http::Error::Config(format!("POST {path}: idempotency key: empty")).into());
        }
        let request = self
            .request(Request::post(path))
            .form(&form::pairs(params))
            .idempotency_key("idempotency-key", idempotency_key);
        let answer = self.http.send(request).await.map_err(Error::from_http)?;
        Ok(answer.json()?)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let answer = self
            .http
            .send(self.request(Request::get(path)))
            .await
            .map_err(Error::from_http)?;
        Ok(answer.json()?)
    }

    /// `POST /v1/customers`.
    pub async fn create_customer(&self, new: &NewCustomer) -> Result<Customer, Error> {
        let params = json!({
            "email": new.email,
            "name": new.name,
            "metadata": new.metadata,
        });
        self.post("v1/customers", &params, &new.idempotency_key)
            .await
    }

    /// `GET /v1/customers/{id}`.
    pub async fn customer(&self, id: &str) -> Result<Customer, Error> {
        self.get(&format!("v1/customers/{}", path_segment(id)?))
            .await
    }

    /// `GET /v1/customers/search` for customers whose `metadata[key]` is
    /// `value` (how we find the Stripe customer of one of ours). Stripe's
    /// search is eventually consistent: a customer created a second ago may
    /// not be found yet, so callers keep the id they got at creation.
    pub async fn find_customers(&self, key: &str, value: &str) -> Result<Vec<Customer>, Error> {
        #[derive(Deserialize)]
        struct Page {
            data: Vec<Customer>,
        }
        let quote = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
        let query = format!("metadata['{}']:'{}'", quote(key), quote(value));
        let request = self
            .request(Request::get("v1/customers/search"))
            .query("query", query);
        let answer = self.http.send(request).await.map_err(Error::from_http)?;
        Ok(answer.json::<Page>()?.data)
    }

    /// `POST /v1/checkout/sessions` in `payment` mode: its `url` is the page.
    pub async fn create_checkout_payment(
        &self,
        p: &CheckoutPayment,
    ) -> Result<CheckoutSession, Error> {
        let params = json!({
            "mode": "payment",
            "customer": p.customer,
            "customer_email": if p.customer.is_none() { p.customer_email.clone() } else { None },
            "client_reference_id": p.client_reference_id,
            "success_url": p.success_url,
            "cancel_url": p.cancel_url,
            "line_items": [{
                "quantity": 1,
                "price_data": {
                    "currency": p.currency.to_ascii_lowercase(),
                    "unit_amount": p.amount,
                    "product_data": {"name": p.description},
                },
            }],
            "metadata": p.metadata,
            "payment_intent_data": {
                "metadata": p.metadata,
                "setup_future_usage": if p.save_card { Some("off_session") } else { None },
            },
        });
        self.post("v1/checkout/sessions", &params, &p.idempotency_key)
            .await
    }

    /// `POST /v1/checkout/sessions` in `setup` mode: the customer saves a
    /// card for off-session charges.
    pub async fn create_checkout_setup(&self, s: &CheckoutSetup) -> Result<CheckoutSession, Error> {
        let params = json!({
            "mode": "setup",
            "customer": s.customer,
            "currency": s.currency.to_ascii_lowercase(),
            "client_reference_id": s.client_reference_id,
            "success_url": s.success_url,
            "cancel_url": s.cancel_url,
            "payment_method_types": ["card"],
            "metadata": s.metadata,
            "setup_intent_data": {"metadata": s.metadata},
        });
        self.post("v1/checkout/sessions", &params, &s.idempotency_key)
            .await
    }

    /// `GET /v1/checkout/sessions/{id}`.
    pub async fn checkout_session(&self, id: &str) -> Result<CheckoutSession, Error> {
        self.get(&format!("v1/checkout/sessions/{}", path_segment(id)?))
            .await
    }

    /// `POST /v1/checkout/sessions/{id}/expire`: the customer can no
    /// longer pay through an open session (Stripe refuses one that is not
    /// open).
    pub async fn expire_checkout_session(&self, id: &str) -> Result<CheckoutSession, Error> {
        let path = format!("v1/checkout/sessions/{}/expire", path_segment(id)?);
        self.post(&path, &serde_json::json!({}), &format!("expire-{id}"))
            .await
    }

    /// `POST /v1/payment_intents` (unconfirmed: the customer confirms it
    /// with Stripe.js on our page).
    pub async fn create_payment_intent(
        &self,
        p: &NewPaymentIntent,
    ) -> Result<PaymentIntent, Error> {
        let params = json!({
            "amount": p.amount,
            "currency": p.currency.to_ascii_lowercase(),
            "customer": p.customer,
            "description": p.description,
            "metadata": p.metadata,
            "setup_future_usage": if p.setup_future_usage_off_session { Some("off_session") } else { None },
        });
        self.post("v1/payment_intents", &params, &p.idempotency_key)
            .await
    }

    /// `POST /v1/payment_intents` with `off_session=true&confirm=true`:
    /// charges a saved card now. `Ok` means Stripe accepted the charge
    /// (`succeeded`, or `processing` for slow methods); a decline is
    /// [`Error::Card`] and a bank asking for 3-D Secure is
    /// [`Error::AuthenticationRequired`].
    pub async fn charge_saved_card(&self, c: &OffSessionCharge) -> Result<PaymentIntent, Error> {
        let params = json!({
            "amount": c.amount,
            "currency": c.currency.to_ascii_lowercase(),
            "customer": c.customer,
            "payment_method": c.payment_method,
            "off_session": true,
            "confirm": true,
            "description": c.description,
            "metadata": c.metadata,
        });
        let intent: PaymentIntent = self
            .post("v1/payment_intents", &params, &c.idempotency_key)
            .await?;
        match intent.status {
            PaymentIntentStatus::RequiresAction => Err(Error::AuthenticationRequired {
                payment_intent: Some(intent.id),
            }),
            PaymentIntentStatus::RequiresPaymentMethod => {
                let error = intent.last_payment_error.clone();
                Err(Error::Card {
                    code: error
                        .as_ref()
                        .and_then(|e| e.code.clone())
                        .unwrap_or_else(|| "card_declined".into()),
                    decline_code: error.as_ref().and_then(|e| e.decline_code.clone()),
                    message: error.and_then(|e| e.message).unwrap_or_default(),
                    payment_intent: Some(intent.id),
                })
            }
            _ => Ok(intent),
        }
    }

    /// `GET /v1/payment_intents/{id}`.
    pub async fn payment_intent(&self, id: &str) -> Result<PaymentIntent, Error> {
        self.get(&format!("v1/payment_intents/{}", path_segment(id)?))
            .await
    }

    /// `POST /v1/setup_intents` for a card kept for off-session use.
    pub async fn create_setup_intent(
        &self,
        customer: &str,
        metadata: &BTreeMap<String, String>,
        idempotency_key: &str,
    ) -> Result<SetupIntent, Error> {
        let params = json!({
            "customer": customer,
            "usage": "off_session",
            "payment_method_types": ["card"],
            "metadata": metadata,
        });
        self.post("v1/setup_intents", &params, idempotency_key)
            .await
    }

    /// `GET /v1/setup_intents/{id}`.
    pub async fn setup_intent(&self, id: &str) -> Result<SetupIntent, Error> {
        self.get(&format!("v1/setup_intents/{}", path_segment(id)?))
            .await
    }

    /// `POST /v1/refunds`.
    pub async fn create_refund(&self, r: &NewRefund) -> Result<Refund, Error> {
        let params = json!({
            "payment_intent": r.payment_intent,
            "amount": r.amount,
            "metadata": r.metadata,
        });
        self.post("v1/refunds", &params, &r.idempotency_key).await
    }
}

/// An object id as one URL path segment; ids come from Stripe or our
/// database, but one with `/`, `?` or `#` must not reach another endpoint.
fn path_segment(id: &str) -> Result<&str, Error> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(http::Error::Config(format!("Stripe object id {id:?}: not an id")).into());
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_decimal_currencies_are_known_in_any_case() {
        assert!(is_zero_decimal("JPY"));
        assert!(is_zero_decimal("clp"));
        assert!(!is_zero_decimal("brl"));
        assert!(!is_zero_decimal("usd"));
    }

    #[test]
    fn ids_with_path_characters_are_refused() {
        assert!(path_segment("pi_123abc").is_ok());
        assert!(path_segment("../v1/refunds").is_err());
        assert!(path_segment("").is_err());
    }
}
