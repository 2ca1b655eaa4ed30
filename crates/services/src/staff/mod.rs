//! Staff users and roles: creation, edits, role permissions, allowlists.
//! Rules: built-in roles keep their permissions; a role in use cannot be
//! deleted; the last enabled admin cannot be disabled or moved to another
//! role.

pub mod auth;
pub mod firewall;
pub mod passwords;
pub mod tokens;
pub mod totp;

use domain::net::Allowlist;
use domain::staff::role::{BuiltinRole, validate_role_name};
use domain::{Locale, Permission, PermissionSet, validate};
use serde_json::json;
/// Staff accounts and roles as stored, for interfaces to name.
pub use store::staff::roles::{Role, RoleSummary};
pub use store::staff::users::{Filter, User};

use crate::{Actor, Caller, Change, Error, Result, Services, check};

/// The refusal of an own-account operation (password change, 2FA,
/// language) to a caller that is not a staff user: a job, the console or a
/// customer has no staff account of its own.
pub const OWN_ACCOUNT: &str = "own-account";

/// The staff user an own-account operation acts on: the caller's.
pub(crate) fn own_user(caller: &Caller) -> Result<i64> {
    caller.user_id().ok_or(Error::Forbidden(OWN_ACCOUNT))
}

/// Allows the account's own user, and whoever holds `p`.
pub(crate) fn require_self_or(caller: &Caller, user_id: i64, p: Permission) -> Result<()> {
    if caller.user_id() == Some(user_id) {
        Ok(())
    } else {
        caller.require(p)
    }
}

/// Allows whoever holds any of `perms` (an area's reads are open to its
/// view and its manage permission: a change's form and answer read what
/// it changes); the refusal names the first.
pub(crate) fn require_any(caller: &Caller, perms: &[Permission]) -> Result<()> {
    if perms.iter().any(|p| caller.can(*p)) {
        return Ok(());
    }
    match perms.first() {
        Some(p) => caller.require(*p),
        None => Ok(()),
    }
}

/// Who may read staff users.
const USERS_READ: &[Permission] = &[Permission::UsersView, Permission::UsersManage];

// The `may_*` functions are the refusal an entry point gives whatever its
// arguments, and the first thing it checks. Interfaces that read a request
// body or validate parameters before calling it ask them first, so a
// caller without the permission is refused before its input is looked at.

/// Whether `caller` may change staff users (`users.manage`).
pub fn may_manage_users(caller: &Caller) -> Result<()> {
    caller.require(Permission::UsersManage)
}

/// Whether `caller` may read staff users (`users.view` or `users.manage`).
pub fn may_view_users(caller: &Caller) -> Result<()> {
    require_any(caller, USERS_READ)
}

/// Whether `caller` may read and change roles (`roles.manage`).
pub fn may_manage_roles(caller: &Caller) -> Result<()> {
    caller.require(Permission::RolesManage)
}

/// A user's editable fields, as a form or API body gives them.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub locale: Option<String>,
    pub disabled: bool,
    pub ip_allowlist: String,
}

fn user_json(u: &User) -> serde_json::Value {
    json!({
        "username": u.username, "email": u.email, "display_name": u.display_name,
        "role": u.role_name, "locale": u.locale, "disabled": u.disabled,
        "ip_allowlist": u.ip_allowlist, "totp_enabled": u.totp_enabled,
    })
}

fn parse_allowlist(field: &'static str, s: &str) -> Result<String> {
    Allowlist::parse(s)
        .map(|a| a.to_text())
        .map_err(|e| Error::invalid_msg(field, e.to_string()))
}

fn parse_locale(l: &Option<String>) -> Result<Option<String>> {
    match l.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<Locale>()
            .map(|l| Some(l.tag().to_owned()))
            .map_err(|e| Error::invalid_msg("locale", e.to_string())),
    }
}

async fn role_by_name(conn: &mut store::AnyConnection, name: &str) -> Result<Role> {
    store::staff::roles::by_name(conn, name.trim())
        .await?
        .ok_or_else(|| Error::invalid_msg("role", format!("no role named `{}`", name.trim())))
}

