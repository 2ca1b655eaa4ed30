//! The finishing passes over the generated OpenAPI document: what utoipa's
//! derives cannot say, applied once to the whole document instead of being
//! repeated on every handler.
//!
//! - The error answers every handler can give are declared once, under
//!   `components.responses`, and referenced from each operation by rule
//!   (a path parameter can name nothing: 404; a JSON body: 400, 413, 415,
//!   422; …). A handler declares only its own refusals (409, with a
//!   description saying when), which become references too.
//! - utoipa inlines the item type of a generic container (`Paged<T>`,
//!   `List<T>`), so list items would repeat the detail schema; they are
//!   pointed at the item's own component instead.
//! - `#[serde(flatten)]` of a request body (closed with
//!   `additionalProperties: false`) into a view comes out as an `allOf`
//!   that no answer can satisfy (the view's `id` is an extra property of
//!   the body); such views become one object with both sets of fields.
//! - A PATCH body is merged over the resource, so none of its fields is
//!   required, though the same fields are when creating: PATCH operations
//!   get a copy of the body's schema without `required` (`PlanBody` →
//!   `PlanPatch`).

use serde_json::{Map, Value, json};

/// The shared error answers: component name, status, description.
pub const RESPONSES: &[(&str, u16, &str)] = &[
    (
        "BadRequest",
        400,
        "Malformed request: a path or query parameter of the wrong type, a cursor this API did not return, or a body that is not JSON.",
    ),
    (
        "Unauthorized",
        401,
        "No valid token: missing, unknown, revoked, or its user is disabled.",
    ),
    (
        "Forbidden",
        403,
        "The token lacks the permission named in `permission`, or the user's IP allowlist refuses the address (`code` `ip-not-allowed`).",
    ),
    (
        "NotFound",
        404,
        "No such resource (an id in the path names nothing).",
    ),
    (
        "Conflict",
        409,
        "Refused by the state of a resource; `code` says why (`exists`, `last-admin`, `illegal-transition`, …).",
    ),
    (
        "PayloadTooLarge",
        413,
        "The request body is over the size limit.",
    ),
    (
        "UnsupportedMediaType",
        415,
        "The body is not sent as `application/json`.",
    ),
    (
        "ValidationFailed",
        422,
        "A field or parameter is invalid; `errors` names each one.",
    ),
];

fn response_ref(status: u16) -> Option<&'static str> {
    RESPONSES
        .iter()
        .find(|(_, s, _)| *s == status)
        .map(|(name, _, _)| *name)
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// Applies every pass; `doc` is the document utoipa generated.
pub fn finish(mut doc: Value) -> Value {
    shared_responses(&mut doc);
    reference_items(&mut doc);
    merge_flattened(&mut doc);
    optional_patch_fields(&mut doc);
    doc
}

/// Which shared answers an operation can give, from what it takes.
fn statuses_of(op: &Value) -> Vec<u16> {
    let params = op.get("parameters").and_then(Value::as_array);
    let has = |place: &str| {
        params
            .into_iter()
            .flatten()
            .any(|p| p.get("in").and_then(Value::as_str) == Some(place))
    };
    let body = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object);
    let json_body = body.is_some_and(|c| c.contains_key("application/json"));
    // Every operation needs a token, and any token can be refused by its
    // user's or role's IP allowlist.
    let mut statuses = vec![401, 403];
    if has("path") || has("query") || json_body {
        statuses.push(400);
    }
    if has("path") {
        statuses.push(404);
    }
    if body.is_some() {
        statuses.push(413);
    }
    if json_body {
        statuses.push(415);
    }
    if has("query") || body.is_some() {
        statuses.push(422);
    }
    statuses
}

