//! `/api/v1/users`: staff accounts.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use services::staff::UserInput;
use services::staff::{Filter, User};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, allowlist_text, allowlist_vec, time};
use webkit::state::AppState;

/// Staff accounts.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
}

/// A staff account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    #[schema(format = Email)]
    pub email: String,
    pub display_name: String,
    /// The role's name.
    pub role: String,
    pub role_id: i64,
    /// `en` or `pt-BR`; `null` follows the browser.
    #[schema(value_type = Option<choices::Locale>)]
    pub locale: Option<String>,
    pub disabled: bool,
    pub totp_enabled: bool,
    /// CIDR networks this user may sign in from; empty allows any.
    pub ip_allowlist: Vec<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub last_login_at: Option<String>,
}

impl From<User> for UserView {
    fn from(u: User) -> UserView {
        UserView {
            id: u.id,
            ip_allowlist: allowlist_vec(&u.ip_allowlist),
            username: u.username,
            email: u.email,
            display_name: u.display_name,
            role: u.role_name,
            role_id: u.role_id,
            locale: u.locale,
            disabled: u.disabled,
            totp_enabled: u.totp_enabled,
            created_at: time(u.created_at),
            updated_at: time(u.updated_at),
            last_login_at: u.last_login_at.map(time),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Matches username, display name or e-mail (partial, case-insensitive).
    q: Option<String>,
    /// A role name or id.
    role: Option<String>,
    /// `active` or `disabled`.
    #[param(value_type = Option<choices::UserStatus>)]
    status: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists staff users, ordered by id.
#[utoipa::path(
    get, path = "/api/v1/users", operation_id = "users.list", tag = "users",
    params(UserListQuery),
    responses(
        (status = 200, description = "A page of users", body = Paged<UserView>),
    ),
    security(("bearer" = ["users.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> ApiResult<Json<Paged<UserView>>> {
    let caller = caller.caller();
    services::staff::may_view_users(&caller)?;
    let limit = pagination::limit(q.limit)?;
    let after = pagination::decode(q.cursor.as_deref())?;
    let role_id = match q.role.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => {
            let roles = services::staff::role_choices(&state.svc, &caller).await?;
            let found = roles
                .iter()
                .find(|x| x.name == r || r.parse::<i64>().is_ok_and(|id| id == x.id));
            Some(
                found
                    .ok_or_else(|| Problem::invalid("role", "unknown", format!("no role `{r}`")))?
                    .id,
            )
        }
    };
    let disabled = match q.status.as_deref().map(str::trim).unwrap_or("") {
        "" | "all" => None,
        "active" => Some(false),
        "disabled" => Some(true),
        _ => {
            return Err(Problem::invalid(
                "status",
                "choice",
                "must be `active`, `disabled` or `all`",
            ));
        }
    };
    let filter = Filter {
        q: q.q.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        role_id,
        disabled,
        after,
        limit,
    };
    let (users, more) = services::staff::list_users(&state.svc, &caller, &filter).await?;
    let data: Vec<UserView> = users.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |u| u.id)))
}

/// One user.
#[utoipa::path(
    get, path = "/api/v1/users/{id}", operation_id = "users.show", tag = "users",
    params(IdPath),
    responses(
        (status = 200, description = "The user", body = UserView),
    ),
    security(("bearer" = ["users.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(
        services::staff::get_user(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// A new staff user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3 to 32 characters: lowercase letters, digits, `.`, `-`, `_`.
    pub username: String,
    #[schema(format = Email)]
    pub email: String,
    /// Defaults to the username.
    #[serde(default)]
    pub display_name: String,
    /// The role's name.
    pub role: String,
    /// At least 10 characters.
    pub password: String,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub ip_allowlist: Vec<String>,
}

/// Creates a staff user with a password.
#[utoipa::path(
    post, path = "/api/v1/users", operation_id = "users.create", tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 409, description = "Username taken"),
    ),
    security(("bearer" = ["users.manage"]))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<CreateUser>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    services::staff::may_manage_users(&caller)?;
    let body = body.parse()?;
    let input = UserInput {
        username: body.username,
        email: body.email,
        display_name: body.display_name,
        role: body.role,
        locale: body.locale,
        disabled: false,
        ip_allowlist: allowlist_text(&body.ip_allowlist),
    };
    let id = services::staff::create_user(&state.svc, &caller, &input, &body.password).await?;
    let user: UserView = services::staff::get_user(&state.svc, &caller, id)
        .await?
        .into();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/users/{id}"))],
        Json(user),
    )
        .into_response())
}

/// Changes to a user; omitted fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// The role's name.
    pub role: Option<String>,
    /// `en`, `pt-BR`, or empty to follow the browser.
    pub locale: Option<String>,
    pub disabled: Option<bool>,
    pub ip_allowlist: Option<Vec<String>>,
    /// Sets a new password; the user's sessions end.
    pub password: Option<String>,
}

/// Updates a user's profile, role, status, allowlist or password.
#[utoipa::path(
    patch, path = "/api/v1/users/{id}", operation_id = "users.update", tag = "users",
    params(IdPath),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The updated user", body = UserView),
        (status = 409, description = "Refused (last admin)"),
    ),
    security(("bearer" = ["users.manage"]))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    let caller = caller.caller();
    services::staff::may_manage_users(&caller)?;
    let body = body.parse()?;
    let changes = services::staff::UserChanges {
        email: body.email,
        display_name: body.display_name,
        role: body.role,
        locale: body.locale,
        disabled: body.disabled,
        ip_allowlist: body.ip_allowlist.map(|a| allowlist_text(&a)),
        password: body.password,
    };
    let user = services::staff::change_user(&state.svc, &caller, p.id, &changes).await?;
    Ok(Json(user.into()))
}
