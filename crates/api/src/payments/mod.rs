//! `/api/v1/payments`: the payments book (payments, refunds, reversals)
//! with where each one's money went, payments recorded by hand, refunds
//! and reversals, receipts; `/api/v1/invoices/{id}/payments` and
//! `/api/v1/customers/{id}/credit`. Amounts are integers in minor units,
//! always positive: `kind` gives the sign.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::payments::Method;
use domain::{Money, Permission};
use serde::{Deserialize, Serialize};
use services::payments::{self, Allocation, Filter, Full, NewPayment, Payment};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use crate::IdPath;
use crate::billing::documents::day;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::ApiResult;

pub mod charges;

/// The payments' paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(charges::routes())
        .routes(routes!(list, record))
        .routes(routes!(show))
        .routes(routes!(refund))
        .routes(routes!(reverse))
        .routes(routes!(receipt))
        .routes(routes!(of_invoice))
        .routes(routes!(credit))
}

/// How money moved.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Pix,
    PixAutomatico,
    Boleto,
    Stripe,
    Paypal,
    Cash,
    BankTransfer,
    Other,
}

/// A row of the payments book.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: i64,
    /// Random, for links customers open.
    pub public_id: String,
    pub customer_id: i64,
    pub customer_name: String,
    /// `payment`, `refund` or `reversal`.
    pub kind: String,
    /// `pix`, `pix_automatico`, `boleto`, `stripe`, `paypal`, `cash`,
    /// `bank_transfer` or `other`.
    pub method: String,
    /// Minor units, more than zero.
    pub amount: i64,
    /// `YYYY-MM-DD`.
    pub received_on: String,
    pub gateway: Option<String>,
    pub reference: Option<String>,
    /// The invoice the payer named.
    pub invoice_id: Option<i64>,
    /// A refund's or reversal's payment.
    pub reverses_payment_id: Option<i64>,
    pub fee: i64,
    /// Payments only (`REC2026-000001`).
    pub receipt_number: Option<String>,
    pub notes: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl From<Payment> for PaymentView {
    fn from(p: Payment) -> PaymentView {
        PaymentView {
            id: p.id,
            public_id: p.public_id,
            customer_id: p.customer_id,
            customer_name: p.customer_name,
            kind: p.kind,
            method: p.method,
            amount: p.amount,
            received_on: p.received_on,
            gateway: p.gateway,
            reference: p.reference,
            invoice_id: p.invoice_id,
            reverses_payment_id: p.reverses_payment_id,
            fee: p.fee,
            receipt_number: p.receipt_number,
            notes: p.notes,
            recorded_by: p.actor_name,
            created_at: p.created_at,
        }
    }
}

/// Money a row moved on an invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationView {
    pub payment_id: i64,
    pub invoice_id: i64,
    pub invoice_number: Option<String>,
    /// Minor units: what a payment settled, or what a refund or reversal
    /// opened again (see `kind`).
    pub amount: i64,
    /// The row's kind: `payment` settles (unless `released`), `refund` and
    /// `reversal` open.
    pub kind: String,
    /// A payment's money given back from the invoice to the customer's
    /// credit (a credit note took the invoice back after it was paid).
    pub released: bool,
    pub receipt_number: Option<String>,
    pub method: String,
    /// `YYYY-MM-DD`: the day it counts from.
    pub allocated_on: String,
}

impl From<Allocation> for AllocationView {
    fn from(a: Allocation) -> AllocationView {
        AllocationView {
            payment_id: a.payment_id,
            invoice_id: a.invoice_id,
            invoice_number: a.invoice_number,
            amount: a.amount,
            released: a.released != 0,
            kind: a.kind,
            receipt_number: a.receipt_number,
            method: a.method,
            allocated_on: a.allocated_on,
        }
    }
}

/// A row of the book with where its money went.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDetail {
    #[serde(flatten)]
    pub payment: PaymentView,
    /// Its allocations and those of the refunds and reversals of it.
    pub allocations: Vec<AllocationView>,
    /// Refunds and reversals of it.
    pub taken_back: Vec<PaymentView>,
    /// What refunds may still take (payments only).
    pub refundable: i64,
    /// Its money applied to no invoice: the customer's credit.
    pub unapplied: i64,
}

