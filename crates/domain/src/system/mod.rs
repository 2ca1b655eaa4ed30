//! The installation itself: the settings table, the audit log's hash and
//! the locales.

pub mod audit;
pub mod locale;
pub mod settings;
