//! Sicredi (748).
//!
//! Source: "Manual CNAB 400" and "Manual CNAB 240" (Sicredi, Aug/2019):
//! nosso número `AA B NNNNN D` (year, generation byte, sequence, DV) and the
//! free field: tipo de cobrança (1) + carteira `1` + nosso número (9) +
//! cooperativa (4) + posto (2) + beneficiário (5) + `1` when the amount is
//! given + `0` + DV (módulo 11, remainders 0 and 1 → 0).

use super::{FreeFieldError, d, expect_dv, pad};
use crate::check::mod11_zero;

/// Check digit of the nosso número: módulo 11 over cooperativa (4) + posto
/// (2) + beneficiário (5) + year (2) + byte (1) + sequence (5).
///
/// ```
/// use brpay::boleto::banks::sicredi::nosso_numero_dv;
/// // Sicredi's CNAB 400 manual, section 5: 0165 / 02 / 00623 / 07 / 2 / 00003
/// assert_eq!(nosso_numero_dv("0165", "02", "00623", "07", "2", "00003"), Some(1));
/// ```
pub fn nosso_numero_dv(
    cooperativa: &str,
    posto: &str,
    beneficiario: &str,
    year: &str,
    byte: &str,
    sequence: &str,
) -> Option<u8> {
    mod11_zero(
        format!("{cooperativa:0>4}{posto:0>2}{beneficiario:0>5}{year:0>2}{byte}{sequence:0>5}")
            .as_bytes(),
    )
}

/// Values that make a Sicredi free field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params<'a> {
    /// `1` registered, `3` unregistered.
    pub tipo_cobranca: &'a str,
    /// Cooperativa / agência (4).
    pub cooperativa: &'a str,
    /// Posto (2).
    pub posto: &'a str,
    /// Beneficiário code (5).
    pub beneficiario: &'a str,
    /// Two-digit year of the nosso número.
    pub year: &'a str,
    /// Generation byte: 1 by the cooperative, 2–9 by the beneficiary.
    pub byte: &'a str,
    /// Sequence (5).
    pub sequence: &'a str,
    /// Whether the slip states its amount.
    pub has_amount: bool,
}

/// Builds the free field.
///
/// ```
/// use brpay::boleto::banks::sicredi::{free_field, Params};
/// // The manual's example line 74891.10721 00003.101656 02006.231084 …
/// let p = Params { tipo_cobranca: "1", cooperativa: "0165", posto: "02", beneficiario: "00623",
///                  year: "07", byte: "2", sequence: "00003", has_amount: true };
/// assert_eq!(free_field(&p)?, "1107200003101650200623108");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field(p: &Params<'_>) -> Result<String, FreeFieldError> {
    let coop = pad("cooperativa", p.cooperativa, 4)?;
    let posto = pad("posto", p.posto, 2)?;
    let ben = pad("beneficiário", p.beneficiario, 5)?;
    let year = pad("year", p.year, 2)?;
    let byte = pad("byte", p.byte, 1)?;
    let seq = pad("sequence", p.sequence, 5)?;
    let nndv = nosso_numero_dv(&coop, &posto, &ben, &year, &byte, &seq).unwrap_or(0);
    let cl = format!(
        "{}1{year}{byte}{seq}{nndv}{coop}{posto}{ben}{}0",
        pad("tipo de cobrança", p.tipo_cobranca, 1)?,
        if p.has_amount { 1 } else { 0 }
    );
    let dv = mod11_zero(cl.as_bytes()).unwrap_or(0);
    Ok(format!("{cl}{dv}"))
}

pub(crate) fn check(free: &str) -> Result<(), FreeFieldError> {
    let f = free.as_bytes();
    let nndv = nosso_numero_dv(
        &free[11..15],
        &free[15..17],
        &free[17..22],
        &free[2..4],
        &free[4..5],
        &free[5..10],
    )
    .unwrap_or(0);
    expect_dv("nosso número", d(nndv), f[10])?;
    expect_dv("free field", d(mod11_zero(&f[..24]).unwrap_or(0)), f[24])
}
