#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Read};

/// A valid header (the first line of
/// `tests/fixtures/cnab/banco_do_brasil_cnab240.ret`) so that the fuzzer
/// spends its time on detail records, not on header detection.
const HEADER: &str = "00100000         2112223330001810012345670014170192 0345670000000123456 PROVEDOR EXEMPLO LTDA         BANCO DO BRASIL S.A.                    21203202506153000031808400000                                                                     ";

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
