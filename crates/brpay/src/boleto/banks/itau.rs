//! Itaú Unibanco (341).
//!
//! Source: "Cobrança 400 bytes CNAB" (Itaú, Jul/2021), annexes on the DAC of
//! the nosso número (módulo 10 of agência + conta + carteira + nosso número;
//! of carteira + nosso número alone for carteiras 126, 131, 146, 150 and
//! 168) and the barcode example `34196166700000123451101234567880057123457000`.

use super::{FreeFieldError, d, expect_const, expect_dv, pad};
use crate::check::mod10;

/// Carteiras whose DAC ignores agência and conta.
pub const SHORT_DAC: [&str; 5] = ["126", "131", "146", "150", "168"];
/// Carteiras whose free field carries seu número and the client code.
pub const WITH_CLIENT_CODE: [&str; 8] = ["106", "107", "122", "142", "143", "195", "196", "198"];

/// DAC of the nosso número.
///
/// ```
/// assert_eq!(brpay::boleto::banks::itau::nosso_numero_dac("0057", "12345", "110", "12345678"), Some(8));
/// ```
pub fn nosso_numero_dac(
    agencia: &str,
    conta: &str,
    carteira: &str,
    nosso_numero: &str,
) -> Option<u8> {
    let s = if SHORT_DAC.contains(&carteira) {
        format!("{carteira}{nosso_numero}")
    } else {
        format!("{agencia}{conta}{carteira}{nosso_numero}")
    };
    mod10(s.as_bytes())
}

/// carteira (3) + nosso número (8) + DAC + agência (4) + conta (5) + DAC of
/// agência/conta + `000`.
///
/// ```
/// use brpay::boleto::banks::itau::free_field;
/// assert_eq!(free_field("110", "12345678", "0057", "12345")?, "1101234567880057123457000");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field(
    carteira: &str,
    nosso_numero: &str,
    agencia: &str,
    conta: &str,
) -> Result<String, FreeFieldError> {
    let c = pad("carteira", carteira, 3)?;
    let n = pad("nosso número", nosso_numero, 8)?;
    let a = pad("agência", agencia, 4)?;
    let k = pad("conta", conta, 5)?;
    let dac = nosso_numero_dac(&a, &k, &c, &n).unwrap_or(0);
    let dac_conta = mod10(format!("{a}{k}").as_bytes()).unwrap_or(0);
    Ok(format!("{c}{n}{dac}{a}{k}{dac_conta}000"))
}

/// For the carteiras in [`WITH_CLIENT_CODE`]: carteira (3) + nosso número (8)
/// + seu número (7) + client code (5) + DAC of those + `0`.
///
/// ```
/// use brpay::boleto::banks::itau::free_field_with_client_code;
/// // brcobranca spec/brcobranca/boleto/itau_spec.rb
/// assert_eq!(free_field_with_client_code("196", "00258281", "1234567", "12345")?, "1960025828112345671234550");
/// # Ok::<(), brpay::boleto::banks::FreeFieldError>(())
/// ```
pub fn free_field_with_client_code(
    carteira: &str,
    nosso_numero: &str,
    seu_numero: &str,
    client_code: &str,
) -> Result<String, FreeFieldError> {
    let body = format!(
        "{}{}{}{}",
        pad("carteira", carteira, 3)?,
        pad("nosso número", nosso_numero, 8)?,
        pad("seu número", seu_numero, 7)?,
        pad("client code", client_code, 5)?
    );
    let dac = mod10(body.as_bytes()).unwrap_or(0);
    Ok(format!("{body}{dac}0"))
}

pub(crate) fn check(free: &str) -> Result<(), FreeFieldError> {
    let f = free.as_bytes();
    let carteira = &free[0..3];
    if WITH_CLIENT_CODE.contains(&carteira) {
        expect_dv("DAC", d(mod10(&f[..23]).unwrap_or(0)), f[23])?;
        return expect_const(free, 25, "0");
    }
    let dac = nosso_numero_dac(&free[12..16], &free[16..21], carteira, &free[3..11]).unwrap_or(0);
    expect_dv("nosso número DAC", d(dac), f[11])?;
    expect_dv(
        "agência/conta DAC",
        d(mod10(&f[12..21]).unwrap_or(0)),
        f[21],
    )?;
    expect_const(free, 23, "000")
}
