//! Invoice and credit-note documents: their lines, totals, status and
//! numbers.

use std::collections::BTreeMap;

use super::period::Period;
use super::tax::{self, TaxAmount, TaxRate};
use crate::Money;

/// What a line charges, before it is computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    pub description: String,
    /// The days the line pays for, when it is for a period of service.
    pub period: Option<Period>,
    pub quantity: i64,
    pub unit_price: Money,
    /// Taken off `quantity × unit_price` (never more than it).
    pub discount: Money,
    pub taxes: Vec<TaxRate>,
}

/// A computed line: every figure the document shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub period: Option<Period>,
    pub quantity: i64,
    pub unit_price: Money,
    pub discount: Money,
    /// `quantity × unit_price − discount`.
    pub amount: Money,
    pub net: Money,
    pub taxes: Vec<TaxAmount>,
    /// What the customer pays for the line.
    pub total: Money,
}

/// Why a line could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("quantity must be at least 1")]
    Quantity,
    #[error("the discount is larger than the line")]
    DiscountTooLarge,
    #[error("the discount must not be negative")]
    NegativeDiscount,
    #[error("the amount is too large")]
    Overflow,
}

impl Line {
    /// Computes a line: amount, taxes and total, each rounded half up to
    /// the minor unit (see [`tax::apply`]). Credit notes use negative unit
    /// prices.
    pub fn compute(input: LineInput) -> Result<Line, LineError> {
        if input.quantity < 1 {
            return Err(LineError::Quantity);
        }
        if input.discount.0 < 0 {
            return Err(LineError::NegativeDiscount);
        }
        let gross = input
            .unit_price
            .checked_mul(input.quantity)
            .ok_or(LineError::Overflow)?;
        if input.discount.0 > gross.0.abs() {
            return Err(LineError::DiscountTooLarge);
        }
        // A discount reduces what is owed, whichever way the line points.
        let amount = Money(gross.0 - input.discount.0 * gross.0.signum());
        let taxed = tax::apply(amount, &input.taxes);
        Ok(Line {
            description: input.description,
            period: input.period,
            quantity: input.quantity,
            unit_price: input.unit_price,
            discount: input.discount,
            amount,
            net: taxed.net,
            taxes: taxed.taxes,
            total: taxed.gross,
        })
    }
}

/// A document's totals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    pub net: Money,
    pub discount: Money,
    /// Tax per tax rate id, for the breakdown and reports.
    pub taxes: BTreeMap<i64, Money>,
    pub total: Money,
}

impl Totals {
    pub fn of(lines: &[Line]) -> Totals {
        let mut t = Totals::default();
        for l in lines {
            t.net = Money(t.net.0.saturating_add(l.net.0));
            t.discount = Money(t.discount.0.saturating_add(l.discount.0));
            t.total = Money(t.total.0.saturating_add(l.total.0));
            for x in &l.taxes {
                let e = t.taxes.entry(x.tax_id).or_insert(Money::ZERO);
                *e = Money(e.0.saturating_add(x.amount.0));
            }
        }
        t
    }
}

/// Where a document is in its life. Paid, partly paid and overdue are not
/// statuses: they follow from payments and the due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Being prepared; not numbered; may change or be deleted.
    Draft,
    /// Numbered and sent; never changes again (corrections are credit
    /// notes and new invoices).
    Issued,
    /// Cancelled after issue, by a credit note for its whole amount.
    Voided,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Draft, Status::Issued, Status::Voided];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Issued => "issued",
            Status::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The moves a document may make.
    pub fn can_become(self, to: Status) -> bool {
        matches!(
            (self, to),
            (Status::Draft, Status::Issued) | (Status::Issued, Status::Voided)
        )
    }

    /// Whether its lines and amounts may still change.
    pub fn is_editable(self) -> bool {
        self == Status::Draft
    }
}

/// A numbering series: `{year}` in the prefix is the document's year, and
/// the sequence is zero-padded to `digits` (`2026-000123`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub prefix: String,
    pub digits: u8,
}

/// Why a series was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SeriesError {
    #[error("the prefix must be at most 16 characters of letters, digits, '-', '/' or '{{year}}'")]
    Prefix,
    #[error("the number must have 1 to 12 digits")]
    Digits,
}

impl Series {
    pub fn new(prefix: &str, digits: u8) -> Result<Series, SeriesError> {
        let plain = prefix.replace("{year}", "");
        if plain.chars().count() > 16
            || !plain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.'))
        {
            return Err(SeriesError::Prefix);
        }
        if !(1..=12).contains(&digits) {
            return Err(SeriesError::Digits);
        }
        Ok(Series {
            prefix: prefix.to_owned(),
            digits,
        })
    }

    /// The number of the `seq`-th document of `year`.
    pub fn number(&self, year: i16, seq: i64) -> String {
        let prefix = self.prefix.replace("{year}", &year.to_string());
        format!("{prefix}{seq:0width$}", width = usize::from(self.digits))
    }

