//! Banco do Brasil (001).
//!
//! Source: "Especificações Técnicas para Confecção de Boleto de Cobrança do
//! Banco do Brasil" (Jan/2016), annexes VII–XI.

use super::{FreeFieldError, pad};
use crate::check::weighted_sum;

/// Check digit of a nosso número (annex XI): weights 9…2 from the right,
/// remainder of 11; 10 becomes `X`. Returns `None` for non-digits.
///
/// ```
/// // Annex XI example: 05009401448 → remainder 1, DV 1
/// assert_eq!(brpay::boleto::banks::banco_do_brasil::nosso_numero_dv("05009401448"), Some('1'));
/// ```
pub fn nosso_numero_dv(nosso_numero: &str) -> Option<char> {
    // weights 9..2 from the right are 11 minus the usual 2..9
    let s = weighted_sum(nosso_numero.as_bytes(), 9)?;
    let r = (11 - s % 11) % 11;
    Some(if r == 10 {
        'X'
    } else {
        char::from(b'0' + r as u8)
    })
}

/// Convênio of 7 digits (annex IX): `000000` + convênio (7) + sequence (10) + carteira (2).
///
/// ```
/// use brpay::boleto::banks::banco_do_brasil::free_field_convenio7;
/// assert_eq!(free_field_convenio7("1238798", "9777700168", "18")?, "0000001238798977770016818");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field_convenio7(
    convenio: &str,
    sequence: &str,
    carteira: &str,
) -> Result<String, FreeFieldError> {
    if convenio.len() != 7 {
        return Err(FreeFieldError::Field {
            field: "convênio",
            reason: "must have 7 digits".into(),
        });
    }
    Ok(format!(
        "000000{}{}{}",
        pad("convênio", convenio, 7)?,
        pad("sequence", sequence, 10)?,
        pad("carteira", carteira, 2)?
    ))
}

/// Convênio of 4 or 6 digits with an 11-digit nosso número (annexes VII, VIII):
/// nosso número (convênio + sequence, 11) + agência (4) + conta (8) + carteira (2).
pub fn free_field_nn11(
    convenio: &str,
    sequence: &str,
    agencia: &str,
    conta: &str,
    carteira: &str,
) -> Result<String, FreeFieldError> {
    if convenio.len() != 4 && convenio.len() != 6 {
        return Err(FreeFieldError::Field {
            field: "convênio",
            reason: "must have 4 or 6 digits".into(),
        });
    }
    let nn = format!(
        "{}{}",
        pad("convênio", convenio, convenio.len())?,
        pad("sequence", sequence, 11 - convenio.len())?
    );
    Ok(format!(
        "{nn}{}{}{}",
        pad("agência", agencia, 4)?,
        pad("conta", conta, 8)?,
        pad("carteira", carteira, 2)?
    ))
}

/// Convênio of 6 digits with a free 17-digit nosso número (carteiras 16/18,
/// annex X): convênio (6) + nosso número (17) + service `21`.
pub fn free_field_convenio6_nn17(
    convenio: &str,
    nosso_numero: &str,
) -> Result<String, FreeFieldError> {
    if convenio.len() != 6 {
        return Err(FreeFieldError::Field {
            field: "convênio",
            reason: "must have 6 digits".into(),
        });
    }
    Ok(format!(
        "{}{}21",
        pad("convênio", convenio, 6)?,
        pad("nosso número", nosso_numero, 17)?
    ))
}
