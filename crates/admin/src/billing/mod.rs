//! Billing: invoices and credit notes (list with filters and CSV export,
//! detail, credit notes, voiding), billing runs (preview, confirmation,
//! progress), tax rates, promo codes, and on a contract's page its one-off
//! charges and discounts; documents' PDFs, the customer's billing tab
//! (balance, open invoices, statement) and the invoice template settings.
//! Strings live in `locales/*/billing.ftl` (in `webkit`).

pub mod charges;
pub mod customer;
pub mod discounts;
pub mod invoices;
pub mod pdf;
pub mod promos;
pub mod runs;
pub mod taxes;
pub mod templates;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};
use domain::Permission;
use webkit::state::AppState;

use crate::views::NavItem;

/// The billing area's navigation entry.
pub const NAV: NavItem = NavItem {
    key: "billing",
    href: "/billing/invoices",
    icon: "M20 4H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V6a2 2 0 0 0-2-2zm0 14H4v-6h16zm0-10H4V6h16z",
    ready: true,
    perm: Some(Permission::BillingView),
};

pub fn routes() -> Router<AppState> {
    use invoices as i;
    Router::new()
        .merge(promos::routes())
        .merge(discounts::routes())
        .merge(pdf::routes())
        .merge(customer::routes())
        .merge(templates::routes())
        .route(
            "/billing",
            get(|| async { Redirect::to("/billing/invoices") }),
        )
        .route("/billing/invoices", get(i::list))
        .route("/billing/invoices/export.csv", get(i::export))
        .route("/billing/invoices/{id}", get(i::show))
        .route(
            "/billing/invoices/{id}/credit",
            get(i::credit_form).post(i::credit),
        )
        .route(
            "/billing/invoices/{id}/void",
            get(i::void_form).post(i::void),
        )
        .route("/billing/runs", get(runs::list).post(runs::confirm))
        .route("/billing/runs/new", get(runs::new_form))
        .route("/billing/runs/preview", get(runs::preview))
        .route("/billing/runs/{id}", get(runs::show))
        .route("/billing/taxes", get(taxes::list))
        .route(
            "/billing/taxes/new",
            get(taxes::new_form).post(taxes::create),
        )
        .route(
            "/billing/taxes/{id}",
            get(taxes::edit_form).post(taxes::update),
        )
        .route("/contracts/{id}/charges", post(charges::add))
        .route(
            "/contracts/{id}/charges/{charge}/remove",
            post(charges::remove),
        )
}

/// The installation's billing policy (Settings → Billing).
async fn policy(state: &AppState) -> Result<services::billing::Policy, services::Error> {
    services::billing::settings::policy(&state.svc).await
}

/// The badge class of a document status.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "issued" => "badge badge-ok",
        "voided" => "badge badge-muted",
        "overdue" => "badge badge-danger",
        _ => "badge badge-info",
    }
}

/// The badge class of a run status.
pub fn run_class(status: &str) -> &'static str {
    match status {
        "done" => "badge badge-ok",
        "failed" => "badge badge-danger",
        _ => "badge badge-info",
    }
}

/// A rate in parts per million as a percentage in the user's language:
/// `18 %`, `0,65 %`.
pub fn percent(tr: &webkit::i18n::Tr, ppm: &i64) -> String {
    let text = u32::try_from(*ppm)
        .map(|p| domain::billing::Rate(p).percent_text())
        .unwrap_or_else(|_| ppm.to_string());
    let text = match tr.locale {
        domain::Locale::PtBr => text.replace('.', ","),
        domain::Locale::En => text,
    };
    format!("{text} %")
}

/// A billed period as people read it, both days included: stored periods
/// end on the first day they no longer cover (`2026-01-10 → 2026-02-09`).
pub fn period(start: &Option<String>, end: &Option<String>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => {
            let last = e
                .parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| d.yesterday().ok())
                .map(|d| d.to_string())
                .unwrap_or_else(|| e.clone());
            format!("{s} → {last}")
        }
        _ => "—".to_owned(),
    }
}

/// [`period`] of a `(start, end)` pair.
pub fn period_pair(p: &Option<(String, String)>) -> String {
    match p {
        Some((s, e)) => period(&Some(s.clone()), &Some(e.clone())),
        None => "—".to_owned(),
    }
}

/// Today in the installation's time zone.
fn today(tz: &jiff::tz::TimeZone) -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(tz.clone()).date()
}
