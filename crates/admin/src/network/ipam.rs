//! Prefixes and pools pages; a pool's page shows its use and what is taken
//! in it, with assigning, reserving and releasing.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use domain::network::ipam::{PoolKind, PoolPurpose, Utilisation};
use services::network::ipam::{self as svc, PoolInput, PrefixInput, Target};
use services::network::{Assignment, IpFilter, Pool, Prefix};
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

fn filter(q: &ListQuery) -> IpFilter {
    IpFilter {
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
    let editable = may_manage(&page);
    FormView {
        page,
        tab,
        back: if tab == "prefixes" {
            "/network/prefixes"
        } else {
            "/network/pools"
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

// ---- prefixes

pub async fn prefixes(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let tr = staff.tr;
    let mut f = filter(&q);
    f.kind = None;
    f.family = q.kind().and_then(|k| k.parse().ok());
    let (rows, more) = svc::list_prefixes(&state.svc, &staff.caller(), &f).await?;
    let page = Page::new(&staff, "network", "network-prefixes-title").with_flash(q.ok.as_deref());
    let manage = may_manage(&page);
    let next = q.next("/network/prefixes", more, rows.last().map(|p| p.id));
    Ok(html(&ListView {
        intro: tr.t("network-prefixes-intro"),
        new_href: manage.then(|| "/network/prefixes/new".into()),
        new_label: tr.t("network-prefixes-new"),
        q: q.q.clone().unwrap_or_default(),
        filter: Some((
            "kind",
            tr.t("network-field-family"),
            q.kind.clone().unwrap_or_default(),
            vec![("4".into(), "IPv4".into()), ("6".into(), "IPv6".into())],
        )),
        headers: ["cidr", "vrf", "parent_id", "site_id", "description"]
            .iter()
            .map(|h| tr.t(&format!("network-field-{}", h.replace('_', "-"))))
            .collect(),
        rows: rows
            .iter()
            .map(|p: &Prefix| {
                vec![
                    Cell::link(&p.cidr, format!("/network/prefixes/{}", p.id)),
                    Cell::text(&p.vrf),
                    Cell::mono(p.parent_cidr.clone().unwrap_or_default()),
                    Cell::text(p.site_name.clone().unwrap_or_default()),
                    Cell::text(&p.description),
                ]
            })
            .collect(),
        empty: tr.t("network-prefixes-none"),
        next,
        page,
        tab: "prefixes",
    }))
}

async fn prefix_inputs(
    state: &AppState,
    staff: &Staff,
    p: Option<&Prefix>,
    pairs: Option<&[(String, String)]>,
) -> Result<Vec<Input>, crate::error::Fail> {
    let tr = staff.tr;
    let caller = staff.caller();
    let sites = services::network::inventory::site_names(&state.svc, &caller).await?;
    let v = |name: &str, stored: String| match pairs {
        Some(p) => field(p, name),
        None => stored,
    };
    let site = Input::select(
        &tr,
        "site_id",
        v(
            "site_id",
            p.and_then(|p| p.site_id)
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ),
        named(&tr, sites, true),
    );
    let description = Input::new(
        &tr,
        "description",
        "textarea",
        v(
            "description",
            p.map(|p| p.description.clone()).unwrap_or_default(),
        ),
    );
    if p.is_some() {
        // A prefix's block, VRF and parent stay once created.
        return Ok(vec![site, description]);
    }
    let prefixes = svc::prefix_names(&state.svc, &caller).await?;
    Ok(vec![
        Input::text(&tr, "cidr", v("cidr", String::new())).hint(tr.t("network-cidr-hint")),
        Input::text(&tr, "vrf", v("vrf", String::new())),
        Input::select(&tr, "parent_id", v("parent_id", String::new()), {
            let mut o = named(&tr, prefixes, false);
            o.insert(0, (String::new(), tr.t("network-parent-auto")));
            o
        }),
        site,
        description,
    ])
}

fn prefix_from(p: &[(String, String)]) -> PrefixInput {
    PrefixInput {
        cidr: field(p, "cidr"),
        vrf: field(p, "vrf"),
        parent_id: opt_id(&field(p, "parent_id")),
        site_id: opt_id(&field(p, "site_id")),
        description: field(p, "description"),
    }
}

pub async fn prefix_new(State(state): State<AppState>, staff: Staff) -> PageResult {
    staff.require(domain::Permission::NetworkManage)?;
    let inputs = prefix_inputs(&state, &staff, None, None).await?;
    Ok(html(&form(
        &staff,
        "prefixes",
        "network-prefixes-new",
        "/network/prefixes/new".into(),
        None,
        inputs,
    )))
}

pub async fn prefix_create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    match svc::create_prefix(&state.svc, &caller, &prefix_from(&p)).await {
        Ok(x) => Ok(done(
            &format!("/network/prefixes/{}", x.id),
            "network-saved",
        )),
        Err(e) => {
            let inputs = prefix_inputs(&state, &staff, None, Some(&p)).await?;
            let v = form(
                &staff,
                "prefixes",
                "network-prefixes-new",
                "/network/prefixes/new".into(),
                None,
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

pub async fn prefix_edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let p = svc::get_prefix(&state.svc, &staff.caller(), id).await?;
    let inputs = prefix_inputs(&state, &staff, Some(&p), None).await?;
    let mut v = form(
        &staff,
        "prefixes",
        "network-prefixes-edit",
        format!("/network/prefixes/{id}"),
        Some(format!("/network/prefixes/{id}/delete")),
        inputs,
    );
    v.page = v.page.with_flash(q.ok.as_deref());
    v.page.title = if p.vrf.is_empty() {
        p.cidr
    } else {
        format!("{} ({})", p.cidr, p.vrf)
    };
    Ok(html(&v))
}

pub async fn prefix_update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    match svc::update_prefix(&state.svc, &caller, id, &prefix_from(&p)).await {
        Ok(_) => Ok(done(&format!("/network/prefixes/{id}"), "network-saved")),
        Err(e) => {
            let cur = svc::get_prefix(&state.svc, &caller, id).await?;
            let inputs = prefix_inputs(&state, &staff, Some(&cur), Some(&p)).await?;
            let v = form(
                &staff,
                "prefixes",
                "network-prefixes-edit",
                format!("/network/prefixes/{id}"),
                Some(format!("/network/prefixes/{id}/delete")),
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

pub async fn prefix_delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    match svc::delete_prefix(&state.svc, &staff.caller(), id).await {
        Ok(()) => Ok(done("/network/prefixes", "network-deleted")),
        Err(e) => {
            let cur = svc::get_prefix(&state.svc, &staff.caller(), id).await?;
            let inputs = prefix_inputs(&state, &staff, Some(&cur), None).await?;
            let v = form(
                &staff,
                "prefixes",
                "network-prefixes-edit",
                format!("/network/prefixes/{id}"),
                Some(format!("/network/prefixes/{id}/delete")),
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

// ---- pools

fn use_text(tr: &Tr, u: &Utilisation) -> String {
    format!(
        "{} ({} %)",
        tr.t2(
            "network-pool-use",
            ("used", u.used.to_string()),
            ("size", u.size.to_string()),
        ),
        u.percent
    )
}

pub async fn pools(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let tr = staff.tr;
    let (rows, more) = svc::list_pools(&state.svc, &staff.caller(), &filter(&q)).await?;
    let page = Page::new(&staff, "network", "network-pools-title").with_flash(q.ok.as_deref());
    let manage = may_manage(&page);
    let next = q.next("/network/pools", more, rows.last().map(|p| p.id));
    Ok(html(&ListView {
        intro: tr.t("network-pools-intro"),
        new_href: manage.then(|| "/network/pools/new".into()),
        new_label: tr.t("network-pools-new"),
        q: q.q.clone().unwrap_or_default(),
        filter: Some((
            "kind",
            tr.t("network-field-kind"),
            q.kind.clone().unwrap_or_default(),
            choices(&tr, "pool", PoolKind::ALL.iter().map(|k| k.as_str())),
        )),
        headers: ["name", "cidr", "kind", "purpose", "use"]
            .iter()
            .map(|h| tr.t(&format!("network-field-{h}")))
            .collect(),
        rows: rows
            .iter()
            .map(|p: &Pool| {
                let u = svc::utilisation(p);
                let usage = if p.kind == "static" {
                    Cell {
                        bar: Some((u.percent, p.warn_percent)),
                        ..Cell::text(use_text(&tr, &u))
                    }
                } else {
                    Cell::text(tr.t("network-pool-router"))
                };
                vec![
                    Cell::link(&p.name, format!("/network/pools/{}", p.id)),
                    Cell::mono(&p.cidr),
                    Cell::text(label(&tr, "pool", &p.kind)),
                    Cell::text(label(&tr, "purpose", &p.purpose)),
                    usage,
                ]
            })
            .collect(),
        empty: tr.t("network-pools-none"),
        next,
        page,
        tab: "pools",
    }))
}

async fn pool_inputs(
    state: &AppState,
    staff: &Staff,
    p: Option<&Pool>,
    pairs: Option<&[(String, String)]>,
) -> Result<Vec<Input>, crate::error::Fail> {
    let tr = staff.tr;
    let v = |name: &str, stored: String| match pairs {
        Some(p) => field(p, name),
        None => stored,
    };
    let mut out = Vec::new();
    if p.is_none() {
        let prefixes = svc::prefix_names(&state.svc, &staff.caller()).await?;
        out.push(Input::select(
            &tr,
            "prefix_id",
            v("prefix_id", String::new()),
            named(&tr, prefixes, false),
        ));
        out.push(
            Input::text(&tr, "cidr", v("cidr", String::new())).hint(tr.t("network-cidr-hint")),
        );
        out.push(Input::select(
            &tr,
            "kind",
            v("kind", "static".into()),
            choices(&tr, "pool", PoolKind::ALL.iter().map(|k| k.as_str())),
        ));
        out.push(
            Input::new(&tr, "assign_len", "number", v("assign_len", String::new()))
                .hint(tr.t("network-assign-len-hint")),
        );
    }
    out.push(
        Input::text(
            &tr,
            "name",
            v("name", p.map(|p| p.name.clone()).unwrap_or_default()),
        )
        .hint(tr.t("network-pool-name-hint")),
    );
    out.push(Input::select(
        &tr,
        "purpose",
        v(
            "purpose",
            p.map(|p| p.purpose.clone())
                .unwrap_or_else(|| "customers".into()),
        ),
        choices(&tr, "purpose", PoolPurpose::ALL.iter().map(|k| k.as_str())),
    ));
    out.push(Input::new(
        &tr,
        "warn_percent",
        "number",
        v(
            "warn_percent",
            p.map(|p| p.warn_percent)
                .unwrap_or(domain::network::ipam::DEFAULT_WARN_PERCENT)
                .to_string(),
        ),
    ));
    out.push(Input::new(
        &tr,
        "notes",
        "textarea",
        v("notes", p.map(|p| p.notes.clone()).unwrap_or_default()),
    ));
    Ok(out)
}

fn pool_from(p: &[(String, String)], current: Option<&Pool>) -> Result<PoolInput, services::Error> {
    use domain::validate::FieldError;
    let num = |name: &'static str| -> Result<Option<i64>, services::Error> {
        let t = field(p, name);
        if t.trim().is_empty() {
            Ok(None)
        } else {
            t.trim()
                .parse()
                .map(Some)
                .map_err(|_| services::Error::invalid(name, FieldError::Range))
        }
    };
    Ok(PoolInput {
        prefix_id: match current {
            Some(c) => c.prefix_id,
            None => opt_id(&field(p, "prefix_id"))
                .ok_or_else(|| services::Error::invalid("prefix_id", FieldError::Required))?,
        },
        name: field(p, "name"),
        cidr: current
            .map(|c| c.cidr.clone())
            .unwrap_or_else(|| field(p, "cidr")),
        kind: match current {
            Some(c) => PoolKind::parse(&c.kind).unwrap_or(PoolKind::Static),
            None => PoolKind::parse(&field(p, "kind"))
                .ok_or_else(|| services::Error::invalid("kind", FieldError::Choice))?,
        },
        purpose: PoolPurpose::parse(&field(p, "purpose"))
            .ok_or_else(|| services::Error::invalid("purpose", FieldError::Choice))?,
        assign_len: match current {
            Some(c) => Some(c.assign_len),
            None => num("assign_len")?,
        },
        warn_percent: num("warn_percent")?.unwrap_or(domain::network::ipam::DEFAULT_WARN_PERCENT),
        notes: field(p, "notes"),
    })
}

pub async fn pool_new(State(state): State<AppState>, staff: Staff) -> PageResult {
    staff.require(domain::Permission::NetworkManage)?;
    let inputs = pool_inputs(&state, &staff, None, None).await?;
    Ok(html(&form(
        &staff,
        "pools",
        "network-pools-new",
        "/network/pools/new".into(),
        None,
        inputs,
    )))
}

pub async fn pool_create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let r = match pool_from(&p, None) {
        Ok(i) => svc::create_pool(&state.svc, &caller, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(x) => Ok(done(&format!("/network/pools/{}", x.id), "network-saved")),
        Err(e) => {
            let inputs = pool_inputs(&state, &staff, None, Some(&p)).await?;
            let v = form(
                &staff,
                "pools",
                "network-pools-new",
                "/network/pools/new".into(),
                None,
                inputs,
            );
            refused(v, &staff.tr, e)
        }
    }
}

#[derive(Template)]
#[template(path = "network_pool.html")]
struct PoolView {
    page: Page,
    tab: &'static str,
    pool: Pool,
    usage: Utilisation,
    use_text: String,
    kind: String,
    purpose: String,
    taken: Vec<Assignment>,
    next: Option<String>,
    edit: FormView,
    errors: FormErrors,
    take_contract: String,
    take_address: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PoolQuery {
    after: Option<i64>,
    ok: Option<String>,
}

async fn pool_view(
    state: &AppState,
    staff: &Staff,
    id: i64,
    after: Option<i64>,
) -> Result<PoolView, crate::error::Fail> {
    let tr = staff.tr;
    let caller = staff.caller();
    let pool = svc::get_pool(&state.svc, &caller, id).await?;
    let (taken, more) = svc::list_assignments(&state.svc, &caller, id, after, PAGE_SIZE).await?;
    let next = more
        .then(|| {
            taken
                .last()
                .map(|a| format!("/network/pools/{id}?after={}", a.slot))
        })
        .flatten();
    let inputs = pool_inputs(state, staff, Some(&pool), None).await?;
    let edit = form(
        staff,
        "pools",
        "network-pools-edit",
        format!("/network/pools/{id}"),
        Some(format!("/network/pools/{id}/delete")),
        inputs,
    );
    let usage = svc::utilisation(&pool);
    let mut page = Page::new(staff, "network", "network-pools-title");
    page.title = pool.name.clone();
    Ok(PoolView {
        page,
        tab: "pools",
        use_text: use_text(&tr, &usage),
        kind: label(&tr, "pool", &pool.kind),
        purpose: label(&tr, "purpose", &pool.purpose),
        usage,
        pool,
        taken,
        next,
        edit,
        errors: FormErrors::default(),
        take_contract: String::new(),
        take_address: String::new(),
    })
}

pub async fn pool_show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<PoolQuery>,
) -> PageResult {
    let mut v = pool_view(&state, &staff, id, q.after).await?;
    v.page = v.page.with_flash(q.ok.as_deref());
    Ok(html(&v))
}

pub async fn pool_update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let cur = svc::get_pool(&state.svc, &caller, id).await?;
    let r = match pool_from(&p, Some(&cur)) {
        Ok(i) => svc::update_pool(&state.svc, &caller, id, &i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(done(&format!("/network/pools/{id}"), "network-saved")),
        Err(e) => {
            let mut v = pool_view(&state, &staff, id, None).await?;
            v.edit.inputs = pool_inputs(&state, &staff, Some(&cur), Some(&p)).await?;
            v.edit.errors = FormErrors::from_error(&staff.tr, e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&v)).into_response())
        }
    }
}

pub async fn pool_delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    match svc::delete_pool(&state.svc, &staff.caller(), id).await {
        Ok(()) => Ok(done("/network/pools", "network-deleted")),
        Err(e) => {
            let mut v = pool_view(&state, &staff, id, None).await?;
            v.edit.errors = FormErrors::from_error(&staff.tr, e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&v)).into_response())
        }
    }
}

/// Assigns (a contract number given) or reserves the next free address
/// or a typed one.
pub async fn pool_take(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    services::network::access::manage(&caller)?;
    let p = form_pairs(&body);
    let number = field(&p, "contract").trim().to_owned();
    let address = field(&p, "address").trim().to_owned();
    let target = if address.is_empty() {
        Target::Next { pool_id: id }
    } else {
        Target::Address(address.clone())
    };
    let r = if number.is_empty() {
        svc::reserve(&state.svc, &caller, &target, &field(&p, "note")).await
    } else {
        match services::contracts::search(&state.svc, &caller, &number).await {
            Ok(found) => match found.first() {
                Some(k) => svc::assign(&state.svc, &caller, k.id, &target).await,
                None => Err(services::Error::invalid(
                    "contract",
                    domain::validate::FieldError::Choice,
                )),
            },
            Err(e) => Err(e),
        }
    };
    match r {
        Ok(_) => Ok(done(&format!("/network/pools/{id}"), "network-taken")),
        Err(e) => {
            let mut v = pool_view(&state, &staff, id, None).await?;
            v.errors = FormErrors::from_error(&staff.tr, e)?;
            v.take_contract = number;
            v.take_address = address;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&v)).into_response())
        }
    }
}

pub async fn release(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let caller = staff.caller();
    let a = svc::get_assignment(&state.svc, &caller, id).await?;
    svc::release(&state.svc, &caller, id).await?;
    Ok(done(
        &format!("/network/pools/{}", a.pool_id),
        "network-released",
    ))
}
