#![no_main]
//! Any query words against a fixed item: evaluation never panics, and
//! validation agrees with evaluation about which queries are malformed.

use libfuzzer_sys::fuzz_target;
use routeros::{Query, Row};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let query = Query::from_words(text.split('\n').take(32));
    let row: Row = [
        (".id", "*1"),
        ("name", "alice"),
        ("mtu", "1500"),
        ("comment", ""),
    ]
    .into_iter()
    .collect();
    let evaluated = query.matches(&row);
    assert_eq!(evaluated.is_err(), query.validate().is_err());
});
