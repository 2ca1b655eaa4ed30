//! Payments in the books: money received from customers, applied to their
//! invoices, and given or taken back.
//!
//! - [`record`] / [`record_in`]: a payment, applied to the invoice the
//!   payer named, then to the customer's oldest open invoices by due date;
//!   what is left is the customer's credit, which [`apply_credit`] puts on
//!   the next invoice a billing run issues. A payment a gateway delivers
//!   again (same `gateway` and `reference`) is recorded once: the second
//!   call returns the first row with `duplicate: true`.
//! - [`refund`]: money given back: the payment's unapplied money first,
//!   then its newest allocations (those invoices are open again).
//! - [`reverse`]: a payment that did not hold (bounced transfer,
//!   chargeback): everything left of it is taken back.
//!
//! Rows are never edited: refunds and reversals are rows of their own. The
//! `*_in` forms run in the caller's transaction, for gateway webhooks and
//! reconciliation that write their own rows beside.
//!
//! Staff need `payments.record` for payments by hand (cash, bank transfer,
//! other), `payments.refund` for refunds and reversals and
//! `payments.view` to read; money from a gateway (Pix, boleto, cards) is
//! recorded by the system caller (webhooks, reconciliation jobs).

pub mod gateways;
pub mod receipt;
pub mod recon;

use std::collections::HashMap;

use domain::Money;
use domain::Permission;
use domain::crm::timeline::EventKind;
use domain::event::{DomainEvent, PaymentReceived, PaymentRefunded, PaymentReversed};
use domain::payments::{InvoiceStatus, Kind, Method};
use domain::validate;
use serde_json::json;
use store::WriteTx;
use store::payments::{NewAllocation, NewPayment as StoredNew};
// The row types callers read, so interfaces need not name the store.
pub use store::payments::{Allocation, Filter, Payment};

use crate::{Caller, Change, Error, Result, Services, check};

/// The receipt number series: `REC2026-000001`.
pub fn receipt_series() -> domain::billing::invoice::Series {
    domain::billing::invoice::Series {
        prefix: "REC{year}-".into(),
        digits: 6,
    }
}

/// A payment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub customer_id: i64,
    pub method: Method,
    /// More than zero.
    pub amount: Money,
    /// `YYYY-MM-DD`; not after today.
    pub received_on: String,
    /// The invoice the payer named (applied first).
    pub invoice_id: Option<i64>,
    /// Who delivered it (`efi`, `stripe`, a bank's code…) and its id
    /// there; both or neither.
    pub gateway: Option<String>,
    pub reference: Option<String>,
    /// The gateway's or bank's fee (informational).
    pub fee: Money,
    pub notes: String,
}

/// What [`record`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    pub payment: Payment,
    /// Where its money went (empty for a duplicate: see the first call's).
    pub allocations: Vec<Allocation>,
    /// What the customer has in credit after it.
    pub credit_left: i64,
    /// The same `(gateway, reference)` was recorded before: nothing
    /// changed and `payment` is that row.
    pub duplicate: bool,
}

fn validate_new(p: &NewPayment, today: jiff::civil::Date) -> Result<jiff::civil::Date> {
    if p.amount.0 <= 0 {
        return Err(Error::invalid_msg("amount", "must be more than zero"));
    }
    if p.fee.0 < 0 {
        return Err(Error::invalid_msg("fee", "must not be negative"));
    }
    if p.fee.0 > p.amount.0 {
        return Err(Error::invalid_msg(
            "fee",
            "must not be more than the amount",
        ));
    }
    let day = validate::date(&p.received_on).map_err(|e| Error::invalid("received_on", e))?;
    if day > today {
        return Err(Error::invalid_msg(
            "received_on",
            "must not be in the future",
        ));
    }
    match (&p.gateway, &p.reference) {
        (Some(g), Some(r)) => {
            check("gateway", validate::required(g, 40))?;
            check("reference", validate::required(r, 200))?;
        }
        (None, None) => {}
        (None, Some(_)) => return Err(Error::invalid("gateway", validate::FieldError::Required)),
        (Some(_), None) => return Err(Error::invalid("reference", validate::FieldError::Required)),
    }
    check("notes", validate::optional_multiline(&p.notes, 1000))?;
    Ok(day)
}

/// Who may record a payment by `method`: staff holding `payments.record`
/// for money handled by hand; the system and the console for any.
pub fn may_record(caller: &Caller, method: Method) -> Result<()> {
    match caller {
        Caller::Staff { .. } => {
            caller.require(Permission::PaymentsRecord)?;
            if method.is_manual() {
                Ok(())
            } else {
                Err(Error::invalid_msg(
                    "method",
                    "is recorded by its gateway; record cash, bank transfer or other by hand",
                ))
            }
        }
        Caller::Customer { .. } => Err(Error::Forbidden(Permission::PaymentsRecord.code())),
        Caller::System { .. } | Caller::Cli { .. } => Ok(()),
    }
}

/// Records a payment in its own transaction (see [`record_in`]).
pub async fn record(svc: &Services, caller: &Caller, p: &NewPayment) -> Result<Recorded> {
    may_record(caller, p.method)?;
    let mut tx = svc.db.begin().await?;
    let r = record_in(&mut tx, caller, p).await?;
    tx.commit().await?;
    Ok(r)
}

