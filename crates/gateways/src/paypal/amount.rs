//! PayPal's amounts: decimal text with as many decimals as the currency
//! has (`"19.90"` BRL, `"500"` JPY), converted strictly to and from our
//! integer minor units.

/// Currencies PayPal does not accept decimals for (PayPal's currency codes
/// reference: HUF, JPY and TWD "do not support decimals").
const NO_DECIMALS: [&str; 3] = ["HUF", "JPY", "TWD"];

/// The decimals PayPal uses for `currency` (0 or 2).
pub fn decimals(currency: &str) -> u32 {
    if NO_DECIMALS.contains(&currency.to_ascii_uppercase().as_str()) {
        0
    } else {
        2
    }
}

/// An amount that is not a valid PayPal value for its currency.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {value:?} is not an amount in {currency} ({reason})")]
pub struct AmountError {
    /// Where the value came from (`purchase_units[0].payments.captures[0].amount.value`).
    pub field: String,
    pub value: String,
    pub currency: String,
    pub reason: &'static str,
}

/// Parses PayPal's `value` into minor units of `currency`: digits, then
/// optionally `.` and at most the currency's decimals; no sign, no spaces,
/// no exponent, no thousands separators.
pub fn to_minor(value: &str, currency: &str, field: &str) -> Result<i64, AmountError> {
    let err = |reason| AmountError {
        field: field.to_owned(),
        value: value.to_owned(),
        currency: currency.to_owned(),
        reason,
    };
    let places = decimals(currency);
    let (whole, fraction) = match value.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (value, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("expected digits before the decimal point"));
    }
    let fraction = match fraction {
        None => "",
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(err("expected digits after the decimal point"));
        }
        Some(f) if f.len() > places as usize => {
            return Err(err("more decimals than the currency has"));
        }
        Some(f) => f,
    };
    let scale = 10_i64.pow(places);
    let whole: i64 = whole.parse().map_err(|_| err("too large"))?;
    let mut frac: i64 = 0;
    if !fraction.is_empty() {
        frac = fraction.parse().map_err(|_| err("too large"))?;
        frac *= 10_i64.pow(places - fraction.len() as u32);
    }
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(|| err("too large"))
}

/// Formats minor units as PayPal's `value` (`1990` BRL → `"19.90"`).
/// Negative amounts have no meaning in PayPal's requests; callers check.
pub fn to_decimal(minor: i64, currency: &str) -> String {
    let places = decimals(currency);
    if places == 0 {
        return minor.to_string();
    }
    let scale = 10_i64.pow(places);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale as u64,
        abs % scale as u64,
        width = places as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_to_minor_units_by_currency() {
        assert_eq!(to_minor("19.90", "BRL", "f"), Ok(1990));
        assert_eq!(to_minor("19.9", "BRL", "f"), Ok(1990));
        assert_eq!(to_minor("19", "USD", "f"), Ok(1900));
        assert_eq!(to_minor("0.01", "EUR", "f"), Ok(1));
        assert_eq!(to_minor("500", "JPY", "f"), Ok(500));
    }

    #[test]
    fn bad_values_are_refused_naming_the_field() {
        for (value, currency) in [
            ("19.999", "BRL"),
            ("500.5", "JPY"),
            ("-1.00", "BRL"),
            ("1,00", "BRL"),
            ("1e3", "BRL"),
            ("", "BRL"),
            (".5", "BRL"),
            ("5.", "BRL"),
            (" 5", "BRL"),
            ("99999999999999999999", "BRL"),
        ] {
            let err = to_minor(value, currency, "amount.value").expect_err(value);
            assert!(err.to_string().starts_with("amount.value: "), "{err}");
        }
    }

    #[test]
    fn minor_units_format_with_the_currency_decimals() {
        assert_eq!(to_decimal(1990, "BRL"), "19.90");
        assert_eq!(to_decimal(5, "usd"), "0.05");
        assert_eq!(to_decimal(500, "JPY"), "500");
        for minor in [0, 1, 99, 100, 123_456] {
            assert_eq!(to_minor(&to_decimal(minor, "BRL"), "BRL", "x"), Ok(minor));
        }
    }
}
