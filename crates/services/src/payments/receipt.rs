//! A payment's receipt: a one-page PDF in the customer's language
//! (company, customer, amount, method, day, invoices paid, receipt
//! number), for staff holding `payments.view` or the customer itself, and
//! the e-mail that sends it (queued when the payment is recorded, composed
//! and rendered when the outbox sends it).

use domain::Permission;
use domain::payments::Method;
use pdfdoc::{Block, Column, Grid, Span};

use crate::billing::mail::Composed;
use crate::contracts::document::{company_logo, date, money};
use crate::{Caller, Error, Result, Services};

/// What a receipt shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub number: String,
    pub company_name: String,
    pub company_document: String,
    pub customer_name: String,
    pub customer_document: String,
    pub amount: i64,
    pub currency: String,
    pub method: String,
    pub received_on: String,
    /// `(invoice number, amount)` of each invoice it paid.
    pub invoices: Vec<(String, i64)>,
    /// Kept as the customer's credit.
    pub credit: i64,
}

/// Reads what payment `id`'s receipt shows (no permission check: callers
/// check).
async fn load(svc: &Services, id: i64) -> Result<(Receipt, i64)> {
    let mut c = svc.db.conn().await?;
    let p = store::payments::get(&mut c, id).await?;
    let Some(number) = p.receipt_number.clone() else {
        return Err(Error::Refused("no-receipt"));
    };
    let customer = store::crm::customers::get(&mut c, p.customer_id).await?;
    let company = store::system::company::get(&mut c).await?;
    let allocations = store::payments::allocations_of(&mut c, id).await?;
    let invoices: Vec<(String, i64)> = allocations
        .iter()
        .filter(|a| a.payment_id == id && a.held() > 0)
        .map(|a| (a.invoice_number.clone().unwrap_or_default(), a.amount))
        .collect();
    let applied: i64 = invoices.iter().map(|i| i.1).sum();
    Ok((
        Receipt {
            number,
            company_name: company.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            company_document: company
                .as_ref()
                .map(|c| c.legal_document.clone())
                .unwrap_or_default(),
            customer_name: customer.name,
            customer_document: customer.document,
            amount: p.amount,
            currency: company.map_or_else(|| "BRL".to_owned(), |c| c.currency),
            method: p.method,
            received_on: p.received_on,
            invoices,
            credit: (p.amount - applied).max(0),
        },
        p.customer_id,
    ))
}

/// Payment `id`'s receipt as a PDF with its file name; staff with
/// `payments.view` or the payment's customer.
pub async fn pdf(svc: &Services, caller: &Caller, id: i64) -> Result<(String, Vec<u8>)> {
    let (receipt, customer_id) = load(svc, id).await.map_err(|e| match e {
        // A refund has no receipt: not found for anyone.
        Error::Refused(_) => Error::NotFound,
        other => other,
    })?;
    caller.require_for_customer(Permission::PaymentsView, customer_id)?;
    let locale = customer_locale(svc, customer_id).await?;
    let logo = company_logo(svc).await?;
    let bytes = render(&receipt, locale, logo)?;
    Ok((filename(&receipt, locale), bytes))
}

/// The language customer `id` is written to in.
async fn customer_locale(svc: &Services, id: i64) -> Result<&'static str> {
    let mut c = svc.db.conn().await?;
    crate::crm::customer_locale(&mut c, id).await
}

fn filename(r: &Receipt, locale: &str) -> String {
    let word = if locale == "en" { "receipt" } else { "recibo" };
    format!("{word}-{}.pdf", r.number)
}

/// The method's name in `locale`.
pub fn method_name(method: &str, locale: &str) -> &'static str {
    let en = locale == "en";
    match (Method::parse(method), en) {
        (Some(Method::Pix), _) => "Pix",
        (Some(Method::PixAutomatico), true) => "Pix Automático",
        (Some(Method::PixAutomatico), false) => "Pix Automático",
        (Some(Method::Boleto), _) => "Boleto",
        (Some(Method::Stripe), true) => "Card (Stripe)",
        (Some(Method::Stripe), false) => "Cartão (Stripe)",
        (Some(Method::Paypal), _) => "PayPal",
        (Some(Method::Cash), true) => "Cash",
        (Some(Method::Cash), false) => "Dinheiro",
        (Some(Method::BankTransfer), true) => "Bank transfer",
        (Some(Method::BankTransfer), false) => "Transferência bancária",
        (Some(Method::Other) | None, true) => "Other",
        (Some(Method::Other) | None, false) => "Outro",
    }
}

