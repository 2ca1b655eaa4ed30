//! The admin panel's error pages. Handlers return `Err(Fail)`; the
//! response carries an [`ErrorPage`] and [`render`] (which knows the
//! request's language) turns it into the translated page.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use webkit::error::{ErrorPage, Fail, PageResult};
use webkit::i18n::Tr;

/// Renders [`ErrorPage`] responses in the request's language.
pub async fn render(req: Request, next: Next) -> Response {
    let tr = Tr::new(webkit::auth::request_locale(req.headers(), None));
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
