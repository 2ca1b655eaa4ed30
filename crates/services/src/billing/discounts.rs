//! Discounts on contracts: a fixed amount or a percentage off the plan
//! line, for some cycles or until a date, added by staff or by redeeming a
//! promo code ([`super::promos`]); and the lines they add to the documents
//! the billing run issues.

use std::collections::BTreeMap;

use domain::Money;
use domain::Permission;
use domain::billing::Rate;
use domain::billing::discount::{self, Amount, Duration};
use domain::billing::invoice::{Line, LineInput};
use domain::billing::tax::TaxRate;
use domain::validate;
use jiff::civil::Date;
use serde_json::json;
use store::AnyConnection;
use store::billing::discounts::NewDiscount;

pub use store::billing::discounts::Discount;

use crate::{Caller, Change, Error, Result, Services, check};

/// A discount as staff type it.
#[derive(Debug, Clone, Default)]
pub struct DiscountInput {
    pub contract_id: i64,
    /// `fixed` or `percent`.
    pub kind: String,
    /// Minor units for `fixed`; parts per million for `percent`
    /// (10 % = 100000).
    pub value: i64,
    pub description: String,
    /// Billed cycles it lasts; `None`: no limit.
    pub cycles: Option<i64>,
    /// `YYYY-MM-DD`: periods starting on or after it are not discounted;
    /// empty: no end date.
    pub until: String,
}

/// The domain's amount for a kind and value, or the field that is wrong.
pub(crate) fn amount(kind: &str, value: i64) -> Result<Amount> {
    match kind.trim() {
        "fixed" if value > 0 => Ok(Amount::Fixed(Money(value))),
        "percent" if value > 0 && value <= i64::from(domain::billing::rate::WHOLE) => {
            Ok(Amount::Percent(Rate(value as u32)))
        }
        "fixed" | "percent" => Err(Error::invalid_msg(
            "value",
            if value <= 0 {
                discount::DiscountError::NotPositive.to_string()
            } else {
                domain::billing::rate::RateError::OverHundred.to_string()
            },
        )),
        _ => Err(Error::invalid("kind", validate::FieldError::Choice)),
    }
}

pub(crate) fn kind_of(a: Amount) -> (&'static str, i64) {
    match a {
        Amount::Fixed(m) => ("fixed", m.0),
        Amount::Percent(r) => ("percent", i64::from(r.0)),
    }
}

/// Cycles as typed: at least one when given.
pub(crate) fn cycles(field: &'static str, n: Option<i64>) -> Result<Option<u32>> {
    n.map(|n| {
        u32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::invalid_msg(field, discount::DiscountError::ZeroCycles.to_string())
        })
    })
    .transpose()
}

pub(crate) fn optional_date(field: &'static str, s: &str) -> Result<Option<Date>> {
    match s.trim() {
        "" => Ok(None),
        s => validate::date(s)
            .map(Some)
            .map_err(|e| Error::invalid(field, e)),
    }
}

fn snapshot(d: &Discount) -> serde_json::Value {
    json!({
        "contract_id": d.contract_id, "kind": d.kind, "value": d.value,
        "description": d.description, "cycles": d.cycles, "cycles_used": d.cycles_used,
        "until": d.until, "promo_code_id": d.promo_code_id, "ended_at": d.ended_at,
    })
}

async fn contract(c: &mut AnyConnection, id: i64) -> Result<store::contracts::Contract> {
    match store::contracts::get(c, id).await {
        Err(store::Error::NotFound) => Err(Error::invalid_msg("contract_id", "no such contract")),
        r => Ok(r?),
    }
}

/// A contract's discounts, running and ended, oldest first (none for an
/// id that names no contract, as other filters answer).
pub async fn list(svc: &Services, caller: &Caller, contract_id: i64) -> Result<Vec<Discount>> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::billing::discounts::for_contract(&mut c, contract_id, false).await?)
}

pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Discount> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::billing::discounts::get(&mut c, id).await?)
}

