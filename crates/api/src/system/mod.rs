//! The installation: settings, the audit log and background jobs.

pub mod audit;
pub mod jobs;
pub mod settings;

use utoipa_axum::router::OpenApiRouter;
use webkit::state::AppState;

/// The system area's paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(settings::routes())
        .merge(audit::routes())
        .merge(jobs::routes())
}
