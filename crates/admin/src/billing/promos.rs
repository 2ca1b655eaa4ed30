//! Promo codes: the list (search, active / expired / inactive, uses, CSV),
//! create and edit, and deactivating with a confirmation.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use domain::Permission;
use domain::billing::Rate;
use services::Error;
use services::billing::promos::{self, Filter, Promo, PromoInput};

use crate::error::PageResult;
use crate::shared::int_opt;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, fields, form_pairs};
use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing/promo-codes", get(list))
        .route("/billing/promo-codes/export.csv", get(export))
        .route("/billing/promo-codes/new", get(new_form).post(create))
        .route("/billing/promo-codes/{id}", get(edit_form).post(update))
        .route("/billing/promo-codes/{id}/deactivate", post(deactivate))
}

const PAGE_SIZE: i64 = 50;

/// A discount's amount as people read it: money or a percentage.
pub fn amount_text(tr: &Tr, kind: &str, value: i64) -> String {
    if kind == "percent" {
        format!(
            "{} %",
            Rate(u32::try_from(value).unwrap_or(0)).percent_text()
        )
    } else {
        tr.money(value)
    }
}

/// The amount as typed back into a form.
pub fn amount_input(tr: &Tr, kind: &str, value: i64) -> String {
    if kind == "percent" {
        Rate(u32::try_from(value).unwrap_or(0)).percent_text()
    } else {
        tr.money_decimal(value)
    }
}

/// The typed amount in the services' unit: minor units or ppm; the error
/// names `value`.
pub fn parse_amount(tr: &Tr, kind: &str, s: &str) -> Result<i64, Error> {
    if kind == "percent" {
        Rate::parse_percent(s)
            .map(|r| i64::from(r.0))
            .map_err(|e| Error::invalid_msg("value", e.to_string()))
    } else {
        crate::shared::money(tr, "value", s).map(|m| m.0)
    }
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    /// `active`, `expired`, `inactive`; empty: all.
    state: Option<String>,
    after: Option<i64>,
    ok: Option<String>,
}

impl ListQuery {
    fn filter(&self, limit: i64) -> Filter {
        Filter {
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            state: self.state.clone().filter(|s| !s.is_empty()),
            after_id: self.after,
            limit,
            ..Filter::default()
        }
    }

    fn params(&self) -> String {
        serde_urlencoded::to_string([
            ("q", self.q.clone().unwrap_or_default()),
            ("state", self.state.clone().unwrap_or_default()),
        ])
        .unwrap_or_default()
    }
}

/// A row of the list.
struct Row {
    p: Promo,
    amount: String,
    /// `active`, `expired`, `scheduled` or `inactive`.
    state: &'static str,
}

fn state_of(p: &Promo, today: &str) -> &'static str {
    if !p.active {
        "inactive"
    } else if p.valid_until.as_deref().is_some_and(|u| u < today) {
        "expired"
    } else if p.valid_from.as_deref().is_some_and(|f| f > today) {
        "scheduled"
    } else {
        "active"
    }
}

fn today(staff: &Staff) -> String {
    jiff::Timestamp::now()
        .to_zoned(staff.tz.clone())
        .date()
        .to_string()
}

#[derive(Template)]
#[template(path = "billing_promos.html")]
struct ListView {
    page: Page,
    rows: Vec<Row>,
    q: String,
    state: String,
    next: Option<String>,
    /// Past the first page.
    paged: bool,
    first_href: String,
    export_href: String,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    let (list, more) = promos::list(&state.svc, &caller, &f.filter(PAGE_SIZE)).await?;
    let qs = f.params();
    let next = more
        .then(|| list.last())
        .flatten()
        .map(|p| format!("/billing/promo-codes?{qs}&after={}", p.id));
    let today = today(&staff);
    let rows = list
        .into_iter()
        .map(|p| Row {
            amount: amount_text(&staff.tr, &p.kind, p.value),
            state: state_of(&p, &today),
            p,
        })
        .collect();
    let page = Page::new(&staff, "billing", "promos-title").with_flash(f.ok.as_deref());
    Ok(html(&ListView {
        page,
        rows,
        q: f.q.clone().unwrap_or_default(),
        state: f.state.clone().unwrap_or_default(),
        next,
        paged: f.after.is_some(),
        first_href: format!("/billing/promo-codes?{qs}"),
        export_href: format!("/billing/promo-codes/export.csv?{qs}"),
    }))
}

