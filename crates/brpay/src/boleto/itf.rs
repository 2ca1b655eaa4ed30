//! Interleaved 2 of 5 (ITF) barcode of a boleto, rendered to SVG with the
//! FEBRABAN dimensions: 103 mm long, 13 mm high, wide bars three times the
//! narrow ones, and a 5 mm quiet zone on each side (Banco do Brasil's
//! "Especificações Técnicas", 2.3.3; Bradesco's "Especificação Boleto").
//!
//! 44 digits make 22 pairs of 4 wide + 6 narrow elements, plus the start
//! (4 narrow) and stop (1 wide + 2 narrow) patterns: 89 wide + 138 narrow =
//! 405 narrow units, so a narrow element is 103/405 ≈ 0.254 mm.

use super::BoletoError;
use std::fmt::Write as _;

const PATTERNS: [&[u8; 5]; 10] = [
    b"nnwwn", b"wnnnw", b"nwnnw", b"wwnnn", b"nnwnw", b"wnwnn", b"nwwnn", b"nnnww", b"wnnwn",
    b"nwnwn",
];

/// Barcode length in millimetres (FEBRABAN).
pub const LENGTH_MM: f64 = 103.0;
/// Barcode height in millimetres (FEBRABAN).
pub const HEIGHT_MM: f64 = 13.0;
/// Quiet zone on each side, in millimetres.
pub const QUIET_MM: f64 = 5.0;

/// The bars and spaces of an ITF symbol as `(is_bar, width_in_narrow_units)`,
/// start and stop patterns included. `digits` must be an even number of digits.
///
/// ```
/// let e = brpay::boleto::itf::elements("12")?;
/// // start (4) + one pair (10) + stop (3)
/// assert_eq!(e.len(), 17);
/// # Ok::<(), brpay::boleto::BoletoError>(())
/// ```
pub fn elements(digits: &str) -> Result<Vec<(bool, u8)>, BoletoError> {
    let b = digits.as_bytes();
    if let Some((i, c)) = digits
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_digit())
    {
        return Err(BoletoError::NotDigit {
            position: i + 1,
            ch: c,
        });
    }
    if !b.len().is_multiple_of(2) {
        return Err(BoletoError::Length { found: b.len() });
    }
    let w = |c: u8| if c == b'w' { 3 } else { 1 };
    let mut out = vec![(true, 1), (false, 1), (true, 1), (false, 1)];
    for pair in b.chunks_exact(2) {
        let bars = PATTERNS[usize::from(pair[0] - b'0')];
        let spaces = PATTERNS[usize::from(pair[1] - b'0')];
        for k in 0..5 {
            out.push((true, w(bars[k])));
            out.push((false, w(spaces[k])));
        }
    }
    out.extend([(true, 3), (false, 1), (true, 1)]);
    Ok(out)
}

/// Renders a 44-digit boleto barcode as an SVG document sized in millimetres
/// (113 × 13 mm with the quiet zones), ready to embed in an invoice PDF.
///
/// ```
/// let svg = brpay::boleto::itf::svg("00193373700000001000500940144816060680935031")?;
/// assert!(svg.contains(r#"width="113mm""#));
/// # Ok::<(), brpay::boleto::BoletoError>(())
/// ```
pub fn svg(barcode: &str) -> Result<String, BoletoError> {
    if barcode.len() != 44 {
        return Err(BoletoError::Length {
            found: barcode.len(),
        });
    }
    let el = elements(barcode)?;
    let units: u32 = el.iter().map(|(_, w)| u32::from(*w)).sum();
    let narrow = LENGTH_MM / f64::from(units);
    let total = LENGTH_MM + 2.0 * QUIET_MM;
    let mut s = String::with_capacity(8 * 1024);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}mm" height="{HEIGHT_MM}mm" viewBox="0 0 {total} {HEIGHT_MM}"><rect width="{total}" height="{HEIGHT_MM}" fill="#fff"/>"##
    );
    let mut x = QUIET_MM;
    for (bar, w) in el {
        let width = narrow * f64::from(w);
        if bar {
            let _ = write!(
                s,
                r#"<rect x="{x:.4}" y="0" width="{width:.4}" height="{HEIGHT_MM}"/>"#
            );
        }
        x += width;
    }
    s.push_str("</svg>");
    Ok(s)
}
