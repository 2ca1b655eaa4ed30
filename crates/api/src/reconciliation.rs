//! `/api/v1/reconciliation`: boleto remittances (CNAB 240/400) generated
//! for the bank and return files uploaded from it, each with what its
//! lines did; `/api/v1/unmatched-payments`: money no boleto matched,
//! assigned to a customer by hand or dismissed. Amounts are integers in
//! minor units.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Permission;
use serde::{Deserialize, Serialize};
use services::payments::recon::{self, CnabFile, Entry, Unmatched, remittance, returns, unmatched};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use webkit::state::AppState;

use crate::IdPath;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::{self, Paged};
use crate::payments::RecordedView;
use crate::problem::ApiResult;

/// The largest return file accepted, in bytes.
pub const RETURN_LIMIT: usize = returns::MAX_BYTES;

/// The reconciliation paths.
pub fn routes() -> OpenApiRouter<AppState> {
    let upload = OpenApiRouter::new()
        .routes(routes!(list_files, upload))
        .layer(axum::extract::DefaultBodyLimit::max(RETURN_LIMIT));
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(show_file))
        .routes(routes!(file_csv))
        .routes(routes!(generate))
        .routes(routes!(download))
        .routes(routes!(list_unmatched))
        .routes(routes!(assign))
        .routes(routes!(dismiss))
}

/// A CNAB file: a remittance generated here or a return uploaded.
#[derive(Debug, Serialize, ToSchema)]
pub struct CnabFileView {
    pub id: i64,
    /// `remessa` or `retorno`.
    pub kind: String,
    /// `cnab240` or `cnab400`.
    pub format: String,
    /// The bank's code (`001`, `237`, `341`…).
    pub bank: String,
    /// The file number (NSA).
    pub sequence: i64,
    pub name: String,
    pub sha256: String,
    /// `generated` (remittances); `processing`, `processed` or `failed`.
    pub status: String,
    pub lines: i64,
    /// Boletos in a remittance; title lines in a return.
    pub titles: i64,
    /// A remittance's boletos; what a return's liquidations paid.
    pub total: i64,
    /// Liquidations recorded (divergent ones included).
    pub settled: i64,
    pub settled_amount: i64,
    /// Liquidations whose payment was recorded before.
    pub already_settled: i64,
    /// Liquidations of no known boleto (queued).
    pub unmatched: i64,
    pub unmatched_amount: i64,
    /// Settled with an amount other than the boleto's.
    pub divergent: i64,
    /// Titles the bank refused.
    pub rejected: i64,
    /// Other occurrences (registrations, write-offs…).
    pub other: i64,
    /// The bank's fees on the settled lines.
    pub fees: i64,
    pub error: Option<String>,
    pub uploaded_by: String,
    /// RFC 3339.
    pub created_at: String,
}

impl From<CnabFile> for CnabFileView {
    fn from(f: CnabFile) -> CnabFileView {
        CnabFileView {
            id: f.id,
            kind: f.kind,
            format: f.format,
            bank: f.bank,
            sequence: f.sequence,
            name: f.name,
            sha256: f.sha256,
            status: f.status,
            lines: f.lines,
            titles: f.titles,
            total: f.total,
            settled: f.settled,
            settled_amount: f.settled_amount,
            already_settled: f.already_settled,
            unmatched: f.unmatched,
            unmatched_amount: f.unmatched_amount,
            divergent: f.divergent,
            rejected: f.rejected,
            other: f.other,
            fees: f.fees,
            error: f.error,
            uploaded_by: f.uploaded_by,
            created_at: crate::time(f.created_at),
        }
    }
}

/// What one title line of a return did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnEntryView {
    pub line: i64,
    pub nosso_numero: String,
    /// The bank's occurrence code (`06` liquidação, `03` rejeitada…).
    pub occurrence: String,
    /// `settled`, `already_settled`, `unmatched`, `divergent`, `rejected`
    /// or `other`.
    pub outcome: String,
    pub amount: i64,
    pub paid: i64,
    pub fee: i64,
    /// `YYYY-MM-DD`.
    pub credit_date: Option<String>,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub message: String,
}

impl From<Entry> for ReturnEntryView {
    fn from(e: Entry) -> ReturnEntryView {
        ReturnEntryView {
            line: e.line,
            nosso_numero: e.nosso_numero,
            occurrence: e.occurrence,
            outcome: e.outcome,
            amount: e.amount,
            paid: e.paid,
            fee: e.fee,
            credit_date: e.credit_date,
            invoice_id: e.invoice_id,
            payment_id: e.payment_id,
            message: e.message,
        }
    }
}

/// A file with its lines' outcomes.
#[derive(Debug, Serialize, ToSchema)]
pub struct CnabReportView {
    pub file: CnabFileView,
    pub entries: Vec<ReturnEntryView>,
}

/// An uploaded return file.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedView {
    pub file: CnabFileView,
    /// The same content was uploaded before: nothing was done.
    pub duplicate: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// `remessa` or `retorno`.
    kind: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists remittance and return files, newest first.
