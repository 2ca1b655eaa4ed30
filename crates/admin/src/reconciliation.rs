//! Boleto files and reconciliation: the list of CNAB files with
//! "Generate remittance" (then download) and the return-file upload, a
//! return's result page (counts, every line's outcome, CSV), and the
//! unmatched-payments queue finance assigns or dismisses. Strings live in
//! `locales/*/payments-recon.ftl` (in `webkit`).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use domain::Permission;
use services::payments::recon::{self, CnabFile, Entry, Unmatched, remittance, returns, unmatched};
use webkit::auth::Staff;
use webkit::download::attachment;
use webkit::state::AppState;

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};

/// The largest return file: the file plus room for the multipart envelope.
pub const UPLOAD_LIMIT: usize = returns::MAX_BYTES + 64 * 1024;

/// At most this many lines on the result page (the CSV has them all).
const SHOWN_ENTRIES: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/payments/reconciliation", get(files))
        .route("/payments/reconciliation/remittances", post(generate))
        .route("/payments/reconciliation/{id}", get(show))
        .route("/payments/reconciliation/{id}/report.csv", get(csv))
        .route("/payments/reconciliation/{id}/download", get(download))
        .route("/payments/unmatched", get(queue))
        .route("/payments/unmatched/{id}/assign", post(assign))
        .route("/payments/unmatched/{id}/dismiss", post(dismiss))
}

/// The return-file upload, with its own body limit (set in `web`).
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/payments/reconciliation/upload", post(upload))
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT))
}

#[derive(Template)]
#[template(path = "recon_files.html")]
struct FilesView {
    page: Page,
    rows: Vec<CnabFile>,
    errors: FormErrors,
    can_record: bool,
    open_unmatched: usize,
}

async fn files_view(
    state: &AppState,
    staff: &Staff,
    errors: FormErrors,
    ok: Option<&str>,
) -> PageResult {
    let caller = staff.caller();
    let (rows, _) = recon::list_files(&state.svc, &caller, None, None, 100).await?;
    let (open, _) = unmatched::list(&state.svc, &caller, Some("open"), None, 500).await?;
    let page = Page::new(staff, "payments", "recon-title").with_flash(ok);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        html(&FilesView {
            can_record: page.perms.contains(Permission::PaymentsRecord),
            page,
            rows,
            errors,
            open_unmatched: open.len(),
        }),
    )
        .into_response())
}

pub async fn files(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    staff.caller().require(Permission::PaymentsView)?;
    files_view(&state, &staff, FormErrors::default(), f.ok.as_deref()).await
}

/// "Generate remittance": then its download starts from the list.
pub async fn generate(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let pairs = form_pairs(&body);
    let made = match remittance::parse_format(&field(&pairs, "format")) {
        Ok(format) => remittance::generate(&state.svc, &caller, format).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(f) => Ok(done(
            &format!("/payments/reconciliation/{}", f.id),
            "recon-remittance-generated",
        )),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            files_view(&state, &staff, errors, None).await
        }
    }
}

/// The upload form posts multipart data (CSRF token in the query string).
pub async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    mut form: Multipart,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let mut name = String::new();
    let mut data: Option<Bytes> = None;
    loop {
        let next = match form.next_field().await {
            Ok(n) => n,
            Err(e) => {
                let errors = FormErrors(vec![(
                    "file".into(),
                    format!("{} ({e})", staff.tr.t("invalid-invalid")),
                )]);
                return files_view(&state, &staff, errors, None).await;
            }
        };
        let Some(f) = next else { break };
        if f.name() == Some("file") {
            name = f.file_name().unwrap_or_default().to_owned();
            match f.bytes().await {
                Ok(b) => data = Some(b),
                Err(_) => {
                    let errors = FormErrors(vec![(
                        "file".into(),
                        staff
                            .tr
                            .t1("recon-too-large", "mib", returns::MAX_BYTES / (1024 * 1024)),
                    )]);
                    return files_view(&state, &staff, errors, None).await;
                }
            }
        }
    }
    let name = if name.trim().is_empty() {
        "retorno".to_owned()
    } else {
        name
    };
    match returns::process(&state.svc, &caller, &name, &data.unwrap_or_default()).await {
        Ok(r) => Ok(done(
            &format!("/payments/reconciliation/{}", r.file.id),
            if r.duplicate {
                "recon-return-duplicate"
            } else {
                "recon-return-processed"
            },
        )),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            files_view(&state, &staff, errors, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "recon_file.html")]
