//! Small, plain PDF documents: a title, headings, paragraphs with bold runs,
//! bullet lists, key/value tables, an optional PNG or JPEG logo and page
//! numbers, on A4, in one embedded font (DejaVu Sans, regular and bold).
//! Nothing here knows about the application using it.
//!
//! Why these crates: `typst` would lay out anything but adds minutes of
//! build and megabytes of binary for a contract; `printpdf` pulls in a
//! larger tree and its own layout model. This crate writes the PDF objects
//! with `pdf-writer`, measures text with the font's real advance widths
//! through `skrifa` (Google's fontations, maintained; `ttf-parser` is not),
//! and embeds a subset via `subsetter`: one subset of Latin-1 and common
//! typographic marks per font, made once per process (a document of
//! Portuguese or English text is about 65 kB and renders in 2–3 ms), or the
//! document's own glyphs when it uses others; every Latin-1 character
//! (all of Portuguese) renders and extracts as text (a ToUnicode map is
//! written). `png` decodes logos; JPEG logos are embedded as they are.
//!
//! [`Figure`]s are drawn as vector rectangles (a QR code's modules, a
//! barcode's bars): sharp at any zoom and printer, and no image to encode.
//!
//! Text is laid out left-aligned with greedy line breaking at spaces; a word
//! wider than a line is broken between characters. Kerning and ligatures are
//! not applied, which is fine for Latin text at these sizes.
//!
//! [`markup`] parses the small Markdown-like text providers write
//! templates in, with `{{placeholder}}` substitution.

pub mod markup;
mod render;

pub use render::render;

/// A document to render.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Shown large on the first page and stored as the PDF's title.
    pub title: String,
    pub blocks: Vec<Block>,
    /// A PNG or JPEG drawn at the top of the first page.
    pub logo: Option<Vec<u8>>,
    /// Footer on every page; `{page}` and `{pages}` are replaced by the
    /// page number and count (e.g. `Página {page} de {pages}`). Empty for
    /// no footer.
    pub footer: String,
}

/// A block of content, laid out top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    Paragraph(Vec<Span>),
    /// One item per entry, each a run of spans.
    Bullets(Vec<Vec<Span>>),
    /// Rows of (key, value), keys in bold.
    Table(Vec<(String, String)>),
    /// Rows under a bold header row, in columns of fixed shares of the
    /// page width (invoice lines, tax breakdowns, statements).
    Grid(Grid),
    /// A drawing of black rectangles with text beside it.
    Figure(Figure),
}

/// A drawing made of filled black rectangles (a QR code, a barcode) at the
/// left margin, with paragraphs to its right. A figure wider than the text
/// column is scaled down to fit it; one taller than a page is not split.
///
/// ```
/// use pdfdoc::{Block, Document, Figure, Span};
/// // A 3 × 3 checkerboard, 30 points wide, with a line of text beside it.
/// let dark = [true, false, true, false, true, false, true, false, true];
/// let figure = Figure::matrix(3, &dark, 30.0, 0).beside(vec![vec![Span::plain("Scan me")]]);
/// assert_eq!(figure.rects.len(), 5);
/// let pdf = pdfdoc::render(&Document { blocks: vec![Block::Figure(figure)], ..Default::default() })?;
/// assert!(pdf.starts_with(b"%PDF-"));
/// # Ok::<(), pdfdoc::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figure {
    /// The drawing's width and height in points (1/72 inch).
    pub width: f32,
    pub height: f32,
    /// Filled rectangles, in points from the drawing's top-left corner.
    pub rects: Vec<Rect>,
    /// Paragraphs laid out to the right of the drawing; empty for none.
    pub beside: Vec<Vec<Span>>,
}

