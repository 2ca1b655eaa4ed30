//! Brazilian postal codes (CEP): eight digits, shown as `01310-100`.

use crate::validate::FieldError;

/// Normalises a CEP to its eight digits. Accepts `01310-100`, `01310100` and
/// the old `01.310-100`; refuses anything else, and all zeros.
pub fn parse(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    // The shape, with `9` for a digit: separators only where people put them.
    let shape: String = s
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    let shaped = matches!(
        shape.as_str(),
        "99999999" | "99999-999" | "99999 999" | "99.999-999"
    );
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if !shaped || digits == "00000000" {
        return Err(FieldError::Cep);
    }
    Ok(digits)
}

/// `01310100` → `01310-100` (anything not eight digits is returned as is).
pub fn format(digits: &str) -> String {
    if digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &digits[..5], &digits[5..])
    } else {
        digits.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cep_rules() {
        for ok in ["01310-100", "01310100", " 01.310-100 ", "89010 025"] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(parse("01310-100").unwrap(), "01310100");
        assert_eq!(format("01310100"), "01310-100");
        for bad in [
            "0131-0100",
            "1310100",
            "013101000",
            "01310-10A",
            "00000-000",
        ] {
            assert_eq!(parse(bad), Err(FieldError::Cep), "{bad}");
        }
        assert_eq!(parse(""), Err(FieldError::Required));
    }
}
