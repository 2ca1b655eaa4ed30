//! The CRM: customers (addresses, notes, timeline) and their documents.

pub mod customers;
pub mod documents;

use utoipa_axum::router::OpenApiRouter;
use webkit::state::AppState;

/// The CRM area's paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(customers::routes())
        .merge(documents::routes())
}
