//! The signed-in user's own account: profile, password, 2FA, API tokens,
//! sessions.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use services::staff::auth::Session;
use services::staff::tokens::ApiToken;

use crate::error::PageResult;
use crate::views::{FormErrors, Page, html};
use crate::{done, field, fields, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountView {
    page: Page,
    email: String,
    display_name: String,
    locale: String,
    totp_enabled: bool,
    recovery_left: i64,
    tokens: Vec<ApiToken>,
    sessions: Vec<Session>,
    current_session: String,
    new_token: Option<String>,
    scopes: Vec<&'static str>,
    errors: FormErrors,
}

async fn account_view(
    state: &AppState,
    staff: &Staff,
    ok: Option<&str>,
    new_token: Option<String>,
    errors: FormErrors,
) -> Result<AccountView, crate::error::Fail> {
    let caller = staff.caller();
    let user = services::staff::get_user(&state.svc, &caller, staff.principal.user.id).await?;
    let (tokens, _) =
        services::staff::tokens::list(&state.svc, &caller, Some(user.id), None, 100).await?;
    let sessions = services::staff::auth::sessions_of(&state.svc, &caller, user.id).await?;
    let recovery_left = services::staff::auth::unused_recovery_codes(&state.svc, &caller).await?;
    let page = Page::new(staff, "account", "nav-account").with_flash(ok);
    Ok(AccountView {
        page,
        email: user.email,
        display_name: user.display_name,
        locale: user.locale.unwrap_or_default(),
        totp_enabled: user.totp_enabled,
        recovery_left,
        tokens,
        sessions,
        current_session: services::staff::auth::token_hash(&staff.session_token),
        new_token,
        scopes: domain::Permission::ALL.iter().map(|p| p.code()).collect(),
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(f): Query<crate::Flash>,
) -> PageResult {
    Ok(html(
        &account_view(&state, &staff, f.ok.as_deref(), None, FormErrors::default()).await?,
    ))
}

async fn with_errors(state: &AppState, staff: &Staff, e: services::Error) -> PageResult {
    let errors = FormErrors::from_error(&staff.tr, e)?;
    let view = account_view(state, staff, None, None, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

pub async fn save_profile(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let p = form_pairs(&body);
    let locale = Some(field(&p, "locale"));
    match services::staff::update_own_profile(
        &state.svc,
        &staff.caller(),
        &field(&p, "email"),
        &field(&p, "display_name"),
        locale,
    )
    .await
    {
        Ok(()) => Ok(done("/account", "saved")),
        Err(e) => with_errors(&state, &staff, e).await,
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> PageResult {
    let p = form_pairs(&body);
    let (new, confirm) = (field(&p, "new_password"), field(&p, "confirm_password"));
    if new != confirm {
        let e = services::Error::invalid_msg("confirm_password", staff.tr.t("invalid-mismatch"));
        return with_errors(&state, &staff, e).await;
    }
    match services::staff::auth::change_password(
        &state.svc,
        &staff.caller(),
        &field(&p, "current_password"),
        &new,
        Some(&staff.session_token),
    )
    .await
    {
        Ok(()) => Ok(done("/account", "password-changed")),
        Err(e) => with_errors(&state, &staff, e).await,
    }
}

pub async fn logout_everywhere(State(state): State<AppState>, staff: Staff) -> PageResult {
    services::staff::auth::logout_everywhere(&state.svc, &staff.caller(), staff.principal.user.id)
        .await?;
    Ok(done("/login", "logged-out-everywhere"))
}

pub async fn create_token(State(state): State<AppState>, staff: Staff, body: Bytes) -> PageResult {
    let p = form_pairs(&body);
    let scopes = if field(&p, "all") == "1" {
        "all".to_owned()
    } else {
        fields(&p, "scopes").join(",")
    };
    match services::staff::tokens::create(
        &state.svc,
        &staff.caller(),
        staff.principal.user.id,
        &field(&p, "name"),
        &scopes,
    )
    .await
    {
        Ok((_, token)) => {
            let view = account_view(
                &state,
                &staff,
                Some("token-created"),
                Some(token),
                FormErrors::default(),
            )
            .await?;
            Ok(html(&view))
        }
        Err(e) => with_errors(&state, &staff, e).await,
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    services::staff::tokens::revoke(&state.svc, &staff.caller(), id).await?;
    Ok(done("/account", "token-revoked"))
}

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorView {
    page: Page,
    enabled: bool,
    secret: String,
    qr_svg: String,
    recovery_codes: Vec<String>,
    required: bool,
    errors: FormErrors,
}

async fn two_factor_view(
    state: &AppState,
    staff: &Staff,
    errors: FormErrors,
    recovery_codes: Vec<String>,
) -> Result<TwoFactorView, crate::error::Fail> {
    let caller = staff.caller();
    let user = services::staff::get_user(&state.svc, &caller, staff.principal.user.id).await?;
    let (mut secret, mut qr_svg) = (String::new(), String::new());
    if !user.totp_enabled {
        let s = match services::staff::auth::pending_2fa_secret(&state.svc, &caller).await? {
            Some(s) => s,
            None => services::staff::auth::begin_2fa(&state.svc, &caller).await?,
        };
        let url = services::staff::totp::otpauth_url(&s, &staff.company, &user.username);
        qr_svg = services::staff::totp::qr_svg(&url);
        secret = s;
    }
    let settings = services::system::settings::current(&state.svc).await?;
    let required = settings
        .list(domain::system::settings::REQUIRE_2FA_ROLES)
        .contains(&user.role_name);
    let page = Page::new(staff, "account", "twofa-title");
    Ok(TwoFactorView {
        page,
        enabled: user.totp_enabled,
        secret,
        qr_svg,
        recovery_codes,
        required,
        errors,
    })
}

pub async fn two_factor(State(state): State<AppState>, staff: Staff) -> PageResult {
    Ok(html(
        &two_factor_view(&state, &staff, FormErrors::default(), vec![]).await?,
    ))
}

pub async fn two_factor_start(State(state): State<AppState>, staff: Staff) -> PageResult {
    services::staff::auth::begin_2fa(&state.svc, &staff.caller()).await?;
    Ok(done("/account/2fa", "2fa-restarted"))
}

pub async fn two_factor_confirm(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> PageResult {
    let code = field(&form_pairs(&body), "code");
    match services::staff::auth::confirm_2fa(&state.svc, &staff.caller(), &code).await {
        Ok(codes) => Ok(html(
            &two_factor_view(&state, &staff, FormErrors::default(), codes).await?,
        )),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&two_factor_view(&state, &staff, errors, vec![]).await?),
            )
                .into_response())
        }
    }
}

pub async fn two_factor_disable(
    State(state): State<AppState>,
    staff: Staff,
    body: Bytes,
) -> PageResult {
    let password = field(&form_pairs(&body), "password");
    match services::staff::auth::disable_2fa(&state.svc, &staff.caller(), &password).await {
        Ok(()) => Ok(done("/account", "2fa-disabled")),
        Err(e) => {
            let errors = FormErrors::from_error(&staff.tr, e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                html(&two_factor_view(&state, &staff, errors, vec![]).await?),
            )
                .into_response())
        }
    }
}
