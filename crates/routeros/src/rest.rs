//! The RouterOS 7 REST API: the console's menus as JSON over HTTPS, with
//! Basic authentication.
//!
//! | operation | request                                   | answer            |
//! |-----------|-------------------------------------------|-------------------|
//! | print     | `POST /rest/<menu>/print` with `.proplist` and `.query` | array of items |
//! | add       | `PUT /rest/<menu>` with the properties    | the new item      |
//! | set       | `PATCH /rest/<menu>/<id>` with the changes | the changed item |
//! | remove    | `DELETE /rest/<menu>/<id>`                | nothing           |
//!
//! Values go both ways as JSON strings. A refused command answers 4xx/5xx
//! with `{"error": 400, "message": "Bad Request", "detail": "…"}`, which
//! becomes [`Error::Trap`] with the detail as message, as the binary API's
//! `!trap` does; 401 becomes [`Error::Login`].

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;

use crate::{Error, Print, Row, TlsOptions, Trap, menu_path, tls};

/// Where and how to reach a router's REST API.
#[derive(Clone)]
pub struct RestConfig {
    /// The router's URL (`https://10.0.0.1`, `https://router:8443`); `/rest`
    /// is added unless present. Plain `http://` works when the router's
    /// `www` service allows it (RouterOS 7.9+), which exposes the password.
    pub base_url: String,
    /// The router user (Basic authentication).
    pub username: String,
    /// Its password.
    pub password: String,
    /// Limit for each request, connection included.
    pub timeout: Duration,
    /// How to trust the router's certificate (HTTPS).
    pub tls: TlsOptions,
}

impl std::fmt::Debug for RestConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestConfig")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &"…")
            .field("timeout", &self.timeout)
            .field("tls", &self.tls)
            .finish()
    }
}

impl RestConfig {
    /// 60 s per request, public web roots.
    pub fn new(
        base_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> RestConfig {
        RestConfig {
            base_url: base_url.into(),
            username: username.into(),
            password: password.into(),
            timeout: Duration::from_secs(60),
            tls: TlsOptions::default(),
        }
    }

    /// Sets how to trust the router's certificate.
    pub fn tls(mut self, tls: TlsOptions) -> RestConfig {
        self.tls = tls;
        self
    }

    /// Sets the per-request timeout.
    pub fn timeout(mut self, timeout: Duration) -> RestConfig {
        self.timeout = timeout;
        self
    }
}

/// A REST API client. Cheap to clone (clones share the connection pool).
#[derive(Clone)]
pub struct RestClient {
    http: reqwest::Client,
    /// Ends in `/rest`, no trailing slash.
    base: String,
    username: String,
    password: String,
    timeout: Duration,
}

#[derive(Serialize)]
struct PrintBody<'a> {
    #[serde(rename = ".proplist", skip_serializing_if = "<[String]>::is_empty")]
    proplist: &'a [String],
    #[serde(rename = ".query", skip_serializing_if = "Vec::is_empty")]
    query: Vec<&'a str>,
}

