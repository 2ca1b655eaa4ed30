//! The CRM: customers (list, search, export, form, addresses, notes,
//! contracts and timeline tabs), their KYC documents, and CSV imports.

pub mod customers;
pub mod documents;
pub mod import;

use axum::Router;
use axum::routing::{get, post};
use domain::Permission;
use webkit::state::AppState;

use crate::views::NavItem;

/// The customers' navigation entry (contracts are reached from it).
pub const NAV: NavItem = NavItem {
    key: "customers",
    href: "/customers",
    icon: "M16 11a4 4 0 1 0-4-4 4 4 0 0 0 4 4zm-8 0a3 3 0 1 0-3-3 3 3 0 0 0 3 3zm0 2c-2.3 0-7 1.2-7 3.5V19h7v-2.5c0-.9.4-1.8 1-2.5-.4 0-.7 0-1 0zm8 0c-2.7 0-8 1.3-8 4v2h16v-2c0-2.7-5.3-4-8-4z",
    ready: true,
    perm: Some(Permission::CustomersView),
};

/// Customers and their documents (and the contract PDF beside them).
pub fn routes() -> Router<AppState> {
    use customers as c;
    use documents as d;
    Router::new()
        .route("/customers", get(c::list))
        .route("/customers/export.csv", get(c::export))
        .route("/customers/new", get(c::new_form).post(c::create))
        .route("/customers/{id}", get(c::show))
        .route("/customers/{id}/edit", get(c::edit_form).post(c::update))
        .route("/customers/{id}/notes", post(c::add_note))
        .route(
            "/customers/{id}/addresses/new",
            get(c::new_address).post(c::create_address),
        )
        .route(
            "/customers/{id}/addresses/{aid}",
            get(c::edit_address).post(c::update_address),
        )
        .route(
            "/customers/{id}/addresses/{aid}/delete",
            post(c::delete_address),
        )
        .route("/customers/{id}/contracts", get(c::contracts))
        .route("/customers/{id}/timeline", get(c::timeline))
        .route(
            "/customers/{id}/documents",
            post(d::upload)
                .get(d::list)
                .layer(axum::extract::DefaultBodyLimit::max(webkit::UPLOAD_LIMIT)),
        )
        .route("/customers/{id}/documents/{doc}", get(d::download))
        .route("/customers/{id}/documents/{doc}/verify", post(d::verify))
        .route("/customers/{id}/documents/{doc}/reject", post(d::reject))
        .route("/customers/{id}/documents/{doc}/delete", post(d::delete))
        .route("/contracts/{id}/contract.pdf", get(d::contract_pdf))
}

/// The CSV import, which takes large uploads (its own body limit, set by
/// the composition in `web`).
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/customers/import", get(import::form).post(import::check))
        .route("/customers/import/confirm", post(import::confirm))
}
