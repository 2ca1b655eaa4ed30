//! Layout (lines on pages) and PDF writing.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::{GlyphMetrics, Metrics};
use skrifa::{FontRef, GlyphId, MetadataProvider as _};
use subsetter::GlyphRemapper;

use crate::{Block, Document, Error, Figure, Grid, Span};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

// A4 in points, 2 cm margins.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.7;
const BOTTOM: f32 = MARGIN + 20.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;

const BODY: f32 = 10.0;
const LEADING: f32 = 1.45;
const HEADING: f32 = 12.5;
const TITLE: f32 = 17.0;
const FOOTER: f32 = 8.0;
const BULLET_INDENT: f32 = 14.0;
const KEY_WIDTH: f32 = WIDTH * 0.35;
const LOGO_MAX_H: f32 = 48.0;
const LOGO_MAX_W: f32 = 180.0;
/// Space between a figure and the text beside it.
const FIGURE_GAP: f32 = 14.0;

struct Font {
    charmap: Charmap<'static>,
    /// Advance widths in font units.
    advances: GlyphMetrics<'static>,
    /// Font-wide metrics in font units.
    metrics: Metrics,
    upem: f32,
    remap: GlyphRemapper,
    /// (new gid, char) for the ToUnicode map.
    used: Vec<(u16, char)>,
}

/// A font's subset of [`COMMON`] characters, made and compressed once per
/// process: subsetting DejaVu and compressing the result took about 10 ms
/// a document, too slow for hundreds of invoices a second. Documents whose
/// text stays within these characters (all of Portuguese and English)
/// embed this subset; others subset their own glyphs as before.
struct Shared {
    remap: GlyphRemapper,
    used: Vec<(u16, char)>,
    /// The compressed font program.
    stream: Vec<u8>,
}

/// Printable ASCII, Latin-1 and the typographic marks documents use.
fn common() -> impl Iterator<Item = char> {
    (' '..='~')
        .chain('\u{A0}'..='\u{FF}')
        .chain(['–', '—', '•', '‘', '’', '“', '”', '…', '€', '−', '?'])
}

fn shared(data: &'static [u8]) -> Result<Shared, Error> {
    let mut font = Font::load_empty(data)?;
    let all: String = common().collect();
    font.encode(&all);
    let subset =
        subsetter::subset(data, 0, &font.remap).map_err(|e| Error::Font(format!("{e:?}")))?;
    Ok(Shared {
        stream: miniz_oxide::deflate::compress_to_vec_zlib(&subset, 9),
        remap: font.remap,
        used: font.used,
    })
}

type SharedFonts = Result<[Shared; 2], String>;

fn shared_fonts() -> Result<&'static [Shared; 2], Error> {
    static FONTS: std::sync::OnceLock<SharedFonts> = std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            Ok([
                shared(REGULAR).map_err(|e| e.to_string())?,
                shared(BOLD).map_err(|e| e.to_string())?,
            ])
        })
        .as_ref()
        .map_err(|e| Error::Font(e.clone()))
}

impl Font {
    /// The font with the shared subset's glyphs already numbered.
    fn load(data: &'static [u8], shared: &Shared) -> Result<Font, Error> {
        let mut f = Font::load_empty(data)?;
        f.remap = shared.remap.clone();
        f.used = shared.used.clone();
        Ok(f)
    }

    fn load_empty(data: &'static [u8]) -> Result<Font, Error> {
        let font = FontRef::new(data).map_err(|e| Error::Font(e.to_string()))?;
        // Unscaled: every figure stays in font units, as the PDF wants them
        // over units per em.
        let metrics = font.metrics(Size::unscaled(), LocationRef::default());
        Ok(Font {
            charmap: font.charmap(),
            advances: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            upem: f32::from(metrics.units_per_em),
            metrics,
            remap: GlyphRemapper::new(),
            used: Vec::new(),
        })
    }

    /// The glyph for `c`, or for `?` when the font lacks it.
    fn glyph(&self, c: char) -> GlyphId {
        self.charmap
            .map(c)
            .or_else(|| self.charmap.map('?'))
            .unwrap_or(GlyphId::NOTDEF)
    }

    /// The advance width of glyph `gid`, in font units.
    fn advance(&self, gid: GlyphId) -> f32 {
        self.advances.advance_width(gid).unwrap_or(0.0)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let units: f32 = text.chars().map(|c| self.advance(self.glyph(c))).sum();
        units * size / self.upem
    }