/// Adds a discount to a contract. A fixed amount larger than the
/// contract's price is refused naming `value` (a later price cut only
/// caps it, at run time).
pub async fn create(svc: &Services, caller: &Caller, input: &DiscountInput) -> Result<Discount> {
    caller.require(Permission::BillingManage)?;
    let amount = amount(&input.kind, input.value)?;
    check("description", validate::required(&input.description, 120))?;
    let cycles = cycles("cycles", input.cycles)?;
    let until = optional_date("until", &input.until)?;
    let mut tx = svc.db.begin().await?;
    let k = contract(&mut tx, input.contract_id).await?;
    discount::check(amount, Money(k.price), Duration { cycles, until })
        .map_err(|e| Error::invalid_msg("value", e.to_string()))?;
    let (kind, value) = kind_of(amount);
    let until = until.map(|d| d.to_string());
    let actor = caller.actor();
    let id = store::billing::discounts::insert(
        &mut tx,
        &NewDiscount {
            contract_id: k.id,
            kind,
            value,
            description: input.description.trim(),
            cycles: cycles.map(i64::from),
            until: until.as_deref(),
            promo_code_id: None,
            actor_name: &actor.name,
        },
        store::now(),
    )
    .await?;
    let d = store::billing::discounts::get(&mut tx, id).await?;
    Change::new("discount.create", "contract_discount", id)
        .after(snapshot(&d))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(d)
}

