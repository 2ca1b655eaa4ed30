//! Collections: customers with overdue invoices (amount, days late, the
//! next step and its date; filters, pages, CSV), the policy page, the list
//! of contracts suspended long enough to cancel, running the daily pass,
//! and the trust unlock of a contract (a confirmation page, then the
//! POST). The contract and customer pages show each contract's outlook
//! through [`contract_notice`] and [`customer_notices`].

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::Permission;
use domain::billing::Rate;
use domain::collections::{
    MAX_REMINDERS, Policy, ReducedRate, Reminder, SpeedReduction, Template as Message,
};
use services::Error;
use services::collections::{self as svc, Outlook, OverdueFilter, OverdueRow};
use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

use crate::error::{Fail, PageResult};
use crate::views::{FormErrors, NavItem, Page, html};
use crate::{done, field, form_pairs};

/// The collections navigation entry.
pub const NAV: NavItem = NavItem {
    key: "collections",
    href: "/collections",
    icon: "M3 6h18v12H3zm2 2v8h14V8zm7 1a3 3 0 1 1 0 6 3 3 0 0 1 0-6z",
    ready: true,
    perm: Some(Permission::CollectionsView),
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/collections", get(overdue))
        .route("/collections/overdue.csv", get(export))
        .route("/collections/policy", get(policy).post(save_policy))
        .route("/collections/cancellations", get(cancellations))
        .route("/collections/run", axum::routing::post(run))
        .route(
            "/contracts/{id}/trust-unlock",
            get(unlock_form).post(unlock),
        )
}

/// The collections tabs: (key, href, title key).
pub const TABS: &[(&str, &str, &str)] = &[
    ("overdue", "/collections", "collections-overdue"),
    (
        "cancellations",
        "/collections/cancellations",
        "collections-cancellations",
    ),
    ("policy", "/collections/policy", "collections-policy"),
];

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct OverdueQuery {
    min_days: Option<String>,
    q: Option<String>,
    offset: Option<i64>,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "collections_overdue.html")]
struct OverdueView {
    page: Page,
    tab: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str)],
    min_days: String,
    q: String,
    errors: FormErrors,
    rows: Vec<OverdueRow>,
    prev: Option<String>,
    next: Option<String>,
    export_href: String,
}

fn params(pairs: &[(&str, String)]) -> String {
    let p: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (*k, v.trim()))
        .collect();
    serde_urlencoded::to_string(p).unwrap_or_default()
}

/// The filter as typed, judged: days late is a whole number 0–3650.
fn filter(q: &OverdueQuery, staff: &Staff) -> Result<OverdueFilter, FormErrors> {
    let raw = q.min_days.clone().unwrap_or_default();
    let min_days = if raw.trim().is_empty() {
        1
    } else {
        match raw.trim().parse::<i64>() {
            Ok(n) if (0..=3650).contains(&n) => n,
            _ => {
                return Err(FormErrors(vec![(
                    "min_days".into(),
                    staff.tr.t("invalid-range"),
                )]));
            }
        }
    };
    Ok(OverdueFilter {
        min_days,
        q: q.q.clone().unwrap_or_default(),
        offset: q.offset.unwrap_or(0).max(0),
        limit: PAGE_SIZE + 1,
    })
}

