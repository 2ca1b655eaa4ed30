//! Scoped API tokens: shown once, stored hashed, revocable, last use recorded.

use domain::{Permission, PermissionSet};
use serde_json::json;
pub use store::staff::api_tokens::ApiToken;

use crate::staff::auth::{Principal, new_token, token_hash};
use crate::staff::require_self_or;
use crate::{Caller, Change, Error, Result, Services, check};

/// Every token starts with this, so secret scanners and people recognise it.
pub const PREFIX: &str = "lm_";

/// Creates a token for `user_id` (oneself, or anyone with `users.manage`)
/// with `scopes` (permission codes, comma- or space-separated, or `all`).
/// A token can hand out only scopes it holds itself. Returns its id and the
/// token, which is never shown again.
pub async fn create(
    svc: &Services,
    caller: &Caller,
    user_id: i64,
    name: &str,
    scopes: &str,
) -> Result<(i64, String)> {
    require_self_or(caller, user_id, Permission::UsersManage)?;
    let scopes = scopes.trim();
    let wanted =
        PermissionSet::parse(scopes).map_err(|e| Error::invalid_msg("scopes", e.to_string()))?;
    if let Caller::Staff { principal, .. } = caller
        && let Some(own) = principal.token_id
    {
        let mine = {
            let mut c = svc.db.conn().await?;
            store::staff::api_tokens::get(&mut c, own).await?
        };
        if mine.scopes.trim() != "all" {
            let held = PermissionSet::parse(&mine.scopes).unwrap_or_default();
            if let Some(p) = wanted.iter().find(|p| !held.contains(*p)) {
                return Err(Error::Forbidden(p.code()));
            }
        }
    }
    check("name", domain::validate::required(name, 80))?;
    let stored = if scopes == "all" {
        "all".to_owned()
    } else {
        let set = PermissionSet::parse(scopes)
            .map_err(|e| Error::invalid_msg("scopes", e.to_string()))?;
        if set.is_empty() {
            return Err(Error::invalid_msg(
                "scopes",
                "choose at least one scope, or `all`",
            ));
        }
        set.to_codes()
    };
    let (raw, _) = new_token();
    let token = format!("{PREFIX}{raw}");
    let mut tx = svc.db.begin().await?;
    store::staff::users::get(&mut tx, user_id).await?;
    let id = store::staff::api_tokens::insert(
        &mut tx,
        user_id,
        name.trim(),
        &token[..10],
        &token_hash(&token),
        &stored,
        store::now(),
    )
    .await?;
    Change::new("token.create", "api_token", id)
        .after(json!({"user_id": user_id, "name": name.trim(), "scopes": stored}))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// The principal behind a bearer token: the user's role permissions narrowed
/// to the token's scopes. `None` for unknown, revoked or disabled.
pub async fn authenticate(svc: &Services, token: &str) -> Result<Option<Principal>> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let mut c = svc.db.conn().await?;
    let Some(t) = store::staff::api_tokens::by_hash(&mut c, &token_hash(token)).await? else {
        return Ok(None);
    };
    if t.revoked_at.is_some() {
        return Ok(None);
    }
    let user = store::staff::users::get(&mut c, t.user_id).await?;
    if user.disabled {
        return Ok(None);
    }
    let role = PermissionSet::parse(&user.role_permissions).unwrap_or_default();
    let scopes = PermissionSet::parse(&t.scopes).unwrap_or_default();
    let now = store::now();
    if t.last_used_at.is_none_or(|at| now - at >= 60) {
        store::staff::api_tokens::touch(&mut c, t.id, now).await?;
    }
    Ok(Some(Principal {
        user,
        permissions: role.intersection(&scopes),
        token_id: Some(t.id),
    }))
}

/// Revokes a token: its owner, or anyone with `users.manage`.
pub async fn revoke(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    let t = store::staff::api_tokens::get(&mut tx, id).await?;
    require_self_or(caller, t.user_id, Permission::UsersManage)?;
    if !store::staff::api_tokens::revoke(&mut tx, id, store::now()).await? {
        return Err(Error::Refused("token-revoked"));
    }
    Change::new("token.revoke", "api_token", id)
        .before(json!({"revoked": false}))
        .after(json!({"revoked": true}))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Whose tokens [`list`] shows `caller` for `user_id`: that user's (one's
/// own, or anyone's with `users.manage`), or without `user_id` everyone's
/// (`None`) for holders of `users.manage` and one's own for others.
/// Interfaces that validate paging first ask this before.
pub fn may_list(caller: &Caller, user_id: Option<i64>) -> Result<Option<i64>> {
    match user_id {
        Some(u) => {
            require_self_or(caller, u, Permission::UsersManage)?;
            Ok(Some(u))
        }
        None if caller.can(Permission::UsersManage) => Ok(None),
        None => caller
            .user_id()
            .map(Some)
            .ok_or(Error::Forbidden(Permission::UsersManage.code())),
    }
}

/// A page of tokens, newest first, of the users [`may_list`] names.
pub async fn list(
    svc: &Services,
    caller: &Caller,
    user_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<ApiToken>, bool)> {
    let user_id = may_list(caller, user_id)?;
    let mut c = svc.db.conn().await?;
    Ok(store::staff::api_tokens::list(&mut c, user_id, before, limit).await?)
}

/// One token: one's own, or anyone's with `users.manage`.
pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<ApiToken> {
    let mut c = svc.db.conn().await?;
    let t = store::staff::api_tokens::get(&mut c, id).await?;
    require_self_or(caller, t.user_id, Permission::UsersManage)?;
    Ok(t)
}
