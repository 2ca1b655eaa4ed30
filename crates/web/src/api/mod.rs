//! The REST API under `/api/v1`: bearer-token authentication, JSON bodies,
//! `application/problem+json` errors naming the offending field, cursor
//! pagination, and an OpenAPI 3.1 document generated from these handlers
//! (`/api/v1/openapi.json`), rendered for people at `/api/docs`.
//!
//! Handlers only translate HTTP to `services` calls; the services check
//! rules and write the audit log with the token's user as the actor.
//! Nothing here reads cookies, so the API sits outside the CSRF layer.

// Problem documents travel on the cold error path; boxing them would only
// add noise to every handler.
#![allow(clippy::result_large_err)]

mod audit;
mod choices;
mod contracts;
mod customers;
mod docs;
mod documents;
mod extract;
mod jobs;
mod me;
mod openapi;
mod pagination;
mod plans;
mod problem;
mod radius;
mod roles;
mod settings;
mod tokens;
mod users;

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{any, get, patch, post};
use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

use webkit::state::AppState;

/// A numeric id in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The resource's id.
    pub id: i64,
}

/// A short, complete list (a customer's addresses, a contract's
/// transitions): no pagination.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
}

/// An RFC 3339 time from Unix seconds.
pub fn time(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| at.to_string())
}

/// CIDR entries from the stored allowlist text.
pub fn allowlist_vec(s: &str) -> Vec<String> {
    s.split([',', ' ', '\n', '\r', '\t'])
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The services' allowlist text from API entries.
pub fn allowlist_text(entries: &[String]) -> String {
    entries.join("\n")
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("lm_…")
                    .description(Some(
                        "An API token created on the account page or with `lastmile token create`. \
                         The scopes listed on an operation are the permissions it needs; a token's \
                         permissions are its scopes narrowed to its user's role.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lastmile API",
        description = "Customers, plans, contracts, staff users, roles, API tokens, settings, background jobs, the audit log and RADIUS administration of a Lastmile installation. \
            Errors are `application/problem+json` (RFC 9457); lists are paginated with `limit` and an opaque `cursor`."
    ),
    paths(
        me::show,
        users::list, users::show, users::create, users::update,
        roles::list, roles::show, roles::create, roles::update, roles::delete,
        tokens::list, tokens::create, tokens::revoke,
        settings::show, settings::update,
        audit::list, audit::show,
        jobs::list, jobs::show, jobs::retry,
        customers::list, customers::show, customers::create, customers::update,
        customers::addresses, customers::add_address, customers::update_address,
        customers::delete_address, customers::notes, customers::add_note, customers::timeline,
        plans::list, plans::show, plans::create, plans::update,
        plans::repricing_preview, plans::repricing_apply,
        plans::list_items, plans::show_item, plans::create_item, plans::update_item,
        contracts::list, contracts::show, contracts::create, contracts::update,
        contracts::transition, contracts::transitions, contracts::change_plan,
        contracts::plan_changes, contracts::credentials,
        documents::list, documents::upload, documents::download, documents::verify,
        documents::reject, documents::contract_pdf,
        radius::nas_list, radius::nas_show, radius::nas_create, radius::nas_update, radius::nas_delete,
        radius::sessions, radius::disconnect, radius::auth_log, radius::usage, radius::who,
    ),
    // The choices are listed because schemas named only by query
    // parameters are not collected by utoipa.
    components(schemas(
        problem::Problem, problem::FieldIssue, problem::DuplicateRef,
        choices::ContractStatus, choices::SuspendReason, choices::CustomerKind, choices::TaxDocumentKind, choices::Channel, choices::AddressKind, choices::BillingMode, choices::Cycle, choices::Technology, choices::SuspendedBehavior, choices::QuotaAction, choices::NasKind, choices::KycKind, choices::KycStatus, choices::KycContentType, choices::JobStatus, choices::AuthResult, choices::PlanChangeState, choices::RemovalResult, choices::CoaStatus, choices::UserStatus, choices::CustomerSort, choices::Locale, choices::SettingGroup, choices::SettingType,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "me", description = "The calling token"),
        (name = "users", description = "Staff accounts"),
        (name = "roles", description = "Roles and their permissions"),
        (name = "tokens", description = "API tokens"),
        (name = "settings", description = "Installation settings"),
        (name = "audit", description = "The audit log"),
        (name = "jobs", description = "Background jobs"),
        (name = "customers", description = "Customers, their addresses, notes and timeline"),
        (name = "plans", description = "Internet plans, service items and re-pricing"),
        (name = "contracts", description = "Contracts, their status, plan changes and credentials"),
        (name = "documents", description = "Customers' KYC documents and contract PDFs"),
        (name = "radius", description = "Routers (NAS), sessions, the authentication log, usage and connection lookups"),
    )
)]
pub struct ApiDoc;

/// The generated document, as JSON text (built once).
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(ApiDoc::openapi())
            .map(openapi::finish)
            .and_then(|doc| serde_json::to_string(&doc))
            .unwrap_or_else(|_| "{}".into())
    })
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}

