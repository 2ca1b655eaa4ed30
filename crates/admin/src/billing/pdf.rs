//! `GET /billing/invoices/{id}/pdf`: an invoice's or credit note's PDF
//! (`billing.view`).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use webkit::auth::Staff;
use webkit::download::attachment;
use webkit::state::AppState;

use crate::error::PageResult;

pub fn routes() -> Router<AppState> {
    Router::new().route("/billing/invoices/{id}/pdf", get(invoice_pdf))
}

pub async fn invoice_pdf(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let (filename, pdf) = services::billing::pdf::invoice(&state.svc, &staff.caller(), id).await?;
    Ok(attachment("application/pdf", &filename, pdf))
}
