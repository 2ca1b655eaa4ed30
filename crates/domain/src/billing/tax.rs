//! Taxes on a line: added on top, included VAT-style, or included as a
//! share of the price (Brazil's ICMS, PIS, COFINS, FUST and FUNTTEL).

use super::rate::{Rate, WHOLE, scale};
use crate::Money;

/// How a tax relates to the price on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxMode {
    /// The price is net; the tax is `net × rate` and is added to it
    /// (VAT or sales tax quoted on top).
    OnTop,
    /// The price includes the tax VAT-style: `tax = price − price / (1 + rate)`.
    IncludedVat,
    /// The price includes the tax as a share of itself: `tax = price × rate`
    /// ("por dentro": ICMS, PIS, COFINS, FUST, FUNTTEL on SCM services).
    IncludedShare,
}

impl TaxMode {
    pub const ALL: [TaxMode; 3] = [TaxMode::OnTop, TaxMode::IncludedVat, TaxMode::IncludedShare];

    pub fn as_str(self) -> &'static str {
        match self {
            TaxMode::OnTop => "on_top",
            TaxMode::IncludedVat => "included_vat",
            TaxMode::IncludedShare => "included_share",
        }
    }

    pub fn parse(s: &str) -> Option<TaxMode> {
        TaxMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A tax rate as the provider defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRate {
    pub id: i64,
    pub name: String,
    pub rate: Rate,
    pub mode: TaxMode,
}

/// One tax's amount on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxAmount {
    /// The [`TaxRate::id`].
    pub tax_id: i64,
    pub amount: Money,
}

/// A line's amount split into net, taxes and what the customer pays.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Taxed {
    /// The amount without any tax (for included-share taxes, the price
    /// minus those taxes).
    pub net: Money,
    pub taxes: Vec<TaxAmount>,
    /// What the customer pays for the line: the price plus on-top taxes.
    pub gross: Money,
}

