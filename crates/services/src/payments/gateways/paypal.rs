//! PayPal in the books: an order per invoice (Orders v2) the buyer
//! approves on PayPal's page, captured by us after approval (from the
//! `CHECKOUT.ORDER.APPROVED` webhook or the buyer's return, whichever comes
//! first: the capture is idempotent by its request id), and the capture's
//! own status decides: only `COMPLETED` records a payment (reference = the
//! capture id). Webhooks are trusted only when PayPal's verification call
//! answers `SUCCESS` for our webhook id. Refunds go through PayPal.

use domain::payments::Method;
use domain::system::settings as keys;
use gateways::paypal::webhook::{EventKind, TransmissionHeaders};
use gateways::paypal::{self as api, CaptureStatus, Paypal};

use super::{
    ProviderConfig, Received, WebhookError, WebhookOutcome, payable, record_gateway_payment,
};
use crate::payments::TakenBack;
use crate::system::settings::Settings;
use crate::{Caller, Error, Result, Services};

/// The gateway name on payments and charges.
pub const GATEWAY: &str = "paypal";
const WEBHOOK_JOB: &str = "paypal-webhook";
/// PayPal drops orders not approved within three hours; we stop offering
/// one a little before.
const ORDER_LIFETIME: i64 = 2 * 3600 + 1800;

/// PayPal's settings, the secret decrypted.
#[derive(Clone)]
pub struct Config {
    pub enabled: bool,
    pub api_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub webhook_id: String,
}

impl ProviderConfig for Config {
    type Client = Paypal;

    fn read(svc: &Services, s: &Settings) -> Result<Config> {
        Ok(Config {
            enabled: s.bool(keys::PAYPAL_ENABLED),
            api_url: s.raw(keys::PAYPAL_API_URL).to_owned(),
            client_id: s.raw(keys::PAYPAL_CLIENT_ID).to_owned(),
            client_secret: s.secret(svc, keys::PAYPAL_CLIENT_SECRET)?,
            webhook_id: s.raw(keys::PAYPAL_WEBHOOK_ID).to_owned(),
        })
    }

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn api_url(&self) -> &str {
        &self.api_url
    }

    fn required(&self) -> Vec<&str> {
        vec![&self.client_id, &self.client_secret]
    }

    fn build(&self, http: &gateways::http::Config) -> Result<Paypal> {
        Paypal::new(http, self.client_id.clone(), self.client_secret.clone()).map_err(paypal_err)
    }
}

fn paypal_err(e: api::Error) -> Error {
    Error::Internal(format!("PayPal: {e}"))
}

/// An order for what is left to pay on invoice `public_id`; returns the
/// approval URL (an open order of the same amount is reused while it
/// lives). `base` is the public URL the buyer returns to.
pub async fn checkout(svc: &Services, public_id: &str, base: &str) -> Result<String> {
    let cfg = Config::load(svc).await?;
    let paypal = cfg.enabled_client()?;
    let mut c = svc.db.conn().await?;
    let p = payable(&mut c, public_id).await?;
    if p.open <= 0 {
        return Err(Error::Refused("invoice-paid"));
    }
    let now = store::now();
    if let Some(charge) =
        store::payments::charges::open_checkout(&mut c, p.document.id, GATEWAY, p.open, now).await?
        && let Some(url) = charge.url
    {
        return Ok(url);
    }
    let attempt = store::payments::charges::of_invoice(&mut c, p.document.id)
        .await?
        .iter()
        .filter(|ch| ch.gateway == GATEWAY)
        .count();
    let brand = store::system::company::get(&mut c).await?.map(|c| c.name);
    drop(c);
    let base = base.trim_end_matches('/');
    let number = p.document.number.clone().unwrap_or_default();
    let order = paypal
        .create_order(&api::NewOrder {
            reference: public_id.to_owned(),
            invoice_id: None,
            description: format!("Invoice {number}"),
            amount: p.open,
            currency: p.currency.clone(),
            return_url: format!("{base}/pay/{public_id}/done"),
            cancel_url: format!("{base}/pay/{public_id}?canceled=1"),
            brand_name: brand,
            request_id: format!("invoice-{public_id}-order-{attempt}"),
        })
        .await
        .map_err(paypal_err)?;
    let url = order
        .approve_url()
        .map(str::to_owned)
        .ok_or_else(|| Error::Internal("PayPal: the order has no approval link".into()))?;
    let mut c = svc.db.conn().await?;
    store::payments::charges::insert(
        &mut c,
        &store::payments::charges::Added {
            invoice_id: p.document.id,
            method: "paypal",
            gateway: GATEWAY,
            external_id: &order.id,
            status: "open",
            amount: p.open,
            url: Some(&url),
            expires_at: Some(now + ORDER_LIFETIME),
            error: None,
            automatic: false,
        },
        now,
    )
    .await?;
    Ok(url)
}

