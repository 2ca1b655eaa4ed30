//! CNAB 240 and CNAB 400: the fixed-width files banks and companies exchange
//! to register boletos (*remessa*) and to report what happened to them
//! (*retorno*: registrations, payments, rejections, write-offs).
//!
//! Layouts are data ([`Layout`], [`RecordLayout`], [`Field`]): FEBRABAN's
//! CNAB 240 tables with each bank's differences as replacement fields, and
//! the banks' own CNAB 400 tables. The parser streams over any
//! [`BufRead`], one line in memory at a time, and detects format, bank and
//! direction from the header.
//!
//! ```no_run
//! use std::io::Cursor;
//! // A CNAB 240 return file from Banco do Brasil.
//! let file = std::fs::read("retorno-bb.ret")?;
//! let mut paid = 0;
//! for record in brpay::cnab::parse_return(Cursor::new(file))? {
//!     let record = record?;
//!     if record.kind() == "segmento_u" {
//!         paid += record.money("valor_pago").unwrap_or(0);
//!     }
//! }
//! assert_eq!(paid, 4000 + 3000 + 1500 + 1500 + 2880);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod layouts;
mod remessa;

pub use remessa::{Beneficiary, Payer, Remittance, Title, write_remittance};

use crate::boleto::banks::Bank;
use jiff::civil::Date;
use std::io::BufRead;

/// CNAB 240 or CNAB 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Format {
    /// 240 characters per line (FEBRABAN).
    Cnab240,
    /// 400 characters per line (each bank's own layout).
    Cnab400,
}

impl Format {
    /// Characters per line.
    pub fn line_len(self) -> usize {
        match self {
            Format::Cnab240 => 240,
            Format::Cnab400 => 400,
        }
    }
}

/// Remittance (company → bank) or return (bank → company).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Direction {
    /// *Remessa*: company to bank.
    Remessa,
    /// *Retorno*: bank to company.
    Retorno,
}

/// How a field's characters are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Any printable ASCII, left-aligned, space-padded.
    Alpha,
    /// Digits, right-aligned, zero-padded.
    Num,
    /// Digits with two implied decimals: centavos.
    Money,
    /// `DDMMAAAA`; zeros or spaces mean no date.
    Date8,
    /// `DDMMAA` (years 00–69 → 20xx, 70–99 → 19xx); zeros or spaces mean no date.
    Date6,
    /// `AAAAMMDD` (Sicredi); zeros or spaces mean no date.
    DateYmd,
}

/// One field of a record: 1-based inclusive column range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Name, shared by every layout for the same meaning (`valor_pago`…).
    pub name: &'static str,
    /// First column, 1-based.
    pub start: u16,
    /// Last column, inclusive.
    pub end: u16,
    /// How to read it.
    pub kind: FieldKind,
    /// The value every record of this kind carries, if fixed.
    pub constant: Option<&'static str>,
}

impl Field {
    /// Width in characters.
    pub fn width(&self) -> usize {
        usize::from(self.end - self.start + 1)
    }
    fn range(&self) -> std::ops::Range<usize> {
        usize::from(self.start - 1)..usize::from(self.end)
    }
}

/// The fields of one kind of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLayout {
    /// Record type (and segment for CNAB 240): `0`, `1`, `3P`, `3T`, `9`…
    pub code: &'static str,
    /// Human name: `header_arquivo`, `segmento_t`, `detalhe`…
    pub name: &'static str,
    /// Fields in column order, covering every column exactly once.
    pub fields: Vec<Field>,
}

impl RecordLayout {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A file layout: format, direction, bank and its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// CNAB 240 or 400.
    pub format: Format,
    /// Remessa or retorno.
    pub direction: Direction,
    /// The bank; `None` for FEBRABAN's generic CNAB 240.
    pub bank: Option<Bank>,
    /// Its records.
    pub records: Vec<RecordLayout>,
}

