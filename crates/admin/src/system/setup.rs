//! The first-run wizard. Once a company exists it is closed for good: the
//! form redirects to the login page and a direct POST is refused.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use services::system::setup::SetupInput;

use crate::error::PageResult;
use crate::views::{FormErrors, html};
use webkit::auth::{SESSION_COOKIE, Visitor};
use webkit::i18n::Tr;
use webkit::request::set_cookie;
use webkit::state::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupView {
    tr: Tr,
    csrf: String,
    v: SetupInput,
    enrol_2fa: bool,
    errors: FormErrors,
    timezones: Vec<&'static str>,
}

impl SetupView {
    fn is_timezone(&self, tz: &str) -> bool {
        self.v.timezone == tz
    }
}

const TIMEZONES: &[&str] = &[
    "America/Sao_Paulo",
    "America/Manaus",
    "America/Fortaleza",
    "America/Recife",
    "America/Belem",
    "America/Cuiaba",
    "America/Porto_Velho",
    "America/Rio_Branco",
    "America/Noronha",
    "America/Argentina/Buenos_Aires",
    "America/Santiago",
    "America/Bogota",
    "America/Lima",
    "America/Mexico_City",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Europe/Lisbon",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Berlin",
    "Africa/Luanda",
    "Africa/Maputo",
    "Asia/Kolkata",
    "UTC",
];

pub async fn form(State(state): State<AppState>, visitor: Visitor) -> PageResult {
    if services::system::setup::is_done(&state.svc).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let pt = visitor.tr.tag() == "pt-BR";
    let v = SetupInput {
        country: if pt { "BR" } else { "" }.into(),
        currency: if pt { "BRL" } else { "" }.into(),
        locale: visitor.tr.tag().into(),
        timezone: if pt { "America/Sao_Paulo" } else { "UTC" }.into(),
        ..Default::default()
    };
    Ok(html(&SetupView {
        tr: visitor.tr,
        csrf: visitor.csrf,
        v,
        enrol_2fa: true,
        errors: FormErrors::default(),
        timezones: TIMEZONES.to_vec(),
    }))
}

pub async fn submit(
    State(state): State<AppState>,
    visitor: Visitor,
    mut multipart: Multipart,
) -> PageResult {
    let mut v = SetupInput::default();
    let mut enrol_2fa = false;
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or("").to_owned();
        if name == "logo" {
            let bytes = field.bytes().await.unwrap_or_default();
            if !bytes.is_empty() {
                v.logo = Some(bytes.to_vec());
            }
            continue;
        }
        let text = field.text().await.unwrap_or_default();
        match name.as_str() {
            "company" => v.company = text,
            "legal_document" => v.legal_document = text,
            "country" => v.country = text.trim().to_uppercase(),
            "currency" => v.currency = text.trim().to_uppercase(),
            "locale" => v.locale = text,
            "timezone" => v.timezone = text,
            "admin_username" => v.admin_username = text.trim().to_lowercase(),
            "admin_email" => v.admin_email = text,
            "admin_name" => v.admin_name = text,
            "admin_password" => v.admin_password = text,
            "enrol_2fa" => enrol_2fa = true,
            _ => {}
        }
    }
    let tr = visitor.tr;
    match services::system::setup::run(&state.svc, &v, Some(visitor.client.ip.to_string())).await {
        Ok(_) => {}
        Err(services::Error::Refused("setup-done")) => {
            return Ok((StatusCode::FORBIDDEN, tr.t("refused-setup-done")).into_response());
        }
        Err(e) => {
            let errors = FormErrors::from_error(&tr, e)?;
            v.admin_password.clear();
            v.logo = None;
            let view = SetupView {
                tr,
                csrf: visitor.csrf,
                v,
                enrol_2fa,
                errors,
                timezones: TIMEZONES.to_vec(),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response());
        }
    }
    // Sign the new admin in straight away.
    let req = services::staff::auth::LoginRequest {
        username: &v.admin_username,
        password: &v.admin_password,
        ip: visitor.client.ip,
        user_agent: &visitor.client.user_agent,
        device: None,
    };
    let outcome = services::staff::auth::login(&state.svc, &req).await?;
    let (token, device) = match outcome {
        services::staff::auth::LoginOutcome::Done {
            session_token,
            device_token,
        }
        | services::staff::auth::LoginOutcome::MustEnroll {
            session_token,
            device_token,
        } => (session_token, device_token),
        services::staff::auth::LoginOutcome::NeedsSecondFactor { session_token } => {
            (session_token, None)
        }
    };
    let to = if enrol_2fa {
        "/account/2fa"
    } else {
        "/?ok=setup-done"
    };
    let cookie = set_cookie(SESSION_COOKIE, &token, None, "Lax", visitor.client.https);
    Ok(crate::public::keep_device(
        session_redirect(to, &cookie),
        device.as_deref(),
        visitor.client.https,
    ))
}

pub fn session_redirect(to: &str, cookie: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = cookie.parse() {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    resp
}
