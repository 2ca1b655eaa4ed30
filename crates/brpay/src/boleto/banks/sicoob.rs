//! Sicoob (756).
//!
//! Source: Sicoob's "Layout de Boleto" as implemented and tested by
//! brcobranca (`lib/brcobranca/boleto/sicoob.rb`). The free field is
//! carteira (1), agência (4), modalidade (2), client code (7), nosso número
//! (7), its DV and parcela (3). The DV weighs agência, client code (10
//! digits) and nosso número with `3, 1, 9, 7` from the left; remainder 0
//! or 1 gives 0, else 11 minus the remainder.

use super::{FreeFieldError, d, expect_dv, pad};
use crate::check::weighted_sum_left;

/// Check digit of a nosso número.
///
/// ```
/// use brpay::boleto::banks::sicoob::nosso_numero_dv;
/// // brcobranca spec: agência 4327, cliente 229385, nosso número 1 → 7, 2 → 4
/// assert_eq!(nosso_numero_dv("4327", "229385", "1"), Some(7));
/// assert_eq!(nosso_numero_dv("4327", "229385", "2"), Some(4));
/// ```
pub fn nosso_numero_dv(agencia: &str, client_code: &str, nosso_numero: &str) -> Option<u8> {
    let s = format!("{agencia:0>4}{client_code:0>10}{nosso_numero:0>7}");
    let r = weighted_sum_left(s.as_bytes(), &[3, 1, 9, 7])? % 11;
    Some(if r <= 1 { 0 } else { (11 - r) as u8 })
}

/// Builds the free field.
///
/// ```
/// use brpay::boleto::banks::sicoob::free_field;
/// assert_eq!(free_field("1", "4327", "01", "229385", "2", "001")?, "1432701022938500000024001");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field(
    carteira: &str,
    agencia: &str,
    modalidade: &str,
    client_code: &str,
    nosso_numero: &str,
    parcela: &str,
) -> Result<String, FreeFieldError> {
    let a = pad("agência", agencia, 4)?;
    let c = pad("client code", client_code, 7)?;
    let n = pad("nosso número", nosso_numero, 7)?;
    let dv = nosso_numero_dv(&a, &c, &n).unwrap_or(0);
    Ok(format!(
        "{}{a}{}{c}{n}{dv}{}",
        pad("carteira", carteira, 1)?,
        pad("modalidade", modalidade, 2)?,
        pad("parcela", parcela, 3)?
    ))
}

pub(crate) fn check(free: &str) -> Result<(), FreeFieldError> {
    let dv = nosso_numero_dv(&free[1..5], &free[7..14], &free[14..21]).unwrap_or(0);
    expect_dv("nosso número", d(dv), free.as_bytes()[21])
}
