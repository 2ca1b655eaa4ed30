//! A local PayPal: OAuth2 client credentials (Basic, then Bearer tokens
//! that expire), Orders v2 (create, show, capture), Payments v2 refunds,
//! and Webhooks v1 — deliveries with transmission headers, and the
//! `verify-webhook-signature` call answering `SUCCESS` only for a delivery
//! the fake made, byte for byte, and `FAILURE` otherwise. Errors come in
//! PayPal's shapes (`name`, `message`, `debug_id`, `details[].issue`);
//! `PayPal-Request-Id` replays the first answer.
//!
//! Test controls play the buyer's part: [`FakePaypal::approve`],
//! [`FakePaypal::set_capture_outcome`], [`FakePaypal::resolve_pending`],
//! and [`FakePaypal::expire_tokens`] for a token revoked early.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::paypal::amount;
use crate::paypal::webhook::TransmissionHeaders;

/// The REST app's client id the fake accepts.
pub const CLIENT_ID: &str = "AVfakeLastmileClientId0xk3Tp";
/// The REST app's secret the fake accepts.
pub const SECRET: &str = "EOfakeLastmileSecret9Qw2Lm";
/// The id of the webhook the fake delivers to.
pub const WEBHOOK_ID: &str = "8PT597110X687430LKGECATA";

/// How a capture of a given order turns out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureOutcome {
    Completed,
    /// `PENDING` with `status_details.reason` (`PENDING_REVIEW`, `ECHECK`, …).
    Pending(String),
    /// A capture with status `DECLINED` (the order still completes).
    Declined,
    /// A capture with status `FAILED`.
    Failed,
    /// No capture: 422 `INSTRUMENT_DECLINED` (the buyer picks another source).
    InstrumentDeclined,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub request_id: Option<String>,
    pub body: String,
    pub status: u16,
}

/// One webhook delivery attempt, with what was sent.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub headers: TransmissionHeaders,
    /// The exact body sent.
    pub body: String,
    /// The receiver's HTTP status; `None` if unreachable or no URL is set.
    pub status: Option<u16>,
}

/// A test control that could not act.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    #[error("no {kind} {id:?} in the fake")]
    Missing { kind: &'static str, id: String },
    #[error("{0}")]
    State(String),
}

struct Stored {
    path: String,
    body: String,
    status: StatusCode,
    answer: Value,
}

struct State {
    base_url: String,
    counter: u64,
    tokens: HashMap<String, Instant>,
    tokens_issued: usize,
    token_lifetime: u64,
    orders: HashMap<String, Value>,
    captures: HashMap<String, Value>,
    outcomes: HashMap<String, CaptureOutcome>,
    invoice_ids: HashMap<String, String>,
    idempotency: HashMap<String, Stored>,
    sent: HashMap<String, (TransmissionHeaders, String)>,
    requests: Vec<LoggedRequest>,
    deliveries: Vec<Delivery>,
    webhook_url: Option<String>,
    deliver_twice: bool,
}

struct Inner {
    state: Mutex<State>,
    pending: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running fake PayPal on 127.0.0.1; stops when dropped.
pub struct FakePaypal {
    addr: SocketAddr,
    inner: Arc<Inner>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakePaypal {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

type Failure = (StatusCode, Value);

impl State {
    fn id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{:012}FAKE", self.counter)
    }

    fn debug_id(&mut self) -> String {
        self.counter += 1;
        format!("f{:012x}", self.counter)
    }

    fn error(
        &mut self,
        status: StatusCode,
        name: &str,
        message: &str,
        issues: &[(&str, Option<&str>, &str)],
    ) -> Failure {
        let details: Vec<Value> = issues
            .iter()
            .map(|(issue, field, description)| {
                let mut d = json!({"issue": issue, "description": description});
                if let Some(field) = field {
                    d["field"] = json!(field);
                    d["location"] = json!("body");
                }
                d
            })
            .collect();
        (
            status,
            json!({
                "name": name, "message": message, "debug_id": self.debug_id(), "details": details,
                "links": [{"href": format!("https://developer.paypal.com/docs/api/orders/v2/#error-{}", issues.first().map(|i| i.0).unwrap_or(name)), "rel": "information_link", "method": "GET"}],
            }),
        )
    }

    fn invalid(&mut self, field: &str, issue: &str, description: &str) -> Failure {
        self.error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Request is not well-formed, syntactically incorrect, or violates schema.",
            &[(issue, Some(field), description)],
        )
    }

