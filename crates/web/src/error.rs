//! Turning service errors into pages. A handler returns `Err(Fail)`; the
//! response carries the failure as an extension and [`render`] (which knows
//! the request's language) turns it into the translated error page.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::i18n::Tr;

#[derive(Debug)]
pub struct Fail(pub services::Error);

impl From<services::Error> for Fail {
    fn from(e: services::Error) -> Self {
        Fail(e)
    }
}

impl From<store::Error> for Fail {
    fn from(e: store::Error) -> Self {
        Fail(e.into())
    }
}

/// What went wrong, for the error page.
#[derive(Debug, Clone)]
pub struct ErrorPage {
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

/// Renders [`ErrorPage`] responses in the request's language.
pub async fn render(req: Request, next: Next) -> Response {
    let tr = Tr::new(crate::auth::request_locale(req.headers(), None));
    let resp = next.run(req).await;
    match resp.extensions().get::<ErrorPage>().cloned() {
        Some(page) => {
            let detail = page
                .detail
                .as_deref()
                .map(|d| if tr.has(d) { tr.t(d) } else { d.to_owned() });
            let html = crate::views::ErrorView {
                tr,
                status: page.status.as_u16(),
                message: tr.t(page.message_key),
                detail,
            }
            .render_html();
            (page.status, axum::response::Html(html)).into_response()
        }
        None => resp,
    }
}

pub type PageResult = Result<Response, Fail>;
