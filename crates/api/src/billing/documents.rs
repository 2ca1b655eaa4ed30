//! What invoices and credit notes share: the views of a document, its
//! lines, each line's taxes and the document's tax breakdown, and the
//! list filters both lists take. Amounts are integers in minor units.

use std::collections::BTreeMap;

use domain::billing::Rate;
use serde::Serialize;
use services::billing::documents::{self, Document, Filter, Full, LineTax, StoredLine};
use utoipa::ToSchema;

use crate::choices;
use crate::pagination::{self, Paged};
use crate::problem::Problem;
use crate::time;
use webkit::state::AppState;

/// An invoice or a credit note (`kind`), without its lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    #[schema(example = 42)]
    pub id: i64,
    /// `invoice` or `credit_note`.
    #[schema(example = "invoice")]
    pub kind: String,
    /// Assigned when issued (gap-free per series); `null` while a draft.
    #[schema(example = "2026-000123")]
    pub number: Option<String>,
    #[schema(value_type = choices::InvoiceStatus, example = "issued")]
    pub status: String,
    /// The unguessable id of the links customers open.
    #[schema(example = "q3JxV1oZ0pTQm4sXc8aH2w")]
    pub public_id: String,
    #[schema(example = 7)]
    pub customer_id: i64,
    #[schema(example = "Maria da Silva")]
    pub customer_name: String,
    /// The contract the document is for, if one.
    #[schema(example = 12)]
    pub contract_id: Option<i64>,
    /// `YYYY-MM-DD`; `null` while a draft.
    #[schema(format = Date, example = "2026-12-01")]
    pub issue_date: Option<String>,
    #[schema(format = Date, example = "2026-12-10")]
    pub due_date: String,
    /// Sum of the lines' net amounts (before taxes on top).
    #[schema(example = 8_207)]
    pub net: i64,
    #[schema(example = 0)]
    pub discount: i64,
    /// Sum of every tax on every line.
    #[schema(example = 2_166)]
    pub tax: i64,
    /// What the customer pays (negative on a credit note).
    #[schema(example = 9_990)]
    pub total: i64,
    /// For a credit note: the invoice it corrects.
    #[schema(example = json!(null))]
    pub credits_invoice_id: Option<i64>,
    /// The billing run that issued it, if one did.
    #[schema(example = 3)]
    pub billing_run_id: Option<i64>,
    /// On a credit note, the reason it was issued.
    #[schema(example = "")]
    pub notes: String,
    /// Why it was voided.
    #[schema(example = json!(null))]
    pub void_reason: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime, example = "2026-12-01T03:00:00Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-12-01T03:00:00Z")]
    pub issued_at: Option<String>,
    #[schema(format = DateTime, example = json!(null))]
    pub voided_at: Option<String>,
}

impl From<Document> for InvoiceView {
    fn from(d: Document) -> InvoiceView {
        InvoiceView {
            id: d.id,
            kind: d.kind,
            number: d.number,
            status: d.status,
            public_id: d.public_id,
            customer_id: d.customer_id,
            customer_name: d.customer_name,
            contract_id: d.contract_id,
            issue_date: d.issue_date,
            due_date: d.due_date,
            net: d.net,
            discount: d.discount,
            tax: d.tax,
            total: d.total,
            credits_invoice_id: d.credits_invoice_id,
            billing_run_id: d.billing_run_id,
            notes: d.notes,
            void_reason: d.void_reason,
            created_at: time(d.created_at),
            issued_at: d.issued_at.map(time),
            voided_at: d.voided_at.map(time),
        }
    }
}

/// A tax on one line, with the rate as it was applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineTaxView {
    #[schema(example = 1)]
    pub tax_rate_id: i64,
    #[schema(example = "ICMS")]
    pub name: String,
    /// A percentage, exactly (`18`, `0.65`).
    #[schema(example = "18")]
    pub rate: String,
    /// The same rate in parts per million (18 % = 180000).
    #[schema(example = 180_000)]
    pub rate_ppm: i64,
    #[schema(value_type = choices::TaxMode, example = "included_share")]
    pub mode: String,
    #[schema(example = 1_798)]
    pub amount: i64,
}

fn percent(ppm: i64) -> String {
    u32::try_from(ppm)
        .map(|p| Rate(p).percent_text())
        .unwrap_or_else(|_| format!("{ppm} ppm"))
}