/// Every matching code as CSV (codes are few: read in pages, sent whole).
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingView)?;
    let delimiter = crate::shared::csv_delimiter(&staff);
    let mut out = crate::shared::BOM.to_vec();
    out.extend(crate::shared::csv_chunk(
        delimiter,
        [[
            "code",
            "kind",
            "value",
            "description",
            "valid_from",
            "valid_until",
            "max_uses",
            "max_uses_per_customer",
            "cycles",
            "uses",
            "state",
        ]],
    )?);
    let today = today(&staff);
    let mut filter = f.filter(500);
    filter.after_id = None;
    let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    loop {
        let (list, more) = promos::list(&state.svc, &caller, &filter).await?;
        filter.after_id = list.last().map(|p| p.id);
        let records = list.iter().map(|p| {
            [
                p.code.clone(),
                p.kind.clone(),
                amount_input(&staff.tr, &p.kind, p.value),
                p.description.clone(),
                p.valid_from.clone().unwrap_or_default(),
                p.valid_until.clone().unwrap_or_default(),
                opt(p.max_uses),
                opt(p.max_uses_per_customer),
                opt(p.cycles),
                p.uses.to_string(),
                state_of(p, &today).to_owned(),
            ]
        });
        out.extend(crate::shared::csv_chunk(delimiter, records)?);
        if !more {
            break;
        }
    }
    Ok(crate::shared::csv_response(
        "promo-codes.csv",
        axum::body::Body::from(out),
    ))
}

/// A promo code as typed.
#[derive(Debug, Default, Clone)]
struct PromoForm {
    code: String,
    kind: String,
    value: String,
    description: String,
    valid_from: String,
    valid_until: String,
    max_uses: String,
    max_uses_per_customer: String,
    cycles: String,
    plan_ids: Vec<String>,
    active: bool,
}

impl PromoForm {
    fn from_pairs(p: &[(String, String)]) -> PromoForm {
        PromoForm {
            code: field(p, "code"),
            kind: field(p, "kind"),
            value: field(p, "value"),
            description: field(p, "description"),
            valid_from: field(p, "valid_from"),
            valid_until: field(p, "valid_until"),
            max_uses: field(p, "max_uses"),
            max_uses_per_customer: field(p, "max_uses_per_customer"),
            cycles: field(p, "cycles"),
            plan_ids: fields(p, "plan_ids"),
            active: field(p, "active") == "1",
        }
    }

    fn of(f: &promos::Full, tr: &Tr) -> PromoForm {
        let p = &f.promo;
        let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        PromoForm {
            code: p.code.clone(),
            kind: p.kind.clone(),
            value: amount_input(tr, &p.kind, p.value),
            description: p.description.clone(),
            valid_from: p.valid_from.clone().unwrap_or_default(),
            valid_until: p.valid_until.clone().unwrap_or_default(),
            max_uses: opt(p.max_uses),
            max_uses_per_customer: opt(p.max_uses_per_customer),
            cycles: opt(p.cycles),
            plan_ids: f.plan_ids.iter().map(ToString::to_string).collect(),
            active: p.active,
        }
    }

