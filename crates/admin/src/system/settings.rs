//! Settings: the company profile, and one page per settings group, all
//! driven by the definitions in `domain::system::settings`.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use domain::system::settings::{DEFS, Group, Kind};

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

/// One input on a settings page.
pub struct SettingField {
    pub key: &'static str,
    pub id: String,
    pub label_key: String,
    pub hint_key: String,
    pub kind: &'static str,
    pub value: String,
    pub choices: Vec<&'static str>,
    pub min: i64,
    pub max: i64,
}

impl SettingField {
    /// Whether `choice` is the current value.
    pub fn is(&self, choice: &str) -> bool {
        self.value == choice
    }
    /// The catalogue prefix of this setting's choice labels
    /// (`setting-billing-proration-actual-days`).
    pub fn choice_prefix(&self) -> String {
        format!("{}-", self.label_key)
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
struct GroupView {
    page: Page,
    group: &'static str,
    fields: Vec<SettingField>,
    errors: FormErrors,
    can_edit: bool,
    /// The e-mail page: recent outbox messages and the test recipient.
    outbox: Vec<services::system::email::Message>,
    test_to: String,
    /// Payment gateway pages: what the last "test connection" answered.
    test_detail: String,
}

#[derive(Template)]
#[template(path = "settings_company.html")]
struct CompanyView {
    page: Page,
    c: services::system::setup::Company,
    errors: FormErrors,
    can_edit: bool,
}

pub async fn company_form(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let c = services::system::setup::profile(&state.svc, &staff.caller()).await?;
    let page = Page::new(&staff, "settings", "nav-settings").with_flash(f.ok.as_deref());
    let can_edit = staff.principal.can(Permission::SettingsManage);
    Ok(html(&CompanyView {
        page,
        c,
        errors: FormErrors::default(),
        can_edit,
    }))
}

pub async fn company_save(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let p = form_pairs(&body);
    let c = services::system::setup::Company {
        name: field(&p, "company").trim().to_owned(),
        legal_document: field(&p, "legal_document").trim().to_owned(),
        country: field(&p, "country").trim().to_uppercase(),
        currency: field(&p, "currency").trim().to_uppercase(),
        locale: field(&p, "locale"),
        timezone: field(&p, "timezone").trim().to_owned(),
    };
    match services::system::setup::update_company(&state.svc, &staff.caller(), &c).await {
        Ok(()) => Ok(done("/settings", "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let page = Page::new(&staff, "settings", "nav-settings");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&CompanyView {
                    page,
                    c,
                    errors,
                    can_edit: true,
                }),
            )
                .into_response())
        }
    }
}

fn fields_of(
    group: Group,
    s: &services::system::settings::Settings,
    overrides: &BTreeMap<String, String>,
) -> Vec<SettingField> {
    DEFS.iter()
        .filter(|d| d.group == group)
        .map(|d| {
            let slug = d.key.replace(['.', '_'], "-");
            let (kind, choices, min, max) = match d.kind {
                Kind::Int { min, max } => ("number", vec![], min, max),
                Kind::Bool => ("bool", vec![], 0, 0),
                Kind::Text { .. } | Kind::RoleList | Kind::NumberPrefix => ("text", vec![], 0, 0),
                Kind::Email => ("email", vec![], 0, 0),
                Kind::Choice(c) => ("choice", c.to_vec(), 0, 0),
                Kind::Secret => ("secret", vec![], 0, 0),
                Kind::Url => ("url", vec![], 0, 0),
                Kind::Pem { secret: false } => ("pem", vec![], 0, 0),
                Kind::Pem { secret: true } => ("secret_pem", vec![], 0, 0),
            };
            // A secret typed into a form that failed validation is never
            // sent back (not even as a placeholder).
            let value = overrides
                .get(d.key)
                .filter(|_| !d.kind.is_secret())
                .cloned()
                .unwrap_or_else(|| s.display(d.key));
            SettingField {
                key: d.key,
                id: slug.clone(),
                label_key: format!("setting-{slug}"),
                hint_key: format!("setting-{slug}-hint"),
                kind,
                value,
                choices,
                min,
                max,
            }
        })
        .collect()
}

