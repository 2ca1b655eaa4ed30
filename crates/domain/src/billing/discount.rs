//! Discounts on a contract and the promo codes that create them.

use jiff::civil::Date;

use super::invoice::{Line, LineError, LineInput};
use super::rate::Rate;
use super::tax::TaxAmount;
use crate::Money;

/// How much a discount takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Amount {
    /// A fixed amount per cycle.
    Fixed(Money),
    /// A share of the line it applies to.
    Percent(Rate),
}

impl Amount {
    /// What it takes off `line` (never more than the line, never negative).
    pub fn off(self, line: Money) -> Money {
        if line.0 <= 0 {
            return Money::ZERO;
        }
        match self {
            Amount::Fixed(m) => Money(m.0.clamp(0, line.0)),
            Amount::Percent(r) => r.of(line).min(line),
        }
    }
}

/// How long a discount lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Duration {
    /// For this many billed cycles (`None`: no limit by count).
    pub cycles: Option<u32>,
    /// For periods starting before this date (`None`: no end date).
    pub until: Option<Date>,
}

impl Duration {
    /// Whether a period starting on `start`, after `used` cycles already
    /// discounted, still gets the discount.
    pub fn applies(self, start: Date, used: u32) -> bool {
        self.cycles.is_none_or(|n| used < n) && self.until.is_none_or(|u| start < u)
    }
}

/// Why a discount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DiscountError {
    #[error("must be more than zero")]
    NotPositive,
    #[error("is larger than the price it applies to")]
    LargerThanLine,
    #[error("must last at least one cycle")]
    ZeroCycles,
}

/// Checks a discount against the price it will apply to.
pub fn check(amount: Amount, price: Money, duration: Duration) -> Result<(), DiscountError> {
    match amount {
        Amount::Fixed(m) if m.0 <= 0 => return Err(DiscountError::NotPositive),
        Amount::Fixed(m) if m.0 > price.0 => return Err(DiscountError::LargerThanLine),
        Amount::Percent(r) if r.0 == 0 => return Err(DiscountError::NotPositive),
        _ => {}
    }
    if duration.cycles == Some(0) {
        return Err(DiscountError::ZeroCycles);
    }
    Ok(())
}

/// The line a discount adds to a document, under the line it discounts.
///
/// *Why a line of differences*: the issue wants the discount visible as its
/// own line, and its taxes right. Taxing the discount line on its own
/// (a negative amount) would round twice — once for the full line, once
/// for the discount — and could differ by a minor unit from the tax of the
/// discounted price. So the discount line holds the difference between
/// `base` computed with `already` taken off and with `already + off` taken
/// off: the discounted line and its discount lines together carry exactly
/// the taxes of the discounted base, rounded once, and the discounted line
/// still shows its full price.
pub fn line(
    base: &LineInput,
    already: Money,
    off: Money,
    description: String,
) -> Result<Line, LineError> {
    let with = |discount: Money| {
        Line::compute(LineInput {
            discount,
            ..base.clone()
        })
    };
    let before = with(already)?;
    let after = with(Money(
        already.0.checked_add(off.0).ok_or(LineError::Overflow)?,
    ))?;
    let diff = |a: Money, b: Money| Money(a.0 - b.0);
    let taxes = after
        .taxes
        .iter()
        .map(|t| TaxAmount {
            tax_id: t.tax_id,
            amount: diff(
                t.amount,
                before
                    .taxes
                    .iter()
                    .find(|b| b.tax_id == t.tax_id)
                    .map_or(Money::ZERO, |b| b.amount),
            ),
        })
        .collect();
    let amount = diff(after.amount, before.amount);
    Ok(Line {
        description,
        period: base.period,
        quantity: 1,
        unit_price: amount,
        discount: Money::ZERO,
        amount,
        net: diff(after.net, before.net),
        taxes,
        total: diff(after.total, before.total),
    })
}

/// A promo code's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoCode {
    pub code: String,
    /// Staff deactivate a code instead of deleting it (redemptions name it).
    pub active: bool,
    pub amount: Amount,
    /// First and last day it may be redeemed (inclusive).
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    pub max_uses: Option<u32>,
    pub max_uses_per_customer: Option<u32>,
    /// Plans it is valid for; empty means every plan.
    pub plan_ids: Vec<i64>,
    /// How many cycles the discount it creates lasts.
    pub cycles: Option<u32>,
}