    fn unprocessable(&mut self, issue: &str, description: &str) -> Failure {
        self.error(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "The requested action could not be performed, semantically incorrect, or failed business validation.", &[(issue, None, description)])
    }

    fn not_found(&mut self) -> Failure {
        self.error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "The specified resource does not exist.",
            &[(
                "INVALID_RESOURCE_ID",
                None,
                "Specified resource ID does not exist. Please check the resource ID and try again.",
            )],
        )
    }

    fn event(&mut self, event_type: &str, resource_type: &str, resource: Value) -> Value {
        let id = self.id("WH-");
        json!({
            "id": id, "event_version": "1.0", "create_time": now(),
            "resource_type": resource_type, "resource_version": "2.0",
            "event_type": event_type, "summary": format!("{event_type} (fake)"),
            "resource": resource,
            "links": [{"href": format!("{}v1/notifications/webhooks-events/{id}", self.base_url), "rel": "self", "method": "GET"}],
        })
    }

    fn money(&mut self, value: &Value, field: &str) -> Result<(i64, String), Failure> {
        let Some(currency) = value["currency_code"].as_str().filter(|c| c.len() == 3) else {
            return Err(self.invalid(
                &format!("{field}/currency_code"),
                "MISSING_REQUIRED_PARAMETER",
                "A required field / parameter is missing.",
            ));
        };
        let Some(text) = value["value"].as_str() else {
            return Err(self.invalid(
                &format!("{field}/value"),
                "MISSING_REQUIRED_PARAMETER",
                "A required field / parameter is missing.",
            ));
        };
        match amount::to_minor(text, currency, field) {
            Ok(minor) => Ok((minor, currency.to_owned())),
            Err(e) if e.reason == "more decimals than the currency has" => Err(self.unprocessable("DECIMAL_PRECISION", &format!("If the currency supports decimals, only two decimal place precision is supported ({field}/value).") )),
            Err(_) => Err(self.invalid(&format!("{field}/value"), "INVALID_PARAMETER_SYNTAX", "The value of a field does not conform to the expected format.")),
        }
    }
}

fn route(
    state: &mut State,
    method: &Method,
    path: &str,
    body: &str,
) -> Result<(StatusCode, Value, Vec<Value>), Failure> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let json_body = || -> Result<Value, String> {
        if body.trim().is_empty() {
            Ok(json!({}))
        } else {
            serde_json::from_str(body).map_err(|e| e.to_string())
        }
    };
    let parsed = match json_body() {
        Ok(v) => v,
        Err(e) => {
            return Err(state.error(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "Request is not well-formed, syntactically incorrect, or violates schema.",
                &[("MALFORMED_REQUEST_JSON", None, &e)],
            ));
        }
    };
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["v2", "checkout", "orders"]) => create_order(state, &parsed),
        ("GET", ["v2", "checkout", "orders", id]) => match state.orders.get(*id) {
            Some(order) => Ok((StatusCode::OK, order.clone(), Vec::new())),
            None => Err(state.not_found()),
        },
        ("POST", ["v2", "checkout", "orders", id, "capture"]) => capture(state, id),
        ("POST", ["v2", "payments", "captures", id, "refund"]) => refund(state, id, &parsed),
        ("GET", ["v2", "payments", "captures", id]) => match state.captures.get(*id) {
            Some(c) => Ok((StatusCode::OK, c.clone(), Vec::new())),
            None => Err(state.not_found()),
        },
        ("POST", ["v1", "notifications", "verify-webhook-signature"]) => verify(state, body),
        _ => Err(state.error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("No route for {method} {path} in the fake."),
            &[],
        )),
    }
}

