//! `/api/docs`: the API reference for people, rendered on the server from
//! the generated OpenAPI document (no scripts, no CDN). Operation texts come
//! from the document (English); the page's own words go through i18n.

use askama::Template;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::problem::KINDS;
use webkit::i18n::Tr;

pub struct Param {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub ty: String,
    pub description: String,
}

pub struct Resp {
    pub status: String,
    pub description: String,
    pub ty: String,
}

pub struct Operation {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub tag: String,
    pub summary: String,
    pub description: String,
    /// Empty: any valid token.
    pub scopes: Vec<String>,
    pub params: Vec<Param>,
    pub request: Option<String>,
    pub responses: Vec<Resp>,
}

pub struct Property {
    pub name: String,
    pub ty: String,
    pub required: bool,
    pub description: String,
}

pub struct Schema {
    pub name: String,
    pub description: String,
    pub properties: Vec<Property>,
}

pub struct ProblemKind {
    pub slug: &'static str,
    pub title: &'static str,
    pub status: u16,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r##"<!doctype html>
<html lang="{{ tr.tag() }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ tr.t("api-docs-title") }} · Lastmile</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
</head>
<body class="bare">
<main class="content">
  <header class="card">
    <div class="card-head">
      <h1>{{ tr.t("api-docs-title") }}</h1>
      <p class="muted">{{ tr.t("api-docs-intro") }}</p>
    </div>
    <dl class="facts">
      <dt>{{ tr.t("api-docs-version") }}</dt><dd>{{ version }}</dd>
      <dt>{{ tr.t("api-docs-auth") }}</dt><dd><code>Authorization: Bearer lm_…</code></dd>
      <dt>{{ tr.t("api-docs-document") }}</dt><dd><a href="/api/v1/openapi.json">/api/v1/openapi.json</a></dd>
    </dl>
    <p class="small muted">{{ tr.t("api-docs-pagination") }}</p>
  </header>

  <section class="card table-card">
    <div class="card-head"><h2>{{ tr.t("api-docs-operations") }}</h2></div>
    <table class="table">
      <thead><tr><th>{{ tr.t("api-docs-method") }}</th><th>{{ tr.t("api-docs-path") }}</th><th class="hide-sm">{{ tr.t("api-docs-summary") }}</th><th>{{ tr.t("api-docs-scope") }}</th></tr></thead>
      <tbody>
      {% for op in operations %}
        <tr><td><span class="badge">{{ op.method }}</span></td><td class="mono"><a href="#{{ op.anchor }}">{{ op.path }}</a></td><td class="hide-sm">{{ op.summary }}</td>
        <td>{% for s in op.scopes %}<span class="tag">{{ s }}</span> {% endfor %}{% if op.scopes.is_empty() %}<span class="muted small">{{ tr.t("api-docs-scope-any") }}</span>{% endif %}</td></tr>
      {% endfor %}
      </tbody>
    </table>
  </section>

  {% for op in operations %}
  <section class="card" id="{{ op.anchor }}">
    <div class="card-head">
      <h2><span class="badge">{{ op.method }}</span> <code>{{ op.path }}</code></h2>
      <p>{{ op.summary }}</p>
      {% if !op.description.is_empty() %}<p class="muted small">{{ op.description }}</p>{% endif %}
    </div>
    <dl class="facts">
      <dt>{{ tr.t("api-docs-scope") }}</dt>
      <dd>{% for s in op.scopes %}<span class="tag">{{ s }}</span> {% endfor %}{% if op.scopes.is_empty() %}{{ tr.t("api-docs-scope-any") }}{% endif %}</dd>
      <dt>{{ tr.t("api-docs-tag") }}</dt><dd>{{ op.tag }}</dd>
      {% if let Some(body) = op.request %}<dt>{{ tr.t("api-docs-request") }}</dt><dd class="mono wrap">{{ body }}</dd>{% endif %}
    </dl>
    {% if !op.params.is_empty() %}
    <h3>{{ tr.t("api-docs-parameters") }}</h3>
    <div class="table-card"><table class="table">
      <thead><tr><th>{{ tr.t("api-docs-name") }}</th><th>{{ tr.t("api-docs-in") }}</th><th>{{ tr.t("api-docs-type") }}</th><th>{{ tr.t("api-docs-description") }}</th></tr></thead>
      <tbody>
      {% for p in op.params %}
        <tr><td class="mono">{{ p.name }}{% if p.required %} <span class="badge badge-warn">{{ tr.t("api-docs-required") }}</span>{% endif %}</td><td>{{ p.location }}</td><td class="mono">{{ p.ty }}</td><td>{{ p.description }}</td></tr>
      {% endfor %}
      </tbody>
    </table></div>
    {% endif %}
    <h3>{{ tr.t("api-docs-responses") }}</h3>
    <div class="table-card"><table class="table">
      <thead><tr><th>{{ tr.t("api-docs-status") }}</th><th>{{ tr.t("api-docs-description") }}</th><th>{{ tr.t("api-docs-type") }}</th></tr></thead>
      <tbody>
      {% for r in op.responses %}
        <tr><td class="mono">{{ r.status }}</td><td>{{ r.description }}</td><td class="mono wrap">{{ r.ty }}</td></tr>
      {% endfor %}
      </tbody>
    </table></div>
  </section>
  {% endfor %}

