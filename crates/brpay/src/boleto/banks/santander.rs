//! Santander (033).
//!
//! Source: "Layout de Código de Barras Santander" (Jan/2017): `9` + código do
//! beneficiário (7) + nosso número (12) + DV (módulo 11, 10 and 11 → 0) +
//! IOF (`0` unless an insurance company) + carteira (3).

use super::{FreeFieldError, d, expect_const, expect_dv, pad};
use crate::check::mod11_zero;

/// Check digit of the 12-digit nosso número.
///
/// ```
/// // The manual's example: 566612457800 → 2
/// assert_eq!(brpay::boleto::banks::santander::nosso_numero_dv("566612457800"), Some(2));
/// ```
pub fn nosso_numero_dv(nosso_numero: &str) -> Option<u8> {
    mod11_zero(format!("{nosso_numero:0>12}").as_bytes())
}

/// Builds the free field (IOF `0`).
///
/// ```
/// use brpay::boleto::banks::santander::free_field;
/// // brcobranca spec/brcobranca/boleto/santander_spec.rb
/// assert_eq!(free_field("1899775", "9000026", "102")?, "9189977500000900002690102");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field(
    beneficiario: &str,
    nosso_numero: &str,
    carteira: &str,
) -> Result<String, FreeFieldError> {
    let n = pad("nosso número", nosso_numero, 12)?;
    let dv = nosso_numero_dv(&n).unwrap_or(0);
    Ok(format!(
        "9{}{n}{dv}0{}",
        pad("beneficiário", beneficiario, 7)?,
        pad("carteira", carteira, 3)?
    ))
}

pub(crate) fn check(free: &str) -> Result<(), FreeFieldError> {
    expect_const(free, 1, "9")?;
    expect_dv(
        "nosso número",
        d(nosso_numero_dv(&free[8..20]).unwrap_or(0)),
        free.as_bytes()[20],
    )
}
