//! Pix keys (*chaves*): CPF, CNPJ, e-mail, phone (E.164) and random EVP.

use crate::check::{cnpj_is_valid, cpf_is_valid};

/// The kind of a Pix key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum KeyKind {
    /// An individual's CPF, 11 digits.
    Cpf,
    /// A company's CNPJ, 14 digits.
    Cnpj,
    /// An e-mail address, at most 77 characters.
    Email,
    /// A phone number in E.164, `+` and up to 15 digits.
    Phone,
    /// A random key (*chave aleatória*), a UUID.
    Evp,
}

/// Why a Pix key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key is empty.
    #[error("the Pix key is empty")]
    Empty,
    /// The key looks like a CPF or CNPJ but its check digits are wrong.
    #[error("{kind:?} key {key:?} has wrong check digits")]
    CheckDigits {
        /// CPF or CNPJ.
        kind: KeyKind,
        /// The key as given.
        key: String,
    },
    /// The key matches none of the five formats.
    #[error("{0:?} is not a CPF, CNPJ, e-mail, E.164 phone (+55…) or EVP (UUID) key")]
    Unrecognised(String),
}

/// A validated Pix key in the form it takes in a BR Code.
///
/// ```
/// use brpay::pix::{PixKey, KeyKind};
/// let k = PixKey::parse("123e4567-e12b-12d1-a456-426655440000")?;
/// assert_eq!(k.kind(), KeyKind::Evp);
/// assert_eq!(PixKey::parse("+5561912345678")?.kind(), KeyKind::Phone);
/// assert!(PixKey::parse("123.456.789-00").is_err()); // wrong CPF check digits
/// # Ok::<(), brpay::pix::KeyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PixKey {
    kind: KeyKind,
    value: String,
}

impl PixKey {
    /// Recognises and validates a key. CPF and CNPJ may carry punctuation
    /// (it is removed); e-mails are lower-cased; EVP keys are lower-cased.
    pub fn parse(input: &str) -> Result<PixKey, KeyError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(KeyError::Empty);
        }
        if let Some(kind) = detect(s) {
            let value = match kind {
                KeyKind::Cpf | KeyKind::Cnpj => s.chars().filter(char::is_ascii_digit).collect(),
                KeyKind::Email | KeyKind::Evp => s.to_ascii_lowercase(),
                KeyKind::Phone => s.to_owned(),
            };
            let ok = match kind {
                KeyKind::Cpf => cpf_is_valid(&value),
                KeyKind::Cnpj => cnpj_is_valid(&value),
                _ => true,
            };
            if !ok {
                return Err(KeyError::CheckDigits {
                    kind,
                    key: input.to_owned(),
                });
            }
            return Ok(PixKey { kind, value });
        }
        Err(KeyError::Unrecognised(input.to_owned()))
    }

    /// The kind of key.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The key as written into the BR Code.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// Classifies a key by its shape alone (no check digits), as found in a
/// payload. Returns `None` for shapes that are no Pix key.
///
/// ```
/// use brpay::pix::{detect_key_kind, KeyKind};
/// assert_eq!(detect_key_kind("fulano@example.com"), Some(KeyKind::Email));
/// assert_eq!(detect_key_kind("12345678901"), Some(KeyKind::Cpf));
/// ```
pub fn detect_key_kind(key: &str) -> Option<KeyKind> {
    detect(key)
}

fn detect(s: &str) -> Option<KeyKind> {
    if is_evp(s) {
        return Some(KeyKind::Evp);
    }
    if let Some(rest) = s.strip_prefix('+') {
        let ok = (2..=15).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_digit())
            && !rest.starts_with('0');
        return ok.then_some(KeyKind::Phone);
    }
    if s.contains('@') {
        return is_email(s).then_some(KeyKind::Email);
    }
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let only_doc_chars = s
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'/');
    if only_doc_chars {
        return match digits {
            11 if !s.contains('/') => Some(KeyKind::Cpf),
            14 => Some(KeyKind::Cnpj),
            _ => None,
        };
    }
    None
}

fn is_evp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    b.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

fn is_email(s: &str) -> bool {
    // BCB: at most 77 characters; a pragmatic shape check, not RFC 5322.
    if s.len() > 77 || s.bytes().any(|b| !b.is_ascii_graphic()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let cases: &[(&str, Option<KeyKind>)] = &[
            ("529.982.247-25", Some(KeyKind::Cpf)),
            ("11.222.333/0001-81", Some(KeyKind::Cnpj)),
            ("pix@bcb.gov.br", Some(KeyKind::Email)),
            ("+5511943214321", Some(KeyKind::Phone)),
            ("123e4567-e12b-12d1-a456-426655440000", Some(KeyKind::Evp)),
            ("5511943214321", None),
            ("+0551194321", None),
            ("not a key", None),
            ("a@b", None),
        ];
        for (k, want) in cases {
            assert_eq!(detect(k), *want, "{k}");
        }
    }

    #[test]
    fn check_digits_refused() {
        assert!(matches!(
            PixKey::parse("52998224724"),
            Err(KeyError::CheckDigits {
                kind: KeyKind::Cpf,
                ..
            })
        ));
        assert_eq!(PixKey::parse(" "), Err(KeyError::Empty));
        let k = PixKey::parse("Fulano@Example.COM").map(|k| k.as_str().to_owned());
        assert_eq!(k.as_deref(), Ok("fulano@example.com"));
    }
}
