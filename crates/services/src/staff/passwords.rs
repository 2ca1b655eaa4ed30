//! Argon2id password hashing (the crate's defaults: 19 MiB, 2 passes).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

pub fn hash(password: &str) -> crate::Result<String> {
    // A random 16-byte salt from the operating system, as before.
    PasswordHasher::<PasswordHash>::hash_password(&Argon2::default(), password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| crate::Error::Internal(format!("password hashing failed: {e}")))
}

/// Constant-time verification; a malformed stored hash verifies nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password, verified against when a username does not
/// exist so that both paths take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no such user, no such password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_and_verify() {
        let h = super::hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct horse battery", &h));
        assert!(!super::verify("wrong", &h));
        assert!(!super::verify("x", "not a hash"));
    }

    /// A hash stored by an earlier release (the same parameters, made by
    /// argon2-cffi, outside Rust) still verifies.
    #[test]
    fn verifies_hashes_stored_before() {
        let stored = "$argon2id$v=19$m=19456,t=2,p=1$4iVDnacuqMpCq6UUrIKZEg$B46bfE8xHXm/eRG00GnudoqN3SSqthKx6Pd/irQ4eCQ";
        assert!(super::verify("correct horse battery", stored));
        assert!(!super::verify("correct horse batteries", stored));
    }
}