  <section class="card" id="problems">
    <div class="card-head"><h2>{{ tr.t("api-docs-problems") }}</h2><p class="muted">{{ tr.t("api-docs-problems-intro") }}</p></div>
    <div class="table-card"><table class="table">
      <thead><tr><th>{{ tr.t("api-docs-status") }}</th><th>type</th><th>title</th></tr></thead>
      <tbody>
      {% for k in problems %}
        <tr id="problem-{{ k.slug }}"><td class="mono">{{ k.status }}</td><td class="mono">/api/docs#problem-{{ k.slug }}</td><td>{{ k.title }}</td></tr>
      {% endfor %}
      </tbody>
    </table></div>
  </section>

  <section class="card">
    <div class="card-head"><h2>{{ tr.t("api-docs-schemas") }}</h2></div>
    {% for s in schemas %}
    <div class="stack" id="schema-{{ s.name }}">
      <h3 class="mono">{{ s.name }}</h3>
      {% if !s.description.is_empty() %}<p class="muted small">{{ s.description }}</p>{% endif %}
      {% if !s.properties.is_empty() %}
      <div class="table-card"><table class="table">
        <thead><tr><th>{{ tr.t("api-docs-name") }}</th><th>{{ tr.t("api-docs-type") }}</th><th>{{ tr.t("api-docs-description") }}</th></tr></thead>
        <tbody>
        {% for p in s.properties %}
          <tr><td class="mono">{{ p.name }}{% if p.required %} <span class="badge badge-warn">{{ tr.t("api-docs-required") }}</span>{% endif %}</td><td class="mono wrap">{{ p.ty }}</td><td>{{ p.description }}</td></tr>
        {% endfor %}
        </tbody>
      </table></div>
      {% endif %}
    </div>
    {% endfor %}
  </section>
</main>
</body>
</html>
"##
)]
pub struct DocsView {
    pub tr: Tr,
    pub version: String,
    pub operations: Vec<Operation>,
    pub schemas: Vec<Schema>,
    pub problems: Vec<ProblemKind>,
}

fn s(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// A short text for a schema: `UserView`, `array of string`, `string | null`,
/// `object { data: array of UserView, next_cursor: string | null }`.
pub fn type_label(v: &Value, depth: usize) -> String {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = v.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = list.iter().map(|x| type_label(x, depth)).collect();
            return parts.join(if key == "allOf" { " & " } else { " | " });
        }
    }
    let types: Vec<String> = match v.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let one = |t: &str| -> String {
        match t {
            "array" => format!(
                "array of {}",
                v.get("items")
                    .map(|i| type_label(i, depth))
                    .unwrap_or_else(|| "any".into())
            ),
            "object" => {
                if let Some(props) = v.get("properties").and_then(Value::as_object)
                    && depth < 2
                {
                    let inner: Vec<String> = props
                        .iter()
                        .map(|(k, p)| format!("{k}: {}", type_label(p, depth + 1)))
                        .collect();
                    format!("object {{ {} }}", inner.join(", "))
                } else if let Some(extra) = v.get("additionalProperties").filter(|a| a.is_object())
                {
                    format!("object of {}", type_label(extra, depth))
                } else {
                    "object".into()
                }
            }
            other => {
                let fmt = s(v, "format");
                if fmt.is_empty() {
                    other.to_owned()
                } else {
                    format!("{other} ({fmt})")
                }
            }
        }
    };
    if types.is_empty() {
        return if v.get("properties").is_some() {
            one("object")
        } else {
            "any".into()
        };
    }
    types.iter().map(|t| one(t)).collect::<Vec<_>>().join(" | ")
}

fn first_content_schema(v: &Value) -> Option<String> {
    let content = v.get("content")?.as_object()?;
    let (ct, media) = content.iter().next()?;
    let label = media
        .get("schema")
        .map(|s| type_label(s, 0))
        .unwrap_or_else(|| "any".into());
    Some(format!("{label} ({ct})"))
}

