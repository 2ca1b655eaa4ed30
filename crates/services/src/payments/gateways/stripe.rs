//! Stripe in the books: Checkout for an invoice, webhooks (verified by
//! `Stripe-Signature` with the stored endpoint secret), refunds through
//! Stripe, and saved cards charged off-session by the `card-charges` job
//! when `stripe.automatic_charges` is on.
//!
//! Our invoice's public id travels in the metadata (`lastmile_invoice`) of
//! the session and its PaymentIntent, so `payment_intent.succeeded` and
//! `checkout.session.completed` both name it; both record the payment
//! under the PaymentIntent id, so the second is a no-op.

use std::collections::BTreeMap;

use domain::Permission;
use domain::payments::Method;
use domain::system::settings as keys;
use gateways::stripe::webhook::{self, EventKind};
use gateways::stripe::{self as api, Stripe};

use super::{
    ProviderConfig, Received, WebhookError, WebhookOutcome, payable, record_gateway_payment,
};
use crate::payments::TakenBack;
use crate::system::settings::Settings;
use crate::{Caller, Error, Result, Services};

/// The gateway name on payments and charges.
pub const GATEWAY: &str = "stripe";
/// The job that charges saved cards.
pub const JOB: &str = "card-charges";
/// The system caller's name for webhooks.
const WEBHOOK_JOB: &str = "stripe-webhook";
/// Metadata key carrying our invoice's public id.
pub const META_INVOICE: &str = "lastmile_invoice";
/// Metadata key carrying our customer's id (saved cards).
pub const META_CUSTOMER: &str = "lastmile_customer";
/// Stripe's sessions live 24 h; we stop offering one a little before.
const SESSION_LIFETIME: i64 = 23 * 3600;

/// Stripe's settings, secrets decrypted.
#[derive(Clone)]
pub struct Config {
    pub enabled: bool,
    pub api_url: String,
    pub secret_key: String,
    pub webhook_secret: String,
    pub automatic_charges: bool,
}

impl ProviderConfig for Config {
    type Client = Stripe;

    fn read(svc: &Services, s: &Settings) -> Result<Config> {
        Ok(Config {
            enabled: s.bool(keys::STRIPE_ENABLED),
            api_url: s.raw(keys::STRIPE_API_URL).to_owned(),
            secret_key: s.secret(svc, keys::STRIPE_SECRET_KEY)?,
            webhook_secret: s.secret(svc, keys::STRIPE_WEBHOOK_SECRET)?,
            automatic_charges: s.bool(keys::STRIPE_AUTOMATIC_CHARGES),
        })
    }

    fn enabled(&self) -> bool {
        self.enabled
    }

    fn api_url(&self) -> &str {
        &self.api_url
    }

    fn required(&self) -> Vec<&str> {
        vec![&self.secret_key]
    }

    fn build(&self, http: &gateways::http::Config) -> Result<Stripe> {
        Stripe::new(http, self.secret_key.clone()).map_err(stripe_err)
    }
}

fn stripe_err(e: api::Error) -> Error {
    Error::Internal(format!("Stripe: {e}"))
}

/// Where Stripe sends the customer back: `{base}/pay/{public_id}…`.
fn return_urls(base: &str, public_id: &str) -> (String, String) {
    let base = base.trim_end_matches('/');
    (
        format!("{base}/pay/{public_id}/done"),
        format!("{base}/pay/{public_id}?canceled=1"),
    )
}

/// A Checkout page for what is left to pay on invoice `public_id`; the
/// open session of the same amount is reused while it lives. `base` is
/// the public URL the customer returns to.
pub async fn checkout(svc: &Services, public_id: &str, base: &str) -> Result<String> {
    let cfg = Config::load(svc).await?;
    let stripe = cfg.enabled_client()?;
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
    let saved = store::payments::charges::saved_method(&mut c, p.document.customer_id, GATEWAY)
        .await?
        .map(|s| s.provider_customer);
    drop(c);
    let (success_url, cancel_url) = return_urls(base, public_id);
    let number = p.document.number.clone().unwrap_or_default();
    let session = stripe
        .create_checkout_payment(&api::CheckoutPayment {
            description: format!("Invoice {number}"),
            amount: p.open,
            currency: p.currency.to_ascii_lowercase(),
            client_reference_id: public_id.to_owned(),
            customer: saved,
            customer_email: None,
            success_url,
            cancel_url,
            metadata: BTreeMap::from([(META_INVOICE.to_owned(), public_id.to_owned())]),
            save_card: false,
            idempotency_key: format!("invoice-{public_id}-checkout-{attempt}"),
        })
        .await
        .map_err(stripe_err)?;
    let url = session
        .url
        .clone()
        .ok_or_else(|| Error::Internal("Stripe: the checkout session has no url".into()))?;
    let mut c = svc.db.conn().await?;
    store::payments::charges::insert(
        &mut c,
        &store::payments::charges::Added {
            invoice_id: p.document.id,
            method: "stripe",
            gateway: GATEWAY,
            external_id: &session.id,
            status: "open",
            amount: p.open,
            url: Some(&url),
            expires_at: Some(now + SESSION_LIFETIME),
            error: None,
            automatic: false,
        },
        now,
    )
    .await?;
    Ok(url)
}

