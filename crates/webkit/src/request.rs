//! Facts about a request that every handler needs: the client's address
//! (through trusted proxies only), whether it came over TLS, and cookies.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::state::AppState;

#[derive(Debug, Clone)]
/// Who sent a request, as far as it can be trusted.
pub struct Client {
    /// The client's address (through trusted proxies only).
    pub ip: IpAddr,
    /// Whether the request came over TLS.
    pub https: bool,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The `Host` header.
    pub host: String,
}

impl Client {
    /// The base URL for links in e-mails.
    pub fn base_url(&self, state: &AppState) -> String {
        state.config.public_url.clone().unwrap_or_else(|| {
            format!(
                "{}://{}",
                if self.https { "https" } else { "http" },
                self.host
            )
        })
    }
}

/// Resolves the client address: the socket peer, unless the peer is a
/// trusted proxy, in which case the right-most `X-Forwarded-For` entry that is
/// not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    chain
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let trusted = &state.config.trusted_proxies;
        let ip = client_ip(peer, &parts.headers, trusted);
        let peer_trusted = trusted.iter().any(|n| n.contains(&peer));
        let https = parts.uri.scheme_str() == Some("https")
            || (peer_trusted
                && parts
                    .headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    == Some("https"));
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        Ok(Client {
            ip,
            https,
            user_agent: header("user-agent"),
            host: header("host"),
        })
    }
}

/// The value of cookie `name`, if present.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A `Set-Cookie` value: HttpOnly always, Secure over TLS.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: &str,
    https: bool,
) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if https {
        c.push_str("; Secure");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.3".parse().unwrap());
        let cases = [
            ("10.0.0.2", "203.0.113.7"),      // trusted proxy: believe the header
            ("198.51.100.1", "198.51.100.1"), // untrusted peer: ignore it
        ];
        for (peer, want) in cases {
            assert_eq!(
                client_ip(peer.parse().unwrap(), &h, &trusted),
                want.parse::<IpAddr>().unwrap()
            );
        }
        // A forged left-most entry does not win over the real client.
        h.insert("x-forwarded-for", "1.1.1.1, 203.0.113.9".parse().unwrap());
        assert_eq!(
            client_ip("10.0.0.2".parse().unwrap(), &h, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn cookies() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; lm_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, "lm_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "x"), None);
        assert!(set_cookie("s", "v", None, "Lax", true).ends_with("; Secure"));
    }
}
