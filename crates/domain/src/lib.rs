//! Lastmile's plain types and rules. No I/O: everything here is unit-testable
//! without a database, a clock or a network.

pub mod billing;
pub mod catalog;
pub mod collections;
pub mod contracts;
pub mod crm;
pub mod event;
pub mod money;
pub mod net;
pub mod network;
pub mod payments;
pub mod radius;
pub mod refusal;
pub mod staff;
pub mod system;
pub mod validate;

pub use money::Money;
pub use staff::permission::{Permission, PermissionSet};
pub use system::locale::Locale;
