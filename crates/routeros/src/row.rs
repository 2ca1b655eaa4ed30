//! One item of a menu as the router prints it.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An item's properties in the order the router sent them, `.id` among
/// them (`*1A`). Values are text, as both APIs carry them (`yes`/`true`,
/// `10M/20M`, `1d2h`): interpreting them is the caller's business.
///
/// Lookups are linear: rows have a few dozen properties at most.
///
/// ```
/// use routeros::Row;
/// let row: Row = [(".id", "*1"), ("name", "alice"), ("profile", "default")].into_iter().collect();
/// assert_eq!(row.id(), Some("*1"));
/// assert_eq!(row.get("name"), Some("alice"));
/// assert_eq!(row.keys().collect::<Vec<_>>(), [".id", "name", "profile"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Row {
    fields: Vec<(String, String)>,
}

impl Row {
    /// An empty row.
    pub fn new() -> Row {
        Row::default()
    }

    /// The value of `key`, if the row has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the row has `key` (with any value, empty included).
    pub fn contains(&self, key: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == key)
    }

    /// The item's id (`.id`, such as `*1A`).
    pub fn id(&self) -> Option<&str> {
        self.get(".id")
    }

    /// Sets `key` to `value`: in place when present, else at the end.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.fields.push((key, value)),
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.fields.iter().position(|(k, _)| k == key)?;
        Some(self.fields.remove(i).1)
    }

    /// Keeps only the keys `keep` says yes to, in their order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.fields.retain(|(k, v)| keep(k, v));
    }

    /// Properties in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Property names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| k.as_str())
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the row has no properties.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Row {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Row {
        let mut row = Row::new();
        for (k, v) in iter {
            row.insert(k, v);
        }
        row
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for Row {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for Row {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.into_iter()
    }
}

impl fmt::Display for Row {
    /// `key=value` pairs separated by spaces, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// A JSON object with string values, in order (what the REST API sends and
/// takes).
impl Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (k, v) in &self.fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// From a JSON object, keeping its order. The REST API sends every value
/// as a string; numbers and booleans are taken as their text, `null`
/// leaves the property out.
impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Row, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of properties")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
                let mut row = Row::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    let v = match v {
                        serde_json::Value::Null => continue,
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Bool(b) => b.to_string(),
                        serde_json::Value::Number(n) => n.to_string(),
                        other => other.to_string(),
                    };
                    row.insert(k, v);
                }
                Ok(row)
            }
        }
        deserializer.deserialize_map(RowVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_order_and_takes_scalars_as_text() {
        let row: Row =
            serde_json::from_str(r#"{".id":"*2","name":"b","zeta":true,"alpha":5,"gone":null}"#)
                .unwrap();
        assert_eq!(
            row.iter().collect::<Vec<_>>(),
            [
                (".id", "*2"),
                ("name", "b"),
                ("zeta", "true"),
                ("alpha", "5")
            ]
        );
        assert_eq!(
            serde_json::to_string(&row).unwrap(),
            r#"{".id":"*2","name":"b","zeta":"true","alpha":"5"}"#
        );
    }

    #[test]
    fn insert_replaces_in_place() {
        let mut row: Row = [("a", "1"), ("b", "2")].into_iter().collect();
        row.insert("a", "3");
        row.insert("c", "4");
        assert_eq!(row.to_string(), "a=3 b=2 c=4");
        assert_eq!(row.remove("b").as_deref(), Some("2"));
        assert_eq!(row.len(), 2);
    }
}