impl From<&LineTax> for LineTaxView {
    fn from(t: &LineTax) -> LineTaxView {
        LineTaxView {
            tax_rate_id: t.tax_rate_id,
            name: t.name.clone(),
            rate: percent(t.rate_ppm),
            rate_ppm: t.rate_ppm,
            mode: t.mode.clone(),
            amount: t.amount,
        }
    }
}

/// A line of a document with its taxes.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    /// The id a per-line credit note names.
    #[schema(example = 101)]
    pub id: i64,
    #[schema(example = 0)]
    pub position: i64,
    /// `plan`, `item`, `installation`, `one_off` or `credit`.
    #[schema(example = "plan")]
    pub source: String,
    #[schema(example = 12)]
    pub contract_id: Option<i64>,
    #[schema(example = "Fibra 300")]
    pub description: String,
    /// The first day covered (`YYYY-MM-DD`).
    #[schema(format = Date, example = "2026-11-10")]
    pub period_start: Option<String>,
    /// The first day not covered.
    #[schema(format = Date, example = "2026-12-10")]
    pub period_end: Option<String>,
    #[schema(example = 1)]
    pub quantity: i64,
    #[schema(example = 9_990)]
    pub unit_price: i64,
    #[schema(example = 0)]
    pub discount: i64,
    /// Quantity × unit price − discount.
    #[schema(example = 9_990)]
    pub amount: i64,
    /// The amount without taxes.
    #[schema(example = 7_824)]
    pub net: i64,
    /// What the line adds to the document's total.
    #[schema(example = 9_990)]
    pub total: i64,
    /// On a credit note: the invoice line it credits.
    #[schema(example = json!(null))]
    pub credits_line_id: Option<i64>,
    pub taxes: Vec<LineTaxView>,
}

impl LineView {
    fn new(l: StoredLine, taxes: &[LineTax]) -> LineView {
        LineView {
            taxes: taxes
                .iter()
                .filter(|t| t.line_id == l.id)
                .map(Into::into)
                .collect(),
            id: l.id,
            position: l.position,
            source: l.source,
            contract_id: l.contract_id,
            description: l.description,
            period_start: l.period_start,
            period_end: l.period_end,
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount: l.discount,
            amount: l.amount,
            net: l.net,
            total: l.total,
            credits_line_id: l.credits_line_id,
        }
    }
}

/// One tax summed over the document's lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxTotalView {
    #[schema(example = 1)]
    pub tax_rate_id: i64,
    #[schema(example = "ICMS")]
    pub name: String,
    #[schema(example = "18")]
    pub rate: String,
    #[schema(example = 180_000)]
    pub rate_ppm: i64,
    #[schema(value_type = choices::TaxMode, example = "included_share")]
    pub mode: String,
    #[schema(example = 1_798)]
    pub amount: i64,
}

/// Each tax's total over the lines, in the order the taxes first appear.
fn breakdown(taxes: &[LineTax]) -> Vec<TaxTotalView> {
    // Keyed by the rate as applied: a rate changed between two lines'
    // computations would be two rows, never one wrong sum.
    let mut order = Vec::new();
    let mut sums: BTreeMap<(i64, i64, &str, &str), i64> = BTreeMap::new();
    for t in taxes {
        let key = (t.tax_rate_id, t.rate_ppm, t.mode.as_str(), t.name.as_str());
        if !sums.contains_key(&key) {
            order.push(key);
        }
        let s = sums.entry(key).or_default();
        *s = s.saturating_add(t.amount);
    }
    order
        .into_iter()
        .map(|k| TaxTotalView {
            tax_rate_id: k.0,
            name: k.3.to_owned(),
            rate: percent(k.1),
            rate_ppm: k.1,
            mode: k.2.to_owned(),
            amount: sums.get(&k).copied().unwrap_or(0),
        })
        .collect()
}

/// A document with its lines, each line's taxes and the tax breakdown.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceDetail {
    #[serde(flatten)]
    pub document: InvoiceView,
    pub lines: Vec<LineView>,
    /// Each tax's total over the lines.
    pub tax_breakdown: Vec<TaxTotalView>,
    /// For an invoice: the credit notes issued against it, oldest first.
    pub credit_notes: Vec<InvoiceView>,
}

