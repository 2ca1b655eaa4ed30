//! The contract document: a template per locale that the provider edits
//! (Markdown-like text with `{{placeholder}}`s, see [`pdfdoc::markup`]),
//! filled with a contract's customer, plan, prices and dates and rendered
//! to PDF by the `pdfdoc` crate.

use std::collections::BTreeMap;

use domain::Money;
use serde_json::json;

use crate::{Caller, Change, Error, Result, Services};

/// Editing the contract templates: `settings.manage` (the settings page).
fn settings(caller: &Caller) -> Result<()> {
    caller.require(domain::Permission::SettingsManage)
}

/// Locales a template exists for.
pub const LOCALES: &[&str] = &["pt-BR", "en"];

/// Every placeholder a template may use, with what it becomes.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("company.name", "the provider's name"),
    ("company.document", "the provider's CNPJ / tax id"),
    ("customer.name", "customer's name"),
    ("customer.document", "customer's CPF / CNPJ"),
    ("customer.email", "customer's first e-mail"),
    ("customer.phone", "customer's first phone"),
    ("service.address", "the contract's service address"),
    ("contract.number", "contract number"),
    ("contract.login", "PPPoE / access login"),
    ("contract.price", "monthly price"),
    ("contract.installation_fee", "installation fee"),
    ("contract.early_termination_fee", "early termination fee"),
    ("contract.billing_day", "billing day of the month"),
    ("contract.start_date", "start date"),
    ("contract.loyalty_end_date", "end of the minimum term"),
    ("plan.name", "plan name"),
    ("plan.download", "download speed"),
    ("plan.upload", "upload speed"),
    ("plan.loyalty_months", "minimum term in months"),
    ("document.date", "date the PDF is issued"),
];

/// Longest template accepted, in bytes.
pub const MAX_TEMPLATE: usize = 100_000;

/// The built-in template for `locale` (Portuguese for anything but `en`).
pub fn default_template(locale: &str) -> &'static str {
    if locale == "en" {
        include_str!("templates/en.md")
    } else {
        include_str!("templates/pt-BR.md")
    }
}

fn locale_ok(locale: &str) -> Result<&'static str> {
    LOCALES
        .iter()
        .copied()
        .find(|l| *l == locale)
        .ok_or_else(|| {
            Error::invalid_msg("locale", format!("must be one of: {}", LOCALES.join(", ")))
        })
}

/// A locale's template as the settings page shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Template {
    pub locale: String,
    pub body: String,
    /// True when no edited template is saved (the built-in one is used).
    pub is_default: bool,
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
}

/// The template in use for `locale`, as the settings page edits it.
pub async fn template(svc: &Services, caller: &Caller, locale: &str) -> Result<Template> {
    settings(caller)?;
    template_in_use(svc, locale).await
}

async fn template_in_use(svc: &Services, locale: &str) -> Result<Template> {
    let locale = locale_ok(locale)?;
    let mut c = svc.db.conn().await?;
    Ok(
        match store::crm::documents::template(&mut c, locale).await? {
            Some(t) => Template {
                locale: t.locale,
                body: t.body,
                is_default: false,
                updated_by: Some(t.updated_by),
                updated_at: Some(t.updated_at),
            },
            None => Template {
                locale: locale.to_owned(),
                body: default_template(locale).to_owned(),
                is_default: true,
                updated_by: None,
                updated_at: None,
            },
        },
    )
}

/// Checks a template: size, and every placeholder known (the error names
/// the field `body` and the placeholder).
pub fn check_template(body: &str) -> Result<()> {
    if body.trim().is_empty() {
        return Err(Error::invalid(
            "body",
            domain::validate::FieldError::Required,
        ));
    }
    if body.len() > MAX_TEMPLATE {
        return Err(Error::invalid_msg(
            "body",
            format!("the template is longer than {MAX_TEMPLATE} bytes"),
        ));
    }
    let known: Vec<&str> = PLACEHOLDERS.iter().map(|(n, _)| *n).collect();
    pdfdoc::markup::check(body, &known).map_err(|e| Error::invalid_msg("body", e.to_string()))
}

