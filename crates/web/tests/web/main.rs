//! The web crate's integration tests, one binary: pages driven as a
//! browser would and the REST API end to end, each test on SQLite and on
//! PostgreSQL through the shared harness in `common`.

#![allow(clippy::unwrap_used)]

mod common;

mod api;
mod billing;
mod billing_api;
mod billing_discounts;
mod billing_docs;
mod billing_reports;
mod charges;
mod collections;
mod crm_api;
mod crm_pages;
mod documents;
mod import;
mod login;
mod network_api;
mod network_pages;
mod pay;
mod payment_settings;
mod payments;
mod pix_webhook;
mod radius;
mod reconciliation;
