//! The HTTP client every provider module shares.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What went wrong talking to a provider.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client could not be built (bad base URL, certificate or key).
    #[error("configuration: {0}")]
    Config(String),
    /// The request never got an HTTP answer (connection, TLS, timeout).
    #[error("{method} {url}: {source}")]
    Transport {
        method: Method,
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The provider answered with a status other than 2xx.
    #[error("{method} {url}: HTTP {status}: {body}")]
    Status {
        method: Method,
        url: String,
        status: StatusCode,
        /// The answer's body, cut to 2,000 characters (see
        /// [`Request::error_body_limit`]).
        body: String,
    },
    /// A 2xx answer whose body is not what the provider documents.
    #[error("{method} {url}: unexpected answer: {message}")]
    Decode {
        method: Method,
        url: String,
        message: String,
    },
}

impl Error {
    /// The HTTP status of a non-2xx answer.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// How to reach one provider.
#[derive(Clone)]
pub struct Config {
    /// Base URL; request paths are joined to it (`https://api.example/v2/`).
    pub base_url: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Attempts for a retryable request (1 = no retry).
    pub attempts: u32,
    /// Extra trust anchors in PEM (a provider's private CA; tests' CA).
    pub extra_roots_pem: Vec<String>,
    /// Client certificate chain and private key in PEM (mutual TLS).
    pub identity_pem: Option<(String, String)>,
}

impl Config {
    /// Defaults: 15 s timeout, three attempts, public web roots only.
    pub fn new(base_url: impl Into<String>) -> Config {
        Config {
            base_url: base_url.into(),
            timeout: Duration::from_secs(15),
            attempts: 3,
            extra_roots_pem: Vec::new(),
            identity_pem: None,
        }
    }
}

/// One request to send with [`Client::send`].
pub struct Request {
    method: Method,
    path: String,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    body: Option<Body>,
    idempotency_key: Option<(HeaderName, String)>,
    error_body_limit: usize,
}

enum Body {
    Json(Vec<u8>),
    Form(String),
}

impl Request {
    pub fn new(method: Method, path: impl Into<String>) -> Request {
        Request {
            method,
            path: path.into(),
            headers: HeaderMap::new(),
            query: Vec::new(),
            body: None,
            idempotency_key: None,
            error_body_limit: 2000,
        }
    }
    pub fn get(path: impl Into<String>) -> Request {
        Request::new(Method::GET, path)
    }
    pub fn post(path: impl Into<String>) -> Request {
        Request::new(Method::POST, path)
    }
    pub fn put(path: impl Into<String>) -> Request {
        Request::new(Method::PUT, path)
    }
    pub fn patch(path: impl Into<String>) -> Request {
        Request::new(Method::PATCH, path)
    }
    pub fn delete(path: impl Into<String>) -> Request {
        Request::new(Method::DELETE, path)
    }

    /// Adds a header; a value that is not valid in a header is dropped with
    /// a warning (values come from our own code, never from outside).
    pub fn header(mut self, name: &'static str, value: impl AsRef<str>) -> Request {
        match HeaderValue::from_str(value.as_ref()) {
            Ok(v) => {
                self.headers.insert(HeaderName::from_static(name), v);
            }
            Err(_) => tracing::warn!(header = name, "header value not sent: invalid characters"),
        }
        self
    }
    pub fn bearer(self, token: &str) -> Request {
        self.header("authorization", format!("Bearer {token}"))
    }
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Request {
        self.query.push((name.to_owned(), value.into()));
        self
    }
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Request {
        // Serializing our own structures cannot fail (no maps with non-string keys).
        self.body = Some(Body::Json(serde_json::to_vec(body).unwrap_or_default()));
        self
    }
    pub fn form<T: Serialize + ?Sized>(mut self, body: &T) -> Request {
        // Forms are flat string maps in every provider we speak (OAuth2).
        self.body = Some(Body::Form(
            serde_urlencoded::to_string(body).unwrap_or_default(),
        ));
        self
    }
    /// Makes a non-idempotent request retryable: the provider recognises
    /// the repeated key and performs the operation once.
    pub fn idempotency_key(mut self, header: &'static str, key: impl Into<String>) -> Request {
        self.idempotency_key = Some((HeaderName::from_static(header), key.into()));
        self
    }

    /// The request's method (for error messages).
    pub fn method(&self) -> &Method {
        &self.method
    }
    /// The request's path under the base URL (for error messages).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Keeps up to `chars` characters of a non-2xx answer's body in
    /// [`Error::Status`] (default 2,000): some providers put whole objects
    /// in their error JSON (Stripe's declined PaymentIntent), and a cut body
    /// no longer parses.
    pub fn error_body_limit(mut self, chars: usize) -> Request {
        self.error_body_limit = chars;
        self
    }

    fn retryable(&self) -> bool {
        self.idempotency_key.is_some()
            || matches!(
                self.method,
                Method::GET | Method::PUT | Method::DELETE | Method::HEAD
            )
    }
}

/// An answer with a 2xx status.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    method: Method,
    url: String,
}

impl Response {
    /// The body as the provider's documented JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            method: self.method.clone(),
            url: self.url.clone(),
            message: e.to_string(),
        })
    }
}

