//! The network area: the inventory (sites, devices, links) in
//! [`inventory`] and IP address management (prefixes, pools, assignments
//! and reservations) in [`ipam`].
//!
//! Existing NAS records are routers: each `nas` row has a device pointing
//! at it (`network_devices.nas_id`; migration 0031 made one per NAS, and
//! [`crate::nas::create`] adds one), so the RADIUS tables stay the AAA
//! runtime's and the inventory reads them.

pub mod demo;
pub mod inventory;
pub mod ipam;

pub use store::network::inventory::{Device, Filter, Link, Site};
pub use store::network::ipam::{Assignment, Filter as IpFilter, Pool, Prefix};

use domain::validate::{FieldError, Invalid};

use crate::Error;

/// Who may do what with the network, named once.
pub mod access {
    use domain::Permission;

    use crate::{Caller, Result};

    /// Reading the inventory and the address plan: `network.view` (or
    /// `network.manage`, which implies it).
    pub fn view(caller: &Caller) -> Result<()> {
        if caller.can(Permission::NetworkManage) {
            return Ok(());
        }
        caller.require(Permission::NetworkView)
    }

    /// Changing them, and assigning addresses: `network.manage`.
    pub fn manage(caller: &Caller) -> Result<()> {
        caller.require(Permission::NetworkManage)
    }
}

fn invalid(e: Invalid) -> Error {
    Error::invalid(e.field, e.error)
}

/// A referenced record that does not exist is a bad choice in the field
/// that named it.
fn missing(field: &'static str) -> impl FnOnce(Error) -> Error {
    move |e| match e {
        Error::NotFound => Error::invalid(field, FieldError::Choice),
        e => e,
    }
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}
