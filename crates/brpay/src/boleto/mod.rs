//! FEBRABAN bank slips (*boleto de cobrança*) and collection slips
//! (*arrecadação*).
//!
//! A bank boleto is a 44-digit barcode:
//!
//! | positions | content |
//! |---|---|
//! | 1–3 | bank code |
//! | 4 | currency (9 = real) |
//! | 5 | general check digit (módulo 11) |
//! | 6–9 | due-date factor |
//! | 10–19 | amount in centavos |
//! | 20–44 | free field (*campo livre*), defined by each bank ([`banks`]) |
//!
//! and a 47-digit *linha digitável* that carries the same digits in another
//! order with a módulo 10 check digit on each of its first three fields.
//!
//! ```
//! use brpay::boleto::{self, Decoded};
//! // Banco do Brasil, "Especificações Técnicas para Confecção de Boleto" (Jan/2016), annex V.
//! let d = boleto::decode("00190.50095 40144.816069 06809.350314 3 37370000000100")?;
//! let Decoded::Bank(b) = d else { unreachable!() };
//! assert_eq!(b.barcode, "00193373700000001000500940144816060680935031");
//! assert_eq!(b.amount, 100);
//! assert_eq!(b.due_factor, 3737);
//! # Ok::<(), brpay::boleto::BoletoError>(())
//! ```

pub mod arrecadacao;
pub mod banks;
pub mod itf;

pub use arrecadacao::Arrecadacao;

use crate::check::{boleto_general_dv, mod10};
use jiff::ToSpan as _;
use jiff::civil::{Date, date};

/// 7 October 1997: factor 0 of the first cycle.
pub const FACTOR_BASE: Date = date(1997, 10, 7);
/// 22 February 2025: the factor went back to 1000 on this day.
pub const FACTOR_RESET: Date = date(2025, 2, 22);

/// Everything that can be wrong with a boleto, an arrecadação slip or their
/// inputs. Positions are 1-based, in the digits as given (punctuation removed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoletoError {
    /// Wrong number of digits.
    #[error(
        "expected 44 (barcode), 47 (linha digitável) or 48 (arrecadação) digits, found {found}"
    )]
    Length {
        /// Digits found.
        found: usize,
    },
    /// A character that is neither a digit nor punctuation.
    #[error("character {ch:?} at position {position} is not a digit")]
    NotDigit {
        /// 1-based position in the input.
        position: usize,
        /// The character.
        ch: char,
    },
    /// A field of the linha digitável fails its módulo 10 check digit.
    #[error("field {field} of the linha digitável: check digit expected {expected}, found {found}")]
    FieldCheckDigit {
        /// 1, 2 or 3.
        field: u8,
        /// Computed.
        expected: u8,
        /// Written.
        found: u8,
    },
    /// The general check digit (barcode position 5) is wrong.
    #[error("general check digit (barcode position 5): expected {expected}, found {found}")]
    GeneralCheckDigit {
        /// Computed.
        expected: u8,
        /// Written.
        found: u8,
    },
    /// A block of an arrecadação line fails its check digit.
    #[error(
        "block {block} of the arrecadação line: check digit expected {expected}, found {found}"
    )]
    BlockCheckDigit {
        /// 1 to 4.
        block: u8,
        /// Computed.
        expected: u8,
        /// Written.
        found: u8,
    },
    /// The general check digit of an arrecadação barcode (position 4) is wrong.
    #[error("arrecadação general check digit (position 4): expected {expected}, found {found}")]
    CollectionCheckDigit {
        /// Computed.
        expected: u8,
        /// Written.
        found: u8,
    },
    /// The arrecadação value identifier (position 3) is not 6, 7, 8 or 9.
    #[error("arrecadação value identifier (position 3) must be 6, 7, 8 or 9, found {0}")]
    ValueIdentifier(char),
    /// A 44-digit code starting with 8 that is not arrecadação, or a bank
    /// boleto whose currency is not 9 or 0.
    #[error("currency code (position 4) must be 9 (real) or 0 (other), found {0}")]
    Currency(char),
    /// A date that has no factor.
    #[error("due date {0} is before 7 Oct 1997, the base of the due-date factor")]
    DueDate(Date),
    /// An amount that does not fit in the field.
    #[error("amount {0} centavos does not fit in 10 digits")]
    Amount(i64),
    /// A free field that is not 25 digits.
    #[error("free field must be 25 digits, found {0:?}")]
    FreeField(String),
    /// A bank code that is not 3 digits.
    #[error("bank code must be 3 digits, found {0:?}")]
    BankCode(String),
}

