//! A customer's account: its balance, the invoices still open and the
//! statement of a period (every issued invoice and credit note, later
//! payments, with a running balance from the balance before the period),
//! as data and as a PDF. For staff holding `billing.view`, or the customer
//! itself.

use domain::Permission;
use jiff::civil::Date;
use pdfdoc::{Block, Column, Grid, Span};

use crate::contracts::document::{company_locale, company_logo, date, money};
use crate::{Caller, Error, Result, Services};

/// An issued invoice with something left to pay.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OpenInvoice {
    pub id: i64,
    pub number: String,
    pub issue_date: String,
    pub due_date: String,
    pub total: i64,
    /// What is left to pay: the total less credit notes and payments.
    pub open: i64,
}

/// What a customer owes now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Balance {
    pub customer_id: i64,
    /// Invoices less credit notes and payments (plus refunds); negative
    /// when the customer has credit.
    pub balance: i64,
    pub open_invoices: Vec<OpenInvoice>,
    pub currency: String,
}

/// What a statement row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Invoice,
    CreditNote,
    /// Money received.
    Payment,
    /// Money given back (part of a payment).
    Refund,
    /// A payment that did not hold (bounced, charged back).
    Reversal,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Invoice => "invoice",
            RowKind::CreditNote => "credit_note",
            RowKind::Payment => "payment",
            RowKind::Refund => "refund",
            RowKind::Reversal => "reversal",
        }
    }
}

/// One movement on the account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    pub kind: RowKind,
    /// The document's id (the payment's, for payments).
    pub id: i64,
    pub number: String,
    pub date: String,
    /// Invoices only.
    pub due_date: Option<String>,
    /// For a credit note: the number of the invoice it credits.
    pub reference: Option<String>,
    /// `voided` for an invoice a credit note took back entirely.
    pub status: String,
    /// Payments, refunds and reversals: how the money moved (`pix`, …).
    pub method: Option<String>,
    /// Signed: what it adds to the balance (credit notes and payments are
    /// negative).
    pub amount: i64,
    /// The balance after this row.
    pub balance: i64,
}

/// A period of a customer's account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    pub customer_id: i64,
    pub customer_name: String,
    pub from: String,
    pub to: String,
    /// The balance before `from`.
    pub opening: i64,
    pub rows: Vec<Row>,
    /// The balance after `to`'s last row.
    pub closing: i64,
    pub currency: String,
}

async fn currency(c: &mut store::AnyConnection) -> Result<String> {
    Ok(store::system::company::get(c)
        .await?
        .map_or_else(|| "BRL".to_owned(), |c| c.currency))
}

/// The customer's balance and open invoices.
pub async fn balance(svc: &Services, caller: &Caller, customer_id: i64) -> Result<Balance> {
    caller.require_for_customer(Permission::BillingView, customer_id)?;
    let mut c = svc.db.conn().await?;
    // An unknown customer is NotFound, not an empty account.
    store::crm::customers::get(&mut c, customer_id).await?;
    let balance = store::billing::statement::balance(&mut c, customer_id, None).await?
        - store::payments::received(&mut c, customer_id, None).await?;
    let open_invoices = store::billing::statement::open_invoices(&mut c, customer_id)
        .await?
        .into_iter()
        .map(|o| OpenInvoice {
            id: o.id,
            number: o.number.unwrap_or_default(),
            issue_date: o.issue_date,
            due_date: o.due_date,
            total: o.total,
            open: o.open,
        })
        .collect();
    Ok(Balance {
        customer_id,
        balance,
        open_invoices,
        currency: currency(&mut c).await?,
    })
}

