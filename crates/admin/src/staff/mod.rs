//! Staff: users, roles, the security page (bans), and each user's own
//! account (profile, password, second factor, API tokens).

pub mod account;
pub mod roles;
pub mod security;
pub mod users;

use axum::Router;
use axum::routing::{get, post};
use domain::Permission;
use webkit::state::AppState;

use crate::views::AdminItem;

/// The users' administration entry.
pub const USERS: AdminItem = AdminItem {
    key: "users",
    href: "/users",
    perm: Permission::UsersView,
};

/// The roles' administration entry.
pub const ROLES: AdminItem = AdminItem {
    key: "roles",
    href: "/roles",
    perm: Permission::RolesManage,
};

/// The security page's administration entry.
pub const SECURITY: AdminItem = AdminItem {
    key: "security",
    href: "/security",
    perm: Permission::SecurityManage,
};

/// Users, roles, security and the signed-in user's account.
pub fn routes() -> Router<AppState> {
    use account as a;
    Router::new()
        .route("/users", get(users::list))
        .route("/users/new", get(users::new_form).post(users::create))
        .route("/users/{id}", get(users::edit_form).post(users::update))
        .route("/users/{id}/password", post(users::set_password))
        .route("/users/{id}/reset-2fa", post(users::reset_2fa))
        .route(
            "/users/{id}/logout-everywhere",
            post(users::logout_everywhere),
        )
        .route("/roles", get(roles::list))
        .route("/roles/new", get(roles::new_form).post(roles::create))
        .route("/roles/{id}", get(roles::edit_form).post(roles::update))
        .route("/roles/{id}/delete", post(roles::delete))
        .route("/security", get(security::show))
        .route("/security/bans/{id}/lift", post(security::lift))
        .route("/account", get(a::show).post(a::save_profile))
        .route("/account/password", post(a::change_password))
        .route("/account/logout-everywhere", post(a::logout_everywhere))
        .route(
            "/account/2fa",
            get(a::two_factor).post(a::two_factor_confirm),
        )
        .route("/account/2fa/start", post(a::two_factor_start))
        .route("/account/2fa/disable", post(a::two_factor_disable))
        .route("/account/tokens", post(a::create_token))
        .route("/account/tokens/{id}/revoke", post(a::revoke_token))
}
