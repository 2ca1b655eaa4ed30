//! Tax documents: Brazilian CPF (people) and CNPJ (companies), including the
//! alphanumeric CNPJ issued from July 2026, and a free-form tax id for every
//! other country.
//!
//! CNPJ check digits (Receita Federal, IN RFB 2.229/2024): each of the first
//! 12 characters is worth its ASCII code minus 48 (`0`–`9` → 0–9, `A` → 17 …
//! `Z` → 42); the weights run 2‥9 from the right, repeating; a remainder mod 11
//! below 2 gives 0, otherwise 11 minus it. Numeric CNPJs are the special case
//! with digits only, so one algorithm validates both.

use crate::validate::FieldError;

/// What kind of document a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Cpf,
    Cnpj,
    /// Another country's tax id, kept as typed (trimmed).
    Foreign,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Cpf => "cpf",
            DocKind::Cnpj => "cnpj",
            DocKind::Foreign => "foreign",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        match s {
            "cpf" => Some(DocKind::Cpf),
            "cnpj" => Some(DocKind::Cnpj),
            "foreign" => Some(DocKind::Foreign),
            _ => None,
        }
    }
}

/// A validated tax document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaxDocument {
    pub kind: DocKind,
    /// Without punctuation, letters upper-cased: `12ABC34501DE35`,
    /// `52998224725`. For foreign ids: letters and digits only, upper-cased.
    pub normalized: String,
    /// How it is shown: `12.ABC.345/01DE-35`, `529.982.247-25`; foreign ids
    /// as typed.
    pub display: String,
}

/// Punctuation people type inside Brazilian documents.
fn is_punct(c: char) -> bool {
    matches!(c, '.' | '-' | '/' | ' ')
}

/// Letters and digits only, upper-cased (the search key of any document).
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Value of a CPF/CNPJ character in the check-digit sums.
fn value(c: u8) -> u32 {
    u32::from(c) - 48
}

/// Check digit over `chars` with weights 2, 3, … 9, 2, … from the right.
fn mod11(chars: &[u8], max_weight: u32) -> u8 {
    let mut sum = 0;
    let mut w = 2;
    for &c in chars.iter().rev() {
        sum += value(c) * w;
        w = if w == max_weight { 2 } else { w + 1 };
    }
    let r = sum % 11;
    if r < 2 { b'0' } else { b'0' + (11 - r) as u8 }
}

/// Strips the usual punctuation; `None` if anything else is in the way.
fn compact(s: &str) -> Option<String> {
    let s = s.trim();
    if s.chars()
        .any(|c| !(c.is_ascii_alphanumeric() || is_punct(c)))
    {
        return None;
    }
    Some(normalize(s))
}

pub fn cpf(s: &str) -> Result<TaxDocument, FieldError> {
    let n = compact(s).ok_or(FieldError::Cpf)?;
    let b = n.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) || b.iter().all(|&c| c == b[0]) {
        return Err(FieldError::Cpf);
    }
    // CPF weights run 2‥10 and 2‥11: no wrap within 9 or 10 digits.
    if mod11(&b[..9], 11) != b[9] || mod11(&b[..10], 11) != b[10] {
        return Err(FieldError::Cpf);
    }
    let display = format!("{}.{}.{}-{}", &n[..3], &n[3..6], &n[6..9], &n[9..]);
    Ok(TaxDocument {
        kind: DocKind::Cpf,
        normalized: n,
        display,
    })
}

pub fn cnpj(s: &str) -> Result<TaxDocument, FieldError> {
    let n = compact(s).ok_or(FieldError::Cnpj)?;
    let b = n.as_bytes();
    let shape = b.len() == 14
        && b[..12]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && b[12..].iter().all(u8::is_ascii_digit);
    if !shape || b.iter().all(|&c| c == b[0]) {
        return Err(FieldError::Cnpj);
    }
    if mod11(&b[..12], 9) != b[12] || mod11(&b[..13], 9) != b[13] {
        return Err(FieldError::Cnpj);
    }
    let display = format!(
        "{}.{}.{}/{}-{}",
        &n[..2],
        &n[2..5],
        &n[5..8],
        &n[8..12],
        &n[12..]
    );
    Ok(TaxDocument {
        kind: DocKind::Cnpj,
        normalized: n,
        display,
    })
}

/// A Brazilian document: CPF when it has 11 characters, CNPJ when 14.
pub fn brazilian(s: &str) -> Result<TaxDocument, FieldError> {
    match compact(s).map(|n| n.len()) {
        Some(11) => cpf(s),
        Some(14) => cnpj(s),
        _ if s.trim().is_empty() => Err(FieldError::Required),
        _ => Err(FieldError::Document),
    }
}

/// A tax document for a customer in `country` (ISO 3166 alpha-2): CPF/CNPJ
/// rules for `BR`, free-form (1–40 characters, at least one letter or digit)
/// elsewhere.
pub fn parse(country: &str, s: &str) -> Result<TaxDocument, FieldError> {
    if country.eq_ignore_ascii_case("BR") {
        return brazilian(s);
    }
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::Required);
    }
    if t.chars().count() > 40 {
        return Err(FieldError::TooLong);
    }
    let n = normalize(t);
    if n.is_empty() {
        return Err(FieldError::Document);
    }
    Ok(TaxDocument {
        kind: DocKind::Foreign,
        normalized: n,
        display: t.to_owned(),
    })
}

