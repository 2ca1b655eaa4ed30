//! The languages Lastmile speaks, and choosing one from a browser's
//! `Accept-Language`.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "pt-BR")]
    PtBr,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::PtBr];

    /// BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::PtBr => "pt-BR",
        }
    }

    /// The language's own name, for the language picker.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::PtBr => "Português (Brasil)",
        }
    }

    /// Best match for an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let locale = if tag.starts_with("pt") {
                Some(Locale::PtBr)
            } else if tag.starts_with("en") {
                Some(Locale::En)
            } else {
                None
            };
            if let Some(l) = locale
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// The language of what is sent to a customer (invoices, receipts,
/// reminders): the one the customer prefers, else the company's. Documents
/// were always Portuguese unless the company speaks English, so anything
/// unknown stays Portuguese.
pub fn customer_locale(preferred: &str, company: &str) -> Locale {
    preferred
        .parse()
        .ok()
        .unwrap_or(if company.to_ascii_lowercase().starts_with("en") {
            Locale::En
        } else {
            Locale::PtBr
        })
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown locale `{0}` (expected en or pt-BR)")]
pub struct UnknownLocale(pub String);

impl FromStr for Locale {
    type Err = UnknownLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "en-us" | "en-gb" => Ok(Locale::En),
            "pt-br" | "pt" | "pt_br" => Ok(Locale::PtBr),
            _ => Err(UnknownLocale(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        let cases = [
            ("pt-BR,pt;q=0.9,en;q=0.8", Some(Locale::PtBr)),
            ("en-US,en;q=0.9", Some(Locale::En)),
            ("fr-FR, en;q=0.5, pt;q=0.7", Some(Locale::PtBr)),
            ("de", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(Locale::from_accept_language(header), want, "{header}");
        }
    }

    #[test]
    fn parse() {
        assert_eq!("pt-BR".parse(), Ok(Locale::PtBr));
        assert!("xx".parse::<Locale>().is_err());
    }

    #[test]
    fn customer_language() {
        let cases = [
            ("", "en", Locale::En),
            ("", "pt-BR", Locale::PtBr),
            ("", "", Locale::PtBr),
            ("pt-BR", "en", Locale::PtBr),
            ("en", "pt-BR", Locale::En),
            ("xx", "en-US", Locale::En),
        ];
        for (preferred, company, want) in cases {
            assert_eq!(
                customer_locale(preferred, company),
                want,
                "{preferred} {company}"
            );
        }
    }
}
