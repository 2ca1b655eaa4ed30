//! Reports: receivables aging (with each customer's open invoices), MRR and
//! its movements, revenue by plan, city or month, and tax totals. Each page
//! has its filters, a table with a totals row, and a CSV export of every
//! list it shows; the figures come from `services::billing::reports`.

mod aging;
mod mrr;
mod revenue;
mod taxes;

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::Permission;
use services::Error;
use webkit::auth::Staff;
use webkit::state::AppState;

use crate::error::Fail;
use crate::views::{FormErrors, NavItem};

/// The reports' navigation entry.
pub const NAV: NavItem = NavItem {
    key: "reports",
    href: "/reports",
    icon: "M5 9h3v10H5zm5.5-5h3v15h-3zM16 13h3v6h-3z",
    ready: true,
    perm: Some(Permission::BillingView),
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(|| async { Redirect::to("/reports/aging") }))
        .route("/reports/aging", get(aging::show))
        .route("/reports/aging.csv", get(aging::export))
        .route("/reports/aging/{customer_id}", get(aging::customer))
        .route(
            "/reports/aging/{customer_id}/export.csv",
            get(aging::customer_export),
        )
        .route("/reports/mrr", get(mrr::show))
        .route("/reports/mrr-plans.csv", get(mrr::export_plans))
        .route("/reports/mrr-movements.csv", get(mrr::export_movements))
        .route("/reports/revenue", get(revenue::show))
        .route("/reports/revenue.csv", get(revenue::export))
        .route("/reports/taxes", get(taxes::show))
        .route("/reports/taxes.csv", get(taxes::export))
}

/// The report tabs, in order: (key, href, title key).
pub const TABS: &[(&str, &str, &str)] = &[
    ("aging", "/reports/aging", "reports-aging"),
    ("mrr", "/reports/mrr", "reports-mrr"),
    ("revenue", "/reports/revenue", "reports-revenue"),
    ("taxes", "/reports/taxes", "reports-taxes"),
];

/// A filter's error shown by its field (422), or the error page for
/// anything else.
fn judged<T: Default>(staff: &Staff, r: Result<T, Error>) -> Result<(T, FormErrors), Fail> {
    match r {
        Ok(v) => Ok((v, FormErrors::default())),
        Err(e @ Error::Invalid { .. }) => Ok((T::default(), FormErrors::from_error(&staff.tr, e)?)),
        Err(e) => Err(e.into()),
    }
}

fn status(errors: &FormErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A report's CSV in one piece (reports are sums: small, except the
/// aging by customer, which pages through the service).
fn csv<R, F>(staff: &Staff, name: &str, head: &[&str], rows: R) -> Result<Response, Fail>
where
    R: IntoIterator<Item = F>,
    F: IntoIterator,
    F::Item: AsRef<[u8]>,
{
    let delimiter = crate::shared::csv_delimiter(staff);
    let mut out = crate::shared::BOM.to_vec();
    out.extend(crate::shared::csv_chunk(delimiter, [head])?);
    out.extend(crate::shared::csv_chunk(delimiter, rows)?);
    Ok(crate::shared::csv_response(name, Body::from(out)).into_response())
}

/// A query string of the non-empty pairs.
fn params(pairs: &[(&str, String)]) -> String {
    let p: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (*k, v.trim()))
        .collect();
    serde_urlencoded::to_string(p).unwrap_or_default()
}

/// `part` as a whole percentage of `whole` (0–100), for the bars.
fn share(part: i64, whole: i64) -> i64 {
    if whole <= 0 || part <= 0 {
        0
    } else {
        (i128::from(part) * 100 / i128::from(whole)).clamp(0, 100) as i64
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shares_are_whole_percentages_within_bounds() {
        assert_eq!(super::share(1, 3), 33);
        assert_eq!(super::share(5, 0), 0);
        assert_eq!(super::share(-5, 10), 0);
        assert_eq!(super::share(20, 10), 100);
    }
}