/// Creates a user with a password (`users.manage`); returns the new id.
pub async fn create_user(
    svc: &Services,
    caller: &Caller,
    input: &UserInput,
    password: &str,
) -> Result<i64> {
    may_manage_users(caller)?;
    let username = input.username.trim();
    check("username", validate::username(username))?;
    check("email", validate::email(&input.email))?;
    check(
        "display_name",
        validate::required(
            if input.display_name.trim().is_empty() {
                username
            } else {
                &input.display_name
            },
            80,
        ),
    )?;
    check("password", validate::password(password))?;
    let allow = parse_allowlist("ip_allowlist", &input.ip_allowlist)?;
    let locale = parse_locale(&input.locale)?;
    let hash = crate::staff::passwords::hash(password)?;
    let mut tx = svc.db.begin().await?;
    let role = role_by_name(&mut tx, &input.role).await?;
    let display = if input.display_name.trim().is_empty() {
        username
    } else {
        input.display_name.trim()
    };
    let id = store::staff::users::insert(
        &mut tx,
        &store::staff::users::NewUser {
            username,
            email: input.email.trim(),
            display_name: display,
            password_hash: &hash,
            role_id: role.id,
            locale: locale.as_deref(),
            ip_allowlist: &allow,
        },
        store::now(),
    )
    .await?;
    let created = store::staff::users::get(&mut tx, id).await?;
    Change::new("user.create", "user", id)
        .after(user_json(&created))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Updates a user's profile, role, status and allowlist (`users.manage`).
pub async fn update_user(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &UserInput,
) -> Result<()> {
    may_manage_users(caller)?;
    write_user(svc, &caller.actor(), id, input).await
}

/// [`update_user`] once the caller is allowed (also a user's own profile).
async fn write_user(svc: &Services, actor: &Actor, id: i64, input: &UserInput) -> Result<()> {
    check("email", validate::email(&input.email))?;
    check("display_name", validate::required(&input.display_name, 80))?;
    let allow = parse_allowlist("ip_allowlist", &input.ip_allowlist)?;
    let locale = parse_locale(&input.locale)?;
    let mut tx = svc.db.begin().await?;
    let before = store::staff::users::get(&mut tx, id).await?;
    let role = role_by_name(&mut tx, &input.role).await?;
    let leaves_admin = before.role_name == BuiltinRole::Admin.name()
        && !before.disabled
        && (role.name != BuiltinRole::Admin.name() || input.disabled);
    if leaves_admin
        && store::staff::users::count_active_in_role_named(&mut tx, BuiltinRole::Admin.name())
            .await?
            <= 1
    {
        return Err(Error::Refused("last-admin"));
    }
    store::staff::users::update_profile(
        &mut tx,
        id,
        &store::staff::users::Profile {
            email: input.email.trim(),
            display_name: input.display_name.trim(),
            role_id: role.id,
            locale: locale.as_deref(),
            disabled: input.disabled,
            ip_allowlist: &allow,
        },
        store::now(),
    )
    .await?;
    if input.disabled {
        store::staff::sessions::delete_for_user(&mut tx, id).await?;
    }
    let after = store::staff::users::get(&mut tx, id).await?;
    Change::new("user.update", "user", id)
        .before(user_json(&before))
        .after(user_json(&after))
        .record(&mut tx, svc.db.engine(), actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes to a user, each field optional (an API `PATCH`): omitted fields
/// keep their value.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// The role's name.
    pub role: Option<String>,
    pub locale: Option<String>,
    pub disabled: Option<bool>,
    pub ip_allowlist: Option<String>,
    /// A new password; the user's sessions end.
    pub password: Option<String>,
}

/// Applies `changes` to user `id` (`users.manage`) and returns the user as
/// it is now. A new password is checked before anything is written.
pub async fn change_user(
    svc: &Services,
    caller: &Caller,
    id: i64,
    changes: &UserChanges,
) -> Result<User> {
    may_manage_users(caller)?;
    let actor = caller.actor();
    let user = {
        let mut c = svc.db.conn().await?;
        store::staff::users::get(&mut c, id).await?
    };
    if let Some(pw) = &changes.password {
        check("password", validate::password(pw))?;
    }
    let profile_change = changes.email.is_some()
        || changes.display_name.is_some()
        || changes.role.is_some()
        || changes.locale.is_some()
        || changes.disabled.is_some()
        || changes.ip_allowlist.is_some();
    if profile_change {
        let c = changes.clone();
        let input = UserInput {
            username: user.username.clone(),
            email: c.email.unwrap_or(user.email),
            display_name: c.display_name.unwrap_or(user.display_name),
            role: c.role.unwrap_or(user.role_name),
            locale: c.locale.or(user.locale),
            disabled: c.disabled.unwrap_or(user.disabled),
            ip_allowlist: c.ip_allowlist.unwrap_or(user.ip_allowlist),
        };
        write_user(svc, &actor, id, &input).await?;
    }
    if let Some(pw) = &changes.password {
        write_password(svc, &actor, id, pw).await?;
    }
    let mut c = svc.db.conn().await?;
    Ok(store::staff::users::get(&mut c, id).await?)
}

/// An admin sets a new password for someone (`users.manage`); their
/// sessions end.
pub async fn set_password(svc: &Services, caller: &Caller, id: i64, password: &str) -> Result<()> {
    may_manage_users(caller)?;
    write_password(svc, &caller.actor(), id, password).await
}

async fn write_password(svc: &Services, actor: &Actor, id: i64, password: &str) -> Result<()> {
    check("password", validate::password(password))?;
    let hash = crate::staff::passwords::hash(password)?;
    let mut tx = svc.db.begin().await?;
    store::staff::users::get(&mut tx, id).await?;
    store::staff::users::set_password_hash(&mut tx, id, &hash, store::now()).await?;
    store::staff::sessions::delete_for_user(&mut tx, id).await?;
    Change::new("user.password_set", "user", id)
        .record(&mut tx, svc.db.engine(), actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a user's 2FA (lost phone; `users.manage`); they enrol again at
/// next login if their role requires it.
pub async fn reset_2fa(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    may_manage_users(caller)?;
    clear_2fa(svc, &caller.actor(), id).await
}

/// Removes user `id`'s second factor, recorded as `user.2fa_reset`.
pub(crate) async fn clear_2fa(svc: &Services, actor: &Actor, id: i64) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    let before = store::staff::users::get(&mut tx, id).await?;
    store::staff::users::set_totp(&mut tx, id, None, false, store::now()).await?;
    store::staff::users::replace_recovery_codes(&mut tx, id, &[]).await?;
    Change::new("user.2fa_reset", "user", id)
        .before(json!({"totp_enabled": before.totp_enabled}))
        .after(json!({"totp_enabled": false}))
        .record(&mut tx, svc.db.engine(), actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A user: one's own, or anyone's with `users.view` (or `users.manage`).
pub async fn get_user(svc: &Services, caller: &Caller, id: i64) -> Result<User> {
    if caller.user_id() != Some(id) {
        may_view_users(caller)?;
    }
    let mut c = svc.db.conn().await?;
    Ok(store::staff::users::get(&mut c, id).await?)
}

/// The user named `username` (`users.view` or `users.manage`).
pub async fn user_by_username(svc: &Services, caller: &Caller, username: &str) -> Result<User> {
    may_view_users(caller)?;
    let mut c = svc.db.conn().await?;
    store::staff::users::by_username(&mut c, username.trim())
        .await?
        .ok_or(Error::NotFound)
}

/// A page of users (`users.view` or `users.manage`).
pub async fn list_users(
    svc: &Services,
    caller: &Caller,
    filter: &Filter,
) -> Result<(Vec<User>, bool)> {
    may_view_users(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::users::list(&mut c, filter).await?)
}

/// A role's editable fields.
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    pub name: String,
    /// Permission codes.
    pub permissions: Vec<String>,
    pub ip_allowlist: String,
}

fn role_json(r: &Role) -> serde_json::Value {
    json!({"name": r.name, "permissions": r.permissions, "ip_allowlist": r.ip_allowlist})
}

fn parse_permissions(codes: &[String]) -> Result<PermissionSet> {
    PermissionSet::parse(&codes.join(" "))
        .map_err(|e| Error::invalid_msg("permissions", e.to_string()))
}

/// Creates a custom role (`roles.manage`).
pub async fn create_role(svc: &Services, caller: &Caller, input: &RoleInput) -> Result<i64> {
    may_manage_roles(caller)?;
    let name = input.name.trim();
    validate_role_name(name).map_err(|e| Error::invalid_msg("name", e.to_string()))?;
    let perms = parse_permissions(&input.permissions)?;
    let allow = parse_allowlist("ip_allowlist", &input.ip_allowlist)?;
    let mut tx = svc.db.begin().await?;
    let id = store::staff::roles::insert(
        &mut tx,
        name,
        false,
        &perms.to_codes(),
        &allow,
        store::now(),
    )
    .await?;
    let role = store::staff::roles::get(&mut tx, id).await?;
    Change::new("role.create", "role", id)
        .after(role_json(&role))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Updates a role (`roles.manage`). Built-in roles keep their name and
/// permissions; only their allowlist changes.
pub async fn update_role(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &RoleInput,
) -> Result<()> {
    may_manage_roles(caller)?;
    let allow = parse_allowlist("ip_allowlist", &input.ip_allowlist)?;
    let mut tx = svc.db.begin().await?;
    let before = store::staff::roles::get(&mut tx, id).await?;
    let (name, perms) = if before.builtin {
        (before.name.clone(), before.permissions.clone())
    } else {
        let name = input.name.trim().to_owned();
        validate_role_name(&name).map_err(|e| Error::invalid_msg("name", e.to_string()))?;
        (name, parse_permissions(&input.permissions)?.to_codes())
    };
    store::staff::roles::update(&mut tx, id, &name, &perms, &allow, store::now()).await?;
    let after = store::staff::roles::get(&mut tx, id).await?;
    Change::new("role.update", "role", id)
        .before(role_json(&before))
        .after(role_json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a custom role no user holds (`roles.manage`).
pub async fn delete_role(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    may_manage_roles(caller)?;
    let mut tx = svc.db.begin().await?;
    let role = store::staff::roles::get(&mut tx, id).await?;
    if role.builtin {
        return Err(Error::Refused("role-builtin"));
    }
    if store::staff::users::count_with_role(&mut tx, id).await? > 0 {
        return Err(Error::Refused("role-in-use"));
    }
    store::staff::roles::delete(&mut tx, id).await?;
    Change::new("role.delete", "role", id)
        .before(role_json(&role))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Every role, for the role editor (`roles.manage`).
pub async fn list_roles(svc: &Services, caller: &Caller) -> Result<Vec<RoleSummary>> {
    may_manage_roles(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::roles::list(&mut c).await?)
}

/// Every role, as the choices of a user's role and the users list's
/// filter (`users.view` or `users.manage`; `roles.manage` too).
pub async fn role_choices(svc: &Services, caller: &Caller) -> Result<Vec<RoleSummary>> {
    require_any(
        caller,
        &[
            Permission::UsersView,
            Permission::UsersManage,
            Permission::RolesManage,
        ],
    )?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::roles::list(&mut c).await?)
}

/// One role (`roles.manage`).
pub async fn get_role(svc: &Services, caller: &Caller, id: i64) -> Result<Role> {
    may_manage_roles(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::roles::get(&mut c, id).await?)
}

/// The calling user's own language choice.
pub async fn set_locale(svc: &Services, caller: &Caller, locale: Locale) -> Result<()> {
    let id = own_user(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = store::staff::users::get(&mut tx, id).await?;
    if before.locale.as_deref() == Some(locale.tag()) {
        return Ok(());
    }
    store::staff::users::set_locale(&mut tx, id, Some(locale.tag()), store::now()).await?;
    Change::new("user.locale", "user", id)
        .before(json!({"locale": before.locale}))
        .after(json!({"locale": locale.tag()}))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Counts for the dashboard.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub users: i64,
    pub active_sessions: i64,
    pub audit_today: i64,
    pub active_bans: i64,
}

/// The dashboard's counts; [`crate::system::health::dashboard`] checks the
/// caller.
pub(crate) async fn overview(svc: &Services) -> Result<Overview> {
    let mut c = svc.db.conn().await?;
    let now = store::now();
    Ok(Overview {
        users: store::staff::users::count(&mut c).await?,
        active_sessions: store::staff::sessions::count_active(&mut c, now).await?,
        audit_today: store::system::audit::count_since(&mut c, now - 86_400).await?,
        active_bans: store::staff::security::active_bans(&mut c, now)
            .await?
            .len() as i64,
    })
}

/// The calling user edits their own name, e-mail and language (not role
/// or status).
pub async fn update_own_profile(
    svc: &Services,
    caller: &Caller,
    email: &str,
    display_name: &str,
    locale: Option<String>,
) -> Result<()> {
    let id = own_user(caller)?;
    let user = get_user(svc, caller, id).await?;
    let input = UserInput {
        username: user.username.clone(),
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        role: user.role_name.clone(),
        locale,
        disabled: user.disabled,
        ip_allowlist: user.ip_allowlist.clone(),
    };
    write_user(svc, &caller.actor(), id, &input).await
}
