//! Framing of the binary API, without I/O: word lengths, words and
//! sentences.
//!
//! A word is its length followed by that many bytes; a sentence is words
//! ended by a zero-length word. Lengths take one to five bytes, the count
//! of leading one bits in the first byte telling how many follow:
//!
//! | length                      | bytes | encoding                    |
//! |-----------------------------|-------|-----------------------------|
//! | `0x00 ..= 0x7F`             | 1     | `len`                       |
//! | `0x80 ..= 0x3FFF`           | 2     | `len \| 0x8000`             |
//! | `0x4000 ..= 0x1F_FFFF`      | 3     | `len \| 0xC0_0000`          |
//! | `0x20_0000 ..= 0x0FFF_FFFF` | 4     | `len \| 0xE000_0000`        |
//! | `0x1000_0000 ..`            | 5     | `0xF0`, then `len` in 4 bytes |
//!
//! all big-endian. A first byte of `0xF8` or more is a reserved control
//! byte; `0xF1 ..= 0xF7` would announce lengths beyond 32 bits, which
//! RouterOS does not send. Both are decode errors.

use std::fmt;

/// Longest word the decoder accepts unless told otherwise (16 MiB): far
/// above any real reply (a script source, a certificate), far below what
/// would let a broken or hostile peer make us buffer gigabytes.
pub const DEFAULT_MAX_WORD: u32 = 16 << 20;

/// Most words in one sentence the decoder accepts unless told otherwise.
pub const DEFAULT_MAX_WORDS: usize = 65_536;

/// Appends the encoding of `len` to `out`, in the shortest form.
///
/// ```
/// let mut out = Vec::new();
/// routeros::codec::encode_length(0x80, &mut out);
/// assert_eq!(out, [0x80, 0x80]);
/// ```
pub fn encode_length(len: u32, out: &mut Vec<u8>) {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0x3FFF => out.extend_from_slice(&((len | 0x8000) as u16).to_be_bytes()),
        0x4000..=0x1F_FFFF => out.extend_from_slice(&(len | 0xC0_0000).to_be_bytes()[1..]),
        0x20_0000..=0x0FFF_FFFF => out.extend_from_slice(&(len | 0xE000_0000).to_be_bytes()),
        _ => {
            out.push(0xF0);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

/// Reads a length from the start of `buf`: `Ok(Some((len, bytes used)))`,
/// `Ok(None)` when `buf` ends inside it, or why the first byte is not a
/// length (the offset in the error is 0; callers add their own).
///
/// Longer forms than needed (`0x80 0x05` for 5) are accepted: the manual
/// does not forbid them.
///
/// ```
/// use routeros::codec::decode_length;
/// assert_eq!(decode_length(&[0xC0, 0x40, 0x00]).unwrap(), Some((0x4000, 3)));
/// assert_eq!(decode_length(&[0xC0, 0x40]).unwrap(), None);
/// assert!(decode_length(&[0xF8]).is_err());
/// ```
pub fn decode_length(buf: &[u8]) -> Result<Option<(u32, usize)>, DecodeError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let (size, initial) = match first {
        0x00..=0x7F => (1, u32::from(first)),
        0x80..=0xBF => (2, u32::from(first & 0x3F)),
        0xC0..=0xDF => (3, u32::from(first & 0x1F)),
        0xE0..=0xEF => (4, u32::from(first & 0x0F)),
        0xF0 => (5, 0),
        0xF1..=0xF7 => {
            return Err(DecodeError::new(
                0,
                DecodeErrorKind::LengthOver32Bits(first),
            ));
        }
        0xF8..=0xFF => return Err(DecodeError::new(0, DecodeErrorKind::ControlByte(first))),
    };
    if buf.len() < size {
        return Ok(None);
    }
    let len = buf[1..size]
        .iter()
        .fold(initial, |acc, &b| (acc << 8) | u32::from(b));
    Ok(Some((len, size)))
}

/// One sentence: its words, without the terminating empty word.
///
/// Words are bytes: RouterOS sends text in the router's code page, which
/// is not always UTF-8 (see [`crate::text`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sentence {
    words: Vec<Vec<u8>>,
}

impl Sentence {
    /// An empty sentence; add words with [`Sentence::push`].
    pub fn new() -> Sentence {
        Sentence::default()
    }

    /// A sentence of these words.
    pub fn from_words<W: Into<Vec<u8>>>(words: impl IntoIterator<Item = W>) -> Sentence {
        Sentence {
            words: words.into_iter().map(Into::into).collect(),
        }
    }

