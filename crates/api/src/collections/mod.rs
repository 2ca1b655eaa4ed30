//! `/api/v1/collections/…`: the collections (dunning) policy, customers
//! with overdue invoices, trust unlocks, the list of contracts to cancel
//! after a long suspension, a contract's outlook and running the daily
//! pass. Amounts are integers in minor units of the installation's
//! currency; percentages are text (`2`, `0.033`).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Money;
use domain::billing::Rate;
use domain::collections::{Policy, ReducedRate, Reminder, SpeedReduction, Template};
use serde::{Deserialize, Serialize};
use services::collections::{self as svc, Outlook};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::billing::documents::day;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::pagination::Paged;
use crate::problem::{ApiResult, Problem};
use crate::{IdPath, time};
use webkit::state::AppState;

/// The collections paths.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_policy, update_policy))
        .routes(routes!(overdue))
        .routes(routes!(unlock))
        .routes(routes!(cancellation_list))
        .routes(routes!(outlook))
        .routes(routes!(run))
}

/// A message in both languages. Placeholders: `{name}`, `{company}`,
/// `{number}`, `{amount}`, `{due_date}`, `{days}`, `{owed}`,
/// `{suspend_from}`, `{reconnect_hours}`, `{pay_link}` (the invoice's
/// payment page; lines holding it are left out while the public address
/// is not set).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageTemplate {
    pub subject_en: String,
    pub body_en: String,
    pub subject_pt: String,
    pub body_pt: String,
}

/// A reminder some days from the due date.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderBody {
    /// Days from the due date (−3: three days before), −30 to 60.
    #[schema(example = -3)]
    pub offset_days: i64,
    pub template: MessageTemplate,
}

/// The collections policy. In Brazil the fine is at most 2 %, interest at
/// most 1 % a month, suspension at least 15 days after the notice, and no
/// reconnection fee; a refused field is a 422 naming it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    pub reminders: Vec<ReminderBody>,
    /// Late fee on the invoice amount, a percentage.
    #[schema(example = "2")]
    pub fine: String,
    /// Interest per month, charged per day late (pro rata die).
    #[schema(example = "1")]
    pub interest_monthly: String,
    /// Days after the due date the suspension notice goes out.
    #[schema(example = 5)]
    pub notice_offset_days: i64,
    /// Days from the notice to the earliest suspension.
    #[schema(example = 15)]
    pub suspend_after_notice_days: i64,
    pub notice: MessageTemplate,
    /// A customer owing less than this overdue is never suspended.
    #[schema(example = 1000)]
    pub min_amount: i64,
    /// Most days a trust unlock lasts.
    #[schema(example = 5)]
    pub unlock_max_days: i64,
    /// Days suspended before a contract is listed for cancellation.
    #[schema(example = 60)]
    pub cancel_after_days: i64,
    /// Hours reconnection takes once paid, as the notice states.
    #[schema(example = 24)]
    pub reconnect_hours: i64,
    /// Charged on reactivation (never in Brazil).
    #[schema(example = 0)]
    pub reconnection_fee: i64,
    /// The optional speed-reduction step before suspension; absent or
    /// null: off.
    #[serde(default)]
    pub speed_reduction: Option<SpeedReductionBody>,
}

/// Reduce the speed of a contract still owing some days after the notice
/// (before the suspension day): to a percentage of the plan's speeds, or
/// to fixed rates (give `percent`, or both kbit/s).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeedReductionBody {
    /// Days after the notice; less than `suspend_after_notice_days`.
    #[schema(example = 5)]
    pub after_notice_days: i64,
    /// 1 to 99 % of the plan's speeds.
    #[schema(example = 50)]
    pub percent: Option<i64>,
    /// Fixed rates, kbit/s.
    pub up_kbps: Option<i64>,
    pub down_kbps: Option<i64>,
}

/// The policy in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    #[serde(flatten)]
    pub policy: PolicyBody,
    /// The company's country, whose limits apply.
    #[schema(example = "BR")]
    pub country: String,
    /// RFC 3339; null while the country's defaults are in force.
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

fn template_body(t: Template) -> MessageTemplate {
    MessageTemplate {
        subject_en: t.subject_en,
        body_en: t.body_en,
        subject_pt: t.subject_pt,
        body_pt: t.body_pt,
    }
}

fn template_of(t: MessageTemplate) -> Template {
    Template {
        subject_en: t.subject_en,
        body_en: t.body_en,
        subject_pt: t.subject_pt,
        body_pt: t.body_pt,
    }
}