struct FileView {
    page: Page,
    cf: CnabFile,
    entries: Vec<Entry>,
    more: usize,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let r = recon::report(&state.svc, &staff.caller(), id, None).await?;
    let mut entries = r.entries;
    // The lines that need a look first, in line order.
    entries.sort_by_key(|e| (e.outcome == "settled" || e.outcome == "other", e.line));
    let more = entries.len().saturating_sub(SHOWN_ENTRIES);
    entries.truncate(SHOWN_ENTRIES);
    let mut page = Page::new(&staff, "payments", "recon-title").with_flash(f.ok.as_deref());
    page.title = r.file.name.clone();
    Ok(html(&FileView {
        page,
        cf: r.file,
        entries,
        more,
    })
    .into_response())
}

pub async fn csv(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let r = recon::report(&state.svc, &staff.caller(), id, None).await?;
    let text = recon::report_csv(&r)?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        &format!("{}.csv", r.file.name),
        text.into_bytes(),
    ))
}

pub async fn download(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let (name, content) = recon::remittance_content(&state.svc, &staff.caller(), id).await?;
    Ok(attachment(
        "text/plain; charset=us-ascii",
        &name,
        content.into_bytes(),
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct QueueQuery {
    pub status: Option<String>,
    pub ok: Option<String>,
}

#[derive(Template)]
#[template(path = "recon_unmatched.html")]
struct QueueView {
    page: Page,
    rows: Vec<Unmatched>,
    status: String,
    errors: FormErrors,
    failed_id: i64,
    can_record: bool,
}

async fn queue_view(
    state: &AppState,
    staff: &Staff,
    status: &str,
    errors: FormErrors,
    failed_id: i64,
    ok: Option<&str>,
) -> PageResult {
    let filter = (!status.is_empty()).then_some(status);
    let (rows, _) = unmatched::list(&state.svc, &staff.caller(), filter, None, 200).await?;
    let page = Page::new(staff, "payments", "recon-unmatched-title").with_flash(ok);
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        code,
        html(&QueueView {
            can_record: page.perms.contains(Permission::PaymentsRecord),
            page,
            rows,
            status: status.to_owned(),
            errors,
            failed_id,
        }),
    )
        .into_response())
}

pub async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let status = match q.status.as_deref().map(str::trim) {
        None => "open",
        Some(s) => s,
    };
    queue_view(
        &state,
        &staff,
        status,
        FormErrors::default(),
        0,
        q.ok.as_deref(),
    )
    .await
}

pub async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let pairs = form_pairs(&body);
    let customer = crate::shared::int("customer_id", field(&pairs, "customer_id").trim());
    let invoice = match field(&pairs, "invoice_id").trim() {
        "" => Ok(None),
        s => crate::shared::int("invoice_id", s).map(Some),
    };
    let r = match (customer, invoice) {
        (Ok(c), Ok(i)) => {
            unmatched::assign(&state.svc, &caller, id, c, i, &field(&pairs, "note")).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match r {
        Ok(_) => Ok(done("/payments/unmatched", "recon-assigned")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            queue_view(&state, &staff, "open", errors, id, None).await
        }
    }
}

pub async fn dismiss(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let pairs = form_pairs(&body);
    match unmatched::dismiss(&state.svc, &caller, id, &field(&pairs, "note")).await {
        Ok(_) => Ok(done("/payments/unmatched", "recon-dismissed")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            queue_view(&state, &staff, "open", errors, id, None).await
        }
    }
}

/// The text of key `{prefix}-{value}` (a kind, a status).
pub fn label(page: &Page, prefix: &str, value: &str) -> String {
    page.tr.t(&format!("{prefix}-{value}"))
}

/// An outcome's name in the user's language.
pub fn outcome_label(page: &Page, outcome: &str) -> String {
    page.tr.t(&format!("recon-outcome-{outcome}"))
}

/// The badge class of an outcome.
pub fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "settled" => "badge badge-ok",
        "divergent" | "unmatched" => "badge badge-warn",
        "rejected" => "badge badge-danger",
        _ => "badge badge-muted",
    }
}
