//! What an Accounting-Request says about a session (RFC 2866), as one typed
//! record: the status type, the session, the address the subscriber was
//! given (RFC 2865, RFC 3162, RFC 4818) and the counters, with RFC 2869's
//! Gigawords folded into 64-bit octet totals.
//!
//! [`Accounting::decode`] reads the attributes; [`Accounting::check`]
//! refuses counters no NAS can have sent. A server keeps the two apart: a
//! record with impossible counters is still a request the NAS expects an
//! answer to, and what to do with it (log it, keep it aside) is the
//! server's decision.
//!
//! ```
//! use radius::acct::{Accounting, StatusType};
//! use radius::{attr, Code, Packet};
//! let mut p = Packet::new(Code::AccountingRequest, 7);
//! p.add(attr::ACCT_STATUS_TYPE, 3);
//! p.add_text(attr::ACCT_SESSION_ID, "81000001");
//! p.add(attr::ACCT_INPUT_OCTETS, 5000);
//! p.add(attr::ACCT_INPUT_GIGAWORDS, 2);
//! let a = Accounting::decode(&p)?;
//! assert_eq!(a.status, StatusType::InterimUpdate);
//! assert_eq!(a.input.total(), (2 << 32) + 5000);
//! assert!(a.check().is_ok());
//! # Ok::<(), radius::acct::AcctError>(())
//! ```

use std::fmt;
use std::net::Ipv4Addr;

use crate::value::Ipv6Prefix;
use crate::{Code, Packet, attr};

/// Octet totals at or above this are refused by [`Accounting::check`]:
/// 2^56 bytes (about 72 PB) is a 10 Gbit/s subscriber transferring flat
/// out for 1.8 years in one session, i.e. Gigawords of 2^24 or more.
/// Beyond it a counter is broken or forged, and summing such values would
/// overflow a signed 64-bit total within a few hundred records.
pub const MAX_OCTETS: u64 = 1 << 56;

/// Acct-Status-Type values that describe a session or a NAS's sessions
/// (RFC 2866 section 5.1). The tunnel values of RFC 2867 and `Failed` (15)
/// are not session records; [`Accounting::decode`] refuses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusType {
    /// 1: a session began.
    Start,
    /// 2: a session ended.
    Stop,
    /// 3: a session goes on (RFC 2869 section 2.1).
    InterimUpdate,
    /// 7: the NAS (re)started accounting; it has no sessions open.
    AccountingOn,
    /// 8: the NAS stops accounting; its sessions are over.
    AccountingOff,
}

impl StatusType {
    /// The type for an attribute value; `None` for values that are not
    /// session records.
    pub fn from_code(n: u32) -> Option<StatusType> {
        Some(match n {
            1 => StatusType::Start,
            2 => StatusType::Stop,
            3 => StatusType::InterimUpdate,
            7 => StatusType::AccountingOn,
            8 => StatusType::AccountingOff,
            _ => return None,
        })
    }

    /// The attribute value.
    pub fn code(self) -> u32 {
        match self {
            StatusType::Start => 1,
            StatusType::Stop => 2,
            StatusType::InterimUpdate => 3,
            StatusType::AccountingOn => 7,
            StatusType::AccountingOff => 8,
        }
    }

    /// Whether the record is about the NAS as a whole (Accounting-On/Off),
    /// which needs no Acct-Session-Id.
    pub fn is_nas_wide(self) -> bool {
        matches!(self, StatusType::AccountingOn | StatusType::AccountingOff)
    }
}

impl fmt::Display for StatusType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StatusType::Start => "Start",
            StatusType::Stop => "Stop",
            StatusType::InterimUpdate => "Interim-Update",
            StatusType::AccountingOn => "Accounting-On",
            StatusType::AccountingOff => "Accounting-Off",
        })
    }
}

/// Which way traffic went, from the NAS's side of the subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Acct-Input-*: from the subscriber.
    Input,
    /// Acct-Output-*: to the subscriber.
    Output,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Input => "Input",
            Direction::Output => "Output",
        })
    }
}

/// One direction's octet counter: Acct-*-Octets (the low 32 bits) and
/// Acct-*-Gigawords (how many times it wrapped past 2^32, RFC 2869
/// section 5.1 and 5.2). Absent attributes count 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Counter {
    /// Acct-*-Octets.
    pub octets: u32,
    /// Acct-*-Gigawords.
    pub gigawords: u32,
}

