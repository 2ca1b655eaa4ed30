//! Local fake servers of each provider, for tests: each speaks its
//! provider's protocol (authentication and signatures included) from the
//! published specification, with in-memory state and test controls.

pub mod bb;
pub mod paypal;
pub mod pix;
pub mod stripe;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::http;

/// Delivers each event to `url` `times` times (a provider repeating a
/// delivery), as the card providers' fakes do: `sign` makes what the event
/// carries once (its signature or transmission headers, from the exact
/// body), `headers` turns that into request headers, and `note` records
/// each attempt with the receiver's status (`None` when unreachable or no
/// URL is set).
pub(crate) async fn deliver_events<S, D>(
    url: Option<&str>,
    events: Vec<Value>,
    times: usize,
    mut sign: impl FnMut(&Value, &str) -> S,
    headers: impl Fn(&S) -> Vec<(&'static str, String)>,
    mut note: impl FnMut(&Value, &str, &S, Option<u16>) -> D,
) -> Vec<D> {
    let mut out = Vec::new();
    for event in events {
        let body = serde_json::to_string(&event).unwrap_or_default();
        let signed = sign(&event, &body);
        for _ in 0..times {
            let status = match url {
                Some(url) => post_webhook(url, &headers(&signed), &body).await,
                None => None,
            };
            out.push(note(&event, &body, &signed, status));
        }
    }
    out
}

/// POSTs `body` byte for byte (signatures cover the exact bytes) with
/// `headers` to `url`, once; the receiver's status.
pub(crate) async fn post_webhook(
    url: &str,
    headers: &[(&'static str, String)],
    body: &str,
) -> Option<u16> {
    let (client, path) = webhook_client(url)?;
    let raw = RawValue::from_string(body.to_owned()).ok()?;
    let mut request = http::Request::post(path);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    match client.send(request.json(&*raw)).await {
        Ok(answer) => Some(answer.status.as_u16()),
        Err(e) => e.status().map(|s| s.as_u16()),
    }
}

/// A one-attempt client for a webhook URL and the URL's path.
pub(crate) fn webhook_client(url: &str) -> Option<(http::Client, String)> {
    let parsed = url::Url::parse(url).ok()?;
    let base = format!("{}://{}/", parsed.scheme(), parsed.host_str()?);
    let base = match parsed.port() {
        Some(port) => format!("{}://{}:{port}/", parsed.scheme(), parsed.host_str()?),
        None => base,
    };
    let mut path = parsed.path().to_owned();
    if let Some(q) = parsed.query() {
        path = format!("{path}?{q}");
    }
    let mut config = http::Config::new(base);
    config.attempts = 1;
    Some((http::Client::new(&config).ok()?, path))
}