impl From<Full> for PaymentDetail {
    fn from(f: Full) -> PaymentDetail {
        PaymentDetail {
            payment: f.payment.into(),
            allocations: f.allocations.into_iter().map(Into::into).collect(),
            taken_back: f.taken_back.into_iter().map(Into::into).collect(),
            refundable: f.refundable,
            unapplied: f.unapplied,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentQuery {
    customer_id: Option<i64>,
    /// `pix`, `pix_automatico`, `boleto`, `stripe`, `paypal`, `cash`,
    /// `bank_transfer` or `other`.
    method: Option<String>,
    /// `payment`, `refund` or `reversal`.
    kind: Option<String>,
    /// Received on or after this day (`YYYY-MM-DD`).
    #[param(format = Date)]
    from: Option<String>,
    /// Received on or before this day (`YYYY-MM-DD`).
    #[param(format = Date)]
    to: Option<String>,
    /// A receipt number or a gateway reference, exactly.
    q: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Lists the payments book, newest first.
#[utoipa::path(
    get, path = "/api/v1/payments", operation_id = "payments.list", tag = "payments",
    params(PaymentQuery),
    responses(
        (status = 200, description = "A page of payments, refunds and reversals", body = Paged<PaymentView>),
    ),
    security(("bearer" = ["payments.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PaymentQuery>,
) -> ApiResult<Json<Paged<PaymentView>>> {
    let caller = caller.caller();
    caller.require(Permission::PaymentsView)?;
    let f = Filter {
        customer_id: q.customer_id,
        method: text(q.method.as_deref()),
        kind: text(q.kind.as_deref()),
        from: day("from", q.from.as_deref())?.map(|d| d.to_string()),
        to: day("to", q.to.as_deref())?.map(|d| d.to_string()),
        search: text(q.q.as_deref()),
        before_id: pagination::decode(q.cursor.as_deref())?,
        limit: pagination::limit(q.limit)?,
    };
    let (rows, more) = payments::list(&state.svc, &caller, &f).await?;
    let data: Vec<PaymentView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |p| p.id)))
}

/// A payment received by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": 42, "method": "cash", "amount": 9990, "received_on": "2026-05-02"}))]
pub struct RecordRequest {
    pub customer_id: i64,
    /// Staff record `cash`, `bank_transfer` and `other`; the others come
    /// from their gateways.
    pub method: PaymentMethod,
    /// Minor units, more than zero.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// `YYYY-MM-DD`, not after today.
    #[schema(format = Date)]
    pub received_on: String,
    /// The invoice it pays first; then the oldest open ones.
    #[serde(default)]
    pub invoice_id: Option<i64>,
    /// Minor units (the bank's fee, informational).
    #[serde(default)]
    pub fee: Option<i64>,
    /// Up to 1,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

/// A recorded payment and where its money went.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedView {
    #[serde(flatten)]
    pub payment: PaymentView,
    pub allocations: Vec<AllocationView>,
    /// The customer's credit after it.
    pub credit_left: i64,
}

fn method(m: PaymentMethod) -> Method {
    match m {
        PaymentMethod::Pix => Method::Pix,
        PaymentMethod::PixAutomatico => Method::PixAutomatico,
        PaymentMethod::Boleto => Method::Boleto,
        PaymentMethod::Stripe => Method::Stripe,
        PaymentMethod::Paypal => Method::Paypal,
        PaymentMethod::Cash => Method::Cash,
        PaymentMethod::BankTransfer => Method::BankTransfer,
        PaymentMethod::Other => Method::Other,
    }
}

/// Records a payment received by hand: applied to the named invoice,
/// then the customer's oldest open invoices; the rest is the customer's
/// credit. Its receipt is e-mailed to the customer.
#[utoipa::path(
    post, path = "/api/v1/payments", operation_id = "payments.record", tag = "payments",
    request_body = RecordRequest,
    responses(
        (status = 201, description = "The payment", body = RecordedView,
            headers(("Location" = String, description = "The payment's URL"))),
    ),
    security(("bearer" = ["payments.record"]))
)]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<RecordRequest>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::PaymentsRecord)?;
    let b = body.parse()?;
    let r = payments::record(
        &state.svc,
        &caller,
        &NewPayment {
            customer_id: b.customer_id,
            method: method(b.method),
            amount: Money(b.amount),
            received_on: b.received_on,
            invoice_id: b.invoice_id,
            gateway: None,
            reference: None,
            fee: Money(b.fee.unwrap_or(0)),
            notes: b.notes.unwrap_or_default(),
        },
    )
    .await?;
    let id = r.payment.id;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/payments/{id}"))],
        Json(RecordedView {
            payment: r.payment.into(),
            allocations: r.allocations.into_iter().map(Into::into).collect(),
            credit_left: r.credit_left,
        }),
    )
        .into_response())
}