/// A Checkout page (setup mode) where the customer of invoice `public_id`
/// saves a card for automatic payments. Creates the Stripe customer the
/// first time (kept in `saved_payment_methods`).
pub async fn save_card_checkout(svc: &Services, public_id: &str, base: &str) -> Result<String> {
    let cfg = Config::load(svc).await?;
    let stripe = cfg.enabled_client()?;
    let mut c = svc.db.conn().await?;
    let p = payable(&mut c, public_id).await?;
    let customer_id = p.document.customer_id;
    let existing = store::payments::charges::saved_method(&mut c, customer_id, GATEWAY).await?;
    let provider_customer = match existing {
        Some(s) => s.provider_customer,
        None => {
            let customer = store::crm::customers::get(&mut c, customer_id).await?;
            let created = stripe
                .create_customer(&api::NewCustomer {
                    email: customer.emails.first().cloned(),
                    name: Some(customer.name.clone()),
                    metadata: BTreeMap::from([(META_CUSTOMER.to_owned(), customer_id.to_string())]),
                    idempotency_key: format!("customer-{customer_id}-create"),
                })
                .await
                .map_err(stripe_err)?;
            store::payments::charges::ensure_provider_customer(
                &mut c,
                customer_id,
                GATEWAY,
                &created.id,
                store::now(),
            )
            .await?;
            // A concurrent request may have kept another id first.
            store::payments::charges::saved_method(&mut c, customer_id, GATEWAY)
                .await?
                .map(|s| s.provider_customer)
                .unwrap_or(created.id)
        }
    };
    drop(c);
    let (success_url, cancel_url) = return_urls(base, public_id);
    let session = stripe
        .create_checkout_setup(&api::CheckoutSetup {
            customer: provider_customer,
            currency: p.currency.to_ascii_lowercase(),
            client_reference_id: public_id.to_owned(),
            success_url: format!("{success_url}?card=saved"),
            cancel_url,
            metadata: BTreeMap::from([
                (META_CUSTOMER.to_owned(), customer_id.to_string()),
                (META_INVOICE.to_owned(), public_id.to_owned()),
            ]),
            idempotency_key: format!(
                "customer-{customer_id}-setup-{public_id}-{}",
                store::now() / 3600
            ),
        })
        .await
        .map_err(stripe_err)?;
    session
        .url
        .ok_or_else(|| Error::Internal("Stripe: the setup session has no url".into()))
}

/// Whether customer `customer_id` has a card saved at Stripe (staff with
/// `billing.view`, or the customer).
pub async fn has_saved_card(svc: &Services, caller: &Caller, customer_id: i64) -> Result<bool> {
    caller.require_for_customer(Permission::BillingView, customer_id)?;
    let mut c = svc.db.conn().await?;
    Ok(
        store::payments::charges::saved_method(&mut c, customer_id, GATEWAY)
            .await?
            .is_some_and(|s| s.payment_method.is_some()),
    )
}