pub async fn overdue(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<OverdueQuery>,
) -> PageResult {
    let caller = staff.caller();
    svc::access::view(&caller)?;
    let (rows, errors, offset) = match filter(&q, &staff) {
        Ok(f) => (
            svc::overdue(&state.svc, &caller, &f).await?,
            FormErrors::default(),
            f.offset,
        ),
        Err(e) => (Vec::new(), e, 0),
    };
    let more = rows.len() as i64 > PAGE_SIZE;
    let rows: Vec<OverdueRow> = rows.into_iter().take(PAGE_SIZE as usize).collect();
    let min_days = q.min_days.clone().unwrap_or_default();
    let text = q.q.clone().unwrap_or_default();
    let base = [("min_days", min_days.clone()), ("q", text.clone())];
    let href = |o: i64| {
        let mut p = base.to_vec();
        p.push(("offset", o.to_string()));
        format!("/collections?{}", params(&p))
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = OverdueView {
        page: Page::new(&staff, "collections", "collections-title").with_flash(q.ok.as_deref()),
        tab: "overdue",
        tabs: TABS,
        prev: (offset > 0).then(|| href((offset - PAGE_SIZE).max(0))),
        next: more.then(|| href(offset + PAGE_SIZE)),
        export_href: format!("/collections/overdue.csv?{}", params(&base)),
        min_days,
        q: text,
        errors,
        rows,
    };
    Ok((status, html(&view)).into_response())
}

/// The step's name in the reader's language.
fn step_label(tr: &Tr, step: &str) -> String {
    tr.label_or("collections-step-", step)
}

/// Every overdue customer matching the filters, as CSV.
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<OverdueQuery>,
) -> Result<Response, Fail> {
    let caller = staff.caller();
    let mut f = filter(&q, &staff).map_err(|_| {
        Fail::from(Error::invalid(
            "min_days",
            domain::validate::FieldError::Range,
        ))
    })?;
    f.offset = 0;
    f.limit = 1000;
    let mut rows = Vec::new();
    loop {
        let page = svc::overdue(&state.svc, &caller, &f).await?;
        let n = page.len() as i64;
        rows.extend(page);
        if n < f.limit {
            break;
        }
        f.offset += n;
    }
    let tr = staff.tr;
    let delimiter = crate::shared::csv_delimiter(&staff);
    let mut out = crate::shared::BOM.to_vec();
    out.extend(crate::shared::csv_chunk(
        delimiter,
        [[
            "customer_id",
            "customer",
            "owed",
            "oldest_due",
            "days_late",
            "invoices",
            "suspended_contracts",
            "reduced_contracts",
            "next_step",
            "next_date",
        ]],
    )?);
    out.extend(crate::shared::csv_chunk(
        delimiter,
        rows.iter().map(|r| {
            vec![
                r.row.customer_id.to_string(),
                r.row.customer_name.clone(),
                tr.money_decimal(r.row.owed),
                r.row.oldest_due.clone(),
                r.days_late.to_string(),
                r.row.invoices.to_string(),
                r.row.suspended.to_string(),
                r.row.reduced.to_string(),
                step_label(&tr, &r.next_step),
                r.next_date.clone().unwrap_or_default(),
            ]
        }),
    )?);
    Ok(crate::shared::csv_response("overdue.csv", Body::from(out)).into_response())
}

/// The policy form as typed.
#[derive(Debug, Clone, Default)]
struct PolicyForm {
    reminders: Vec<ReminderForm>,
    fine: String,
    interest_monthly: String,
    notice_offset_days: String,
    suspend_after_notice_days: String,
    notice: MessageForm,
    min_amount: String,
    unlock_max_days: String,
    cancel_after_days: String,
    reconnect_hours: String,
    reconnection_fee: String,
    /// The speed-reduction step: off while the days are empty; a
    /// percentage, or both kbit/s.
    reduce_after_days: String,
    reduce_percent: String,
    reduce_up_kbps: String,
    reduce_down_kbps: String,
}

#[derive(Debug, Clone, Default)]
struct ReminderForm {
    offset_days: String,
    message: MessageForm,
}

#[derive(Debug, Clone, Default)]
struct MessageForm {
    subject_en: String,
    body_en: String,
    subject_pt: String,
    body_pt: String,
}

impl MessageForm {
    fn of(m: &Message) -> MessageForm {
        MessageForm {
            subject_en: m.subject_en.clone(),
            body_en: m.body_en.clone(),
            subject_pt: m.subject_pt.clone(),
            body_pt: m.body_pt.clone(),
        }
    }

