//! Rendering checks: the output is a well-formed PDF with the expected page
//! count, and (through poppler's `pdftotext`, installed by scripts/test) its
//! text, accents included, is what went in.

#![allow(clippy::unwrap_used)]

use pdfdoc::{Block, Document, Span, markup, render};

fn sample(paragraphs: usize) -> Document {
    let mut blocks = markup::parse(
        "# Cláusula 1ª — Objeto\n\nA **CONTRATADA** prestará o serviço de comunicação multimídia ao \
         CONTRATANTE, João da Conceição Araújo, em São Paulo (ÀÉÎÕÜ çãõ ñ ß ø µ ¿ « » ° ª º).\n\n\
         - Velocidade: 300 Mbps\n- Fidelidade: 12 meses\n\n| Plano | Fibra 300 |\n| Preço | R$ 99,90 |",
    );
    for i in 0..paragraphs {
        blocks.push(Block::Paragraph(vec![
            Span::plain(format!("Parágrafo {i}: ")),
            Span::plain("palavra ".repeat(60)),
        ]));
    }
    blocks.push(Block::Paragraph(vec![Span::plain("x".repeat(400))]));
    Document {
        title: "Contrato de Prestação de Serviços".into(),
        blocks,
        logo: None,
        footer: "Página {page} de {pages}".into(),
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir =
        std::env::temp_dir().join(format!("pdfdoc-test-{}-{}", std::process::id(), pdf.len()));
    std::fs::write(&dir, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([dir.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed for this test");
    let _ = std::fs::remove_file(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pdfinfo_pages(pdf: &[u8]) -> usize {
    let path =
        std::env::temp_dir().join(format!("pdfdoc-info-{}-{}", std::process::id(), pdf.len()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("841.89") || text.contains("595.28"),
        "A4: {text}"
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn structure_text_and_accents() {
    let pdf = render(&sample(2)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.windows(4).any(|w| w == b"xref"));
    assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));
    assert_eq!(pdfinfo_pages(&pdf), 1);
    // Subsetting keeps the file small although the font is ~750 kB.
    assert!(pdf.len() < 80_000, "{} bytes", pdf.len());
    let text = pdftotext(&pdf);
    for want in [
        "Contrato de Prestação de Serviços",
        "Cláusula 1ª — Objeto",
        "João da",
        "Conceição Araújo, em São Paulo",
        "ÀÉÎÕÜ çãõ ñ ß ø µ ¿ « » ° ª º",
        "Velocidade: 300 Mbps",
        "R$ 99,90",
        "Página 1 de 1",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn long_documents_flow_onto_numbered_pages() {
    let pdf = render(&sample(40)).unwrap();
    let pages = pdfinfo_pages(&pdf);
    assert!(pages >= 3, "{pages} pages");
    let text = pdftotext(&pdf);
    assert!(
        text.contains(&format!("Página {pages} de {pages}")),
        "{text}"
    );
    assert!(text.contains("Parágrafo 39:"));
    // Lines never run past the right margin: no extracted line is longer
    // than what fits (about 100 characters of body text).
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest < 110, "longest line {longest}");
}

#[test]
fn logos_png_and_jpeg() {
    // A 2x2 RGBA PNG.
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, 2, 2);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 9, 9, 9, 255])
            .unwrap();
    }
    let mut doc = sample(0);
    doc.logo = Some(png_bytes);
    let pdf = render(&doc).unwrap();
    assert!(String::from_utf8_lossy(&pdf).contains("/SMask"));
    assert_eq!(pdfinfo_pages(&pdf), 1);
    doc.logo = Some(b"not an image".to_vec());
    assert!(render(&doc).is_err());
}

/// Writes the sample to `PDFDOC_SAMPLE` when set, to look at it.
#[test]
fn sample_file_on_request() {
    if let Ok(path) = std::env::var("PDFDOC_SAMPLE") {
        std::fs::write(path, render(&sample(30)).unwrap()).unwrap();
    }
    assert!(render(&sample(1)).is_ok());
}

#[test]
fn empty_document_still_renders_one_page() {
    let pdf = render(&Document::default()).unwrap();
    assert_eq!(pdfinfo_pages(&pdf), 1);
}

#[test]
fn grids_keep_their_header_on_every_page() {
    let rows: Vec<Vec<String>> = (0..120)
        .map(|i| vec![format!("Linha {i} — Fibra 300"), format!("R$ {i},90")])
        .collect();
    let doc = Document {
        title: "Fatura".into(),
        blocks: vec![Block::Grid(pdfdoc::Grid {
            columns: vec![
                pdfdoc::Column::left("Descrição", 3.0),
                pdfdoc::Column::right("Total", 1.0),
            ],
            rows,
            bold_last: true,
        })],
        logo: None,
        footer: String::new(),
    };
    let pdf = render(&doc).unwrap();
    let pages = pdfinfo_pages(&pdf);
    assert!(pages >= 3, "{pages}");
    let text = pdftotext(&pdf);
    assert_eq!(text.matches("Descrição").count(), pages, "{text}");
    for want in ["Linha 0 — Fibra 300", "R$ 119,90", "Linha 119"] {
        assert!(text.contains(want), "missing {want:?}");
    }
}

/// Renders page 1 of `pdf` to grayscale pixels at `dpi` with poppler's
/// `pdftoppm`: (width, height, pixels).
fn raster(pdf: &[u8], dpi: u32) -> (usize, usize, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("pdfdoc-ppm-{}-{}", std::process::id(), pdf.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = std::process::Command::new("pdftoppm")
        .args([
            "-gray",
            "-r",
            &dpi.to_string(),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
        ])
        .arg(&input)
        .arg(dir.join("page"))
        .output()
        .expect("pdftoppm (poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pgm = std::fs::read(dir.join("page.pgm")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // Binary PGM: "P5\n<w> <h>\n255\n" then one byte per pixel.
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..i]).into_owned());
    }
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, pgm[i + 1..].to_vec())
}

#[test]
fn figures_draw_modules_and_bars_with_text_beside() {
    // A 21 × 21 pattern: the left half dark, so the raster can be checked.
    let side = 21;
    let dark: Vec<bool> = (0..side * side).map(|i| i % side < 10).collect();
    let qr = pdfdoc::Figure::matrix(side, &dark, 100.0, 4).beside(vec![
        vec![Span::bold("Pix copia e cola")],
        vec![Span::plain("00020126580014br.gov.bcb.pix".repeat(4))],
    ]);
    // One row of matrix runs per module row: 21 rectangles, not 210.
    assert_eq!(qr.rects.len(), side);
    let bars = pdfdoc::Figure::bars(&[(true, 1), (false, 1), (true, 3)], 50.0, 20.0);
    assert_eq!(bars.rects.len(), 2);
    assert_eq!(bars.rects[1].x, 20.0);
    assert_eq!(bars.rects[1].w, 30.0);
    // No title: the figure is the first thing on the page.
    let doc = Document {
        title: String::new(),
        blocks: vec![
            Block::Figure(qr),
            Block::Figure(bars),
            Block::Paragraph(vec![Span::plain("Depois da figura")]),
        ],
        logo: None,
        footer: String::new(),
    };
    let pdf = render(&doc).unwrap();
    if let Ok(path) = std::env::var("PDFDOC_FIGURE_SAMPLE") {
        std::fs::write(path, &pdf).unwrap();
    }
    let text = pdftotext(&pdf);
    for want in [
        "Pix copia e cola",
        "00020126580014br.gov",
        "Depois da figura",
    ] {
        assert!(text.contains(want), "missing {want:?} in {text}");
    }
    // At 72 dpi a point is a pixel: the QR's box starts at the left margin
    // (56.7 pt); its quiet zone (4 of 29 modules ≈ 13.8 pt)
    // is white and its first module column is black.
    let (w, _h, px) = raster(&pdf, 72);
    let row = (0..px.len() / w)
        .find(|&y| px[y * w + 75] < 64)
        .expect("a dark module row in the QR's left half");
    assert!(px[row * w + 60] > 200, "quiet zone is light");
    assert!(px[row * w + 75] < 64, "first module column is dark");
    // The right half of the symbol (module 15 of 21) is light.
    assert!(px[row * w + 56 + 14 + 15 * 3] > 200, "right half is light");
}
