//! `/api/v1/credit-notes`: the corrections issued against invoices (made
//! with `POST /api/v1/invoices/{id}/credit-notes` or by voiding one).

use axum::Json;
use axum::extract::State;
use domain::Permission;
use serde::Deserialize;
use services::billing::documents;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::documents::{InvoiceDetail, InvoiceView, Wanted, detail, filter, page};
use crate::IdPath;
use crate::choices;
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::pagination::Paged;
use crate::problem::{ApiResult, Problem};
use webkit::state::AppState;

/// The credit notes' paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditNoteQuery {
    /// `issued` or `voided` (credit notes are issued at once).
    #[param(value_type = Option<choices::InvoiceStatus>)]
    status: Option<String>,
    customer_id: Option<i64>,
    contract_id: Option<i64>,
    /// The credit notes of this invoice.
    invoice_id: Option<i64>,
    /// The credit note's number, exactly (`NC2026-000007`).
    number: Option<String>,
    /// Issued on or after this day (`YYYY-MM-DD`).
    #[param(format = Date)]
    issued_from: Option<String>,
    /// Issued on or before this day (`YYYY-MM-DD`).
    #[param(format = Date)]
    issued_to: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists credit notes, newest first.
#[utoipa::path(
    get, path = "/api/v1/credit-notes", operation_id = "credit_notes.list", tag = "billing",
    params(CreditNoteQuery),
    responses(
        (status = 200, description = "A page of credit notes", body = Paged<InvoiceView>),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CreditNoteQuery>,
) -> ApiResult<Json<Paged<InvoiceView>>> {
    let caller = caller.caller();
    caller.require(Permission::BillingView)?;
    let mut f = filter(
        "credit_note",
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
    f.credits_invoice_id = q.invoice_id;
    Ok(Json(page(&state, &caller, &f).await?))
}

/// One credit note with its lines (negative amounts), each line's taxes
/// and the tax breakdown; `credits_invoice_id` names the invoice.
#[utoipa::path(
    get, path = "/api/v1/credit-notes/{id}", operation_id = "credit_notes.show", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The credit note", body = InvoiceDetail),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<InvoiceDetail>> {
    let caller = caller.caller();
    let full = documents::get(&state.svc, &caller, p.id).await?;
    if full.document.kind != "credit_note" {
        return Err(Problem::not_found());
    }
    Ok(Json(detail(&state, &caller, full).await?))
}
