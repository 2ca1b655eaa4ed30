//! `GET /api/v1/customers/{id}/balance` and
//! `GET /api/v1/customers/{id}/statement`: a customer's account.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use services::billing::statement::{self, Balance, RowKind, Statement};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use crate::IdPath;
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::problem::ApiResult;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(customer_balance))
        .routes(routes!(customer_statement))
}

/// An issued invoice with something left to pay.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenInvoiceBody {
    pub id: i64,
    pub number: String,
    /// `YYYY-MM-DD`.
    pub issue_date: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// In minor units of `currency`.
    pub total: i64,
    /// What is left to pay, in minor units.
    pub open: i64,
}

/// What a customer owes now.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceBody {
    pub customer_id: i64,
    /// Invoices less credit notes, in minor units; negative when the
    /// customer has credit.
    pub balance: i64,
    /// ISO 4217.
    pub currency: String,
    pub open_invoices: Vec<OpenInvoiceBody>,
}

impl From<Balance> for BalanceBody {
    fn from(b: Balance) -> BalanceBody {
        BalanceBody {
            customer_id: b.customer_id,
            balance: b.balance,
            currency: b.currency,
            open_invoices: b
                .open_invoices
                .into_iter()
                .map(|o| OpenInvoiceBody {
                    id: o.id,
                    number: o.number,
                    issue_date: o.issue_date,
                    due_date: o.due_date,
                    total: o.total,
                    open: o.open,
                })
                .collect(),
        }
    }
}

/// What a statement row is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementRowKind {
    Invoice,
    CreditNote,
    Payment,
    Refund,
    Reversal,
}

/// One movement on the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementRowBody {
    pub kind: StatementRowKind,
    /// The document's id (the payment's, for payments, refunds and
    /// reversals).
    pub id: i64,
    pub number: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Invoices only.
    pub due_date: Option<String>,
    /// For a credit note: the number of the invoice it credits; for a
    /// payment: the gateway's reference.
    pub reference: Option<String>,
    /// Documents: `issued` or `voided`; payments: `payment`, `refund` or
    /// `reversal`.
    pub status: String,
    /// Payments, refunds and reversals: `pix`, `boleto`, `cash`, …
    pub method: Option<String>,
    /// Signed, in minor units: credit notes and payments are negative.
    pub amount: i64,
    /// The balance after this row.
    pub balance: i64,
}

/// A period of a customer's account.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementBody {
    pub customer_id: i64,
    /// `YYYY-MM-DD`, included.
    pub from: String,
    /// `YYYY-MM-DD`, included.
    pub to: String,
    /// The balance before `from`.
    pub opening: i64,
    pub rows: Vec<StatementRowBody>,
    /// The balance after the last row.
    pub closing: i64,
    /// ISO 4217.
    pub currency: String,
}

impl From<Statement> for StatementBody {
    fn from(s: Statement) -> StatementBody {
        StatementBody {
            customer_id: s.customer_id,
            from: s.from,
            to: s.to,
            opening: s.opening,
            closing: s.closing,
            currency: s.currency,
            rows: s
                .rows
                .into_iter()
                .map(|r| StatementRowBody {
                    kind: match r.kind {
                        RowKind::Invoice => StatementRowKind::Invoice,
                        RowKind::CreditNote => StatementRowKind::CreditNote,
                        RowKind::Payment => StatementRowKind::Payment,
                        RowKind::Refund => StatementRowKind::Refund,
                        RowKind::Reversal => StatementRowKind::Reversal,
                    },
                    id: r.id,
                    number: r.number,
                    date: r.date,
                    due_date: r.due_date,
                    reference: r.reference,
                    status: r.status,
                    method: r.method,
                    amount: r.amount,
                    balance: r.balance,
                })
                .collect(),
        }
    }
}

/// A customer's balance and open invoices.
#[utoipa::path(
    get, path = "/api/v1/customers/{id}/balance", operation_id = "billing.customers.balance", tag = "billing",
    params(IdPath),
    responses((status = 200, body = BalanceBody)),
    security(("bearer" = ["billing.view"]))
)]
pub async fn customer_balance(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<BalanceBody>> {
    Ok(Json(
        statement::balance(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First issue date included (`YYYY-MM-DD`); by default a year before `to`.
    from: Option<String>,
    /// Last issue date included (`YYYY-MM-DD`); by default today.
    to: Option<String>,
}

/// A customer's statement: every issued invoice and credit note from
/// `from` to `to`, with the opening balance and the balance after each.
#[utoipa::path(
    get, path = "/api/v1/customers/{id}/statement", operation_id = "billing.customers.statement", tag = "billing",
    params(IdPath, PeriodQuery),
    responses((status = 200, body = StatementBody)),
    security(("bearer" = ["billing.view"]))
)]
pub async fn customer_statement(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<StatementBody>> {
    let caller = caller.caller();
    // Refused (403) before the dates are judged (422).
    statement::balance(&state.svc, &caller, p.id).await?;
    let (from, to) = statement::period(&state.svc, q.from.as_deref(), q.to.as_deref()).await?;
    Ok(Json(
        statement::statement(&state.svc, &caller, p.id, from, to)
            .await?
            .into(),
    ))
}
