//! Tax rates: the list, and the form to create or edit one (name, rate in
//! percent, how it applies, the plans' tax category, active).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use domain::billing::Rate;
use domain::billing::rate::RateError;
use services::Error;
use services::billing::taxes::{self, TaxInput, TaxRate};

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

/// The ways a tax applies, in the order the form offers them.
pub const MODES: &[&str] = &["on_top", "included_vat", "included_share"];

#[derive(Template)]
#[template(path = "billing_taxes.html")]
struct ListView {
    page: Page,
    tab: &'static str,
    rates: Vec<TaxRate>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let rates = taxes::list(&state.svc, &staff.caller()).await?;
    let page = Page::new(&staff, "billing", "bill-taxes-title").with_flash(f.ok.as_deref());
    Ok(html(&ListView {
        page,
        tab: "taxes",
        rates,
    }))
}

/// The form as typed.
#[derive(Debug, Clone, Default)]
struct TaxForm {
    name: String,
    percent: String,
    mode: String,
    category: String,
    position: String,
    active: bool,
}

impl TaxForm {
    fn from_pairs(p: &[(String, String)]) -> TaxForm {
        TaxForm {
            name: field(p, "name"),
            percent: field(p, "percent"),
            mode: field(p, "mode"),
            category: field(p, "category"),
            position: field(p, "position"),
            active: field(p, "active") == "1",
        }
    }

    fn of(t: &TaxRate, tr: &Tr) -> TaxForm {
        let percent = u32::try_from(t.rate_ppm)
            .map(|p| Rate(p).percent_text())
            .unwrap_or_default();
        TaxForm {
            name: t.name.clone(),
            percent: match tr.locale {
                domain::Locale::PtBr => percent.replace('.', ","),
                domain::Locale::En => percent,
            },
            mode: t.mode.clone(),
            category: t.category.clone(),
            position: t.position.to_string(),
            active: t.active,
        }
    }

    /// The service's input. The percentage is checked here too, so its
    /// message says in the user's language which rule it broke (the
    /// service checks it again).
    fn input(&self, tr: &Tr) -> Result<TaxInput, (&'static str, String)> {
        if let Err(e) = Rate::parse_percent(&self.percent) {
            let key = match e {
                RateError::OverHundred => "bill-rate-over-hundred",
                RateError::Precision => "bill-rate-precision",
                _ => "bill-rate-format",
            };
            return Err(("percent", tr.t(key)));
        }
        let position = match self.position.trim() {
            "" => 0,
            p => p.parse().map_err(|_| ("position", tr.t("invalid-range")))?,
        };
        Ok(TaxInput {
            name: self.name.clone(),
            percent: self.percent.clone(),
            mode: self.mode.clone(),
            category: self.category.clone(),
            position,
            active: self.active,
        })
    }
}

#[derive(Template)]
#[template(path = "billing_tax_form.html")]
struct FormView {
    page: Page,
    id: Option<i64>,
    v: TaxForm,
    modes: &'static [&'static str],
    errors: FormErrors,
}

fn form_view(staff: &Staff, id: Option<i64>, v: TaxForm, errors: FormErrors) -> FormView {
    let key = if id.is_some() {
        "bill-tax-edit"
    } else {
        "bill-tax-new"
    };
    FormView {
        page: Page::new(staff, "billing", key),
        id,
        v,
        modes: MODES,
        errors,
    }
}

pub async fn new_form(staff: Staff) -> PageResult {
    staff.caller().require(Permission::BillingManage)?;
    let v = TaxForm {
        mode: "included_share".into(),
        active: true,
        position: "0".into(),
        ..Default::default()
    };
    Ok(html(&form_view(&staff, None, v, FormErrors::default())))
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingManage)?;
    let t = taxes::get(&state.svc, &caller, id).await?;
    let v = TaxForm::of(&t, &staff.tr);
    Ok(html(&form_view(&staff, Some(id), v, FormErrors::default())))
}

async fn save(state: &AppState, staff: &Staff, id: Option<i64>, body: &[u8]) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingManage)?;
    let v = TaxForm::from_pairs(&form_pairs(body));
    let errors = match v.input(&staff.tr) {
        Err((field, msg)) => FormErrors(vec![(field.to_owned(), msg)]),
        Ok(input) => {
            let result = match id {
                Some(id) => taxes::update(&state.svc, &caller, id, &input).await,
                None => taxes::create(&state.svc, &caller, &input).await.map(|_| ()),
            };
            match result {
                Ok(()) => {
                    let ok = if id.is_some() {
                        "tax-saved"
                    } else {
                        "tax-created"
                    };
                    return Ok(done("/billing/taxes", ok));
                }
                // The one conflict a rate has is its name.
                Err(Error::Conflict("name")) => {
                    FormErrors(vec![("name".into(), staff.tr.t("bill-tax-name-taken"))])
                }
                Err(e) => FormErrors::from_error(&staff.tr, e)?,
            }
        }
    };
    let view = form_view(staff, id, v, errors);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

pub async fn create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    save(&state, &staff, None, &body).await
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    save(&state, &staff, Some(id), &body).await
}