/// Saves the template for `locale`.
pub async fn save_template(
    svc: &Services,
    caller: &Caller,
    locale: &str,
    body: &str,
) -> Result<()> {
    settings(caller)?;
    let actor = caller.actor();
    let locale = locale_ok(locale)?;
    check_template(body)?;
    let body = body.replace("\r\n", "\n");
    let mut tx = svc.db.begin().await?;
    let before = store::crm::documents::template(&mut tx, locale).await?;
    store::crm::documents::put_template(&mut tx, locale, &body, &actor.name, store::now()).await?;
    Change::new("contract_template.update", "contract_template", locale)
        .before(before.map(|t| json!({ "body": t.body })))
        .after(json!({ "body": body }))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Goes back to the built-in template for `locale`.
pub async fn reset_template(svc: &Services, caller: &Caller, locale: &str) -> Result<()> {
    settings(caller)?;
    let locale = locale_ok(locale)?;
    let mut tx = svc.db.begin().await?;
    let Some(before) = store::crm::documents::template(&mut tx, locale).await? else {
        return Ok(());
    };
    store::crm::documents::delete_template(&mut tx, locale).await?;
    Change::new("contract_template.reset", "contract_template", locale)
        .before(json!({ "body": before.body }))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) fn money(minor: i64, currency: &str, locale: &str) -> String {
    let decimals = domain::money::minor_units(currency);
    let amount = if locale == "en" {
        Money(minor).display(decimals, '.', Some(','))
    } else {
        Money(minor).display(decimals, ',', Some('.'))
    };
    match currency {
        "BRL" => format!("R$ {amount}"),
        other => format!("{other} {amount}"),
    }
}

pub(crate) fn date(iso: &str, locale: &str) -> String {
    match (locale, iso.parse::<jiff::civil::Date>()) {
        ("en", Ok(d)) => d.strftime("%B %-d, %Y").to_string(),
        (_, Ok(d)) => d.strftime("%d/%m/%Y").to_string(),
        _ => iso.to_owned(),
    }
}

fn speed(kbps: i64) -> String {
    if kbps >= 1000 && kbps % 1000 == 0 {
        format!("{} Mbps", kbps / 1000)
    } else if kbps >= 1000 {
        format!("{:.1} Mbps", kbps as f64 / 1000.0)
    } else {
        format!("{kbps} kbps")
    }
}

/// Renders a template with `values` to PDF bytes. The first heading becomes
/// the document's title; `logo` (PNG or JPEG bytes) is drawn at the top.
/// A logo that cannot be decoded is left out rather than refusing the
/// contract: the document matters more than the picture.
pub fn render_template(
    body: &str,
    values: &BTreeMap<&str, String>,
    locale: &str,
    logo: Option<Vec<u8>>,
) -> Result<Vec<u8>> {
    let mut blocks = pdfdoc::markup::parse(body);
    let lookup = |name: &str| values.get(name).cloned();
    for b in &mut blocks {
        b.map_text(&mut |t: &str| pdfdoc::markup::fill(t, &lookup))
            .map_err(|e| Error::invalid_msg("body", e.to_string()))?;
    }
    let title = match blocks.first() {
        Some(pdfdoc::Block::Heading(t)) => {
            let t = t.clone();
            blocks.remove(0);
            t
        }
        _ => String::new(),
    };
    let footer = if locale == "en" {
        "Page {page} of {pages}"
    } else {
        "Página {page} de {pages}"
    };
    let mut doc = pdfdoc::Document {
        title,
        blocks,
        logo,
        footer: footer.into(),
    };
    match pdfdoc::render(&doc) {
        Err(pdfdoc::Error::Logo(e)) => {
            tracing::warn!(error = %e, "company logo left out of the contract PDF");
            doc.logo = None;
            pdfdoc::render(&doc)
        }
        other => other,
    }
    .map_err(|e| Error::Internal(format!("contract PDF: {e}")))
}

/// The company logo when it is a PNG or JPEG (the kinds `pdfdoc` draws;
/// a WebP logo is left out of documents).
pub(crate) async fn company_logo(svc: &Services) -> Result<Option<Vec<u8>>> {
    Ok(crate::system::setup::logo(svc)
        .await?
        .filter(|(_, ct)| ct == "image/png" || ct == "image/jpeg")
        .map(|(bytes, _)| bytes))
}

/// The placeholder values for one contract.
async fn values(
    svc: &Services,
    contract_id: i64,
    locale: &str,
) -> Result<BTreeMap<&'static str, String>> {
    let mut c = svc.db.conn().await?;
    let k = store::contracts::get(&mut c, contract_id).await?;
    let customer = store::crm::customers::get(&mut c, k.customer_id).await?;
    let plan = store::catalog::get(&mut c, k.plan_id).await?;
    let company = store::system::company::get(&mut c).await?;
    let address = match k.service_address_id {
        Some(id) => Some(store::crm::customers::get_address(&mut c, id).await?),
        None => store::crm::customers::addresses(&mut c, k.customer_id)
            .await?
            .into_iter()
            .next(),
    };
    let today = crate::crm::today(&mut c).await?;
    let currency = company
        .as_ref()
        .map(|c| c.currency.clone())
        .unwrap_or_else(|| "BRL".into());
    let m = |v: i64| money(v, &currency, locale);
    let mut v = BTreeMap::new();
    v.insert(
        "company.name",
        company.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
    );
    v.insert(
        "company.document",
        company
            .as_ref()
            .map(|c| c.legal_document.clone())
            .unwrap_or_default(),
    );
    v.insert("customer.name", customer.name.clone());
    v.insert("customer.document", customer.document.clone());
    v.insert(
        "customer.email",
        customer.emails.first().cloned().unwrap_or_default(),
    );
    v.insert(
        "customer.phone",
        customer.phones.first().cloned().unwrap_or_default(),
    );
    v.insert(
        "service.address",
        address
            .map(|a| {
                let mut s = format!("{}, {}", a.street, a.number);
                if !a.complement.is_empty() {
                    s.push_str(&format!(" ({})", a.complement));
                }
                format!(
                    "{s}, {}, {}/{}, CEP {}",
                    a.district, a.city, a.state, a.postal_code
                )
            })
            .unwrap_or_default(),
    );
    v.insert("contract.number", k.number.clone());
    v.insert("contract.login", k.pppoe_login.clone());
    v.insert("contract.price", m(k.price));
    v.insert("contract.installation_fee", m(k.installation_fee));
    v.insert("contract.early_termination_fee", m(k.early_termination_fee));
    v.insert("contract.billing_day", k.billing_day.to_string());
    v.insert("contract.start_date", date(&k.start_date, locale));
    v.insert(
        "contract.loyalty_end_date",
        k.loyalty_end_date
            .as_deref()
            .map(|d| date(d, locale))
            .unwrap_or_else(|| "—".into()),
    );
    v.insert("plan.name", plan.name.clone());
    v.insert("plan.download", speed(plan.download_kbps));
    v.insert("plan.upload", speed(plan.upload_kbps));
    v.insert("plan.loyalty_months", plan.loyalty_months.to_string());
    v.insert("document.date", date(&today.to_string(), locale));
    Ok(v)
}

