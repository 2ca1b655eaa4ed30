//! The billing run: what each contract owes as of a date, issued as one
//! invoice per contract and period, exactly once.
//!
//! *Exactly once*: each document is written in its own transaction that
//! first records the contract's period in `billed_periods`, whose primary
//! key refuses a second writer. Two nodes, a run started twice or a run
//! restarted after `kill -9` therefore each bill only what nobody billed,
//! and a failure leaves no half-written invoice (the number is taken in the
//! same transaction).

use std::collections::{BTreeMap, HashMap};

use domain::Money;
use domain::Permission;
use domain::billing::invoice::{self, Line, LineInput, Totals};
use domain::billing::period::{BillingDay, Period, Schedule, prorate};
use domain::catalog::{BillingMode, Cycle};
use domain::contracts::{Status, SuspendReason};
use domain::crm::timeline::EventKind;
use domain::event::{CreditNoteIssued, DomainEvent, InvoiceIssued};
use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::json;
use store::billing::documents::{NewDocument, NewLine, NewLineTax};
use store::billing::runs::{Billable, Charge};
// The row type callers read, so interfaces need not name the store.
pub use store::billing::runs::Run;

use super::Policy;
use crate::system::jobs::JobContext;
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
    /// Applied plan changes no invoice has accounted for yet, in the order
    /// they were applied.
    pub plan_changes: Vec<PlanChange>,
    /// Days billed before they were spent suspended for an uncharged
    /// reason, not credited yet ([`owed_credits`]).
    pub credit_days: Vec<Period>,
}

/// A plan change as billing sees it: from `effective` on, the contract
/// pays `to_price` for `to_plan` instead of `from_price` for `from_plan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanChange {
    pub id: i64,
    pub effective: Date,
    pub from_plan: String,
    pub from_price: Money,
    pub to_plan: String,
    pub to_price: Money,
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
    /// Plan, items, plan-change and installment lines, without taxes
    /// (added when issued).
    pub lines: Vec<DueLine>,
    /// The plan changes this document accounts for.
    pub plan_changes: Vec<i64>,
    /// The billed days this document credits.
    pub credited: Vec<Period>,
    /// Whether the document bills `period` (recorded in `billed_periods`);
    /// `false` for the credit note closing a contract canceled within days
    /// already billed.
    pub bills_period: bool,
}

/// A line before taxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueLine {
    /// `plan`, `item`, `installation`, or for a plan change within days
    /// already billed, `plan_credit` (the old plan's unused days, negative)
    /// and `plan_charge` (the new plan's remaining days), or
    /// `suspension_credit` (billed days then spent suspended, negative) and
    /// `cancellation_credit` (billed days after a cancellation, negative).
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
    // Changes effective within days already billed are settled on the
    // next document, as a credit and a charge.
    let mut settle: Vec<&PlanChange> = match k.billed_until {
        Some(until) => k
            .plan_changes
            .iter()
            .filter(|c| c.effective < until)
            .collect(),
        None => Vec::new(),
    };
    // Canceled within days already billed: nothing more to bill, only days
    // to credit back, on a credit note.
    if k.ends.is_some_and(|e| e <= cursor) && !k.credit_days.is_empty() {
        let mut lines = Vec::new();
        for c in settle {
            settle_lines(k, &schedule, c, policy, &mut lines);
        }
        credit_lines(k, &schedule, policy, &mut lines);
        let first = k.credit_days[0].start;
        let last = k.credit_days[k.credit_days.len() - 1].end;
        return Period::new(first, last)
            .map(|span| Due {
                contract_id: k.id,
                customer_id: k.customer_id,
                period: span,
                issue_date: as_of,
                due_date: as_of,
                lines,
                plan_changes: k.plan_changes.iter().map(|c| c.id).collect(),
                credited: k.credit_days.clone(),
                bills_period: false,
            })
            .into_iter()
            .collect();
    }
    // Every change is accounted for by the first document whose period
    // ends after it took effect (or that settles it).
    let mut unaccounted: Vec<&PlanChange> = k.plan_changes.iter().collect();
    while out.len() < MAX_PERIODS {
        // The period starting at `cursor`: the partial one up to the first
        // billing day (with the first full one when the policy folds it),
        // or the schedule's period.
        let whole = if cursor < schedule.anchor {
            let fold = policy.fold_first_period && k.billed_until.is_none();
            let end = if fold {
                schedule.containing(schedule.anchor).end
            } else {
                schedule.anchor
            };
            Period::new(cursor, end)
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
        let mut lines = Vec::new();
        for c in settle.drain(..) {
            settle_lines(k, &schedule, c, policy, &mut lines);
        }
        let credited = if out.is_empty() {
            credit_lines(k, &schedule, policy, &mut lines);
            k.credit_days.clone()
        } else {
            Vec::new()
        };
        // Each piece of the period is prorated against the schedule's full
        // period that holds it, and the plan line split where the plan
        // changed.
        let pieces = pieces(&schedule, period);
        for &(piece, reference) in &pieces {
            for (segment, name, price) in plan_segments(k, piece) {
                let amount = prorate(price, reference, segment, &k.uncharged, policy.basis);
                if amount.0 != 0 {
                    lines.push(DueLine {
                        source: "plan",
                        description: name.to_owned(),
                        period: Some(segment),
                        quantity: 1,
                        unit_price: amount,
                    });
                }
            }
        }
        for (name, price, quantity) in &k.items {
            for &(piece, reference) in &pieces {
                let unit = prorate(*price, reference, piece, &k.uncharged, policy.basis);
                if unit.0 != 0 && *quantity > 0 {
                    lines.push(DueLine {
                        source: "item",
                        description: name.clone(),
                        period: Some(piece),
                        quantity: *quantity,
                        unit_price: unit,
                    });
                }
            }
        }
        let (now_accounted, later): (Vec<&PlanChange>, Vec<&PlanChange>) = unaccounted
            .into_iter()
            .partition(|c| c.effective < period.end);
        unaccounted = later;
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
            plan_changes: now_accounted.iter().map(|c| c.id).collect(),
            credited,
            bills_period: true,
        });
        cursor = period.end;
        if k.ends.is_some_and(|e| e <= cursor) {
            break;
        }
    }
    out
}

/// `period` cut at the schedule's boundaries, each piece with the full
/// schedule period holding it.
fn pieces(schedule: &Schedule, period: Period) -> Vec<(Period, Period)> {
    let mut out = Vec::new();
    let mut at = period.start;
    while at < period.end {
        let reference = schedule.containing(at);
        let end = reference.end.min(period.end);
        let Some(piece) = Period::new(at, end) else {
            break;
        };
        out.push((piece, reference));
        at = end;
    }
    out
}