/// Records a payment in the caller's transaction: checks who calls and
/// the input (naming the field), returns the earlier row for a repeated
/// `(gateway, reference)` without writing anything, else writes the
/// payment with its receipt number, applies it (the named invoice, then
/// the oldest due), queues its receipt e-mail and records the change
/// (audit entry, `PaymentReceived` event, timeline line).
pub async fn record_in(tx: &mut WriteTx, caller: &Caller, p: &NewPayment) -> Result<Recorded> {
    may_record(caller, p.method)?;
    let today = crate::crm::today(tx).await?;
    let day = validate_new(p, today)?;
    if let (Some(g), Some(r)) = (&p.gateway, &p.reference)
        && let Some(existing) = store::payments::by_reference(tx, g.trim(), r.trim()).await?
    {
        return duplicate(tx, existing).await;
    }
    let engine = tx.engine();
    store::payments::lock_account(tx, engine, p.customer_id)
        .await
        .map_err(|e| match e {
            store::Error::NotFound => Error::invalid_msg("customer_id", "no such customer"),
            other => other.into(),
        })?;
    let named = match p.invoice_id {
        Some(id) => {
            let inv = store::payments::invoice_amounts(tx, id).await.ok();
            match inv {
                Some(i) if i.customer_id == p.customer_id && i.status == "issued" => Some(i),
                _ => {
                    return Err(Error::invalid_msg(
                        "invoice_id",
                        format!("{id} is not an issued invoice of this customer"),
                    ));
                }
            }
        }
        None => None,
    };
    let actor = caller.actor();
    let public_id = crate::billing::public_id();
    let received_on = day.to_string();
    let now = store::now();
    let (gateway, reference) = (
        p.gateway.as_deref().map(str::trim),
        p.reference.as_deref().map(str::trim),
    );
    let Some(id) = store::payments::insert(
        tx,
        &StoredNew {
            public_id: &public_id,
            customer_id: p.customer_id,
            kind: Kind::Payment.as_str(),
            method: p.method.as_str(),
            amount: p.amount.0,
            received_on: &received_on,
            received_at: now,
            gateway,
            reference,
            invoice_id: p.invoice_id,
            reverses_payment_id: None,
            fee: p.fee.0,
            notes: p.notes.trim(),
            actor_kind: actor.kind,
            actor_name: &actor.name,
        },
        now,
    )
    .await?
    else {
        // A concurrent delivery committed first (this one waited for it).
        let (Some(g), Some(r)) = (gateway, reference) else {
            return Err(Error::Internal(
                "a payment without reference conflicted".into(),
            ));
        };
        let existing = store::payments::by_reference(tx, g, r)
            .await?
            .ok_or_else(|| Error::Internal("the conflicting payment is gone".into()))?;
        return duplicate(tx, existing).await;
    };
    let series = receipt_series();
    let seq = store::billing::documents::next_number(
        tx,
        "receipt",
        crate::billing::run::series_year(&series, day),
    )
    .await?;
    let receipt_number = series.number(day.year(), seq);
    store::payments::set_receipt_number(tx, id, &receipt_number).await?;

    // The named invoice first, then the oldest due.
    let mut open = store::payments::open_invoices(tx, p.customer_id).await?;
    if let Some(n) = &named {
        open.retain(|i| i.id != n.id);
        open.insert(0, n.clone());
    }
    let amounts: Vec<i64> = open.iter().map(|i| i.open().max(0)).collect();
    let (parts, credit) = domain::payments::allocate(p.amount.0, &amounts);
    let mut invoices_paid = Vec::with_capacity(parts.len());
    let mut invoices_closed = Vec::new();
    for (i, amount) in &parts {
        let inv = &open[*i];
        let closes = inv.open() - amount <= 0;
        if closes {
            invoices_closed.push(inv.id);
        }
        store::payments::allocate(
            tx,
            &NewAllocation {
                payment_id: id,
                invoice_id: inv.id,
                amount: *amount,
                paid_delta: *amount,
                on: &received_on,
                paid_on: closes.then_some(received_on.as_str()),
                released: false,
            },
            now,
        )
        .await?;
        invoices_paid.push(inv.id);
    }
    store::payments::enqueue_receipt(tx, id, now).await?;
    // Collections: the late fee and interest of invoices paid after their
    // due date go on the next invoice, and a customer who no longer owes is
    // reactivated (the CoA goes out when this commits).
    crate::collections::on_payment(tx, p.customer_id, &invoices_closed, day).await?;
    let event = DomainEvent::from(PaymentReceived {
        payment_id: id,
        customer_id: p.customer_id,
        amount: p.amount,
        invoices_paid: invoices_paid.clone(),
    });
    let allocated: Vec<_> = parts
        .iter()
        .map(|(i, a)| json!({ "invoice_id": open[*i].id, "amount": a }))
        .collect();
    Change::new("payment.record", "payment", id)
        .after(json!({
            "receipt_number": receipt_number, "customer_id": p.customer_id,
            "method": p.method.as_str(), "amount": p.amount.0, "received_on": received_on,
            "gateway": gateway, "reference": reference, "invoice_id": p.invoice_id,
            "fee": p.fee.0, "allocations": allocated, "credit": credit,
        }))
        .timeline(
            p.customer_id,
            EventKind::PaymentReceived,
            format!("Payment {receipt_number} received"),
        )
        .timeline_data(json!({
            "receipt_number": receipt_number, "amount": p.amount.0, "method": p.method.as_str(),
        }))
        .event(event)
        .record(tx, engine, &actor)
        .await?;
    let payment = store::payments::get(tx, id).await?;
    let allocations = store::payments::allocations_of(tx, id).await?;
    let credit_left = customer_credit_in(tx, p.customer_id).await?;
    Ok(Recorded {
        payment,
        allocations,
        credit_left,
        duplicate: false,
    })
}