impl Layout {
    /// The layout for a bank, format and direction, if this crate has it.
    /// `bank: None` gives FEBRABAN's generic CNAB 240.
    ///
    /// ```
    /// use brpay::cnab::{Layout, Format, Direction};
    /// use brpay::boleto::banks::Bank;
    /// let l = Layout::find(Some(Bank::Santander), Format::Cnab240, Direction::Retorno).expect("layout");
    /// let t = l.record("3T").and_then(|r| r.field("nosso_numero")).expect("field");
    /// assert_eq!((t.start, t.end), (41, 53));
    /// ```
    pub fn find(
        bank: Option<Bank>,
        format: Format,
        direction: Direction,
    ) -> Option<&'static Layout> {
        layouts::all()
            .iter()
            .find(|l| l.bank == bank && l.format == format && l.direction == direction)
    }

    /// Every layout this crate knows.
    pub fn all() -> &'static [Layout] {
        layouts::all()
    }

    /// The record layout for a record code.
    pub fn record(&self, code: &str) -> Option<&RecordLayout> {
        self.records.iter().find(|r| r.code == code)
    }

    fn record_for(&self, line: &[u8]) -> Option<&RecordLayout> {
        let key: &[u8] = match self.format {
            Format::Cnab240 => match line.get(7) {
                Some(b'3') => line.get(7..=13).unwrap_or(&b"3"[..]),
                Some(_) => &line[7..8],
                None => return None,
            },
            Format::Cnab400 => line.get(..1)?,
        };
        self.records.iter().find(|r| {
            let c = r.code.as_bytes();
            match (self.format, c.len()) {
                (Format::Cnab240, 2) => key.len() == 7 && key[0] == c[0] && key[6] == c[1],
                _ => key.first() == c.first() && c.len() == 1,
            }
        })
    }
}

/// A parsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(untagged))]
pub enum Value {
    /// Alpha fields, trailing spaces removed; numeric fields as their digits.
    Text(String),
    /// Money in centavos.
    Money(i64),
    /// A date, or `None` when the file leaves it empty.
    Date(Option<Date>),
}

/// A parse or write error. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CnabError {
    /// Reading failed.
    #[error("line {line}: read error: {message}")]
    Io {
        /// Line being read.
        line: u64,
        /// The I/O error.
        message: String,
    },
    /// The file is empty.
    #[error("the file is empty")]
    Empty,
    /// The file is not plain ASCII.
    #[error(
        "line {line}, column {column}: byte 0x{byte:02X} is not ASCII; CNAB files are plain ASCII ({hint})"
    )]
    Encoding {
        /// Line.
        line: u64,
        /// Column.
        column: usize,
        /// The byte.
        byte: u8,
        /// A guess at what the file is.
        hint: &'static str,
    },
    /// A line whose length is not the format's.
    #[error("line {line}: {found} characters, expected {expected}")]
    LineLength {
        /// Line.
        line: u64,
        /// 240 or 400.
        expected: usize,
        /// Found.
        found: usize,
    },
    /// A header this crate has no layout for.
    #[error("line 1: no {format:?} {direction:?} layout for bank {bank_code}")]
    UnsupportedBank {
        /// Bank code in the header.
        bank_code: String,
        /// Format.
        format: Format,
        /// Direction.
        direction: Direction,
    },
    /// The header does not say remessa (1) or retorno (2).
    #[error("line 1, column {column}: expected 1 (remessa) or 2 (retorno), found {found:?}")]
    Direction {
        /// Column of the code.
        column: usize,
        /// What is there.
        found: String,
    },
    /// `parse_return` was given a remittance file.
    #[error("this is a remessa file, not a retorno")]
    NotReturn,
    /// A record type the layout does not have.
    #[error("line {line}: unknown record type {found:?}")]
    UnknownRecord {
        /// Line.
        line: u64,
        /// Record type (and segment).
        found: String,
    },
    /// A field whose content does not fit its kind.
    #[error("line {line}, columns {start}-{end} ({field}): expected {expected}, found {found:?}")]
    Field {
        /// Line (0 when building a record).
        line: u64,
        /// First column.
        start: u16,
        /// Last column.
        end: u16,
        /// Field name.
        field: &'static str,
        /// What the layout expects.
        expected: &'static str,
        /// What is there.
        found: String,
    },
    /// The builder was given a field name the layout does not have.
    #[error("record {record} has no field {field}")]
    NoSuchField {
        /// Record name.
        record: &'static str,
        /// Field name.
        field: String,
    },
}

