//! Monthly recurring revenue: what the active contracts bring per plan
//! now, and the movements (new, expansion, contraction, churn) per month.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use services::billing::reports::{self, Mrr, MrrMonth, MrrPlan};

use super::{csv, judged, params, share, status};
use crate::error::{Fail, PageResult};
use crate::views::{FormErrors, Page, html};
use webkit::auth::Staff;
use webkit::state::AppState;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct MrrQuery {
    /// A day of the last month shown (empty: this month).
    to: Option<String>,
    months: Option<i64>,
}

impl MrrQuery {
    fn to(&self) -> String {
        self.to.clone().unwrap_or_default()
    }
    fn months(&self) -> i64 {
        self.months.unwrap_or(12).clamp(1, 36)
    }
}

struct PlanRow {
    p: MrrPlan,
    pct: i64,
}

#[derive(Template)]
#[template(path = "reports_mrr.html")]
struct MrrView {
    page: Page,
    tab: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str)],
    export_href: String,
    movements_href: String,
    to: String,
    months: i64,
    month_choices: &'static [i64],
    errors: FormErrors,
    mrr: Mrr,
    plans: Vec<PlanRow>,
    moves: Vec<MrrMonth>,
    sum: MrrMonth,
}

fn sum(moves: &[MrrMonth]) -> MrrMonth {
    let mut s = MrrMonth::default();
    for m in moves {
        s.new_contracts += m.new_contracts;
        s.new.0 += m.new.0;
        s.expansion.0 += m.expansion.0;
        s.contraction.0 += m.contraction.0;
        s.churned_contracts += m.churned_contracts;
        s.churn.0 += m.churn.0;
        s.net.0 += m.net.0;
    }
    s
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<MrrQuery>,
) -> PageResult {
    let caller = staff.caller();
    let mrr = reports::mrr(&state.svc, &caller).await?;
    let (moves, errors) = judged(
        &staff,
        reports::mrr_movements(&state.svc, &caller, &q.to(), q.months()).await,
    )?;
    let total = mrr.total.0;
    let plans = mrr
        .by_plan
        .iter()
        .map(|p| PlanRow {
            p: p.clone(),
            pct: share(p.mrr.0, total),
        })
        .collect();
    let qs = params(&[("to", q.to()), ("months", q.months().to_string())]);
    let view = MrrView {
        page: Page::new(&staff, "reports", "reports-mrr"),
        tab: "mrr",
        tabs: super::TABS,
        export_href: "/reports/mrr-plans.csv".into(),
        movements_href: format!("/reports/mrr-movements.csv?{qs}"),
        to: q.to(),
        months: q.months(),
        month_choices: &[3, 6, 12, 24, 36],
        errors,
        sum: sum(&moves),
        mrr,
        plans,
        moves,
    };
    Ok((status(&view.errors), html(&view)).into_response())
}

pub async fn export_plans(State(state): State<AppState>, staff: Staff) -> Result<Response, Fail> {
    let mrr = reports::mrr(&state.svc, &staff.caller()).await?;
    let tr = staff.tr;
    let m = |x: i64| tr.money_decimal(x);
    let lines = mrr
        .by_plan
        .iter()
        .map(|p| {
            vec![
                p.plan_name.clone(),
                p.contracts.to_string(),
                m(p.plans.0),
                m(p.items.0),
                m(p.mrr.0),
            ]
        })
        .chain([vec![
            tr.t("reports-total"),
            mrr.contracts.to_string(),
            m(mrr.by_plan.iter().map(|p| p.plans.0).sum()),
            m(mrr.by_plan.iter().map(|p| p.items.0).sum()),
            m(mrr.total.0),
        ]]);
    csv(
        &staff,
        "mrr-by-plan.csv",
        &["plan", "contracts", "plan_mrr", "items_mrr", "mrr"],
        lines,
    )
}

pub async fn export_movements(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<MrrQuery>,
) -> Result<Response, Fail> {
    let moves = reports::mrr_movements(&state.svc, &staff.caller(), &q.to(), q.months()).await?;
    let tr = staff.tr;
    let m = |x: i64| tr.money_decimal(x);
    let row = |label: String, x: &MrrMonth| {
        vec![
            label,
            x.new_contracts.to_string(),
            m(x.new.0),
            m(x.expansion.0),
            m(x.contraction.0),
            x.churned_contracts.to_string(),
            m(x.churn.0),
            m(x.net.0),
        ]
    };
    let total = sum(&moves);
    let lines: Vec<Vec<String>> = moves
        .iter()
        .map(|x| row(x.month.clone(), x))
        .chain([row(tr.t("reports-total"), &total)])
        .collect();
    csv(
        &staff,
        "mrr-movements.csv",
        &[
            "month",
            "new_contracts",
            "new",
            "expansion",
            "contraction",
            "churned_contracts",
            "churn",
            "net",
        ],
        lines,
    )
}
