//! `/api/v1/webhooks/{gateway}`: where payment providers tell us about
//! money. No session, no CSRF, no API token: each request is authenticated
//! by the provider's own means (Stripe's `Stripe-Signature` HMAC, PayPal's
//! verification call), over the raw body, which the 2 MiB body limit caps.
//! A delivery already handled answers 200 and changes nothing; one we
//! cannot trust (no or a bad signature, not an event) answers 401 and
//! records nothing; a failure on our side
//! answers 500 so the provider delivers again.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use services::payments::gateways::{WebhookError, WebhookOutcome, paypal, stripe};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use crate::problem::Problem;

/// The webhook paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(stripe_webhook))
        .routes(routes!(paypal_webhook))
}

fn answer(r: Result<WebhookOutcome, WebhookError>, gateway: &str) -> Response {
    match r {
        Ok(_) => StatusCode::OK.into_response(),
        Err(WebhookError::Refused(why)) => {
            tracing::warn!(gateway, "webhook refused: {why}");
            Problem::new("unauthorized", why).into_response()
        }
        Err(WebhookError::Failed(e)) => {
            tracing::error!(gateway, "webhook failed: {e}");
            Problem::from(e).into_response()
        }
    }
}

/// A Stripe event, signed with the endpoint's secret (`stripe.webhook_secret`).
#[utoipa::path(
    post, path = "/api/v1/webhooks/stripe", operation_id = "webhooks.stripe", tag = "payments",
    request_body(content = String, content_type = "application/json",
        description = "A Stripe event, exactly as Stripe sent it"),
    params(("Stripe-Signature" = String, Header, description = "t=…,v1=… (HMAC-SHA256)")),
    responses(
        (status = 200, description = "Handled (or handled before)"),
        (status = 401, description = "Not the provider's: nothing recorded"),
        (status = 500, description = "Failed on our side: the provider delivers again", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    answer(
        stripe::webhook(&state.svc, &body, signature).await,
        "stripe",
    )
}

/// A PayPal event, verified through PayPal's verification call with
/// `paypal.webhook_id`.
#[utoipa::path(
    post, path = "/api/v1/webhooks/paypal", operation_id = "webhooks.paypal", tag = "payments",
    request_body(content = String, content_type = "application/json",
        description = "A PayPal event, exactly as PayPal sent it, with its PAYPAL-TRANSMISSION-* headers"),
    responses(
        (status = 200, description = "Handled (or handled before)"),
        (status = 401, description = "Not the provider's: nothing recorded"),
        (status = 500, description = "Failed on our side: the provider delivers again", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn paypal_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lookup = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    answer(paypal::webhook(&state.svc, &body, lookup).await, "paypal")
}
