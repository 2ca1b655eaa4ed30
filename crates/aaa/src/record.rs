//! The accounting record: what the server keeps of an Accounting-Request
//! (built from [`radius::acct::Accounting`] with the NAS and the time of
//! arrival), its checks, and its encoding in the journal and the dead
//! letters.
//!
//! The encoding is read back from files at start-up, where a torn or
//! damaged file is hostile input, so it is fuzzed (`crates/aaa/fuzz`).
//! This file is compiled into that fuzz crate as a module of its own, to
//! keep the fuzz build to `radius` and `crc32fast` instead of the whole
//! server (sqlx, tokio, services) built with sanitizers: it may use only
//! std, `radius` and `crc32fast`, never `crate::`.
//!
//! A frame is `[payload length u32 LE][CRC-32 of the payload u32 LE]
//! [payload]`, the payload `[version u8][nas_id i64][status u8][at i64]
//! [input i64][output i64][session_time i64]`, five strings (session id,
//! login, Calling-Station-Id, NAS-Port-Id, terminate cause) as `[length u16
//! LE][UTF-8]`, then three optional strings (Framed-IP-Address,
//! Framed-IPv6-Prefix, Delegated-IPv6-Prefix) as `0`, or `1` and a string.
//! The encoding is canonical: a frame that decodes re-encodes to the same
//! bytes.

use radius::Packet;
use radius::acct::{Accounting, Direction, StatusType};

/// Acct-Status-Type values a record is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 1
    Start,
    /// 2
    Stop,
    /// 3
    Interim,
    /// 7
    On,
    /// 8
    Off,
}

impl From<StatusType> for Status {
    fn from(s: StatusType) -> Status {
        match s {
            StatusType::Start => Status::Start,
            StatusType::Stop => Status::Stop,
            StatusType::InterimUpdate => Status::Interim,
            StatusType::AccountingOn => Status::On,
            StatusType::AccountingOff => Status::Off,
        }
    }
}

/// One Accounting-Request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// nas.id
    pub nas_id: i64,
    /// Acct-Status-Type.
    pub status: Status,
    /// Acct-Session-Id.
    pub session_id: String,
    /// User-Name.
    pub login: String,
    /// Framed-IP-Address.
    pub framed_ip: Option<String>,
    /// Framed-IPv6-Prefix.
    pub framed_ipv6_prefix: Option<String>,
    /// Delegated-IPv6-Prefix.
    pub delegated_ipv6_prefix: Option<String>,
    /// Calling-Station-Id.
    pub calling_station_id: String,
    /// NAS-Port-Id.
    pub nas_port_id: String,
    /// Octets from the subscriber, Gigawords included.
    pub input: i64,
    /// Octets to the subscriber, Gigawords included.
    pub output: i64,
    /// Acct-Session-Time.
    pub session_time: i64,
    /// Acct-Terminate-Cause name (Stop).
    pub terminate_cause: String,
    /// When it happened: now minus Acct-Delay-Time.
    pub at: i64,
}

/// Octet counts at or above this are refused ([`radius::acct::MAX_OCTETS`],
/// 2^56 bytes): beyond it a counter is broken or forged, and summing such
/// values into usage would overflow.
pub const MAX_OCTETS: i64 = radius::acct::MAX_OCTETS as i64;

/// Acct-Delay-Time is believed up to a day: a NAS that claims more has a
/// broken clock or counter, and the record is dated a day back.
const MAX_DELAY: u32 = 86_400;

