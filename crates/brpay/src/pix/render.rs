//! QR code rendering of a BR Code, for invoices and the customer portal.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Why a QR code could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The payload does not fit in a QR code.
    #[error("payload cannot be encoded as a QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
    /// The requested size is zero or absurd.
    #[error("module size must be 1 to 64 pixels, got {0}")]
    Scale(u32),
}

/// Quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4).
pub const QUIET_ZONE: usize = 4;
const QUIET: usize = QUIET_ZONE;

fn code(payload: &str) -> Result<QrCode, RenderError> {
    // Level M, as the BCB's BR Code manual recommends.
    Ok(QrCode::with_error_correction_level(
        payload.as_bytes(),
        EcLevel::M,
    )?)
}

/// The QR code's modules, for drawing it another way (vector rectangles
/// in a PDF): the side in modules and, row by row, `true` for each dark
/// module, quiet zone not included (leave [`QUIET_ZONE`] modules around it).
///
/// ```
/// let (side, dark) = brpay::pix::qr_modules("00020126330014br.gov.bcb.pix")?;
/// assert_eq!(dark.len(), side * side);
/// // The top-left finder pattern starts with a dark module.
/// assert!(dark[0]);
/// # Ok::<(), brpay::pix::RenderError>(())
/// ```
pub fn qr_modules(payload: &str) -> Result<(usize, Vec<bool>), RenderError> {
    let c = code(payload)?;
    let dark = c
        .to_colors()
        .into_iter()
        .map(|m| m == qrcode::Color::Dark)
        .collect();
    Ok((c.width(), dark))
}

/// Renders the payload as an SVG document, `module_px` user units per module.
///
/// ```
/// let svg = brpay::pix::render_svg("00020126330014br.gov.bcb.pix", 4)?;
/// assert!(svg.starts_with("<?xml"));
/// # Ok::<(), brpay::pix::RenderError>(())
/// ```
pub fn render_svg(payload: &str, module_px: u32) -> Result<String, RenderError> {
    if module_px == 0 || module_px > 64 {
        return Err(RenderError::Scale(module_px));
    }
    let c = code(payload)?;
    Ok(c.render::<svg::Color<'_>>()
        .quiet_zone(true)
        .module_dimensions(module_px, module_px)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// Renders the payload as a grayscale PNG, `module_px` pixels per module.
///
/// ```
/// let png = brpay::pix::render_png("00020126330014br.gov.bcb.pix", 4)?;
/// assert_eq!(&png[1..4], b"PNG");
/// # Ok::<(), brpay::pix::RenderError>(())
/// ```
pub fn render_png(payload: &str, module_px: u32) -> Result<Vec<u8>, RenderError> {
    if module_px == 0 || module_px > 64 {
        return Err(RenderError::Scale(module_px));
    }
    let c = code(payload)?;
    let w = c.width();
    let colors = c.to_colors();
    let scale = module_px as usize;
    let side = (w + 2 * QUIET) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (mx, my) = (i % w + QUIET, i / w + QUIET);
            for y in my * scale..(my + 1) * scale {
                pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(side).map_err(|_| RenderError::Scale(module_px))?;
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&pixels)?;
    }
    Ok(out)
}
