//! Login bans and refused logins.

use askama::Template;
use axum::extract::{Path, Query, State};
use domain::Permission;
use store::staff::security::{Ban, Failure};

use crate::done;
use crate::error::PageResult;
use crate::views::{Page, html};
use webkit::auth::Staff;
use webkit::state::AppState;

#[derive(Template)]
#[template(path = "security.html")]
struct View {
    page: Page,
    bans: Vec<Ban>,
    failures: Vec<Failure>,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    staff.require(Permission::SecurityManage)?;
    let bans = services::staff::auth::active_bans(&state.svc).await?;
    let failures = services::staff::auth::recent_failures(&state.svc, 50).await?;
    let page = Page::new(&staff, "security", "nav-security").with_flash(f.ok.as_deref());
    Ok(html(&View {
        page,
        bans,
        failures,
    }))
}

pub async fn lift(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    staff.require(Permission::SecurityManage)?;
    services::staff::auth::lift_ban(&state.svc, &staff.actor(), id).await?;
    Ok(done("/security", "ban-lifted"))
}
