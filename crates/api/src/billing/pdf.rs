//! `GET /api/v1/invoices/{id}/pdf`: an invoice's or credit note's PDF.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use crate::IdPath;
use crate::extract::{ApiPath, Caller};
use crate::problem::ApiResult;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(invoice_pdf))
}

/// An issued invoice or credit note as a PDF, from the installation's
/// invoice template in its language.
#[utoipa::path(
    get, path = "/api/v1/invoices/{id}/pdf", operation_id = "billing.invoices.pdf", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf"),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn invoice_pdf(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Response> {
    let (filename, pdf) =
        services::billing::pdf::invoice(&state.svc, &caller.caller(), p.id).await?;
    Ok(webkit::download::attachment(
        "application/pdf",
        &filename,
        pdf,
    ))
}