impl From<svc::Stored> for PolicyView {
    fn from(s: svc::Stored) -> PolicyView {
        let p = s.policy;
        PolicyView {
            policy: PolicyBody {
                reminders: p
                    .reminders
                    .into_iter()
                    .map(|r| ReminderBody {
                        offset_days: r.offset_days,
                        template: template_body(r.template),
                    })
                    .collect(),
                fine: p.fine.percent_text(),
                interest_monthly: p.interest_monthly.percent_text(),
                notice_offset_days: p.notice_offset_days,
                suspend_after_notice_days: p.suspend_after_notice_days,
                notice: template_body(p.notice),
                min_amount: p.min_amount.0,
                unlock_max_days: p.unlock_max_days,
                cancel_after_days: p.cancel_after_days,
                reconnect_hours: p.reconnect_hours,
                reconnection_fee: p.reconnection_fee.0,
                speed_reduction: p.speed_reduction.map(|r| {
                    let (percent, up_kbps, down_kbps) = match r.rate {
                        ReducedRate::Percent { percent } => (Some(percent), None, None),
                        ReducedRate::Fixed { up_kbps, down_kbps } => {
                            (None, Some(up_kbps), Some(down_kbps))
                        }
                    };
                    SpeedReductionBody {
                        after_notice_days: r.after_notice_days,
                        percent,
                        up_kbps,
                        down_kbps,
                    }
                }),
            },
            country: s.country,
            updated_at: s.updated_at.map(time),
            updated_by: s.updated_by,
        }
    }
}

fn rate(field: &str, s: &str) -> Result<Rate, Problem> {
    Rate::parse_percent(s).map_err(|e| Problem::invalid(field, "invalid", e.to_string()))
}

impl PolicyBody {
    fn into_policy(self) -> Result<Policy, Problem> {
        let speed_reduction = match self.speed_reduction {
            None => None,
            Some(r) => Some(SpeedReduction {
                after_notice_days: r.after_notice_days,
                rate: match (r.percent, r.up_kbps, r.down_kbps) {
                    (Some(percent), None, None) => ReducedRate::Percent { percent },
                    (None, Some(up_kbps), Some(down_kbps)) => {
                        ReducedRate::Fixed { up_kbps, down_kbps }
                    }
                    _ => {
                        return Err(Problem::invalid(
                            "speed_reduction.percent",
                            "invalid",
                            "give percent, or both up_kbps and down_kbps",
                        ));
                    }
                },
            }),
        };
        Ok(Policy {
            speed_reduction,
            fine: rate("fine", &self.fine)?,
            interest_monthly: rate("interest_monthly", &self.interest_monthly)?,
            reminders: self
                .reminders
                .into_iter()
                .map(|r| Reminder {
                    offset_days: r.offset_days,
                    template: template_of(r.template),
                })
                .collect(),
            notice_offset_days: self.notice_offset_days,
            suspend_after_notice_days: self.suspend_after_notice_days,
            notice: template_of(self.notice),
            min_amount: Money(self.min_amount),
            unlock_max_days: self.unlock_max_days,
            cancel_after_days: self.cancel_after_days,
            reconnect_hours: self.reconnect_hours,
            reconnection_fee: Money(self.reconnection_fee),
        })
    }
}

/// The collections policy in force (the country's defaults until saved).
#[utoipa::path(
    get, path = "/api/v1/collections/policy", operation_id = "collections.policy.show",
    tag = "collections",
    responses((status = 200, description = "The policy", body = PolicyView)),
    security(("bearer" = ["collections.view"]))
)]
pub async fn show_policy(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(
        svc::policy(&state.svc, &caller.caller()).await?.into(),
    ))
}