/// The installation's language for documents (`en` or `pt-BR`).
pub(crate) async fn company_locale(svc: &Services) -> Result<&'static str> {
    let mut c = svc.db.conn().await?;
    let locale = store::system::company::get(&mut c)
        .await?
        .map(|c| c.locale)
        .unwrap_or_default();
    Ok(if locale.starts_with("en") {
        "en"
    } else {
        "pt-BR"
    })
}

/// The contract's PDF in the installation's language: for who may read
/// the contract (staff with `customers.view`, or its customer).
pub async fn render(svc: &Services, caller: &Caller, contract_id: i64) -> Result<Vec<u8>> {
    let locale = company_locale(svc).await?;
    render_in(svc, caller, contract_id, locale).await
}

/// The contract's PDF from `locale`'s template.
pub async fn render_in(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
    locale: &str,
) -> Result<Vec<u8>> {
    super::get(svc, caller, contract_id).await?;
    let locale = locale_ok(locale)?;
    let values = values(svc, contract_id, locale).await?;
    let t = template_in_use(svc, locale).await?;
    let logo = company_logo(svc).await?;
    render_template(&t.body, &values, locale, logo)
}

/// Sample values for previews (a made-up contract).
pub fn sample_values(locale: &str) -> BTreeMap<&'static str, String> {
    let m = |v: i64| money(v, "BRL", locale);
    let mut v = BTreeMap::new();
    for (k, val) in [
        ("company.name", "Provedor Exemplo Ltda".to_owned()),
        ("company.document", "12.345.678/0001-95".to_owned()),
        ("customer.name", "Maria da Conceição Araújo".to_owned()),
        ("customer.document", "123.456.789-09".to_owned()),
        ("customer.email", "maria@example.com".to_owned()),
        ("customer.phone", "+55 11 98765-4321".to_owned()),
        (
            "service.address",
            "Rua das Flores, 123 (apto 45), Centro, São Paulo/SP, CEP 01310-100".to_owned(),
        ),
        ("contract.number", "2026-000123".to_owned()),
        ("contract.login", "maria.araujo".to_owned()),
        ("contract.price", m(9990)),
        ("contract.installation_fee", m(5000)),
        ("contract.early_termination_fee", m(30000)),
        ("contract.billing_day", "10".to_owned()),
        ("contract.start_date", date("2026-03-01", locale)),
        ("contract.loyalty_end_date", date("2027-03-01", locale)),
        ("plan.name", "Fibra 300".to_owned()),
        ("plan.download", speed(300_000)),
        ("plan.upload", speed(150_000)),
        ("plan.loyalty_months", "12".to_owned()),
        ("document.date", date("2026-03-01", locale)),
    ] {
        v.insert(k, val);
    }
    v
}

