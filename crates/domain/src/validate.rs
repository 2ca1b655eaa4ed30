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
}

impl FieldError {
    /// Every rule, so interfaces can check each has a message.
    pub const ALL: [FieldError; 23] = [
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
        }
    }
}

pub fn required(v: &str, max: usize) -> Result<(), FieldError> {
    let v = v.trim();
    if v.is_empty() {
        Err(FieldError::Required)
    } else if v.chars().count() > max {
        Err(FieldError::TooLong)
    } else {
        Ok(())
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
        Ok(())
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
}