/// The plan and price in force on each part of `piece`, cut where a plan
/// change not yet accounted for took effect.
fn plan_segments(k: &Contract, piece: Period) -> Vec<(Period, &str, Money)> {
    let at = |d: Date| -> (&str, Money) {
        if let Some(c) = k.plan_changes.iter().rev().find(|c| c.effective <= d) {
            (&c.to_plan, c.to_price)
        } else if let Some(c) = k.plan_changes.iter().find(|c| c.effective > d) {
            (&c.from_plan, c.from_price)
        } else {
            (&k.plan_name, k.price)
        }
    };
    let mut cuts: Vec<Date> = k
        .plan_changes
        .iter()
        .map(|c| c.effective)
        .filter(|d| piece.start < *d && *d < piece.end)
        .collect();
    cuts.sort();
    cuts.dedup();
    let mut out = Vec::new();
    let mut start = piece.start;
    for end in cuts.into_iter().chain(std::iter::once(piece.end)) {
        if let Some(segment) = Period::new(start, end) {
            let (name, price) = at(start);
            out.push((segment, name, price));
        }
        start = end;
    }
    out
}

/// The credit for billed days since spent suspended: the plan (as it was
/// on each day) and the items, for exactly those days.
fn credit_lines(k: &Contract, schedule: &Schedule, policy: &Policy, lines: &mut Vec<DueLine>) {
    for &days in &k.credit_days {
        for (piece, reference) in pieces(schedule, days) {
            let source = if k.ends.is_some_and(|e| piece.start >= e) {
                "cancellation_credit"
            } else {
                "suspension_credit"
            };
            for (segment, name, price) in plan_segments(k, piece) {
                let amount = prorate(price, reference, segment, &[], policy.basis);
                if amount.0 != 0 {
                    lines.push(DueLine {
                        source,
                        description: name.to_owned(),
                        period: Some(segment),
                        quantity: 1,
                        unit_price: Money(-amount.0),
                    });
                }
            }
            for (name, price, quantity) in &k.items {
                let unit = prorate(*price, reference, piece, &[], policy.basis);
                if unit.0 != 0 && *quantity > 0 {
                    lines.push(DueLine {
                        source,
                        description: name.clone(),
                        period: Some(piece),
                        quantity: *quantity,
                        unit_price: Money(-unit.0),
                    });
                }
            }
        }
    }
}

/// The billed days to credit: those of each billed period (with when it
/// was billed) that fall in an uncharged suspension which began after the
/// period was billed (one that began before was left out when it was
/// billed), less the days `credited` already.
pub fn owed_credits(
    billed: &[(Period, i64)],
    suspensions: &[(Period, i64)],
    credited: &[Period],
) -> Vec<Period> {
    let mut owed: Vec<Period> = Vec::new();
    for &(period, billed_at) in billed {
        for &(days, began_at) in suspensions {
            if began_at > billed_at
                && let Some(o) = period.overlap(days)
            {
                owed.push(o);
            }
        }
    }
    merge(
        owed.into_iter()
            .flat_map(|p| subtract(p, credited))
            .collect(),
    )
}

/// `days` sorted, with overlapping or touching ranges joined.
fn merge(mut days: Vec<Period>) -> Vec<Period> {
    days.sort_by_key(|p| p.start);
    let mut out: Vec<Period> = Vec::new();
    for p in days {
        match out.last_mut() {
            Some(last) if last.end >= p.start => last.end = last.end.max(p.end),
            _ => out.push(p),
        }
    }
    out
}

/// `p` without the days of `minus`.
fn subtract(p: Period, minus: &[Period]) -> Vec<Period> {
    let mut parts = vec![p];
    for m in minus {
        let mut next = Vec::with_capacity(parts.len() + 1);
        for x in parts {
            if x.overlap(*m).is_none() {
                next.push(x);
                continue;
            }
            next.extend(Period::new(x.start, m.start));
            next.extend(Period::new(m.end, x.end));
        }
        parts = next;
    }
    parts
}

/// The credit for the old plan's unused days and the charge for the new
/// plan's, from a change's effective date to the end of what is billed.
fn settle_lines(
    k: &Contract,
    schedule: &Schedule,
    c: &PlanChange,
    policy: &Policy,
    lines: &mut Vec<DueLine>,
) {
    let Some(until) = k.billed_until else { return };
    let Some(span) = Period::new(c.effective.max(k.starts), until) else {
        return;
    };
    let (mut credit, mut charge) = (0i64, 0i64);
    for (piece, reference) in pieces(schedule, span) {
        credit += prorate(c.from_price, reference, piece, &k.uncharged, policy.basis).0;
        charge += prorate(c.to_price, reference, piece, &k.uncharged, policy.basis).0;
    }
    if credit != 0 {
        lines.push(DueLine {
            source: "plan_credit",
            description: c.from_plan.clone(),
            period: Some(span),
            quantity: 1,
            unit_price: Money(-credit),
        });
    }
    if charge != 0 {
        lines.push(DueLine {
            source: "plan_charge",
            description: c.to_plan.clone(),
            period: Some(span),
            quantity: 1,
            unit_price: Money(charge),
        });
    }
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
    let spans = uncharged_spans(changes, tz, policy);
    let held = spans.last().and_then(|s| s.2);
    (spans.into_iter().map(|(p, _, _)| p).collect(), held)
}

/// Each uncharged suspension: its days, the instant it began, and for an
/// ongoing one the day it began.
fn uncharged_spans(
    changes: &[store::billing::runs::StatusChange],
    tz: &jiff::tz::TimeZone,
    policy: &Policy,
) -> Vec<(Period, i64, Option<Date>)> {
    let mut out = Vec::new();
    let mut open: Option<(Date, i64)> = None;
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
            (None, true) => open = Some((day, c.at)),
            (Some((start, at)), false) => {
                if let Some(p) = Period::new(start, day) {
                    out.push((p, at, None));
                }
                open = None;
            }
            _ => {}
        }
    }
    if let Some((start, at)) = open {
        // Until further notice: as far as any period could reach.
        if let Some(p) = Period::new(start, plus_days(start, 365 * 100)) {
            out.push((p, at, Some(start)));
        }
    }
    out
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
    let mut walk = Walk::new(&mut c).await?;
    while let Some(batch) = walk.next(&mut c, as_of, policy).await? {
        let mut contracts = std::collections::BTreeSet::new();
        // A customer's contracts are all in one batch.
        let mut discounts = super::discounts::Pending::default();
        for doc in batch.documents {
            let mut counted = false;
            for part in &doc {
                let charges = if part.first_of_contract {
                    store::billing::runs::open_charges(&mut c, part.due.contract_id).await?
                } else {
                    Vec::new()
                };
                if part.due.lines.is_empty() && charges.is_empty() {
                    continue;
                }
                contracts.insert(part.due.contract_id);
                let mut lines = compute(&part.due, &charges, &part.rates)?;
                let mut sources = sources(&part.due, &charges);
                discounts
                    .apply(&mut c, &part.due, &mut lines, &mut sources, &part.rates)
                    .await?;
                let totals = Totals::of(&lines);
                if !counted {
                    p.invoices += 1;
                    counted = true;
                }
                p.total = add(p.total, totals.total);
                let e = p.by_plan.entry(part.plan.clone()).or_default();
                e.0 += 1;
                e.1 = add(e.1, totals.total);
                for (id, amount) in totals.taxes {
                    let name = part
                        .rates
                        .iter()
                        .find(|r| r.id == id)
                        .map(|r| r.name.clone())
                        .unwrap_or_default();
                    let t = p.by_tax.entry(name).or_default();
                    *t = add(*t, amount);
                }
            }
        }
        p.contracts += contracts.len() as i64;
    }
    Ok(p)
}

