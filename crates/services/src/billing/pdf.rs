//! The invoice and credit note PDF: a template per locale that the
//! provider edits on the settings page (the contract template's language,
//! see [`pdfdoc::markup`]), filled with the document's company, customer,
//! dates and amounts. Four placeholders stand for whole sections when
//! alone in a paragraph: `{{lines}}`, `{{taxes}}`, `{{totals}}` and
//! `{{payment}}` (the payment instructions the payments area will give;
//! empty until then, and left out of credit notes).
//!
//! Rendering is plain computation over a [`Invoice`] (no database), so the
//! PDF bench and the e-mail sent at issue use the same code as the page.

use std::collections::BTreeMap;

use domain::Money;
use domain::Permission;
use pdfdoc::{Block, Column, Grid, Span};
use serde_json::json;

use crate::contracts::document::{company_logo, date, money};
use crate::{Caller, Change, Error, Result, Services};

/// Locales a template exists for.
pub const LOCALES: &[&str] = &["pt-BR", "en"];

/// Placeholders that stand for a whole section.
pub const SECTIONS: &[&str] = &["lines", "taxes", "totals", "payment"];

/// Every placeholder a template may use, with what it becomes.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("company.name", "the provider's name"),
    ("company.document", "the provider's CNPJ / tax id"),
    ("customer.name", "customer's name"),
    ("customer.document", "customer's CPF / CNPJ"),
    ("customer.email", "customer's billing e-mail"),
    ("billing.address", "customer's billing address"),
    ("service.address", "the contract's service address"),
    ("document.title", "Invoice or Credit note"),
    ("document.number", "the document's number"),
    ("document.issue_date", "issue date"),
    ("document.due_date", "due date"),
    (
        "document.reference",
        "for a credit note: the invoice it credits",
    ),
    (
        "document.notes",
        "the document's notes (a credit note's reason)",
    ),
    ("document.total", "the amount to pay"),
    (
        "currency.minor_unit",
        "the currency's smallest amount, e.g. R$ 0,01",
    ),
    (
        "lines",
        "section: the lines with their periods, discounts and totals",
    ),
    ("taxes", "section: each tax with its rate, base and amount"),
    ("totals", "section: net, discounts, taxes and total"),
    (
        "payment",
        "section: payment instructions (filled by payments)",
    ),
];

/// Longest template accepted, in bytes.
pub const MAX_TEMPLATE: usize = 100_000;

/// Editing the invoice templates: `settings.manage` (the settings page).
fn settings(caller: &Caller) -> Result<()> {
    caller.require(Permission::SettingsManage)
}

/// The built-in template for `locale` (Portuguese for anything but `en`).
pub fn default_template(locale: &str) -> &'static str {
    if locale == "en" {
        include_str!("templates/invoice-en.md")
    } else {
        include_str!("templates/invoice-pt-BR.md")
    }
}

fn locale_ok(locale: &str) -> Result<&'static str> {
    LOCALES
        .iter()
        .copied()
        .find(|l| *l == locale)
        .ok_or_else(|| {
            Error::invalid_msg("locale", format!("must be one of: {}", LOCALES.join(", ")))
        })
}

pub use crate::contracts::document::Template;

/// The template in use for `locale`, as the settings page edits it.
pub async fn template(svc: &Services, caller: &Caller, locale: &str) -> Result<Template> {
    settings(caller)?;
    template_in_use(svc, locale).await
}

async fn template_in_use(svc: &Services, locale: &str) -> Result<Template> {
    let locale = locale_ok(locale)?;
    let mut c = svc.db.conn().await?;
    Ok(
        match store::billing::templates::get(&mut c, locale).await? {
            Some(t) => Template {
                locale: t.locale,
                body: t.body,
                is_default: false,
                updated_by: Some(t.updated_by),
                updated_at: Some(t.updated_at),
            },
            None => Template {
                locale: locale.to_owned(),
                body: default_template(locale).to_owned(),
                is_default: true,
                updated_by: None,
                updated_at: None,
            },
        },
    )
}

