//! The fake's REST face (HTTP and HTTPS), on the same state as the binary
//! API.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{Answer, FakeTrap, Shared};
use crate::{Command, Query, Row};

pub(super) async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let app = axum::Router::new()
        .route("/rest/{*path}", any(handle))
        .with_state(shared);
    let Some(acceptor) = tls else {
        let _ = axum::serve(listener, app).await;
        return;
    };
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        });
    }
}

fn error(status: StatusCode, detail: Option<&str>) -> Response {
    let mut body = json!({
        "error": status.as_u16(),
        "message": status.canonical_reason().unwrap_or("Error"),
    });
    if let Some(d) = detail {
        body["detail"] = Value::String(d.to_owned());
    }
    (status, axum::Json(body)).into_response()
}

fn trap(t: FakeTrap) -> Response {
    let status = if t.not_found {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::BAD_REQUEST
    };
    error(status, Some(&t.message))
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(value.trim()) else {
        return false;
    };
    let decoded = String::from_utf8_lossy(&decoded);
    let Some((user, password)) = decoded.split_once(':') else {
        return false;
    };
    shared.login_ok(user, password)
}

/// A JSON object's members in the order sent (serde_json's map sorts
/// them, and a router keeps the order it was given).
struct Ordered(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON object of properties; `.proplist` and `.query` may be arrays.
fn body_object(body: &Bytes) -> Result<Vec<(String, Value)>, String> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice::<Ordered>(body)
        .map(|o| o.0)
        .map_err(|e| format!("JSON: {e}"))
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn rows_json(rows: Vec<Row>) -> Response {
    axum::Json(rows).into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorized(&shared, &headers) {
        return error(StatusCode::UNAUTHORIZED, None);
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some((last, parents)) = segments.split_last() else {
        return error(StatusCode::BAD_REQUEST, Some("no menu"));
    };
    let item = last.starts_with('*').then_some(*last);
    let menu_of = |parts: &[&str]| format!("/{}", parts.join("/"));
    let verb_at_end =
        method == Method::POST && matches!(*last, "print" | "add" | "set" | "unset" | "remove");
    let (menu, verb) = match (&method, item) {
        (m, None) if *m == Method::POST && verb_at_end => (menu_of(parents), *last),
        (m, None) if *m == Method::GET => (menu_of(&segments), "print"),
        (m, None) if *m == Method::PUT => (menu_of(&segments), "add"),
        (m, Some(_)) if *m == Method::GET => (menu_of(parents), "print"),
        (m, Some(_)) if *m == Method::PATCH => (menu_of(parents), "set"),
        (m, Some(_)) if *m == Method::DELETE => (menu_of(parents), "remove"),
        _ => return error(StatusCode::METHOD_NOT_ALLOWED, None),
    };
    let name = format!("{menu}/{verb}");
    shared.log(&name);
    if let Some(delay) = shared.delay_of(&name) {
        match delay {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending::<()>().await,
        }
    }
    let body = match body_object(&body) {
        Ok(b) => b,
        Err(why) => return error(StatusCode::BAD_REQUEST, Some(&why)),
    };
    let mut command = Command::new(name);
    match verb {
        "print" => {
            // GET filters come as ?name=value&.proplist=a,b; POST print as
            // {".proplist": [...], ".query": [...]}.
            let mut query_words: Vec<String> = Vec::new();
            for (k, v) in url::form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes()) {
                if k == ".proplist" {
                    command.attributes.insert(".proplist", v.as_ref());
                } else {
                    query_words.push(format!("={k}={v}"));
                }
            }
            for (k, v) in &body {
                match k.as_str() {
                    ".query" => match v {
                        Value::Array(words) => query_words.extend(words.iter().map(text_of)),
                        other => query_words.push(text_of(other)),
                    },
                    _ => command.attributes.insert(k.as_str(), text_of(v)),
                }
            }
            if let Some(id) = item {
                query_words.push(format!("=.id={id}"));
            }
            command.query = Query::from_words(query_words);
            match shared.execute(&command) {
                Ok(Answer::Rows { mut rows, .. }) => match item {
                    None => rows_json(rows),
                    Some(_) => match rows.pop() {
                        Some(row) => axum::Json(row).into_response(),
                        None => error(StatusCode::NOT_FOUND, Some("no such item")),
                    },
                },
                Ok(Answer::Done(done)) => axum::Json(done).into_response(),
                Err(t) => trap(t),
            }
        }
        _ => {
            for (k, v) in &body {
                command.attributes.insert(k.as_str(), text_of(v));
            }
            if let Some(id) = item {
                command.attributes.insert(".id", id);
            }
            let answer = match shared.execute(&command) {
                Ok(a) => a,
                Err(t) => return trap(t),
            };
            let done = match answer {
                Answer::Done(d) => d,
                Answer::Rows { rows, .. } => return rows_json(rows),
            };
            match (&method, verb) {
                // PUT and PATCH answer with the item as it now is.
                (m, "add") if *m == Method::PUT => {
                    let id = done.get("ret").unwrap_or_default().to_owned();
                    item_json(&shared, &menu, &id)
                }
                (m, "set") if *m == Method::PATCH => item_json(&shared, &menu, item.unwrap_or("")),
                (m, _) if *m == Method::DELETE => StatusCode::NO_CONTENT.into_response(),
                _ => axum::Json(done).into_response(),
            }
        }
    }
}

fn item_json(shared: &Shared, menu: &str, id: &str) -> Response {
    let row =
        super::parse_id(id).and_then(|n| shared.lock().menus.get(menu)?.items.get(&n).cloned());
    match row {
        Some(r) => axum::Json(r).into_response(),
        None => error(StatusCode::NOT_FOUND, Some("no such item")),
    }
}
