//! A local Stripe: the endpoints `gateways::stripe` calls, with in-memory
//! objects, exact Bearer authentication, idempotency keys honoured as
//! Stripe does (same key and parameters → the same answer replayed; same
//! key, other parameters → 400 `idempotency_error`), required parameters
//! checked with Stripe's error shape, and webhook deliveries signed with
//! the endpoint secret exactly as Stripe signs them.
//!
//! Test controls play the customer's part: [`FakeStripe::complete_checkout`],
//! [`FakeStripe::succeed_intent`], [`FakeStripe::fail_intent`],
//! [`FakeStripe::confirm_setup_intent`], and [`FakeStripe::set_card_outcome`]
//! for what a saved card does when charged off-session.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::stripe::{API_VERSION, form, webhook};

/// The secret key the fake accepts.
pub const SECRET_KEY: &str = "sk_test_lastmile_fake_4eC39HqLyjWDarjtT1zdp7dc";
/// The webhook endpoint secret the fake signs with.
pub const WEBHOOK_SECRET: &str = "whsec_lastmile_fake_5WbX5kEWLBBK";

/// What a saved card does when charged off-session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardOutcome {
    Succeed,
    /// Declined with this `decline_code` (`insufficient_funds`, …).
    Decline(String),
    /// The bank asks for 3-D Secure (`authentication_required`).
    RequireAuthentication,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub idempotency_key: Option<String>,
    pub stripe_version: Option<String>,
    /// The raw form body.
    pub body: String,
    /// Its parameters, decoded from brackets (empty object for GET).
    pub params: Value,
    pub status: u16,
}

/// One webhook delivery attempt.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    /// The receiver's HTTP status; `None` if it could not be reached.
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

#[derive(Default)]
struct State {
    objects: HashMap<String, Value>,
    counters: HashMap<&'static str, u64>,
    idempotency: HashMap<String, Stored>,
    card_outcomes: HashMap<String, CardOutcome>,
    requests: Vec<LoggedRequest>,
    deliveries: Vec<Delivery>,
    events: Vec<Value>,
    webhook_url: Option<String>,
    deliver_twice: bool,
    base_url: String,
}

struct Stored {
    method: String,
    path: String,
    params: Value,
    status: StatusCode,
    body: Value,
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

/// A running fake Stripe on 127.0.0.1; stops when dropped.
pub struct FakeStripe {
    addr: SocketAddr,
    inner: Arc<Inner>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl State {
    fn id(&mut self, prefix: &'static str) -> String {
        let n = self.counters.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}_Fake{:010}", *n)
    }

    fn event(&mut self, event_type: &str, object: Value) -> Value {
        let event = json!({
            "id": self.id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "livemode": false,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": object},
        });
        self.events.push(event.clone());
        event
    }

    fn get(&self, id: &str, kind: &'static str) -> Result<Value, FakeError> {
        self.objects
            .get(id)
            .cloned()
            .ok_or_else(|| FakeError::Missing {
                kind,
                id: id.to_owned(),
            })
    }

    fn put(&mut self, object: Value) -> Value {
        if let Some(id) = object["id"].as_str() {
            self.objects.insert(id.to_owned(), object.clone());
        }
        object
    }

    fn new_payment_method(&mut self, customer: Option<&str>) -> String {
        let id = self.id("pm");
        self.put(json!({
            "id": id, "object": "payment_method", "type": "card",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
            "customer": customer,
        }));
        id
    }

    fn new_customer(&mut self, params: &Value) -> Value {
        let id = self.id("cus");
        self.put(json!({
            "id": id, "object": "customer", "created": now(),
            "email": params.get("email"), "name": params.get("name"),
            "metadata": params.get("metadata").cloned().unwrap_or_else(|| json!({})),
        }))
    }

    /// Marks a PaymentIntent paid with `payment_method`, creating its charge.
    fn succeed(&mut self, mut pi: Value, payment_method: &str) -> Value {
        let charge = self.id("ch");
        let amount = pi["amount"].clone();
        self.put(json!({
            "id": charge, "object": "charge", "amount": amount, "amount_refunded": 0,
            "currency": pi["currency"], "payment_intent": pi["id"], "refunded": false,
            "paid": true, "status": "succeeded", "payment_method": payment_method,
            "metadata": pi["metadata"],
        }));
        pi["status"] = json!("succeeded");
        pi["amount_received"] = amount;
        pi["payment_method"] = json!(payment_method);
        pi["latest_charge"] = json!(charge);
        pi["last_payment_error"] = Value::Null;
        if pi["setup_future_usage"] == "off_session"
            && let Some(customer) = pi["customer"].as_str()
        {
            let customer = customer.to_owned();
            if let Some(pm) = self.objects.get_mut(payment_method) {
                pm["customer"] = json!(customer);
            }
        }
        self.put(pi)
    }