fn create_order(
    state: &mut State,
    body: &Value,
) -> Result<(StatusCode, Value, Vec<Value>), Failure> {
    match body["intent"].as_str() {
        Some("CAPTURE") => {}
        Some("AUTHORIZE") => {
            return Err(state.unprocessable(
                "ACTION_NOT_SUPPORTED",
                "The fake supports intent CAPTURE only.",
            ));
        }
        Some(_) => {
            return Err(state.invalid(
                "/intent",
                "INVALID_PARAMETER_VALUE",
                "The value of a field is invalid.",
            ));
        }
        None => {
            return Err(state.invalid(
                "/intent",
                "MISSING_REQUIRED_PARAMETER",
                "A required field / parameter is missing.",
            ));
        }
    }
    let Some(units) = body["purchase_units"].as_array().filter(|u| !u.is_empty()) else {
        return Err(state.invalid(
            "/purchase_units",
            "MISSING_REQUIRED_PARAMETER",
            "A required field / parameter is missing.",
        ));
    };
    let mut units = units.clone();
    for (i, unit) in units.iter_mut().enumerate() {
        let field = format!(
            "/purchase_units/@reference_id=='{}'/amount",
            unit["reference_id"].as_str().unwrap_or("default")
        );
        if unit.get("amount").is_none() {
            return Err(state.invalid(
                &format!("/purchase_units/{i}/amount"),
                "MISSING_REQUIRED_PARAMETER",
                "A required field / parameter is missing.",
            ));
        }
        let (minor, _) = state.money(&unit["amount"], &field)?;
        if minor <= 0 {
            return Err(
                state.unprocessable("CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero.")
            );
        }
        if let Some(invoice) = unit["invoice_id"].as_str()
            && state.invoice_ids.contains_key(invoice)
        {
            return Err(state.unprocessable("DUPLICATE_INVOICE_ID", "Duplicate Invoice ID detected. To avoid a potential duplicate transaction your account setting requires that Invoice Id be unique for each transaction."));
        }
        if unit.get("reference_id").is_none() {
            unit["reference_id"] = json!("default");
        }
    }
    let id = state.id("5O");
    for unit in &units {
        if let Some(invoice) = unit["invoice_id"].as_str() {
            state.invoice_ids.insert(invoice.to_owned(), id.clone());
        }
    }
    let with_source = body["payment_source"]["paypal"].is_object();
    let approve = format!("{}checkoutnow?token={id}", state.base_url);
    let order = json!({
        "id": id, "intent": "CAPTURE",
        "status": if with_source { "PAYER_ACTION_REQUIRED" } else { "CREATED" },
        "purchase_units": units, "payment_source": body.get("payment_source"),
        "create_time": now(),
        "links": [
            {"href": format!("{}v2/checkout/orders/{id}", state.base_url), "rel": "self", "method": "GET"},
            {"href": approve, "rel": if with_source { "payer-action" } else { "approve" }, "method": "GET"},
            {"href": format!("{}v2/checkout/orders/{id}/capture", state.base_url), "rel": "capture", "method": "POST"},
        ],
    });
    state.orders.insert(id, order.clone());
    Ok((StatusCode::OK, order, Vec::new()))
}

fn capture(state: &mut State, id: &str) -> Result<(StatusCode, Value, Vec<Value>), Failure> {
    let Some(mut order) = state.orders.get(id).cloned() else {
        return Err(state.not_found());
    };
    match order["status"].as_str() {
        Some("APPROVED") => {}
        Some("COMPLETED") => return Err(state.unprocessable("ORDER_ALREADY_CAPTURED", "Order already captured. If 'intent=CAPTURE' only one capture per order is allowed.")),
        _ => return Err(state.unprocessable("ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request.")),
    }
    let outcome = state
        .outcomes
        .get(id)
        .cloned()
        .unwrap_or(CaptureOutcome::Completed);
    if outcome == CaptureOutcome::InstrumentDeclined {
        return Err(state.unprocessable("INSTRUMENT_DECLINED", "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment."));
    }
    let unit = order["purchase_units"][0].clone();
    let capture_id = state.id("3C");
    let (status, reason) = match &outcome {
        CaptureOutcome::Completed => ("COMPLETED", None),
        CaptureOutcome::Pending(reason) => ("PENDING", Some(reason.clone())),
        CaptureOutcome::Declined => ("DECLINED", None),
        _ => ("FAILED", None),
    };
    let mut capture = json!({
        "id": capture_id, "status": status, "amount": unit["amount"], "final_capture": true,
        "custom_id": unit.get("custom_id"), "invoice_id": unit.get("invoice_id"),
        "seller_protection": {"status": "ELIGIBLE"},
        "supplementary_data": {"related_ids": {"order_id": id}},
        "create_time": now(), "update_time": now(),
        "links": [
            {"href": format!("{}v2/payments/captures/{capture_id}", state.base_url), "rel": "self", "method": "GET"},
            {"href": format!("{}v2/payments/captures/{capture_id}/refund", state.base_url), "rel": "refund", "method": "POST"},
            {"href": format!("{}v2/checkout/orders/{id}", state.base_url), "rel": "up", "method": "GET"},
        ],
    });
    if let Some(reason) = reason {
        capture["status_details"] = json!({"reason": reason});
    }
    state.captures.insert(capture_id, capture.clone());
    order["status"] = json!("COMPLETED");
    order["purchase_units"][0]["payments"] = json!({"captures": [capture.clone()]});
    state.orders.insert(id.to_owned(), order.clone());
    let event_type = match status {
        "COMPLETED" => "PAYMENT.CAPTURE.COMPLETED",
        "PENDING" => "PAYMENT.CAPTURE.PENDING",
        _ => "PAYMENT.CAPTURE.DECLINED",
    };
    let event = state.event(event_type, "capture", capture);
    Ok((StatusCode::CREATED, order, vec![event]))
}

