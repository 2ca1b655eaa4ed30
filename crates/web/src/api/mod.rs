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
mod docs;
mod extract;
mod jobs;
mod me;
mod pagination;
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
use axum::routing::{any, get};
use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

use crate::state::AppState;

/// A numeric id in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    /// The resource's id.
    pub id: i64,
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
        description = "Staff users, roles, API tokens, settings, background jobs, the audit log and RADIUS administration of a Lastmile installation. \
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
        radius::nas_list, radius::nas_show, radius::nas_create, radius::nas_update, radius::nas_delete,
        radius::sessions, radius::disconnect, radius::auth_log, radius::usage, radius::who,
    ),
    components(schemas(problem::Problem, problem::FieldIssue)),
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
        (name = "radius", description = "Routers (NAS), sessions, the authentication log, usage and connection lookups"),
    )
)]
pub struct ApiDoc;

/// The generated document, as JSON text (built once).
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".into()))
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
