//! Property tests of the codec: round trips, and decoding that does not
//! depend on how the stream is cut.

use proptest::prelude::*;
use routeros::codec::{Decoder, Sentence, decode_length, encode_length};
use routeros::{Reply, ReplyKind, Row};

fn word() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 1..40),
        1 => proptest::collection::vec(any::<u8>(), 120..300),
        1 => Just(vec![b'x'; 0x4001]),
    ]
}

fn sentence() -> impl Strategy<Value = Sentence> {
    proptest::collection::vec(word(), 1..8).prop_map(Sentence::from_words)
}

/// Decodes `bytes` fed in pieces cut at `cuts`.
fn decode_in_pieces(
    bytes: &[u8],
    cuts: &[usize],
) -> Result<Vec<Sentence>, routeros::codec::DecodeError> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    let mut d = Decoder::new();
    let mut out = Vec::new();
    for w in points.windows(2) {
        d.feed(&bytes[w[0]..w[1]]);
        while let Some(s) = d.next_sentence()? {
            out.push(s);
        }
    }
    d.finish()?;
    Ok(out)
}

proptest! {
    #[test]
    fn length_round_trip(len in any::<u32>()) {
        let mut out = Vec::new();
        encode_length(len, &mut out);
        prop_assert_eq!(decode_length(&out).unwrap(), Some((len, out.len())));
        let expected_size = match len {
            0..=0x7F => 1,
            0x80..=0x3FFF => 2,
            0x4000..=0x1F_FFFF => 3,
            0x20_0000..=0x0FFF_FFFF => 4,
            _ => 5,
        };
        prop_assert_eq!(out.len(), expected_size);
    }

    #[test]
    fn sentences_round_trip_however_cut(
        sentences in proptest::collection::vec(sentence(), 1..5),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut bytes = Vec::new();
        for s in &sentences {
            s.encode(&mut bytes).unwrap();
        }
        prop_assert_eq!(decode_in_pieces(&bytes, &cuts).unwrap(), sentences);
    }

    #[test]
    fn any_bytes_decode_the_same_however_cut(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let whole = decode_in_pieces(&bytes, &[]);
        let cut = decode_in_pieces(&bytes, &cuts);
        prop_assert_eq!(&whole, &cut);
        if let Ok(sentences) = whole {
            // What decodes re-encodes to bytes that decode the same.
            let mut again = Vec::new();
            for s in &sentences {
                s.encode(&mut again).unwrap();
            }
            prop_assert_eq!(decode_in_pieces(&again, &[]).unwrap(), sentences);
        }
    }

    #[test]
    fn replies_round_trip(
        kind in prop_oneof![Just(ReplyKind::Re), Just(ReplyKind::Done), Just(ReplyKind::Trap), Just(ReplyKind::Empty)],
        attrs in proptest::collection::vec(("[a-z.][a-z0-9-]{0,12}", "[ -~]{0,20}"), 0..6),
        tag in proptest::option::of("[0-9a-z]{1,6}"),
    ) {
        let mut reply = Reply::new(kind);
        reply.attributes = attrs.into_iter().collect::<Row>();
        reply.tag = tag;
        let bytes = reply.to_sentence().to_bytes().unwrap();
        let decoded = routeros::codec::decode_all(&bytes).unwrap();
        prop_assert_eq!(decoded.len(), 1);
        prop_assert_eq!(Reply::parse(&decoded[0]).unwrap(), reply);
    }
}