/// The statement from `from` to `to` (issue dates, both included).
pub async fn statement(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    from: Date,
    to: Date,
) -> Result<Statement> {
    caller.require_for_customer(Permission::BillingView, customer_id)?;
    if to < from {
        return Err(Error::invalid_msg("to", "must not be before `from`"));
    }
    let (from, to) = (from.to_string(), to.to_string());
    let mut c = svc.db.conn().await?;
    let customer = store::crm::customers::get(&mut c, customer_id).await?;
    let opening = store::billing::statement::balance(&mut c, customer_id, Some(&from)).await?
        - store::payments::received(&mut c, customer_id, Some(&from)).await?;
    let entries = store::billing::statement::entries(&mut c, customer_id, &from, &to).await?;
    let payments = store::payments::received_between(&mut c, customer_id, &from, &to).await?;
    // Documents and payments by day; on one day documents come first, so
    // an invoice paid the day it was issued reads as issued, then paid.
    let mut rows: Vec<(String, u8, i64, Row)> = Vec::with_capacity(entries.len() + payments.len());
    for e in entries {
        let credit = e.kind == "credit_note";
        rows.push((
            e.issue_date.clone(),
            0,
            e.id,
            Row {
                kind: if credit {
                    RowKind::CreditNote
                } else {
                    RowKind::Invoice
                },
                id: e.id,
                number: e.number.unwrap_or_default(),
                date: e.issue_date,
                due_date: (!credit).then_some(e.due_date),
                reference: e.credits_number,
                status: e.status,
                method: None,
                amount: e.total,
                balance: 0,
            },
        ));
    }
    for p in payments {
        let (kind, amount) = match p.kind.as_str() {
            "refund" => (RowKind::Refund, p.amount),
            "reversal" => (RowKind::Reversal, p.amount),
            _ => (RowKind::Payment, -p.amount),
        };
        rows.push((
            p.received_on.clone(),
            1,
            p.id,
            Row {
                kind,
                id: p.id,
                number: p.receipt_number.unwrap_or_default(),
                date: p.received_on,
                due_date: None,
                reference: p.reference,
                status: p.kind,
                method: Some(p.method),
                amount,
                balance: 0,
            },
        ));
    }
    rows.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    let mut running = opening;
    let rows = rows
        .into_iter()
        .map(|(_, _, _, mut r)| {
            running += r.amount;
            r.balance = running;
            r
        })
        .collect();
    Ok(Statement {
        customer_id,
        customer_name: customer.name,
        from,
        to,
        opening,
        rows,
        closing: running,
        currency: currency(&mut c).await?,
    })
}

/// The statement as a PDF in the installation's language, with its file
/// name.
pub async fn statement_pdf(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
    from: Date,
    to: Date,
) -> Result<(String, Vec<u8>)> {
    let s = statement(svc, caller, customer_id, from, to).await?;
    let locale = company_locale(svc).await?;
    let company = {
        let mut c = svc.db.conn().await?;
        store::system::company::get(&mut c).await?
    };
    let logo = company_logo(svc).await?;
    let pdf = render_statement(
        &s,
        company.as_ref().map_or("", |c| c.name.as_str()),
        locale,
        logo,
    )?;
    let file = if locale == "en" {
        "statement"
    } else {
        "extrato"
    };
    Ok((
        format!("{file}-{}-{}-{}.pdf", customer_id, s.from, s.to),
        pdf,
    ))
}

