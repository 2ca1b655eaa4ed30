//! Payment gateways wired into the books: each module reads its settings,
//! opens charges at its provider for invoices (rows of `payment_charges`),
//! handles the provider's webhooks once per event (`webhook_events`) and
//! records the money through [`crate::payments::record_in`] as the system.
//!
//! - [`stripe`]: Checkout for one invoice, a saved card (Checkout in setup
//!   mode) charged off-session by the `card-charges` job, refunds.
//! - [`paypal`]: Orders v2 (create, approve, capture), refunds.
//! - [`page`]: what the public payment page shows for an invoice.

pub mod page;
pub mod paypal;
pub mod stripe;

use domain::payments::Method;
use store::WriteTx;
use store::billing::documents::Document;

use crate::payments::{NewPayment, Recorded};
use crate::{Caller, Error, Result, Services};

/// Why a webhook request was not processed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The request is not the provider's (bad or missing signature, a body
    /// that is not an event, the gateway not set up): answer 400 and
    /// record nothing.
    #[error("{0}")]
    Refused(String),
    /// Something on our side failed: answer 500 so the provider retries.
    #[error(transparent)]
    Failed(#[from] Error),
}

impl From<store::Error> for WebhookError {
    fn from(e: store::Error) -> Self {
        WebhookError::Failed(e.into())
    }
}

/// What a webhook delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The event was handled before: nothing done.
    Duplicate,
    /// A payment recorded (or found recorded under the same reference).
    Paid { payment_id: i64 },
    /// Handled without money moving (a failure noted, a card saved, an
    /// event type we do not act on).
    Noted,
}

/// An invoice that can take money: issued, not voided, with `open` left to
/// pay after payments and credit notes.
#[derive(Debug, Clone)]
pub struct Payable {
    pub document: Document,
    pub open: i64,
    pub currency: String,
}

/// Invoice `public_id` and what is left to pay on it; `NotFound` for an
/// unknown id, a credit note or a draft (nothing says which).
pub async fn payable(conn: &mut store::AnyConnection, public_id: &str) -> Result<Payable> {
    let document = match store::billing::documents::by_public_id(conn, public_id).await {
        Ok(d) => d,
        Err(store::Error::NotFound) => return Err(Error::NotFound),
        Err(e) => return Err(e.into()),
    };
    if document.kind != "invoice" || document.status == "draft" {
        return Err(Error::NotFound);
    }
    let credited: i64 = store::payments::credited(conn, &[document.id])
        .await?
        .into_iter()
        .map(|(_, amount)| amount)
        .sum();
    let open = if document.status == "issued" {
        (document.total - credited - document.paid).max(0)
    } else {
        0
    };
    let currency = store::system::company::get(conn)
        .await?
        .map(|c| c.currency)
        .unwrap_or_else(|| "BRL".into());
    Ok(Payable {
        document,
        open,
        currency,
    })
}

/// Money a gateway says arrived for an invoice.
pub(crate) struct Received<'a> {
    /// The system caller's name (the webhook or job).
    pub job: &'static str,
    pub method: Method,
    pub gateway: &'a str,
    /// The provider's id of the money (PaymentIntent, capture).
    pub reference: &'a str,
    pub invoice_id: i64,
    pub amount: i64,
    /// The charge row it settles, if known.
    pub charge_id: Option<i64>,
}

/// Records `r` as the system in `tx` (once per gateway and reference) and
/// marks its charge row paid.
pub(crate) async fn record_gateway_payment(tx: &mut WriteTx, r: &Received<'_>) -> Result<Recorded> {
    let document = store::billing::documents::get(tx, r.invoice_id).await?;
    let today = crate::crm::today(tx).await?;
    let recorded = crate::payments::record_in(
        tx,
        &Caller::system(r.job),
        &NewPayment {
            customer_id: document.customer_id,
            method: r.method,
            amount: domain::Money(r.amount),
            received_on: today.to_string(),
            invoice_id: Some(r.invoice_id),
            gateway: Some(r.gateway.to_owned()),
            reference: Some(r.reference.to_owned()),
            fee: domain::Money(0),
            notes: String::new(),
        },
    )
    .await?;
    if let Some(id) = r.charge_id {
        store::payments::cards::set_charge_status(
            tx,
            id,
            "paid",
            Some(recorded.payment.id),
            None,
            store::now(),
        )
        .await?;
    }
    Ok(recorded)
}

/// The `http::Config` for a provider's base URL from the settings.
pub(crate) fn http_config(base_url: &str) -> gateways::http::Config {
    let base = if base_url.ends_with('/') {
        base_url.to_owned()
    } else {
        format!("{base_url}/")
    };
    gateways::http::Config::new(base)
}

/// The payment a refund through a gateway is about: a payment row of
/// `gateway`, with its provider reference.
pub(crate) async fn gateway_payment(
    svc: &Services,
    payment_id: i64,
    gateway: &str,
) -> Result<crate::payments::Payment> {
    let mut c = svc.db.conn().await?;
    let p = match store::payments::get(&mut c, payment_id).await {
        Ok(p) => p,
        Err(store::Error::NotFound) => return Err(Error::NotFound),
        Err(e) => return Err(e.into()),
    };
    if p.kind != "payment" || p.gateway.as_deref() != Some(gateway) || p.reference.is_none() {
        return Err(Error::invalid_msg(
            "payment_id",
            format!("is not a payment received through {gateway}"),
        ));
    }
    Ok(p)
}