impl RestClient {
    /// A client for `config`. Nothing is sent until the first request.
    pub fn new(config: &RestConfig) -> Result<RestClient, Error> {
        let mut url = url::Url::parse(&config.base_url)
            .map_err(|e| Error::Config(format!("REST base URL {:?}: {e}", config.base_url)))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(Error::Config(format!(
                "REST base URL {:?}: needs https:// or http:// and a host",
                config.base_url
            )));
        }
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .use_preconfigured_tls(tls::client_config(&config.tls)?);
        if let Some(name) = &config.tls.server_name {
            // Verify the certificate against `name` while connecting to the
            // address in the URL: the URL gets `name`, which resolves to
            // the URL's own address.
            let host = url.host_str().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs: Vec<std::net::SocketAddr> =
                std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
                    .map_err(|e| Error::Config(format!("REST host {host:?}: {e}")))?
                    .collect();
            builder = builder.resolve_to_addrs(name, &addrs);
            url.set_host(Some(name))
                .map_err(|e| Error::Config(format!("TLS server name {name:?}: {e}")))?;
        }
        let mut base = url.as_str().trim_end_matches('/').to_owned();
        if !base.ends_with("/rest") {
            base.push_str("/rest");
        }
        let http = builder
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(RestClient {
            http,
            base,
            username: config.username.clone(),
            password: config.password.clone(),
            timeout: config.timeout,
        })
    }

    fn url(&self, menu: &str, tail: Option<&str>) -> Result<String, Error> {
        let mut url = format!("{}{}", self.base, menu_path(menu)?);
        if let Some(t) = tail {
            url.push('/');
            url.push_str(t);
        }
        Ok(url)
    }

    async fn send(
        &self,
        method: Method,
        url: String,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, Error> {
        let mut request = self
            .http
            .request(method.clone(), &url)
            .basic_auth(&self.username, Some(&self.password));
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let http_error = |status: Option<StatusCode>, message: String| Error::Http {
            method: method.to_string(),
            url: url.clone(),
            status: status.map(|s| s.as_u16()),
            message,
        };
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                Error::Timeout {
                    what: format!("{method} {url}"),
                    after: self.timeout,
                }
            } else {
                http_error(None, error_chain(&e))
            }
        })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                Error::Timeout {
                    what: format!("{method} {url}"),
                    after: self.timeout,
                }
            } else {
                http_error(Some(status), error_chain(&e))
            }
        })?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(Error::Login(format!("HTTP 401 from {url}")));
        }
        #[derive(serde::Deserialize)]
        struct RouterError {
            message: Option<String>,
            detail: Option<String>,
        }
        match serde_json::from_slice::<RouterError>(&bytes) {
            Ok(e) if e.message.is_some() || e.detail.is_some() => Err(Error::Trap {
                command: format!("{method} {url}"),
                trap: Trap {
                    category: None,
                    message: e.detail.or(e.message).unwrap_or_default(),
                    http_status: Some(status.as_u16()),
                },
            }),
            _ => Err(http_error(
                Some(status),
                format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&bytes)
                        .chars()
                        .take(500)
                        .collect::<String>()
                ),
            )),
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(
        method: &str,
        url: &str,
        bytes: &[u8],
    ) -> Result<T, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Http {
            method: method.into(),
            url: url.into(),
            status: None,
            message: format!("unexpected answer: {e}"),
        })
    }

    /// Items of a menu, filtered and cut as `print` says (`POST …/print`).
    pub async fn print(&self, menu: &str, print: &Print) -> Result<Vec<Row>, Error> {
        let url = self.url(menu, Some("print"))?;
        let body = PrintBody {
            proplist: &print.proplist,
            query: print.query.rest_words(),
        };
        let body = serde_json::to_vec(&body).map_err(|e| Error::Config(e.to_string()))?;
        let bytes = self.send(Method::POST, url.clone(), Some(body)).await?;
        Self::decode("POST", &url, &bytes)
    }

    /// Adds an item (`PUT`) and returns its `.id`.
    pub async fn add<K: Into<String>, V: Into<String>>(
        &self,
        menu: &str,
        attrs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, Error> {
        let url = self.url(menu, None)?;
        let row: Row = attrs.into_iter().collect();
        let body = serde_json::to_vec(&row).map_err(|e| Error::Config(e.to_string()))?;
        let bytes = self.send(Method::PUT, url.clone(), Some(body)).await?;
        let created: Row = Self::decode("PUT", &url, &bytes)?;
        created
            .id()
            .map(str::to_owned)
            .ok_or_else(|| Error::Unexpected {
                command: format!("PUT {url}"),
                message: "the created item has no .id".into(),
            })
    }

    /// Changes properties of the item with `id` (`PATCH`).
    pub async fn set<K: Into<String>, V: Into<String>>(
        &self,
        menu: &str,
        id: &str,
        attrs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), Error> {
        let url = self.url(menu, Some(&id_segment(id)?))?;
        let row: Row = attrs.into_iter().collect();
        let body = serde_json::to_vec(&row).map_err(|e| Error::Config(e.to_string()))?;
        self.send(Method::PATCH, url, Some(body)).await.map(|_| ())
    }

    /// Removes the item with `id` (`DELETE`).
    pub async fn remove(&self, menu: &str, id: &str) -> Result<(), Error> {
        let url = self.url(menu, Some(&id_segment(id)?))?;
        self.send(Method::DELETE, url, None).await.map(|_| ())
    }
}

/// An item id as a URL path segment: `*1A` stays as it is (`*` is allowed
/// in a path); anything that would change the path is refused.
fn id_segment(id: &str) -> Result<String, Error> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_' | '.' | ','))
    {
        return Err(Error::Config(format!("item id {id:?}: not a RouterOS id")));
    }
    Ok(id.to_owned())
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
