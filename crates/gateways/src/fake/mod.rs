//! Local fake servers of each provider (feature `fake`), for tests.

pub mod paypal;
pub mod stripe;
