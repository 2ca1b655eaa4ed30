//! Field rules shared by every interface (forms, API, CLI).

/// Why a field is refused. The interfaces map each to a translated message
/// (`invalid-<code>`) next to the field it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("is required")]
    Required,
    #[error("is too long")]
    TooLong,
    #[error("must be 3 to 32 characters: lowercase letters, digits, '.', '-' or '_'")]
    Username,
    #[error("must be an e-mail address")]
    Email,
    #[error("must be at least 10 characters")]
    PasswordTooShort,
    #[error("must be at most 256 characters")]
    PasswordTooLong,
    #[error("is not a known time zone")]
    TimeZone,
    #[error("must be a two-letter ISO 3166 country code")]
    Country,
    #[error("must be a three-letter ISO 4217 currency code")]
    Currency,
    #[error("is not a valid CPF (11 digits with check digits)")]
    Cpf,
    #[error("is not a valid CNPJ (14 characters with check digits)")]
    Cnpj,
    #[error("is not a valid tax document")]
    Document,
    #[error("must be a CEP of 8 digits, e.g. 01310-100")]
    Cep,
    #[error("is not a valid phone number")]
    Phone,
    #[error("must be a date as YYYY-MM-DD")]
    Date,
    #[error("must be an amount such as 99.90")]
    Amount,
    #[error("is out of range")]
    Range,
    #[error("is not one of the allowed values")]
    Choice,
    #[error("must be 3 to 64 characters: lowercase letters, digits, '.', '-', '_' or '@'")]
    Login,
    #[error("must be a MAC address such as 00:11:22:33:44:55")]
    Mac,
    #[error("must be an IPv4 address")]
    Ipv4,
    #[error("must be an IPv6 prefix such as 2001:db8:100::/56")]
    Ipv6Prefix,
    #[error("must be a latitude between -90 and 90 and a longitude between -180 and 180")]
    Coordinates,
    #[error("must not contain control characters or bidirectional overrides")]
    ControlCharacter,
    #[error("must be an IP prefix such as 192.0.2.0/24 or 2001:db8::/48")]
    Prefix,
    #[error("must be an IP address such as 192.0.2.10 or 2001:db8::1")]
    IpAddress,
    #[error("must lie inside the prefix that holds it")]
    NotInside,
    #[error("overlaps another pool")]
    Overlaps,
    #[error("lies inside a dynamic pool")]
    InDynamicPool,
}

impl FieldError {
    /// Every rule, so interfaces can check each has a message.
    pub const ALL: [FieldError; 29] = [
        FieldError::Required,
        FieldError::TooLong,
        FieldError::Username,
        FieldError::Email,
        FieldError::PasswordTooShort,
        FieldError::PasswordTooLong,
        FieldError::TimeZone,
        FieldError::Country,
        FieldError::Currency,
        FieldError::Cpf,
        FieldError::Cnpj,
        FieldError::Document,
        FieldError::Cep,
        FieldError::Phone,
        FieldError::Date,
        FieldError::Amount,
        FieldError::Range,
        FieldError::Choice,
        FieldError::Login,
        FieldError::Mac,
        FieldError::Ipv4,
        FieldError::Ipv6Prefix,
        FieldError::Coordinates,
        FieldError::ControlCharacter,
        FieldError::Prefix,
        FieldError::IpAddress,
        FieldError::NotInside,
        FieldError::Overlaps,
        FieldError::InDynamicPool,
    ];

    /// Stable code, used as i18n key suffix and in API problem documents.
    pub fn code(self) -> &'static str {
        match self {
            FieldError::Required => "required",
            FieldError::TooLong => "too-long",
            FieldError::Username => "username",
            FieldError::Email => "email",
            FieldError::PasswordTooShort => "password-short",
            FieldError::PasswordTooLong => "password-long",
            FieldError::TimeZone => "timezone",
            FieldError::Country => "country",
            FieldError::Currency => "currency",
            FieldError::Cpf => "cpf",
            FieldError::Cnpj => "cnpj",
            FieldError::Document => "document",
            FieldError::Cep => "cep",
            FieldError::Phone => "phone",
            FieldError::Date => "date",
            FieldError::Amount => "amount",
            FieldError::Range => "range",
            FieldError::Choice => "choice",
            FieldError::Login => "login",
            FieldError::Mac => "mac",
            FieldError::Ipv4 => "ipv4",
            FieldError::Ipv6Prefix => "ipv6-prefix",
            FieldError::Coordinates => "coordinates",
            FieldError::ControlCharacter => "control-character",
            FieldError::Prefix => "prefix",
            FieldError::IpAddress => "ip-address",
            FieldError::NotInside => "not-inside",
            FieldError::Overlaps => "overlaps",
            FieldError::InDynamicPool => "in-dynamic-pool",
        }
    }
}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069): in a one-line name they can make text read differently
/// from what it is ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One-line free text (names, titles, labels): no control characters
/// (Unicode category Cc, tabs and line breaks included) and no
/// bidirectional overrides. [`required`] and [`optional`] check this; it is
/// public for fields with rules of their own.
///
/// ```
/// use domain::validate::{FieldError, single_line};
/// assert_eq!(single_line("Ana Souza"), Ok(()));
/// assert_eq!(single_line("Ana\u{7}"), Err(FieldError::ControlCharacter));
/// ```
pub fn single_line(v: &str) -> Result<(), FieldError> {
    if v.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        Err(FieldError::ControlCharacter)
    } else {
        Ok(())
    }
}