    fn decline(&mut self, mut pi: Value, code: &str, decline_code: Option<&str>) -> Value {
        let message = if code == "authentication_required" {
            "Your card was declined. This transaction requires authentication."
        } else {
            "Your card was declined."
        };
        pi["status"] = json!("requires_payment_method");
        pi["last_payment_error"] = json!({
            "type": "card_error", "code": code, "decline_code": decline_code,
            "message": message,
        });
        self.put(pi)
    }
}

fn stripe_error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    param: Option<&str>,
    message: &str,
) -> (StatusCode, Value) {
    let mut error = json!({"type": kind, "message": message});
    if let Some(code) = code {
        error["code"] = json!(code);
        error["doc_url"] = json!(format!(
            "https://stripe.com/docs/error-codes/{}",
            code.replace('_', "-")
        ));
    }
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    (status, json!({"error": error}))
}

fn missing(param: &str) -> (StatusCode, Value) {
    stripe_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        Some("parameter_missing"),
        Some(param),
        &format!("Missing required param: {param}."),
    )
}

fn invalid(param: &str, message: &str) -> (StatusCode, Value) {
    stripe_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        None,
        Some(param),
        message,
    )
}

fn no_such(kind: &str, id: &str, param: Option<&str>) -> (StatusCode, Value) {
    let status = if param.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::NOT_FOUND
    };
    stripe_error(
        status,
        "invalid_request_error",
        Some("resource_missing"),
        param,
        &format!("No such {kind}: '{id}'"),
    )
}

fn str_param<'a>(params: &'a Value, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A positive integer parameter (form values are text).
fn amount_param(params: &Value, name: &str) -> Result<Option<i64>, (StatusCode, Value)> {
    match str_param(params, name) {
        None => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("parameter_invalid_integer"),
                Some(name),
                &format!("Invalid integer: {text}"),
            )),
        },
    }
}

type Answer = (StatusCode, Value, Vec<Value>);

fn ok(object: Value) -> Result<Answer, (StatusCode, Value)> {
    Ok((StatusCode::OK, object, Vec::new()))
}

fn route(
    state: &mut State,
    method: &Method,
    path: &str,
    query: Option<&str>,
    params: &Value,
) -> Result<Answer, (StatusCode, Value)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "customers"]) => ok(state.new_customer(params)),
        ("GET", ["v1", "customers", "search"]) => search_customers(state, query),
        ("GET", ["v1", "customers", id]) => state
            .objects
            .get(*id)
            .filter(|o| o["object"] == "customer")
            .cloned()
            .map_or_else(|| Err(no_such("customer", id, None)), ok),
        ("POST", ["v1", "checkout", "sessions"]) => create_session(state, params),
        ("GET", ["v1", "checkout", "sessions", id]) => state
            .objects
            .get(*id)
            .filter(|o| o["object"] == "checkout.session")
            .cloned()
            .map_or_else(|| Err(no_such("checkout.session", id, None)), ok),
        ("POST", ["v1", "checkout", "sessions", id, "expire"]) => expire_session(state, id),
        ("POST", ["v1", "payment_intents"]) => create_payment_intent(state, params),
        ("GET", ["v1", "payment_intents", id]) => state
            .objects
            .get(*id)
            .filter(|o| o["object"] == "payment_intent")
            .cloned()
            .map_or_else(|| Err(no_such("payment_intent", id, None)), ok),
        ("POST", ["v1", "setup_intents"]) => create_setup_intent(state, params),
        ("GET", ["v1", "setup_intents", id]) => state
            .objects
            .get(*id)
            .filter(|o| o["object"] == "setup_intent")
            .cloned()
            .map_or_else(|| Err(no_such("setup_intent", id, None)), ok),
        ("POST", ["v1", "refunds"]) => create_refund(state, params),
        _ => Err(stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            None,
            &format!("Unrecognized request URL ({method}: {path})."),
        )),
    }
}