fn shared_responses(doc: &mut Value) {
    let problem = json!({"$ref": "#/components/schemas/Problem"});
    let mut components = Map::new();
    for (name, status, description) in RESPONSES {
        let mut r = json!({
            "description": description,
            "content": {"application/problem+json": {"schema": problem}},
        });
        if *status == 401 {
            r["headers"] = json!({"WWW-Authenticate": {
                "description": "`Bearer realm=\"lastmile\"`",
                "schema": {"type": "string"},
            }});
        }
        components.insert((*name).to_owned(), r);
    }
    if let Some(c) = doc.get_mut("components").and_then(Value::as_object_mut) {
        c.insert("responses".into(), Value::Object(components));
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(*method) else {
                continue;
            };
            let statuses = statuses_of(op);
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            // A handler's own refusal (a description, no content) becomes a
            // reference that keeps its description.
            for (status, r) in responses.iter_mut() {
                let Some(name) = status.parse().ok().and_then(response_ref) else {
                    continue;
                };
                if r.get("content").is_none() {
                    let mut reference = json!({"$ref": format!("#/components/responses/{name}")});
                    if let Some(d) = r.get("description") {
                        reference["description"] = d.clone();
                    }
                    *r = reference;
                }
            }
            for status in statuses {
                if let Some(name) = response_ref(status) {
                    responses.entry(status.to_string()).or_insert_with(
                        || json!({"$ref": format!("#/components/responses/{name}")}),
                    );
                }
            }
        }
    }
}

/// `Paged_X` and `List_X` hold `X`s: their items point at `X`.
fn reference_items(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in &names {
        let Some(item) = name
            .strip_prefix("Paged_")
            .or_else(|| name.strip_prefix("List_"))
        else {
            continue;
        };
        if !names.iter().any(|n| n == item) {
            continue;
        }
        if let Some(items) = schemas
            .get_mut(name)
            .and_then(|s| s.pointer_mut("/properties/data/items"))
        {
            *items = json!({"$ref": format!("#/components/schemas/{item}")});
        }
    }
}

/// Views whose `allOf` includes a closed body become one object.
fn merge_flattened(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let resolve = |v: &Value| -> Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .rsplit('/')
                .next()
                .and_then(|n| schemas.get(n))
                .cloned()
                .unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let mut merged = Vec::new();
    for (name, schema) in &schemas {
        let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
            continue;
        };
        let parts: Vec<Value> = parts.iter().map(resolve).collect();
        let closed = parts
            .iter()
            .any(|p| p.get("additionalProperties") == Some(&Value::Bool(false)));
        if !closed {
            continue;
        }
        let mut properties = Map::new();
        for p in &parts {
            if let Some(props) = p.get("properties").and_then(Value::as_object) {
                properties.extend(props.clone());
            }
        }
        // A view serializes every field of the body it flattens, so each
        // one is always there.
        let required: Vec<Value> = properties.keys().cloned().map(Value::String).collect();
        let mut object = json!({"type": "object", "properties": properties, "required": required});
        if let Some(d) = schema.get("description") {
            object["description"] = d.clone();
        }
        merged.push((name.clone(), object));
    }
    if let Some(out) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, object) in merged {
            out.insert(name, object);
        }
    }
}

/// PATCH bodies point at a copy of their schema with no required field.
fn optional_patch_fields(doc: &mut Value) {
    let body_ref = "/requestBody/content/application~1json/schema/$ref";
    let mut copies: Vec<(String, String)> = Vec::new();
    // Bodies made of optional fields (`UpdateUser`) already fit.
    let doc_required: Vec<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, s)| {
            s.get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| !r.is_empty())
        })
        .map(|(name, _)| name.clone())
        .collect();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(reference) = item.pointer_mut(&format!("/patch{body_ref}")) else {
                continue;
            };
            let Some(name) = reference.as_str().and_then(|r| r.rsplit('/').next()) else {
                continue;
            };
            let name = name.to_owned();
            let required = doc_required.contains(&name);
            if !required {
                continue;
            }
            let patch = format!("{}Patch", name.strip_suffix("Body").unwrap_or(&name));
            *reference = Value::String(format!("#/components/schemas/{patch}"));
            copies.push((name, patch));
        }
    }
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, patch) in &copies {
        let Some(mut copy) = schemas.get(name).cloned() else {
            continue;
        };
        if let Some(o) = copy.as_object_mut() {
            o.remove("required");
        }
        schemas.insert(patch.clone(), copy);
    }
    // A body only PATCH used (`CustomerBody`) is now named by nothing.
    let text = serde_json::to_string(doc).unwrap_or_default();
    let unused: Vec<String> = copies
        .iter()
        .map(|(name, _)| name.clone())
        .filter(|name| !text.contains(&format!("\"#/components/schemas/{name}\"")))
        .collect();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in unused {
            schemas.remove(&name);
        }
    }
}
