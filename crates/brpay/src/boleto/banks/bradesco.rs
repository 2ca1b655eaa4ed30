//! Bradesco (237).
//!
//! Source: "Especificação Boleto" (Bradesco, Aug/2015), sections on the
//! free field and the nosso número "dígito de auto-conferência".

use super::{FreeFieldError, expect_const, pad};
use crate::check::weighted_sum;

/// Check digit of carteira (2) + nosso número (11): módulo 11 base 7;
/// remainder 0 gives `0`, remainder 1 gives `P`.
///
/// ```
/// use brpay::boleto::banks::bradesco::nosso_numero_dv;
/// // Bradesco's manual: carteira 19 with 00000000002 → 8, …01 → P, …06 → 0
/// assert_eq!(nosso_numero_dv("19", "00000000002"), Some('8'));
/// assert_eq!(nosso_numero_dv("19", "00000000001"), Some('P'));
/// assert_eq!(nosso_numero_dv("19", "00000000006"), Some('0'));
/// ```
pub fn nosso_numero_dv(carteira: &str, nosso_numero: &str) -> Option<char> {
    let s = format!("{carteira:0>2}{nosso_numero:0>11}");
    let r = weighted_sum(s.as_bytes(), 7)? % 11;
    Some(match r {
        0 => '0',
        1 => 'P',
        _ => char::from(b'0' + (11 - r) as u8),
    })
}

/// agência (4) + carteira (2) + nosso número (11, no DV) + conta (7) + `0`.
///
/// ```
/// use brpay::boleto::banks::bradesco::free_field;
/// // brcobranca spec/brcobranca/boleto/bradesco_spec.rb
/// assert_eq!(free_field("1172", "06", "75896452", "0403005")?, "1172060007589645204030050");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field(
    agencia: &str,
    carteira: &str,
    nosso_numero: &str,
    conta: &str,
) -> Result<String, FreeFieldError> {
    Ok(format!(
        "{}{}{}{}0",
        pad("agência", agencia, 4)?,
        pad("carteira", carteira, 2)?,
        pad("nosso número", nosso_numero, 11)?,
        pad("conta", conta, 7)?
    ))
}

pub(crate) fn check(free: &str) -> Result<(), FreeFieldError> {
    expect_const(free, 25, "0")
}
