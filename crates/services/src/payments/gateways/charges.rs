//! The staff view of charges at providers (`payment_charges`): the list
//! with filters, one charge with its webhook history, and two actions —
//! cancel an open charge (through the provider where it can: Pix cob/cobv
//! `REMOVIDA_PELO_USUARIO_RECEBEDOR`, Stripe's session expired, the boleto
//! written off at Banco do Brasil) and re-create the charge of an invoice
//! whose charge was closed. Reading needs `payments.view`; acting needs
//! `payments.record`; every action is audited (`charge.cancel`,
//! `charge.recreate`).
//!
//! A charge canceled by staff keeps its invoice out of the charge jobs
//! (`closed_by`), so the job does not make it again five minutes later;
//! re-creating it is the staff's call.

use domain::Permission;
use gateways::boleto::BoletoBank;
use gateways::pix::Txid;
use serde_json::json;
use store::payments::charges::{Charge, Filter, Listed};
use store::payments::webhooks::Event;

use super::{ProviderConfig, boleto, gateway_error, paypal, pix, stripe};
use crate::change::Change;
use crate::{Caller, Error, Result, Services};

/// The gateways a charge can be at (`payment_charges.gateway`).
pub const GATEWAYS: &[&str] = &[
    pix::GATEWAY,
    pix::GATEWAY_STATIC,
    boleto::GATEWAY,
    boleto::GATEWAY_PIX,
    "cnab",
    stripe::GATEWAY,
    paypal::GATEWAY,
];

/// A charge's states.
pub const STATUSES: &[&str] = &["open", "paid", "canceled", "expired", "failed"];

/// A page of charges matching `f` (newest first) and whether more follow.
/// Needs `payments.view`; an unknown gateway or status is named.
pub async fn list(svc: &Services, caller: &Caller, f: &Filter) -> Result<(Vec<Listed>, bool)> {
    caller.require(Permission::PaymentsView)?;
    if let Some(g) = &f.gateway
        && !GATEWAYS.contains(&g.as_str())
    {
        return Err(Error::invalid_msg(
            "gateway",
            format!("must be one of {}", GATEWAYS.join(", ")),
        ));
    }
    if let Some(s) = &f.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(Error::invalid_msg(
            "status",
            format!("must be one of {}", STATUSES.join(", ")),
        ));
    }
    if !(1..=500).contains(&f.limit) {
        return Err(Error::invalid_msg("limit", "must be between 1 and 500"));
    }
    let mut c = svc.db.conn().await?;
    Ok(store::payments::charges::list(&mut c, f).await?)
}

/// A charge with what its provider told us about it.
#[derive(Debug, Clone)]
pub struct Detail {
    pub charge: Listed,
    /// The webhook events that acted on it, oldest first.
    pub events: Vec<Event>,
    /// Whether staff may cancel it now, through its provider or here.
    pub cancelable: bool,
    /// Whether staff may make a new charge in its place.
    pub recreatable: bool,
}

/// Charge `id` with its history. Needs `payments.view`.
pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Detail> {
    caller.require(Permission::PaymentsView)?;
    let mut c = svc.db.conn().await?;
    let charge = match store::payments::charges::listed(&mut c, id).await {
        Ok(ch) => ch,
        Err(store::Error::NotFound) => return Err(Error::NotFound),
        Err(e) => return Err(e.into()),
    };
    let events = store::payments::webhooks::of_charge(&mut c, id).await?;
    let open_other = store::payments::charges::of_invoice(&mut c, charge.charge.invoice_id)
        .await?
        .iter()
        .any(|o| o.gateway == charge.charge.gateway && o.status == "open");
    let inv = store::payments::invoice_amounts(&mut c, charge.charge.invoice_id).await?;
    Ok(Detail {
        cancelable: charge.charge.status == "open" && how_to_cancel(&charge.charge).is_some(),
        recreatable: charge.charge.status != "open"
            && charge.charge.status != "paid"
            && !open_other
            && inv.status == "issued"
            && inv.open() > 0
            && recreatable_at(&charge.charge.gateway),
        charge,
        events,
    })
}

/// How an open charge is canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cancel {
    /// `PATCH /cob` or `/cobv` with `REMOVIDA_PELO_USUARIO_RECEBEDOR`.
    PixCob,
    /// `POST /v1/checkout/sessions/{id}/expire`.
    StripeSession,
    /// *Baixa* at Banco do Brasil (its hybrid Pix goes with it).
    BbBoleto,
    /// Nothing to tell a provider: a static BR Code, or a PayPal order
    /// (Orders v2 cannot be voided; an order approved after this is not
    /// captured).
    Here,
}

fn how_to_cancel(ch: &Charge) -> Option<Cancel> {
    match (ch.gateway.as_str(), ch.method.as_str()) {
        (pix::GATEWAY, "pix") => Some(Cancel::PixCob),
        (pix::GATEWAY_STATIC, _) => Some(Cancel::Here),
        (stripe::GATEWAY, _) if ch.automatic == 0 && ch.external_id.starts_with("cs_") => {
            Some(Cancel::StripeSession)
        }
        (paypal::GATEWAY, _) => Some(Cancel::Here),
        (boleto::GATEWAY, _) => Some(Cancel::BbBoleto),
        // A recurring Pix charge, a card charge already sent, a CNAB
        // boleto (written off by a remittance instruction): not here.
        _ => None,
    }
}

