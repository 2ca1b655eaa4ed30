//! Billing runs: the list, "new run" with its "as of" date, the preview
//! (contracts, invoices, totals by plan and by tax, and every line of one
//! contract), the confirmation that starts the run, and the run's page
//! with its progress.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use jiff::civil::Date;
use services::Error;
use services::billing::run::{self, Preview};

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use services::billing::run::Run;
use webkit::auth::Staff;
use webkit::state::AppState;

/// A document the run would issue for the picked contract, as shown.
struct Doc {
    period_start: String,
    period_end: String,
    due_date: String,
    lines: Vec<DocLine>,
    total: i64,
}

struct DocLine {
    description: String,
    source: &'static str,
    period: Option<(String, String)>,
    quantity: i64,
    unit_price: i64,
    /// Tax name and amount.
    taxes: Vec<(String, i64)>,
    total: i64,
}

impl Doc {
    fn of(d: run::PreviewDocument) -> Doc {
        let names = &d.tax_names;
        Doc {
            period_start: d.period.start.to_string(),
            period_end: d.period.end.to_string(),
            due_date: d.due_date.to_string(),
            total: d.totals.total.0,
            lines: d
                .lines
                .iter()
                .map(|(source, l)| DocLine {
                    description: l.description.clone(),
                    source,
                    period: l.period.map(|p| (p.start.to_string(), p.end.to_string())),
                    quantity: l.quantity,
                    unit_price: l.unit_price.0,
                    taxes: l
                        .taxes
                        .iter()
                        .map(|t| {
                            let name = names.get(&t.tax_id).cloned().unwrap_or_default();
                            (name, t.amount.0)
                        })
                        .collect(),
                    total: l.total.0,
                })
                .collect(),
        }
    }
}

/// Runs the list shows.
const LIST_LIMIT: i64 = 50;

fn as_of(s: &str) -> Result<Date, Error> {
    domain::validate::date(s).map_err(|e| Error::invalid("as_of", e))
}

#[derive(Template)]
#[template(path = "billing_runs.html")]
struct ListView {
    page: Page,
    tab: &'static str,
    runs: Vec<Run>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let runs = run::list_runs(&state.svc, &staff.caller(), LIST_LIMIT).await?;
    let page = Page::new(&staff, "billing", "bill-runs-title").with_flash(f.ok.as_deref());
    Ok(html(&ListView {
        page,
        tab: "runs",
        runs,
    }))
}

#[derive(Template)]
#[template(path = "billing_run_new.html")]
struct NewView {
    page: Page,
    as_of: String,
    errors: FormErrors,
}

