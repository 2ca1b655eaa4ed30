#![no_main]
//! Any decoded sentence: parsing it as a reply or a command never panics,
//! and what parses re-encodes to a sentence that parses the same.

use libfuzzer_sys::fuzz_target;
use routeros::codec::decode_all;
use routeros::{Command, Reply};

fuzz_target!(|data: &[u8]| {
    let Ok(sentences) = decode_all(data) else {
        return;
    };
    for s in &sentences {
        if let Ok(r) = Reply::parse(s) {
            let _ = r.message();
            let again = Reply::parse(&r.to_sentence()).expect("a parsed reply re-parses");
            assert_eq!(again, r);
        }
        if let Ok(c) = Command::parse(s) {
            let _ = c.to_string();
            let again = Command::parse(&c.to_sentence()).expect("a parsed command re-parses");
            assert_eq!(again, c);
        }
    }
});
