//! The audit log, filterable, newest first.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use services::system::audit::Entry;
use services::system::audit::Query as AuditQuery;

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use webkit::auth::Staff;
use webkit::state::AppState;

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    actor: Option<String>,
    action: Option<String>,
    entity_kind: Option<String>,
    entity_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct ListView {
    page: Page,
    entries: Vec<Entry>,
    actor: String,
    action: String,
    entity_kind: String,
    entity_id: String,
    from: String,
    to: String,
    errors: FormErrors,
    next: Option<String>,
}

fn nonblank(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let query = AuditQuery {
        actor: nonblank(&q.actor),
        action: nonblank(&q.action),
        entity_kind: nonblank(&q.entity_kind),
        entity_id: nonblank(&q.entity_id),
        from: q.from.clone(),
        to: q.to.clone(),
        before: q.before,
        limit: 50,
    };
    // A date the service cannot read is shown by its field, not dropped.
    let (entries, more, errors) =
        match services::system::audit::list(&state.svc, &staff.caller(), &query).await {
            Ok((entries, more)) => (entries, more, FormErrors::default()),
            Err(e) => (Vec::new(), false, FormErrors::from_error(&staff.tr, e)?),
        };
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    let next = more.then(|| {
        let params = serde_urlencoded::to_string([
            ("actor", s(&q.actor)),
            ("action", s(&q.action)),
            ("entity_kind", s(&q.entity_kind)),
            ("entity_id", s(&q.entity_id)),
            ("from", s(&q.from)),
            ("to", s(&q.to)),
            (
                "before",
                entries.last().map(|e| e.id).unwrap_or_default().to_string(),
            ),
        ])
        .unwrap_or_default();
        format!("/audit?{params}")
    });
    let page = Page::new(&staff, "audit", "nav-audit");
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = ListView {
        page,
        entries,
        actor: s(&q.actor),
        action: s(&q.action),
        entity_kind: s(&q.entity_kind),
        entity_id: s(&q.entity_id),
        from: s(&q.from),
        to: s(&q.to),
        errors,
        next,
    };
    Ok((status, html(&view)).into_response())
}

#[derive(Template)]
#[template(path = "audit_entry.html")]
struct EntryView {
    page: Page,
    e: Entry,
    before: String,
    after: String,
}

fn pretty(json: &Option<String>) -> String {
    json.as_deref()
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_default()
}

pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    let e = services::system::audit::get(&state.svc, &staff.caller(), id).await?;
    let mut page = Page::new(&staff, "audit", "nav-audit");
    page.title = format!("{} #{}", page.title, e.id);
    let (before, after) = (pretty(&e.before_json), pretty(&e.after_json));
    Ok(html(&EntryView {
        page,
        e,
        before,
        after,
    }))
}
