//! Payments: the book (list with filters, search and CSV export), one
//! payment with where its money went and its receipt, refunds and
//! reversals (each confirmed on its own page), and recording a payment
//! received by hand from the customer's billing tab or an invoice.
//! Strings live in `locales/*/payments.ftl` (in `webkit`).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use domain::Permission;
use domain::payments::{Kind, Method};
use services::Error;
use services::payments::{self, Filter, Full, NewPayment, Payment};
use webkit::auth::Staff;
use webkit::download::attachment;
use webkit::state::AppState;

use crate::error::{Fail, PageResult};
use crate::views::{FormErrors, NavItem, Page, html};
use crate::{done, field, form_pairs};

/// The payments' navigation entry (after billing).
pub const NAV: NavItem = NavItem {
    key: "payments",
    href: "/payments",
    icon: "M12 1a11 11 0 1 0 11 11A11 11 0 0 0 12 1zm1 17.9V21h-2v-2.1a4.5 4.5 0 0 1-3.5-3.4l1.9-.6a2.6 2.6 0 0 0 2.6 2.1c1.3 0 2.3-.6 2.3-1.6s-.8-1.4-2.6-1.9c-2.1-.6-3.9-1.3-3.9-3.5A3.4 3.4 0 0 1 11 5.1V3h2v2.1a4.1 4.1 0 0 1 3.1 2.7l-1.8.7a2.3 2.3 0 0 0-2.2-1.6c-1.2 0-2 .6-2 1.4s.9 1.2 2.6 1.7c2.2.6 3.9 1.5 3.9 3.7a3.5 3.5 0 0 1-2.6 3.4z",
    ready: true,
    perm: Some(Permission::PaymentsView),
};

pub mod charges;
pub mod pix_automatico;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(charges::routes())
        .merge(pix_automatico::routes())
        .route("/payments", get(list))
        .route("/payments/export.csv", get(export))
        .route("/payments/{id}", get(show))
        .route("/payments/{id}/receipt.pdf", get(receipt))
        .route("/payments/{id}/refund", get(refund_form).post(refund))
        .route("/payments/{id}/reverse", get(reverse_form).post(reverse))
        .route(
            "/customers/{id}/payments/new",
            get(record_form).post(record),
        )
}

const PAGE_SIZE: i64 = 25;
const EXPORT_BATCH: i64 = 500;

/// A method's name in the user's language.
pub fn method_label(page: &Page, method: &str) -> String {
    page.tr.t(&format!("payments-method-{method}"))
}

/// A row's kind in the user's language.
pub fn kind_label(page: &Page, kind: &str) -> String {
    page.tr.t(&format!("payments-kind-{kind}"))
}

/// An invoice's payment status in the user's language.
pub fn status_label(page: &Page, status: &domain::payments::InvoiceStatus) -> String {
    page.tr.t(&format!("payments-status-{}", status.as_str()))
}

/// The badge class of an invoice's payment status.
pub fn status_class(status: &domain::payments::InvoiceStatus) -> &'static str {
    use domain::payments::InvoiceStatus as S;
    match status {
        S::Paid => "badge badge-ok",
        S::Overdue => "badge badge-danger",
        S::PartiallyPaid => "badge badge-warn",
        S::Voided | S::Draft => "badge badge-muted",
        S::Open => "badge badge-info",
    }
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListQuery {
    pub customer_id: Option<String>,
    pub method: Option<String>,
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    pub before: Option<i64>,
    pub ok: Option<String>,
}

fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl ListQuery {
    fn params(&self) -> String {
        let p: Vec<(&str, String)> = [
            ("customer_id", opt(&self.customer_id)),
            ("method", opt(&self.method)),
            ("kind", opt(&self.kind)),
            ("from", opt(&self.from)),
            ("to", opt(&self.to)),
            ("q", opt(&self.q)),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
        serde_urlencoded::to_string(p).unwrap_or_default()
    }

    fn filter(&self, limit: i64) -> Result<Filter, Error> {
        Ok(Filter {
            customer_id: match opt(&self.customer_id) {
                Some(s) => Some(crate::shared::int("customer_id", &s)?),
                None => None,
            },
            method: opt(&self.method),
            kind: opt(&self.kind),
            from: opt(&self.from),
            to: opt(&self.to),
            search: opt(&self.q),
            before_id: self.before,
            limit,
        })
    }
}

#[derive(Template)]
#[template(path = "payments_list.html")]
struct ListView {
    page: Page,
    rows: Vec<Payment>,
    f: ListQuery,
    methods: Vec<&'static str>,
    kinds: Vec<&'static str>,
    errors: FormErrors,
    next: Option<String>,
    first_page: bool,
    first_href: String,
    export_href: String,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsView)?;
    let mut errors = FormErrors::default();
    let found = match f.filter(PAGE_SIZE) {
        Ok(filter) => payments::list(&state.svc, &caller, &filter).await,
        Err(e) => Err(e),
    };
    let (rows, more) = match found {
        Ok(found) => found,
        Err(e) => {
            errors = FormErrors::from_error(&staff.tr, e)?;
            (Vec::new(), false)
        }
    };
    let qs = f.params();
    let next = more
        .then(|| rows.last())
        .flatten()
        .map(|p| match qs.as_str() {
            "" => format!("/payments?before={}", p.id),
            qs => format!("/payments?{qs}&before={}", p.id),
        });
    let page = Page::new(&staff, "payments", "payments-title").with_flash(f.ok.as_deref());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        html(&ListView {
            page,
            rows,
            methods: Method::ALL.iter().map(|m| m.as_str()).collect(),
            kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
            errors,
            next,
            first_page: f.before.is_none(),
            first_href: format!("/payments?{qs}"),
            export_href: format!("/payments/export.csv?{qs}"),
            f,
        }),
    )
        .into_response())
}