impl Counter {
    /// Octets in all: `octets + gigawords × 2^32`. Any pair of 32-bit
    /// values fits a `u64`, so this never overflows; whether the total is
    /// believable is [`check_octets`]'s question.
    pub fn total(self) -> u64 {
        (u64::from(self.gigawords) << 32) | u64::from(self.octets)
    }
}

/// Why an Accounting-Request is not a session record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AcctError {
    /// The packet is not an Accounting-Request.
    #[error("a {0} is not an Accounting-Request")]
    NotAccountingRequest(Code),
    /// No Acct-Status-Type, or not a 4-octet integer.
    #[error("no Acct-Status-Type")]
    NoStatusType,
    /// A status type that is not a session record (tunnel accounting,
    /// `Failed`, or an unassigned value).
    #[error(
        "Acct-Status-Type {0} is not Start, Stop, Interim-Update, Accounting-On or Accounting-Off"
    )]
    OtherStatusType(u32),
    /// A session record without Acct-Session-Id (or with an empty one).
    #[error("a {0} without Acct-Session-Id")]
    NoSessionId(StatusType),
}

/// Counters no NAS can have sent (see [`MAX_OCTETS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "Acct-{direction}-Octets with its Gigawords give {total}, outside 0 to 2^56 (a broken or forged counter)"
)]
pub struct CounterError {
    /// The counter's direction.
    pub direction: Direction,
    /// Its octet total.
    pub total: u64,
}

/// Whether an octet total is one a NAS can have sent (below
/// [`MAX_OCTETS`]).
pub fn check_octets(direction: Direction, total: u64) -> Result<(), CounterError> {
    if total < MAX_OCTETS {
        Ok(())
    } else {
        Err(CounterError { direction, total })
    }
}

/// An Accounting-Request's session record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accounting {
    /// Acct-Status-Type.
    pub status: StatusType,
    /// Acct-Session-Id; never empty except in Accounting-On/Off.
    pub session_id: String,
    /// User-Name.
    pub user_name: Option<String>,
    /// Framed-IP-Address.
    pub framed_ip: Option<Ipv4Addr>,
    /// Framed-IPv6-Prefix (RFC 3162).
    pub framed_ipv6_prefix: Option<Ipv6Prefix>,
    /// Delegated-IPv6-Prefix (RFC 4818).
    pub delegated_ipv6_prefix: Option<Ipv6Prefix>,
    /// Calling-Station-Id (usually the subscriber's MAC address).
    pub calling_station_id: Option<String>,
    /// NAS-Port-Id.
    pub nas_port_id: Option<String>,
    /// Acct-Input-Octets and Acct-Input-Gigawords.
    pub input: Counter,
    /// Acct-Output-Octets and Acct-Output-Gigawords.
    pub output: Counter,
    /// Acct-Session-Time in seconds (0 when absent).
    pub session_time: u32,
    /// Acct-Delay-Time: seconds the NAS has been trying to send this
    /// record, so it happened that long before it arrived (0 when absent).
    pub delay_time: u32,
    /// Acct-Terminate-Cause of a Stop, by its dictionary name
    /// (`User-Request`, `Lost-Carrier`…) or its number when the dictionary
    /// does not name it. RFC 2866 allows it only in Stop records, so it is
    /// read only there.
    pub terminate_cause: Option<String>,
}

