//! Billing: documents' PDFs and customers' balance and statement.

mod pdf;
mod statement;

use utoipa_axum::router::OpenApiRouter;
use webkit::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(pdf::routes())
        .merge(statement::routes())
}
