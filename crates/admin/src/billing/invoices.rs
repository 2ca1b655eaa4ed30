//! Invoices and credit notes: the list (filters, keyset pages, CSV
//! export), one document with its lines, taxes and credit notes, and the
//! two corrections an issued invoice allows: a credit note (whole or per
//! line) and voiding.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use services::Error;
use services::billing::documents::{
    self, CreditLine, Document, Filter, LineTax, StoredLine as Line,
};

use services::payments::Standing;

use crate::error::{Fail, PageResult};
use crate::shared::money_opt;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, fields, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

const PAGE_SIZE: i64 = 25;
const EXPORT_BATCH: i64 = 500;
/// Customers a name search may match (the list shows their documents).
const CUSTOMER_MATCHES: i64 = 50;

pub const KINDS: &[&str] = &["invoice", "credit_note"];
pub const STATUSES: &[&str] = &["draft", "issued", "voided"];

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Any customer key (name, document, e-mail…), as the customer search.
    pub customer: Option<String>,
    /// One customer, from links.
    pub customer_id: Option<String>,
    pub number: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `1`: issued invoices past their due date.
    pub overdue: Option<String>,
    pub before: Option<i64>,
    pub ok: Option<String>,
}

fn text(v: &Option<String>) -> String {
    v.as_deref().unwrap_or("").trim().to_owned()
}

fn opt(v: &Option<String>) -> Option<String> {
    Some(text(v)).filter(|s| !s.is_empty())
}

impl ListQuery {
    pub fn overdue(&self) -> bool {
        self.overdue.as_deref() == Some("1")
    }

    /// The filters as a query string (without the cursor).
    fn params(&self) -> String {
        let p: Vec<(&str, String)> = [
            ("kind", text(&self.kind)),
            ("status", text(&self.status)),
            ("customer", text(&self.customer)),
            ("customer_id", text(&self.customer_id)),
            ("number", text(&self.number)),
            ("from", text(&self.from)),
            ("to", text(&self.to)),
            (
                "overdue",
                if self.overdue() {
                    "1".into()
                } else {
                    String::new()
                },
            ),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(p).unwrap_or_default()
    }

    /// The service's filter; `None` when a customer search matched nobody
    /// (so nothing can match).
    async fn filter(
        &self,
        state: &AppState,
        caller: &services::Caller,
        today: jiff::civil::Date,
        limit: i64,
    ) -> Result<Option<Filter>, Error> {
        let mut customer_ids = Vec::new();
        if let Some(q) = opt(&self.customer) {
            customer_ids = services::crm::search(&state.svc, caller, &q, CUSTOMER_MATCHES)
                .await?
                .into_iter()
                .map(|h| h.customer.id)
                .collect();
            if customer_ids.is_empty() {
                return Ok(None);
            }
        }
        let customer_id = match opt(&self.customer_id) {
            Some(s) => Some(crate::shared::int("customer_id", &s)?),
            None => None,
        };
        Ok(Some(Filter {
            kind: opt(&self.kind).filter(|k| KINDS.contains(&k.as_str())),
            status: opt(&self.status).filter(|s| STATUSES.contains(&s.as_str())),
            customer_id,
            customer_ids,
            number: opt(&self.number),
            from: opt(&self.from),
            to: opt(&self.to),
            overdue_on: self.overdue().then(|| today.to_string()),
            before_id: self.before,
            limit,
            ..Default::default()
        }))
    }
}

/// Whether an issued invoice is past its due date (`today`: `YYYY-MM-DD`)
/// with something left to pay.
pub fn is_overdue(d: &Document, today: &str) -> bool {
    d.kind == "invoice" && d.status == "issued" && d.due_date.as_str() < today && d.paid < d.total
}

#[derive(Template)]
#[template(path = "billing_invoices.html")]
struct ListView {
    page: Page,
    tab: &'static str,
    docs: Vec<Document>,
    f: ListQuery,
    kinds: &'static [&'static str],
    statuses: &'static [&'static str],
    today: String,
    errors: FormErrors,
    next: Option<String>,
    first_page: bool,
    first_href: String,
    export_href: String,
    /// Each invoice's payment status.
    standings: HashMap<i64, Standing>,
}