/// A decoded bank boleto.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Boleto {
    /// Bank code (COMPE), e.g. `"001"`.
    pub bank_code: String,
    /// The bank, when it is one this crate knows.
    pub bank: Option<banks::Bank>,
    /// 9 for the real, 0 for other currencies.
    pub currency: u8,
    /// General check digit.
    pub check_digit: u8,
    /// Due-date factor; 0 means no due date.
    pub due_factor: u16,
    /// Due date decoded from the factor in the window around the reference
    /// date (3000 days before, 5500 after, per FEBRABAN).
    pub due_date: Option<Date>,
    /// Amount in centavos; 0 means the payer fills it in.
    pub amount: i64,
    /// The 25-digit free field.
    pub free_field: String,
    /// The 44-digit barcode.
    pub barcode: String,
    /// The 47-digit linha digitável, digits only.
    pub digitable_line: String,
}

impl Boleto {
    /// Builds a boleto from its parts, computing every check digit.
    ///
    /// ```
    /// use brpay::boleto::Boleto;
    /// use jiff::civil::date;
    /// // Itaú, "Cobrança 400 bytes CNAB" (Jul/2021), annex: carteira 110,
    /// // nosso número 12345678, agência 0057, conta 12345.
    /// let b = Boleto::new("341", Some(date(2002, 5, 1)), 12345, "1101234567880057123457000")?;
    /// assert_eq!(b.barcode, "34196166700000123451101234567880057123457000");
    /// # Ok::<(), brpay::boleto::BoletoError>(())
    /// ```
    pub fn new(
        bank_code: &str,
        due_date: Option<Date>,
        amount_centavos: i64,
        free_field: &str,
    ) -> Result<Boleto, BoletoError> {
        if bank_code.len() != 3 || !bank_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BoletoError::BankCode(bank_code.to_owned()));
        }
        if free_field.len() != 25 || !free_field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BoletoError::FreeField(free_field.to_owned()));
        }
        if !(0..=9_999_999_999).contains(&amount_centavos) {
            return Err(BoletoError::Amount(amount_centavos));
        }
        let factor = match due_date {
            Some(d) => due_factor(d)?,
            None => 0,
        };
        let mut bc = format!("{bank_code}9{factor:04}{amount_centavos:010}{free_field}");
        let dv = boleto_general_dv(bc.as_bytes()).unwrap_or(1);
        bc.insert(4, char::from(b'0' + dv));
        Ok(from_barcode_digits(&bc, due_date))
    }

    /// The linha digitável in its printed form,
    /// `AAABC.CCCCX DDDDD.DDDDDY EEEEE.EEEEEZ K UUUUVVVVVVVVVV`.
    pub fn formatted_line(&self) -> String {
        let l = &self.digitable_line;
        format!(
            "{}.{} {}.{} {}.{} {} {}",
            &l[0..5],
            &l[5..10],
            &l[10..15],
            &l[15..21],
            &l[21..26],
            &l[26..32],
            &l[32..33],
            &l[33..47]
        )
    }

    /// Checks the bank-specific check digits inside the free field (nosso
    /// número, account, free-field DV) for the banks that define them.
    pub fn check_free_field(&self) -> Result<(), banks::FreeFieldError> {
        match self.bank {
            Some(b) => b.check_free_field(&self.free_field),
            None => Ok(()),
        }
    }
}

