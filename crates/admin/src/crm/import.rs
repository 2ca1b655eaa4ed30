//! CSV import of customers and contracts: upload, the dry-run report (every
//! bad row with line, field and reason), then "Import" for exactly the file
//! that was checked (kept server-side under its SHA-256 for an hour).

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use services::crm::import::{self, IMPORT_CODES, Kind, Report};

use crate::error::PageResult;
use crate::views::{Page, html};
use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

/// The largest file the page accepts (about 150,000 customer rows).
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Default, serde::Deserialize)]
pub struct FormQuery {
    ok: Option<String>,
    n: Option<u64>,
}

/// A problem as the page shows it.
pub struct ProblemView {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportView {
    page: Page,
    kind: String,
    report: Option<Report>,
    problems: Vec<ProblemView>,
    /// A general error (no file, expired file).
    error: String,
    imported: Option<u64>,
}

/// The translated reason of a problem.
fn reason(tr: &Tr, p: &import::Problem) -> String {
    if IMPORT_CODES.contains(&p.code.as_str()) {
        let key = format!("import-reason-{}", p.code);
        let label = tr.t(&key);
        // Details (the other line, the customer number) stay in English
        // beside the translated reason.
        format!("{label} ({})", p.message)
    } else if p.code == "invalid" {
        p.message.clone()
    } else {
        tr.t(&format!("invalid-{}", p.code))
    }
}

fn view(staff: &Staff, kind: Kind, report: Option<Report>, error: &str) -> ImportView {
    let page = Page::new(staff, "customers", "import-title");
    let problems = report
        .as_ref()
        .map(|r| {
            r.problems
                .iter()
                .map(|p| ProblemView {
                    line: p.line,
                    field: p.field.clone(),
                    reason: reason(&page.tr, p),
                })
                .collect()
        })
        .unwrap_or_default();
    ImportView {
        error: if error.is_empty() {
            String::new()
        } else {
            page.tr.t(error)
        },
        page,
        kind: kind.as_str().to_owned(),
        report,
        problems,
        imported: None,
    }
}

pub async fn form(staff: Staff, Query(q): Query<FormQuery>) -> PageResult {
    services::crm::access::import(&staff.caller())?;
    let mut v = view(&staff, Kind::Customers, None, "");
    if q.ok.as_deref() == Some("imported") {
        v.imported = q.n;
    }
    Ok(html(&v))
}

/// The upload: checks the file, keeps it for the confirmation, shows the
/// report.
pub async fn check(
    State(state): State<AppState>,
    staff: Staff,
    mut multipart: Multipart,
) -> PageResult {
    // Refused before the file is read.
    let caller = staff.caller();
    services::crm::access::import(&caller)?;
    let mut kind = Kind::Customers;
    let mut data: Option<Vec<u8>> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                let v = view(&staff, kind, None, "import-error-upload");
                return Ok((StatusCode::BAD_REQUEST, html(&v)).into_response());
            }
        };
        match field.name().unwrap_or("") {
            "kind" => {
                let text = field.text().await.unwrap_or_default();
                kind = Kind::parse(text.trim()).unwrap_or(Kind::Customers);
            }
            "file" => match field.bytes().await {
                Ok(b) => data = Some(b.to_vec()),
                Err(_) => {
                    let v = view(&staff, kind, None, "import-error-upload");
                    return Ok((StatusCode::PAYLOAD_TOO_LARGE, html(&v)).into_response());
                }
            },
            _ => {}
        }
    }
    let Some(data) = data.filter(|d| !d.is_empty()) else {
        let v = view(&staff, kind, None, "import-error-no-file");
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&v)).into_response());
    };
    let report = import::check(&state.svc, &caller, kind, &data).await?;
    if report.is_clean() {
        import::stash(&state.svc, &caller, kind, &data)?;
    }
    Ok(html(&view(&staff, kind, Some(report), "")))
}

#[derive(Debug, serde::Deserialize)]
pub struct ConfirmForm {
    kind: String,
    sha256: String,
}

/// "Import": the stashed file with that hash, checked again and written.
pub async fn confirm(
    State(state): State<AppState>,
    staff: Staff,
    axum::Form(f): axum::Form<ConfirmForm>,
) -> PageResult {
    let caller = staff.caller();
    let kind = Kind::parse(&f.kind).unwrap_or(Kind::Customers);
    let data = match import::stashed(&state.svc, &caller, kind, &f.sha256) {
        Ok(d) => d,
        Err(services::Error::NotFound) => {
            let v = view(&staff, kind, None, "import-error-expired");
            return Ok((StatusCode::GONE, html(&v)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let report = import::import(&state.svc, &caller, kind, &data).await?;
    if !report.is_clean() {
        // The database changed since the check (a duplicate appeared).
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            html(&view(&staff, kind, Some(report), "")),
        )
            .into_response());
    }
    import::discard(&state.svc, &caller, kind, &f.sha256)?;
    Ok(Redirect::to(&format!(
        "/customers/import?ok=imported&n={}",
        report.imported
    ))
    .into_response())
}
