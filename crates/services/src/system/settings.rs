//! Reading and changing settings. Values are validated by
//! `domain::system::settings`, secrets are encrypted at rest, and every change is
//! audited (secrets as `***`).
//!
//! Reads come from a snapshot cached for a few seconds: the auth path reads
//! timeouts on every request, and a change made on another node is seen
//! within [`CACHE_TTL`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use domain::Permission;
use domain::system::settings::{self as defs, Kind};

use crate::{Caller, Change, Error, Result, Services};

pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// Every setting's current value (defaults filled in; secrets still encrypted).
#[derive(Debug, Clone, Default)]
pub struct Settings(HashMap<String, String>);

impl Settings {
    pub fn raw(&self, key: &str) -> &str {
        self.0
            .get(key)
            .map(String::as_str)
            .or_else(|| defs::def(key).map(|d| d.default))
            .unwrap_or("")
    }
    pub fn int(&self, key: &str) -> i64 {
        self.raw(key).parse().unwrap_or_else(|_| {
            defs::def(key)
                .and_then(|d| d.default.parse().ok())
                .unwrap_or(0)
        })
    }
    pub fn bool(&self, key: &str) -> bool {
        self.raw(key) == "true"
    }
    pub fn list(&self, key: &str) -> Vec<String> {
        self.raw(key)
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
    /// A secret, decrypted; empty if unset.
    pub fn secret(&self, svc: &Services, key: &str) -> Result<String> {
        let raw = self.raw(key);
        if raw.is_empty() {
            return Ok(String::new());
        }
        svc.secrets
            .decrypt(raw)
            .map_err(|e| Error::Internal(e.to_string()))
    }
    /// Value as shown to staff and API clients: secrets masked.
    pub fn display(&self, key: &str) -> String {
        match defs::def(key).map(|d| d.kind) {
            Some(k) if k.is_secret() && !self.raw(key).is_empty() => "********".into(),
            Some(k) if k.is_secret() => String::new(),
            _ => self.raw(key).to_owned(),
        }
    }
}

/// The address customers reach this installation at, without a trailing
/// slash: the `email.public_url` setting, else the configuration's
/// `public_url`; `None` when neither is set. Links sent by jobs (invoice
/// e-mails, reminders) have no request whose `Host` they could use, and a
/// `Host` header is the client's to choose, so they never guess.
pub async fn public_url(svc: &Services) -> Result<Option<String>> {
    let s = current(svc).await?;
    let set = s.raw(defs::PUBLIC_URL).trim_end_matches('/');
    Ok(if set.is_empty() {
        svc.public_url.clone().filter(|u| !u.is_empty())
    } else {
        Some(set.to_owned())
    })
}

/// The public payment page of invoice `public_id` (`{public_url}/pay/{id}`),
/// when the public address is known.
pub async fn pay_link(svc: &Services, public_id: &str) -> Result<Option<String>> {
    Ok(public_url(svc)
        .await?
        .map(|base| format!("{base}/pay/{public_id}")))
}

/// The cached settings snapshot: the installation's configuration as code
/// reads it (sign-in, jobs, the RADIUS server), for no one in particular.
/// Staff reading the settings go through [`read`].
pub async fn current(svc: &Services) -> Result<Arc<Settings>> {
    svc.caches
        .settings
        .get_or_load(|| async {
            let mut c = svc.db.conn().await?;
            Ok(Settings(store::system::settings::all(&mut c).await?))
        })
        .await
}

/// Whether `caller` may read the settings (`settings.view` or
/// `settings.manage`).
pub fn may_read(caller: &Caller) -> Result<()> {
    crate::staff::require_any(
        caller,
        &[Permission::SettingsView, Permission::SettingsManage],
    )
}

/// Whether `caller` may change the settings (`settings.manage`): what
/// [`update`] checks first, for interfaces that read a body before.
pub fn may_update(caller: &Caller) -> Result<()> {
    caller.require(Permission::SettingsManage)
}

/// The settings as the settings pages and the API show them
/// (`settings.view` or `settings.manage`).
pub async fn read(svc: &Services, caller: &Caller) -> Result<Arc<Settings>> {
    may_read(caller)?;
    current(svc).await
}

pub(crate) fn invalidate(svc: &Services) {
    svc.caches.settings.invalidate();
}

/// Validates and stores several settings at once (all or nothing;
/// `settings.manage`). An empty value for a secret keeps the stored one.
/// Returns the keys that changed.
pub async fn update(
    svc: &Services,
    caller: &Caller,
    values: &BTreeMap<String, String>,
) -> Result<Vec<String>> {
    may_update(caller)?;
    let actor = caller.actor();
    let field_name =
        |key: &str| -> &'static str { defs::def(key).map(|d| d.key).unwrap_or("settings") };
    let mut normalized = Vec::new();
    for (key, value) in values {
        let def = defs::def(key)
            .ok_or_else(|| Error::invalid_msg("settings", format!("unknown setting `{key}`")))?;
        if def.kind.is_secret() && value.is_empty() {
            continue;
        }
        let v = defs::normalize(key, value)
            .map_err(|e| Error::invalid_msg(field_name(key), e.to_string()))?;
        normalized.push((def, v));
    }
    let mut tx = svc.db.begin().await?;
    for (def, v) in &normalized {
        if def.kind == Kind::RoleList {
            for role in v.split(',').filter(|r| !r.is_empty()) {
                if store::staff::roles::by_name(&mut tx, role).await?.is_none() {
                    return Err(Error::invalid_msg(
                        def.key,
                        format!("no role named `{role}`"),
                    ));
                }
            }
        }
    }
    let before = store::system::settings::all(&mut tx).await?;
    let mut changed = Vec::new();
    let now = store::now();
    for (def, v) in normalized {
        let old = before
            .get(def.key)
            .map(String::as_str)
            .unwrap_or(def.default);
        let is_secret = def.kind.is_secret();
        if !is_secret && old == v {
            continue;
        }
        let stored = if is_secret && !v.is_empty() {
            svc.secrets.encrypt(&v)
        } else {
            v.clone()
        };
        store::system::settings::set(&mut tx, def.key, &stored, now).await?;
        let shown = |s: &str| {
            if is_secret {
                serde_json::json!("***")
            } else {
                serde_json::json!(s)
            }
        };
        Change::new("setting.update", "setting", def.key)
            .before(shown(old))
            .after(shown(&v))
            .record(&mut tx, svc.db.engine(), &actor)
            .await?;
        changed.push(def.key.to_owned());
    }
    tx.commit().await?;
    invalidate(svc);
    Ok(changed)
}
