//! `/api/v1/roles`: built-in and custom roles.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use services::staff::RoleInput;
use services::staff::{Role, RoleSummary};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, allowlist_text, allowlist_vec, time};
use webkit::state::AppState;

/// Roles.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, delete))
}

/// A role: a set of permissions and an IP allowlist.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub id: i64,
    pub name: String,
    /// Built-in roles keep their name and permissions.
    pub builtin: bool,
    /// Permission codes (`users.view`, …).
    pub permissions: Vec<String>,
    pub ip_allowlist: Vec<String>,
    /// How many users hold the role (lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

fn codes(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

impl From<RoleSummary> for RoleView {
    fn from(r: RoleSummary) -> RoleView {
        RoleView {
            id: r.id,
            permissions: codes(&r.permissions),
            ip_allowlist: allowlist_vec(&r.ip_allowlist),
            name: r.name,
            builtin: r.builtin,
            users: Some(r.users),
            created_at: None,
            updated_at: None,
        }
    }
}

impl From<Role> for RoleView {
    fn from(r: Role) -> RoleView {
        RoleView {
            id: r.id,
            permissions: codes(&r.permissions),
            ip_allowlist: allowlist_vec(&r.ip_allowlist),
            name: r.name,
            builtin: r.builtin,
            users: None,
            created_at: Some(time(r.created_at)),
            updated_at: Some(time(r.updated_at)),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleListQuery {
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists roles, built-in first, then by name.
#[utoipa::path(
    get, path = "/api/v1/roles", operation_id = "roles.list", tag = "roles",
    params(RoleListQuery),
    responses(
        (status = 200, description = "A page of roles", body = Paged<RoleView>),
    ),
    security(("bearer" = ["roles.manage"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RoleListQuery>,
) -> ApiResult<Json<Paged<RoleView>>> {
    let caller = caller.caller();
    services::staff::may_manage_roles(&caller)?;
    let roles: Vec<RoleView> = services::staff::list_roles(&state.svc, &caller)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(pagination::in_memory(
        roles,
        |r| r.id,
        q.cursor.as_deref(),
        q.limit,
        "role",
    )?))
}

/// One role.
#[utoipa::path(
    get, path = "/api/v1/roles/{id}", operation_id = "roles.show", tag = "roles",
    params(IdPath),
    responses(
        (status = 200, description = "The role", body = RoleView),
    ),
    security(("bearer" = ["roles.manage"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<RoleView>> {
    Ok(Json(
        services::staff::get_role(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// A new custom role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    pub name: String,
    /// Permission codes.
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub ip_allowlist: Vec<String>,
}

/// Creates a custom role.
#[utoipa::path(
    post, path = "/api/v1/roles", operation_id = "roles.create", tag = "roles",
    request_body = CreateRole,
    responses(
        (status = 201, description = "Created", body = RoleView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["roles.manage"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<CreateRole>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    services::staff::may_manage_roles(&caller)?;
    let body = body.parse()?;
    let input = RoleInput {
        name: body.name,
        permissions: body.permissions,
        ip_allowlist: allowlist_text(&body.ip_allowlist),
    };
    let id = services::staff::create_role(&state.svc, &caller, &input).await?;
    let role: RoleView = services::staff::get_role(&state.svc, &caller, id)
        .await?
        .into();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/roles/{id}"))],
        Json(role),
    )
        .into_response())
}

/// Changes to a role; omitted fields keep their value. Built-in roles only
/// change their allowlist.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub ip_allowlist: Option<Vec<String>>,
}

/// Updates a role.
#[utoipa::path(
    patch, path = "/api/v1/roles/{id}", operation_id = "roles.update", tag = "roles",
    params(IdPath),
    request_body = UpdateRole,
    responses(
        (status = 200, description = "The updated role", body = RoleView),
        (status = 409, description = "Name taken"),
    ),
    security(("bearer" = ["roles.manage"]))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<UpdateRole>,
) -> ApiResult<Json<RoleView>> {
    let caller = caller.caller();
    services::staff::may_manage_roles(&caller)?;
    let body = body.parse()?;
    let role = services::staff::get_role(&state.svc, &caller, p.id).await?;
    if role.builtin
        && (body.name.as_ref().is_some_and(|n| n.trim() != role.name) || body.permissions.is_some())
    {
        return Err(Problem::invalid(
            if body.name.is_some() {
                "name"
            } else {
                "permissions"
            },
            "builtin",
            "cannot change on a built-in role",
        ));
    }
    let input = RoleInput {
        name: body.name.unwrap_or(role.name),
        permissions: body.permissions.unwrap_or_else(|| codes(&role.permissions)),
        ip_allowlist: body
            .ip_allowlist
            .map(|a| allowlist_text(&a))
            .unwrap_or(role.ip_allowlist),
    };
    services::staff::update_role(&state.svc, &caller, p.id, &input).await?;
    Ok(Json(
        services::staff::get_role(&state.svc, &caller, p.id)
            .await?
            .into(),
    ))
}

/// Deletes a custom role no user holds.
#[utoipa::path(
    delete, path = "/api/v1/roles/{id}", operation_id = "roles.delete", tag = "roles",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Built-in or in use"),
    ),
    security(("bearer" = ["roles.manage"]))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<StatusCode> {
    services::staff::delete_role(&state.svc, &caller.caller(), p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
