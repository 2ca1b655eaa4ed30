//! `/api/v1/me`: who the token belongs to and what it may do.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use crate::extract::Caller;
use crate::problem::ApiResult;
use crate::staff::users::UserView;

/// `/api/v1/me`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show))
}

/// The caller: the token's user and the token's effective permissions
/// (the user's role narrowed to the token's scopes).
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    /// Permission codes this token may use.
    pub permissions: Vec<String>,
    /// The id of the token making the request.
    pub token_id: Option<i64>,
}

/// The calling token's user and effective permissions.
#[utoipa::path(
    get, path = "/api/v1/me", operation_id = "me.show", tag = "me",
    responses(
        (status = 200, description = "The caller", body = Me),
    ),
    security(("bearer" = []))
)]
pub async fn show(caller: Caller) -> ApiResult<Json<Me>> {
    let p = caller.principal;
    Ok(Json(Me {
        permissions: p.permissions.iter().map(|x| x.code().to_owned()).collect(),
        token_id: p.token_id,
        user: p.user.into(),
    }))
}
