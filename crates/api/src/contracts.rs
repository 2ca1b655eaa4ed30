//! `/api/v1/contracts`: subscriptions, their status transitions, plan
//! changes and service credentials. Amounts are integers in minor units.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Money;
use domain::contracts::{Status, SuspendReason};
use serde::{Deserialize, Deserializer, Serialize};
use services::contracts::Contract;
use services::contracts::{self, ContractInput, PlanChange, TermsInput};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, List, time};
use webkit::state::AppState;

/// The contracts' paths: contracts, transitions, plan changes, credentials.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(transitions, transition))
        .routes(routes!(plan_changes, change_plan))
        .routes(routes!(credentials))
}

/// A contract (the PPPoE password is only shown by
/// `GET /api/v1/contracts/{id}/credentials`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractView {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub plan_id: i64,
    /// The contract's own price, in minor units.
    pub price: i64,
    pub installation_fee: i64,
    #[schema(minimum = 1, maximum = 28)]
    pub billing_day: i64,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    #[schema(format = Date)]
    pub loyalty_end_date: Option<String>,
    pub early_termination_fee: i64,
    /// `pending_installation`, `active`, `suspended` or `canceled`.
    #[schema(value_type = choices::ContractStatus)]
    pub status: String,
    /// `non_payment`, `customer_request` or `administrative` when suspended.
    #[schema(value_type = Option<choices::SuspendReason>)]
    pub suspend_reason: Option<String>,
    /// The statuses this contract may move to now.
    #[schema(value_type = Vec<choices::ContractStatus>)]
    pub next_statuses: Vec<String>,
    #[schema(format = DateTime)]
    pub status_changed_at: String,
    pub service_address_id: Option<i64>,
    /// The PPPoE login.
    pub login: String,
    pub mac: Option<String>,
    #[schema(format = Ipv4)]
    pub ipv4: Option<String>,
    pub ipv6_prefix: Option<String>,
    pub notes: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Contract> for ContractView {
    fn from(k: Contract) -> ContractView {
        let next_statuses = Status::parse(&k.status)
            .map(|s| {
                s.next()
                    .into_iter()
                    .map(|n| n.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        ContractView {
            id: k.id,
            number: k.number,
            customer_id: k.customer_id,
            plan_id: k.plan_id,
            price: k.price,
            installation_fee: k.installation_fee,
            billing_day: k.billing_day,
            start_date: k.start_date,
            end_date: k.end_date,
            loyalty_end_date: k.loyalty_end_date,
            early_termination_fee: k.early_termination_fee,
            status: k.status,
            suspend_reason: k.suspend_reason,
            next_statuses,
            status_changed_at: time(k.status_changed_at),
            service_address_id: k.service_address_id,
            login: k.pppoe_login,
            mac: k.mac,
            ipv4: k.ipv4,
            ipv6_prefix: k.ipv6_prefix,
            notes: k.notes,
            created_at: time(k.created_at),
            updated_at: time(k.updated_at),
        }
    }
}

const STATUSES: &str = "must be `pending_installation`, `active`, `suspended` or `canceled`";

fn status(field: &str, s: &str) -> Result<Status, Problem> {
    Status::parse(s.trim()).ok_or_else(|| Problem::invalid(field, "choice", STATUSES))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractListQuery {
    /// A contract number (leading zeros optional) or PPPoE login, exactly;
    /// returns one page.
    q: Option<String>,
    customer_id: Option<i64>,
    /// `pending_installation`, `active`, `suspended` or `canceled`.
    #[param(value_type = Option<choices::ContractStatus>)]
    status: Option<String>,
    plan_id: Option<i64>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists contracts, newest first.
#[utoipa::path(
    get, path = "/api/v1/contracts", operation_id = "contracts.list", tag = "contracts",
    params(ContractListQuery),
    responses(
        (status = 200, description = "A page of contracts", body = Paged<ContractView>),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ContractListQuery>,
) -> ApiResult<Json<Paged<ContractView>>> {
    let caller = caller.caller();
    contracts::access::view(&caller)?;
    let limit = pagination::limit(q.limit)?;
    let before = pagination::decode(q.cursor.as_deref())?;
    let wanted = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(status("status", s)?),
    };
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if before.is_some() {
            return Err(Problem::invalid(
                "cursor",
                "conflict",
                "cannot be combined with `q` (a search returns one page)",
            ));
        }
        let data = contracts::search(&state.svc, &caller, text)
            .await?
            .into_iter()
            .filter(|k| q.customer_id.is_none_or(|c| k.customer_id == c))
            .filter(|k| q.plan_id.is_none_or(|p| k.plan_id == p))
            .filter(|k| wanted.is_none_or(|s| k.status == s.as_str()))
            .take(limit as usize)
            .map(Into::into)
            .collect();
        return Ok(Json(Paged {
            data,
            next_cursor: None,
        }));
    }
    let filter = services::contracts::Filter {
        customer_id: q.customer_id,
        status: wanted.map(|s| s.as_str().to_owned()),
        plan_id: q.plan_id,
        before,
        limit,
        ..Default::default()
    };
    let (rows, more) = contracts::list(&state.svc, &caller, &filter).await?;
    let data: Vec<ContractView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |k| k.id)))
}

