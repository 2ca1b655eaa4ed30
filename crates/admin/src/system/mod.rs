//! The installation: first-run setup, settings (company, groups, custom
//! fields, contract templates), the audit log and background jobs.

pub mod audit;
pub mod doc_settings;
pub mod jobs;
pub mod settings;
pub mod setup;

use axum::Router;
use axum::routing::{get, post};
use domain::Permission;
use webkit::state::AppState;

use crate::views::AdminItem;

/// The audit log's administration entry.
pub const AUDIT: AdminItem = AdminItem {
    key: "audit",
    href: "/audit",
    perm: Permission::AuditView,
};

/// The jobs' administration entry.
pub const JOBS: AdminItem = AdminItem {
    key: "jobs",
    href: "/jobs",
    perm: Permission::JobsView,
};

/// The settings' administration entry.
pub const SETTINGS: AdminItem = AdminItem {
    key: "settings",
    href: "/settings",
    perm: Permission::SettingsView,
};

/// Setup, the audit log, jobs and settings.
pub fn routes() -> Router<AppState> {
    use doc_settings as docs;
    Router::new()
        .route("/setup", get(setup::form).post(setup::submit))
        .route("/audit", get(audit::list))
        .route("/audit/{id}", get(audit::show))
        .route("/jobs", get(jobs::list))
        .route("/jobs/{id}", get(jobs::show))
        .route("/jobs/{id}/retry", post(jobs::retry))
        .route(
            "/settings",
            get(settings::company_form).post(settings::company_save),
        )
        .route(
            "/settings/custom-fields",
            get(docs::fields).post(docs::create_field),
        )
        .route(
            "/settings/custom-fields/{key}",
            get(docs::edit_field).post(docs::update_field),
        )
        .route(
            "/settings/custom-fields/{key}/delete",
            post(docs::delete_field),
        )
        .route(
            "/settings/contract-template",
            get(docs::template_form).post(docs::template_save),
        )
        .route(
            "/settings/contract-template/reset",
            post(docs::template_reset),
        )
        .route(
            "/settings/contract-template/preview",
            post(docs::template_preview),
        )
        .route(
            "/settings/{group}",
            get(settings::group_form).post(settings::group_save),
        )
        .route("/settings/email/test", post(settings::send_test_email))
        .route("/settings/{group}/test", post(settings::test_gateway))
}
