//! Billing pages: documents' PDFs, the customer's billing tab (balance,
//! open invoices, statement) and the invoice template settings.

pub mod customer;
pub mod pdf;
pub mod templates;

use axum::Router;
use webkit::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(pdf::routes())
        .merge(customer::routes())
        .merge(templates::routes())
}
