//! `/api/v1/prefixes`, `/api/v1/pools` and `/api/v1/assignments`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::network::ipam::{PoolKind, PoolPurpose};
use serde::{Deserialize, Serialize};
use services::network::ipam::{self, PoolInput, PrefixInput, Target};
use services::network::{Assignment, IpFilter, Pool, Prefix, access};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{choice, filter_choice};
use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, time};
use webkit::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_prefixes, create_prefix))
        .routes(routes!(show_prefix, update_prefix, delete_prefix))
        .routes(routes!(list_pools, create_pool))
        .routes(routes!(show_pool, update_pool, delete_pool))
        .routes(routes!(list_assignments))
        .routes(routes!(create_assignment))
        .routes(routes!(show_assignment, delete_assignment))
}

fn created<T: Serialize>(path: &str, id: i64, view: T) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/{path}/{id}"))],
        Json(view),
    )
        .into_response()
}

/// An IPv4 or IPv6 prefix.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrefixView {
    pub id: i64,
    /// `10.0.0.0/16`, `2001:db8::/32`.
    pub cidr: String,
    /// 4 or 6.
    pub family: i64,
    /// Empty: the global table.
    pub vrf: String,
    pub parent_id: Option<i64>,
    pub parent_cidr: Option<String>,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub description: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Prefix> for PrefixView {
    fn from(p: Prefix) -> PrefixView {
        PrefixView {
            id: p.id,
            cidr: p.cidr,
            family: p.family,
            vrf: p.vrf,
            parent_id: p.parent_id,
            parent_cidr: p.parent_cidr,
            site_id: p.site_id,
            site_name: p.site_name,
            description: p.description,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }
}

/// A new prefix. Without `parent_id` it nests under the tightest prefix
/// of its VRF that holds it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixBody {
    pub cidr: String,
    #[serde(default)]
    pub vrf: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub site_id: Option<i64>,
    #[serde(default)]
    pub description: String,
}

/// What may change on a prefix (its block, VRF and parent stay); omitted
/// fields keep their value, `site_id: null` clears the site.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixPatch {
    pub site_id: Option<i64>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrefixQuery {
    /// A fragment of the prefix or its description.
    q: Option<String>,
    /// 4 or 6.
    family: Option<i64>,
    vrf: Option<String>,
    /// Prefixes right under this one.
    parent_id: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Lists prefixes, newest first.
#[utoipa::path(
    get, path = "/api/v1/prefixes", operation_id = "network.prefixes.list", tag = "network",
    params(PrefixQuery),
    responses((status = 200, description = "A page of prefixes", body = Paged<PrefixView>)),
    security(("bearer" = ["network.view"]))
)]
pub async fn list_prefixes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PrefixQuery>,
) -> ApiResult<Json<Paged<PrefixView>>> {
    let caller = caller.caller();
    access::view(&caller)?;
    let f = IpFilter {
        q: q.q,
        family: q.family,
        vrf: q.vrf,
        parent_id: q.parent_id,
        kind: None,
        before: pagination::decode(q.cursor.as_deref())?,
        limit: pagination::limit(q.limit)?,
    };
    let (rows, more) = ipam::list_prefixes(&state.svc, &caller, &f).await?;
    let data: Vec<PrefixView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |p| p.id)))
}