/// Why a promo code cannot be redeemed, each its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PromoRefusal {
    #[error("does not exist")]
    Unknown,
    #[error("is no longer active")]
    Inactive,
    #[error("is not valid yet")]
    NotYetValid,
    #[error("has expired")]
    Expired,
    #[error("has been used as many times as allowed")]
    UsedUp,
    #[error("has already been used by this customer as many times as allowed")]
    UsedUpByCustomer,
    #[error("is not valid for this plan")]
    NotForPlan,
}

impl PromoRefusal {
    pub const ALL: [PromoRefusal; 7] = [
        PromoRefusal::Unknown,
        PromoRefusal::Inactive,
        PromoRefusal::NotYetValid,
        PromoRefusal::Expired,
        PromoRefusal::UsedUp,
        PromoRefusal::UsedUpByCustomer,
        PromoRefusal::NotForPlan,
    ];

    /// Stable code for messages and API documents.
    pub fn code(self) -> &'static str {
        match self {
            PromoRefusal::Unknown => "promo-unknown",
            PromoRefusal::Inactive => "promo-inactive",
            PromoRefusal::NotYetValid => "promo-not-yet-valid",
            PromoRefusal::Expired => "promo-expired",
            PromoRefusal::UsedUp => "promo-used-up",
            PromoRefusal::UsedUpByCustomer => "promo-used-up-by-customer",
            PromoRefusal::NotForPlan => "promo-not-for-plan",
        }
    }
}

/// The facts a redemption is judged by.
#[derive(Debug, Clone, Copy)]
pub struct Redemption {
    pub today: Date,
    pub plan_id: i64,
    /// Times the code was redeemed, by anyone and by this customer.
    pub uses: u32,
    pub customer_uses: u32,
}

impl PromoCode {
    /// Whether the code may be redeemed now, and if not, why.
    pub fn check(&self, r: &Redemption) -> Result<(), PromoRefusal> {
        if !self.active {
            return Err(PromoRefusal::Inactive);
        }
        if self.valid_from.is_some_and(|d| r.today < d) {
            return Err(PromoRefusal::NotYetValid);
        }
        if self.valid_until.is_some_and(|d| r.today > d) {
            return Err(PromoRefusal::Expired);
        }
        if self.max_uses.is_some_and(|n| r.uses >= n) {
            return Err(PromoRefusal::UsedUp);
        }
        if self
            .max_uses_per_customer
            .is_some_and(|n| r.customer_uses >= n)
        {
            return Err(PromoRefusal::UsedUpByCustomer);
        }
        if !self.plan_ids.is_empty() && !self.plan_ids.contains(&r.plan_id) {
            return Err(PromoRefusal::NotForPlan);
        }
        Ok(())
    }

