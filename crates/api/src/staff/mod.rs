//! Staff: the calling token (`/me`), users, roles and API tokens.

pub mod me;
pub mod roles;
pub mod tokens;
pub mod users;

use utoipa_axum::router::OpenApiRouter;
use webkit::state::AppState;

/// The staff area's paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(me::routes())
        .merge(users::routes())
        .merge(roles::routes())
        .merge(tokens::routes())
}
