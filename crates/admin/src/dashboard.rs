use crate::views::NavItem;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use domain::Permission;

use crate::Flash;
use crate::error::PageResult;
use crate::views::{Page, html};
use webkit::auth::Staff;
use webkit::state::AppState;

/// The dashboard's navigation entry.
pub const NAV: NavItem = NavItem {
    key: "dashboard",
    href: "/",
    icon: "M3 13h8V3H3zm0 8h8v-6H3zm10 0h8V11h-8zm0-18v6h8V3z",
    ready: true,
    perm: Some(Permission::DashboardView),
};

/// The dashboard's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(show))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardView {
    page: Page,
    overview: services::staff::Overview,
    db_size: String,
    engine: &'static str,
    nodes: Vec<NodeRow>,
    queue_lag: String,
    /// Failed (waiting to retry) plus dead.
    jobs_failing: i64,
    jobs_running: i64,
    jobs_queued: i64,
    /// Shown to staff holding `BillingView` only.
    billing: Option<services::billing::reports::Figures>,
}

/// One node of the health panel, formatted.
struct NodeRow {
    id: String,
    roles: String,
    version: String,
    cpu: String,
    mem: String,
    mem_pct: i64,
    disk: String,
    disk_pct: i64,
    rss: String,
    seen: i64,
    stale: bool,
}

fn pct(used: i64, total: i64) -> i64 {
    if total > 0 { used * 100 / total } else { 0 }
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
    let perms = &staff.principal.permissions;
    if !perms.contains(Permission::DashboardView)
        && let Some(home) = crate::views::home(perms)
    {
        // "/" is everyone's home link (logo, sign-in); without the
        // dashboard it leads to the first area they may open.
        return Ok(Redirect::to(home).into_response());
    }
    let dash = services::system::health::dashboard(&state.svc, &staff.caller()).await?;
    let (overview, health) = (dash.overview.clone(), &dash.health);
    let count = |s: services::system::jobs::Status| {
        health
            .jobs
            .iter()
            .find(|(st, _)| *st == s)
            .map_or(0, |(_, n)| *n)
    };
    let nodes = health
        .nodes
        .iter()
        .map(|l| {
            let n = &l.node;
            NodeRow {
                id: n.node_id.clone(),
                roles: n.roles.clone(),
                version: n.version.clone(),
                cpu: format!("{:.1} %", n.cpu_percent),
                mem: format!("{} / {}", human_bytes(n.mem_used), human_bytes(n.mem_total)),
                mem_pct: pct(n.mem_used, n.mem_total),
                disk: format!(
                    "{} / {}",
                    human_bytes(n.disk_used),
                    human_bytes(n.disk_total)
                ),
                disk_pct: pct(n.disk_used, n.disk_total),
                rss: human_bytes(n.rss),
                seen: n.heartbeat_at,
                stale: l.stale,
            }
        })
        .collect();
    let billing = if perms.contains(Permission::BillingView) {
        Some(services::billing::reports::figures(&state.svc, &staff.caller()).await?)
    } else {
        None
    };
    let page = Page::new(&staff, "dashboard", "nav-dashboard").with_flash(f.ok.as_deref());
    Ok(html(&DashboardView {
        page,
        overview,
        db_size: human_bytes(health.database_bytes),
        engine: health.database_engine,
        nodes,
        queue_lag: crate::system::jobs::duration(health.queue_lag_secs),
        jobs_failing: count(services::system::jobs::Status::Failed)
            + count(services::system::jobs::Status::Dead),
        jobs_running: count(services::system::jobs::Status::Running),
        jobs_queued: count(services::system::jobs::Status::Queued),
        billing,
    }))
}
