//! The network area: online sessions (with disconnect), the authentication
//! log with every reject explained, "who had address X at T", the NAS
//! editor with its CoA-port test, and a contract's connection history with
//! its usage chart.

use crate::views::NavItem;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use domain::Permission;
use domain::radius::{AUTH_REASONS, AUTH_RESULTS, NasKind};
use services::nas::Nas;
use services::nas::{NasInput, Reachability, Removed};
use services::radius::{AuthEntry, AuthFilter, Coa, Session, SessionFilter, Usage};

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

/// The network's navigation entry.
pub const NAV: NavItem = NavItem {
    key: "network",
    href: "/network",
    icon: "M12 2a3 3 0 0 0-1 5.8V11H6a2 2 0 0 0-2 2v3.2a3 3 0 1 0 2 0V13h5v3.2a3 3 0 1 0 2 0V13h5v3.2a3 3 0 1 0 2 0V13a2 2 0 0 0-2-2h-5V7.8A3 3 0 0 0 12 2z",
    ready: true,
    perm: Some(Permission::RadiusView),
};

/// The network area (`/network/…`) and a contract's sessions.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/network", get(index))
        .route("/network/sessions", get(sessions))
        .route("/network/sessions/{id}/disconnect", post(disconnect))
        .route("/network/auth-log", get(auth_log))
        .route("/network/who", get(who_form).post(who))
        .route("/network/nas", get(nas_list))
        .route("/network/nas/new", get(nas_new).post(nas_create))
        .route("/network/nas/{id}", get(nas_edit).post(nas_update))
        .route("/network/nas/{id}/delete", post(nas_delete))
        .route("/network/nas/{id}/test", post(nas_test))
        .route("/network/nas/{id}/reveal", post(nas_reveal))
        .route("/contracts/{id}/sessions", get(contract_sessions))
}

const PAGE_SIZE: i64 = 50;

/// `1.2 GB`: decimal units, as providers sell them.
pub fn bytes(n: &i64) -> String {
    let n = *n as f64;
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n;
    let mut u = 0;
    while v >= 1000.0 && u < units.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v < 10.0 {
        format!("{v:.2} {}", units[u])
    } else if v < 100.0 {
        format!("{v:.1} {}", units[u])
    } else {
        format!("{v:.0} {}", units[u])
    }
}

/// `2d 4h`, `3h 12m`, `45s`.
pub fn duration(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {}s", s % 60)
    } else {
        format!("{s}s")
    }
}

/// Labels shared by the network pages.
pub struct Labels {
    tr: Tr,
}

impl Labels {
    /// A reject reason in words; an unknown code as it is.
    pub fn reason(&self, code: &str) -> String {
        let key = format!("radius-reason-{code}");
        if code.is_empty() {
            String::new()
        } else if self.tr.has(&key) {
            self.tr.t(&key)
        } else {
            code.to_owned()
        }
    }

    pub fn result(&self, code: &str) -> String {
        let key = format!("radius-result-{code}");
        if self.tr.has(&key) {
            self.tr.t(&key)
        } else {
            code.to_owned()
        }
    }

    pub fn result_class(&self, code: &str) -> &'static str {
        match code {
            "accept" => "badge-ok",
            "restricted" => "badge-warn",
            _ => "badge-danger",
        }
    }

    /// An RFC 5176 Error-Cause in words, with its number.
    pub fn error_cause(&self, code: &Option<i64>) -> String {
        match code {
            None => String::new(),
            Some(c) => {
                let key = format!("radius-error-cause-{c}");
                if self.tr.has(&key) {
                    format!("{} ({c})", self.tr.t(&key))
                } else {
                    c.to_string()
                }
            }
        }
    }

    pub fn coa_status(&self, code: &str) -> String {
        let key = format!("radius-coa-status-{code}");
        if self.tr.has(&key) {
            self.tr.t(&key)
        } else {
            code.to_owned()
        }
    }

    pub fn coa_class(&self, code: &str) -> &'static str {
        match code {
            "ack" => "badge-ok",
            "pending" => "badge-warn",
            _ => "badge-danger",
        }
    }

    pub fn kind(&self, code: &str) -> String {
        let key = format!("radius-kind-{code}");
        if self.tr.has(&key) {
            self.tr.t(&key)
        } else {
            code.to_owned()
        }
    }

    pub fn contract_status(&self, code: &str) -> String {
        let key = format!("radius-contract-status-{}", code.replace('_', "-"));
        if self.tr.has(&key) {
            self.tr.t(&key)
        } else {
            code.to_owned()
        }
    }

    pub fn bytes(&self, n: &i64) -> String {
        bytes(n)
    }

    /// How long a session has lasted (until now when it is online).
    pub fn session_length(&self, s: &Session) -> String {
        let end = s.stopped_at.unwrap_or_else(services::now);
        duration(end - s.started_at)
    }
}

