//! Roles: the built-in four and custom ones built from the permission list.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use services::staff::RoleInput;
use services::staff::RoleSummary;

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, fields, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

#[derive(Template)]
#[template(path = "roles.html")]
struct ListView {
    page: Page,
    roles: Vec<RoleSummary>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let roles = services::staff::list_roles(&state.svc, &staff.caller()).await?;
    let page = Page::new(&staff, "roles", "nav-roles").with_flash(f.ok.as_deref());
    Ok(html(&ListView { page, roles }))
}

/// A permission checkbox.
struct PermOption {
    code: &'static str,
    label_key: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "role_form.html")]
struct FormView {
    page: Page,
    id: Option<i64>,
    builtin: bool,
    role_name: String,
    ip_allowlist: String,
    perms: Vec<PermOption>,
    errors: FormErrors,
}

fn options(checked: &[String]) -> Vec<PermOption> {
    Permission::ALL
        .into_iter()
        .map(|p| PermOption {
            code: p.code(),
            label_key: p.label_key(),
            checked: checked.iter().any(|c| c == p.code()),
        })
        .collect()
}

pub async fn new_form(staff: Staff) -> PageResult {
    staff.require(Permission::RolesManage)?;
    let page = Page::new(&staff, "roles", "roles-new");
    Ok(html(&FormView {
        page,
        id: None,
        builtin: false,
        role_name: String::new(),
        ip_allowlist: String::new(),
        perms: options(&[Permission::DashboardView.code().into()]),
        errors: FormErrors::default(),
    }))
}

fn input(pairs: &[(String, String)]) -> RoleInput {
    RoleInput {
        name: field(pairs, "name").trim().to_lowercase(),
        permissions: fields(pairs, "permissions"),
        ip_allowlist: field(pairs, "ip_allowlist"),
    }
}

pub async fn create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let v = input(&form_pairs(&body));
    match services::staff::create_role(&state.svc, &staff.caller(), &v).await {
        Ok(_) => Ok(done("/roles", "role-created")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let page = Page::new(&staff, "roles", "roles-new");
            let view = FormView {
                page,
                id: None,
                builtin: false,
                role_name: v.name,
                ip_allowlist: v.ip_allowlist,
                perms: options(&v.permissions),
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let role = services::staff::get_role(&state.svc, &staff.caller(), id).await?;
    let codes: Vec<String> = role.permissions.split(' ').map(str::to_owned).collect();
    let mut page = Page::new(&staff, "roles", "roles-edit");
    page.title = role.name.clone();
    Ok(html(&FormView {
        page,
        id: Some(id),
        builtin: role.builtin,
        role_name: role.name,
        ip_allowlist: role.ip_allowlist,
        perms: options(&codes),
        errors: FormErrors::default(),
    }))
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let v = input(&form_pairs(&body));
    match services::staff::update_role(&state.svc, &staff.caller(), id, &v).await {
        Ok(()) => Ok(done("/roles", "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let role = services::staff::get_role(&state.svc, &staff.caller(), id).await?;
            let page = Page::new(&staff, "roles", "roles-edit");
            let view = FormView {
                page,
                id: Some(id),
                builtin: role.builtin,
                role_name: v.name,
                ip_allowlist: v.ip_allowlist,
                perms: options(&v.permissions),
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    match services::staff::delete_role(&state.svc, &staff.caller(), id).await {
        Ok(()) => Ok(done("/roles", "role-deleted")),
        Err(services::Error::Refused(code)) => Ok(done("/roles", &format!("refused-{code}"))),
        Err(e) => Err(e.into()),
    }
}
