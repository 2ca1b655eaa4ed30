//! The billing run: what each contract owes as of a date, issued as one
//! invoice per contract and period, exactly once.
//!
//! *Exactly once*: each document is written in its own transaction that
//! first records the contract's period in `billed_periods`, whose primary
//! key refuses a second writer. Two nodes, a run started twice or a run
//! restarted after `kill -9` therefore each bill only what nobody billed,
//! and a failure leaves no half-written invoice (the number is taken in the
//! same transaction).

use std::collections::BTreeMap;

use domain::Money;
use domain::Permission;
use domain::billing::invoice::{self, Line, LineInput, Totals};
use domain::billing::period::{BillingDay, Period, Schedule, prorate};
use domain::catalog::{BillingMode, Cycle};
use domain::contracts::{Status, SuspendReason};
use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::json;
use store::billing::documents::{NewDocument, NewLine, NewLineTax};
use store::billing::runs::{Billable, Charge};

use super::Policy;
use crate::{Caller, Change, Error, Result, Services};

/// A contract's facts, as the rules need them.
#[derive(Debug, Clone)]
pub struct Contract {
    pub id: i64,
    pub customer_id: i64,
    pub plan_name: String,
    pub price: Money,
    pub mode: BillingMode,
    pub cycle: Cycle,
    pub day: BillingDay,
    /// The first day billed.
    pub starts: Date,
    /// The first day without service (canceled contracts).
    pub ends: Option<Date>,
    /// The end of the last billed period.
    pub billed_until: Option<Date>,
    pub installation_fee: Money,
    pub installments: u32,
    pub installments_billed: u32,
    /// Extra service items: name, unit price, quantity.
    pub items: Vec<(String, Money, i64)>,
    /// Days not charged (suspended for a reason the policy does not charge).
    pub uncharged: Vec<Period>,
    /// Set while suspended for an uncharged reason: nothing after this day
    /// is billed until the contract is active again.
    pub held_from: Option<Date>,
}

/// One document a contract owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub contract_id: i64,
    pub customer_id: i64,
    /// The days billed (the last one may end at the cancellation).
    pub period: Period,
    pub issue_date: Date,
    pub due_date: Date,
    /// Plan, items and installment lines, without taxes (added when issued).
    pub lines: Vec<DueLine>,
}

/// A line before taxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueLine {
    /// `plan`, `item` or `installation`.
    pub source: &'static str,
    /// The plan's or item's name; `k/n` for an installment.
    pub description: String,
    pub period: Option<Period>,
    pub quantity: i64,
    pub unit_price: Money,
}

/// Periods billed in one call at most (a contract years behind is caught
/// up over several runs rather than in one unbounded loop).
const MAX_PERIODS: usize = 36;