fn labels(staff: &Staff) -> Labels {
    Labels { tr: staff.tr }
}

/// `/network`: the sessions page is the area's front door.
pub async fn index(staff: Staff) -> PageResult {
    staff.require(Permission::RadiusView)?;
    Ok(Redirect::to("/network/sessions").into_response())
}

fn opt_id(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|v| v.trim().parse().ok())
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SessionsQuery {
    q: Option<String>,
    nas: Option<String>,
    plan: Option<String>,
    before: Option<i64>,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "radius_sessions.html")]
struct SessionsView {
    page: Page,
    l: Labels,
    tab: &'static str,
    sessions: Vec<Session>,
    online: i64,
    nas: Vec<Nas>,
    plans: Vec<(i64, String)>,
    q: String,
    nas_id: Option<i64>,
    plan_id: Option<i64>,
    next: Option<String>,
    first_page: bool,
    coa: Vec<Coa>,
    /// Records in RADIUS nodes' dead letters, and the nodes holding them.
    dead_letters: (i64, i64),
}

pub async fn sessions(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<SessionsQuery>,
) -> PageResult {
    let caller = staff.caller();
    let text = q.q.clone().unwrap_or_default().trim().to_owned();
    let (nas_id, plan_id) = (opt_id(&q.nas), opt_id(&q.plan));
    let filter = SessionFilter {
        online: true,
        search: services::radius::session_search(&text),
        nas_id,
        plan_id,
        before: q.before,
        limit: PAGE_SIZE,
        ..Default::default()
    };
    let (sessions, more) = services::radius::sessions(&state.svc, &caller, &filter).await?;
    let next = more.then(|| {
        let last = sessions.last().map(|s| s.id).unwrap_or_default();
        let params = serde_urlencoded::to_string([
            ("q", text.clone()),
            ("nas", nas_id.map(|v| v.to_string()).unwrap_or_default()),
            ("plan", plan_id.map(|v| v.to_string()).unwrap_or_default()),
            ("before", last.to_string()),
        ])
        .unwrap_or_default();
        format!("/network/sessions?{params}")
    });
    let plans = services::catalog::plan_names(&state.svc, &staff.caller()).await?;
    let page = Page::new(&staff, "network", "radius-sessions-title").with_flash(q.ok.as_deref());
    Ok(html(&SessionsView {
        l: labels(&staff),
        page,
        tab: "sessions",
        online: services::radius::online_count(&state.svc, &caller).await?,
        sessions,
        nas: services::nas::list(&state.svc, &caller).await?,
        plans,
        q: text,
        nas_id,
        plan_id,
        next,
        first_page: q.before.is_none(),
        coa: services::radius::coa_requests(&state.svc, &caller, None, None, 10).await?,
        dead_letters: services::radius::dead_letters(&state.svc, &caller).await?,
    }))
}

/// Staff "disconnect": a pending Disconnect-Request for the radius node.
pub async fn disconnect(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let back = match field(&form_pairs(&body), "back").as_str() {
        b if b.starts_with("/network/") || b.starts_with("/contracts/") => b.to_owned(),
        _ => "/network/sessions".to_owned(),
    };
    match services::radius::disconnect(&state.svc, &staff.caller(), id).await {
        Ok(_) => Ok(done(&back, "radius-disconnect-queued")),
        Err(services::Error::Refused("session-closed")) => Ok(done(&back, "radius-session-closed")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AuthLogQuery {
    login: Option<String>,
    result: Option<String>,
    reason: Option<String>,
    nas: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "radius_auth_log.html")]
struct AuthLogView {
    page: Page,
    l: Labels,
    tab: &'static str,
    entries: Vec<AuthEntry>,
    nas: Vec<Nas>,
    results: &'static [&'static str],
    reasons: &'static [&'static str],
    login: String,
    result: String,
    reason: String,
    nas_id: Option<i64>,
    from: String,
    to: String,
    errors: FormErrors,
    next: Option<String>,
    first_page: bool,
}

