//! The admin panel's pages, one module per area.

mod account;
mod audit;
mod contracts;
mod crm;
mod customers;
mod dashboard;
mod doc_settings;
pub(crate) mod documents;
pub(crate) mod import;
mod jobs;
mod plans;
mod public;
pub mod radius;
mod roles;
mod security;
mod settings;
mod setup;
mod users;

use axum::Router;
use axum::routing::{get, post};

use webkit::state::AppState;

/// Routes that take large uploads (their own body limit; see `router`).
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/customers/import", get(import::form).post(import::check))
        .route("/customers/import/confirm", post(import::confirm))
        .layer(axum::middleware::from_fn(crate::error::render))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/setup", get(setup::form).post(setup::submit))
        .route("/login", get(public::login_form).post(public::login))
        .route(
            "/login/2fa",
            get(public::second_factor_form).post(public::second_factor),
        )
        .route("/logout", post(public::logout))
        .route("/language", post(public::language))
        .route(
            "/password-reset",
            get(public::reset_request_form).post(public::reset_request),
        )
        .route(
            "/password-reset/{token}",
            get(public::reset_form).post(public::reset),
        )
        .route("/logo", get(public::logo))
        .route("/", get(dashboard::show))
        .route("/users", get(users::list))
        .route("/users/new", get(users::new_form).post(users::create))
        .route("/users/{id}", get(users::edit_form).post(users::update))
        .route("/users/{id}/password", post(users::set_password))
        .route("/users/{id}/reset-2fa", post(users::reset_2fa))
        .route(
            "/users/{id}/logout-everywhere",
            post(users::logout_everywhere),
        )
        .route("/roles", get(roles::list))
        .route("/roles/new", get(roles::new_form).post(roles::create))
        .route("/roles/{id}", get(roles::edit_form).post(roles::update))
        .route("/roles/{id}/delete", post(roles::delete))
        .route("/customers", get(customers::list))
        .route("/customers/export.csv", get(customers::export))
        .route(
            "/customers/new",
            get(customers::new_form).post(customers::create),
        )
        .route("/customers/{id}", get(customers::show))
        .route(
            "/customers/{id}/edit",
            get(customers::edit_form).post(customers::update),
        )
        .route("/customers/{id}/notes", post(customers::add_note))
        .route(
            "/customers/{id}/addresses/new",
            get(customers::new_address).post(customers::create_address),
        )
        .route(
            "/customers/{id}/addresses/{aid}",
            get(customers::edit_address).post(customers::update_address),
        )
        .route(
            "/customers/{id}/addresses/{aid}/delete",
            post(customers::delete_address),
        )
        .route("/customers/{id}/contracts", get(customers::contracts))
        .route("/customers/{id}/timeline", get(customers::timeline))
        .route("/plans", get(plans::list))
        .route("/plans/new", get(plans::new_form).post(plans::create))
        .route("/plans/{id}", get(plans::edit_form).post(plans::update))
        .route(
            "/plans/{id}/reprice",
            get(plans::reprice_form).post(plans::reprice_apply),
        )
        .route(
            "/service-items/new",
            get(plans::new_item).post(plans::create_item),
        )
        .route(
            "/service-items/{id}",
            get(plans::edit_item).post(plans::update_item),
        )
        .route("/contracts", get(contracts::list))
        .route("/contracts/export.csv", get(contracts::export))
        .route(
            "/contracts/new",
            get(contracts::new_form).post(contracts::create),
        )
        .route("/contracts/{id}", get(contracts::show))
        .route("/contracts/{id}/password", post(contracts::reveal_password))
        .route("/contracts/{id}/status", post(contracts::transition))
        .route("/contracts/{id}/plan", post(contracts::change_plan))
        .route("/audit", get(audit::list))
        .route("/audit/{id}", get(audit::show))
        .route("/jobs", get(jobs::list))
        .route("/jobs/{id}", get(jobs::show))
        .route("/jobs/{id}/retry", post(jobs::retry))
        .route("/security", get(security::show))
        .route("/security/bans/{id}/lift", post(security::lift))
        .route(
            "/settings",
            get(settings::company_form).post(settings::company_save),
        )
        .route(
            "/settings/custom-fields",
            get(doc_settings::fields).post(doc_settings::create_field),
        )
        .route(
            "/settings/custom-fields/{key}",
            get(doc_settings::edit_field).post(doc_settings::update_field),
        )
        .route(
            "/settings/custom-fields/{key}/delete",
            post(doc_settings::delete_field),
        )
        .route(
            "/settings/contract-template",
            get(doc_settings::template_form).post(doc_settings::template_save),
        )
        .route(
            "/settings/contract-template/reset",
            post(doc_settings::template_reset),
        )
        .route(
            "/settings/contract-template/preview",
            post(doc_settings::template_preview),
        )
        .route(
            "/settings/{group}",
            get(settings::group_form).post(settings::group_save),
        )
        .route("/settings/email/test", post(settings::send_test_email))
        .route(
            "/customers/{id}/documents",
            post(documents::upload)
                .get(documents::list)
                .layer(axum::extract::DefaultBodyLimit::max(webkit::UPLOAD_LIMIT)),
        )
        .route("/customers/{id}/documents/{doc}", get(documents::download))
        .route(
            "/customers/{id}/documents/{doc}/verify",
            post(documents::verify),
        )
        .route(
            "/customers/{id}/documents/{doc}/reject",
            post(documents::reject),
        )
        .route(
            "/customers/{id}/documents/{doc}/delete",
            post(documents::delete),
        )
        .route("/contracts/{id}/contract.pdf", get(documents::contract_pdf))
        .route("/network", get(radius::index))
        .route("/network/sessions", get(radius::sessions))
        .route(
            "/network/sessions/{id}/disconnect",
            post(radius::disconnect),
        )
        .route("/network/auth-log", get(radius::auth_log))
        .route("/network/who", get(radius::who_form).post(radius::who))
        .route("/network/nas", get(radius::nas_list))
        .route(
            "/network/nas/new",
            get(radius::nas_new).post(radius::nas_create),
        )
        .route(
            "/network/nas/{id}",
            get(radius::nas_edit).post(radius::nas_update),
        )
        .route("/network/nas/{id}/delete", post(radius::nas_delete))
        .route("/network/nas/{id}/test", post(radius::nas_test))
        .route("/network/nas/{id}/reveal", post(radius::nas_reveal))
        .route("/contracts/{id}/sessions", get(radius::contract_sessions))
        .route("/account", get(account::show).post(account::save_profile))
        .route("/account/password", post(account::change_password))
        .route(
            "/account/logout-everywhere",
            post(account::logout_everywhere),
        )
        .route(
            "/account/2fa",
            get(account::two_factor).post(account::two_factor_confirm),
        )
        .route("/account/2fa/start", post(account::two_factor_start))
        .route("/account/2fa/disable", post(account::two_factor_disable))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .layer(axum::middleware::from_fn(crate::error::render))
}

/// `?ok=…` confirmation and list cursor parameters shared by pages.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Flash {
    pub ok: Option<String>,
}

/// Redirects after a successful POST, with a confirmation key.
pub fn done(to: &str, ok: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let sep = if to.contains('?') { '&' } else { '?' };
    axum::response::Redirect::to(&format!("{to}{sep}ok={ok}")).into_response()
}

/// Forms post checkboxes as repeated keys; this collects them.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

pub fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

pub fn fields(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}
