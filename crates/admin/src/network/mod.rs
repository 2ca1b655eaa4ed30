//! The network inventory and address plan pages, under the Network entry
//! beside the RADIUS pages: sites, devices, links, prefixes and pools,
//! each a list (search, filter, pages) and a form (with delete), and a
//! pool's page with its use and the addresses taken in it.
//!
//! The five forms share one template (`network_form.html`) driven by a
//! list of [`Input`]s, and the lists one (`network_list.html`) driven by
//! rows of [`Cell`]s, so the area adds two templates, not ten.

mod inventory;
mod ipam;

use askama::Template;
use axum::Router;
use axum::routing::{get, post};
use domain::Permission;
use webkit::i18n::Tr;
use webkit::state::AppState;

use crate::views::{FormErrors, Page};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/network/sites", get(inventory::sites))
        .route(
            "/network/sites/new",
            get(inventory::site_new).post(inventory::site_create),
        )
        .route(
            "/network/sites/{id}",
            get(inventory::site_edit).post(inventory::site_update),
        )
        .route("/network/sites/{id}/delete", post(inventory::site_delete))
        .route("/network/devices", get(inventory::devices))
        .route(
            "/network/devices/new",
            get(inventory::device_new).post(inventory::device_create),
        )
        .route(
            "/network/devices/{id}",
            get(inventory::device_edit).post(inventory::device_update),
        )
        .route(
            "/network/devices/{id}/delete",
            post(inventory::device_delete),
        )
        .route("/network/links", get(inventory::links))
        .route(
            "/network/links/new",
            get(inventory::link_new).post(inventory::link_create),
        )
        .route(
            "/network/links/{id}",
            get(inventory::link_edit).post(inventory::link_update),
        )
        .route("/network/links/{id}/delete", post(inventory::link_delete))
        .route("/network/prefixes", get(ipam::prefixes))
        .route(
            "/network/prefixes/new",
            get(ipam::prefix_new).post(ipam::prefix_create),
        )
        .route(
            "/network/prefixes/{id}",
            get(ipam::prefix_edit).post(ipam::prefix_update),
        )
        .route("/network/prefixes/{id}/delete", post(ipam::prefix_delete))
        .route("/network/pools", get(ipam::pools))
        .route(
            "/network/pools/new",
            get(ipam::pool_new).post(ipam::pool_create),
        )
        .route(
            "/network/pools/{id}",
            get(ipam::pool_show).post(ipam::pool_update),
        )
        .route("/network/pools/{id}/delete", post(ipam::pool_delete))
        .route("/network/pools/{id}/take", post(ipam::pool_take))
        .route("/network/assignments/{id}/release", post(ipam::release))
}

const PAGE_SIZE: i64 = 50;

/// One form field.
pub struct Input {
    pub name: &'static str,
    pub label: String,
    /// `text`, `number`, `password`, `select` or `textarea`.
    pub kind: &'static str,
    pub value: String,
    /// For `select`: (value, label); an empty value is "none".
    pub options: Vec<(String, String)>,
    pub hint: String,
}

impl Input {
    fn new(tr: &Tr, name: &'static str, kind: &'static str, value: impl Into<String>) -> Input {
        Input {
            name,
            label: tr.t(&format!("network-field-{}", name.replace('_', "-"))),
            kind,
            value: value.into(),
            options: Vec::new(),
            hint: String::new(),
        }
    }

    fn text(tr: &Tr, name: &'static str, value: impl Into<String>) -> Input {
        Input::new(tr, name, "text", value)
    }

    fn select(
        tr: &Tr,
        name: &'static str,
        value: impl Into<String>,
        options: Vec<(String, String)>,
    ) -> Input {
        Input {
            options,
            ..Input::new(tr, name, "select", value)
        }
    }

    fn hint(mut self, h: String) -> Input {
        self.hint = h;
        self
    }
}

/// The choices of a text enumeration, labelled `network-<group>-<value>`.
fn choices(
    tr: &Tr,
    group: &str,
    values: impl IntoIterator<Item = &'static str>,
) -> Vec<(String, String)> {
    values
        .into_iter()
        .map(|v| (v.to_owned(), label(tr, group, v)))
        .collect()
}

/// An enumeration's value in words.
fn label(tr: &Tr, group: &str, v: &str) -> String {
    let key = format!("network-{group}-{}", v.replace('_', "-"));
    if tr.has(&key) {
        tr.t(&key)
    } else {
        v.to_owned()
    }
}

/// A list of (id, name) as choices, led by "none" when optional.
fn named(tr: &Tr, rows: Vec<(i64, String)>, optional: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if optional {
        out.push((String::new(), tr.t("network-none")));
    }
    out.extend(rows.into_iter().map(|(id, n)| (id.to_string(), n)));
    out
}

#[derive(Template)]
#[template(path = "network_form.html")]
pub struct FormView {
    pub page: Page,
    pub tab: &'static str,
    /// The list the breadcrumb leads back to.
    pub back: &'static str,
    pub back_label: String,
    pub action: String,
    pub delete: Option<String>,
    pub inputs: Vec<Input>,
    pub errors: FormErrors,
    pub editable: bool,
}

/// A list cell: text, optionally a link, optionally a utilisation bar.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub class: &'static str,
    /// (percent used, warning threshold) for a pool's meter.
    pub bar: Option<(i64, i64)>,
}

impl Cell {
    fn text(t: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            href: None,
            class: "",
            bar: None,
        }
    }
    fn link(t: impl Into<String>, href: String) -> Cell {
        Cell {
            href: Some(href),
            class: "cell-main",
            ..Cell::text(t)
        }
    }
    fn mono(t: impl Into<String>) -> Cell {
        Cell {
            class: "mono",
            ..Cell::text(t)
        }
    }
}

/// A list's filter select: (name, label, chosen, choices).
pub type FilterSelect = (&'static str, String, String, Vec<(String, String)>);

#[derive(Template)]
#[template(path = "network_list.html")]
pub struct ListView {
    pub page: Page,
    pub tab: &'static str,
    pub intro: String,
    pub new_href: Option<String>,
    pub new_label: String,
    pub q: String,
    /// A filter select.
    pub filter: Option<FilterSelect>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub empty: String,
    pub next: Option<String>,
}

/// `?q=&kind=&before=` of every list.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub before: Option<i64>,
    pub ok: Option<String>,
}

impl ListQuery {
    fn kind(&self) -> Option<String> {
        self.kind.clone().filter(|k| !k.trim().is_empty())
    }

    /// The next page's address, keeping the filters.
    fn next(&self, base: &str, more: bool, last: Option<i64>) -> Option<String> {
        let last = last.filter(|_| more)?;
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(v) = &self.q {
            pairs.push(("q", v.clone()));
        }
        if let Some(v) = &self.kind {
            pairs.push(("kind", v.clone()));
        }
        pairs.push(("before", last.to_string()));
        Some(format!(
            "{base}?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        ))
    }
}

fn opt_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

fn may_manage(page: &Page) -> bool {
    page.can(Permission::NetworkManage)
}