/// Expires an open session (Stripe answers 400 for one complete or
/// expired already).
fn expire_session(state: &mut State, id: &str) -> Result<Answer, (StatusCode, Value)> {
    let Some(session) = state
        .objects
        .get_mut(id)
        .filter(|o| o["object"] == "checkout.session")
    else {
        return Err(no_such("checkout.session", id, None));
    };
    if session["status"] != "open" {
        return Err(stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            None,
            &format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of {}.",
                session["status"]
            ),
        ));
    }
    session["status"] = json!("expired");
    session["url"] = Value::Null;
    ok(session.clone())
}

fn search_customers(state: &State, query: Option<&str>) -> Result<Answer, (StatusCode, Value)> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    let Some((_, q)) = pairs.iter().find(|(k, _)| k == "query") else {
        return Err(missing("query"));
    };
    // The one form we use: metadata['key']:'value'.
    let parsed = q
        .strip_prefix("metadata['")
        .and_then(|rest| rest.split_once("']:'"))
        .and_then(|(key, rest)| {
            rest.strip_suffix('\'')
                .map(|value| (key.replace("\\'", "'"), value.replace("\\'", "'")))
        });
    let Some((key, value)) = parsed else {
        return Err(invalid(
            "query",
            &format!("The query `{q}` is not supported by the fake."),
        ));
    };
    let mut data: Vec<Value> = state
        .objects
        .values()
        .filter(|o| o["object"] == "customer" && o["metadata"][&key] == value.as_str())
        .cloned()
        .collect();
    data.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    ok(
        json!({"object": "search_result", "data": data, "has_more": false, "url": "/v1/customers/search"}),
    )
}

fn check_customer(state: &State, params: &Value) -> Result<Option<String>, (StatusCode, Value)> {
    match str_param(params, "customer") {
        None => Ok(None),
        Some(id)
            if state
                .objects
                .get(id)
                .is_some_and(|o| o["object"] == "customer") =>
        {
            Ok(Some(id.to_owned()))
        }
        Some(id) => Err(no_such("customer", id, Some("customer"))),
    }
}

fn create_session(state: &mut State, params: &Value) -> Result<Answer, (StatusCode, Value)> {
    let mode = str_param(params, "mode").ok_or_else(|| missing("mode"))?;
    if !matches!(mode, "payment" | "setup") {
        return Err(invalid(
            "mode",
            &format!(
                "Invalid mode: must be one of payment, setup or subscription (the fake does payment and setup), not {mode}"
            ),
        ));
    }
    let success_url = str_param(params, "success_url").ok_or_else(|| missing("success_url"))?;
    let customer = check_customer(state, params)?;
    let mut amount_total = None;
    let mut currency = str_param(params, "currency").map(str::to_owned);
    if mode == "payment" {
        let items = params
            .get("line_items")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| missing("line_items"))?;
        let mut total = 0_i64;
        for (i, item) in items.iter().enumerate() {
            let p = |name: &str| format!("line_items[{i}][{name}]");
            let quantity = amount_param(item, "quantity")
                .map_err(|_| invalid(&p("quantity"), "Invalid integer"))?
                .ok_or_else(|| missing(&p("quantity")))?;
            let price = item
                .get("price_data")
                .ok_or_else(|| missing(&p("price_data")))?;
            let cur =
                str_param(price, "currency").ok_or_else(|| missing(&p("price_data][currency")))?;
            let unit = amount_param(price, "unit_amount")
                .map_err(|_| invalid(&p("price_data][unit_amount"), "Invalid integer"))?
                .ok_or_else(|| missing(&p("price_data][unit_amount")))?;
            if str_param(price.get("product_data").unwrap_or(&Value::Null), "name").is_none()
                && str_param(price, "product").is_none()
            {
                return Err(missing(&p("price_data][product_data][name")));
            }
            if currency.as_deref().is_some_and(|c| c != cur) {
                return Err(invalid(
                    &p("price_data][currency"),
                    "All line items must use the same currency.",
                ));
            }
            currency = Some(cur.to_owned());
            total += quantity * unit;
        }
        amount_total = Some(total);
    } else {
        if currency.is_none() && params.get("payment_method_types").is_none() {
            return Err(missing("currency"));
        }
    }
    if mode == "setup" && customer.is_none() && str_param(params, "customer_email").is_none() {
        // Stripe attaches the saved method to a customer; ours are known.
        return Err(missing("customer"));
    }
    let id = state.id("cs_test");
    let url = format!("{}c/pay/{id}", state.base_url);
    let session = json!({
        "id": id, "object": "checkout.session", "mode": mode, "status": "open",
        "payment_status": if mode == "payment" { "unpaid" } else { "no_payment_required" },
        "url": url, "success_url": success_url, "cancel_url": params.get("cancel_url"),
        "amount_total": amount_total, "currency": currency,
        "client_reference_id": params.get("client_reference_id"),
        "customer": customer, "customer_email": params.get("customer_email"),
        "payment_intent": null, "setup_intent": null,
        "metadata": params.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "payment_intent_data": params.get("payment_intent_data"),
        "setup_intent_data": params.get("setup_intent_data"),
        "created": now(), "livemode": false,
    });
    ok(state.put(session))
}

