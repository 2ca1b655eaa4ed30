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
use domain::{Locale, PermissionSet, validate};
use serde_json::json;
use store::staff::roles::{Role, RoleSummary};
use store::staff::users::{Filter, User};

use crate::{Actor, Error, Result, Services, check};

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

/// Creates a user with a password; returns the new id.
pub async fn create_user(
    svc: &Services,
    actor: &Actor,
    input: &UserInput,
    password: &str,
) -> Result<i64> {
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
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "user.create",
        "user",
        id,
        None,
        Some(user_json(&created)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Updates a user's profile, role, status and allowlist.
pub async fn update_user(svc: &Services, actor: &Actor, id: i64, input: &UserInput) -> Result<()> {
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
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "user.update",
        "user",
        id,
        Some(user_json(&before)),
        Some(user_json(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An admin sets a new password for someone; their sessions end.
pub async fn set_password(svc: &Services, actor: &Actor, id: i64, password: &str) -> Result<()> {
    check("password", validate::password(password))?;
    let hash = crate::staff::passwords::hash(password)?;
    let mut tx = svc.db.begin().await?;
    store::staff::users::get(&mut tx, id).await?;
    store::staff::users::set_password_hash(&mut tx, id, &hash, store::now()).await?;
    store::staff::sessions::delete_for_user(&mut tx, id).await?;
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "user.password_set",
        "user",
        id,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a user's 2FA (lost phone); they enrol again at next login if
/// their role requires it.
pub async fn reset_2fa(svc: &Services, actor: &Actor, id: i64) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    let before = store::staff::users::get(&mut tx, id).await?;
    store::staff::users::set_totp(&mut tx, id, None, false, store::now()).await?;
    store::staff::users::replace_recovery_codes(&mut tx, id, &[]).await?;
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "user.2fa_reset",
        "user",
        id,
        Some(json!({"totp_enabled": before.totp_enabled})),
        Some(json!({"totp_enabled": false})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get_user(svc: &Services, id: i64) -> Result<User> {
    let mut c = svc.db.conn().await?;
    Ok(store::staff::users::get(&mut c, id).await?)
}

pub async fn user_by_username(svc: &Services, username: &str) -> Result<User> {
    let mut c = svc.db.conn().await?;
    store::staff::users::by_username(&mut c, username.trim())
        .await?
        .ok_or(Error::NotFound)
}

pub async fn list_users(svc: &Services, filter: &Filter) -> Result<(Vec<User>, bool)> {
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

pub async fn create_role(svc: &Services, actor: &Actor, input: &RoleInput) -> Result<i64> {
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
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "role.create",
        "role",
        id,
        None,
        Some(role_json(&role)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Updates a role. Built-in roles keep their name and permissions; only
/// their allowlist changes.
pub async fn update_role(svc: &Services, actor: &Actor, id: i64, input: &RoleInput) -> Result<()> {
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
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "role.update",
        "role",
        id,
        Some(role_json(&before)),
        Some(role_json(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_role(svc: &Services, actor: &Actor, id: i64) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    let role = store::staff::roles::get(&mut tx, id).await?;
    if role.builtin {
        return Err(Error::Refused("role-builtin"));
    }
    if store::staff::users::count_with_role(&mut tx, id).await? > 0 {
        return Err(Error::Refused("role-in-use"));
    }
    store::staff::roles::delete(&mut tx, id).await?;
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "role.delete",
        "role",
        id,
        Some(role_json(&role)),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_roles(svc: &Services) -> Result<Vec<RoleSummary>> {
    let mut c = svc.db.conn().await?;
    Ok(store::staff::roles::list(&mut c).await?)
}

pub async fn get_role(svc: &Services, id: i64) -> Result<Role> {
    let mut c = svc.db.conn().await?;
    Ok(store::staff::roles::get(&mut c, id).await?)
}

/// A user's own language choice.
pub async fn set_locale(svc: &Services, actor: &Actor, id: i64, locale: Locale) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    let before = store::staff::users::get(&mut tx, id).await?;
    if before.locale.as_deref() == Some(locale.tag()) {
        return Ok(());
    }
    store::staff::users::set_locale(&mut tx, id, Some(locale.tag()), store::now()).await?;
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "user.locale",
        "user",
        id,
        Some(json!({"locale": before.locale})),
        Some(json!({"locale": locale.tag()})),
    )
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

pub async fn overview(svc: &Services) -> Result<Overview> {
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

/// A user edits their own name, e-mail and language (not role or status).
pub async fn update_own_profile(
    svc: &Services,
    actor: &Actor,
    id: i64,
    email: &str,
    display_name: &str,
    locale: Option<String>,
) -> Result<()> {
    let user = get_user(svc, id).await?;
    let input = UserInput {
        username: user.username.clone(),
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        role: user.role_name.clone(),
        locale,
        disabled: user.disabled,
        ip_allowlist: user.ip_allowlist.clone(),
    };
    update_user(svc, actor, id, &input).await
}
