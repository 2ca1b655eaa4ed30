//! Banco Inter (077), the digital bank.
//!
//! Source: "Conta Digital PJ Inter – Manual CNAB400", 6.1.3: agência `0001`
//! (4) + carteira `112` (3) + operação (7) + nosso número with its DV (11).
//! Inter assigns the nosso número and does not publish its check-digit
//! rule, so this module carries it as given and verifies only the constants.

use super::{FreeFieldError, expect_const, pad};

/// Builds the free field from the operation number and the 11-digit nosso
/// número (with DV) Inter returned.
///
/// ```
/// use brpay::boleto::banks::inter::free_field;
/// assert_eq!(free_field("1234567", "00000012345")?, "0001112123456700000012345");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field(operacao: &str, nosso_numero_with_dv: &str) -> Result<String, FreeFieldError> {
    Ok(format!(
        "0001112{}{}",
        pad("operação", operacao, 7)?,
        pad("nosso número", nosso_numero_with_dv, 11)?
    ))
}

pub(crate) fn check(free: &str) -> Result<(), FreeFieldError> {
    expect_const(free, 1, "0001")?;
    expect_const(free, 5, "112")
}
