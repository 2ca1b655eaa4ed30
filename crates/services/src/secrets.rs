//! Encryption at rest for secrets Lastmile must read back (TOTP seeds, SMTP
//! and gateway passwords, NAS secrets): XChaCha20-Poly1305 under one
//! installation key. The key comes from `LASTMILE_SECRET_KEY` (base64, 32
//! bytes; every node of a cluster needs the same) or from `secret.key` in the
//! data directory, created with mode 0600 on first start.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng as _;

const PREFIX: &str = "enc1:";

/// Encrypts and decrypts secret strings. Ciphertexts look like
/// `enc1:<base64(nonce ‖ ciphertext)>`.
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("LASTMILE_SECRET_KEY must be 32 bytes in base64")]
    BadKey,
    #[error("cannot read or create the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("a stored secret is not in the expected format")]
    Format,
    #[error("a stored secret cannot be decrypted with this installation's key")]
    Decrypt,
}

impl SecretBox {
    pub fn from_key(key: &[u8; 32]) -> SecretBox {
        SecretBox {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// The key from `env_key` (base64) if given, else from `<data_dir>/secret.key`.
    pub fn load(env_key: Option<&str>, data_dir: &Path) -> Result<SecretBox, SecretError> {
        if let Some(b64) = env_key {
            let bytes = B64.decode(b64.trim()).map_err(|_| SecretError::BadKey)?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
            return Ok(SecretBox::from_key(&key));
        }
        let path = data_dir.join("secret.key");
        let io = |source| SecretError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key: [u8; 32] = B64
                    .decode(String::from_utf8_lossy(&bytes).trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or(SecretError::BadKey)?;
                Ok(SecretBox::from_key(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                store::files::create_dir_all(data_dir).map_err(io)?;
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_private(&path, B64.encode(key).as_bytes()).map_err(io)?;
                Ok(SecretBox::from_key(&key))
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn encrypt(&self, plain: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(&XNonce::from(nonce), plain.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("{PREFIX}{}", B64.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, SecretError> {
        let b64 = stored.strip_prefix(PREFIX).ok_or(SecretError::Format)?;
        let raw = B64.decode(b64).map_err(|_| SecretError::Format)?;
        if raw.len() < 24 {
            return Err(SecretError::Format);
        }
        let (nonce, ct) = raw.split_at(24);
        let nonce = XNonce::try_from(nonce).map_err(|_| SecretError::Format)?;
        let plain = self
            .cipher
            .decrypt(&nonce, ct)
            .map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| SecretError::Decrypt)
    }

    /// Encrypts binary data (uploaded files): `nonce ‖ ciphertext`, with
    /// no text prefix since it is stored in a binary column.
    pub fn encrypt_bytes(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(&XNonce::from(nonce), plain)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out
    }

    /// Reverses [`SecretBox::encrypt_bytes`].
    pub fn decrypt_bytes(&self, stored: &[u8]) -> Result<Vec<u8>, SecretError> {
        if stored.len() < 24 {
            return Err(SecretError::Format);
        }
        let (nonce, ct) = stored.split_at(24);
        let nonce = XNonce::try_from(nonce).map_err(|_| SecretError::Format)?;
        self.cipher
            .decrypt(&nonce, ct)
            .map_err(|_| SecretError::Decrypt)
    }

    /// Whether a stored value is one of ours (and so not plain text).
    pub fn is_encrypted(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let b = SecretBox::from_key(&[7; 32]);
        let c = b.encrypt("radius-secret");
        assert!(SecretBox::is_encrypted(&c));
        assert!(!c.contains("radius-secret"));
        assert_ne!(c, b.encrypt("radius-secret"), "nonces differ");
        assert_eq!(b.decrypt(&c).unwrap(), "radius-secret");
        let other = SecretBox::from_key(&[8; 32]);
        assert!(matches!(other.decrypt(&c), Err(SecretError::Decrypt)));
        assert!(matches!(b.decrypt("plain"), Err(SecretError::Format)));
    }

    /// A value stored by an earlier release still decrypts: the ciphertext
    /// was made outside Rust (HChaCha20 by hand over Python's
    /// `cryptography` ChaCha20-Poly1305), key bytes 0..32, nonce 0x40..0x58.
    #[test]
    fn decrypts_values_stored_before() {
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let stored =
            "enc1:QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXplhhGaWTVGXql/Xb22t7SWz8L8ljKrUIG/hwcwM=";
        assert_eq!(
            SecretBox::from_key(&key).decrypt(stored).unwrap(),
            "radius-secret"
        );
    }

    #[test]
    fn key_file_is_created_once_and_private() {
        let dir = std::env::temp_dir().join(format!("lm-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = SecretBox::load(None, &dir).unwrap();
        let b = SecretBox::load(None, &dir).unwrap();
        assert_eq!(b.decrypt(&a.encrypt("x")).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            SecretBox::load(Some("short"), &dir),
            Err(SecretError::BadKey)
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
