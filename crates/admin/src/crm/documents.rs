//! A customer's KYC documents (list, upload, verify/reject, delete,
//! download) and the contract PDF download. Every route here needs
//! `customers.documents`, except the contract PDF (`customers.view`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use services::crm::documents::Document;

use crate::error::PageResult;
use crate::shared::CustomerHeader;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::download::attachment;
use webkit::state::AppState;

#[derive(Template)]
#[template(path = "documents.html")]
struct ListView {
    page: Page,
    head: CustomerHeader,
    customer_id: i64,
    docs: Vec<Document>,
    kinds: &'static [&'static str],
    errors: FormErrors,
    max_mib: usize,
}

async fn view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    errors: FormErrors,
    ok: Option<&str>,
) -> PageResult {
    let caller = staff.caller();
    let docs = services::crm::documents::list(&state.svc, &caller, id).await?;
    let customer = services::crm::get_customer(&state.svc, &caller, id).await?;
    let mut page = Page::new(staff, "customers", "documents-title").with_flash(ok);
    page.title = format!("{} — {}", page.title, customer.name);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        html(&ListView {
            page,
            head: CustomerHeader::of(&customer, "documents"),
            customer_id: id,
            docs,
            kinds: services::crm::documents::KINDS,
            errors,
            max_mib: services::crm::documents::MAX_SIZE / (1024 * 1024),
        }),
    )
        .into_response())
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    view(&state, &staff, id, FormErrors::default(), f.ok.as_deref()).await
}

/// The upload form posts multipart data (CSRF token in the query string).
pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    mut form: Multipart,
) -> PageResult {
    // Refused before the file is read.
    let caller = staff.caller();
    services::crm::access::documents(&caller)?;
    let mut kind = String::new();
    let mut filename = String::new();
    let mut data: Option<Bytes> = None;
    loop {
        let next = match form.next_field().await {
            Ok(n) => n,
            Err(e) => {
                let errors = FormErrors(vec![(
                    "file".into(),
                    format!("{} ({e})", staff.tr.t("invalid-invalid")),
                )]);
                return view(&state, &staff, id, errors, None).await;
            }
        };
        let Some(f) = next else { break };
        match f.name() {
            Some("kind") => kind = f.text().await.unwrap_or_default(),
            Some("file") => {
                filename = f.file_name().unwrap_or_default().to_owned();
                match f.bytes().await {
                    Ok(b) => data = Some(b),
                    Err(_) => {
                        let errors = FormErrors(vec![(
                            "file".into(),
                            staff.tr.t1(
                                "documents-too-large",
                                "mib",
                                services::crm::documents::MAX_SIZE / (1024 * 1024),
                            ),
                        )]);
                        return view(&state, &staff, id, errors, None).await;
                    }
                }
            }
            _ => {}
        }
    }
    let data = data.unwrap_or_default();
    let up = services::crm::documents::Upload {
        customer_id: id,
        kind: &kind,
        filename: &filename,
        data: &data,
    };
    match services::crm::documents::upload(&state.svc, &caller, &up).await {
        Ok(_) => Ok(done(
            &format!("/customers/{id}/documents"),
            "document-uploaded",
        )),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            view(&state, &staff, id, errors, None).await
        }
    }
}

pub async fn download(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, doc)): Path<(i64, i64)>,
) -> PageResult {
    let (d, data) =
        services::crm::documents::download(&state.svc, &staff.caller(), id, doc).await?;
    Ok(attachment(&d.content_type, &d.filename, data))
}

pub async fn verify(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, doc)): Path<(i64, i64)>,
) -> PageResult {
    services::crm::documents::verify(&state.svc, &staff.caller(), id, doc).await?;
    Ok(done(
        &format!("/customers/{id}/documents"),
        "document-verified",
    ))
}

pub async fn reject(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, doc)): Path<(i64, i64)>,
    body: Bytes,
) -> PageResult {
    let reason = field(&form_pairs(&body), "reason");
    match services::crm::documents::reject(&state.svc, &staff.caller(), id, doc, &reason).await {
        Ok(_) => Ok(done(
            &format!("/customers/{id}/documents"),
            "document-rejected",
        )),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            view(&state, &staff, id, errors, None).await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, doc)): Path<(i64, i64)>,
) -> PageResult {
    services::crm::documents::delete(&state.svc, &staff.caller(), id, doc).await?;
    Ok(done(
        &format!("/customers/{id}/documents"),
        "document-deleted",
    ))
}

/// The contract as a PDF, from the installation's template.
pub async fn contract_pdf(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let caller = staff.caller();
    let pdf = services::contracts::document::render(&state.svc, &caller, id).await?;
    let number = services::contracts::get(&state.svc, &caller, id)
        .await?
        .number;
    Ok(attachment(
        "application/pdf",
        &format!("contract-{number}.pdf"),
        pdf,
    ))
}
