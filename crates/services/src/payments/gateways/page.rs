//! What the public payment page (`/pay/{public_id}`, no sign-in) shows
//! for one invoice: whose it is (the company, the customer's first name
//! only), what is left to pay, and every enabled way to pay. Reached only
//! by the invoice's random public id; anything else is `NotFound`.

use domain::payments::{InvoiceAmounts, InvoiceStatus};
use domain::system::settings as keys;

use super::payable;
use crate::{Result, Services};

/// A Pix code the customer can scan or paste.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixOption {
    /// The copy-and-paste code (BR Code).
    pub code: String,
    /// Its QR code as inline SVG.
    pub qr_svg: String,
}

/// A boleto the customer can pay at a bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoletoOption {
    pub digitable_line: String,
}

/// The page's content.
#[derive(Debug, Clone)]
pub struct PayPage {
    pub public_id: String,
    pub company: String,
    /// The company's locale (the page's language when the browser asks
    /// for none we have).
    pub company_locale: String,
    /// The customer's first name only: the page is public.
    pub first_name: String,
    pub number: String,
    pub currency: String,
    pub total: i64,
    pub open: i64,
    pub due_date: String,
    pub status: InvoiceStatus,
    pub pix: Option<PixOption>,
    pub boleto: Option<BoletoOption>,
    /// "Pay by card" (Stripe Checkout).
    pub card: bool,
    /// "PayPal".
    pub paypal: bool,
}

/// The page for invoice `public_id`.
pub async fn view(svc: &Services, public_id: &str) -> Result<PayPage> {
    let mut c = svc.db.conn().await?;
    let p = payable(&mut c, public_id).await?;
    let status = status_of(&mut c, &p).await?;
    let company = store::system::company::get(&mut c).await?;
    let customer = store::crm::customers::get(&mut c, p.document.customer_id).await?;
    let charges = store::payments::charges::of_invoice(&mut c, p.document.id).await?;
    drop(c);
    let settings = crate::system::settings::current(svc).await?;
    let payable_now = p.open > 0;
    let now = store::now();
    let live = |method: &str| {
        charges
            .iter()
            .filter(|ch| ch.method == method && ch.status == "open" && ch.amount == p.open)
            .find(|ch| ch.expires_at.is_none_or(|e| e > now))
    };
    let pix = live("pix")
        .and_then(|ch| ch.pay_code.clone())
        .filter(|_| payable_now)
        .map(|code| PixOption {
            qr_svg: crate::staff::totp::qr_svg(&code),
            code,
        });
    let boleto = live("boleto")
        .and_then(|ch| ch.pay_code.clone())
        .filter(|_| payable_now)
        .map(|digitable_line| BoletoOption { digitable_line });
    let first_name = customer
        .name
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let (company_name, company_locale) = company.map(|c| (c.name, c.locale)).unwrap_or_default();
    Ok(PayPage {
        public_id: p.document.public_id.clone(),
        company: company_name,
        company_locale,
        first_name,
        number: p.document.number.clone().unwrap_or_default(),
        currency: p.currency.clone(),
        total: p.document.total,
        open: p.open,
        due_date: p.document.due_date.clone(),
        status,
        pix,
        boleto,
        card: payable_now && settings.bool(keys::STRIPE_ENABLED),
        paypal: payable_now && settings.bool(keys::PAYPAL_ENABLED),
    })
}

/// The invoice's status and what is left to pay, for the page's polling.
pub async fn status(svc: &Services, public_id: &str) -> Result<(InvoiceStatus, i64)> {
    let mut c = svc.db.conn().await?;
    let p = payable(&mut c, public_id).await?;
    let status = status_of(&mut c, &p).await?;
    Ok((status, p.open))
}

async fn status_of(c: &mut store::AnyConnection, p: &super::Payable) -> Result<InvoiceStatus> {
    let today = crate::crm::today(c).await?.to_string();
    let credited: i64 = store::payments::credited(c, &[p.document.id])
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .sum();
    Ok(domain::payments::invoice_status(
        &p.document.status,
        InvoiceAmounts {
            total: p.document.total,
            credited,
            paid: p.document.paid,
        },
        &p.document.due_date,
        &today,
    ))
}
