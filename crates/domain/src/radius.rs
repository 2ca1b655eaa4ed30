//! RADIUS administration rules: NAS kinds and addresses, the reason codes
//! the AAA runtime writes to the authentication log, and the parsing behind
//! "who had address X at time T" (Marco Civil, art. 13).

use std::net::IpAddr;

use crate::validate::FieldError;

/// The vendor profile a NAS gets replies from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NasKind {
    Mikrotik,
    AccelPpp,
    Cisco,
    Huawei,
    Juniper,
    Generic,
}

impl NasKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [NasKind; 6] = [
        NasKind::Mikrotik,
        NasKind::AccelPpp,
        NasKind::Cisco,
        NasKind::Huawei,
        NasKind::Juniper,
        NasKind::Generic,
    ];

    /// The stored code (`nas.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            NasKind::Mikrotik => "mikrotik",
            NasKind::AccelPpp => "accel-ppp",
            NasKind::Cisco => "cisco",
            NasKind::Huawei => "huawei",
            NasKind::Juniper => "juniper",
            NasKind::Generic => "generic",
        }
    }

    pub fn parse(s: &str) -> Option<NasKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// Reason codes the AAA runtime writes to `radius_auth_log.reason`; the
/// interfaces explain each in words.
pub const AUTH_REASONS: &[&str] = &[
    "wrong-password",
    "unknown-user",
    "contract-suspended",
    "contract-canceled",
    "contract-pending",
    "mac-mismatch",
    "simultaneous-use",
    "quota-blocked",
    "missing-message-authenticator",
    "unsupported-method",
];

/// Results in `radius_auth_log.result`.
pub const AUTH_RESULTS: &[&str] = &["accept", "restricted", "reject"];

/// Lowest retention, in days, of connection records: the Marco Civil
/// (art. 13) requires access providers to keep them for one year.
pub const MIN_SESSION_RETENTION_DAYS: i64 = 365;

/// A NAS's source address (IPv4 or IPv6), in canonical text.
pub fn nas_address(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    s.parse::<IpAddr>()
        .map(|a| a.to_canonical().to_string())
        .map_err(|_| FieldError::Choice)
}

/// A NAS name: 1–64 characters.
pub fn nas_name(s: &str) -> Result<(), FieldError> {
    crate::validate::required(s, 64)
}

/// A UDP port (1–65535).
pub fn port(p: i64) -> Result<(), FieldError> {
    if (1..=65535).contains(&p) {
        Ok(())
    } else {
        Err(FieldError::Range)
    }
}

/// What a "who" lookup searches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An IPv4 address (a `/32` is accepted and means the same).
    V4(String),
    /// An IPv6 address or prefix. `prefixes` lists every prefix (canonical
    /// text, host bits cleared) from /16 to the query's own length that
    /// contains it: a session holds the target when its framed or delegated
    /// prefix is one of them, which an index lookup on the stored text can
    /// answer.
    V6 {
        query: String,
        prefixes: Vec<String>,
    },
}

impl Target {
    /// The query in canonical text (for the audit log and for display).
    pub fn text(&self) -> &str {
        match self {
            Target::V4(a) => a,
            Target::V6 { query, .. } => query,
        }
    }
}

/// Parses the address or prefix of a "who" lookup.
pub fn who_target(s: &str) -> Result<Target, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    let net: ipnet::IpNet = match s.parse::<IpAddr>() {
        Ok(a) => ipnet::IpNet::from(a.to_canonical()),
        Err(_) => s.parse().map_err(|_| FieldError::Choice)?,
    };
    match net {
        ipnet::IpNet::V4(n) if n.prefix_len() == 32 => Ok(Target::V4(n.addr().to_string())),
        ipnet::IpNet::V4(_) => Err(FieldError::Ipv4),
        ipnet::IpNet::V6(n) => {
            let len = n.prefix_len();
            if len < 16 {
                return Err(FieldError::Ipv6Prefix);
            }
            let prefixes = (16..=len)
                .filter_map(|l| ipnet::Ipv6Net::new(n.addr(), l).ok())
                .map(|p| p.trunc().to_string())
                .collect();
            let query = if len == 128 {
                n.addr().to_string()
            } else {
                n.trunc().to_string()
            };
            Ok(Target::V6 { query, prefixes })
        }
    }
}