/// Checks a template: size, and every placeholder known (the error names
/// the field `body` and the placeholder).
pub fn check_template(body: &str) -> Result<()> {
    if body.trim().is_empty() {
        return Err(Error::invalid(
            "body",
            domain::validate::FieldError::Required,
        ));
    }
    if body.len() > MAX_TEMPLATE {
        return Err(Error::invalid_msg(
            "body",
            format!("the template is longer than {MAX_TEMPLATE} bytes"),
        ));
    }
    let known: Vec<&str> = PLACEHOLDERS.iter().map(|(n, _)| *n).collect();
    pdfdoc::markup::check(body, &known).map_err(|e| Error::invalid_msg("body", e.to_string()))
}

/// Saves the template for `locale` (audited as `invoice_template.update`).
pub async fn save_template(
    svc: &Services,
    caller: &Caller,
    locale: &str,
    body: &str,
) -> Result<()> {
    settings(caller)?;
    let actor = caller.actor();
    let locale = locale_ok(locale)?;
    check_template(body)?;
    let body = body.replace("\r\n", "\n");
    let mut tx = svc.db.begin().await?;
    let before = store::billing::templates::get(&mut tx, locale).await?;
    store::billing::templates::put(&mut tx, locale, &body, &actor.name, store::now()).await?;
    Change::new("invoice_template.update", "invoice_template", locale)
        .before(before.map(|t| json!({ "body": t.body })))
        .after(json!({ "body": body }))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Goes back to the built-in template for `locale`.
pub async fn reset_template(svc: &Services, caller: &Caller, locale: &str) -> Result<()> {
    settings(caller)?;
    let locale = locale_ok(locale)?;
    let mut tx = svc.db.begin().await?;
    let Some(before) = store::billing::templates::get(&mut tx, locale).await? else {
        return Ok(());
    };
    store::billing::templates::delete(&mut tx, locale).await?;
    Change::new("invoice_template.reset", "invoice_template", locale)
        .before(json!({ "body": before.body }))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// How the customer is to pay: filled by the payments area (a Pix code, a
/// boleto's digitable line, a card link), shown under its own heading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentInstructions {
    /// Label and value rows (e.g. "Pix" and the copy-and-paste code).
    pub rows: Vec<(String, String)>,
    /// Paragraphs under the rows.
    pub text: Vec<String>,
    /// A Pix BR Code, drawn as a QR code beside its copy-and-paste text
    /// (its row is then left out of the table).
    pub pix_code: Option<String>,
    /// A boleto's 44-digit barcode, drawn as Interleaved 2 of 5 bars
    /// under the digitable line (its row is then left out of the table).
    pub barcode: Option<String>,
    /// The invoice's public payment page (card, PayPal and every other
    /// way to pay), when the public address is known.
    pub link: Option<String>,
}

impl PaymentInstructions {
    /// Whether there is anything to show under the heading.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
            && self.text.is_empty()
            && self.pix_code.is_none()
            && self.barcode.is_none()
            && self.link.is_none()
    }
}

/// The QR code's width on the page: about 4 cm, which bank apps read
/// easily from paper and screen.
const QR_POINTS: f32 = 112.0;
/// A millimetre in points.
const MM: f32 = 72.0 / 25.4;

/// The payment section's blocks: the Pix QR code with its copy-and-paste
/// code beside it, the other rows, the boleto's bars, the notes and the
/// payment page's link.
fn payment_blocks(p: &PaymentInstructions, w: &Words) -> Vec<Block> {
    let mut out = Vec::new();
    let pix = p
        .pix_code
        .as_deref()
        .and_then(|code| Some((code, brpay::pix::qr_modules(code).ok()?)));
    if let Some((code, (side, dark))) = &pix {
        let label = p
            .rows
            .iter()
            .find(|(_, v)| v == code)
            .map_or("Pix", |(l, _)| l.as_str());
        out.push(Block::Figure(
            pdfdoc::Figure::matrix(*side, dark, QR_POINTS, brpay::pix::QUIET_ZONE).beside(vec![
                vec![Span::bold(label.to_owned())],
                vec![Span::plain(w.scan_pix)],
                vec![Span::plain(code.to_string())],
            ]),
        ));
    }
    let bars = p
        .barcode
        .as_deref()
        .filter(|b| b.len() == 44)
        .and_then(|b| Some((b, brpay::boleto::itf::elements(b).ok()?)));
    let drawn = |v: &String| {
        pix.as_ref().is_some_and(|(code, _)| v == code)
            || bars.as_ref().is_some_and(|(bar, _)| v == bar)
    };
    let rows: Vec<(String, String)> = p.rows.iter().filter(|(_, v)| !drawn(v)).cloned().collect();
    if !rows.is_empty() {
        out.push(Block::Table(rows));
    }
    if let Some((_, bars)) = &bars {
        // FEBRABAN's size: 103 × 13 mm.
        out.push(Block::Figure(pdfdoc::Figure::bars(
            bars,
            brpay::boleto::itf::LENGTH_MM as f32 * MM,
            brpay::boleto::itf::HEIGHT_MM as f32 * MM,
        )));
    }
    for t in &p.text {
        out.push(Block::Paragraph(vec![Span::plain(t.clone())]));
    }
    if let Some(link) = &p.link {
        out.push(Block::Paragraph(vec![
            Span::bold(format!("{} ", w.pay_online)),
            Span::plain(link.clone()),
        ]));
    }
    out
}

