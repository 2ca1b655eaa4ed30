//! `/api/v1/plans` and `/api/v1/service-items`: the catalog, and the
//! previewed re-pricing of a plan's contracts. Amounts are integers in minor
//! units of the installation's currency (centavos).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Money;
use domain::catalog::{
    BURST_DOWN_FIELDS, BURST_UP_FIELDS, BillingMode, Burst, Cycle, Plan, Quota, QuotaAction,
    ServiceItem, SuspendedBehavior, Technology,
};
use serde::{Deserialize, Serialize};
use services::catalog;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, merge_patch};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, time};
use webkit::state::AppState;

/// The catalog's paths: plans, their re-pricing, service items.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(repricing_preview))
        .routes(routes!(repricing_apply))
        .routes(routes!(list_items, create_item))
        .routes(routes!(show_item, update_item))
}

/// An internet plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: i64,
    #[serde(flatten)]
    pub fields: PlanBody,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A plan's fields. On PATCH, omitted fields keep their value and `null`
/// clears an optional one.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub download_kbps: i64,
    pub upload_kbps: i64,
    /// Burst: rate, threshold and time go together.
    #[serde(default)]
    pub burst_down_rate_kbps: Option<i64>,
    #[serde(default)]
    pub burst_down_threshold_kbps: Option<i64>,
    #[serde(default)]
    pub burst_down_time_secs: Option<i64>,
    #[serde(default)]
    pub burst_up_rate_kbps: Option<i64>,
    #[serde(default)]
    pub burst_up_threshold_kbps: Option<i64>,
    #[serde(default)]
    pub burst_up_time_secs: Option<i64>,
    /// Data quota per cycle; with `quota_action`.
    #[serde(default)]
    pub quota_mb: Option<i64>,
    /// `throttle` (to `quota_throttle_kbps`) or `block`: required with
    /// `quota_mb`, ignored without it (no quota).
    #[serde(default)]
    #[schema(value_type = Option<choices::QuotaAction>)]
    pub quota_action: Option<String>,
    #[serde(default)]
    pub quota_throttle_kbps: Option<i64>,
    /// The price for new contracts, in minor units.
    pub price: i64,
    /// `postpaid` (default) or `prepaid`.
    #[serde(default = "postpaid")]
    #[schema(value_type = choices::BillingMode)]
    pub billing_mode: String,
    /// `monthly` (default), `quarterly` or `yearly`.
    #[serde(default = "monthly")]
    #[schema(value_type = choices::Cycle)]
    pub cycle: String,
    #[serde(default)]
    pub installation_fee: i64,
    /// 0 to 60.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 60)]
    pub loyalty_months: i64,
    /// Only with a loyalty period.
    #[serde(default)]
    pub early_termination_fee: i64,
    #[serde(default)]
    pub tax_category: String,
    /// `fiber`, `wireless`, `cable` or `dsl`.
    #[schema(value_type = choices::Technology)]
    pub technology: String,
    /// What RADIUS gives a suspended subscriber: `reject` (default) or
    /// `restricted`.
    #[serde(default = "reject")]
    #[schema(value_type = choices::SuspendedBehavior)]
    pub suspended_behavior: String,
    /// Retired plans take no new contracts.
    #[serde(default = "yes")]
    pub active: bool,
    /// Shown on public pages.
    #[serde(default = "yes")]
    pub public: bool,
}

fn postpaid() -> String {
    "postpaid".into()
}
fn monthly() -> String {
    "monthly".into()
}
fn reject() -> String {
    "reject".into()
}
fn yes() -> bool {
    true
}

/// Parses a text choice, naming the field and the accepted values.
fn choice<T: Copy>(
    field: &str,
    v: &str,
    all: &[T],
    parse: impl Fn(&str) -> Option<T>,
    text: impl Fn(T) -> &'static str,
) -> Result<T, Problem> {
    parse(v.trim()).ok_or_else(|| {
        let names: Vec<String> = all.iter().map(|x| format!("`{}`", text(*x))).collect();
        Problem::invalid(
            field,
            "choice",
            format!("must be one of {}", names.join(", ")),
        )
    })
}

/// A domain rule's refusal as the problem every field error is.
fn invalid(e: domain::validate::Invalid) -> Problem {
    services::Error::invalid(e.field, e.error).into()
}