    /// Codes are matched without regard to case or surrounding spaces.
    pub fn normalize(code: &str) -> String {
        code.trim().to_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn amounts_never_exceed_the_line() {
        assert_eq!(Amount::Fixed(Money(2_000)).off(Money(9_990)), Money(2_000));
        assert_eq!(Amount::Fixed(Money(20_000)).off(Money(9_990)), Money(9_990));
        assert_eq!(Amount::Percent(Rate(100_000)).off(Money(9_990)), Money(999));
        assert_eq!(
            Amount::Percent(Rate(1_000_000)).off(Money(9_990)),
            Money(9_990)
        );
        assert_eq!(Amount::Fixed(Money(500)).off(Money(-100)), Money::ZERO);
    }

    #[test]
    fn discounts_are_checked_against_the_price() {
        let forever = Duration::default();
        assert_eq!(
            check(Amount::Fixed(Money(0)), Money(100), forever),
            Err(DiscountError::NotPositive)
        );
        assert_eq!(
            check(Amount::Fixed(Money(101)), Money(100), forever),
            Err(DiscountError::LargerThanLine)
        );
        assert_eq!(
            check(Amount::Percent(Rate(0)), Money(100), forever),
            Err(DiscountError::NotPositive)
        );
        let none = Duration {
            cycles: Some(0),
            until: None,
        };
        assert_eq!(
            check(Amount::Fixed(Money(50)), Money(100), none),
            Err(DiscountError::ZeroCycles)
        );
        assert_eq!(
            check(Amount::Fixed(Money(100)), Money(100), forever),
            Ok(())
        );
    }

    #[test]
    fn durations_count_cycles_and_dates() {
        let three = Duration {
            cycles: Some(3),
            until: None,
        };
        assert!(three.applies(date(2026, 1, 1), 2));
        assert!(!three.applies(date(2026, 1, 1), 3));
        let until = Duration {
            cycles: None,
            until: Some(date(2026, 6, 1)),
        };
        assert!(until.applies(date(2026, 5, 31), 100));
        assert!(!until.applies(date(2026, 6, 1), 0));
    }

    #[test]
    fn promo_codes_name_why_they_are_refused() {
        let code = PromoCode {
            code: "WELCOME".into(),
            active: true,
            amount: Amount::Percent(Rate(500_000)),
            valid_from: Some(date(2026, 1, 1)),
            valid_until: Some(date(2026, 1, 31)),
            max_uses: Some(100),
            max_uses_per_customer: Some(1),
            plan_ids: vec![7],
            cycles: Some(3),
        };
        let ok = Redemption {
            today: date(2026, 1, 15),
            plan_id: 7,
            uses: 0,
            customer_uses: 0,
        };
        assert_eq!(code.check(&ok), Ok(()));
        let cases = [
            (
                Redemption {
                    today: date(2025, 12, 31),
                    ..ok
                },
                PromoRefusal::NotYetValid,
            ),
            (
                Redemption {
                    today: date(2026, 2, 1),
                    ..ok
                },
                PromoRefusal::Expired,
            ),
            (Redemption { uses: 100, ..ok }, PromoRefusal::UsedUp),
            (
                Redemption {
                    customer_uses: 1,
                    ..ok
                },
                PromoRefusal::UsedUpByCustomer,
            ),
            (Redemption { plan_id: 8, ..ok }, PromoRefusal::NotForPlan),
        ];
        for (r, why) in cases {
            assert_eq!(code.check(&r), Err(why), "{why:?}");
        }
        // The first and last valid days are inclusive.
        assert_eq!(
            code.check(&Redemption {
                today: date(2026, 1, 31),
                ..ok
            }),
            Ok(())
        );
        assert_eq!(PromoCode::normalize("  welcome "), "WELCOME");
        let off = PromoCode {
            active: false,
            ..code
        };
        assert_eq!(off.check(&ok), Err(PromoRefusal::Inactive));
    }

    #[test]
    fn a_discount_line_carries_the_tax_of_the_discounted_base() {
        use crate::billing::tax::{TaxMode, TaxRate};
        let rates = vec![
            TaxRate {
                id: 1,
                name: "VAT".into(),
                rate: Rate(175_000),
                mode: TaxMode::OnTop,
            },
            TaxRate {
                id: 2,
                name: "Levy".into(),
                rate: Rate(6_500),
                mode: TaxMode::OnTop,
            },
        ];
        let base = LineInput {
            description: "Fibra".into(),
            period: None,
            quantity: 1,
            unit_price: Money(9_990),
            discount: Money::ZERO,
            taxes: rates.clone(),
        };
        let full = Line::compute(base.clone()).unwrap();
        let d1 = line(&base, Money::ZERO, Money(1_999), "a".into()).unwrap();
        let d2 = line(&base, Money(1_999), Money(999), "b".into()).unwrap();
        let discounted = Line::compute(LineInput {
            discount: Money(2_998),
            ..base
        })
        .unwrap();
        assert_eq!(d1.amount, Money(-1_999));
        assert_eq!(d2.amount, Money(-999));
        for id in [1, 2] {
            let of = |l: &Line| l.taxes.iter().find(|t| t.tax_id == id).unwrap().amount.0;
            assert_eq!(of(&full) + of(&d1) + of(&d2), of(&discounted), "tax {id}");
        }
        assert_eq!(full.total.0 + d1.total.0 + d2.total.0, discounted.total.0);
        assert_eq!(full.net.0 + d1.net.0 + d2.net.0, discounted.net.0);
    }
}
