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

use self::shim::{PreviewDocument, Run};
use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

/// Shim: `run::start`, `run::get_run`, `run::list_runs` and
/// `run::preview_contract` are on their way to main (the run queued as a
/// job). Until they land, a run is carried out within the request and the
/// run rows are read here; when they land, call them and delete this
/// module.
mod shim {
    use domain::Permission;
    use jiff::civil::Date;
    use services::billing::Policy;
    use services::{Caller, Result, Services};

    pub use services::billing::contract_preview::{PreviewDocument, preview_contract};
    pub use store::billing::runs::Run;

    pub struct Started {
        pub run_id: i64,
        /// The job that carries the run out (none while runs happen within
        /// the request).
        pub job_id: Option<i64>,
    }

    pub async fn start(
        svc: &Services,
        caller: &Caller,
        as_of: Date,
        policy: &Policy,
    ) -> Result<Started> {
        let run_id = services::billing::run::run(svc, caller, as_of, policy).await?;
        Ok(Started {
            run_id,
            job_id: None,
        })
    }

    pub async fn get_run(svc: &Services, caller: &Caller, id: i64) -> Result<Run> {
        caller.require(Permission::BillingView)?;
        let mut c = svc.db.conn().await?;
        Ok(store::billing::runs::get(&mut c, id).await?)
    }

    pub async fn list_runs(svc: &Services, caller: &Caller, limit: i64) -> Result<Vec<Run>> {
        caller.require(Permission::BillingView)?;
        let mut c = svc.db.conn().await?;
        Ok(store::billing::runs::list(&mut c, limit).await?)
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
    let runs = shim::list_runs(&state.svc, &staff.caller(), LIST_LIMIT).await?;
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
    docs: Vec<PreviewDocument>,
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
    policy: &services::billing::Policy,
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
    let docs = shim::preview_contract(&state.svc, &caller, date, k.id, policy).await?;
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
        match pick(&state, &staff, date, &contract, &policy).await {
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
    fn heading(&self, d: &PreviewDocument) -> String {
        let days = super::period(&Some(d.period_start.clone()), &Some(d.period_end.clone()));
        self.page.tr.t1("bill-preview-document", "days", days)
    }
}

/// Confirms the previewed run: starts it and shows its page.
pub async fn confirm(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingManage)?;
    let text = field(&form_pairs(&body), "as_of");
    let policy = super::policy(&state).await?;
    let started = match as_of(&text) {
        Ok(date) => shim::start(&state.svc, &caller, date, &policy).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(s) => {
            let to = match s.job_id {
                Some(j) => format!("/billing/runs/{}?job={j}", s.run_id),
                None => format!("/billing/runs/{}", s.run_id),
            };
            Ok(done(&to, "run-started"))
        }
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
    job: Option<i64>,
}

#[derive(Template)]
#[template(path = "billing_run.html")]
struct ShowView {
    page: Page,
    r: Run,
    job: Option<i64>,
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
    let r = shim::get_run(&state.svc, &caller, id).await?;
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
        job: q.job,
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