/// One line as the PDF shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfLine {
    pub description: String,
    /// Start included, end excluded (`YYYY-MM-DD`).
    pub period: Option<(String, String)>,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount: i64,
    pub total: i64,
}

/// One tax of the breakdown: its rate, the base it applied to and the
/// amount, over the whole document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxSum {
    pub name: String,
    pub rate_ppm: i64,
    pub base: i64,
    pub amount: i64,
}

/// Everything an invoice or credit note PDF shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub number: String,
    /// The non-guessable id of its public payment page.
    pub public_id: String,
    pub issue_date: String,
    pub due_date: String,
    /// For a credit note: the number of the invoice it credits.
    pub credits_number: Option<String>,
    pub notes: String,
    pub company_name: String,
    pub company_document: String,
    pub customer_name: String,
    pub customer_document: String,
    pub customer_email: String,
    pub billing_address: String,
    pub service_address: String,
    pub currency: String,
    pub lines: Vec<PdfLine>,
    pub taxes: Vec<TaxSum>,
    pub net: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
}

/// The words a document prints besides the template, per locale.
struct Words {
    invoice: &'static str,
    credit_note: &'static str,
    credits: &'static str,
    description: &'static str,
    period: &'static str,
    quantity: &'static str,
    unit_price: &'static str,
    discount: &'static str,
    total: &'static str,
    tax: &'static str,
    rate: &'static str,
    base: &'static str,
    amount: &'static str,
    net: &'static str,
    discounts: &'static str,
    taxes: &'static str,
    to_pay: &'static str,
    to_credit: &'static str,
    payment: &'static str,
    scan_pix: &'static str,
    pay_online: &'static str,
    no_taxes: &'static str,
    footer: &'static str,
    file_invoice: &'static str,
    file_credit_note: &'static str,
}

const EN: Words = Words {
    invoice: "Invoice",
    credit_note: "Credit note",
    credits: "Credits invoice",
    description: "Description",
    period: "Period",
    quantity: "Qty",
    unit_price: "Unit price",
    discount: "Discount",
    total: "Total",
    tax: "Tax",
    rate: "Rate",
    base: "Base",
    amount: "Amount",
    net: "Net",
    discounts: "Discounts",
    taxes: "Taxes",
    to_pay: "Total to pay",
    to_credit: "Total credited",
    payment: "Payment",
    scan_pix: "Scan the QR code in your bank's app, or copy and paste the code:",
    pay_online: "Pay online (card, PayPal and more):",
    no_taxes: "No taxes apply to this document.",
    footer: "Page {page} of {pages}",
    file_invoice: "invoice",
    file_credit_note: "credit-note",
};

const PT: Words = Words {
    invoice: "Fatura",
    credit_note: "Nota de crédito",
    credits: "Referente à fatura",
    description: "Descrição",
    period: "Período",
    quantity: "Qtd.",
    unit_price: "Preço unit.",
    discount: "Desconto",
    total: "Total",
    tax: "Tributo",
    rate: "Alíquota",
    base: "Base",
    amount: "Valor",
    net: "Valor líquido",
    discounts: "Descontos",
    taxes: "Tributos",
    to_pay: "Total a pagar",
    to_credit: "Total creditado",
    payment: "Pagamento",
    scan_pix: "Leia o QR code no app do seu banco, ou copie e cole o código:",
    pay_online: "Pague on-line (cartão, PayPal e mais):",
    no_taxes: "Nenhum tributo se aplica a este documento.",
    footer: "Página {page} de {pages}",
    file_invoice: "fatura",
    file_credit_note: "nota-de-credito",
};

