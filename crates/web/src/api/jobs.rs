//! `/api/v1/jobs` — NOT YET BUILT.
//!
//! The jobs endpoints (list jobs with state and progress, show one, retry a
//! failed or dead job; `jobs.view` / `jobs.manage`) arrive with the jobs
//! engine in `services::jobs`. Until then this module adds no routes and the
//! OpenAPI document lists no jobs operations; nothing here invents a jobs
//! store.

use axum::Router;

use crate::state::AppState;

/// No routes yet; see the module documentation.
pub fn routes() -> Router<AppState> {
    Router::new()
}