pub async fn group_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(group): Path<String>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let caller = staff.caller();
    let s = services::system::settings::read(&state.svc, &caller).await?;
    let g = Group::from_slug(&group).ok_or(services::Error::NotFound)?;
    let page = Page::new(&staff, "settings", "nav-settings").with_flash(f.ok.as_deref());
    let can_edit = staff.principal.can(Permission::SettingsManage);
    let outbox = if g == Group::Email {
        services::system::email::recent(&state.svc, &caller, 10).await?
    } else {
        Vec::new()
    };
    Ok(html(&GroupView {
        page,
        group: g.slug(),
        fields: fields_of(g, &s, &BTreeMap::new()),
        errors: FormErrors::default(),
        can_edit,
        outbox,
        test_to: staff.principal.user.email.clone(),
        test_detail: String::new(),
    }))
}

/// "Test connection" on a payment gateway's page: signs in to the
/// provider with the saved settings and shows the page with what it
/// answered (nothing is charged).
pub async fn test_gateway(
    State(state): State<AppState>,
    staff: Staff,
    Path(group): Path<String>,
) -> PageResult {
    let caller = staff.caller();
    let g = Group::from_slug(&group).ok_or(services::Error::NotFound)?;
    if !matches!(
        g,
        Group::Pix | Group::Boleto | Group::Stripe | Group::Paypal
    ) {
        return Err(services::Error::NotFound.into());
    }
    let outcome = services::payments::gateways::test_connection(&state.svc, &caller, g).await?;
    let s = services::system::settings::read(&state.svc, &caller).await?;
    let flash = outcome.flash_key().trim_start_matches("flash-");
    let page = Page::new(&staff, "settings", "nav-settings").with_flash(Some(flash));
    Ok(html(&GroupView {
        page,
        group: g.slug(),
        fields: fields_of(g, &s, &BTreeMap::new()),
        errors: FormErrors::default(),
        can_edit: true,
        outbox: Vec::new(),
        test_to: String::new(),
        test_detail: outcome.detail(),
    }))
}

/// Queues a test message through the outbox and starts the outbox job.
pub async fn send_test_email(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> PageResult {
    let pairs = form_pairs(&body);
    let to = field(&pairs, "to");
    match services::system::email::send_test_email(&state.svc, &staff.caller(), &to).await {
        Ok(_) => Ok(done("/settings/email", "test-email-queued")),
        Err(services::Error::Invalid { .. }) => {
            Ok(done("/settings/email", "test-email-bad-address"))
        }
        Err(services::Error::Refused(code)) => {
            Ok(done("/settings/email", &format!("refused-{code}")))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn group_save(
    State(state): State<AppState>,
    staff: Staff,
    Path(group): Path<String>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::system::settings::may_update(&caller)?;
    let g = Group::from_slug(&group).ok_or(services::Error::NotFound)?;
    let pairs = form_pairs(&body);
    let values: BTreeMap<String, String> = DEFS
        .iter()
        .filter(|d| d.group == g)
        .map(|d| {
            let v = field(&pairs, d.key);
            let v = if d.kind == Kind::Bool && v.is_empty() {
                "false".to_owned()
            } else {
                v
            };
            (d.key.to_owned(), v)
        })
        .collect();
    match services::system::settings::update(&state.svc, &caller, &values).await {
        Ok(_) => Ok(done(&format!("/settings/{}", g.slug()), "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let s = services::system::settings::current(&state.svc).await?;
            let page = Page::new(&staff, "settings", "nav-settings");
            let view = GroupView {
                page,
                group: g.slug(),
                fields: fields_of(g, &s, &values),
                errors,
                can_edit: true,
                outbox: Vec::new(),
                test_to: staff.principal.user.email.clone(),
                test_detail: String::new(),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}