pub async fn auth_log(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<AuthLogQuery>,
) -> PageResult {
    let caller = staff.caller();
    let mut errors = FormErrors::default();
    let mut instant = |name: &str, v: &Option<String>| match nonempty(v) {
        None => None,
        Some(s) => match domain::radius::parse_instant(&s, &staff.tz) {
            Ok(t) => Some(t),
            Err(_) => {
                errors
                    .0
                    .push((name.to_owned(), staff.tr.t("radius-invalid-instant")));
                None
            }
        },
    };
    let from = instant("from", &q.from);
    let to = instant("to", &q.to);
    let nas_id = opt_id(&q.nas);
    let filter = AuthFilter {
        login: nonempty(&q.login),
        result: nonempty(&q.result).filter(|r| AUTH_RESULTS.contains(&r.as_str())),
        reason: nonempty(&q.reason).filter(|r| AUTH_REASONS.contains(&r.as_str())),
        nas_id,
        contract_id: None,
        from,
        to,
        before: q.before,
        limit: PAGE_SIZE,
    };
    let (entries, more) = match services::radius::auth_log(&state.svc, &caller, &filter).await {
        Ok(r) => r,
        Err(e) => {
            errors.0.extend(FormErrors::from_error(&staff.tr, e)?.0);
            (Vec::new(), false)
        }
    };
    let next = more.then(|| {
        let last = entries.last().map(|s| s.id).unwrap_or_default();
        let params = serde_urlencoded::to_string([
            ("login", q.login.clone().unwrap_or_default()),
            ("result", q.result.clone().unwrap_or_default()),
            ("reason", q.reason.clone().unwrap_or_default()),
            ("nas", nas_id.map(|v| v.to_string()).unwrap_or_default()),
            ("from", q.from.clone().unwrap_or_default()),
            ("to", q.to.clone().unwrap_or_default()),
            ("before", last.to_string()),
        ])
        .unwrap_or_default();
        format!("/network/auth-log?{params}")
    });
    let page = Page::new(&staff, "network", "radius-auth-log-title");
    let view = AuthLogView {
        l: labels(&staff),
        page,
        tab: "auth-log",
        entries,
        nas: services::nas::list(&state.svc, &caller).await?,
        results: AUTH_RESULTS,
        reasons: AUTH_REASONS,
        login: q.login.unwrap_or_default(),
        result: q.result.unwrap_or_default(),
        reason: q.reason.unwrap_or_default(),
        nas_id,
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        errors,
        next,
        first_page: q.before.is_none(),
    };
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, html(&view)).into_response())
}

#[derive(Template)]
#[template(path = "radius_who.html")]
struct WhoView {
    page: Page,
    tab: &'static str,
    ip: String,
    at: String,
    zone: String,
    errors: FormErrors,
    answer: Option<services::radius::WhoAnswer>,
}

fn zone_name(staff: &Staff) -> String {
    staff.tz.iana_name().unwrap_or("UTC").to_owned()
}

pub async fn who_form(staff: Staff) -> PageResult {
    staff.require(Permission::RadiusLookup)?;
    let page = Page::new(&staff, "network", "radius-who-title");
    Ok(html(&WhoView {
        zone: zone_name(&staff),
        page,
        tab: "who",
        ip: String::new(),
        at: String::new(),
        errors: FormErrors::default(),
        answer: None,
    }))
}