impl ListView {
    fn standing(&self, d: &Document) -> Option<&Standing> {
        self.standings.get(&d.id)
    }
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingView)?;
    let today = super::today(&staff.tz);
    let mut errors = FormErrors::default();
    let (docs, more) = match f.filter(&state, &caller, today, PAGE_SIZE).await {
        Ok(Some(filter)) => match documents::list(&state.svc, &caller, &filter).await {
            Ok(found) => found,
            Err(e) => {
                errors = FormErrors::from_error(&staff.tr, e)?;
                (Vec::new(), false)
            }
        },
        Ok(None) => (Vec::new(), false),
        Err(e) => {
            errors = FormErrors::from_error(&staff.tr, e)?;
            (Vec::new(), false)
        }
    };
    let standings = services::payments::standings(&state.svc, &caller, &docs).await?;
    let qs = f.params();
    let next = more
        .then(|| docs.last())
        .flatten()
        .map(|d| match qs.as_str() {
            "" => format!("/billing/invoices?before={}", d.id),
            qs => format!("/billing/invoices?{qs}&before={}", d.id),
        });
    let page = Page::new(&staff, "billing", "bill-invoices-title").with_flash(f.ok.as_deref());
    Ok(html(&ListView {
        page,
        tab: "invoices",
        docs,
        kinds: KINDS,
        statuses: STATUSES,
        today: today.to_string(),
        errors,
        next,
        first_page: f.before.is_none(),
        first_href: format!("/billing/invoices?{qs}"),
        export_href: format!("/billing/invoices/export.csv?{qs}"),
        standings,
        f,
    }))
}

/// Every document matching the list's filters as CSV, in batches.
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    // Refused now, before the first byte, rather than cut short later.
    let caller = staff.caller();
    caller.require(Permission::BillingView)?;
    let today = super::today(&staff.tz);
    let mut filter = f.filter(&state, &caller, today, EXPORT_BATCH).await?;
    if let Some(fl) = &mut filter {
        fl.before_id = None;
        // A bad date is named now, as on the list page.
        fl.limit = 1;
        documents::list(&state.svc, &caller, fl).await?;
        fl.limit = EXPORT_BATCH;
    }
    let delimiter = crate::shared::csv_delimiter(&staff);
    let mut head = crate::shared::BOM.to_vec();
    head.extend(crate::shared::csv_chunk(
        delimiter,
        [[
            "id",
            "kind",
            "number",
            "status",
            "customer_id",
            "customer",
            "contract_id",
            "issue_date",
            "due_date",
            "net",
            "discount",
            "tax",
            "total",
            "credits_invoice_id",
            "overdue",
        ]],
    )?);

    struct Cursor {
        state: AppState,
        caller: services::Caller,
        filter: Option<Filter>,
        delimiter: u8,
        tr: webkit::i18n::Tr,
        today: String,
    }
    async fn next_chunk(mut cur: Cursor) -> Result<(Vec<u8>, Option<Cursor>), Error> {
        let Some(filter) = &mut cur.filter else {
            return Ok((Vec::new(), None));
        };
        let (docs, more) = documents::list(&cur.state.svc, &cur.caller, filter).await?;
        filter.before_id = docs.last().map(|d| d.id);
        let (tr, today) = (&cur.tr, cur.today.as_str());
        let records = docs.iter().map(|d| {
            [
                d.id.to_string(),
                d.kind.clone(),
                d.number.clone().unwrap_or_default(),
                d.status.clone(),
                d.customer_id.to_string(),
                d.customer_name.clone(),
                d.contract_id.map(|k| k.to_string()).unwrap_or_default(),
                d.issue_date.clone().unwrap_or_default(),
                d.due_date.clone(),
                tr.money_decimal(d.net),
                tr.money_decimal(d.discount),
                tr.money_decimal(d.tax),
                tr.money_decimal(d.total),
                d.credits_invoice_id
                    .map(|k| k.to_string())
                    .unwrap_or_default(),
                if is_overdue(d, today) { "yes" } else { "" }.to_owned(),
            ]
        });
        let bytes = crate::shared::csv_chunk(cur.delimiter, records)?;
        Ok((bytes, more.then_some(cur)))
    }
    let cur = Cursor {
        state: state.clone(),
        caller,
        filter,
        delimiter,
        tr: staff.tr,
        today: today.to_string(),
    };
    Ok(crate::shared::csv_stream(
        "invoices.csv",
        "invoice",
        head,
        cur,
        next_chunk,
    ))
}

/// A line with its taxes and what is left to credit.
pub struct LineRow {
    pub l: Line,
    pub taxes: Vec<LineTax>,
    pub left: i64,
}

/// One tax's share of the document.
pub struct TaxSum {
    pub name: String,
    pub rate_ppm: i64,
    pub mode: String,
    pub amount: i64,
}