fn words(locale: &str) -> &'static Words {
    if locale == "en" { &EN } else { &PT }
}

/// `2026-01-10` to `2026-02-10` (end excluded) as the customer reads it:
/// the last day included.
fn period_text(p: &(String, String), locale: &str) -> String {
    let last =
        p.1.parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.yesterday().ok())
            .map_or_else(|| p.1.clone(), |d| d.to_string());
    format!("{} – {}", date(&p.0, locale), date(&last, locale))
}

fn rate_text(ppm: i64, locale: &str) -> String {
    let r = domain::billing::Rate(u32::try_from(ppm).unwrap_or(0)).percent_text();
    if locale == "en" {
        format!("{r} %")
    } else {
        format!("{} %", r.replace('.', ","))
    }
}

impl Invoice {
    fn title(&self, w: &Words) -> &'static str {
        if self.kind == "credit_note" {
            w.credit_note
        } else {
            w.invoice
        }
    }

    /// The file name a download or attachment gets.
    pub fn filename(&self, locale: &str) -> String {
        let w = words(locale);
        let kind = if self.kind == "credit_note" {
            w.file_credit_note
        } else {
            w.file_invoice
        };
        let number: String = self
            .number
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        format!("{kind}-{number}.pdf")
    }

    fn values(&self, locale: &str) -> BTreeMap<&'static str, String> {
        let w = words(locale);
        let m = |v: i64| money(v, &self.currency, locale);
        let or_dash = |s: &str| {
            if s.trim().is_empty() {
                "—".to_owned()
            } else {
                s.to_owned()
            }
        };
        let mut v = BTreeMap::new();
        v.insert("company.name", self.company_name.clone());
        v.insert("company.document", self.company_document.clone());
        v.insert("customer.name", self.customer_name.clone());
        v.insert("customer.document", self.customer_document.clone());
        v.insert("customer.email", or_dash(&self.customer_email));
        v.insert("billing.address", or_dash(&self.billing_address));
        v.insert("service.address", or_dash(&self.service_address));
        v.insert("document.title", self.title(w).to_owned());
        v.insert("document.number", self.number.clone());
        v.insert("document.issue_date", date(&self.issue_date, locale));
        v.insert("document.due_date", date(&self.due_date, locale));
        v.insert(
            "document.reference",
            self.credits_number
                .as_ref()
                .map(|n| format!("{} {n}", w.credits))
                .unwrap_or_default(),
        );
        v.insert("document.notes", self.notes.clone());
        v.insert("document.total", m(self.total));
        v.insert("currency.minor_unit", m(1));
        v
    }

    /// The blocks a section placeholder stands for.
    fn section(
        &self,
        name: &str,
        locale: &str,
        payment: Option<&PaymentInstructions>,
    ) -> Vec<Block> {
        let w = words(locale);
        let m = |v: i64| money(v, &self.currency, locale);
        match name {
            "lines" => vec![Block::Grid(Grid {
                columns: vec![
                    Column::left(w.description, 2.6),
                    Column::left(w.period, 3.0),
                    Column::right(w.quantity, 0.8),
                    Column::right(w.unit_price, 1.5),
                    Column::right(w.discount, 1.4),
                    Column::right(w.total, 1.5),
                ],
                rows: self
                    .lines
                    .iter()
                    .map(|l| {
                        vec![
                            l.description.clone(),
                            l.period
                                .as_ref()
                                .map(|p| period_text(p, locale))
                                .unwrap_or_default(),
                            l.quantity.to_string(),
                            m(l.unit_price),
                            if l.discount == 0 {
                                String::new()
                            } else {
                                m(-l.discount.abs())
                            },
                            m(l.total),
                        ]
                    })
                    .collect(),
                bold_last: false,
            })],
            "taxes" if self.taxes.is_empty() => {
                vec![Block::Paragraph(vec![Span::plain(w.no_taxes)])]
            }
            "taxes" => vec![Block::Grid(Grid {
                columns: vec![
                    Column::left(w.tax, 3.0),
                    Column::right(w.rate, 1.5),
                    Column::right(w.base, 2.0),
                    Column::right(w.amount, 2.0),
                ],
                rows: self
                    .taxes
                    .iter()
                    .map(|t| {
                        vec![
                            t.name.clone(),
                            rate_text(t.rate_ppm, locale),
                            m(t.base),
                            m(t.amount),
                        ]
                    })
                    .collect(),
                bold_last: false,
            })],
            "totals" => {
                let last = if self.kind == "credit_note" {
                    w.to_credit
                } else {
                    w.to_pay
                };
                let mut rows = vec![(w.net.to_owned(), m(self.net))];
                if self.discount != 0 {
                    rows.push((w.discounts.to_owned(), m(-self.discount.abs())));
                }
                rows.push((w.taxes.to_owned(), m(self.tax)));
                rows.push((last.to_owned(), m(self.total)));
                vec![Block::Table(rows)]
            }
            // Credit notes are not paid; invoices keep the heading with
            // whatever the payments area gives (nothing yet).
            "payment" if self.kind == "credit_note" => Vec::new(),
            "payment" => {
                let mut out = vec![Block::Heading(w.payment.to_owned())];
                if let Some(p) = payment {
                    out.extend(payment_blocks(p, w));
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

/// The section a paragraph stands for, when it is exactly one section
/// placeholder.
fn section_name(b: &Block) -> Option<&'static str> {
    let Block::Paragraph(spans) = b else {
        return None;
    };
    let text: String = spans.iter().map(|s| s.text.as_str()).collect();
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    SECTIONS.iter().copied().find(|s| *s == inner)
}

fn is_blank(b: &Block) -> bool {
    match b {
        Block::Paragraph(spans) => spans.iter().all(|s| s.text.trim().is_empty()),
        _ => false,
    }
}

/// Renders `invoice` with template `body` in `locale` to PDF bytes. The
/// first heading becomes the title; paragraphs that come out empty (a
/// reference on an invoice) are left out. A logo that cannot be decoded is
/// left out rather than failing the document.
pub fn render(
    invoice: &Invoice,
    body: &str,
    locale: &str,
    logo: Option<Vec<u8>>,
    payment: Option<&PaymentInstructions>,
) -> Result<Vec<u8>> {
    let values = invoice.values(locale);
    let lookup = |name: &str| values.get(name).cloned();
    let mut blocks = Vec::new();
    for mut b in pdfdoc::markup::parse(body) {
        if let Some(name) = section_name(&b) {
            blocks.extend(invoice.section(name, locale, payment));
            continue;
        }
        b.map_text(&mut |t: &str| pdfdoc::markup::fill(t, &lookup))
            .map_err(|e| Error::invalid_msg("body", e.to_string()))?;
        if !is_blank(&b) {
            blocks.push(b);
        }
    }
    let title = match blocks.first() {
        Some(Block::Heading(t)) => {
            let t = t.clone();
            blocks.remove(0);
            t
        }
        _ => String::new(),
    };
    let mut doc = pdfdoc::Document {
        title,
        blocks,
        logo,
        footer: words(locale).footer.into(),
    };
    match pdfdoc::render(&doc) {
        Err(pdfdoc::Error::Logo(e)) => {
            tracing::warn!(error = %e, "company logo left out of the invoice PDF");
            doc.logo = None;
            pdfdoc::render(&doc)
        }
        other => other,
    }
    .map_err(|e| Error::Internal(format!("invoice PDF: {e}")))
}

fn address_text(a: &store::crm::customers::Address) -> String {
    let mut s = format!("{}, {}", a.street, a.number);
    if !a.complement.is_empty() {
        s.push_str(&format!(" ({})", a.complement));
    }
    format!(
        "{s}, {}, {}/{}, {}",
        a.district, a.city, a.state, a.postal_code
    )
}

/// The tax breakdown of stored lines: per tax rate, the base (what it was
/// computed on: the price for included shares, the net otherwise) and the
/// amount.
fn tax_sums(
    lines: &[store::billing::documents::Line],
    taxes: &[store::billing::documents::LineTax],
) -> Vec<TaxSum> {
    let mut out: Vec<(i64, TaxSum)> = Vec::new();
    for t in taxes {
        let Some(line) = lines.iter().find(|l| l.id == t.line_id) else {
            continue;
        };
        let base = if t.mode == "included_share" {
            line.amount
        } else {
            line.net
        };
        match out.iter_mut().find(|(id, _)| *id == t.tax_rate_id) {
            Some((_, s)) => {
                s.base += base;
                s.amount += t.amount;
            }
            None => out.push((
                t.tax_rate_id,
                TaxSum {
                    name: t.name.clone(),
                    rate_ppm: t.rate_ppm,
                    base,
                    amount: t.amount,
                },
            )),
        }
    }
    out.into_iter().map(|(_, s)| s).collect()
}

/// What document `id`'s PDF shows, read from the database (no caller
/// check: callers check first).
pub(crate) async fn load(svc: &Services, id: i64) -> Result<Invoice> {
    let mut c = svc.db.conn().await?;
    let d = store::billing::documents::get(&mut c, id).await?;
    let lines = store::billing::documents::lines(&mut c, id).await?;
    let taxes = store::billing::documents::line_taxes(&mut c, id).await?;
    let customer = store::crm::customers::get(&mut c, d.customer_id).await?;
    let company = store::system::company::get(&mut c).await?;
    let addresses = store::crm::customers::addresses(&mut c, d.customer_id).await?;
    let service = match d.contract_id {
        Some(k) => match store::contracts::get(&mut c, k).await?.service_address_id {
            Some(a) => Some(store::crm::customers::get_address(&mut c, a).await?),
            None => None,
        },
        None => None,
    };
    let billing = addresses
        .iter()
        .find(|a| a.kind == "billing")
        .or_else(|| addresses.first());
    let service = service
        .as_ref()
        .or_else(|| addresses.iter().find(|a| a.kind == "service").or(billing));
    let credits_number = match d.credits_invoice_id {
        Some(o) => store::billing::documents::get(&mut c, o).await?.number,
        None => None,
    };
    Ok(Invoice {
        kind: d.kind.clone(),
        number: d.number.clone().unwrap_or_default(),
        public_id: d.public_id.clone(),
        issue_date: d.issue_date.clone().unwrap_or_default(),
        due_date: d.due_date.clone(),
        credits_number,
        notes: d.notes.clone(),
        company_name: company.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        company_document: company
            .as_ref()
            .map(|c| c.legal_document.clone())
            .unwrap_or_default(),
        customer_name: customer.name.clone(),
        customer_document: customer.document.clone(),
        customer_email: customer.emails.first().cloned().unwrap_or_default(),
        billing_address: billing.map(address_text).unwrap_or_default(),
        service_address: service.map(address_text).unwrap_or_default(),
        currency: company
            .as_ref()
            .map(|c| c.currency.clone())
            .unwrap_or_else(|| "BRL".into()),
        taxes: tax_sums(&lines, &taxes),
        lines: lines
            .iter()
            .map(|l| PdfLine {
                description: l.description.clone(),
                period: l.period_start.clone().zip(l.period_end.clone()),
                quantity: l.quantity,
                unit_price: l.unit_price,
                discount: l.discount,
                total: l.total,
            })
            .collect(),
        net: d.net,
        discount: d.discount,
        tax: d.tax,
        total: d.total,
    })
}

/// Document `invoice`'s PDF in `locale` with `payment`, for whoever
/// already passed the caller check.
pub(crate) async fn render_loaded(
    svc: &Services,
    invoice: &Invoice,
    locale: &str,
    payment: Option<&PaymentInstructions>,
) -> Result<(String, Vec<u8>)> {
    if invoice.number.is_empty() {
        // A draft has no number yet: nothing a customer should receive.
        return Err(Error::Refused("invoice-not-issued"));
    }
    let t = template_in_use(svc, locale).await?;
    let logo = company_logo(svc).await?;
    let pdf = render(invoice, &t.body, locale, logo, payment)?;
    Ok((invoice.filename(locale), pdf))
}

/// Issued document `id`'s PDF in its customer's language, with its file
/// name: for staff holding `billing.view`, or its customer.
pub async fn invoice(svc: &Services, caller: &Caller, id: i64) -> Result<(String, Vec<u8>)> {
    invoice_with(svc, caller, id, None).await
}

/// [`invoice`] with payment instructions (the payments area's entry);
/// `None` puts in the invoice's own (its open Pix and boleto codes and
/// the payment page's link).
pub async fn invoice_with(
    svc: &Services,
    caller: &Caller,
    id: i64,
    payment: Option<&PaymentInstructions>,
) -> Result<(String, Vec<u8>)> {
    let customer_id = {
        let mut c = svc.db.conn().await?;
        store::billing::documents::get(&mut c, id)
            .await?
            .customer_id
    };
    caller.require_for_customer(Permission::BillingView, customer_id)?;
    let locale = {
        let mut c = svc.db.conn().await?;
        crate::crm::customer_locale(&mut c, customer_id).await?
    };
    let invoice = load(svc, id).await?;
    let own = match payment {
        Some(_) => None,
        None => Some(payment_block(svc, &invoice, id, locale).await?),
    };
    let payment = payment.or(own.as_ref().filter(|p| !p.is_empty()));
    render_loaded(svc, &invoice, locale, payment).await
}

/// The payment block of document `id` (already read as `invoice`) in
/// `locale`: the gateways' open Pix code and boleto, and the link to the
/// public payment page while something is left to pay. Empty for credit
/// notes. No caller check: callers check first.
pub(crate) async fn payment_block(
    svc: &Services,
    invoice: &Invoice,
    id: i64,
    locale: &str,
) -> Result<PaymentInstructions> {
    if invoice.kind != "invoice" {
        return Ok(PaymentInstructions::default());
    }
    let mut block = crate::payments::gateways::payment_instructions(svc, id, locale).await?;
    let open = {
        let mut c = svc.db.conn().await?;
        match crate::payments::gateways::payable(&mut c, &invoice.public_id).await {
            Ok(p) => p.open,
            Err(Error::NotFound) => 0,
            Err(e) => return Err(e),
        }
    };
    if open > 0 {
        block.link = crate::system::settings::pay_link(svc, &invoice.public_id).await?;
    }
    Ok(block)
}

/// A made-up invoice for previews and the PDF bench: three lines (one
/// with a discount, one an installment), three taxes.
pub fn sample(locale: &str) -> Invoice {
    let period = Some(("2026-03-10".to_owned(), "2026-04-10".to_owned()));
    let lines = vec![
        PdfLine {
            description: "Fibra 300".into(),
            period: period.clone(),
            quantity: 1,
            unit_price: 9_990,
            discount: 1_000,
            total: 8_990,
        },
        PdfLine {
            description: "Wi-Fi 6".into(),
            period,
            quantity: 1,
            unit_price: 1_500,
            discount: 0,
            total: 1_500,
        },
        PdfLine {
            description: if locale == "en" {
                "Installation fee (3/12)".into()
            } else {
                "Taxa de instalação (3/12)".into()
            },
            period: None,
            quantity: 1,
            unit_price: 2_500,
            discount: 0,
            total: 2_500,
        },
    ];
    let price: i64 = lines.iter().map(|l| l.total).sum();
    let taxes = [("ICMS", 180_000), ("PIS", 6_500), ("COFINS", 30_000)]
        .into_iter()
        .map(|(name, ppm)| TaxSum {
            name: name.into(),
            rate_ppm: ppm,
            base: price,
            amount: domain::billing::Rate(ppm as u32).of(Money(price)).0,
        })
        .collect::<Vec<_>>();
    Invoice {
        kind: "invoice".into(),
        number: "2026-000123".into(),
        public_id: "sample".into(),
        issue_date: "2026-04-10".into(),
        due_date: "2026-04-20".into(),
        credits_number: None,
        notes: String::new(),
        company_name: "Provedor Exemplo Ltda".into(),
        company_document: "12.345.678/0001-95".into(),
        customer_name: "Maria da Conceição Araújo".into(),
        customer_document: "123.456.789-09".into(),
        customer_email: "maria@example.com".into(),
        billing_address: "Rua das Flores, 123 (apto 45), Centro, São Paulo/SP, 01310-100".into(),
        service_address: "Rua das Flores, 123 (apto 45), Centro, São Paulo/SP, 01310-100".into(),
        currency: "BRL".into(),
        tax: taxes.iter().map(|t| t.amount).sum(),
        taxes,
        lines,
        net: price + 1_000,
        discount: 1_000,
        total: price,
    }
}

/// Made-up payment instructions for previews and the PDF bench: a Pix
/// code, a boleto (Banco do Brasil's example barcode) and the payment
/// page's link, labelled in `locale` as the gateways label them.
pub fn sample_payment(locale: &str) -> PaymentInstructions {
    let en = locale == "en";
    // A static BR Code with a CNPJ key, R$ 129,90 and the invoice's txid
    // (its CRC is right: bank apps read it).
    let pix = "00020126360014br.gov.bcb.pix0114123456780001955204000053039865406129.905802BR\
               5921Provedor Exemplo Ltda6009SAO PAULO62200516FATURA20260001236304FD13"
        .to_owned();
    let barcode = "00193373700000001000500940144816060680935031".to_owned();
    PaymentInstructions {
        rows: vec![
            (
                if en {
                    "Pix copy and paste"
                } else {
                    "Pix copia e cola"
                }
                .into(),
                pix.clone(),
            ),
            (
                if en {
                    "Boleto line"
                } else {
                    "Linha digitável"
                }
                .into(),
                "00190.50095 40144.816069 06809.350314 3 37370000000100".into(),
            ),
            (
                if en { "Barcode" } else { "Código de barras" }.into(),
                barcode.clone(),
            ),
        ],
        text: Vec::new(),
        pix_code: Some(pix),
        barcode: Some(barcode),
        link: Some("https://pay.example.net/pay/sample".into()),
    }
}

/// A preview of `body` (as typed, not yet saved) with the sample invoice
/// and the company logo, for who edits the templates.
pub async fn preview(svc: &Services, caller: &Caller, locale: &str, body: &str) -> Result<Vec<u8>> {
    settings(caller)?;
    let locale = locale_ok(locale)?;
    check_template(body)?;
    let logo = company_logo(svc).await?;
    render(
        &sample(locale),
        body,
        locale,
        logo,
        Some(&sample_payment(locale)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_templates_use_only_known_placeholders_and_render() {
        for l in LOCALES {
            check_template(default_template(l)).unwrap();
            let pdf = render(&sample(l), default_template(l), l, None, None).unwrap();
            assert!(pdf.starts_with(b"%PDF-"));
        }
        let e = check_template("# X\n{{invoice.numero}}")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("body:") && e.contains("invoice.numero"),
            "{e}"
        );
    }

    #[test]
    fn the_payment_section_draws_the_codes() {
        let p = sample_payment("en");
        // The sample is a Pix code bank apps accept (right CRC).
        let code = brpay::pix::parse(p.pix_code.as_deref().unwrap()).unwrap();
        assert_eq!(code.txid.as_deref(), Some("FATURA2026000123"));
        let blocks = sample("en").section("payment", "en", Some(&p));
        let kinds: Vec<&str> = blocks
            .iter()
            .map(|b| match b {
                Block::Heading(_) => "heading",
                Block::Figure(f) if f.beside.is_empty() => "bars",
                Block::Figure(_) => "qr",
                Block::Table(rows) => {
                    // Only the digitable line: the codes drawn are not repeated.
                    assert_eq!(rows.len(), 1, "{rows:?}");
                    "table"
                }
                Block::Paragraph(_) => "link",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["heading", "qr", "table", "bars", "link"]);
        // A barcode that is not 44 digits stays a row of text.
        let mut odd = p.clone();
        odd.barcode = Some("123".into());
        odd.rows[2].1 = "123".into();
        let blocks = sample("en").section("payment", "en", Some(&odd));
        assert!(
            blocks
                .iter()
                .any(|b| matches!(b, Block::Table(r) if r.len() == 2))
        );
    }

    #[test]
    fn sections_and_words() {
        let b = pdfdoc::markup::parse("{{ lines }}\n\n{{taxes}} and more");
        assert_eq!(section_name(&b[0]), Some("lines"));
        assert_eq!(section_name(&b[1]), None);
        assert_eq!(
            period_text(&("2026-01-10".into(), "2026-02-10".into()), "pt-BR"),
            "10/01/2026 – 09/02/2026"
        );
        assert_eq!(rate_text(6_500, "pt-BR"), "0,65 %");
        assert_eq!(rate_text(180_000, "en"), "18 %");
        let mut s = sample("en");
        assert_eq!(s.filename("en"), "invoice-2026-000123.pdf");
        s.kind = "credit_note".into();
        s.number = "NC2026/7".into();
        assert_eq!(s.filename("pt-BR"), "nota-de-credito-NC2026-7.pdf");
        // Credit notes have no payment section at all.
        assert!(s.section("payment", "en", None).is_empty());
        s.kind = "invoice".into();
        assert_eq!(
            s.section("payment", "en", None),
            vec![Block::Heading("Payment".into())]
        );
    }
}
