//! MS-CHAP version 1 (RFC 2433) and the primitives MS-CHAPv2 shares with
//! it: NT and LM password hashes and the DES challenge response.
//!
//! ```
//! use radius::auth::mschap;
//! // RFC 2433 appendix B.2.
//! let hash = mschap::nt_password_hash("MyPw");
//! let challenge = [0x10, 0x2d, 0xb5, 0xdf, 0x08, 0x5d, 0x30, 0x41];
//! let response = mschap::challenge_response(&challenge, &hash);
//! assert_eq!(response[..4], [0x4e, 0x9d, 0x3c, 0x8f]);
//! ```

use des::cipher::{BlockCipherEncrypt, KeyInit};
use md4::{Digest, Md4};

use super::AuthError;
use crate::{Packet, attr, crypto};

/// MD4 of the UTF-16LE password (RFC 2433 NtPasswordHash).
pub fn nt_password_hash(password: &str) -> [u8; 16] {
    let mut h = Md4::new();
    for unit in password.encode_utf16() {
        h.update(unit.to_le_bytes());
    }
    h.finalize().into()
}

/// MD4 of an NT password hash (RFC 2759 HashNtPasswordHash).
pub fn hash_nt_password_hash(hash: &[u8; 16]) -> [u8; 16] {
    Md4::digest(hash).into()
}

/// Spreads 56 key bits over 8 octets with odd parity (RFC 2759 section 9.3).
pub fn des_key(k: &[u8; 7]) -> [u8; 8] {
    let raw = [
        k[0] >> 1,
        ((k[0] & 0x01) << 6) | (k[1] >> 2),
        ((k[1] & 0x03) << 5) | (k[2] >> 3),
        ((k[2] & 0x07) << 4) | (k[3] >> 4),
        ((k[3] & 0x0f) << 3) | (k[4] >> 5),
        ((k[4] & 0x1f) << 2) | (k[5] >> 6),
        ((k[5] & 0x3f) << 1) | (k[6] >> 7),
        k[6] & 0x7f,
    ];
    raw.map(|b| {
        let b = b << 1;
        if b.count_ones() % 2 == 0 { b | 1 } else { b }
    })
}

fn des_encrypt(key7: &[u8], clear: &[u8; 8]) -> [u8; 8] {
    let mut k = [0u8; 7];
    k.copy_from_slice(&key7[..7]);
    let cipher = des::Des::new(&des_key(&k).into());
    let mut block = (*clear).into();
    cipher.encrypt_block(&mut block);
    block.into()
}

/// The 24-octet DES response to an 8-octet challenge (RFC 2433
/// ChallengeResponse), used by MS-CHAPv1 and MS-CHAPv2.
pub fn challenge_response(challenge: &[u8; 8], password_hash: &[u8; 16]) -> [u8; 24] {
    let mut z = [0u8; 21];
    z[..16].copy_from_slice(password_hash);
    let mut out = [0u8; 24];
    for i in 0..3 {
        out[i * 8..i * 8 + 8].copy_from_slice(&des_encrypt(&z[i * 7..i * 7 + 7], challenge));
    }
    out
}

/// The LAN Manager password hash (RFC 2433 LmPasswordHash), used only for
/// the LM-Key of MS-CHAP-MPPE-Keys.
pub fn lm_password_hash(password: &str) -> [u8; 16] {
    let mut pw = [0u8; 14];
    for (d, c) in pw.iter_mut().zip(password.bytes()) {
        *d = c.to_ascii_uppercase();
    }
    let magic = b"KGS!@#$%";
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&des_encrypt(&pw[..7], magic));
    out[8..].copy_from_slice(&des_encrypt(&pw[7..], magic));
    out
}

/// A successful MS-CHAPv1 login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Success {
    /// The PPP identifier of the response.
    pub ident: u8,
    /// MS-CHAP-MPPE-Keys value (RFC 2548 section 2.4.1): LM-Key (8 octets)
    /// and NT-Key (16 octets); hidden on encode like User-Password.
    pub mppe_keys: [u8; 24],
}

impl Success {
    /// Adds MS-CHAP-MPPE-Keys and the MPPE policy attributes to a reply.
    pub fn add_to(&self, reply: &mut Packet) {
        reply.add(attr::microsoft::MS_CHAP_MPPE_KEYS, self.mppe_keys.to_vec());
        reply.add(attr::microsoft::MS_MPPE_ENCRYPTION_POLICY, 1);
        reply.add(attr::microsoft::MS_MPPE_ENCRYPTION_TYPES, 6);
    }
}

/// Checks an MS-CHAPv1 request: MS-CHAP-Challenge (8 octets) and
/// MS-CHAP-Response (50 octets, NT response flag set).
///
/// ```
/// use radius::{attr::microsoft as ms, auth::mschap, Code, Packet};
/// let challenge = [1u8, 2, 3, 4, 5, 6, 7, 8];
/// let mut resp = vec![0u8; 50];
/// resp[1] = 1;
/// resp[26..].copy_from_slice(&mschap::challenge_response(&challenge, &mschap::nt_password_hash("pw")));
/// let mut req = Packet::new(Code::AccessRequest, 1);
/// req.add(ms::MS_CHAP_CHALLENGE, challenge.to_vec());
/// req.add(ms::MS_CHAP_RESPONSE, resp);
/// assert!(mschap::verify(&req, "pw").is_ok());
/// assert!(mschap::verify(&req, "nope").is_err());
/// ```
pub fn verify(request: &Packet, password: &str) -> Result<Success, AuthError> {
    let nt = nt_password_hash(password);
    verify_with_hash(request, &nt, Some(&lm_password_hash(password)))
}

/// [`verify`] with a stored NT hash instead of the password; without the
/// LM hash the LM-Key is zero.
pub fn verify_with_hash(
    request: &Packet,
    nt_hash: &[u8; 16],
    lm_hash: Option<&[u8; 16]>,
) -> Result<Success, AuthError> {
    let challenge = request
        .raw(attr::microsoft::MS_CHAP_CHALLENGE.id)
        .ok_or(AuthError::Missing("MS-CHAP-Challenge"))?;
    let challenge: &[u8; 8] = challenge.try_into().map_err(|_| AuthError::Malformed {
        attribute: "MS-CHAP-Challenge",
        reason: format!("{} octets, expected 8", challenge.len()),
    })?;
    let resp = request
        .raw(attr::microsoft::MS_CHAP_RESPONSE.id)
        .ok_or(AuthError::Missing("MS-CHAP-Response"))?;
    if resp.len() != 50 {
        return Err(AuthError::Malformed {
            attribute: "MS-CHAP-Response",
            reason: format!("{} octets, expected 50", resp.len()),
        });
    }
    if resp[1] & 1 == 0 {
        return Err(AuthError::Unsupported("LAN Manager-only MS-CHAP response"));
    }
    if !crypto::constant_time_eq(&challenge_response(challenge, nt_hash), &resp[26..50]) {
        return Err(AuthError::WrongPassword);
    }
    let mut mppe_keys = [0u8; 24];
    if let Some(lm) = lm_hash {
        mppe_keys[..8].copy_from_slice(&lm[..8]);
    }
    mppe_keys[8..].copy_from_slice(&hash_nt_password_hash(nt_hash));
    Ok(Success {
        ident: resp[0],
        mppe_keys,
    })
}
