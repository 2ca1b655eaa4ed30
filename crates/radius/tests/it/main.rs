//! Integration tests of the radius crate: one test binary, one module per
//! subject.

mod codec;
mod dictionary;
mod interop;
mod rfc;
mod roundtrip;

/// Hex string (spaces and newlines allowed) to octets.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    assert!(digits.len().is_multiple_of(2), "odd hex string");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16).expect("hex"))
        .collect()
}
