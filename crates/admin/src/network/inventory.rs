//! Sites, devices and links pages.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::network::{self as net, DeviceRole, LinkKind, LinkStatus, SiteKind, Status};
use services::network::inventory::{self as svc, DeviceInput};
use services::network::{Device, Filter, Link, Site};
use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

use super::{
    Cell, FormView, Input, ListQuery, ListView, PAGE_SIZE, choices, label, may_manage, named,
    opt_id,
};
use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};

fn filter(q: &ListQuery) -> Filter {
    Filter {
        q: q.q.clone(),
        kind: q.kind(),
        before: q.before,
        limit: PAGE_SIZE,
        ..Default::default()
    }
}

fn form(
    staff: &Staff,
    tab: &'static str,
    title: &str,
    action: String,
    delete: Option<String>,
    inputs: Vec<Input>,
) -> FormView {
    let page = Page::new(staff, "network", title);
    let editable = super::may_manage(&page);
    FormView {
        page,
        tab,
        back: match tab {
            "sites" => "/network/sites",
            "devices" => "/network/devices",
            _ => "/network/links",
        },
        back_label: staff.tr.t(&format!("network-tab-{tab}")),
        action,
        delete,
        inputs,
        errors: FormErrors::default(),
        editable,
    }
}

fn refused(mut view: FormView, tr: &Tr, e: services::Error) -> PageResult {
    view.errors = FormErrors::from_error(tr, e)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

// ---- sites

pub async fn sites(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let tr = staff.tr;
    let (rows, more) = svc::list_sites(&state.svc, &staff.caller(), &filter(&q)).await?;
    let page = Page::new(&staff, "network", "network-sites-title").with_flash(q.ok.as_deref());
    let manage = may_manage(&page);
    let next = q.next("/network/sites", more, rows.last().map(|s| s.id));
    Ok(html(&ListView {
        intro: tr.t("network-sites-intro"),
        new_href: manage.then(|| "/network/sites/new".into()),
        new_label: tr.t("network-sites-new"),
        q: q.q.clone().unwrap_or_default(),
        filter: Some((
            "kind",
            tr.t("network-field-kind"),
            q.kind.clone().unwrap_or_default(),
            choices(&tr, "site", SiteKind::ALL.iter().map(|k| k.as_str())),
        )),
        headers: ["name", "kind", "status", "address", "coordinates"]
            .iter()
            .map(|h| tr.t(&format!("network-field-{h}")))
            .collect(),
        rows: rows
            .iter()
            .map(|s| {
                vec![
                    Cell::link(&s.name, format!("/network/sites/{}", s.id)),
                    Cell::text(label(&tr, "site", &s.kind)),
                    Cell::text(label(&tr, "status", &s.status)),
                    Cell::text(&s.address),
                    Cell::mono(match (s.latitude, s.longitude) {
                        (Some(a), Some(o)) => format!("{a}, {o}"),
                        _ => String::new(),
                    }),
                ]
            })
            .collect(),
        empty: tr.t("network-sites-none"),
        next,
        page,
        tab: "sites",
    }))
}

fn site_inputs(tr: &Tr, s: Option<&Site>, pairs: Option<&[(String, String)]>) -> Vec<Input> {
    let v = |name: &str, stored: String| match pairs {
        Some(p) => field(p, name),
        None => stored,
    };
    let num = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
    vec![
        Input::text(
            tr,
            "name",
            v("name", s.map(|s| s.name.clone()).unwrap_or_default()),
        ),
        Input::select(
            tr,
            "kind",
            v("kind", s.map(|s| s.kind.clone()).unwrap_or_default()),
            choices(tr, "site", SiteKind::ALL.iter().map(|k| k.as_str())),
        ),
        Input::select(
            tr,
            "status",
            v(
                "status",
                s.map(|s| s.status.clone())
                    .unwrap_or_else(|| "active".into()),
            ),
            choices(tr, "status", Status::ALL.iter().map(|k| k.as_str())),
        ),
        Input::text(
            tr,
            "address",
            v("address", s.map(|s| s.address.clone()).unwrap_or_default()),
        ),
        Input::new(
            tr,
            "latitude",
            "number",
            v("latitude", num(s.and_then(|s| s.latitude))),
        ),
        Input::new(
            tr,
            "longitude",
            "number",
            v("longitude", num(s.and_then(|s| s.longitude))),
        ),
        Input::new(
            tr,
            "notes",
            "textarea",
            v("notes", s.map(|s| s.notes.clone()).unwrap_or_default()),
        ),
    ]
}

fn site_from(p: &[(String, String)]) -> Result<net::Site, services::Error> {
    let coord =
        |name: &'static str| -> Result<Option<f64>, services::Error> {
            let t = field(p, name);
            if t.trim().is_empty() {
                return Ok(None);
            }
            t.trim().replace(',', ".").parse().map(Some).map_err(|_| {
                services::Error::invalid(name, domain::validate::FieldError::Coordinates)
            })
        };
    let location = match (coord("latitude")?, coord("longitude")?) {
        (Some(lat), Some(lon)) => Some(net::Point { lat, lon }),
        (None, None) => None,
        _ => {
            return Err(services::Error::invalid(
                "latitude",
                domain::validate::FieldError::Coordinates,
            ));
        }
    };
    Ok(net::Site {
        name: field(p, "name"),
        kind: SiteKind::parse(&field(p, "kind")).ok_or_else(|| {
            services::Error::invalid("kind", domain::validate::FieldError::Choice)
        })?,
        status: Status::parse(&field(p, "status")).ok_or_else(|| {
            services::Error::invalid("status", domain::validate::FieldError::Choice)
        })?,
        address: field(p, "address"),
        location,
        notes: field(p, "notes"),
    })
}

