//! `/api/v1/tokens`: API tokens. Anyone with a token manages their own;
//! `users.manage` sees and revokes everyone's. A token can only create
//! tokens with scopes it holds itself.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use services::staff::tokens::ApiToken;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::ApiResult;
use crate::{IdPath, time};
use webkit::state::AppState;

/// API tokens.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

/// An API token (never the secret itself, except once on creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    /// Permission codes, or `["all"]`.
    pub scopes: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> TokenView {
        TokenView {
            id: t.id,
            user_id: t.user_id,
            scopes: t.scopes.split_whitespace().map(str::to_owned).collect(),
            name: t.name,
            prefix: t.prefix,
            created_at: time(t.created_at),
            last_used_at: t.last_used_at.map(time),
            revoked_at: t.revoked_at.map(time),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenListQuery {
    /// Only this user's tokens (others' need `users.manage`).
    user_id: Option<i64>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists tokens, newest first: your own, or everyone's with `users.manage`.
#[utoipa::path(
    get, path = "/api/v1/tokens", operation_id = "tokens.list", tag = "tokens",
    params(TokenListQuery),
    responses(
        (status = 200, description = "A page of tokens", body = Paged<TokenView>),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TokenListQuery>,
) -> ApiResult<Json<Paged<TokenView>>> {
    let caller = caller.caller();
    services::staff::tokens::may_list(&caller, q.user_id)?;
    let limit = pagination::limit(q.limit)?;
    let before = pagination::decode(q.cursor.as_deref())?;
    let (rows, more) =
        services::staff::tokens::list(&state.svc, &caller, q.user_id, before, limit).await?;
    let data: Vec<TokenView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |t| t.id)))
}

/// A new token for yourself.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// Permission codes, or `["all"]`. At most the scopes of the token making the request.
    pub scopes: Vec<String>,
}

/// A token just created: `token` is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// Send as `Authorization: Bearer <token>`; it cannot be shown again.
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

/// Creates a token for the calling user.
#[utoipa::path(
    post, path = "/api/v1/tokens", operation_id = "tokens.create", tag = "tokens",
    request_body = CreateToken,
    responses(
        (status = 201, description = "Created; the token is in the body, once", body = CreatedToken),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<CreateToken>,
) -> ApiResult<Response> {
    let body = body.parse()?;
    let requested = body.scopes.join(" ");
    let me = caller.principal.user.id;
    let caller = caller.caller();
    let (id, token) =
        services::staff::tokens::create(&state.svc, &caller, me, &body.name, &requested).await?;
    let info: TokenView = services::staff::tokens::get(&state.svc, &caller, id)
        .await?
        .into();
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, format!("/api/v1/tokens/{id}")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Json(CreatedToken { token, info }),
    )
        .into_response())
}

/// Revokes a token: your own, or anyone's with `users.manage`.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", operation_id = "tokens.revoke", tag = "tokens",
    params(IdPath),
    responses(
        (status = 204, description = "Revoked"),
        (status = 409, description = "Already revoked"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<StatusCode> {
    services::staff::tokens::revoke(&state.svc, &caller.caller(), p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
