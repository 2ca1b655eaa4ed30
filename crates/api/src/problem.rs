//! Errors as `application/problem+json` (RFC 9457). Every failure the API
//! returns — bad token, missing permission, invalid field, malformed body,
//! unknown route — is a [`Problem`]; validation failures list the offending
//! fields in `errors`.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// One offending field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldIssue {
    /// The field's name as the request spells it (`username`, `limit`, `email.smtp_port`).
    pub field: String,
    /// A stable code (`required`, `email`, `invalid`, `type`, `unknown-field`, …).
    pub code: String,
    /// A human-readable explanation in English.
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem; its fragment is described on `/api/docs`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The permission a 403 refusal is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// A stable code for refusals by a business rule (`last-admin`, `role-in-use`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The offending fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldIssue>,
    /// Existing customers a new one would duplicate (code `duplicates`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<DuplicateRef>,
    /// For a refused contract transition (code `illegal-transition`): the
    /// contract's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
    /// For a refused contract transition: the status asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_status: Option<String>,
}

/// An existing customer sharing a document, e-mail or phone with a new one.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct DuplicateRef {
    pub customer_id: i64,
    pub name: String,
    /// `document`, `email` or `phone`.
    pub matched: String,
    /// The customer's API URL.
    pub url: String,
}

/// The kinds of problem, as `(slug, title)`; `type` is `/api/docs#problem-<slug>`.
pub const KINDS: &[(&str, &str, u16)] = &[
    ("malformed", "Malformed request", 400),
    ("unauthorized", "Authentication required", 401),
    ("forbidden", "Permission denied", 403),
    ("not-found", "Not found", 404),
    ("method-not-allowed", "Method not allowed", 405),
    ("conflict", "Conflict", 409),
    ("too-large", "Request body too large", 413),
    ("unsupported-media-type", "Unsupported media type", 415),
    ("validation", "Validation failed", 422),
    ("internal", "Internal error", 500),
];

impl Problem {
    pub fn new(slug: &str, detail: impl Into<String>) -> Problem {
        let (slug, title, status) = KINDS
            .iter()
            .find(|(s, _, _)| *s == slug)
            .copied()
            .unwrap_or(("internal", "Internal error", 500));
        Problem {
            kind: format!("/api/docs#problem-{slug}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            permission: None,
            code: None,
            errors: Vec::new(),
            duplicates: Vec::new(),
            current_status: None,
            requested_status: None,
        }
    }

    pub fn malformed(field: &str, code: &str, message: impl Into<String>) -> Problem {
        let message = message.into();
        Problem::new("malformed", format!("`{field}` {message}")).with_field(field, code, message)
    }

    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Problem {
        let message = message.into();
        Problem::new("validation", format!("`{field}` {message}")).with_field(field, code, message)
    }

    pub fn unauthorized(detail: &str) -> Problem {
        Problem::new("unauthorized", detail)
    }

    pub fn forbidden(permission: &str) -> Problem {
        let mut p = Problem::new(
            "forbidden",
            format!("this request needs the `{permission}` permission"),
        );
        p.permission = Some(permission.to_owned());
        p
    }

    pub fn not_found() -> Problem {
        Problem::new("not-found", "no such resource")
    }

    pub fn with_field(mut self, field: &str, code: &str, message: impl Into<String>) -> Problem {
        self.errors.push(FieldIssue {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (status, body).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"lastmile\""),
            );
        }
        resp
    }
}

impl From<services::Error> for Problem {
    fn from(e: services::Error) -> Problem {
        use services::Error as E;
        match e {
            E::Invalid { field, reason } => {
                Problem::invalid(field, reason.code(), reason.to_string())
            }
            E::Forbidden(code) => Problem::forbidden(code),
            E::NotFound => Problem::not_found(),
            E::Conflict(what) => {
                let mut p = Problem::new("conflict", format!("{what} already exists")).with_field(
                    what,
                    "taken",
                    "is already taken",
                );
                p.code = Some("exists".into());
                p
            }
            E::Refused(code) => {
                let mut p = Problem::new("conflict", refusal_text(code));
                p.code = Some(code.to_owned());
                p
            }
            // A conflict with the contract's state, not a bad field: both
            // statuses, so a client can re-read and decide.
            E::IllegalTransition { current, requested } => {
                let mut p = Problem::new(
                    "conflict",
                    format!("a contract cannot go from {current} to {requested}"),
                );
                p.code = Some("illegal-transition".into());
                p.current_status = Some(current.as_str().into());
                p.requested_status = Some(requested.as_str().into());
                p
            }
            E::Throttled { retry_after } => {
                let mut p = Problem::new("conflict", format!("retry after {retry_after} s"));
                p.code = Some("throttled".into());
                p
            }
            E::Store(_) | E::Internal(_) => {
                tracing::error!(error = %e, "api request failed");
                Problem::new("internal", "the server could not complete the request")
            }
        }
    }
}

impl From<services::StoreError> for Problem {
    fn from(e: services::StoreError) -> Problem {
        services::Error::from(e).into()
    }
}

/// English explanations of the services' refusal codes.
fn refusal_text(code: &str) -> String {
    match code {
        "last-admin" => "the last enabled admin cannot be disabled or moved to another role".into(),
        "role-builtin" => "built-in roles cannot be deleted".into(),
        "role-in-use" => "the role is held by users; move them to another role first".into(),
        "token-revoked" => "the token is already revoked".into(),
        "ip-not-allowed" => "requests from this address are not allowed for this user".into(),
        "repricing-changed" => {
            "the contracts to re-price changed since the preview; preview again".into()
        }
        "contract-changed" => {
            "the contract's status changed meanwhile; read it again and retry".into()
        }
        "session-closed" => "the session has already ended".into(),
        "invoice-not-issued" => {
            "the invoice is not issued (a draft, already voided, or a credit note)".into()
        }
        "nothing-to-credit" => "the invoice's lines have been credited in full already".into(),
        "discount-ended" => "the discount has already ended".into(),
        "not-a-payment" => "only a payment can be refunded or reversed".into(),
        "nothing-to-reverse" => "nothing is left of the payment to reverse".into(),
        other => format!("refused: {other}"),
    }
}

/// What every handler returns.
pub type ApiResult<T> = Result<T, Problem>;

/// Turns any error response under `/api` that is not yet a problem document
/// (405 from the router, 413 from a body limit, …) into one.
pub async fn normalize(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(CONTENT_TYPE.as_bytes()));
    if is_problem {
        return resp;
    }
    let slug = match status.as_u16() {
        400 => "malformed",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        409 => "conflict",
        413 => "too-large",
        415 => "unsupported-media-type",
        422 => "validation",
        _ => "internal",
    };
    let allow = resp.headers().get(header::ALLOW).cloned();
    let mut p = Problem::new(
        slug,
        status.canonical_reason().unwrap_or("error").to_lowercase(),
    );
    p.status = status.as_u16();
    let mut out = p.into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// `/api/…` paths that match no route.
pub async fn unknown_route() -> Problem {
    Problem::new("not-found", "no API operation at this path")
}
