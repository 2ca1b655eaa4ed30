//! Extractors for the API. Each wraps axum's own (or replaces it) so that a
//! bad token, body, path or query string becomes a problem document naming
//! the offending field — never a plain-text rejection or a 500.

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use domain::net::Allowlist;
use serde::Serialize;
use serde::de::DeserializeOwned;
use services::staff::auth::Principal;

use crate::problem::Problem;
use webkit::request::Client;
use webkit::state::AppState;

/// The caller behind an `Authorization: Bearer lm_…` header. Cookies are
/// never consulted.
pub struct Caller {
    pub principal: Principal,
    pub client: Client,
    /// The language for text meant for people (timeline lines): the
    /// request's `Accept-Language`, else the token owner's own, else English.
    pub locale: domain::Locale,
}

impl Caller {
    /// The caller services check permissions against.
    pub fn caller(&self) -> services::Caller {
        services::Caller::staff(self.principal.clone(), Some(self.client.ip))
    }
}

fn allowed(user: &services::staff::User, ip: IpAddr) -> bool {
    let role = Allowlist::parse(&user.role_ip_allowlist).unwrap_or_default();
    let own = Allowlist::parse(&user.ip_allowlist).unwrap_or_default();
    role.allows(ip) && own.allows(ip)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let client = Client::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|e| match e {});
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            Problem::unauthorized("send an API token as `Authorization: Bearer lm_…`")
        })?;
        let value = header
            .to_str()
            .map_err(|_| Problem::unauthorized("the Authorization header is not valid text"))?;
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Problem::unauthorized("use the Bearer authentication scheme"))?;
        let principal = services::staff::tokens::authenticate(&state.svc, token)
            .await?
            .ok_or_else(|| {
                Problem::unauthorized("the token is unknown, revoked or its user is disabled")
            })?;
        if !allowed(&principal.user, client.ip) {
            let mut p = Problem::new(
                "forbidden",
                "requests from this address are not allowed for this user",
            );
            p.code = Some("ip-not-allowed".into());
            return Err(p);
        }
        let locale = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(domain::Locale::from_accept_language)
            .or_else(|| principal.user.locale.as_deref()?.parse().ok())
            .unwrap_or_default();
        Ok(Caller {
            principal,
            client,
            locale,
        })
    }
}

/// A serde_path_to_error path without its unknown (`?`) parts; empty at the root.
fn clean(path: &str) -> String {
    path.split('.')
        .filter(|seg| !seg.is_empty() && *seg != "?")
        .collect::<Vec<_>>()
        .join(".")
}

/// Names the field a serde error is about: the path, completed by the key
/// named in "missing field `x`" / "unknown field `x`" messages.
fn field_of(path: &str, message: &str) -> (String, &'static str) {
    let path = &clean(path);
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    let join = |key: String| {
        if path.is_empty() {
            key
        } else if path.rsplit('.').next() == Some(key.as_str()) {
            path.clone()
        } else {
            format!("{path}.{key}")
        }
    };
    if let Some(k) = named("missing field `") {
        return (join(k), "required");
    }
    if let Some(k) = named("unknown field `") {
        return (join(k), "unknown-field");
    }
    if let Some(k) = named("duplicate field `") {
        return (join(k), "duplicate");
    }
    let field = if path.is_empty() || path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    (field, "type")
}

/// A JSON request body (`Content-Type: application/json`). Its problems are
/// kept until [`ApiJson::parse`], so a handler checks the caller's permission
/// first: a refused caller learns nothing about the body's validity.
pub struct ApiJson<T>(Result<T, Problem>);

impl<T> ApiJson<T> {
    pub fn parse(self) -> Result<T, Problem> {
        self.0
    }
}

fn is_json(ct: &str) -> bool {
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ApiJson(read_json(req, state).await))
    }
}

async fn read_json<T: DeserializeOwned>(req: Request, state: &AppState) -> Result<T, Problem> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json(ct) {
        return Err(Problem::new(
            "unsupported-media-type",
            "send the body as JSON with `Content-Type: application/json`",
        )
        .with_field("Content-Type", "content-type", "must be application/json"));
    }
    let bytes = Bytes::from_request(req, state).await.map_err(|e| {
        if e.status().as_u16() == 413 {
            Problem::new("too-large", "the request body is too large")
        } else {
            Problem::malformed("body", "unreadable", "could not be read")
        }
    })?;
    parse_json(&bytes)
}

/// Parses a JSON body, naming the offending field on failure. Every body
/// of this API is a JSON object.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // serde reads a struct from an array too (`[null, null]` filled every
    // optional field of a PATCH with nothing and was answered 200).
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        if !value.is_object() {
            return Err(Problem::invalid("body", "type", "must be a JSON object"));
        }
        if let Some(field) = nul_in(&value, "") {
            return Err(nul_problem(&field));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner();
        let message = inner.to_string();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let (field, code) = field_of(&path, &message);
                Problem::invalid(&field, code, message)
            }
            _ => {
                let path = clean(&path);
                let field = if path.is_empty() {
                    "body".to_owned()
                } else {
                    path
                };
                Problem::malformed(&field, "json", format!("is not valid JSON: {message}"))
            }
        }
    })?;
    de.end()
        .map_err(|e| Problem::malformed("body", "json", format!("has trailing data: {e}")))?;
    Ok(value)
}

