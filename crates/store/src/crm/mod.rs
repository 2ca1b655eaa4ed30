//! Customers, their documents (KYC files) and their timeline.

pub mod customers;
pub mod documents;
pub mod timeline;