    /// Whether the sequence restarts each year (the prefix names it).
    pub fn yearly(&self) -> bool {
        self.prefix.contains("{year}")
    }
}

/// `total` split into `n` installments that add up to it exactly: equal
/// parts, the remainder spread one minor unit at a time over the first
/// ones ("Installation fee (3/12)").
pub fn installments(total: Money, n: u32) -> Vec<Money> {
    let n = i64::from(n.max(1));
    let base = total.0 / n;
    let rem = total.0 % n;
    (0..n)
        .map(|i| Money(base + i64::from(i < rem.abs()) * rem.signum()))
        .collect()
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::billing::rate::Rate;
    use crate::billing::tax::TaxMode;

    fn icms() -> TaxRate {
        TaxRate {
            id: 1,
            name: "ICMS".into(),
            rate: Rate(180_000),
            mode: TaxMode::IncludedShare,
        }
    }

    fn vat() -> TaxRate {
        TaxRate {
            id: 2,
            name: "VAT".into(),
            rate: Rate(200_000),
            mode: TaxMode::OnTop,
        }
    }

    fn line(qty: i64, unit: i64, discount: i64, taxes: Vec<TaxRate>) -> Result<Line, LineError> {
        Line::compute(LineInput {
            description: "Plan".into(),
            period: Period::new(date(2026, 3, 1), date(2026, 4, 1)),
            quantity: qty,
            unit_price: Money(unit),
            discount: Money(discount),
            taxes,
        })
    }

    #[test]
    fn lines_apply_discount_then_taxes() {
        let l = line(1, 9_990, 1_000, vec![icms()]).unwrap();
        assert_eq!(
            (l.amount, l.total, l.taxes[0].amount),
            (Money(8_990), Money(8_990), Money(1_618))
        );
        let l = line(2, 5_000, 0, vec![vat()]).unwrap();
        assert_eq!(
            (l.amount, l.net, l.total),
            (Money(10_000), Money(10_000), Money(12_000))
        );
    }

    #[test]
    fn bad_lines_are_refused() {
        assert_eq!(line(0, 100, 0, vec![]), Err(LineError::Quantity));
        assert_eq!(line(1, 100, 101, vec![]), Err(LineError::DiscountTooLarge));
        assert_eq!(line(1, 100, -1, vec![]), Err(LineError::NegativeDiscount));
        assert_eq!(line(2, i64::MAX, 0, vec![]), Err(LineError::Overflow));
    }

    #[test]
    fn a_credit_line_mirrors_the_charge() {
        let charge = line(1, 9_990, 1_000, vec![icms(), vat()]).unwrap();
        let credit = line(1, -9_990, 1_000, vec![icms(), vat()]).unwrap();
        assert_eq!(credit.total, Money(-charge.total.0));
        assert_eq!(credit.amount, Money(-charge.amount.0));
    }

    #[test]
    fn totals_break_taxes_down_per_rate() {
        let lines = [
            line(1, 9_990, 0, vec![icms()]).unwrap(),
            line(1, 1_000, 0, vec![icms(), vat()]).unwrap(),
        ];
        let t = Totals::of(&lines);
        assert_eq!(t.taxes[&1], Money(1_798 + 180));
        assert_eq!(t.taxes[&2], Money(200));
        assert_eq!(t.total, Money(9_990 + 1_200));
    }

    #[test]
    fn status_moves() {
        for from in Status::ALL {
            for to in Status::ALL {
                let ok = matches!(
                    (from, to),
                    (Status::Draft, Status::Issued) | (Status::Issued, Status::Voided)
                );
                assert_eq!(from.can_become(to), ok, "{from:?} → {to:?}");
            }
            assert_eq!(Status::parse(from.as_str()), Some(from));
        }
        assert!(Status::Draft.is_editable() && !Status::Issued.is_editable());
    }

    #[test]
    fn numbers_are_gap_free_sequences_with_the_year() {
        let s = Series::new("{year}-", 6).unwrap();
        assert_eq!(s.number(2026, 123), "2026-000123");
        assert!(s.yearly());
        let nc = Series::new("NC", 5).unwrap();
        assert_eq!(nc.number(2026, 7), "NC00007");
        assert!(!nc.yearly());
        assert_eq!(Series::new("bad prefix", 6), Err(SeriesError::Prefix));
        assert_eq!(Series::new("A", 0), Err(SeriesError::Digits));
    }

    #[test]
    fn installments_add_up_exactly() {
        assert_eq!(
            installments(Money(1_000), 3),
            vec![Money(334), Money(333), Money(333)]
        );
        for (total, n) in [(120_000, 12), (99_999, 12), (1, 5), (-1_000, 3), (0, 4)] {
            let parts = installments(Money(total), n);
            assert_eq!(parts.len(), n as usize);
            assert_eq!(parts.iter().map(|m| m.0).sum::<i64>(), total);
            let (min, max) = (parts.iter().min().unwrap().0, parts.iter().max().unwrap().0);
            assert!(max - min <= 1);
        }
        assert_eq!(installments(Money(500), 0), vec![Money(500)]);
    }
}
