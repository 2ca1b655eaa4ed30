//! Built-in roles and the rules for custom ones.

use crate::staff::permission::{Permission, PermissionSet};

/// The roles every installation starts with. Their permissions are fixed;
/// custom roles are built by the provider from the permission list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinRole {
    Admin,
    Finance,
    Technician,
    Support,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 4] = [
        BuiltinRole::Admin,
        BuiltinRole::Finance,
        BuiltinRole::Technician,
        BuiltinRole::Support,
    ];

    /// The role's stored name.
    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Admin => "admin",
            BuiltinRole::Finance => "finance",
            BuiltinRole::Technician => "technician",
            BuiltinRole::Support => "support",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            BuiltinRole::Admin => PermissionSet::all(),
            BuiltinRole::Finance => [
                DashboardView,
                AuditView,
                JobsView,
                CustomersView,
                CustomersImport,
                PlansView,
                ContractsStatus,
                BillingView,
                BillingManage,
                BillingVoid,
                PaymentsView,
                PaymentsRecord,
                PaymentsRefund,
                CollectionsView,
                CollectionsManage,
                CollectionsUnlock,
            ]
            .into_iter()
            .collect(),
            BuiltinRole::Technician => [
                DashboardView,
                CustomersView,
                PlansView,
                ContractsManage,
                RadiusView,
                NetworkView,
            ]
            .into_iter()
            .collect(),
            BuiltinRole::Support => [
                DashboardView,
                UsersView,
                CustomersView,
                CustomersManage,
                CustomersDocuments,
                PlansView,
                ContractsManage,
                ContractsStatus,
                RadiusView,
                NetworkView,
                BillingView,
                PaymentsView,
                CollectionsView,
                CollectionsUnlock,
            ]
            .into_iter()
            .collect(),
        }
    }
}

/// Why a role name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleNameError {
    #[error("must be 2 to 40 characters")]
    Length,
    #[error("may contain only lowercase letters, digits, '-' and '_'")]
    Characters,
}

/// Role names are identifiers (used on the CLI: `user create --role finance`).
pub fn validate_role_name(name: &str) -> Result<(), RoleNameError> {
    if !(2..=40).contains(&name.chars().count()) {
        return Err(RoleNameError::Length);
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(RoleNameError::Characters);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_has_everything() {
        assert_eq!(BuiltinRole::Admin.permissions(), PermissionSet::all());
    }

    #[test]
    fn role_names() {
        assert_eq!(validate_role_name("billing-2"), Ok(()));
        assert_eq!(validate_role_name("a"), Err(RoleNameError::Length));
        assert_eq!(
            validate_role_name("Billing"),
            Err(RoleNameError::Characters)
        );
    }
}
