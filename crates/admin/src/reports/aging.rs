//! Receivables aging: the buckets as of a date, the customers owing most
//! first, and one customer's open invoices.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use services::billing::reports::{self, Aging, BUCKETS, CustomerAging, CustomerOpen};

use super::{csv, judged, params, share, status};
use crate::error::{Fail, PageResult};
use crate::views::{FormErrors, Page, html};
use webkit::auth::Staff;
use webkit::state::AppState;

const PAGE_SIZE: i64 = 50;
const EXPORT_BATCH: i64 = 1000;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AgingQuery {
    as_of: Option<String>,
    /// Rows skipped (the list is ordered by amount, not by a key).
    offset: Option<i64>,
}

impl AgingQuery {
    fn as_of(&self) -> String {
        self.as_of.clone().unwrap_or_default()
    }
}

/// A bucket as the page shows it.
struct BucketRow {
    label: String,
    amount: i64,
    invoices: i64,
    pct: i64,
}

#[derive(Template)]
#[template(path = "reports_aging.html")]
struct AgingView {
    page: Page,
    tab: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str)],
    export_href: String,
    as_of: String,
    errors: FormErrors,
    aging: Aging,
    buckets: Vec<BucketRow>,
    rows: Vec<CustomerAging>,
    prev: Option<String>,
    next: Option<String>,
    qs: String,
}

fn bucket_label(staff: &Staff, key: &str) -> String {
    staff.tr.t(&format!("reports-bucket-{key}"))
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<AgingQuery>,
) -> PageResult {
    let caller = staff.caller();
    let (aging, errors) = judged(
        &staff,
        reports::aging(&state.svc, &caller, &q.as_of()).await,
    )?;
    let offset = q.offset.unwrap_or(0).max(0);
    let ((rows, more), _) = if errors.is_empty() {
        judged(
            &staff,
            reports::aging_by_customer(&state.svc, &caller, &q.as_of(), offset, PAGE_SIZE).await,
        )?
    } else {
        Default::default()
    };
    let as_of = if aging.as_of.is_empty() {
        q.as_of()
    } else {
        aging.as_of.clone()
    };
    let buckets = BUCKETS
        .iter()
        .zip(aging.buckets.iter())
        .map(|(key, (amount, invoices))| BucketRow {
            label: bucket_label(&staff, key),
            amount: amount.0,
            invoices: *invoices,
            pct: share(amount.0, aging.total.0),
        })
        .collect();
    let qs = params(&[("as_of", as_of.clone())]);
    let href = |o: i64| {
        format!(
            "/reports/aging?{}",
            params(&[("as_of", as_of.clone()), ("offset", o.to_string())])
        )
    };
    let view = AgingView {
        page: Page::new(&staff, "reports", "reports-aging"),
        tab: "aging",
        tabs: super::TABS,
        export_href: format!("/reports/aging.csv?{qs}"),
        prev: (offset > 0).then(|| href((offset - PAGE_SIZE).max(0))),
        next: more.then(|| href(offset + PAGE_SIZE)),
        as_of,
        errors,
        aging,
        buckets,
        rows,
        qs,
    };
    Ok((status(&view.errors), html(&view)).into_response())
}

/// Every customer owing something, and the totals.
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<AgingQuery>,
) -> Result<Response, Fail> {
    let caller = staff.caller();
    let aging = reports::aging(&state.svc, &caller, &q.as_of()).await?;
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let (page, more) =
            reports::aging_by_customer(&state.svc, &caller, &aging.as_of, offset, EXPORT_BATCH)
                .await?;
        offset += page.len() as i64;
        rows.extend(page);
        if !more {
            break;
        }
    }
    let tr = staff.tr;
    let m = |x: i64| tr.money_decimal(x);
    let total = {
        let b = &aging.buckets;
        vec![
            String::new(),
            tr.t("reports-total"),
            m(b[0].0.0),
            m(b[1].0.0),
            m(b[2].0.0),
            m(b[3].0.0),
            m(b[4].0.0),
            m(aging.total.0),
            aging.invoices.to_string(),
        ]
    };
    let lines = rows
        .iter()
        .map(|r| {
            vec![
                r.customer_id.to_string(),
                r.customer_name.clone(),
                m(r.current),
                m(r.d1_30),
                m(r.d31_60),
                m(r.d61_90),
                m(r.over_90),
                m(r.total),
                r.invoices.to_string(),
            ]
        })
        .chain([total]);
    csv(
        &staff,
        &format!("aging-{}.csv", aging.as_of),
        &[
            "customer_id",
            "customer",
            "current",
            "days_1_30",
            "days_31_60",
            "days_61_90",
            "days_over_90",
            "total",
            "invoices",
        ],
        lines,
    )
}