/// A client for one provider's base URL.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    base: url::Url,
    attempts: u32,
}

impl Client {
    pub fn new(config: &Config) -> Result<Client, Error> {
        let mut base = url::Url::parse(&config.base_url)
            .map_err(|e| Error::Config(format!("base URL {:?}: {e}", config.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL {:?}: scheme must be http or https",
                config.base_url
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let tls = tls_config(config)?;
        let inner = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("lastmile/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            inner,
            base,
            attempts: config.attempts.max(1),
        })
    }

    /// The absolute URL of `path` under the base URL.
    pub fn url(&self, path: &str) -> String {
        self.base
            .join(path.trim_start_matches('/'))
            .map(String::from)
            .unwrap_or_else(|_| format!("{}{}", self.base, path))
    }

    /// Sends the request, retrying (200 ms, 400 ms, …) on transport errors,
    /// 429 and 5xx when the request is safe to repeat.
    pub async fn send(&self, request: Request) -> Result<Response, Error> {
        let url = self.url(&request.path);
        let attempts = if request.retryable() {
            self.attempts
        } else {
            1
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.once(&request, &url).await;
            let again = attempt < attempts
                && match &result {
                    Err(Error::Transport { .. }) => true,
                    Err(Error::Status { status, .. }) => {
                        *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
                    }
                    _ => false,
                };
            if !again {
                return result;
            }
            let wait = Duration::from_millis(200 << (attempt - 1).min(5));
            tracing::debug!(%url, attempt, ?wait, "retrying provider request");
            tokio::time::sleep(wait).await;
        }
    }

    async fn once(&self, request: &Request, url: &str) -> Result<Response, Error> {
        let mut builder = self
            .inner
            .request(request.method.clone(), url)
            .headers(request.headers.clone());
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some((name, key)) = &request.idempotency_key
            && let Ok(value) = HeaderValue::from_str(key)
        {
            builder = builder.header(name.clone(), value);
        }
        builder = match &request.body {
            Some(Body::Json(bytes)) => builder
                .header("content-type", "application/json")
                .body(bytes.clone()),
            Some(Body::Form(text)) => builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(text.clone()),
            None => builder,
        };
        let transport = |source| Error::Transport {
            method: request.method.clone(),
            url: url.to_owned(),
            source,
        };
        let answer = builder.send().await.map_err(transport)?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer.bytes().await.map_err(transport)?.to_vec();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            return Err(Error::Status {
                method: request.method.clone(),
                url: url.to_owned(),
                status,
                body: text.chars().take(request.error_body_limit).collect(),
            });
        }
        Ok(Response {
            status,
            headers,
            body,
            method: request.method.clone(),
            url: url.to_owned(),
        })
    }
}

fn tls_config(config: &Config) -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in &config.extra_roots_pem {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| Error::Config(format!("trust root: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::Config(format!("trust root: {e}")))?;
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots);
    match &config.identity_pem {
        None => Ok(builder.with_no_client_auth()),
        Some((chain, key)) => {
            let chain = CertificateDer::pem_slice_iter(chain.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::Config(format!("client certificate: {e}")))?;
            if chain.is_empty() {
                return Err(Error::Config(
                    "client certificate: no certificate in PEM".into(),
                ));
            }
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                .map_err(|e| Error::Config(format!("client key: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| Error::Config(format!("client certificate: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_gets_a_trailing_slash_and_paths_join_under_it() {
        let client = Client::new(&Config::new("http://127.0.0.1:9/api/v2")).expect("client");
        assert_eq!(client.url("/cob/abc"), "http://127.0.0.1:9/api/v2/cob/abc");
        assert_eq!(
            client.url("oauth/token"),
            "http://127.0.0.1:9/api/v2/oauth/token"
        );
    }

    #[test]
    fn bad_base_urls_are_refused_naming_the_url() {
        let err = Client::new(&Config::new("ftp://x")).err().expect("refused");
        assert!(err.to_string().contains("ftp://x"), "{err}");
        assert!(Client::new(&Config::new("not a url")).is_err());
    }

    #[test]
    fn only_safe_requests_are_retried() {
        assert!(Request::get("x").retryable());
        assert!(!Request::post("x").retryable());
        assert!(
            Request::post("x")
                .idempotency_key("idempotency-key", "k1")
                .retryable()
        );
    }

    #[test]
    fn forms_encode_flat_maps() {
        #[derive(Serialize)]
        struct Token<'a> {
            grant_type: &'a str,
            scope: Option<&'a str>,
        }
        let request = Request::post("t").form(&Token {
            grant_type: "client_credentials",
            scope: Some("cob.write cob.read"),
        });
        let Some(Body::Form(body)) = request.body else {
            panic!("a form body")
        };
        assert_eq!(
            body,
            "grant_type=client_credentials&scope=cob.write+cob.read"
        );
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_transport_error_after_the_retries() {
        let mut config = Config::new("http://127.0.0.1:9/");
        config.attempts = 2;
        let client = Client::new(&config).expect("client");
        let err = client.send(Request::get("x")).await.expect_err("fails");
        assert!(matches!(err, Error::Transport { .. }), "{err}");
    }
}
