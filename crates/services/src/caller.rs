//! Who calls a service, and what they may do.
//!
//! Every service entry point takes a [`Caller`] and decides itself whether
//! the call is allowed: interfaces (pages, the API, the CLI, jobs) only
//! build the caller and translate a refusal. So a new interface — the
//! customer portal, a technician app, a bot — cannot forget a check its
//! handler never wrote.

use std::net::IpAddr;

use domain::Permission;

use crate::staff::auth::Principal;
use crate::{Actor, Error, Result};

/// The one who makes a service call.
// Built once per request and passed by reference: boxing the staff
// variant would add an allocation and save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Caller {
    /// A staff user signed in to the panel, or an API token (whose
    /// permissions are already the token's scopes within its user's role).
    /// A field technician is a staff user whose role grants field work.
    Staff {
        principal: Principal,
        source_ip: Option<IpAddr>,
    },
    /// A subscriber: reaches only its own records, never staff functions.
    Customer {
        customer_id: i64,
        name: String,
        source_ip: Option<IpAddr>,
    },
    /// A background job or scheduler acting for the installation.
    System { job: &'static str },
    /// The operator at the server's console (`lastmile …` commands), who
    /// already holds the machine; `name` is the system user, for the log.
    Cli { name: String },
}

impl Caller {
    /// A staff user or API token calling from `source_ip`.
    pub fn staff(principal: Principal, source_ip: Option<IpAddr>) -> Caller {
        Caller::Staff {
            principal,
            source_ip,
        }
    }

    /// A background job named `job` (shown in the audit log).
    pub fn system(job: &'static str) -> Caller {
        Caller::System { job }
    }

    /// The operator at the console, named by `SUDO_USER` or `USER`.
    pub fn cli() -> Caller {
        let name = std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "cli".into());
        Caller::Cli { name }
    }

    /// Whether the caller holds `p`. Customers hold no staff permission;
    /// jobs and the console hold all.
    pub fn can(&self, p: Permission) -> bool {
        match self {
            Caller::Staff { principal, .. } => principal.can(p),
            Caller::Customer { .. } => false,
            Caller::System { .. } | Caller::Cli { .. } => true,
        }
    }

    /// `Err(Forbidden)` naming the missing permission.
    pub fn require(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            Ok(())
        } else {
            Err(Error::Forbidden(p.code()))
        }
    }

    /// Allows staff holding `p` and the customer `customer_id` itself;
    /// refuses every other customer as if the record did not exist, so ids
    /// cannot be probed.
    pub fn require_for_customer(&self, p: Permission, customer_id: i64) -> Result<()> {
        match self {
            Caller::Customer {
                customer_id: own, ..
            } if *own == customer_id => Ok(()),
            Caller::Customer { .. } => Err(Error::NotFound),
            _ => self.require(p),
        }
    }

    /// The staff user behind the call, if any.
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Caller::Staff { principal, .. } => Some(principal.user.id),
            _ => None,
        }
    }

    /// How the audit log, the outbox and the timeline name the caller.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Staff {
                principal,
                source_ip,
            } => principal.actor(*source_ip),
            Caller::Customer {
                customer_id,
                name,
                source_ip,
            } => Actor {
                kind: "customer",
                id: Some(*customer_id),
                name: name.clone(),
                source_ip: source_ip.map(|i| i.to_string()),
            },
            Caller::System { job } => crate::system::jobs::system_actor(job),
            Caller::Cli { name } => Actor {
                kind: "cli",
                id: None,
                name: name.clone(),
                source_ip: None,
            },
        }
    }
}
