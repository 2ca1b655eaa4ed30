//! What every page template receives, and rendering helpers.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use domain::{Permission, PermissionSet};

use webkit::auth::Staff;
use webkit::i18n::Tr;

/// The frame around every signed-in page: who, where, which language.
pub struct Page {
    pub tr: Tr,
    pub title: String,
    /// The active navigation entry.
    pub nav: &'static str,
    pub csrf: String,
    pub user_display: String,
    pub company: String,
    pub perms: PermissionSet,
    /// A translated confirmation shown once at the top (from `?ok=<key>`).
    pub flash: Option<String>,
    /// The installation's time zone, for showing instants.
    pub tz: jiff::tz::TimeZone,
}

/// A navigation entry. Each area's module declares its own (`crm::NAV`);
/// the crate root lists them in order.
pub struct NavItem {
    pub key: &'static str,
    pub href: &'static str,
    pub icon: &'static str,
    /// Areas later releases bring are listed but not yet links.
    pub ready: bool,
    /// The permission its page needs (`None`: areas not built yet, shown
    /// to everyone as "soon").
    pub perm: Option<Permission>,
}

impl NavItem {
    /// An area a later release brings: listed for everyone, not a link.
    pub const fn soon(key: &'static str, href: &'static str, icon: &'static str) -> NavItem {
        NavItem {
            key,
            href,
            icon,
            ready: false,
            perm: None,
        }
    }
}

/// An administration entry, shown only with its permission.
pub struct AdminItem {
    pub key: &'static str,
    pub href: &'static str,
    pub perm: Permission,
}

/// Where someone without the dashboard starts: the first area, then the
/// first administration page, they may open.
pub fn home(perms: &PermissionSet) -> Option<&'static str> {
    crate::NAV
        .iter()
        .filter(|n| n.ready && n.perm.is_some_and(|p| perms.contains(p)))
        .map(|n| n.href)
        .chain(
            crate::ADMIN_NAV
                .iter()
                .filter(|a| perms.contains(a.perm))
                .map(|a| a.href),
        )
        .next()
}

impl Page {
    pub fn new(staff: &Staff, nav: &'static str, title_key: &str) -> Page {
        Page {
            tr: staff.tr,
            title: staff.tr.t(title_key),
            nav,
            csrf: staff.csrf.clone(),
            user_display: staff.principal.user.display_name.clone(),
            company: staff.company.clone(),
            perms: staff.principal.permissions.clone(),
            flash: None,
            tz: staff.tz.clone(),
        }
    }

    /// Shows the confirmation `flash-<key>` if `ok` names one.
    pub fn with_flash(mut self, ok: Option<&str>) -> Page {
        self.flash = ok
            .map(|k| format!("flash-{k}"))
            .filter(|k| self.tr.has(k))
            .map(|k| self.tr.t(&k));
        self
    }

    /// Whether the user holds `p` (templates: `page.can(Permission::X)`).
    pub fn can(&self, p: Permission) -> bool {
        self.perms.contains(p)
    }