/// What a capture did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Captured {
    /// `COMPLETED`: the payment is recorded.
    Paid { payment_id: i64 },
    /// `PENDING` (PayPal names why): nothing recorded yet.
    Pending(Option<String>),
    /// Declined or failed: nothing recorded; the charge row says why.
    Failed(String),
}

/// Captures approved order `order_id` (one of our charges) and records
/// the money if the capture is `COMPLETED`. Safe to call again: the
/// capture's request id is the order's and the payment's reference the
/// capture's.
pub async fn capture(svc: &Services, order_id: &str) -> Result<Captured> {
    let cfg = Config::load(svc).await?;
    let paypal = cfg.client()?;
    let mut c = svc.db.conn().await?;
    let charge = store::payments::charges::by_external(&mut c, GATEWAY, order_id)
        .await?
        .ok_or(Error::NotFound)?;
    drop(c);
    if charge.status == "canceled" {
        // Staff canceled it: an approval that comes later takes no money.
        return Ok(Captured::Failed(format!("order {order_id} was canceled")));
    }
    let result = paypal
        .capture_order(order_id, &format!("order-{order_id}-capture"))
        .await;
    let capture = match result {
        Ok(c) => c,
        Err(e) if e.has_issue("INSTRUMENT_DECLINED") => {
            // The buyer may pick another funding source on PayPal's page:
            // the order stays open.
            return Ok(Captured::Failed(e.to_string()));
        }
        Err(e) if e.has_issue("ORDER_ALREADY_CAPTURED") => {
            let order = paypal.order(order_id).await.map_err(paypal_err)?;
            order
                .captures()
                .map_err(paypal_err)?
                .into_iter()
                .next()
                .ok_or_else(|| Error::Internal(format!("PayPal: order {order_id}: no capture")))?
        }
        Err(e) => return Err(paypal_err(e)),
    };
    let mut tx = svc.db.begin().await?;
    let out = settle(&mut tx, &capture, Some(charge.id), charge.invoice_id, None).await?;
    tx.commit().await?;
    Ok(out)
}

/// Acts on a capture's status in `tx`.
async fn settle(
    tx: &mut store::WriteTx,
    capture: &api::Capture,
    charge_id: Option<i64>,
    invoice_id: i64,
    event_id: Option<&str>,
) -> Result<Captured> {
    let now = store::now();
    if let (Some(id), Some(event)) = (charge_id, event_id) {
        store::payments::webhooks::link(tx, GATEWAY, event, id).await?;
    }
    match &capture.status {
        CaptureStatus::Completed => {
            let r = record_gateway_payment(
                tx,
                &Received {
                    job: WEBHOOK_JOB,
                    method: Method::Paypal,
                    gateway: GATEWAY,
                    reference: &capture.id,
                    invoice_id,
                    amount: capture.amount,
                    charge_id,
                    event_id: None,
                },
            )
            .await?;
            Ok(Captured::Paid {
                payment_id: r.payment.id,
            })
        }
        CaptureStatus::Pending { reason } => {
            if let Some(id) = charge_id {
                let note = format!(
                    "capture {} pending{}",
                    capture.id,
                    reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                );
                store::payments::charges::set_status(tx, id, "open", None, Some(&note), now)
                    .await?;
            }
            Ok(Captured::Pending(reason.clone()))
        }
        other => {
            let why = format!("capture {} {:?}", capture.id, other);
            if let Some(id) = charge_id {
                store::payments::charges::set_status(tx, id, "failed", None, Some(&why), now)
                    .await?;
            }
            Ok(Captured::Failed(why))
        }
    }
}

