//! Settings pages for customer documents: custom customer fields
//! (`/settings/custom-fields`) and the contract template per locale
//! (`/settings/contract-template`, with a PDF preview of the unsaved
//! text). Both need `settings.manage`: they change what every customer
//! form and contract shows.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use domain::Permission;
use services::contracts::document::{self as contract_document, LOCALES, PLACEHOLDERS};
use services::crm::custom_fields::{self, DefInput, Definition, KINDS};

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

/// A definition form's values as typed (kept on errors).
#[derive(Debug, Default, Clone)]
pub struct DefForm {
    pub key: String,
    pub label: String,
    pub kind: String,
    /// One choice per line.
    pub choices: String,
    pub required: bool,
    pub position: String,
}

impl DefForm {
    fn from_pairs(p: &[(String, String)]) -> DefForm {
        DefForm {
            key: field(p, "key"),
            label: field(p, "label"),
            kind: field(p, "kind"),
            choices: field(p, "choices"),
            required: field(p, "required") == "1",
            position: field(p, "position"),
        }
    }

    fn of(d: &Definition) -> DefForm {
        DefForm {
            key: d.key.clone(),
            label: d.label.clone(),
            kind: d.kind.clone(),
            choices: d.choices.join("\n"),
            required: d.required,
            position: d.position.to_string(),
        }
    }

    /// The service's input; a position that is not a number is named.
    fn input(&self) -> Result<DefInput, services::Error> {
        let position = if self.position.trim().is_empty() {
            0
        } else {
            crate::shared::int("position", &self.position)?
        };
        Ok(DefInput {
            key: self.key.trim().to_owned(),
            label: self.label.clone(),
            kind: self.kind.clone(),
            choices: self
                .choices
                .lines()
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
            required: self.required,
            position,
        })
    }
}

#[derive(Template)]
#[template(path = "settings_custom_fields.html")]
struct FieldsView {
    page: Page,
    defs: Vec<Definition>,
    /// The "add a field" form.
    v: DefForm,
    errors: FormErrors,
    kinds: &'static [&'static str],
}

#[derive(Template)]
#[template(path = "settings_custom_field.html")]
struct FieldView {
    page: Page,
    v: DefForm,
    errors: FormErrors,
    kinds: &'static [&'static str],
}

async fn fields_view(
    state: &AppState,
    staff: &Staff,
    v: DefForm,
    errors: FormErrors,
    ok: Option<&str>,
) -> PageResult {
    let defs = custom_fields::definitions(&state.svc, &staff.caller()).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Page::new(staff, "settings", "custom-fields-title").with_flash(ok);
    Ok((
        status,
        html(&FieldsView {
            page,
            defs,
            v,
            errors,
            kinds: KINDS,
        }),
    )
        .into_response())
}

pub async fn fields(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    services::crm::access::settings(&staff.caller())?;
    let v = DefForm {
        kind: "text".into(),
        ..Default::default()
    };
    fields_view(&state, &staff, v, FormErrors::default(), f.ok.as_deref()).await
}

pub async fn create_field(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    services::crm::access::settings(&caller)?;
    let v = DefForm::from_pairs(&form_pairs(&body));
    let result = match v.input() {
        Ok(input) => custom_fields::create(&state.svc, &caller, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done("/settings/custom-fields", "custom-field-saved")),
        // The key is the primary key: a second field with it is a
        // mistake in the form, named on the key input.
        Err(services::Error::Conflict(_)) => {
            let errors = FormErrors(vec![("key".into(), staff.tr.t("custom-fields-key-taken"))]);
            fields_view(&state, &staff, v, errors, None).await
        }
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            fields_view(&state, &staff, v, errors, None).await
        }
    }
}

async fn definition(
    state: &AppState,
    staff: &Staff,
    key: &str,
) -> Result<Definition, services::Error> {
    custom_fields::definitions(&state.svc, &staff.caller())
        .await?
        .into_iter()
        .find(|d| d.key == key)
        .ok_or(services::Error::NotFound)
}

