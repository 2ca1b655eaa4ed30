//! The public payment page `/pay/{public_id}`: no sign-in, reached only by
//! the invoice's random public id (an unknown id is a bare 404). It shows
//! the company, the customer's first name, what is left to pay and every
//! enabled way to pay; "Pay by card" and "PayPal" post here and are sent on
//! to the provider. While something is open the page reloads itself every
//! few seconds (`data-refresh`, and `/pay/{id}/status` for scripts), so it
//! shows "paid" soon after the provider's webhook. Requests are limited
//! per address, so the ids cannot be tried in bulk.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use services::payments::gateways::page::{self, PayPage};
use services::payments::gateways::{paypal, stripe};
use webkit::auth::Visitor;
use webkit::i18n::Tr;
use webkit::state::AppState;

use crate::views::html;

/// The payment page's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pay/{id}", get(show))
        .route("/pay/{id}/status", get(status))
        .route("/pay/{id}/done", get(done))
        .route("/pay/{id}/card", post(card))
        .route("/pay/{id}/paypal", post(paypal_order))
        .route("/pay/{id}/save-card", post(save_card))
}

/// Requests one address may make in a minute.
const PER_MINUTE: u32 = 120;

/// A fixed one-minute window per client address (per node; enough to make
/// guessing 22-character random ids hopeless).
fn throttled(ip: IpAddr) -> bool {
    static SEEN: Mutex<Option<HashMap<IpAddr, (i64, u32)>>> = Mutex::new(None);
    let minute = services::now() / 60;
    let mut guard = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if map.len() > 50_000 {
        map.retain(|_, (m, _)| *m == minute);
    }
    let entry = map.entry(ip).or_insert((minute, 0));
    if entry.0 != minute {
        *entry = (minute, 0);
    }
    entry.1 += 1;
    entry.1 > PER_MINUTE
}

fn too_many() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "60")],
        "Too many requests",
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found").into_response()
}

/// Forms on this page leave for the providers' pages (a 303 to Stripe or
/// PayPal), which the site-wide `form-action 'self'` would stop.
fn with_csp(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
             form-action 'self' https:; frame-ancestors 'none'",
        ),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[derive(Template)]
#[template(path = "pay.html")]
struct PayView {
    tr: Tr,
    csrf: String,
    p: PayPage,
    status_label: String,
    /// What is left to pay, formatted.
    open_text: String,
    paid: bool,
    canceled: bool,
    notice: String,
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct PayQuery {
    canceled: Option<String>,
    error: Option<String>,
    card: Option<String>,
}

/// The invoice's page.
async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<PayQuery>,
) -> Response {
    if throttled(visitor.client.ip) {
        return too_many();
    }
    let p = match page::view(&state.svc, &id).await {
        Ok(p) => p,
        Err(services::Error::NotFound) => return not_found(),
        Err(e) => {
            tracing::error!("payment page: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let tr = visitor.tr;
    let paid = p.status == domain::payments::InvoiceStatus::Paid;
    let status_label = tr.t(&format!("payments-status-{}", p.status.as_str()));
    let notice = match (q.error.as_deref(), q.card.as_deref()) {
        (Some(_), _) => tr.t("pay-error-gateway"),
        (None, Some("saved")) => tr.t("pay-card-saved"),
        _ => String::new(),
    };
    with_csp(html(&PayView {
        csrf: visitor.csrf,
        status_label,
        open_text: tr.money(p.open),
        paid,
        canceled: q.canceled.is_some(),
        notice,
        tr,
        p,
    }))
}

#[derive(serde::Serialize)]
struct StatusBody {
    status: &'static str,
    open: i64,
}

/// `{"status": "paid", "open": 0}` for scripts polling the page.
async fn status(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    if throttled(visitor.client.ip) {
        return too_many();
    }
    match page::status(&state.svc, &id).await {
        Ok((s, open)) => (
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(StatusBody {
                status: s.as_str(),
                open,
            }),
        )
            .into_response(),
        Err(services::Error::NotFound) => not_found(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Template)]
#[template(path = "pay_done.html")]
struct DoneView {
    tr: Tr,
    csrf: String,
    p: PayPage,
    paid: bool,
}

/// Where providers send the customer back. PayPal adds `token` (the
/// order): it is captured now, so the page need not wait for the webhook.
async fn done(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if throttled(visitor.client.ip) {
        return too_many();
    }
    if let Some(order) = q.get("token")
        && let Err(e) = paypal::capture(&state.svc, order).await
        && !matches!(e, services::Error::NotFound)
    {
        tracing::warn!("PayPal capture on return: {e}");
    }
    if q.get("card").is_some_and(|c| c == "saved") {
        return Redirect::to(&format!("/pay/{id}?card=saved")).into_response();
    }
    let p = match page::view(&state.svc, &id).await {
        Ok(p) => p,
        Err(services::Error::NotFound) => return not_found(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let paid = p.status == domain::payments::InvoiceStatus::Paid;
    with_csp(html(&DoneView {
        tr: visitor.tr,
        csrf: visitor.csrf,
        p,
        paid,
    }))
}

async fn go(state: &AppState, visitor: &Visitor, id: &str, what: &str) -> Response {
    if throttled(visitor.client.ip) {
        return too_many();
    }
    let base = visitor.client.base_url(state);
    let result = match what {
        "card" => stripe::checkout(&state.svc, id, &base).await,
        "paypal" => paypal::checkout(&state.svc, id, &base).await,
        _ => stripe::save_card_checkout(&state.svc, id, &base).await,
    };
    match result {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(services::Error::NotFound) => not_found(),
        Err(e) => {
            tracing::warn!(what, "payment page: {e}");
            Redirect::to(&format!("/pay/{id}?error={what}")).into_response()
        }
    }
}

async fn card(State(state): State<AppState>, visitor: Visitor, Path(id): Path<String>) -> Response {
    go(&state, &visitor, &id, "card").await
}

async fn paypal_order(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    go(&state, &visitor, &id, "paypal").await
}

async fn save_card(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    go(&state, &visitor, &id, "save-card").await
}
