use askama::Template;
use axum::extract::{Query, State};

use super::Flash;
use crate::auth::Staff;
use crate::error::PageResult;
use crate::state::AppState;
use crate::views::{Page, html};

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardView {
    page: Page,
    overview: services::staff::Overview,
    db_size: String,
    engine: &'static str,
}

pub fn human_bytes(n: i64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < units.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<Flash>,
) -> PageResult {
    staff.require(domain::Permission::DashboardView)?;
    let overview = services::staff::overview(&state.svc).await?;
    let db_size = human_bytes(state.svc.db.size_bytes().await?);
    let engine = match state.svc.db.engine() {
        store::Engine::Sqlite => "SQLite",
        store::Engine::Postgres => "PostgreSQL",
    };
    let page = Page::new(&staff, "dashboard", "nav-dashboard").with_flash(f.ok.as_deref());
    Ok(html(&DashboardView {
        page,
        overview,
        db_size,
        engine,
    }))
}
