//! Lastmile's plain types and rules. No I/O: everything here is unit-testable
//! without a database, a clock or a network.

pub mod audit;
pub mod cep;
pub mod contract;
pub mod document;
pub mod event;
pub mod locale;
pub mod money;
pub mod net;
pub mod permission;
pub mod phone;
pub mod plan;
pub mod radius;
pub mod role;
pub mod search;
pub mod settings;
pub mod throttle;
pub mod timeline;
pub mod validate;

pub use locale::Locale;
pub use money::Money;
pub use permission::{Permission, PermissionSet};