/// Replaces the collections policy (every field).
#[utoipa::path(
    put, path = "/api/v1/collections/policy", operation_id = "collections.policy.update",
    tag = "collections",
    request_body = PolicyBody,
    responses((status = 200, description = "The saved policy", body = PolicyView)),
    security(("bearer" = ["collections.manage"]))
)]
pub async fn update_policy(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<PolicyBody>,
) -> ApiResult<Json<PolicyView>> {
    let caller = caller.caller();
    svc::access::manage(&caller)?;
    let policy = body.parse()?.into_policy()?;
    Ok(Json(
        svc::update_policy(&state.svc, &caller, policy)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only customers whose oldest unpaid invoice is at least this many
    /// days late (default 1).
    #[param(minimum = 0, maximum = 3650)]
    min_days: Option<i64>,
    /// Name words.
    q: Option<String>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    cursor: Option<String>,
}

/// A customer owing overdue invoices.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueView {
    #[schema(example = 42)]
    pub customer_id: i64,
    pub customer_name: String,
    /// Open on invoices past due.
    #[schema(example = 12000)]
    pub owed: i64,
    #[schema(format = Date)]
    pub oldest_due: String,
    pub days_late: i64,
    pub invoices: i64,
    /// Contracts suspended for non-payment.
    pub suspended: i64,
    /// `reminder`, `notice`, `suspension`, `suspended` or `none`.
    #[schema(example = "suspension")]
    pub next_step: String,
    #[schema(format = Date)]
    pub next_date: Option<String>,
}

/// Customers with overdue invoices, most owed first.
#[utoipa::path(
    get, path = "/api/v1/collections/overdue", operation_id = "collections.overdue.list",
    tag = "collections",
    params(OverdueQuery),
    responses((status = 200, description = "Overdue customers", body = Paged<OverdueView>)),
    security(("bearer" = ["collections.view"]))
)]
pub async fn overdue(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> ApiResult<Json<Paged<OverdueView>>> {
    let caller = caller.caller();
    svc::access::view(&caller)?;
    let limit = crate::pagination::limit(q.limit)?;
    let offset = match q.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            Problem::invalid("cursor", "invalid", "is not a cursor this list gave")
        })?,
    };
    let min_days = q.min_days.unwrap_or(1);
    if !(0..=3650).contains(&min_days) {
        return Err(Problem::invalid(
            "min_days",
            "range",
            "must be between 0 and 3650",
        ));
    }
    let rows = svc::overdue(
        &state.svc,
        &caller,
        &svc::OverdueFilter {
            min_days,
            q: q.q.unwrap_or_default(),
            offset,
            limit: limit + 1,
        },
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let data = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| OverdueView {
            customer_id: r.row.customer_id,
            customer_name: r.row.customer_name,
            owed: r.row.owed,
            oldest_due: r.row.oldest_due,
            days_late: r.days_late,
            invoices: r.row.invoices,
            suspended: r.row.suspended,
            next_step: r.next_step,
            next_date: r.next_date,
        })
        .collect();
    Ok(Json(Paged {
        data,
        next_cursor: more.then(|| (offset + limit).to_string()),
    }))
}

/// A trust unlock to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contract_id": 7, "days": 3}))]
pub struct UnlockBody {
    pub contract_id: i64,
    /// 1 to the policy's `unlock_max_days`.
    pub days: i64,
}

/// A trust unlock made.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnlockView {
    pub id: i64,
    pub contract_id: i64,
    /// The day the daily pass suspends the contract again if still owing.
    #[schema(format = Date)]
    pub until: String,
}

/// Lifts a contract's suspension for non-payment for some days, once per
/// suspension (409 `already-unlocked` the second time; 409
/// `not-suspended-for-non-payment` when it is not so suspended).
#[utoipa::path(
    post, path = "/api/v1/collections/trust-unlocks", operation_id = "collections.unlock",
    tag = "collections",
    request_body = UnlockBody,
    responses(
        (status = 201, description = "Unlocked", body = UnlockView),
        (status = 404, description = "No such contract"),
        (status = 409, description = "Not suspended for non-payment, or unlocked once already"),
    ),
    security(("bearer" = ["collections.unlock"]))
)]
pub async fn unlock(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<UnlockBody>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    svc::access::unlock(&caller)?;
    let b = body.parse()?;
    let u = svc::trust_unlock(&state.svc, &caller, b.contract_id, b.days).await?;
    Ok((
        StatusCode::CREATED,
        Json(UnlockView {
            id: u.unlock_id,
            contract_id: u.contract_id,
            until: u.until,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CancelQuery {
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    cursor: Option<String>,
}

/// A contract suspended for non-payment long enough to cancel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToCancelView {
    pub contract_id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    /// RFC 3339: its latest status change.
    #[schema(format = DateTime)]
    pub suspended_at: String,
    /// The day the daily pass first suspended it, when it did.
    #[schema(format = Date)]
    pub suspended_on: Option<String>,
}

/// Contracts suspended for non-payment for the policy's
/// `cancel_after_days` or more, oldest first, for staff to cancel with
/// notice (never canceled automatically).
#[utoipa::path(
    get, path = "/api/v1/collections/cancellation-list",
    operation_id = "collections.cancellation_list", tag = "collections",
    params(CancelQuery),
    responses((status = 200, description = "Contracts to cancel", body = Paged<ToCancelView>)),
    security(("bearer" = ["collections.view"]))
)]
pub async fn cancellation_list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CancelQuery>,
) -> ApiResult<Json<Paged<ToCancelView>>> {
    let caller = caller.caller();
    svc::access::view(&caller)?;
    let limit = crate::pagination::limit(q.limit)?;
    let offset = match q.cursor.as_deref() {
        None | Some("") => 0,
        Some(c) => c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            Problem::invalid("cursor", "invalid", "is not a cursor this list gave")
        })?,
    };
    let rows = svc::to_cancel(&state.svc, &caller, offset, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    Ok(Json(Paged {
        data: rows
            .into_iter()
            .take(limit as usize)
            .map(|r| ToCancelView {
                contract_id: r.contract_id,
                number: r.number,
                customer_id: r.customer_id,
                customer_name: r.customer_name,
                suspended_at: time(r.suspended_at),
                suspended_on: r.suspended_on,
            })
            .collect(),
        next_cursor: more.then(|| (offset + limit).to_string()),
    }))
}

