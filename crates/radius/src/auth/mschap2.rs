//! MS-CHAP version 2 (RFC 2759) as carried in RADIUS (RFC 2548):
//! verifying MS-CHAP2-Response, building MS-CHAP2-Success and the MPPE keys.
//!
//! ```
//! use radius::{attr::microsoft as ms, auth::mschap2, Code, Packet};
//! // What a NAS sends for user "bob" with password "pass".
//! let auth_challenge = [7u8; 16];
//! let peer_challenge = [9u8; 16];
//! let mut req = Packet::new(Code::AccessRequest, 1);
//! req.add_text(radius::attr::USER_NAME, "bob");
//! req.add(ms::MS_CHAP_CHALLENGE, auth_challenge.to_vec());
//! req.add(ms::MS_CHAP2_RESPONSE, mschap2::client_response(1, &auth_challenge, &peer_challenge, b"bob", "pass").to_vec());
//!
//! let ok = mschap2::verify(&req, "pass")?;
//! assert!(ok.authenticator_response.starts_with("S="));
//! let mut reply = req.make_response(Code::AccessAccept);
//! ok.add_to(&mut reply);
//! assert!(reply.get(ms::MS_CHAP2_SUCCESS).is_some());
//! assert!(mschap2::verify(&req, "wrong").is_err());
//! # Ok::<(), radius::auth::AuthError>(())
//! ```

use sha1::{Digest, Sha1};

use super::AuthError;
use super::mppe::MppeKeys;
use super::mschap::{challenge_response, hash_nt_password_hash, nt_password_hash};
use crate::{Packet, attr, crypto};

const MAGIC1: &[u8] = b"Magic server to client signing constant";
const MAGIC2: &[u8] = b"Pad to make it do more than one iteration";

