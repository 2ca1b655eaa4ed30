//! Billing periods: which days a charge covers, and proration by days.

use jiff::civil::Date;
use jiff::{Span, ToSpan};

use super::rate::scale;
use crate::Money;
use crate::catalog::Cycle;

/// A span of days, `start` included and `end` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    /// `None` unless `start < end`.
    pub fn new(start: Date, end: Date) -> Option<Period> {
        (start < end).then_some(Period { start, end })
    }

    /// The number of days in the period.
    pub fn days(self) -> i64 {
        days_between(self.start, self.end)
    }

    /// The last day inside the period (for "1 Mar – 31 Mar" on a line).
    pub fn last_day(self) -> Date {
        self.end.yesterday().unwrap_or(self.end)
    }

    pub fn contains(self, d: Date) -> bool {
        self.start <= d && d < self.end
    }

    /// The days both periods share.
    pub fn overlap(self, o: Period) -> Option<Period> {
        Period::new(self.start.max(o.start), self.end.min(o.end))
    }
}

fn days_between(a: Date, b: Date) -> i64 {
    // Civil dates inside jiff's range always have a day difference.
    a.until(b)
        .map(|s: Span| i64::from(s.get_days()))
        .unwrap_or(0)
}

/// Why a billing day was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BillingDayError {
    /// 29–31 do not exist in every month; providers pick 1–28.
    #[error("must be between 1 and 28 (29, 30 and 31 do not exist in every month)")]
    OutOfRange,
}

/// The day of the month a contract's periods start on: 1–28.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BillingDay(u8);

impl BillingDay {
    pub fn new(day: i64) -> Result<BillingDay, BillingDayError> {
        match day {
            1..=28 => Ok(BillingDay(day as u8)),
            _ => Err(BillingDayError::OutOfRange),
        }
    }

    pub fn get(self) -> i8 {
        self.0 as i8
    }
}

/// When a contract's periods start: its billing day, its cycle, and the
/// first full period's start, which fixes the months quarterly and yearly
/// periods begin in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub day: BillingDay,
    pub cycle: Cycle,
    /// On the billing day.
    pub anchor: Date,
}

impl Schedule {
    /// The schedule of a contract active from `activated`: its first full
    /// period starts on the first billing day on or after that date.
    pub fn starting(day: BillingDay, cycle: Cycle, activated: Date) -> Schedule {
        let same_month = activated.with().day(day.get()).build().unwrap_or(activated);
        let anchor = if same_month >= activated {
            same_month
        } else {
            add_months(same_month, 1)
        };
        Schedule { day, cycle, anchor }
    }

    fn months(self) -> i64 {
        i64::from(self.cycle.months())
    }

    /// The `n`-th full period (0 is the one starting at the anchor;
    /// negative ones come before it).
    pub fn nth(self, n: i64) -> Period {
        let start = add_months(self.anchor, n * self.months());
        let end = add_months(self.anchor, (n + 1) * self.months());
        Period { start, end }
    }

    /// The full period containing `d`.
    pub fn containing(self, d: Date) -> Period {
        let months =
            month_index(d) - month_index(self.anchor) - i64::from(d.day() < self.day.get());
        let n = months.div_euclid(self.months());
        self.nth(n)
    }

    /// The days from `activated` up to the anchor, when the contract did
    /// not start on a billing day: the partial first period.
    pub fn partial_first(self, activated: Date) -> Option<Period> {
        Period::new(activated, self.anchor)
    }
}

fn month_index(d: Date) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month()) - 1
}

/// `d` moved by `months`; the billing day is at most 28, so the day of
/// the month never needs clamping (other days clamp to the month's end).
fn add_months(d: Date, months: i64) -> Date {
    d.checked_add(months.months()).unwrap_or(d)
}

/// How a partial period is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basis {
    /// By the actual days of the period (the default): 10 days of a
    /// 31-day month are 10/31 of the price.
    ActualDays,
    /// A day costs a thirtieth of a month's price whatever the month: 10
    /// days are 10/30 of it, and a whole period is never more than its
    /// price.
    ThirtyDayMonths,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::ActualDays => "actual_days",
            Basis::ThirtyDayMonths => "thirty_day_months",
        }
    }

    pub fn parse(s: &str) -> Option<Basis> {
        [Basis::ActualDays, Basis::ThirtyDayMonths]
            .into_iter()
            .find(|b| b.as_str() == s)
    }

    /// How many days a whole period counts for: its actual days, or 30 per
    /// month (periods start and end on the same day of the month, at most
    /// the 28th, so that is exact).
    pub fn period_days(self, p: Period) -> i64 {
        match self {
            Basis::ActualDays => p.days(),
            Basis::ThirtyDayMonths => days360(p.start, p.end),
        }
    }
}