/// Multi-line free text (notes, descriptions): no control characters but
/// line feeds and tabs. A carriage return is accepted only before a line
/// feed, since browsers send a textarea's lines as CR LF.
///
/// ```
/// use domain::validate::{FieldError, multi_line};
/// assert_eq!(multi_line("line one\r\nline\ttwo\n"), Ok(()));
/// assert_eq!(multi_line("bell\u{7}"), Err(FieldError::ControlCharacter));
/// ```
pub fn multi_line(v: &str) -> Result<(), FieldError> {
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        let ok = match c {
            '\n' | '\t' => true,
            '\r' => chars.peek() == Some(&'\n'),
            c => !c.is_control(),
        };
        if !ok {
            return Err(FieldError::ControlCharacter);
        }
    }
    Ok(())
}

/// One-line text that must be present and at most `max` characters
/// (counted without surrounding blanks). Control characters are refused
/// anywhere, also at the ends: callers may store the text untrimmed.
pub fn required(v: &str, max: usize) -> Result<(), FieldError> {
    let t = v.trim();
    if t.is_empty() {
        Err(FieldError::Required)
    } else if t.chars().count() > max {
        Err(FieldError::TooLong)
    } else {
        single_line(v)
    }
}

/// Like [`required`], for multi-line text ([`multi_line`]).
pub fn required_multiline(v: &str, max: usize) -> Result<(), FieldError> {
    let t = v.trim();
    if t.is_empty() {
        Err(FieldError::Required)
    } else if t.chars().count() > max {
        Err(FieldError::TooLong)
    } else {
        multi_line(v)
    }
}

/// A field name with why it was refused: what a multi-field check returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct Invalid {
    pub field: &'static str,
    pub error: FieldError,
}

impl Invalid {
    pub fn new(field: &'static str, error: FieldError) -> Invalid {
        Invalid { field, error }
    }
}

/// Like [`required`], for an optional field: empty is fine.
pub fn optional(v: &str, max: usize) -> Result<(), FieldError> {
    if v.trim().chars().count() > max {
        Err(FieldError::TooLong)
    } else {
        single_line(v)
    }
}

/// Like [`optional`], for multi-line text ([`multi_line`]).
pub fn optional_multiline(v: &str, max: usize) -> Result<(), FieldError> {
    if v.trim().chars().count() > max {
        Err(FieldError::TooLong)
    } else {
        multi_line(v)
    }
}

/// A calendar date as `YYYY-MM-DD`.
pub fn date(v: &str) -> Result<jiff::civil::Date, FieldError> {
    let v = v.trim();
    if v.len() != 10 {
        return Err(FieldError::Date);
    }
    v.parse::<jiff::civil::Date>().map_err(|_| FieldError::Date)
}

pub fn username(v: &str) -> Result<(), FieldError> {
    let ok_len = (3..=32).contains(&v.len());
    let ok_chars = v
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(FieldError::Username)
    }
}