/// One contract.
#[utoipa::path(
    get, path = "/api/v1/contracts/{id}", operation_id = "contracts.show", tag = "contracts",
    params(IdPath),
    responses(
        (status = 200, description = "The contract", body = ContractView),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<ContractView>> {
    Ok(Json(
        contracts::get(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// A service item on a new contract.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractItem {
    pub item_id: i64,
    /// 1 to 1000 (default 1).
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 1000)]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

/// A new contract; it starts in `pending_installation`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContract {
    pub customer_id: i64,
    pub plan_id: i64,
    /// In minor units; omitted: the plan's current price.
    #[serde(default)]
    pub price: Option<i64>,
    /// 1 to 28.
    #[schema(minimum = 1, maximum = 28)]
    pub billing_day: i64,
    /// `YYYY-MM-DD`; omitted: today.
    #[serde(default)]
    pub start_date: String,
    /// One of the customer's addresses.
    #[serde(default)]
    pub service_address_id: Option<i64>,
    /// PPPoE login; omitted: made from the customer's name.
    #[serde(default)]
    pub login: String,
    /// PPPoE password (4–64 characters); omitted: generated.
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub ipv4: String,
    #[serde(default)]
    pub ipv6_prefix: String,
    /// Omitted: the next number (`000001`…).
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub items: Vec<ContractItem>,
    /// A promo code to redeem for the new contract; one that cannot be
    /// used is refused (422 naming `promo_code`) and nothing is created.
    #[serde(default)]
    pub promo_code: String,
    /// The plan's installation fee split over this many invoices (1–36;
    /// omitted: all on the first).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 36, example = 12)]
    pub installation_installments: Option<i64>,
}

/// Creates a contract (password encrypted at rest; read it back with
/// `/credentials`).
#[utoipa::path(
    post, path = "/api/v1/contracts", operation_id = "contracts.create", tag = "contracts",
    request_body = CreateContract,
    responses(
        (status = 201, description = "Created", body = ContractView),
        (status = 409, description = "Login, IP or number taken"),
    ),
    security(("bearer" = ["contracts.manage"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<CreateContract>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    contracts::access::manage(&caller)?;
    let b = body.parse()?;
    let input = ContractInput {
        customer_id: b.customer_id,
        plan_id: b.plan_id,
        price: b.price.map(Money),
        billing_day: b.billing_day,
        start_date: b.start_date,
        service_address_id: b.service_address_id,
        login: b.login,
        password: b.password,
        mac: b.mac,
        ipv4: b.ipv4,
        ipv6_prefix: b.ipv6_prefix,
        number: b.number,
        notes: b.notes,
        items: b.items.iter().map(|i| (i.item_id, i.quantity)).collect(),
        promo_code: b.promo_code,
        installation_installments: b.installation_installments.unwrap_or(1),
    };
    let view: ContractView = contracts::create(&state.svc, &caller, &input).await?.into();
    let id = view.id;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/contracts/{id}"))],
        Json(view),
    )
        .into_response())
}

/// `null` and absent differ: absent keeps the value, `null` clears it.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a contract's terms and credentials; omitted fields keep their
/// value. Plan, price and status change through their own operations.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContract {
    /// 1 to 28.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 28)]
    pub billing_day: Option<i64>,
    /// One of the customer's addresses; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub service_address_id: Option<Option<i64>>,
    #[serde(default)]
    pub login: Option<String>,
    /// A new PPPoE password (4–64 characters).
    #[serde(default)]
    pub password: Option<String>,
    /// `null` or empty removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub mac: Option<Option<String>>,
    /// `null` or empty removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub ipv4: Option<Option<String>>,
    /// `null` or empty removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub ipv6_prefix: Option<Option<String>>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Updates a contract's terms and credentials (audited; RADIUS is told).
#[utoipa::path(
    patch, path = "/api/v1/contracts/{id}", operation_id = "contracts.update", tag = "contracts",
    params(IdPath),
    request_body = UpdateContract,
    responses(
        (status = 200, description = "The updated contract", body = ContractView),
        (status = 409, description = "Login or IP taken"),
    ),
    security(("bearer" = ["contracts.manage"]))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<UpdateContract>,
) -> ApiResult<Json<ContractView>> {
    let caller = caller.caller();
    contracts::access::manage(&caller)?;
    let b = body.parse()?;
    let input = TermsInput {
        billing_day: b.billing_day,
        service_address_id: b.service_address_id,
        login: b.login,
        password: b.password,
        mac: b.mac.map(Option::unwrap_or_default),
        ipv4: b.ipv4.map(Option::unwrap_or_default),
        ipv6_prefix: b.ipv6_prefix.map(Option::unwrap_or_default),
        notes: b.notes,
    };
    Ok(Json(
        contracts::update_terms(&state.svc, &caller, p.id, &input)
            .await?
            .into(),
    ))
}

/// A status change to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// `active`, `suspended` or `canceled` (see the contract's `next_statuses`).
    #[schema(value_type = choices::ContractStatus)]
    pub to: String,
    /// Required when suspending: `non_payment`, `customer_request` or
    /// `administrative`; refused otherwise.
    #[serde(default)]
    #[schema(value_type = Option<choices::SuspendReason>)]
    pub reason: Option<String>,
    /// Up to 2000 characters.
    #[serde(default)]
    pub note: String,
}

