//! Local fake servers of each provider, for tests.

pub mod bb;
