//! Custom customer fields: the provider defines extra fields (key, label,
//! kind, choices, required, position) and customers' values are checked
//! against those definitions when a customer is created or changed.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, OnceLock};

use domain::validate::{self, FieldError};
use serde_json::json;
use store::crm::documents::FieldDef;

use crate::crm::access;
use crate::{Caller, Change, Error, Result, Services, check};

/// Field kinds.
pub const KINDS: &[&str] = &["text", "number", "date", "choice"];

/// At most this many definitions (a form with more is unusable anyway).
pub const MAX_DEFS: usize = 100;

/// A definition as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct DefInput {
    /// Slug: a lowercase letter, then a-z, 0-9 or `_`, at most 40.
    pub key: String,
    pub label: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// Allowed values for `choice` (ignored for other kinds).
    pub choices: Vec<String>,
    pub required: bool,
    pub position: i64,
}

/// A definition with its choices decoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Definition {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub choices: Vec<String>,
    pub required: bool,
    pub position: i64,
}

impl From<FieldDef> for Definition {
    fn from(d: FieldDef) -> Definition {
        Definition {
            choices: serde_json::from_str(&d.choices).unwrap_or_default(),
            key: d.key,
            label: d.label,
            kind: d.kind,
            required: d.required,
            position: d.position,
        }
    }
}