/// Runs a lookup (a POST: it writes an audit entry, and the address stays
/// out of URLs and access logs).
pub async fn who(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let pairs = form_pairs(&body);
    let (ip, at) = (field(&pairs, "ip"), field(&pairs, "at"));
    let result = services::radius::who(&state.svc, &staff.caller(), &ip, &at)
        .await
        .map(Some);
    let (answer, errors) = match result {
        Ok(a) => (a, FormErrors::default()),
        Err(services::Error::Invalid { field, .. }) => {
            let key = if field == "ip" {
                "radius-invalid-ip"
            } else {
                "radius-invalid-instant"
            };
            (None, FormErrors(vec![(field.to_owned(), staff.tr.t(key))]))
        }
        Err(e) => return Err(e.into()),
    };
    let page = Page::new(&staff, "network", "radius-who-title");
    let view = WhoView {
        zone: zone_name(&staff),
        page,
        tab: "who",
        ip,
        at,
        errors,
        answer,
    };
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, html(&view)).into_response())
}

#[derive(Template)]
#[template(path = "radius_nas_list.html")]
struct NasListView {
    page: Page,
    l: Labels,
    tab: &'static str,
    nas: Vec<(Nas, i64)>,
}

pub async fn nas_list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let caller = staff.caller();
    let counts = services::nas::online_counts(&state.svc, &caller).await?;
    let nas = services::nas::list(&state.svc, &caller)
        .await?
        .into_iter()
        .map(|n| {
            let c = counts.get(&n.id).copied().unwrap_or(0);
            (n, c)
        })
        .collect();
    let page = Page::new(&staff, "network", "radius-nas-title").with_flash(f.ok.as_deref());
    Ok(html(&NasListView {
        l: labels(&staff),
        page,
        tab: "nas",
        nas,
    }))
}

#[derive(Template)]
#[template(path = "radius_nas_form.html")]
struct NasFormView {
    page: Page,
    l: Labels,
    id: Option<i64>,
    v: NasInput,
    kinds: Vec<&'static str>,
    errors: FormErrors,
    nas: Option<Nas>,
    online: i64,
    /// The outcome of "test", translated.
    test: Option<(bool, String)>,
    revealed: Option<String>,
}

impl NasFormView {
    fn new(staff: &Staff, title: &str, id: Option<i64>, v: NasInput) -> NasFormView {
        NasFormView {
            page: Page::new(staff, "network", title),
            l: labels(staff),
            id,
            v,
            kinds: NasKind::ALL.iter().map(|k| k.as_str()).collect(),
            errors: FormErrors::default(),
            nas: None,
            online: 0,
            test: None,
            revealed: None,
        }
    }
}

fn nas_input(pairs: &[(String, String)]) -> (NasInput, bool) {
    let port = field(pairs, "coa_port");
    let parsed = port.trim().parse::<i64>();
    let input = NasInput {
        name: field(pairs, "name"),
        address: field(pairs, "address"),
        secret: field(pairs, "secret"),
        kind: field(pairs, "kind"),
        coa_port: *parsed.as_ref().unwrap_or(&0),
        require_message_authenticator: field(pairs, "require_message_authenticator") == "1",
        disabled: field(pairs, "disabled") == "1",
        notes: field(pairs, "notes"),
    };
    (input, parsed.is_ok())
}

/// Form messages for a NAS error, in the page's language.
fn nas_errors(tr: &Tr, e: services::Error) -> Result<FormErrors, crate::error::Fail> {
    use services::Error as E;
    Ok(match &e {
        E::Invalid { field, .. } if *field == "address" => {
            FormErrors(vec![("address".into(), tr.t("radius-invalid-address"))])
        }
        E::Conflict(what @ ("name" | "address")) => FormErrors(vec![(
            (*what).to_owned(),
            tr.t(&format!("radius-nas-taken-{what}")),
        )]),
        _ => FormErrors::from_error(tr, e)?,
    })
}

pub async fn nas_new(staff: Staff) -> PageResult {
    staff.require(Permission::RadiusManage)?;
    Ok(html(&NasFormView::new(
        &staff,
        "radius-nas-new",
        None,
        NasInput::default(),
    )))
}