fn refund(
    state: &mut State,
    capture_id: &str,
    body: &Value,
) -> Result<(StatusCode, Value, Vec<Value>), Failure> {
    let Some(mut capture) = state.captures.get(capture_id).cloned() else {
        return Err(state.not_found());
    };
    match capture["status"].as_str() {
        Some("COMPLETED" | "PARTIALLY_REFUNDED") => {}
        Some("REFUNDED") => {
            return Err(state.unprocessable(
                "CAPTURE_FULLY_REFUNDED",
                "The capture has already been fully refunded.",
            ));
        }
        _ => {
            return Err(state.unprocessable(
                "CANNOT_BE_REFUNDED",
                "The capture is not in a state that can be refunded.",
            ));
        }
    }
    let (total, currency) = state.money(&capture["amount"].clone(), "/amount")?;
    let already = capture["refunded_minor"].as_i64().unwrap_or(0);
    let amount = match body.get("amount") {
        None => total - already,
        Some(value) => {
            let (minor, cur) = state.money(value, "/amount")?;
            if cur != currency {
                return Err(state.unprocessable(
                    "REFUND_CURRENCY_MISMATCH",
                    "Refund must be in the same currency as the capture.",
                ));
            }
            if minor <= 0 {
                return Err(
                    state.unprocessable("CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero.")
                );
            }
            minor
        }
    };
    if amount > total - already {
        return Err(state.unprocessable("REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded."));
    }
    let refund_id = state.id("1J");
    let refund = json!({
        "id": refund_id, "status": "COMPLETED",
        "amount": {"currency_code": currency, "value": amount::to_decimal(amount, &currency)},
        "custom_id": capture.get("custom_id"), "invoice_id": capture.get("invoice_id"),
        "note_to_payer": body.get("note_to_payer"),
        "create_time": now(), "update_time": now(),
        "links": [
            {"href": format!("{}v2/payments/refunds/{refund_id}", state.base_url), "rel": "self", "method": "GET"},
            {"href": format!("{}v2/payments/captures/{capture_id}", state.base_url), "rel": "up", "method": "GET"},
        ],
    });
    capture["refunded_minor"] = json!(already + amount);
    capture["status"] = json!(if already + amount == total {
        "REFUNDED"
    } else {
        "PARTIALLY_REFUNDED"
    });
    state.captures.insert(capture_id.to_owned(), capture);
    let event = state.event("PAYMENT.CAPTURE.REFUNDED", "refund", refund.clone());
    Ok((StatusCode::CREATED, refund, vec![event]))
}

#[derive(Deserialize)]
struct VerifyRequest {
    auth_algo: Option<String>,
    cert_url: Option<String>,
    transmission_id: Option<String>,
    transmission_sig: Option<String>,
    transmission_time: Option<String>,
    webhook_id: Option<String>,
    webhook_event: Option<Box<RawValue>>,
}

