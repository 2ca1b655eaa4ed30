//! Translations: Fluent catalogues compiled into the binary, one per locale
//! (`locales/<tag>/*.ftl`). Every user-facing string goes through [`Tr`].

use std::borrow::Cow;
use std::collections::HashMap;

use domain::Locale;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static PT_BR: LanguageIdentifier = langid!("pt-BR");

/// A translator for one locale, writing amounts in the installation's
/// currency.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language it speaks.
    pub locale: Locale,
    /// Digits of the currency's minor unit (`domain::money::minor_units`).
    pub money_decimals: u32,
}

impl Tr {
    /// A translator whose amounts have the usual two decimals, until
    /// [`Tr::with_currency`] says otherwise.
    pub fn new(locale: Locale) -> Tr {
        Tr {
            locale,
            money_decimals: domain::money::minor_units(""),
        }
    }

    /// Amounts in `currency` (ISO 4217), with its minor unit.
    pub fn with_currency(mut self, currency: &str) -> Tr {
        self.money_decimals = domain::money::minor_units(currency);
        self
    }

    fn lang(&self) -> &'static LanguageIdentifier {
        match self.locale {
            Locale::En => &EN,
            Locale::PtBr => &PT_BR,
        }
    }

    /// The message `key`; the key itself if no catalogue has it (a test
    /// keeps that from happening).
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(self.lang(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Borrowed(name), FluentValue::from(value.to_string()));
        LOCALES
            .try_lookup_with_args(self.lang(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with two arguments.
    pub fn t2(
        &self,
        key: &str,
        a: (&'static str, impl ToString),
        b: (&'static str, impl ToString),
    ) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Borrowed(a.0), FluentValue::from(a.1.to_string()));
        args.insert(Cow::Borrowed(b.0), FluentValue::from(b.1.to_string()));
        LOCALES
            .try_lookup_with_args(self.lang(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with a numeric argument (plural rules apply).
    pub fn tn(&self, key: &str, name: &'static str, n: i64) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Borrowed(name), FluentValue::from(n));
        LOCALES
            .try_lookup_with_args(self.lang(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with any number of text arguments.
    pub fn targs(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.as_str())))
            .collect();
        LOCALES
            .try_lookup_with_args(self.lang(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The translation of `<prefix><code>` (a code's `_` read as `-`), or
    /// the code itself when the catalogue has none.
    pub fn label_or(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}{}", code.replace(['_', '.'], "-"));
        if self.has(&key) {
            self.t(&key)
        } else {
            code.to_owned()
        }
    }

    /// An amount in minor units (cents) with the language's separators:
    /// `1,299.90` or `1.299,90`.
    pub fn money(&self, minor: i64) -> String {
        let m = domain::Money(minor);
        match self.locale {
            Locale::PtBr => m.display(self.money_decimals, ',', Some('.')),
            Locale::En => m.display(self.money_decimals, '.', Some(',')),
        }
    }

    /// An amount as plain decimal text for a form field or a CSV cell:
    /// `1299.90`.
    pub fn money_decimal(&self, minor: i64) -> String {
        domain::Money(minor).to_decimal(self.money_decimals)
    }

    /// An amount as people type it (either decimal separator), in the
    /// currency's minor unit.
    pub fn parse_money(&self, s: &str) -> Result<domain::Money, domain::validate::FieldError> {
        domain::Money::parse(s, self.money_decimals)
    }

    /// Whether the catalogue has `key`.
    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(self.lang(), key).is_some()
    }

    /// The language tag (`en`, `pt-BR`), for `<html lang>`.
    pub fn tag(&self) -> &'static str {
        self.locale.tag()
    }
}

/// The literal message keys (given to `t`, `t1`, `t2`, `tn`, `targs`) in the files
/// under `dirs` (searched recursively) that the catalogue lacks, as
/// `path: key`. Each interface's tests call it on its templates and code.
pub fn unknown_keys(dirs: &[std::path::PathBuf]) -> Vec<String> {
    let en = catalogue_keys("en");
    let mut missing = Vec::new();
    let mut pending: Vec<std::path::PathBuf> = dirs.to_vec();
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            missing.push(format!("{}: not a readable folder", dir.display()));
            continue;
        };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for pat in [".t(\"", ".t1(\"", ".t2(\"", ".tn(\"", ".targs(\""] {
                for (i, _) in text.match_indices(pat) {
                    let rest = &text[i + pat.len()..];
                    let key = rest.find('"').map(|end| &rest[..end]).unwrap_or("");
                    if !key.is_empty() && !key.contains('{') && !en.contains(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
    }
    missing.sort();
    missing
}

/// The message keys the catalogue files of `locale` define, read from
/// this crate's source folder (for tests: a message whose variables are
/// not given does not format, so a lookup cannot tell).
fn catalogue_keys(locale: &str) -> std::collections::BTreeSet<String> {
    let dir = format!("{}/locales/{locale}", env!("CARGO_MANIFEST_DIR"));
    let mut out = std::collections::BTreeSet::new();
    for path in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
    {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for line in text.lines() {
            if let Some((k, _)) = line.split_once(" =")
                && !k.starts_with(' ')
                && !k.starts_with('#')
                && !k.is_empty()
            {
                out.insert(k.trim().to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::catalogue_keys as keys;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let en = keys("en");
        let pt = keys("pt-BR");
        assert!(en.len() > 100, "the catalogue files were not found");
        let missing_pt: Vec<_> = en.difference(&pt).collect();
        let missing_en: Vec<_> = pt.difference(&en).collect();
        assert!(missing_pt.is_empty(), "missing in pt-BR: {missing_pt:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
    }

    /// Fluent refuses a bundle whose files define a message twice, and the
    /// panic would come only on the first translated page.
    #[test]
    fn no_message_is_defined_twice() {
        for locale in ["en", "pt-BR"] {
            let dir = format!("{}/locales/{locale}", env!("CARGO_MANIFEST_DIR"));
            let mut seen = std::collections::BTreeMap::new();
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines() {
                    if let Some((k, _)) = line.split_once(" =")
                        && !k.starts_with([' ', '#', '-'])
                        && !k.is_empty()
                        && let Some(first) = seen.insert(k.trim().to_owned(), path.clone())
                    {
                        panic!("{locale}: `{k}` in {path:?} and {first:?}");
                    }
                }
            }
        }
    }

    /// Every field rule and every permission has a message in both languages.
    #[test]
    fn every_rule_and_permission_is_translated() {
        for locale in ["en", "pt-BR"] {
            let have = keys(locale);
            for rule in domain::validate::FieldError::ALL {
                let key = format!("invalid-{}", rule.code());
                assert!(have.contains(&key), "{locale}: {key}");
            }
            for p in domain::Permission::ALL {
                assert!(have.contains(&p.label_key()), "{locale}: {}", p.label_key());
            }
        }
    }

    /// Every literal key the kit's own code uses exists.
    #[test]
    fn every_key_the_kit_uses_exists() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        assert_eq!(super::unknown_keys(&[src]), Vec::<String>::new());
    }
}
