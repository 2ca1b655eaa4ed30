#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = brpay::pix::parse(s) {
            // whatever parses must keep its promises
            assert!(p.merchant_name.chars().count() <= brpay::pix::MAX_NAME);
            assert_eq!(p.currency, "986");
        }
    }
});