/// Lays a statement out as a PDF.
pub fn render_statement(
    s: &Statement,
    company: &str,
    locale: &str,
    logo: Option<Vec<u8>>,
) -> Result<Vec<u8>> {
    let en = locale == "en";
    let m = |v: i64| money(v, &s.currency, locale);
    let t = |en_text: &'static str, pt: &'static str| if en { en_text } else { pt };
    let kind = |k: RowKind| match k {
        RowKind::Invoice => t("Invoice", "Fatura"),
        RowKind::CreditNote => t("Credit note", "Nota de crédito"),
        RowKind::Payment => t("Payment", "Pagamento"),
        RowKind::Refund => t("Refund", "Estorno"),
        RowKind::Reversal => t("Reversal", "Reversão"),
    };
    let mut rows = vec![vec![
        date(&s.from, locale),
        t("Opening balance", "Saldo anterior").to_owned(),
        String::new(),
        String::new(),
        m(s.opening),
    ]];
    for r in &s.rows {
        let mut what = format!("{} {}", kind(r.kind), r.number);
        match (r.kind, &r.reference) {
            (RowKind::CreditNote, Some(n)) => {
                what.push_str(&format!(" ({} {n})", t("credits", "ref. fatura")));
            }
            (RowKind::Payment | RowKind::Refund | RowKind::Reversal, _) => {
                what.push_str(&format!(
                    " — {}",
                    crate::payments::receipt::method_name(
                        r.method.as_deref().unwrap_or(""),
                        locale
                    )
                ));
            }
            _ => {}
        }
        if r.status == "voided" {
            what.push_str(t(" — voided", " — cancelada"));
        }
        rows.push(vec![
            date(&r.date, locale),
            what,
            r.due_date
                .as_deref()
                .map(|d| date(d, locale))
                .unwrap_or_default(),
            m(r.amount),
            m(r.balance),
        ]);
    }
    rows.push(vec![
        date(&s.to, locale),
        t("Closing balance", "Saldo final").to_owned(),
        String::new(),
        String::new(),
        m(s.closing),
    ]);
    let blocks = vec![
        Block::Table(vec![
            (t("Issued by", "Emitente").to_owned(), company.to_owned()),
            (t("Customer", "Cliente").to_owned(), s.customer_name.clone()),
            (
                t("Period", "Período").to_owned(),
                format!("{} – {}", date(&s.from, locale), date(&s.to, locale)),
            ),
        ]),
        Block::Grid(Grid {
            columns: vec![
                Column::left(t("Date", "Data"), 1.4),
                Column::left(t("Document", "Documento"), 3.6),
                Column::left(t("Due", "Vencimento"), 1.4),
                Column::right(t("Amount", "Valor"), 1.6),
                Column::right(t("Balance", "Saldo"), 1.6),
            ],
            rows,
            bold_last: true,
        }),
        Block::Paragraph(vec![Span::plain(t(
            "A positive balance is owed by the customer; a negative one is the customer's credit.",
            "Saldo positivo é devido pelo cliente; saldo negativo é crédito do cliente.",
        ))]),
    ];
    let doc = pdfdoc::Document {
        title: t("Statement of account", "Extrato da conta").to_owned(),
        blocks,
        logo,
        footer: t("Page {page} of {pages}", "Página {page} de {pages}").to_owned(),
    };
    match pdfdoc::render(&doc) {
        Err(pdfdoc::Error::Logo(_)) => pdfdoc::render(&pdfdoc::Document { logo: None, ..doc }),
        other => other,
    }
    .map_err(|e| Error::Internal(format!("statement PDF: {e}")))
}

/// The period a statement covers, from the dates as typed (`YYYY-MM-DD`),
/// each refused naming its field: by default the twelve months up to today
/// in the installation's time zone.
pub async fn period(svc: &Services, from: Option<&str>, to: Option<&str>) -> Result<(Date, Date)> {
    let parse = |field: &'static str, s: Option<&str>| -> Result<Option<Date>> {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => domain::validate::date(s)
                .map(Some)
                .map_err(|e| Error::invalid(field, e)),
        }
    };
    let (from, to) = (parse("from", from)?, parse("to", to)?);
    let to = match to {
        Some(t) => t,
        None => {
            let mut c = svc.db.conn().await?;
            crate::crm::today(&mut c).await?
        }
    };
    let from = match from {
        Some(f) => f,
        None => to
            .checked_sub(jiff::Span::new().years(1))
            .and_then(|d| d.tomorrow())
            .unwrap_or(to),
    };
    if to < from {
        return Err(Error::invalid_msg("to", "must not be before `from`"));
    }
    Ok((from, to))
}
