//! Brazilian payment formats, with no knowledge of any application.
//!
//! * [`pix`]: the Banco Central's BR Code (EMV QRCPS-MPM) for Pix, static and
//!   dynamic: build, parse, validate keys, and render QR codes to SVG / PNG.
//! * [`boleto`]: FEBRABAN bank slips (44-digit barcode, 47-digit *linha
//!   digitável*, every check digit, the due-date factor with its 2025 reset),
//!   the free field (*campo livre*) and *nosso número* of the main banks,
//!   collection slips (*arrecadação*, 48 digits) and the Interleaved 2 of 5
//!   barcode as SVG.
//! * [`cnab`]: CNAB 240 and CNAB 400 remittance (*remessa*) writer and
//!   streaming return (*retorno*) parser, with the per-bank layouts kept as
//!   tables of fields.
//! * [`check`]: the check-digit algorithms (módulo 10, módulo 11, CPF, CNPJ).
//!
//! Money is always `i64` centavos; calendar dates are [`jiff::civil::Date`].
//!
//! ```
//! let payload = brpay::pix::PixBuilder::with_key("+5511943214321")
//!     .merchant("EMPRESA", "BRASILIA")
//!     .amount(6666)
//!     .build()?;
//! let parsed = brpay::pix::parse(&payload)?;
//! assert_eq!(parsed.amount, Some(6666));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod boleto;
pub mod check;
pub mod cnab;
pub mod pix;
