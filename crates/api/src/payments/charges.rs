//! `/api/v1/payments/charges`: charges created at gateways for invoices
//! (Pix, boleto, Stripe Checkout, PayPal orders) with their gateway
//! history; cancel (through the gateway where it allows it) and re-create.
//! `/api/v1/contracts/{id}/pix-recurrences` and
//! `/api/v1/pix-recurrences/{id}/cancel`: Pix Automático enrolment.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use services::payments::gateways::Recurrence;
use services::payments::gateways::WebhookEvent as Event;
use services::payments::gateways::charges::{self, Detail};
use services::payments::gateways::pix_automatico::{self, Enrolment};
use services::payments::gateways::{ChargeFilter as Filter, ChargeListed as Listed};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use crate::IdPath;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::problem::ApiResult;

/// The charges' and recurrences' paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(cancel))
        .routes(routes!(recreate))
        .routes(routes!(recurrences, enrol))
        .routes(routes!(cancel_recurrence))
}

/// A charge at a gateway.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentChargeView {
    pub id: i64,
    pub invoice_id: i64,
    pub invoice_number: Option<String>,
    pub customer_id: i64,
    pub customer_name: String,
    /// `pix`, `pix_automatico`, `boleto`, `stripe` or `paypal`.
    pub method: String,
    /// `psp`, `pix_static`, `bb`, `bb_pix`, `cnab`, `stripe` or `paypal`.
    pub gateway: String,
    /// The gateway's id: txid, nosso número, Checkout Session or
    /// PaymentIntent id, PayPal order id.
    pub reference: String,
    /// `open`, `paid`, `canceled`, `expired` or `failed`.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// The Pix copy-and-paste code or the boleto's digitable line.
    pub pay_code: Option<String>,
    pub barcode: Option<String>,
    /// The checkout or approval URL.
    pub url: Option<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    /// The payment that settled it.
    pub payment_id: Option<i64>,
    /// Why it failed or was canceled.
    pub error: Option<String>,
    /// A saved card charged by the card-charges job.
    pub automatic: bool,
    /// Who canceled it by hand.
    pub closed_by: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Listed> for PaymentChargeView {
    fn from(l: Listed) -> PaymentChargeView {
        let c = l.charge;
        PaymentChargeView {
            id: c.id,
            invoice_id: c.invoice_id,
            invoice_number: l.invoice_number,
            customer_id: l.customer_id,
            customer_name: l.customer_name,
            method: c.method,
            gateway: c.gateway,
            reference: c.external_id,
            status: c.status,
            amount: c.amount,
            pay_code: c.pay_code,
            barcode: c.barcode,
            url: c.url,
            expires_at: c.expires_at,
            payment_id: c.payment_id,
            error: c.error,
            automatic: c.automatic != 0,
            closed_by: c.closed_by,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A webhook event the gateway sent about a charge.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargeEventView {
    /// The gateway's event id (Stripe `evt_…`, PayPal `WH-…`, a Pix
    /// end-to-end id).
    pub event_id: String,
    pub kind: String,
    /// Unix seconds.
    pub received_at: i64,
    /// `processed`, `ignored` or `failed`.
    pub outcome: String,
    pub error: Option<String>,
}

impl From<Event> for ChargeEventView {
    fn from(e: Event) -> ChargeEventView {
        ChargeEventView {
            event_id: e.event_id,
            kind: e.kind,
            received_at: e.received_at,
            outcome: e.outcome,
            error: e.error,
        }
    }
}

/// A charge with its gateway history and what may be done with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentChargeDetail {
    #[serde(flatten)]
    pub charge: PaymentChargeView,
    /// Oldest first.
    pub events: Vec<ChargeEventView>,
    /// Whether `cancel` would be accepted now.
    pub cancelable: bool,
    /// Whether `recreate` would be accepted now.
    pub recreatable: bool,
}

impl From<Detail> for PaymentChargeDetail {
    fn from(d: Detail) -> PaymentChargeDetail {
        PaymentChargeDetail {
            charge: d.charge.into(),
            events: d.events.into_iter().map(Into::into).collect(),
            cancelable: d.cancelable,
            recreatable: d.recreatable,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentChargeQuery {
    /// `psp`, `pix_static`, `bb`, `bb_pix`, `cnab`, `stripe` or `paypal`.
    gateway: Option<String>,
    /// `open`, `paid`, `canceled`, `expired` or `failed`.
    status: Option<String>,
    customer_id: Option<i64>,
    invoice_id: Option<i64>,
    /// Created at or after (Unix seconds).
    created_from: Option<i64>,
    /// Created before (Unix seconds).
    created_before: Option<i64>,
    /// The gateway's reference or the invoice's number, exactly.
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

/// Lists charges at gateways, newest first.
#[utoipa::path(
    get, path = "/api/v1/payments/charges", operation_id = "payments.charges.list", tag = "payments",
    params(PaymentChargeQuery),
    responses(
        (status = 200, description = "A page of charges", body = Paged<PaymentChargeView>),
    ),
    security(("bearer" = ["payments.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PaymentChargeQuery>,
) -> ApiResult<Json<Paged<PaymentChargeView>>> {
    let caller = caller.caller();
    let f = Filter {
        gateway: text(q.gateway.as_deref()),
        status: text(q.status.as_deref()),
        customer_id: q.customer_id,
        invoice_id: q.invoice_id,
        created_from: q.created_from,
        created_before: q.created_before,
        search: text(q.q.as_deref()),
        before_id: pagination::decode(q.cursor.as_deref())?,
        limit: pagination::limit(q.limit)?,
    };
    let (rows, more) = charges::list(&state.svc, &caller, &f).await?;
    let data: Vec<PaymentChargeView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |c| c.id)))
}

/// One charge with its gateway history.
#[utoipa::path(
    get, path = "/api/v1/payments/charges/{id}", operation_id = "payments.charges.show", tag = "payments",
    params(IdPath),
    responses((status = 200, description = "The charge", body = PaymentChargeDetail)),
    security(("bearer" = ["payments.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<PaymentChargeDetail>> {
    Ok(Json(
        charges::get(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// Why a charge is canceled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Wrong amount"}))]
pub struct ChargeCancelRequest {
    /// Required, up to 500 characters.
    pub reason: String,
}

/// Cancels an open charge: at the gateway where it allows it (a Pix
/// cob/cobv removed, a Stripe Checkout Session expired, a Banco do Brasil
/// boleto written off), then here. The charge jobs then leave its invoice
/// alone until the charge is re-created.
#[utoipa::path(
    post, path = "/api/v1/payments/charges/{id}/cancel", operation_id = "payments.charges.cancel", tag = "payments",
    params(IdPath),
    request_body = ChargeCancelRequest,
    responses(
        (status = 200, description = "The charge, canceled", body = PaymentChargeDetail),
        (status = 409, description = "Not open (`charge-not-open`) or not cancelable here (`charge-cancel-unsupported`)"),
    ),
    security(("bearer" = ["payments.record"]))
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<ChargeCancelRequest>,
) -> ApiResult<Json<PaymentChargeDetail>> {
    let b = body.parse()?;
    Ok(Json(
        charges::cancel(&state.svc, &caller.caller(), p.id, &b.reason)
            .await?
            .into(),
    ))
}

/// Creates a new charge at the gateway of a closed one (canceled, expired
/// or failed) for what its invoice still owes. Answers the new charge.
#[utoipa::path(
    post, path = "/api/v1/payments/charges/{id}/recreate", operation_id = "payments.charges.recreate", tag = "payments",
    params(IdPath),
    responses(
        (status = 201, description = "The new charge", body = PaymentChargeDetail,
            headers(("Location" = String, description = "The new charge's URL"))),
        (status = 409, description = "Still open or paid (`charge-still-valid`), or not possible (`charge-recreate-unsupported`)"),
    ),
    security(("bearer" = ["payments.record"]))
)]
pub async fn recreate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Response> {
    let base = public_base(&state, &headers);
    let d = charges::recreate(&state.svc, &caller.caller(), p.id, &base).await?;
    let id = d.charge.charge.id;
    Ok((
        StatusCode::CREATED,
        [(
            axum::http::header::LOCATION,
            format!("/api/v1/payments/charges/{id}"),
        )],
        Json(PaymentChargeDetail::from(d)),
    )
        .into_response())
}

/// Where a Stripe or PayPal payer returns: the configured public URL, else
/// the host the request came to.
fn public_base(state: &AppState, headers: &HeaderMap) -> String {
    state.config.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    })
}

/// A Pix Automático recurrence of a contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct PixRecurrenceView {
    pub id: i64,
    pub contract_id: i64,
    /// The PSP's idRec.
    pub rec_id: String,
    /// The authorisation request's idSolicRec.
    pub solicrec_id: Option<String>,
    /// `created` (waiting for the payer), `approved`, `rejected`,
    /// `expired` or `canceled`.
    pub status: String,
    /// `variable`, `fixed` or `minimum`.
    pub amount_policy: String,
    /// Minor units (fixed or minimum).
    pub amount: Option<i64>,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub payer_ispb: String,
    pub payer_agency: Option<String>,
    pub payer_account: String,
    /// Why it ended.
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Recurrence> for PixRecurrenceView {
    fn from(r: Recurrence) -> PixRecurrenceView {
        PixRecurrenceView {
            id: r.id,
            contract_id: r.contract_id,
            rec_id: r.rec_id,
            solicrec_id: r.solicrec_id,
            status: r.status,
            amount_policy: r.amount_policy,
            amount: r.amount,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            payer_ispb: r.payer_ispb,
            payer_agency: r.payer_agency,
            payer_account: r.payer_account,
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A contract's Pix Automático recurrences, newest first.
#[utoipa::path(
    get, path = "/api/v1/contracts/{id}/pix-recurrences", operation_id = "payments.recurrences.list", tag = "payments",
    params(IdPath),
    responses((status = 200, description = "The recurrences", body = Vec<PixRecurrenceView>)),
    security(("bearer" = ["payments.view"]))
)]
pub async fn recurrences(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<Vec<PixRecurrenceView>>> {
    let rows = pix_automatico::of_contract(&state.svc, &caller.caller(), p.id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// What staff agree with the payer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount_policy": "variable", "valid_from": "2026-12-10", "payer_ispb": "60746948", "payer_agency": "0001", "payer_account": "123456"}))]
pub struct PixEnrolRequest {
    /// `variable` (each invoice's amount), `fixed` or `minimum`.
    pub amount_policy: String,
    /// Minor units; required for `fixed` and `minimum`.
    #[serde(default)]
    pub amount: Option<i64>,
    /// First charge from (`YYYY-MM-DD`, today or later).
    #[schema(format = Date)]
    pub valid_from: String,
    /// Last charge until (`YYYY-MM-DD`); absent for no end.
    #[serde(default)]
    #[schema(format = Date)]
    pub valid_to: Option<String>,
    /// The payer's bank (ISPB, 8 digits).
    pub payer_ispb: String,
    /// Branch, up to 4 digits.
    #[serde(default)]
    pub payer_agency: Option<String>,
    /// Account number, digits.
    pub payer_account: String,
}

/// Enrols a contract in Pix Automático: creates the recurrence at the PSP
/// and sends the authorisation request to the payer's bank account. Its
/// status is `created` until the payer answers in their bank's app; once
/// `approved`, the contract's invoices are charged by scheduled Pix.
#[utoipa::path(
    post, path = "/api/v1/contracts/{id}/pix-recurrences", operation_id = "payments.recurrences.enrol", tag = "payments",
    params(IdPath),
    request_body = PixEnrolRequest,
    responses(
        (status = 201, description = "The recurrence", body = PixRecurrenceView),
        (status = 409, description = "The PSP's API is off (`pix-api-off`), the contract has a live recurrence (`pix-recurrence-exists`) or is canceled (`contract-canceled`)"),
    ),
    security(("bearer" = ["payments.record"]))
)]
pub async fn enrol(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<PixEnrolRequest>,
) -> ApiResult<Response> {
    let b = body.parse()?;
    let r = pix_automatico::enrol(
        &state.svc,
        &caller.caller(),
        p.id,
        &Enrolment {
            amount_policy: b.amount_policy,
            amount: b.amount,
            valid_from: b.valid_from,
            valid_to: b.valid_to,
            payer_ispb: b.payer_ispb,
            payer_agency: b.payer_agency,
            payer_account: b.payer_account,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(PixRecurrenceView::from(r))).into_response())
}

/// Why a recurrence is canceled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Customer asked"}))]
pub struct PixRecurrenceCancelRequest {
    /// Required, up to 500 characters.
    pub reason: String,
}

/// Cancels a Pix Automático recurrence at the PSP and here; no more
/// scheduled charges are made for the contract.
#[utoipa::path(
    post, path = "/api/v1/pix-recurrences/{id}/cancel", operation_id = "payments.recurrences.cancel", tag = "payments",
    params(IdPath),
    request_body = PixRecurrenceCancelRequest,
    responses(
        (status = 200, description = "The recurrence, canceled", body = PixRecurrenceView),
        (status = 409, description = "Ended already (`pix-recurrence-ended`)"),
    ),
    security(("bearer" = ["payments.record"]))
)]
pub async fn cancel_recurrence(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<PixRecurrenceCancelRequest>,
) -> ApiResult<Json<PixRecurrenceView>> {
    let b = body.parse()?;
    let r = pix_automatico::cancel(&state.svc, &caller.caller(), p.id, &b.reason).await?;
    Ok(Json(r.into()))
}