    /// The main navigation entries this user may see.
    pub fn nav(&self) -> Vec<&'static NavItem> {
        crate::NAV
            .iter()
            .filter(|n| n.perm.is_none_or(|p| self.can(p)))
            .collect()
    }

    /// An amount in minor units (cents) with the language's separators:
    /// `1,299.90` or `1.299,90`.
    pub fn money(&self, minor: &i64) -> String {
        self.tr.money(*minor)
    }

    /// A speed in kbit/s as people read it: `300 Mbps`, `1.5 Gbps`, `512 kbps`.
    pub fn speed(&self, kbps: &i64) -> String {
        let k = *kbps;
        let (v, unit) = if k >= 1_000_000 && k % 100_000 == 0 {
            (k as f64 / 1_000_000.0, "Gbps")
        } else if k >= 1000 && k % 100 == 0 {
            (k as f64 / 1000.0, "Mbps")
        } else {
            (k as f64, "kbps")
        };
        let text = format!("{v}");
        let text = match self.tr.locale {
            domain::Locale::PtBr => text.replace('.', ","),
            domain::Locale::En => text,
        };
        format!("{text} {unit}")
    }

    /// A Brazilian CEP as people write it (`88010-000`); other postal codes
    /// as stored.
    pub fn cep(&self, code: &str) -> String {
        domain::crm::cep::format(code)
    }

    /// A stored E.164 phone for reading: `+55 48 99911-2233`.
    pub fn phone(&self, e164: &str) -> String {
        domain::crm::phone::parse(e164, "BR")
            .map(|p| p.international())
            .unwrap_or_else(|_| e164.to_owned())
    }

    /// The badge style of a contract status.
    pub fn status_class(&self, status: &str) -> &'static str {
        match status {
            "active" => "badge badge-ok",
            "suspended" => "badge badge-warn",
            "canceled" => "badge badge-muted",
            _ => "badge badge-info",
        }
    }

    /// The translation of `<prefix><value>` if the catalogue has it, else
    /// the value itself (kinds other areas add later still show).
    pub fn label_or(&self, prefix: &str, value: &str) -> String {
        self.tr.label_or(prefix, value)
    }

    /// The translation of `<prefix><value>`, e.g. a status code's label.
    pub fn label(&self, prefix: &str, value: &str) -> String {
        self.tr.t(&format!("{prefix}{}", value.replace('_', "-")))
    }

    pub fn nav_label(&self, key: &str) -> String {
        self.tr.t(&format!("nav-{key}"))
    }

    pub fn admin_nav(&self) -> Vec<&'static AdminItem> {
        crate::ADMIN_NAV
            .iter()
            .filter(|a| self.can(a.perm))
            .collect()
    }

    pub fn initials(&self) -> String {
        self.user_display
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .collect::<String>()
            .to_uppercase()
    }

    /// Formats Unix seconds in the installation's time zone.
    pub fn when(&self, ts: &i64) -> String {
        format_time(*ts, &self.tz)
    }

    pub fn when_opt(&self, ts: &Option<i64>) -> String {
        ts.map(|t| format_time(t, &self.tz))
            .unwrap_or_else(|| "—".into())
    }
}

/// `2026-11-24 13:47 -03`: local time with its offset, so staff in other
/// zones are never misled.
pub fn format_time(ts: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_second(ts)
        .map(|t| {
            t.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .unwrap_or_default()
}

/// Renders a template as an HTML response (a template error is a 500).
pub fn html<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "template error",
            )
                .into_response()
        }
    }
}

/// Field-level messages for a form, already translated.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(pub Vec<(String, String)>);

impl FormErrors {
    pub fn get(&self, field: &str) -> String {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// A message for the whole form (not tied to a field).
    pub fn general(&self) -> String {
        self.get("_form")
    }

    /// The form message for a service error, or `Err` when it is not a
    /// user mistake (then it becomes an error page).
    pub fn from_error(tr: &Tr, e: services::Error) -> Result<FormErrors, crate::error::Fail> {
        use services::Error as E;
        let msg = match &e {
            // A promo code refused: why, in the user's language.
            E::Invalid { field, .. } if services::billing::promos::refusal(&e).is_some() => {
                let why = services::billing::promos::refusal(&e).map(|r| r.code());
                let text = tr.t(&format!("discounts-{}", why.unwrap_or_default()));
                return Ok(FormErrors(vec![((*field).to_owned(), text)]));
            }
            E::Invalid { field, reason } => {
                let key = format!("invalid-{}", reason.code());
                let text = match reason {
                    services::FieldReason::Rule(_) => tr.t(&key),
                    services::FieldReason::Message(m) => {
                        format!("{} ({m})", tr.t("invalid-invalid"))
                    }
                };
                return Ok(FormErrors(vec![((*field).to_owned(), text)]));
            }
            // A stale page or a second tab: both statuses in the user's
            // language, next to the status buttons.
            E::IllegalTransition { current, requested } => {
                let label = |s: domain::contracts::Status| {
                    tr.t(&format!("contract-status-{}", s.as_str().replace('_', "-")))
                };
                let text = tr.t2(
                    "contracts-illegal-transition",
                    ("current", label(*current)),
                    ("requested", label(*requested)),
                );
                return Ok(FormErrors(vec![("status".into(), text)]));
            }
            E::Conflict(what) => tr.t1("error-conflict-field", "what", what),
            E::Refused(code) => tr.t(&format!("refused-{code}")),
            _ => return Err(e.into()),
        };
        let field = match &e {
            E::Conflict("username") => "username",
            E::Conflict("role name") => "name",
            _ => "_form",
        };
        Ok(FormErrors(vec![(field.to_owned(), msg)]))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorView {
    pub tr: Tr,
    pub status: u16,
    pub message: String,
    pub detail: Option<String>,
}

impl ErrorView {
    pub fn render_html(&self) -> String {
        self.render().unwrap_or_else(|_| self.message.clone())
    }
}