fn create_payment_intent(state: &mut State, params: &Value) -> Result<Answer, (StatusCode, Value)> {
    let amount = amount_param(params, "amount")?.ok_or_else(|| missing("amount"))?;
    let currency = str_param(params, "currency")
        .ok_or_else(|| missing("currency"))?
        .to_owned();
    let customer = check_customer(state, params)?;
    let confirm = str_param(params, "confirm") == Some("true");
    let off_session = str_param(params, "off_session") == Some("true");
    let payment_method = str_param(params, "payment_method").map(str::to_owned);
    if off_session && !confirm {
        return Err(invalid(
            "off_session",
            "off_session can only be set when confirm is true.",
        ));
    }
    if let Some(pm) = &payment_method {
        let Some(object) = state
            .objects
            .get(pm)
            .filter(|o| o["object"] == "payment_method")
        else {
            return Err(no_such("PaymentMethod", pm, Some("payment_method")));
        };
        if object["customer"].as_str() != customer.as_deref() {
            return Err(invalid(
                "payment_method",
                &format!(
                    "The provided PaymentMethod {pm} does not belong to the Customer given in `customer`."
                ),
            ));
        }
    }
    if confirm && payment_method.is_none() {
        return Err(missing("payment_method"));
    }
    let id = state.id("pi");
    let pi = state.put(json!({
        "id": id, "object": "payment_intent", "amount": amount, "amount_received": 0,
        "currency": currency, "status": "requires_payment_method",
        "client_secret": format!("{id}_secret_fake"), "customer": customer,
        "payment_method": payment_method, "description": params.get("description"),
        "metadata": params.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "setup_future_usage": params.get("setup_future_usage"),
        "latest_charge": null, "last_payment_error": null, "created": now(), "livemode": false,
    }));
    let Some(pm) = payment_method.filter(|_| confirm) else {
        return ok(pi);
    };
    match state
        .card_outcomes
        .get(&pm)
        .cloned()
        .unwrap_or(CardOutcome::Succeed)
    {
        CardOutcome::Succeed => {
            let pi = state.succeed(pi, &pm);
            let event = state.event("payment_intent.succeeded", pi.clone());
            Ok((StatusCode::OK, pi, vec![event]))
        }
        outcome => {
            let (code, decline) = match &outcome {
                CardOutcome::Decline(d) => ("card_declined", Some(d.as_str())),
                _ => ("authentication_required", Some("authentication_required")),
            };
            let pi = state.decline(pi, code, decline);
            let event = state.event("payment_intent.payment_failed", pi.clone());
            let (status, mut body) = stripe_error(
                StatusCode::PAYMENT_REQUIRED,
                "card_error",
                Some(code),
                None,
                pi["last_payment_error"]["message"]
                    .as_str()
                    .unwrap_or("Your card was declined."),
            );
            body["error"]["decline_code"] = json!(decline);
            body["error"]["payment_intent"] = pi;
            body["error"]["payment_method"] = json!({"id": pm, "object": "payment_method"});
            Ok((status, body, vec![event]))
        }
    }
}

fn create_setup_intent(state: &mut State, params: &Value) -> Result<Answer, (StatusCode, Value)> {
    let customer = check_customer(state, params)?;
    let usage = str_param(params, "usage").unwrap_or("off_session");
    if !matches!(usage, "off_session" | "on_session") {
        return Err(invalid("usage", &format!("Invalid usage: {usage}")));
    }
    let id = state.id("seti");
    ok(state.put(json!({
        "id": id, "object": "setup_intent", "status": "requires_payment_method",
        "client_secret": format!("{id}_secret_fake"), "customer": customer,
        "payment_method": null, "usage": usage,
        "metadata": params.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "created": now(), "livemode": false,
    })))
}

