//! Invoices and credit notes as people read them, and the corrections an
//! issued invoice allows: a credit note for some of its lines, or voiding
//! it with a credit note for all that is left. An issued document itself
//! never changes.

use std::collections::HashMap;

use domain::Money;
use domain::Permission;
use domain::billing::invoice::{Line, LineInput, Status, Totals};
use domain::crm::timeline::EventKind;
use domain::event::{CreditNoteIssued, DomainEvent, InvoiceVoided};
use domain::validate;
use serde_json::json;
use store::billing::documents::{NewDocument, NewLine};
// The row types callers read, so interfaces need not name the store.
pub use store::billing::documents::{Document, Filter, Line as StoredLine, LineTax};

use super::Policy;
use crate::{Caller, Change, Error, Result, Services, check};

/// A document with its lines and each line's taxes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Full {
    pub document: Document,
    pub lines: Vec<StoredLine>,
    pub taxes: Vec<LineTax>,
}

/// One document; a customer caller reaches only its own.
pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Full> {
    let mut c = svc.db.conn().await?;
    let document = store::billing::documents::get(&mut c, id).await?;
    caller.require_for_customer(Permission::BillingView, document.customer_id)?;
    let lines = store::billing::documents::lines(&mut c, id).await?;
    let taxes = store::billing::documents::line_taxes(&mut c, id).await?;
    Ok(Full {
        document,
        lines,
        taxes,
    })
}

/// A page of documents, newest first. A customer caller sees only its own,
/// whatever the filter asks.
pub async fn list(
    svc: &Services,
    caller: &Caller,
    filter: &Filter,
) -> Result<(Vec<Document>, bool)> {
    let mut f = filter.clone();
    match caller {
        Caller::Customer { customer_id, .. } => f.customer_id = Some(*customer_id),
        _ => caller.require(Permission::BillingView)?,
    }
    for (field, d) in [
        ("from", &f.from),
        ("to", &f.to),
        ("due_before", &f.due_before),
        ("overdue_on", &f.overdue_on),
    ] {
        if let Some(d) = d {
            validate::date(d).map_err(|e| Error::invalid(field, e))?;
        }
    }
    f.limit = f.limit.clamp(1, 500);
    let mut c = svc.db.conn().await?;
    Ok(store::billing::documents::list(&mut c, &f).await?)
}

/// What each line of invoice `id` still holds to credit: its total less
/// what issued credit notes took back, by line id.
pub async fn credit_left(svc: &Services, caller: &Caller, id: i64) -> Result<HashMap<i64, i64>> {
    let mut c = svc.db.conn().await?;
    let document = store::billing::documents::get(&mut c, id).await?;
    caller.require_for_customer(Permission::BillingView, document.customer_id)?;
    let credited: HashMap<i64, i64> = store::billing::documents::credited(&mut c, id)
        .await?
        .into_iter()
        .collect();
    Ok(store::billing::documents::lines(&mut c, id)
        .await?
        .into_iter()
        .map(|l| (l.id, l.total + credited.get(&l.id).copied().unwrap_or(0)))
        .collect())
}

/// Part of an invoice line to credit: the line and the amount to take back
/// (`None`: all that was not credited yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditLine {
    pub line_id: i64,
    pub amount: Option<Money>,
}

/// Issues a credit note for some lines of issued invoice `id`. Each amount
/// must be more than zero and at most what the line still holds; the
/// credit note's lines carry the same taxes, in proportion.
pub async fn credit(
    svc: &Services,
    caller: &Caller,
    id: i64,
    lines: &[CreditLine],
    reason: &str,
    policy: &Policy,
) -> Result<i64> {
    caller.require(Permission::BillingVoid)?;
    check("reason", validate::required_multiline(reason, 500))?;
    if lines.is_empty() {
        return Err(Error::invalid("lines", validate::FieldError::Required));
    }
    let mut tx = svc.db.begin().await?;
    let invoice = issued_invoice(&mut tx, id).await?;
    let note = credit_note(&mut tx, svc, caller, &invoice, Some(lines), reason, policy).await?;
    tx.commit().await?;
    Ok(note)
}