    fn read(p: &[(String, String)], prefix: &str) -> MessageForm {
        let f = |n: &str| field(p, &format!("{prefix}.{n}"));
        MessageForm {
            subject_en: f("subject_en"),
            body_en: f("body_en"),
            subject_pt: f("subject_pt"),
            body_pt: f("body_pt"),
        }
    }

    fn message(&self) -> Message {
        Message {
            subject_en: self.subject_en.trim().to_owned(),
            body_en: self.body_en.replace("\r\n", "\n"),
            subject_pt: self.subject_pt.trim().to_owned(),
            body_pt: self.body_pt.replace("\r\n", "\n"),
        }
    }

    fn is_empty(&self) -> bool {
        [
            &self.subject_en,
            &self.body_en,
            &self.subject_pt,
            &self.body_pt,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

impl PolicyForm {
    fn of(p: &Policy, tr: &Tr) -> PolicyForm {
        let mut reminders: Vec<ReminderForm> = p
            .reminders
            .iter()
            .map(|r| ReminderForm {
                offset_days: r.offset_days.to_string(),
                message: MessageForm::of(&r.template),
            })
            .collect();
        if reminders.len() < MAX_REMINDERS {
            reminders.push(ReminderForm::default());
        }
        PolicyForm {
            reminders,
            fine: p.fine.percent_text(),
            interest_monthly: p.interest_monthly.percent_text(),
            notice_offset_days: p.notice_offset_days.to_string(),
            suspend_after_notice_days: p.suspend_after_notice_days.to_string(),
            notice: MessageForm::of(&p.notice),
            min_amount: tr.money_decimal(p.min_amount.0),
            unlock_max_days: p.unlock_max_days.to_string(),
            cancel_after_days: p.cancel_after_days.to_string(),
            reconnect_hours: p.reconnect_hours.to_string(),
            reconnection_fee: tr.money_decimal(p.reconnection_fee.0),
            reduce_after_days: p
                .speed_reduction
                .map(|r| r.after_notice_days.to_string())
                .unwrap_or_default(),
            reduce_percent: match p.speed_reduction.map(|r| r.rate) {
                Some(ReducedRate::Percent { percent }) => percent.to_string(),
                _ => String::new(),
            },
            reduce_up_kbps: match p.speed_reduction.map(|r| r.rate) {
                Some(ReducedRate::Fixed { up_kbps, .. }) => up_kbps.to_string(),
                _ => String::new(),
            },
            reduce_down_kbps: match p.speed_reduction.map(|r| r.rate) {
                Some(ReducedRate::Fixed { down_kbps, .. }) => down_kbps.to_string(),
                _ => String::new(),
            },
        }
    }

    fn read(p: &[(String, String)]) -> PolicyForm {
        let reminders = (0..MAX_REMINDERS)
            .map(|i| ReminderForm {
                offset_days: field(p, &format!("reminders.{i}.offset_days")),
                message: MessageForm::read(p, &format!("reminders.{i}")),
            })
            .filter(|r| !r.offset_days.trim().is_empty() || !r.message.is_empty())
            .collect();
        PolicyForm {
            reminders,
            fine: field(p, "fine"),
            interest_monthly: field(p, "interest_monthly"),
            notice_offset_days: field(p, "notice_offset_days"),
            suspend_after_notice_days: field(p, "suspend_after_notice_days"),
            notice: MessageForm::read(p, "notice"),
            min_amount: field(p, "min_amount"),
            unlock_max_days: field(p, "unlock_max_days"),
            cancel_after_days: field(p, "cancel_after_days"),
            reconnect_hours: field(p, "reconnect_hours"),
            reconnection_fee: field(p, "reconnection_fee"),
            reduce_after_days: field(p, "speed_reduction.after_notice_days"),
            reduce_percent: field(p, "speed_reduction.percent"),
            reduce_up_kbps: field(p, "speed_reduction.up_kbps"),
            reduce_down_kbps: field(p, "speed_reduction.down_kbps"),
        }
    }

    /// The policy, or the first field that does not read, with its message.
    fn policy(&self, tr: &Tr) -> Result<Policy, (String, String)> {
        let int = |name: &str, v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| (name.to_owned(), tr.t("collections-invalid-number")))
        };
        let pct = |name: &str, v: &str| {
            Rate::parse_percent(v)
                .map_err(|_| (name.to_owned(), tr.t("collections-invalid-percent")))
        };
        let money = |name: &str, v: &str| {
            if v.trim().is_empty() {
                return Ok(domain::Money(0));
            }
            tr.parse_money(v)
                .map_err(|_| (name.to_owned(), tr.t("invalid-amount")))
        };
        let mut reminders = Vec::new();
        for (i, r) in self.reminders.iter().enumerate() {
            reminders.push(Reminder {
                offset_days: int(&format!("reminders.{i}.offset_days"), &r.offset_days)?,
                template: r.message.message(),
            });
        }
        let speed_reduction = if self.reduce_after_days.trim().is_empty() {
            None
        } else {
            let rate = if !self.reduce_percent.trim().is_empty() {
                ReducedRate::Percent {
                    percent: int("speed_reduction.percent", &self.reduce_percent)?,
                }
            } else if !self.reduce_up_kbps.trim().is_empty()
                || !self.reduce_down_kbps.trim().is_empty()
            {
                ReducedRate::Fixed {
                    up_kbps: int("speed_reduction.up_kbps", &self.reduce_up_kbps)?,
                    down_kbps: int("speed_reduction.down_kbps", &self.reduce_down_kbps)?,
                }
            } else {
                return Err((
                    "speed_reduction.percent".to_owned(),
                    tr.t("collections-reduce-rate-required"),
                ));
            };
            Some(SpeedReduction {
                after_notice_days: int(
                    "speed_reduction.after_notice_days",
                    &self.reduce_after_days,
                )?,
                rate,
            })
        };
        Ok(Policy {
            speed_reduction,
            reminders,
            fine: pct("fine", &self.fine)?,
            interest_monthly: pct("interest_monthly", &self.interest_monthly)?,
            notice_offset_days: int("notice_offset_days", &self.notice_offset_days)?,
            suspend_after_notice_days: int(
                "suspend_after_notice_days",
                &self.suspend_after_notice_days,
            )?,
            notice: self.notice.message(),
            min_amount: money("min_amount", &self.min_amount)?,
            unlock_max_days: int("unlock_max_days", &self.unlock_max_days)?,
            cancel_after_days: int("cancel_after_days", &self.cancel_after_days)?,
            reconnect_hours: int("reconnect_hours", &self.reconnect_hours)?,
            reconnection_fee: money("reconnection_fee", &self.reconnection_fee)?,
        })
    }
}

#[derive(Template)]
#[template(path = "collections_policy.html")]
struct PolicyView {
    page: Page,
    tab: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str)],
    v: PolicyForm,
    errors: FormErrors,
    country: String,
    /// Who saved the policy and when, as a sentence.
    updated: Option<String>,
    placeholders: String,
}