/// ChallengeHash: the 8-octet challenge both sides derive from the two
/// challenges and the user name.
pub fn challenge_hash(
    peer_challenge: &[u8; 16],
    authenticator_challenge: &[u8; 16],
    user_name: &[u8],
) -> [u8; 8] {
    let mut h = Sha1::new();
    h.update(peer_challenge);
    h.update(authenticator_challenge);
    h.update(user_name);
    let d = h.finalize();
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

/// GenerateNTResponse from an NT password hash.
pub fn nt_response(
    authenticator_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user_name: &[u8],
    nt_hash: &[u8; 16],
) -> [u8; 24] {
    challenge_response(
        &challenge_hash(peer_challenge, authenticator_challenge, user_name),
        nt_hash,
    )
}

/// GenerateAuthenticatorResponse: the `S=` string (40 upper-case hex
/// digits) that proves to the peer that the server knew the password.
pub fn authenticator_response(
    password_hash_hash: &[u8; 16],
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    authenticator_challenge: &[u8; 16],
    user_name: &[u8],
) -> String {
    let mut h = Sha1::new();
    h.update(password_hash_hash);
    h.update(nt_response);
    h.update(MAGIC1);
    let digest = h.finalize();
    let challenge = challenge_hash(peer_challenge, authenticator_challenge, user_name);
    let mut h = Sha1::new();
    h.update(digest);
    h.update(challenge);
    h.update(MAGIC2);
    let d = h.finalize();
    let mut s = String::with_capacity(42);
    s.push_str("S=");
    for b in d {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// The 50-octet MS-CHAP2-Response a client sends (ident, flags, peer
/// challenge, 8 reserved octets, NT-Response). For tests and load tools.
pub fn client_response(
    ident: u8,
    authenticator_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user_name: &[u8],
    password: &str,
) -> [u8; 50] {
    let mut out = [0u8; 50];
    out[0] = ident;
    out[2..18].copy_from_slice(peer_challenge);
    out[26..].copy_from_slice(&nt_response(
        authenticator_challenge,
        peer_challenge,
        user_name,
        &nt_password_hash(password),
    ));
    out
}

/// A successful MS-CHAPv2 login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Success {
    /// The PPP identifier of the response, echoed in MS-CHAP2-Success.
    pub ident: u8,
    /// `S=` followed by 40 hex digits.
    pub authenticator_response: String,
    /// MPPE keys for the NAS.
    pub mppe: MppeKeys,
}

impl Success {
    /// The MS-CHAP2-Success value: the identifier then the `S=` string.
    pub fn success_value(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(43);
        v.push(self.ident);
        v.extend_from_slice(self.authenticator_response.as_bytes());
        v
    }

    /// Adds MS-CHAP2-Success and the MPPE attributes to a reply.
    pub fn add_to(&self, reply: &mut Packet) {
        reply.add(attr::microsoft::MS_CHAP2_SUCCESS, self.success_value());
        self.mppe.add_to(reply);
    }
}

/// The MS-CHAP-Error value for a failed login (RFC 2759 section 6):
/// `E=691 R=0` (authentication failure, no retry), with the identifier.
pub fn failure_value(ident: u8) -> Vec<u8> {
    let mut v = vec![ident];
    v.extend_from_slice(b"E=691 R=0 V=3");
    v
}

/// The user name MS-CHAPv2 hashes: User-Name without a `DOMAIN\` prefix.
pub fn hashed_user_name(user_name: &[u8]) -> &[u8] {
    match user_name.iter().rposition(|b| *b == b'\\') {
        Some(i) => &user_name[i + 1..],
        None => user_name,
    }
}

/// Checks an MS-CHAPv2 request (User-Name, MS-CHAP-Challenge of 16
/// octets, MS-CHAP2-Response of 50) against a cleartext password.
pub fn verify(request: &Packet, password: &str) -> Result<Success, AuthError> {
    verify_with_hash(request, &nt_password_hash(password))
}

/// [`verify`] with a stored NT password hash.
pub fn verify_with_hash(request: &Packet, nt_hash: &[u8; 16]) -> Result<Success, AuthError> {
    let user = request
        .raw(attr::USER_NAME.id)
        .ok_or(AuthError::Missing("User-Name"))?;
    let challenge = request
        .raw(attr::microsoft::MS_CHAP_CHALLENGE.id)
        .ok_or(AuthError::Missing("MS-CHAP-Challenge"))?;
    let challenge: &[u8; 16] = challenge.try_into().map_err(|_| AuthError::Malformed {
        attribute: "MS-CHAP-Challenge",
        reason: format!("{} octets, expected 16", challenge.len()),
    })?;
    let resp = request
        .raw(attr::microsoft::MS_CHAP2_RESPONSE.id)
        .ok_or(AuthError::Missing("MS-CHAP2-Response"))?;
    verify_response(hashed_user_name(user), nt_hash, challenge, resp)
}

/// The core check on raw values: `response` is the 50-octet
/// MS-CHAP2-Response.
pub fn verify_response(
    user_name: &[u8],
    nt_hash: &[u8; 16],
    authenticator_challenge: &[u8; 16],
    response: &[u8],
) -> Result<Success, AuthError> {
    if response.len() != 50 {
        return Err(AuthError::Malformed {
            attribute: "MS-CHAP2-Response",
            reason: format!("{} octets, expected 50", response.len()),
        });
    }
    let mut peer = [0u8; 16];
    peer.copy_from_slice(&response[2..18]);
    let mut given = [0u8; 24];
    given.copy_from_slice(&response[26..50]);
    let expected = nt_response(authenticator_challenge, &peer, user_name, nt_hash);
    if !crypto::constant_time_eq(&expected, &given) {
        return Err(AuthError::WrongPassword);
    }
    let phh = hash_nt_password_hash(nt_hash);
    Ok(Success {
        ident: response[0],
        authenticator_response: authenticator_response(
            &phh,
            &given,
            &peer,
            authenticator_challenge,
            user_name,
        ),
        mppe: MppeKeys::from_mschap2(&phh, &given),
    })
}
