//! `/settings/invoice-template`: the invoice and credit note template per
//! locale, edited like the contract template (with a PDF preview of the
//! unsaved text on a sample invoice). Needs `settings.manage`.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use domain::Permission;
use services::billing::pdf::{self, LOCALES, PLACEHOLDERS};
use webkit::auth::Staff;
use webkit::state::AppState;

use crate::error::PageResult;
use crate::system::doc_settings::{Placeholder, TemplateQuery};
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/invoice-template", get(form).post(save))
        .route("/settings/invoice-template/reset", post(reset))
        .route("/settings/invoice-template/preview", post(preview))
}

#[derive(Template)]
#[template(path = "settings_invoice_template.html")]
struct TemplateView {
    page: Page,
    locale: &'static str,
    locales: &'static [&'static str],
    body: String,
    is_default: bool,
    updated_by: Option<String>,
    updated_at: Option<i64>,
    placeholders: Vec<Placeholder>,
    errors: FormErrors,
}

/// The locale asked for, or the staff member's own.
fn locale_of(staff: &Staff, asked: Option<&str>) -> &'static str {
    let own = match staff.tr.locale {
        domain::Locale::En => "en",
        domain::Locale::PtBr => "pt-BR",
    };
    asked
        .and_then(|a| LOCALES.iter().copied().find(|l| *l == a))
        .unwrap_or(own)
}

fn placeholders(staff: &Staff) -> Vec<Placeholder> {
    PLACEHOLDERS
        .iter()
        .map(|(name, _)| Placeholder {
            token: format!("{{{{{name}}}}}"),
            description: staff.tr.t(&format!(
                "invoice-placeholder-{}",
                name.replace(['.', '_'], "-")
            )),
        })
        .collect()
}

async fn view(
    state: &AppState,
    staff: &Staff,
    locale: &'static str,
    typed: Option<String>,
    errors: FormErrors,
    ok: Option<&str>,
) -> PageResult {
    let t = pdf::template(&state.svc, &staff.caller(), locale).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Page::new(staff, "settings", "invoice-template-title").with_flash(ok);
    Ok((
        status,
        html(&TemplateView {
            page,
            locale,
            locales: LOCALES,
            body: typed.unwrap_or(t.body),
            is_default: t.is_default,
            updated_by: t.updated_by,
            updated_at: t.updated_at,
            placeholders: placeholders(staff),
            errors,
        }),
    )
        .into_response())
}

pub async fn form(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<TemplateQuery>,
) -> PageResult {
    let locale = locale_of(&staff, q.locale.as_deref());
    view(
        &state,
        &staff,
        locale,
        None,
        FormErrors::default(),
        q.ok.as_deref(),
    )
    .await
}

fn back_to(locale: &str) -> String {
    format!("/settings/invoice-template?locale={locale}")
}

pub async fn save(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let p = form_pairs(&body);
    let locale = locale_of(&staff, Some(&field(&p, "locale")));
    let text = field(&p, "body");
    match pdf::save_template(&state.svc, &staff.caller(), locale, &text).await {
        Ok(()) => Ok(done(&back_to(locale), "invoice-template-saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            view(&state, &staff, locale, Some(text), errors, None).await
        }
    }
}

pub async fn reset(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let locale = locale_of(&staff, Some(&field(&form_pairs(&body), "locale")));
    pdf::reset_template(&state.svc, &staff.caller(), locale).await?;
    Ok(done(&back_to(locale), "invoice-template-reset"))
}

/// The PDF of the text as typed, on a sample invoice; a template with an
/// error comes back as the form with the error next to the text.
pub async fn preview(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let p = form_pairs(&body);
    let locale = locale_of(&staff, Some(&field(&p, "locale")));
    let text = field(&p, "body");
    match pdf::preview(&state.svc, &staff.caller(), locale, &text).await {
        Ok(pdf) => Ok((
            [
                (header::CONTENT_TYPE, "application/pdf"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"invoice-preview.pdf\"",
                ),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            pdf,
        )
            .into_response()),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            view(&state, &staff, locale, Some(text), errors, None).await
        }
    }
}