/// A preview of `body` (as typed, not yet saved) with sample values and
/// the company logo, for who edits the templates.
pub async fn preview(svc: &Services, caller: &Caller, locale: &str, body: &str) -> Result<Vec<u8>> {
    settings(caller)?;
    let logo = company_logo(svc).await?;
    preview_pdf(locale, body, logo)
}

fn preview_pdf(locale: &str, body: &str, logo: Option<Vec<u8>>) -> Result<Vec<u8>> {
    let locale = locale_ok(locale)?;
    check_template(body)?;
    render_template(body, &sample_values(locale), locale, logo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_templates_use_only_known_placeholders() {
        for l in LOCALES {
            check_template(default_template(l)).unwrap();
            assert!(
                preview_pdf(l, default_template(l), None)
                    .unwrap()
                    .starts_with(b"%PDF-")
            );
        }
        for (name, _) in PLACEHOLDERS {
            assert!(sample_values("en").contains_key(name), "{name}");
        }
    }

    #[test]
    fn unknown_placeholders_are_named() {
        let e = check_template("# X\n{{customer.nome}}")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("body:") && e.contains("customer.nome"), "{e}");
        assert!(check_template("  ").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(money(123456, "BRL", "pt-BR"), "R$ 1.234,56");
        assert_eq!(money(123456, "BRL", "en"), "R$ 1,234.56");
        // The currency's own minor unit, not two digits for all.
        assert_eq!(money(123456, "JPY", "en"), "JPY 123,456");
        assert_eq!(money(123456, "KWD", "en"), "KWD 123.456");
        assert_eq!(date("2026-03-01", "pt-BR"), "01/03/2026");
        assert_eq!(date("2026-03-01", "en"), "March 1, 2026");
        assert_eq!(speed(300_000), "300 Mbps");
        assert_eq!(speed(1500), "1.5 Mbps");
        assert_eq!(speed(512), "512 kbps");
    }
}
