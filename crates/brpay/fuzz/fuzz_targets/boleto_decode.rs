#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let reference = jiff::civil::date(2025, 3, 1);
        if let Ok(brpay::boleto::Decoded::Bank(b)) = brpay::boleto::decode_at(s, reference) {
            // a decoded boleto converts back to the same barcode
            let again = brpay::boleto::decode_at(&b.digitable_line, reference);
            assert!(matches!(again, Ok(brpay::boleto::Decoded::Bank(ref c)) if c.barcode == b.barcode));
            let _ = b.check_free_field();
            let _ = b.formatted_line();
        }
    }
});