/// The first field whose text (or key) holds a NUL character. PostgreSQL
/// cannot store one in text, so such a request failed there with a 500.
fn nul_in(v: &serde_json::Value, path: &str) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match v {
        serde_json::Value::String(s) => s.contains('\0').then(here),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_in(x, &format!("{}[{i}]", here()))),
        serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
            let field = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(field)
            } else {
                nul_in(x, &field)
            }
        }),
        _ => None,
    }
}

fn nul_problem(field: &str) -> Problem {
    Problem::invalid(field, "nul", "must not contain a NUL character")
}

/// Applies a PATCH body to the current state: top-level members of `patch`
/// replace the current ones (an object member such as `custom_fields` is
/// replaced whole; `null` clears an optional field), then the result is read
/// as `T`, so a bad or unknown field is named as in a POST body.
pub fn merge_patch<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: serde_json::Value,
) -> Result<T, Problem> {
    let serde_json::Value::Object(changes) = patch else {
        return Err(Problem::invalid("body", "type", "must be a JSON object"));
    };
    let mut merged = serde_json::to_value(current)
        .map_err(|e| Problem::new("internal", format!("could not read the resource: {e}")))?;
    if let serde_json::Value::Object(m) = &mut merged {
        m.extend(changes);
    }
    let bytes = serde_json::to_vec(&merged)
        .map_err(|e| Problem::new("internal", format!("could not merge the change: {e}")))?;
    parse_json(&bytes)
}

/// A query string, deserialized with the offending parameter named on failure.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((key, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(nul_problem(&key.replace('\0', "")));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let message = e.inner().to_string();
                let (field, code) = field_of(&e.path().to_string(), &message);
                let field = if field == "body" {
                    "query".to_owned()
                } else {
                    field
                };
                Problem::malformed(&field, code, message)
            })
    }
}

/// Path parameters; a value of the wrong type is a 400 naming the parameter.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        use axum::extract::path::ErrorKind;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let (field, message) = match e.kind() {
                    ErrorKind::ParseErrorAtKey {
                        key, expected_type, ..
                    } => (key.clone(), format!("must be {expected_type}")),
                    ErrorKind::InvalidUtf8InPathParam { key } => {
                        (key.clone(), "must be valid UTF-8".to_owned())
                    }
                    ErrorKind::DeserializeError { key, message, .. } => {
                        (key.clone(), message.clone())
                    }
                    other => ("path".to_owned(), other.to_string()),
                };
                let message = if field.ends_with("id") && message.starts_with("must be i64") {
                    "must be a positive integer id".to_owned()
                } else {
                    message
                };
                Err(Problem::malformed(&field, "type", message))
            }
            Err(other) => Err(Problem::malformed("path", "invalid", other.body_text())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        n: Option<i64>,
        tags: Option<Vec<String>>,
    }

    fn field(r: Result<Body, Problem>) -> (u16, String) {
        let p = r.unwrap_err();
        (p.status, p.errors[0].field.clone())
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field(parse_json(b"{")), (400, "body".into()));
        assert_eq!(field(parse_json(b"")), (400, "body".into()));
        assert_eq!(field(parse_json(b"{}")), (422, "name".into()));
        assert_eq!(
            field(parse_json(br#"{"name":"a","n":"x"}"#)),
            (422, "n".into())
        );
        assert_eq!(
            field(parse_json(br#"{"name":"a","tags":[1]}"#)),
            (422, "tags[0]".into())
        );
        assert_eq!(
            field(parse_json(br#"{"name":"a","zzz":1}"#)),
            (422, "zzz".into())
        );
        assert_eq!(field(parse_json(b"[]")), (422, "body".into()));
        assert_eq!(field(parse_json(br#""a""#)), (422, "body".into()));

        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct AllOptional {
            a: Option<i64>,
            b: Option<String>,
        }
        // Regression: serde reads structs from arrays, so this was a valid
        // PATCH body changing nothing.
        let p = parse_json::<Body>(br#"{"name":"a\u0000b"}"#).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "name"));
        let p = parse_json::<Body>(br#"{"name":"a","tags":["x","\u0000"]}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "tags[1]");
        let p = parse_json::<AllOptional>(b"[null, null]").unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "body"));
        assert!(parse_json::<AllOptional>(b" {} ").is_ok());
        assert_eq!(
            field(parse_json(br#"{"name":"a"} x"#)),
            (400, "body".into())
        );
    }

    #[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Thing {
        name: String,
        #[serde(default)]
        note: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
    }

    #[test]
    fn patches_merge_and_name_bad_fields() {
        let cur = Thing {
            name: "a".into(),
            note: Some("n".into()),
            tags: vec!["x".into()],
        };
        let merged = merge_patch(&cur, serde_json::json!({"note": null, "tags": ["y"]})).unwrap();
        assert_eq!(
            merged,
            Thing {
                name: "a".into(),
                note: None,
                tags: vec!["y".into()]
            }
        );
        let p = merge_patch(&cur, serde_json::json!({"name": 5})).unwrap_err();
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "name"));
        let p = merge_patch(&cur, serde_json::json!({"zzz": 1})).unwrap_err();
        assert_eq!(p.errors[0].field, "zzz");
        let p = merge_patch(&cur, serde_json::json!([1])).unwrap_err();
        assert_eq!(p.errors[0].field, "body");
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
    }
}
