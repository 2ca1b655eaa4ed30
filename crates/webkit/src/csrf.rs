//! CSRF protection for every state-changing browser request.
//!
//! Double-submit token: each browser gets a random `lm_csrf` cookie
//! (HttpOnly, SameSite=Strict) and every form carries the same value in a
//! `_csrf` field (multipart forms in the query string). A request whose
//! `Origin` is another site is refused before that. The REST API is not
//! covered: it accepts only bearer tokens, never cookies.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::request::{cookie, set_cookie};
use crate::state::AppState;

/// The cookie holding the browser's token.
pub const COOKIE: &str = "lm_csrf";
/// The form field (or query parameter) that repeats it.
pub const FIELD: &str = "_csrf";

/// The token a page must embed in its forms (set by [`protect`] for every
/// browser request).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The middleware: refuses a state-changing request from another
/// origin or without the token, and gives new browsers a token.
pub async fn protect(State(_): State<AppState>, mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), COOKIE).filter(|t| t.len() >= 32);
    let token = existing
        .clone()
        .unwrap_or_else(|| services::staff::auth::new_token().0);
    let https = req
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|v| v == "https");

    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        if let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            if origin != "null" && origin_host != host {
                return refuse();
            }
        }
        let Some(expected) = existing.as_deref() else {
            return refuse();
        };
        let (sent, rebuilt) = submitted_token(req).await;
        req = match rebuilt {
            Some(r) => r,
            None => return refuse(),
        };
        if !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) {
            return refuse();
        }
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if existing.is_none()
        && let Ok(v) = set_cookie(COOKIE, &token, None, "Strict", https).parse()
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Finds the token in the `X-CSRF-Token` header, the query string, or an
/// urlencoded body (which is buffered and put back).
async fn submitted_token(req: Request) -> (Option<String>, Option<Request>) {
    if let Some(v) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let v = v.to_owned();
        return (Some(v), Some(req));
    }
    let from_query = req.uri().query().and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v)
    });
    if from_query.is_some() {
        return (from_query, Some(req));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (None, Some(req));
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 2 * 1024 * 1024).await else {
        return (None, None);
    };
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
    (token, Some(Request::from_parts(parts, Body::from(bytes))))
}

fn refuse() -> Response {
    (
        axum::http::StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "The form expired or came from another site. Go back, reload the page and try again.\n\
         O formulário expirou ou veio de outro site. Volte, recarregue a página e tente de novo.\n",
    )
        .into_response()
}
