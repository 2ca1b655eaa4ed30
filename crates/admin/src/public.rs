//! Pages reachable without a session: login, second factor, password reset,
//! language choice, the company logo.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use services::staff::auth::{LoginOutcome, LoginRequest};

use crate::error::PageResult;
use crate::system::setup::session_redirect;
use crate::views::{FormErrors, html};
use crate::{field, form_pairs};
use webkit::auth::{DEVICE_COOKIE, LANG_COOKIE, SESSION_COOKIE, Visitor};
use webkit::i18n::Tr;
use webkit::request::{cookie, set_cookie};
use webkit::state::AppState;

/// Sign-in, second factor, sign-out, language, password reset, the logo.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/login/2fa", get(second_factor_form).post(second_factor))
        .route("/logout", post(logout))
        .route("/language", post(language))
        .route(
            "/password-reset",
            get(reset_request_form).post(reset_request),
        )
        .route("/password-reset/{token}", get(reset_form).post(reset))
        .route("/logo", get(logo))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginView {
    tr: Tr,
    /// The provider's name, shown above the form.
    company: String,
    csrf: String,
    username: String,
    next: String,
    errors: FormErrors,
    notice: String,
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    ok: Option<String>,
}

/// Only local paths are followed after login (no open redirects).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".into()
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    Query(q): Query<LoginQuery>,
) -> PageResult {
    if !services::system::setup::is_done(&state.svc).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    // Already signed in: nothing to do here.
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Some((_, session)) =
            services::staff::auth::session(&state.svc, &token, visitor.client.ip).await?
        && !session.mfa_pending
    {
        return Ok(Redirect::to("/").into_response());
    }
    let notice =
        q.ok.as_deref()
            .map(|k| format!("flash-{k}"))
            .filter(|k| visitor.tr.has(k))
            .map(|k| visitor.tr.t(&k))
            .unwrap_or_default();
    let company = services::system::setup::company(&state.svc)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(html(&LoginView {
        company,
        tr: visitor.tr,
        csrf: visitor.csrf,
        username: String::new(),
        next: q
            .next
            .as_deref()
            .map(safe_next)
            .unwrap_or_else(|| "/".into()),
        errors: FormErrors::default(),
        notice,
    }))
}