/// What `k` owes as of `as_of`: one document per due period, oldest first.
/// A period with nothing to charge (suspended throughout) is still listed,
/// with no lines, so the run records it as billed.
pub fn due(k: &Contract, as_of: Date, policy: &Policy) -> Vec<Due> {
    let schedule = Schedule::starting(k.day, k.cycle, k.starts);
    let mut cursor = k.billed_until.unwrap_or(k.starts).max(k.starts);
    let mut out = Vec::new();
    let mut installment = k.installments_billed;
    while out.len() < MAX_PERIODS {
        // The period starting at `cursor`: the partial one up to the first
        // billing day, or the schedule's period.
        let whole = if cursor < schedule.anchor {
            Period::new(cursor, schedule.anchor)
        } else {
            Period::new(cursor, schedule.containing(cursor).end)
        };
        let Some(whole) = whole else { break };
        let period = match k.ends {
            Some(e) if e <= whole.start => break,
            Some(e) if e < whole.end => Period {
                start: whole.start,
                end: e,
            },
            _ => whole,
        };
        if k.held_from.is_some_and(|h| h <= period.start) {
            break;
        }
        let trigger = match k.mode {
            BillingMode::Prepaid => whole
                .start
                .checked_sub(policy.prepaid_days_before.days())
                .unwrap_or(whole.start),
            BillingMode::Postpaid => period.end,
        };
        if as_of < trigger {
            break;
        }
        // Proration is against the schedule's full period that holds it.
        let reference = schedule.containing(whole.start);
        let mut lines = Vec::new();
        let plan = prorate(k.price, reference, period, &k.uncharged, policy.basis);
        if plan.0 != 0 {
            lines.push(DueLine {
                source: "plan",
                description: k.plan_name.clone(),
                period: Some(period),
                quantity: 1,
                unit_price: plan,
            });
        }
        for (name, price, quantity) in &k.items {
            let unit = prorate(*price, reference, period, &k.uncharged, policy.basis);
            if unit.0 != 0 && *quantity > 0 {
                lines.push(DueLine {
                    source: "item",
                    description: name.clone(),
                    period: Some(period),
                    quantity: *quantity,
                    unit_price: unit,
                });
            }
        }
        if !lines.is_empty() && k.installation_fee.0 > 0 && installment < k.installments {
            let parts = invoice::installments(k.installation_fee, k.installments);
            lines.push(DueLine {
                source: "installation",
                description: format!("{}/{}", installment + 1, k.installments),
                period: None,
                quantity: 1,
                unit_price: parts[installment as usize],
            });
            installment += 1;
        }
        let due_date = match k.mode {
            BillingMode::Prepaid => whole.start.max(plus_days(as_of, policy.due_days)),
            BillingMode::Postpaid => plus_days(as_of, policy.due_days),
        };
        out.push(Due {
            contract_id: k.id,
            customer_id: k.customer_id,
            period,
            issue_date: as_of,
            due_date,
            lines,
        });
        cursor = period.end;
        if k.ends.is_some_and(|e| e <= cursor) {
            break;
        }
    }
    out
}

fn plus_days(d: Date, days: i64) -> Date {
    d.checked_add(days.days()).unwrap_or(d)
}

