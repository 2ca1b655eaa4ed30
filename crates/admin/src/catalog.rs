//! The catalog: plans and service items (list, create, edit) and the
//! previewed bulk re-pricing of a plan's contracts.

use crate::views::NavItem;
use axum::Router;
use axum::routing::get;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use domain::catalog::{
    BURST_DOWN_FIELDS, BURST_UP_FIELDS, BillingMode, Burst, Cycle, Plan, Quota, QuotaAction,
    ServiceItem, SuspendedBehavior, Technology,
};
use services::Error;
use services::catalog::{self, RepricingPreview};

use crate::error::{Fail, PageResult};
use crate::shared::{int, int_opt, money};
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

/// The catalog's navigation entry.
pub const NAV: NavItem = NavItem {
    key: "plans",
    href: "/plans",
    icon: "M4 6h16v2H4zm0 5h16v2H4zm0 5h10v2H4z",
    ready: true,
    perm: Some(Permission::PlansView),
};

/// Plans, their re-pricing, service items.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans", get(list))
        .route("/plans/new", get(new_form).post(create))
        .route("/plans/{id}", get(edit_form).post(update))
        .route("/plans/{id}/reprice", get(reprice_form).post(reprice_apply))
        .route("/service-items/new", get(new_item).post(create_item))
        .route("/service-items/{id}", get(edit_item).post(update_item))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    /// `active` (default), `retired` or `all`.
    status: Option<String>,
    technology: Option<String>,
    /// `internet` (default) or `items`.
    kind: Option<String>,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct ListView {
    page: Page,
    plans: Vec<services::catalog::PlanRow>,
    items: Vec<services::catalog::ServiceItemRow>,
    status: String,
    technology: String,
    kind: String,
    technologies: &'static [Technology],
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    let status = q.status.clone().unwrap_or_else(|| "active".into());
    let keep = |active: bool| match status.as_str() {
        "retired" => !active,
        "all" => true,
        _ => active,
    };
    let technology = q.technology.clone().unwrap_or_default();
    let kind = match q.kind.as_deref() {
        Some("items") => "items",
        _ => "internet",
    };
    let (plans, items) = if kind == "items" {
        let items = catalog::list_items(&state.svc, &caller, true)
            .await?
            .into_iter()
            .filter(|i| keep(i.active))
            .collect();
        (Vec::new(), items)
    } else {
        let plans = catalog::list_plans(&state.svc, &caller, true, false)
            .await?
            .into_iter()
            .filter(|p| keep(p.active))
            .filter(|p| technology.is_empty() || p.technology == technology)
            .collect();
        (plans, Vec::new())
    };
    let page = Page::new(&staff, "plans", "nav-plans").with_flash(q.ok.as_deref());
    Ok(html(&ListView {
        page,
        plans,
        items,
        status,
        technology,
        kind: kind.into(),
        technologies: Technology::ALL,
    }))
}

/// Every plan field as typed.
#[derive(Debug, Default, Clone)]
struct PlanForm {
    name: String,
    description: String,
    download_kbps: String,
    upload_kbps: String,
    burst_down_rate_kbps: String,
    burst_down_threshold_kbps: String,
    burst_down_time_secs: String,
    burst_up_rate_kbps: String,
    burst_up_threshold_kbps: String,
    burst_up_time_secs: String,
    quota_mb: String,
    quota_action: String,
    quota_throttle_kbps: String,
    price: String,
    billing_mode: String,
    cycle: String,
    installation_fee: String,
    loyalty_months: String,
    early_termination_fee: String,
    tax_category: String,
    technology: String,
    suspended_behavior: String,
    active: bool,
    public: bool,
}

