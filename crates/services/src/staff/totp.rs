//! TOTP (RFC 6238: SHA-1, 6 digits, 30 s) and one-time recovery codes.

use rand::RngExt as _;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

const STEP: u64 = 30;

/// A new random 160-bit secret, base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill(&mut bytes);
    Secret::from(bytes).to_base32()
}

fn totp(secret_b32: &str, issuer: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    // Unchecked, as before: secrets we issued are 160 bits, and one typed in
    // elsewhere should not be refused for its length.
    Some(
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(STEP)
            .with_secret(secret)
            .with_issuer(Some(issuer))
            .with_account_name(account)
            .build_noncompliant(),
    )
}

/// The `otpauth://` URL authenticator apps scan.
pub fn otpauth_url(secret_b32: &str, issuer: &str, account: &str) -> String {
    totp(secret_b32, issuer, account)
        .and_then(|t| t.to_url().ok())
        .unwrap_or_default()
}

/// The QR code of the `otpauth://` URL, as inline SVG.
pub fn qr_svg(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

/// Checks `code` at `unix_time`, allowing one step of clock skew either way.
/// Returns the matched time step, which the caller stores to refuse replays.
pub fn verify(secret_b32: &str, code: &str, unix_time: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The window is the skew of one step either way; tokens compare in
    // constant time.
    let step = totp(secret_b32, "x", "x")?.check(&code, unix_time)?;
    i64::try_from(step).ok()
}

/// The current code, for tests and the CLI.
pub fn current(secret_b32: &str, unix_time: u64) -> String {
    totp(secret_b32, "x", "x")
        .map(|t| t.generate(unix_time).to_string())
        .unwrap_or_default()
}

/// Ten recovery codes like `k7q2-m9xd-4hpa`, from an alphabet without look-alikes.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| {
            let chars: Vec<char> = (0..12)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            format!(
                "{}-{}-{}",
                chars[0..4].iter().collect::<String>(),
                chars[4..8].iter().collect::<String>(),
                chars[8..12].iter().collect::<String>()
            )
        })
        .collect()
}

/// How recovery codes are stored: SHA-256 of the normalised code (they are
/// random enough that a slow hash adds nothing).
pub fn hash_recovery_code(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    hex::encode(Sha256::digest(norm.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let secret = Secret::from(*b"12345678901234567890").to_base32();
        assert_eq!(current(&secret, 59), "287082");
        assert_eq!(verify(&secret, "287 082", 59), Some(1));
        assert_eq!(
            verify(&secret, "287082", 59 + 30),
            Some(1),
            "one step of skew"
        );
        assert_eq!(verify(&secret, "287082", 59 + 90), None);
        assert_eq!(verify(&secret, "abcdef", 59), None);
    }

    #[test]
    fn recovery_codes() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(codes[0].len(), 14);
        assert_eq!(
            hash_recovery_code(&codes[0]),
            hash_recovery_code(&codes[0].to_uppercase().replace('-', " "))
        );
        assert!(otpauth_url(&new_secret(), "Fibra Sul", "ana").starts_with("otpauth://totp/"));
        assert!(qr_svg("otpauth://totp/x").contains("<svg"));
    }
}