/// The days a contract spent suspended for a reason the policy does not
/// charge, from its status changes (instants in the installation's zone),
/// and the day an ongoing such suspension began.
pub fn uncharged_days(
    changes: &[store::billing::runs::StatusChange],
    tz: &jiff::tz::TimeZone,
    policy: &Policy,
) -> (Vec<Period>, Option<Date>) {
    let mut out = Vec::new();
    let mut open: Option<Date> = None;
    for c in changes {
        let day = jiff::Timestamp::from_second(c.at)
            .map(|t| t.to_zoned(tz.clone()).date())
            .unwrap_or_default();
        let uncharged = c.to_status == Status::Suspended.as_str()
            && c.reason
                .as_deref()
                .and_then(SuspendReason::parse)
                .is_some_and(|r| policy.uncharged_reasons.contains(&r));
        match (open, uncharged) {
            (None, true) => open = Some(day),
            (Some(start), false) => {
                if let Some(p) = Period::new(start, day) {
                    out.push(p);
                }
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        // Until further notice: as far as any period could reach.
        if let Some(p) = Period::new(start, plus_days(start, 365 * 100)) {
            out.push(p);
        }
    }
    (out, open)
}

/// What a preview shows before a run is confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Preview {
    pub as_of: String,
    /// Contracts with at least one document due.
    pub contracts: i64,
    pub invoices: i64,
    pub total: Money,
    /// Plan name → (invoices, total).
    pub by_plan: BTreeMap<String, (i64, Money)>,
    /// Tax name → amount.
    pub by_tax: BTreeMap<String, Money>,
}

/// Everything a run would issue as of `as_of`, without writing anything.
pub async fn preview(
    svc: &Services,
    caller: &Caller,
    as_of: Date,
    policy: &Policy,
) -> Result<Preview> {
    caller.require(Permission::BillingView)?;
    let mut p = Preview {
        as_of: as_of.to_string(),
        ..Preview::default()
    };
    let mut c = svc.db.conn().await?;
    let tz = zone(&mut c).await?;
    let mut taxes = TaxCache::default();
    let mut after = 0;
    loop {
        let batch = store::billing::runs::billable(&mut c, after, 500).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for row in &batch {
            let k = facts(&mut c, row, &tz, policy).await?;
            let docs: Vec<Due> = due(&k, as_of, policy)
                .into_iter()
                .filter(|d| !d.lines.is_empty())
                .collect();
            if docs.is_empty() {
                continue;
            }
            p.contracts += 1;
            let rates = taxes.get(&mut c, row).await?;
            for d in docs {
                let lines = compute(&d, &[], &rates)?;
                let totals = Totals::of(&lines);
                p.invoices += 1;
                p.total = add(p.total, totals.total);
                let e = p.by_plan.entry(row.plan_name.clone()).or_default();
                e.0 += 1;
                e.1 = add(e.1, totals.total);
                for (id, amount) in totals.taxes {
                    let name = rates
                        .iter()
                        .find(|r| r.id == id)
                        .map(|r| r.name.clone())
                        .unwrap_or_default();
                    let t = p.by_tax.entry(name).or_default();
                    *t = add(*t, amount);
                }
            }
        }
    }
    Ok(p)
}

fn add(a: Money, b: Money) -> Money {
    Money(a.0.saturating_add(b.0))
}

/// Runs billing as of `as_of`: issues every due document, each in its own
/// transaction, and records the run's progress as it goes. Returns the
/// run's id; its row says how many contracts and invoices it did.
pub async fn run(svc: &Services, caller: &Caller, as_of: Date, policy: &Policy) -> Result<i64> {
    caller.require(Permission::BillingManage)?;
    let actor = caller.actor();
    let run_id = {
        let mut tx = svc.db.begin().await?;
        let total = store::billing::runs::count_billable(&mut tx).await?;
        let id =
            store::billing::runs::start(&mut tx, &as_of.to_string(), total, &actor, store::now())
                .await?;
        Change::new("billing_run.start", "billing_run", id)
            .after(json!({ "as_of": as_of.to_string(), "contracts": total }))
            .record(&mut tx, svc.db.engine(), &actor)
            .await?;
        tx.commit().await?;
        id
    };
    let outcome = run_batches(svc, caller, run_id, as_of, policy).await;
    let mut tx = svc.db.begin().await?;
    let error = outcome.as_ref().err().map(ToString::to_string);
    store::billing::runs::finish(&mut tx, run_id, error.as_deref(), store::now()).await?;
    tx.commit().await?;
    outcome.map(|()| run_id)
}

async fn run_batches(
    svc: &Services,
    caller: &Caller,
    run_id: i64,
    as_of: Date,
    policy: &Policy,
) -> Result<()> {
    let mut c = svc.db.conn().await?;
    let tz = zone(&mut c).await?;
    let mut taxes = TaxCache::default();
    let mut after = 0;
    loop {
        let batch = store::billing::runs::billable(&mut c, after, 200).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let (mut invoices, mut total) = (0, 0i64);
        for row in &batch {
            let k = facts(&mut c, row, &tz, policy).await?;
            let rates = taxes.get(&mut c, row).await?;
            for d in due(&k, as_of, policy) {
                if let Some(t) = issue_due(svc, caller, run_id, &d, &rates, policy).await? {
                    invoices += 1;
                    total = total.saturating_add(t.0);
                }
            }
        }
        let mut tx = svc.db.begin().await?;
        store::billing::runs::progress(&mut tx, run_id, batch.len() as i64, invoices, total)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Writes one due document in its own transaction: the billed period
/// first (a second writer stops there), then the invoice with its number,
/// its lines with their taxes, the one-off charges it takes, and its audit
/// entry. `None` when there was nothing to invoice or someone else billed
/// the period.
async fn issue_due(
    svc: &Services,
    caller: &Caller,
    run_id: i64,
    d: &Due,
    rates: &[domain::billing::tax::TaxRate],
    policy: &Policy,
) -> Result<Option<Money>> {
    let mut tx = svc.db.begin().await?;
    let now = store::now();
    let (start, end) = (d.period.start.to_string(), d.period.end.to_string());
    let charges = store::billing::runs::open_charges(&mut tx, d.contract_id).await?;
    if d.lines.is_empty() && charges.is_empty() {
        if store::billing::runs::mark_billed(&mut tx, d.contract_id, &start, &end, None, now)
            .await?
        {
            tx.commit().await?;
        }
        return Ok(None);
    }
    let lines = compute(d, &charges, rates)?;
    let totals = Totals::of(&lines);
    let seq = store::billing::documents::next_number(
        &mut tx,
        "invoice",
        series_year(&policy.invoice_series, d.issue_date),
    )
    .await?;
    let number = policy.invoice_series.number(d.issue_date.year(), seq);
    let public_id = super::public_id();
    let id = store::billing::documents::insert(
        &mut tx,
        &NewDocument {
            kind: "invoice",
            status: "issued",
            number: Some(&number),
            public_id: &public_id,
            customer_id: d.customer_id,
            contract_id: Some(d.contract_id),
            issue_date: Some(&d.issue_date.to_string()),
            due_date: &d.due_date.to_string(),
            totals: stored_totals(&lines, &totals),
            credits_invoice_id: None,
            billing_run_id: Some(run_id),
            notes: "",
        },
        now,
    )
    .await?;
    if !store::billing::runs::mark_billed(&mut tx, d.contract_id, &start, &end, Some(id), now)
        .await?
    {
        // Another run or node billed this period first: drop ours whole.
        return Ok(None);
    }
    let sources = sources(d, &charges);
    for (i, (l, (source, charge))) in lines.iter().zip(sources).enumerate() {
        let line_id =
            store::billing::documents::insert_line(&mut tx, id, &new_line(i, source, d, l, rates))
                .await?;
        if let Some(charge) = charge
            && !store::billing::runs::charge_billed(&mut tx, charge, line_id).await?
        {
            return Err(Error::Internal(format!("charge {charge} was billed twice")));
        }
    }
    Change::new("invoice.issue", "invoice", id)
        .after(json!({
            "number": number, "contract_id": d.contract_id, "customer_id": d.customer_id,
            "period_start": start, "period_end": end, "total": totals.total,
            "billing_run_id": run_id,
        }))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    super::mail::queue_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Some(totals.total))
}

/// The year a series counts in: the issue year when its prefix names the
/// year, else 0 (one sequence forever).
pub(crate) fn series_year(s: &invoice::Series, issue: Date) -> i64 {
    if s.yearly() {
        i64::from(issue.year())
    } else {
        0
    }
}

/// The lines of a due document with the one-off `charges` added, taxed.
fn compute(
    d: &Due,
    charges: &[Charge],
    rates: &[domain::billing::tax::TaxRate],
) -> Result<Vec<Line>> {
    let inputs = d
        .lines
        .iter()
        .map(|l| LineInput {
            description: l.description.clone(),
            period: l.period,
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount: Money::ZERO,
            taxes: rates.to_vec(),
        })
        .chain(charges.iter().map(|c| LineInput {
            description: c.description.clone(),
            period: None,
            quantity: c.quantity,
            unit_price: Money(c.unit_price),
            discount: Money::ZERO,
            taxes: rates.to_vec(),
        }));
    inputs
        .map(|i| Line::compute(i).map_err(|e| Error::invalid_msg("line", e.to_string())))
        .collect()
}

/// Each computed line's source and, for one-off charges, the charge id.
fn sources(d: &Due, charges: &[Charge]) -> Vec<(&'static str, Option<i64>)> {
    d.lines
        .iter()
        .map(|l| (l.source, None))
        .chain(charges.iter().map(|c| ("one_off", Some(c.id))))
        .collect()
}

fn new_line<'a>(
    i: usize,
    source: &'a str,
    d: &Due,
    l: &'a Line,
    rates: &'a [domain::billing::tax::TaxRate],
) -> NewLine<'a> {
    NewLine {
        position: i as i64,
        source,
        contract_id: Some(d.contract_id),
        description: &l.description,
        period: l.period.map(|p| (p.start.to_string(), p.end.to_string())),
        quantity: l.quantity,
        unit_price: l.unit_price.0,
        discount: l.discount.0,
        amount: l.amount.0,
        net: l.net.0,
        total: l.total.0,
        credits_line_id: None,
        taxes: stored_taxes(l, rates),
    }
}