/// One prefix.
#[utoipa::path(
    get, path = "/api/v1/prefixes/{id}", operation_id = "network.prefixes.show", tag = "network",
    params(IdPath),
    responses((status = 200, description = "The prefix", body = PrefixView)),
    security(("bearer" = ["network.view"]))
)]
pub async fn show_prefix(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<PrefixView>> {
    Ok(Json(
        ipam::get_prefix(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Creates a prefix.
#[utoipa::path(
    post, path = "/api/v1/prefixes", operation_id = "network.prefixes.create", tag = "network",
    request_body = PrefixBody,
    responses(
        (status = 201, description = "Created", body = PrefixView),
        (status = 409, description = "The prefix exists in this VRF"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn create_prefix(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<PrefixBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let b = body.parse()?;
    let input = PrefixInput {
        cidr: b.cidr,
        vrf: b.vrf,
        parent_id: b.parent_id,
        site_id: b.site_id,
        description: b.description,
    };
    let view: PrefixView = ipam::create_prefix(&state.svc, &caller, &input)
        .await?
        .into();
    Ok(created("prefixes", view.id, view))
}

/// Changes a prefix's site and description.
#[utoipa::path(
    patch, path = "/api/v1/prefixes/{id}", operation_id = "network.prefixes.update", tag = "network",
    params(IdPath),
    request_body = PrefixPatch,
    responses((status = 200, description = "The updated prefix", body = PrefixView)),
    security(("bearer" = ["network.manage"]))
)]
pub async fn update_prefix(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<serde_json::Value>,
) -> ApiResult<Json<PrefixView>> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let raw = body.parse()?;
    // Whether `site_id` was given (even as null) matters, so the patch is
    // read as JSON first.
    let site_given = raw.get("site_id").is_some();
    let b: PrefixPatch =
        serde_json::from_value(raw).map_err(|e| Problem::invalid("body", "type", e.to_string()))?;
    let current = ipam::get_prefix(&state.svc, &caller, p.id).await?;
    let input = PrefixInput {
        site_id: if site_given {
            b.site_id
        } else {
            current.site_id
        },
        description: b.description.unwrap_or(current.description),
        ..Default::default()
    };
    Ok(Json(
        ipam::update_prefix(&state.svc, &caller, p.id, &input)
            .await?
            .into(),
    ))
}

/// Deletes a prefix with no child prefixes and no pools.
#[utoipa::path(
    delete, path = "/api/v1/prefixes/{id}", operation_id = "network.prefixes.delete", tag = "network",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Child prefixes or pools still refer to it"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn delete_prefix(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<StatusCode> {
    ipam::delete_prefix(&state.svc, &caller.caller(), p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A pool, with how full it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolView {
    pub id: i64,
    pub prefix_id: i64,
    pub prefix_cidr: String,
    pub vrf: String,
    /// The RADIUS pool name (Framed-Pool) of a dynamic pool.
    pub name: String,
    pub cidr: String,
    pub family: i64,
    #[schema(value_type = choices::PoolKind)]
    pub kind: String,
    #[schema(value_type = choices::PoolPurpose)]
    pub purpose: String,
    /// The length of each assignment (32 for IPv4; 128 or 48–64 for IPv6).
    pub assign_len: i64,
    /// Addresses (or delegated prefixes) it hands out.
    pub size: i64,
    pub used: i64,
    pub percent_used: i64,
    pub warn_percent: i64,
    /// At or past `warn_percent`.
    pub warning: bool,
    pub notes: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Pool> for PoolView {
    fn from(p: Pool) -> PoolView {
        let u = ipam::utilisation(&p);
        PoolView {
            id: p.id,
            prefix_id: p.prefix_id,
            prefix_cidr: p.prefix_cidr,
            vrf: p.vrf,
            name: p.name,
            cidr: p.cidr,
            family: p.family,
            kind: p.kind,
            purpose: p.purpose,
            assign_len: p.assign_len,
            size: u.size,
            used: u.used,
            percent_used: u.percent,
            warn_percent: p.warn_percent,
            warning: u.warning,
            notes: p.notes,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }
}

/// A new pool inside a prefix, overlapping no other pool of its VRF.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolBody {
    pub prefix_id: i64,
    pub name: String,
    pub cidr: String,
    #[schema(value_type = choices::PoolKind)]
    pub kind: String,
    /// `customers` (default), `suspended` or `unknown`.
    #[serde(default = "customers")]
    #[schema(value_type = choices::PoolPurpose)]
    pub purpose: String,
    /// Omitted: single addresses.
    #[serde(default)]
    pub assign_len: Option<i64>,
    /// 1 to 100 (default 80).
    #[serde(default = "eighty")]
    pub warn_percent: i64,
    #[serde(default)]
    pub notes: String,
}

fn customers() -> String {
    "customers".into()
}
fn eighty() -> i64 {
    domain::network::ipam::DEFAULT_WARN_PERCENT
}

/// What may change on a pool (its block and kind stay).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolPatch {
    pub name: Option<String>,
    #[schema(value_type = Option<choices::PoolPurpose>)]
    pub purpose: Option<String>,
    pub warn_percent: Option<i64>,
    pub notes: Option<String>,
}

fn purpose(v: &str) -> Result<PoolPurpose, Problem> {
    choice(
        "purpose",
        v,
        PoolPurpose::ALL,
        PoolPurpose::parse,
        PoolPurpose::as_str,
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PoolQuery {
    /// A fragment of the name or block.
    q: Option<String>,
    family: Option<i64>,
    /// Pools inside this prefix.
    prefix_id: Option<i64>,
    #[param(value_type = Option<choices::PoolKind>)]
    kind: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Lists pools with their use, newest first.
#[utoipa::path(
    get, path = "/api/v1/pools", operation_id = "network.pools.list", tag = "network",
    params(PoolQuery),
    responses((status = 200, description = "A page of pools", body = Paged<PoolView>)),
    security(("bearer" = ["network.view"]))
)]
pub async fn list_pools(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PoolQuery>,
) -> ApiResult<Json<Paged<PoolView>>> {
    let caller = caller.caller();
    access::view(&caller)?;
    let f = IpFilter {
        q: q.q,
        family: q.family,
        vrf: None,
        parent_id: q.prefix_id,
        kind: filter_choice(
            "kind",
            q.kind.as_deref(),
            PoolKind::ALL,
            PoolKind::parse,
            PoolKind::as_str,
        )?,
        before: pagination::decode(q.cursor.as_deref())?,
        limit: pagination::limit(q.limit)?,
    };
    let (rows, more) = ipam::list_pools(&state.svc, &caller, &f).await?;
    let data: Vec<PoolView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |p| p.id)))
}

/// One pool.
#[utoipa::path(
    get, path = "/api/v1/pools/{id}", operation_id = "network.pools.show", tag = "network",
    params(IdPath),
    responses((status = 200, description = "The pool", body = PoolView)),
    security(("bearer" = ["network.view"]))
)]
pub async fn show_pool(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<PoolView>> {
    Ok(Json(
        ipam::get_pool(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Creates a pool.
#[utoipa::path(
    post, path = "/api/v1/pools", operation_id = "network.pools.create", tag = "network",
    request_body = PoolBody,
    responses(
        (status = 201, description = "Created", body = PoolView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn create_pool(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<PoolBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let b = body.parse()?;
    let input = PoolInput {
        prefix_id: b.prefix_id,
        name: b.name,
        cidr: b.cidr,
        kind: choice(
            "kind",
            &b.kind,
            PoolKind::ALL,
            PoolKind::parse,
            PoolKind::as_str,
        )?,
        purpose: purpose(&b.purpose)?,
        assign_len: b.assign_len,
        warn_percent: b.warn_percent,
        notes: b.notes,
    };
    let view: PoolView = ipam::create_pool(&state.svc, &caller, &input).await?.into();
    Ok(created("pools", view.id, view))
}

/// Changes a pool's name, purpose, threshold or notes.
#[utoipa::path(
    patch, path = "/api/v1/pools/{id}", operation_id = "network.pools.update", tag = "network",
    params(IdPath),
    request_body = PoolPatch,
    responses(
        (status = 200, description = "The updated pool", body = PoolView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn update_pool(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<PoolPatch>,
) -> ApiResult<Json<PoolView>> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let b = body.parse()?;
    let cur = ipam::get_pool(&state.svc, &caller, p.id).await?;
    let input = PoolInput {
        prefix_id: cur.prefix_id,
        name: b.name.unwrap_or(cur.name),
        cidr: cur.cidr,
        kind: PoolKind::parse(&cur.kind).unwrap_or(PoolKind::Static),
        purpose: purpose(b.purpose.as_deref().unwrap_or(&cur.purpose))?,
        assign_len: Some(cur.assign_len),
        warn_percent: b.warn_percent.unwrap_or(cur.warn_percent),
        notes: b.notes.unwrap_or(cur.notes),
    };
    Ok(Json(
        ipam::update_pool(&state.svc, &caller, p.id, &input)
            .await?
            .into(),
    ))
}

/// Deletes a pool with nothing taken in it.
#[utoipa::path(
    delete, path = "/api/v1/pools/{id}", operation_id = "network.pools.delete", tag = "network",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Addresses are still taken in it"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn delete_pool(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<StatusCode> {
    ipam::delete_pool(&state.svc, &caller.caller(), p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A taken address (or delegated prefix): a contract's, or reserved.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: i64,
    pub pool_id: i64,
    pub pool_name: String,
    pub address: String,
    #[schema(value_type = choices::AssignmentKind)]
    pub kind: String,
    pub contract_id: Option<i64>,
    pub contract_number: Option<String>,
    pub note: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Assignment> for AssignmentView {
    fn from(a: Assignment) -> AssignmentView {
        AssignmentView {
            id: a.id,
            pool_id: a.pool_id,
            pool_name: a.pool_name,
            address: a.address,
            kind: a.kind,
            contract_id: a.contract_id,
            contract_number: a.contract_number,
            note: a.note,
            created_at: time(a.created_at),
        }
    }
}

/// Takes an address: for `contract_id` (written on the contract, which
/// RADIUS answers with), or reserved when there is none. Give `pool_id`
/// for its next free address, or `address` for that one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentBody {
    #[serde(default)]
    pub contract_id: Option<i64>,
    #[serde(default)]
    pub pool_id: Option<i64>,
    #[serde(default)]
    pub address: Option<String>,
    /// For reservations.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssignmentQuery {
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Lists what is taken in a pool, in address order.
#[utoipa::path(
    get, path = "/api/v1/pools/{id}/assignments", operation_id = "network.assignments.list", tag = "network",
    params(IdPath, AssignmentQuery),
    responses((status = 200, description = "A page of taken addresses", body = Paged<AssignmentView>)),
    security(("bearer" = ["network.view"]))
)]
pub async fn list_assignments(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<AssignmentQuery>,
) -> ApiResult<Json<Paged<AssignmentView>>> {
    let caller = caller.caller();
    // The cursor carries the last slot (ordered by address, not id).
    let after = pagination::decode(q.cursor.as_deref())?;
    let limit = pagination::limit(q.limit)?;
    let (rows, more) = ipam::list_assignments(&state.svc, &caller, p.id, after, limit).await?;
    let last_slot = rows.last().map(|a| a.slot);
    let data: Vec<AssignmentView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(Paged {
        data,
        next_cursor: if more {
            last_slot.map(pagination::encode)
        } else {
            None
        },
    }))
}

/// Assigns or reserves an address.
#[utoipa::path(
    post, path = "/api/v1/assignments", operation_id = "network.assignments.create", tag = "network",
    request_body = AssignmentBody,
    responses(
        (status = 201, description = "Taken", body = AssignmentView),
        (status = 409, description = "The address is taken, the contract already has one, or the pool is full or dynamic"),
    ),
    security(("bearer" = ["network.manage"]))
)]
pub async fn create_assignment(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<AssignmentBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    access::manage(&caller)?;
    let b = body.parse()?;
    let target = match (b.pool_id, b.address) {
        (Some(pool_id), None) => Target::Next { pool_id },
        (None, Some(a)) => Target::Address(a),
        _ => {
            return Err(Problem::invalid(
                "pool_id",
                "required",
                "give either `pool_id` (next free address) or `address`",
            ));
        }
    };
    let taken = match b.contract_id {
        Some(cid) => ipam::assign(&state.svc, &caller, cid, &target).await?,
        None => ipam::reserve(&state.svc, &caller, &target, &b.note).await?,
    };
    let view: AssignmentView = taken.into();
    Ok(created("assignments", view.id, view))
}

/// One taken address.
#[utoipa::path(
    get, path = "/api/v1/assignments/{id}", operation_id = "network.assignments.show", tag = "network",
    params(IdPath),
    responses((status = 200, description = "The taken address", body = AssignmentView)),
    security(("bearer" = ["network.view"]))
)]
pub async fn show_assignment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<AssignmentView>> {
    Ok(Json(
        ipam::get_assignment(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Releases an address (a contract's leaves the contract).
#[utoipa::path(
    delete, path = "/api/v1/assignments/{id}", operation_id = "network.assignments.delete", tag = "network",
    params(IdPath),
    responses((status = 204, description = "Released")),
    security(("bearer" = ["network.manage"]))
)]
pub async fn delete_assignment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<StatusCode> {
    ipam::release(&state.svc, &caller.caller(), p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
