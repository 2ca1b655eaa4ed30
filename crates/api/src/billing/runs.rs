//! `/api/v1/billing-runs`: what a run would issue (a preview with totals by
//! plan and by tax, and every line of one contract), starting a run as a
//! background job, and its progress.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Permission;
use serde::{Deserialize, Serialize};
use services::billing::run;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::documents::day;
use crate::choices;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, List, time};
use webkit::state::AppState;

/// The billing runs' paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, start))
        .routes(routes!(preview))
        .routes(routes!(show))
}

/// A billing run and its progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    #[schema(example = 3)]
    pub id: i64,
    /// The day billed as of (`YYYY-MM-DD`).
    #[schema(format = Date, example = "2026-12-07")]
    pub as_of: String,
    #[schema(value_type = choices::BillingRunStatus, example = "running")]
    pub status: String,
    /// Contracts the run walks through.
    #[schema(example = 1_200)]
    pub contracts_total: i64,
    /// Contracts done so far.
    #[schema(example = 400)]
    pub contracts_done: i64,
    /// Invoices issued so far.
    #[schema(example = 398)]
    pub invoices: i64,
    /// Their total, in minor units.
    #[schema(example = 3_976_020)]
    pub total: i64,
    /// Why a `failed` run stopped.
    #[schema(example = json!(null))]
    pub error: Option<String>,
    /// Who started it (`system:billing-run` for the daily schedule).
    #[schema(example = "admin")]
    pub actor_name: String,
    /// The background job running it (`/api/v1/jobs/{id}`), if it runs as one.
    #[schema(example = 88)]
    pub job_id: Option<i64>,
    /// RFC 3339.
    #[schema(format = DateTime, example = "2026-12-07T09:00:00Z")]
    pub started_at: String,
    #[schema(format = DateTime, example = json!(null))]
    pub finished_at: Option<String>,
}

impl From<run::Run> for RunView {
    fn from(r: run::Run) -> RunView {
        RunView {
            id: r.id,
            as_of: r.as_of,
            status: r.status,
            contracts_total: r.contracts_total,
            contracts_done: r.contracts_done,
            invoices: r.invoices,
            total: r.total,
            error: r.error,
            actor_name: r.actor_name,
            job_id: r.job_id,
            started_at: time(r.started_at),
            finished_at: r.finished_at.map(time),
        }
    }
}

/// The day a run bills as of.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"as_of": "2026-12-07"}))]
pub struct RunRequest {
    /// `YYYY-MM-DD`; omitted: today in the installation's time zone. An
    /// earlier day catches up; periods already billed are never billed again.
    #[serde(default)]
    #[schema(format = Date)]
    pub as_of: Option<String>,
}

async fn as_of(state: &AppState, raw: Option<&str>) -> Result<jiff::civil::Date, Problem> {
    match day("as_of", raw)? {
        Some(d) => Ok(d),
        None => Ok(services::billing::today(&state.svc).await?),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// Also list every line this contract would be billed.
    contract_id: Option<i64>,
}

/// Invoices and total of one plan in a preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanTotal {
    #[schema(example = "Fibra 300")]
    pub plan: String,
    #[schema(example = 812)]
    pub invoices: i64,
    #[schema(example = 8_111_880)]
    pub total: i64,
}

/// One tax's total in a preview.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxTotal {
    #[schema(example = "ICMS")]
    pub tax: String,
    #[schema(example = 1_460_138)]
    pub amount: i64,
}

/// A tax of a previewed line.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewTax {
    #[schema(example = 1)]
    pub tax_rate_id: i64,
    #[schema(example = "ICMS")]
    pub name: String,
    #[schema(example = 1_798)]
    pub amount: i64,
}

/// A line a run would issue.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewLine {
    /// `plan`, `item`, `installation`, `plan_credit`, `plan_charge` or
    /// `one_off`.
    #[schema(example = "plan")]
    pub source: String,
    #[schema(example = "Fibra 300")]
    pub description: String,
    #[schema(format = Date, example = "2026-11-10")]
    pub period_start: Option<String>,
    #[schema(format = Date, example = "2026-12-10")]
    pub period_end: Option<String>,
    #[schema(example = 1)]
    pub quantity: i64,
    #[schema(example = 9_990)]
    pub unit_price: i64,
    #[schema(example = 9_990)]
    pub amount: i64,
    #[schema(example = 7_824)]
    pub net: i64,
    #[schema(example = 9_990)]
    pub total: i64,
    pub taxes: Vec<PreviewTax>,
}

/// An invoice a run would issue for the contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewDocument {
    #[schema(format = Date, example = "2026-11-10")]
    pub period_start: String,
    #[schema(format = Date, example = "2026-12-10")]
    pub period_end: String,
    #[schema(format = Date, example = "2026-12-10")]
    pub issue_date: String,
    #[schema(format = Date, example = "2026-12-20")]
    pub due_date: String,
    #[schema(example = 9_990)]
    pub total: i64,
    pub lines: Vec<PreviewLine>,
}