/// What [`record_many_in`] did with one payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Batched {
    /// The row written, or the earlier row with the same reference.
    pub payment_id: i64,
    /// The same `(gateway, reference)` was recorded before (or earlier in
    /// the batch): nothing was written for it.
    pub duplicate: bool,
}

/// One payment of a batch: a row to write, or a repeat of a row.
enum Slot {
    /// Recorded before the batch (or by a concurrent delivery).
    Existing(i64),
    /// The same reference as the batch's `n`th payment.
    SameAs(usize),
    Fresh,
}

/// Records many payments in the caller's transaction, as [`record_in`]
/// one after another would (the same checks, duplicates, allocations,
/// credit, gap-free receipt numbers in the order given, receipt e-mails,
/// collections effects and changes recorded), with a few multi-row
/// statements for the whole batch instead of some twenty per payment:
/// return files settle thousands of boletos per transaction. The first
/// refused payment refuses the batch (nothing is written). Returns, in the
/// order given, each payment's row and whether it was a duplicate.
pub async fn record_many_in(
    tx: &mut WriteTx,
    caller: &Caller,
    batch: &[NewPayment],
) -> Result<Vec<Batched>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let today = crate::crm::today(tx).await?;
    let mut days = Vec::with_capacity(batch.len());
    for p in batch {
        may_record(caller, p.method)?;
        days.push(validate_new(p, today)?);
    }
    let key = |p: &NewPayment| match (&p.gateway, &p.reference) {
        (Some(g), Some(r)) => Some((g.trim().to_owned(), r.trim().to_owned())),
        _ => None,
    };
    // Rows recorded before, by gateway, then repeats inside the batch.
    let mut by_gateway: HashMap<String, Vec<String>> = HashMap::new();
    for p in batch {
        if let Some((g, r)) = key(p) {
            by_gateway.entry(g).or_default().push(r);
        }
    }
    let mut recorded: HashMap<(String, String), i64> = HashMap::new();
    for (g, refs) in &by_gateway {
        let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
        for row in store::payments::by_references(tx, g, &refs).await? {
            if let (Some(g), Some(r)) = (row.gateway, row.reference) {
                recorded.insert((g, r), row.id);
            }
        }
    }
    let mut first: HashMap<(String, String), usize> = HashMap::new();
    let mut slots: Vec<Slot> = Vec::with_capacity(batch.len());
    for (n, p) in batch.iter().enumerate() {
        slots.push(match key(p) {
            Some(k) => match (recorded.get(&k), first.get(&k)) {
                (Some(id), _) => Slot::Existing(*id),
                (None, Some(m)) => Slot::SameAs(*m),
                (None, None) => {
                    first.insert(k, n);
                    Slot::Fresh
                }
            },
            None => Slot::Fresh,
        });
    }
    let fresh: Vec<usize> = (0..batch.len())
        .filter(|n| matches!(slots[*n], Slot::Fresh))
        .collect();
    let mut ids: Vec<Option<i64>> = vec![None; batch.len()];
    if !fresh.is_empty() {
        write_many(tx, caller, batch, &days, &fresh, &mut ids, &mut slots).await?;
    }
    let mut out = Vec::with_capacity(batch.len());
    for (n, slot) in slots.iter().enumerate() {
        out.push(match slot {
            Slot::Existing(id) => Batched {
                payment_id: *id,
                duplicate: true,
            },
            Slot::SameAs(m) => Batched {
                payment_id: match slots[*m] {
                    Slot::Existing(id) => id,
                    _ => {
                        ids[*m].ok_or_else(|| Error::Internal("a batch payment was lost".into()))?
                    }
                },
                duplicate: true,
            },
            Slot::Fresh => Batched {
                payment_id: ids[n]
                    .ok_or_else(|| Error::Internal("a batch payment was lost".into()))?,
                duplicate: false,
            },
        });
    }
    Ok(out)
}