/// Ends a running discount: later documents no longer get it. One that
/// already ended is refused (`discount-ended`).
pub async fn end(svc: &Services, caller: &Caller, id: i64) -> Result<Discount> {
    caller.require(Permission::BillingManage)?;
    let mut tx = svc.db.begin().await?;
    let before = store::billing::discounts::get(&mut tx, id).await?;
    if !store::billing::discounts::end(&mut tx, id, store::now()).await? {
        return Err(Error::Refused("discount-ended"));
    }
    let after = store::billing::discounts::get(&mut tx, id).await?;
    Change::new("discount.end", "contract_discount", id)
        .before(snapshot(&before))
        .after(snapshot(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// A running discount as the billing run applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Running {
    pub id: i64,
    pub amount: Amount,
    pub duration: Duration,
    /// Cycles discounted so far (raised as documents are computed, so a
    /// preview of several periods counts them too).
    pub used: u32,
    /// Cycles discounted when read (what the database compares).
    pub stored_used: i64,
    /// `discount` (added by staff) or `promo` (made by a code).
    pub source: &'static str,
    /// The discount's description, or the promo code.
    pub description: String,
}

/// A contract's running discounts, oldest first. A row that does not make
/// sense (unknown kind, bad date) is an internal error rather than a
/// discount silently dropped.
pub(crate) async fn running(c: &mut AnyConnection, contract_id: i64) -> Result<Vec<Running>> {
    let rows = store::billing::discounts::for_contract(c, contract_id, true).await?;
    rows.into_iter().map(to_running).collect()
}

fn to_running(d: Discount) -> Result<Running> {
    let bad = |what: &str| Error::Internal(format!("discount {}: stored {what}", d.id));
    let amount = amount(&d.kind, d.value).map_err(|_| bad("amount"))?;
    let until = d
        .until
        .as_deref()
        .map(|u| u.parse::<Date>().map_err(|_| bad("until")))
        .transpose()?;
    Ok(Running {
        id: d.id,
        amount,
        duration: Duration {
            cycles: d.cycles.and_then(|n| u32::try_from(n).ok()),
            until,
        },
        used: u32::try_from(d.cycles_used).unwrap_or(u32::MAX),
        stored_used: d.cycles_used,
        source: if d.promo_code_id.is_some() {
            "promo"
        } else {
            "discount"
        },
        description: d.promo_code.unwrap_or(d.description),
    })
}

/// What [`apply`] did to the running discounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Discounts that took a cycle: id and the count read.
    pub counted: Vec<(i64, i64)>,
    /// Discounts whose until-date has passed.
    pub expired: Vec<i64>,
}

/// Adds the running discounts' lines to a document's computed lines,
/// right under its first plan line (each discount applies once per
/// document, to the plan): a fixed amount capped at what is left of the
/// line (capped, not refused: the price may have dropped since), a
/// percentage of the line's amount. Each discount line's `source` is
/// `discount` or `promo`, its description the discount's description or
/// the code (pages show them as "Discount: …" / "Promo …"); its taxes are
/// the difference the discount makes to the plan line's
/// ([`discount::line`] says why). A document without a plan line gets no
/// discount and uses no cycle.
pub(crate) fn apply(
    lines: &mut Vec<Line>,
    sources: &mut Vec<(&'static str, Option<i64>)>,
    running: &mut [Running],
    start: Date,
    rates: &[TaxRate],
) -> Result<Applied> {
    let mut out = Applied::default();
    for r in running.iter() {
        if r.duration.until.is_some_and(|u| start >= u) {
            out.expired.push(r.id);
        }
    }
    let Some(at) = sources.iter().position(|(s, _)| *s == "plan") else {
        return Ok(out);
    };
    let plan = &lines[at];
    let base = LineInput {
        description: plan.description.clone(),
        period: plan.period,
        quantity: plan.quantity,
        unit_price: plan.unit_price,
        discount: plan.discount,
        taxes: rates.to_vec(),
    };
    let mut taken = plan.discount;
    let mut added = Vec::new();
    for r in running.iter_mut() {
        if !r.duration.applies(start, r.used) {
            continue;
        }
        let left = Money(plan.amount.0.abs() - taken.0);
        let off = r.amount.off(left);
        if off.0 == 0 {
            continue;
        }
        let line = discount::line(&base, taken, off, r.description.clone())
            .map_err(|e| Error::Internal(format!("discount {}: {e}", r.id)))?;
        taken = Money(taken.0 + off.0);
        out.counted.push((r.id, r.stored_used));
        r.used += 1;
        r.stored_used += 1;
        added.push((r.source, line));
    }
    for (i, (source, line)) in added.into_iter().enumerate() {
        lines.insert(at + 1 + i, line);
        sources.insert(at + 1 + i, (source, None));
    }
    Ok(out)
}

/// The discounts of the contracts one or more documents cover, read once
/// per contract and carried from period to period (a document may hold
/// several periods of a contract, and a preview every period due), with
/// what they did.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    by_contract: BTreeMap<i64, Vec<Running>>,
    applied: Applied,
}

impl Pending {
    /// Adds `d`'s contract's running discounts to `d`'s computed lines
    /// (see [`apply`]); a document that bills no period (a closing credit
    /// note) gets none.
    pub(crate) async fn apply(
        &mut self,
        c: &mut AnyConnection,
        d: &super::run::Due,
        lines: &mut Vec<Line>,
        sources: &mut Vec<(&'static str, Option<i64>)>,
        rates: &[TaxRate],
    ) -> Result<()> {
        if !d.bills_period {
            return Ok(());
        }
        let running = match self.by_contract.entry(d.contract_id) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(running(c, d.contract_id).await?)
            }
        };
        if running.is_empty() {
            return Ok(());
        }
        let a = apply(lines, sources, running, d.period.start, rates)?;
        self.applied.counted.extend(a.counted);
        self.applied.expired.extend(a.expired);
        Ok(())
    }

    /// How much [`Pending::apply`] has recorded so far, for
    /// [`Pending::rewind`].
    pub(crate) fn mark(&self) -> (usize, usize) {
        (self.applied.counted.len(), self.applied.expired.len())
    }

    /// Forgets what was applied since `mark` (a document that will not be
    /// written); its carried counts no longer matter, as nothing after it
    /// is computed.
    pub(crate) fn rewind(&mut self, mark: (usize, usize)) {
        self.applied.counted.truncate(mark.0);
        self.applied.expired.truncate(mark.1);
    }

    /// Reads the running discounts of `contracts` in one query (the run's
    /// groups), so [`Pending::apply`] reads nothing for them.
    pub(crate) async fn prefetch(
        &mut self,
        c: &mut AnyConnection,
        contracts: &[i64],
    ) -> Result<()> {
        let wanted: Vec<i64> = contracts
            .iter()
            .copied()
            .filter(|id| !self.by_contract.contains_key(id))
            .collect();
        for d in store::billing::discounts::running_for(c, &wanted).await? {
            let contract = d.contract_id;
            let r = to_running(d)?;
            self.by_contract.entry(contract).or_default().push(r);
        }
        for id in wanted {
            self.by_contract.entry(id).or_default();
        }
        Ok(())
    }

    /// Records what the documents used, as [`Pending::record`] does, in a
    /// statement or two for the whole group. `false` when a count had moved
    /// (another writer): the caller rolls back and issues the documents
    /// one by one, where the mismatch fails the document that meets it.
    pub(crate) async fn record_group(&self, tx: &mut AnyConnection, now: i64) -> Result<bool> {
        // Per discount: the count read first and the cycles taken since.
        let mut counts: Vec<(i64, i64, i64)> = Vec::new();
        for &(id, used) in &self.applied.counted {
            match counts.iter_mut().find(|c| c.0 == id) {
                Some(c) if c.1 + c.2 == used => c.2 += 1,
                Some(_) => return Ok(false),
                None => counts.push((id, used, 1)),
            }
        }
        let moved = store::billing::discounts::count_cycles(tx, &counts, now).await?;
        if moved != counts.len() as u64 {
            return Ok(false);
        }
        let mut expired = self.applied.expired.clone();
        expired.sort_unstable();
        expired.dedup();
        store::billing::discounts::end_many(tx, &expired, now).await?;
        Ok(true)
    }

    /// Records what the documents used, in the issuing transaction.
    pub(crate) async fn record(&self, tx: &mut AnyConnection, now: i64) -> Result<()> {
        record(tx, &self.applied, now).await
    }
}

