//! PAP: the User-Password attribute (RFC 2865 section 5.2).
//!
//! ```
//! use radius::{attr, auth::pap, Code, Packet};
//! let mut req = Packet::new(Code::AccessRequest, 1);
//! req.add(attr::USER_PASSWORD, b"secret".to_vec());
//! let req = Packet::decode(&req.encode(b"s")?, b"s")?;
//! assert!(pap::verify(&req, b"secret").is_ok());
//! assert_eq!(pap::verify(&req, b"other"), Err(radius::auth::AuthError::WrongPassword));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::AuthError;
use crate::{Packet, attr, crypto};

/// Checks the (already revealed) User-Password of a decoded request.
pub fn verify(request: &Packet, password: &[u8]) -> Result<(), AuthError> {
    let given = request
        .raw(attr::USER_PASSWORD.id)
        .ok_or(AuthError::Missing("User-Password"))?;
    if verify_password(given, password) {
        Ok(())
    } else {
        Err(AuthError::WrongPassword)
    }
}

/// Compares a revealed password with the known one in constant time.
/// Trailing zero octets of the known password are ignored, as hiding pads
/// with zeros.
pub fn verify_password(given: &[u8], known: &[u8]) -> bool {
    let mut k = known;
    while let [rest @ .., 0] = k {
        k = rest;
    }
    crypto::constant_time_eq(given, k)
}
