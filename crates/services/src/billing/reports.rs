//! Billing reports for staff with `BillingView`: receivables aging,
//! monthly recurring revenue (MRR) and its movements, revenue by plan, city
//! and month, and tax totals per month.
//!
//! An invoice's open amount is its total minus what settles it (credit
//! notes until payments exist): `store::billing::reports::SETTLEMENTS`, the
//! one place that says so. Dates arrive as typed (`YYYY-MM-DD`, empty for
//! the default) and are refused naming the field.

use domain::Money;
use domain::Permission;
use domain::validate;
use jiff::ToSpan;
use jiff::civil::Date;
use store::billing::reports as q;

pub use store::billing::reports::{CustomerAging, OpenInvoice, RevenueBy, RevenueRow, TaxRow};

use crate::{Caller, Error, Result, Services};

/// The aging buckets, in order: not yet due, then days past due.
pub const BUCKETS: [&str; 5] = ["current", "1-30", "31-60", "61-90", "over-90"];

/// The bucket (index into [`BUCKETS`]) of an invoice due `due`, as of
/// `as_of`: due today or later is current; one day late is 1–30.
pub fn bucket_of(as_of: Date, due: Date) -> usize {
    let late = (as_of - due).get_days();
    match late {
        i32::MIN..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

/// Receivables as of a date, per bucket.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Aging {
    pub as_of: String,
    /// Amount and open invoices per bucket, in [`BUCKETS`] order.
    pub buckets: [(Money, i64); 5],
    pub total: Money,
    pub invoices: i64,
}

impl Aging {
    /// What is past due (every bucket but the current one).
    pub fn overdue(&self) -> Money {
        Money(self.buckets[1..].iter().map(|(m, _)| m.0).sum())
    }
}

fn day(field: &'static str, s: &str, default: Date) -> Result<Date> {
    if s.trim().is_empty() {
        return Ok(default);
    }
    validate::date(s).map_err(|e| Error::invalid(field, e))
}

fn minus_days(d: Date, n: i64) -> Date {
    d.checked_sub(n.days()).unwrap_or(d)
}

/// Receivables as of `as_of` (empty: today) per aging bucket.
pub async fn aging(svc: &Services, caller: &Caller, as_of: &str) -> Result<Aging> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    let as_of = day("as_of", as_of, crate::crm::today(&mut c).await?)?;
    let rows = q::open_by_due_date(&mut c, &as_of.to_string()).await?;
    let mut a = Aging {
        as_of: as_of.to_string(),
        buckets: [(Money::ZERO, 0); 5],
        total: Money::ZERO,
        invoices: 0,
    };
    for r in rows {
        let due: Date = r
            .due_date
            .parse()
            .map_err(|_| Error::Internal(format!("stored due date {:?}", r.due_date)))?;
        let b = &mut a.buckets[bucket_of(as_of, due)];
        b.0 = Money(b.0.0.saturating_add(r.amount));
        b.1 += r.invoices;
        a.total = Money(a.total.0.saturating_add(r.amount));
        a.invoices += r.invoices;
    }
    Ok(a)
}

fn cuts(as_of: Date) -> q::AgingCuts {
    q::AgingCuts {
        as_of: as_of.to_string(),
        current: as_of.to_string(),
        d30: minus_days(as_of, 30).to_string(),
        d60: minus_days(as_of, 60).to_string(),
        d90: minus_days(as_of, 90).to_string(),
    }
}

/// Customers owing something as of `as_of` (empty: today), most owed
/// first, one page (`offset`, at most `limit` up to 1,000) and whether
/// more follow.
pub async fn aging_by_customer(
    svc: &Services,
    caller: &Caller,
    as_of: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<CustomerAging>, bool)> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    let as_of = day("as_of", as_of, crate::crm::today(&mut c).await?)?;
    let limit = limit.clamp(1, 1000);
    let mut rows = q::aging_by_customer(&mut c, &cuts(as_of), offset.max(0), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// A customer's open invoices as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct CustomerOpen {
    pub customer_id: i64,
    pub customer_name: String,
    pub as_of: String,
    pub invoices: Vec<OpenInvoice>,
    pub total: Money,
}