/// Days between two dates counting every month as 30 days (30E/360).
fn days360(a: Date, b: Date) -> i64 {
    let d = |x: Date| i64::from(x.day().min(30));
    (i64::from(b.year()) - i64::from(a.year())) * 360
        + (i64::from(b.month()) - i64::from(a.month())) * 30
        + (d(b) - d(a))
}

/// The part of `price` (for the whole of `period`) owed for `covered`,
/// leaving out the days in `excluded` (for example days suspended for
/// non-payment, which Brazil's RGC says are not charged). Rounded half up.
/// Days of `covered` outside `period` count for nothing.
pub fn prorate(
    price: Money,
    period: Period,
    covered: Period,
    excluded: &[Period],
    basis: Basis,
) -> Money {
    let Some(covered) = period.overlap(covered) else {
        return Money::ZERO;
    };
    let whole = basis.period_days(period);
    if whole <= 0 {
        return Money::ZERO;
    }
    let mut days = covered.days();
    for p in merge(excluded) {
        if let Some(o) = covered.overlap(p) {
            days -= o.days();
        }
    }
    if days == period.days() {
        return price;
    }
    let days = days.clamp(0, whole);
    scale(price, i128::from(days), i128::from(whole))
}

/// Overlapping or touching periods joined, so no day is excluded twice.
fn merge(periods: &[Period]) -> Vec<Period> {
    let mut v = periods.to_vec();
    v.sort();
    let mut out: Vec<Period> = Vec::with_capacity(v.len());
    for p in v {
        match out.last_mut() {
            Some(last) if p.start <= last.end => last.end = last.end.max(p.end),
            _ => out.push(p),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn p(a: Date, b: Date) -> Period {
        Period::new(a, b).unwrap()
    }

    #[test]
    fn billing_days_are_1_to_28() {
        assert!(BillingDay::new(1).is_ok());
        assert!(BillingDay::new(28).is_ok());
        for d in [0, 29, 30, 31, -1] {
            assert_eq!(BillingDay::new(d), Err(BillingDayError::OutOfRange), "{d}");
        }
    }

    #[test]
    fn monthly_periods_follow_the_billing_day() {
        let s = Schedule::starting(
            BillingDay::new(10).unwrap(),
            Cycle::Monthly,
            date(2026, 1, 25),
        );
        assert_eq!(s.anchor, date(2026, 2, 10));
        assert_eq!(
            s.partial_first(date(2026, 1, 25)),
            Some(p(date(2026, 1, 25), date(2026, 2, 10)))
        );
        assert_eq!(
            s.containing(date(2026, 3, 9)),
            p(date(2026, 2, 10), date(2026, 3, 10))
        );
        assert_eq!(
            s.containing(date(2026, 3, 10)),
            p(date(2026, 3, 10), date(2026, 4, 10))
        );
        assert_eq!(
            s.containing(date(2026, 12, 31)),
            p(date(2026, 12, 10), date(2027, 1, 10))
        );
        // Activated on the billing day: no partial period.
        let s = Schedule::starting(
            BillingDay::new(5).unwrap(),
            Cycle::Monthly,
            date(2026, 3, 5),
        );
        assert_eq!(s.anchor, date(2026, 3, 5));
        assert_eq!(s.partial_first(date(2026, 3, 5)), None);
    }

    #[test]
    fn quarterly_and_yearly_periods_keep_the_anchor_months() {
        let s = Schedule::starting(
            BillingDay::new(1).unwrap(),
            Cycle::Quarterly,
            date(2026, 2, 1),
        );
        assert_eq!(
            s.containing(date(2026, 4, 30)),
            p(date(2026, 2, 1), date(2026, 5, 1))
        );
        assert_eq!(
            s.containing(date(2026, 5, 1)),
            p(date(2026, 5, 1), date(2026, 8, 1))
        );
        assert_eq!(
            s.containing(date(2026, 1, 31)),
            p(date(2025, 11, 1), date(2026, 2, 1))
        );
        let y = Schedule::starting(
            BillingDay::new(15).unwrap(),
            Cycle::Yearly,
            date(2026, 6, 20),
        );
        assert_eq!(y.anchor, date(2026, 7, 15));
        assert_eq!(
            y.containing(date(2027, 7, 14)),
            p(date(2026, 7, 15), date(2027, 7, 15))
        );
        assert_eq!(y.nth(2), p(date(2028, 7, 15), date(2029, 7, 15)));
    }

    #[test]
    fn consecutive_periods_tile_the_calendar() {
        for cycle in Cycle::ALL {
            let s = Schedule::starting(BillingDay::new(28).unwrap(), *cycle, date(2024, 1, 30));
            let mut day = s.anchor;
            for n in 0..30 {
                let per = s.nth(n);
                assert_eq!(per.start, day);
                assert_eq!(s.containing(per.start), per);
                assert_eq!(s.containing(per.last_day()), per);
                day = per.end;
            }
        }
    }

    #[test]
    fn proration_by_actual_days_and_by_30_day_months() {
        let march = p(date(2026, 3, 1), date(2026, 4, 1));
        let ten = p(date(2026, 3, 22), date(2026, 4, 1));
        // 99.90 × 10/31 = 32.2258… → 32.23.
        assert_eq!(
            prorate(Money(9_990), march, ten, &[], Basis::ActualDays),
            Money(3_223)
        );
        // 99.90 × 10/30 = 33.30.
        assert_eq!(
            prorate(Money(9_990), march, ten, &[], Basis::ThirtyDayMonths),
            Money(3_330)
        );
        assert_eq!(
            prorate(Money(9_990), march, march, &[], Basis::ActualDays),
            Money(9_990)
        );
        assert_eq!(
            prorate(Money(9_990), march, march, &[], Basis::ThirtyDayMonths),
            Money(9_990)
        );
        let feb = p(date(2026, 2, 1), date(2026, 3, 1));
        assert_eq!(Basis::ThirtyDayMonths.period_days(feb), 30);
        assert_eq!(Basis::ActualDays.period_days(feb), 28);
        // 29 of 31 days on a 30-day basis: capped below the whole price.
        let most = p(date(2026, 3, 1), date(2026, 3, 30));
        assert_eq!(
            prorate(Money(9_990), march, most, &[], Basis::ThirtyDayMonths),
            Money(9_657)
        );
        let quarter = p(date(2026, 3, 1), date(2026, 6, 1));
        assert_eq!(Basis::ThirtyDayMonths.period_days(quarter), 90);
    }

    #[test]
    fn suspended_days_are_not_charged() {
        let march = p(date(2026, 3, 1), date(2026, 4, 1));
        let suspended = [
            p(date(2026, 3, 10), date(2026, 3, 20)),
            p(date(2026, 3, 15), date(2026, 3, 25)), // overlaps: counted once
            p(date(2026, 2, 1), date(2026, 2, 10)),  // outside: nothing
        ];
        // 31 − 15 = 16 days of 31: 99.90 × 16/31 = 51.56.
        assert_eq!(
            prorate(Money(9_990), march, march, &suspended, Basis::ActualDays),
            Money(5_156)
        );
        let all = [p(date(2026, 2, 1), date(2026, 5, 1))];
        assert_eq!(
            prorate(Money(9_990), march, march, &all, Basis::ActualDays),
            Money::ZERO
        );
    }

    #[test]
    fn a_plan_change_credits_and_charges_complementary_days() {
        let period = p(date(2026, 3, 10), date(2026, 4, 10));
        let rest = p(date(2026, 3, 25), date(2026, 4, 10));
        let used = p(date(2026, 3, 10), date(2026, 3, 25));
        let old = Money(9_990);
        let credit = prorate(old, period, rest, &[], Basis::ActualDays);
        let kept = prorate(old, period, used, &[], Basis::ActualDays);
        // The two parts of a period add up to its price within a cent.
        assert!((credit.0 + kept.0 - old.0).abs() <= 1);
        assert_eq!(
            prorate(
                old,
                period,
                p(date(2026, 5, 1), date(2026, 6, 1)),
                &[],
                Basis::ActualDays
            ),
            Money::ZERO
        );
    }
}