impl PlanBody {
    fn to_plan(&self) -> Result<Plan, Problem> {
        let action = match self.quota_action.as_deref() {
            None => None,
            Some(a) => Some(choice(
                "quota_action",
                a,
                QuotaAction::ALL,
                QuotaAction::parse,
                QuotaAction::as_str,
            )?),
        };
        // Which parts go together is the domain's rule, the same as the
        // plan form's.
        let quota =
            Quota::from_parts(self.quota_mb, action, self.quota_throttle_kbps).map_err(invalid)?;
        Ok(Plan {
            name: self.name.clone(),
            description: self.description.clone(),
            download_kbps: self.download_kbps,
            upload_kbps: self.upload_kbps,
            burst_down: Burst::from_parts(
                BURST_DOWN_FIELDS,
                [
                    self.burst_down_rate_kbps,
                    self.burst_down_threshold_kbps,
                    self.burst_down_time_secs,
                ],
            )
            .map_err(invalid)?,
            burst_up: Burst::from_parts(
                BURST_UP_FIELDS,
                [
                    self.burst_up_rate_kbps,
                    self.burst_up_threshold_kbps,
                    self.burst_up_time_secs,
                ],
            )
            .map_err(invalid)?,
            quota,
            price: Money(self.price),
            billing_mode: choice(
                "billing_mode",
                &self.billing_mode,
                BillingMode::ALL,
                BillingMode::parse,
                BillingMode::as_str,
            )?,
            cycle: choice(
                "cycle",
                &self.cycle,
                Cycle::ALL,
                Cycle::parse,
                Cycle::as_str,
            )?,
            installation_fee: Money(self.installation_fee),
            loyalty_months: self.loyalty_months,
            early_termination_fee: Money(self.early_termination_fee),
            tax_category: self.tax_category.clone(),
            technology: choice(
                "technology",
                &self.technology,
                Technology::ALL,
                Technology::parse,
                Technology::as_str,
            )?,
            suspended_behavior: choice(
                "suspended_behavior",
                &self.suspended_behavior,
                SuspendedBehavior::ALL,
                SuspendedBehavior::parse,
                SuspendedBehavior::as_str,
            )?,
            active: self.active,
            public: self.public,
        })
    }
}

