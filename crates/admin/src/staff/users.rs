//! Staff users: list with search, filters and pages; create; edit.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::Permission;
use services::staff::RoleSummary;
use services::staff::UserInput;
use services::staff::{Filter, User};

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

const PAGE_SIZE: i64 = 25;

#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<i64>,
    status: Option<String>,
    after: Option<i64>,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "users.html")]
struct ListView {
    page: Page,
    users: Vec<User>,
    roles: Vec<RoleSummary>,
    q: String,
    role: Option<i64>,
    status: String,
    next: Option<String>,
    first_page: bool,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let caller = staff.caller();
    let status = q.status.clone().unwrap_or_default();
    let filter = Filter {
        q: q.q
            .clone()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned()),
        role_id: q.role,
        disabled: match status.as_str() {
            "active" => Some(false),
            "disabled" => Some(true),
            _ => None,
        },
        after: q.after,
        limit: PAGE_SIZE,
    };
    let (users, more) = services::staff::list_users(&state.svc, &caller, &filter).await?;
    let next = more.then(|| {
        let last = users.last().map(|u| u.id).unwrap_or_default();
        let params = serde_urlencoded::to_string([
            ("q", filter.q.clone().unwrap_or_default()),
            ("role", q.role.map(|r| r.to_string()).unwrap_or_default()),
            ("status", status.clone()),
            ("after", last.to_string()),
        ])
        .unwrap_or_default();
        format!("/users?{params}")
    });
    let roles = services::staff::role_choices(&state.svc, &caller).await?;
    let page = Page::new(&staff, "users", "nav-users").with_flash(q.ok.as_deref());
    Ok(html(&ListView {
        page,
        users,
        roles,
        q: filter.q.unwrap_or_default(),
        role: q.role,
        status,
        next,
        first_page: q.after.is_none(),
    }))
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct FormView {
    page: Page,
    id: Option<i64>,
    v: UserInput,
    roles: Vec<RoleSummary>,
    errors: FormErrors,
    user: Option<User>,
}

fn input_from(pairs: &[(String, String)]) -> UserInput {
    UserInput {
        username: field(pairs, "username").trim().to_lowercase(),
        email: field(pairs, "email"),
        display_name: field(pairs, "display_name"),
        role: field(pairs, "role"),
        locale: Some(field(pairs, "locale")),
        disabled: field(pairs, "disabled") == "1",
        ip_allowlist: field(pairs, "ip_allowlist"),
    }
}

pub async fn new_form(State(state): State<AppState>, staff: Staff) -> PageResult {
    staff.require(Permission::UsersManage)?;
    let roles = services::staff::role_choices(&state.svc, &staff.caller()).await?;
    let v = UserInput {
        role: "support".into(),
        ..Default::default()
    };
    let page = Page::new(&staff, "users", "users-new");
    Ok(html(&FormView {
        page,
        id: None,
        v,
        roles,
        errors: FormErrors::default(),
        user: None,
    }))
}

pub async fn create(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let caller = staff.caller();
    let pairs = form_pairs(&body);
    let v = input_from(&pairs);
    let password = field(&pairs, "password");
    match services::staff::create_user(&state.svc, &caller, &v, &password).await {
        Ok(id) => Ok(done(&format!("/users/{id}"), "user-created")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let roles = services::staff::role_choices(&state.svc, &caller).await?;
            let page = Page::new(&staff, "users", "users-new");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&FormView {
                    page,
                    id: None,
                    v,
                    roles,
                    errors,
                    user: None,
                }),
            )
                .into_response())
        }
    }
}

fn input_of(u: &User) -> UserInput {
    UserInput {
        username: u.username.clone(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        role: u.role_name.clone(),
        locale: u.locale.clone(),
        disabled: u.disabled,
        ip_allowlist: u.ip_allowlist.clone(),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    let caller = staff.caller();
    let user = services::staff::get_user(&state.svc, &caller, id).await?;
    let roles = services::staff::role_choices(&state.svc, &caller).await?;
    let mut page = Page::new(&staff, "users", "users-edit").with_flash(f.ok.as_deref());
    page.title = user.display_name.clone();
    Ok(html(&FormView {
        page,
        id: Some(id),
        v: input_of(&user),
        roles,
        errors: FormErrors::default(),
        user: Some(user),
    }))
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    let pairs = form_pairs(&body);
    let mut v = input_from(&pairs);
    match services::staff::update_user(&state.svc, &caller, id, &v).await {
        Ok(()) => Ok(done(&format!("/users/{id}"), "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let user = services::staff::get_user(&state.svc, &caller, id).await?;
            v.username = user.username.clone();
            let roles = services::staff::role_choices(&state.svc, &caller).await?;
            let page = Page::new(&staff, "users", "users-edit");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&FormView {
                    page,
                    id: Some(id),
                    v,
                    roles,
                    errors,
                    user: Some(user),
                }),
            )
                .into_response())
        }
    }
}

pub async fn set_password(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    let password = field(&form_pairs(&body), "password");
    match services::staff::set_password(&state.svc, &caller, id, &password).await {
        Ok(()) => Ok(done(&format!("/users/{id}"), "password-set")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            let user = services::staff::get_user(&state.svc, &caller, id).await?;
            let roles = services::staff::role_choices(&state.svc, &caller).await?;
            let page = Page::new(&staff, "users", "users-edit");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&FormView {
                    page,
                    id: Some(id),
                    v: input_of(&user),
                    roles,
                    errors,
                    user: Some(user),
                }),
            )
                .into_response())
        }
    }
}

pub async fn reset_2fa(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    services::staff::reset_2fa(&state.svc, &staff.caller(), id).await?;
    Ok(done(&format!("/users/{id}"), "2fa-reset"))
}

pub async fn logout_everywhere(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    services::staff::auth::logout_everywhere(&state.svc, &staff.caller(), id).await?;
    Ok(done(&format!("/users/{id}"), "logged-out-everywhere"))
}