#[utoipa::path(
    get, path = "/api/v1/reconciliation/files", operation_id = "reconciliation.files.list",
    tag = "reconciliation",
    params(FileQuery),
    responses((status = 200, description = "A page of files", body = Paged<CnabFileView>)),
    security(("bearer" = ["payments.view"]))
)]
pub async fn list_files(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> ApiResult<Json<Paged<CnabFileView>>> {
    let kind = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let (rows, more) = recon::list_files(
        &state.svc,
        &caller.caller(),
        kind,
        pagination::decode(q.cursor.as_deref())?,
        pagination::limit(q.limit)?,
    )
    .await?;
    let data: Vec<CnabFileView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |f| f.id)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnUploadQuery {
    /// The file's name as the bank gave it.
    name: Option<String>,
}

/// Uploads a bank's return file (CNAB 240 or 400, the raw bytes as the
/// body, up to 64 MiB) and reconciles it: each liquidation settles its
/// boleto's invoice by nosso número; unknown ones go to the unmatched
/// queue. A malformed file is refused naming its line and column, with
/// nothing written. The same content uploaded again is not processed
/// again (200 with `duplicate`).
#[utoipa::path(
    post, path = "/api/v1/reconciliation/files", operation_id = "reconciliation.files.upload",
    tag = "reconciliation",
    params(ReturnUploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The return file as the bank sent it"),
    responses(
        (status = 201, description = "Processed", body = UploadedView),
        (status = 200, description = "Processed before", body = UploadedView),
    ),
    security(("bearer" = ["payments.record"]))
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReturnUploadQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::PaymentsRecord)?;
    let name = q
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("retorno");
    let r = returns::process(&state.svc, &caller, name, &body).await?;
    let status = if r.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let id = r.file.id;
    Ok((
        status,
        [(
            header::LOCATION,
            format!("/api/v1/reconciliation/files/{id}"),
        )],
        Json(UploadedView {
            file: r.file.into(),
            duplicate: r.duplicate,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only entries with this outcome.
    outcome: Option<String>,
}

/// One file and what each of its lines did.
#[utoipa::path(
    get, path = "/api/v1/reconciliation/files/{id}", operation_id = "reconciliation.files.show",
    tag = "reconciliation",
    params(IdPath, ReportQuery),
    responses((status = 200, description = "The file and its entries", body = CnabReportView)),
    security(("bearer" = ["payments.view"]))
)]
pub async fn show_file(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<CnabReportView>> {
    let outcome = q
        .outcome
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    let r = recon::report(&state.svc, &caller.caller(), p.id, outcome).await?;
    Ok(Json(CnabReportView {
        file: r.file.into(),
        entries: r.entries.into_iter().map(Into::into).collect(),
    }))
}

/// A return file's report as CSV.
#[utoipa::path(
    get, path = "/api/v1/reconciliation/files/{id}/report.csv",
    operation_id = "reconciliation.files.csv", tag = "reconciliation",
    params(IdPath),
    responses((status = 200, description = "One row per line", content_type = "text/csv")),
    security(("bearer" = ["payments.view"]))
)]
pub async fn file_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Response> {
    let r = recon::report(&state.svc, &caller.caller(), p.id, None).await?;
    let csv = recon::report_csv(&r)?;
    Ok(webkit::download::attachment(
        "text/csv; charset=utf-8",
        &format!("{}.csv", r.file.name),
        csv.into_bytes(),
    ))
}

/// Which layout to write.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"format": "240"}))]
pub struct GenerateRequest {
    /// `240` or `400` (default `240`).
    #[serde(default)]
    pub format: Option<String>,
}

/// Generates a remittance for every issued invoice that owes something
/// and has no boleto yet (`boleto.mode` must be `cnab`): each gets a nosso
/// número and its boleto's digitable line. Download it with
/// `…/remittances/{id}`.
#[utoipa::path(
    post, path = "/api/v1/reconciliation/remittances",
    operation_id = "reconciliation.remittances.generate", tag = "reconciliation",
    request_body = GenerateRequest,
    responses((status = 201, description = "The remittance", body = CnabFileView)),
    security(("bearer" = ["payments.record"]))
)]
pub async fn generate(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<GenerateRequest>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::PaymentsRecord)?;
    let b = body.parse()?;
    let format = remittance::parse_format(b.format.as_deref().unwrap_or("240"))?;
    let f = remittance::generate(&state.svc, &caller, format).await?;
    let id = f.id;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/reconciliation/remittances/{id}"),
        )],
        Json(CnabFileView::from(f)),
    )
        .into_response())
}

/// A remittance's content, to send to the bank.
#[utoipa::path(
    get, path = "/api/v1/reconciliation/remittances/{id}",
    operation_id = "reconciliation.remittances.download", tag = "reconciliation",
    params(IdPath),
    responses((status = 200, description = "The file", content_type = "text/plain")),
    security(("bearer" = ["payments.view"]))
)]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Response> {
    let (name, content) = recon::remittance_content(&state.svc, &caller.caller(), p.id).await?;
    Ok(webkit::download::attachment(
        "text/plain; charset=us-ascii",
        &name,
        content.into_bytes(),
    ))
}