pub fn routes() -> Router<AppState> {
    let v1 = |p: &str| format!("/api/v1{p}");
    Router::new()
        .route(&v1("/me"), get(me::show))
        .route(&v1("/users"), get(users::list).post(users::create))
        .route(&v1("/users/{id}"), get(users::show).patch(users::update))
        .route(&v1("/roles"), get(roles::list).post(roles::create))
        .route(
            &v1("/roles/{id}"),
            get(roles::show).patch(roles::update).delete(roles::delete),
        )
        .route(&v1("/tokens"), get(tokens::list).post(tokens::create))
        .route(&v1("/tokens/{id}"), axum::routing::delete(tokens::revoke))
        .route(
            &v1("/settings"),
            get(settings::show).patch(settings::update),
        )
        .route(&v1("/audit"), get(audit::list))
        .route(&v1("/audit/{id}"), get(audit::show))
        .route(&v1("/openapi.json"), get(openapi))
        .route(&v1("/jobs"), get(jobs::list))
        .route(&v1("/jobs/{id}"), get(jobs::show))
        .route(&v1("/jobs/{id}/retry"), axum::routing::post(jobs::retry))
        .route(
            &v1("/customers"),
            get(customers::list).post(customers::create),
        )
        .route(
            &v1("/customers/{id}"),
            get(customers::show).patch(customers::update),
        )
        .route(
            &v1("/customers/{id}/addresses"),
            get(customers::addresses).post(customers::add_address),
        )
        .route(
            &v1("/customers/{id}/addresses/{address_id}"),
            patch(customers::update_address).delete(customers::delete_address),
        )
        .route(
            &v1("/customers/{id}/notes"),
            get(customers::notes).post(customers::add_note),
        )
        .route(&v1("/customers/{id}/timeline"), get(customers::timeline))
        .route(&v1("/plans"), get(plans::list).post(plans::create))
        .route(&v1("/plans/{id}"), get(plans::show).patch(plans::update))
        .route(
            &v1("/plans/{id}/repricing/preview"),
            post(plans::repricing_preview),
        )
        .route(&v1("/plans/{id}/repricing"), post(plans::repricing_apply))
        .route(
            &v1("/service-items"),
            get(plans::list_items).post(plans::create_item),
        )
        .route(
            &v1("/service-items/{id}"),
            get(plans::show_item).patch(plans::update_item),
        )
        .route(
            &v1("/contracts"),
            get(contracts::list).post(contracts::create),
        )
        .route(
            &v1("/contracts/{id}"),
            get(contracts::show).patch(contracts::update),
        )
        .route(
            &v1("/contracts/{id}/transitions"),
            get(contracts::transitions).post(contracts::transition),
        )
        .route(
            &v1("/contracts/{id}/plan-changes"),
            get(contracts::plan_changes).post(contracts::change_plan),
        )
        .route(
            &v1("/contracts/{id}/credentials"),
            get(contracts::credentials),
        )
        .route(
            &v1("/customers/{id}/documents"),
            get(documents::list)
                .post(documents::upload)
                .layer(axum::extract::DefaultBodyLimit::max(webkit::UPLOAD_LIMIT)),
        )
        .route(
            &v1("/customers/{id}/documents/{doc}"),
            get(documents::download),
        )
        .route(
            &v1("/customers/{id}/documents/{doc}/verify"),
            axum::routing::post(documents::verify),
        )
        .route(
            &v1("/customers/{id}/documents/{doc}/reject"),
            axum::routing::post(documents::reject),
        )
        .route(
            &v1("/contracts/{id}/contract.pdf"),
            get(documents::contract_pdf),
        )
        .route(&v1("/nas"), get(radius::nas_list).post(radius::nas_create))
        .route(
            &v1("/nas/{id}"),
            get(radius::nas_show)
                .patch(radius::nas_update)
                .delete(radius::nas_delete),
        )
        .route(&v1("/radius/sessions"), get(radius::sessions))
        .route(
            &v1("/radius/sessions/{id}/disconnect"),
            axum::routing::post(radius::disconnect),
        )
        .route(&v1("/radius/auth-log"), get(radius::auth_log))
        .route(&v1("/radius/who"), get(radius::who))
        .route(&v1("/contracts/{id}/usage"), get(radius::usage))
        .route("/api/docs", get(docs::page))
        .route("/api", any(problem::unknown_route))
        .route("/api/", any(problem::unknown_route))
        .route("/api/{*rest}", any(problem::unknown_route))
        .layer(axum::middleware::from_fn(problem::normalize))
}