fn create_refund(state: &mut State, params: &Value) -> Result<Answer, (StatusCode, Value)> {
    let Some(pi_id) = str_param(params, "payment_intent") else {
        return Err(stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("parameter_missing"),
            Some("payment_intent"),
            "One of the following params should be provided for this request: payment_intent or charge.",
        ));
    };
    let pi = state
        .objects
        .get(pi_id)
        .filter(|o| o["object"] == "payment_intent")
        .cloned()
        .ok_or_else(|| no_such("payment_intent", pi_id, Some("payment_intent")))?;
    let Some(charge_id) = pi["latest_charge"]
        .as_str()
        .filter(|_| pi["status"] == "succeeded")
    else {
        return Err(stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            Some("payment_intent"),
            &format!("This PaymentIntent ({pi_id}) does not have a successful charge to refund."),
        ));
    };
    let mut charge = state.get(charge_id, "charge").map_err(|e| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": {"type": "api_error", "message": e.to_string()}}),
        )
    })?;
    let total = charge["amount"].as_i64().unwrap_or(0);
    let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
    if refunded >= total {
        return Err(stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("charge_already_refunded"),
            None,
            &format!("Charge {charge_id} has already been refunded."),
        ));
    }
    let amount = amount_param(params, "amount")?.unwrap_or(total - refunded);
    if amount > total - refunded {
        return Err(stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("amount_too_large"),
            Some("amount"),
            &format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({}).",
                total - refunded
            ),
        ));
    }
    let id = state.id("re");
    let refund = state.put(json!({
        "id": id, "object": "refund", "amount": amount, "currency": pi["currency"],
        "status": "succeeded", "payment_intent": pi_id, "charge": charge_id,
        "metadata": params.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "created": now(),
    }));
    charge["amount_refunded"] = json!(refunded + amount);
    charge["refunded"] = json!(refunded + amount == total);
    let charge = state.put(charge);
    let event = state.event("charge.refunded", charge);
    Ok((StatusCode::OK, refund, vec![event]))
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
    let query = uri.query().map(str::to_owned);
    let text = String::from_utf8_lossy(&body).into_owned();
    let idempotency_key = header("idempotency-key");
    let mut entry = LoggedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        idempotency_key: idempotency_key.clone(),
        stripe_version: header("stripe-version"),
        body: text.clone(),
        params: json!({}),
        status: 0,
    };
    let (status, answer, events, replayed) = {
        let mut state = inner.lock();
        let outcome = answer(
            &mut state,
            &method,
            &path,
            query.as_deref(),
            header("authorization"),
            idempotency_key,
            &text,
            &mut entry,
        );
        entry.status = outcome.0.as_u16();
        state.requests.push(entry);
        outcome
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
        "request-id",
        axum::http::HeaderValue::from_static("req_fake"),
    );
    if replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    response
}

#[allow(clippy::too_many_arguments)]
fn answer(
    state: &mut State,
    method: &Method,
    path: &str,
    query: Option<&str>,
    authorization: Option<String>,
    idempotency_key: Option<String>,
    body: &str,
    entry: &mut LoggedRequest,
) -> (StatusCode, Value, Vec<Value>, bool) {
    let fail = |(status, body): (StatusCode, Value)| (status, body, Vec::new(), false);
    match authorization.as_deref() {
        None => {
            return fail(stripe_error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                None,
                None,
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            ));
        }
        Some(value) if value != format!("Bearer {SECRET_KEY}") => {
            let key = value.strip_prefix("Bearer ").unwrap_or(value);
            let tail: String = key
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return fail(stripe_error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                None,
                None,
                &format!("Invalid API Key provided: sk_****{tail}"),
            ));
        }
        Some(_) => {}
    }
    let params = match form::decode(body) {
        Ok(p) => p,
        Err(e) => {
            return fail(stripe_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                None,
                None,
                &e.to_string(),
            ));
        }
    };
    entry.params = params.clone();
    if *method == Method::POST
        && let Some(key) = &idempotency_key
    {
        if key.len() > 255 {
            return fail(invalid(
                "Idempotency-Key",
                "Idempotency keys may be at most 255 characters long.",
            ));
        }
        if let Some(stored) = state.idempotency.get(key) {
            if stored.method == method.as_str() && stored.path == path && stored.params == params {
                return (stored.status, stored.body.clone(), Vec::new(), true);
            }
            return fail(stripe_error(
                StatusCode::BAD_REQUEST,
                "idempotency_error",
                None,
                None,
                &format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                ),
            ));
        }
    }
    let (status, answer, events) = match route(state, method, path, query, &params) {
        Ok(answer) => answer,
        Err((status, body)) => (status, body, Vec::new()),
    };
    if *method == Method::POST
        && let Some(key) = idempotency_key
    {
        state.idempotency.insert(
            key,
            Stored {
                method: method.to_string(),
                path: path.to_owned(),
                params,
                status,
                body: answer.clone(),
            },
        );
    }
    (status, answer, events, false)
}