impl From<run::PreviewDocument> for PreviewDocument {
    fn from(d: run::PreviewDocument) -> PreviewDocument {
        let names = &d.tax_names;
        PreviewDocument {
            period_start: d.period.start.to_string(),
            period_end: d.period.end.to_string(),
            issue_date: d.issue_date.to_string(),
            due_date: d.due_date.to_string(),
            total: d.totals.total.0,
            lines: d
                .lines
                .into_iter()
                .map(|(source, l)| PreviewLine {
                    source: source.to_owned(),
                    period_start: l.period.map(|p| p.start.to_string()),
                    period_end: l.period.map(|p| p.end.to_string()),
                    quantity: l.quantity,
                    unit_price: l.unit_price.0,
                    amount: l.amount.0,
                    net: l.net.0,
                    total: l.total.0,
                    taxes: l
                        .taxes
                        .iter()
                        .map(|t| PreviewTax {
                            tax_rate_id: t.tax_id,
                            name: names.get(&t.tax_id).cloned().unwrap_or_default(),
                            amount: t.amount.0,
                        })
                        .collect(),
                    description: l.description,
                })
                .collect(),
        }
    }
}

/// What a run as of a day would issue.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewView {
    #[schema(format = Date, example = "2026-12-07")]
    pub as_of: String,
    /// Contracts with at least one invoice due.
    #[schema(example = 1_180)]
    pub contracts: i64,
    #[schema(example = 1_195)]
    pub invoices: i64,
    #[schema(example = 11_937_050)]
    pub total: i64,
    pub by_plan: Vec<PlanTotal>,
    pub by_tax: Vec<TaxTotal>,
    /// With `?contract_id=`: that contract's invoices and every line.
    pub contract: Option<ContractPreview>,
}

/// Every invoice and line one contract would be billed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractPreview {
    #[schema(example = 12)]
    pub contract_id: i64,
    pub documents: Vec<PreviewDocument>,
}

/// What a run as of `as_of` would issue, without writing anything: the
/// contracts and invoices, totals by plan and by tax, and with
/// `?contract_id=` every line of that contract.
#[utoipa::path(
    post, path = "/api/v1/billing-runs/preview", operation_id = "billing_runs.preview", tag = "billing",
    params(PreviewQuery),
    request_body = RunRequest,
    responses(
        (status = 200, description = "The preview", body = PreviewView),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PreviewQuery>,
    body: ApiJson<RunRequest>,
) -> ApiResult<Json<PreviewView>> {
    let caller = caller.caller();
    caller.require(Permission::BillingView)?;
    let b = body.parse()?;
    let as_of = as_of(&state, b.as_of.as_deref()).await?;
    let contract = match q.contract_id {
        None => None,
        Some(id) => Some(ContractPreview {
            contract_id: id,
            documents: run::preview_contract(&state.svc, &caller, as_of, id)
                .await
                .map_err(contract_named)?
                .into_iter()
                .map(Into::into)
                .collect(),
        }),
    };
    let policy = services::billing::settings::policy(&state.svc).await?;
    let p = run::preview(&state.svc, &caller, as_of, &policy).await?;
    Ok(Json(PreviewView {
        as_of: p.as_of,
        contracts: p.contracts,
        invoices: p.invoices,
        total: p.total.0,
        by_plan: p
            .by_plan
            .into_iter()
            .map(|(plan, (invoices, total))| PlanTotal {
                plan,
                invoices,
                total: total.0,
            })
            .collect(),
        by_tax: p
            .by_tax
            .into_iter()
            .map(|(tax, amount)| TaxTotal {
                tax,
                amount: amount.0,
            })
            .collect(),
        contract,
    }))
}

/// An unknown contract in the query is the parameter's fault, not a
/// missing resource at the path.
fn contract_named(e: services::Error) -> Problem {
    match e {
        services::Error::NotFound => {
            Problem::invalid("contract_id", "not-found", "names no billable contract")
        }
        other => other.into(),
    }
}

/// A run just started.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartedView {
    #[schema(example = 3)]
    pub run_id: i64,
    /// The background job running it (`/api/v1/jobs/{id}`).
    #[schema(example = 88)]
    pub job_id: i64,
    pub run: RunView,
}

/// Starts a billing run as of a day as a background job and answers at
/// once; follow its progress at the `Location`. Each contract's period is
/// billed at most once, however often runs start.
#[utoipa::path(
    post, path = "/api/v1/billing-runs", operation_id = "billing_runs.start", tag = "billing",
    request_body = RunRequest,
    responses(
        (status = 202, description = "Started", body = StartedView,
            headers(("Location" = String, description = "The run's URL"))),
    ),
    security(("bearer" = ["billing.manage"]))
)]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<RunRequest>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    caller.require(Permission::BillingManage)?;
    let b = body.parse()?;
    let as_of = as_of(&state, b.as_of.as_deref()).await?;
    let started = run::start(&state.svc, &caller, as_of).await?;
    let run = run::get_run(&state.svc, &caller, started.run_id).await?;
    let id = started.run_id;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/billing-runs/{id}"))],
        Json(StartedView {
            run_id: id,
            job_id: started.job_id,
            run: run.into(),
        }),
    )
        .into_response())
}

/// One billing run and its progress.
#[utoipa::path(
    get, path = "/api/v1/billing-runs/{id}", operation_id = "billing_runs.show", tag = "billing",
    params(IdPath),
    responses(
        (status = 200, description = "The run", body = RunView),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<RunView>> {
    Ok(Json(
        run::get_run(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// The latest billing runs, newest first.
#[utoipa::path(
    get, path = "/api/v1/billing-runs", operation_id = "billing_runs.list", tag = "billing",
    params(RunListQuery),
    responses(
        (status = 200, description = "The latest runs", body = List<RunView>),
    ),
    security(("bearer" = ["billing.view"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RunListQuery>,
) -> ApiResult<Json<List<RunView>>> {
    let limit = crate::pagination::limit(q.limit)?;
    let data = run::list_runs(&state.svc, &caller.caller(), limit)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(List { data }))
}
