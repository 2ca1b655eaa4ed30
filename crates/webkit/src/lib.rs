//! What every HTTP interface of Lastmile shares: the application state,
//! facts about a request (client address, cookies), the signed-in staff
//! member and sessions, CSRF protection, security headers, translations
//! (the Fluent catalogues in `locales/`), metrics and `/healthz`, the
//! embedded assets served under `/assets`, downloads, customer timeline
//! sentences and the interface-neutral page error.
//!
//! Interfaces (the admin panel in `admin`, the REST API in `api`, and the
//! customer portal, public site and technician app to come) are crates of
//! their own over this kit; `web` composes them into one router.

pub mod assets;
pub mod auth;
pub mod csrf;
pub mod download;
pub mod error;
pub mod headers;
pub mod i18n;
pub mod metrics;
pub mod request;
pub mod state;
pub mod timeline;

pub use state::{AppState, WebConfig};

/// The release, shown in page footers, the API document and `/metrics`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest request body for a document upload: the documents
/// service's file limit plus room for the multipart envelope.
pub const UPLOAD_LIMIT: usize = services::crm::documents::MAX_SIZE + 256 * 1024;