impl Accounting {
    /// Reads the session record of an Accounting-Request. The packet's
    /// authenticator is the caller's to verify first.
    ///
    /// Attributes of the wrong length read as absent, as
    /// [`Packet::get`] does. Counters are taken as they are, however large:
    /// [`Accounting::check`] says whether they are believable.
    pub fn decode(p: &Packet) -> Result<Accounting, AcctError> {
        if p.code != Code::AccountingRequest {
            return Err(AcctError::NotAccountingRequest(p.code));
        }
        let n = p
            .get(attr::ACCT_STATUS_TYPE)
            .ok_or(AcctError::NoStatusType)?;
        let status = StatusType::from_code(n).ok_or(AcctError::OtherStatusType(n))?;
        let session_id = p.get(attr::ACCT_SESSION_ID).unwrap_or_default();
        if session_id.is_empty() && !status.is_nas_wide() {
            return Err(AcctError::NoSessionId(status));
        }
        let counter = |octets, gigawords| Counter {
            octets: p.get(octets).unwrap_or(0),
            gigawords: p.get(gigawords).unwrap_or(0),
        };
        Ok(Accounting {
            status,
            session_id,
            user_name: p.get(attr::USER_NAME),
            framed_ip: p.get(attr::FRAMED_IP_ADDRESS),
            framed_ipv6_prefix: p.get(attr::FRAMED_IPV6_PREFIX),
            delegated_ipv6_prefix: p.get(attr::DELEGATED_IPV6_PREFIX),
            calling_station_id: p.get(attr::CALLING_STATION_ID),
            nas_port_id: p.get(attr::NAS_PORT_ID),
            input: counter(attr::ACCT_INPUT_OCTETS, attr::ACCT_INPUT_GIGAWORDS),
            output: counter(attr::ACCT_OUTPUT_OCTETS, attr::ACCT_OUTPUT_GIGAWORDS),
            session_time: p.get(attr::ACCT_SESSION_TIME).unwrap_or(0),
            delay_time: p.get(attr::ACCT_DELAY_TIME).unwrap_or(0),
            terminate_cause: if status == StatusType::Stop {
                p.value_text(attr::ACCT_TERMINATE_CAUSE.name)
            } else {
                None
            },
        })
    }

