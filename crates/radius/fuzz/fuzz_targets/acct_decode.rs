#![no_main]
//! Any datagram; any attribute bytes behind an Accounting-Request header;
//! and, so that most inputs reach a decoded record, the rest of the bytes
//! as attributes followed by a status type, a session id and four counters
//! taken from the first 17 bytes (attributes earlier in the packet win, so
//! the fuzzer still controls every value). Packet decode, accounting decode
//! and the counter check never panic, and what they accept holds together. Octet totals are `octets + gigawords × 2^32`
//! (checked in 128-bit arithmetic against the raw attributes), the check
//! accepts exactly the totals below 2^56, and a decoded record has the
//! status type and session id the packet carries.

use libfuzzer_sys::fuzz_target;
use radius::acct::{Accounting, AcctError, Direction, MAX_OCTETS, StatusType};
use radius::{Attr, Code, MAX_PACKET_LEN, Packet, attr};

const SECRET: &[u8] = b"fuzz";

fn total(p: &Packet, octets: Attr<u32>, gigawords: Attr<u32>) -> u128 {
    u128::from(p.get(octets).unwrap_or(0)) + (u128::from(p.get(gigawords).unwrap_or(0)) << 32)
}

fn check(p: &Packet) {
    let a = match Accounting::decode(p) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.to_string();
            match e {
                AcctError::NotAccountingRequest(c) => assert_ne!(c, Code::AccountingRequest),
                AcctError::NoStatusType => assert_eq!(p.get(attr::ACCT_STATUS_TYPE), None),
                AcctError::OtherStatusType(n) => {
                    assert_eq!(p.get(attr::ACCT_STATUS_TYPE), Some(n));
                    assert_eq!(StatusType::from_code(n), None);
                }
                AcctError::NoSessionId(s) => {
                    assert!(!s.is_nas_wide());
                    assert!(p.get(attr::ACCT_SESSION_ID).unwrap_or_default().is_empty());
                }
            }
            return;
        }
    };
    assert_eq!(p.code, Code::AccountingRequest);
    assert_eq!(p.get(attr::ACCT_STATUS_TYPE), Some(a.status.code()));
    assert!(!a.session_id.is_empty() || a.status.is_nas_wide());
    let input = total(p, attr::ACCT_INPUT_OCTETS, attr::ACCT_INPUT_GIGAWORDS);
    let output = total(p, attr::ACCT_OUTPUT_OCTETS, attr::ACCT_OUTPUT_GIGAWORDS);
    assert_eq!(u128::from(a.input.total()), input);
    assert_eq!(u128::from(a.output.total()), output);
    let max = u128::from(MAX_OCTETS);
    match a.check() {
        Ok(()) => {
            assert!(input < max && output < max, "{input} / {output} accepted");
        }
        Err(e) => {
            let _ = e.to_string();
            // The input counter is checked first.
            let (want, dir) = if input >= max {
                (input, Direction::Input)
            } else {
                (output, Direction::Output)
            };
            assert!(want >= max, "{input} / {output} refused");
            assert_eq!((u128::from(e.total), e.direction), (want, dir));
        }
    }
    if a.status != StatusType::Stop {
        assert_eq!(a.terminate_cause, None);
    }
}

/// An Accounting-Request of `attrs` (cut to fit) followed by `tail`.
fn request(attrs: &[u8], tail: &[u8]) -> Vec<u8> {
    let attrs = &attrs[..attrs.len().min(MAX_PACKET_LEN - 20 - tail.len())];
    let len = 20 + attrs.len() + tail.len();
    let mut wire = Vec::with_capacity(len);
    wire.extend_from_slice(&[4, 0]);
    wire.extend_from_slice(&(len as u16).to_be_bytes());
    wire.extend_from_slice(&[0; 16]);
    wire.extend_from_slice(attrs);
    wire.extend_from_slice(tail);
    wire
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Packet::decode(data, SECRET) {
        check(&p);
    }
    if let Ok(p) = Packet::decode(&request(data, &[]), SECRET) {
        check(&p);
    }
    let Some((head, rest)) = data.split_first_chunk::<17>() else {
        return;
    };
    let status = [1, 2, 3, 7, 8, 9, 15, u32::from(head[0])][usize::from(head[0] % 8)];
    let mut tail = Vec::with_capacity(6 + 3 + 4 * 6);
    tail.extend_from_slice(&[40, 6]);
    tail.extend_from_slice(&status.to_be_bytes());
    tail.extend_from_slice(&[44, 3, b's']);
    // Acct-Input-Octets, -Gigawords, Acct-Output-Octets, -Gigawords.
    for (ty, value) in [42u8, 52, 43, 53]
        .into_iter()
        .zip(head[1..].chunks_exact(4))
    {
        tail.extend_from_slice(&[ty, 6]);
        tail.extend_from_slice(value);
    }
    if let Ok(p) = Packet::decode(&request(rest, &tail), SECRET) {
        check(&p);
    }
});