/// Real PayPal checks the RSA signature over the transmission id, time,
/// webhook id and a CRC32 of the body; the fake knows what it sent, so a
/// delivery verifies only if every header and the body's exact bytes match.
fn verify(state: &mut State, body: &str) -> Result<(StatusCode, Value, Vec<Value>), Failure> {
    let request: VerifyRequest = match serde_json::from_str(body) {
        Ok(r) => r,
        Err(e) => {
            return Err(state.error(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                "Invalid request - see details",
                &[("MALFORMED_REQUEST_JSON", None, &e.to_string())],
            ));
        }
    };
    let fields = [
        ("auth_algo", request.auth_algo.is_none()),
        ("cert_url", request.cert_url.is_none()),
        ("transmission_id", request.transmission_id.is_none()),
        ("transmission_sig", request.transmission_sig.is_none()),
        ("transmission_time", request.transmission_time.is_none()),
        ("webhook_id", request.webhook_id.is_none()),
        ("webhook_event", request.webhook_event.is_none()),
    ];
    if let Some((field, _)) = fields.iter().find(|(_, missing)| *missing) {
        return Err(state.error(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Invalid request - see details",
            &[(
                "MISSING_REQUIRED_PARAMETER",
                Some(field),
                "This field is required.",
            )],
        ));
    }
    let headers = TransmissionHeaders {
        transmission_id: request.transmission_id.unwrap_or_default(),
        transmission_time: request.transmission_time.unwrap_or_default(),
        transmission_sig: request.transmission_sig.unwrap_or_default(),
        cert_url: request.cert_url.unwrap_or_default(),
        auth_algo: request.auth_algo.unwrap_or_default(),
    };
    let event = request
        .webhook_event
        .map(|e| e.get().to_owned())
        .unwrap_or_default();
    let good = request.webhook_id.as_deref() == Some(WEBHOOK_ID)
        && state
            .sent
            .get(&headers.transmission_id)
            .is_some_and(|(sent_headers, sent_body)| {
                *sent_headers == headers && *sent_body == event
            });
    Ok((
        StatusCode::OK,
        json!({"verification_status": if good { "SUCCESS" } else { "FAILURE" }}),
        Vec::new(),
    ))
}

async fn handle(
    axum::extract::State(inner): axum::extract::State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let path = uri.path().to_owned();
    let text = String::from_utf8_lossy(&body).into_owned();
    let authorization = header("authorization");
    let request_id = header("paypal-request-id");
    let (status, answer, events) = {
        let mut state = inner.lock();
        let (status, answer, events) = answer(
            &mut state,
            &method,
            &path,
            authorization.as_deref(),
            request_id.as_deref(),
            &text,
        );
        state.requests.push(LoggedRequest {
            method: method.to_string(),
            path: path.clone(),
            authorization,
            request_id,
            body: text,
            status: status.as_u16(),
        });
        (status, answer, events)
    };
    if !events.is_empty() {
        let task_inner = inner.clone();
        let task = tokio::spawn(async move {
            deliver(&task_inner, events).await;
        });
        inner
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
    }
    let mut response = (status, axum::Json(answer)).into_response();
    response.headers_mut().insert(
        "paypal-debug-id",
        axum::http::HeaderValue::from_static("f0a1b2c3d4e5f"),
    );
    response
}