fn opt_text(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

impl PlanForm {
    fn from_pairs(p: &[(String, String)]) -> PlanForm {
        PlanForm {
            name: field(p, "name"),
            description: field(p, "description"),
            download_kbps: field(p, "download_kbps"),
            upload_kbps: field(p, "upload_kbps"),
            burst_down_rate_kbps: field(p, "burst_down_rate_kbps"),
            burst_down_threshold_kbps: field(p, "burst_down_threshold_kbps"),
            burst_down_time_secs: field(p, "burst_down_time_secs"),
            burst_up_rate_kbps: field(p, "burst_up_rate_kbps"),
            burst_up_threshold_kbps: field(p, "burst_up_threshold_kbps"),
            burst_up_time_secs: field(p, "burst_up_time_secs"),
            quota_mb: field(p, "quota_mb"),
            quota_action: field(p, "quota_action"),
            quota_throttle_kbps: field(p, "quota_throttle_kbps"),
            price: field(p, "price"),
            billing_mode: field(p, "billing_mode"),
            cycle: field(p, "cycle"),
            installation_fee: field(p, "installation_fee"),
            loyalty_months: field(p, "loyalty_months"),
            early_termination_fee: field(p, "early_termination_fee"),
            tax_category: field(p, "tax_category"),
            technology: field(p, "technology"),
            suspended_behavior: field(p, "suspended_behavior"),
            active: field(p, "active") == "1",
            public: field(p, "public") == "1",
        }
    }

    fn of(r: &services::catalog::PlanRow, tr: &Tr) -> PlanForm {
        let decimal = |minor: i64| tr.money_decimal(minor);
        PlanForm {
            name: r.name.clone(),
            description: r.description.clone(),
            download_kbps: r.download_kbps.to_string(),
            upload_kbps: r.upload_kbps.to_string(),
            burst_down_rate_kbps: opt_text(r.burst_down_rate_kbps),
            burst_down_threshold_kbps: opt_text(r.burst_down_threshold_kbps),
            burst_down_time_secs: opt_text(r.burst_down_time_secs),
            burst_up_rate_kbps: opt_text(r.burst_up_rate_kbps),
            burst_up_threshold_kbps: opt_text(r.burst_up_threshold_kbps),
            burst_up_time_secs: opt_text(r.burst_up_time_secs),
            quota_mb: opt_text(r.quota_mb),
            quota_action: r.quota_action.clone().unwrap_or_default(),
            quota_throttle_kbps: opt_text(r.quota_throttle_kbps),
            price: decimal(r.price),
            billing_mode: r.billing_mode.clone(),
            cycle: r.cycle.clone(),
            installation_fee: decimal(r.installation_fee),
            loyalty_months: r.loyalty_months.to_string(),
            early_termination_fee: decimal(r.early_termination_fee),
            tax_category: r.tax_category.clone(),
            technology: r.technology.clone(),
            suspended_behavior: r.suspended_behavior.clone(),
            active: r.active,
            public: r.public,
        }
    }

    /// A burst as typed: each part a number or empty; which parts go
    /// together is the domain's rule, the same as the API's.
    fn burst(names: [&'static str; 3], vals: [&str; 3]) -> Result<Option<Burst>, Error> {
        let parts = [
            int_opt(names[0], vals[0])?,
            int_opt(names[1], vals[1])?,
            int_opt(names[2], vals[2])?,
        ];
        Burst::from_parts(names, parts).map_err(|e| Error::invalid(e.field, e.error))
    }

    /// The domain plan, or the first field that does not parse.
    fn plan(&self, tr: &Tr) -> Result<Plan, Error> {
        let choice = |f: &'static str| Error::invalid(f, domain::validate::FieldError::Choice);
        let action = match self.quota_action.trim() {
            "" => None,
            a => Some(QuotaAction::parse(a).ok_or_else(|| choice("quota_action"))?),
        };
        let quota = Quota::from_parts(
            int_opt("quota_mb", &self.quota_mb)?,
            action,
            int_opt("quota_throttle_kbps", &self.quota_throttle_kbps)?,
        )
        .map_err(|e| Error::invalid(e.field, e.error))?;
        Ok(Plan {
            name: self.name.clone(),
            description: self.description.clone(),
            download_kbps: int("download_kbps", &self.download_kbps)?,
            upload_kbps: int("upload_kbps", &self.upload_kbps)?,
            burst_down: Self::burst(
                BURST_DOWN_FIELDS,
                [
                    &self.burst_down_rate_kbps,
                    &self.burst_down_threshold_kbps,
                    &self.burst_down_time_secs,
                ],
            )?,
            burst_up: Self::burst(
                BURST_UP_FIELDS,
                [
                    &self.burst_up_rate_kbps,
                    &self.burst_up_threshold_kbps,
                    &self.burst_up_time_secs,
                ],
            )?,
            quota,
            price: money(tr, "price", &self.price)?,
            billing_mode: BillingMode::parse(&self.billing_mode)
                .ok_or_else(|| choice("billing_mode"))?,
            cycle: Cycle::parse(&self.cycle).ok_or_else(|| choice("cycle"))?,
            installation_fee: if self.installation_fee.trim().is_empty() {
                domain::Money::ZERO
            } else {
                money(tr, "installation_fee", &self.installation_fee)?
            },
            loyalty_months: if self.loyalty_months.trim().is_empty() {
                0
            } else {
                int("loyalty_months", &self.loyalty_months)?
            },
            early_termination_fee: if self.early_termination_fee.trim().is_empty() {
                domain::Money::ZERO
            } else {
                money(tr, "early_termination_fee", &self.early_termination_fee)?
            },
            tax_category: self.tax_category.clone(),
            technology: Technology::parse(&self.technology).ok_or_else(|| choice("technology"))?,
            suspended_behavior: SuspendedBehavior::parse(&self.suspended_behavior)
                .ok_or_else(|| choice("suspended_behavior"))?,
            active: self.active,
            public: self.public,
        })
    }
}

#[derive(Template)]
#[template(path = "plan_form.html")]
struct PlanView {
    page: Page,
    id: Option<i64>,
    v: PlanForm,
    errors: FormErrors,
    counts: Vec<(String, i64)>,
    billing_modes: &'static [BillingMode],
    cycles: &'static [Cycle],
    technologies: &'static [Technology],
    behaviors: &'static [SuspendedBehavior],
    quota_actions: &'static [QuotaAction],
}

fn plan_view(page: Page, id: Option<i64>, v: PlanForm, errors: FormErrors) -> PlanView {
    PlanView {
        page,
        id,
        v,
        errors,
        counts: Vec::new(),
        billing_modes: BillingMode::ALL,
        cycles: Cycle::ALL,
        technologies: Technology::ALL,
        behaviors: SuspendedBehavior::ALL,
        quota_actions: QuotaAction::ALL,
    }
}

/// A form error as a response (422), or the error page when it is not the
/// user's mistake.
fn plan_error(staff: &Staff, e: Error, view: impl FnOnce(FormErrors) -> PlanView) -> PageResult {
    let errors = FormErrors::from_error(&staff.tr, e)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view(errors))).into_response())
}