impl Record {
    /// The record of a decoded Accounting-Request from NAS `nas_id`,
    /// received at `now` (Unix seconds). Octet totals past `i64` (only
    /// forged Gigawords reach them) are kept at `i64::MAX`, which
    /// [`Record::check`] refuses.
    pub fn from_accounting(a: Accounting, nas_id: i64, now: i64) -> Record {
        let prefix = |p: radius::Ipv6Prefix| format!("{}/{}", p.addr, p.len);
        let octets = |total: u64| i64::try_from(total).unwrap_or(i64::MAX);
        Record {
            nas_id,
            status: a.status.into(),
            session_id: a.session_id,
            login: a.user_name.unwrap_or_default(),
            framed_ip: a.framed_ip.map(|ip| ip.to_string()),
            framed_ipv6_prefix: a.framed_ipv6_prefix.map(prefix),
            delegated_ipv6_prefix: a.delegated_ipv6_prefix.map(prefix),
            calling_station_id: a.calling_station_id.unwrap_or_default(),
            nas_port_id: a.nas_port_id.unwrap_or_default(),
            input: octets(a.input.total()),
            output: octets(a.output.total()),
            session_time: i64::from(a.session_time),
            terminate_cause: a.terminate_cause.unwrap_or_default(),
            at: now - i64::from(a.delay_time.min(MAX_DELAY)),
        }
    }

    /// Whether the record's counters are ones a NAS can have sent; the
    /// reason otherwise (the record then goes to the dead letters rather
    /// than into usage). The same line as [`Accounting::check`], over the
    /// signed counts a record read back from the journal holds.
    pub fn check(&self) -> Result<(), String> {
        for (direction, v) in [
            (Direction::Input, self.input),
            (Direction::Output, self.output),
        ] {
            // Negative only in a journal or dead-letter file written by
            // something else: said the same way as a count too large.
            let Ok(total) = u64::try_from(v) else {
                return Err(format!(
                    "Acct-{direction}-Octets with its Gigawords give {v}, outside 0 to 2^56 (a broken or forged counter)"
                ));
            };
            radius::acct::check_octets(direction, total).map_err(|e| e.to_string())?;
        }
        if self.session_time < 0 {
            return Err(format!(
                "Acct-Session-Time {} is negative",
                self.session_time
            ));
        }
        Ok(())
    }
}

/// Parses a verified Accounting-Request; `None` when it is not a session
/// record (no usable Acct-Status-Type, or no Acct-Session-Id where one is
/// needed: [`radius::acct::AcctError`]).
pub fn parse(p: &Packet, nas_id: i64, now: i64) -> Option<Record> {
    let a = Accounting::decode(p).ok()?;
    Some(Record::from_accounting(a, nas_id, now))
}

// --- Encoding -------------------------------------------------------------

const VERSION: u8 = 1;

fn put_str(out: &mut Vec<u8>, s: &str) {
    // RADIUS attributes hold at most 253 bytes; a u16 length is plenty.
    // Longer text (never from a packet) is cut on a character boundary, so
    // the frame still decodes.
    let mut n = s.len().min(u16::MAX as usize);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&s.as_bytes()[..n]);
}

fn put_opt(out: &mut Vec<u8>, s: &Option<String>) {
    match s {
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
        None => out.push(0),
    }
}

fn status_byte(s: Status) -> u8 {
    match s {
        Status::Start => 1,
        Status::Stop => 2,
        Status::Interim => 3,
        Status::On => 7,
        Status::Off => 8,
    }
}