pub async fn new_form(State(_state): State<AppState>, staff: Staff) -> PageResult {
    staff.caller().require(Permission::BillingManage)?;
    Ok(html(&NewView {
        page: Page::new(&staff, "billing", "bill-run-new"),
        as_of: super::today(&staff.tz).to_string(),
        errors: FormErrors::default(),
    }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PreviewQuery {
    as_of: Option<String>,
    /// A contract number (or login) to show every line of.
    contract: Option<String>,
}

/// One contract's lines in the preview.
struct Picked {
    id: i64,
    number: String,
    customer_id: i64,
    customer: String,
    docs: Vec<Doc>,
}

#[derive(Template)]
#[template(path = "billing_run_preview.html")]
struct PreviewView {
    page: Page,
    p: Preview,
    /// Plan, invoices, total.
    by_plan: Vec<(String, i64, i64)>,
    /// Tax, amount.
    by_tax: Vec<(String, i64)>,
    contract: String,
    picked: Option<Picked>,
    errors: FormErrors,
}

async fn pick(
    state: &AppState,
    staff: &Staff,
    date: Date,
    q: &str,
) -> Result<Option<Picked>, Error> {
    let caller = staff.caller();
    let Some(k) = services::contracts::search(&state.svc, &caller, q)
        .await?
        .into_iter()
        .next()
    else {
        return Err(Error::invalid_msg(
            "contract",
            "no contract has this number or login",
        ));
    };
    let docs = run::preview_contract(&state.svc, &caller, date, k.id)
        .await?
        .into_iter()
        .map(Doc::of)
        .collect();
    let customer = services::crm::get_customer(&state.svc, &caller, k.customer_id)
        .await?
        .name;
    Ok(Some(Picked {
        id: k.id,
        number: k.number,
        customer_id: k.customer_id,
        customer,
        docs,
    }))
}

pub async fn preview(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PreviewQuery>,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingView)?;
    let text = q.as_of.unwrap_or_default();
    let date = match as_of(&text) {
        Ok(d) => d,
        Err(e) => {
            let view = NewView {
                page: Page::new(&staff, "billing", "bill-run-new"),
                as_of: text,
                errors: FormErrors::from_error(&staff.tr, e)?,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response());
        }
    };
    let policy = super::policy(&state).await?;
    let p = run::preview(&state.svc, &caller, date, &policy).await?;
    let contract = q.contract.unwrap_or_default().trim().to_owned();
    let mut errors = FormErrors::default();
    let picked = if contract.is_empty() {
        None
    } else {
        match pick(&state, &staff, date, &contract).await {
            Ok(p) => p,
            Err(Error::Invalid {
                field: "contract", ..
            }) => {
                errors.0.push((
                    "contract".into(),
                    staff.tr.t1("bill-preview-no-contract", "q", &contract),
                ));
                None
            }
            Err(e) => return Err(e.into()),
        }
    };
    let mut page = Page::new(&staff, "billing", "bill-preview-title");
    page.title = staff.tr.t1("bill-preview-title", "date", date);
    Ok(html(&PreviewView {
        page,
        by_plan: p
            .by_plan
            .iter()
            .map(|(name, (n, total))| (name.clone(), *n, total.0))
            .collect(),
        by_tax: p
            .by_tax
            .iter()
            .map(|(name, m)| (name.clone(), m.0))
            .collect(),
        p,
        contract,
        picked,
        errors,
    }))
}

impl PreviewView {
    fn heading(&self, d: &Doc) -> String {
        let days = super::period(&Some(d.period_start.clone()), &Some(d.period_end.clone()));
        self.page.tr.t1("bill-preview-document", "days", days)
    }
}

/// Confirms the previewed run: starts it and shows its page.
pub async fn confirm(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingManage)?;
    let text = field(&form_pairs(&body), "as_of");
    let started = match as_of(&text) {
        Ok(date) => run::start(&state.svc, &caller, date).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(s) => Ok(done(&format!("/billing/runs/{}", s.run_id), "run-started")),
        Err(e) => {
            let view = NewView {
                page: Page::new(&staff, "billing", "bill-run-new"),
                as_of: text,
                errors: FormErrors::from_error(&staff.tr, e)?,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ShowQuery {
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "billing_run.html")]
struct ShowView {
    page: Page,
    r: Run,
    /// The run's invoices, newest first (the first page of them).
    invoices: Vec<services::billing::documents::Document>,
    more: bool,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let caller = staff.caller();
    let r = run::get_run(&state.svc, &caller, id).await?;
    let (invoices, more) = services::billing::documents::list(
        &state.svc,
        &caller,
        &services::billing::documents::Filter {
            billing_run_id: Some(id),
            limit: 25,
            ..Default::default()
        },
    )
    .await?;
    let mut page = Page::new(&staff, "billing", "bill-runs-title").with_flash(q.ok.as_deref());
    page.title = staff.tr.t2(
        "bill-run-title",
        ("id", id.to_string()),
        ("date", r.as_of.clone()),
    );
    Ok(html(&ShowView {
        page,
        r,
        invoices,
        more,
    }))
}

impl ShowView {
    fn progress(&self) -> String {
        self.page.tr.t2(
            "bill-progress-of",
            ("done", self.r.contracts_done),
            ("total", self.r.contracts_total),
        )
    }
}

/// What the run page's progress bar shows: done out of total, in percent.
pub fn percent_done(r: &Run) -> i64 {
    if r.contracts_total <= 0 {
        return 100;
    }
    (r.contracts_done * 100 / r.contracts_total).clamp(0, 100)
}