    /// Appends a word.
    pub fn push(&mut self, word: impl Into<Vec<u8>>) {
        self.words.push(word.into());
    }

    /// The words, in order.
    pub fn words(&self) -> &[Vec<u8>] {
        &self.words
    }

    /// The words, consuming the sentence.
    pub fn into_words(self) -> Vec<Vec<u8>> {
        self.words
    }

    /// Appends the sentence's encoding, terminator included, to `out`.
    ///
    /// Refuses a sentence without words (the peer would ignore it), an
    /// empty word (it would end the sentence early) and a word of 4 GiB or
    /// more (no length form carries it). On error `out` is unchanged.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.words.is_empty() {
            return Err(EncodeError::NoWords);
        }
        let start = out.len();
        for (index, word) in self.words.iter().enumerate() {
            if word.is_empty() {
                out.truncate(start);
                return Err(EncodeError::EmptyWord { index });
            }
            let Ok(len) = u32::try_from(word.len()) else {
                out.truncate(start);
                return Err(EncodeError::WordTooLong {
                    index,
                    len: word.len(),
                });
            };
            encode_length(len, out);
            out.extend_from_slice(word);
        }
        out.push(0);
        Ok(())
    }

    /// The sentence's encoding.
    ///
    /// ```
    /// use routeros::codec::Sentence;
    /// let s = Sentence::from_words(["/login", "=name=admin"]);
    /// assert_eq!(s.to_bytes().unwrap(), b"\x06/login\x0b=name=admin\x00");
    /// ```
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.words.iter().map(|w| w.len() + 2).sum::<usize>() + 1);
        self.encode(&mut out)?;
        Ok(out)
    }
}

impl fmt::Display for Sentence {
    /// Words on one line separated by spaces, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, w) in self.words.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&crate::text(w))?;
        }
        Ok(())
    }
}

/// Why a sentence cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A sentence without words.
    #[error("a sentence needs at least one word")]
    NoWords,
    /// An empty word, at `index`.
    #[error("word {index} is empty (an empty word ends a sentence)")]
    EmptyWord {
        /// Position of the word.
        index: usize,
    },
    /// A word of 4 GiB or more.
    #[error("word {index} is {len} bytes long; the API carries at most 4294967295")]
    WordTooLong {
        /// Position of the word.
        index: usize,
        /// Its length.
        len: usize,
    },
}

/// Malformed input, with the byte offset (from the start of the stream)
/// where the bad length begins.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {kind}")]
pub struct DecodeError {
    /// Offset of the offending length's first byte.
    pub offset: u64,
    /// What was wrong there.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    fn new(offset: u64, kind: DecodeErrorKind) -> DecodeError {
        DecodeError { offset, kind }
    }
}

/// What was wrong at [`DecodeError::offset`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// A first byte of 0xF8 or more (reserved by the protocol).
    #[error("reserved control byte 0x{0:02X} where a word length should start")]
    ControlByte(u8),
    /// A first byte of 0xF1 to 0xF7 (lengths beyond 32 bits).
    #[error("length prefix 0x{0:02X} announces a length above 32 bits")]
    LengthOver32Bits(u8),
    /// A word longer than the decoder's limit.
    #[error("word of {len} bytes is longer than the limit of {limit}")]
    WordTooLong {
        /// The announced length.
        len: u32,
        /// The decoder's limit.
        limit: u32,
    },
    /// A sentence with more words than the decoder's limit.
    #[error("sentence has more than {limit} words")]
    TooManyWords {
        /// The decoder's limit.
        limit: usize,
    },
    /// The input ended inside a sentence.
    #[error("input ends inside a sentence")]
    Truncated,
}

