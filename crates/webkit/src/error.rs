//! Service errors as HTTP answers for browser interfaces. A handler returns
//! `Err(Fail)`; the response carries the status and an [`ErrorPage`]
//! extension, which each interface's error layer (the admin panel's
//! `error::render`) turns into a page in the request's language.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A failed page request: the service error behind it.
#[derive(Debug)]
pub struct Fail(pub services::Error);

impl From<services::Error> for Fail {
    fn from(e: services::Error) -> Self {
        Fail(e)
    }
}

impl From<services::StoreError> for Fail {
    fn from(e: services::StoreError) -> Self {
        Fail(e.into())
    }
}

/// What went wrong, for the error page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// The answer's status.
    pub status: StatusCode,
    /// i18n key of the explanation.
    pub message_key: &'static str,
    /// Extra detail (a permission's label key, a field).
    pub detail: Option<String>,
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        use services::Error as E;
        let page = match &self.0 {
            E::Forbidden(code) => ErrorPage {
                status: StatusCode::FORBIDDEN,
                message_key: "error-forbidden",
                detail: Some(format!("perm-{}", code.replace('.', "-"))),
            },
            E::NotFound => ErrorPage {
                status: StatusCode::NOT_FOUND,
                message_key: "error-not-found",
                detail: None,
            },
            E::Invalid { field, reason } => ErrorPage {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message_key: "error-invalid",
                detail: Some(format!("{field}: {reason}")),
            },
            E::Conflict(what) => ErrorPage {
                status: StatusCode::CONFLICT,
                message_key: "error-conflict",
                detail: Some((*what).to_owned()),
            },
            E::Refused(code) => ErrorPage {
                status: StatusCode::CONFLICT,
                message_key: "error-refused",
                detail: Some(format!("refused-{code}")),
            },
            E::IllegalTransition { .. } => ErrorPage {
                status: StatusCode::CONFLICT,
                message_key: "error-refused",
                detail: Some(self.0.to_string()),
            },
            E::Throttled { .. } => ErrorPage {
                status: StatusCode::TOO_MANY_REQUESTS,
                message_key: "error-refused",
                detail: Some("refused-banned".into()),
            },
            E::Store(_) | E::Internal(_) => {
                tracing::error!(error = %self.0, "request failed");
                ErrorPage {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message_key: "error-internal",
                    detail: None,
                }
            }
        };
        let mut resp = page.status.into_response();
        resp.extensions_mut().insert(page);
        resp
    }
}

/// What a page handler returns.
pub type PageResult = Result<Response, Fail>;
