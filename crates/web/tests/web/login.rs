//! The sign-in form under attack: failures slow down the address that sends
//! them, never the account's owner elsewhere or on a known browser.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use store::testing::each_engine;

use crate::common::{CSRF, PASSWORD, Page, app, form, send};

/// A sign-in form post from `peer`, with extra cookies.
async fn post_login(router: &axum::Router, peer: &str, password: &str, cookies: &str) -> Page {
    let mut req = Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("lm_csrf={CSRF}; lm_lang=en{cookies}"))
        .body(Body::from(form(&[
            ("username", "admin"),
            ("password", password),
        ])))
        .unwrap();
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    send(router, req).await
}

fn device_cookie(p: &Page) -> Option<String> {
    p.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("lm_device="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn failures_from_one_address_delay_only_that_address() {
    each_engine(|db| async move {
        let app = app(db).await;
        let r = &app.router;
        // The admin's own browser signs in once and becomes a known device.
        let home = post_login(r, "100.64.0.1", PASSWORD, "").await;
        assert_eq!(home.status, StatusCode::SEE_OTHER, "{}", home.body);
        let device = device_cookie(&home).expect("a known-device cookie");

        for _ in 0..5 {
            let p = post_login(r, "100.64.0.1", "wrong password", "").await;
            assert_eq!(p.status, StatusCode::UNAUTHORIZED);
            assert!(p.body.contains("Wrong username or password."), "{}", p.body);
        }
        // The address that failed is told how long to wait...
        let p = post_login(r, "100.64.0.1", PASSWORD, "").await;
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        // (15 s after the last failure; 14 if a second ticked in between.)
        assert!(
            ["Wait 15 seconds", "Wait 14 seconds"].iter().any(|w| p
                .body
                .contains(&format!("from this address. {w} and try again."))),
            "{}",
            p.body
        );
        // ...while another address, and the known browser behind the same
        // address, sign in.
        let p = post_login(r, "192.0.2.44", PASSWORD, "").await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let p = post_login(r, "100.64.0.1", PASSWORD, &format!("; lm_device={device}")).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert!(device_cookie(&p).is_none(), "the known token is kept");
    })
    .await;
}