/// One record of a CNAB file: the line as read and its layout. Values are
/// decoded on demand; every field was validated when the line was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    line: u64,
    layout: &'static Layout,
    record: &'static RecordLayout,
    raw: String,
}

impl Record {
    /// Line number, 1-based.
    pub fn line(&self) -> u64 {
        self.line
    }
    /// Record name (`header_arquivo`, `segmento_t`, `detalhe`…).
    pub fn kind(&self) -> &'static str {
        self.record.name
    }
    /// The bank of the file.
    pub fn bank(&self) -> Option<Bank> {
        self.layout.bank
    }
    /// The file's layout.
    pub fn layout(&self) -> &'static Layout {
        self.layout
    }
    /// The record's layout.
    pub fn record_layout(&self) -> &'static RecordLayout {
        self.record
    }
    /// The line without its terminator.
    pub fn raw(&self) -> &str {
        &self.raw
    }
    /// The value of a field.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.record
            .field(name)
            .map(|f| decode(f, &self.raw.as_bytes()[f.range()]))
    }
    /// A text or numeric field as text (alpha fields without trailing spaces).
    pub fn text(&self, name: &str) -> Option<&str> {
        let f = self.record.field(name)?;
        let s = &self.raw[f.range()];
        Some(if f.kind == FieldKind::Alpha {
            s.trim_end()
        } else {
            s
        })
    }
    /// A money field in centavos.
    pub fn money(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Money(m) => Some(m),
            _ => None,
        }
    }
    /// A date field (`None` when absent or empty).
    pub fn date(&self, name: &str) -> Option<Date> {
        match self.get(name)? {
            Value::Date(d) => d,
            _ => None,
        }
    }
    /// Every field with its value, in column order.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, Value)> + '_ {
        self.record
            .fields
            .iter()
            .map(|f| (f.name, decode(f, &self.raw.as_bytes()[f.range()])))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeStruct};
        struct Fields<'a>(&'a Record);
        impl serde::Serialize for Fields<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.record.fields.len()))?;
                for (k, v) in self.0.fields() {
                    m.serialize_entry(k, &v)?;
                }
                m.end()
            }
        }
        let mut st = s.serialize_struct("Record", 5)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("format", &self.layout.format)?;
        st.serialize_field("bank", &self.layout.bank.map(Bank::code))?;
        st.serialize_field("kind", self.record.name)?;
        st.serialize_field("fields", &Fields(self))?;
        st.end()
    }
}

fn decode(f: &Field, s: &[u8]) -> Value {
    let text = || String::from_utf8_lossy(s).into_owned();
    match f.kind {
        FieldKind::Alpha => Value::Text(String::from_utf8_lossy(s).trim_end().to_owned()),
        FieldKind::Num => Value::Text(text()),
        FieldKind::Money => Value::Money(s.iter().fold(0i64, |a, c| a * 10 + i64::from(c - b'0'))),
        FieldKind::Date8 | FieldKind::Date6 | FieldKind::DateYmd => {
            Value::Date(parse_date(f.kind, s).ok().flatten())
        }
    }
}

fn num(s: &[u8]) -> u32 {
    s.iter()
        .fold(0u32, |a, c| a * 10 + u32::from(c.wrapping_sub(b'0')))
}

/// `Ok(None)` for an empty date (zeros or spaces), `Err` for a bad one.
fn parse_date(kind: FieldKind, s: &[u8]) -> Result<Option<Date>, ()> {
    if s.iter().all(|&b| b == b'0') || s.iter().all(|&b| b == b' ') {
        return Ok(None);
    }
    if !s.iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    let (d, m, y) = match kind {
        FieldKind::Date6 => {
            let y = num(&s[4..6]) as i32;
            let y = if y < 70 { 2000 + y } else { 1900 + y };
            (num(&s[0..2]), num(&s[2..4]), y)
        }
        FieldKind::DateYmd => (num(&s[6..8]), num(&s[4..6]), num(&s[0..4]) as i32),
        _ => (num(&s[0..2]), num(&s[2..4]), num(&s[4..8]) as i32),
    };
    // At most four digits of year and two of month and day: they fit.
    let (y, m, d) = (
        i16::try_from(y).map_err(|_| ())?,
        i8::try_from(m).map_err(|_| ())?,
        i8::try_from(d).map_err(|_| ())?,
    );
    Date::new(y, m, d).map(Some).map_err(|_| ())
}