/// One due period of one contract, on its way into a document.
struct Part {
    due: Due,
    rates: Vec<domain::billing::tax::TaxRate>,
    plan: String,
    /// The contract's first period in this run: its pending one-off
    /// charges go here.
    first_of_contract: bool,
}

/// What a batch of customers owes.
struct Batch {
    /// How many contracts the batch walked through.
    contracts: i64,
    /// The documents to issue: one part each, or with per-customer invoices
    /// every period of a customer due the same day.
    documents: Vec<Vec<Part>>,
}

/// Walks the billable contracts a batch of customers at a time (a
/// customer's contracts always in one batch, for per-customer invoices).
struct Walk {
    after: i64,
    /// Customers per batch ([`batch_size`]).
    customers: i64,
    tz: jiff::tz::TimeZone,
    taxes: TaxCache,
}

impl Walk {
    async fn new(c: &mut store::AnyConnection) -> Result<Walk> {
        let engine = if c.backend_name().eq_ignore_ascii_case("sqlite") {
            store::Engine::Sqlite
        } else {
            store::Engine::Postgres
        };
        Ok(Walk {
            after: 0,
            customers: batch_size(engine) as i64,
            tz: zone(c).await?,
            taxes: TaxCache::default(),
        })
    }

    async fn next(
        &mut self,
        c: &mut store::AnyConnection,
        as_of: Date,
        policy: &Policy,
    ) -> Result<Option<Batch>> {
        let rows =
            store::billing::runs::billable_by_customer(c, self.after, self.customers).await?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = last.customer_id;
        let mut pre = Prefetched::read(c, &rows).await?;
        let mut documents = Vec::new();
        let mut grouped: BTreeMap<(i64, Date), Vec<Part>> = BTreeMap::new();
        for row in &rows {
            let k = facts(c, row, &self.tz, policy, &mut pre).await?;
            let rates = self.taxes.get(c, row).await?;
            for (i, due) in due(&k, as_of, policy).into_iter().enumerate() {
                let key = (due.customer_id, due.due_date);
                let part = Part {
                    due,
                    rates: rates.clone(),
                    plan: row.plan_name.clone(),
                    first_of_contract: i == 0,
                };
                if policy.per_customer {
                    grouped.entry(key).or_default().push(part);
                } else {
                    documents.push(vec![part]);
                }
            }
        }
        documents.extend(grouped.into_values());
        Ok(Some(Batch {
            contracts: rows.len() as i64,
            documents,
        }))
    }
}

fn add(a: Money, b: Money) -> Money {
    Money(a.0.saturating_add(b.0))
}

/// Runs billing as of `as_of` here and now: issues every due document,
/// each in its own transaction, and records the run's progress as it goes.
/// Returns the run's id; its row says how many contracts and invoices it
/// did. The pages and the API queue runs as jobs instead ([`start`]).
pub async fn run(svc: &Services, caller: &Caller, as_of: Date, policy: &Policy) -> Result<i64> {
    caller.require(Permission::BillingManage)?;
    let (run_id, total) = {
        let mut tx = svc.db.begin().await?;
        let (id, total) = open_run(&mut tx, svc, caller, as_of, None).await?;
        tx.commit().await?;
        (id, total)
    };
    let outcome = run_batches(svc, caller, run_id, total, as_of, policy, None).await;
    close_run(svc, run_id, &outcome).await?;
    outcome.map(|()| run_id)
}

/// The job kind that executes a queued run (and the daily schedule's).
pub const JOB: &str = "billing-run";

/// A run queued as a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Started {
    pub run_id: i64,
    pub job_id: i64,
}

/// Queues a billing run as of `as_of` as a job (a worker node starts it at
/// once): its progress shows in the run and in the jobs list.
pub async fn start(svc: &Services, caller: &Caller, as_of: Date) -> Result<Started> {
    caller.require(Permission::BillingManage)?;
    let mut tx = svc.db.begin().await?;
    let (run_id, _) = open_run(&mut tx, svc, caller, as_of, None).await?;
    let job_id = crate::system::jobs::enqueue_in(
        &mut tx,
        JOB,
        &json!({ "run_id": run_id, "as_of": as_of.to_string() }),
        store::now(),
    )
    .await?;
    store::billing::runs::set_job(&mut tx, run_id, job_id).await?;
    tx.commit().await?;
    svc.wake_jobs();
    Ok(Started { run_id, job_id })
}

/// Opens a run's row and records its start; returns its id and how many
/// contracts it will walk through.
async fn open_run(
    tx: &mut store::WriteTx,
    svc: &Services,
    caller: &Caller,
    as_of: Date,
    job_id: Option<i64>,
) -> Result<(i64, i64)> {
    let actor = caller.actor();
    let total = store::billing::runs::count_billable(tx).await?;
    let id =
        store::billing::runs::start(tx, &as_of.to_string(), total, &actor, store::now()).await?;
    if let Some(job) = job_id {
        store::billing::runs::set_job(tx, id, job).await?;
    }
    Change::new("billing_run.start", "billing_run", id)
        .after(json!({ "as_of": as_of.to_string(), "contracts": total }))
        .record(tx, svc.db.engine(), &actor)
        .await?;
    Ok((id, total))
}

/// What the `billing-run` job does: the run its payload names (again from
/// the first contract if an earlier attempt died: nothing is issued
/// twice), or for the daily schedule a new run as of today.
pub async fn job(ctx: &JobContext) -> Result<()> {
    let svc = ctx.svc();
    let caller = Caller::system(JOB);
    let policy = super::settings::policy(svc).await?;
    let payload = ctx.payload();
    let mut tx = svc.db.begin().await?;
    let (run_id, as_of, total) = match payload.get("run_id").and_then(|v| v.as_i64()) {
        Some(id) => {
            let r = store::billing::runs::get(&mut tx, id).await?;
            let total = store::billing::runs::count_billable(&mut tx).await?;
            store::billing::runs::restart(&mut tx, id, total).await?;
            (id, date("as_of", &r.as_of)?, total)
        }
        None => {
            let today = crate::crm::today(&mut tx).await?;
            let (id, total) = open_run(&mut tx, svc, &caller, today, Some(ctx.job().id)).await?;
            (id, today, total)
        }
    };
    tx.commit().await?;
    let outcome = run_batches(svc, &caller, run_id, total, as_of, &policy, Some(ctx)).await;
    close_run(svc, run_id, &outcome).await?;
    outcome?;
    let r = {
        let mut c = svc.db.conn().await?;
        store::billing::runs::get(&mut c, run_id).await?
    };
    ctx.note(&format!(
        "run {run_id} as of {as_of}: {} contracts, {} invoices",
        r.contracts_done, r.invoices
    ))
    .await
}

async fn close_run(svc: &Services, run_id: i64, outcome: &Result<()>) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    let error = outcome.as_ref().err().map(ToString::to_string);
    store::billing::runs::finish(&mut tx, run_id, error.as_deref(), store::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// A run's row: its progress while it runs, its figures after.
pub async fn get_run(svc: &Services, caller: &Caller, id: i64) -> Result<Run> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::billing::runs::get(&mut c, id).await?)
}

