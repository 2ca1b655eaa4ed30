//! The customer page's Billing tab (`/customers/{id}/billing`): balance,
//! open invoices and the statement of a period, with its PDF.

use askama::Template;
use domain::Permission;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
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