/// Appends the two check digits to a 9-digit CPF base (demo data, tests).
pub fn cpf_with_check_digits(base9: &str) -> Option<String> {
    let b = base9.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v = b.to_vec();
    v.push(mod11(&v, 11));
    v.push(mod11(&v, 11));
    String::from_utf8(v).ok()
}

/// Appends the two check digits to a 12-character CNPJ base (digits or
/// upper-case letters).
pub fn cnpj_with_check_digits(base12: &str) -> Option<String> {
    let b = base12.as_bytes();
    if b.len() != 12
        || !b
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return None;
    }
    let mut v = b.to_vec();
    v.push(mod11(&v, 9));
    v.push(mod11(&v, 9));
    String::from_utf8(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpf_rules() {
        for ok in [
            "529.982.247-25",
            "52998224725",
            " 529 982 247 25 ",
            "111.444.777-35",
        ] {
            let d = cpf(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(d.kind, DocKind::Cpf);
        }
        let d = cpf("52998224725").unwrap();
        assert_eq!(d.normalized, "52998224725");
        assert_eq!(d.display, "529.982.247-25");
        for bad in [
            "529.982.247-24", // second digit wrong
            "529.982.247-15", // first digit wrong
            "111.111.111-11", // repeated
            "00000000000",
            "5299822472",   // short
            "529982247250", // long
            "529.982.247_25",
            "52998224A25",
            "",
        ] {
            assert_eq!(cpf(bad), Err(FieldError::Cpf), "{bad}");
        }
    }

    #[test]
    fn cnpj_rules_numeric_and_alphanumeric() {
        let cases = [
            ("11.222.333/0001-81", "11222333000181", "11.222.333/0001-81"),
            ("11222333000181", "11222333000181", "11.222.333/0001-81"),
            ("12.ABC.345/01DE-35", "12ABC34501DE35", "12.ABC.345/01DE-35"),
            ("12ABC34501DE35", "12ABC34501DE35", "12.ABC.345/01DE-35"),
            ("12.abc.345/01de-35", "12ABC34501DE35", "12.ABC.345/01DE-35"),
        ];
        for (input, norm, display) in cases {
            let d = cnpj(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(d.kind, DocKind::Cnpj);
            assert_eq!(d.normalized, norm, "{input}");
            assert_eq!(d.display, display, "{input}");
        }
        for bad in [
            "12.ABC.345/01DE-36",
            "12.ABC.345/01DE-45",
            "11.222.333/0001-82",
            "12.ABC.345/01DE-3A", // check digits are digits
            "00.000.000/0000-00",
            "AAAAAAAAAAAAAA",
            "12.AB#.345/01DE-35",
            "1122233300018",
        ] {
            assert_eq!(cnpj(bad), Err(FieldError::Cnpj), "{bad}");
        }
    }

    #[test]
    fn brazilian_picks_by_length_and_foreign_is_free_form() {
        assert_eq!(brazilian("529.982.247-25").unwrap().kind, DocKind::Cpf);
        assert_eq!(brazilian("12.ABC.345/01DE-35").unwrap().kind, DocKind::Cnpj);
        assert_eq!(brazilian("123"), Err(FieldError::Document));
        assert_eq!(brazilian(" "), Err(FieldError::Required));
        assert_eq!(parse("br", "529.982.247-24"), Err(FieldError::Cpf));
        let de = parse("DE", " DE 123 456 789 ").unwrap();
        assert_eq!(de.kind, DocKind::Foreign);
        assert_eq!(de.normalized, "DE123456789");
        assert_eq!(de.display, "DE 123 456 789");
        assert_eq!(parse("US", ""), Err(FieldError::Required));
        assert_eq!(parse("US", "--"), Err(FieldError::Document));
        assert_eq!(parse("US", &"9".repeat(41)), Err(FieldError::TooLong));
    }

    #[test]
    fn generators_make_valid_documents() {
        let c = cpf_with_check_digits("529982247").unwrap();
        assert_eq!(c, "52998224725");
        assert_eq!(
            cnpj_with_check_digits("12ABC34501DE").unwrap(),
            "12ABC34501DE35"
        );
        for i in 0..200u32 {
            let base = format!("{:09}", 100_000_000 + i * 37_337);
            let doc = cpf_with_check_digits(&base).unwrap();
            if doc.bytes().all(|c| c == doc.as_bytes()[0]) {
                continue;
            }
            assert!(cpf(&doc).is_ok(), "{doc}");
            let cn = cnpj_with_check_digits(&format!("{base}0001")[1..]).unwrap();
            assert!(cnpj(&cn).is_ok(), "{cn}");
        }
        assert_eq!(cpf_with_check_digits("12345678"), None);
        assert_eq!(cnpj_with_check_digits("12abc34501de"), None);
    }
}