/// Posts each event to the webhook URL (twice when asked), signed with
/// [`WEBHOOK_SECRET`] as Stripe signs: `t=<now>,v1=<HMAC-SHA256 hex>`.
async fn deliver(inner: &Inner, events: Vec<Value>) -> Vec<Delivery> {
    let (url, times) = {
        let state = inner.lock();
        (
            state.webhook_url.clone(),
            if state.deliver_twice { 2 } else { 1 },
        )
    };
    let Some(url) = url else { return Vec::new() };
    super::deliver_events(
        Some(&url),
        events,
        times,
        |_, body| webhook::sign(body.as_bytes(), WEBHOOK_SECRET, now()),
        |signature| {
            vec![
                ("stripe-signature", signature.clone()),
                (
                    "user-agent",
                    "Stripe/1.0 (+https://stripe.com/docs/webhooks)".into(),
                ),
            ]
        },
        |event, _, _, status| {
            let delivery = Delivery {
                event_id: event["id"].as_str().unwrap_or_default().to_owned(),
                event_type: event["type"].as_str().unwrap_or_default().to_owned(),
                status,
            };
            inner.lock().deliveries.push(delivery.clone());
            delivery
        },
    )
    .await
}

impl FakeStripe {
    /// Starts the fake on an ephemeral port of 127.0.0.1.
    pub async fn start() -> FakeStripe {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("fake Stripe: bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake Stripe: local address: {e}"));
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                base_url: format!("http://{addr}/"),
                ..State::default()
            }),
            pending: Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("fake Stripe stopped: {e}");
            }
        });
        FakeStripe {
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

    /// Delivers every event twice from now on (Stripe's at-least-once).
    pub fn deliver_twice(&self, twice: bool) {
        self.inner.lock().deliver_twice = twice;
    }

    /// What the saved `payment_method` does when charged off-session.
    pub fn set_card_outcome(&self, payment_method: &str, outcome: CardOutcome) {
        self.inner
            .lock()
            .card_outcomes
            .insert(payment_method.to_owned(), outcome);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.inner.lock().requests.clone()
    }

    /// Every webhook delivery attempt so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.lock().deliveries.clone()
    }

    /// Every event built so far (delivered or not).
    pub fn events(&self) -> Vec<Value> {
        self.inner.lock().events.clone()
    }

    /// An object by id, as the API would show it.
    pub fn object(&self, id: &str) -> Option<Value> {
        self.inner.lock().objects.get(id).cloned()
    }

    /// Waits for the deliveries API calls started (charges, refunds).
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

    /// Signs `payload` now with the fake's webhook secret and POSTs it to
    /// the webhook URL (tests send tampered or hand-made events this way).
    pub async fn post_event_body(&self, body: &str, signature: Option<String>) -> Option<u16> {
        let url = self.inner.lock().webhook_url.clone()?;
        let signature =
            signature.unwrap_or_else(|| webhook::sign(body.as_bytes(), WEBHOOK_SECRET, now()));
        super::post_webhook(&url, &[("stripe-signature", signature)], body).await
    }

    /// The customer pays an open Checkout Session (payment mode) or saves a
    /// card in it (setup mode); delivers `payment_intent.succeeded` then
    /// `checkout.session.completed`, or `setup_intent.succeeded` then
    /// `checkout.session.completed`.
    pub async fn complete_checkout(&self, session_id: &str) -> Result<Vec<Delivery>, FakeError> {
        let events = {
            let mut state = self.inner.lock();
            let mut session = state.get(session_id, "checkout session")?;
            if session["status"] != "open" {
                return Err(FakeError::State(format!(
                    "checkout session {session_id} is {}",
                    session["status"]
                )));
            }
            let mut events = Vec::new();
            let mut customer = session["customer"].as_str().map(str::to_owned);
            let pi_data = session["payment_intent_data"].clone();
            let save = pi_data["setup_future_usage"] == "off_session" || session["mode"] == "setup";
            if save && customer.is_none() {
                let email = json!({"email": session["customer_email"]});
                customer = state.new_customer(&email)["id"].as_str().map(str::to_owned);
                session["customer"] = json!(customer);
            }
            let pm = state.new_payment_method(if save { customer.as_deref() } else { None });
            if session["mode"] == "payment" {
                let id = state.id("pi");
                let pi = json!({
                    "id": id, "object": "payment_intent", "amount": session["amount_total"],
                    "amount_received": 0, "currency": session["currency"], "status": "requires_payment_method",
                    "customer": customer, "payment_method": null,
                    "metadata": pi_data.get("metadata").cloned().unwrap_or_else(|| json!({})),
                    "setup_future_usage": pi_data.get("setup_future_usage"),
                    "latest_charge": null, "last_payment_error": null, "created": now(), "livemode": false,
                });
                let pi = state.succeed(pi, &pm);
                session["payment_intent"] = json!(id);
                session["payment_status"] = json!("paid");
                events.push(state.event("payment_intent.succeeded", pi));
            } else {
                let id = state.id("seti");
                let si = state.put(json!({
                    "id": id, "object": "setup_intent", "status": "succeeded",
                    "customer": customer, "payment_method": pm, "usage": "off_session",
                    "metadata": session["setup_intent_data"].get("metadata").cloned().unwrap_or_else(|| json!({})),
                    "created": now(), "livemode": false,
                }));
                session["setup_intent"] = json!(id);
                events.push(state.event("setup_intent.succeeded", si));
            }
            session["status"] = json!("complete");
            session["url"] = Value::Null;
            let session = state.put(session);
            events.push(state.event("checkout.session.completed", session));
            events
        };
        Ok(deliver(&self.inner, events).await)
    }

    /// The customer confirms a SetupIntent created with the API: a new card
    /// is attached to its customer; delivers `setup_intent.succeeded`.
    pub async fn confirm_setup_intent(&self, id: &str) -> Result<Vec<Delivery>, FakeError> {
        let events = {
            let mut state = self.inner.lock();
            let mut si = state.get(id, "setup intent")?;
            if si["status"] == "succeeded" {
                return Err(FakeError::State(format!(
                    "setup intent {id} already succeeded"
                )));
            }
            let customer = si["customer"].as_str().map(str::to_owned);
            let pm = state.new_payment_method(customer.as_deref());
            si["status"] = json!("succeeded");
            si["payment_method"] = json!(pm);
            let si = state.put(si);
            vec![state.event("setup_intent.succeeded", si)]
        };
        Ok(deliver(&self.inner, events).await)
    }

    /// The customer pays an unconfirmed PaymentIntent with a new card;
    /// delivers `payment_intent.succeeded`.
    pub async fn succeed_intent(&self, id: &str) -> Result<Vec<Delivery>, FakeError> {
        let events = {
            let mut state = self.inner.lock();
            let pi = state.get(id, "payment intent")?;
            if pi["status"] == "succeeded" || pi["status"] == "canceled" {
                return Err(FakeError::State(format!(
                    "payment intent {id} is {}",
                    pi["status"]
                )));
            }
            let save = pi["setup_future_usage"] == "off_session";
            let customer = pi["customer"].as_str().map(str::to_owned);
            let pm = state.new_payment_method(if save { customer.as_deref() } else { None });
            let pi = state.succeed(pi, &pm);
            vec![state.event("payment_intent.succeeded", pi)]
        };
        Ok(deliver(&self.inner, events).await)
    }

    /// The customer's card is declined with `decline_code`; delivers
    /// `payment_intent.payment_failed`.
    pub async fn fail_intent(
        &self,
        id: &str,
        decline_code: &str,
    ) -> Result<Vec<Delivery>, FakeError> {
        let events = {
            let mut state = self.inner.lock();
            let pi = state.get(id, "payment intent")?;
            if pi["status"] == "succeeded" || pi["status"] == "canceled" {
                return Err(FakeError::State(format!(
                    "payment intent {id} is {}",
                    pi["status"]
                )));
            }
            let pi = state.decline(pi, "card_declined", Some(decline_code));
            vec![state.event("payment_intent.payment_failed", pi)]
        };
        Ok(deliver(&self.inner, events).await)
    }
}
