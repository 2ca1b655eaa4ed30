//! The admin panel: server-rendered pages for the provider's staff, with
//! progressive enhancement (no inline script or style).
//!
//! One module per area (`dashboard`, `crm`, `catalog`, `contracts`,
//! `billing`, `radius`, `reports`, `staff`, `system`, and `public` for the signed-out pages),
//! each exposing its routes and its navigation entries; this file assembles
//! them. A new area adds its module, merges its `routes()` below and puts
//! its entry in [`NAV`] or [`ADMIN_NAV`]. `views` holds the page frame
//! (`Page`), `error` the translated error page; templates are in
//! `templates/`, strings in the kit's catalogues (`webkit::i18n`).

pub mod billing;
pub mod catalog;
pub mod collections;
pub mod contracts;
pub mod crm;
pub mod dashboard;
pub mod error;
pub mod network;
pub mod pay;
pub mod payments;
pub mod public;
pub mod radius;
pub mod reconciliation;
pub mod reports;
mod shared;
pub mod staff;
pub mod system;
pub mod views;

use axum::Router;
use webkit::state::AppState;

use crate::views::{AdminItem, NavItem};

/// The release, shown in the sidebar's foot.
pub use webkit::VERSION;

/// The largest CSV import: the file plus room for the multipart envelope.
pub const IMPORT_LIMIT: usize = crm::import::MAX_UPLOAD_BYTES + 64 * 1024;

/// The main navigation, in order: each area's entry, from its module, and
/// the areas later releases bring (shown to everyone as "soon").
pub const NAV: &[NavItem] = &[
    dashboard::NAV,
    crm::NAV,
    catalog::NAV,
    billing::NAV,
    payments::NAV,
    collections::NAV,
    radius::NAV,
    NavItem::soon(
        "support",
        "/support",
        "M12 2a10 10 0 1 0 10 10A10 10 0 0 0 12 2zm1 17h-2v-2h2zm2.1-7.7-.9.9A3.4 3.4 0 0 0 13 15h-2v-.5a4 4 0 0 1 1.2-2.8l1.2-1.3A2 2 0 1 0 10 9H8a4 4 0 1 1 7.1 2.3z",
    ),
    NavItem::soon(
        "map",
        "/map",
        "M15 5.1 9 3 3 5v16l6-2 6 2 6-2V3zM15 19l-6-2.1V5l6 2.1z",
    ),
    reports::NAV,
];

/// The administration entries, in order, each shown only with its
/// permission.
pub const ADMIN_NAV: &[AdminItem] = &[
    staff::USERS,
    staff::ROLES,
    system::AUDIT,
    system::JOBS,
    staff::SECURITY,
    system::SETTINGS,
];

/// Every admin page's route but the CSV import's (see [`upload_routes`]),
/// with errors rendered as translated pages. The composition in `web`
/// adds CSRF protection.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(public::routes())
        .merge(pay::routes())
        .merge(dashboard::routes())
        .merge(crm::routes())
        .merge(catalog::routes())
        .merge(contracts::routes())
        .merge(billing::routes())
        .merge(payments::routes())
        .merge(collections::routes())
        .merge(reconciliation::routes())
        .merge(radius::routes())
        .merge(network::routes())
        .merge(reports::routes())
        .merge(staff::routes())
        .merge(system::routes())
        .layer(axum::middleware::from_fn(error::render))
}

/// Routes that take large uploads (given their own body limit,
/// [`IMPORT_LIMIT`], by the composition in `web`).
pub fn upload_routes() -> Router<AppState> {
    crm::upload_routes()
        .merge(reconciliation::upload_routes())
        .layer(axum::middleware::from_fn(error::render))
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

#[cfg(test)]
mod tests {
    /// Every literal message key in the templates and code exists.
    #[test]
    fn every_used_key_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let missing = webkit::i18n::unknown_keys(&[root.join("templates"), root.join("src")]);
        assert!(
            missing.is_empty(),
            "keys not in the catalogue: {missing:#?}"
        );
    }
}
