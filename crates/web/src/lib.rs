//! Lastmile's HTTP application, composed: the admin panel (`admin`), the
//! REST API (`api`), `/healthz` and `/metrics`, and the assets, all over
//! the shared kit (`webkit`), with the middleware every request passes
//! (CSRF for browser routes, security headers, metrics, body limits).
//! Later interfaces (customer portal, public site, technician app) are
//! crates of their own, merged here.

pub use admin::IMPORT_LIMIT;
pub use webkit::{AppState, UPLOAD_LIMIT, VERSION, WebConfig};
use webkit::{assets, csrf, headers, metrics};

pub mod pix_webhook;

use axum::Router;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let browser = admin::routes().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        csrf::protect,
    ));
    // CSV imports are far larger than any form (`body_limit` caps them).
    let uploads = admin::upload_routes()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT));
    Router::new()
        .merge(browser)
        .merge(api::routes())
        .merge(metrics::routes())
        .merge(assets::routes())
        .merge(uploads)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn(body_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(state)
}

/// The largest CNAB return upload accepted (64 MiB and the multipart
/// envelope).
pub const CNAB_RETURN_LIMIT: usize = admin::reconciliation::UPLOAD_LIMIT;

/// Every request body is capped at 2 MiB, except document uploads, which
/// get [`UPLOAD_LIMIT`], CSV imports, which get [`IMPORT_LIMIT`], and CNAB
/// return files, which get [`CNAB_RETURN_LIMIT`].
async fn body_limit(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    let upload = req.method() == axum::http::Method::POST
        && path.starts_with("/")
        && path.ends_with("/documents")
        && (path.starts_with("/customers/") || path.starts_with("/api/v1/customers/"));
    let import = req.method() == axum::http::Method::POST
        && (path == "/customers/import" || path == "/customers/import/confirm");
    // A bank's return file: 100,000 titles of CNAB 240 are about 49 MB.
    let cnab_return = req.method() == axum::http::Method::POST
        && (path == "/api/v1/reconciliation/files" || path == "/payments/reconciliation/upload");
    let limit = if cnab_return {
        CNAB_RETURN_LIMIT
    } else if upload {
        UPLOAD_LIMIT
    } else if import {
        IMPORT_LIMIT
    } else {
        2 * 1024 * 1024
    };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// Serves the application on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