/// Moves a contract to another status. A move the status machine does not
/// allow is a 409 naming the current and the requested status.
#[utoipa::path(
    post, path = "/api/v1/contracts/{id}/transitions", operation_id = "contracts.transition", tag = "contracts",
    params(IdPath),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The contract in its new status", body = ContractView),
        (status = 409, description = "Not allowed from the current status"),
    ),
    security(("bearer" = ["contracts.status"]))
)]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<TransitionRequest>,
) -> ApiResult<Json<ContractView>> {
    let caller = caller.caller();
    contracts::access::status(&caller)?;
    let b = body.parse()?;
    let to = status("to", &b.to)?;
    let reason = match b.reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(SuspendReason::parse(r).ok_or_else(|| {
            Problem::invalid(
                "reason",
                "choice",
                "must be `non_payment`, `customer_request` or `administrative`",
            )
        })?),
    };
    // The service decides on the status it reads inside its transaction;
    // a move the machine does not allow is a 409 naming both statuses.
    Ok(Json(
        contracts::transition(&state.svc, &caller, p.id, to, reason, &b.note)
            .await?
            .into(),
    ))
}

/// A recorded status change.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    pub id: i64,
    #[schema(value_type = choices::ContractStatus)]
    pub from_status: String,
    #[schema(value_type = choices::ContractStatus)]
    pub to_status: String,
    #[schema(value_type = Option<choices::SuspendReason>)]
    pub reason: Option<String>,
    pub note: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub at: String,
}

