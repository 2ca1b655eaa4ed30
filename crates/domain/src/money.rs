//! Money as integer minor units (centavos, cents): never floats. One
//! currency per installation, so amounts carry no currency of their own.

use crate::validate::FieldError;

/// An amount in minor units of the installation's currency.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn minor(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, o: Money) -> Option<Money> {
        self.0.checked_add(o.0).map(Money)
    }

    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// Parses what people type: `99.90`, `99,90`, `1.299,90`, `1,299.90`,
    /// `1299`, `-5`. The last `.` or `,` is the decimal separator when at
    /// most `decimals` digits follow it; every other one groups thousands.
    pub fn parse(s: &str, decimals: u32) -> Result<Money, FieldError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, s),
        };
        if body.is_empty()
            || !body
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        {
            return Err(FieldError::Amount);
        }
        let (int_part, frac) = match body.rfind(['.', ',']) {
            Some(i) if body.len() - i - 1 <= decimals as usize && decimals > 0 => {
                let sep = body.as_bytes()[i];
                // The decimal separator appears once.
                if body[..i].bytes().any(|b| b == sep) {
                    return Err(FieldError::Amount);
                }
                (&body[..i], &body[i + 1..])
            }
            _ => (body, ""),
        };
        // Grouping: one kind of separator, groups of three after the first.
        let groups: Vec<&str> = int_part.split(['.', ',']).collect();
        if groups.len() > 1 {
            let seps: Vec<char> = int_part.chars().filter(|c| !c.is_ascii_digit()).collect();
            let one_kind = seps.windows(2).all(|w| w[0] == w[1]);
            let shaped = !groups[0].is_empty()
                && groups[0].len() <= 3
                && groups[1..].iter().all(|g| g.len() == 3);
            if !one_kind || !shaped {
                return Err(FieldError::Amount);
            }
        }
        let digits: String = groups.concat();
        if digits.is_empty() {
            return Err(FieldError::Amount);
        }
        let mut frac_digits = frac.to_owned();
        while frac_digits.len() < decimals as usize {
            frac_digits.push('0');
        }
        let scale = 10i64.pow(decimals);
        let whole: i64 = digits.parse().map_err(|_| FieldError::Amount)?;
        let part: i64 = if frac_digits.is_empty() {
            0
        } else {
            frac_digits.parse().map_err(|_| FieldError::Amount)?
        };
        let v = whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(part))
            .ok_or(FieldError::Range)?;
        Ok(Money(if neg { -v } else { v }))
    }

    /// Plain decimal text with `.`: `1299.90` (API, CSV).
    pub fn to_decimal(self, decimals: u32) -> String {
        self.display(decimals, '.', None)
    }

    /// Text with the given separators: `display(2, ',', Some('.'))` →
    /// `1.299,90`.
    pub fn display(self, decimals: u32, decimal_sep: char, group_sep: Option<char>) -> String {
        let scale = 10u64.pow(decimals);
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / scale, abs % scale);
        let w = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in w.chars().enumerate() {
            if let Some(g) = group_sep
                && i > 0
                && (w.len() - i) % 3 == 0
            {
                grouped.push(g);
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        if decimals == 0 {
            format!("{sign}{grouped}")
        } else {
            format!(
                "{sign}{grouped}{decimal_sep}{frac:0width$}",
                width = decimals as usize
            )
        }
    }
}

/// Digits after the decimal point in `currency`'s minor unit (ISO 4217
/// "minor unit"): what every amount of the installation is scaled by, in
/// forms, lists, CSV files, imports and documents. 2 unless the currency
/// says otherwise (yen and won have none; the Gulf dinars, three).
///
/// ```
/// assert_eq!(domain::money::minor_units("BRL"), 2);
/// assert_eq!(domain::money::minor_units("jpy"), 0);
/// assert_eq!(domain::money::minor_units("KWD"), 3);
/// ```
pub fn minor_units(currency: &str) -> u32 {
    // ISO 4217's list of currencies whose minor unit is not 2 (current
    // codes; funds and metals left out).
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    const FOUR: &[&str] = &["CLF", "UYW"];
    let code = currency.trim().to_ascii_uppercase();
    let code = code.as_str();
    if ZERO.contains(&code) {
        0
    } else if THREE.contains(&code) {
        3
    } else if FOUR.contains(&code) {
        4
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_conventions() {
        let cases = [
            ("99.90", 9990),
            ("99,90", 9990),
            ("99,9", 9990),
            ("1.299,90", 129_990),
            ("1,299.90", 129_990),
            ("1.299", 129_900),
            ("1299", 129_900),
            ("1.000.000,01", 100_000_001),
            ("0,05", 5),
            ("-5", -500),
            (" 12 ", 1200),
        ];
        for (s, want) in cases {
            assert_eq!(Money::parse(s, 2), Ok(Money(want)), "{s}");
        }
        for bad in [
            "",
            "abc",
            "1,2,3",
            "12.34.56,7",
            "1.29,90",
            ",50",
            "1.299.9,00",
            "9.99.99",
        ] {
            assert!(Money::parse(bad, 2).is_err(), "{bad}");
        }
        assert_eq!(Money::parse("1500", 0), Ok(Money(1500)));
        assert_eq!(
            Money::parse("99999999999999999999", 2),
            Err(FieldError::Amount)
        );
    }

    #[test]
    fn displays() {
        assert_eq!(Money(129_990).display(2, ',', Some('.')), "1.299,90");
        assert_eq!(Money(129_990).to_decimal(2), "1299.90");
        assert_eq!(Money(-5).to_decimal(2), "-0.05");
        assert_eq!(
            Money(100_000_000).display(2, '.', Some(',')),
            "1,000,000.00"
        );
        assert_eq!(Money(1500).display(0, '.', Some(',')), "1,500");
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        for (code, digits) in [
            ("BRL", 2),
            ("USD", 2),
            ("EUR", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("CLP", 0),
            ("BHD", 3),
            ("KWD", 3),
            ("CLF", 4),
            (" brl ", 2),
            ("", 2),
        ] {
            assert_eq!(minor_units(code), digits, "{code}");
        }
        // An amount typed in yen is whole units; in dinar, thousandths.
        assert_eq!(Money::parse("1.500", minor_units("JPY")), Ok(Money(1500)));
        assert_eq!(Money::parse("1,5", minor_units("KWD")), Ok(Money(1500)));
        assert_eq!(Money(1500).to_decimal(minor_units("KWD")), "1.500");
    }
}