fn validate(line_no: u64, f: &Field, s: &[u8]) -> Result<(), CnabError> {
    let err = |expected: &'static str| CnabError::Field {
        line: line_no,
        start: f.start,
        end: f.end,
        field: f.name,
        expected,
        found: String::from_utf8_lossy(s).into_owned(),
    };
    if f.constant.is_some_and(|c| s != c.as_bytes()) {
        return Err(err("the layout's fixed value"));
    }
    match f.kind {
        FieldKind::Alpha => Ok(()),
        FieldKind::Num | FieldKind::Money => {
            if s.iter().all(u8::is_ascii_digit) {
                Ok(())
            } else {
                Err(err("digits"))
            }
        }
        FieldKind::Date8 => parse_date(f.kind, s)
            .map(|_| ())
            .map_err(|_| err("a date DDMMAAAA or zeros")),
        FieldKind::Date6 => parse_date(f.kind, s)
            .map(|_| ())
            .map_err(|_| err("a date DDMMAA or zeros")),
        FieldKind::DateYmd => parse_date(f.kind, s)
            .map(|_| ())
            .map_err(|_| err("a date AAAAMMDD or zeros")),
    }
}

/// Streaming parser over a CNAB file; yields one [`Record`] per line.
pub struct Parser<R> {
    reader: R,
    layout: &'static Layout,
    buf: Vec<u8>,
    line: u64,
    pending: Option<Vec<u8>>,
    done: bool,
}

