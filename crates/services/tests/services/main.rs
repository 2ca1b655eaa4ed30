//! Service tests, each run on SQLite and on PostgreSQL
//! (`store::testing::each_engine`).

#![allow(clippy::unwrap_used)]

mod accounts;
mod admin_access;
mod backup;
mod billing;
mod billing_docs;
mod billing_reports;
mod cards;
mod collections;
mod contract_terms;
mod crm;
mod crm_access;
mod crm_forms;
mod crmdata;
mod discounts;
mod documents;
mod email;
mod jobs;
mod network;
mod paydoc;
mod payment_gateways;
mod payments;
mod pix_automatico;
mod radius;
mod recon;
mod schedule;
mod staff_charges;

use std::path::PathBuf;
use std::time::Duration;

use domain::PermissionSet;
use services::staff::auth::Principal;
use services::{Actor, Caller, Services};
use store::Db;

/// Services over `db` with a fresh data dir.
pub fn svc(db: &Db) -> Services {
    let dir = data_dir();
    Services::new(
        db.clone(),
        services::secrets::SecretBox::from_key(&[7; 32]),
        dir,
    )
}

pub fn data_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "lastmile-svc-tests/{}-{}-{}",
        std::process::id(),
        store::now(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn admin() -> Actor {
    Actor {
        kind: "user",
        id: Some(1),
        name: "admin".into(),
        source_ip: Some("192.0.2.10".into()),
    }
}

/// A signed-in staff caller holding the admin role's permissions: the same
/// user, name and address as [`admin`], so audit entries read alike.
pub fn admin_caller() -> Caller {
    staff_with(domain::staff::role::BuiltinRole::Admin.permissions())
}

/// A staff caller as [`admin_caller`] holding only `permissions` (a
/// narrower role, or an API token's scopes).
pub fn staff_with(permissions: PermissionSet) -> Caller {
    let user = store::staff::users::User {
        id: 1,
        username: "admin".into(),
        email: "admin@example.net".into(),
        display_name: "Admin".into(),
        password_hash: String::new(),
        role_id: 1,
        role_name: "admin".into(),
        role_permissions: permissions.to_codes(),
        role_ip_allowlist: String::new(),
        locale: None,
        disabled: false,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: 0,
        ip_allowlist: String::new(),
        created_at: 0,
        updated_at: 0,
        last_login_at: None,
    };
    Caller::staff(
        Principal {
            user,
            permissions,
            token_id: None,
        },
        Some([192, 0, 2, 10].into()),
    )
}

/// Polls `check` until it returns `Some`, failing after `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Audit entries with `action`.
pub async fn audited(svc: &Services, action: &str) -> Vec<store::system::audit::Entry> {
    let query = services::system::audit::Query {
        action: Some(action.into()),
        limit: 100,
        ..Default::default()
    };
    services::system::audit::list(svc, &Caller::cli(), &query)
        .await
        .unwrap()
        .0
}