fn recreatable_at(gateway: &str) -> bool {
    matches!(
        gateway,
        pix::GATEWAY | pix::GATEWAY_STATIC | boleto::GATEWAY | stripe::GATEWAY | paypal::GATEWAY
    )
}

/// Cancels open charge `id` through its provider, then here with
/// `reason` (required), audited as `charge.cancel`. Needs
/// `payments.record`.
pub async fn cancel(svc: &Services, caller: &Caller, id: i64, reason: &str) -> Result<Detail> {
    caller.require(Permission::PaymentsRecord)?;
    domain::validate::required_multiline(reason, 500).map_err(|e| Error::invalid("reason", e))?;
    let ch = {
        let mut c = svc.db.conn().await?;
        match store::payments::charges::get(&mut c, id).await {
            Ok(ch) => ch,
            Err(store::Error::NotFound) => return Err(Error::NotFound),
            Err(e) => return Err(e.into()),
        }
    };
    if ch.status != "open" {
        return Err(Error::Refused("charge-not-open"));
    }
    let how = how_to_cancel(&ch).ok_or(Error::Refused("charge-cancel-unsupported"))?;
    match how {
        Cancel::PixCob => {
            let s = crate::system::settings::current(svc).await?;
            let client = pix::client(svc).await?;
            let txid = Txid::new(&ch.external_id).map_err(|e| gateway_error("Pix", e))?;
            pix::cancel_at_psp(&client, &s, &txid).await?;
        }
        Cancel::StripeSession => {
            let stripe = stripe::Config::load(svc).await?.client()?;
            stripe
                .expire_checkout_session(&ch.external_id)
                .await
                .map_err(|e| gateway_error("Stripe", e))?;
        }
        Cancel::BbBoleto => {
            boleto::client(svc)
                .await?
                .cancel(&ch.external_id)
                .await
                .map_err(|e| gateway_error("Banco do Brasil", e))?;
        }
        Cancel::Here => {}
    }
    let actor = caller.actor();
    let mut tx = svc.db.begin().await?;
    let engine = tx.engine();
    let now = store::now();
    if !store::payments::charges::cancel_by(&mut tx, id, &actor.name, reason.trim(), now).await? {
        // Paid (or closed) while the provider was asked.
        return Err(Error::Refused("charge-not-open"));
    }
    if how == Cancel::BbBoleto {
        // The hybrid boleto's Pix is written off with it.
        for other in store::payments::charges::of_invoice(&mut tx, ch.invoice_id).await? {
            if other.gateway == boleto::GATEWAY_PIX && other.status == "open" {
                store::payments::charges::cancel_by(&mut tx, other.id, &actor.name, reason, now)
                    .await?;
            }
        }
    }
    Change::new("charge.cancel", "payment_charge", id)
        .before(json!({ "status": "open" }))
        .after(json!({
            "status": "canceled", "gateway": ch.gateway, "external_id": ch.external_id,
            "invoice_id": ch.invoice_id, "reason": reason.trim(),
        }))
        .record(&mut tx, engine, &actor)
        .await?;
    tx.commit().await?;
    get(svc, caller, id).await
}

/// Makes a new charge at the gateway of closed charge `id` (canceled,
/// expired or failed) for what its invoice still owes, audited as
/// `charge.recreate`; answers the new charge. `base` is the public URL a
/// Stripe or PayPal payer returns to. Needs `payments.record`.
pub async fn recreate(svc: &Services, caller: &Caller, id: i64, base: &str) -> Result<Detail> {
    caller.require(Permission::PaymentsRecord)?;
    let d = get(svc, caller, id).await?;
    let ch = &d.charge.charge;
    if ch.status == "open" || ch.status == "paid" {
        return Err(Error::Refused("charge-still-valid"));
    }
    if !d.recreatable {
        return Err(Error::Refused("charge-recreate-unsupported"));
    }
    let public_id = {
        let mut c = svc.db.conn().await?;
        store::billing::documents::get(&mut c, ch.invoice_id)
            .await?
            .public_id
    };
    let new_id = match ch.gateway.as_str() {
        pix::GATEWAY => pix::ensure_pix_charge(svc, ch.invoice_id).await?.id,
        pix::GATEWAY_STATIC => pix::static_charge(svc, ch.invoice_id).await?.id,
        boleto::GATEWAY => boleto::ensure_boleto(svc, ch.invoice_id).await?.id,
        stripe::GATEWAY | paypal::GATEWAY => {
            if ch.gateway == stripe::GATEWAY {
                stripe::checkout(svc, &public_id, base).await?;
            } else {
                paypal::checkout(svc, &public_id, base).await?;
            }
            let mut c = svc.db.conn().await?;
            store::payments::charges::of_invoice(&mut c, ch.invoice_id)
                .await?
                .into_iter()
                .find(|o| o.gateway == ch.gateway && o.status == "open")
                .map(|o| o.id)
                .ok_or_else(|| Error::Internal("the new checkout left no open charge".into()))?
        }
        _ => return Err(Error::Refused("charge-recreate-unsupported")),
    };
    let actor = caller.actor();
    let mut tx = svc.db.begin().await?;
    let engine = tx.engine();
    Change::new("charge.recreate", "payment_charge", new_id)
        .after(json!({
            "replaces": id, "gateway": ch.gateway, "invoice_id": ch.invoice_id,
        }))
        .record(&mut tx, engine, &actor)
        .await?;
    tx.commit().await?;
    get(svc, caller, new_id).await
}