fn from_barcode_digits(bc: &str, due_date: Option<Date>) -> Boleto {
    let b = bc.as_bytes();
    let free = &bc[19..44];
    let f1 = format!("{}{}", &bc[0..4], &free[0..5]);
    let f2 = &free[5..15];
    let f3 = &free[15..25];
    let dv = |s: &str| char::from(b'0' + mod10(s.as_bytes()).unwrap_or(0));
    let line = format!(
        "{f1}{}{f2}{}{f3}{}{}{}",
        dv(&f1),
        dv(f2),
        dv(f3),
        &bc[4..5],
        &bc[5..19]
    );
    let num = |r: std::ops::Range<usize>| {
        bc[r]
            .bytes()
            .fold(0u64, |a, c| a * 10 + u64::from(c - b'0'))
    };
    Boleto {
        bank_code: bc[0..3].to_owned(),
        bank: banks::Bank::from_code(&bc[0..3]),
        currency: b[3] - b'0',
        check_digit: b[4] - b'0',
        due_factor: num(5..9) as u16,
        due_date,
        amount: num(9..19) as i64,
        free_field: free.to_owned(),
        barcode: bc.to_owned(),
        digitable_line: line,
    }
}

/// The due-date factor of a date: days since 7 Oct 1997 until 21 Feb 2025
/// (factor 9999), then 1000 again from 22 Feb 2025, in cycles of 9000 days.
///
/// ```
/// use brpay::boleto::due_factor;
/// use jiff::civil::date;
/// // FEBRABAN / Banco Inter manual, 6.1.2
/// assert_eq!(due_factor(date(2000, 7, 3)), Ok(1000));
/// assert_eq!(due_factor(date(2025, 2, 21)), Ok(9999));
/// assert_eq!(due_factor(date(2025, 2, 22)), Ok(1000));
/// ```
pub fn due_factor(date: Date) -> Result<u16, BoletoError> {
    if date < FACTOR_BASE {
        return Err(BoletoError::DueDate(date));
    }
    if date < FACTOR_RESET {
        return Ok((date - FACTOR_BASE).get_days() as u16);
    }
    let days = (date - FACTOR_RESET).get_days();
    Ok((1000 + days % 9000) as u16)
}

/// Decodes a factor to the date it stands for in the window FEBRABAN defines
/// around `reference` (usually today): from 3000 days before to 5500 days
/// after. Returns `None` for factor 0 (no due date) or values above 9999.
///
/// ```
/// use brpay::boleto::factor_to_date;
/// use jiff::civil::date;
/// assert_eq!(factor_to_date(1000, date(2025, 3, 1)), Some(date(2025, 2, 22)));
/// assert_eq!(factor_to_date(1000, date(2001, 1, 1)), Some(date(2000, 7, 3)));
/// assert_eq!(factor_to_date(9999, date(2025, 3, 1)), Some(date(2025, 2, 21)));
/// ```
pub fn factor_to_date(factor: u16, reference: Date) -> Option<Date> {
    if factor == 0 || factor > 9999 {
        return None;
    }
    // At most 9999 + 8 × 9000 days after 1997: far inside jiff's range.
    let mut candidates = vec![FACTOR_BASE + i32::from(factor).days()];
    if factor >= 1000 {
        for k in 0..8 {
            candidates.push(FACTOR_RESET + (i32::from(factor - 1000) + 9000 * k).days());
        }
    }
    // The reference is the caller's: saturate at the ends of the calendar.
    let lo = reference.saturating_sub(3000.days());
    let hi = reference.saturating_add(5500.days());
    candidates
        .iter()
        .copied()
        .find(|d| (lo..=hi).contains(d))
        .or_else(|| {
            candidates
                .into_iter()
                .min_by_key(|d| (*d - reference).get_days().abs())
        })
}

