#![no_main]
//! Any dictionary text: parsing never panics.

use libfuzzer_sys::fuzz_target;
use radius::Dictionary;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut d = Dictionary::empty();
    let _ = d.load_str(&text, "fuzz");
});