/// The latest runs, newest first.
pub async fn list_runs(svc: &Services, caller: &Caller, limit: i64) -> Result<Vec<Run>> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::billing::runs::list(&mut c, limit.clamp(1, 500)).await?)
}

/// One document a run would issue for a contract, with its lines taxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewDocument {
    pub period: Period,
    pub issue_date: Date,
    pub due_date: Date,
    /// Each line with where it comes from (`plan`, `item`, `installation`,
    /// `plan_credit`, `plan_charge`, `one_off`, `discount`, `promo`).
    pub lines: Vec<(&'static str, Line)>,
    pub totals: Totals,
    /// Tax rate id → name, for the breakdown.
    pub tax_names: BTreeMap<i64, String>,
}

/// Every document a run as of `as_of` would issue for contract
/// `contract_id`, with every line, without writing anything.
pub async fn preview_contract(
    svc: &Services,
    caller: &Caller,
    as_of: Date,
    contract_id: i64,
) -> Result<Vec<PreviewDocument>> {
    caller.require(Permission::BillingView)?;
    let policy = super::settings::policy(svc).await?;
    let mut c = svc.db.conn().await?;
    let tz = zone(&mut c).await?;
    let row = store::billing::runs::billable_contract(&mut c, contract_id).await?;
    if row.status == Status::PendingInstallation.as_str() {
        return Ok(Vec::new());
    }
    let mut pre = Prefetched::read(&mut c, std::slice::from_ref(&row)).await?;
    let k = facts(&mut c, &row, &tz, &policy, &mut pre).await?;
    let rates = TaxCache::default().get(&mut c, &row).await?;
    let charges = store::billing::runs::open_charges(&mut c, contract_id).await?;
    let tax_names: BTreeMap<i64, String> = rates.iter().map(|r| (r.id, r.name.clone())).collect();
    let mut out = Vec::new();
    let mut discounts = super::discounts::Pending::default();
    for (i, d) in due(&k, as_of, &policy).into_iter().enumerate() {
        // Pending one-off charges go on the first document.
        let extra: &[Charge] = if i == 0 { &charges } else { &[] };
        if d.lines.is_empty() && extra.is_empty() {
            continue;
        }
        let mut lines = compute(&d, extra, &rates)?;
        let mut sources = sources(&d, extra);
        discounts
            .apply(&mut c, &d, &mut lines, &mut sources, &rates)
            .await?;
        let totals = Totals::of(&lines);
        let sources = sources.into_iter().map(|(s, _)| s);
        out.push(PreviewDocument {
            period: d.period,
            issue_date: d.issue_date,
            due_date: d.due_date,
            lines: sources.zip(lines).collect(),
            totals,
            tax_names: tax_names.clone(),
        });
    }
    Ok(out)
}

/// Customers the walk reads at a time, and documents written per
/// transaction (a batch's documents are one group or a few). A commit is
/// a disk flush, and on PostgreSQL each statement a round trip: a group's
/// documents are written together, a few multi-row statements for all of
/// them ([`issue_group`]), and one per document only when that fails
/// ([`issue_one_by_one`]). PostgreSQL takes twice SQLite's: its round
/// trips and commits cost more, and the process holds less (no page cache
/// of its own).
fn batch_size(engine: store::Engine) -> usize {
    match engine {
        store::Engine::Sqlite => 500,
        store::Engine::Postgres => 1_000,
    }
}

/// What writing a group of documents did.
#[derive(Default)]
struct GroupDone {
    /// One change (audit entry, event, timeline line) per document.
    changes: Vec<Change>,
    invoices: i64,
    total: i64,
    /// The error that stopped the group: the documents before the one
    /// that met it are written; the run stops.
    failed: Option<Error>,
}

async fn run_batches(
    svc: &Services,
    caller: &Caller,
    run_id: i64,
    total_contracts: i64,
    as_of: Date,
    policy: &Policy,
    job: Option<&JobContext>,
) -> Result<()> {
    // The walk reads the next batch on its own connection while this one
    // writes the last: the reads (contracts, their history, taxes) no longer
    // wait for the writes' commit, nor the writes for the reads. A batch's
    // customers are disjoint from every other batch's, and whatever a group
    // must not take twice (billed periods, one-off charges, discount
    // cycles) is read again under the batch lock in its own transaction.
    let mut batches = read_ahead(svc, as_of, policy);
    let outcome = write_batches(
        svc,
        caller,
        run_id,
        total_contracts,
        policy,
        job,
        &mut batches.rx,
    )
    .await;
    batches.reader.abort();
    outcome
}

/// The walk's batches, read by a task of their own one batch ahead of
/// the writer.
struct ReadAhead {
    rx: tokio::sync::mpsc::Receiver<Result<Batch>>,
    reader: tokio::task::JoinHandle<()>,
}

fn read_ahead(svc: &Services, as_of: Date, policy: &Policy) -> ReadAhead {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let db = svc.db.clone();
    let policy = policy.clone();
    let reader = tokio::spawn(async move {
        let read = async {
            let mut c = db.conn().await?;
            let mut walk = Walk::new(&mut c).await?;
            while let Some(batch) = walk.next(&mut c, as_of, &policy).await? {
                if tx.send(Ok(batch)).await.is_err() {
                    // The writer stopped.
                    break;
                }
            }
            Ok::<(), Error>(())
        };
        if let Err(e) = read.await {
            let _ = tx.send(Err(e)).await;
        }
    });
    ReadAhead { rx, reader }
}

async fn write_batches(
    svc: &Services,
    caller: &Caller,
    run_id: i64,
    total_contracts: i64,
    policy: &Policy,
    job: Option<&JobContext>,
    batches: &mut tokio::sync::mpsc::Receiver<Result<Batch>>,
) -> Result<()> {
    let actor = caller.actor();
    let mut done = 0;
    while let Some(batch) = batches.recv().await {
        let batch = batch?;
        let (mut invoices, mut total) = (0, 0i64);
        let mut failed = None;
        let groups: Vec<&[Vec<Part>]> = batch
            .documents
            .chunks(batch_size(svc.db.engine()))
            .collect();
        let mut counted = false;
        for (n, group) in groups.iter().enumerate() {
            let mut tx = svc.db.begin().await?;
            // Concurrent runs' groups follow each other rather than each
            // holding a row (a billed period, the number series) the other
            // waits for.
            store::billing::runs::lock_batch(&mut tx, svc.db.engine()).await?;
            let g = match issue_group(&mut tx, run_id, group, policy).await {
                Ok(Some(g)) => g,
                outcome => {
                    // Something the checks before writing did not foresee
                    // (a period billed by a writer that skips the lock, a
                    // refused row): the group again, a savepoint per
                    // document, so one bad document keeps the others.
                    if let Err(e) = outcome {
                        tracing::debug!(error = %e, "billing group written one document at a time");
                    }
                    tx.rollback().await?;
                    tx = svc.db.begin().await?;
                    store::billing::runs::lock_batch(&mut tx, svc.db.engine()).await?;
                    issue_one_by_one(&mut tx, run_id, group, policy).await?
                }
            };
            crate::change::record_all(&mut tx, svc.db.engine(), &actor, &g.changes).await?;
            invoices += g.invoices;
            total = total.saturating_add(g.total);
            // The batch's figures go with its last group (one commit fewer
            // per batch, and the run's row agrees with what is written).
            if n + 1 == groups.len() || g.failed.is_some() {
                store::billing::runs::progress(&mut tx, run_id, batch.contracts, invoices, total)
                    .await?;
                counted = true;
            }
            tx.commit().await?;
            if g.failed.is_some() {
                failed = g.failed;
                break;
            }
        }
        if !counted {
            let mut tx = svc.db.begin().await?;
            store::billing::runs::progress(&mut tx, run_id, batch.contracts, invoices, total)
                .await?;
            tx.commit().await?;
        }
        if let Some(e) = failed {
            return Err(e);
        }
        done += batch.contracts;
        if let Some(ctx) = job {
            ctx.progress(done, total_contracts.max(done), "contracts")
                .await?;
        }
    }
    Ok(())
}

