//! Billing: invoices and credit notes (with lines, taxes and corrections),
//! billing runs (preview, start, progress), tax rates, discounts on
//! contracts and promo codes, documents' PDFs, customers' balance and
//! statement. Amounts are
//! integers in minor units of the installation's currency.

pub mod credit_notes;
mod discounts;
pub mod documents;
pub mod invoices;
mod pdf;
mod promos;
pub mod runs;
mod statement;
pub mod taxes;

use utoipa_axum::router::OpenApiRouter;
use webkit::state::AppState;

/// The billing area's paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(invoices::routes())
        .merge(credit_notes::routes())
        .merge(runs::routes())
        .merge(taxes::routes())
        .merge(discounts::routes())
        .merge(promos::routes())
        .merge(pdf::routes())
        .merge(statement::routes())
}