/// Applies `taxes` to a line whose price (after discounts) is `price`.
///
/// Included-share taxes are each `price × rate`. Included VAT taxes share
/// one net: `net = price / (1 + Σ rates)`, each tax `net × rate`, and the
/// rounding remainder goes to the last so the parts add up to the price.
/// On-top taxes are each `base × rate` on the net of the included ones and
/// are added to the gross. Every tax rounds half up on its own.
pub fn apply(price: Money, taxes: &[TaxRate]) -> Taxed {
    let mut out = Taxed {
        net: price,
        taxes: Vec::with_capacity(taxes.len()),
        gross: price,
    };
    let vat_total: u32 = taxes
        .iter()
        .filter(|t| t.mode == TaxMode::IncludedVat)
        .map(|t| t.rate.0)
        .sum();
    let vat_net = scale(
        price,
        i128::from(WHOLE),
        i128::from(WHOLE) + i128::from(vat_total),
    );
    let mut vat_left = Money(price.0 - vat_net.0);
    let last_vat = taxes.iter().rposition(|t| t.mode == TaxMode::IncludedVat);
    let mut share_sum = 0i64;
    for (i, t) in taxes.iter().enumerate() {
        let amount = match t.mode {
            TaxMode::IncludedShare => t.rate.of(price),
            TaxMode::IncludedVat if Some(i) == last_vat => vat_left,
            TaxMode::IncludedVat => t.rate.of(vat_net),
            TaxMode::OnTop => continue,
        };
        if t.mode == TaxMode::IncludedVat {
            vat_left = Money(vat_left.0 - amount.0);
        } else {
            share_sum += amount.0;
        }
        out.taxes.push(TaxAmount {
            tax_id: t.id,
            amount,
        });
    }
    out.net = Money(vat_net.0 - share_sum);
    let base = vat_net;
    for t in taxes.iter().filter(|t| t.mode == TaxMode::OnTop) {
        let amount = t.rate.of(base);
        out.gross = Money(out.gross.0.saturating_add(amount.0));
        out.taxes.push(TaxAmount {
            tax_id: t.id,
            amount,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tax(id: i64, percent: &str, mode: TaxMode) -> TaxRate {
        TaxRate {
            id,
            name: format!("t{id}"),
            rate: Rate::parse_percent(percent).unwrap(),
            mode,
        }
    }

    fn amounts(t: &Taxed) -> Vec<i64> {
        t.taxes.iter().map(|a| a.amount.0).collect()
    }

    #[test]
    fn on_top_adds_to_the_price() {
        let t = apply(Money(10_000), &[tax(1, "20", TaxMode::OnTop)]);
        assert_eq!(
            (t.net, t.gross, amounts(&t)),
            (Money(10_000), Money(12_000), vec![2_000])
        );
    }

    #[test]
    fn included_vat_is_price_minus_price_over_one_plus_rate() {
        // 120.00 with 20 % inside: net 100.00, tax 20.00.
        let t = apply(Money(12_000), &[tax(1, "20", TaxMode::IncludedVat)]);
        assert_eq!(
            (t.net, t.gross, amounts(&t)),
            (Money(10_000), Money(12_000), vec![2_000])
        );
        // 99.90 with 23 %: net 81.22 (81.219…), tax 18.68.
        let t = apply(Money(9_990), &[tax(1, "23", TaxMode::IncludedVat)]);
        assert_eq!((t.net, amounts(&t)), (Money(8_122), vec![1_868]));
    }

    #[test]
    fn brazilian_scm_taxes_are_shares_of_the_price() {
        // A 99.90 plan: ICMS 18 %, PIS 0.65 %, COFINS 3 %, FUST 1 %, FUNTTEL 0.5 %.
        let taxes = [
            tax(1, "18", TaxMode::IncludedShare),
            tax(2, "0.65", TaxMode::IncludedShare),
            tax(3, "3", TaxMode::IncludedShare),
            tax(4, "1", TaxMode::IncludedShare),
            tax(5, "0.5", TaxMode::IncludedShare),
        ];
        let t = apply(Money(9_990), &taxes);
        // 17.982 → 17.98; 0.649 → 0.65; 2.997 → 3.00; 0.999 → 1.00; 0.4995 → 0.50.
        assert_eq!(amounts(&t), vec![1_798, 65, 300, 100, 50]);
        assert_eq!(t.gross, Money(9_990));
        assert_eq!(t.net, Money(9_990 - 2_313));
    }

    #[test]
    fn included_vat_parts_add_up_to_the_price() {
        let taxes = [
            tax(1, "10", TaxMode::IncludedVat),
            tax(2, "7", TaxMode::IncludedVat),
        ];
        for price in [1, 99, 9_990, 12_345, 1_000_001] {
            let t = apply(Money(price), &taxes);
            let sum: i64 = amounts(&t).iter().sum();
            assert_eq!(t.net.0 + sum, price, "{price}");
            assert_eq!(t.gross, Money(price));
        }
    }

    #[test]
    fn on_top_applies_to_the_net_of_included_vat_and_credits_mirror() {
        let taxes = [
            tax(1, "10", TaxMode::IncludedVat),
            tax(2, "5", TaxMode::OnTop),
        ];
        let t = apply(Money(11_000), &taxes);
        assert_eq!(
            (t.net, amounts(&t), t.gross),
            (Money(10_000), vec![1_000, 500], Money(11_500))
        );
        let c = apply(Money(-11_000), &taxes);
        assert_eq!(
            (c.net, amounts(&c), c.gross),
            (Money(-10_000), vec![-1_000, -500], Money(-11_500))
        );
    }

    #[test]
    fn no_taxes_leave_the_price() {
        let t = apply(Money(5_000), &[]);
        assert_eq!(
            (t.net, t.gross, t.taxes.len()),
            (Money(5_000), Money(5_000), 0)
        );
    }

    #[test]
    fn modes_round_trip() {
        for m in TaxMode::ALL {
            assert_eq!(TaxMode::parse(m.as_str()), Some(m));
        }
    }
}
