//! Billing's pages: promo codes, and the discounts section of the contract
//! page.

pub mod discounts;
pub mod promos;

use axum::Router;
use webkit::state::AppState;

/// Billing's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(promos::routes())
        .merge(discounts::routes())
}
