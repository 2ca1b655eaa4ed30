//! The audit log's hash chain. Each entry's hash covers its own fields and the
//! previous entry's hash, so a changed, deleted or reordered row breaks the
//! chain at that row.

use sha2::{Digest, Sha256};

/// The hash of the (empty) chain before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an audit entry's hash covers, in a fixed order.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub id: i64,
    pub at: i64,
    pub actor_kind: &'a str,
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub source_ip: Option<&'a str>,
}

/// `sha256(prev_hash ‖ fields)`, hex. Every field is length-prefixed so no two
/// different entries serialise to the same bytes.
pub fn chain_hash(prev_hash: &str, f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    put(prev_hash);
    put(&f.id.to_string());
    put(&f.at.to_string());
    put(f.actor_kind);
    put(&f.actor_id.map(|i| i.to_string()).unwrap_or_default());
    put(f.actor_name);
    put(f.action);
    put(f.entity_kind);
    put(f.entity_id);
    put(f.before.unwrap_or("\u{0}"));
    put(f.after.unwrap_or("\u{0}"));
    put(f.source_ip.unwrap_or(""));
    hex_lower(&h.finalize())
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(id: i64, action: &str) -> Fields<'_> {
        Fields {
            id,
            at: 1_700_000_000,
            actor_kind: "user",
            actor_id: Some(1),
            actor_name: "admin",
            action,
            entity_kind: "user",
            entity_id: "2",
            before: None,
            after: Some("{}"),
            source_ip: Some("127.0.0.1"),
        }
    }

    #[test]
    fn any_change_changes_the_hash() {
        let a = chain_hash(GENESIS, &fields(1, "user.create"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, chain_hash(GENESIS, &fields(2, "user.create")));
        assert_ne!(a, chain_hash(GENESIS, &fields(1, "user.update")));
        assert_ne!(a, chain_hash(&a, &fields(1, "user.create")));
        // None and empty are different values.
        let mut f = fields(1, "user.create");
        f.after = Some("");
        assert_ne!(a, chain_hash(GENESIS, &f));
    }
}
