#![no_main]
//! Any byte stream: the decoder never panics, gives the same sentences
//! (or the same error at the same offset) however the stream is cut, and
//! what it decodes re-encodes to bytes that decode the same.

use libfuzzer_sys::fuzz_target;
use routeros::codec::{DecodeError, Decoder, Sentence};

fn decode(bytes: &[u8], piece: usize) -> Result<Vec<Sentence>, DecodeError> {
    // Small limits so long lengths are exercised without huge buffers.
    let mut d = Decoder::with_limits(4096, 64);
    let mut out = Vec::new();
    for chunk in bytes.chunks(piece.max(1)) {
        d.feed(chunk);
        while let Some(s) = d.next_sentence()? {
            out.push(s);
        }
    }
    d.finish()?;
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let whole = decode(bytes, bytes.len());
    let pieces = decode(bytes, usize::from(cut % 17) + 1);
    assert_eq!(whole, pieces);
    if let Ok(sentences) = whole {
        let mut again = Vec::new();
        for s in &sentences {
            s.encode(&mut again).expect("a decoded sentence encodes");
        }
        assert_eq!(
            decode(&again, again.len()).expect("re-encoded bytes decode"),
            sentences
        );
    }
});
