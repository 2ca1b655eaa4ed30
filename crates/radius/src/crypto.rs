//! Attribute value obfuscation: User-Password hiding (RFC 2865 section 5.2),
//! salt encryption (RFC 2868 section 3.5 Tunnel-Password, RFC 2548
//! MS-MPPE-Send/Recv-Key) and Ascend-Send-Secret.
//!
//! These functions work on plain values; [`crate::Packet`] applies them
//! according to the `encrypt=` flag of each attribute in its dictionary.
//!
//! ```
//! use radius::crypto;
//! let authenticator = [7u8; 16];
//! let hidden = crypto::hide_user_password(b"arctangent", b"xyzzy5461", &authenticator)?;
//! assert_eq!(hidden.len(), 16);
//! let plain = crypto::unhide_user_password(&hidden, b"xyzzy5461", &authenticator)?;
//! assert_eq!(plain, b"arctangent");
//! # Ok::<(), radius::crypto::CryptoError>(())
//! ```

use md5::{Digest, Md5};

/// Why a value could not be hidden or revealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The hidden value's length is not a positive multiple of 16.
    #[error("hidden value length {0} is not a positive multiple of 16")]
    BadLength(usize),
    /// The plain value is longer than the attribute can carry.
    #[error("value of {0} octets is too long to hide (at most {1})")]
    TooLong(usize, usize),
    /// The salt-encrypted value is too short to hold a salt and a block.
    #[error("salt-encrypted value of {0} octets is shorter than 18")]
    TooShortForSalt(usize),
    /// The decrypted length octet is larger than the data it covers.
    #[error("decrypted length {0} exceeds the {1} octets of data")]
    BadInnerLength(usize, usize),
}

/// Largest User-Password plaintext (RFC 2865 section 5.2).
pub const MAX_USER_PASSWORD: usize = 128;

fn md5_two(a: &[u8], b: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(a);
    h.update(b);
    h.finalize().into()
}

fn md5_three(a: &[u8], b: &[u8], c: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(a);
    h.update(b);
    h.update(c);
    h.finalize().into()
}

/// Hides a User-Password (or any `encrypt=1` value) as RFC 2865 section 5.2
/// describes: padded with zeros to a multiple of 16 octets, each block XORed
/// with MD5(secret + previous cipher block), the first with the Request
/// Authenticator.
pub fn hide_user_password(
    plain: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
) -> Result<Vec<u8>, CryptoError> {
    if plain.len() > MAX_USER_PASSWORD {
        return Err(CryptoError::TooLong(plain.len(), MAX_USER_PASSWORD));
    }
    let padded = plain.len().div_ceil(16).max(1) * 16;
    let mut out = Vec::with_capacity(padded);
    out.extend_from_slice(plain);
    out.resize(padded, 0);
    let mut prev: [u8; 16] = *authenticator;
    for block in out.chunks_mut(16) {
        let b = md5_two(secret, &prev);
        for (c, k) in block.iter_mut().zip(b) {
            *c ^= k;
        }
        prev.copy_from_slice(block);
    }
    Ok(out)
}