/// The document as its pages show it.
struct Shown {
    d: Document,
    lines: Vec<LineRow>,
    taxes: Vec<TaxSum>,
    /// Credit notes against it (invoices), newest first.
    notes: Vec<Document>,
    /// The invoice a credit note corrects: id and number.
    credits: Option<(i64, String)>,
    /// The contract's number, when the user may read contracts.
    contract: Option<(i64, String)>,
    overdue: bool,
    /// Anything left to credit.
    creditable: bool,
    /// Its payment status (issued and voided invoices).
    standing: Option<Standing>,
    /// What payments, refunds and reversals moved on it (for users who
    /// may read payments).
    payments: Vec<services::payments::Allocation>,
    /// The charges created at gateways for it (Pix, boleto), newest first.
    charges: Vec<services::payments::gateways::Charge>,
}

async fn shown(state: &AppState, staff: &Staff, id: i64) -> Result<Shown, Error> {
    let caller = staff.caller();
    let full = documents::get(&state.svc, &caller, id).await?;
    let left = documents::credit_left(&state.svc, &caller, id).await?;
    let mut taxes: Vec<TaxSum> = Vec::new();
    for t in &full.taxes {
        match taxes
            .iter_mut()
            .find(|s| s.name == t.name && s.rate_ppm == t.rate_ppm && s.mode == t.mode)
        {
            Some(s) => s.amount = s.amount.saturating_add(t.amount),
            None => taxes.push(TaxSum {
                name: t.name.clone(),
                rate_ppm: t.rate_ppm,
                mode: t.mode.clone(),
                amount: t.amount,
            }),
        }
    }
    let mut by_line: HashMap<i64, Vec<LineTax>> = HashMap::new();
    for t in full.taxes {
        by_line.entry(t.line_id).or_default().push(t);
    }
    let lines: Vec<LineRow> = full
        .lines
        .into_iter()
        .map(|l| LineRow {
            taxes: by_line.remove(&l.id).unwrap_or_default(),
            left: left.get(&l.id).copied().unwrap_or(0),
            l,
        })
        .collect();
    let d = full.document;
    let notes = if d.kind == "invoice" {
        documents::list(
            &state.svc,
            &caller,
            &Filter {
                credits_invoice_id: Some(d.id),
                limit: 100,
                ..Default::default()
            },
        )
        .await?
        .0
    } else {
        Vec::new()
    };
    let credits = match d.credits_invoice_id {
        Some(inv) => {
            let o = documents::get(&state.svc, &caller, inv).await?.document;
            Some((inv, o.number.unwrap_or_default()))
        }
        None => None,
    };
    let contract = match d.contract_id {
        Some(k) if caller.can(Permission::CustomersView) => {
            match services::contracts::get(&state.svc, &caller, k).await {
                Ok(c) => Some((k, c.number)),
                Err(Error::NotFound) => None,
                Err(e) => return Err(e),
            }
        }
        _ => None,
    };
    let today = super::today(&staff.tz).to_string();
    let standing = services::payments::standings(&state.svc, &caller, std::slice::from_ref(&d))
        .await?
        .remove(&d.id);
    let payments = if d.kind == "invoice" && caller.can(Permission::PaymentsView) {
        services::payments::of_invoice(&state.svc, &caller, d.id).await?
    } else {
        Vec::new()
    };
    let charges = if d.kind == "invoice" && caller.can(Permission::PaymentsView) {
        services::payments::gateways::of_invoice(&state.svc, &caller, d.id).await?
    } else {
        Vec::new()
    };
    Ok(Shown {
        standing,
        payments,
        charges,
        overdue: is_overdue(&d, &today),
        creditable: d.kind == "invoice" && d.status == "issued" && lines.iter().any(|l| l.left > 0),
        d,
        lines,
        taxes,
        notes,
        credits,
        contract,
    })
}

fn title(page: &Page, d: &Document) -> String {
    let kind = page.label("bill-kind-", &d.kind);
    match &d.number {
        Some(n) => format!("{kind} {n}"),
        None => format!("{kind} #{}", d.id),
    }
}

#[derive(Template)]
#[template(path = "billing_invoice.html")]
struct ShowView {
    page: Page,
    s: Shown,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let s = shown(&state, &staff, id).await?;
    let mut page = Page::new(&staff, "billing", "bill-invoices-title").with_flash(f.ok.as_deref());
    page.title = title(&page, &s.d);
    Ok(html(&ShowView { page, s }))
}

/// The credit note form as typed.
#[derive(Debug, Default, Clone)]
struct CreditForm {
    /// `all` (every line's remainder) or `lines`.
    scope: String,
    lines: Vec<String>,
    amounts: HashMap<i64, String>,
    reason: String,
}