pub async fn edit_field(
    State(state): State<AppState>,
    staff: Staff,
    Path(key): Path<String>,
) -> PageResult {
    services::crm::access::settings(&staff.caller())?;
    let d = definition(&state, &staff, &key).await?;
    let mut page = Page::new(&staff, "settings", "custom-fields-edit");
    page.title = format!("{} — {}", page.title, d.label);
    Ok(html(&FieldView {
        page,
        v: DefForm::of(&d),
        errors: FormErrors::default(),
        kinds: KINDS,
    }))
}

pub async fn update_field(
    State(state): State<AppState>,
    staff: Staff,
    Path(key): Path<String>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::crm::access::settings(&caller)?;
    let mut v = DefForm::from_pairs(&form_pairs(&body));
    // The key never changes: customers' values are stored under it.
    v.key = key.clone();
    let result = match v.input() {
        Ok(input) => custom_fields::update(&state.svc, &caller, &key, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(done("/settings/custom-fields", "custom-field-saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let page = Page::new(&staff, "settings", "custom-fields-edit");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&FieldView {
                    page,
                    v,
                    errors,
                    kinds: KINDS,
                }),
            )
                .into_response())
        }
    }
}

pub async fn delete_field(
    State(state): State<AppState>,
    staff: Staff,
    Path(key): Path<String>,
) -> PageResult {
    match custom_fields::delete(&state.svc, &staff.caller(), &key).await {
        Ok(()) => Ok(done("/settings/custom-fields", "custom-field-deleted")),
        // In use: the list again, with the reason on top.
        Err(e @ services::Error::Refused(_)) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let v = DefForm {
                kind: "text".into(),
                ..Default::default()
            };
            fields_view(&state, &staff, v, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A placeholder with its translated description.
pub struct Placeholder {
    /// As typed in a template: `{{name}}`.
    pub token: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "settings_contract_template.html")]
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

#[derive(serde::Deserialize)]
pub struct TemplateQuery {
    pub locale: Option<String>,
    pub ok: Option<String>,
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
            description: staff
                .tr
                .t(&format!("placeholder-{}", name.replace(['.', '_'], "-"))),
        })
        .collect()
}

async fn template_view(
    state: &AppState,
    staff: &Staff,
    locale: &'static str,
    typed: Option<String>,
    errors: FormErrors,
    ok: Option<&str>,
) -> PageResult {
    let t = contract_document::template(&state.svc, &staff.caller(), locale).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Page::new(staff, "settings", "contract-template-title").with_flash(ok);
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

pub async fn template_form(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<TemplateQuery>,
) -> PageResult {
    let locale = locale_of(&staff, q.locale.as_deref());
    template_view(
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
    format!("/settings/contract-template?locale={locale}")
}

pub async fn template_save(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let p = form_pairs(&body);
    let locale = locale_of(&staff, Some(&field(&p, "locale")));
    let text = field(&p, "body");
    match contract_document::save_template(&state.svc, &staff.caller(), locale, &text).await {
        Ok(()) => Ok(done(&back_to(locale), "contract-template-saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            template_view(&state, &staff, locale, Some(text), errors, None).await
        }
    }
}

pub async fn template_reset(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> PageResult {
    let locale = locale_of(&staff, Some(&field(&form_pairs(&body), "locale")));
    contract_document::reset_template(&state.svc, &staff.caller(), locale).await?;
    Ok(done(&back_to(locale), "contract-template-reset"))
}

/// The PDF of the text as typed, with sample values; a template with an
/// error comes back as the form with the error next to the text.
pub async fn template_preview(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> PageResult {
    let p = form_pairs(&body);
    let locale = locale_of(&staff, Some(&field(&p, "locale")));
    let text = field(&p, "body");
    match contract_document::preview(&state.svc, &staff.caller(), locale, &text).await {
        Ok(pdf) => Ok((
            [
                (header::CONTENT_TYPE, "application/pdf"),
                (
                    header::CONTENT_DISPOSITION,
                    "inline; filename=\"contract-preview.pdf\"",
                ),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            pdf,
        )
            .into_response()),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            template_view(&state, &staff, locale, Some(text), errors, None).await
        }
    }
}