    /// Whether the counters are ones a NAS can have sent: each octet total
    /// below [`MAX_OCTETS`]. The input counter is checked first.
    pub fn check(&self) -> Result<(), CounterError> {
        check_octets(Direction::Input, self.input.total())?;
        check_octets(Direction::Output, self.output.total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(status: u32, session: Option<&str>) -> Packet {
        let mut p = Packet::new(Code::AccountingRequest, 1);
        p.add(attr::ACCT_STATUS_TYPE, status);
        if let Some(s) = session {
            p.add_text(attr::ACCT_SESSION_ID, s);
        }
        p
    }

    fn with_input(octets: u32, gigawords: u32) -> Accounting {
        let mut p = request(3, Some("s1"));
        p.add(attr::ACCT_INPUT_OCTETS, octets);
        p.add(attr::ACCT_INPUT_GIGAWORDS, gigawords);
        p.add(attr::ACCT_OUTPUT_OCTETS, octets);
        p.add(attr::ACCT_OUTPUT_GIGAWORDS, gigawords);
        Accounting::decode(&p).expect("an Interim-Update")
    }

    /// The worst values a NAS can send, and what becomes of them.
    #[test]
    fn totals_never_overflow_and_the_check_draws_the_line_at_2_pow_56() {
        let max = u32::MAX;
        let cases: [(u32, u32, u64, bool); 7] = [
            (0, 0, 0, true),
            (max, 0, u64::from(max), true),
            (5, 1, (1 << 32) + 5, true),
            (max, (1 << 24) - 1, MAX_OCTETS - 1, true),
            (0, 1 << 24, MAX_OCTETS, false),
            (
                max,
                0x7FFF_FFFF,
                (0x7FFF_FFFF << 32) + u64::from(max),
                false,
            ),
            (max, max, u64::MAX, false),
        ];
        for (octets, gigawords, total, ok) in cases {
            let a = with_input(octets, gigawords);
            assert_eq!(a.input.total(), total, "{octets}/{gigawords}");
            assert_eq!(a.output.total(), total, "{octets}/{gigawords}");
            match a.check() {
                Ok(()) => assert!(ok, "{octets}/{gigawords} accepted"),
                Err(e) => {
                    assert!(!ok, "{octets}/{gigawords} refused: {e}");
                    assert_eq!(e.direction, Direction::Input, "input is checked first");
                    assert_eq!(e.total, total);
                    assert_eq!(
                        e.to_string(),
                        format!(
                            "Acct-Input-Octets with its Gigawords give {total}, outside 0 to 2^56 (a broken or forged counter)"
                        )
                    );
                }
            }
        }
        let mut p = request(3, Some("s1"));
        p.add(attr::ACCT_OUTPUT_GIGAWORDS, 1 << 24);
        let e = Accounting::decode(&p).unwrap().check().unwrap_err();
        assert_eq!(e.direction, Direction::Output);
        assert!(e.to_string().starts_with("Acct-Output-Octets"), "{e}");
    }

    #[test]
    fn a_full_stop_record_decodes() {
        let mut p = request(2, Some("81000001"));
        p.add_text(attr::USER_NAME, "ana@fibra");
        p.add(attr::FRAMED_IP_ADDRESS, Ipv4Addr::new(100, 64, 0, 7));
        let prefix: Ipv6Prefix = "2001:db8:1::/56".parse().unwrap();
        p.add(attr::DELEGATED_IPV6_PREFIX, prefix);
        p.add_text(attr::CALLING_STATION_ID, "00:11:22:33:44:55");
        p.add_text(attr::NAS_PORT_ID, "ether1");
        p.add(attr::ACCT_SESSION_TIME, 3600);
        p.add(attr::ACCT_DELAY_TIME, 5);
        p.add(attr::ACCT_TERMINATE_CAUSE, 1);
        p.add(attr::ACCT_OUTPUT_OCTETS, 10);
        let a = Accounting::decode(&p).unwrap();
        assert_eq!(a.status, StatusType::Stop);
        assert_eq!(a.session_id, "81000001");
        assert_eq!(a.user_name.as_deref(), Some("ana@fibra"));
        assert_eq!(a.framed_ip, Some(Ipv4Addr::new(100, 64, 0, 7)));
        assert_eq!(a.framed_ipv6_prefix, None);
        assert_eq!(a.delegated_ipv6_prefix, Some(prefix));
        assert_eq!(a.calling_station_id.as_deref(), Some("00:11:22:33:44:55"));
        assert_eq!(a.nas_port_id.as_deref(), Some("ether1"));
        assert_eq!((a.session_time, a.delay_time), (3600, 5));
        assert_eq!(a.terminate_cause.as_deref(), Some("User-Request"));
        assert_eq!(a.input, Counter::default());
        assert_eq!(a.output.total(), 10);
        // A cause the dictionary does not name reads as its number; outside
        // a Stop it is not read at all.
        let mut p = request(2, Some("s"));
        p.add(attr::ACCT_TERMINATE_CAUSE, 999);
        let a = Accounting::decode(&p).unwrap();
        assert_eq!(a.terminate_cause.as_deref(), Some("999"));
        let mut p = request(3, Some("s"));
        p.add(attr::ACCT_TERMINATE_CAUSE, 1);
        assert_eq!(Accounting::decode(&p).unwrap().terminate_cause, None);
    }

    #[test]
    fn what_is_not_a_session_record_is_refused() {
        assert_eq!(
            Accounting::decode(&Packet::new(Code::AccessRequest, 1)),
            Err(AcctError::NotAccountingRequest(Code::AccessRequest))
        );
        let mut p = Packet::new(Code::AccountingRequest, 1);
        p.add_text(attr::ACCT_SESSION_ID, "s");
        assert_eq!(Accounting::decode(&p), Err(AcctError::NoStatusType));
        // Tunnel-Start (RFC 2867) and Failed.
        for n in [9, 15, 0, 4] {
            assert_eq!(
                Accounting::decode(&request(n, Some("s"))),
                Err(AcctError::OtherStatusType(n))
            );
        }
        for (n, status) in [
            (1, StatusType::Start),
            (2, StatusType::Stop),
            (3, StatusType::InterimUpdate),
        ] {
            assert_eq!(
                Accounting::decode(&request(n, None)),
                Err(AcctError::NoSessionId(status))
            );
            assert_eq!(
                Accounting::decode(&request(n, Some(""))),
                Err(AcctError::NoSessionId(status))
            );
        }
        // Accounting-On/Off speak for the whole NAS: no session needed.
        for n in [7, 8] {
            let a = Accounting::decode(&request(n, None)).unwrap();
            assert!(a.status.is_nas_wide());
            assert_eq!(a.status.code(), n);
            assert_eq!(a.session_id, "");
        }
    }

    #[test]
    fn status_types_round_trip_their_codes() {
        for n in 0..32 {
            if let Some(s) = StatusType::from_code(n) {
                assert_eq!(s.code(), n);
            }
        }
        assert_eq!(StatusType::InterimUpdate.to_string(), "Interim-Update");
    }
}
