//! `/api/v1/promo-codes`: codes that give a contract a discount when
//! redeemed (validity window, uses overall and per customer, plans, cycles),
//! and `POST /api/v1/contracts/{id}/promo-codes` to redeem one.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Permission;
use serde::{Deserialize, Serialize};
use services::billing::promos::{self, Filter, Full, PromoInput};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use super::discounts::{DiscountKind, DiscountView};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::ApiResult;
use crate::{IdPath, time};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_promo_codes, create_promo_code))
        .routes(routes!(show_promo_code, update_promo_code))
        .routes(routes!(deactivate_promo_code))
        .routes(routes!(redeem_promo_code))
}

/// A promo code.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromoView {
    pub id: i64,
    /// Upper case; matched without regard to case.
    pub code: String,
    pub kind: DiscountKind,
    /// Minor units (`fixed`) or parts per million (`percent`).
    pub value: i64,
    pub description: String,
    /// First and last day it may be redeemed (inclusive).
    #[schema(format = Date)]
    pub valid_from: Option<String>,
    #[schema(format = Date)]
    pub valid_until: Option<String>,
    pub max_uses: Option<i64>,
    pub max_uses_per_customer: Option<i64>,
    /// Cycles the discount it creates lasts; `null`: no limit.
    pub cycles: Option<i64>,
    /// Plans it is valid for; empty: every plan.
    pub plan_ids: Vec<i64>,
    /// Times redeemed.
    pub uses: i64,
    pub active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl PromoView {
    fn new(p: services::billing::promos::Promo, plan_ids: Vec<i64>) -> PromoView {
        PromoView {
            id: p.id,
            code: p.code,
            kind: DiscountKind::from_stored(&p.kind),
            value: p.value,
            description: p.description,
            valid_from: p.valid_from,
            valid_until: p.valid_until,
            max_uses: p.max_uses,
            max_uses_per_customer: p.max_uses_per_customer,
            cycles: p.cycles,
            plan_ids,
            uses: p.uses,
            active: p.active,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }
}

impl From<Full> for PromoView {
    fn from(f: Full) -> PromoView {
        PromoView::new(f.promo, f.plan_ids)
    }
}

/// Which codes a list shows.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromoState {
    /// Active and not past its last day.
    Active,
    /// Past its last day.
    Expired,
    /// Deactivated.
    Inactive,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PromoQuery {
    /// Part of the code or description.
    q: Option<String>,
    #[param(inline)]
    state: Option<PromoState>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists promo codes, oldest first. (`plan_ids` is left empty in lists;
/// read a code for its plans.)
#[utoipa::path(
    get, path = "/api/v1/promo-codes", operation_id = "promo_codes.list", tag = "billing",
    params(PromoQuery),
    responses(
        (status = 200, description = "A page of codes", body = Paged<PromoView>),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn list_promo_codes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PromoQuery>,
) -> ApiResult<Json<Paged<PromoView>>> {
    let caller = caller.caller();
    caller.require(Permission::BillingView)?;
    let limit = pagination::limit(q.limit)?;
    let after = pagination::decode(q.cursor.as_deref())?;
    let filter = Filter {
        q: q.q,
        state: q.state.map(|s| {
            match s {
                PromoState::Active => "active",
                PromoState::Expired => "expired",
                PromoState::Inactive => "inactive",
            }
            .to_owned()
        }),
        after_id: after,
        limit,
        ..Filter::default()
    };
    let (rows, more) = promos::list(&state.svc, &caller, &filter).await?;
    let data = rows
        .into_iter()
        .map(|p| PromoView::new(p, Vec::new()))
        .collect();
    Ok(Json(pagination::page(data, more, |p| p.id)))
}

/// One code with its plans.
#[utoipa::path(
    get, path = "/api/v1/promo-codes/{id}", operation_id = "promo_codes.show", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The code", body = PromoView),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn show_promo_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<PromoView>> {
    Ok(Json(
        promos::get(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// A promo code's terms (create and update alike).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoBody {
    /// Letters, digits, `-` and `_`, at most 32; stored upper case.
    pub code: String,
    pub kind: DiscountKind,
    /// Minor units (`fixed`) or parts per million (`percent`, 1 to
    /// 1000000).
    pub value: i64,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    #[schema(format = Date)]
    pub valid_from: Option<String>,
    #[serde(default)]
    #[schema(format = Date)]
    pub valid_until: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub max_uses: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub max_uses_per_customer: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub cycles: Option<i64>,
    /// Plans it is valid for; empty: every plan.
    #[serde(default)]
    pub plan_ids: Vec<i64>,
    /// Default `true`.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl PromoBody {
    fn input(self) -> PromoInput {
        PromoInput {
            code: self.code,
            kind: self.kind.as_str().into(),
            value: self.value,
            description: self.description,
            valid_from: self.valid_from.unwrap_or_default(),
            valid_until: self.valid_until.unwrap_or_default(),
            max_uses: self.max_uses,
            max_uses_per_customer: self.max_uses_per_customer,
            cycles: self.cycles,
            plan_ids: self.plan_ids,
            active: self.active,
        }
    }
}

/// Creates a promo code.
#[utoipa::path(
    post, path = "/api/v1/promo-codes", operation_id = "promo_codes.create", tag = "billing",
    request_body = PromoBody,
    responses(
        (status = 201, description = "Created", body = PromoView),
        (status = 409, description = "The code exists (in any case)"),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn create_promo_code(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<PromoBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::BillingManage)?;
    let b = body.parse()?;
    let view: PromoView = promos::create(&state.svc, &caller, &b.input())
        .await?
        .into();
    let id = view.id;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/promo-codes/{id}"))],
        Json(view),
    )
        .into_response())
}

/// Replaces a promo code's terms. Discounts it already created keep theirs.
#[utoipa::path(
    put, path = "/api/v1/promo-codes/{id}", operation_id = "promo_codes.update", tag = "billing",
    params(IdPath),
    request_body = PromoBody,
    responses(
        (status = 200, description = "The updated code", body = PromoView),
        (status = 409, description = "The code exists (in any case)"),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn update_promo_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<PromoBody>,
) -> ApiResult<Json<PromoView>> {
    let caller = caller.caller();
    caller.require(Permission::BillingManage)?;
    let b = body.parse()?;
    Ok(Json(
        promos::update(&state.svc, &caller, p.id, &b.input())
            .await?
            .into(),
    ))
}

/// Deactivates a code: it can no longer be redeemed; the discounts it made
/// run on.
#[utoipa::path(
    post, path = "/api/v1/promo-codes/{id}/deactivate", operation_id = "promo_codes.deactivate", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The code, inactive", body = PromoView),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn deactivate_promo_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<PromoView>> {
    Ok(Json(
        promos::deactivate(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// A code to redeem.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Redeem {
    /// Any case.
    pub code: String,
}

/// Redeems a promo code for a contract: the contract gets its discount.
/// A code that cannot be used is refused (422 naming `code`, the message
/// says why: unknown, inactive, not valid yet, expired, used up, used up
/// by this customer, not valid for this plan).
#[utoipa::path(
    post, path = "/api/v1/contracts/{id}/promo-codes", operation_id = "promo_codes.redeem", tag = "billing",
    params(IdPath),
    request_body = Redeem,
    responses(
        (status = 201, description = "The discount it made", body = DiscountView),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn redeem_promo_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<Redeem>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::BillingManage)?;
    let b = body.parse()?;
    let d = promos::redeem(&state.svc, &caller, p.id, &b.code).await?;
    let id = d.id;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/discounts/{id}"))],
        Json(DiscountView::from(d)),
    )
        .into_response())
}