/// The writing half of [`record_many_in`] for the payments at `fresh`.
async fn write_many(
    tx: &mut WriteTx,
    caller: &Caller,
    batch: &[NewPayment],
    days: &[jiff::civil::Date],
    fresh: &[usize],
    ids: &mut [Option<i64>],
    slots: &mut [Slot],
) -> Result<()> {
    let engine = tx.engine();
    let mut customers: Vec<i64> = fresh.iter().map(|n| batch[*n].customer_id).collect();
    customers.sort_unstable();
    customers.dedup();
    let found = store::payments::lock_accounts(tx, engine, &customers).await?;
    if found.len() != customers.len() {
        return Err(Error::invalid_msg("customer_id", "no such customer"));
    }
    // Every issued invoice of these customers, by id, and each customer's
    // in due-date order: allocations are worked out here, payment after
    // payment, as the one-payment path would find them.
    let mut invoices: HashMap<i64, store::payments::InvoiceAmounts> = HashMap::new();
    let mut of_customer: HashMap<i64, Vec<i64>> = HashMap::new();
    for part in customers.chunks(1000) {
        for inv in store::payments::invoices_of(tx, part).await? {
            of_customer.entry(inv.customer_id).or_default().push(inv.id);
            invoices.insert(inv.id, inv);
        }
    }
    for n in fresh {
        let p = &batch[*n];
        if let Some(id) = p.invoice_id {
            match invoices.get(&id) {
                Some(i) if i.customer_id == p.customer_id && i.status == "issued" => {}
                _ => {
                    return Err(Error::invalid_msg(
                        "invoice_id",
                        format!("{id} is not an issued invoice of this customer"),
                    ));
                }
            }
        }
    }
    let actor = caller.actor();
    let now = store::now();
    let received: Vec<String> = days.iter().map(ToString::to_string).collect();
    let public_ids: Vec<String> = fresh.iter().map(|_| crate::billing::public_id()).collect();
    let rows: Vec<StoredNew<'_>> = fresh
        .iter()
        .zip(&public_ids)
        .map(|(n, public_id)| {
            let p = &batch[*n];
            StoredNew {
                public_id,
                customer_id: p.customer_id,
                kind: Kind::Payment.as_str(),
                method: p.method.as_str(),
                amount: p.amount.0,
                received_on: &received[*n],
                received_at: now,
                gateway: p.gateway.as_deref().map(str::trim),
                reference: p.reference.as_deref().map(str::trim),
                invoice_id: p.invoice_id,
                reverses_payment_id: None,
                fee: p.fee.0,
                notes: p.notes.trim(),
                actor_kind: actor.kind,
                actor_name: &actor.name,
            }
        })
        .collect();
    let written = store::payments::insert_many(tx, &rows, now).await?;
    let mut numbered: Vec<usize> = Vec::with_capacity(fresh.len());
    for (n, id) in fresh.iter().zip(written) {
        match id {
            Some(id) => {
                ids[*n] = Some(id);
                numbered.push(*n);
            }
            None => {
                // A concurrent delivery committed first (this one waited for it).
                let p = &batch[*n];
                let (Some(g), Some(r)) = (&p.gateway, &p.reference) else {
                    return Err(Error::Internal(
                        "a payment without reference conflicted".into(),
                    ));
                };
                let existing = store::payments::by_reference(tx, g.trim(), r.trim())
                    .await?
                    .ok_or_else(|| Error::Internal("the conflicting payment is gone".into()))?;
                slots[*n] = Slot::Existing(existing.id);
            }
        }
    }
    // Receipt numbers in the batch's order, a block per year of the series.
    let series = receipt_series();
    let mut per_year: Vec<(i64, i64)> = Vec::new(); // (year, count)
    for n in &numbered {
        let y = crate::billing::run::series_year(&series, days[*n]);
        match per_year.iter_mut().find(|(year, _)| *year == y) {
            Some(e) => e.1 += 1,
            None => per_year.push((y, 1)),
        }
    }
    let mut next: HashMap<i64, i64> = HashMap::new();
    for (year, count) in per_year {
        let first = store::billing::documents::reserve_numbers(tx, "receipt", year, count).await?;
        next.insert(year, first);
    }
    let mut receipts: HashMap<usize, String> = HashMap::with_capacity(numbered.len());
    let mut numbers = Vec::with_capacity(numbered.len());
    for n in &numbered {
        let y = crate::billing::run::series_year(&series, days[*n]);
        let seq = next.get_mut(&y).expect("reserved above");
        let number = series.number(days[*n].year(), *seq);
        *seq += 1;
        numbers.push((ids[*n].unwrap_or_default(), number.clone()));
        receipts.insert(*n, number);
    }
    store::payments::set_receipt_numbers(tx, &numbers).await?;

    // Allocations, payment after payment, on the invoices as they stand.
    let mut allocations: Vec<(i64, i64, i64, usize, bool)> = Vec::new(); // (payment, invoice, amount, n, closes)
    let mut effects = Vec::with_capacity(numbered.len());
    let mut changes = Vec::with_capacity(numbered.len());
    for n in &numbered {
        let p = &batch[*n];
        let id = ids[*n].unwrap_or_default();
        let mut open: Vec<i64> = of_customer
            .get(&p.customer_id)
            .map(|v| {
                v.iter()
                    .copied()
                    .filter(|i| {
                        let inv = &invoices[i];
                        inv.status == "issued" && inv.open() > 0
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(named) = p.invoice_id {
            open.retain(|i| *i != named);
            open.insert(0, named);
        }
        let amounts: Vec<i64> = open.iter().map(|i| invoices[i].open().max(0)).collect();
        let (parts, credit) = domain::payments::allocate(p.amount.0, &amounts);
        let mut invoices_paid = Vec::with_capacity(parts.len());
        let mut invoices_closed = Vec::new();
        for (i, amount) in &parts {
            let inv = invoices.get_mut(&open[*i]).expect("loaded above");
            let closes = inv.open() - amount <= 0;
            if closes {
                invoices_closed.push(inv.id);
            }
            inv.paid += amount;
            allocations.push((id, inv.id, *amount, *n, closes));
            invoices_paid.push(inv.id);
        }
        let receipt_number = &receipts[n];
        let received_on = &received[*n];
        let (gateway, reference) = (
            p.gateway.as_deref().map(str::trim),
            p.reference.as_deref().map(str::trim),
        );
        let allocated: Vec<_> = parts
            .iter()
            .map(|(i, a)| json!({ "invoice_id": open[*i], "amount": a }))
            .collect();
        changes.push(
            Change::new("payment.record", "payment", id)
                .after(json!({
                    "receipt_number": receipt_number, "customer_id": p.customer_id,
                    "method": p.method.as_str(), "amount": p.amount.0, "received_on": received_on,
                    "gateway": gateway, "reference": reference, "invoice_id": p.invoice_id,
                    "fee": p.fee.0, "allocations": allocated, "credit": credit,
                }))
                .timeline(
                    p.customer_id,
                    EventKind::PaymentReceived,
                    format!("Payment {receipt_number} received"),
                )
                .timeline_data(json!({
                    "receipt_number": receipt_number, "amount": p.amount.0,
                    "method": p.method.as_str(),
                }))
                .event(DomainEvent::from(PaymentReceived {
                    payment_id: id,
                    customer_id: p.customer_id,
                    amount: p.amount,
                    invoices_paid,
                })),
        );
        effects.push(crate::collections::Paid {
            customer_id: p.customer_id,
            invoices_closed,
            paid_on: days[*n],
        });
    }
    let stored: Vec<NewAllocation<'_>> = allocations
        .iter()
        .map(
            |(payment_id, invoice_id, amount, n, closes)| NewAllocation {
                payment_id: *payment_id,
                invoice_id: *invoice_id,
                amount: *amount,
                paid_delta: *amount,
                on: &received[*n],
                paid_on: closes.then_some(received[*n].as_str()),
                released: false,
            },
        )
        .collect();
    store::payments::allocate_many(tx, &stored, now).await?;
    let written: Vec<i64> = numbered.iter().filter_map(|n| ids[*n]).collect();
    store::payments::enqueue_receipts(tx, &written, now).await?;
    crate::collections::on_payments(tx, &effects).await?;
    crate::change::record_all(tx, engine, &actor, &changes).await?;
    Ok(())
}

async fn duplicate(tx: &mut WriteTx, existing: Payment) -> Result<Recorded> {
    let credit_left = customer_credit_in(tx, existing.customer_id).await?;
    Ok(Recorded {
        payment: existing,
        allocations: Vec::new(),
        credit_left,
        duplicate: true,
    })
}

async fn customer_credit_in(c: &mut store::AnyConnection, customer_id: i64) -> Result<i64> {
    Ok(store::payments::credits(c, customer_id)
        .await?
        .iter()
        .map(|(_, left)| left)
        .sum())
}

/// Puts customer `customer_id`'s credit (payments' money not applied yet,
/// oldest first) on issued invoice `invoice_id`, dated `on` (its issue
/// day), in the caller's transaction; returns what it applied. The billing
/// run calls it for each invoice it issues: a customer who never paid
/// costs one index probe.
pub async fn apply_credit(
    tx: &mut WriteTx,
    customer_id: i64,
    invoice_id: i64,
    on: &str,
) -> Result<i64> {
    if !store::payments::has_payments(tx, customer_id).await? {
        return Ok(0);
    }
    let engine = tx.engine();
    store::payments::lock_account(tx, engine, customer_id).await?;
    let credits = store::payments::credits(tx, customer_id).await?;
    if credits.is_empty() {
        return Ok(0);
    }
    let inv = store::payments::invoice_amounts(tx, invoice_id).await?;
    if inv.status != "issued" || inv.customer_id != customer_id {
        return Ok(0);
    }
    let mut open = inv.open();
    let now = store::now();
    let mut applied = 0;
    for (payment_id, left) in credits {
        if open <= 0 {
            break;
        }
        let take = left.min(open);
        open -= take;
        applied += take;
        store::payments::allocate(
            tx,
            &NewAllocation {
                payment_id,
                invoice_id,
                amount: take,
                paid_delta: take,
                on,
                paid_on: (open <= 0).then_some(on),
                released: false,
            },
            now,
        )
        .await?;
    }
    Ok(applied)
}

/// Gives back to their payments what invoice `invoice_id` holds beyond
/// what it still owes (a credit note took back an invoice already paid):
/// newest payments first, as `released` allocations dated `on`, so the
/// money is the customer's credit again. Called in the credit note's
/// transaction; returns what it released.
pub async fn release_excess(tx: &mut WriteTx, invoice_id: i64, on: &str) -> Result<i64> {
    let inv = store::payments::invoice_amounts(tx, invoice_id).await?;
    let mut excess = (-inv.open()).min(inv.paid);
    if excess <= 0 {
        return Ok(0);
    }
    let engine = tx.engine();
    store::payments::lock_account(tx, engine, inv.customer_id).await?;
    // What each payment holds on the invoice, newest allocation first.
    let mut held: Vec<(i64, i64, i64)> = Vec::new(); // (payment, net, newest allocation id)
    for a in store::payments::allocations_on(tx, invoice_id).await? {
        match held.iter_mut().find(|h| h.0 == a.of_payment) {
            Some(h) => {
                h.1 += a.held();
                h.2 = h.2.max(a.id);
            }
            None => held.push((a.of_payment, a.held(), a.id)),
        }
    }
    held.sort_by_key(|h| std::cmp::Reverse(h.2));
    let (now, mut released) = (store::now(), 0);
    for (payment_id, net, _) in held {
        if excess == 0 {
            break;
        }
        let take = net.min(excess);
        if take <= 0 {
            continue;
        }
        excess -= take;
        released += take;
        store::payments::allocate(
            tx,
            &NewAllocation {
                payment_id,
                invoice_id,
                amount: take,
                paid_delta: -take,
                on,
                // Nothing is left to pay: still settled, by the credit note.
                paid_on: Some(on),
                released: true,
            },
            now,
        )
        .await?;
    }
    Ok(released)
}

/// How a refund's money went back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundVia {
    /// Outside Lastmile (cash, a transfer staff made): only recorded.
    Recorded,
    /// Through a gateway, which the caller asked first; `reference` is the
    /// gateway's id of the refund, so a repeated notice is recorded once.
    Gateway { gateway: String, reference: String },
}

/// What [`refund`] or [`reverse`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TakenBack {
    /// The refund's or reversal's own row.
    pub row: Payment,
    /// The invoices open again and by how much.
    pub reopened: Vec<(i64, i64)>,
    /// The row was recorded before (same gateway reference): nothing
    /// changed.
    pub duplicate: bool,
}

/// Gives back `amount` of payment `payment_id` (at most what refunds and
/// reversals left of it): the payment's unapplied money first, then its
/// newest allocations, whose invoices are open again. Needs
/// `payments.refund`; `reason` is required.
pub async fn refund(
    svc: &Services,
    caller: &Caller,
    payment_id: i64,
    amount: Money,
    reason: &str,
    via: &RefundVia,
) -> Result<TakenBack> {
    caller.require(Permission::PaymentsRefund)?;
    let mut tx = svc.db.begin().await?;
    let r = refund_in(&mut tx, caller, payment_id, amount, reason, via).await?;
    tx.commit().await?;
    Ok(r)
}

/// [`refund`] in the caller's transaction.
pub async fn refund_in(
    tx: &mut WriteTx,
    caller: &Caller,
    payment_id: i64,
    amount: Money,
    reason: &str,
    via: &RefundVia,
) -> Result<TakenBack> {
    caller.require(Permission::PaymentsRefund)?;
    if amount.0 <= 0 {
        return Err(Error::invalid_msg("amount", "must be more than zero"));
    }
    take_back(tx, caller, payment_id, Some(amount.0), reason, via).await
}

/// Takes back everything left of payment `payment_id` (a bounced transfer,
/// a chargeback): every invoice it settled is open again. Needs
/// `payments.refund`.
pub async fn reverse(
    svc: &Services,
    caller: &Caller,
    payment_id: i64,
    reason: &str,
) -> Result<TakenBack> {
    caller.require(Permission::PaymentsRefund)?;
    let mut tx = svc.db.begin().await?;
    let r = reverse_in(&mut tx, caller, payment_id, reason, &RefundVia::Recorded).await?;
    tx.commit().await?;
    Ok(r)
}

/// [`reverse`] in the caller's transaction; a gateway's chargeback notice
/// passes its id as `via` so a repeated notice is recorded once.
pub async fn reverse_in(
    tx: &mut WriteTx,
    caller: &Caller,
    payment_id: i64,
    reason: &str,
    via: &RefundVia,
) -> Result<TakenBack> {
    caller.require(Permission::PaymentsRefund)?;
    take_back(tx, caller, payment_id, None, reason, via).await
}

/// A refund (`Some(amount)`) or a reversal (`None`: all that is left).
async fn take_back(
    tx: &mut WriteTx,
    caller: &Caller,
    payment_id: i64,
    amount: Option<i64>,
    reason: &str,
    via: &RefundVia,
) -> Result<TakenBack> {
    check("reason", validate::required_multiline(reason, 500))?;
    let reason = reason.trim();
    let kind = if amount.is_some() {
        Kind::Refund
    } else {
        Kind::Reversal
    };
    let (gateway, reference) = match via {
        RefundVia::Recorded => (None, None),
        RefundVia::Gateway { gateway, reference } => {
            check("gateway", validate::required(gateway, 40))?;
            check("reference", validate::required(reference, 200))?;
            (Some(gateway.trim()), Some(reference.trim()))
        }
    };
    if let (Some(g), Some(r)) = (gateway, reference)
        && let Some(existing) = store::payments::by_reference(tx, g, r).await?
    {
        return Ok(TakenBack {
            row: existing,
            reopened: Vec::new(),
            duplicate: true,
        });
    }
    let p = store::payments::get(tx, payment_id).await?;
    if p.kind != Kind::Payment.as_str() {
        return Err(Error::Refused("not-a-payment"));
    }
    let engine = tx.engine();
    store::payments::lock_account(tx, engine, p.customer_id).await?;
    let left = p.amount - store::payments::taken_back(tx, p.id).await?;
    let amount = match amount {
        Some(a) if a > left => {
            return Err(Error::invalid_msg(
                "amount",
                format!("at most {left} is left of this payment"),
            ));
        }
        Some(a) => a,
        None if left <= 0 => return Err(Error::Refused("nothing-to-reverse")),
        None => left,
    };
    // What the payment's allocations still hold per invoice, newest first.
    let allocations = store::payments::allocations_of(tx, p.id).await?;
    let mut held: Vec<(i64, i64, i64)> = Vec::new(); // (invoice, net, newest allocation id)
    for a in &allocations {
        let signed = a.held();
        match held.iter_mut().find(|h| h.0 == a.invoice_id) {
            Some(h) => {
                h.1 += signed;
                if signed > 0 {
                    h.2 = a.id;
                }
            }
            None => held.push((a.invoice_id, signed, a.id)),
        }
    }
    held.retain(|h| h.1 > 0);
    held.sort_by_key(|h| std::cmp::Reverse(h.2));
    let applied: i64 = held.iter().map(|h| h.1).sum();
    // Unapplied money goes back first; the rest reopens invoices.
    let unapplied = (left - applied).max(0);
    let mut reopen = amount - amount.min(unapplied);
    let mut reopened = Vec::new();
    for (invoice, net, _) in &held {
        if reopen == 0 {
            break;
        }
        let take = (*net).min(reopen);
        reopen -= take;
        reopened.push((*invoice, take));
    }
    let actor = caller.actor();
    let now = store::now();
    let today = crate::crm::today(tx).await?.to_string();
    let public_id = crate::billing::public_id();
    let Some(id) = store::payments::insert(
        tx,
        &StoredNew {
            public_id: &public_id,
            customer_id: p.customer_id,
            kind: kind.as_str(),
            method: &p.method,
            amount,
            received_on: &today,
            received_at: now,
            gateway,
            reference,
            invoice_id: None,
            reverses_payment_id: Some(p.id),
            fee: 0,
            notes: reason,
            actor_kind: actor.kind,
            actor_name: &actor.name,
        },
        now,
    )
    .await?
    else {
        let (Some(g), Some(r)) = (gateway, reference) else {
            return Err(Error::Internal(
                "a refund without reference conflicted".into(),
            ));
        };
        let existing = store::payments::by_reference(tx, g, r)
            .await?
            .ok_or_else(|| Error::Internal("the conflicting refund is gone".into()))?;
        return Ok(TakenBack {
            row: existing,
            reopened: Vec::new(),
            duplicate: true,
        });
    };
    for (invoice, take) in &reopened {
        store::payments::allocate(
            tx,
            &NewAllocation {
                payment_id: id,
                invoice_id: *invoice,
                amount: *take,
                paid_delta: -*take,
                on: &today,
                paid_on: None,
                released: false,
            },
            now,
        )
        .await?;
    }
    let receipt = p.receipt_number.clone().unwrap_or_default();
    let invoices_reopened: Vec<i64> = reopened.iter().map(|r| r.0).collect();
    let (action, event, timeline) = match kind {
        Kind::Reversal => (
            "payment.reverse",
            DomainEvent::from(PaymentReversed {
                reversal_id: id,
                payment_id: p.id,
                customer_id: p.customer_id,
                amount: Money(amount),
                reason: reason.to_owned(),
                invoices_reopened,
            }),
            EventKind::PaymentReversed,
        ),
        _ => (
            "payment.refund",
            DomainEvent::from(PaymentRefunded {
                refund_id: id,
                payment_id: p.id,
                customer_id: p.customer_id,
                amount: Money(amount),
                reason: reason.to_owned(),
                invoices_reopened,
            }),
            EventKind::PaymentRefunded,
        ),
    };
    let reopened_json: Vec<_> = reopened
        .iter()
        .map(|(i, a)| json!({ "invoice_id": i, "amount": a }))
        .collect();
    Change::new(action, "payment", id)
        .after(json!({
            "payment_id": p.id, "receipt_number": receipt, "amount": amount, "reason": reason,
            "gateway": gateway, "reference": reference, "reopened": reopened_json,
        }))
        .timeline(
            p.customer_id,
            timeline,
            format!(
                "{} of payment {receipt}",
                if kind == Kind::Refund {
                    "Refund"
                } else {
                    "Reversal"
                }
            ),
        )
        .timeline_data(json!({ "receipt_number": receipt, "amount": amount, "reason": reason }))
        .event(event)
        .record(tx, engine, &actor)
        .await?;
    Ok(TakenBack {
        row: store::payments::get(tx, id).await?,
        reopened,
        duplicate: false,
    })
}

/// A row of the book with where its money went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Full {
    pub payment: Payment,
    /// Its allocations and those of the refunds and reversals of it.
    pub allocations: Vec<Allocation>,
    /// Refunds and reversals of it.
    pub taken_back: Vec<Payment>,
    /// What refunds may still take (payments only).
    pub refundable: i64,
    /// Its money applied to no invoice (payments only).
    pub unapplied: i64,
}

/// One row of the book; a customer caller reaches only its own.
pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Full> {
    let mut c = svc.db.conn().await?;
    let payment = store::payments::get(&mut c, id).await?;
    caller.require_for_customer(Permission::PaymentsView, payment.customer_id)?;
    full(&mut c, payment).await
}

/// One row by its public id (links customers open).
pub async fn get_public(svc: &Services, caller: &Caller, public_id: &str) -> Result<Full> {
    let mut c = svc.db.conn().await?;
    let payment = store::payments::by_public_id(&mut c, public_id).await?;
    caller.require_for_customer(Permission::PaymentsView, payment.customer_id)?;
    full(&mut c, payment).await
}

async fn full(c: &mut store::AnyConnection, payment: Payment) -> Result<Full> {
    let allocations = store::payments::allocations_of(c, payment.id).await?;
    let (taken_back, refundable, unapplied) = if payment.kind == Kind::Payment.as_str() {
        let (rows, _) = store::payments::list(
            c,
            &Filter {
                customer_id: Some(payment.customer_id),
                limit: 500,
                ..Default::default()
            },
        )
        .await?;
        let taken: Vec<Payment> = rows
            .into_iter()
            .filter(|r| r.reverses_payment_id == Some(payment.id))
            .collect();
        let refundable = payment.amount - taken.iter().map(|t| t.amount).sum::<i64>();
        let applied: i64 = allocations.iter().map(Allocation::held).sum();
        (taken, refundable, (refundable - applied).max(0))
    } else {
        (Vec::new(), 0, 0)
    };
    Ok(Full {
        payment,
        allocations,
        taken_back,
        refundable,
        unapplied,
    })
}

/// A page of the book, newest first, and whether more follow. A customer
/// caller sees only its own rows, whatever the filter asks.
pub async fn list(
    svc: &Services,
    caller: &Caller,
    filter: &Filter,
) -> Result<(Vec<Payment>, bool)> {
    let mut f = filter.clone();
    match caller {
        Caller::Customer { customer_id, .. } => f.customer_id = Some(*customer_id),
        _ => caller.require(Permission::PaymentsView)?,
    }
    for (field, d) in [("from", &f.from), ("to", &f.to)] {
        if let Some(d) = d {
            validate::date(d).map_err(|e| Error::invalid(field, e))?;
        }
    }
    if let Some(m) = &f.method
        && Method::parse(m).is_none()
    {
        return Err(Error::invalid_msg(
            "method",
            format!("unknown method `{m}`"),
        ));
    }
    if let Some(k) = &f.kind
        && Kind::parse(k).is_none()
    {
        return Err(Error::invalid_msg("kind", format!("unknown kind `{k}`")));
    }
    f.search = f
        .search
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    f.limit = f.limit.clamp(1, 500);
    let mut c = svc.db.conn().await?;
    Ok(store::payments::list(&mut c, &f).await?)
}

/// Customer `customer_id`'s credit: payments' money applied to no invoice.
pub async fn customer_credit(svc: &Services, caller: &Caller, customer_id: i64) -> Result<i64> {
    caller.require_for_customer(Permission::PaymentsView, customer_id)?;
    let mut c = svc.db.conn().await?;
    // An unknown customer is NotFound, not a customer without credit.
    store::crm::customers::get(&mut c, customer_id).await?;
    customer_credit_in(&mut c, customer_id).await
}

/// What moved on invoice `invoice_id`: payments' allocations (settling)
/// and refunds' and reversals' (opening it again), oldest first.
pub async fn of_invoice(
    svc: &Services,
    caller: &Caller,
    invoice_id: i64,
) -> Result<Vec<Allocation>> {
    let mut c = svc.db.conn().await?;
    let inv = store::billing::documents::get(&mut c, invoice_id).await?;
    caller.require_for_customer(Permission::PaymentsView, inv.customer_id)?;
    Ok(store::payments::allocations_on(&mut c, invoice_id).await?)
}

/// An invoice's payment status and what is left to pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    pub status: InvoiceStatus,
    pub open: i64,
    pub paid: i64,
}

