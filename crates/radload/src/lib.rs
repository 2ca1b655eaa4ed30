//! `radload`: a RADIUS load generator for benchmarks.
//!
//! A window of outstanding requests over several UDP sockets (closed
//! loop), or a fixed rate (open loop); every reply is matched by (socket,
//! identifier) and verified (Response Authenticator, Message-Authenticator,
//! expected code, MS-CHAP2-Success); latency is recorded per request and
//! requests are never retransmitted, so a missing reply counts as lost.
//!
//! - [`users`] reads the `login,password,contract_status` CSV.
//! - [`wire`] builds requests in place and verifies replies.
//! - [`engine`] runs the load; [`report`] prints it.

#![warn(missing_docs)]

pub mod engine;
pub mod hist;
pub mod report;
pub mod users;
pub mod wire;
