//! Phone numbers in E.164, parsed with the `phonenumber` crate (libphonenumber
//! metadata). Numbers typed without a country code are read in the
//! installation's country.

use phonenumber::{Mode, country};

use crate::validate::FieldError;

/// A valid phone number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    /// `+5511987654321`.
    pub e164: String,
    /// The national significant number, digits only: `11987654321`.
    pub national: String,
}

impl Phone {
    /// International format for display: `+55 11 98765-4321`.
    pub fn international(&self) -> String {
        phonenumber::parse(None, &self.e164)
            .map(|p| p.format().mode(Mode::International).to_string())
            .unwrap_or_else(|_| self.e164.clone())
    }
}

/// Parses `s` in any common format (`(11) 98765-4321`, `+55 11 98765 4321`,
/// `011 98765-4321`, `5511987654321`…), reading numbers without a country
/// code as numbers of `default_country` (ISO 3166 alpha-2).
pub fn parse(s: &str, default_country: &str) -> Result<Phone, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    if s.len() > 40 {
        return Err(FieldError::TooLong);
    }
    let region = default_country
        .to_ascii_uppercase()
        .parse::<country::Id>()
        .ok();
    let n = phonenumber::parse(region, s)
        .ok()
        .filter(phonenumber::is_valid)
        .or_else(|| {
            // Digits that already start with a country code but lack the `+`.
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            (digits.len() > 10 && !s.starts_with('+'))
                .then(|| phonenumber::parse(None, format!("+{digits}")).ok())
                .flatten()
                .filter(phonenumber::is_valid)
        })
        .ok_or(FieldError::Phone)?;
    let e164 = n.format().mode(Mode::E164).to_string();
    let cc = n.code().value().to_string();
    let national = e164
        .strip_prefix('+')
        .and_then(|d| d.strip_prefix(cc.as_str()))
        .unwrap_or_default()
        .to_owned();
    Ok(Phone { e164, national })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_normalise_to_e164() {
        for s in [
            "(11) 98765-4321",
            "11 98765 4321",
            "+55 11 98765-4321",
            "+5511987654321",
            "5511987654321",
            "011 98765-4321",
            "11987654321",
        ] {
            let p = parse(s, "BR").unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.e164, "+5511987654321", "{s}");
            assert_eq!(p.national, "11987654321", "{s}");
        }
        let us = parse("(201) 555-0123", "US").unwrap();
        assert_eq!(us.e164, "+12015550123");
        let de = parse("+49 30 123456", "BR").unwrap();
        assert_eq!(de.e164, "+4930123456");
        assert_eq!(de.national, "30123456");
        assert_eq!(
            parse("+5511987654321", "BR").unwrap().international(),
            "+55 11 98765-4321"
        );
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for bad in ["12", "abc", "(11) 1234", "+55 00 00000-0000"] {
            assert_eq!(parse(bad, "BR"), Err(FieldError::Phone), "{bad}");
        }
        assert_eq!(parse(" ", "BR"), Err(FieldError::Required));
    }
}