/// Where a contract stands in collections.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutlookView {
    /// `clear`, `suspension_on` (a notice was sent), `reduced` (speed
    /// reduced, suspension to come), `suspended` (for non-payment) or
    /// `unlocked` (on trust).
    #[schema(example = "suspension_on")]
    pub state: String,
    /// `suspension_on`, `reduced`: the first day suspension may happen;
    /// `unlocked`: the last day of the unlock; `suspended`: since when.
    #[schema(format = Date)]
    pub date: Option<String>,
    /// `reduced`: since when the speed is reduced.
    #[schema(format = Date)]
    pub since: Option<String>,
    /// `suspension_on`, `reduced`: days until suspension.
    pub days: Option<i64>,
    /// `suspension_on`: what is owed overdue.
    pub owed: Option<i64>,
    /// `suspended`: whether a trust unlock is still available, and for how
    /// many days at most.
    pub unlockable: Option<bool>,
    pub max_days: Option<i64>,
}

impl From<Outlook> for OutlookView {
    fn from(o: Outlook) -> OutlookView {
        let empty = OutlookView {
            state: String::new(),
            date: None,
            since: None,
            days: None,
            owed: None,
            unlockable: None,
            max_days: None,
        };
        match o {
            Outlook::Clear => OutlookView {
                state: "clear".into(),
                ..empty
            },
            Outlook::SuspensionOn { date, days, owed } => OutlookView {
                state: "suspension_on".into(),
                date: Some(date),
                days: Some(days),
                owed: Some(owed),
                ..empty
            },
            Outlook::Suspended {
                since,
                unlockable,
                max_days,
            } => OutlookView {
                state: "suspended".into(),
                date: Some(since),
                unlockable: Some(unlockable),
                max_days: Some(max_days),
                ..empty
            },
            Outlook::Reduced {
                since,
                suspend_on,
                days,
                owed,
            } => OutlookView {
                state: "reduced".into(),
                date: Some(suspend_on),
                since: Some(since),
                days: Some(days),
                owed: Some(owed),
                ..empty
            },
            Outlook::Unlocked { until } => OutlookView {
                state: "unlocked".into(),
                date: Some(until),
                ..empty
            },
        }
    }
}

/// A contract's collections outlook: suspension in N days, suspended for
/// non-payment (and whether it may be unlocked on trust), unlocked, or
/// clear.
#[utoipa::path(
    get, path = "/api/v1/collections/contracts/{id}", operation_id = "collections.outlook",
    tag = "collections",
    params(IdPath),
    responses((status = 200, description = "The outlook", body = OutlookView)),
    security(("bearer" = ["customers.view"]))
)]
pub async fn outlook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(p): ApiPath<IdPath>,
) -> ApiResult<Json<OutlookView>> {
    Ok(Json(
        svc::outlook(&state.svc, &caller.caller(), p.id)
            .await?
            .into(),
    ))
}

/// The day a pass acts as of.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"as_of": "2026-12-07"}))]
pub struct PassRequest {
    /// `YYYY-MM-DD`; omitted: today in the installation's time zone.
    #[serde(default)]
    #[schema(format = Date)]
    pub as_of: Option<String>,
}

/// The pass queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassStarted {
    /// The background job running it (`/api/v1/jobs/{id}`).
    pub job_id: i64,
}

/// Runs the daily collections pass now as a background job: reminders and
/// notices due, suspensions whose notice period is over, unlocks ended
/// unpaid. Each step happens once, however often it runs.
#[utoipa::path(
    post, path = "/api/v1/collections/runs", operation_id = "collections.run",
    tag = "collections",
    request_body = PassRequest,
    responses(
        (status = 202, description = "Queued", body = PassStarted,
            headers(("Location" = String, description = "The job's URL"))),
    ),
    security(("bearer" = ["collections.manage"]))
)]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    body: ApiJson<PassRequest>,
) -> ApiResult<Response> {
    let caller = caller.caller();
    svc::access::manage(&caller)?;
    let b = body.parse()?;
    let as_of = day("as_of", b.as_of.as_deref())?;
    let job_id = svc::start(&state.svc, &caller, as_of).await?;
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/v1/jobs/{job_id}"))],
        Json(PassStarted { job_id }),
    )
        .into_response())
}