/// Adds the known-device cookie to a response when the sign-in issued a
/// new token.
pub fn keep_device(mut resp: Response, token: Option<&str>, https: bool) -> Response {
    if let Some(token) = token
        && let Ok(v) = set_cookie(
            DEVICE_COOKIE,
            token,
            Some(services::staff::auth::KNOWN_DEVICE_DAYS * 86_400),
            "Lax",
            https,
        )
        .parse()
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> PageResult {
    let pairs = form_pairs(&body);
    let device = cookie(&headers, DEVICE_COOKIE);
    let username = field(&pairs, "username").trim().to_lowercase();
    let password = field(&pairs, "password");
    let next = safe_next(&field(&pairs, "next"));
    let tr = visitor.tr;
    let req = LoginRequest {
        username: &username,
        password: &password,
        ip: visitor.client.ip,
        user_agent: &visitor.client.user_agent,
        device: device.as_deref(),
    };
    let outcome = match services::staff::auth::login(&state.svc, &req).await {
        Ok(o) => o,
        Err(e @ (services::Error::Refused(_) | services::Error::Throttled { .. })) => {
            let (message, status) = match e {
                services::Error::Throttled { retry_after } => (
                    tr.tn("refused-throttled", "seconds", retry_after),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                services::Error::Refused(code @ "banned") => (
                    tr.t(&format!("refused-{code}")),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                services::Error::Refused(code) => {
                    (tr.t(&format!("refused-{code}")), StatusCode::UNAUTHORIZED)
                }
                _ => (tr.t("refused-bad-credentials"), StatusCode::UNAUTHORIZED),
            };
            let errors = FormErrors(vec![("_form".into(), message)]);
            let company = services::system::setup::company(&state.svc)
                .await?
                .map(|c| c.name)
                .unwrap_or_default();
            let view = LoginView {
                company,
                tr,
                csrf: visitor.csrf,
                username,
                next,
                errors,
                notice: String::new(),
            };
            return Ok((status, html(&view)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let (token, to, device) = match outcome {
        LoginOutcome::Done {
            session_token,
            device_token,
        } => (session_token, next, device_token),
        LoginOutcome::NeedsSecondFactor { session_token } => {
            (session_token, "/login/2fa".to_owned(), None)
        }
        LoginOutcome::MustEnroll {
            session_token,
            device_token,
        } => (session_token, "/account/2fa".to_owned(), device_token),
    };
    let resp = session_redirect(
        &to,
        &set_cookie(SESSION_COOKIE, &token, None, "Lax", visitor.client.https),
    );
    Ok(keep_device(resp, device.as_deref(), visitor.client.https))
}

#[derive(Template)]
#[template(path = "login_2fa.html")]
struct SecondFactorView {
    tr: Tr,
    csrf: String,
    errors: FormErrors,
}

pub async fn second_factor_form(visitor: Visitor, headers: axum::http::HeaderMap) -> PageResult {
    if cookie(&headers, SESSION_COOKIE).is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(html(&SecondFactorView {
        tr: visitor.tr,
        csrf: visitor.csrf,
        errors: FormErrors::default(),
    }))
}

pub async fn second_factor(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> PageResult {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let code = field(&form_pairs(&body), "code");
    let device = cookie(&headers, DEVICE_COOKIE);
    match services::staff::auth::second_factor(
        &state.svc,
        &token,
        &code,
        visitor.client.ip,
        device.as_deref(),
    )
    .await
    {
        Ok(device) => Ok(keep_device(
            Redirect::to("/").into_response(),
            device.as_deref(),
            visitor.client.https,
        )),
        Err(services::Error::Refused("session-expired")) => {
            Ok(Redirect::to("/login?ok=session-expired").into_response())
        }
        Err(e @ (services::Error::Refused(_) | services::Error::Throttled { .. })) => {
            let message = match e {
                services::Error::Throttled { retry_after } => {
                    visitor.tr.tn("refused-throttled", "seconds", retry_after)
                }
                services::Error::Refused(code) => visitor.tr.t(&format!("refused-{code}")),
                _ => visitor.tr.t("refused-bad-code"),
            };
            let errors = FormErrors(vec![("code".into(), message)]);
            let view = SecondFactorView {
                tr: visitor.tr,
                csrf: visitor.csrf,
                errors,
            };
            Ok((StatusCode::UNAUTHORIZED, html(&view)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
) -> PageResult {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        services::staff::auth::logout(&state.svc, &token, visitor.client.ip).await?;
    }
    Ok(session_redirect(
        "/login?ok=logged-out",
        &set_cookie(SESSION_COOKIE, "", Some(0), "Lax", visitor.client.https),
    ))
}

/// Sets the language: for the signed-in user (stored) and as a cookie.
pub async fn language(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> PageResult {
    let locale: domain::Locale = field(&form_pairs(&body), "locale")
        .parse()
        .unwrap_or_default();
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Some((p, _)) =
            services::staff::auth::session(&state.svc, &token, visitor.client.ip).await?
    {
        let caller = services::Caller::staff(p, Some(visitor.client.ip));
        services::staff::set_locale(&state.svc, &caller, locale).await?;
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .map(|p| safe_next(&p))
        .unwrap_or_else(|| "/".into());
    let c = set_cookie(
        LANG_COOKIE,
        locale.tag(),
        Some(31_536_000),
        "Lax",
        visitor.client.https,
    );
    Ok(session_redirect(&back, &c))
}

#[derive(Template)]
#[template(path = "reset_request.html")]
struct ResetRequestView {
    tr: Tr,
    csrf: String,
    sent: bool,
}

pub async fn reset_request_form(visitor: Visitor) -> PageResult {
    Ok(html(&ResetRequestView {
        tr: visitor.tr,
        csrf: visitor.csrf,
        sent: false,
    }))
}

pub async fn reset_request(
    State(state): State<AppState>,
    visitor: Visitor,
    body: Bytes,
) -> PageResult {
    let email = field(&form_pairs(&body), "email");
    services::staff::auth::request_password_reset(
        &state.svc,
        &email,
        &visitor.client.base_url(&state),
        visitor.client.ip,
    )
    .await?;
    Ok(html(&ResetRequestView {
        tr: visitor.tr,
        csrf: visitor.csrf,
        sent: true,
    }))
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetView {
    tr: Tr,
    csrf: String,
    token: String,
    valid: bool,
    errors: FormErrors,
}

pub async fn reset_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> PageResult {
    let valid = services::staff::auth::reset_token_valid(&state.svc, &token).await?;
    Ok(html(&ResetView {
        tr: visitor.tr,
        csrf: visitor.csrf,
        token,
        valid,
        errors: FormErrors::default(),
    }))
}

pub async fn reset(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    body: Bytes,
) -> PageResult {
    let pairs = form_pairs(&body);
    let (new, confirm) = (
        field(&pairs, "new_password"),
        field(&pairs, "confirm_password"),
    );
    let tr = visitor.tr;
    let result = if new != confirm {
        Err(services::Error::invalid_msg(
            "confirm_password",
            tr.t("invalid-mismatch"),
        ))
    } else {
        services::staff::auth::reset_password(&state.svc, &token, &new, visitor.client.ip).await
    };
    match result {
        Ok(()) => Ok(Redirect::to("/login?ok=password-reset").into_response()),
        Err(e) => {
            let errors = FormErrors::from_error(&tr, e)?;
            let view = ResetView {
                tr,
                csrf: visitor.csrf,
                token,
                valid: true,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

/// The company logo, or Lastmile's mark before one is uploaded.
pub async fn logo(State(state): State<AppState>) -> Response {
    match services::system::setup::logo(&state.svc).await {
        Ok(Some((bytes, ct))) => (
            [
                (header::CONTENT_TYPE, ct),
                (header::CACHE_CONTROL, "private, max-age=300".into()),
            ],
            bytes,
        )
            .into_response(),
        _ => webkit::assets::favicon(),
    }
}