/// Writes a group's documents one at a time, each inside a savepoint: a
/// document is whole or absent, and an error keeps the documents before
/// it.
async fn issue_one_by_one(
    tx: &mut store::WriteTx,
    run_id: i64,
    group: &[Vec<Part>],
    policy: &Policy,
) -> Result<GroupDone> {
    let mut g = GroupDone {
        changes: Vec::with_capacity(group.len()),
        ..GroupDone::default()
    };
    for doc in group {
        store::billing::runs::savepoint(tx).await?;
        match issue(tx, run_id, doc, policy).await {
            Ok(Issued::Document(t, change)) => {
                store::billing::runs::release(tx).await?;
                g.changes.push(*change);
                g.invoices += 1;
                g.total = g.total.saturating_add(t.0);
            }
            Ok(Issued::Nothing) => store::billing::runs::release(tx).await?,
            Ok(Issued::Taken) => {
                store::billing::runs::roll_back_to_savepoint(tx).await?;
            }
            Err(e) => {
                // Keep the group's other documents; stop the run.
                store::billing::runs::roll_back_to_savepoint(tx).await?;
                g.failed = Some(e);
                break;
            }
        }
    }
    Ok(g)
}

/// A document computed before anything is written: its lines taxed and
/// discounted, its totals and the series it takes a number from.
struct Computed<'a> {
    parts: &'a [Part],
    lines: Vec<Line>,
    /// Each line's source, one-off charge and due period.
    origin: Vec<(&'static str, Option<i64>, &'a Part)>,
    totals: Totals,
    kind: &'static str,
    series: &'a invoice::Series,
    /// A credit note closing a contract canceled within days billed ahead.
    closing: bool,
    /// For a closing credit note, the invoice (id, number) it credits.
    credited_invoice: Option<(i64, String)>,
    public_id: String,
    /// The contract, when all the parts are of one.
    contract_id: Option<i64>,
}

impl Computed<'_> {
    fn first(&self) -> &Due {
        &self.parts[0].due
    }
}

/// Computes the document of `parts` (not empty) with the one-off charges
/// of each part, the running discounts as `discounts` carries them, and for
/// a closing credit note the invoice it credits (read in `c`).
async fn compute_document<'a>(
    c: &mut store::AnyConnection,
    parts: &'a [Part],
    charges: &[Vec<Charge>],
    discounts: &mut super::discounts::Pending,
    policy: &'a Policy,
) -> Result<Computed<'a>> {
    let first = &parts[0].due;
    let mut lines = Vec::new();
    let mut origin = Vec::new();
    for (p, charges) in parts.iter().zip(charges) {
        let mut computed = compute(&p.due, charges, &p.rates)?;
        let mut computed_sources = sources(&p.due, charges);
        discounts
            .apply(
                &mut *c,
                &p.due,
                &mut computed,
                &mut computed_sources,
                &p.rates,
            )
            .await?;
        for (l, (source, charge)) in computed.into_iter().zip(computed_sources) {
            lines.push(l);
            origin.push((source, charge, p));
        }
    }
    let totals = Totals::of(&lines);
    let closing = parts.iter().all(|p| !p.due.bills_period);
    let (kind, series) = if closing {
        ("credit_note", &policy.credit_note_series)
    } else {
        ("invoice", &policy.invoice_series)
    };
    let credited_invoice = if closing {
        let day = first.period.start.to_string();
        store::billing::runs::invoice_billing(&mut *c, first.contract_id, &day).await?
    } else {
        None
    };
    let contract_id = parts
        .iter()
        .all(|p| p.due.contract_id == first.contract_id)
        .then_some(first.contract_id);
    Ok(Computed {
        parts,
        lines,
        origin,
        totals,
        kind,
        series,
        closing,
        credited_invoice,
        public_id: super::public_id(),
        contract_id,
    })
}

