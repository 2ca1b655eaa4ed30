//! `/api/v1/tax-rates`: the taxes the billing run puts on each line, by the
//! plans' tax category. Documents already issued keep the rates they were
//! issued with.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Permission;
use domain::billing::Rate;
use serde::{Deserialize, Serialize};
use services::billing::taxes::{self, TaxInput, TaxRate};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiJson, ApiPath, Caller, merge_patch};
use crate::problem::ApiResult;
use crate::{IdPath, List, time};
use webkit::state::AppState;

/// The tax rates' paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
}

/// A tax rate's fields. On PATCH, omitted fields keep their value.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ICMS", "rate": "18", "mode": "included_share", "category": "scm", "position": 0, "active": true}))]
pub struct TaxRateBody {
    /// Up to 80 characters, unique.
    #[schema(example = "ICMS")]
    pub name: String,
    /// A percentage from 0 to 100 with up to four decimals (`18`, `0.65`,
    /// `3,65`).
    #[schema(example = "18")]
    pub rate: String,
    /// `on_top` (added to the net), `included_vat` (inside the price,
    /// VAT-style) or `included_share` (a share of the price: ICMS, PIS,
    /// COFINS).
    #[schema(value_type = choices::TaxMode, example = "included_share")]
    pub mode: String,
    /// The plans' tax category it applies to; empty: every plan.
    #[serde(default)]
    #[schema(example = "scm")]
    pub category: String,
    /// Order on documents (smaller first).
    #[serde(default)]
    #[schema(example = 0)]
    pub position: i64,
    /// Inactive rates are kept but no longer charged.
    #[serde(default = "yes")]
    #[schema(example = true)]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A tax rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxRateView {
    #[schema(example = 1)]
    pub id: i64,
    #[serde(flatten)]
    pub fields: TaxRateBody,
    /// The rate in parts per million (18 % = 180000).
    #[schema(example = 180_000)]
    pub rate_ppm: i64,
    /// RFC 3339.
    #[schema(format = DateTime, example = "2026-12-01T12:00:00Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-12-01T12:00:00Z")]
    pub updated_at: String,
}

impl From<TaxRate> for TaxRateView {
    fn from(t: TaxRate) -> TaxRateView {
        TaxRateView {
            id: t.id,
            fields: TaxRateBody {
                name: t.name,
                rate: u32::try_from(t.rate_ppm)
                    .map(|p| Rate(p).percent_text())
                    .unwrap_or_default(),
                mode: t.mode,
                category: t.category,
                position: t.position,
                active: t.active,
            },
            rate_ppm: t.rate_ppm,
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
        }
    }
}

impl From<TaxRateBody> for TaxInput {
    fn from(b: TaxRateBody) -> TaxInput {
        TaxInput {
            name: b.name,
            percent: b.rate,
            mode: b.mode,
            category: b.category,
            position: b.position,
            active: b.active,
        }
    }
}

/// The services call the rate `percent`; this API calls it `rate`.
fn rate_named(e: services::Error) -> services::Error {
    match e {
        services::Error::Invalid {
            field: "percent",
            reason,
        } => services::Error::Invalid {
            field: "rate",
            reason,
        },
        other => other,
    }
}

/// Every tax rate, in document order (`position`, then name).
#[utoipa::path(
    get, path = "/api/v1/tax-rates", operation_id = "tax_rates.list", tag = "billing",
    responses(
        (status = 200, description = "The tax rates", body = List<TaxRateView>),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<List<TaxRateView>>> {
    let data = taxes::list(&state.svc, &caller.caller())
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(List { data }))
}

/// One tax rate.
#[utoipa::path(
    get, path = "/api/v1/tax-rates/{id}", operation_id = "tax_rates.show", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The tax rate", body = TaxRateView),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<TaxRateView>> {
    Ok(Json(
        taxes::get(&state.svc, &caller.caller(), p.id).await?.into(),
    ))
}

/// Creates a tax rate. A rate over 100 % or with more than four decimals
/// is a 422 naming `rate`.
#[utoipa::path(
    post, path = "/api/v1/tax-rates", operation_id = "tax_rates.create", tag = "billing",
    request_body = TaxRateBody,
    responses(
        (status = 201, description = "Created", body = TaxRateView,
            headers(("Location" = String, description = "The tax rate's URL"))),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<TaxRateBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::BillingManage)?;
    let b = body.parse()?;
    let id = taxes::create(&state.svc, &caller, &b.into())
        .await
        .map_err(rate_named)?;
    let view: TaxRateView = taxes::get(&state.svc, &caller, id).await?.into();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/tax-rates/{id}"))],
        Json(view),
    )
        .into_response())
}

/// Changes a tax rate; omitted fields keep their value. Invoices already
/// issued keep the rate they were issued with.
#[utoipa::path(
    patch, path = "/api/v1/tax-rates/{id}", operation_id = "tax_rates.update", tag = "billing",
    params(IdPath),
    request_body = TaxRateBody,
    responses(
        (status = 200, description = "The updated tax rate", body = TaxRateView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<TaxRateView>> {
    let caller = caller.caller();
    caller.require(Permission::BillingManage)?;
    let patch = body.parse()?;
    let current: TaxRateView = taxes::get(&state.svc, &caller, p.id).await?.into();
    let merged: TaxRateBody = merge_patch(&current.fields, patch)?;
    taxes::update(&state.svc, &caller, p.id, &merged.into())
        .await
        .map_err(rate_named)?;
    Ok(Json(taxes::get(&state.svc, &caller, p.id).await?.into()))
}
