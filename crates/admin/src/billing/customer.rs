//! The customer page's Billing tab (`/customers/{id}/billing`): balance,
//! open invoices and the statement of a period, with its PDF.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use domain::Permission;
use services::billing::statement::{self, Balance, Statement};
use webkit::auth::Staff;
use webkit::download::attachment;
use webkit::state::AppState;

use crate::error::PageResult;
use crate::shared::CustomerHeader;
use crate::views::{FormErrors, Page, html};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers/{id}/billing", get(tab))
        .route("/customers/{id}/billing/statement.pdf", get(statement_pdf))
        .route("/customers/{id}/billing/statement.csv", get(statement_csv))
}

/// The statement's period as typed (`YYYY-MM-DD`; empty: the last twelve
/// months).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Template)]
#[template(path = "customer_billing.html")]
struct BillingView {
    page: Page,
    head: CustomerHeader,
    balance: Balance,
    statement: Option<Statement>,
    from: String,
    to: String,
    errors: FormErrors,
}

impl BillingView {
    fn pdf_href(&self) -> String {
        format!(
            "/customers/{}/billing/statement.pdf?from={}&to={}",
            self.head.id, self.from, self.to
        )
    }

    fn csv_href(&self) -> String {
        format!(
            "/customers/{}/billing/statement.csv?from={}&to={}",
            self.head.id, self.from, self.to
        )
    }
}

pub async fn tab(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let caller = staff.caller();
    // The balance first: a caller without `billing.view` is refused before
    // the dates are judged.
    let balance = statement::balance(&state.svc, &caller, id).await?;
    let c = services::crm::get_customer(&state.svc, &caller, id).await?;
    let (statement, from, to, errors) =
        match statement::period(&state.svc, q.from.as_deref(), q.to.as_deref()).await {
            Ok((from, to)) => (
                Some(statement::statement(&state.svc, &caller, id, from, to).await?),
                from.to_string(),
                to.to_string(),
                FormErrors::default(),
            ),
            Err(e) => (
                None,
                q.from.unwrap_or_default(),
                q.to.unwrap_or_default(),
                FormErrors::from_error(&staff.tr, e)?,
            ),
        };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = Page::new(&staff, "customers", "billing-docs-tab");
    page.title = c.name.clone();
    Ok((
        status,
        html(&BillingView {
            page,
            head: CustomerHeader::of(&c, "billing"),
            balance,
            statement,
            from,
            to,
            errors,
        }),
    )
        .into_response())
}

pub async fn statement_pdf(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let caller = staff.caller();
    services::billing::statement::balance(&state.svc, &caller, id).await?;
    let (from, to) = statement::period(&state.svc, q.from.as_deref(), q.to.as_deref()).await?;
    let (filename, pdf) = statement::statement_pdf(&state.svc, &caller, id, from, to).await?;
    Ok(attachment("application/pdf", &filename, pdf))
}

/// The statement's rows for a spreadsheet: opening balance, each document,
/// closing balance.
pub async fn statement_csv(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let caller = staff.caller();
    services::billing::statement::balance(&state.svc, &caller, id).await?;
    let (from, to) = statement::period(&state.svc, q.from.as_deref(), q.to.as_deref()).await?;
    let s = statement::statement(&state.svc, &caller, id, from, to).await?;
    let tr = &staff.tr;
    let m = |v: i64| tr.money_decimal(v);
    let mut rows: Vec<Vec<String>> = vec![
        [
            "billing-docs-date",
            "billing-docs-document",
            "billing-docs-number",
            "billing-docs-reference",
            "billing-docs-due",
            "billing-docs-status",
            "billing-docs-amount",
            "billing-docs-running",
        ]
        .iter()
        .map(|k| tr.t(k))
        .collect(),
        vec![
            s.from.clone(),
            tr.t("billing-docs-opening"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            m(s.opening),
        ],
    ];
    for r in &s.rows {
        rows.push(vec![
            r.date.clone(),
            tr.t(&format!(
                "billing-docs-kind-{}",
                r.kind.as_str().replace('_', "-")
            )),
            r.number.clone(),
            r.reference.clone().unwrap_or_default(),
            r.due_date.clone().unwrap_or_default(),
            r.status.clone(),
            m(r.amount),
            m(r.balance),
        ]);
    }
    rows.push(vec![
        s.to.clone(),
        tr.t("billing-docs-closing"),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        m(s.closing),
    ]);
    let mut out = crate::shared::BOM.to_vec();
    out.extend(crate::shared::csv_chunk(
        crate::shared::csv_delimiter(&staff),
        rows,
    )?);
    Ok(crate::shared::csv_response(
        &format!("statement-{id}-{}-{}.csv", s.from, s.to),
        axum::body::Body::from(out),
    ))
}