/// Every row matching the list's filters as CSV, in batches.
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsView)?;
    let mut filter = f.filter(1)?;
    filter.before_id = None;
    // A bad filter is named now, before the first byte.
    payments::list(&state.svc, &caller, &filter).await?;
    filter.limit = EXPORT_BATCH;
    let delimiter = crate::shared::csv_delimiter(&staff);
    let mut head = crate::shared::BOM.to_vec();
    head.extend(crate::shared::csv_chunk(
        delimiter,
        [[
            "id",
            "kind",
            "receipt_number",
            "customer_id",
            "customer",
            "method",
            "amount",
            "fee",
            "received_on",
            "gateway",
            "reference",
            "invoice_id",
            "reverses_payment_id",
            "recorded_by",
        ]],
    )?);
    struct Cursor {
        state: AppState,
        caller: services::Caller,
        filter: Filter,
        delimiter: u8,
        tr: webkit::i18n::Tr,
    }
    async fn next_chunk(mut cur: Cursor) -> Result<(Vec<u8>, Option<Cursor>), Error> {
        let (rows, more) = payments::list(&cur.state.svc, &cur.caller, &cur.filter).await?;
        cur.filter.before_id = rows.last().map(|p| p.id);
        let tr = &cur.tr;
        let records = rows.iter().map(|p| {
            [
                p.id.to_string(),
                p.kind.clone(),
                p.receipt_number.clone().unwrap_or_default(),
                p.customer_id.to_string(),
                p.customer_name.clone(),
                p.method.clone(),
                tr.money_decimal(p.amount),
                tr.money_decimal(p.fee),
                p.received_on.clone(),
                p.gateway.clone().unwrap_or_default(),
                p.reference.clone().unwrap_or_default(),
                p.invoice_id.map(|i| i.to_string()).unwrap_or_default(),
                p.reverses_payment_id
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
                p.actor_name.clone(),
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
    };
    Ok(crate::shared::csv_stream(
        "payments.csv",
        "payment",
        head,
        cur,
        next_chunk,
    ))
}

#[derive(Template)]
#[template(path = "payment_show.html")]
struct ShowView {
    page: Page,
    p: Full,
}

impl ShowView {
    fn is_payment(&self) -> bool {
        self.p.payment.kind == "payment"
    }
}

fn title(page: &Page, p: &Payment) -> String {
    match &p.receipt_number {
        Some(n) => format!("{} {n}", kind_label(page, &p.kind)),
        None => format!("{} #{}", kind_label(page, &p.kind), p.id),
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let p = payments::get(&state.svc, &staff.caller(), id).await?;
    let mut page = Page::new(&staff, "payments", "payments-title").with_flash(f.ok.as_deref());
    page.title = title(&page, &p.payment);
    Ok(html(&ShowView { page, p }))
}

pub async fn receipt(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let (filename, pdf) = payments::receipt::pdf(&state.svc, &staff.caller(), id).await?;
    Ok(attachment("application/pdf", &filename, pdf))
}

#[derive(Template)]
#[template(path = "payment_take_back.html")]
struct TakeBackView {
    page: Page,
    p: Full,
    /// `refund` or `reverse`.
    what: &'static str,
    /// The gateway a refund goes back through (`psp`, `stripe`, `paypal`).
    via: Option<&'static str>,
    amount: String,
    reason: String,
    errors: FormErrors,
}

async fn take_back_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    what: &'static str,
    amount: String,
    reason: String,
    errors: FormErrors,
) -> Result<TakeBackView, Fail> {
    let p = payments::get(&state.svc, &staff.caller(), id).await?;
    let mut page = Page::new(staff, "payments", "payments-title");
    let key = if what == "refund" {
        "payments-refund-title"
    } else {
        "payments-reverse-title"
    };
    page.title = format!("{} · {}", page.tr.t(key), title(&page, &p.payment));
    let via = if what == "refund" {
        services::payments::gateways::refund_gateway(&state.svc, id).await?
    } else {
        None
    };
    Ok(TakeBackView {
        page,
        p,
        what,
        via,
        amount,
        reason,
        errors,
    })
}

pub async fn refund_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    staff.caller().require(Permission::PaymentsRefund)?;
    let mut v = take_back_view(
        &state,
        &staff,
        id,
        "refund",
        String::new(),
        String::new(),
        FormErrors::default(),
    )
    .await?;
    v.amount = staff.tr.money_decimal(v.p.refundable);
    Ok(html(&v))
}

pub async fn refund(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRefund)?;
    let pairs = form_pairs(&body);
    let (amount, reason) = (field(&pairs, "amount"), field(&pairs, "reason"));
    // Money sent back through a gateway cannot be called back: the box
    // says the user knows.
    let via = services::payments::gateways::refund_gateway(&state.svc, id).await?;
    let result = match crate::shared::money(&staff.tr, "amount", &amount) {
        Ok(_) if via.is_some() && field(&pairs, "confirm").is_empty() => {
            Err(Error::invalid_msg("confirm", "tick the box to confirm"))
        }
        Ok(m) => services::payments::gateways::refund(&state.svc, &caller, id, m, &reason).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/payments/{id}"), "payment-refunded")),
        Err(e) => {
            let errors = charges::form_errors(&staff.tr, e)?;
            let view = take_back_view(&state, &staff, id, "refund", amount, reason, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn reverse_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    staff.caller().require(Permission::PaymentsRefund)?;
    Ok(html(
        &take_back_view(
            &state,
            &staff,
            id,
            "reverse",
            String::new(),
            String::new(),
            FormErrors::default(),
        )
        .await?,
    ))
}

pub async fn reverse(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRefund)?;
    let reason = field(&form_pairs(&body), "reason");
    match payments::reverse(&state.svc, &caller, id, &reason).await {
        Ok(_) => Ok(done(&format!("/payments/{id}"), "payment-reversed")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let view = take_back_view(&state, &staff, id, "reverse", String::new(), reason, errors)
                .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

/// The record form as typed.
#[derive(Debug, Default, Clone)]
struct RecordForm {
    method: String,
    amount: String,
    received_on: String,
    invoice_id: String,
    fee: String,
    notes: String,
}

/// An open invoice the form offers.
struct OpenChoice {
    id: i64,
    number: String,
    due_date: String,
    open: i64,
}

#[derive(Template)]
#[template(path = "payment_record.html")]
struct RecordView {
    page: Page,
    customer_id: i64,
    customer_name: String,
    open: Vec<OpenChoice>,
    methods: Vec<&'static str>,
    v: RecordForm,
    errors: FormErrors,
}

async fn record_view(
    state: &AppState,
    staff: &Staff,
    customer_id: i64,
    v: RecordForm,
    errors: FormErrors,
) -> Result<RecordView, Fail> {
    let caller = staff.caller();
    let balance = services::billing::statement::balance(&state.svc, &caller, customer_id).await?;
    let c = services::crm::get_customer(&state.svc, &caller, customer_id).await?;
    let mut page = Page::new(staff, "customers", "payments-record-title");
    page.title = format!("{} · {}", page.tr.t("payments-record-title"), c.name);
    Ok(RecordView {
        page,
        customer_id,
        customer_name: c.name,
        open: balance
            .open_invoices
            .into_iter()
            .map(|o| OpenChoice {
                id: o.id,
                number: o.number,
                due_date: o.due_date,
                open: o.open,
            })
            .collect(),
        methods: Method::ALL
            .iter()
            .filter(|m| m.is_manual())
            .map(|m| m.as_str())
            .collect(),
        v,
        errors,
    })
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RecordQuery {
    /// The invoice to pay first (links from an invoice's page).
    pub invoice: Option<i64>,
}

pub async fn record_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(customer_id): Path<i64>,
    Query(q): Query<RecordQuery>,
) -> PageResult {
    staff.caller().require(Permission::PaymentsRecord)?;
    let today = jiff::Timestamp::now().to_zoned(staff.tz.clone()).date();
    let mut view = record_view(
        &state,
        &staff,
        customer_id,
        RecordForm {
            method: "cash".into(),
            received_on: today.to_string(),
            ..Default::default()
        },
        FormErrors::default(),
    )
    .await?;
    // The amount defaults to what the named invoice (else the oldest) has
    // open.
    let chosen = match q.invoice {
        Some(id) => view.open.iter().find(|o| o.id == id),
        None => view.open.first(),
    };
    if let Some(o) = chosen {
        view.v.amount = staff.tr.money_decimal(o.open);
        if q.invoice.is_some() {
            view.v.invoice_id = o.id.to_string();
        }
    }
    Ok(html(&view))
}

pub async fn record(
    State(state): State<AppState>,
    staff: Staff,
    Path(customer_id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let p = form_pairs(&body);
    let v = RecordForm {
        method: field(&p, "method"),
        amount: field(&p, "amount"),
        received_on: field(&p, "received_on"),
        invoice_id: field(&p, "invoice_id"),
        fee: field(&p, "fee"),
        notes: field(&p, "notes"),
    };
    let input = || -> Result<NewPayment, Error> {
        let method = Method::parse(v.method.trim())
            .ok_or_else(|| Error::invalid_msg("method", "choose a method"))?;
        Ok(NewPayment {
            customer_id,
            method,
            amount: crate::shared::money(&staff.tr, "amount", &v.amount)?,
            received_on: v.received_on.trim().to_owned(),
            invoice_id: crate::shared::int_opt("invoice_id", &v.invoice_id)?,
            gateway: None,
            reference: None,
            fee: crate::shared::money_opt(&staff.tr, "fee", &v.fee)?.unwrap_or_default(),
            notes: v.notes.clone(),
        })
    };
    let result = match input() {
        Ok(n) => payments::record(&state.svc, &caller, &n).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(done(
            &format!("/payments/{}", r.payment.id),
            "payment-recorded",
        )),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let view = record_view(&state, &staff, customer_id, v, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}