    /// The 2-byte glyph string for `text` in the subset's numbering.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            // The subsetter numbers glyphs in 16 bits, as TrueType does.
            let old = u16::try_from(self.glyph(c).to_u32()).unwrap_or(0);
            let fresh = self.remap.get(old).is_none();
            let new = self.remap.remap(old);
            if fresh {
                self.used.push((new, c));
            }
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }
}

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
    },
    Logo {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    /// Black rectangles `(x, y, w, h)` in page coordinates (y upwards).
    Fill(Vec<[f32; 4]>),
}

/// A word (or piece of one) with its font and trailing-space flag.
#[derive(Clone)]
struct Word {
    text: String,
    bold: bool,
    space_after: bool,
}

struct Layout<'f> {
    regular: &'f Font,
    bold: &'f Font,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn font(&self, bold: bool) -> &'f Font {
        if bold { self.bold } else { self.regular }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_H - MARGIN;
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.new_page();
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Makes room for `h` points, starting a page if needed.
    fn need(&mut self, h: f32) {
        if self.pages.is_empty() || self.y - h < BOTTOM {
            self.new_page();
        }
    }

    fn words(spans: &[Span]) -> Vec<Word> {
        let mut out: Vec<Word> = Vec::new();
        for s in spans {
            let mut first = true;
            for piece in s.text.split(' ') {
                if !first && let Some(w) = out.last_mut() {
                    w.space_after = true;
                }
                first = false;
                if !piece.is_empty() {
                    out.push(Word {
                        text: piece.to_owned(),
                        bold: s.bold,
                        space_after: false,
                    });
                }
            }
        }
        out
    }

    /// Breaks words into lines no wider than `width`.
    fn lines(&self, spans: &[Span], size: f32, width: f32) -> Vec<Vec<Word>> {
        let space = self.regular.width(" ", size);
        let mut lines: Vec<Vec<Word>> = Vec::new();
        let mut line: Vec<Word> = Vec::new();
        let mut x = 0.0;
        let mut pending_space = false;
        for mut w in Self::words(spans) {
            let mut ww = self.font(w.bold).width(&w.text, size);
            let sp = if pending_space && !line.is_empty() {
                space
            } else {
                0.0
            };
            if !line.is_empty() && x + sp + ww > width {
                lines.push(std::mem::take(&mut line));
                x = 0.0;
            }
            // A word wider than the line is cut between characters.
            while ww > width {
                let font = self.font(w.bold);
                let mut cut = 0;
                let mut acc = 0.0;
                for (i, c) in w.text.char_indices() {
                    let cw = font.width(&c.to_string(), size);
                    if acc + cw > width && i > 0 {
                        break;
                    }
                    acc += cw;
                    cut = i + c.len_utf8();
                }
                let head = Word {
                    text: w.text[..cut].to_owned(),
                    bold: w.bold,
                    space_after: false,
                };
                lines.push(vec![head]);
                w.text = w.text[cut..].to_owned();
                ww = font.width(&w.text, size);
            }
            if !line.is_empty() && pending_space {
                x += space;
            }
            x += ww;
            pending_space = w.space_after;
            line.push(w);
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Emits a line of words at (`x`, baseline `y`).
    fn emit_line(&mut self, words: &[Word], x: f32, y: f32, size: f32) {
        let space = self.regular.width(" ", size);
        let mut cx = x;
        let mut run = String::new();
        let mut run_x = cx;
        let mut run_bold = words.first().map(|w| w.bold).unwrap_or(false);
        for (i, w) in words.iter().enumerate() {
            if w.bold != run_bold && !run.is_empty() {
                let text = std::mem::take(&mut run);
                self.ops().push(Op::Text {
                    x: run_x,
                    y,
                    size,
                    bold: run_bold,
                    text,
                });
                run_x = cx;
            }
            if run.is_empty() {
                run_x = cx;
            }
            run_bold = w.bold;
            run.push_str(&w.text);
            cx += self.font(w.bold).width(&w.text, size);
            if w.space_after && i + 1 < words.len() {
                run.push(' ');
                cx += space;
            }
        }
        if !run.is_empty() {
            self.ops().push(Op::Text {
                x: run_x,
                y,
                size,
                bold: run_bold,
                text: run,
            });
        }
    }

    fn paragraph(&mut self, spans: &[Span], x: f32, width: f32, size: f32, keep: usize) {
        let lh = size * LEADING;
        let lines = self.lines(spans, size, width);
        // Keep the first `keep` lines together (headings with their text).
        self.need(lh * keep.min(lines.len()).max(1) as f32);
        for l in lines {
            self.need(lh);
            self.y -= lh;
            let y = self.y + (lh - size) / 2.0;
            self.emit_line(&l, x, y, size);
        }
    }

    fn block(&mut self, b: &Block) {
        match b {
            Block::Heading(t) => {
                self.need(HEADING * LEADING + BODY * LEADING * 2.0 + 8.0);
                self.y -= 8.0;
                self.paragraph(&[Span::bold(t.clone())], MARGIN, WIDTH, HEADING, 1);
                self.y -= 2.0;
            }
            Block::Paragraph(spans) => {
                self.paragraph(spans, MARGIN, WIDTH, BODY, 2);
                self.y -= BODY * 0.6;
            }
            Block::Bullets(items) => {
                for item in items {
                    let lh = BODY * LEADING;
                    self.need(lh);
                    let top = self.y;
                    let page = self.pages.len();
                    self.paragraph(item, MARGIN + BULLET_INDENT, WIDTH - BULLET_INDENT, BODY, 1);
                    // The bullet goes beside the item's first line (which may
                    // have moved to a new page).
                    let first_y = if self.pages.len() == page {
                        top - lh + (lh - BODY) / 2.0
                    } else {
                        PAGE_H - MARGIN - lh + (lh - BODY) / 2.0
                    };
                    let bullet = Op::Text {
                        x: MARGIN + 3.0,
                        y: first_y,
                        size: BODY,
                        bold: false,
                        text: "•".into(),
                    };
                    if self.pages.len() == page {
                        self.ops().push(bullet);
                    } else if let Some(p) = self.pages.get_mut(page) {
                        p.push(bullet);
                    }
                    self.y -= 2.0;
                }
                self.y -= BODY * 0.4;
            }
            Block::Table(rows) => {
                let lh = BODY * LEADING;
                for (k, v) in rows {
                    let kl = self.lines(&[Span::bold(k.clone())], BODY, KEY_WIDTH - 8.0);
                    let vl = self.lines(&[Span::plain(v.clone())], BODY, WIDTH - KEY_WIDTH);
                    let n = kl.len().max(vl.len()).max(1);
                    let h = n as f32 * lh + 6.0;
                    self.need(h);
                    let top = self.y;
                    for (i, l) in kl.iter().enumerate() {
                        let y = top - 3.0 - (i as f32 + 1.0) * lh + (lh - BODY) / 2.0;
                        self.emit_line(l, MARGIN, y, BODY);
                    }
                    for (i, l) in vl.iter().enumerate() {
                        let y = top - 3.0 - (i as f32 + 1.0) * lh + (lh - BODY) / 2.0;
                        self.emit_line(l, MARGIN + KEY_WIDTH, y, BODY);
                    }
                    self.y = top - h;
                    let y = self.y;
                    self.ops().push(Op::Rule {
                        x1: MARGIN,
                        x2: MARGIN + WIDTH,
                        y,
                    });
                }
                self.y -= BODY * 0.8;
            }
            Block::Grid(g) => self.grid(g),
            Block::Figure(f) => self.figure(f),
        }
    }

    /// A figure at the left margin and its paragraphs beside it, kept on
    /// one page; the block is as tall as the taller of the two.
    fn figure(&mut self, f: &Figure) {
        let lh = BODY * LEADING;
        let scale = if f.width > WIDTH {
            WIDTH / f.width
        } else {
            1.0
        };
        let (fw, fh) = (f.width * scale, f.height * scale);
        let text_x = MARGIN + fw + FIGURE_GAP;
        let text_w = (WIDTH - fw - FIGURE_GAP).max(40.0);
        let paragraphs: Vec<Vec<Vec<Word>>> = f
            .beside
            .iter()
            .map(|p| self.lines(p, BODY, text_w))
            .collect();
        let gap = BODY * 0.4;
        let lines: usize = paragraphs.iter().map(Vec::len).sum();
        let text_h = lines as f32 * lh + gap * paragraphs.len().saturating_sub(1) as f32;
        self.need(fh.max(text_h) + 4.0);
        let top = self.y - 4.0;
        let rects = f
            .rects
            .iter()
            .map(|r| {
                let h = r.h * scale;
                [MARGIN + r.x * scale, top - r.y * scale - h, r.w * scale, h]
            })
            .collect();
        self.ops().push(Op::Fill(rects));
        let mut y = top;
        for p in &paragraphs {
            for l in p {
                y -= lh;
                self.emit_line(l, text_x, y + (lh - BODY) / 2.0, BODY);
            }
            y -= gap;
        }
        self.y = top - fh.max(text_h) - BODY * 0.8;
    }

    /// One grid row: each cell wrapped in its column, the row as tall as
    /// its tallest cell, a rule under it; the header repeats on a new page.
    fn grid_row(&mut self, g: &Grid, cells: &[String], bold: bool, widths: &[f32]) -> bool {
        const PAD: f32 = 4.0;
        let lh = BODY * LEADING;
        let mut wrapped = Vec::with_capacity(widths.len());
        for (i, w) in widths.iter().enumerate() {
            let text = cells.get(i).map(String::as_str).unwrap_or("");
            let span = if bold {
                Span::bold(text)
            } else {
                Span::plain(text)
            };
            wrapped.push(self.lines(&[span], BODY, (w - 2.0 * PAD).max(10.0)));
        }
        let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let h = n as f32 * lh + 6.0;
        let paged = self.pages.is_empty() || self.y - h < BOTTOM;
        self.need(h);
        let top = self.y;
        let mut x = MARGIN;
        for (i, lines) in wrapped.iter().enumerate() {
            let w = widths[i];
            for (j, l) in lines.iter().enumerate() {
                let y = top - 3.0 - (j as f32 + 1.0) * lh + (lh - BODY) / 2.0;
                let lx = if g.columns[i].right {
                    x + w - PAD - self.line_width(l, BODY)
                } else {
                    x + PAD
                };
                self.emit_line(l, lx, y, BODY);
            }
            x += w;
        }
        self.y = top - h;
        let y = self.y;
        self.ops().push(Op::Rule {
            x1: MARGIN,
            x2: MARGIN + WIDTH,
            y,
        });
        paged
    }

    fn line_width(&self, words: &[Word], size: f32) -> f32 {
        let space = self.regular.width(" ", size);
        let mut w = 0.0;
        for (i, word) in words.iter().enumerate() {
            w += self.font(word.bold).width(&word.text, size);
            if word.space_after && i + 1 < words.len() {
                w += space;
            }
        }
        w
    }

    fn grid(&mut self, g: &Grid) {
        if g.columns.is_empty() {
            return;
        }
        let total: f32 = g.columns.iter().map(|c| c.share.max(0.01)).sum();
        let widths: Vec<f32> = g
            .columns
            .iter()
            .map(|c| WIDTH * c.share.max(0.01) / total)
            .collect();
        let header: Vec<String> = g.columns.iter().map(|c| c.title.clone()).collect();
        let lh = BODY * LEADING;
        // The header stays with the first row.
        self.need(2.0 * (lh + 6.0));
        self.grid_row(g, &header, true, &widths);
        for (i, row) in g.rows.iter().enumerate() {
            let bold = g.bold_last && i + 1 == g.rows.len();
            let before = self.pages.len();
            let paged = self.grid_row(g, row, bold, &widths);
            if paged && self.pages.len() > before {
                // The row moved to a new page: repeat the header above it.
                if let Some(p) = self.pages.last_mut() {
                    p.clear();
                }
                self.y = PAGE_H - MARGIN;
                self.grid_row(g, &header, true, &widths);
                self.grid_row(g, row, bold, &widths);
            }
        }
        self.y -= BODY * 0.8;
    }
}

/// A decoded logo ready to embed.
struct Logo {
    width: u32,
    height: u32,
    /// Already compressed samples and their filter.
    samples: Vec<u8>,
    filter: Filter,
    gray: bool,
    /// Compressed 8-bit alpha channel, if any.
    alpha: Option<Vec<u8>>,
}

fn jpeg_size(data: &[u8]) -> Option<(u32, u32, u8)> {
    let mut i = 2;
    while i + 9 < data.len() {
        if data[i] != 0xFF {
            return None;
        }
        let marker = data[i + 1];
        let len = usize::from(u16::from_be_bytes([data[i + 2], data[i + 3]]));
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let h = u16::from_be_bytes([data[i + 5], data[i + 6]]);
            let w = u16::from_be_bytes([data[i + 7], data[i + 8]]);
            return Some((u32::from(w), u32::from(h), data[i + 9]));
        }
        i += 2 + len;
    }
    None
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

fn load_logo(data: &[u8]) -> Result<Logo, Error> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let (w, h, comps) =
            jpeg_size(data).ok_or_else(|| Error::Logo("no JPEG frame header".into()))?;
        if comps != 1 && comps != 3 {
            return Err(Error::Logo(
                "only grayscale or RGB JPEGs are supported".into(),
            ));
        }
        return Ok(Logo {
            width: w,
            height: h,
            samples: data.to_vec(),
            filter: Filter::DctDecode,
            gray: comps == 1,
            alpha: None,
        });
    }
    let mut dec = png::Decoder::new(std::io::Cursor::new(data));
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = dec.read_info().map_err(|e| Error::Logo(e.to_string()))?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| Error::Logo("image too large".into()))?;
    if size > 64 * 1024 * 1024 {
        return Err(Error::Logo("image too large".into()));
    }
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| Error::Logo(e.to_string()))?;
    let px = &buf[..info.buffer_size()];
    let (color, alpha, gray): (Vec<u8>, Option<Vec<u8>>, bool) = match info.color_type {
        png::ColorType::Grayscale => (px.to_vec(), None, true),
        png::ColorType::GrayscaleAlpha => (
            px.iter().step_by(2).copied().collect(),
            Some(px.iter().skip(1).step_by(2).copied().collect()),
            true,
        ),
        png::ColorType::Rgb => (px.to_vec(), None, false),
        png::ColorType::Rgba => (
            px.chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
            Some(px.chunks_exact(4).map(|p| p[3]).collect()),
            false,
        ),
        png::ColorType::Indexed => {
            return Err(Error::Logo("palette image was not expanded".into()));
        }
    };
    Ok(Logo {
        width: info.width,
        height: info.height,
        samples: deflate(&color),
        filter: Filter::FlateDecode,
        gray,
        alpha: alpha.map(|a| deflate(&a)),
    })
}

