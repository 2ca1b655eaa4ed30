//! Stripe's form encoding: `application/x-www-form-urlencoded` bodies whose
//! keys carry nesting in brackets (`metadata[invoice]=…`,
//! `line_items[0][price_data][currency]=brl`), as Stripe's own libraries
//! send them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Flattens a JSON object into Stripe's bracketed form pairs, in the
/// object's order. Objects nest as `key[sub]`, arrays as `key[0]`, booleans
/// become `true`/`false`, and nulls are left out (Stripe reads an empty
/// string as "unset", which we never mean by a missing value).
pub fn pairs(params: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Object(map) = params {
        for (key, value) in map {
            flatten(key.clone(), value, &mut out);
        }
    }
    out
}

/// The form body of [`pairs`], percent-encoded (brackets as `%5B`/`%5D`).
pub fn encode(params: &Value) -> String {
    serde_urlencoded::to_string(pairs(params)).unwrap_or_default()
}

fn flatten(prefix: String, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((prefix, b.to_string())),
        Value::Number(n) => out.push((prefix, n.to_string())),
        Value::String(s) => out.push((prefix, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(format!("{prefix}[{i}]"), item, out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                flatten(format!("{prefix}[{key}]"), item, out);
            }
        }
    }
}

/// A form body that does not decode into nested parameters.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormError {
    /// Not `application/x-www-form-urlencoded` at all.
    #[error("form body: {0}")]
    Syntax(String),
    /// A key whose brackets do not close or that has text after a `]`.
    #[error("form key {0:?}: malformed brackets")]
    Key(String),
    /// The same parameter given as a value and as a nested object.
    #[error("form key {0:?}: given both as a value and as a nested object")]
    Conflict(String),
}

enum Node {
    Leaf(String),
    Map(BTreeMap<String, Node>),
}

/// Decodes a bracketed form body into nested JSON (values stay strings;
/// objects whose keys are exactly `0..n` become arrays, `key[]` appends).
/// The inverse of [`encode`], used by the fake server.
pub fn decode(body: &str) -> Result<Value, FormError> {
    let flat: Vec<(String, String)> =
        serde_urlencoded::from_str(body).map_err(|e| FormError::Syntax(e.to_string()))?;
    let mut root = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (key, value) in flat {
        let path = split_key(&key)?;
        if !order.contains(&path[0]) {
            order.push(path[0].clone());
        }
        insert(&mut root, &path, value, &key)?;
    }
    let mut out = Map::new();
    for name in order {
        if let Some(node) = root.remove(&name) {
            out.insert(name, to_value(node));
        }
    }
    Ok(Value::Object(out))
}

fn split_key(key: &str) -> Result<Vec<String>, FormError> {
    let bad = || FormError::Key(key.to_owned());
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() || head.contains(']') {
        return Err(bad());
    }
    let mut path = vec![head.to_owned()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[').ok_or_else(bad)?;
        let close = inner.find(']').ok_or_else(bad)?;
        let segment = &inner[..close];
        if segment.contains('[') {
            return Err(bad());
        }
        path.push(segment.to_owned());
        rest = &inner[close + 1..];
    }
    Ok(path)
}

fn insert(
    map: &mut BTreeMap<String, Node>,
    path: &[String],
    value: String,
    key: &str,
) -> Result<(), FormError> {
    let conflict = || FormError::Conflict(key.to_owned());
    let segment = if path[0].is_empty() {
        // `key[]`: the next index of this array.
        map.len().to_string()
    } else {
        path[0].clone()
    };
    if path.len() == 1 {
        if map.contains_key(&segment) {
            return Err(conflict());
        }
        map.insert(segment, Node::Leaf(value));
        return Ok(());
    }
    let child = map
        .entry(segment)
        .or_insert_with(|| Node::Map(BTreeMap::new()));
    match child {
        Node::Map(inner) => insert(inner, &path[1..], value, key),
        Node::Leaf(_) => Err(conflict()),
    }
}

fn to_value(node: Node) -> Value {
    match node {
        Node::Leaf(s) => Value::String(s),
        Node::Map(map) => {
            let n = map.len();
            let mut indexed: Vec<(usize, Node)> = Vec::with_capacity(n);
            let mut all_indices = true;
            let mut named = Map::new();
            for (key, child) in map {
                match key.parse::<usize>() {
                    Ok(i) if all_indices && key == i.to_string() => indexed.push((i, child)),
                    _ => {
                        all_indices = false;
                        named.insert(key, to_value(child));
                    }
                }
            }
            if all_indices {
                indexed.sort_by_key(|(i, _)| *i);
                if indexed.iter().enumerate().all(|(pos, (i, _))| pos == *i) {
                    return Value::Array(indexed.into_iter().map(|(_, c)| to_value(c)).collect());
                }
            }
            for (i, child) in indexed {
                named.insert(i.to_string(), to_value(child));
            }
            Value::Object(named)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_objects_and_arrays_use_brackets() {
        let params = json!({
            "mode": "payment",
            "line_items": [{"price_data": {"currency": "brl", "unit_amount": 9990}, "quantity": 1}],
            "metadata": {"invoice": "INV-1"},
            "skip": null,
            "off_session": true,
        });
        // serde_json's map order depends on its features: compare sorted.
        let mut got = pairs(&params);
        got.sort();
        let want: Vec<(String, String)> = vec![
            ("line_items[0][price_data][currency]".into(), "brl".into()),
            (
                "line_items[0][price_data][unit_amount]".into(),
                "9990".into(),
            ),
            ("line_items[0][quantity]".into(), "1".into()),
            ("metadata[invoice]".into(), "INV-1".into()),
            ("mode".into(), "payment".into()),
            ("off_session".into(), "true".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn decode_inverts_encode() {
        let params = json!({
            "a": "1",
            "list": [{"x": "y"}, {"x": "z"}],
            "m": {"k": "v w&="},
        });
        assert_eq!(decode(&encode(&params)).expect("decodes"), params);
    }

    #[test]
    fn malformed_keys_and_conflicts_are_named() {
        assert_eq!(decode("a%5Bb=1"), Err(FormError::Key("a[b".into())));
        assert_eq!(
            decode("a=1&a%5Bb%5D=2"),
            Err(FormError::Conflict("a[b]".into()))
        );
        assert_eq!(
            decode("x%5B%5D=1&x%5B%5D=2").expect("ok"),
            serde_json::json!({"x": ["1", "2"]})
        );
    }
}
