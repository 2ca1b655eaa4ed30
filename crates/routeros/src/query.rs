//! Query words (`?…`) of `print`: building them and evaluating them.
//!
//! The manual's rules: query words are evaluated in order against each
//! item, each pushing a boolean on a stack, `?#…` rewriting the stack;
//! an item is printed when every value left on the stack is true (an
//! empty stack matches everything).
//!
//! | word            | pushes                                          |
//! |-----------------|-------------------------------------------------|
//! | `?name`         | whether the item has `name`                     |
//! | `?-name`        | whether it has not                              |
//! | `?name=x`, `?=name=x` | whether `name` equals `x`                 |
//! | `?<name=x`      | whether `name` is less than `x`                 |
//! | `?>name=x`      | whether `name` is greater than `x`              |
//! | `?#ops`         | stack operations, read left to right: `!` negates the top; `&` and `\|` pop two and push their and/or; digits `N` push a copy of the value `N` from the top (0 is the top), or, at the end of the word, replace the whole stack with it; `.` after an index does nothing, elsewhere pushes a copy of the top |

use crate::Row;

/// Query words for a `print`, built in order.
///
/// ```
/// use routeros::Query;
/// // Items of type ether or vlan, as in the manual.
/// let q = Query::new().eq("type", "ether").eq("type", "vlan").or();
/// assert_eq!(q.words(), ["?=type=ether", "?=type=vlan", "?#|"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    words: Vec<String>,
}

impl Query {
    /// No condition: every item.
    pub fn new() -> Query {
        Query::default()
    }

    /// Pushes whether `name` equals `value`.
    pub fn eq(self, name: &str, value: &str) -> Query {
        self.word(format!("?={name}={value}"))
    }

    /// Pushes whether the item has `name`.
    pub fn has(self, name: &str) -> Query {
        self.word(format!("?{name}"))
    }

    /// Pushes whether the item lacks `name`.
    pub fn lacks(self, name: &str) -> Query {
        self.word(format!("?-{name}"))
    }

    /// Pushes whether `name` is less than `value`.
    pub fn lt(self, name: &str, value: &str) -> Query {
        self.word(format!("?<{name}={value}"))
    }

    /// Pushes whether `name` is greater than `value`.
    pub fn gt(self, name: &str, value: &str) -> Query {
        self.word(format!("?>{name}={value}"))
    }

    /// Replaces the two top values with their "or".
    pub fn or(self) -> Query {
        self.ops("|")
    }

    /// Replaces the two top values with their "and".
    pub fn and(self) -> Query {
        self.ops("&")
    }

    /// Negates the top value.
    pub fn negate(self) -> Query {
        self.ops("!")
    }

    /// Stack operations as the manual writes them (`|!`, `0&`…).
    pub fn ops(self, ops: &str) -> Query {
        self.word(format!("?#{ops}"))
    }

    fn word(mut self, word: String) -> Query {
        self.words.push(word);
        self
    }

    /// The words, each starting with `?`.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The words without their `?`, as the REST API's `.query` takes them.
    pub fn rest_words(&self) -> Vec<&str> {
        self.words.iter().map(|w| &w[1..]).collect()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// A query of received words (each with or without its `?`).
    pub fn from_words<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> Query {
        Query {
            words: words
                .into_iter()
                .map(|w| {
                    let w = w.as_ref();
                    if w.starts_with('?') {
                        w.to_owned()
                    } else {
                        format!("?{w}")
                    }
                })
                .collect(),
        }
    }

    /// Checks the words without an item: operations that would need more
    /// values than earlier words push, and unknown operations, are errors.
    pub fn validate(&self) -> Result<(), QueryError> {
        self.matches(&Row::new()).map(|_| ())
    }

    /// Evaluates the query against `row` as RouterOS does.
    ///
    /// Comparisons are numeric when both sides are integers, else by text.
    ///
    /// ```
    /// use routeros::{Query, Row};
    /// let row: Row = [("name", "alice"), ("type", "pppoe")].into_iter().collect();
    /// assert!(Query::new().eq("name", "alice").matches(&row).unwrap());
    /// assert!(!Query::new().eq("name", "alice").negate().matches(&row).unwrap());
    /// assert!(Query::new().has("comment").lacks("comment").or().matches(&row).unwrap());
    /// ```
    pub fn matches(&self, row: &Row) -> Result<bool, QueryError> {
        let mut stack: Vec<bool> = Vec::new();
        for (index, word) in self.words.iter().enumerate() {
            let body = &word[1..];
            let err = |reason: String| QueryError {
                index,
                word: word.clone(),
                reason,
            };
            if let Some(ops) = body.strip_prefix('#') {
                apply_ops(ops, &mut stack).map_err(err)?;
                continue;
            }
            let value = if let Some(name) = body.strip_prefix('-') {
                !row.contains(name)
            } else if let Some(rest) = body.strip_prefix('<') {
                let (name, v) = split_eq(rest).ok_or_else(|| err("needs name=value".into()))?;
                row.get(name).is_some_and(|have| compare(have, v).is_lt())
            } else if let Some(rest) = body.strip_prefix('>') {
                let (name, v) = split_eq(rest).ok_or_else(|| err("needs name=value".into()))?;
                row.get(name).is_some_and(|have| compare(have, v).is_gt())
            } else {
                let rest = body.strip_prefix('=').unwrap_or(body);
                match split_eq(rest) {
                    Some((name, v)) => row.get(name) == Some(v),
                    None if rest.is_empty() => return Err(err("no property name".into())),
                    None => row.contains(rest),
                }
            };
            stack.push(value);
        }
        Ok(stack.iter().all(|v| *v))
    }
}

fn split_eq(s: &str) -> Option<(&str, &str)> {
    let (name, value) = s.split_once('=')?;
    (!name.is_empty()).then_some((name, value))
}

fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

fn apply_ops(ops: &str, stack: &mut Vec<bool>) -> Result<(), String> {
    let bytes = ops.as_bytes();
    let mut i = 0;
    let top = |stack: &Vec<bool>, what: &str| -> Result<bool, String> {
        stack
            .last()
            .copied()
            .ok_or_else(|| format!("`{what}` on an empty stack"))
    };
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let n: usize = ops[start..i]
                .parse()
                .map_err(|_| format!("stack index {} is too large", &ops[start..i]))?;
            // Index 0 is the top; an index past the bottom (usize::MAX
            // included) is an error, never arithmetic overflow.
            let value = n
                .checked_add(1)
                .and_then(|depth| stack.len().checked_sub(depth))
                .map(|at| stack[at])
                .ok_or_else(|| format!("stack index {n} with {} values", stack.len()))?;
            if i == bytes.len() {
                stack.clear();
                stack.push(value);
            } else {
                stack.push(value);
                if bytes[i] == b'.' {
                    i += 1;
                }
            }
            continue;
        }
        match c {
            b'!' => {
                let v = top(stack, "!")?;
                stack.pop();
                stack.push(!v);
            }
            b'&' | b'|' => {
                if stack.len() < 2 {
                    return Err(format!(
                        "`{}` needs two values, the stack has {}",
                        c as char,
                        stack.len()
                    ));
                }
                let (b, a) = (stack.pop(), stack.pop());
                let (Some(a), Some(b)) = (a, b) else {
                    unreachable!("two values checked above")
                };
                stack.push(if c == b'&' { a && b } else { a || b });
            }
            b'.' => {
                let v = top(stack, ".")?;
                stack.push(v);
            }
            other => return Err(format!("unknown operation `{}`", other as char)),
        }
        i += 1;
    }
    Ok(())
}

