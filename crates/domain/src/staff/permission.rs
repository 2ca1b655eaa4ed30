//! The permission list. Every route and API call names one of these; roles
//! and API token scopes are sets of them.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// One thing a staff member (or an API token) may do.
///
/// The string codes (`users.manage`, …) are stored in the database and used as
/// API token scopes, so they never change once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    DashboardView,
    UsersView,
    UsersManage,
    RolesManage,
    AuditView,
    JobsView,
    JobsManage,
    SettingsView,
    SettingsManage,
    SecurityManage,
    SystemView,
    CustomersView,
    CustomersManage,
    CustomersDocuments,
    CustomersImport,
    PlansView,
    PlansManage,
    ContractsManage,
    ContractsStatus,
    RadiusView,
    RadiusManage,
    RadiusLookup,
    BillingView,
    BillingManage,
    BillingVoid,
    PaymentsView,
    PaymentsRecord,
    PaymentsRefund,
    CollectionsView,
    CollectionsManage,
    CollectionsUnlock,
    NetworkView,
    NetworkManage,
}

impl Permission {
    /// Every permission, in the order the role editor shows them.
    pub const ALL: [Permission; 33] = [
        Permission::DashboardView,
        Permission::UsersView,
        Permission::UsersManage,
        Permission::RolesManage,
        Permission::AuditView,
        Permission::JobsView,
        Permission::JobsManage,
        Permission::SettingsView,
        Permission::SettingsManage,
        Permission::SecurityManage,
        Permission::SystemView,
        Permission::CustomersView,
        Permission::CustomersManage,
        Permission::CustomersDocuments,
        Permission::CustomersImport,
        Permission::PlansView,
        Permission::PlansManage,
        Permission::ContractsManage,
        Permission::ContractsStatus,
        Permission::RadiusView,
        Permission::RadiusManage,
        Permission::RadiusLookup,
        Permission::BillingView,
        Permission::BillingManage,
        Permission::BillingVoid,
        Permission::PaymentsView,
        Permission::PaymentsRecord,
        Permission::PaymentsRefund,
        Permission::CollectionsView,
        Permission::CollectionsManage,
        Permission::CollectionsUnlock,
        Permission::NetworkView,
        Permission::NetworkManage,
    ];

    /// The stable code stored in the database and used as a token scope.
    pub fn code(self) -> &'static str {
        match self {
            Permission::DashboardView => "dashboard.view",
            Permission::UsersView => "users.view",
            Permission::UsersManage => "users.manage",
            Permission::RolesManage => "roles.manage",
            Permission::AuditView => "audit.view",
            Permission::JobsView => "jobs.view",
            Permission::JobsManage => "jobs.manage",
            Permission::SettingsView => "settings.view",
            Permission::SettingsManage => "settings.manage",
            Permission::SecurityManage => "security.manage",
            Permission::SystemView => "system.view",
            Permission::CustomersView => "customers.view",
            Permission::CustomersManage => "customers.manage",
            Permission::CustomersDocuments => "customers.documents",
            Permission::CustomersImport => "customers.import",
            Permission::PlansView => "plans.view",
            Permission::PlansManage => "plans.manage",
            Permission::ContractsManage => "contracts.manage",
            Permission::ContractsStatus => "contracts.status",
            Permission::RadiusView => "radius.view",
            Permission::RadiusManage => "radius.manage",
            Permission::RadiusLookup => "radius.lookup",
            Permission::BillingView => "billing.view",
            Permission::BillingManage => "billing.manage",
            Permission::BillingVoid => "billing.void",
            Permission::PaymentsView => "payments.view",
            Permission::PaymentsRecord => "payments.record",
            Permission::PaymentsRefund => "payments.refund",
            Permission::CollectionsView => "collections.view",
            Permission::CollectionsManage => "collections.manage",
            Permission::CollectionsUnlock => "collections.unlock",
            Permission::NetworkView => "network.view",
            Permission::NetworkManage => "network.manage",
        }
    }

    /// The i18n key of the permission's label (`perm-users-manage`, …).
    pub fn label_key(self) -> String {
        format!("perm-{}", self.code().replace('.', "-"))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A code that names no permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission `{0}`")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.code() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

/// A set of permissions, stored as space-separated codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    pub fn all() -> Self {
        PermissionSet(Permission::ALL.into_iter().collect())
    }

    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Permissions present in both sets (a token's scopes against its user's role).
    pub fn intersection(&self, other: &PermissionSet) -> PermissionSet {
        PermissionSet(self.0.intersection(&other.0).copied().collect())
    }

    /// Parses space- or comma-separated codes; `all` means every permission.
    pub fn parse(s: &str) -> Result<Self, UnknownPermission> {
        let mut set = BTreeSet::new();
        for code in s.split([' ', ',']).map(str::trim).filter(|c| !c.is_empty()) {
            if code == "all" {
                return Ok(Self::all());
            }
            set.insert(code.parse()?);
        }
        Ok(PermissionSet(set))
    }

    /// The storage form: codes separated by single spaces, sorted.
    pub fn to_codes(&self) -> String {
        self.0
            .iter()
            .map(|p| p.code())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<T: IntoIterator<Item = Permission>>(iter: T) -> Self {
        PermissionSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.code().parse::<Permission>(), Ok(p));
        }
    }

    #[test]
    fn set_parses_codes_and_all() {
        let s = PermissionSet::parse("users.view, audit.view").unwrap();
        assert_eq!(s.to_codes(), "users.view audit.view");
        assert_eq!(PermissionSet::parse("all").unwrap(), PermissionSet::all());
        assert_eq!(
            PermissionSet::parse("users.view nope").unwrap_err(),
            UnknownPermission("nope".into())
        );
    }

    #[test]
    fn intersection_limits_a_token_to_its_user() {
        let role = PermissionSet::parse("users.view audit.view").unwrap();
        let scopes = PermissionSet::all();
        assert_eq!(scopes.intersection(&role), role);
    }
}