/// Writes a group's documents in the caller's transaction with a few
/// multi-row statements: what it reads (one-off charges, discounts, the
/// periods billed already) is read for the whole group first, under the
/// batch lock; every document is computed; then each table is written
/// once for all of them, the numbers taken as one block per series (a
/// rollback gives the block back, as it gives a single number back). A
/// document whose period is billed already is left out; one that fails to
/// compute stops the group there (the documents before it are written, as
/// [`issue_one_by_one`] would). `None` when a write finds what the reads
/// did not (a period, a credited day or a discount cycle taken meanwhile
/// by a writer outside the lock): the caller rolls back and issues the
/// group one document at a time.
async fn issue_group(
    tx: &mut store::WriteTx,
    run_id: i64,
    group: &[Vec<Part>],
    policy: &Policy,
) -> Result<Option<GroupDone>> {
    let now = store::now();
    let all = || group.iter().flatten();
    let mut contracts: Vec<i64> = all().map(|p| p.due.contract_id).collect();
    contracts.sort_unstable();
    contracts.dedup();
    let firsts: Vec<i64> = all()
        .filter(|p| p.first_of_contract)
        .map(|p| p.due.contract_id)
        .collect();
    let mut charges: HashMap<i64, Vec<Charge>> = HashMap::new();
    for ch in store::billing::runs::open_charges_for(&mut *tx, &firsts).await? {
        charges.entry(ch.contract_id).or_default().push(ch);
    }
    let from = all()
        .filter(|p| p.due.bills_period)
        .map(|p| p.due.period.start)
        .min();
    let billed: std::collections::HashSet<(i64, String)> = match from {
        Some(from) => store::billing::runs::billed_from(&mut *tx, &contracts, &from.to_string())
            .await?
            .into_iter()
            .collect(),
        None => Default::default(),
    };
    let mut discounts = super::discounts::Pending::default();
    discounts.prefetch(&mut *tx, &contracts).await?;

    // Every document computed first; `None`: nothing to invoice, the
    // periods are only recorded as billed.
    let mut ready: Vec<(&[Part], Option<Computed>)> = Vec::with_capacity(group.len());
    let mut failed = None;
    for parts in group {
        if parts.is_empty() {
            continue;
        }
        // Another run or node billed a period first: the document is
        // theirs.
        if parts.iter().any(|p| {
            p.due.bills_period
                && billed.contains(&(p.due.contract_id, p.due.period.start.to_string()))
        }) {
            continue;
        }
        let doc_charges: Vec<Vec<Charge>> = parts
            .iter()
            .map(|p| {
                if p.first_of_contract {
                    charges.remove(&p.due.contract_id).unwrap_or_default()
                } else {
                    Vec::new()
                }
            })
            .collect();
        if parts
            .iter()
            .zip(&doc_charges)
            .all(|(p, c)| p.due.lines.is_empty() && c.is_empty())
        {
            ready.push((parts, None));
            continue;
        }
        let mark = discounts.mark();
        match compute_document(&mut *tx, parts, &doc_charges, &mut discounts, policy).await {
            Ok(doc) => ready.push((parts, Some(doc))),
            Err(e) => {
                discounts.rewind(mark);
                failed = Some(e);
                break;
            }
        }
    }
    let docs: Vec<&Computed> = ready.iter().filter_map(|r| r.1.as_ref()).collect();

    // The numbers: one block per series and year, handed out in order.
    let mut blocks: BTreeMap<(&str, i64), (i64, i64)> = BTreeMap::new();
    for d in &docs {
        let year = series_year(d.series, d.first().issue_date);
        blocks.entry((d.kind, year)).or_default().1 += 1;
    }
    for ((kind, year), (next, n)) in &mut blocks {
        *next = store::billing::documents::reserve_numbers(&mut *tx, kind, *year, *n).await?;
    }
    let mut numbers = Vec::with_capacity(docs.len());
    for d in &docs {
        let issue = d.first().issue_date;
        let Some((next, _)) = blocks.get_mut(&(d.kind, series_year(d.series, issue))) else {
            return Err(Error::Internal(format!("no number block for {}", d.kind)));
        };
        numbers.push(d.series.number(issue.year(), *next));
        *next += 1;
    }

    let dates: Vec<(String, String)> = docs
        .iter()
        .map(|d| {
            (
                d.first().issue_date.to_string(),
                d.first().due_date.to_string(),
            )
        })
        .collect();
    let headers: Vec<NewDocument> = docs
        .iter()
        .zip(&numbers)
        .zip(&dates)
        .map(|((d, number), (issue_date, due_date))| NewDocument {
            kind: d.kind,
            status: "issued",
            number: Some(number),
            public_id: &d.public_id,
            customer_id: d.first().customer_id,
            contract_id: d.contract_id,
            issue_date: Some(issue_date),
            due_date,
            totals: stored_totals(&d.lines, &d.totals),
            credits_invoice_id: d.credited_invoice.as_ref().map(|i| i.0),
            billing_run_id: Some(run_id),
            notes: "",
        })
        .collect();
    let ids = store::billing::documents::insert_many(&mut *tx, &headers, now).await?;

    // The billed periods (a second writer stops here), then the plan
    // changes and credited days they account for.
    let mut periods = Vec::new();
    let mut written = ids.iter();
    let mut accounted = Vec::new();
    for (parts, doc) in &ready {
        let id = match doc {
            Some(_) => written.next().copied(),
            None => None,
        };
        for p in *parts {
            let d = &p.due;
            if d.bills_period {
                let (start, end) = (d.period.start.to_string(), d.period.end.to_string());
                periods.push((d.contract_id, start, end, id));
            }
            accounted.push((d, id));
        }
    }
    let marked = store::billing::runs::mark_billed_many(&mut *tx, &periods, now).await?;
    if marked != periods.len() as u64 {
        return Ok(None);
    }
    for (d, id) in accounted {
        if !mark_accounted(tx, d, id, now).await? {
            return Ok(None);
        }
    }
    if !discounts.record_group(&mut *tx, now).await? {
        return Ok(None);
    }

    let mut lines = Vec::new();
    let mut line_charges = Vec::new();
    for (d, id) in docs.iter().zip(&ids) {
        for (i, (l, (source, charge, p))) in d.lines.iter().zip(&d.origin).enumerate() {
            lines.push((*id, new_line(i, source, &p.due, l, &p.rates)));
            line_charges.push(*charge);
        }
    }
    let line_ids = store::billing::documents::insert_lines_many(&mut *tx, &lines).await?;
    for (charge, line_id) in line_charges.iter().zip(&line_ids) {
        if let Some(charge) = charge
            && !store::billing::runs::charge_billed(&mut *tx, *charge, *line_id).await?
        {
            return Ok(None);
        }
    }
    // E-mailed to the customers once committed (as `issue` does).
    store::system::outbox::enqueue_documents(&mut *tx, &ids, now).await?;
    // Whatever else `issue` does per document after writing it is done
    // here for the group, `ids[i]` being `docs[i]`'s id: credit (customers
    // who paid ahead or too much) pays the new invoices at once, found for
    // the whole group in one read; a closing credit note gives back what
    // its invoice held beyond it.
    let customers: Vec<i64> = docs.iter().map(|d| d.first().customer_id).collect();
    let with_credit = store::payments::customers_with_credit(&mut *tx, &customers).await?;
    for (d, id) in docs.iter().zip(&ids) {
        let first = d.first();
        let day = first.issue_date.to_string();
        match &d.credited_invoice {
            Some((invoice_id, _)) if d.closing => {
                crate::payments::release_excess(tx, *invoice_id, &day).await?;
            }
            _ if with_credit.contains(&first.customer_id) => {
                crate::payments::apply_credit(tx, first.customer_id, *id, &day).await?;
            }
            _ => {}
        }
    }

    let mut g = GroupDone {
        changes: Vec::with_capacity(docs.len()),
        failed,
        ..GroupDone::default()
    };
    for ((d, id), number) in docs.iter().zip(&ids).zip(&numbers) {
        g.invoices += 1;
        g.total = g.total.saturating_add(d.totals.total.0);
        g.changes.push(issued_change(run_id, *id, d, number));
    }
    Ok(Some(g))
}

/// What [`issue`] did with a document.
enum Issued {
    /// Written, with its total and the change to record (audit entry,
    /// event, timeline line).
    Document(Money, Box<Change>),
    /// Nothing to invoice: the periods are recorded as billed.
    Nothing,
    /// Someone else billed a period first: the caller drops what this
    /// wrote.
    Taken,
}

