#![no_main]
//! Any wire value of type `text`: decoding never panics, a decoded value
//! re-encodes to a value that decodes the same, and its text form parses
//! back to it.

use libfuzzer_sys::fuzz_target;
use radius::DataType;

fuzz_target!(|data: &[u8]| {
    let ty = DataType::Text;
    if let Ok(v) = ty.decode(data) {
        assert_eq!(ty.decode(&v.to_bytes()).as_ref(), Ok(&v));
        assert_eq!(ty.parse(&v.to_string()).as_ref(), Ok(&v), "text form {}", v);
    }
});