impl<R: BufRead> Parser<R> {
    /// The layout detected from the header.
    pub fn layout(&self) -> &'static Layout {
        self.layout
    }

    fn read_line(&mut self) -> Result<Option<Vec<u8>>, CnabError> {
        if let Some(p) = self.pending.take() {
            return Ok(Some(p));
        }
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| CnabError::Io {
                    line: self.line + 1,
                    message: e.to_string(),
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let mut end = self.buf.len();
            while end > 0 && matches!(self.buf[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            // a DOS end-of-file mark or a blank last line carries no record
            if end == 0 || (end == 1 && self.buf[0] == 0x1A) {
                continue;
            }
            return Ok(Some(self.buf[..end].to_vec()));
        }
    }

    fn record(&self, mut bytes: Vec<u8>) -> Result<Record, CnabError> {
        let line = self.line;
        check_ascii(line, &bytes)?;
        let want = self.layout.format.line_len();
        // real files sometimes carry trailing spaces past the last column
        if bytes.len() > want && bytes[want..].iter().all(|&b| b == b' ') {
            bytes.truncate(want);
        }
        if bytes.len() != want {
            return Err(CnabError::LineLength {
                line,
                expected: want,
                found: bytes.len(),
            });
        }
        let record = self
            .layout
            .record_for(&bytes)
            .ok_or_else(|| CnabError::UnknownRecord {
                line,
                found: match self.layout.format {
                    Format::Cnab240 => format!("{}{}", char::from(bytes[7]), char::from(bytes[13]))
                        .trim()
                        .to_owned(),
                    Format::Cnab400 => char::from(bytes[0]).to_string(),
                },
            })?;
        for f in &record.fields {
            validate(line, f, &bytes[f.range()])?;
        }
        // checked ASCII above, so this cannot fail
        let raw = String::from_utf8(bytes).map_err(|_| CnabError::Empty)?;
        Ok(Record {
            line,
            layout: self.layout,
            record,
            raw,
        })
    }
}

impl<R: BufRead> Iterator for Parser<R> {
    type Item = Result<Record, CnabError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_line() {
            Ok(Some(bytes)) => {
                let r = self.record(bytes);
                if r.is_err() {
                    // a structural error makes every later line suspect
                    self.done = matches!(r, Err(CnabError::Io { .. }));
                }
                Some(r)
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn check_ascii(line: u64, bytes: &[u8]) -> Result<(), CnabError> {
    if let Some(i) = bytes
        .iter()
        .position(|&b| !(b == b' ' || b.is_ascii_graphic()))
    {
        let b = bytes[i];
        let hint = if b == 0 || bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
        {
            "this looks like UTF-16; save it as ASCII"
        } else if b >= 0xC2 && bytes.get(i + 1).is_some_and(|n| (0x80..0xC0).contains(n)) {
            "this looks like UTF-8 with accents; banks expect ASCII without accents"
        } else if b >= 0x80 {
            "this looks like Latin-1 with accents; banks expect ASCII without accents"
        } else {
            "control characters are not allowed"
        };
        return Err(CnabError::Encoding {
            line,
            column: i + 1,
            byte: b,
            hint,
        });
    }
    Ok(())
}

/// Opens a CNAB file of either direction: reads the header, detects format
/// (by line length), direction and bank, and returns a streaming iterator
/// whose first item is the header record.
pub fn parse<R: BufRead>(reader: R) -> Result<Parser<R>, CnabError> {
    let mut p = Parser {
        reader,
        layout: &layouts::all()[0],
        buf: Vec::with_capacity(512),
        line: 0,
        pending: None,
        done: false,
    };
    let first = p.read_line()?.ok_or(CnabError::Empty)?;
    check_ascii(1, &first)?;
    let trimmed = first.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    let format = match first.len() {
        240 => Format::Cnab240,
        400 => Format::Cnab400,
        n if n > 240 && trimmed <= 240 => Format::Cnab240,
        n if n > 400 && trimmed <= 400 => Format::Cnab400,
        n => {
            return Err(CnabError::LineLength {
                line: 1,
                expected: if n < 320 { 240 } else { 400 },
                found: n,
            });
        }
    };
    let (dir_col, code) = match format {
        Format::Cnab240 => (143, &first[0..3]),
        Format::Cnab400 => (2, &first[76..79]),
    };
    let direction = match first[dir_col - 1] {
        b'1' => Direction::Remessa,
        b'2' => Direction::Retorno,
        other => {
            return Err(CnabError::Direction {
                column: dir_col,
                found: char::from(other).to_string(),
            });
        }
    };
    let code = String::from_utf8_lossy(code).into_owned();
    let bank = Bank::from_code(&code);
    let layout = Layout::find(bank, format, direction)
        .or_else(|| {
            // any FEBRABAN-conformant bank can be read with the generic layout
            (format == Format::Cnab240 && code.bytes().all(|b| b.is_ascii_digit()))
                .then(|| Layout::find(None, format, direction))
                .flatten()
        })
        .ok_or(CnabError::UnsupportedBank {
            bank_code: code,
            format,
            direction,
        })?;
    p.layout = layout;
    p.pending = Some(first);
    Ok(p)
}

/// [`parse`] for return files: refuses a remittance.
pub fn parse_return<R: BufRead>(reader: R) -> Result<Parser<R>, CnabError> {
    let p = parse(reader)?;
    if p.layout.direction != Direction::Retorno {
        return Err(CnabError::NotReturn);
    }
    Ok(p)
}

/// Builds one record: every field starts blank (spaces for alpha, zeros
/// otherwise, or the layout's fixed value) and is set by name.
///
/// ```
/// use brpay::cnab::{Layout, Format, Direction, RecordBuilder, Value};
/// let layout = Layout::find(None, Format::Cnab240, Direction::Retorno).expect("layout");
/// let mut b = RecordBuilder::new(layout.record("3U").expect("U"));
/// b.set("valor_pago", Value::Money(4000))?;
/// let line = b.finish();
/// assert_eq!(line.len(), 240);
/// assert_eq!(&line[77..92], "000000000004000");
/// # Ok::<(), brpay::cnab::CnabError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordBuilder<'a> {
    record: &'a RecordLayout,
    line: Vec<u8>,
}

impl<'a> RecordBuilder<'a> {
    /// A blank record.
    pub fn new(record: &'a RecordLayout) -> Self {
        let len = record.fields.last().map_or(0, |f| usize::from(f.end));
        let mut line = vec![b' '; len];
        for f in &record.fields {
            let fill: Vec<u8> = match (f.constant, f.kind) {
                (Some(c), _) => c.bytes().collect(),
                (None, FieldKind::Alpha) => vec![b' '; f.width()],
                (None, _) => vec![b'0'; f.width()],
            };
            line[f.range()].copy_from_slice(&fill[..f.width().min(fill.len())]);
        }
        RecordBuilder { record, line }
    }

    /// Whether the layout has a field.
    pub fn has(&self, name: &str) -> bool {
        self.record.field(name).is_some()
    }

    /// A field's width, if the layout has it.
    pub fn width(&self, name: &str) -> Option<usize> {
        self.record.field(name).map(Field::width)
    }

    /// A field's kind, if the layout has it.
    pub fn kind(&self, name: &str) -> Option<FieldKind> {
        self.record.field(name).map(|f| f.kind)
    }

    /// Sets a field; accents in alpha fields are folded to ASCII.
    pub fn set(&mut self, name: &str, value: Value) -> Result<&mut Self, CnabError> {
        let f = *self
            .record
            .field(name)
            .ok_or_else(|| CnabError::NoSuchField {
                record: self.record.name,
                field: name.to_owned(),
            })?;
        let w = f.width();
        let err = |expected: &'static str, found: String| CnabError::Field {
            line: 0,
            start: f.start,
            end: f.end,
            field: f.name,
            expected,
            found,
        };
        let bytes: Vec<u8> = match (f.kind, value) {
            (FieldKind::Alpha, Value::Text(t)) => {
                let t =
                    crate::pix::fold_accents(&t).map_err(|c| err("ASCII text", c.to_string()))?;
                if t.len() > w {
                    return Err(err("text that fits the field", t));
                }
                format!("{t:<w$}").into_bytes()
            }
            (FieldKind::Num, Value::Text(t)) => {
                if t.len() > w || !t.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("digits that fit the field", t));
                }
                format!("{t:0>w$}").into_bytes()
            }
            (FieldKind::Money, Value::Money(m)) => {
                let s = m.to_string();
                if m < 0 || s.len() > w {
                    return Err(err("a non-negative amount that fits the field", s));
                }
                format!("{s:0>w$}").into_bytes()
            }
            (FieldKind::Date8, Value::Date(d)) => match d {
                Some(d) => format!("{:02}{:02}{:04}", d.day(), d.month(), d.year()).into_bytes(),
                None => vec![b'0'; w],
            },
            (FieldKind::DateYmd, Value::Date(d)) => match d {
                Some(d) => format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()).into_bytes(),
                None => vec![b'0'; w],
            },
            (FieldKind::Date6, Value::Date(d)) => match d {
                Some(d) if (1970..2070).contains(&d.year()) => {
                    format!("{:02}{:02}{:02}", d.day(), d.month(), d.year() % 100).into_bytes()
                }
                Some(d) => return Err(err("a date between 1970 and 2069", d.to_string())),
                None => vec![b'0'; w],
            },
            (_, v) => return Err(err("a value of the field's kind", format!("{v:?}"))),
        };
        if bytes.len() != w {
            return Err(err(
                "a value of the field's width",
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
        self.line[f.range()].copy_from_slice(&bytes);
        Ok(self)
    }

    /// Sets a field only if the layout has it.
    pub fn set_if(&mut self, name: &str, value: Value) -> Result<&mut Self, CnabError> {
        if self.has(name) {
            self.set(name, value)?;
        }
        Ok(self)
    }

    /// The finished line (no terminator).
    pub fn finish(&self) -> String {
        String::from_utf8_lossy(&self.line).into_owned()
    }
}

#[cfg(test)]
mod tests;