/// `customer_id`'s invoices with something open as of `as_of` (empty:
/// today), oldest due first.
pub async fn open_invoices(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    as_of: &str,
) -> Result<CustomerOpen> {
    caller.require_for_customer(Permission::BillingView, customer_id)?;
    let mut c = svc.db.conn().await?;
    let as_of = day("as_of", as_of, crate::crm::today(&mut c).await?)?;
    let customer = store::crm::customers::get(&mut c, customer_id).await?;
    let invoices = q::open_invoices(&mut c, customer_id, &as_of.to_string()).await?;
    Ok(CustomerOpen {
        customer_id,
        customer_name: customer.name,
        as_of: as_of.to_string(),
        total: Money(invoices.iter().map(|i| i.open).sum()),
        invoices,
    })
}

/// `amount` charged every `cycle` as a monthly amount (quarterly / 3,
/// yearly / 12, rounded half up).
pub fn monthly(amount: i64, cycle: &str) -> i64 {
    let months = match cycle {
        "quarterly" => 3,
        "yearly" => 12,
        _ => 1,
    };
    domain::billing::rate::scale(Money(amount), 1, months).0
}

/// MRR of one plan's active contracts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MrrPlan {
    pub plan_id: i64,
    pub plan_name: String,
    pub contracts: i64,
    /// The plan's price part.
    pub plans: Money,
    /// The contracts' service items.
    pub items: Money,
    pub mrr: Money,
}

/// Monthly recurring revenue of the active contracts now.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Mrr {
    pub by_plan: Vec<MrrPlan>,
    pub contracts: i64,
    pub total: Money,
}

/// MRR now: every active contract's price and service items, normalised
/// to a month.
pub async fn mrr(svc: &Services, caller: &Caller) -> Result<Mrr> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    let plans = q::active_plan_prices(&mut c).await?;
    let items = q::active_item_prices(&mut c).await?;
    // A plan's cycle is one, but retired and renamed plans each keep
    // their own row: summed per plan id.
    let mut out = Mrr::default();
    for p in plans {
        let part = monthly(p.price, &p.cycle);
        let item: i64 = items
            .iter()
            .filter(|(id, _, _)| *id == p.plan_id)
            .map(|(_, cycle, sum)| monthly(*sum, cycle))
            .sum();
        out.contracts += p.contracts;
        out.total = Money(out.total.0 + part + item);
        out.by_plan.push(MrrPlan {
            plan_id: p.plan_id,
            plan_name: p.plan_name,
            contracts: p.contracts,
            plans: Money(part),
            items: Money(item),
            mrr: Money(part + item),
        });
    }
    Ok(out)
}

/// MRR movements in one month.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct MrrMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Contracts activated for the first time, and their MRR.
    pub new_contracts: i64,
    pub new: Money,
    /// Plan changes that raised MRR, and by how much.
    pub expansion: Money,
    /// Plan changes that lowered it (negative).
    pub contraction: Money,
    /// Contracts canceled, and the MRR they took (negative).
    pub churned_contracts: i64,
    pub churn: Money,
    pub net: Money,
}

