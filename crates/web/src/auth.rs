//! The signed-in staff member behind a browser request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use domain::{Locale, Permission};
use services::staff::auth::Principal;

use crate::csrf::CsrfToken;
use crate::i18n::Tr;
use crate::request::{Client, cookie};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "lm_session";
pub const LANG_COOKIE: &str = "lm_lang";
/// A browser that signed in before ("known device"): exempt from the sign-in
/// delays other attempts from its address cause (see `services::staff::auth`).
pub const DEVICE_COOKIE: &str = "lm_device";

/// A request from a signed-in staff member.
pub struct Staff {
    pub principal: Principal,
    pub session_token: String,
    pub client: Client,
    pub tr: Tr,
    pub csrf: String,
    pub company: String,
    /// The installation's time zone.
    pub tz: jiff::tz::TimeZone,
}

impl Staff {
    pub fn actor(&self) -> services::Actor {
        self.principal.actor(Some(self.client.ip))
    }

    /// The caller services check permissions against.
    pub fn caller(&self) -> services::Caller {
        services::Caller::staff(self.principal.clone(), Some(self.client.ip))
    }

    /// Refuses with the 403 page unless the user holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), crate::error::Fail> {
        self.principal.require(p).map_err(Into::into)
    }
}

/// The locale for a request: the user's own choice, then the language
/// cookie, then the browser's `Accept-Language`, then English.
pub fn request_locale(parts_headers: &axum::http::HeaderMap, user_locale: Option<&str>) -> Locale {
    user_locale
        .and_then(|l| l.parse().ok())
        .or_else(|| cookie(parts_headers, LANG_COOKIE).and_then(|l| l.parse().ok()))
        .or_else(|| {
            parts_headers
                .get("accept-language")
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default()
}

/// Paths a user who must enrol 2FA may still open.
fn enrolment_path(path: &str) -> bool {
    path.starts_with("/account/2fa") || path == "/logout"
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let client = Client::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|e| match e {});
        let path = parts.uri.path().to_owned();
        let login = || {
            let next = if path == "/" {
                String::new()
            } else {
                format!("?next={}", urlencode(&path))
            };
            Redirect::to(&format!("/login{next}")).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(login());
        };
        let found = services::staff::auth::session(&state.svc, &token, client.ip)
            .await
            .map_err(|e| crate::error::Fail::from(e).into_response())?;
        let Some((principal, session)) = found else {
            return Err(login());
        };
        if session.mfa_pending {
            return Err(Redirect::to("/login/2fa").into_response());
        }
        let settings = services::system::settings::current(&state.svc)
            .await
            .map_err(|e| crate::error::Fail::from(e).into_response())?;
        if services::staff::auth::must_enroll(&settings, &principal.user) && !enrolment_path(&path)
        {
            return Err(Redirect::to("/account/2fa").into_response());
        }
        let tr = Tr::new(request_locale(
            &parts.headers,
            principal.user.locale.as_deref(),
        ));
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let company = services::system::setup::company(&state.svc)
            .await
            .map_err(|e| crate::error::Fail::from(e).into_response())?;
        let tz = company
            .as_ref()
            .and_then(|c| jiff::tz::TimeZone::get(&c.timezone).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let company = company.map(|c| c.name).unwrap_or_else(|| "Lastmile".into());
        Ok(Staff {
            principal,
            session_token: token,
            client,
            tr,
            csrf,
            company,
            tz,
        })
    }
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e[1..].to_owned())
        .unwrap_or_default()
}

/// A browser request from anyone (login, setup): its translator and CSRF token.
pub struct Visitor {
    pub client: Client,
    pub tr: Tr,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let client = Client::from_request_parts(parts, state).await?;
        let tr = Tr::new(request_locale(&parts.headers, None));
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        Ok(Visitor { client, tr, csrf })
    }
}