/// Appends one framed record to `out`.
pub fn encode_frame(r: &Record, out: &mut Vec<u8>) {
    let head = out.len();
    out.extend_from_slice(&[0; 8]);
    out.push(VERSION);
    out.extend_from_slice(&r.nas_id.to_le_bytes());
    out.push(status_byte(r.status));
    for v in [r.at, r.input, r.output, r.session_time] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for s in [
        &r.session_id,
        &r.login,
        &r.calling_station_id,
        &r.nas_port_id,
        &r.terminate_cause,
    ] {
        put_str(out, s);
    }
    for s in [
        &r.framed_ip,
        &r.framed_ipv6_prefix,
        &r.delegated_ipv6_prefix,
    ] {
        put_opt(out, s);
    }
    let payload = &out[head + 8..];
    let len = payload.len() as u32;
    let crc = crc32fast::hash(payload);
    out[head..head + 4].copy_from_slice(&len.to_le_bytes());
    out[head + 4..head + 8].copy_from_slice(&crc.to_le_bytes());
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn i64(&mut self) -> Option<i64> {
        self.take(8)?.try_into().ok().map(i64::from_le_bytes)
    }
    fn str(&mut self) -> Option<String> {
        let n = u16::from_le_bytes(self.take(2)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn opt(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => self.str().map(Some),
            _ => None,
        }
    }
}

/// Decodes the frame at the start of `data`: the record and the bytes it
/// took, or `None` when it is incomplete or corrupt.
pub fn decode_frame(data: &[u8]) -> Option<(Record, usize)> {
    if data.len() < 8 {
        return None;
    }
    let len = u32::from_le_bytes(data[0..4].try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(data[4..8].try_into().ok()?);
    let payload = data.get(8..8usize.checked_add(len)?)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let mut r = Reader(payload);
    if r.u8()? != VERSION {
        return None;
    }
    let nas_id = r.i64()?;
    let status = match r.u8()? {
        1 => Status::Start,
        2 => Status::Stop,
        3 => Status::Interim,
        7 => Status::On,
        8 => Status::Off,
        _ => return None,
    };
    let at = r.i64()?;
    let input = r.i64()?;
    let output = r.i64()?;
    let session_time = r.i64()?;
    let session_id = r.str()?;
    let login = r.str()?;
    let calling_station_id = r.str()?;
    let nas_port_id = r.str()?;
    let terminate_cause = r.str()?;
    let framed_ip = r.opt()?;
    let framed_ipv6_prefix = r.opt()?;
    let delegated_ipv6_prefix = r.opt()?;
    if !r.0.is_empty() {
        return None;
    }
    Some((
        Record {
            nas_id,
            status,
            session_id,
            login,
            framed_ip,
            framed_ipv6_prefix,
            delegated_ipv6_prefix,
            calling_station_id,
            nas_port_id,
            input,
            output,
            session_time,
            terminate_cause,
            at,
        },
        8 + len,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius::{Code, attr};

    fn interim(octets: u32, gigawords: u32) -> Record {
        let mut p = Packet::new(Code::AccountingRequest, 1);
        p.add(attr::ACCT_STATUS_TYPE, 3);
        p.add_text(attr::ACCT_SESSION_ID, "s1");
        p.add(attr::ACCT_INPUT_OCTETS, octets);
        p.add(attr::ACCT_INPUT_GIGAWORDS, gigawords);
        p.add(attr::ACCT_OUTPUT_OCTETS, octets);
        p.add(attr::ACCT_OUTPUT_GIGAWORDS, gigawords);
        parse(&p, 1, 1_000).expect("an Interim-Update")
    }

    /// The worst values a NAS can send, and what becomes of them.
    #[test]
    fn counters_are_computed_without_overflow_and_checked() {
        let max = u32::MAX;
        let cases: [(u32, u32, Option<i64>); 7] = [
            (0, 0, Some(0)),
            (max, 0, Some(i64::from(max))),
            (5, 1, Some((1 << 32) + 5)),
            (max, (1 << 24) - 1, Some(MAX_OCTETS - 1)),
            (0, 1 << 24, None),
            (max, 0x7FFF_FFFF, None),
            (max, max, None),
        ];
        for (octets, gigawords, want) in cases {
            let r = interim(octets, gigawords);
            assert!(r.input >= 0, "{octets}/{gigawords}: {}", r.input);
            match want {
                Some(v) => {
                    assert_eq!(r.input, v, "{octets}/{gigawords}");
                    assert_eq!(r.check(), Ok(()), "{octets}/{gigawords}");
                }
                None => {
                    let why = r.check().expect_err("refused");
                    assert!(why.contains("Acct-Input-Octets"), "{why}");
                }
            }
        }
        // Past i64 (0xFFFFFFFF Gigawords) the count stays at i64's maximum.
        assert_eq!(interim(max, max).input, i64::MAX);
        // Negative counts come only from a damaged file; refused all the same.
        let mut r = interim(1, 0);
        r.output = -5;
        assert_eq!(
            r.check(),
            Err("Acct-Output-Octets with its Gigawords give -5, outside 0 to 2^56 (a broken or forged counter)".into())
        );
        let mut r = interim(1, 0);
        r.session_time = -1;
        assert!(r.check().is_err());
    }

    #[test]
    fn a_stop_becomes_a_record_dated_by_its_delay() {
        let mut p = Packet::new(Code::AccountingRequest, 1);
        p.add(attr::ACCT_STATUS_TYPE, 2);
        p.add_text(attr::ACCT_SESSION_ID, "s9");
        p.add_text(attr::USER_NAME, "ana");
        p.add(attr::FRAMED_IPV6_PREFIX, "2001:db8::/64".parse().unwrap());
        p.add(attr::ACCT_TERMINATE_CAUSE, 2);
        p.add(attr::ACCT_DELAY_TIME, 30);
        p.add(attr::ACCT_SESSION_TIME, 600);
        let r = parse(&p, 4, 10_000).unwrap();
        assert_eq!(r.status, Status::Stop);
        assert_eq!((r.nas_id, r.at, r.session_time), (4, 9_970, 600));
        assert_eq!(r.login, "ana");
        assert_eq!(r.framed_ipv6_prefix.as_deref(), Some("2001:db8::/64"));
        assert_eq!(r.framed_ip, None);
        assert_eq!(r.terminate_cause, "Lost-Carrier");
        // A delay of more than a day is believed only up to a day.
        p.remove(attr::ACCT_DELAY_TIME.id);
        p.add(attr::ACCT_DELAY_TIME, u32::MAX);
        assert_eq!(parse(&p, 4, 10_000).unwrap().at, 10_000 - 86_400);
        // Not a session record: nothing to keep.
        p.set(attr::ACCT_STATUS_TYPE, 9);
        assert!(parse(&p, 4, 10_000).is_none());
    }

    fn record() -> Record {
        Record {
            nas_id: 3,
            status: Status::Stop,
            session_id: "s1".into(),
            login: "ana@fibra".into(),
            framed_ip: Some("100.64.0.9".into()),
            framed_ipv6_prefix: None,
            delegated_ipv6_prefix: Some("2001:db8:1::/56".into()),
            calling_station_id: "00:11:22:33:44:55".into(),
            nas_port_id: "ether1".into(),
            input: (5 << 32) + 1,
            output: 7,
            session_time: 60,
            terminate_cause: "User-Request".into(),
            at: 1_700_000_001,
        }
    }

    #[test]
    fn frames_round_trip_and_reject_damage() {
        let mut buf = Vec::new();
        encode_frame(&record(), &mut buf);
        let (r, used) = decode_frame(&buf).unwrap();
        assert_eq!(used, buf.len());
        assert_eq!(r, record());
        // Every truncation and every flipped byte is refused, never a panic.
        for n in 0..buf.len() {
            assert!(decode_frame(&buf[..n]).is_none(), "truncated to {n}");
        }
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x40;
            assert!(decode_frame(&bad).is_none(), "byte {i} flipped");
        }
        // A length field of 4 GiB on a 64-bit or 32-bit target alike.
        let mut huge = buf.clone();
        huge[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_frame(&huge).is_none());
    }

    #[test]
    fn text_too_long_for_a_frame_is_cut_on_a_character_boundary() {
        let mut r = record();
        // 65,535 bytes fall in the middle of the last "é" (2 bytes each).
        r.login = "é".repeat(40_000);
        let mut buf = Vec::new();
        encode_frame(&r, &mut buf);
        let (back, _) = decode_frame(&buf).expect("the frame decodes");
        assert_eq!(back.login.len(), 65_534);
        assert!(r.login.starts_with(&back.login));
    }
}