/// A query word that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query word {index} `{word}`: {reason}")]
pub struct QueryError {
    /// Position among the query words (0 is the first).
    pub index: usize,
    /// The word.
    pub word: String,
    /// What is wrong with it.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs.iter().copied().collect()
    }

    /// Data-driven: (query words, item, expected).
    #[test]
    fn evaluation_table() {
        let ether = row(&[("name", "ether1"), ("type", "ether"), ("mtu", "1500")]);
        let vlan = row(&[("name", "vlan9"), ("type", "vlan"), ("mtu", "1496")]);
        let cases: &[(&[&str], &Row, bool)] = &[
            (&[], &ether, true),
            (&["?type=ether"], &ether, true),
            (&["?=type=ether"], &vlan, false),
            (&["?type=ether", "?type=vlan", "?#|"], &vlan, true),
            (&["?type=ether", "?type=vlan", "?#|!"], &vlan, false),
            (&["?type=ether", "?type=vlan"], &ether, false),
            (&["?mtu"], &ether, true),
            (&["?-comment"], &ether, true),
            (&["?comment"], &ether, false),
            (&["?<mtu=1500"], &vlan, true),
            (&["?<mtu=1500"], &ether, false),
            (&[">mtu=999"], &ether, true),
            (&["?>name=f"], &vlan, true),
            // Index forms: "0" alone replaces the stack with its top.
            (&["?type=vlan", "?mtu", "?#0"], &ether, true),
            (&["?type=vlan", "?mtu", "?#1"], &ether, false),
            // "1." pushes a copy of the value one below the top.
            (&["?type=ether", "?mtu", "?#1.&"], &ether, true),
            (&["?type=ether", "?#.!|"], &vlan, true),
        ];
        for (words, item, want) in cases {
            let q = Query::from_words(words.iter());
            assert_eq!(q.matches(item).unwrap(), *want, "{words:?} on {item}");
        }
    }

    #[test]
    fn malformed_queries_name_the_word() {
        let e = Query::from_words(["?name=a", "?#&"])
            .validate()
            .unwrap_err();
        assert_eq!(e.index, 1);
        assert_eq!(
            e.to_string(),
            "query word 1 `?#&`: `&` needs two values, the stack has 1"
        );
        assert!(Query::from_words(["?#x"]).validate().is_err());
        assert!(Query::from_words(["?#!"]).validate().is_err());
        assert!(Query::from_words(["?<mtu"]).validate().is_err());
        assert!(Query::from_words(["?="]).validate().is_err());
        assert!(Query::from_words(["?#5"]).validate().is_err());
        // Found by the query_eval fuzz target: the largest index overflowed.
        let e = Query::from_words(["?#00018446744073709551615d"])
            .validate()
            .unwrap_err();
        assert_eq!(e.reason, "stack index 18446744073709551615 with 0 values");
    }

    #[test]
    fn builder_words() {
        let q = Query::new()
            .has("a")
            .lacks("b")
            .lt("c", "1")
            .gt("d", "2")
            .eq("e", "x=y")
            .and()
            .negate();
        assert_eq!(
            q.words(),
            ["?a", "?-b", "?<c=1", "?>d=2", "?=e=x=y", "?#&", "?#!"]
        );
        assert_eq!(q.rest_words()[0], "a");
    }
}