pub async fn nas_create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    // Refused before the form is read, as the port check below is ours.
    services::nas::may_manage(&caller)?;
    let (v, port_ok) = nas_input(&form_pairs(&body));
    let result = if port_ok {
        services::nas::create(&state.svc, &caller, &v).await
    } else {
        Err(services::Error::invalid(
            "coa_port",
            domain::validate::FieldError::Range,
        ))
    };
    match result {
        Ok(id) => Ok(done(&format!("/network/nas/{id}"), "radius-nas-created")),
        Err(e) => {
            let mut view = NasFormView::new(&staff, "radius-nas-new", None, v);
            view.errors = nas_errors(&staff.tr, e)?;
            // Never echo a secret back into the page.
            view.v.secret.clear();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

async fn edit_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
) -> Result<NasFormView, crate::error::Fail> {
    let caller = staff.caller();
    let n = services::nas::get(&state.svc, &caller, id).await?;
    let mut view = NasFormView::new(staff, "radius-nas-edit", Some(id), NasInput::from(&n));
    view.online = services::nas::online_counts(&state.svc, &caller)
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0);
    view.page.title = n.name.clone();
    view.nas = Some(n);
    Ok(view)
}

pub async fn nas_edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let mut view = edit_view(&state, &staff, id).await?;
    view.page = view.page.with_flash(f.ok.as_deref());
    Ok(html(&view))
}

pub async fn nas_update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::nas::may_manage(&caller)?;
    let (v, port_ok) = nas_input(&form_pairs(&body));
    let result = if port_ok {
        services::nas::update(&state.svc, &caller, id, &v).await
    } else {
        Err(services::Error::invalid(
            "coa_port",
            domain::validate::FieldError::Range,
        ))
    };
    match result {
        Ok(()) => Ok(done(&format!("/network/nas/{id}"), "saved")),
        Err(e) => {
            let errors = nas_errors(&staff.tr, e)?;
            let mut view = edit_view(&state, &staff, id).await?;
            view.v = NasInput {
                secret: String::new(),
                ..v
            };
            view.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn nas_delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    match services::nas::delete(&state.svc, &staff.caller(), id).await? {
        Removed::Deleted => Ok(done("/network/nas", "radius-nas-deleted")),
        Removed::Disabled => Ok(done(&format!("/network/nas/{id}"), "radius-nas-disabled")),
    }
}

/// Sends a CoA-Request for a session that does not exist and reports
/// whether the NAS answered within 2 s.
pub async fn nas_test(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let outcome = services::nas::test_coa(&state.svc, &staff.caller(), id).await?;
    let mut view = edit_view(&state, &staff, id).await?;
    let tr = staff.tr;
    view.test = Some(match outcome {
        Reachability::Answered {
            code,
            millis,
            authentic: true,
        } => (
            true,
            tr.t1(
                "radius-test-answered",
                "code",
                format!("{code}, {millis} ms"),
            ),
        ),
        Reachability::Answered { code, .. } => {
            (false, tr.t1("radius-test-bad-secret", "code", code))
        }
        Reachability::NoAnswer { .. } => (false, tr.t("radius-test-no-answer")),
        Reachability::Failed(e) => (false, tr.t1("radius-test-failed", "error", e)),
    });
    Ok(html(&view))
}

/// Shows the secret once, recorded in the audit log.
pub async fn nas_reveal(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let secret = services::nas::reveal_secret(&state.svc, &staff.caller(), id).await?;
    let mut view = edit_view(&state, &staff, id).await?;
    view.revealed = Some(secret);
    Ok(html(&view))
}

/// One bar pair of the usage chart (download and upload of a cycle), with
/// coordinates computed here so the template only places rectangles.
pub struct Bar {
    pub label: String,
    pub title: String,
    pub x_down: i64,
    pub x_up: i64,
    pub y_down: i64,
    pub h_down: i64,
    pub y_up: i64,
    pub h_up: i64,
    pub x_label: i64,
}

/// A server-rendered bar chart (SVG, no script).
pub struct Chart {
    pub width: i64,
    pub height: i64,
    /// Baseline of the bars.
    pub base: i64,
    pub bars: Vec<Bar>,
    /// Horizontal grid lines: (y, label).
    pub grid: Vec<(i64, String)>,
}

const CHART_H: i64 = 220;
const CHART_TOP: i64 = 12;
const CHART_BASE: i64 = 190;
const CHART_LEFT: i64 = 64;
const SLOT: i64 = 62;

fn chart(tr: &Tr, usage: &[Usage]) -> Chart {
    let max = usage
        .iter()
        .map(|u| u.input_octets.max(u.output_octets))
        .max()
        .unwrap_or(0)
        .max(1);
    let span = CHART_BASE - CHART_TOP;
    let scale = |v: i64| ((v as f64 / max as f64) * span as f64).round() as i64;
    let bars = usage
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let x = CHART_LEFT + i as i64 * SLOT + 8;
            let (hd, hu) = (scale(u.output_octets), scale(u.input_octets));
            Bar {
                label: u.cycle_start.get(..7).unwrap_or(&u.cycle_start).to_owned(),
                title: format!(
                    "{}: {} {}, {} {}",
                    u.cycle_start,
                    tr.t("radius-download"),
                    bytes(&u.output_octets),
                    tr.t("radius-upload"),
                    bytes(&u.input_octets)
                ),
                x_down: x,
                x_up: x + 22,
                y_down: CHART_BASE - hd,
                h_down: hd,
                y_up: CHART_BASE - hu,
                h_up: hu,
                x_label: x + 21,
            }
        })
        .collect();
    let grid = (1..=4)
        .map(|k| {
            let v = max * k / 4;
            (CHART_BASE - scale(v), bytes(&v))
        })
        .collect();
    Chart {
        width: CHART_LEFT + (usage.len().max(1) as i64) * SLOT + 8,
        height: CHART_H,
        base: CHART_BASE,
        bars,
        grid,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct HistoryQuery {
    before: Option<i64>,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "radius_contract_sessions.html")]
