//! Contracts (subscriptions): the status machine and the service
//! credentials' rules.
//!
//! ```text
//! pending_installation ──► active ◄──► suspended(reason)
//!          │                  │              │
//!          └──────────────────┴──────────────┴──► canceled (final)
//! ```

use std::net::{IpAddr, Ipv4Addr};

use crate::catalog::text_enum;
use crate::validate::FieldError;

text_enum!(
    /// Where a contract is in its life.
    Status {
        PendingInstallation = "pending_installation",
        Active = "active",
        Suspended = "suspended",
        Canceled = "canceled",
    }
);

text_enum!(
    /// Why a contract is suspended.
    SuspendReason {
        NonPayment = "non_payment",
        CustomerRequest = "customer_request",
        Administrative = "administrative",
    }
);

/// A requested change of status, refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a contract cannot go from {current} to {requested}")]
    Illegal { current: Status, requested: Status },
    #[error(
        "suspending a contract needs a reason (non_payment, customer_request or administrative)"
    )]
    ReasonRequired,
    #[error("only a suspension takes a suspension reason")]
    ReasonNotAllowed,
}

impl Status {
    /// Whether `self → to` is an edge of the machine.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (PendingInstallation, Active)
                | (PendingInstallation, Canceled)
                | (Active, Suspended)
                | (Active, Canceled)
                | (Suspended, Active)
                | (Suspended, Canceled)
        )
    }

    /// Statuses reachable from here, for buttons and API hints.
    pub fn next(self) -> Vec<Status> {
        Status::ALL
            .iter()
            .copied()
            .filter(|s| self.can_become(*s))
            .collect()
    }

    /// Checks a transition with its suspension reason.
    pub fn transition(
        self,
        to: Status,
        reason: Option<SuspendReason>,
    ) -> Result<(), TransitionError> {
        if !self.can_become(to) {
            return Err(TransitionError::Illegal {
                current: self,
                requested: to,
            });
        }
        match (to, reason) {
            (Status::Suspended, None) => Err(TransitionError::ReasonRequired),
            (Status::Suspended, Some(_)) => Ok(()),
            (_, Some(_)) => Err(TransitionError::ReasonNotAllowed),
            (_, None) => Ok(()),
        }
    }

    /// Whether the subscriber may use the service (RADIUS accepts with the
    /// plan's profile).
    pub fn in_service(self) -> bool {
        self == Status::Active
    }
}

/// Billing days run 1–28 so every month has them.
pub fn billing_day(d: i64) -> Result<(), FieldError> {
    if (1..=28).contains(&d) {
        Ok(())
    } else {
        Err(FieldError::Range)
    }
}

/// A PPPoE / hotspot login: 3–64 of lowercase letters, digits, `.`, `-`,
/// `_`, `@` (so `joao.silva@fibrasul` works), starting with a letter or digit.
pub fn login(s: &str) -> Result<(), FieldError> {
    let ok_len = (3..=64).contains(&s.len());
    let ok_chars = s.chars().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_' | '@')
    });
    let ok_start = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok_len && ok_chars && ok_start {
        Ok(())
    } else {
        Err(FieldError::Login)
    }
}

/// A login made from a customer's name: `Maria José da Silva` → `maria.silva`
/// (the caller appends a number when it is taken).
pub fn login_from_name(name: &str) -> String {
    let words: Vec<String> = crate::crm::search::words(name)
        .into_iter()
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|w| {
            !w.is_empty() && !matches!(w.as_str(), "da" | "de" | "do" | "das" | "dos" | "e")
        })
        .collect();
    let base = match words.as_slice() {
        [] => "cliente".to_owned(),
        [one] => one.clone(),
        [first, .., last] => format!("{first}.{last}"),
    };
    let mut b: String = base.chars().take(48).collect();
    while b.len() < 3 {
        b.push('0');
    }
    b
}

/// `00:11:22:aa:bb:cc`, `00-11-22-AA-BB-CC` or `0011.22aa.bbcc` →
/// `00:11:22:AA:BB:CC`.
pub fn mac(s: &str) -> Result<String, FieldError> {
    let hex: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(FieldError::Mac);
    }
    let hex = hex.to_ascii_uppercase();
    Ok(hex
        .as_bytes()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect::<Vec<_>>()
        .join(":"))
}

/// A static IPv4 address in canonical text.
pub fn ipv4(s: &str) -> Result<String, FieldError> {
    s.trim()
        .parse::<Ipv4Addr>()
        .map(|a| a.to_string())
        .map_err(|_| FieldError::Ipv4)
}