/// Issues a credit note for everything issued invoice `id` still holds
/// (each line's remainder); the invoice stays issued. Returns the credit
/// note's id.
pub async fn credit_all(
    svc: &Services,
    caller: &Caller,
    id: i64,
    reason: &str,
    policy: &Policy,
) -> Result<i64> {
    caller.require(Permission::BillingVoid)?;
    check("reason", validate::required_multiline(reason, 500))?;
    let mut tx = svc.db.begin().await?;
    let invoice = issued_invoice(&mut tx, id).await?;
    let note = credit_note(&mut tx, svc, caller, &invoice, None, reason, policy).await?;
    tx.commit().await?;
    Ok(note)
}

/// Voids issued invoice `id`: a credit note for everything not credited
/// yet, and the invoice marked voided with the reason. Returns the credit
/// note's id.
pub async fn void(
    svc: &Services,
    caller: &Caller,
    id: i64,
    reason: &str,
    policy: &Policy,
) -> Result<i64> {
    caller.require(Permission::BillingVoid)?;
    check("reason", validate::required_multiline(reason, 500))?;
    let mut tx = svc.db.begin().await?;
    let invoice = issued_invoice(&mut tx, id).await?;
    let note = credit_note(&mut tx, svc, caller, &invoice, None, reason, policy).await?;
    if !store::billing::documents::void(&mut tx, id, reason.trim(), store::now()).await? {
        return Err(Error::Refused("invoice-not-issued"));
    }
    let number = invoice.number.clone().unwrap_or_default();
    let event = DomainEvent::from(InvoiceVoided {
        invoice_id: id,
        customer_id: invoice.customer_id,
        number: number.clone(),
        reason: reason.trim().to_owned(),
    });
    Change::new("invoice.void", "invoice", id)
        .before(json!({ "status": "issued" }))
        .after(json!({ "status": "voided", "reason": reason.trim(), "credit_note_id": note }))
        .timeline(
            invoice.customer_id,
            EventKind::InvoiceVoided,
            format!("Invoice {number} voided"),
        )
        .timeline_data(event.payload())
        .event(event)
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(note)
}

async fn issued_invoice(c: &mut store::AnyConnection, id: i64) -> Result<Document> {
    let d = store::billing::documents::get(c, id).await?;
    if d.kind != "invoice" || Status::parse(&d.status) != Some(Status::Issued) {
        return Err(Error::Refused("invoice-not-issued"));
    }
    Ok(d)
}

