//! Clients for the HTTP APIs of payment providers, with no knowledge of the
//! application that uses them.
//!
//! Every provider module builds on [`http::Client`]: one client type with a
//! configurable base URL (tests point it at a local fake), timeouts, retries
//! that are safe (only idempotent requests, or requests carrying an
//! idempotency key), and optional client certificates (Pix mutual TLS).
//!
//! With the `fake` feature, `fake` holds local servers that speak each
//! provider's protocol — authentication and signatures included — written
//! from the providers' published specifications, so the application's tests
//! pay invoices end to end without leaving the machine.

pub mod boleto;
pub mod http;
pub mod paypal;
pub mod pix;
pub mod stripe;

#[cfg(feature = "fake")]
pub mod fake;
