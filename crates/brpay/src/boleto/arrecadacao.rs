//! Collection slips (*arrecadação*): utilities, taxes, fees. The barcode has
//! 44 digits starting with `8`; the typed line has 48 (four blocks of 11
//! digits, each followed by its check digit).
//!
//! Source: FEBRABAN, "Layout Padrão de Arrecadação/Recebimento com Utilização
//! do Código de Barras" (v5): product 8, segment (position 2), value
//! identifier (position 3: 6/7 módulo 10, 8/9 módulo 11; 6/8 effective value,
//! 7/9 reference quantity), general check digit (position 4), value
//! (positions 5–15), company (16–19, or the CNPJ root in 16–23 for segment 6).

use super::BoletoError;
use crate::check::{mod10, mod11_zero};

/// Which check-digit module a slip uses, from its value identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Module {
    /// Identifiers 6 and 7.
    Mod10,
    /// Identifiers 8 and 9.
    Mod11,
}

/// A decoded arrecadação slip.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Arrecadacao {
    /// Segment: 1 prefectures, 2 sanitation, 3 electricity and gas,
    /// 4 telecommunications, 5 government bodies, 6 others (CNPJ),
    /// 7 traffic fines, 9 bank-only.
    pub segment: u8,
    /// Value identifier, 6 to 9.
    pub value_identifier: u8,
    /// The check-digit module it implies.
    pub module: Module,
    /// Whether `value` is an amount in centavos (6, 8) or a reference
    /// quantity (7, 9).
    pub value_is_amount: bool,
    /// Positions 5–15.
    pub value: i64,
    /// Positions 16–19: the company / agency.
    pub company: String,
    /// Positions 16–23 for segment 6: the CNPJ root.
    pub cnpj_root: Option<String>,
    /// Positions 20–44 (24–44 for segment 6).
    pub free_field: String,
    /// The 44-digit barcode.
    pub barcode: String,
    /// The 48-digit typed line.
    pub digitable_line: String,
}

fn dv(module: Module, digits: &[u8]) -> u8 {
    match module {
        Module::Mod10 => mod10(digits),
        Module::Mod11 => mod11_zero(digits),
    }
    .unwrap_or(0)
}

fn module_of(b: u8) -> Result<Module, BoletoError> {
    match b {
        b'6' | b'7' => Ok(Module::Mod10),
        b'8' | b'9' => Ok(Module::Mod11),
        _ => Err(BoletoError::ValueIdentifier(char::from(b))),
    }
}

impl Arrecadacao {
    /// Decodes 44 (barcode) or 48 (typed line) digits, verifying every check digit.
    ///
    /// ```
    /// use brpay::boleto::Arrecadacao;
    /// let a = Arrecadacao::build(2, 6, 12345, "0001", "2025031500000000000123456")?;
    /// let back = Arrecadacao::from_digits(&a.digitable_line)?;
    /// assert_eq!(back.value, 12345);
    /// assert_eq!(back.barcode, a.barcode);
    /// # Ok::<(), brpay::boleto::BoletoError>(())
    /// ```
    pub fn from_digits(digits: &str) -> Result<Arrecadacao, BoletoError> {
        let b = digits.as_bytes();
        if !b.iter().all(u8::is_ascii_digit) {
            let (i, c) = digits
                .chars()
                .enumerate()
                .find(|(_, c)| !c.is_ascii_digit())
                .unwrap_or((0, '?'));
            return Err(BoletoError::NotDigit {
                position: i + 1,
                ch: c,
            });
        }
        let barcode = match b.len() {
            44 => digits.to_owned(),
            48 => {
                let module = module_of(b[2])?;
                let mut bc = String::with_capacity(44);
                for block in 0..4 {
                    let s = &b[block * 12..block * 12 + 11];
                    let expected = dv(module, s);
                    let found = b[block * 12 + 11] - b'0';
                    if expected != found {
                        return Err(BoletoError::BlockCheckDigit {
                            block: block as u8 + 1,
                            expected,
                            found,
                        });
                    }
                    bc.push_str(&digits[block * 12..block * 12 + 11]);
                }
                bc
            }
            n => return Err(BoletoError::Length { found: n }),
        };
        let bb = barcode.as_bytes();
        if bb[0] != b'8' {
            return Err(BoletoError::Currency(char::from(bb[0])));
        }
        let module = module_of(bb[2])?;
        let mut without = barcode[..3].to_owned();
        without.push_str(&barcode[4..]);
        let expected = dv(module, without.as_bytes());
        let found = bb[3] - b'0';
        if expected != found {
            return Err(BoletoError::CollectionCheckDigit { expected, found });
        }
        Ok(Self::assemble(barcode, module))
    }

    /// Builds a slip from its parts: `free_field` has 25 digits (positions
    /// 20–44); for segment 6 its first 4 digits continue the CNPJ root.
    pub fn build(
        segment: u8,
        value_identifier: u8,
        value: i64,
        company: &str,
        free_field: &str,
    ) -> Result<Arrecadacao, BoletoError> {
        let module = module_of(b'0' + value_identifier.min(9))?;
        if !(0..=99_999_999_999).contains(&value) {
            return Err(BoletoError::Amount(value));
        }
        if company.len() != 4 || !company.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BoletoError::FreeField(company.to_owned()));
        }
        if free_field.len() != 25 || !free_field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BoletoError::FreeField(free_field.to_owned()));
        }
        let segment = segment.min(9);
        let without = format!("8{segment}{value_identifier}{value:011}{company}{free_field}");
        let g = dv(module, without.as_bytes());
        let barcode = format!("{}{g}{}", &without[..3], &without[3..]);
        Ok(Self::assemble(barcode, module))
    }

    fn assemble(barcode: String, module: Module) -> Arrecadacao {
        let b = barcode.as_bytes();
        let mut line = String::with_capacity(48);
        for block in 0..4 {
            let s = &barcode[block * 11..block * 11 + 11];
            line.push_str(s);
            line.push(char::from(b'0' + dv(module, s.as_bytes())));
        }
        let segment = b[1] - b'0';
        let cnpj = segment == 6;
        Arrecadacao {
            segment,
            value_identifier: b[2] - b'0',
            module,
            value_is_amount: matches!(b[2], b'6' | b'8'),
            value: barcode[4..15].parse().unwrap_or(0),
            company: barcode[15..19].to_owned(),
            cnpj_root: cnpj.then(|| barcode[15..23].to_owned()),
            free_field: if cnpj {
                barcode[23..].to_owned()
            } else {
                barcode[19..].to_owned()
            },
            digitable_line: line,
            barcode,
        }
    }

    /// The typed line as printed: four groups `NNNNNNNNNNN-D`.
    pub fn formatted_line(&self) -> String {
        let l = &self.digitable_line;
        (0..4)
            .map(|i| {
                format!(
                    "{}-{}",
                    &l[i * 12..i * 12 + 11],
                    &l[i * 12 + 11..i * 12 + 12]
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}