pub async fn site_new(staff: Staff) -> PageResult {
    staff.require(domain::Permission::NetworkManage)?;
    let inputs = site_inputs(&staff.tr, None, None);
    Ok(html(&form(
        &staff,
        "sites",
        "network-sites-new",
        "/network/sites/new".into(),
        None,
        inputs,
    )))
}

pub async fn site_create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let r = match site_from(&p) {
        Ok(s) => svc::create_site(&state.svc, &caller, &s).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(s) => Ok(done(&format!("/network/sites/{}", s.id), "network-saved")),
        Err(e) => {
            let inputs = site_inputs(&staff.tr, None, Some(&p));
            let v = form(
                &staff,
                "sites",
                "network-sites-new",
                "/network/sites/new".into(),
                None,
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

pub async fn site_edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let s = svc::get_site(&state.svc, &staff.caller(), id).await?;
    let inputs = site_inputs(&staff.tr, Some(&s), None);
    let mut v = form(
        &staff,
        "sites",
        "network-sites-edit",
        format!("/network/sites/{id}"),
        Some(format!("/network/sites/{id}/delete")),
        inputs,
    );
    v.page = v.page.with_flash(q.ok.as_deref());
    v.page.title = s.name;
    Ok(html(&v))
}

pub async fn site_update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let r = match site_from(&p) {
        Ok(s) => svc::update_site(&state.svc, &caller, id, &s).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(done(&format!("/network/sites/{id}"), "network-saved")),
        Err(e) => {
            let inputs = site_inputs(&staff.tr, None, Some(&p));
            let v = form(
                &staff,
                "sites",
                "network-sites-edit",
                format!("/network/sites/{id}"),
                Some(format!("/network/sites/{id}/delete")),
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

pub async fn site_delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    match svc::delete_site(&state.svc, &staff.caller(), id).await {
        Ok(()) => Ok(done("/network/sites", "network-deleted")),
        Err(e) => {
            let s = svc::get_site(&state.svc, &staff.caller(), id).await?;
            let inputs = site_inputs(&staff.tr, Some(&s), None);
            let v = form(
                &staff,
                "sites",
                "network-sites-edit",
                format!("/network/sites/{id}"),
                Some(format!("/network/sites/{id}/delete")),
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

// ---- devices

pub async fn devices(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let tr = staff.tr;
    let (rows, more) = svc::list_devices(&state.svc, &staff.caller(), &filter(&q)).await?;
    let page = Page::new(&staff, "network", "network-devices-title").with_flash(q.ok.as_deref());
    let manage = may_manage(&page);
    let next = q.next("/network/devices", more, rows.last().map(|d| d.id));
    Ok(html(&ListView {
        intro: tr.t("network-devices-intro"),
        new_href: manage.then(|| "/network/devices/new".into()),
        new_label: tr.t("network-devices-new"),
        q: q.q.clone().unwrap_or_default(),
        filter: Some((
            "kind",
            tr.t("network-field-role"),
            q.kind.clone().unwrap_or_default(),
            choices(&tr, "role", DeviceRole::ALL.iter().map(|k| k.as_str())),
        )),
        headers: ["name", "role", "model", "mgmt_address", "site_id", "status"]
            .iter()
            .map(|h| tr.t(&format!("network-field-{}", h.replace('_', "-"))))
            .collect(),
        rows: rows
            .iter()
            .map(|d| {
                let model = format!("{} {}", d.vendor, d.model).trim().to_owned();
                vec![
                    Cell::link(&d.name, format!("/network/devices/{}", d.id)),
                    Cell::text(if d.nas_id.is_some() {
                        format!("{} · NAS", label(&tr, "role", &d.role))
                    } else {
                        label(&tr, "role", &d.role)
                    }),
                    Cell::text(model),
                    Cell::mono(&d.mgmt_address),
                    Cell::text(d.site_name.clone().unwrap_or_default()),
                    Cell::text(label(&tr, "status", &d.status)),
                ]
            })
            .collect(),
        empty: tr.t("network-devices-none"),
        next,
        page,
        tab: "devices",
    }))
}

async fn device_inputs(
    state: &AppState,
    staff: &Staff,
    d: Option<&Device>,
    pairs: Option<&[(String, String)]>,
) -> Result<Vec<Input>, crate::error::Fail> {
    let tr = staff.tr;
    let caller = staff.caller();
    let sites = svc::site_names(&state.svc, &caller).await?;
    let mut devices = svc::device_names(&state.svc, &caller).await?;
    if let Some(d) = d {
        devices.retain(|(id, _)| *id != d.id);
    }
    let v = |name: &str, stored: String| match pairs {
        Some(p) => field(p, name),
        None => stored,
    };
    let s = |f: fn(&Device) -> String| d.map(f).unwrap_or_default();
    let id = |x: Option<i64>| x.map(|x| x.to_string()).unwrap_or_default();
    Ok(vec![
        Input::text(&tr, "name", v("name", s(|d| d.name.clone()))),
        Input::select(
            &tr,
            "role",
            v("role", s(|d| d.role.clone())),
            choices(&tr, "role", DeviceRole::ALL.iter().map(|k| k.as_str())),
        ),
        Input::select(
            &tr,
            "status",
            v(
                "status",
                d.map(|d| d.status.clone())
                    .unwrap_or_else(|| "active".into()),
            ),
            choices(&tr, "status", Status::ALL.iter().map(|k| k.as_str())),
        ),
        Input::select(
            &tr,
            "site_id",
            v("site_id", id(d.and_then(|d| d.site_id))),
            named(&tr, sites, true),
        ),
        Input::text(&tr, "vendor", v("vendor", s(|d| d.vendor.clone()))),
        Input::text(&tr, "model", v("model", s(|d| d.model.clone()))),
        Input::text(&tr, "serial", v("serial", s(|d| d.serial.clone()))),
        Input::text(&tr, "mac", v("mac", s(|d| d.mac.clone()))),
        Input::text(&tr, "firmware", v("firmware", s(|d| d.firmware.clone()))),
        Input::text(
            &tr,
            "mgmt_address",
            v("mgmt_address", s(|d| d.mgmt_address.clone())),
        ),
        Input::select(
            &tr,
            "uplink_id",
            v("uplink_id", id(d.and_then(|d| d.uplink_id))),
            named(&tr, devices, true),
        ),
        Input::text(&tr, "username", v("username", s(|d| d.username.clone()))),
        Input::new(&tr, "password", "password", String::new()).hint(tr.t(
            if d.is_some_and(|d| !d.secret.is_empty()) {
                "network-password-keep"
            } else {
                "network-password-hint"
            },
        )),
        Input::new(&tr, "notes", "textarea", v("notes", s(|d| d.notes.clone()))),
    ])
}

fn device_from(p: &[(String, String)], editing: bool) -> Result<DeviceInput, services::Error> {
    let choice =
        |f: &'static str| services::Error::invalid(f, domain::validate::FieldError::Choice);
    let password = field(p, "password");
    Ok(DeviceInput {
        device: net::Device {
            name: field(p, "name"),
            role: DeviceRole::parse(&field(p, "role")).ok_or_else(|| choice("role"))?,
            status: Status::parse(&field(p, "status")).ok_or_else(|| choice("status"))?,
            vendor: field(p, "vendor"),
            model: field(p, "model"),
            serial: field(p, "serial"),
            mac: field(p, "mac"),
            firmware: field(p, "firmware"),
            mgmt_address: field(p, "mgmt_address"),
            username: field(p, "username"),
            site_id: opt_id(&field(p, "site_id")),
            uplink_id: opt_id(&field(p, "uplink_id")),
            notes: field(p, "notes"),
        },
        // An empty password field on an edit keeps the stored one.
        password: if password.is_empty() && editing {
            None
        } else {
            Some(password)
        },
    })
}

pub async fn device_new(State(state): State<AppState>, staff: Staff) -> PageResult {
    staff.require(domain::Permission::NetworkManage)?;
    let inputs = device_inputs(&state, &staff, None, None).await?;
    Ok(html(&form(
        &staff,
        "devices",
        "network-devices-new",
        "/network/devices/new".into(),
        None,
        inputs,
    )))
}

pub async fn device_create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let r = match device_from(&p, false) {
        Ok(d) => svc::create_device(&state.svc, &caller, &d).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(d) => Ok(done(&format!("/network/devices/{}", d.id), "network-saved")),
        Err(e) => {
            let inputs = device_inputs(&state, &staff, None, Some(&p)).await?;
            let v = form(
                &staff,
                "devices",
                "network-devices-new",
                "/network/devices/new".into(),
                None,
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

pub async fn device_edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let d = svc::get_device(&state.svc, &staff.caller(), id).await?;
    let inputs = device_inputs(&state, &staff, Some(&d), None).await?;
    let mut v = form(
        &staff,
        "devices",
        "network-devices-edit",
        format!("/network/devices/{id}"),
        Some(format!("/network/devices/{id}/delete")),
        inputs,
    );
    v.page = v.page.with_flash(q.ok.as_deref());
    v.page.title = d.name;
    Ok(html(&v))
}

pub async fn device_update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let r = match device_from(&p, true) {
        Ok(d) => svc::update_device(&state.svc, &caller, id, &d).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(done(&format!("/network/devices/{id}"), "network-saved")),
        Err(e) => {
            let d = svc::get_device(&state.svc, &caller, id).await?;
            let inputs = device_inputs(&state, &staff, Some(&d), Some(&p)).await?;
            let v = form(
                &staff,
                "devices",
                "network-devices-edit",
                format!("/network/devices/{id}"),
                Some(format!("/network/devices/{id}/delete")),
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

pub async fn device_delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    match svc::delete_device(&state.svc, &staff.caller(), id).await {
        Ok(()) => Ok(done("/network/devices", "network-deleted")),
        Err(e) => {
            let d = svc::get_device(&state.svc, &staff.caller(), id).await?;
            let inputs = device_inputs(&state, &staff, Some(&d), None).await?;
            let v = form(
                &staff,
                "devices",
                "network-devices-edit",
                format!("/network/devices/{id}"),
                Some(format!("/network/devices/{id}/delete")),
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

// ---- links

pub async fn links(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let tr = staff.tr;
    let (rows, more) = svc::list_links(&state.svc, &staff.caller(), &filter(&q)).await?;
    let page = Page::new(&staff, "network", "network-links-title").with_flash(q.ok.as_deref());
    let manage = may_manage(&page);
    let next = q.next("/network/links", more, rows.last().map(|l| l.id));
    Ok(html(&ListView {
        intro: tr.t("network-links-intro"),
        new_href: manage.then(|| "/network/links/new".into()),
        new_label: tr.t("network-links-new"),
        q: q.q.clone().unwrap_or_default(),
        filter: Some((
            "kind",
            tr.t("network-field-kind"),
            q.kind.clone().unwrap_or_default(),
            choices(&tr, "link", LinkKind::ALL.iter().map(|k| k.as_str())),
        )),
        headers: ["name", "kind", "ends", "capacity_mbps", "status"]
            .iter()
            .map(|h| tr.t(&format!("network-field-{}", h.replace('_', "-"))))
            .collect(),
        rows: rows
            .iter()
            .map(|l: &Link| {
                vec![
                    Cell::link(&l.name, format!("/network/links/{}", l.id)),
                    Cell::text(label(&tr, "link", &l.kind)),
                    Cell::text(format!(
                        "{} ↔ {}",
                        l.a_name.clone().unwrap_or_default(),
                        l.b_name.clone().unwrap_or_default()
                    )),
                    Cell::mono(l.capacity_mbps.to_string()),
                    Cell::text(label(&tr, "link-status", &l.status)),
                ]
            })
            .collect(),
        empty: tr.t("network-links-none"),
        next,
        page,
        tab: "links",
    }))
}

async fn link_inputs(
    state: &AppState,
    staff: &Staff,
    l: Option<&Link>,
    pairs: Option<&[(String, String)]>,
) -> Result<Vec<Input>, crate::error::Fail> {
    let tr = staff.tr;
    let caller = staff.caller();
    let sites = svc::site_names(&state.svc, &caller).await?;
    let devices = svc::device_names(&state.svc, &caller).await?;
    let v = |name: &str, stored: String| match pairs {
        Some(p) => field(p, name),
        None => stored,
    };
    let id = |x: Option<i64>| x.map(|x| x.to_string()).unwrap_or_default();
    Ok(vec![
        Input::text(
            &tr,
            "name",
            v("name", l.map(|l| l.name.clone()).unwrap_or_default()),
        ),
        Input::select(
            &tr,
            "kind",
            v("kind", l.map(|l| l.kind.clone()).unwrap_or_default()),
            choices(&tr, "link", LinkKind::ALL.iter().map(|k| k.as_str())),
        ),
        Input::select(
            &tr,
            "status",
            v(
                "status",
                l.map(|l| l.status.clone())
                    .unwrap_or_else(|| "active".into()),
            ),
            choices(
                &tr,
                "link-status",
                LinkStatus::ALL.iter().map(|k| k.as_str()),
            ),
        ),
        Input::new(
            &tr,
            "capacity_mbps",
            "number",
            v(
                "capacity_mbps",
                l.map(|l| l.capacity_mbps.to_string()).unwrap_or_default(),
            ),
        ),
        Input::select(
            &tr,
            "a_site_id",
            v("a_site_id", id(l.and_then(|l| l.a_site_id))),
            named(&tr, sites.clone(), true),
        ),
        Input::select(
            &tr,
            "a_device_id",
            v("a_device_id", id(l.and_then(|l| l.a_device_id))),
            named(&tr, devices.clone(), true),
        ),
        Input::select(
            &tr,
            "b_site_id",
            v("b_site_id", id(l.and_then(|l| l.b_site_id))),
            named(&tr, sites, true),
        ),
        Input::select(
            &tr,
            "b_device_id",
            v("b_device_id", id(l.and_then(|l| l.b_device_id))),
            named(&tr, devices, true),
        ),
        Input::new(
            &tr,
            "path",
            "textarea",
            v("path", l.map(|l| l.path.clone()).unwrap_or_default()),
        )
        .hint(tr.t("network-path-hint")),
        Input::new(
            &tr,
            "notes",
            "textarea",
            v("notes", l.map(|l| l.notes.clone()).unwrap_or_default()),
        ),
    ])
}

fn link_from(p: &[(String, String)]) -> Result<net::Link, services::Error> {
    use domain::validate::FieldError;
    let cap = field(p, "capacity_mbps");
    Ok(net::Link {
        name: field(p, "name"),
        kind: LinkKind::parse(&field(p, "kind"))
            .ok_or_else(|| services::Error::invalid("kind", FieldError::Choice))?,
        status: LinkStatus::parse(&field(p, "status"))
            .ok_or_else(|| services::Error::invalid("status", FieldError::Choice))?,
        a_site_id: opt_id(&field(p, "a_site_id")),
        a_device_id: opt_id(&field(p, "a_device_id")),
        b_site_id: opt_id(&field(p, "b_site_id")),
        b_device_id: opt_id(&field(p, "b_device_id")),
        capacity_mbps: if cap.trim().is_empty() {
            0
        } else {
            cap.trim()
                .parse()
                .map_err(|_| services::Error::invalid("capacity_mbps", FieldError::Range))?
        },
        path: net::parse_path(&field(p, "path"))
            .map_err(|e| services::Error::invalid("path", e))?,
        notes: field(p, "notes"),
    })
}

pub async fn link_new(State(state): State<AppState>, staff: Staff) -> PageResult {
    staff.require(domain::Permission::NetworkManage)?;
    let inputs = link_inputs(&state, &staff, None, None).await?;
    Ok(html(&form(
        &staff,
        "links",
        "network-links-new",
        "/network/links/new".into(),
        None,
        inputs,
    )))
}

pub async fn link_create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let r = match link_from(&p) {
        Ok(l) => svc::create_link(&state.svc, &caller, &l).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(l) => Ok(done(&format!("/network/links/{}", l.id), "network-saved")),
        Err(e) => {
            let inputs = link_inputs(&state, &staff, None, Some(&p)).await?;
            let v = form(
                &staff,
                "links",
                "network-links-new",
                "/network/links/new".into(),
                None,
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

pub async fn link_edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let l = svc::get_link(&state.svc, &staff.caller(), id).await?;
    let inputs = link_inputs(&state, &staff, Some(&l), None).await?;
    let mut v = form(
        &staff,
        "links",
        "network-links-edit",
        format!("/network/links/{id}"),
        Some(format!("/network/links/{id}/delete")),
        inputs,
    );
    v.page = v.page.with_flash(q.ok.as_deref());
    v.page.title = l.name;
    Ok(html(&v))
}

pub async fn link_update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let r = match link_from(&p) {
        Ok(l) => svc::update_link(&state.svc, &caller, id, &l).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(done(&format!("/network/links/{id}"), "network-saved")),
        Err(e) => {
            let inputs = link_inputs(&state, &staff, None, Some(&p)).await?;
            let v = form(
                &staff,
                "links",
                "network-links-edit",
                format!("/network/links/{id}"),
                Some(format!("/network/links/{id}/delete")),
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

pub async fn link_delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    svc::delete_link(&state.svc, &staff.caller(), id).await?;
    Ok(done("/network/links", "network-deleted"))
}