/// A computed line's taxes as stored, each with the rate as applied.
pub(crate) fn stored_taxes<'a>(
    l: &Line,
    rates: &'a [domain::billing::tax::TaxRate],
) -> Vec<NewLineTax<'a>> {
    l.taxes
        .iter()
        .filter_map(|t| {
            let r = rates.iter().find(|r| r.id == t.tax_id)?;
            Some(NewLineTax {
                tax_rate_id: r.id,
                name: &r.name,
                rate_ppm: i64::from(r.rate.0),
                mode: r.mode.as_str(),
                amount: t.amount.0,
            })
        })
        .collect()
}

pub(crate) fn stored_totals(lines: &[Line], t: &Totals) -> store::billing::documents::Totals {
    let tax = lines
        .iter()
        .flat_map(|l| &l.taxes)
        .fold(0i64, |s, x| s.saturating_add(x.amount.0));
    store::billing::documents::Totals {
        net: t.net.0,
        discount: t.discount.0,
        tax,
        total: t.total.0,
    }
}

/// The installation's time zone.
async fn zone(c: &mut store::AnyConnection) -> Result<jiff::tz::TimeZone> {
    Ok(store::system::company::get(c)
        .await?
        .and_then(|co| jiff::tz::TimeZone::get(&co.timezone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC))
}

fn date(field: &'static str, s: &str) -> Result<Date> {
    s.parse()
        .map_err(|_| Error::Internal(format!("stored {field} {s:?} is not a date")))
}

/// A stored contract's facts for [`due`].
async fn facts(
    c: &mut store::AnyConnection,
    row: &Billable,
    tz: &jiff::tz::TimeZone,
    policy: &Policy,
) -> Result<Contract> {
    let mode = BillingMode::parse(&row.billing_mode)
        .ok_or_else(|| Error::Internal(format!("plan billing mode {:?}", row.billing_mode)))?;
    let cycle = Cycle::parse(&row.cycle)
        .ok_or_else(|| Error::Internal(format!("plan cycle {:?}", row.cycle)))?;
    let day = BillingDay::new(row.billing_day)
        .map_err(|e| Error::Internal(format!("contract {} billing day: {e}", row.number)))?;
    let mut starts = date("start_date", &row.start_date)?;
    if let Some(at) = row.activated_at {
        let activated = jiff::Timestamp::from_second(at)
            .map(|t| t.to_zoned(tz.clone()).date())
            .unwrap_or(starts);
        starts = starts.max(activated);
    }
    let changes = store::billing::runs::status_changes(c, row.id).await?;
    let (uncharged, held_from) = uncharged_days(&changes, tz, policy);
    let items = store::contracts::items(c, row.id)
        .await?
        .into_iter()
        .map(|i| (i.name, Money(i.price), i.quantity))
        .collect();
    Ok(Contract {
        id: row.id,
        customer_id: row.customer_id,
        plan_name: row.plan_name.clone(),
        price: Money(row.price),
        mode,
        cycle,
        day,
        starts,
        ends: row
            .end_date
            .as_deref()
            .map(|e| date("end_date", e))
            .transpose()?,
        billed_until: row
            .billed_until
            .as_deref()
            .map(|e| date("period_end", e))
            .transpose()?,
        installation_fee: Money(row.installation_fee),
        installments: u32::try_from(row.installation_installments.max(1)).unwrap_or(1),
        installments_billed: u32::try_from(row.installments_billed.max(0)).unwrap_or(0),
        items,
        uncharged,
        held_from,
    })
}

/// Tax rates per plan tax category, read once per run.
#[derive(Default)]
struct TaxCache(BTreeMap<String, Vec<domain::billing::tax::TaxRate>>);

impl TaxCache {
    async fn get(
        &mut self,
        c: &mut store::AnyConnection,
        row: &Billable,
    ) -> Result<Vec<domain::billing::tax::TaxRate>> {
        if row.tax_exempt {
            return Ok(Vec::new());
        }
        if let Some(r) = self.0.get(&row.tax_category) {
            return Ok(r.clone());
        }
        let rows = store::billing::taxes::for_category(c, &row.tax_category).await?;
        let rates = super::taxes::to_domain(&rows);
        self.0.insert(row.tax_category.clone(), rates.clone());
        Ok(rates)
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn contract(mode: BillingMode) -> Contract {
        Contract {
            id: 1,
            customer_id: 2,
            plan_name: "Fibra 300".into(),
            price: Money(9_990),
            mode,
            cycle: Cycle::Monthly,
            day: BillingDay::new(10).unwrap(),
            starts: date(2026, 1, 25),
            ends: None,
            billed_until: None,
            installation_fee: Money(12_000),
            installments: 3,
            installments_billed: 0,
            items: vec![],
            uncharged: vec![],
            held_from: None,
        }
    }

    fn periods(d: &[Due]) -> Vec<(Date, Date)> {
        d.iter().map(|x| (x.period.start, x.period.end)).collect()
    }

    #[test]
    fn postpaid_bills_periods_that_ended() {
        let k = contract(BillingMode::Postpaid);
        let p = Policy::default();
        assert!(due(&k, date(2026, 2, 9), &p).is_empty());
        let d = due(&k, date(2026, 3, 10), &p);
        assert_eq!(
            periods(&d),
            vec![
                (date(2026, 1, 25), date(2026, 2, 10)),
                (date(2026, 2, 10), date(2026, 3, 10))
            ]
        );
        // The partial first period: 16 of January 10 – February 10's 31 days.
        assert_eq!(d[0].lines[0].unit_price, Money(5_156));
        assert_eq!(d[1].lines[0].unit_price, Money(9_990));
        // Installments: one per document, adding up to the fee.
        assert_eq!(d[0].lines[1].description, "1/3");
        assert_eq!(d[1].lines[1].description, "2/3");
        assert_eq!(
            d[0].lines[1].unit_price.0 + d[1].lines[1].unit_price.0,
            8_000
        );
        assert_eq!(d[1].due_date, date(2026, 3, 20));
    }

    #[test]
    fn prepaid_bills_ahead_and_is_due_when_the_period_starts() {
        let mut k = contract(BillingMode::Prepaid);
        k.starts = date(2026, 2, 10);
        let p = Policy::default();
        assert!(due(&k, date(2026, 1, 30), &p).is_empty());
        let d = due(&k, date(2026, 1, 31), &p);
        assert_eq!(periods(&d), vec![(date(2026, 2, 10), date(2026, 3, 10))]);
        assert_eq!(d[0].due_date, date(2026, 2, 10));
        // Billed up to it, the next one waits for its own date.
        k.billed_until = Some(date(2026, 3, 10));
        assert!(due(&k, date(2026, 2, 27), &p).is_empty());
        assert_eq!(due(&k, date(2026, 2, 28), &p).len(), 1);
    }

    #[test]
    fn a_run_after_a_long_pause_catches_up_in_order() {
        let mut k = contract(BillingMode::Postpaid);
        k.starts = date(2026, 1, 10);
        let d = due(&k, date(2026, 12, 31), &Policy::default());
        assert_eq!(d.len(), 11);
        for w in d.windows(2) {
            assert_eq!(w[0].period.end, w[1].period.start);
        }
        // Three installments, then none.
        let inst: usize = d
            .iter()
            .map(|x| {
                x.lines
                    .iter()
                    .filter(|l| l.source == "installation")
                    .count()
            })
            .sum();
        assert_eq!(inst, 3);
    }

    #[test]
    fn cancellation_bills_up_to_the_end_date_and_stops() {
        let mut k = contract(BillingMode::Postpaid);
        k.starts = date(2026, 1, 10);
        k.installation_fee = Money(0);
        k.ends = Some(date(2026, 3, 20));
        let d = due(&k, date(2026, 6, 1), &Policy::default());
        assert_eq!(
            periods(&d),
            vec![
                (date(2026, 1, 10), date(2026, 2, 10)),
                (date(2026, 2, 10), date(2026, 3, 10)),
                (date(2026, 3, 10), date(2026, 3, 20))
            ]
        );
        // 10 of 31 days.
        assert_eq!(d[2].lines[0].unit_price, Money(3_223));
    }

    #[test]
    fn suspended_days_are_not_billed_and_a_held_contract_waits() {
        let mut k = contract(BillingMode::Postpaid);
        k.starts = date(2026, 1, 10);
        k.installation_fee = Money(0);
        // Suspended for non-payment all of February 10 – March 10.
        k.uncharged = vec![Period::new(date(2026, 2, 10), date(2026, 3, 10)).unwrap()];
        let d = due(&k, date(2026, 4, 10), &Policy::default());
        assert_eq!(d.len(), 3);
        assert!(
            d[1].lines.is_empty(),
            "a period suspended throughout charges nothing"
        );
        assert_eq!(d[2].lines[0].unit_price, Money(9_990));
        // Still suspended since February 15: the period holding that day
        // bills the 5 days before it, and nothing after is billed.
        k.held_from = Some(date(2026, 2, 15));
        k.uncharged = vec![Period::new(date(2026, 2, 15), date(2100, 1, 1)).unwrap()];
        let d = due(&k, date(2026, 6, 1), &Policy::default());
        assert_eq!(
            periods(&d),
            vec![
                (date(2026, 1, 10), date(2026, 2, 10)),
                (date(2026, 2, 10), date(2026, 3, 10))
            ]
        );
        assert_eq!(d[1].lines[0].unit_price, Money(1_784));
    }

    #[test]
    fn uncharged_days_come_from_status_changes() {
        let tz = jiff::tz::TimeZone::get("America/Sao_Paulo").unwrap();
        let at = |d: Date| {
            d.at(12, 0, 0, 0)
                .to_zoned(tz.clone())
                .unwrap()
                .timestamp()
                .as_second()
        };
        let change = |d: Date, to: &str, reason: Option<&str>| store::billing::runs::StatusChange {
            contract_id: 1,
            to_status: to.into(),
            reason: reason.map(Into::into),
            at: at(d),
        };
        let changes = [
            change(date(2026, 1, 1), "active", None),
            change(date(2026, 2, 1), "suspended", Some("non_payment")),
            change(date(2026, 2, 11), "active", None),
            change(date(2026, 3, 1), "suspended", Some("administrative")),
            change(date(2026, 3, 5), "active", None),
            change(date(2026, 4, 1), "suspended", Some("non_payment")),
        ];
        let (days, held) = uncharged_days(&changes, &tz, &Policy::default());
        assert_eq!(
            days[0],
            Period::new(date(2026, 2, 1), date(2026, 2, 11)).unwrap()
        );
        assert_eq!(
            days.len(),
            2,
            "administrative suspensions are charged: {days:?}"
        );
        assert_eq!(held, Some(date(2026, 4, 1)));
    }
}
