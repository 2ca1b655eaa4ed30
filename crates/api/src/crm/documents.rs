//! `/api/v1/customers/{id}/documents`: KYC documents (list, upload as a raw
//! body, download, verify, reject) and `/api/v1/contracts/{id}/contract.pdf`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use services::crm::documents::Document;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::choices;
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::problem::ApiResult;
use crate::{IdPath, time};
use webkit::state::AppState;

/// Customers' KYC documents and contract PDFs.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, upload))
        // Uploads are larger than any other body (see `web::body_limit`).
        .layer(axum::extract::DefaultBodyLimit::max(webkit::UPLOAD_LIMIT))
        .routes(routes!(download))
        .routes(routes!(verify))
        .routes(routes!(reject))
        .routes(routes!(contract_pdf))
}

/// A document's description (its bytes come from the download route).
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: i64,
    pub customer_id: i64,
    /// `identity`, `proof_of_address`, `contract_signed` or `other`.
    #[schema(value_type = choices::KycKind)]
    pub kind: String,
    pub filename: String,
    /// From the content: `application/pdf`, `image/jpeg`, `image/png`, `image/webp`.
    #[schema(value_type = choices::KycContentType)]
    pub content_type: String,
    pub size: i64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// `pending`, `verified` or `rejected`.
    #[schema(value_type = choices::KycStatus)]
    pub status: String,
    pub verified_by: Option<String>,
    #[schema(format = DateTime)]
    pub verified_at: Option<String>,
    pub rejection_reason: String,
    pub uploaded_by: String,
    #[schema(format = DateTime)]
    pub uploaded_at: String,
}

impl From<Document> for DocumentView {
    fn from(d: Document) -> DocumentView {
        DocumentView {
            id: d.id,
            customer_id: d.customer_id,
            kind: d.kind,
            filename: d.filename,
            content_type: d.content_type,
            size: d.size,
            sha256: d.sha256,
            status: d.status,
            verified_by: d.verified_at.map(|_| d.verified_by_name),
            verified_at: d.verified_at.map(time),
            rejection_reason: d.rejection_reason,
            uploaded_by: d.uploaded_by_name,
            uploaded_at: time(d.uploaded_at),
        }
    }
}

/// A customer's document.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DocPath {
    /// The customer's id.
    pub id: i64,
    /// The document's id.
    pub doc: i64,
}

/// What an upload is.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// `identity`, `proof_of_address`, `contract_signed` or `other`.
    #[param(value_type = choices::KycKind)]
    kind: String,
    /// The file's name (its extension must match the content).
    filename: Option<String>,
}

/// The reason for a rejection.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectBody {
    pub reason: String,
}

/// A customer's documents, newest first.
#[utoipa::path(
    get, path = "/api/v1/customers/{id}/documents", operation_id = "customers.documents.list", tag = "documents",
    params(IdPath),
    responses(
        (status = 200, description = "The documents", body = Vec<DocumentView>),
    ),
    security(("bearer" = ["customers.documents"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<Vec<DocumentView>>> {
    let docs = services::crm::documents::list(&state.svc, &caller.caller(), p.id).await?;
    Ok(Json(docs.into_iter().map(Into::into).collect()))
}

/// Uploads a document: the request body is the file itself (PDF, JPEG, PNG
/// or WebP, at most 10 MiB; the type is read from the content).
#[utoipa::path(
    post, path = "/api/v1/customers/{id}/documents", operation_id = "customers.documents.upload", tag = "documents",
    params(IdPath, UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 201, description = "Stored, pending review", body = DocumentView),
        (status = 413, description = "Body over the limit"),
    ),
    security(("bearer" = ["customers.documents"]))
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> ApiResult<(axum::http::StatusCode, Json<DocumentView>)> {
    let up = services::crm::documents::Upload {
        customer_id: p.id,
        kind: q.kind.trim(),
        filename: q.filename.as_deref().unwrap_or(""),
        data: &body,
    };
    let d = services::crm::documents::upload(&state.svc, &caller.caller(), &up).await?;
    Ok((axum::http::StatusCode::CREATED, Json(d.into())))
}

/// Downloads a document (as an attachment, with its sniffed type).
#[utoipa::path(
    get, path = "/api/v1/customers/{id}/documents/{doc}", operation_id = "customers.documents.download", tag = "documents",
    params(DocPath),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
    ),
    security(("bearer" = ["customers.documents"]))
)]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<DocPath>,
) -> ApiResult<Response> {
    let (d, data) =
        services::crm::documents::download(&state.svc, &caller.caller(), p.id, p.doc).await?;
    Ok(webkit::download::attachment(
        &d.content_type,
        &d.filename,
        data,
    ))
}

/// Marks a document verified by the caller.
#[utoipa::path(
    post, path = "/api/v1/customers/{id}/documents/{doc}/verify", operation_id = "customers.documents.verify", tag = "documents",
    params(DocPath),
    responses(
        (status = 200, description = "Verified", body = DocumentView),
    ),
    security(("bearer" = ["customers.documents"]))
)]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<DocPath>,
) -> ApiResult<Json<DocumentView>> {
    Ok(Json(
        services::crm::documents::verify(&state.svc, &caller.caller(), p.id, p.doc)
            .await?
            .into(),
    ))
}

/// Rejects a document with a reason.
#[utoipa::path(
    post, path = "/api/v1/customers/{id}/documents/{doc}/reject", operation_id = "customers.documents.reject", tag = "documents",
    params(DocPath),
    request_body = RejectBody,
    responses(
        (status = 200, description = "Rejected", body = DocumentView),
    ),
    security(("bearer" = ["customers.documents"]))
)]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<DocPath>,
    body: Bytes,
) -> ApiResult<Json<DocumentView>> {
    let caller = caller.caller();
    services::crm::access::documents(&caller)?;
    let b: RejectBody = crate::extract::parse_json(&body)?;
    Ok(Json(
        services::crm::documents::reject(&state.svc, &caller, p.id, p.doc, &b.reason)
            .await?
            .into(),
    ))
}

/// The contract as a PDF from the installation's template.
#[utoipa::path(
    get, path = "/api/v1/contracts/{id}/contract.pdf", operation_id = "contracts.pdf.show", tag = "documents",
    params(IdPath),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf"),
    ),
    security(("bearer" = ["customers.view"]))
)]
pub async fn contract_pdf(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    let pdf = services::contracts::document::render(&state.svc, &caller, p.id).await?;
    let number = services::contracts::get(&state.svc, &caller, p.id)
        .await?
        .number;
    Ok(webkit::download::attachment(
        "application/pdf",
        &format!("contract-{number}.pdf"),
        pdf,
    ))
}
