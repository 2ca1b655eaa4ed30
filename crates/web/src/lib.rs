//! Lastmile's HTTP interfaces: the admin panel (server-rendered pages with
//! progressive enhancement), the REST API, health and metrics endpoints.
//!
//! Only this crate knows HTTP, HTML and JSON. Handlers parse requests, call
//! `services`, and render templates; no business rule lives here.

mod error;
mod pages;
mod views;

pub use webkit::{AppState, UPLOAD_LIMIT, VERSION, WebConfig};
use webkit::{assets, csrf, headers, metrics};

use axum::Router;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let browser = pages::routes().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        csrf::protect,
    ));
    // CSV imports are far larger than any form (`body_limit` caps them).
    let uploads = pages::upload_routes()
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

/// The largest CSV import: the file plus room for the multipart envelope.
pub const IMPORT_LIMIT: usize = pages::import::MAX_UPLOAD_BYTES + 64 * 1024;

/// Every request body is capped at 2 MiB, except document uploads, which
/// get [`UPLOAD_LIMIT`], and CSV imports, which get [`IMPORT_LIMIT`].
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
    let limit = if upload {
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

#[cfg(test)]
mod tests {
    /// Every literal message key in the templates and code exists.
    #[test]
    fn every_used_key_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let missing = webkit::i18n::unknown_keys(&[root.join("templates"), root.join("src")]);
        assert!(
            missing.is_empty(),
            "keys not in the catalogue: {missing:#?}"
        );
    }
}
