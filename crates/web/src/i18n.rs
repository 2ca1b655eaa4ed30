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

    pub fn has(&self, key: &str) -> bool {
        LOCALES.try_lookup(self.lang(), key).is_some()
    }

    pub fn tag(&self) -> &'static str {
        self.locale.tag()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn keys(locale: &str) -> BTreeSet<String> {
        let dir = format!("{}/locales/{locale}", env!("CARGO_MANIFEST_DIR"));
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
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

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let en = keys("en");
        let pt = keys("pt-BR");
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

    /// Every literal key used in templates and code exists in the catalogue.
    #[test]
    fn every_used_key_exists() {
        let en = keys("en");
        let root = env!("CARGO_MANIFEST_DIR");
        let mut missing = Vec::new();
        for dir in ["templates", "src", "src/pages"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for pat in [".t(\"", ".t1(\"", ".t2(\"", ".tn(\"", ".targs(\""] {
                    for (i, _) in text.match_indices(pat) {
                        let rest = &text[i + pat.len()..];
                        let key = &rest[..rest.find('"').unwrap()];
                        if !key.is_empty() && !key.contains('{') && !en.contains(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys not in the catalogue: {missing:#?}"
        );
    }
}