/// Money no boleto matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedView {
    pub id: i64,
    /// `cnab`: a return file's line.
    pub source: String,
    /// The nosso número it carried.
    pub reference: String,
    pub file_id: Option<i64>,
    pub amount: i64,
    pub fee: i64,
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    pub payer_name: String,
    pub payer_document: String,
    /// The file's line(s) as read.
    pub raw: String,
    /// `open`, `assigned` or `dismissed`.
    pub status: String,
    pub customer_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub payment_id: Option<i64>,
    pub note: String,
    pub resolved_by: Option<String>,
    /// RFC 3339.
    pub resolved_at: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

impl From<Unmatched> for UnmatchedView {
    fn from(u: Unmatched) -> UnmatchedView {
        UnmatchedView {
            id: u.id,
            source: u.source,
            reference: u.reference,
            file_id: u.file_id,
            amount: u.amount,
            fee: u.fee,
            paid_on: u.paid_on,
            payer_name: u.payer_name,
            payer_document: u.payer_document,
            raw: u.raw,
            status: u.status,
            customer_id: u.customer_id,
            invoice_id: u.invoice_id,
            payment_id: u.payment_id,
            note: u.note,
            resolved_by: u.resolved_by,
            resolved_at: u.resolved_at.map(crate::time),
            created_at: crate::time(u.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnmatchedQuery {
    /// `open`, `assigned` or `dismissed`.
    status: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
}

/// Lists the unmatched-payments queue, newest first.
#[utoipa::path(
    get, path = "/api/v1/unmatched-payments", operation_id = "unmatched_payments.list",
    tag = "reconciliation",
    params(UnmatchedQuery),
    responses((status = 200, description = "A page of the queue", body = Paged<UnmatchedView>)),
    security(("bearer" = ["payments.view"]))
)]
pub async fn list_unmatched(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UnmatchedQuery>,
) -> ApiResult<Json<Paged<UnmatchedView>>> {
    let status = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (rows, more) = unmatched::list(
        &state.svc,
        &caller.caller(),
        status,
        pagination::decode(q.cursor.as_deref())?,
        pagination::limit(q.limit)?,
    )
    .await?;
    let data: Vec<UnmatchedView> = rows.into_iter().map(Into::into).collect();
    Ok(Json(pagination::page(data, more, |u| u.id)))
}

/// Whose money it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_id": 42, "invoice_id": 1234, "note": "Paid with an old boleto"}))]
pub struct AssignRequest {
    pub customer_id: i64,
    /// The invoice it pays first; then the oldest open ones.
    #[serde(default)]
    pub invoice_id: Option<i64>,
    /// Up to 1,000 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// The resolved entry and the payment recorded for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignedView {
    pub entry: UnmatchedView,
    pub payment: RecordedView,
}

/// Assigns an open entry to a customer: its money is recorded as a boleto
/// payment (receipt, allocation, audit entry).
#[utoipa::path(
    post, path = "/api/v1/unmatched-payments/{id}/assign",
    operation_id = "unmatched_payments.assign", tag = "reconciliation",
    params(IdPath),
    request_body = AssignRequest,
    responses((status = 200, description = "Assigned", body = AssignedView)),
    security(("bearer" = ["payments.record"]))
)]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<AssignRequest>,
) -> ApiResult<Json<AssignedView>> {
    let caller = caller.caller();
    caller.require(Permission::PaymentsRecord)?;
    let b = body.parse()?;
    let (entry, r) = unmatched::assign(
        &state.svc,
        &caller,
        p.id,
        b.customer_id,
        b.invoice_id,
        b.note.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(AssignedView {
        entry: entry.into(),
        payment: RecordedView {
            payment: r.payment.into(),
            allocations: r.allocations.into_iter().map(Into::into).collect(),
            credit_left: r.credit_left,
        },
    }))
}

/// Why an entry is dismissed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "Returned to the payer"}))]
pub struct DismissRequest {
    /// Required, up to 1,000 characters.
    pub note: String,
}

/// Dismisses an open entry (nothing is recorded in the books).
#[utoipa::path(
    post, path = "/api/v1/unmatched-payments/{id}/dismiss",
    operation_id = "unmatched_payments.dismiss", tag = "reconciliation",
    params(IdPath),
    request_body = DismissRequest,
    responses((status = 200, description = "Dismissed", body = UnmatchedView)),
    security(("bearer" = ["payments.record"]))
)]
pub async fn dismiss(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    body: ApiJson<DismissRequest>,
) -> ApiResult<Json<UnmatchedView>> {
    let caller = caller.caller();
    caller.require(Permission::PaymentsRecord)?;
    let b = body.parse()?;
    Ok(Json(
        unmatched::dismiss(&state.svc, &caller, p.id, &b.note)
            .await?
            .into(),
    ))
}
