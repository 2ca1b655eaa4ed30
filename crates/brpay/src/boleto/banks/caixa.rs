//! Caixa Econômica Federal (104), SIGCB.
//!
//! Source: "Especificações Técnicas para Emissão de Boletos" (Caixa, 2020),
//! free field layout and its example line.

use super::{FreeFieldError, d, expect_dv, pad};
use crate::check::mod11_zero;

/// Check digit of a 17-digit nosso número (modalidade + emissão + 15), or of
/// the beneficiary code: módulo 11, 10 and 11 become 0.
///
/// ```
/// use brpay::boleto::banks::caixa::check_digit;
/// // brcobranca spec: nosso número 14000000000000001 → 4
/// assert_eq!(check_digit("14000000000000001"), Some(4));
/// ```
pub fn check_digit(digits: &str) -> Option<u8> {
    mod11_zero(digits.as_bytes())
}

/// beneficiary (6) + DV + NN 3–5 + NN 1 + NN 6–8 + NN 2 + NN 9–17 + DV of the
/// first 24 digits. `nosso_numero` has 17 digits: modalidade (1 = registered),
/// emissão (4 = by the beneficiary) and 15 digits.
///
/// ```
/// use brpay::boleto::banks::caixa::free_field;
/// // brcobranca spec/brcobranca/boleto/caixa_spec.rb
/// assert_eq!(free_field("245274", "14000000000000001")?, "2452740000100040000000017");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field(beneficiario: &str, nosso_numero: &str) -> Result<String, FreeFieldError> {
    let b = pad("beneficiário", beneficiario, 6)?;
    let n = pad("nosso número", nosso_numero, 17)?;
    let bdv = check_digit(&b).unwrap_or(0);
    let cl = format!(
        "{b}{bdv}{}{}{}{}{}",
        &n[2..5],
        &n[0..1],
        &n[5..8],
        &n[1..2],
        &n[8..17]
    );
    let dv = check_digit(&cl).unwrap_or(0);
    Ok(format!("{cl}{dv}"))
}

/// The 17-digit nosso número a free field carries.
pub fn nosso_numero(free: &str) -> Option<String> {
    (free.len() == 25).then(|| {
        format!(
            "{}{}{}{}{}",
            &free[10..11],
            &free[14..15],
            &free[7..10],
            &free[11..14],
            &free[15..24]
        )
    })
}

pub(crate) fn check(free: &str) -> Result<(), FreeFieldError> {
    let f = free.as_bytes();
    expect_dv(
        "beneficiary code",
        d(check_digit(&free[..6]).unwrap_or(0)),
        f[6],
    )?;
    expect_dv(
        "free field",
        d(check_digit(&free[..24]).unwrap_or(0)),
        f[24],
    )
}
