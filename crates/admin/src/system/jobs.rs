//! Background jobs: the list (by status, with progress), one job's detail
//! with its error, and "retry now".

use askama::Template;
use axum::extract::{Path, Query, State};
use domain::Permission;
use services::system::jobs::{Filter, Job, Status};

use crate::done;
use crate::error::PageResult;
use crate::views::{Page, html};
use webkit::auth::Staff;
use webkit::state::AppState;

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    kind: Option<String>,
    before: Option<i64>,
    ok: Option<String>,
}

/// A status tab with its count.
pub struct StatusTab {
    pub code: &'static str,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct ListView {
    page: Page,
    jobs: Vec<Job>,
    tabs: Vec<StatusTab>,
    total: i64,
    status: String,
    kind: String,
    queue_lag: String,
    next: Option<String>,
}

/// A badge class per status.
pub fn badge(status: &Status) -> &'static str {
    match status {
        Status::Succeeded => "badge badge-ok",
        Status::Running => "tag",
        Status::Queued => "badge",
        Status::Failed => "badge badge-warn",
        Status::Dead => "badge badge-danger",
    }
}

/// Seconds as a short duration (`42 s`, `3 min`, `2 h`).
pub fn duration(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let status = q.status.as_deref().and_then(Status::parse);
    let kind = q
        .kind
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned);
    let filter = Filter {
        status,
        kind: kind.clone(),
        before: q.before,
        limit: 50,
    };
    let caller = staff.caller();
    let (jobs, more) = services::system::jobs::list(&state.svc, &caller, &filter).await?;
    let counts = services::system::jobs::counts(&state.svc, &caller).await?;
    let lag = services::system::jobs::queue_lag(&state.svc, &caller).await?;
    let status_code = status.map(Status::as_str).unwrap_or_default().to_owned();
    let kind_text = kind.unwrap_or_default();
    let next = more.then(|| {
        let params = serde_urlencoded::to_string([
            ("status", status_code.clone()),
            ("kind", kind_text.clone()),
            (
                "before",
                jobs.last().map(|j| j.id).unwrap_or_default().to_string(),
            ),
        ])
        .unwrap_or_default();
        format!("/jobs?{params}")
    });
    let page = Page::new(&staff, "jobs", "nav-jobs").with_flash(q.ok.as_deref());
    Ok(html(&ListView {
        page,
        total: counts.iter().map(|(_, n)| n).sum(),
        tabs: counts
            .into_iter()
            .map(|(s, count)| StatusTab {
                code: s.as_str(),
                count,
            })
            .collect(),
        jobs,
        status: status_code,
        kind: kind_text,
        queue_lag: duration(lag),
        next,
    }))
}

#[derive(Template)]
#[template(path = "job.html")]
struct DetailView {
    page: Page,
    j: Job,
    payload: String,
    can_retry: bool,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let j = services::system::jobs::get(&state.svc, &staff.caller(), id).await?;
    let mut page = Page::new(&staff, "jobs", "nav-jobs").with_flash(f.ok.as_deref());
    page.title = format!("{} #{} · {}", page.title, j.id, j.kind);
    let payload = serde_json::from_str::<serde_json::Value>(&j.payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| j.payload.clone());
    let can_retry = staff.principal.can(Permission::JobsManage)
        && matches!(j.status, Status::Failed | Status::Dead);
    Ok(html(&DetailView {
        page,
        j,
        payload,
        can_retry,
    }))
}

pub async fn retry(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let to = format!("/jobs/{id}");
    match services::system::jobs::retry_now(&state.svc, &staff.caller(), id).await {
        Ok(()) => Ok(done(&to, "job-retried")),
        Err(services::Error::Refused(code)) => Ok(done(&to, &format!("refused-{code}"))),
        Err(e) => Err(e.into()),
    }
}
