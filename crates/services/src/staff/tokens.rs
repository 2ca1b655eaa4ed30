//! Scoped API tokens: shown once, stored hashed, revocable, last use recorded.

use domain::{Permission, PermissionSet};
use serde_json::json;
use store::staff::api_tokens::ApiToken;

use crate::staff::auth::{Principal, new_token, token_hash};
use crate::{Actor, Error, Result, Services, check};

/// Every token starts with this, so secret scanners and people recognise it.
pub const PREFIX: &str = "lm_";

/// Creates a token for `user_id` with `scopes` (permission codes, comma- or
/// space-separated, or `all`). Returns its id and the token, which is never
/// shown again.
pub async fn create(
    svc: &Services,
    actor: &Actor,
    user_id: i64,
    name: &str,
    scopes: &str,
) -> Result<(i64, String)> {
    check("name", domain::validate::required(name, 80))?;
    let scopes = scopes.trim();
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
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "token.create",
        "api_token",
        id,
        None,
        Some(json!({"user_id": user_id, "name": name.trim(), "scopes": stored})),
    )
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
pub async fn revoke(svc: &Services, by: &Principal, source: &Actor, id: i64) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    let t = store::staff::api_tokens::get(&mut tx, id).await?;
    if t.user_id != by.user.id && !by.can(Permission::UsersManage) {
        return Err(Error::Forbidden(Permission::UsersManage.code()));
    }
    if !store::staff::api_tokens::revoke(&mut tx, id, store::now()).await? {
        return Err(Error::Refused("token-revoked"));
    }
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        source,
        "token.revoke",
        "api_token",
        id,
        Some(json!({"revoked": false})),
        Some(json!({"revoked": true})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(
    svc: &Services,
    user_id: Option<i64>,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<ApiToken>, bool)> {
    let mut c = svc.db.conn().await?;
    Ok(store::staff::api_tokens::list(&mut c, user_id, before, limit).await?)
}

pub async fn get(svc: &Services, id: i64) -> Result<ApiToken> {
    let mut c = svc.db.conn().await?;
    Ok(store::staff::api_tokens::get(&mut c, id).await?)
}
