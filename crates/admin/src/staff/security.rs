//! Login bans and refused logins.

use askama::Template;
use axum::extract::{Path, Query, State};
use services::staff::auth::{Ban, Failure};

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
    let caller = staff.caller();
    let bans = services::staff::auth::active_bans(&state.svc, &caller).await?;
    let failures = services::staff::auth::recent_failures(&state.svc, &caller, 50).await?;
    let page = Page::new(&staff, "security", "nav-security").with_flash(f.ok.as_deref());
    Ok(html(&View {
        page,
        bans,
        failures,
    }))
}

pub async fn lift(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PageResult {
    services::staff::auth::lift_ban(&state.svc, &staff.caller(), id).await?;
    Ok(done("/security", "ban-lifted"))
}
