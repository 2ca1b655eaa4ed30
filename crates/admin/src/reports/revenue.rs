//! Revenue by plan, city or month: issued invoices minus credit notes,
//! without and with tax, between two dates, for one plan or city.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use services::billing::reports::{self, Revenue, RevenueBy, RevenueQuery, RevenueRow};

use super::{csv, judged, params, share, status};
use crate::error::{Fail, PageResult};
use crate::shared::{PlanOption, id_param, plan_options};
use crate::views::{FormErrors, Page, html};
use webkit::auth::Staff;
use webkit::state::AppState;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Filters {
    /// `plan`, `city` or `month` (the default).
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
    plan: Option<String>,
    city: Option<String>,
}

impl Filters {
    fn by(&self) -> (&'static str, RevenueBy) {
        match self.by.as_deref() {
            Some("plan") => ("plan", RevenueBy::Plan),
            Some("city") => ("city", RevenueBy::City),
            _ => ("month", RevenueBy::Month),
        }
    }
    fn query(&self) -> RevenueQuery {
        RevenueQuery {
            from: self.from.clone().unwrap_or_default(),
            to: self.to.clone().unwrap_or_default(),
            plan_id: id_param(&self.plan),
            city: self.city.clone().unwrap_or_default(),
        }
    }
    fn params(&self) -> String {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        params(&[
            ("by", self.by().0.to_owned()),
            ("from", s(&self.from)),
            ("to", s(&self.to)),
            ("plan", s(&self.plan)),
            ("city", s(&self.city)),
        ])
    }
}

struct Row {
    r: RevenueRow,
    pct: i64,
}

#[derive(Template)]
#[template(path = "reports_revenue.html")]
struct RevenueView {
    page: Page,
    tab: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str)],
    export_href: String,
    by: &'static str,
    groups: &'static [&'static str],
    f: Filters,
    plans: Vec<PlanOption>,
    cities: Vec<String>,
    errors: FormErrors,
    revenue: Revenue,
    rows: Vec<Row>,
}

/// A group's label: the key, or "none" for documents without a plan or a
/// billing city.
fn label(staff: &Staff, key: &str) -> String {
    if key.is_empty() {
        staff.tr.t("reports-none")
    } else {
        key.to_owned()
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<Filters>,
) -> PageResult {
    let caller = staff.caller();
    let (by, group) = f.by();
    let (revenue, errors) = judged(
        &staff,
        reports::revenue(&state.svc, &caller, group, &f.query()).await,
    )?;
    let top = revenue.rows.iter().map(|r| r.total).max().unwrap_or(0);
    let rows = revenue
        .rows
        .iter()
        .map(|r| Row {
            r: RevenueRow {
                key: label(&staff, &r.key),
                ..r.clone()
            },
            pct: share(r.total, top),
        })
        .collect();
    let plans = plan_options(&state, &staff).await?;
    let cities = reports::cities(&state.svc, &caller).await?;
    let view = RevenueView {
        page: Page::new(&staff, "reports", "reports-revenue"),
        tab: "revenue",
        tabs: super::TABS,
        export_href: format!("/reports/revenue.csv?{}", f.params()),
        by,
        groups: &["month", "plan", "city"],
        f,
        plans,
        cities,
        errors,
        revenue,
        rows,
    };
    Ok((status(&view.errors), html(&view)).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<Filters>,
) -> Result<Response, Fail> {
    let (by, group) = f.by();
    let revenue = reports::revenue(&state.svc, &staff.caller(), group, &f.query()).await?;
    let tr = staff.tr;
    let row = |key: String, r: &RevenueRow| {
        vec![
            key,
            r.invoices.to_string(),
            r.credit_notes.to_string(),
            tr.money_decimal(r.net),
            tr.money_decimal(r.tax),
            tr.money_decimal(r.total),
        ]
    };
    let lines: Vec<Vec<String>> = revenue
        .rows
        .iter()
        .map(|r| row(r.key.clone(), r))
        .chain([row(tr.t("reports-total"), &revenue.total)])
        .collect();
    csv(
        &staff,
        &format!(
            "revenue-by-{by}-{}-{}.csv",
            revenue.span.from, revenue.span.to
        ),
        &[by, "invoices", "credit_notes", "net", "tax", "total"],
        lines,
    )
}
