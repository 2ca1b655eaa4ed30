//! Lastmile's plain types and rules. No I/O: everything here is unit-testable
//! without a database, a clock or a network.

pub mod audit;
pub mod locale;
pub mod net;
pub mod permission;
pub mod role;
pub mod settings;
pub mod validate;

pub use locale::Locale;
pub use permission::{Permission, PermissionSet};
