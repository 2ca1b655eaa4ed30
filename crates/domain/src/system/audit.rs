//! The audit log's hash chain. Each entry's hash covers its own fields and the
//! previous entry's hash, so a changed, deleted or reordered row breaks the
//! chain at that row.

use jiff::tz::TimeZone;
use sha2::{Digest, Sha256};

use crate::validate::FieldError;

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

/// Which end of the audit list's period a bound is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// The first instant listed.
    From,
    /// The first instant no longer listed.
    To,
}

/// Reads a bound of the audit list's period as staff and API clients type
/// it, in the installation's time zone `tz`:
///
/// - a calendar date `YYYY-MM-DD`: the day as the company lives it, so
///   `From` is its first instant and `To` the first instant of the next
///   day (a `to` date includes that whole day);
/// - a wall-clock time `YYYY-MM-DD HH:MM[:SS]` (or with `T`) in `tz`;
/// - an RFC 3339 instant with its offset, or Unix seconds.
///
/// Blank is no bound; anything else is `FieldError::Date`, never a silent
/// "no bound".
pub fn period_bound(s: &str, tz: &TimeZone, edge: Edge) -> Result<Option<i64>, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = s.parse::<i64>() {
        return Ok(Some(n));
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(Some(t.as_second()));
    }
    let at = if s.contains(['T', 't', ' ']) {
        s.replacen(' ', "T", 1)
            .parse::<jiff::civil::DateTime>()
            .map_err(|_| FieldError::Date)?
    } else {
        let day: jiff::civil::Date = s.parse().map_err(|_| FieldError::Date)?;
        let day = match edge {
            Edge::From => day,
            Edge::To => day.tomorrow().map_err(|_| FieldError::Date)?,
        };
        day.to_datetime(jiff::civil::Time::midnight())
    };
    // A day whose midnight a DST change skips starts at the first instant
    // that exists (jiff's "compatible" reading of a gap).
    at.to_zoned(tz.clone())
        .map(|z| Some(z.timestamp().as_second()))
        .map_err(|_| FieldError::Date)
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

    #[test]
    fn period_bounds_are_days_in_the_company_zone() {
        let sp = TimeZone::get("America/Sao_Paulo").unwrap();
        let utc = TimeZone::UTC;
        // 2026-03-01 starts at 03:00 UTC in São Paulo (UTC−3).
        let start = 1_772_334_000;
        assert_eq!(period_bound("2026-03-01", &sp, Edge::From), Ok(Some(start)));
        assert_eq!(
            period_bound(" 2026-03-01 ", &sp, Edge::To),
            Ok(Some(start + 86_400))
        );
        assert_eq!(
            period_bound("2026-03-01", &utc, Edge::From),
            Ok(Some(start - 3 * 3600))
        );
        assert_eq!(
            period_bound("2026-03-01 14:05", &sp, Edge::To),
            Ok(Some(start + 14 * 3600 + 300))
        );
        assert_eq!(
            period_bound("2026-03-01T17:05:00Z", &sp, Edge::From),
            Ok(Some(start + 14 * 3600 + 300))
        );
        assert_eq!(period_bound("1772334000", &sp, Edge::To), Ok(Some(start)));
        assert_eq!(period_bound("  ", &sp, Edge::From), Ok(None));
        for bad in ["yesterday", "2026-02-30", "01/03/2026", "2026-03-01 25:00"] {
            assert_eq!(
                period_bound(bad, &sp, Edge::From),
                Err(FieldError::Date),
                "{bad}"
            );
        }
        // São Paulo skipped midnight on 2018-11-04 (DST began at 00:00):
        // that day starts at 01:00 local, 03:00 UTC.
        assert_eq!(
            period_bound("2018-11-04", &sp, Edge::From),
            Ok(Some(1_541_300_400))
        );
    }
}
