//! `/api/v1/invoices`: invoices with their lines and taxes, voiding, and
//! credit notes against an invoice (whole or per line). An issued invoice
//! never changes; corrections are credit notes.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{Money, Permission};
use serde::Deserialize;
use services::billing::documents::{self, CreditLine};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::documents::{InvoiceDetail, InvoiceView, Wanted, day, detail, filter, page};
use crate::IdPath;
use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::Paged;
use crate::problem::{ApiResult, Problem};
use webkit::state::AppState;

/// The invoices' paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(void))
        .routes(routes!(credit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// `draft`, `issued` or `voided`.
    #[param(value_type = Option<choices::InvoiceStatus>)]
    status: Option<String>,
    customer_id: Option<i64>,
    contract_id: Option<i64>,
    /// The invoice number, exactly (`2026-000123`).
    number: Option<String>,
    /// Issued on or after this day (`YYYY-MM-DD`).
    #[param(format = Date)]
    issued_from: Option<String>,
    /// Issued on or before this day (`YYYY-MM-DD`).
    #[param(format = Date)]
    issued_to: Option<String>,
    /// Due before this day (`YYYY-MM-DD`).
    #[param(format = Date)]
    due_before: Option<String>,
    /// `true`: only issued invoices whose due date has passed (today in
    /// the installation's time zone).
    overdue: Option<bool>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists invoices, newest first.
#[utoipa::path(
    get, path = "/api/v1/invoices", operation_id = "invoices.list", tag = "billing",
    params(InvoiceQuery),
    responses(
        (status = 200, description = "A page of invoices", body = Paged<InvoiceView>),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InvoiceQuery>,
) -> ApiResult<Json<Paged<InvoiceView>>> {
    let caller = caller.caller();
    caller.require(Permission::BillingView)?;
    let mut f = filter(
        "invoice",
        &Wanted {
            status: q.status.as_deref(),
            customer_id: q.customer_id,
            contract_id: q.contract_id,
            number: q.number.as_deref(),
            issued_from: q.issued_from.as_deref(),
            issued_to: q.issued_to.as_deref(),
            limit: q.limit,
            cursor: q.cursor.as_deref(),
        },
    )?;
    f.due_before = day("due_before", q.due_before.as_deref())?.map(|d| d.to_string());
    if q.overdue == Some(true) {
        f.overdue_on = Some(services::billing::today(&state.svc).await?.to_string());
    }
    Ok(Json(page(&state, &caller, &f).await?))
}

/// Reads a document that must be an invoice (a credit note's id is not
/// one: 404, as its own path serves it).
async fn invoice(
    state: &AppState,
    caller: &services::Caller,
    id: i64,
) -> Result<InvoiceDetail, Problem> {
    let full = documents::get(&state.svc, caller, id).await?;
    if full.document.kind != "invoice" {
        return Err(Problem::not_found());
    }
    detail(state, caller, full).await
}

/// One invoice with its lines, each line's taxes, the tax breakdown and
/// the credit notes issued against it.
#[utoipa::path(
    get, path = "/api/v1/invoices/{id}", operation_id = "invoices.show", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The invoice", body = InvoiceDetail),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<InvoiceDetail>> {
    Ok(Json(invoice(&state, &caller.caller(), p.id).await?))
}

/// Why an invoice is voided.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Billed twice for November"}))]
pub struct VoidRequest {
    /// Required, up to 500 characters; kept on the invoice and its credit note.
    pub reason: String,
}

/// Voids an issued invoice: a credit note for all it still holds is
/// issued, and the invoice is marked voided with the reason. Answers the
/// voided invoice, its credit notes included.
#[utoipa::path(
    post, path = "/api/v1/invoices/{id}/void", operation_id = "invoices.void", tag = "billing",
    params(IdPath),
    request_body = VoidRequest,
    responses(
        (status = 200, description = "The voided invoice", body = InvoiceDetail),
        (status = 409, description = "Not an issued invoice (`invoice-not-issued`: a draft or already voided)"),
    ),
    security(("bearer" = ["billing.void"]))
)]
pub async fn void(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<VoidRequest>,
) -> ApiResult<Json<InvoiceDetail>> {
    let caller = caller.caller();
    caller.require(Permission::BillingVoid)?;
    let b = body.parse()?;
    // A credit note's id is not an invoice's: 404 as for `show`.
    invoice(&state, &caller, p.id).await?;
    let policy = services::billing::settings::policy(&state.svc).await?;
    documents::void(&state.svc, &caller, p.id, &b.reason, &policy).await?;
    Ok(Json(invoice(&state, &caller, p.id).await?))
}

/// Part of an invoice line to credit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditLineRequest {
    /// An invoice line's `id`.
    #[schema(example = 101)]
    pub line_id: i64,
    /// In minor units, more than zero and at most what the line still
    /// holds; omitted: all it still holds.
    #[serde(default)]
    #[schema(minimum = 1, example = 3_000)]
    pub amount: Option<i64>,
}

/// A credit note to issue against an invoice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Five days without service", "lines": [{"line_id": 101, "amount": 1_665}]}))]
pub struct CreditNoteRequest {
    /// Required, up to 500 characters.
    pub reason: String,
    /// The lines to credit; omitted: every line's remainder (the whole
    /// invoice, which stays issued).
    #[serde(default)]
    pub lines: Option<Vec<CreditLineRequest>>,
}

/// Issues a credit note against an issued invoice, for some of its lines
/// or all it still holds. The credit note's lines carry the same taxes,
/// in proportion.
#[utoipa::path(
    post, path = "/api/v1/invoices/{id}/credit-notes", operation_id = "invoices.credit", tag = "billing",
    params(IdPath),
    request_body = CreditNoteRequest,
    responses(
        (status = 201, description = "The credit note", body = InvoiceDetail,
            headers(("Location" = String, description = "The credit note's URL"))),
        (status = 409, description = "Not an issued invoice (`invoice-not-issued`), or nothing left to credit (`nothing-to-credit`)"),
    ),
    security(("bearer" = ["billing.void"]))
)]
pub async fn credit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<CreditNoteRequest>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::BillingVoid)?;
    let b = body.parse()?;
    invoice(&state, &caller, p.id).await?;
    let policy = services::billing::settings::policy(&state.svc).await?;
    let note = match &b.lines {
        None => documents::credit_all(&state.svc, &caller, p.id, &b.reason, &policy).await?,
        Some(lines) => {
            let lines: Vec<CreditLine> = lines
                .iter()
                .map(|l| CreditLine {
                    line_id: l.line_id,
                    amount: l.amount.map(Money),
                })
                .collect();
            documents::credit(&state.svc, &caller, p.id, &lines, &b.reason, &policy).await?
        }
    };
    let full = documents::get(&state.svc, &caller, note).await?;
    let view = detail(&state, &caller, full).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/credit-notes/{note}"))],
        Json(view),
    )
        .into_response())
}