/// Turns a byte stream into sentences, however the stream is split into
/// reads. Feed it bytes with [`Decoder::feed`], take sentences with
/// [`Decoder::next_sentence`].
///
/// Words already read are kept between calls, so a large sentence that
/// arrives in many pieces is scanned once. Empty sentences (a lone zero
/// byte) are skipped, as the manual says a receiver does. After an error
/// the stream has no sentence boundaries left to trust: every later call
/// returns the same error.
///
/// ```
/// use routeros::codec::{Decoder, Sentence};
/// let mut d = Decoder::new();
/// d.feed(b"\x05!done\x07.tag=");
/// assert_eq!(d.next_sentence().unwrap(), None);
/// d.feed(b"12\x00");
/// let s = d.next_sentence().unwrap().unwrap();
/// assert_eq!(s, Sentence::from_words(["!done", ".tag=12"]));
/// ```
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Next unread byte of `buf`.
    pos: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    words: Vec<Vec<u8>>,
    max_word: u32,
    max_words: usize,
    failed: Option<DecodeError>,
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder with the default limits ([`DEFAULT_MAX_WORD`],
    /// [`DEFAULT_MAX_WORDS`]).
    pub fn new() -> Decoder {
        Decoder::with_limits(DEFAULT_MAX_WORD, DEFAULT_MAX_WORDS)
    }

    /// A decoder refusing words longer than `max_word` bytes and sentences
    /// of more than `max_words` words.
    pub fn with_limits(max_word: u32, max_words: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            pos: 0,
            base: 0,
            words: Vec::new(),
            max_word,
            max_words,
            failed: None,
        }
    }

    /// Adds bytes read from the stream.
    pub fn feed(&mut self, data: &[u8]) {
        // Drop what was consumed once it is most of the buffer, so the
        // buffer stays near the size of one sentence without shifting on
        // every call.
        if self.pos > 0 && self.pos >= self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes fed and not yet part of a returned sentence or of a word
    /// already read.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Whether the decoder is between sentences with nothing buffered (a
    /// stream that ends here ended cleanly).
    pub fn is_idle(&self) -> bool {
        self.words.is_empty() && self.buffered() == 0
    }

    /// Stream offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The next complete sentence, `Ok(None)` when more bytes are needed.
    pub fn next_sentence(&mut self) -> Result<Option<Sentence>, DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        loop {
            let offset = self.offset();
            let fail = |me: &mut Decoder, kind| {
                let e = DecodeError::new(offset, kind);
                me.failed = Some(e.clone());
                Err(e)
            };
            let (len, size) = match decode_length(&self.buf[self.pos..]) {
                Ok(Some(l)) => l,
                Ok(None) => return Ok(None),
                Err(e) => return fail(self, e.kind),
            };
            if len > self.max_word {
                return fail(
                    self,
                    DecodeErrorKind::WordTooLong {
                        len,
                        limit: self.max_word,
                    },
                );
            }
            if len == 0 {
                self.pos += size;
                if self.words.is_empty() {
                    continue;
                }
                let words = std::mem::take(&mut self.words);
                return Ok(Some(Sentence { words }));
            }
            let end = self.pos + size + len as usize;
            if self.buf.len() < end {
                // Reserve once for a long word rather than growing by reads.
                self.buf.reserve(end - self.buf.len());
                return Ok(None);
            }
            if self.words.len() >= self.max_words {
                return fail(
                    self,
                    DecodeErrorKind::TooManyWords {
                        limit: self.max_words,
                    },
                );
            }
            self.words.push(self.buf[self.pos + size..end].to_vec());
            self.pos = end;
        }
    }

    /// Ends the stream: an error if it stopped inside a sentence.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.is_idle() {
            Ok(())
        } else {
            Err(DecodeError::new(self.offset(), DecodeErrorKind::Truncated))
        }
    }
}