/// A contract's status changes, oldest first.
#[utoipa::path(
    get, path = "/api/v1/contracts/{id}/transitions", operation_id = "contracts.transitions.list", tag = "contracts",
    params(IdPath),
    responses(
        (status = 200, description = "The transitions", body = List<TransitionView>),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn transitions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<List<TransitionView>>> {
    let data = contracts::transitions(&state.svc, &caller.caller(), p.id)
        .await?
        .into_iter()
        .map(|t| TransitionView {
            id: t.id,
            from_status: t.from_status,
            to_status: t.to_status,
            reason: t.reason,
            note: t.note,
            actor_kind: t.actor_kind,
            actor_id: t.actor_id,
            actor_name: t.actor_name,
            at: time(t.at),
        })
        .collect();
    Ok(Json(List { data }))
}

/// A move to another plan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanChangeRequest {
    pub plan_id: i64,
    /// `YYYY-MM-DD`; today or earlier applies now, later is scheduled.
    /// Omitted: today.
    #[serde(default)]
    pub effective_date: String,
    /// In minor units; omitted: the new plan's price.
    #[serde(default)]
    pub price: Option<i64>,
}

/// A plan change, applied or waiting for its date.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanChangeView {
    pub id: i64,
    pub contract_id: i64,
    pub from_plan_id: i64,
    pub to_plan_id: i64,
    pub from_price: i64,
    pub to_price: i64,
    #[schema(format = Date)]
    pub effective_date: String,
    /// `applied`, `scheduled` or `canceled` (replaced or contract canceled).
    #[schema(value_type = choices::PlanChangeState)]
    pub state: String,
    pub actor_name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub applied_at: Option<String>,
}

impl From<services::contracts::PlanChangeRow> for PlanChangeView {
    fn from(c: services::contracts::PlanChangeRow) -> PlanChangeView {
        let state = if c.applied_at.is_some() {
            "applied"
        } else if c.canceled_at.is_some() {
            "canceled"
        } else {
            "scheduled"
        };
        PlanChangeView {
            id: c.id,
            contract_id: c.contract_id,
            from_plan_id: c.from_plan_id,
            to_plan_id: c.to_plan_id,
            from_price: c.from_price,
            to_price: c.to_price,
            effective_date: c.effective_date,
            state: state.into(),
            actor_name: c.actor_name,
            created_at: time(c.created_at),
            applied_at: c.applied_at.map(time),
        }
    }
}

/// Moves a contract to another plan now or from a later date (a later
/// request replaces a pending one).
#[utoipa::path(
    post, path = "/api/v1/contracts/{id}/plan-changes", operation_id = "contracts.plan_changes.create", tag = "contracts",
    params(IdPath),
    request_body = PlanChangeRequest,
    responses(
        (status = 201, description = "Applied or scheduled (see `state`)", body = PlanChangeView),
    ),
    security(("bearer" = ["contracts.manage"]))
)]
pub async fn change_plan(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<PlanChangeRequest>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    contracts::access::manage(&caller)?;
    let b = body.parse()?;
    let change = contracts::change_plan(
        &state.svc,
        &caller,
        p.id,
        b.plan_id,
        b.price.map(Money),
        &b.effective_date,
    )
    .await?;
    let view: PlanChangeView = match change {
        PlanChange::Applied(c) | PlanChange::Scheduled(c) => c.into(),
    };
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/contracts/{}/plan-changes", p.id),
        )],
        Json(view),
    )
        .into_response())
}

/// A contract's plan changes.
#[utoipa::path(
    get, path = "/api/v1/contracts/{id}/plan-changes", operation_id = "contracts.plan_changes.list", tag = "contracts",
    params(IdPath),
    responses(
        (status = 200, description = "The plan changes", body = List<PlanChangeView>),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn plan_changes(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<List<PlanChangeView>>> {
    let data = contracts::plan_changes(&state.svc, &caller.caller(), p.id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(List { data }))
}

/// PPPoE credentials.
#[derive(Debug, Serialize, ToSchema)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

/// The contract's PPPoE login and password. Every read is audited.
#[utoipa::path(
    get, path = "/api/v1/contracts/{id}/credentials", operation_id = "contracts.credentials.show", tag = "contracts",
    params(IdPath),
    responses(
        (status = 200, description = "The credentials", body = Credentials),
    ),
    security(("bearer" = ["contracts.manage"]))
)]
pub async fn credentials(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Response> {
    let (login, password) =
        contracts::reveal_credentials(&state.svc, &caller.caller(), p.id).await?;
    // A password: never kept by a shared cache.
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(Credentials { login, password }),
    )
        .into_response())
}