fn answer(
    state: &mut State,
    method: &Method,
    path: &str,
    authorization: Option<&str>,
    request_id: Option<&str>,
    body: &str,
) -> (StatusCode, Value, Vec<Value>) {
    if path == "/v1/oauth2/token" && *method == Method::POST {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"))
        );
        if authorization != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_client", "error_description": "Client Authentication failed"}),
                Vec::new(),
            );
        }
        let form: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap_or_default();
        match form
            .iter()
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.as_str())
        {
            Some("client_credentials") => {}
            Some(_) => {
                return (
                    StatusCode::BAD_REQUEST,
                    json!({"error": "unsupported_grant_type", "error_description": "Grant Type is not supported"}),
                    Vec::new(),
                );
            }
            None => {
                return (
                    StatusCode::BAD_REQUEST,
                    json!({"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}),
                    Vec::new(),
                );
            }
        }
        state.tokens_issued += 1;
        let token = format!("A21AAFake{:08}{}", state.tokens_issued, state.counter);
        state.tokens.insert(
            token.clone(),
            Instant::now() + Duration::from_secs(state.token_lifetime),
        );
        return (
            StatusCode::OK,
            json!({
                "scope": "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund https://uri.paypal.com/services/applications/webhooks",
                "access_token": token, "token_type": "Bearer", "app_id": "APP-80W284485P519543T",
                "expires_in": state.token_lifetime, "nonce": format!("{}-fake", now()),
            }),
            Vec::new(),
        );
    }
    let valid = authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .and_then(|t| state.tokens.get(t))
        .is_some_and(|expiry| Instant::now() < *expiry);
    if !valid {
        return (
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_token", "error_description": "Access Token not found in cache"}),
            Vec::new(),
        );
    }
    if *method == Method::POST
        && let Some(key) = request_id
        && let Some(stored) = state.idempotency.get(key)
    {
        if stored.path == path && stored.body == body {
            return (stored.status, stored.answer.clone(), Vec::new());
        }
        // PayPal documents replaying the first answer for a repeated id;
        // the fake is stricter with a different request under the same id,
        // so a bug of ours that reuses ids shows in tests.
        let failure = state.error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Request is not well-formed, syntactically incorrect, or violates schema.",
            &[(
                "DUPLICATE_REQUEST_ID",
                None,
                "The PayPal-Request-Id was already used for a different request.",
            )],
        );
        return (failure.0, failure.1, Vec::new());
    }
    let (status, answer, events) = match route(state, method, path, body) {
        Ok(ok) => ok,
        Err((status, body)) => (status, body, Vec::new()),
    };
    if *method == Method::POST
        && let Some(key) = request_id
        && !path.ends_with("verify-webhook-signature")
    {
        state.idempotency.insert(
            key.to_owned(),
            Stored {
                path: path.to_owned(),
                body: body.to_owned(),
                status,
                answer: answer.clone(),
            },
        );
    }
    (status, answer, events)
}

async fn deliver(inner: &Inner, events: Vec<Value>) -> Vec<Delivery> {
    let (url, times) = {
        let state = inner.lock();
        (
            state.webhook_url.clone(),
            if state.deliver_twice { 2 } else { 1 },
        )
    };
    super::deliver_events(
        url.as_deref(),
        events,
        times,
        |_, body| {
            let mut state = inner.lock();
            let transmission_id = {
                state.counter += 1;
                format!(
                    "{:08x}-5c3a-11ee-9a2b-{:012x}",
                    state.counter, state.counter
                )
            };
            let transmission_time = now();
            let digest = Sha256::digest(
                format!("{transmission_id}|{transmission_time}|{WEBHOOK_ID}|{body}").as_bytes(),
            );
            let headers = TransmissionHeaders {
                transmission_sig: base64::engine::general_purpose::STANDARD.encode(digest),
                transmission_id,
                transmission_time,
                cert_url: format!(
                    "{}v1/notifications/certs/CERT-360caa42-fca2a594-fake",
                    state.base_url
                ),
                auth_algo: "SHA256withRSA".into(),
            };
            state.sent.insert(
                headers.transmission_id.clone(),
                (headers.clone(), body.to_owned()),
            );
            headers
        },
        |h| {
            vec![
                ("paypal-transmission-id", h.transmission_id.clone()),
                ("paypal-transmission-time", h.transmission_time.clone()),
                ("paypal-transmission-sig", h.transmission_sig.clone()),
                ("paypal-cert-url", h.cert_url.clone()),
                ("paypal-auth-algo", h.auth_algo.clone()),
            ]
        },
        |event, body, headers, status| {
            let delivery = Delivery {
                event_id: event["id"].as_str().unwrap_or_default().to_owned(),
                event_type: event["event_type"].as_str().unwrap_or_default().to_owned(),
                headers: headers.clone(),
                body: body.to_owned(),
                status,
            };
            inner.lock().deliveries.push(delivery.clone());
            delivery
        },
    )
    .await
}

