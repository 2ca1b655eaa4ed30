//! Local fake servers of each provider, for tests: each speaks its
//! provider's protocol (authentication and signatures included) from the
//! published specification, with in-memory state and test controls.

pub mod bb;
pub mod paypal;
pub mod pix;
pub mod stripe;