fn is_slug(k: &str) -> bool {
    (1..=40).contains(&k.len())
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `custom_fields.<key>` as a `&'static str` for [`Error::Invalid`]. Names
/// are interned once per key; the table is bounded so that keys sent by
/// clients cannot grow it without limit (past it the name is just
/// `custom_fields`).
fn field_name(key: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    if !is_slug(key) {
        return "custom_fields";
    }
    let full = format!("custom_fields.{key}");
    let Ok(mut names) = NAMES.get_or_init(Default::default).lock() else {
        return "custom_fields";
    };
    if let Some(n) = names.get(full.as_str()) {
        return n;
    }
    if names.len() >= 4 * MAX_DEFS {
        return "custom_fields";
    }
    let leaked: &'static str = Box::leak(full.into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Every definition in display order (for customer forms and the API).
pub async fn definitions(svc: &Services, caller: &Caller) -> Result<Vec<Definition>> {
    // The customer forms and pages show them (`customers.*`), the settings
    // page edits them; they are configuration, not anyone's data.
    if !(caller.can(domain::Permission::CustomersView)
        || caller.can(domain::Permission::CustomersManage)
        || caller.can(domain::Permission::SettingsManage))
    {
        return Err(Error::Forbidden(domain::Permission::CustomersView.code()));
    }
    let mut c = svc.db.conn().await?;
    Ok(store::crm::documents::field_defs(&mut c)
        .await?
        .into_iter()
        .map(Definition::from)
        .collect())
}

/// Checks a customer's custom values against the definitions; returns the
/// JSON object to store (empty values dropped, numbers normalised).
pub fn check_values(
    defs: &[Definition],
    values: &BTreeMap<String, String>,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let mut out = serde_json::Map::new();
    for (k, v) in values {
        let Some(def) = defs.iter().find(|d| &d.key == k) else {
            return Err(Error::invalid_msg(
                field_name(k),
                format!("`{k}` is not a defined custom field"),
            ));
        };
        let field = field_name(k);
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let stored = match def.kind.as_str() {
            "number" => {
                // Brazilian forms type a decimal comma.
                let n = v.replace(',', ".");
                match n.parse::<f64>() {
                    Ok(x) if x.is_finite() && n.len() <= 30 => n,
                    _ => {
                        return Err(Error::invalid_msg(
                            field,
                            "must be a number such as 1234.50",
                        ));
                    }
                }
            }
            "date" => validate::date(v)
                .map_err(|e| Error::invalid(field, e))?
                .to_string(),
            "choice" => {
                if !def.choices.iter().any(|c| c == v) {
                    return Err(Error::invalid(field, FieldError::Choice));
                }
                v.to_owned()
            }
            _ => {
                check(field, validate::optional(v, 500))?;
                v.to_owned()
            }
        };
        out.insert(k.clone(), json!(stored));
    }
    for d in defs.iter().filter(|d| d.required) {
        if !out.contains_key(&d.key) {
            return Err(Error::invalid(field_name(&d.key), FieldError::Required));
        }
    }
    Ok(out)
}

fn prepare(input: &DefInput, created_at: i64) -> Result<FieldDef> {
    let key = input.key.trim();
    if !is_slug(key) {
        return Err(Error::invalid_msg(
            "key",
            "must start with a lowercase letter and use only a-z, 0-9 and _ (at most 40)",
        ));
    }
    check("label", validate::required(&input.label, 100))?;
    let kind = KINDS
        .iter()
        .copied()
        .find(|k| *k == input.kind.trim())
        .ok_or_else(|| Error::invalid("kind", FieldError::Choice))?;
    let mut choices: Vec<String> = Vec::new();
    if kind == "choice" {
        for c in &input.choices {
            let c = c.trim();
            if c.is_empty() {
                continue;
            }
            check("choices", validate::optional(c, 100))?;
            if !choices.iter().any(|x| x == c) {
                choices.push(c.to_owned());
            }
        }
        if choices.is_empty() {
            return Err(Error::invalid("choices", FieldError::Required));
        }
        if choices.len() > 50 {
            return Err(Error::invalid("choices", FieldError::TooLong));
        }
    }
    if !(0..=10_000).contains(&input.position) {
        return Err(Error::invalid("position", FieldError::Range));
    }
    Ok(FieldDef {
        key: key.to_owned(),
        label: input.label.trim().to_owned(),
        kind: kind.to_owned(),
        choices: serde_json::to_string(&choices).unwrap_or_else(|_| "[]".into()),
        required: input.required,
        position: input.position,
        created_at,
    })
}

fn def_json(d: &FieldDef) -> serde_json::Value {
    json!(Definition::from(d.clone()))
}

/// Adds a definition.
pub async fn create(svc: &Services, caller: &Caller, input: &DefInput) -> Result<()> {
    access::settings(caller)?;
    let def = prepare(input, store::now())?;
    let mut tx = svc.db.begin().await?;
    if store::crm::documents::field_defs(&mut tx).await?.len() >= MAX_DEFS {
        return Err(Error::Refused("too-many-custom-fields"));
    }
    store::crm::documents::insert_field_def(&mut tx, &def).await?;
    Change::new("custom_field.create", "custom_field", &def.key)
        .after(def_json(&def))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a definition (its key stays). Existing customers' values are
/// not rewritten: they are checked again when the customer is next saved.
pub async fn update(svc: &Services, caller: &Caller, key: &str, input: &DefInput) -> Result<()> {
    access::settings(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = store::crm::documents::field_def(&mut tx, key).await?;
    let def = prepare(
        &DefInput {
            key: key.to_owned(),
            ..input.clone()
        },
        before.created_at,
    )?;
    store::crm::documents::update_field_def(&mut tx, &def).await?;
    Change::new("custom_field.update", "custom_field", key)
        .before(def_json(&before))
        .after(def_json(&def))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a definition; refused (`custom-field-in-use`) while customers
/// have a value for it, since their next save would then fail.
pub async fn delete(svc: &Services, caller: &Caller, key: &str) -> Result<()> {
    access::settings(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = store::crm::documents::field_def(&mut tx, key).await?;
    if store::crm::documents::customers_with_field(&mut tx, key).await? > 0 {
        return Err(Error::Refused("custom-field-in-use"));
    }
    store::crm::documents::delete_field_def(&mut tx, key).await?;
    Change::new("custom_field.delete", "custom_field", key)
        .before(def_json(&before))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(key: &str, kind: &str, required: bool, choices: &[&str]) -> Definition {
        Definition {
            key: key.into(),
            label: key.into(),
            kind: kind.into(),
            choices: choices.iter().map(|c| c.to_string()).collect(),
            required,
            position: 0,
        }
    }

    fn field(r: Result<serde_json::Map<String, serde_json::Value>>) -> String {
        match r {
            Err(Error::Invalid { field, .. }) => field.to_owned(),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn values_are_checked_against_definitions() {
        let defs = vec![
            def("rg", "text", true, &[]),
            def("renda", "number", false, &[]),
            def("desde", "date", false, &[]),
            def("origem", "choice", false, &["site", "indicação"]),
        ];
        let mut v = BTreeMap::new();
        v.insert("rg".to_string(), " 12.345.678-9 ".to_string());
        v.insert("renda".to_string(), "1234,50".to_string());
        v.insert("origem".to_string(), "indicação".to_string());
        let out = check_values(&defs, &v).unwrap();
        assert_eq!(out["rg"], json!("12.345.678-9"));
        assert_eq!(out["renda"], json!("1234.50"));

        let mut bad = v.clone();
        bad.insert("nope".into(), "x".into());
        assert_eq!(field(check_values(&defs, &bad)), "custom_fields.nope");
        let mut bad = v.clone();
        bad.remove("rg");
        assert_eq!(field(check_values(&defs, &bad)), "custom_fields.rg");
        let mut bad = v.clone();
        bad.insert("renda".into(), "muito".into());
        assert_eq!(field(check_values(&defs, &bad)), "custom_fields.renda");
        let mut bad = v.clone();
        bad.insert("desde".into(), "31/12/2020".into());
        assert_eq!(field(check_values(&defs, &bad)), "custom_fields.desde");
        let mut bad = v.clone();
        bad.insert("origem".into(), "rádio".into());
        assert_eq!(field(check_values(&defs, &bad)), "custom_fields.origem");
        let mut bad = v;
        bad.insert("Bad Key".into(), "x".into());
        assert_eq!(field(check_values(&defs, &bad)), "custom_fields");
    }

    #[test]
    fn definitions_are_validated() {
        let ok = DefInput {
            key: "plano_antigo".into(),
            label: "Plano antigo".into(),
            kind: "choice".into(),
            choices: vec!["a".into(), " a ".into(), "".into(), "b".into()],
            ..Default::default()
        };
        assert_eq!(prepare(&ok, 0).unwrap().choices, r#"["a","b"]"#);
        for (field, edit) in [
            (
                "key",
                (|d: &mut DefInput| d.key = "1abc".into()) as fn(&mut DefInput),
            ),
            ("key", |d| d.key = "Abc".into()),
            ("label", |d| d.label = " ".into()),
            ("kind", |d| d.kind = "blob".into()),
            ("choices", |d| d.choices.clear()),
            ("position", |d| d.position = -1),
        ] {
            let mut d = ok.clone();
            edit(&mut d);
            match prepare(&d, 0) {
                Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
