//! Integration tests of the routeros crate: the clients against the fake
//! router over TCP, TLS and REST, and property tests of the codec.

mod api;
mod props;
mod rest;
mod tls;

use routeros::fake::FakeRouter;

/// A fake router with one user, as RouterOS 7.18.
async fn fake() -> FakeRouter {
    FakeRouter::start("lastmile", "s3cret")
        .await
        .expect("fake router starts")
}
