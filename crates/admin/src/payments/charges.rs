//! Charges at gateways for staff: the list (search, gateway, status,
//! created between two days, keyset pages), one charge with its webhook
//! history, and its two actions — cancel (through the provider where it
//! can) and re-create. The services decide who may do what.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use domain::Permission;
use services::Error;
use services::payments::gateways::charges::{self, Detail, GATEWAYS, STATUSES};
use services::payments::gateways::{ChargeFilter as Filter, ChargeListed as Listed};
use webkit::auth::Staff;
use webkit::state::AppState;

use crate::error::{Fail, PageResult};
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/payments/charges", get(list))
        .route("/payments/charges/{id}", get(show))
        .route("/payments/charges/{id}/cancel", post(cancel))
        .route("/payments/charges/{id}/recreate", post(recreate))
}

const PAGE_SIZE: i64 = 25;

/// A gateway's name in the user's language.
pub fn gateway_label(page: &Page, gateway: &str) -> String {
    page.tr.label_or("charges-gateway-", gateway)
}

/// A charge status in the user's language.
pub fn status_label(page: &Page, status: &str) -> String {
    page.tr.label_or("charges-status-", status)
}

/// The badge class of a charge status.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "paid" => "badge badge-ok",
        "open" => "badge badge-info",
        "failed" => "badge badge-danger",
        _ => "badge badge-muted",
    }
}

/// A gateway failure shown on the form (the provider's words), anything
/// else as the pages show errors.
pub(crate) fn form_errors(page_tr: &webkit::i18n::Tr, e: Error) -> Result<FormErrors, Fail> {
    match e {
        Error::Internal(m) => Ok(FormErrors(vec![(
            "_form".into(),
            format!("{} ({m})", page_tr.t("charges-gateway-failed")),
        )])),
        e => FormErrors::from_error(page_tr, e),
    }
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub gateway: Option<String>,
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub before: Option<i64>,
}

fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The first second of `day` in the installation's time zone.
fn start_of(tz: &jiff::tz::TimeZone, field: &'static str, day: &str) -> Result<i64, Error> {
    let d: jiff::civil::Date = day
        .parse()
        .map_err(|_| Error::invalid_msg(field, "must be a date (YYYY-MM-DD)"))?;
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_second())
        .map_err(|_| Error::invalid_msg(field, "is out of range"))
}

impl ListQuery {
    fn params(&self) -> String {
        let p: Vec<(&str, String)> = [
            ("q", opt(&self.q)),
            ("gateway", opt(&self.gateway)),
            ("status", opt(&self.status)),
            ("from", opt(&self.from)),
            ("to", opt(&self.to)),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
        serde_urlencoded::to_string(p).unwrap_or_default()
    }

    fn filter(&self, tz: &jiff::tz::TimeZone, limit: i64) -> Result<Filter, Error> {
        let next_day = |d: &str| -> Result<i64, Error> {
            let day: jiff::civil::Date = d
                .parse()
                .map_err(|_| Error::invalid_msg("to", "must be a date (YYYY-MM-DD)"))?;
            let after = day
                .tomorrow()
                .map_err(|_| Error::invalid_msg("to", "is out of range"))?;
            start_of(tz, "to", &after.to_string())
        };
        Ok(Filter {
            gateway: opt(&self.gateway),
            status: opt(&self.status),
            customer_id: None,
            invoice_id: None,
            created_from: opt(&self.from)
                .map(|d| start_of(tz, "from", &d))
                .transpose()?,
            created_before: opt(&self.to).map(|d| next_day(&d)).transpose()?,
            search: opt(&self.q),
            before_id: self.before,
            limit,
        })
    }
}

#[derive(Template)]
#[template(path = "charges_list.html")]
struct ListView {
    page: Page,
    rows: Vec<Listed>,
    f: ListQuery,
    gateways: &'static [&'static str],
    statuses: &'static [&'static str],
    errors: FormErrors,
    next: Option<String>,
    first_page: bool,
    first_href: String,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsView)?;
    let found = match f.filter(&staff.tz, PAGE_SIZE) {
        Ok(filter) => charges::list(&state.svc, &caller, &filter).await,
        Err(e) => Err(e),
    };
    let mut errors = FormErrors::default();
    let (rows, more) = match found {
        Ok(r) => r,
        Err(e) => {
            errors = FormErrors::from_error(&staff.tr, e)?;
            (Vec::new(), false)
        }
    };
    let qs = f.params();
    let next = more
        .then(|| rows.last())
        .flatten()
        .map(|r| match qs.as_str() {
            "" => format!("/payments/charges?before={}", r.charge.id),
            qs => format!("/payments/charges?{qs}&before={}", r.charge.id),
        });
    let page = Page::new(&staff, "payments", "charges-list-title");
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        html(&ListView {
            page,
            rows,
            gateways: GATEWAYS,
            statuses: STATUSES,
            errors,
            next,
            first_page: f.before.is_none(),
            first_href: format!("/payments/charges?{qs}"),
            f,
        }),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "charge_show.html")]
struct ShowView {
    page: Page,
    d: Detail,
    reason: String,
    errors: FormErrors,
}

async fn show_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    ok: Option<&str>,
) -> Result<ShowView, Fail> {
    let d = charges::get(&state.svc, &staff.caller(), id).await?;
    let mut page = Page::new(staff, "payments", "charges-list-title").with_flash(ok);
    page.title = format!(
        "{} · {}",
        page.tr.t("charges-one"),
        d.charge.charge.external_id
    );
    Ok(ShowView {
        page,
        d,
        reason: String::new(),
        errors: FormErrors::default(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    Ok(html(&show_view(&state, &staff, id, f.ok.as_deref()).await?))
}

pub async fn cancel(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let pairs = form_pairs(&body);
    let reason = field(&pairs, "reason");
    let result = if field(&pairs, "confirm").is_empty() {
        Err(Error::invalid_msg("confirm", "tick the box to confirm"))
    } else {
        charges::cancel(&state.svc, &caller, id, &reason).await
    };
    match result {
        Ok(_) => Ok(done(&format!("/payments/charges/{id}"), "charge-canceled")),
        Err(e) => {
            let errors = form_errors(&staff.tr, e)?;
            let mut view = show_view(&state, &staff, id, None).await?;
            view.errors = errors;
            view.reason = reason;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn recreate(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let base = staff.client.base_url(&state);
    match charges::recreate(&state.svc, &caller, id, &base).await {
        Ok(d) => Ok(done(
            &format!("/payments/charges/{}", d.charge.charge.id),
            "charge-recreated",
        )),
        Err(e) => {
            let errors = form_errors(&staff.tr, e)?;
            let mut view = show_view(&state, &staff, id, None).await?;
            view.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}
