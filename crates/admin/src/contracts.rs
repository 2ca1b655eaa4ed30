//! Contracts: the list (by number or login, filters, CSV export), the new
//! contract form, and the detail page with credentials, status transitions
//! and plan changes.

use axum::Router;
use axum::routing::{get, post};
use std::collections::BTreeMap;

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use domain::contracts::{Status, SuspendReason};
use services::Error;
use services::contracts::{self, ContractInput, PlanChange};
use services::contracts::{Contract, Filter};

use crate::error::{Fail, PageResult};
use crate::shared::{PlanOption, id_param, int, int_opt, money_opt, plan_names, plan_options};
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

/// Contracts: list and export, creation, status, plan changes, the
/// password reveal. (Their entry in the navigation is the customers'.)
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list))
        .route("/contracts/export.csv", get(export))
        .route("/contracts/new", get(new_form).post(create))
        .route("/contracts/{id}", get(show))
        .route("/contracts/{id}/password", post(reveal_password))
        .route("/contracts/{id}/status", post(transition))
        .route("/contracts/{id}/plan", post(change_plan))
}

const PAGE_SIZE: i64 = 25;
const EXPORT_BATCH: i64 = 500;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    plan: Option<String>,
    before: Option<i64>,
    ok: Option<String>,
}

impl ListQuery {
    fn q(&self) -> String {
        self.q.as_deref().unwrap_or("").trim().to_owned()
    }
    fn filter(&self, limit: i64) -> Filter {
        Filter {
            status: self
                .status
                .as_deref()
                .and_then(Status::parse)
                .map(|s| s.as_str().to_owned()),
            plan_id: id_param(&self.plan),
            before: self.before,
            limit,
            ..Default::default()
        }
    }
    fn params(&self) -> String {
        let p: Vec<(&str, String)> = [
            ("q", self.q()),
            ("status", self.status.clone().unwrap_or_default()),
            ("plan", self.plan.clone().unwrap_or_default()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(p).unwrap_or_default()
    }
}

/// A contract list row with its customer's and plan's names.
struct Row {
    k: Contract,
    customer: String,
    plan: String,
}

async fn rows_for(
    state: &AppState,
    caller: &services::Caller,
    list: Vec<Contract>,
    plans: &BTreeMap<i64, String>,
) -> Result<Vec<Row>, Error> {
    let ids: Vec<i64> = list.iter().map(|k| k.customer_id).collect();
    let names: BTreeMap<i64, String> = services::crm::get_customers(&state.svc, caller, &ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(list
        .into_iter()
        .map(|k| Row {
            customer: names.get(&k.customer_id).cloned().unwrap_or_default(),
            plan: plans.get(&k.plan_id).cloned().unwrap_or_default(),
            k,
        })
        .collect())
}

/// One page of the list: a search finds at most one contract.
async fn page_of(
    state: &AppState,
    caller: &services::Caller,
    f: &ListQuery,
    limit: i64,
) -> Result<(Vec<Contract>, bool), Error> {
    let q = f.q();
    if q.is_empty() {
        return contracts::list(&state.svc, caller, &f.filter(limit)).await;
    }
    Ok((contracts::search(&state.svc, caller, &q).await?, false))
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ListView {
    page: Page,
    rows: Vec<Row>,
    f: ListQuery,
    q: String,
    plans: Vec<PlanOption>,
    statuses: &'static [Status],
    next: Option<String>,
    first_href: String,
    export_href: String,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    // The contracts first: they decide whether the caller may see the page.
    let (list, more) = page_of(&state, &caller, &f, PAGE_SIZE).await?;
    let names = plan_names(&state, &staff).await?;
    let qs = f.params();
    let next = more
        .then(|| list.last())
        .flatten()
        .map(|k| format!("/contracts?{qs}&before={}", k.id));
    let rows = rows_for(&state, &caller, list, &names).await?;
    let plans = plan_options(&state, &staff).await?;
    let page = Page::new(&staff, "customers", "contracts-title").with_flash(f.ok.as_deref());
    Ok(html(&ListView {
        page,
        rows,
        q: f.q(),
        plans,
        statuses: Status::ALL,
        next,
        first_href: format!("/contracts?{qs}"),
        export_href: format!("/contracts/export.csv?{qs}"),
        f,
    }))
}

/// Every matching contract as CSV, fetched and sent in batches.
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    // The download streams after its first bytes: refused now, not cut
    // short later. An export reads the contracts it writes out.
    let caller = staff.caller();
    services::crm::access::import(&caller)?;
    contracts::access::view(&caller)?;
    let names = plan_names(&state, &staff).await?;
    let delimiter = crate::shared::csv_delimiter(&staff);
    let mut head = crate::shared::BOM.to_vec();
    head.extend(crate::shared::csv_chunk(
        delimiter,
        [[
            "number",
            "customer_id",
            "customer",
            "plan",
            "price",
            "status",
            "suspend_reason",
            "login",
            "ipv4",
            "ipv6_prefix",
            "mac",
            "billing_day",
            "start_date",
            "end_date",
            "created",
        ]],
    )?);

    struct Cursor {
        state: AppState,
        caller: services::Caller,
        f: ListQuery,
        delimiter: u8,
        tz: jiff::tz::TimeZone,
        tr: webkit::i18n::Tr,
        names: BTreeMap<i64, String>,
        head: Option<Vec<u8>>,
    }
    async fn next_chunk(cur: &mut Cursor) -> Result<(Vec<u8>, bool), Error> {
        let (list, more) = page_of(&cur.state, &cur.caller, &cur.f, EXPORT_BATCH).await?;
        cur.f.before = list.last().map(|k| k.id);
        let rows = rows_for(&cur.state, &cur.caller, list, &cur.names).await?;
        let mut out = cur.head.take().unwrap_or_default();
        let (tz, tr) = (&cur.tz, &cur.tr);
        let records = rows.into_iter().map(|r| {
            let k = &r.k;
            [
                k.number.clone(),
                k.customer_id.to_string(),
                r.customer,
                r.plan,
                tr.money_decimal(k.price),
                k.status.clone(),
                k.suspend_reason.clone().unwrap_or_default(),
                k.pppoe_login.clone(),
                k.ipv4.clone().unwrap_or_default(),
                k.ipv6_prefix.clone().unwrap_or_default(),
                k.mac.clone().unwrap_or_default(),
                k.billing_day.to_string(),
                k.start_date.clone(),
                k.end_date.clone().unwrap_or_default(),
                crate::views::format_time(k.created_at, tz),
            ]
        });
        out.extend(crate::shared::csv_chunk(cur.delimiter, records)?);
        Ok((out, more))
    }
    let mut start = f;
    start.before = None;
    let cur = Cursor {
        state: state.clone(),
        caller,
        f: start,
        delimiter,
        tz: staff.tz.clone(),
        tr: staff.tr,
        names,
        head: Some(head),
    };
    let stream = futures_util::stream::unfold(Some(cur), |cur| async move {
        let mut cur = cur?;
        match next_chunk(&mut cur).await {
            Ok((bytes, true)) => Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), Some(cur))),
            Ok((bytes, false)) => Some((Ok(Bytes::from(bytes)), None)),
            Err(e) => {
                tracing::error!(error = %e, "contract export failed");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    Ok(crate::shared::csv_response(
        "contracts.csv",
        Body::from_stream(stream),
    ))
}

/// The new-contract form as typed.
#[derive(Debug, Default, Clone)]
struct ContractForm {
    customer_id: String,
    plan_id: String,
    price: String,
    billing_day: String,
    start_date: String,
    service_address_id: String,
    login: String,
    password: String,
    mac: String,
    ipv4: String,
    ipv6_prefix: String,
    notes: String,
    promo_code: String,
    installation_installments: String,
    /// Quantity typed per service item id.
    items: BTreeMap<i64, String>,
}

impl ContractForm {
    fn from_pairs(p: &[(String, String)]) -> ContractForm {
        let items = p
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("item_")?.parse().ok()?, v.clone())))
            .collect();
        ContractForm {
            customer_id: field(p, "customer_id"),
            plan_id: field(p, "plan_id"),
            price: field(p, "price"),
            billing_day: field(p, "billing_day"),
            start_date: field(p, "start_date"),
            service_address_id: field(p, "service_address_id"),
            login: field(p, "login"),
            password: field(p, "password"),
            mac: field(p, "mac"),
            ipv4: field(p, "ipv4"),
            ipv6_prefix: field(p, "ipv6_prefix"),
            notes: field(p, "notes"),
            promo_code: field(p, "promo_code"),
            installation_installments: field(p, "installation_installments"),
            items,
        }
    }

    fn qty(&self, item_id: &i64) -> String {
        self.items.get(item_id).cloned().unwrap_or_default()
    }

    fn input(&self, tr: &webkit::i18n::Tr) -> Result<ContractInput, Error> {
        let mut items = Vec::new();
        for (id, q) in &self.items {
            if let Some(n) = int_opt("items", q)?.filter(|n| *n != 0) {
                if !(1..=100).contains(&n) {
                    return Err(Error::invalid("items", domain::validate::FieldError::Range));
                }
                items.push((*id, n));
            }
        }
        Ok(ContractInput {
            customer_id: int("customer_id", &self.customer_id)?,
            plan_id: int("plan_id", &self.plan_id)?,
            price: money_opt(tr, "price", &self.price)?,
            billing_day: int("billing_day", &self.billing_day)?,
            start_date: self.start_date.clone(),
            service_address_id: int_opt("service_address_id", &self.service_address_id)?,
            login: self.login.clone(),
            password: self.password.clone(),
            mac: self.mac.clone(),
            ipv4: self.ipv4.clone(),
            ipv6_prefix: self.ipv6_prefix.clone(),
            number: String::new(),
            notes: self.notes.clone(),
            items,
            promo_code: self.promo_code.clone(),
            installation_installments: int_opt(
                "installation_installments",
                &self.installation_installments,
            )?
            .unwrap_or(1),
        })
    }
}

#[derive(Template)]
#[template(path = "contract_form.html")]
struct FormView {
    page: Page,
    v: ContractForm,
    errors: FormErrors,
    customer: Option<services::crm::Customer>,
    addresses: Vec<services::crm::Address>,
    plans: Vec<services::catalog::PlanRow>,
    items: Vec<services::catalog::ServiceItemRow>,
}

async fn form_view(
    state: &AppState,
    staff: &Staff,
    v: ContractForm,
    errors: FormErrors,
) -> Result<FormView, Fail> {
    let caller = staff.caller();
    let (plans, items) = contracts::offer(&state.svc, &caller).await?;
    let customer = match v.customer_id.trim().parse::<i64>() {
        Ok(id) => match services::crm::get_customer(&state.svc, &caller, id).await {
            Ok(c) => Some(c),
            Err(Error::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    let addresses = match &customer {
        Some(c) => services::crm::addresses(&state.svc, &caller, c.id).await?,
        None => Vec::new(),
    };
    Ok(FormView {
        page: Page::new(staff, "customers", "contracts-new"),
        v,
        errors,
        customer,
        addresses,
        plans,
        items,
    })
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct NewQuery {
    customer: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<NewQuery>,
) -> PageResult {
    let v = ContractForm {
        customer_id: q.customer.unwrap_or_default(),
        billing_day: "10".into(),
        ..Default::default()
    };
    Ok(html(
        &form_view(&state, &staff, v, FormErrors::default()).await?,
    ))
}

pub async fn create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    contracts::access::manage(&caller)?;
    let v = ContractForm::from_pairs(&form_pairs(&body));
    let result = match v.input(&staff.tr) {
        Ok(input) => contracts::create(&state.svc, &caller, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(k) => Ok(done(&format!("/contracts/{}", k.id), "contract-created")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let view = form_view(&state, &staff, v, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "contract_show.html")]
pub(crate) struct ShowView {
    page: Page,
    k: Contract,
    customer: services::crm::Customer,
    plan: String,
    address: Option<services::crm::Address>,
    items: Vec<services::contracts::Item>,
    transitions: Vec<services::contracts::Transition>,
    changes: Vec<services::contracts::PlanChangeRow>,
    plans: BTreeMap<i64, String>,
    active_plans: Vec<services::catalog::PlanRow>,
    next: Vec<Status>,
    reasons: &'static [SuspendReason],
    password: Option<String>,
    pub(crate) errors: FormErrors,
    /// The plan change form as typed (kept on errors).
    change_plan: String,
    change_price: String,
    change_date: String,
    /// One-off charges waiting for the next invoice (billing staff only).
    charges: Vec<services::billing::charges::Charge>,
    /// The add-a-charge form as typed (kept on errors).
    charge: crate::billing::charges::ChargeForm,
    /// The discounts section (billing's), and its forms as typed.
    discounts: Vec<crate::billing::discounts::DiscountRow>,
    pub(crate) discount_form: crate::billing::discounts::DiscountForm,
    /// Collections: suspension coming, suspended for non-payment, unlocked.
    collections: Option<crate::collections::Notice>,
    /// Pix Automático (payments staff only).
    pub(crate) pix_automatico: Option<crate::payments::pix_automatico::Section>,
}

pub(crate) async fn show_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    ok: Option<&str>,
) -> Result<ShowView, Fail> {
    let caller = staff.caller();
    let k = contracts::get(&state.svc, &caller, id).await?;
    let customer = services::crm::get_customer(&state.svc, &caller, k.customer_id).await?;
    let plans = plan_names(state, staff).await?;
    let address = match k.service_address_id {
        Some(a) => services::crm::addresses(&state.svc, &caller, k.customer_id)
            .await?
            .into_iter()
            .find(|x| x.id == a),
        None => None,
    };
    let next = Status::parse(&k.status)
        .map(Status::next)
        .unwrap_or_default();
    // The plan change form is only there for who may change plans.
    let active_plans = if caller.can(domain::Permission::ContractsManage) {
        contracts::offer(&state.svc, &caller)
            .await?
            .0
            .into_iter()
            .filter(|p| p.id != k.plan_id)
            .collect()
    } else {
        Vec::new()
    };
    let charges = if caller.can(Permission::BillingView) {
        services::billing::charges::list(&state.svc, &caller, id).await?
    } else {
        Vec::new()
    };
    let mut page = Page::new(staff, "customers", "contracts-title").with_flash(ok);
    page.title = format!("{} {}", page.tr.t("contracts-one"), k.number);
    Ok(ShowView {
        page,
        plan: plans.get(&k.plan_id).cloned().unwrap_or_default(),
        address,
        items: contracts::items(&state.svc, &caller, id).await?,
        transitions: contracts::transitions(&state.svc, &caller, id).await?,
        changes: contracts::plan_changes(&state.svc, &caller, id).await?,
        active_plans,
        plans,
        next,
        reasons: SuspendReason::ALL,
        password: None,
        errors: FormErrors::default(),
        change_plan: String::new(),
        change_price: String::new(),
        change_date: String::new(),
        charges,
        charge: crate::billing::charges::ChargeForm {
            quantity: "1".into(),
            ..Default::default()
        },
        discounts: crate::billing::discounts::rows(state, staff, id).await?,
        discount_form: crate::billing::discounts::DiscountForm::new(),
        collections: crate::collections::contract_notice(state, staff, id).await?,
        pix_automatico: crate::payments::pix_automatico::section(state, staff, id).await?,
        customer,
        k,
    })
}

/// The contract page again with the one-off charge form's error beside
/// it (`billing::charges` adds them).
pub(crate) async fn show_with_charge_errors(
    state: &AppState,
    staff: &Staff,
    id: i64,
    e: Error,
    form: crate::billing::charges::ChargeForm,
) -> PageResult {
    let errors = FormErrors::from_error(&staff.tr, e)?;
    let mut view = show_view(state, staff, id, None).await?;
    view.errors = errors;
    view.charge = form;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    Ok(html(&show_view(&state, &staff, id, f.ok.as_deref()).await?))
}

/// Shows the service password: a POST so it never sits in a URL or the
/// browser history, and the service audits who looked.
pub async fn reveal_password(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let caller = staff.caller();
    contracts::access::manage(&caller)?;
    let mut view = show_view(&state, &staff, id, None).await?;
    view.password = Some(
        contracts::reveal_credentials(&state.svc, &caller, id)
            .await?
            .1,
    );
    Ok(html(&view))
}

pub async fn transition(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    contracts::access::status(&caller)?;
    let pairs = form_pairs(&body);
    let to_text = field(&pairs, "to");
    let reason_text = field(&pairs, "reason");
    let note = field(&pairs, "note");
    let choice = |f: &'static str| Error::invalid(f, domain::validate::FieldError::Choice);
    let to = Status::parse(&to_text).ok_or_else(|| choice("to"));
    let reason = match reason_text.trim() {
        "" => Ok(None),
        r => SuspendReason::parse(r)
            .map(Some)
            .ok_or_else(|| choice("reason")),
    };
    let result = match (to, reason) {
        (Ok(to), Ok(reason)) => {
            contracts::transition(&state.svc, &caller, id, to, reason, &note).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/contracts/{id}"), "status-changed")),
        Err(e) => {
            // An illegal move (a stale page, a second tab) names both
            // statuses, as the service read them.
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let mut view = show_view(&state, &staff, id, None).await?;
            view.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn change_plan(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    contracts::access::manage(&caller)?;
    let pairs = form_pairs(&body);
    let plan = field(&pairs, "plan_id");
    let price = field(&pairs, "price");
    let date = field(&pairs, "effective_date");
    let result = match (int("plan_id", &plan), money_opt(&staff.tr, "price", &price)) {
        (Ok(p), Ok(m)) => contracts::change_plan(&state.svc, &caller, id, p, m, &date).await,
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(PlanChange::Applied(_)) => Ok(done(&format!("/contracts/{id}"), "plan-changed")),
        Ok(PlanChange::Scheduled(_)) => {
            Ok(done(&format!("/contracts/{id}"), "plan-change-scheduled"))
        }
        Err(e) => {
            let mut view = show_view(&state, &staff, id, None).await?;
            view.errors = FormErrors::from_error(&staff.tr, e)?;
            view.change_plan = plan;
            view.change_price = price;
            view.change_date = date;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}
