#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Read};

/// A valid header (the first line of
/// `tests/fixtures/cnab/bradesco_cnab400.ret`) so that the fuzzer
/// spends its time on detail records, not on header detection.
const HEADER: &str = "02RETORNO01COBRANCA       00000000000004567890PROVEDOR EXEMPLO LTDA         237BRADESCO       1203250160000000318                                                                                                                                                                                                                                                                          130325         000001";

fn drain(input: impl std::io::BufRead) {
    if let Ok(p) = brpay::cnab::parse(input) {
        for r in p {
            if let Ok(r) = r {
                // every decoded value must be readable again
                for (name, _) in r.fields() {
                    let _ = r.get(name);
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    drain(Cursor::new(data));
    drain(std::io::BufReader::new(HEADER.as_bytes().chain(&b"\n"[..]).chain(data)));
});
