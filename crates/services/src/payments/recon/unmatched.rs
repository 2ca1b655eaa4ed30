//! The queue of money received that matched no boleto: finance assigns it
//! to a customer (and optionally an invoice), which records it in the
//! ledger, or dismisses it (money returned to the payer, a test line…).

use domain::payments::Method;
use domain::{Money, Permission, validate};
use serde_json::json;
use store::payments::recon::{self as rs, Resolution, Unmatched};

use super::{ledger_caller, require};
use crate::payments::{NewPayment, Recorded, record_in};
use crate::{Caller, Change, Error, Result, Services, check};

/// The queue newest first; `status`: open, assigned or dismissed.
pub async fn list(
    svc: &Services,
    caller: &Caller,
    status: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<(Vec<Unmatched>, bool)> {
    require(caller, Permission::PaymentsView)?;
    if let Some(s) = status
        && !matches!(s, "open" | "assigned" | "dismissed")
    {
        return Err(Error::invalid_msg(
            "status",
            "must be open, assigned or dismissed",
        ));
    }
    let mut c = svc.db.conn().await?;
    Ok(rs::list_unmatched(&mut c, status, before_id, limit.clamp(1, 500)).await?)
}

pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Unmatched> {
    require(caller, Permission::PaymentsView)?;
    let mut c = svc.db.conn().await?;
    Ok(rs::get_unmatched(&mut c, id).await?)
}

/// Assigns open entry `id` to customer `customer_id` (the invoice it pays
/// first, if named): the money is recorded in the ledger as a boleto
/// payment with the entry's reference, in the same transaction as the
/// entry's resolution and its audit entry.
pub async fn assign(
    svc: &Services,
    caller: &Caller,
    id: i64,
    customer_id: i64,
    invoice_id: Option<i64>,
    note: &str,
) -> Result<(Unmatched, Recorded)> {
    require(caller, Permission::PaymentsRecord)?;
    check("note", validate::optional_multiline(note, 1000))?;
    let mut tx = svc.db.begin().await?;
    let engine = tx.engine();
    let u = rs::get_unmatched(&mut tx, id).await?;
    if u.status != "open" {
        return Err(Error::invalid_msg(
            "status",
            format!("entry {id} is {} already", u.status),
        ));
    }
    let recorded = record_in(
        &mut tx,
        &ledger_caller(),
        &NewPayment {
            customer_id,
            method: Method::Boleto,
            amount: Money(u.amount),
            received_on: u.paid_on.clone(),
            invoice_id,
            gateway: Some(u.source.clone()),
            reference: Some(u.reference.clone()),
            fee: Money(u.fee),
            notes: if note.trim().is_empty() {
                format!("Unmatched payment {id} assigned by hand")
            } else {
                note.trim().to_owned()
            },
        },
    )
    .await?;
    if recorded.duplicate {
        return Err(Error::invalid_msg(
            "reference",
            format!(
                "a payment with reference {} is recorded already (receipt {})",
                u.reference,
                recorded.payment.receipt_number.as_deref().unwrap_or("-")
            ),
        ));
    }
    let actor = caller.actor();
    let done = rs::resolve_unmatched(
        &mut tx,
        id,
        &Resolution {
            status: "assigned",
            customer_id: Some(customer_id),
            invoice_id,
            payment_id: Some(recorded.payment.id),
            note: note.trim(),
            by: &actor.name,
        },
        store::now(),
    )
    .await?;
    if !done {
        return Err(Error::invalid_msg(
            "status",
            format!("entry {id} is not open"),
        ));
    }
    Change::new("unmatched_payment.assign", "unmatched_payment", id)
        .before(json!({ "status": "open" }))
        .after(json!({
            "status": "assigned", "customer_id": customer_id, "invoice_id": invoice_id,
            "payment_id": recorded.payment.id, "amount": u.amount, "reference": u.reference,
            "note": note.trim(),
        }))
        .record(&mut tx, engine, &actor)
        .await?;
    let after = rs::get_unmatched(&mut tx, id).await?;
    tx.commit().await?;
    Ok((after, recorded))
}

/// Dismisses open entry `id` (nothing is recorded in the ledger); the
/// note says why and is required.
pub async fn dismiss(svc: &Services, caller: &Caller, id: i64, note: &str) -> Result<Unmatched> {
    require(caller, Permission::PaymentsRecord)?;
    check("note", validate::required_multiline(note, 1000))?;
    let mut tx = svc.db.begin().await?;
    let engine = tx.engine();
    let u = rs::get_unmatched(&mut tx, id).await?;
    let actor = caller.actor();
    let done = rs::resolve_unmatched(
        &mut tx,
        id,
        &Resolution {
            status: "dismissed",
            customer_id: None,
            invoice_id: None,
            payment_id: None,
            note: note.trim(),
            by: &actor.name,
        },
        store::now(),
    )
    .await?;
    if !done {
        return Err(Error::invalid_msg(
            "status",
            format!("entry {id} is {} already", u.status),
        ));
    }
    Change::new("unmatched_payment.dismiss", "unmatched_payment", id)
        .before(json!({ "status": "open" }))
        .after(json!({
            "status": "dismissed", "amount": u.amount, "reference": u.reference,
            "note": note.trim(),
        }))
        .record(&mut tx, engine, &actor)
        .await?;
    let after = rs::get_unmatched(&mut tx, id).await?;
    tx.commit().await?;
    Ok(after)
}