/// An instant typed by a person: RFC 3339 (`2026-03-01T14:05:00-03:00`,
/// `…Z`), or a wall-clock time `YYYY-MM-DD HH:MM[:SS]` (also with `T`, as
/// an HTML `datetime-local` field sends it) read in the zone `tz`. Returns
/// Unix seconds.
pub fn parse_instant(s: &str, tz: &jiff::tz::TimeZone) -> Result<i64, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_second());
    }
    let civil: jiff::civil::DateTime = s
        .replacen(' ', "T", 1)
        .parse()
        .map_err(|_| FieldError::Date)?;
    // A wall-clock time skipped or repeated by a DST change resolves the way
    // most people read it (the earlier instant); the result shows the offset.
    civil
        .to_zoned(tz.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(|_| FieldError::Date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in NasKind::ALL {
            assert_eq!(NasKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(NasKind::parse("cisco "), Some(NasKind::Cisco));
        assert_eq!(NasKind::parse("nokia"), None);
    }

    #[test]
    fn addresses_are_canonical() {
        assert_eq!(nas_address(" 10.0.0.1 ").as_deref(), Ok("10.0.0.1"));
        assert_eq!(
            nas_address("2001:0DB8:0000::0001").as_deref(),
            Ok("2001:db8::1")
        );
        // An IPv4-mapped IPv6 address is the IPv4 address.
        assert_eq!(nas_address("::ffff:10.1.2.3").as_deref(), Ok("10.1.2.3"));
        assert_eq!(nas_address(""), Err(FieldError::Required));
        assert_eq!(nas_address("10.0.0.300"), Err(FieldError::Choice));
        assert_eq!(nas_address("10.0.0.0/24"), Err(FieldError::Choice));
        assert_eq!(port(3799), Ok(()));
        assert_eq!(port(0), Err(FieldError::Range));
        assert_eq!(port(65536), Err(FieldError::Range));
    }

    #[test]
    fn who_targets() {
        assert_eq!(
            who_target("100.64.0.7"),
            Ok(Target::V4("100.64.0.7".into()))
        );
        assert_eq!(
            who_target("100.64.0.7/32"),
            Ok(Target::V4("100.64.0.7".into()))
        );
        assert_eq!(who_target("100.64.0.0/24"), Err(FieldError::Ipv4));
        assert_eq!(who_target("nope"), Err(FieldError::Choice));
        assert_eq!(who_target(" "), Err(FieldError::Required));
        assert_eq!(who_target("2001:db8::/8"), Err(FieldError::Ipv6Prefix));
        let Ok(Target::V6 { query, prefixes }) = who_target("2001:db8:100:5::1") else {
            panic!("an IPv6 address is a target");
        };
        assert_eq!(query, "2001:db8:100:5::1");
        assert_eq!(prefixes.len(), 113);
        assert!(prefixes.contains(&"2001:db8:100::/56".to_owned()));
        assert!(prefixes.contains(&"2001:db8:100:5::/64".to_owned()));
        assert!(prefixes.contains(&"2001:db8:100:5::1/128".to_owned()));
        let Ok(Target::V6 { query, prefixes }) = who_target("2001:db8:100:5:ffff::/64") else {
            panic!("an IPv6 prefix is a target");
        };
        assert_eq!(query, "2001:db8:100:5::/64");
        assert_eq!(
            prefixes.last().map(String::as_str),
            Some("2001:db8:100:5::/64")
        );
    }

    #[test]
    fn instants() {
        let sp = jiff::tz::TimeZone::get("America/Sao_Paulo").unwrap_or(jiff::tz::TimeZone::UTC);
        let utc = jiff::tz::TimeZone::UTC;
        // 2026-03-01 14:05 in São Paulo (UTC-3) is 17:05 UTC.
        let want = "2026-03-01T17:05:00Z"
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_second())
            .ok();
        assert_eq!(parse_instant("2026-03-01 14:05", &sp).ok(), want);
        assert_eq!(parse_instant("2026-03-01T14:05", &sp).ok(), want);
        assert_eq!(parse_instant("2026-03-01 14:05:00", &sp).ok(), want);
        assert_eq!(parse_instant("2026-03-01T14:05:00-03:00", &utc).ok(), want);
        assert_eq!(parse_instant("2026-03-01T17:05:00Z", &sp).ok(), want);
        assert_eq!(parse_instant("yesterday", &sp), Err(FieldError::Date));
        assert_eq!(parse_instant("", &sp), Err(FieldError::Required));
    }
}
