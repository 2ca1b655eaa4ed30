//! Billing's paths: discounts on contracts and promo codes.

mod discounts;
mod promos;

use utoipa_axum::router::OpenApiRouter;
use webkit::state::AppState;

/// Billing's paths, registered into the router and the document.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(discounts::routes())
        .merge(promos::routes())
}