/// MRR movements for `months` months (1–36) ending with the one holding
/// `to` (empty: this month): new contracts, expansion and contraction from
/// applied plan changes, churn from cancellations.
///
/// A new contract counts at what it cost when it started (before any plan
/// change); service items count at their current prices, since their
/// history is not kept.
pub async fn mrr_movements(
    svc: &Services,
    caller: &Caller,
    to: &str,
    months: i64,
) -> Result<Vec<MrrMonth>> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    let today = crate::crm::today(&mut c).await?;
    let last = day("to", to, today)?.first_of_month();
    let months = months.clamp(1, 36);
    let first = last
        .checked_sub((months - 1).months())
        .map_err(|_| Error::invalid("to", validate::FieldError::Date))?;
    let end = last
        .checked_add(1.month())
        .map_err(|_| Error::invalid("to", validate::FieldError::Date))?;
    let tz = zone(&mut c).await?;
    let instant = |d: Date| -> Result<i64> {
        Ok(d.to_zoned(tz.clone())
            .map_err(|e| Error::Internal(e.to_string()))?
            .timestamp()
            .as_second())
    };
    let moves = q::subscription_moves(&mut c, instant(first)?, instant(end)?).await?;
    let changes = q::plan_moves(&mut c, &first.to_string(), &end.to_string()).await?;
    let mut ids: Vec<i64> = moves.iter().map(|m| m.contract_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let recurring = q::recurring(&mut c, &ids).await?;
    let earlier = q::plan_moves_of(&mut c, &ids).await?;

    let mut out: Vec<MrrMonth> = (0..months)
        .filter_map(|i| first.checked_add(i.months()).ok())
        .map(|m| MrrMonth {
            month: m.strftime("%Y-%m").to_string(),
            ..MrrMonth::default()
        })
        .collect();
    let slot = |out: &mut Vec<MrrMonth>, month: String| -> Option<usize> {
        out.iter().position(|m| m.month == month)
    };
    for m in &moves {
        let Some(r) = recurring.iter().find(|r| r.contract_id == m.contract_id) else {
            continue;
        };
        let at = jiff::Timestamp::from_second(m.at)
            .map_err(|e| Error::Internal(e.to_string()))?
            .to_zoned(tz.clone())
            .date();
        let items = r.items_monthly
            + monthly(r.items_quarterly, "quarterly")
            + monthly(r.items_yearly, "yearly");
        let Some(i) = slot(&mut out, at.strftime("%Y-%m").to_string()) else {
            continue;
        };
        if m.to_status == "active" {
            // What it cost when it started: before its first plan change
            // that took effect on or after that day.
            let at_start = earlier
                .iter()
                .find(|p| p.contract_id == m.contract_id && p.effective_date >= at.to_string())
                .map_or_else(
                    || monthly(r.price, &r.cycle),
                    |p| monthly(p.from_price, &p.from_cycle),
                );
            out[i].new_contracts += 1;
            out[i].new = Money(out[i].new.0 + at_start + items);
        } else {
            out[i].churned_contracts += 1;
            out[i].churn = Money(out[i].churn.0 - monthly(r.price, &r.cycle) - items);
        }
    }
    for p in &changes {
        let Some(i) = slot(&mut out, p.effective_date.get(..7).unwrap_or("").to_owned()) else {
            continue;
        };
        let delta = monthly(p.to_price, &p.to_cycle) - monthly(p.from_price, &p.from_cycle);
        if delta > 0 {
            out[i].expansion = Money(out[i].expansion.0 + delta);
        } else {
            out[i].contraction = Money(out[i].contraction.0 + delta);
        }
    }
    for m in &mut out {
        m.net = Money(m.new.0 + m.expansion.0 + m.contraction.0 + m.churn.0);
    }
    Ok(out)
}

/// The installation's time zone.
async fn zone(c: &mut store::AnyConnection) -> Result<jiff::tz::TimeZone> {
    Ok(store::system::company::get(c)
        .await?
        .and_then(|co| jiff::tz::TimeZone::get(&co.timezone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC))
}

/// Which documents a revenue or tax report reads, as typed.
#[derive(Debug, Clone, Default)]
pub struct RevenueQuery {
    /// Issue dates, inclusive; empty `from`: the first day of the month
    /// eleven months before `to`; empty `to`: today.
    pub from: String,
    pub to: String,
    pub plan_id: Option<i64>,
    /// A city as people write it (matched folded, like the customer list's
    /// city filter).
    pub city: String,
}

/// A report's dates after defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Span {
    pub from: String,
    pub to: String,
}

async fn span(c: &mut store::AnyConnection, from: &str, to: &str) -> Result<(Date, Date)> {
    let today = crate::crm::today(c).await?;
    let to = day("to", to, today)?;
    let default_from = to.first_of_month().checked_sub(11.months()).unwrap_or(to);
    let from = day("from", from, default_from)?;
    if from > to {
        return Err(Error::invalid_msg("from", "must not be after the end date"));
    }
    Ok((from, to))
}

/// Revenue grouped by plan, city or month, with totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Revenue {
    pub span: Span,
    pub rows: Vec<RevenueRow>,
    pub total: RevenueRow,
}

/// Revenue (issued invoices minus credit notes, without and with tax)
/// between two issue dates, grouped `by`.
pub async fn revenue(
    svc: &Services,
    caller: &Caller,
    by: RevenueBy,
    query: &RevenueQuery,
) -> Result<Revenue> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    let (from, to) = span(&mut c, &query.from, &query.to).await?;
    let city = query.city.trim();
    let filter = q::RevenueFilter {
        from: from.to_string(),
        to: to.to_string(),
        plan_id: query.plan_id,
        city_key: (!city.is_empty()).then(|| domain::crm::search::fold(city)),
    };
    let rows = q::revenue(&mut c, by, &filter).await?;
    let mut total = RevenueRow::default();
    for r in &rows {
        total.invoices += r.invoices;
        total.credit_notes += r.credit_notes;
        total.net += r.net;
        total.tax += r.tax;
        total.total += r.total;
    }
    Ok(Revenue {
        span: Span {
            from: from.to_string(),
            to: to.to_string(),
        },
        rows,
        total,
    })
}

