//! Invoices and credit notes e-mailed to the customer when issued.
//!
//! Issuing only queues a small outbox row naming the document
//! ([`queue_in`], in the document's own transaction), so a billing run
//! issuing 100,000 invoices does not render 100,000 PDFs: the outbox job
//! composes the message and renders the PDF when it sends ([`compose`]).
//! `email.send_invoices` turns it off.

use crate::contracts::document::{date, money};
use crate::{Result, Services};

/// Queues the e-mail of issued document `invoice_id` (invoice or credit
/// note) to its customer's billing e-mail, in the caller's transaction.
/// Nothing is queued when the customer has no e-mail, sending documents is
/// turned off, or the document was queued before: each document is
/// e-mailed once.
pub async fn queue_in(tx: &mut store::AnyConnection, invoice_id: i64) -> Result<()> {
    store::system::outbox::enqueue_document(tx, invoice_id, store::now()).await?;
    Ok(())
}

/// A document's message as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub body: String,
    pub filename: String,
    pub pdf: Vec<u8>,
}

/// The message for document `invoice_id` with its PDF, in its customer's
/// language (the one the customer prefers, else the company's).
pub async fn compose(svc: &Services, invoice_id: i64) -> Result<Composed> {
    let invoice = super::pdf::load(svc, invoice_id).await?;
    let locale = {
        let mut c = svc.db.conn().await?;
        let customer = store::billing::documents::get(&mut c, invoice_id)
            .await?
            .customer_id;
        crate::crm::customer_locale(&mut c, customer).await?
    };
    let payment = super::pdf::payment_block(svc, &invoice, invoice_id, locale).await?;
    let shown = (!payment.is_empty()).then_some(&payment);
    let (filename, pdf) = super::pdf::render_loaded(svc, &invoice, locale, shown).await?;
    let total = money(invoice.total.abs(), &invoice.currency, locale);
    let due = date(&invoice.due_date, locale);
    // The company names the sender in the subject ("Acme: invoice 12").
    let company = &invoice.company_name;
    let lead = if company.is_empty() {
        String::new()
    } else {
        format!("{company}: ")
    };
    let name = &invoice.customer_name;
    let number = &invoice.number;
    let credit = invoice.kind == "credit_note";
    let (subject, body) = match (locale, credit) {
        ("en", false) => (
            format!("{lead}invoice {number}"),
            format!(
                "Hello {name},\n\nYour invoice {number} of {total}, due on {due}, is attached.\n\n\
                 {company}\n"
            ),
        ),
        ("en", true) => (
            format!("{lead}credit note {number}"),
            format!(
                "Hello {name},\n\nCredit note {number} of {total}{} is attached.\n\n{company}\n",
                invoice
                    .credits_number
                    .as_ref()
                    .map(|n| format!(" for invoice {n}"))
                    .unwrap_or_default()
            ),
        ),
        (_, false) => (
            format!("{lead}fatura {number}"),
            format!(
                "Olá {name},\n\nSegue anexa a sua fatura {number} de {total}, com vencimento em \
                 {due}.\n\n{company}\n"
            ),
        ),
        (_, true) => (
            format!("{lead}nota de crédito {number}"),
            format!(
                "Olá {name},\n\nSegue anexa a nota de crédito {number} de {total}{}.\n\n{company}\n",
                invoice
                    .credits_number
                    .as_ref()
                    .map(|n| format!(", referente à fatura {n}"))
                    .unwrap_or_default()
            ),
        ),
    };
    // The payment codes in the text too: copied from the message on a phone.
    let mut body = body;
    for (label, value) in &payment.rows {
        body.push_str(&format!("\n{label}:\n{value}\n"));
    }
    if let Some(link) = &payment.link {
        let lead = if locale == "en" {
            "Pay online (card, PayPal and more)"
        } else {
            "Pague on-line (cartão, PayPal e mais)"
        };
        body.push_str(&format!("\n{lead}:\n{link}\n"));
    }
    Ok(Composed {
        subject,
        body,
        filename,
        pdf,
    })
}
