//! Percentages as exact integers, and the one rounding rule billing uses.

use crate::Money;

/// A percentage held as parts per million (18 % = 180 000; 0.65 % = 6 500),
/// so the rates tax authorities publish (up to four decimals of a percent)
/// are exact and sums of rates never drift.
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
pub struct Rate(pub u32);

/// Parts per million in 100 %.
pub const WHOLE: u32 = 1_000_000;

/// Why a typed percentage was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("must be a percentage such as 18 or 0.65")]
    Format,
    #[error("must have at most four decimals")]
    Precision,
    #[error("must be at most 100 %")]
    OverHundred,
}

impl Rate {
    pub const ZERO: Rate = Rate(0);
    pub const HUNDRED: Rate = Rate(WHOLE);

    /// Parses a percentage as people type it: `18`, `0.65`, `3,65`, `5 %`.
    /// Negative rates, more than four decimals and rates over 100 % are
    /// refused.
    pub fn parse_percent(s: &str) -> Result<Rate, RateError> {
        let s = s.trim().trim_end_matches('%').trim();
        let (int, frac) = match s.split_once(['.', ',']) {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || int.len() > 3 {
            return Err(RateError::Format);
        }
        if frac.len() > 4 {
            return Err(RateError::Precision);
        }
        let int: u32 = int.parse().map_err(|_| RateError::Format)?;
        let mut frac_ppm: u32 = 0;
        for (i, c) in frac.chars().enumerate() {
            // Four decimals of a percent are 100, 10, 1 ppm… scaled below.
            frac_ppm += (c as u32 - '0' as u32) * 10u32.pow(3 - i as u32);
        }
        let ppm = int * 10_000 + frac_ppm;
        if ppm > WHOLE {
            return Err(RateError::OverHundred);
        }
        Ok(Rate(ppm))
    }

    /// The percentage without trailing zeros: `18`, `0.65`, `3.6525`.
    pub fn percent_text(self) -> String {
        let int = self.0 / 10_000;
        let frac = self.0 % 10_000;
        if frac == 0 {
            return int.to_string();
        }
        let f = format!("{frac:04}");
        format!("{int}.{}", f.trim_end_matches('0'))
    }

    /// `amount × self`, rounded half up (away from zero) to the minor unit.
    pub fn of(self, amount: Money) -> Money {
        scale(amount, i128::from(self.0), i128::from(WHOLE))
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} %", self.percent_text())
    }
}

/// `amount × num / den`, rounded half up — halves away from zero, so a
/// credit is the exact mirror of the charge — to the minor unit. The
/// result saturates at the bounds of `i64` instead of wrapping.
pub fn scale(amount: Money, num: i128, den: i128) -> Money {
    debug_assert!(den > 0, "scale by a positive denominator");
    let p = i128::from(amount.0) * num;
    let half = den / 2;
    let q = if p >= 0 {
        (p + half) / den
    } else {
        -((-p + half) / den)
    };
    Money(q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_parse_exactly() {
        for (text, ppm) in [
            ("18", 180_000),
            ("0.65", 6_500),
            ("3,65", 36_500),
            ("1 %", 10_000),
            ("0.5%", 5_000),
            ("100", 1_000_000),
            ("0", 0),
            ("3.6525", 36_525),
            ("0.0001", 1),
        ] {
            assert_eq!(Rate::parse_percent(text), Ok(Rate(ppm)), "{text}");
        }
        for (text, err) in [
            ("", RateError::Format),
            ("-1", RateError::Format),
            ("abc", RateError::Format),
            ("1.2.3", RateError::Format),
            ("0.00001", RateError::Precision),
            ("100.01", RateError::OverHundred),
            ("250", RateError::OverHundred),
            ("1000", RateError::Format),
        ] {
            assert_eq!(Rate::parse_percent(text), Err(err), "{text}");
        }
    }

    #[test]
    fn percent_text_round_trips() {
        for ppm in [0, 1, 5_000, 6_500, 36_525, 180_000, 1_000_000] {
            let r = Rate(ppm);
            assert_eq!(Rate::parse_percent(&r.percent_text()), Ok(r));
        }
        assert_eq!(Rate(6_500).to_string(), "0.65 %");
    }

    #[test]
    fn rounding_is_half_up_and_symmetric() {
        // 18 % of 0.25 = 0.045 → 0.05; of 0.02 = 0.0036 → 0.00.
        assert_eq!(Rate(180_000).of(Money(25)), Money(5));
        assert_eq!(Rate(180_000).of(Money(2)), Money(0));
        // Exactly half a cent rounds up, and the credit mirrors it.
        assert_eq!(scale(Money(1), 1, 2), Money(1));
        assert_eq!(scale(Money(-1), 1, 2), Money(-1));
        assert_eq!(scale(Money(3), 1, 2), Money(2));
        assert_eq!(scale(Money(-3), 1, 2), Money(-2));
        assert_eq!(scale(Money(i64::MAX), 2, 1), Money(i64::MAX));
    }
}