/// An open invoice as the page shows it.
struct OpenRow {
    number: String,
    issue_date: String,
    due_date: String,
    days_late: i64,
    bucket: String,
    total: i64,
    open: i64,
}

#[derive(Template)]
#[template(path = "reports_aging_customer.html")]
struct CustomerView {
    page: Page,
    tab: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str)],
    export_href: String,
    back_href: String,
    as_of: String,
    errors: FormErrors,
    open: CustomerOpen,
    rows: Vec<OpenRow>,
}

fn open_rows(staff: &Staff, open: &CustomerOpen) -> Vec<OpenRow> {
    let as_of: Option<jiff::civil::Date> = open.as_of.parse().ok();
    open.invoices
        .iter()
        .map(|i| {
            let due: Option<jiff::civil::Date> = i.due_date.parse().ok();
            let (days_late, bucket) = match (as_of, due) {
                (Some(a), Some(d)) => (
                    i64::from((a - d).get_days()).max(0),
                    bucket_label(staff, BUCKETS[reports::bucket_of(a, d)]),
                ),
                _ => (0, String::new()),
            };
            OpenRow {
                number: i.number.clone().unwrap_or_default(),
                issue_date: i.issue_date.clone().unwrap_or_default(),
                due_date: i.due_date.clone(),
                days_late,
                bucket,
                total: i.total,
                open: i.open,
            }
        })
        .collect()
}

pub async fn customer(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<AgingQuery>,
) -> PageResult {
    let (open, errors) = judged(
        &staff,
        reports::open_invoices(&state.svc, &staff.caller(), id, &q.as_of()).await,
    )?;
    let as_of = if open.as_of.is_empty() {
        q.as_of()
    } else {
        open.as_of.clone()
    };
    let qs = params(&[("as_of", as_of.clone())]);
    let rows = open_rows(&staff, &open);
    let mut page = Page::new(&staff, "reports", "reports-aging");
    if !open.customer_name.is_empty() {
        page.title = format!("{} · {}", page.title, open.customer_name);
    }
    let view = CustomerView {
        page,
        tab: "aging",
        tabs: super::TABS,
        export_href: format!("/reports/aging/{id}/export.csv?{qs}"),
        back_href: format!("/reports/aging?{qs}"),
        as_of,
        errors,
        open,
        rows,
    };
    Ok((status(&view.errors), html(&view)).into_response())
}

pub async fn customer_export(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<AgingQuery>,
) -> Result<Response, Fail> {
    let open = reports::open_invoices(&state.svc, &staff.caller(), id, &q.as_of()).await?;
    let tr = staff.tr;
    let lines = open_rows(&staff, &open)
        .into_iter()
        .map(|r| {
            vec![
                r.number,
                r.issue_date,
                r.due_date,
                r.days_late.to_string(),
                r.bucket,
                tr.money_decimal(r.total),
                tr.money_decimal(r.open),
            ]
        })
        .chain([vec![
            tr.t("reports-total"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            tr.money_decimal(open.total.0),
        ]]);
    csv(
        &staff,
        &format!("open-invoices-{id}-{}.csv", open.as_of),
        &[
            "number",
            "issue_date",
            "due_date",
            "days_late",
            "bucket",
            "total",
            "open",
        ],
        lines,
    )
}