/// A delegated IPv6 prefix (/32–/128), host bits cleared, canonical text.
pub fn ipv6_prefix(s: &str) -> Result<String, FieldError> {
    match s.trim().parse::<ipnet::IpNet>() {
        Ok(ipnet::IpNet::V6(n)) if (32..=128).contains(&n.prefix_len()) => {
            Ok(n.trunc().to_string())
        }
        _ => Err(FieldError::Ipv6Prefix),
    }
}

/// Whether a query looks like an IP address (for search).
pub fn as_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn every_pair_of_statuses() {
        // (from, to, allowed)
        let table = [
            (PendingInstallation, PendingInstallation, false),
            (PendingInstallation, Active, true),
            (PendingInstallation, Suspended, false),
            (PendingInstallation, Canceled, true),
            (Active, PendingInstallation, false),
            (Active, Active, false),
            (Active, Suspended, true),
            (Active, Canceled, true),
            (Suspended, PendingInstallation, false),
            (Suspended, Active, true),
            (Suspended, Suspended, false),
            (Suspended, Canceled, true),
            (Canceled, PendingInstallation, false),
            (Canceled, Active, false),
            (Canceled, Suspended, false),
            (Canceled, Canceled, false),
        ];
        assert_eq!(table.len(), Status::ALL.len() * Status::ALL.len());
        for (from, to, allowed) in table {
            assert_eq!(from.can_become(to), allowed, "{from} -> {to}");
            let reason = (to == Suspended).then_some(SuspendReason::NonPayment);
            let r = from.transition(to, reason);
            if allowed {
                assert_eq!(r, Ok(()), "{from} -> {to}");
            } else {
                let e = r.unwrap_err();
                assert_eq!(
                    e,
                    TransitionError::Illegal {
                        current: from,
                        requested: to
                    }
                );
                let msg = e.to_string();
                assert!(
                    msg.contains(from.as_str()) && msg.contains(to.as_str()),
                    "{msg}"
                );
            }
        }
        assert_eq!(
            Canceled.transition(Active, None).unwrap_err().to_string(),
            "a contract cannot go from canceled to active"
        );
        assert_eq!(Canceled.next(), vec![]);
        assert_eq!(Active.next(), vec![Suspended, Canceled]);
    }

    #[test]
    fn suspension_reasons() {
        for r in SuspendReason::ALL {
            assert_eq!(Active.transition(Suspended, Some(*r)), Ok(()));
            assert_eq!(SuspendReason::parse(r.as_str()), Some(*r));
        }
        assert_eq!(
            Active.transition(Suspended, None),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            Suspended.transition(Active, Some(SuspendReason::Administrative)),
            Err(TransitionError::ReasonNotAllowed)
        );
        assert!(Active.in_service() && !Suspended.in_service());
    }

    #[test]
    fn credentials() {
        for ok in ["joao.silva", "abc", "cliente-0001", "a_b@fibrasul"] {
            assert_eq!(login(ok), Ok(()), "{ok}");
        }
        for bad in ["ab", "Joao", "joão", ".joao", "a b", &"x".repeat(65)] {
            assert_eq!(login(bad), Err(FieldError::Login), "{bad}");
        }
        assert_eq!(login_from_name("Maria José da Silva"), "maria.silva");
        assert_eq!(login_from_name("Ötica"), "otica");
        assert_eq!(login_from_name("Li"), "li0");
        assert_eq!(login_from_name("!!"), "cliente");
        assert_eq!(mac("00-11-22-aa-bb-cc").unwrap(), "00:11:22:AA:BB:CC");
        assert_eq!(mac("0011.22aa.bbcc").unwrap(), "00:11:22:AA:BB:CC");
        assert_eq!(mac("00:11:22:aa:bb"), Err(FieldError::Mac));
        assert_eq!(mac("00:11:22:aa:bb:zz"), Err(FieldError::Mac));
        assert_eq!(ipv4(" 100.64.0.10 ").unwrap(), "100.64.0.10");
        assert_eq!(ipv4("100.64.0.256"), Err(FieldError::Ipv4));
        assert_eq!(ipv4("2001:db8::1"), Err(FieldError::Ipv4));
        assert_eq!(
            ipv6_prefix("2001:db8:100:1::/56").unwrap(),
            "2001:db8:100::/56"
        );
        assert_eq!(ipv6_prefix("2001:db8::/16"), Err(FieldError::Ipv6Prefix));
        assert_eq!(ipv6_prefix("10.0.0.0/24"), Err(FieldError::Ipv6Prefix));
        assert_eq!(billing_day(28), Ok(()));
        assert_eq!(billing_day(29), Err(FieldError::Range));
        assert_eq!(billing_day(0), Err(FieldError::Range));
        assert!(as_ip("100.64.0.10").is_some() && as_ip("joao").is_none());
    }
}
