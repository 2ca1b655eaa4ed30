//! Free field (*campo livre*, barcode positions 20–44) and *nosso número*
//! check digit of the banks Brazilian providers use most, one module per
//! bank. Each module cites the document its rules and test vectors come from.

pub mod banco_do_brasil;
pub mod bradesco;
pub mod caixa;
pub mod inter;
pub mod itau;
pub mod santander;
pub mod sicoob;
pub mod sicredi;

/// The banks this crate knows the free field of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Bank {
    /// Banco do Brasil, 001.
    BancoDoBrasil,
    /// Santander, 033.
    Santander,
    /// Banco Inter, 077.
    Inter,
    /// Caixa Econômica Federal, 104.
    Caixa,
    /// Bradesco, 237.
    Bradesco,
    /// Itaú Unibanco, 341.
    Itau,
    /// Sicredi, 748.
    Sicredi,
    /// Sicoob (Bancoob), 756.
    Sicoob,
}

impl Bank {
    /// Every bank, in COMPE code order.
    pub const ALL: [Bank; 8] = [
        Bank::BancoDoBrasil,
        Bank::Santander,
        Bank::Inter,
        Bank::Caixa,
        Bank::Bradesco,
        Bank::Itau,
        Bank::Sicredi,
        Bank::Sicoob,
    ];

    /// The bank of a 3-digit COMPE code.
    ///
    /// ```
    /// use brpay::boleto::banks::Bank;
    /// assert_eq!(Bank::from_code("341"), Some(Bank::Itau));
    /// assert_eq!(Bank::from_code("999"), None);
    /// ```
    pub fn from_code(code: &str) -> Option<Bank> {
        Bank::ALL.into_iter().find(|b| b.code() == code)
    }

    /// The 3-digit COMPE code.
    pub fn code(self) -> &'static str {
        match self {
            Bank::BancoDoBrasil => "001",
            Bank::Santander => "033",
            Bank::Inter => "077",
            Bank::Caixa => "104",
            Bank::Bradesco => "237",
            Bank::Itau => "341",
            Bank::Sicredi => "748",
            Bank::Sicoob => "756",
        }
    }

    /// The bank's name.
    pub fn name(self) -> &'static str {
        match self {
            Bank::BancoDoBrasil => "Banco do Brasil",
            Bank::Santander => "Santander",
            Bank::Inter => "Banco Inter",
            Bank::Caixa => "Caixa Econômica Federal",
            Bank::Bradesco => "Bradesco",
            Bank::Itau => "Itaú Unibanco",
            Bank::Sicredi => "Sicredi",
            Bank::Sicoob => "Sicoob",
        }
    }

    /// Verifies the check digits the bank puts inside its free field.
    ///
    /// ```
    /// use brpay::boleto::banks::Bank;
    /// assert!(Bank::Itau.check_free_field("1101234567880057123457000").is_ok());
    /// assert!(Bank::Itau.check_free_field("1101234567890057123457000").is_err());
    /// ```
    pub fn check_free_field(self, free: &str) -> Result<(), FreeFieldError> {
        if free.len() != 25 || !free.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FreeFieldError::Field {
                field: "free field",
                reason: "must be 25 digits".into(),
            });
        }
        match self {
            Bank::BancoDoBrasil => Ok(()),
            Bank::Santander => santander::check(free),
            Bank::Inter => inter::check(free),
            Bank::Caixa => caixa::check(free),
            Bank::Bradesco => bradesco::check(free),
            Bank::Itau => itau::check(free),
            Bank::Sicredi => sicredi::check(free),
            Bank::Sicoob => sicoob::check(free),
        }
    }
}

/// A bank-specific defect of a free field or of the values that build one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreeFieldError {
    /// A value is too long or not digits.
    #[error("{field}: {reason}")]
    Field {
        /// Which value.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An embedded check digit is wrong.
    #[error("{what}: check digit expected {expected}, found {found}")]
    CheckDigit {
        /// Which check digit.
        what: &'static str,
        /// Computed.
        expected: char,
        /// Written.
        found: char,
    },
    /// A fixed part of the free field holds something else.
    #[error("free field position {position}: expected {expected:?}, found {found:?}")]
    Constant {
        /// 1-based position in the free field.
        position: usize,
        /// What the bank puts there.
        expected: &'static str,
        /// What is there.
        found: String,
    },
}

/// Left-pads `value` with zeros to `len` digits, refusing non-digits and
/// values that do not fit.
pub(crate) fn pad(field: &'static str, value: &str, len: usize) -> Result<String, FreeFieldError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FreeFieldError::Field {
            field,
            reason: format!("{value:?} is not digits"),
        });
    }
    if value.len() > len {
        return Err(FreeFieldError::Field {
            field,
            reason: format!("{value:?} has more than {len} digits"),
        });
    }
    Ok(format!("{value:0>len$}"))
}

pub(crate) fn expect_dv(what: &'static str, expected: u8, found: u8) -> Result<(), FreeFieldError> {
    if expected == found {
        Ok(())
    } else {
        Err(FreeFieldError::CheckDigit {
            what,
            expected: char::from(expected),
            found: char::from(found),
        })
    }
}

pub(crate) fn expect_const(
    free: &str,
    position: usize,
    expected: &'static str,
) -> Result<(), FreeFieldError> {
    let found = &free[position - 1..position - 1 + expected.len()];
    if found == expected {
        Ok(())
    } else {
        Err(FreeFieldError::Constant {
            position,
            expected,
            found: found.to_owned(),
        })
    }
}

pub(crate) fn d(n: u8) -> u8 {
    b'0' + n
}