/// Renders `doc` as PDF bytes.
pub fn render(doc: &Document) -> Result<Vec<u8>, Error> {
    let shared = shared_fonts()?;
    let mut regular = Font::load(REGULAR, &shared[0])?;
    let mut bold = Font::load(BOLD, &shared[1])?;
    let logo = doc.logo.as_deref().map(load_logo).transpose()?;

    // 1. Layout.
    let mut layout = Layout {
        regular: &regular,
        bold: &bold,
        pages: Vec::new(),
        y: PAGE_H - MARGIN,
    };
    layout.new_page();
    if let Some(l) = &logo {
        let scale = (LOGO_MAX_H / l.height as f32).min(LOGO_MAX_W / l.width as f32);
        let (w, h) = (l.width as f32 * scale, l.height as f32 * scale);
        let y = layout.y - h;
        layout.ops().push(Op::Logo { x: MARGIN, y, w, h });
        layout.y -= h + 12.0;
    }
    if !doc.title.trim().is_empty() {
        layout.paragraph(&[Span::bold(doc.title.clone())], MARGIN, WIDTH, TITLE, 1);
        layout.y -= 10.0;
    }
    for b in &doc.blocks {
        layout.block(b);
    }
    let pages = std::mem::take(&mut layout.pages);
    let count = pages.len();

    // 2. Content streams (glyph ids are assigned in the subset's numbering
    // as text is encoded).
    let mut contents: Vec<Vec<u8>> = Vec::with_capacity(count);
    for (i, ops) in pages.iter().enumerate() {
        let mut c = Content::new();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: b,
                    text,
                } => {
                    let (name, font) = if *b {
                        (Name(b"F2"), &mut bold)
                    } else {
                        (Name(b"F1"), &mut regular)
                    };
                    let glyphs = font.encode(text);
                    c.begin_text();
                    c.set_font(name, *size);
                    c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]);
                    c.show(Str(&glyphs));
                    c.end_text();
                }
                Op::Rule { x1, x2, y } => {
                    c.save_state();
                    c.set_stroke_gray(0.8);
                    c.set_line_width(0.5);
                    c.move_to(*x1, *y);
                    c.line_to(*x2, *y);
                    c.stroke();
                    c.restore_state();
                }
                Op::Fill(rects) => {
                    c.save_state();
                    c.set_fill_gray(0.0);
                    for [x, y, w, h] in rects {
                        c.rect(*x, *y, *w, *h);
                    }
                    c.fill_nonzero();
                    c.restore_state();
                }
                Op::Logo { x, y, w, h } => {
                    c.save_state();
                    c.transform([*w, 0.0, 0.0, *h, *x, *y]);
                    c.x_object(Name(b"Im1"));
                    c.restore_state();
                }
            }
        }
        if !doc.footer.is_empty() {
            let text = doc
                .footer
                .replace("{page}", &(i + 1).to_string())
                .replace("{pages}", &count.to_string());
            let w = regular.width(&text, FOOTER);
            let glyphs = regular.encode(&text);
            c.set_fill_gray(0.35);
            c.begin_text();
            c.set_font(Name(b"F1"), FOOTER);
            c.set_text_matrix([1.0, 0.0, 0.0, 1.0, (PAGE_W - w) / 2.0, MARGIN - 20.0]);
            c.show(Str(&glyphs));
            c.end_text();
        }
        contents.push(deflate(&c.finish()));
    }

    // 3. Objects.
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let fonts = [
        (alloc(), &regular, "LMAAAA+DejaVuSans", 80.0),
        (alloc(), &bold, "LMAAAB+DejaVuSans-Bold", 140.0),
    ];
    let image = logo.as_ref().map(|_| (alloc(), alloc()));
    let page_ids: Vec<(Ref, Ref)> = (0..count).map(|_| (alloc(), alloc())).collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(count as i32);
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&doc.title))
        .producer(pdf_writer::TextStr("Lastmile pdfdoc"));

    for ((page, content), data) in page_ids.iter().zip(&contents) {
        let mut p = pdf.page(*page);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        p.parent(tree);
        p.contents(*content);
        let mut res = p.resources();
        {
            let mut f = res.fonts();
            f.pair(Name(b"F1"), fonts[0].0);
            f.pair(Name(b"F2"), fonts[1].0);
        }
        if let Some((img, _)) = image {
            res.x_objects().pair(Name(b"Im1"), img);
        }
        res.finish();
        p.finish();
        pdf.stream(*content, data).filter(Filter::FlateDecode);
    }

    for (id, font, base, stem) in fonts {
        let cid = alloc();
        let desc = alloc();
        let file = alloc();
        let cmap_id = alloc();
        let name = Name(base.as_bytes());
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(id)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap_id);
        let scale = 1000.0 / font.upem;
        let widths: Vec<f32> = font
            .remap
            .remapped_gids()
            .map(|old| font.advance(GlyphId::from(old)) * scale)
            .collect();
        pdf.cid_font(cid)
            .subtype(CidFontType::Type2)
            .base_font(name)
            .system_info(info)
            .font_descriptor(desc)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"))
            .widths()
            .consecutive(0, widths);
        let bb = font.metrics.bounds.unwrap_or_default();
        pdf.font_descriptor(desc)
            .name(name)
            .flags(FontFlags::NON_SYMBOLIC)
            .bbox(Rect::new(
                bb.x_min * scale,
                bb.y_min * scale,
                bb.x_max * scale,
                bb.y_max * scale,
            ))
            .italic_angle(0.0)
            .ascent(font.metrics.ascent * scale)
            .descent(font.metrics.descent * scale)
            .cap_height(font.metrics.cap_height.unwrap_or(700.0) * scale)
            .stem_v(stem)
            .font_file2(file);
        let (data, common) = if std::ptr::eq(font, &regular) {
            (REGULAR, &shared[0])
        } else {
            (BOLD, &shared[1])
        };
        if font.remap.num_gids() == common.remap.num_gids() {
            pdf.stream(file, &common.stream).filter(Filter::FlateDecode);
        } else {
            let subset = subsetter::subset(data, 0, &font.remap)
                .map_err(|e| Error::Font(format!("{e:?}")))?;
            pdf.stream(file, &deflate(&subset))
                .filter(Filter::FlateDecode);
        }
        let mut cmap = UnicodeCmap::new(Name(b"Custom"), info);
        for (gid, c) in &font.used {
            cmap.pair(*gid, *c);
        }
        pdf.cmap(cmap_id, &cmap.finish());
    }

    if let (Some(l), Some((img, mask))) = (&logo, image) {
        let mut x = pdf.image_xobject(img, &l.samples);
        x.filter(l.filter);
        x.width(l.width as i32);
        x.height(l.height as i32);
        if l.gray {
            x.color_space().device_gray();
        } else {
            x.color_space().device_rgb();
        }
        x.bits_per_component(8);
        if l.alpha.is_some() {
            x.s_mask(mask);
        }
        x.finish();
        if let Some(a) = &l.alpha {
            let mut m = pdf.image_xobject(mask, a);
            m.filter(Filter::FlateDecode);
            m.width(l.width as i32);
            m.height(l.height as i32);
            m.color_space().device_gray();
            m.bits_per_component(8);
        }
    }
    Ok(pdf.finish())
}