pub async fn new_form(staff: Staff) -> PageResult {
    catalog::access::manage(&staff.caller())?;
    let v = PlanForm {
        billing_mode: "postpaid".into(),
        cycle: "monthly".into(),
        technology: "fiber".into(),
        suspended_behavior: "restricted".into(),
        loyalty_months: "0".into(),
        active: true,
        public: true,
        ..Default::default()
    };
    let page = Page::new(&staff, "plans", "plans-new");
    Ok(html(&plan_view(page, None, v, FormErrors::default())))
}

pub async fn create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    catalog::access::manage(&caller)?;
    let v = PlanForm::from_pairs(&form_pairs(&body));
    let result = match v.plan(&staff.tr) {
        Ok(p) => catalog::create_plan(&state.svc, &caller, &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done("/plans", "plan-created")),
        Err(e) => plan_error(&staff, e, |errors| {
            plan_view(Page::new(&staff, "plans", "plans-new"), None, v, errors)
        }),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let caller = staff.caller();
    let p = catalog::get_plan(&state.svc, &caller, id).await?;
    let mut page = Page::new(&staff, "plans", "plans-edit").with_flash(f.ok.as_deref());
    page.title = p.name.clone();
    let mut view = plan_view(
        page,
        Some(id),
        PlanForm::of(&p, &staff.tr),
        FormErrors::default(),
    );
    view.counts = catalog::contract_counts(&state.svc, &caller, id).await?;
    Ok(html(&view))
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    catalog::access::manage(&caller)?;
    let before = catalog::get_plan(&state.svc, &caller, id).await?;
    let v = PlanForm::from_pairs(&form_pairs(&body));
    let result = match v.plan(&staff.tr) {
        Ok(p) => catalog::update_plan(&state.svc, &caller, id, &p).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/plans/{id}"), "saved")),
        Err(e) => plan_error(&staff, e, |errors| {
            let mut page = Page::new(&staff, "plans", "plans-edit");
            page.title = before.name.clone();
            plan_view(page, Some(id), v, errors)
        }),
    }
}

/// A service item as typed.
#[derive(Debug, Default, Clone)]
struct ItemForm {
    name: String,
    description: String,
    price: String,
    cycle: String,
    tax_category: String,
    active: bool,
}

impl ItemForm {
    fn from_pairs(p: &[(String, String)]) -> ItemForm {
        ItemForm {
            name: field(p, "name"),
            description: field(p, "description"),
            price: field(p, "price"),
            cycle: field(p, "cycle"),
            tax_category: field(p, "tax_category"),
            active: field(p, "active") == "1",
        }
    }
    fn of(i: &services::catalog::ServiceItemRow, tr: &Tr) -> ItemForm {
        ItemForm {
            name: i.name.clone(),
            description: i.description.clone(),
            price: tr.money_decimal(i.price),
            cycle: i.cycle.clone(),
            tax_category: i.tax_category.clone(),
            active: i.active,
        }
    }
    fn item(&self, tr: &Tr) -> Result<ServiceItem, Error> {
        Ok(ServiceItem {
            name: self.name.clone(),
            description: self.description.clone(),
            price: money(tr, "price", &self.price)?,
            cycle: Cycle::parse(&self.cycle)
                .ok_or_else(|| Error::invalid("cycle", domain::validate::FieldError::Choice))?,
            tax_category: self.tax_category.clone(),
            active: self.active,
        })
    }
}