impl From<services::catalog::PlanRow> for PlanView {
    fn from(p: services::catalog::PlanRow) -> PlanView {
        PlanView {
            id: p.id,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
            fields: PlanBody {
                name: p.name,
                description: p.description,
                download_kbps: p.download_kbps,
                upload_kbps: p.upload_kbps,
                burst_down_rate_kbps: p.burst_down_rate_kbps,
                burst_down_threshold_kbps: p.burst_down_threshold_kbps,
                burst_down_time_secs: p.burst_down_time_secs,
                burst_up_rate_kbps: p.burst_up_rate_kbps,
                burst_up_threshold_kbps: p.burst_up_threshold_kbps,
                burst_up_time_secs: p.burst_up_time_secs,
                quota_mb: p.quota_mb,
                quota_action: p.quota_action,
                quota_throttle_kbps: p.quota_throttle_kbps,
                price: p.price,
                billing_mode: p.billing_mode,
                cycle: p.cycle,
                installation_fee: p.installation_fee,
                loyalty_months: p.loyalty_months,
                early_termination_fee: p.early_termination_fee,
                tax_category: p.tax_category,
                technology: p.technology,
                suspended_behavior: p.suspended_behavior,
                active: p.active,
                public: p.public,
            },
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanListQuery {
    /// `true`: only plans taking new contracts; `false`: only retired ones;
    /// omitted: both.
    active: Option<bool>,
    /// `fiber`, `wireless`, `cable` or `dsl`.
    #[param(value_type = Option<choices::Technology>)]
    technology: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists plans by name.
#[utoipa::path(
    get, path = "/api/v1/plans", operation_id = "plans.list", tag = "plans",
    params(PlanListQuery),
    responses(
        (status = 200, description = "A page of plans", body = Paged<PlanView>),
    ),
    security(("bearer" = ["plans.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PlanListQuery>,
) -> ApiResult<Json<Paged<PlanView>>> {
    let caller = caller.caller();
    catalog::access::view(&caller)?;
    let tech = match q.technology.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(choice(
            "technology",
            t,
            Technology::ALL,
            Technology::parse,
            Technology::as_str,
        )?),
    };
    let rows: Vec<PlanView> = catalog::list_plans(&state.svc, &caller, true, false)
        .await?
        .into_iter()
        .filter(|p| q.active.is_none_or(|a| p.active == a))
        .filter(|p| tech.is_none_or(|t| p.technology == t.as_str()))
        .map(Into::into)
        .collect();
    Ok(Json(pagination::in_memory(
        rows,
        |p| p.id,
        q.cursor.as_deref(),
        q.limit,
        "row",
    )?))
}

/// One plan.
#[utoipa::path(
    get, path = "/api/v1/plans/{id}", operation_id = "plans.show", tag = "plans",
    params(IdPath),
    responses(
        (status = 200, description = "The plan", body = PlanView),
    ),
    security(("bearer" = ["plans.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<PlanView>> {
    Ok(Json(
        catalog::get_plan(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Creates a plan.
#[utoipa::path(
    post, path = "/api/v1/plans", operation_id = "plans.create", tag = "plans",
    request_body = PlanBody,
    responses(
        (status = 201, description = "Created", body = PlanView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["plans.manage"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<PlanBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    catalog::access::manage(&caller)?;
    let plan = body.parse()?.to_plan()?;
    let view: PlanView = catalog::create_plan(&state.svc, &caller, &plan)
        .await?
        .into();
    let id = view.id;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/plans/{id}"))],
        Json(view),
    )
        .into_response())
}

/// Changes a plan. A new price is for new contracts only: existing ones
/// change through a re-pricing.
#[utoipa::path(
    patch, path = "/api/v1/plans/{id}", operation_id = "plans.update", tag = "plans",
    params(IdPath),
    request_body = PlanBody,
    responses(
        (status = 200, description = "The updated plan", body = PlanView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["plans.manage"]))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<PlanView>> {
    let caller = caller.caller();
    catalog::access::manage(&caller)?;
    let patch = body.parse()?;
    let current: PlanView = catalog::get_plan(&state.svc, &caller, p.id).await?.into();
    let merged: PlanBody = merge_patch(&current.fields, patch)?;
    Ok(Json(
        catalog::update_plan(&state.svc, &caller, p.id, &merged.to_plan()?)
            .await?
            .into(),
    ))
}

/// A re-pricing to preview.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepricingPreviewRequest {
    /// The new price, in minor units.
    pub price: i64,
    /// How many affected contracts to list, 0 to 200 (default 20).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 200)]
    pub sample: Option<i64>,
}

/// One contract a re-pricing would change.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepricedContract {
    pub contract_id: i64,
    pub number: String,
    pub customer_id: i64,
    pub old_price: i64,
    pub new_price: i64,
}

/// What a re-pricing would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepricingPreviewView {
    pub plan_id: i64,
    pub new_price: i64,
    /// How many contracts (not canceled) would change.
    pub count: i64,
    pub sample: Vec<RepricedContract>,
    /// Pass to `POST /api/v1/plans/{id}/repricing`: the re-pricing is
    /// refused if the affected contracts changed since this preview.
    pub fingerprint: String,
}

/// Previews setting a new price on the plan's existing contracts.
#[utoipa::path(
    post, path = "/api/v1/plans/{id}/repricing/preview", operation_id = "plans.repricing.preview", tag = "plans",
    params(IdPath),
    request_body = RepricingPreviewRequest,
    responses(
        (status = 200, description = "The preview", body = RepricingPreviewView),
    ),
    security(("bearer" = ["plans.manage"]))
)]
pub async fn repricing_preview(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<RepricingPreviewRequest>,
) -> ApiResult<Json<RepricingPreviewView>> {
    let caller = caller.caller();
    catalog::access::manage(&caller)?;
    let b = body.parse()?;
    let sample = b.sample.unwrap_or(20);
    if !(0..=pagination::MAX_LIMIT).contains(&sample) {
        return Err(Problem::invalid(
            "sample",
            "range",
            format!("must be between 0 and {}", pagination::MAX_LIMIT),
        ));
    }
    let r = catalog::preview_repricing(&state.svc, &caller, p.id, Money(b.price), sample).await?;
    Ok(Json(RepricingPreviewView {
        plan_id: r.plan_id,
        new_price: r.new_price,
        count: r.count,
        sample: r
            .sample
            .into_iter()
            .map(|k| RepricedContract {
                contract_id: k.contract_id,
                number: k.number,
                customer_id: k.customer_id,
                old_price: k.old_price,
                new_price: k.new_price,
            })
            .collect(),
        fingerprint: r.fingerprint,
    }))
}

/// A previewed re-pricing to apply.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepricingRequest {
    /// The previewed price, in minor units.
    pub price: i64,
    /// The preview's `fingerprint`.
    pub fingerprint: String,
}

/// What a re-pricing did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RepricingResult {
    /// How many contracts changed (each one audited and on its customer's
    /// timeline).
    pub changed: i64,
}

/// Sets the previewed price on the plan's contracts. Refused with 409
/// (`repricing-changed`) if they changed since the preview.
#[utoipa::path(
    post, path = "/api/v1/plans/{id}/repricing", operation_id = "plans.repricing.apply", tag = "plans",
    params(IdPath),
    request_body = RepricingRequest,
    responses(
        (status = 200, description = "Applied", body = RepricingResult),
        (status = 409, description = "Changed since the preview"),
    ),
    security(("bearer" = ["plans.manage"]))
)]
pub async fn repricing_apply(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<RepricingRequest>,
) -> ApiResult<Json<RepricingResult>> {
    let caller = caller.caller();
    catalog::access::manage(&caller)?;
    let b = body.parse()?;
    // The service requires the preview's fingerprint (an empty one is
    // refused naming `fingerprint`), as it does for the plan page.
    let changed =
        catalog::apply_repricing(&state.svc, &caller, p.id, Money(b.price), &b.fingerprint).await?;
    Ok(Json(RepricingResult { changed }))
}

/// A non-internet recurring service (IPTV, VoIP, equipment rental).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceItemView {
    pub id: i64,
    #[serde(flatten)]
    pub fields: ServiceItemBody,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A service item's fields. On PATCH, omitted fields keep their value.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceItemBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// In minor units.
    pub price: i64,
    /// `monthly` (default), `quarterly` or `yearly`.
    #[serde(default = "monthly")]
    #[schema(value_type = choices::Cycle)]
    pub cycle: String,
    #[serde(default)]
    pub tax_category: String,
    #[serde(default = "yes")]
    pub active: bool,
}

impl ServiceItemBody {
    fn to_item(&self) -> Result<ServiceItem, Problem> {
        Ok(ServiceItem {
            name: self.name.clone(),
            description: self.description.clone(),
            price: Money(self.price),
            cycle: choice(
                "cycle",
                &self.cycle,
                Cycle::ALL,
                Cycle::parse,
                Cycle::as_str,
            )?,
            tax_category: self.tax_category.clone(),
            active: self.active,
        })
    }
}

impl From<services::catalog::ServiceItemRow> for ServiceItemView {
    fn from(i: services::catalog::ServiceItemRow) -> ServiceItemView {
        ServiceItemView {
            id: i.id,
            created_at: time(i.created_at),
            updated_at: time(i.updated_at),
            fields: ServiceItemBody {
                name: i.name,
                description: i.description,
                price: i.price,
                cycle: i.cycle,
                tax_category: i.tax_category,
                active: i.active,
            },
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemListQuery {
    /// `true`: only active items; `false`: only retired ones; omitted: both.
    active: Option<bool>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists service items by name.
#[utoipa::path(
    get, path = "/api/v1/service-items", operation_id = "service_items.list", tag = "plans",
    params(ItemListQuery),
    responses(
        (status = 200, description = "A page of service items", body = Paged<ServiceItemView>),
    ),
    security(("bearer" = ["plans.view"]))
)]
pub async fn list_items(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ItemListQuery>,
) -> ApiResult<Json<Paged<ServiceItemView>>> {
    let caller = caller.caller();
    catalog::access::view(&caller)?;
    let rows: Vec<ServiceItemView> = catalog::list_items(&state.svc, &caller, true)
        .await?
        .into_iter()
        .filter(|i| q.active.is_none_or(|a| i.active == a))
        .map(Into::into)
        .collect();
    Ok(Json(pagination::in_memory(
        rows,
        |i| i.id,
        q.cursor.as_deref(),
        q.limit,
        "row",
    )?))
}

/// One service item.
#[utoipa::path(
    get, path = "/api/v1/service-items/{id}", operation_id = "service_items.show", tag = "plans",
    params(IdPath),
    responses(
        (status = 200, description = "The service item", body = ServiceItemView),
    ),
    security(("bearer" = ["plans.view"]))
)]
pub async fn show_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<ServiceItemView>> {
    Ok(Json(
        catalog::get_item(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Creates a service item.
#[utoipa::path(
    post, path = "/api/v1/service-items", operation_id = "service_items.create", tag = "plans",
    request_body = ServiceItemBody,
    responses(
        (status = 201, description = "Created", body = ServiceItemView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["plans.manage"]))
)]
pub async fn create_item(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<ServiceItemBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    catalog::access::manage(&caller)?;
    let i = body.parse()?.to_item()?;
    let view: ServiceItemView = catalog::create_item(&state.svc, &caller, &i).await?.into();
    let id = view.id;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/service-items/{id}"))],
        Json(view),
    )
        .into_response())
}

/// Changes a service item (contracts keep the price they were sold at).
#[utoipa::path(
    patch, path = "/api/v1/service-items/{id}", operation_id = "service_items.update", tag = "plans",
    params(IdPath),
    request_body = ServiceItemBody,
    responses(
        (status = 200, description = "The updated service item", body = ServiceItemView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["plans.manage"]))
)]
pub async fn update_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<ServiceItemView>> {
    let caller = caller.caller();
    catalog::access::manage(&caller)?;
    let patch = body.parse()?;
    let current: ServiceItemView = catalog::get_item(&state.svc, &caller, p.id).await?.into();
    let merged: ServiceItemBody = merge_patch(&current.fields, patch)?;
    Ok(Json(
        catalog::update_item(&state.svc, &caller, p.id, &merged.to_item()?)
            .await?
            .into(),
    ))
}