struct ContractSessionsView {
    page: Page,
    l: Labels,
    contract: services::contracts::Contract,
    customer: String,
    sessions: Vec<Session>,
    usage: Vec<Usage>,
    chart: Chart,
    coa: Vec<Coa>,
    auth: Vec<AuthEntry>,
    next: Option<String>,
    first_page: bool,
}

/// A contract's connection history, usage per cycle, rejects and CoA.
pub async fn contract_sessions(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<HistoryQuery>,
) -> PageResult {
    let caller = staff.caller();
    let filter = SessionFilter {
        contract_id: Some(id),
        before: q.before,
        limit: PAGE_SIZE,
        ..Default::default()
    };
    // The connection records first: they are what this page needs
    // `radius.view` for.
    let (sessions, more) = services::radius::sessions(&state.svc, &caller, &filter).await?;
    let (contract, customer) = services::contracts::subscriber(&state.svc, &caller, id).await?;
    let next = more.then(|| {
        format!(
            "/contracts/{id}/sessions?before={}",
            sessions.last().map(|s| s.id).unwrap_or_default()
        )
    });
    let usage = services::radius::usage(&state.svc, &caller, id, 12).await?;
    let auth = services::radius::auth_log(
        &state.svc,
        &caller,
        &AuthFilter {
            contract_id: Some(id),
            limit: 10,
            ..Default::default()
        },
    )
    .await?
    .0;
    let mut page =
        Page::new(&staff, "network", "radius-contract-title").with_flash(q.ok.as_deref());
    page.title = staff
        .tr
        .t1("radius-contract-title", "number", &contract.number);
    Ok(html(&ContractSessionsView {
        l: labels(&staff),
        chart: chart(&staff.tr, &usage),
        page,
        customer,
        sessions,
        usage,
        coa: services::radius::coa_requests(&state.svc, &caller, Some(id), None, 10).await?,
        auth,
        next,
        first_page: q.before.is_none(),
        contract,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(&0), "0 B");
        assert_eq!(bytes(&999), "999 B");
        assert_eq!(bytes(&1_500), "1.50 kB");
        assert_eq!(bytes(&52_300_000), "52.3 MB");
        assert_eq!(bytes(&812_000_000_000), "812 GB");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(125), "2m 5s");
        assert_eq!(duration(3 * 3600 + 720), "3h 12m");
        assert_eq!(duration(2 * 86_400 + 4 * 3600 + 5), "2d 4h");
    }
}