/// Writes the credit note for `invoice`: the given lines, or (`None`)
/// every line's remainder.
async fn credit_note(
    tx: &mut store::WriteTx,
    svc: &Services,
    caller: &Caller,
    invoice: &Document,
    wanted: Option<&[CreditLine]>,
    reason: &str,
    policy: &Policy,
) -> Result<i64> {
    let lines = store::billing::documents::lines(tx, invoice.id).await?;
    let taxes = store::billing::documents::line_taxes(tx, invoice.id).await?;
    // What credit notes already took back from each line (negative).
    let credited: HashMap<i64, i64> = store::billing::documents::credited(tx, invoice.id)
        .await?
        .into_iter()
        .collect();
    let left =
        |l: &store::billing::documents::Line| l.total + credited.get(&l.id).copied().unwrap_or(0);
    let picks: Vec<(&store::billing::documents::Line, i64)> = match wanted {
        // Negative lines (discounts) are reversed too, so the credit note
        // takes back what the invoice charged, not its lines' gross.
        None => lines
            .iter()
            .map(|l| (l, left(l)))
            .filter(|(_, a)| *a != 0)
            .collect(),
        Some(w) => {
            let mut out = Vec::with_capacity(w.len());
            for cl in w {
                let l = lines.iter().find(|l| l.id == cl.line_id).ok_or_else(|| {
                    Error::invalid_msg(
                        "lines",
                        format!("line {} is not on this invoice", cl.line_id),
                    )
                })?;
                let available = left(l);
                let amount = cl.amount.map_or(available, |m| m.0);
                if amount <= 0 {
                    return Err(Error::invalid_msg("amount", "must be more than zero"));
                }
                if amount > available {
                    return Err(Error::invalid_msg(
                        "amount",
                        format!("line {} has only {available} left to credit", l.id),
                    ));
                }
                out.push((l, amount));
            }
            out
        }
    };
    if picks.is_empty() {
        return Err(Error::Refused("nothing-to-credit"));
    }
    // Each credit line takes back `amount` of the line's total: its net and
    // taxes shrink in the same proportion, computed by the domain's rules on
    // the share of the original line amount.
    let mut computed = Vec::with_capacity(picks.len());
    for (l, amount) in &picks {
        // The denominator must be positive: a negative line (a discount)
        // flips both signs.
        let (num, den) = if l.total < 0 {
            (-*amount, -l.total)
        } else {
            (*amount, l.total.max(1))
        };
        let share = domain::billing::rate::scale(Money(l.amount), i128::from(num), i128::from(den));
        let line_taxes: Vec<domain::billing::tax::TaxRate> = taxes
            .iter()
            .filter(|t| t.line_id == l.id)
            .filter_map(|t| {
                Some(domain::billing::tax::TaxRate {
                    id: t.tax_rate_id,
                    name: t.name.clone(),
                    rate: domain::billing::Rate(u32::try_from(t.rate_ppm).ok()?),
                    mode: domain::billing::tax::TaxMode::parse(&t.mode)?,
                })
            })
            .collect();
        let line = Line::compute(LineInput {
            description: l.description.clone(),
            period: None,
            quantity: 1,
            unit_price: Money(-share.0),
            discount: Money::ZERO,
            taxes: line_taxes.clone(),
        })
        .map_err(|e| Error::invalid_msg("lines", e.to_string()))?;
        computed.push((*l, line, line_taxes));
    }
    let all: Vec<Line> = computed.iter().map(|(_, l, _)| l.clone()).collect();
    let totals = Totals::of(&all);
    let today = crate::crm::today(tx).await?;
    let seq = store::billing::documents::next_number(
        tx,
        "credit_note",
        super::run::series_year(&policy.credit_note_series, today),
    )
    .await?;
    let number = policy.credit_note_series.number(today.year(), seq);
    let public_id = super::public_id();
    let note = store::billing::documents::insert(
        tx,
        &NewDocument {
            kind: "credit_note",
            status: "issued",
            number: Some(&number),
            public_id: &public_id,
            customer_id: invoice.customer_id,
            contract_id: invoice.contract_id,
            issue_date: Some(&today.to_string()),
            due_date: &today.to_string(),
            totals: super::run::stored_totals(&all, &totals),
            credits_invoice_id: Some(invoice.id),
            billing_run_id: None,
            notes: reason.trim(),
        },
        store::now(),
    )
    .await?;
    for (i, (orig, line, rates)) in computed.iter().enumerate() {
        store::billing::documents::insert_line(
            tx,
            note,
            &NewLine {
                position: i as i64,
                source: "credit",
                contract_id: orig.contract_id,
                description: &line.description,
                period: orig.period_start.clone().zip(orig.period_end.clone()),
                quantity: 1,
                unit_price: line.unit_price.0,
                discount: 0,
                amount: line.amount.0,
                net: line.net.0,
                total: line.total.0,
                credits_line_id: Some(orig.id),
                taxes: super::run::stored_taxes(line, rates),
            },
        )
        .await?;
    }
    let event = DomainEvent::from(CreditNoteIssued {
        credit_note_id: note,
        invoice_id: invoice.id,
        customer_id: invoice.customer_id,
        number: number.clone(),
        invoice_number: invoice.number.clone().unwrap_or_default(),
        total: Money(-totals.total.0),
    });
    Change::new("credit_note.issue", "invoice", note)
        .after(json!({
            "number": number, "credits_invoice_id": invoice.id, "total": totals.total,
            "reason": reason.trim(),
        }))
        .timeline(
            invoice.customer_id,
            EventKind::CreditNoteIssued,
            format!(
                "Credit note {number} issued against invoice {}",
                invoice.number.as_deref().unwrap_or("")
            ),
        )
        .timeline_data(event.payload())
        .event(event)
        .record(tx, svc.db.engine(), &caller.actor())
        .await?;
    super::mail::queue_in(tx, note).await?;
    // Money already paid on what the note takes back is the customer's
    // credit again.
    crate::payments::release_excess(tx, invoice.id, &today.to_string()).await?;
    // A customer suspended for a debt the note took back is reactivated.
    crate::collections::reconsider(tx, invoice.customer_id).await?;
    Ok(note)
}