/// The detail of a read document; an invoice's credit notes are read too.
pub async fn detail(
    state: &AppState,
    caller: &services::Caller,
    full: Full,
) -> Result<InvoiceDetail, Problem> {
    let credit_notes = if full.document.kind == "invoice" {
        let filter = Filter {
            kind: Some("credit_note".into()),
            credits_invoice_id: Some(full.document.id),
            limit: 500,
            ..Default::default()
        };
        let (mut rows, _) = documents::list(&state.svc, caller, &filter).await?;
        rows.reverse();
        rows.into_iter().map(Into::into).collect()
    } else {
        Vec::new()
    };
    let Full {
        document,
        lines,
        taxes,
    } = full;
    Ok(InvoiceDetail {
        document: document.into(),
        lines: lines
            .into_iter()
            .map(|l| LineView::new(l, &taxes))
            .collect(),
        tax_breakdown: breakdown(&taxes),
        credit_notes,
    })
}

/// The filters both lists take, as the query string gave them.
pub struct Wanted<'a> {
    pub status: Option<&'a str>,
    pub customer_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub number: Option<&'a str>,
    pub issued_from: Option<&'a str>,
    pub issued_to: Option<&'a str>,
    pub limit: Option<i64>,
    pub cursor: Option<&'a str>,
}

fn text(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A `YYYY-MM-DD` query parameter, named when it is not a day.
pub fn day(field: &str, raw: Option<&str>) -> Result<Option<jiff::civil::Date>, Problem> {
    // An empty value is not a date either (the document says `date`).
    let Some(s) = raw.map(str::trim) else {
        return Ok(None);
    };
    // jiff also reads `2026-12-01T10:00`; a parameter is a day or nothing.
    if s.len() != 10 {
        return Err(Problem::invalid(
            field,
            "date",
            "must be a date (YYYY-MM-DD)",
        ));
    }
    s.parse::<jiff::civil::Date>()
        .map(Some)
        .map_err(|_| Problem::invalid(field, "date", "must be a date (YYYY-MM-DD)"))
}

/// The store's filter for a list of `kind` documents.
pub fn filter(kind: &str, q: &Wanted<'_>) -> Result<Filter, Problem> {
    let status = match text(q.status) {
        None => None,
        Some(s) if domain::billing::invoice::Status::parse(&s).is_some() => Some(s),
        Some(_) => {
            return Err(Problem::invalid(
                "status",
                "choice",
                "must be `draft`, `issued` or `voided`",
            ));
        }
    };
    let from = day("issued_from", q.issued_from)?;
    let to = day("issued_to", q.issued_to)?;
    Ok(Filter {
        kind: Some(kind.to_owned()),
        status,
        customer_id: q.customer_id,
        contract_id: q.contract_id,
        number: text(q.number),
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        before_id: pagination::decode(q.cursor)?,
        limit: pagination::limit(q.limit)?,
        ..Default::default()
    })
}

/// A page of documents as the store's filter selects them.
pub async fn page(
    state: &AppState,
    caller: &services::Caller,
    filter: &Filter,
) -> Result<Paged<InvoiceView>, Problem> {
    let (rows, more) = documents::list(&state.svc, caller, filter).await?;
    let data: Vec<InvoiceView> = rows.into_iter().map(Into::into).collect();
    Ok(pagination::page(data, more, |d| d.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tax(line_id: i64, id: i64, ppm: i64, amount: i64) -> LineTax {
        LineTax {
            line_id,
            tax_rate_id: id,
            name: format!("T{id}"),
            rate_ppm: ppm,
            mode: "included_share".into(),
            amount,
        }
    }

    #[test]
    fn breakdown_sums_each_tax_in_first_seen_order() {
        let b = breakdown(&[
            tax(1, 2, 6_500, 65),
            tax(1, 1, 180_000, 1_798),
            tax(2, 2, 6_500, 10),
            tax(2, 1, 180_000, 200),
        ]);
        let got: Vec<(i64, &str, i64)> = b
            .iter()
            .map(|t| (t.tax_rate_id, t.rate.as_str(), t.amount))
            .collect();
        assert_eq!(got, vec![(2, "0.65", 75), (1, "18", 1_998)]);
    }

    #[test]
    fn days_are_whole_dates_named_by_their_parameter() {
        assert_eq!(
            day("issued_from", Some("2026-02-28")).ok().flatten(),
            Some(jiff::civil::date(2026, 2, 28))
        );
        assert_eq!(day("issued_from", None).ok(), Some(None));
        for bad in ["2026-02-30", "2026-2-1", "2026-02-01T10:00", "x", "", " "] {
            let p = day("due_before", Some(bad))
                .err()
                .map(|p| p.errors[0].field.clone());
            assert_eq!(p.as_deref(), Some("due_before"), "{bad}");
        }
    }
}