/// Decodes every sentence of a complete buffer (a capture, a test vector).
///
/// ```
/// let all = routeros::codec::decode_all(b"\x03!re\x08=name=ok\x00\x05!done\x00").unwrap();
/// assert_eq!(all.len(), 2);
/// ```
pub fn decode_all(buf: &[u8]) -> Result<Vec<Sentence>, DecodeError> {
    let mut d = Decoder::new();
    d.feed(buf);
    let mut out = Vec::new();
    while let Some(s) = d.next_sentence()? {
        out.push(s);
    }
    d.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        encode_length(len, &mut v);
        v
    }

    /// The table of the manual's "API words" section, at each range's
    /// edges.
    #[test]
    fn length_vectors_from_the_manual() {
        let cases: &[(u32, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (0x7F, &[0x7F]),
            (0x80, &[0x80, 0x80]),
            (0x3FFF, &[0xBF, 0xFF]),
            (0x4000, &[0xC0, 0x40, 0x00]),
            (0x1F_FFFF, &[0xDF, 0xFF, 0xFF]),
            (0x20_0000, &[0xE0, 0x20, 0x00, 0x00]),
            (0x0FFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
            (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
            (u32::MAX, &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]),
        ];
        for &(len, bytes) in cases {
            assert_eq!(enc(len), bytes, "encode {len:#x}");
            assert_eq!(
                decode_length(bytes).unwrap(),
                Some((len, bytes.len())),
                "decode {len:#x}"
            );
            // Every proper prefix is incomplete, never an error.
            for cut in 0..bytes.len() {
                assert_eq!(decode_length(&bytes[..cut]).unwrap(), None);
            }
        }
    }

    #[test]
    fn longer_forms_than_needed_decode() {
        assert_eq!(decode_length(&[0x80, 0x05]).unwrap(), Some((5, 2)));
        assert_eq!(decode_length(&[0xF0, 0, 0, 0, 7]).unwrap(), Some((7, 5)));
    }

    #[test]
    fn reserved_first_bytes_are_errors() {
        for b in 0xF8..=0xFFu8 {
            assert_eq!(
                decode_length(&[b]).unwrap_err().kind,
                DecodeErrorKind::ControlByte(b)
            );
        }
        for b in 0xF1..=0xF7u8 {
            assert_eq!(
                decode_length(&[b, 0, 0, 0, 0, 0]).unwrap_err().kind,
                DecodeErrorKind::LengthOver32Bits(b)
            );
        }
    }

    #[test]
    fn login_sentence_bytes() {
        let s = Sentence::from_words(["/login", "=name=admin", "=password="]);
        let mut want = vec![6];
        want.extend_from_slice(b"/login");
        want.push(11);
        want.extend_from_slice(b"=name=admin");
        want.push(10);
        want.extend_from_slice(b"=password=");
        want.push(0);
        assert_eq!(s.to_bytes().unwrap(), want);
        assert_eq!(decode_all(&want).unwrap(), vec![s]);
    }

    #[test]
    fn errors_name_the_stream_offset() {
        let mut d = Decoder::new();
        d.feed(b"\x05!done\x00\x03!re");
        assert!(d.next_sentence().unwrap().is_some());
        assert_eq!(d.next_sentence().unwrap(), None);
        d.feed(b"\xF9");
        let e = d.next_sentence().unwrap_err();
        assert_eq!(e.offset, 11);
        assert_eq!(
            e.to_string(),
            "byte 11: reserved control byte 0xF9 where a word length should start"
        );
        // The stream stays failed.
        d.feed(b"\x00");
        assert_eq!(d.next_sentence().unwrap_err(), e);
    }

    #[test]
    fn limits() {
        let mut d = Decoder::with_limits(4, 2);
        d.feed(b"\x05hello\x00");
        assert_eq!(
            d.next_sentence().unwrap_err(),
            DecodeError::new(0, DecodeErrorKind::WordTooLong { len: 5, limit: 4 })
        );
        let mut d = Decoder::with_limits(4, 2);
        d.feed(b"\x01a\x01b\x01c\x00");
        assert_eq!(
            d.next_sentence().unwrap_err(),
            DecodeError::new(4, DecodeErrorKind::TooManyWords { limit: 2 })
        );
    }

    #[test]
    fn truncated_input_is_reported_at_finish() {
        let e = decode_all(b"\x05!done\x00\x03!r").unwrap_err();
        assert_eq!(e, DecodeError::new(7, DecodeErrorKind::Truncated));
        let e = decode_all(b"\x03!re\x04=a=b").unwrap_err();
        assert_eq!(e, DecodeError::new(9, DecodeErrorKind::Truncated));
    }

    #[test]
    fn empty_sentences_are_skipped() {
        assert_eq!(
            decode_all(b"\x00\x00\x05!done\x00\x00").unwrap(),
            vec![Sentence::from_words(["!done"])]
        );
    }

    #[test]
    fn byte_by_byte_feeding() {
        let s = Sentence::from_words([b"!re".to_vec(), vec![b'x'; 0x4000], b"=name=a=b".to_vec()]);
        let bytes = s.to_bytes().unwrap();
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for b in &bytes {
            d.feed(std::slice::from_ref(b));
            if let Some(s) = d.next_sentence().unwrap() {
                got.push(s);
            }
        }
        assert_eq!(got, vec![s]);
        assert!(d.finish().is_ok());
        assert_eq!(d.offset(), bytes.len() as u64);
    }

    #[test]
    fn encode_refusals() {
        assert_eq!(Sentence::new().to_bytes(), Err(EncodeError::NoWords));
        assert_eq!(
            Sentence::from_words(["/x", ""]).to_bytes(),
            Err(EncodeError::EmptyWord { index: 1 })
        );
    }
}
