//! Tax totals per month and per tax (name and rate), with credit notes
//! taking theirs back, between two dates.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use services::billing::reports::{self, Taxes};

use super::{csv, judged, params, status};
use crate::error::{Fail, PageResult};
use crate::views::{FormErrors, Page, html};
use webkit::auth::Staff;
use webkit::state::AppState;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Filters {
    from: Option<String>,
    to: Option<String>,
}

impl Filters {
    fn from(&self) -> String {
        self.from.clone().unwrap_or_default()
    }
    fn to(&self) -> String {
        self.to.clone().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "reports_taxes.html")]
struct TaxesView {
    page: Page,
    tab: &'static str,
    tabs: &'static [(&'static str, &'static str, &'static str)],
    export_href: String,
    from: String,
    to: String,
    errors: FormErrors,
    taxes: Taxes,
}

/// A rate in parts per million as people read it: `18 %`, `0.65 %`
/// (`0,65 %` in Portuguese).
pub fn rate(tr: &webkit::i18n::Tr, ppm: &i64) -> String {
    let text = u32::try_from(*ppm)
        .map(|p| domain::billing::Rate(p).to_string())
        .unwrap_or_default();
    match tr.locale {
        domain::Locale::PtBr => text.replace('.', ","),
        domain::Locale::En => text,
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<Filters>,
) -> PageResult {
    let (taxes, errors) = judged(
        &staff,
        reports::taxes(&state.svc, &staff.caller(), &f.from(), &f.to()).await,
    )?;
    let shown = |typed: String, used: &str| {
        if typed.is_empty() {
            used.to_owned()
        } else {
            typed
        }
    };
    let view = TaxesView {
        page: Page::new(&staff, "reports", "reports-taxes"),
        tab: "taxes",
        tabs: super::TABS,
        export_href: format!(
            "/reports/taxes.csv?{}",
            params(&[("from", f.from()), ("to", f.to())])
        ),
        from: shown(f.from(), &taxes.span.from),
        to: shown(f.to(), &taxes.span.to),
        errors,
        taxes,
    };
    Ok((status(&view.errors), html(&view)).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<Filters>,
) -> Result<Response, Fail> {
    let taxes = reports::taxes(&state.svc, &staff.caller(), &f.from(), &f.to()).await?;
    let tr = staff.tr;
    let lines: Vec<Vec<String>> = taxes
        .rows
        .iter()
        .map(|t| {
            vec![
                t.month.clone(),
                t.name.clone(),
                rate(&tr, &t.rate_ppm),
                t.mode.clone(),
                tr.money_decimal(t.base),
                tr.money_decimal(t.amount),
            ]
        })
        .chain([vec![
            tr.t("reports-total"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            tr.money_decimal(taxes.total.0),
        ]])
        .collect();
    csv(
        &staff,
        &format!("taxes-{}-{}.csv", taxes.span.from, taxes.span.to),
        &["month", "tax", "rate", "mode", "base", "amount"],
        lines,
    )
}