/// Writes one document in the caller's transaction (inside a savepoint):
/// the invoice with its number, the billed periods (a second writer stops
/// there), its lines with their taxes, the one-off charges, plan changes
/// and credited days it accounts for.
async fn issue(
    tx: &mut store::WriteTx,
    run_id: i64,
    parts: &[Part],
    policy: &Policy,
) -> Result<Issued> {
    if parts.is_empty() {
        return Ok(Issued::Nothing);
    }
    let now = store::now();
    let mut charges = Vec::with_capacity(parts.len());
    for p in parts {
        charges.push(if p.first_of_contract {
            store::billing::runs::open_charges(&mut *tx, p.due.contract_id).await?
        } else {
            Vec::new()
        });
    }
    let empty = parts
        .iter()
        .zip(&charges)
        .all(|(p, c)| p.due.lines.is_empty() && c.is_empty());
    if empty {
        for p in parts {
            if !mark_billed(tx, &p.due, None, now).await? {
                return Ok(Issued::Taken);
            }
        }
        return Ok(Issued::Nothing);
    }
    // Read in this transaction: the counts are what the last document left.
    let mut discounts = super::discounts::Pending::default();
    let d = compute_document(&mut *tx, parts, &charges, &mut discounts, policy).await?;
    let first = d.first();
    let seq = store::billing::documents::next_number(
        &mut *tx,
        d.kind,
        series_year(d.series, first.issue_date),
    )
    .await?;
    let number = d.series.number(first.issue_date.year(), seq);
    let id = store::billing::documents::insert(
        &mut *tx,
        &NewDocument {
            kind: d.kind,
            status: "issued",
            number: Some(&number),
            public_id: &d.public_id,
            customer_id: first.customer_id,
            contract_id: d.contract_id,
            issue_date: Some(&first.issue_date.to_string()),
            due_date: &first.due_date.to_string(),
            totals: stored_totals(&d.lines, &d.totals),
            credits_invoice_id: d.credited_invoice.as_ref().map(|i| i.0),
            billing_run_id: Some(run_id),
            notes: "",
        },
        now,
    )
    .await?;
    for p in parts {
        if !mark_billed(&mut *tx, &p.due, Some(id), now).await? {
            // Another run or node billed this period first: drop ours whole.
            return Ok(Issued::Taken);
        }
    }
    discounts.record(&mut *tx, now).await?;
    for (i, (l, (source, charge, p))) in d.lines.iter().zip(&d.origin).enumerate() {
        let line_id = store::billing::documents::insert_line(
            &mut *tx,
            id,
            &new_line(i, source, &p.due, l, &p.rates),
        )
        .await?;
        if let Some(charge) = *charge
            && !store::billing::runs::charge_billed(&mut *tx, charge, line_id).await?
        {
            return Err(Error::Internal(format!("charge {charge} was billed twice")));
        }
    }
    // E-mailed to the customer once committed (the PDF is rendered when the
    // outbox sends it, not here).
    super::mail::queue_in(&mut *tx, id).await?;
    // A customer who paid ahead (or too much) has credit: it pays the new
    // invoice at once, in its transaction.
    // A closing credit note gives back what its invoice held beyond it.
    let day = first.issue_date.to_string();
    match &d.credited_invoice {
        Some((invoice_id, _)) if d.closing => {
            crate::payments::release_excess(tx, *invoice_id, &day).await?;
        }
        _ => {
            crate::payments::apply_credit(tx, first.customer_id, id, &day).await?;
        }
    }
    let change = issued_change(run_id, id, &d, &number);
    Ok(Issued::Document(d.totals.total, Box::new(change)))
}

/// The change recorded for an issued document `id` numbered `number`: its
/// audit entry, its event (invoice or credit note issued) and the line on
/// the customer's timeline.
fn issued_change(run_id: i64, id: i64, d: &Computed, number: &str) -> Change {
    let first = d.first();
    let (event, timeline) = match &d.credited_invoice {
        Some((invoice_id, invoice_number)) if d.closing => (
            DomainEvent::from(CreditNoteIssued {
                credit_note_id: id,
                invoice_id: *invoice_id,
                customer_id: first.customer_id,
                number: number.to_owned(),
                invoice_number: invoice_number.clone(),
                total: Money(-d.totals.total.0),
            }),
            EventKind::CreditNoteIssued,
        ),
        _ => (
            DomainEvent::from(InvoiceIssued {
                invoice_id: id,
                customer_id: first.customer_id,
                contract_id: d.contract_id,
                number: number.to_owned(),
                total: d.totals.total,
                due_date: first.due_date,
                billing_run_id: Some(run_id),
            }),
            EventKind::InvoiceIssued,
        ),
    };
    let periods: Vec<_> = d
        .parts
        .iter()
        .map(|p| {
            json!({
                "contract_id": p.due.contract_id,
                "start": p.due.period.start.to_string(),
                "end": p.due.period.end.to_string(),
            })
        })
        .collect();
    Change::new(
        if d.closing {
            "credit_note.issue"
        } else {
            "invoice.issue"
        },
        "invoice",
        id,
    )
    .after(json!({
        "number": number, "customer_id": first.customer_id, "periods": periods,
        "total": d.totals.total, "billing_run_id": run_id,
    }))
    .timeline(
        first.customer_id,
        timeline,
        if d.closing {
            format!("Credit note {number} issued")
        } else {
            format!("Invoice {number} issued")
        },
    )
    .timeline_data(event.payload())
    .event(event)
}

/// Records `d`'s period as billed by `invoice_id` (none when it charged
/// nothing), with the plan changes it accounts for. `false` when someone
/// billed the period first: the caller drops its transaction.
async fn mark_billed(
    tx: &mut store::WriteTx,
    d: &Due,
    invoice_id: Option<i64>,
    now: i64,
) -> Result<bool> {
    let (start, end) = (d.period.start.to_string(), d.period.end.to_string());
    if d.bills_period
        && !store::billing::runs::mark_billed(tx, d.contract_id, &start, &end, invoice_id, now)
            .await?
    {
        return Ok(false);
    }
    mark_accounted(tx, d, invoice_id, now).await
}