impl CreditForm {
    fn from_pairs(p: &[(String, String)]) -> CreditForm {
        CreditForm {
            scope: field(p, "scope"),
            lines: fields(p, "line"),
            amounts: p
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("amount_")?.parse().ok()?, v.clone())))
                .collect(),
            reason: field(p, "reason"),
        }
    }
    fn checked(&self, id: &i64) -> bool {
        self.lines.contains(&id.to_string())
    }
    fn amount(&self, id: &i64) -> String {
        self.amounts.get(id).cloned().unwrap_or_default()
    }
    fn whole(&self) -> bool {
        self.scope != "lines"
    }
    fn credit_lines(&self, tr: &webkit::i18n::Tr, s: &Shown) -> Result<Vec<CreditLine>, Error> {
        if self.whole() {
            return Ok(s
                .lines
                .iter()
                .filter(|l| l.left > 0)
                .map(|l| CreditLine {
                    line_id: l.l.id,
                    amount: None,
                })
                .collect());
        }
        let mut out = Vec::new();
        for l in &s.lines {
            if self.checked(&l.l.id) {
                out.push(CreditLine {
                    line_id: l.l.id,
                    amount: money_opt(tr, "amount", &self.amount(&l.l.id))?,
                });
            }
        }
        Ok(out)
    }
}

/// The message for a line asked to give back more than it holds.
fn over_left(tr: &webkit::i18n::Tr, s: &Shown, lines: &[CreditLine]) -> Option<String> {
    lines.iter().find_map(|c| {
        let row = s.lines.iter().find(|r| r.l.id == c.line_id)?;
        let amount = c.amount?;
        (amount.0 > row.left).then(|| {
            tr.t2(
                "bill-credit-over",
                ("line", &row.l.description),
                ("left", tr.money(row.left)),
            )
        })
    })
}

#[derive(Template)]
#[template(path = "billing_credit.html")]
struct CreditView {
    page: Page,
    s: Shown,
    v: CreditForm,
    errors: FormErrors,
}

async fn credit_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    v: CreditForm,
    errors: FormErrors,
) -> Result<CreditView, Fail> {
    let s = shown(state, staff, id).await?;
    let mut page = Page::new(staff, "billing", "bill-invoices-title");
    page.title = format!(
        "{} · {}",
        page.tr.t("bill-credit-title"),
        title(&page, &s.d)
    );
    Ok(CreditView { page, s, v, errors })
}

pub async fn credit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    staff.caller().require(Permission::BillingVoid)?;
    let v = CreditForm {
        scope: "all".into(),
        ..Default::default()
    };
    Ok(html(
        &credit_view(&state, &staff, id, v, FormErrors::default()).await?,
    ))
}

pub async fn credit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingVoid)?;
    let v = CreditForm::from_pairs(&form_pairs(&body));
    let s = shown(&state, &staff, id).await?;
    let policy = super::policy(&state).await?;
    let result = match v.credit_lines(&staff.tr, &s) {
        Ok(lines) => match over_left(&staff.tr, &s, &lines) {
            // Said here in the user's language and money; the service
            // checks it again.
            Some(msg) => {
                let errors = FormErrors(vec![("amount".into(), msg)]);
                let view = credit_view(&state, &staff, id, v, errors).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response());
            }
            None => documents::credit(&state.svc, &caller, id, &lines, &v.reason, &policy).await,
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(note) => Ok(done(
            &format!("/billing/invoices/{note}"),
            "credit-note-issued",
        )),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let view = credit_view(&state, &staff, id, v, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "billing_void.html")]
struct VoidView {
    page: Page,
    s: Shown,
    reason: String,
    errors: FormErrors,
}

async fn void_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    reason: String,
    errors: FormErrors,
) -> Result<VoidView, Fail> {
    let s = shown(state, staff, id).await?;
    let mut page = Page::new(staff, "billing", "bill-invoices-title");
    page.title = format!("{} · {}", page.tr.t("bill-void-title"), title(&page, &s.d));
    Ok(VoidView {
        page,
        s,
        reason,
        errors,
    })
}

/// The confirmation step: what voiding does, and the reason.
pub async fn void_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    staff.caller().require(Permission::BillingVoid)?;
    Ok(html(
        &void_view(&state, &staff, id, String::new(), FormErrors::default()).await?,
    ))
}

pub async fn void(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    let reason = field(&form_pairs(&body), "reason");
    let policy = super::policy(&state).await?;
    match documents::void(&state.svc, &caller, id, &reason, &policy).await {
        Ok(_) => Ok(done(&format!("/billing/invoices/{id}"), "invoice-voided")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let view = void_view(&state, &staff, id, reason, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}
