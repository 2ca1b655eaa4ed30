#![no_main]
//! A journal segment (or the record inside a dead letter) read back at
//! start-up, where a torn or damaged file is hostile input. Frames are read
//! one after another until the first that does not decode, as the replay
//! does; none may panic, run past the data, or decode to a record that
//! encodes differently (the encoding is canonical, so what is read is
//! exactly what was written).
//!
//! Random bytes rarely pass a CRC-32 and a strict layout, so the input is
//! read twice: as a segment as it is (the length and checksum gate), and
//! as records built from its bytes, encoded into a segment and then
//! damaged (bytes flipped, with or without a checksum made to match, and
//! the end cut off as a crash mid-append leaves it). The records before the
//! first damaged frame must come back unchanged.

#[path = "../../src/record.rs"]
#[allow(dead_code)]
mod record;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use record::{Record, Status, decode_frame, encode_frame};

/// Reads `segment` as the replay does: the records, up to the first frame
/// that does not decode.
fn replay(segment: &[u8]) -> Vec<Record> {
    let mut at = 0;
    let mut out = Vec::new();
    while let Some((r, used)) = decode_frame(&segment[at..]) {
        assert!(
            used >= 8 && used <= segment.len() - at,
            "frame of {used} bytes at {at}"
        );
        let mut again = Vec::new();
        encode_frame(&r, &mut again);
        assert_eq!(
            again,
            &segment[at..at + used],
            "frame at {at} re-encodes differently"
        );
        let _ = r.check();
        at += used;
        out.push(r);
    }
    out
}

fn opt(u: &mut Unstructured) -> Result<Option<String>> {
    u.arbitrary()
}

fn record(u: &mut Unstructured) -> Result<Record> {
    Ok(Record {
        nas_id: u.arbitrary()?,
        status: *u.choose(&[
            Status::Start,
            Status::Stop,
            Status::Interim,
            Status::On,
            Status::Off,
        ])?,
        session_id: u.arbitrary()?,
        login: u.arbitrary()?,
        framed_ip: opt(u)?,
        framed_ipv6_prefix: opt(u)?,
        delegated_ipv6_prefix: opt(u)?,
        calling_station_id: u.arbitrary()?,
        nas_port_id: u.arbitrary()?,
        input: u.arbitrary()?,
        output: u.arbitrary()?,
        session_time: u.arbitrary()?,
        terminate_cause: u.arbitrary()?,
        at: u.arbitrary()?,
    })
}

fn damaged(u: &mut Unstructured) -> Result<()> {
    let mut records = Vec::new();
    for _ in 0..u.int_in_range(1..=6)? {
        records.push(record(u)?);
    }
    let mut segment = Vec::new();
    let mut bounds = Vec::new();
    for r in &records {
        let start = segment.len();
        encode_frame(r, &mut segment);
        bounds.push((start, segment.len()));
    }
    assert_eq!(replay(&segment), records, "a clean segment reads back");
    // The first byte damaged or cut off.
    let mut first_bad = segment.len();
    for _ in 0..u.int_in_range(0..=3)? {
        let at = u.choose_index(segment.len())?;
        let flip: u8 = u.int_in_range(1..=255)?;
        segment[at] ^= flip;
        first_bad = first_bad.min(at);
        if u.arbitrary()? {
            // A checksum that matches the damage (what a bug writing a bad
            // record would leave): the parser itself must cope.
            let &(start, end) = bounds
                .iter()
                .find(|&&(s, e)| (s..e).contains(&at))
                .expect("in a frame");
            let crc = crc32fast::hash(&segment[start + 8..end]);
            segment[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
        }
    }
    if u.arbitrary()? {
        let cut = u.choose_index(segment.len())?;
        segment.truncate(cut);
        first_bad = first_bad.min(cut);
    }
    let intact = bounds
        .iter()
        .take_while(|&&(_, end)| end <= first_bad)
        .count();
    let read = replay(&segment);
    assert!(
        read.len() >= intact,
        "{} of {intact} intact frames read",
        read.len()
    );
    assert_eq!(read[..intact], records[..intact]);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    replay(data);
    let _ = damaged(&mut Unstructured::new(data));
});
