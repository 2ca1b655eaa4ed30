//! CHAP with MD5 (RFC 1994, RFC 2865 section 5.3).
//!
//! ```
//! use radius::{attr, auth::chap, Code, Packet};
//! let mut req = Packet::new(Code::AccessRequest, 1);
//! let challenge = req.authenticator;
//! req.add(attr::CHAP_PASSWORD, chap::encode(9, b"hunter2", &challenge).to_vec());
//! assert!(chap::verify(&req, b"hunter2").is_ok());
//! assert!(chap::verify(&req, b"hunter3").is_err());
//! ```

use md5::{Digest, Md5};

use super::AuthError;
use crate::{Packet, attr, crypto};

/// The CHAP response: MD5(identifier + password + challenge).
pub fn response(ident: u8, password: &[u8], challenge: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update([ident]);
    h.update(password);
    h.update(challenge);
    h.finalize().into()
}

/// A CHAP-Password value: the identifier followed by the response.
pub fn encode(ident: u8, password: &[u8], challenge: &[u8]) -> [u8; 17] {
    let mut out = [0u8; 17];
    out[0] = ident;
    out[1..].copy_from_slice(&response(ident, password, challenge));
    out
}

/// Checks CHAP-Password against the password, using CHAP-Challenge when
/// present and the Request Authenticator otherwise.
pub fn verify(request: &Packet, password: &[u8]) -> Result<(), AuthError> {
    let cp = request
        .raw(attr::CHAP_PASSWORD.id)
        .ok_or(AuthError::Missing("CHAP-Password"))?;
    let [ident, given @ ..] = cp else {
        return Err(AuthError::Malformed {
            attribute: "CHAP-Password",
            reason: "empty".into(),
        });
    };
    if given.len() != 16 {
        return Err(AuthError::Malformed {
            attribute: "CHAP-Password",
            reason: format!("{} octets, expected 17", cp.len()),
        });
    }
    let challenge = request
        .raw(attr::CHAP_CHALLENGE.id)
        .unwrap_or(&request.authenticator);
    if crypto::constant_time_eq(&response(*ident, password, challenge), given) {
        Ok(())
    } else {
        Err(AuthError::WrongPassword)
    }
}
