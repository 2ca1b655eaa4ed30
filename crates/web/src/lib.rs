//! Lastmile's HTTP interfaces: the admin panel (server-rendered pages with
//! progressive enhancement), the REST API, health and metrics endpoints.
//!
//! Only this crate knows HTTP, HTML and JSON. Handlers parse requests, call
//! `services`, and render templates; no business rule lives here.

mod api;
mod assets;
mod auth;
mod csrf;
mod error;
mod headers;
pub mod i18n;
mod metrics;
mod pages;
mod request;
mod state;
mod views;

pub use state::{AppState, WebConfig};

/// The release, shown in the footer and `/metrics`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

use axum::Router;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let browser = pages::routes().layer(axum::middleware::from_fn_with_state(
        state.clone(),
        csrf::protect,
    ));
    // CSV imports are far larger than any form: their routes get their own
    // limit, everything else stays at 2 MiB.
    let uploads = pages::upload_routes()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            pages::import::MAX_UPLOAD_BYTES,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            pages::import::MAX_UPLOAD_BYTES + 64 * 1024,
        ));
    Router::new()
        .merge(
            Router::new()
                .merge(browser)
                .merge(api::routes())
                .merge(metrics::routes())
                .merge(assets::routes())
                .layer(tower_http::limit::RequestBodyLimitLayer::new(
                    2 * 1024 * 1024,
                )),
        )
        .merge(uploads)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(state)
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