/// A rectangle in points; `x` rightwards and `y` downwards from the
/// top-left corner of its [`Figure`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Figure {
    /// A square two-dimensional code (a QR code) of `side` × `side`
    /// modules, `dark[row * side + column]` true for a dark module, drawn
    /// `size` points wide with a light margin of `quiet` modules on every
    /// side (inside `size`). A run of dark modules in a row becomes one
    /// rectangle, so a QR code is a few hundred rectangles, not thousands.
    /// Missing entries of `dark` are light.
    pub fn matrix(side: usize, dark: &[bool], size: f32, quiet: usize) -> Figure {
        let cells = side + 2 * quiet;
        let module = if cells == 0 { 0.0 } else { size / cells as f32 };
        let mut rects = Vec::new();
        for row in 0..side {
            let mut col = 0;
            while col < side {
                if !dark.get(row * side + col).copied().unwrap_or(false) {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < side && dark.get(row * side + col).copied().unwrap_or(false) {
                    col += 1;
                }
                rects.push(Rect {
                    x: (start + quiet) as f32 * module,
                    y: (row + quiet) as f32 * module,
                    w: (col - start) as f32 * module,
                    h: module,
                });
            }
        }
        Figure {
            width: size,
            height: size,
            rects,
            beside: Vec::new(),
        }
    }

    /// A linear barcode from its elements in order, each `(is_bar, width)`
    /// with widths in narrow units (1 narrow, 3 wide for Interleaved 2 of
    /// 5), stretched to `width` × `height` points; spaces are left light.
    pub fn bars(elements: &[(bool, u8)], width: f32, height: f32) -> Figure {
        let units: u32 = elements.iter().map(|(_, w)| u32::from(*w)).sum();
        let unit = if units == 0 {
            0.0
        } else {
            width / units as f32
        };
        let mut rects = Vec::new();
        let mut x = 0.0;
        for (bar, w) in elements {
            let w = f32::from(*w) * unit;
            if *bar {
                rects.push(Rect {
                    x,
                    y: 0.0,
                    w,
                    h: height,
                });
            }
            x += w;
        }
        Figure {
            width,
            height,
            rects,
            beside: Vec::new(),
        }
    }

    /// This figure with `paragraphs` to its right.
    pub fn beside(mut self, paragraphs: Vec<Vec<Span>>) -> Figure {
        self.beside = paragraphs;
        self
    }
}

/// A table with titled columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub columns: Vec<Column>,
    /// One cell per column; a row with fewer cells leaves the rest empty.
    pub rows: Vec<Vec<String>>,
    /// Draws the last row in bold (a total).
    pub bold_last: bool,
}

/// A column of a [`Grid`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub title: String,
    /// Share of the page width; the shares of a grid's columns are scaled
    /// to fill the width.
    pub share: f32,
    /// Right-aligned (amounts).
    pub right: bool,
}

impl Column {
    pub fn left(title: impl Into<String>, share: f32) -> Column {
        Column {
            title: title.into(),
            share,
            right: false,
        }
    }
    pub fn right(title: impl Into<String>, share: f32) -> Column {
        Column {
            title: title.into(),
            share,
            right: true,
        }
    }
}

/// A run of text, bold or regular.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub bold: bool,
}

impl Span {
    pub fn plain(text: impl Into<String>) -> Span {
        Span {
            text: text.into(),
            bold: false,
        }
    }
    pub fn bold(text: impl Into<String>) -> Span {
        Span {
            text: text.into(),
            bold: true,
        }
    }
}

impl Block {
    /// Applies `f` to every piece of text in the block (for filling
    /// placeholders after parsing, so values are never read as markup).
    pub fn map_text<E>(&mut self, f: &mut impl FnMut(&str) -> Result<String, E>) -> Result<(), E> {
        match self {
            Block::Heading(t) => *t = f(t)?,
            Block::Paragraph(spans) => {
                for s in spans {
                    s.text = f(&s.text)?;
                }
            }
            Block::Bullets(items) => {
                for spans in items {
                    for s in spans {
                        s.text = f(&s.text)?;
                    }
                }
            }
            Block::Table(rows) => {
                for (k, v) in rows {
                    *k = f(k)?;
                    *v = f(v)?;
                }
            }
            Block::Figure(fig) => {
                for spans in &mut fig.beside {
                    for s in spans {
                        s.text = f(&s.text)?;
                    }
                }
            }
            Block::Grid(g) => {
                for c in &mut g.columns {
                    c.title = f(&c.title)?;
                }
                for row in &mut g.rows {
                    for cell in row {
                        *cell = f(cell)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The logo is not a PNG or JPEG this crate can read.
    #[error("the logo is not a readable PNG or JPEG image: {0}")]
    Logo(String),
    /// The embedded font could not be read or subset (a build defect).
    #[error("font error: {0}")]
    Font(String),
}