    fn input(&self, tr: &Tr) -> Result<PromoInput, Error> {
        let mut plan_ids = Vec::new();
        for p in &self.plan_ids {
            if let Some(id) = int_opt("plan_ids", p)? {
                plan_ids.push(id);
            }
        }
        if !matches!(self.kind.as_str(), "fixed" | "percent") {
            return Err(Error::invalid("kind", domain::validate::FieldError::Choice));
        }
        Ok(PromoInput {
            code: self.code.clone(),
            kind: self.kind.clone(),
            value: parse_amount(tr, &self.kind, &self.value)?,
            description: self.description.clone(),
            valid_from: self.valid_from.clone(),
            valid_until: self.valid_until.clone(),
            max_uses: int_opt("max_uses", &self.max_uses)?,
            max_uses_per_customer: int_opt("max_uses_per_customer", &self.max_uses_per_customer)?,
            cycles: int_opt("cycles", &self.cycles)?,
            plan_ids,
            active: self.active,
        })
    }

    fn has_plan(&self, id: &i64) -> bool {
        self.plan_ids.iter().any(|p| p.trim() == id.to_string())
    }
}

#[derive(Template)]
#[template(path = "billing_promo_form.html")]
struct FormView {
    page: Page,
    id: Option<i64>,
    v: PromoForm,
    errors: FormErrors,
    plans: Vec<(i64, String)>,
    /// Times redeemed (an existing code).
    uses: i64,
    active: bool,
}

async fn form_view(
    state: &AppState,
    staff: &Staff,
    id: Option<i64>,
    v: PromoForm,
    errors: FormErrors,
) -> Result<FormView, crate::error::Fail> {
    let plans = services::catalog::plan_names(&state.svc, &staff.caller()).await?;
    let key = if id.is_some() {
        "promos-edit"
    } else {
        "promos-new"
    };
    let mut page = Page::new(staff, "billing", key);
    if id.is_some() {
        page.title = v.code.clone();
    }
    Ok(FormView {
        page,
        id,
        active: v.active,
        v,
        errors,
        plans,
        uses: 0,
    })
}

async fn refused(
    state: &AppState,
    staff: &Staff,
    id: Option<i64>,
    v: PromoForm,
    e: Error,
) -> PageResult {
    let errors = FormErrors::from_error(&staff.tr, e)?;
    let view = form_view(state, staff, id, v, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

pub async fn new_form(State(state): State<AppState>, staff: Staff) -> PageResult {
    staff.caller().require(Permission::BillingManage)?;
    let v = PromoForm {
        kind: "percent".into(),
        active: true,
        ..Default::default()
    };
    Ok(html(
        &form_view(&state, &staff, None, v, FormErrors::default()).await?,
    ))
}

pub async fn create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingManage)?;
    let v = PromoForm::from_pairs(&form_pairs(&body));
    let result = match v.input(&staff.tr) {
        Ok(input) => promos::create(&state.svc, &caller, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(done(
            &format!("/billing/promo-codes/{}", p.promo.id),
            "promo-created",
        )),
        Err(e) => refused(&state, &staff, None, v, e).await,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let p = promos::get(&state.svc, &staff.caller(), id).await?;
    let mut view = form_view(
        &state,
        &staff,
        Some(id),
        PromoForm::of(&p, &staff.tr),
        FormErrors::default(),
    )
    .await?;
    view.uses = p.promo.uses;
    view.page = view.page.with_flash(f.ok.as_deref());
    Ok(html(&view))
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingManage)?;
    let before = promos::get(&state.svc, &caller, id).await?;
    let v = PromoForm::from_pairs(&form_pairs(&body));
    let result = match v.input(&staff.tr) {
        Ok(input) => promos::update(&state.svc, &caller, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/billing/promo-codes/{id}"), "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let mut view = form_view(&state, &staff, Some(id), v, errors).await?;
            view.uses = before.promo.uses;
            view.page.title = before.promo.code;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn deactivate(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    promos::deactivate(&state.svc, &staff.caller(), id).await?;
    Ok(done(
        &format!("/billing/promo-codes/{id}"),
        "promo-deactivated",
    ))
}