/// The operations and schemas of an OpenAPI document.
pub fn describe(doc: &Value) -> (Vec<Operation>, Vec<Schema>) {
    let mut ops = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let scopes = op
                    .get("security")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|req| req.get("bearer").and_then(Value::as_array))
                    .flatten()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect();
                let params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| Param {
                        name: s(p, "name"),
                        location: s(p, "in"),
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        ty: p
                            .get("schema")
                            .map(|x| type_label(x, 0))
                            .unwrap_or_default(),
                        description: s(p, "description"),
                    })
                    .collect();
                let request = op.get("requestBody").and_then(first_content_schema);
                let responses = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(status, r)| {
                        // A shared answer (`components.responses`), whose
                        // description an operation may override.
                        let shared = r
                            .get("$ref")
                            .and_then(Value::as_str)
                            .and_then(|name| name.rsplit('/').next())
                            .and_then(|name| doc.pointer(&format!("/components/responses/{name}")))
                            .unwrap_or(r);
                        let description = match s(r, "description") {
                            d if d.is_empty() => s(shared, "description"),
                            d => d,
                        };
                        Resp {
                            status: status.clone(),
                            description,
                            ty: first_content_schema(shared).unwrap_or_default(),
                        }
                    })
                    .collect();
                let tag = op
                    .get("tags")
                    .and_then(Value::as_array)
                    .and_then(|t| t.first())
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let anchor = format!(
                    "op-{method}-{}",
                    path.trim_matches('/')
                        .replace(['/', '{', '}', '.'], "-")
                        .replace("--", "-")
                );
                ops.push(Operation {
                    anchor,
                    method: method.to_uppercase(),
                    path: path.clone(),
                    tag,
                    summary: s(op, "summary"),
                    description: s(op, "description"),
                    scopes,
                    params,
                    request,
                    responses,
                });
            }
        }
    }
    let mut schemas = Vec::new();
    if let Some(all) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in all {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let properties = schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, p)| Property {
                    name: k.clone(),
                    ty: type_label(p, 1),
                    required: required.contains(&k.as_str()),
                    description: s(p, "description"),
                })
                .collect();
            schemas.push(Schema {
                name: name.clone(),
                description: s(schema, "description"),
                properties,
            });
        }
    }
    (ops, schemas)
}

pub async fn page(headers: HeaderMap) -> Response {
    let tr = Tr::new(webkit::auth::request_locale(&headers, None));
    let doc: Value = serde_json::from_str(crate::openapi_json()).unwrap_or(Value::Null);
    let (operations, schemas) = describe(&doc);
    let view = DocsView {
        tr,
        version: doc
            .pointer("/info/version")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        operations,
        schemas,
        problems: KINDS
            .iter()
            .map(|(slug, title, status)| ProblemKind {
                slug,
                title,
                status: *status,
            })
            .collect(),
    };
    match view.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "api docs render failed");
            crate::problem::Problem::new("internal", "the docs page could not be rendered")
                .into_response()
        }
    }
}

#[cfg(test)]
/// The page's own strings, which the catalogue test in `i18n` does not scan.
pub const KEYS: &[&str] = &[
    "api-docs-title",
    "api-docs-intro",
    "api-docs-version",
    "api-docs-auth",
    "api-docs-document",
    "api-docs-pagination",
    "api-docs-operations",
    "api-docs-method",
    "api-docs-path",
    "api-docs-summary",
    "api-docs-scope",
    "api-docs-scope-any",
    "api-docs-tag",
    "api-docs-request",
    "api-docs-parameters",
    "api-docs-name",
    "api-docs-in",
    "api-docs-type",
    "api-docs-description",
    "api-docs-required",
    "api-docs-responses",
    "api-docs-status",
    "api-docs-problems",
    "api-docs-problems-intro",
    "api-docs-schemas",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_page_key_is_translated() {
        for locale in [domain::Locale::En, domain::Locale::PtBr] {
            let tr = Tr::new(locale);
            for k in KEYS {
                assert!(tr.has(k), "{k} missing in {}", tr.tag());
            }
        }
        // And KEYS lists every key the template uses.
        let src = include_str!("docs.rs");
        for (i, _) in src.match_indices("tr.t(\"") {
            let rest = &src[i + 6..];
            let key = &rest[..rest.find('"').unwrap_or(0)];
            assert!(KEYS.contains(&key), "{key} not in KEYS");
        }
    }

    #[test]
    fn labels() {
        let v: Value = serde_json::json!({"type": ["string", "null"]});
        assert_eq!(type_label(&v, 0), "string | null");
        let v: Value = serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/UserView"}});
        assert_eq!(type_label(&v, 0), "array of UserView");
    }

    #[test]
    fn describes_every_operation_with_scopes() {
        let doc: Value = serde_json::from_str(crate::openapi_json()).unwrap_or(Value::Null);
        let (ops, schemas) = describe(&doc);
        assert!(ops.len() >= 17, "{}", ops.len());
        let list = ops
            .iter()
            .find(|o| o.method == "GET" && o.path == "/api/v1/users")
            .map(|o| o.scopes.clone());
        assert_eq!(list, Some(vec!["users.view".to_owned()]));
        assert!(schemas.iter().any(|s| s.name == "Problem"));
        // Shared answers show their own description and type.
        let create = ops
            .iter()
            .find(|o| o.method == "POST" && o.path == "/api/v1/users")
            .unwrap();
        let conflict = create.responses.iter().find(|r| r.status == "409").unwrap();
        assert_eq!(conflict.description, "Username taken");
        assert!(conflict.ty.starts_with("Problem"), "{}", conflict.ty);
        let denied = create.responses.iter().find(|r| r.status == "403").unwrap();
        assert!(
            denied.description.contains("permission"),
            "{}",
            denied.description
        );
    }
}
