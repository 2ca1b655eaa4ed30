#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(a) = brpay::boleto::Arrecadacao::from_digits(s) {
            let again = brpay::boleto::Arrecadacao::from_digits(&a.digitable_line);
            assert!(matches!(again, Ok(ref b) if b.barcode == a.barcode));
            let _ = a.formatted_line();
        }
    }
});