/// Tax totals per month and tax.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Taxes {
    pub span: Span,
    pub rows: Vec<TaxRow>,
    /// Per tax (name, rate) over the whole span.
    pub by_tax: Vec<TaxRow>,
    pub total: Money,
}

/// Each tax's base and amount per month of issue between two dates
/// (credit notes taking theirs back).
pub async fn taxes(svc: &Services, caller: &Caller, from: &str, to: &str) -> Result<Taxes> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    let (from, to) = span(&mut c, from, to).await?;
    let rows = q::tax_totals(&mut c, &from.to_string(), &to.to_string()).await?;
    let mut by_tax: Vec<TaxRow> = Vec::new();
    for r in &rows {
        match by_tax
            .iter_mut()
            .find(|t| t.name == r.name && t.rate_ppm == r.rate_ppm && t.mode == r.mode)
        {
            Some(t) => {
                t.base += r.base;
                t.amount += r.amount;
            }
            None => by_tax.push(TaxRow {
                month: String::new(),
                ..r.clone()
            }),
        }
    }
    by_tax.sort_by(|a, b| a.name.cmp(&b.name).then(a.rate_ppm.cmp(&b.rate_ppm)));
    let total = Money(rows.iter().map(|r| r.amount).sum());
    Ok(Taxes {
        span: Span {
            from: from.to_string(),
            to: to.to_string(),
        },
        rows,
        by_tax,
        total,
    })
}

/// Cities of customers' billing addresses, for the revenue filter.
pub async fn cities(svc: &Services, caller: &Caller) -> Result<Vec<String>> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    Ok(q::billing_cities(&mut c)
        .await?
        .into_iter()
        .map(|(name, _)| name)
        .collect())
}

/// The dashboard's billing figures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    /// Issued this month, with tax, net of credit notes.
    pub revenue_month: Money,
    pub overdue: Money,
    pub mrr: Money,
}

/// Revenue this month, what is overdue today, and MRR, as read at most a
/// minute ago on this node.
pub async fn figures(svc: &Services, caller: &Caller) -> Result<Figures> {
    caller.require(Permission::BillingView)?;
    let f = svc
        .caches
        .billing_figures
        .get_or_load(|| read_figures(svc, caller))
        .await?;
    Ok((*f).clone())
}

async fn read_figures(svc: &Services, caller: &Caller) -> Result<Figures> {
    let today = {
        let mut c = svc.db.conn().await?;
        crate::crm::today(&mut c).await?
    };
    let month = revenue(
        svc,
        caller,
        RevenueBy::Month,
        &RevenueQuery {
            from: today.first_of_month().to_string(),
            to: today.to_string(),
            ..RevenueQuery::default()
        },
    )
    .await?;
    let aging = aging(svc, caller, &today.to_string()).await?;
    let mrr = mrr(svc, caller).await?;
    Ok(Figures {
        revenue_month: Money(month.total.total),
        overdue: aging.overdue(),
        mrr: mrr.total,
    })
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn buckets_turn_at_their_boundaries() {
        let as_of = date(2026, 6, 30);
        for (late, bucket) in [
            (-5, 0),
            (0, 0),
            (1, 1),
            (30, 1),
            (31, 2),
            (60, 2),
            (61, 3),
            (90, 3),
            (91, 4),
            (400, 4),
        ] {
            let due = as_of.checked_sub(i64::from(late).days()).unwrap();
            assert_eq!(bucket_of(as_of, due), bucket, "{late} days late");
        }
        // The store's cuts agree with the rule.
        let c = cuts(as_of);
        assert_eq!(
            (c.d30.as_str(), c.d60.as_str(), c.d90.as_str()),
            ("2026-05-31", "2026-05-01", "2026-04-01")
        );
    }

    #[test]
    fn cycles_normalise_to_a_month() {
        assert_eq!(monthly(9_990, "monthly"), 9_990);
        assert_eq!(monthly(30_000, "quarterly"), 10_000);
        assert_eq!(monthly(10_000, "quarterly"), 3_333);
        assert_eq!(monthly(119_990, "yearly"), 9_999);
        assert_eq!(monthly(20, "quarterly"), 7, "6.67 rounds up");
    }
}
