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

// The shared parts: problem documents, the token-checking extractors,
// pagination, the named choices, the document's finishing passes and the
// reference page.
mod choices;
mod docs;
mod extract;
mod openapi;
mod pagination;
mod problem;

// One module per area, each registering its paths into the router and the
// document (`routes()`).
mod billing;
mod catalog;
mod collections;
mod contracts;
mod crm;
mod network;
mod payments;
mod radius;
mod reconciliation;
mod staff;
mod system;
mod webhooks;

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use serde::Deserialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
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
        description = "Customers, plans, contracts, billing (invoices, credit notes, runs, tax rates), staff users, roles, API tokens, settings, background jobs, the audit log and RADIUS administration of a Lastmile installation. \
            Errors are `application/problem+json` (RFC 9457); lists are paginated with `limit` and an opaque `cursor`."
    ),
    // The paths come from each area's `routes()`. The choices are listed
    // because schemas named only by query parameters are not collected by
    // utoipa.
    components(schemas(
        problem::Problem, problem::FieldIssue, problem::DuplicateRef,
        choices::ContractStatus, choices::SuspendReason, choices::CustomerKind, choices::TaxDocumentKind, choices::Channel, choices::AddressKind, choices::BillingMode, choices::Cycle, choices::Technology, choices::SuspendedBehavior, choices::QuotaAction, choices::NasKind, choices::KycKind, choices::KycStatus, choices::KycContentType, choices::JobStatus, choices::AuthResult, choices::PlanChangeState, choices::RemovalResult, choices::CoaStatus, choices::UserStatus, choices::CustomerSort, choices::Locale, choices::SettingGroup, choices::SettingType, choices::InvoiceStatus, choices::TaxMode, choices::BillingRunStatus, choices::SiteKind, choices::NetworkStatus, choices::DeviceRole, choices::LinkKind, choices::LinkStatus, choices::PoolKind, choices::PoolPurpose, choices::AssignmentKind,
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
        (name = "billing", description = "Invoices and their PDFs, credit notes, billing runs, tax rates, discounts, promo codes, customers' balance and statement"),
        (name = "payments", description = "Payments, refunds and reversals, where their money went, receipts and customers' credit"),
        (name = "collections", description = "Collections (dunning): the policy, overdue customers, trust unlocks, the cancellation list and the daily pass"),
        (name = "reconciliation", description = "Boleto remittance and return files (CNAB 240/400) and the unmatched-payments queue"),
        (name = "network", description = "Sites, devices and links; IP prefixes, pools and the addresses taken in them"),
    )
)]
pub struct ApiDoc;

/// Every area's paths, registered into the router and the document.
fn areas() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(staff::routes())
        .merge(system::routes())
        .merge(crm::routes())
        .merge(catalog::routes())
        .merge(contracts::routes())
        .merge(radius::routes())
        .merge(billing::routes())
        .merge(payments::routes())
        .merge(collections::routes())
        .merge(webhooks::routes())
        .merge(reconciliation::routes())
        .merge(network::routes())
}

/// The generated document, as JSON text (built once).
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(areas().into_openapi())
            .map(openapi::finish)
            .and_then(|doc| serde_json::to_string(&doc))
            .unwrap_or_else(|_| "{}".into())
    })
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}

/// The API's routes: every area's, the document, the reference page, and
/// problem documents for unknown paths under `/api`.
pub fn routes() -> Router<AppState> {
    let (areas, _) = areas().split_for_parts();
    areas
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/docs", get(docs::page))
        .route("/api", any(problem::unknown_route))
        .route("/api/", any(problem::unknown_route))
        .route("/api/{*rest}", any(problem::unknown_route))
        .layer(axum::middleware::from_fn(problem::normalize))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// Every literal message key the API uses (the reference page's words,
    /// timeline sentences) exists.
    #[test]
    fn every_used_key_exists() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let missing = webkit::i18n::unknown_keys(&[src]);
        assert!(
            missing.is_empty(),
            "keys not in the catalogue: {missing:#?}"
        );
    }

    /// Schemas are named by their type's bare name, and utoipa keeps one
    /// of two types sharing it without a word (the billing documents'
    /// `DocumentView` once replaced the KYC documents' in the document),
    /// so every public type of the crate has its own name.
    #[test]
    fn type_names_are_unique() {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).expect("src is readable") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    for line in text.lines() {
                        if let Some(rest) = line.trim_start().strip_prefix("pub struct ") {
                            let name: String = rest
                                .chars()
                                .take_while(|c| c.is_alphanumeric() || *c == '_')
                                .collect();
                            out.push((name, path.display().to_string()));
                        }
                    }
                }
            }
        }
        let mut names = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut names,
        );
        names.sort();
        for pair in names.windows(2) {
            assert_ne!(pair[0].0, pair[1].0, "{} and {}", pair[0].1, pair[1].1);
        }
        assert!(names.len() > 50, "only {} types found", names.len());
    }

    /// The scopes operations name (attribute text, not types) are
    /// permission codes, so a misspelt one fails here.
    #[test]
    fn every_scope_is_a_permission() {
        let doc: Value = serde_json::from_str(super::openapi_json()).expect("the document");
        let mut seen = 0;
        for item in doc["paths"].as_object().expect("paths").values() {
            for op in item.as_object().expect("path item").values() {
                for requirement in op["security"].as_array().into_iter().flatten() {
                    for scope in requirement["bearer"].as_array().into_iter().flatten() {
                        let code = scope.as_str().expect("a scope is text");
                        assert!(
                            code.parse::<domain::Permission>().is_ok(),
                            "{code} is not a permission"
                        );
                        seen += 1;
                    }
                }
            }
        }
        assert!(
            seen > 50,
            "only {seen} scopes found: is the document's shape as expected?"
        );
    }
}