/// Lays a receipt out (a pure function, so tests and benchmarks call it).
pub fn render(r: &Receipt, locale: &str, logo: Option<Vec<u8>>) -> Result<Vec<u8>> {
    let en = locale == "en";
    let t = |en_text: &'static str, pt: &'static str| if en { en_text } else { pt };
    let m = |v: i64| money(v, &r.currency, locale);
    let mut party = vec![
        (t("Receipt", "Recibo").to_owned(), r.number.clone()),
        (
            t("Received by", "Recebedor").to_owned(),
            r.company_name.clone(),
        ),
    ];
    if !r.company_document.is_empty() {
        party.push((
            t("Tax id", "CNPJ/CPF").to_owned(),
            r.company_document.clone(),
        ));
    }
    party.push((
        t("Received from", "Pagador").to_owned(),
        r.customer_name.clone(),
    ));
    if !r.customer_document.is_empty() {
        party.push((
            t("Payer's tax id", "CPF/CNPJ do pagador").to_owned(),
            r.customer_document.clone(),
        ));
    }
    party.extend([
        (t("Amount", "Valor").to_owned(), m(r.amount)),
        (
            t("Method", "Forma de pagamento").to_owned(),
            method_name(&r.method, locale).to_owned(),
        ),
        (t("Date", "Data").to_owned(), date(&r.received_on, locale)),
    ]);
    let mut blocks = vec![
        Block::Table(party),
        Block::Paragraph(vec![Span::plain(if en {
            format!(
                "We received {} from {} on {}.",
                m(r.amount),
                r.customer_name,
                date(&r.received_on, locale)
            )
        } else {
            format!(
                "Recebemos de {} a importância de {} em {}.",
                r.customer_name,
                m(r.amount),
                date(&r.received_on, locale)
            )
        })]),
    ];
    if !r.invoices.is_empty() || r.credit > 0 {
        let mut rows: Vec<Vec<String>> = r
            .invoices
            .iter()
            .map(|(n, a)| vec![format!("{} {n}", t("Invoice", "Fatura")), m(*a)])
            .collect();
        if r.credit > 0 {
            rows.push(vec![
                t("Kept as credit", "Mantido como crédito").to_owned(),
                m(r.credit),
            ]);
        }
        rows.push(vec![t("Total", "Total").to_owned(), m(r.amount)]);
        blocks.push(Block::Grid(Grid {
            columns: vec![
                Column::left(t("Applied to", "Aplicado em"), 4.0),
                Column::right(t("Amount", "Valor"), 1.6),
            ],
            rows,
            bold_last: true,
        }));
    }
    let doc = pdfdoc::Document {
        title: format!("{} {}", t("Receipt", "Recibo"), r.number),
        blocks,
        logo,
        footer: t("Page {page} of {pages}", "Página {page} de {pages}").to_owned(),
    };
    match pdfdoc::render(&doc) {
        Err(pdfdoc::Error::Logo(_)) => pdfdoc::render(&pdfdoc::Document { logo: None, ..doc }),
        other => other,
    }
    .map_err(|e| Error::Internal(format!("receipt PDF: {e}")))
}

/// The receipt e-mail of payment `id` with its PDF, in the customer's
/// language (the outbox job calls it when sending).
pub async fn compose(svc: &Services, id: i64) -> Result<Composed> {
    let (r, customer_id) = load(svc, id).await?;
    let locale = customer_locale(svc, customer_id).await?;
    let logo = company_logo(svc).await?;
    let pdf = render(&r, locale, logo)?;
    let total = money(r.amount, &r.currency, locale);
    let day = date(&r.received_on, locale);
    let company = &r.company_name;
    let lead = if company.is_empty() {
        String::new()
    } else {
        format!("{company}: ")
    };
    let (name, number) = (&r.customer_name, &r.number);
    let (subject, body) = if locale == "en" {
        (
            format!("{lead}receipt {number}"),
            format!(
                "Hello {name},\n\nWe received your payment of {total} on {day}. \
                 Receipt {number} is attached.\n\n{company}\n"
            ),
        )
    } else {
        (
            format!("{lead}recibo {number}"),
            format!(
                "Olá {name},\n\nRecebemos o seu pagamento de {total} em {day}. \
                 Segue anexo o recibo {number}.\n\n{company}\n"
            ),
        )
    };
    Ok(Composed {
        subject,
        body,
        filename: filename(&r, locale),
        pdf,
    })
}