/// A pragmatic address check: one `@`, a non-empty local part, a dotted
/// domain, no spaces. Deliverability is proven by sending, not by regex.
pub fn email(v: &str) -> Result<(), FieldError> {
    let v = v.trim();
    if v.is_empty() {
        return Err(FieldError::Required);
    }
    if v.len() > 254 {
        return Err(FieldError::TooLong);
    }
    let Some((local, domain)) = v.split_once('@') else {
        return Err(FieldError::Email);
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.split('.').all(|l| !l.is_empty());
    if local.is_empty() || !domain_ok || v.contains(char::is_whitespace) || domain.contains('@') {
        return Err(FieldError::Email);
    }
    Ok(())
}

pub fn password(v: &str) -> Result<(), FieldError> {
    match v.chars().count() {
        0 => Err(FieldError::Required),
        n if n < 10 => Err(FieldError::PasswordTooShort),
        n if n > 256 => Err(FieldError::PasswordTooLong),
        _ => Ok(()),
    }
}

pub fn timezone(v: &str) -> Result<(), FieldError> {
    jiff::tz::TimeZone::get(v)
        .map(|_| ())
        .map_err(|_| FieldError::TimeZone)
}

pub fn country(v: &str) -> Result<(), FieldError> {
    if v.len() == 2 && v.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(FieldError::Country)
    }
}

pub fn currency(v: &str) -> Result<(), FieldError> {
    if v.len() == 3 && v.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(FieldError::Currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(username("ana.souza"), Ok(()));
        assert_eq!(username("Ana"), Err(FieldError::Username));
        assert_eq!(username("ab"), Err(FieldError::Username));
        assert_eq!(email("noc@provedor.com.br"), Ok(()));
        for bad in ["a@b", "@x.com", "a b@x.com", "a@x..com", "a@@x.com"] {
            assert_eq!(email(bad), Err(FieldError::Email), "{bad}");
        }
        assert_eq!(password("short"), Err(FieldError::PasswordTooShort));
        assert_eq!(password("long enough pw"), Ok(()));
        assert_eq!(timezone("America/Sao_Paulo"), Ok(()));
        assert_eq!(timezone("Mars/Olympus"), Err(FieldError::TimeZone));
        assert_eq!(country("BR"), Ok(()));
        assert_eq!(country("bra"), Err(FieldError::Country));
        assert_eq!(currency("BRL"), Ok(()));
    }

    #[test]
    fn free_text_refuses_control_characters() {
        use FieldError::{ControlCharacter as Cc, Required, TooLong};
        // (text, one-line verdict, multi-line verdict)
        type Verdict = Result<(), FieldError>;
        let cases: &[(&str, Verdict, Verdict)] = &[
            ("Ana Souza", Ok(()), Ok(())),
            ("João da Conceição", Ok(()), Ok(())),
            ("  padded  ", Ok(()), Ok(())),
            ("مرحبا", Ok(()), Ok(())),
            ("emoji 👍🏽 and ZWJ 👨\u{200D}👩", Ok(()), Ok(())),
            ("bell\u{7}", Err(Cc), Err(Cc)),
            ("nul\0", Err(Cc), Err(Cc)),
            ("esc\u{1b}[31m", Err(Cc), Err(Cc)),
            ("del\u{7f}", Err(Cc), Err(Cc)),
            ("c1 \u{85} next line", Err(Cc), Err(Cc)),
            ("c1 \u{9b} csi", Err(Cc), Err(Cc)),
            ("two\nlines", Err(Cc), Ok(())),
            ("tab\tstop", Err(Cc), Ok(())),
            ("crlf\r\nline", Err(Cc), Ok(())),
            ("bare\rreturn", Err(Cc), Err(Cc)),
            ("trailing return\r", Err(Cc), Err(Cc)),
            ("trailing newline\n", Err(Cc), Ok(())),
            ("\u{202A}embedding", Err(Cc), Ok(())),
            ("over\u{202E}ride", Err(Cc), Ok(())),
            ("iso\u{2066}late\u{2069}", Err(Cc), Ok(())),
            ("first strong \u{2068}", Err(Cc), Ok(())),
            // Marks that do not reorder text are fine.
            ("rlm \u{200F} lrm \u{200E}", Ok(()), Ok(())),
        ];
        for (text, one, multi) in cases {
            assert_eq!(&required(text, 100), one, "required {text:?}");
            assert_eq!(&optional(text, 100), one, "optional {text:?}");
            assert_eq!(&required_multiline(text, 100), multi, "multi {text:?}");
            assert_eq!(
                &optional_multiline(text, 100),
                multi,
                "optional multi {text:?}"
            );
        }
        // Emptiness and length are judged first, on the trimmed text.
        assert_eq!(required(" \n ", 10), Err(Required));
        assert_eq!(optional("", 10), Ok(()));
        assert_eq!(required("abcdef\u{7}", 3), Err(TooLong));
        assert_eq!(required("abc  ", 3), Ok(()));
    }
}
