//! First-run setup: the company, the built-in roles and the first admin, in
//! one transaction that can succeed only once per installation.

use domain::staff::role::BuiltinRole;
use domain::{Locale, Permission, validate};

use crate::{Actor, Caller, Change, Error, Result, Services, check};

/// The company profile as stored, for interfaces to name.
pub use store::system::company::Company;

/// The wizard's answers (also the `lastmile setup` flags).
#[derive(Debug, Clone, Default)]
pub struct SetupInput {
    pub company: String,
    pub legal_document: String,
    pub country: String,
    pub currency: String,
    pub locale: String,
    pub timezone: String,
    pub admin_username: String,
    pub admin_email: String,
    pub admin_name: String,
    pub admin_password: String,
    /// PNG, JPEG or WebP, at most [`MAX_LOGO_BYTES`].
    pub logo: Option<Vec<u8>>,
}

pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// Brings the built-in roles' stored permissions up to this release's
/// definition (new permissions appear in new releases); run at start-up.
pub async fn sync_builtin_roles(svc: &Services) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    let now = store::now();
    for role in BuiltinRole::ALL {
        store::staff::roles::sync_builtin(
            &mut tx,
            role.name(),
            &role.permissions().to_codes(),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn is_done(svc: &Services) -> Result<bool> {
    let mut c = svc.db.conn().await?;
    Ok(store::system::company::get(&mut c).await?.is_some())
}

/// Validates every field, naming the first bad one.
pub fn validate(input: &SetupInput) -> Result<()> {
    check("company", validate::required(&input.company, 120))?;
    check(
        "legal_document",
        validate::required(&input.legal_document, 40),
    )?;
    check("country", validate::country(input.country.trim()))?;
    check("currency", validate::currency(input.currency.trim()))?;
    input
        .locale
        .parse::<Locale>()
        .map_err(|e| Error::invalid_msg("locale", e.to_string()))?;
    check("timezone", validate::timezone(input.timezone.trim()))?;
    check(
        "admin_username",
        validate::username(input.admin_username.trim()),
    )?;
    check("admin_email", validate::email(&input.admin_email))?;
    check("admin_password", validate::password(&input.admin_password))?;
    if let Some(logo) = &input.logo {
        image_type(logo)
            .ok_or_else(|| Error::invalid_msg("logo", "must be a PNG, JPEG or WebP image"))?;
        if logo.len() > MAX_LOGO_BYTES {
            return Err(Error::invalid_msg("logo", "must be at most 512 KiB"));
        }
    }
    Ok(())
}

/// The image type from its first bytes (never from a file name).
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Runs setup; returns the admin's user id. Refused with
/// `Error::Refused("setup-done")` once a company exists.
pub async fn run(svc: &Services, input: &SetupInput, source_ip: Option<String>) -> Result<i64> {
    // Refuse before validating, so a late attempt learns nothing but "done".
    if is_done(svc).await? {
        return Err(Error::Refused("setup-done"));
    }
    validate(input)?;
    let hash = crate::staff::passwords::hash(&input.admin_password)?;
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let company = store::system::company::Company {
        name: input.company.trim().to_owned(),
        legal_document: input.legal_document.trim().to_owned(),
        country: input.country.trim().to_owned(),
        currency: input.currency.trim().to_owned(),
        locale: input
            .locale
            .parse::<Locale>()
            .map(|l| l.tag().to_owned())
            .unwrap_or_default(),
        timezone: input.timezone.trim().to_owned(),
    };
    match store::system::company::create(&mut tx, &company, now).await {
        Err(store::Error::Conflict(_)) => return Err(Error::Refused("setup-done")),
        other => other?,
    }
    if let Some(logo) = &input.logo {
        let ct = image_type(logo).unwrap_or("application/octet-stream");
        store::system::company::set_logo(&mut tx, logo, ct).await?;
    }
    let mut admin_role = 0;
    for role in BuiltinRole::ALL {
        let id = store::staff::roles::insert(
            &mut tx,
            role.name(),
            true,
            &role.permissions().to_codes(),
            "",
            now,
        )
        .await?;
        if role == BuiltinRole::Admin {
            admin_role = id;
        }
    }
    let username = input.admin_username.trim();
    let display = if input.admin_name.trim().is_empty() {
        username
    } else {
        input.admin_name.trim()
    };
    let user_id = store::staff::users::insert(
        &mut tx,
        &store::staff::users::NewUser {
            username,
            email: input.admin_email.trim(),
            display_name: display,
            password_hash: &hash,
            role_id: admin_role,
            locale: Some(&company.locale),
            ip_allowlist: "",
        },
        now,
    )
    .await?;
    let actor = Actor {
        kind: "setup",
        id: None,
        name: "setup".into(),
        source_ip,
    };
    let engine = svc.db.engine();
    Change::new("setup.complete", "company", 1)
        .after(serde_json::to_value(&company).unwrap_or_default())
        .record(&mut tx, engine, &actor)
        .await?;
    Change::new("user.create", "user", user_id)
        .after(serde_json::json!({"username": username, "email": input.admin_email.trim(), "role": "admin"}))
        .record(&mut tx, engine, &actor)
        .await?;
    tx.commit().await?;
    svc.caches.company.invalidate();
    Ok(user_id)
}

/// Company profile changes from the settings page (`settings.manage`).
pub async fn update_company(
    svc: &Services,
    caller: &Caller,
    c: &store::system::company::Company,
) -> Result<()> {
    caller.require(Permission::SettingsManage)?;
    check("company", validate::required(&c.name, 120))?;
    check("legal_document", validate::required(&c.legal_document, 40))?;
    check("country", validate::country(&c.country))?;
    check("currency", validate::currency(&c.currency))?;
    c.locale
        .parse::<Locale>()
        .map_err(|e| Error::invalid_msg("locale", e.to_string()))?;
    check("timezone", validate::timezone(&c.timezone))?;
    let mut tx = svc.db.begin().await?;
    let before = store::system::company::get(&mut tx)
        .await?
        .ok_or(Error::NotFound)?;
    store::system::company::update(&mut tx, c).await?;
    Change::new("company.update", "company", 1)
        .before(serde_json::to_value(&before).unwrap_or_default())
        .after(serde_json::to_value(c).unwrap_or_default())
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    svc.caches.company.invalidate();
    Ok(())
}

/// The company profile as the settings page shows it (`settings.view` or
/// `settings.manage`); `NotFound` before setup.
pub async fn profile(svc: &Services, caller: &Caller) -> Result<store::system::company::Company> {
    crate::staff::require_any(
        caller,
        &[Permission::SettingsView, Permission::SettingsManage],
    )?;
    company(svc).await?.ok_or(Error::NotFound)
}

/// The installation's time zone (UTC before setup), from the snapshot.
pub(crate) async fn timezone(svc: &Services) -> Result<jiff::tz::TimeZone> {
    Ok(company(svc)
        .await?
        .and_then(|c| jiff::tz::TimeZone::get(&c.timezone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC))
}

/// The company logo and its content type, if one was uploaded. Anyone may
/// read it: the sign-in page and the favicon show it before sign-in.
pub async fn logo(svc: &Services) -> Result<Option<(Vec<u8>, String)>> {
    let mut c = svc.db.conn().await?;
    Ok(store::system::company::logo(&mut c).await?)
}

/// The company profile (from this node's snapshot, at most a few seconds
/// old): the name, language and time zone every page and job uses, for no
/// one in particular. Staff reading it as a setting go through [`profile`].
pub async fn company(svc: &Services) -> Result<Option<store::system::company::Company>> {
    let snapshot = svc
        .caches
        .company
        .get_or_load(|| async {
            let mut c = svc.db.conn().await?;
            Ok(store::system::company::get(&mut c).await?)
        })
        .await?;
    Ok(snapshot.as_ref().clone())
}