/// Records the plan changes and credited days `d` accounts for, on
/// `invoice_id`. `false` when someone credited the days first.
async fn mark_accounted(
    tx: &mut store::WriteTx,
    d: &Due,
    invoice_id: Option<i64>,
    now: i64,
) -> Result<bool> {
    for &change in &d.plan_changes {
        store::billing::runs::plan_change_billed(tx, change, invoice_id, now).await?;
    }
    for days in &d.credited {
        let (start, end) = (days.start.to_string(), days.end.to_string());
        if !store::billing::runs::credit_days(tx, d.contract_id, &start, &end, invoice_id, now)
            .await?
        {
            return Ok(false);
        }
    }
    Ok(true)
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
    pre: &mut Prefetched,
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
    let changes = pre.changes.remove(&row.id).unwrap_or_default();
    let spans = uncharged_spans(&changes, tz, policy);
    let held_from = spans.last().and_then(|s| s.2);
    let uncharged: Vec<Period> = spans.iter().map(|s| s.0).collect();
    let ends = row
        .end_date
        .as_deref()
        .map(|e| date("end_date", e))
        .transpose()?;
    let billed_until = row
        .billed_until
        .as_deref()
        .map(|e| date("period_end", e))
        .transpose()?;
    // Days after a cancellation that were billed ahead.
    let after_end = ends
        .zip(billed_until)
        .and_then(|(end, until)| Period::new(end, until));
    // Only a contract suspended or canceled early can be owed days back.
    let credit_days = if (spans.is_empty() && after_end.is_none()) || billed_until.is_none() {
        Vec::new()
    } else {
        let (billed, credited) = pre.history(c, row.id).await?;
        let billed = billed
            .into_iter()
            .map(|b| {
                let p = Period::new(
                    date("period_start", &b.period_start)?,
                    date("period_end", &b.period_end)?,
                );
                Ok(p.map(|p| (p, b.billed_at)))
            })
            .collect::<Result<Vec<_>>>()?;
        let credited = credited
            .into_iter()
            .map(|(a, b)| {
                Ok(Period::new(
                    date("period_start", &a)?,
                    date("period_end", &b)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let credited: Vec<Period> = credited.into_iter().flatten().collect();
        let suspensions: Vec<(Period, i64)> = spans.iter().map(|s| (s.0, s.1)).collect();
        let mut owed = owed_credits(
            &billed.into_iter().flatten().collect::<Vec<_>>(),
            &suspensions,
            &credited,
        );
        if let Some(after) = after_end {
            owed.extend(subtract(after, &credited));
        }
        merge(owed)
    };
    let plan_changes = pre
        .plan_changes
        .remove(&row.id)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            Ok(PlanChange {
                id: p.id,
                effective: date("effective_date", &p.effective_date)?,
                from_plan: p.from_plan,
                from_price: Money(p.from_price),
                to_plan: p.to_plan,
                to_price: Money(p.to_price),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let items = pre
        .items
        .remove(&row.id)
        .unwrap_or_default()
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
        ends,
        billed_until,
        installation_fee: Money(row.installation_fee),
        installments: u32::try_from(row.installation_installments.max(1)).unwrap_or(1),
        installments_billed: u32::try_from(row.installments_billed.max(0)).unwrap_or(0),
        items,
        uncharged,
        held_from,
        plan_changes,
        credit_days,
    })
}

/// What a batch's contracts need besides their rows, read in a few
/// queries rather than a few per contract.
#[derive(Default)]
struct Prefetched {
    changes: HashMap<i64, Vec<store::billing::runs::StatusChange>>,
    plan_changes: HashMap<i64, Vec<store::billing::runs::PlanChange>>,
    items: HashMap<i64, Vec<store::contracts::Item>>,
    /// The billed periods and credited days of the contracts that may be
    /// owed days back (ever suspended, or canceled), read for those only.
    history: HashMap<i64, ContractHistory>,
}

type ContractHistory = (
    Vec<store::billing::runs::BilledPeriod>,
    Vec<(String, String)>,
);

impl Prefetched {
    async fn read(c: &mut store::AnyConnection, rows: &[Billable]) -> Result<Prefetched> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut pre = Prefetched::default();
        for x in store::billing::runs::status_changes_for(c, &ids).await? {
            pre.changes.entry(x.contract_id).or_default().push(x);
        }
        for x in store::billing::runs::unbilled_plan_changes_for(c, &ids).await? {
            pre.plan_changes.entry(x.contract_id).or_default().push(x);
        }
        for x in store::billing::runs::items_for(c, &ids).await? {
            pre.items.entry(x.contract_id).or_default().push(x);
        }
        let suspended = Status::Suspended.as_str();
        let owed: Vec<i64> = rows
            .iter()
            .filter(|r| {
                r.billed_until.is_some()
                    && (r.end_date.is_some()
                        || pre
                            .changes
                            .get(&r.id)
                            .is_some_and(|cs| cs.iter().any(|x| x.to_status == suspended)))
            })
            .map(|r| r.id)
            .collect();
        for &id in &owed {
            pre.history.insert(id, Default::default());
        }
        for (id, start, end, at) in store::billing::runs::billed_periods_for(c, &owed).await? {
            if let Some(h) = pre.history.get_mut(&id) {
                h.0.push(store::billing::runs::BilledPeriod {
                    period_start: start,
                    period_end: end,
                    billed_at: at,
                });
            }
        }
        for (id, start, end) in store::billing::runs::credited_days_for(c, &owed).await? {
            if let Some(h) = pre.history.get_mut(&id) {
                h.1.push((start, end));
            }
        }
        Ok(pre)
    }

    /// The billed periods and credited days of `contract_id`: as read
    /// for the batch, else read now.
    async fn history(
        &mut self,
        c: &mut store::AnyConnection,
        contract_id: i64,
    ) -> Result<ContractHistory> {
        if let Some(h) = self.history.remove(&contract_id) {
            return Ok(h);
        }
        Ok((
            store::billing::runs::billed_periods(c, contract_id).await?,
            store::billing::runs::credited_days(c, contract_id).await?,
        ))
    }
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
            plan_changes: vec![],
            credit_days: vec![],
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
    fn a_folded_first_period_goes_on_the_first_full_invoice() {
        let k = contract(BillingMode::Postpaid);
        let p = Policy {
            fold_first_period: true,
            ..Policy::default()
        };
        // January 25 – February 10 waits for February 10 – March 10.
        assert!(due(&k, date(2026, 2, 10), &p).is_empty());
        let d = due(&k, date(2026, 3, 10), &p);
        assert_eq!(periods(&d), vec![(date(2026, 1, 25), date(2026, 3, 10))]);
        let plan: Vec<(Option<Period>, Money)> = d[0]
            .lines
            .iter()
            .filter(|l| l.source == "plan")
            .map(|l| (l.period, l.unit_price))
            .collect();
        assert_eq!(
            plan,
            vec![
                (
                    Period::new(date(2026, 1, 25), date(2026, 2, 10)),
                    Money(5_156)
                ),
                (
                    Period::new(date(2026, 2, 10), date(2026, 3, 10)),
                    Money(9_990)
                ),
            ]
        );
    }

    #[test]
    fn billed_days_later_suspended_are_owed_back_once() {
        let p = |a: Date, b: Date| Period::new(a, b).unwrap();
        let jan = p(date(2026, 1, 10), date(2026, 2, 10));
        let feb = p(date(2026, 2, 10), date(2026, 3, 10));
        let billed = [(jan, 100), (feb, 300)];
        // Suspended January 20 – February 15, beginning after January was
        // billed (at 100) but before February was (at 300): February
        // was billed without those days.
        let suspensions = [(p(date(2026, 1, 20), date(2026, 2, 15)), 200)];
        assert_eq!(
            owed_credits(&billed, &suspensions, &[]),
            [p(date(2026, 1, 20), date(2026, 2, 10))]
        );
        // Part credited already: only the rest.
        assert_eq!(
            owed_credits(
                &billed,
                &suspensions,
                &[p(date(2026, 1, 20), date(2026, 1, 25))]
            ),
            [p(date(2026, 1, 25), date(2026, 2, 10))]
        );
        assert!(
            owed_credits(
                &billed,
                &suspensions,
                &[p(date(2026, 1, 1), date(2026, 3, 1))]
            )
            .is_empty()
        );
        // A suspension that began before the billing was left out then.
        assert!(owed_credits(&[(jan, 300)], &suspensions, &[]).is_empty());
    }

    #[test]
    fn credited_days_are_charged_back_at_the_plan_in_force() {
        let mut k = contract(BillingMode::Prepaid);
        k.starts = date(2026, 1, 10);
        k.installation_fee = Money(0);
        k.billed_until = Some(date(2026, 2, 10));
        k.credit_days = vec![Period::new(date(2026, 1, 20), date(2026, 2, 10)).unwrap()];
        let d = due(&k, date(2026, 1, 31), &Policy::default());
        assert_eq!(d.len(), 1);
        let credit: Vec<(&str, Money)> = d[0]
            .lines
            .iter()
            .map(|l| (l.source, l.unit_price))
            .collect();
        // 21 of January 10 – February 10's 31 days.
        assert_eq!(
            credit,
            [("suspension_credit", Money(-6_767)), ("plan", Money(9_990))]
        );
        assert_eq!(d[0].credited, k.credit_days);
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