/// A decoded slip: a bank boleto or an arrecadação (utilities, taxes).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "lowercase"))]
pub enum Decoded {
    /// A bank boleto (*cobrança*).
    Bank(Boleto),
    /// A collection slip (*arrecadação*, starts with 8).
    Collection(Arrecadacao),
}

/// Decodes a barcode (44 digits) or a typed line (47 digits for a bank
/// boleto, 48 for arrecadação), with or without punctuation, verifying every
/// check digit. Due dates are decoded around today's date (UTC).
pub fn decode(input: &str) -> Result<Decoded, BoletoError> {
    decode_at(
        input,
        jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date(),
    )
}

/// [`decode`] with an explicit reference date for the due-date window.
///
/// ```
/// use brpay::boleto::{decode_at, Decoded};
/// use jiff::civil::date;
/// let d = decode_at("34196166700000123451101234567880057123457000", date(2002, 4, 1))?;
/// let Decoded::Bank(b) = d else { unreachable!() };
/// assert_eq!(b.due_date, Some(date(2002, 5, 1)));
/// assert_eq!(b.formatted_line(), "34191.10121 34567.880058 71234.570001 6 16670000012345");
/// # Ok::<(), brpay::boleto::BoletoError>(())
/// ```
pub fn decode_at(input: &str, reference: Date) -> Result<Decoded, BoletoError> {
    let digits = only_digits(input)?;
    match (digits.len(), digits.as_bytes().first()) {
        (44, Some(b'8')) | (48, _) => Ok(Decoded::Collection(Arrecadacao::from_digits(&digits)?)),
        (44, _) => Ok(Decoded::Bank(parse_barcode(&digits, reference)?)),
        (47, _) => Ok(Decoded::Bank(parse_line(&digits, reference)?)),
        (n, _) => Err(BoletoError::Length { found: n }),
    }
}

/// Keeps digits, skipping the spaces, dots and hyphens people type.
pub(crate) fn only_digits(input: &str) -> Result<String, BoletoError> {
    let mut out = String::with_capacity(48);
    for (i, c) in input.trim().chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '.' | '-' | '\t' => {}
            _ => {
                return Err(BoletoError::NotDigit {
                    position: i + 1,
                    ch: c,
                });
            }
        }
    }
    Ok(out)
}

fn parse_barcode(bc: &str, reference: Date) -> Result<Boleto, BoletoError> {
    let b = bc.as_bytes();
    if b[3] != b'9' && b[3] != b'0' {
        return Err(BoletoError::Currency(char::from(b[3])));
    }
    let mut without = bc[..4].to_owned();
    without.push_str(&bc[5..]);
    let expected = boleto_general_dv(without.as_bytes()).unwrap_or(1);
    let found = b[4] - b'0';
    if expected != found {
        return Err(BoletoError::GeneralCheckDigit { expected, found });
    }
    let mut boleto = from_barcode_digits(bc, None);
    boleto.due_date = factor_to_date(boleto.due_factor, reference);
    Ok(boleto)
}

fn parse_line(l: &str, reference: Date) -> Result<Boleto, BoletoError> {
    for (field, r, dvpos) in [(1u8, 0..9, 9), (2, 10..20, 20), (3, 21..31, 31)] {
        let expected = mod10(&l.as_bytes()[r]).unwrap_or(0);
        let found = l.as_bytes()[dvpos] - b'0';
        if expected != found {
            return Err(BoletoError::FieldCheckDigit {
                field,
                expected,
                found,
            });
        }
    }
    let bc = format!(
        "{}{}{}{}{}{}",
        &l[0..4],
        &l[32..33],
        &l[33..47],
        &l[4..9],
        &l[10..20],
        &l[21..31]
    );
    parse_barcode(&bc, reference)
}

#[cfg(test)]
mod tests;