fn policy_view(
    staff: &Staff,
    stored: &svc::Stored,
    v: PolicyForm,
    errors: FormErrors,
    ok: Option<&str>,
) -> PolicyView {
    let page = Page::new(staff, "collections", "collections-policy").with_flash(ok);
    let updated = stored
        .updated_at
        .zip(stored.updated_by.clone())
        .map(|(at, by)| {
            staff.tr.t2(
                "collections-policy-updated",
                ("when", page.when(&at)),
                ("who", by),
            )
        });
    PolicyView {
        page,
        tab: "policy",
        tabs: TABS,
        v,
        errors,
        country: stored.country.clone(),
        updated,
        placeholders: domain::collections::PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

pub async fn policy(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let stored = svc::policy(&state.svc, &staff.caller()).await?;
    let v = PolicyForm::of(&stored.policy, &staff.tr);
    Ok(html(&policy_view(
        &staff,
        &stored,
        v,
        FormErrors::default(),
        f.ok.as_deref(),
    )))
}

pub async fn save_policy(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    svc::access::manage(&caller)?;
    let v = PolicyForm::read(&form_pairs(&body));
    let errors = match v.policy(&staff.tr) {
        Err((field, msg)) => FormErrors(vec![(field, msg)]),
        Ok(p) => match svc::update_policy(&state.svc, &caller, p).await {
            Ok(_) => return Ok(done("/collections/policy", "collections-policy-saved")),
            Err(e) => FormErrors::from_error(&staff.tr, e)?,
        },
    };
    let stored = svc::policy(&state.svc, &caller).await?;
    let mut v = v;
    if v.reminders.len() < MAX_REMINDERS {
        v.reminders.push(ReminderForm::default());
    }
    let view = policy_view(&staff, &stored, v, errors, None);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct PageQuery {
    offset: Option<i64>,
}

#[derive(Template)]
#[template(path = "collections_cancellations.html")]
struct CancelView {
    page: Page,
    tab: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str)],
    rows: Vec<services::collections::ToCancel>,
    days: i64,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn cancellations(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let caller = staff.caller();
    let offset = q.offset.unwrap_or(0).max(0);
    let mut rows = svc::to_cancel(&state.svc, &caller, offset, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let days = svc::policy(&state.svc, &caller)
        .await?
        .policy
        .cancel_after_days;
    let href = |o: i64| format!("/collections/cancellations?offset={o}");
    Ok(html(&CancelView {
        page: Page::new(&staff, "collections", "collections-cancellations"),
        tab: "cancellations",
        tabs: TABS,
        rows,
        days,
        prev: (offset > 0).then(|| href((offset - PAGE_SIZE).max(0))),
        next: more.then(|| href(offset + PAGE_SIZE)),
    }))
}

/// Queues the daily pass now; the jobs page shows its progress.
pub async fn run(State(state): State<AppState>, staff: Staff) -> PageResult {
    let job = svc::start(&state.svc, &staff.caller(), None).await?;
    Ok(done(&format!("/jobs/{job}"), "collections-run"))
}

#[derive(Template)]
#[template(path = "collections_unlock.html")]
struct UnlockView {
    page: Page,
    contract_id: i64,
    number: String,
    customer_id: i64,
    customer: String,
    days: String,
    max_days: i64,
    /// The contract's speed is reduced (not suspended): the unlock gives
    /// the plan's speed back until the suspension day.
    reduced: bool,
    errors: FormErrors,
}

async fn unlock_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    days: String,
    errors: FormErrors,
) -> Result<UnlockView, Fail> {
    let caller = staff.caller();
    let k = services::contracts::get(&state.svc, &caller, id).await?;
    let c = services::crm::get_customer(&state.svc, &caller, k.customer_id).await?;
    let max_days = svc::policy(&state.svc, &caller)
        .await?
        .policy
        .unlock_max_days;
    let reduced = matches!(
        svc::outlook(&state.svc, &caller, id).await?,
        Outlook::Reduced { .. }
    );
    Ok(UnlockView {
        reduced,
        page: Page::new(staff, "customers", "collections-unlock-title"),
        contract_id: id,
        number: k.number,
        customer_id: c.id,
        customer: c.name,
        days: if days.is_empty() {
            max_days.to_string()
        } else {
            days
        },
        max_days,
        errors,
    })
}

/// The confirmation page: how many days, and what happens after.
pub async fn unlock_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    svc::access::unlock(&staff.caller())?;
    Ok(html(
        &unlock_view(&state, &staff, id, String::new(), FormErrors::default()).await?,
    ))
}

pub async fn unlock(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    svc::access::unlock(&caller)?;
    let pairs = form_pairs(&body);
    let days_text = field(&pairs, "days");
    let errors = match days_text.trim().parse::<i64>() {
        Err(_) => FormErrors(vec![(
            "days".into(),
            staff.tr.t("collections-invalid-number"),
        )]),
        Ok(days) => match svc::trust_unlock(&state.svc, &caller, id, days).await {
            Ok(_) => return Ok(done(&format!("/contracts/{id}"), "collections-unlocked")),
            Err(e) => FormErrors::from_error(&staff.tr, e)?,
        },
    };
    let view = unlock_view(&state, &staff, id, days_text, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

/// A contract's collections line on its page and its customer's.
#[derive(Debug, Clone)]
pub struct Notice {
    pub contract_id: i64,
    /// The sentence, in the reader's language.
    pub text: String,
    /// `warn` (suspension coming, unlocked) or `error` (suspended).
    pub tone: &'static str,
    /// Whether the trust unlock button shows (permission and still unused).
    pub unlock: bool,
}

fn notice_of(staff: &Staff, contract_id: i64, o: Outlook) -> Option<Notice> {
    let tr = &staff.tr;
    let date = |d: &str| -> String {
        d.parse::<jiff::civil::Date>()
            .map(|d| match tr.locale {
                domain::Locale::En => d.strftime("%B %-d, %Y").to_string(),
                domain::Locale::PtBr => d.strftime("%d/%m/%Y").to_string(),
            })
            .unwrap_or_else(|_| d.to_owned())
    };
    let may_unlock = staff.caller().can(Permission::CollectionsUnlock);
    Some(match o {
        Outlook::Clear => return None,
        Outlook::SuspensionOn {
            date: d,
            days,
            owed,
        } => Notice {
            contract_id,
            text: tr.targs(
                "collections-outlook-suspension-on",
                &[
                    ("days", days.to_string()),
                    ("date", date(&d)),
                    ("owed", tr.money(owed)),
                ],
            ),
            tone: "warn",
            unlock: false,
        },
        Outlook::Suspended {
            since, unlockable, ..
        } => Notice {
            contract_id,
            text: tr.t1("collections-outlook-suspended", "date", date(&since)),
            tone: "error",
            unlock: unlockable && may_unlock,
        },
        Outlook::Reduced {
            since,
            suspend_on,
            days,
            owed,
        } => Notice {
            contract_id,
            text: tr.targs(
                "collections-outlook-reduced",
                &[
                    ("since", date(&since)),
                    ("days", days.to_string()),
                    ("date", date(&suspend_on)),
                    ("owed", tr.money(owed)),
                ],
            ),
            tone: "warn",
            unlock: may_unlock,
        },
        Outlook::Unlocked { until } => Notice {
            contract_id,
            text: tr.t1("collections-outlook-unlocked", "date", date(&until)),
            tone: "warn",
            unlock: false,
        },
    })
}

/// Contract `id`'s collections notice, if any.
pub async fn contract_notice(
    state: &AppState,
    staff: &Staff,
    id: i64,
) -> Result<Option<Notice>, Fail> {
    let o = svc::outlook(&state.svc, &staff.caller(), id).await?;
    Ok(notice_of(staff, id, o))
}

/// The notices of customer `id`'s contracts, with their numbers.
pub async fn customer_notices(
    state: &AppState,
    staff: &Staff,
    id: i64,
) -> Result<Vec<(String, Notice)>, Fail> {
    let caller = staff.caller();
    let mut out = Vec::new();
    for (k, o) in svc::customer_outlook(&state.svc, &caller, id).await? {
        if let Some(n) = notice_of(staff, k, o) {
            let number = services::contracts::get(&state.svc, &caller, k)
                .await?
                .number;
            out.push((number, n));
        }
    }
    Ok(out)
}