/// Reveals a hidden User-Password; trailing zero padding is removed.
pub fn unhide_user_password(
    hidden: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
) -> Result<Vec<u8>, CryptoError> {
    if hidden.is_empty() || !hidden.len().is_multiple_of(16) {
        return Err(CryptoError::BadLength(hidden.len()));
    }
    let mut out = Vec::with_capacity(hidden.len());
    let mut prev: &[u8] = authenticator;
    for block in hidden.chunks(16) {
        let b = md5_two(secret, prev);
        out.extend(block.iter().zip(b).map(|(c, k)| c ^ k));
        prev = block;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Ok(out)
}

/// Encrypts a value with a salt as RFC 2868 section 3.5 (Tunnel-Password)
/// and RFC 2548 section 2.4.2 (MS-MPPE-Send-Key) describe. `salt` must have
/// its high bit set; use [`random_salt`] unless a test needs a fixed one.
pub fn salt_encrypt(
    plain: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
    salt: [u8; 2],
) -> Result<Vec<u8>, CryptoError> {
    // One length octet plus the data must fit in 253 - 2 (salt) - 1 (tag)
    // octets rounded down to whole blocks: 240 octets, so 239 of data.
    const MAX: usize = 239;
    if plain.len() > MAX {
        return Err(CryptoError::TooLong(plain.len(), MAX));
    }
    let inner = plain.len() + 1;
    let padded = inner.div_ceil(16) * 16;
    let mut out = Vec::with_capacity(2 + padded);
    out.extend_from_slice(&salt);
    out.push(plain.len() as u8);
    out.extend_from_slice(plain);
    out.resize(2 + padded, 0);
    let mut b = md5_three(secret, authenticator, &salt);
    let mut i = 2;
    while i < out.len() {
        for (c, k) in out[i..i + 16].iter_mut().zip(b) {
            *c ^= k;
        }
        b = md5_two(secret, &out[i..i + 16]);
        i += 16;
    }
    Ok(out)
}

/// Decrypts a salt-encrypted value (salt, then blocks), returning the data
/// the length octet covers.
pub fn salt_decrypt(
    cipher: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
) -> Result<Vec<u8>, CryptoError> {
    if cipher.len() < 18 {
        return Err(CryptoError::TooShortForSalt(cipher.len()));
    }
    let (salt, blocks) = cipher.split_at(2);
    if !blocks.len().is_multiple_of(16) {
        return Err(CryptoError::BadLength(blocks.len()));
    }
    let mut out = Vec::with_capacity(blocks.len());
    let mut b = md5_three(secret, authenticator, salt);
    for block in blocks.chunks(16) {
        out.extend(block.iter().zip(b).map(|(c, k)| c ^ k));
        b = md5_two(secret, block);
    }
    let len = usize::from(out[0]);
    if len + 1 > out.len() {
        return Err(CryptoError::BadInnerLength(len, out.len() - 1));
    }
    out.truncate(len + 1);
    out.remove(0);
    Ok(out)
}

/// A fresh random salt with the high bit set, as RFC 2868 requires.
pub fn random_salt() -> [u8; 2] {
    let mut salt = [0u8; 2];
    rand::fill(&mut salt);
    salt[0] |= 0x80;
    salt
}

/// Ascend-Send-Secret obfuscation (`encrypt=3`): the value, padded to 16
/// octets, XORed with MD5(authenticator + secret). The operation is its own
/// inverse; trailing zero padding is removed on reveal.
pub fn ascend_secret(
    value: &[u8],
    secret: &[u8],
    authenticator: &[u8; 16],
    reveal: bool,
) -> Vec<u8> {
    let k = md5_two(authenticator, secret);
    let mut out: Vec<u8> = value.iter().take(16).copied().collect();
    out.resize(16, 0);
    for (c, k) in out.iter_mut().zip(k) {
        *c ^= k;
    }
    if reveal {
        while out.last() == Some(&0) {
            out.pop();
        }
    }
    out
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Fills a fresh 16-octet Request Authenticator with random octets.
pub fn random_authenticator() -> [u8; 16] {
    let mut a = [0u8; 16];
    rand::fill(&mut a);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salt_round_trip_all_lengths() {
        let auth = [3u8; 16];
        for len in 0..=239 {
            let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let c = salt_encrypt(&plain, b"s", &auth, [0x80, 1]).expect("fits");
            assert_eq!((c.len() - 2) % 16, 0);
            assert_eq!(salt_decrypt(&c, b"s", &auth).expect("decrypts"), plain);
        }
        assert!(salt_encrypt(&[0; 240], b"s", &auth, [0x80, 1]).is_err());
    }

    #[test]
    fn user_password_lengths() {
        let auth = [9u8; 16];
        for len in 0..=128 {
            let plain = vec![b'x'; len];
            let h = hide_user_password(&plain, b"secret", &auth).expect("fits");
            assert_eq!(h.len(), len.div_ceil(16).max(1) * 16);
            assert_eq!(
                unhide_user_password(&h, b"secret", &auth).expect("ok"),
                plain
            );
        }
        assert!(hide_user_password(&[1; 129], b"s", &auth).is_err());
        assert!(unhide_user_password(&[1; 15], b"s", &auth).is_err());
    }
}
