#![no_main]
//! An Accounting-Request turned into the record the server journals, as
//! the accounting threads do: aaa's record agrees with the protocol
//! crate's check (refused exactly when `radius::acct` refuses the
//! counters, naming the same counter), its counts are never negative and equal
//! the totals when accepted, and its journal frame decodes to the same
//! record.
//!
//! The packet is the input's bytes after the first 17 as attributes,
//! followed by a status type, a session id and four counters taken from
//! the first 17 bytes, so that most inputs decode to a record (attributes
//! earlier in the packet win: the fuzzer still controls every value).

#[path = "../../src/record.rs"]
#[allow(dead_code)]
mod record;

use libfuzzer_sys::fuzz_target;
use radius::acct::Accounting;
use radius::{MAX_PACKET_LEN, Packet};

fn request(head: &[u8; 17], attrs: &[u8]) -> Vec<u8> {
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
    let attrs = &attrs[..attrs.len().min(MAX_PACKET_LEN - 20 - tail.len())];
    let len = 20 + attrs.len() + tail.len();
    let mut wire = Vec::with_capacity(len);
    wire.extend_from_slice(&[4, 0]);
    wire.extend_from_slice(&(len as u16).to_be_bytes());
    wire.extend_from_slice(&[0; 16]);
    wire.extend_from_slice(attrs);
    wire.extend_from_slice(&tail);
    wire
}

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<17>() else {
        return;
    };
    let Ok(p) = Packet::decode(&request(head, rest), b"fuzz") else {
        return;
    };
    let now = 1_700_000_000;
    let r = record::parse(&p, 7, now);
    let a = Accounting::decode(&p);
    assert_eq!(r.is_some(), a.is_ok());
    let (Some(r), Ok(a)) = (r, a) else {
        return;
    };
    assert!(r.input >= 0 && r.output >= 0 && r.session_time >= 0);
    assert!(r.at <= now && r.at >= now - 86_400);
    match (r.check(), a.check()) {
        (Ok(()), Ok(())) => {
            assert_eq!(r.input as u64, a.input.total());
            assert_eq!(r.output as u64, a.output.total());
            assert!(r.input < record::MAX_OCTETS && r.output < record::MAX_OCTETS);
        }
        (Err(mine), Err(theirs)) => {
            // The same counter; the same words unless the total is past
            // i64, which the record holds as i64::MAX.
            if i64::try_from(theirs.total).is_ok() {
                assert_eq!(mine, theirs.to_string());
            } else {
                let counter = format!("Acct-{}-Octets ", theirs.direction);
                assert!(mine.starts_with(&counter), "{mine} / {theirs}");
            }
        }
        (mine, theirs) => panic!("aaa says {mine:?}, radius says {theirs:?}"),
    }
    let mut frame = Vec::new();
    record::encode_frame(&r, &mut frame);
    let (back, used) = record::decode_frame(&frame).expect("a frame just written decodes");
    assert_eq!(used, frame.len());
    assert_eq!(back, r);
});