/// The payment status of each of `documents` (invoices; credit notes are
/// left out) as of today, by id, for lists and pages. One query for the
/// credit notes against them; `paid` is on each row.
pub async fn standings(
    svc: &Services,
    caller: &Caller,
    documents: &[crate::billing::documents::Document],
) -> Result<HashMap<i64, Standing>> {
    for d in documents {
        caller.require_for_customer(Permission::BillingView, d.customer_id)?;
    }
    let mut c = svc.db.conn().await?;
    let today = crate::crm::today(&mut c).await?.to_string();
    let ids: Vec<i64> = documents
        .iter()
        .filter(|d| d.kind == "invoice")
        .map(|d| d.id)
        .collect();
    let credited: HashMap<i64, i64> = store::payments::credited(&mut c, &ids)
        .await?
        .into_iter()
        .collect();
    Ok(documents
        .iter()
        .filter(|d| d.kind == "invoice")
        .map(|d| {
            let amounts = domain::payments::InvoiceAmounts {
                total: d.total,
                credited: credited.get(&d.id).copied().unwrap_or(0),
                paid: d.paid,
            };
            (
                d.id,
                Standing {
                    status: domain::payments::invoice_status(
                        &d.status,
                        amounts,
                        &d.due_date,
                        &today,
                    ),
                    open: amounts.open(),
                    paid: d.paid,
                },
            )
        })
        .collect())
}
