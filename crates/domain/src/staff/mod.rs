//! Staff: the permission list, built-in roles and sign-in throttling.

pub mod permission;
pub mod role;
pub mod throttle;