/// Handles one webhook delivery: PayPal's verification call must answer
/// `SUCCESS` for our webhook id before anything is read from the event;
/// each event id is acted on once.
pub async fn webhook(
    svc: &Services,
    body: &[u8],
    header: impl Fn(&str) -> Option<String>,
) -> std::result::Result<WebhookOutcome, WebhookError> {
    let cfg = Config::load(svc).await?;
    if cfg.webhook_id.is_empty() {
        return Err(WebhookError::Refused("paypal.webhook_id: not set".into()));
    }
    let paypal = cfg
        .client()
        .map_err(|e| WebhookError::Refused(e.to_string()))?;
    let values: Vec<Option<String>> = TransmissionHeaders::NAMES
        .iter()
        .map(|n| header(n))
        .collect();
    let headers = TransmissionHeaders::from_lookup(|name| {
        TransmissionHeaders::NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| values[i].as_deref())
    })
    .map_err(|e| WebhookError::Refused(e.to_string()))?;
    let event = match paypal.verify_webhook(&headers, &cfg.webhook_id, body).await {
        Ok(e) => e,
        Err(api::webhook::VerifyError::Call(e)) => {
            return Err(WebhookError::Failed(paypal_err(e)));
        }
        Err(e) => return Err(WebhookError::Refused(e.to_string())),
    };
    {
        let mut c = svc.db.conn().await?;
        if store::payments::webhooks::seen(&mut c, GATEWAY, &event.id).await? {
            return Ok(WebhookOutcome::Duplicate);
        }
    }
    // The capture is a call to PayPal: made before our transaction, and
    // idempotent, so a retried delivery repeats it harmlessly.
    let approved_capture = match &event.kind {
        EventKind::OrderApproved(order) => {
            let mut c = svc.db.conn().await?;
            let ours = store::payments::charges::by_external(&mut c, GATEWAY, &order.id)
                .await?
                .is_some();
            drop(c);
            if ours {
                Some(capture(svc, &order.id).await?)
            } else {
                None
            }
        }
        _ => None,
    };
    let mut tx = svc.db.begin().await?;
    let at = store::now();
    if !store::payments::webhooks::claim(
        &mut tx,
        GATEWAY,
        &event.id,
        &event.event_type,
        "processed",
        at,
    )
    .await?
    {
        return Ok(WebhookOutcome::Duplicate);
    }
    let outcome = match &event.kind {
        EventKind::OrderApproved(order) => {
            if let Some(ch) =
                store::payments::charges::by_external(&mut tx, GATEWAY, &order.id).await?
            {
                store::payments::webhooks::link(&mut tx, GATEWAY, &event.id, ch.id).await?;
            }
            match approved_capture {
                Some(Captured::Paid { payment_id }) => WebhookOutcome::Paid { payment_id },
                _ => WebhookOutcome::Noted,
            }
        }
        EventKind::CaptureCompleted(cap)
        | EventKind::CapturePending(cap)
        | EventKind::CaptureDenied(cap) => {
            let charge = match &cap.order_id {
                Some(o) => store::payments::charges::by_external(&mut tx, GATEWAY, o).await?,
                None => None,
            };
            let invoice_id = match (&charge, &cap.custom_id) {
                (Some(ch), _) => Some(ch.invoice_id),
                (None, Some(public_id)) => {
                    match store::billing::documents::by_public_id(&mut tx, public_id).await {
                        Ok(d) => Some(d.id),
                        Err(store::Error::NotFound) => None,
                        Err(e) => return Err(e.into()),
                    }
                }
                (None, None) => None,
            };
            match invoice_id {
                Some(invoice_id) => {
                    match settle(
                        &mut tx,
                        cap,
                        charge.map(|c| c.id),
                        invoice_id,
                        Some(&event.id),
                    )
                    .await?
                    {
                        Captured::Paid { payment_id } => WebhookOutcome::Paid { payment_id },
                        _ => WebhookOutcome::Noted,
                    }
                }
                None => WebhookOutcome::Noted,
            }
        }
        _ => {
            store::payments::webhooks::set_outcome(&mut tx, GATEWAY, &event.id, "ignored", None)
                .await?;
            WebhookOutcome::Noted
        }
    };
    tx.commit().await.map_err(Error::from)?;
    Ok(outcome)
}

/// Refunds `amount` of PayPal payment `payment_id` (a capture) through
/// PayPal, then records the refund (`payments.refund`) under PayPal's
/// refund id.
pub async fn refund(
    svc: &Services,
    caller: &Caller,
    payment_id: i64,
    amount: domain::Money,
    reason: &str,
) -> Result<TakenBack> {
    super::refund_through(
        svc,
        caller,
        payment_id,
        GATEWAY,
        amount,
        reason,
        |ask| async move {
            let paypal = Config::load(svc).await?.client()?;
            let r = paypal
                .refund_capture(&api::NewRefund {
                    capture_id: ask.reference.clone(),
                    amount: Some(ask.amount),
                    currency: ask.currency.clone(),
                    note_to_payer: None,
                    request_id: ask.idempotency_key(),
                })
                .await
                .map_err(paypal_err)?;
            if r.status == "FAILED" || r.status == "CANCELLED" {
                return Err(Error::Internal(format!(
                    "PayPal: refund {} is {}",
                    r.id, r.status
                )));
            }
            Ok(r.id)
        },
    )
    .await
}

/// Checks the client id and secret by asking PayPal for a token.
pub async fn test_connection(svc: &Services, caller: &Caller) -> Result<String> {
    crate::system::settings::may_update(caller)?;
    let cfg = Config::load(svc).await?;
    cfg.client()?.access_token().await.map_err(paypal_err)?;
    Ok(if cfg.webhook_id.is_empty() {
        "connected; no webhook id set".into()
    } else {
        "connected".into()
    })
}
