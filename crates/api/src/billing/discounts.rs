//! `/api/v1/discounts`: a contract's discounts (fixed amount or percentage
//! off its plan, for some cycles or until a date); adding and ending them.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Permission;
use serde::{Deserialize, Serialize};
use services::billing::discounts::{self, Discount, DiscountInput};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, List, time};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_discounts, create_discount))
        .routes(routes!(show_discount))
        .routes(routes!(end_discount))
}

/// How a discount or promo code takes its amount off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    /// `value` is an amount in minor units (cents) per cycle.
    Fixed,
    /// `value` is a percentage in parts per million (10 % = 100000).
    Percent,
}

impl DiscountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiscountKind::Fixed => "fixed",
            DiscountKind::Percent => "percent",
        }
    }

    pub fn from_stored(s: &str) -> DiscountKind {
        if s == "percent" {
            DiscountKind::Percent
        } else {
            DiscountKind::Fixed
        }
    }
}

/// A discount on a contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountView {
    pub id: i64,
    pub contract_id: i64,
    pub kind: DiscountKind,
    /// Minor units (`fixed`) or parts per million (`percent`).
    pub value: i64,
    pub description: String,
    /// Billed cycles it lasts; `null`: no limit.
    pub cycles: Option<i64>,
    /// Cycles discounted so far.
    pub cycles_used: i64,
    /// Periods starting on or after this day are not discounted.
    #[schema(format = Date)]
    pub until: Option<String>,
    /// The promo code that made it.
    pub promo_code_id: Option<i64>,
    pub promo_code: Option<String>,
    /// Who added it.
    pub created_by: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it ended (by staff, or its cycles or date ran out); `null`
    /// while it runs.
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
}

impl From<Discount> for DiscountView {
    fn from(d: Discount) -> DiscountView {
        DiscountView {
            id: d.id,
            contract_id: d.contract_id,
            kind: DiscountKind::from_stored(&d.kind),
            value: d.value,
            description: d.description,
            cycles: d.cycles,
            cycles_used: d.cycles_used,
            until: d.until,
            promo_code_id: d.promo_code_id,
            promo_code: d.promo_code,
            created_by: d.actor_name,
            created_at: time(d.created_at),
            ended_at: d.ended_at.map(time),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiscountQuery {
    /// The contract whose discounts to list (required).
    contract: Option<i64>,
}

/// A contract's discounts, running and ended, oldest first.
#[utoipa::path(
    get, path = "/api/v1/discounts", operation_id = "discounts.list", tag = "billing",
    params(DiscountQuery),
    responses(
        (status = 200, description = "The contract's discounts", body = List<DiscountView>),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn list_discounts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DiscountQuery>,
) -> ApiResult<Json<List<DiscountView>>> {
    let caller = caller.caller();
    caller.require(Permission::BillingView)?;
    let contract = q
        .contract
        .ok_or_else(|| Problem::invalid("contract", "required", "is required"))?;
    let rows = discounts::list(&state.svc, &caller, contract).await?;
    Ok(Json(List {
        data: rows.into_iter().map(Into::into).collect(),
    }))
}

/// One discount.
#[utoipa::path(
    get, path = "/api/v1/discounts/{id}", operation_id = "discounts.show", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The discount", body = DiscountView),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn show_discount(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<DiscountView>> {
    Ok(Json(
        discounts::get(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// A new discount on a contract.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDiscount {
    pub contract_id: i64,
    pub kind: DiscountKind,
    /// Minor units (`fixed`, at most the contract's price) or parts per
    /// million (`percent`, 1 to 1000000).
    pub value: i64,
    /// Shown on invoices as "Discount: …".
    pub description: String,
    /// Billed cycles it lasts; omitted: no limit.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub cycles: Option<i64>,
    /// Periods starting on or after this day are not discounted.
    #[serde(default)]
    #[schema(format = Date)]
    pub until: Option<String>,
}

/// Adds a discount to a contract; the next invoices show it as its own
/// line.
#[utoipa::path(
    post, path = "/api/v1/discounts", operation_id = "discounts.create", tag = "billing",
    request_body = CreateDiscount,
    responses(
        (status = 201, description = "Created", body = DiscountView),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn create_discount(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<CreateDiscount>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::BillingManage)?;
    let b = body.parse()?;
    let input = DiscountInput {
        contract_id: b.contract_id,
        kind: b.kind.as_str().into(),
        value: b.value,
        description: b.description,
        cycles: b.cycles,
        until: b.until.unwrap_or_default(),
    };
    let d = discounts::create(&state.svc, &caller, &input).await?;
    let id = d.id;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/discounts/{id}"))],
        Json(DiscountView::from(d)),
    )
        .into_response())
}

/// Ends a running discount: later invoices no longer get it.
#[utoipa::path(
    post, path = "/api/v1/discounts/{id}/end", operation_id = "discounts.end", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The ended discount", body = DiscountView),
        (status = 409, description = "It had already ended (`discount-ended`)"),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn end_discount(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<DiscountView>> {
    Ok(Json(
        discounts::end(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}