/// Handles one webhook request: verifies `Stripe-Signature` over the raw
/// `body` with the stored endpoint secret (300 s tolerance), then acts on
/// the event once.
pub async fn webhook(
    svc: &Services,
    body: &[u8],
    signature: Option<&str>,
) -> std::result::Result<WebhookOutcome, WebhookError> {
    let cfg = Config::load(svc).await?;
    let signature =
        signature.ok_or_else(|| WebhookError::Refused("Stripe-Signature: missing".into()))?;
    let event = webhook::verify(
        body,
        signature,
        &[cfg.webhook_secret.as_str()],
        jiff::Timestamp::now().as_second(),
        webhook::DEFAULT_TOLERANCE,
    )
    .map_err(|e| WebhookError::Refused(e.to_string()))?;
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
        EventKind::PaymentIntentSucceeded(pi) => {
            let invoice = pi.metadata.get(META_INVOICE).cloned();
            paid(
                &mut tx,
                &event.id,
                invoice.as_deref(),
                &pi.id,
                pi.amount_received,
                None,
            )
            .await?
        }
        EventKind::CheckoutSessionCompleted(s) if s.mode == "payment" => {
            match (&s.payment_intent, s.payment_status.as_str()) {
                (Some(pi), "paid") => {
                    let invoice = s
                        .metadata
                        .get(META_INVOICE)
                        .cloned()
                        .or_else(|| s.client_reference_id.clone());
                    let amount = s.amount_total.unwrap_or(0);
                    paid(
                        &mut tx,
                        &event.id,
                        invoice.as_deref(),
                        pi,
                        amount,
                        Some(&s.id),
                    )
                    .await?
                }
                _ => WebhookOutcome::Noted,
            }
        }
        EventKind::PaymentIntentPaymentFailed(pi) => {
            let reason = pi
                .last_payment_error
                .as_ref()
                .map(|e| {
                    format!(
                        "{}{}: {}",
                        e.code.as_deref().unwrap_or("card_declined"),
                        e.decline_code
                            .as_deref()
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default(),
                        e.message.as_deref().unwrap_or("")
                    )
                })
                .unwrap_or_else(|| "payment failed".into());
            if let Some(ch) =
                store::payments::charges::by_external(&mut tx, GATEWAY, &pi.id).await?
            {
                store::payments::webhooks::link(&mut tx, GATEWAY, &event.id, ch.id).await?;
                store::payments::charges::set_status(
                    &mut tx,
                    ch.id,
                    "failed",
                    None,
                    Some(&reason),
                    at,
                )
                .await?;
            }
            WebhookOutcome::Noted
        }
        EventKind::SetupIntentSucceeded(si) => {
            if let (Some(customer), Some(pm)) = (&si.customer, &si.payment_method) {
                store::payments::charges::set_payment_method(&mut tx, GATEWAY, customer, pm, at)
                    .await?;
            }
            WebhookOutcome::Noted
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

/// Money arrived: PaymentIntent `intent` for invoice `invoice` (public id).
async fn paid(
    tx: &mut store::WriteTx,
    event_id: &str,
    invoice: Option<&str>,
    intent: &str,
    amount: i64,
    session: Option<&str>,
) -> std::result::Result<WebhookOutcome, WebhookError> {
    let Some(invoice) = invoice else {
        // Not one of ours (another integration on the same account).
        return Ok(WebhookOutcome::Noted);
    };
    if amount <= 0 {
        return Ok(WebhookOutcome::Noted);
    }
    let document = match store::billing::documents::by_public_id(tx, invoice).await {
        Ok(d) => d,
        Err(store::Error::NotFound) => {
            return Err(WebhookError::Refused(format!(
                "{META_INVOICE} {invoice:?}: no such invoice"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let charge = match session {
        Some(s) => store::payments::charges::by_external(tx, GATEWAY, s).await?,
        None => None,
    };
    let charge = match charge {
        Some(c) => Some(c),
        None => store::payments::charges::by_external(tx, GATEWAY, intent).await?,
    };
    let r = record_gateway_payment(
        tx,
        &Received {
            job: WEBHOOK_JOB,
            method: Method::Stripe,
            gateway: GATEWAY,
            reference: intent,
            invoice_id: document.id,
            amount,
            charge_id: charge.map(|c| c.id),
            event_id: Some(event_id),
        },
    )
    .await?;
    Ok(WebhookOutcome::Paid {
        payment_id: r.payment.id,
    })
}

/// Refunds `amount` of Stripe payment `payment_id` through Stripe, then
/// records the refund (`payments.refund`). The Stripe refund's id is the
/// refund row's reference, so retrying records it once.
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
            let stripe = Config::load(svc).await?.client()?;
            let r = stripe
                .create_refund(&api::NewRefund {
                    payment_intent: ask.reference.clone(),
                    amount: Some(ask.amount),
                    metadata: BTreeMap::from([(
                        "lastmile_payment".to_owned(),
                        ask.payment.public_id.clone(),
                    )]),
                    idempotency_key: ask.idempotency_key(),
                })
                .await
                .map_err(stripe_err)?;
            if r.status == "failed" || r.status == "canceled" {
                return Err(Error::Internal(format!(
                    "Stripe: refund {} is {}",
                    r.id, r.status
                )));
            }
            Ok(r.id)
        },
    )
    .await
}

/// Checks the secret key with a cheap authenticated call (a customer
/// search no customer matches).
pub async fn test_connection(svc: &Services, caller: &Caller) -> Result<String> {
    crate::system::settings::may_update(caller)?;
    let cfg = Config::load(svc).await?;
    let stripe = cfg.client()?;
    stripe
        .find_customers(META_CUSTOMER, "connection-test")
        .await
        .map_err(stripe_err)?;
    Ok(if cfg.webhook_secret.is_empty() {
        "connected; no webhook signing secret set".into()
    } else {
        "connected".into()
    })
}

/// What one pass of the card-charges job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChargeRun {
    pub paid: usize,
    pub failed: usize,
}

/// Charges open invoices due by today to their customers' saved cards
/// (when `stripe.automatic_charges` is on), once per invoice: the
/// idempotency key is the invoice's, and a failure stays on the charge row
/// for staff (`charges_of_invoice`).
pub async fn charge_saved_cards(svc: &Services) -> Result<ChargeRun> {
    let cfg = Config::load(svc).await?;
    let mut run = ChargeRun::default();
    if !cfg.enabled || !cfg.automatic_charges {
        return Ok(run);
    }
    let stripe = cfg.client()?;
    let mut c = svc.db.conn().await?;
    let today = crate::crm::today(&mut c).await?.to_string();
    let due = store::payments::charges::due_for_card(&mut c, GATEWAY, &today, 500).await?;
    drop(c);
    for inv in due {
        let mut c = svc.db.conn().await?;
        let p = payable(&mut c, &inv.public_id).await?;
        drop(c);
        if p.open <= 0 {
            continue;
        }
        let result = stripe
            .charge_saved_card(&api::OffSessionCharge {
                customer: inv.provider_customer.clone(),
                payment_method: inv.payment_method.clone(),
                amount: p.open,
                currency: p.currency.to_ascii_lowercase(),
                description: inv.number.as_ref().map(|n| format!("Invoice {n}")),
                metadata: BTreeMap::from([(META_INVOICE.to_owned(), inv.public_id.clone())]),
                idempotency_key: format!("invoice-{}-autocharge", inv.public_id),
            })
            .await;
        let now = store::now();
        let mut tx = svc.db.begin().await?;
        match result {
            Ok(intent) => {
                let id = store::payments::charges::insert(
                    &mut tx,
                    &store::payments::charges::Added {
                        invoice_id: inv.invoice_id,
                        method: "stripe",
                        gateway: GATEWAY,
                        external_id: &intent.id,
                        status: "open",
                        amount: p.open,
                        url: None,
                        expires_at: None,
                        error: None,
                        automatic: true,
                    },
                    now,
                )
                .await?;
                if intent.status == api::PaymentIntentStatus::Succeeded {
                    let received = if intent.amount_received > 0 {
                        intent.amount_received
                    } else {
                        intent.amount
                    };
                    record_gateway_payment(
                        &mut tx,
                        &Received {
                            job: JOB,
                            method: Method::Stripe,
                            gateway: GATEWAY,
                            reference: &intent.id,
                            invoice_id: inv.invoice_id,
                            amount: received,
                            charge_id: id,
                            event_id: None,
                        },
                    )
                    .await?;
                    run.paid += 1;
                }
            }
            Err(e) => {
                let (external, message) = match &e {
                    api::Error::Card { payment_intent, .. }
                    | api::Error::AuthenticationRequired { payment_intent } => {
                        (payment_intent.clone(), e.to_string())
                    }
                    other => (None, other.to_string()),
                };
                let external = external.unwrap_or_else(|| format!("auto-{}", inv.public_id));
                let message: String = message.chars().take(500).collect();
                store::payments::charges::insert(
                    &mut tx,
                    &store::payments::charges::Added {
                        invoice_id: inv.invoice_id,
                        method: "stripe",
                        gateway: GATEWAY,
                        external_id: &external,
                        status: "failed",
                        amount: p.open,
                        url: None,
                        expires_at: None,
                        error: Some(&message),
                        automatic: true,
                    },
                    now,
                )
                .await?;
                tracing::warn!(
                    invoice = inv.public_id,
                    "automatic card charge failed: {message}"
                );
                run.failed += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(run)
}

/// The `card-charges` job.
pub async fn job(ctx: &crate::system::jobs::JobContext) -> Result<()> {
    let run = charge_saved_cards(ctx.svc()).await?;
    ctx.note(&format!("{} paid, {} failed", run.paid, run.failed))
        .await
}