#[derive(Template)]
#[template(path = "item_form.html")]
struct ItemView {
    page: Page,
    id: Option<i64>,
    v: ItemForm,
    errors: FormErrors,
    cycles: &'static [Cycle],
}

fn item_view(page: Page, id: Option<i64>, v: ItemForm, errors: FormErrors) -> ItemView {
    ItemView {
        page,
        id,
        v,
        errors,
        cycles: Cycle::ALL,
    }
}

pub async fn new_item(staff: Staff) -> PageResult {
    catalog::access::manage(&staff.caller())?;
    let v = ItemForm {
        cycle: "monthly".into(),
        active: true,
        ..Default::default()
    };
    let page = Page::new(&staff, "plans", "items-new");
    Ok(html(&item_view(page, None, v, FormErrors::default())))
}

pub async fn create_item(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    catalog::access::manage(&caller)?;
    let v = ItemForm::from_pairs(&form_pairs(&body));
    let result = match v.item(&staff.tr) {
        Ok(i) => catalog::create_item(&state.svc, &caller, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done("/plans?kind=items", "item-created")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let page = Page::new(&staff, "plans", "items-new");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&item_view(page, None, v, errors)),
            )
                .into_response())
        }
    }
}

pub async fn edit_item(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let i = catalog::get_item(&state.svc, &staff.caller(), id).await?;
    let mut page = Page::new(&staff, "plans", "items-edit").with_flash(f.ok.as_deref());
    page.title = i.name.clone();
    Ok(html(&item_view(
        page,
        Some(id),
        ItemForm::of(&i, &staff.tr),
        FormErrors::default(),
    )))
}

pub async fn update_item(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    catalog::access::manage(&caller)?;
    let v = ItemForm::from_pairs(&form_pairs(&body));
    let result = match v.item(&staff.tr) {
        Ok(i) => catalog::update_item(&state.svc, &caller, id, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/service-items/{id}"), "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let page = Page::new(&staff, "plans", "items-edit");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&item_view(page, Some(id), v, errors)),
            )
                .into_response())
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RepriceQuery {
    price: Option<String>,
}

#[derive(Template)]
#[template(path = "repricing.html")]
struct RepriceView {
    page: Page,
    plan: services::catalog::PlanRow,
    price: String,
    errors: FormErrors,
    preview: Option<RepricingPreview>,
}

const SAMPLE: i64 = 200;

async fn reprice_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    price: Option<String>,
    mut errors: FormErrors,
) -> Result<RepriceView, Fail> {
    let caller = staff.caller();
    let plan = catalog::get_plan(&state.svc, &caller, id).await?;
    let mut preview = None;
    if let Some(p) = price.as_deref() {
        let result = match money(&staff.tr, "price", p) {
            Ok(m) => catalog::preview_repricing(&state.svc, &caller, id, m, SAMPLE).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(pv) => preview = Some(pv),
            Err(e) => errors = FormErrors::from_error(&staff.tr, e)?,
        }
    }
    let mut page = Page::new(staff, "plans", "reprice-title");
    page.title = format!("{} · {}", page.title, plan.name);
    Ok(RepriceView {
        price: price.unwrap_or_else(|| staff.tr.money_decimal(plan.price)),
        page,
        plan,
        errors,
        preview,
    })
}

pub async fn reprice_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<RepriceQuery>,
) -> PageResult {
    catalog::access::manage(&staff.caller())?;
    let price = q.price.filter(|p| !p.trim().is_empty());
    Ok(html(
        &reprice_view(&state, &staff, id, price, FormErrors::default()).await?,
    ))
}

/// Applies the re-pricing the user confirmed: the form carries the
/// preview's fingerprint, which the service requires, so what changes is
/// exactly what was shown.
pub async fn reprice_apply(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    catalog::access::manage(&caller)?;
    let pairs = form_pairs(&body);
    let price = field(&pairs, "price");
    let fingerprint = field(&pairs, "fingerprint");
    let result = match money(&staff.tr, "price", &price) {
        Ok(m) => catalog::apply_repricing(&state.svc, &caller, id, m, &fingerprint).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/plans/{id}"), "repriced")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            // Show the fresh preview under the message so the user can
            // confirm again what is true now.
            let view = reprice_view(&state, &staff, id, Some(price), errors).await?;
            Ok((StatusCode::CONFLICT, html(&view)).into_response())
        }
    }
}