/// One row of the book with its allocations and refunds.
#[utoipa::path(
    get, path = "/api/v1/payments/{id}", operation_id = "payments.show", tag = "payments",
    params(IdPath),
    responses((status = 200, description = "The payment", body = PaymentDetail)),
    security(("bearer" = ["payments.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<PaymentDetail>> {
    Ok(Json(
        payments::get(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Money to give back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 990, "reason": "Charged twice"}))]
pub struct RefundRequest {
    /// Minor units, more than zero and at most what is left of the payment.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// Required, up to 500 characters.
    pub reason: String,
}

/// Why a payment is reversed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Transfer bounced"}))]
pub struct ReverseRequest {
    /// Required, up to 500 characters.
    pub reason: String,
}

/// Refunds part or all of a payment: a payment received through the Pix
/// PSP, Stripe or PayPal is given back through that gateway first (its
/// refund id is the refund's reference); any other is recorded as money
/// given back outside Lastmile. Its unapplied money goes first, then the
/// newest invoices it paid are open again. Answers the payment.
#[utoipa::path(
    post, path = "/api/v1/payments/{id}/refund", operation_id = "payments.refund", tag = "payments",
    params(IdPath),
    request_body = RefundRequest,
    responses(
        (status = 200, description = "The payment with its refunds", body = PaymentDetail),
        (status = 409, description = "Not a payment (`not-a-payment`)"),
    ),
    security(("bearer" = ["payments.refund"]))
)]
pub async fn refund(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<RefundRequest>,
) -> ApiResult<Json<PaymentDetail>> {
    let caller = caller.caller();
    caller.require(Permission::PaymentsRefund)?;
    let b = body.parse()?;
    payments::gateways::refund(&state.svc, &caller, p.id, Money(b.amount), &b.reason).await?;
    Ok(Json(payments::get(&state.svc, &caller, p.id).await?.into()))
}

/// Reverses a payment that did not hold (a bounced transfer, a
/// chargeback): all that is left of it is taken back and every invoice it
/// paid is open again. Answers the payment.
#[utoipa::path(
    post, path = "/api/v1/payments/{id}/reverse", operation_id = "payments.reverse", tag = "payments",
    params(IdPath),
    request_body = ReverseRequest,
    responses(
        (status = 200, description = "The payment with its reversal", body = PaymentDetail),
        (status = 409, description = "Not a payment (`not-a-payment`) or nothing left (`nothing-to-reverse`)"),
    ),
    security(("bearer" = ["payments.refund"]))
)]
pub async fn reverse(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<ReverseRequest>,
) -> ApiResult<Json<PaymentDetail>> {
    let caller = caller.caller();
    caller.require(Permission::PaymentsRefund)?;
    let b = body.parse()?;
    payments::reverse(&state.svc, &caller, p.id, &b.reason).await?;
    Ok(Json(payments::get(&state.svc, &caller, p.id).await?.into()))
}

/// A payment's receipt as a PDF in the installation's language.
#[utoipa::path(
    get, path = "/api/v1/payments/{id}/receipt", operation_id = "payments.receipt", tag = "payments",
    params(IdPath),
    responses((status = 200, description = "The PDF", content_type = "application/pdf")),
    security(("bearer" = ["payments.view"]))
)]
pub async fn receipt(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Response> {
    let (filename, pdf) = payments::receipt::pdf(&state.svc, &caller.caller(), p.id).await?;
    Ok(webkit::download::attachment(
        "application/pdf",
        &filename,
        pdf,
    ))
}

/// What moved on an invoice: payments settling it, refunds and reversals
/// opening it again, oldest first.
#[utoipa::path(
    get, path = "/api/v1/invoices/{id}/payments", operation_id = "payments.of_invoice", tag = "payments",
    params(IdPath),
    responses((status = 200, description = "The invoice's allocations", body = Vec<AllocationView>)),
    security(("bearer" = ["payments.view"]))
)]
pub async fn of_invoice(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<Vec<AllocationView>>> {
    let rows = payments::of_invoice(&state.svc, &caller.caller(), p.id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// A customer's credit.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditView {
    pub customer_id: i64,
    /// Minor units of payments applied to no invoice yet; the next
    /// invoice issued takes it.
    pub credit: i64,
}

/// A customer's credit: payments' money not applied to any invoice.
#[utoipa::path(
    get, path = "/api/v1/customers/{id}/credit", operation_id = "payments.credit", tag = "payments",
    params(IdPath),
    responses((status = 200, description = "The credit", body = CreditView)),
    security(("bearer" = ["payments.view"]))
)]
pub async fn credit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<CreditView>> {
    let credit = payments::customer_credit(&state.svc, &caller.caller(), p.id).await?;
    Ok(Json(CreditView {
        customer_id: p.id,
        credit,
    }))
}