/// Records, in the issuing transaction, the cycles a document used and
/// the discounts whose date ran out. The run's `billed_periods` row makes
/// the document (and so this) happen once per period; the counts are
/// compared all the same, and a mismatch fails the document rather than
/// counting twice.
pub(crate) async fn record(tx: &mut AnyConnection, applied: &Applied, now: i64) -> Result<()> {
    for (id, used) in &applied.counted {
        if !store::billing::discounts::count_cycle(tx, *id, *used, now).await? {
            return Err(Error::Internal(format!(
                "discount {id} was counted by another writer"
            )));
        }
    }
    for id in &applied.expired {
        store::billing::discounts::end(tx, *id, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use domain::billing::tax::TaxMode;
    use jiff::civil::date;

    use super::*;

    fn plan_line(price: i64, rates: &[TaxRate]) -> Line {
        Line::compute(LineInput {
            description: "Fibra".into(),
            period: None,
            quantity: 1,
            unit_price: Money(price),
            discount: Money::ZERO,
            taxes: rates.to_vec(),
        })
        .unwrap()
    }

    fn running(id: i64, amount: Amount, cycles: Option<u32>) -> Running {
        Running {
            id,
            amount,
            duration: Duration {
                cycles,
                until: None,
            },
            used: 0,
            stored_used: 0,
            source: "discount",
            description: format!("d{id}"),
        }
    }

    #[test]
    fn discounts_go_under_the_plan_line_capped_and_counted() {
        let rates = vec![TaxRate {
            id: 1,
            name: "VAT".into(),
            rate: Rate(200_000),
            mode: TaxMode::OnTop,
        }];
        let mut lines = vec![plan_line(10_000, &rates), plan_line(500, &rates)];
        let mut sources = vec![("plan", None), ("item", None)];
        let mut r = vec![
            running(1, Amount::Percent(Rate(100_000)), Some(1)),
            running(2, Amount::Fixed(Money(50_000)), None),
            running(3, Amount::Fixed(Money(100)), None),
        ];
        let a = apply(&mut lines, &mut sources, &mut r, date(2026, 1, 1), &rates).unwrap();
        assert_eq!(
            a.counted,
            vec![(1, 0), (2, 0)],
            "nothing left for the third"
        );
        let s: Vec<_> = sources.iter().map(|s| s.0).collect();
        assert_eq!(s, ["plan", "discount", "discount", "item"]);
        assert_eq!(lines[1].amount, Money(-1_000));
        assert_eq!(lines[2].amount, Money(-9_000), "capped at what is left");
        assert_eq!(lines[0].total.0 + lines[1].total.0 + lines[2].total.0, 0);
        // The one-cycle discount is spent; the next document gets the rest.
        let mut lines = vec![plan_line(10_000, &rates)];
        let mut sources = vec![("plan", None)];
        let a = apply(&mut lines, &mut sources, &mut r, date(2026, 2, 1), &rates).unwrap();
        assert_eq!(a.counted, vec![(2, 1)]);
    }

    #[test]
    fn an_until_date_ends_the_discount_and_no_plan_line_uses_no_cycle() {
        let mut r = vec![Running {
            duration: Duration {
                cycles: None,
                until: Some(date(2026, 3, 1)),
            },
            ..running(7, Amount::Fixed(Money(100)), None)
        }];
        let mut lines = vec![plan_line(1_000, &[])];
        let mut sources = vec![("installation", None)];
        let a = apply(&mut lines, &mut sources, &mut r, date(2026, 2, 1), &[]).unwrap();
        assert_eq!(a, Applied::default());
        let mut sources = vec![("plan", None)];
        let a = apply(&mut lines, &mut sources, &mut r, date(2026, 3, 1), &[]).unwrap();
        assert_eq!(a.expired, vec![7]);
        assert!(a.counted.is_empty());
    }
}