impl FakePaypal {
    /// Starts the fake on an ephemeral port of 127.0.0.1.
    pub async fn start() -> FakePaypal {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("fake PayPal: bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake PayPal: local address: {e}"));
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                base_url: format!("http://{addr}/"),
                counter: 0,
                tokens: HashMap::new(),
                tokens_issued: 0,
                token_lifetime: 32_400,
                orders: HashMap::new(),
                captures: HashMap::new(),
                outcomes: HashMap::new(),
                invoice_ids: HashMap::new(),
                idempotency: HashMap::new(),
                sent: HashMap::new(),
                requests: Vec::new(),
                deliveries: Vec::new(),
                webhook_url: None,
                deliver_twice: false,
            }),
            pending: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("fake PayPal stopped: {e}");
            }
        });
        FakePaypal {
            addr,
            inner,
            server,
        }
    }

    /// The base URL to give `http::Config` (`http://127.0.0.1:<port>/`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Where events go (the app's webhook endpoint).
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        self.inner.lock().webhook_url = Some(url.into());
    }

    /// Delivers every event twice from now on.
    pub fn deliver_twice(&self, twice: bool) {
        self.inner.lock().deliver_twice = twice;
    }

    /// `expires_in` of tokens issued from now on (seconds).
    pub fn set_token_lifetime(&self, seconds: u64) {
        self.inner.lock().token_lifetime = seconds;
    }

    /// Revokes every token issued so far (the next call answers 401).
    pub fn expire_tokens(&self) {
        self.inner.lock().tokens.clear();
    }

    /// How many tokens were issued.
    pub fn tokens_issued(&self) -> usize {
        self.inner.lock().tokens_issued
    }

    /// How the capture of `order_id` turns out (default `Completed`).
    pub fn set_capture_outcome(&self, order_id: &str, outcome: CaptureOutcome) {
        self.inner
            .lock()
            .outcomes
            .insert(order_id.to_owned(), outcome);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.inner.lock().requests.clone()
    }

    /// Every webhook delivery attempt so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.lock().deliveries.clone()
    }

    /// An order as the API would show it.
    pub fn order(&self, id: &str) -> Option<Value> {
        self.inner.lock().orders.get(id).cloned()
    }

    /// Waits for the deliveries API calls started (captures, refunds).
    pub async fn settle(&self) {
        loop {
            let tasks: Vec<_> =
                std::mem::take(&mut *self.inner.pending.lock().unwrap_or_else(|p| p.into_inner()));
            if tasks.is_empty() {
                return;
            }
            for task in tasks {
                let _ = task.await;
            }
        }
    }

    /// The buyer approves the order on PayPal's page; delivers
    /// `CHECKOUT.ORDER.APPROVED`.
    pub async fn approve(&self, order_id: &str) -> Result<Vec<Delivery>, FakeError> {
        let events = {
            let mut state = self.inner.lock();
            let Some(mut order) = state.orders.get(order_id).cloned() else {
                return Err(FakeError::Missing {
                    kind: "order",
                    id: order_id.to_owned(),
                });
            };
            if !matches!(
                order["status"].as_str(),
                Some("CREATED" | "PAYER_ACTION_REQUIRED")
            ) {
                return Err(FakeError::State(format!(
                    "order {order_id} is {}",
                    order["status"]
                )));
            }
            order["status"] = json!("APPROVED");
            order["payer"] = json!({
                "payer_id": "QYR5Z8XDVJNXQ", "email_address": "buyer@example.com",
                "name": {"given_name": "Fake", "surname": "Buyer"},
            });
            state.orders.insert(order_id.to_owned(), order.clone());
            vec![state.event("CHECKOUT.ORDER.APPROVED", "checkout-order", order)]
        };
        Ok(deliver(&self.inner, events).await)
    }

    /// A pending capture completes (`PAYMENT.CAPTURE.COMPLETED`) or is
    /// denied (`PAYMENT.CAPTURE.DENIED`).
    pub async fn resolve_pending(
        &self,
        capture_id: &str,
        completed: bool,
    ) -> Result<Vec<Delivery>, FakeError> {
        let events = {
            let mut state = self.inner.lock();
            let Some(mut capture) = state.captures.get(capture_id).cloned() else {
                return Err(FakeError::Missing {
                    kind: "capture",
                    id: capture_id.to_owned(),
                });
            };
            if capture["status"] != "PENDING" {
                return Err(FakeError::State(format!(
                    "capture {capture_id} is {}",
                    capture["status"]
                )));
            }
            capture["status"] = json!(if completed { "COMPLETED" } else { "DECLINED" });
            if let Some(map) = capture.as_object_mut() {
                map.remove("status_details");
            }
            state
                .captures
                .insert(capture_id.to_owned(), capture.clone());
            let event_type = if completed {
                "PAYMENT.CAPTURE.COMPLETED"
            } else {
                "PAYMENT.CAPTURE.DENIED"
            };
            vec![state.event(event_type, "capture", capture)]
        };
        Ok(deliver(&self.inner, events).await)
    }
}
