//! Pix BR Code: the Banco Central's profile of EMV QRCPS-MPM.
//!
//! A payload is a sequence of `ID (2 digits) LEN (2 digits) VALUE` fields,
//! closed by the CRC16/CCITT-FALSE of everything before it (tag `63`).
//! [`PixBuilder`] writes static (key) and dynamic (location URL) payloads;
//! [`parse`] reads them back and reports the tag and byte offset of any
//! defect.
//!
//! ```
//! use brpay::pix::{self, PixBuilder};
//! // BCB, "Manual de Padrões para Iniciação do Pix", section 6.2 (dynamic).
//! let p = PixBuilder::with_location("pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99")
//!     .merchant("EMPRESA", "SAO PAULO")
//!     .upper_case_gui()
//!     .build()?;
//! assert!(p.ends_with("6304EEAB"));
//! assert_eq!(pix::parse(&p)?.merchant_city, "SAO PAULO");
//! # Ok::<(), brpay::pix::PixError>(())
//! ```

mod key;
mod render;

pub use key::{KeyError, KeyKind, PixKey, detect_key_kind};
pub use render::{QUIET_ZONE, RenderError, qr_modules, render_png, render_svg};

use std::fmt::Write as _;

/// The GUI that marks the Pix merchant account template.
pub const PIX_GUI: &str = "br.gov.bcb.pix";
/// Maximum merchant name length (tag 59).
pub const MAX_NAME: usize = 25;
/// Maximum merchant city length (tag 60).
pub const MAX_CITY: usize = 15;
/// Maximum txid length in a static payload (tag 62-05).
pub const MAX_STATIC_TXID: usize = 25;

/// CRC16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR).
///
/// ```
/// assert_eq!(brpay::pix::crc16(b"123456789"), 0x29B1); // the catalogue check value
/// ```
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Static (`11`, reusable) or dynamic (`12`, single use) point of initiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Initiation {
    /// `01 02 11`: the QR code may be paid many times.
    Static,
    /// `01 02 12`: the QR code is for one payment.
    Dynamic,
}

/// A field that bank apps accept but the BCB manual does not allow, found
/// while decoding. Decoding goes on; building never produces one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Warning {
    /// The field, as a tag (`"60"`, `"62-05"`).
    pub tag: String,
    /// Byte offset of the field in the payload.
    pub offset: usize,
    /// What is outside the manual.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "tag {} at byte {}: {}",
            self.tag, self.offset, self.message
        )
    }
}

/// What a Pix BR Code carries, as parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PixPayload {
    /// Tag 01, when present.
    pub initiation: Option<Initiation>,
    /// The GUI as written (case varies between banks' apps).
    pub gui: String,
    /// Tag 26-01: the Pix key of a static payload.
    pub key: Option<String>,
    /// The key's kind, recognised by its shape.
    pub key_kind: Option<KeyKind>,
    /// Tag 26-02: free text for the payer.
    pub description: Option<String>,
    /// Tag 26-25: the URL of a dynamic charge, without `https://`.
    pub location: Option<String>,
    /// Tag 52: merchant category code (`0000` when not informed).
    pub mcc: String,
    /// Tag 53: ISO 4217 numeric currency, `986` for the real.
    pub currency: String,
    /// Tag 54 in centavos; `None` means the payer types the amount.
    pub amount: Option<i64>,
    /// Tag 54 as written (`"10.50"`, `"10.5"`), for display.
    pub amount_text: Option<String>,
    /// Tag 58: `BR`.
    pub country: String,
    /// Tag 59.
    pub merchant_name: String,
    /// Tag 60.
    pub merchant_city: String,
    /// Tag 61: CEP.
    pub postal_code: Option<String>,
    /// Tag 62-05: the reference label; `***` when none.
    pub txid: Option<String>,
    /// Tag 80-25 (Pix Automático): the URL of the recurrence the payer is
    /// asked to authorise, without `https://`.
    pub recurrence_location: Option<String>,
    /// Fields outside the manual that bank apps accept anyway.
    pub warnings: Vec<Warning>,
    /// Tag 63 as found (it was verified).
    pub crc: String,
    /// Other top-level tags (e.g. 27–51, 64, 81–99), kept verbatim.
    pub other: Vec<(String, String)>,
}

impl PixPayload {
    /// Whether this is a dynamic payload (a location URL or point of initiation 12).
    pub fn is_dynamic(&self) -> bool {
        self.location.is_some() || self.initiation == Some(Initiation::Dynamic)
    }

    /// Whether the code asks the payer to authorise a Pix Automático recurrence.
    pub fn is_recurrence(&self) -> bool {
        self.recurrence_location.is_some()
    }
}

/// Everything that can be wrong with a BR Code. Offsets are byte offsets into
/// the payload; `tag` names the field (`"26-01"` for a sub-field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixError {
    /// The payload ended inside a field.
    #[error("tag {tag}: truncated at byte {offset} (need {needed} more bytes)")]
    Truncated {
        /// The field being read.
        tag: String,
        /// Where it starts.
        offset: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// A tag or length is not two digits.
    #[error("byte {offset}: expected a two-digit {what}, found {found:?}")]
    BadHeader {
        /// `"tag"` or `"length"`.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// What was there.
        found: String,
    },
    /// The CRC does not match.
    #[error("tag 63 at byte {offset}: CRC expected {expected:04X}, found {found}")]
    Crc {
        /// Offset of tag 63.
        offset: usize,
        /// CRC computed over the payload.
        expected: u16,
        /// CRC written in the payload.
        found: String,
    },
    /// A mandatory field is missing.
    #[error("tag {tag} ({name}) is missing")]
    Missing {
        /// The tag.
        tag: &'static str,
        /// Its name.
        name: &'static str,
    },
    /// A field appears twice.
    #[error("tag {tag} at byte {offset} appears twice")]
    Duplicate {
        /// The tag.
        tag: String,
        /// Offset of the second occurrence.
        offset: usize,
    },
    /// A field has a value that is not allowed.
    #[error("tag {tag} at byte {offset}: {reason}")]
    Invalid {
        /// The tag.
        tag: String,
        /// Offset of the tag.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A value given to the builder is not allowed (no offset: nothing was written).
    #[error("{field}: {reason}")]
    Build {
        /// The builder field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The key given to the builder is not a valid Pix key.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Builds a BR Code payload.
///
/// ```
/// use brpay::pix::PixBuilder;
/// // The fields of the BCB manual's static example (section 6.1).
/// let p = PixBuilder::with_key("+5511943214321")
///     .merchant("EMPRESA", "BRASILIA")
///     .amount(6666)
///     .upper_case_gui()
///     .build()?;
/// assert_eq!(p, "00020126360014BR.GOV.BCB.PIX0114+551194321432152040000\
///                5303986540566.665802BR5907EMPRESA6008BRASILIA62070503***630404ED");
/// # Ok::<(), brpay::pix::PixError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct PixBuilder {
    key: Option<String>,
    location: Option<String>,
    description: Option<String>,
    name: String,
    city: String,
    amount: Option<i64>,
    txid: Option<String>,
    mcc: Option<String>,
    postal_code: Option<String>,
    unique: bool,
    gui_upper: bool,
}

impl PixBuilder {
    /// A static payload paying to a Pix key (validated at [`build`](Self::build)).
    pub fn with_key(key: &str) -> Self {
        PixBuilder {
            key: Some(key.to_owned()),
            ..Self::default()
        }
    }

    /// A dynamic payload pointing at the PSP's location URL (without `https://`).
    pub fn with_location(url: &str) -> Self {
        PixBuilder {
            location: Some(url.to_owned()),
            unique: true,
            ..Self::default()
        }
    }

    /// Merchant name (≤ 25) and city (≤ 15); accents are folded to ASCII.
    pub fn merchant(mut self, name: &str, city: &str) -> Self {
        self.name = name.to_owned();
        self.city = city.to_owned();
        self
    }

    /// Amount in centavos (tag 54); without it the payer chooses.
    pub fn amount(mut self, centavos: i64) -> Self {
        self.amount = Some(centavos);
        self
    }

    /// Reference label (tag 62-05): static payloads accept up to 25 letters
    /// and digits; dynamic ones only `***` (their txid lives at the location).
    pub fn txid(mut self, txid: &str) -> Self {
        self.txid = Some(txid.to_owned());
        self
    }

    /// Free text for the payer (tag 26-02), static payloads only.
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_owned());
        self
    }

    /// Merchant category code (tag 52), default `0000`.
    pub fn mcc(mut self, mcc: &str) -> Self {
        self.mcc = Some(mcc.to_owned());
        self
    }

    /// Postal code (tag 61, 8 digits).
    pub fn postal_code(mut self, cep: &str) -> Self {
        self.postal_code = Some(cep.to_owned());
        self
    }

    /// Marks a static payload as single-use (`01 02 12`).
    pub fn single_use(mut self) -> Self {
        self.unique = true;
        self
    }

    /// Writes the GUI in upper case (`BR.GOV.BCB.PIX`), as some banks do.
    pub fn upper_case_gui(mut self) -> Self {
        self.gui_upper = true;
        self
    }

    /// Validates every field and writes the payload with its CRC.
    pub fn build(&self) -> Result<String, PixError> {
        let name = clean_text("merchant name", &self.name, MAX_NAME)?;
        let city = clean_text("merchant city", &self.city, MAX_CITY)?;
        let gui = if self.gui_upper {
            "BR.GOV.BCB.PIX"
        } else {
            PIX_GUI
        };
        let mut mai = String::new();
        push(&mut mai, "00", gui);
        match (&self.key, &self.location) {
            (Some(k), None) => {
                let key = PixKey::parse(k)?;
                push(&mut mai, "01", key.as_str());
                if let Some(d) = &self.description {
                    let room = 99usize.saturating_sub(mai.len() + 4);
                    let d = clean_text("description", d, room)?;
                    push(&mut mai, "02", &d);
                }
            }
            (None, Some(url)) => {
                if url.is_empty() || url.len() > 77 || !url.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(build_err("location", "1 to 77 printable ASCII characters"));
                }
                if url.starts_with("http://") || url.starts_with("https://") {
                    return Err(build_err("location", "write the URL without the scheme"));
                }
                if self.description.is_some() {
                    return Err(build_err(
                        "description",
                        "dynamic payloads carry no description",
                    ));
                }
                push(&mut mai, "25", url);
            }
            _ => return Err(build_err("key", "either a key or a location, not both")),
        }
        if mai.len() > 99 {
            return Err(build_err(
                "merchant account",
                "tag 26 longer than 99 characters",
            ));
        }
        let mcc = self.mcc.as_deref().unwrap_or("0000");
        if mcc.len() != 4 || !mcc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(build_err("mcc", "four digits"));
        }
        let dynamic = self.location.is_some();
        let txid = self.txid.as_deref().unwrap_or("***");
        if txid != "***" {
            if dynamic {
                return Err(build_err("txid", "dynamic payloads use ***"));
            }
            if txid.is_empty()
                || txid.len() > MAX_STATIC_TXID
                || !txid.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(build_err("txid", "1 to 25 letters and digits, or ***"));
            }
        }

        let mut out = String::with_capacity(160);
        push(&mut out, "00", "01");
        if self.unique {
            push(&mut out, "01", "12");
        }
        push(&mut out, "26", &mai);
        push(&mut out, "52", mcc);
        push(&mut out, "53", "986");
        if let Some(a) = self.amount {
            if a <= 0 {
                return Err(build_err("amount", "must be positive"));
            }
            let s = format_amount(a);
            if s.len() > 13 {
                return Err(build_err("amount", "at most 13 characters"));
            }
            push(&mut out, "54", &s);
        }
        push(&mut out, "58", "BR");
        push(&mut out, "59", &name);
        push(&mut out, "60", &city);
        if let Some(cep) = &self.postal_code {
            let cep: String = cep.chars().filter(|c| *c != '-').collect();
            if cep.len() != 8 || !cep.bytes().all(|b| b.is_ascii_digit()) {
                return Err(build_err("postal code", "eight digits"));
            }
            push(&mut out, "61", &cep);
        }
        let mut add = String::new();
        push(&mut add, "05", txid);
        push(&mut out, "62", &add);
        out.push_str("6304");
        let crc = crc16(out.as_bytes());
        let _ = write!(out, "{crc:04X}");
        Ok(out)
    }
}

fn build_err(field: &'static str, reason: &str) -> PixError {
    PixError::Build {
        field,
        reason: reason.to_owned(),
    }
}

fn push(out: &mut String, tag: &str, value: &str) {
    let _ = write!(out, "{tag}{:02}{value}", value.chars().count());
}

fn format_amount(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

/// Folds accents to ASCII (`São João` → `Sao Joao`), the way BR Code fields
/// must be written. Characters with no ASCII form are returned as `Err(c)`.
///
/// ```
/// assert_eq!(brpay::pix::fold_accents("Açaí São João"), Ok("Acai Sao Joao".to_string()));
/// ```
pub fn fold_accents(s: &str) -> Result<String, char> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let f = match c {
            ' '..='~' => c,
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'Á' | 'À' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'O',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
            'ç' => 'c',
            'Ç' => 'C',
            'ñ' => 'n',
            'Ñ' => 'N',
            'ý' | 'ÿ' => 'y',
            'Ý' => 'Y',
            'º' => 'o',
            'ª' => 'a',
            _ => return Err(c),
        };
        out.push(f);
    }
    Ok(out)
}

fn clean_text(field: &'static str, s: &str, max: usize) -> Result<String, PixError> {
    let folded = fold_accents(s.trim()).map_err(|c| PixError::Build {
        field,
        reason: format!("character {c:?} has no ASCII form"),
    })?;
    if folded.is_empty() {
        return Err(build_err(field, "must not be empty"));
    }
    if folded.len() > max {
        return Err(PixError::Build {
            field,
            reason: format!("{} characters, at most {max}", folded.len()),
        });
    }
    Ok(folded)
}

/// One `ID LEN VALUE` field as found.
struct Tlv<'a> {
    tag: &'a str,
    value: &'a str,
    offset: usize,
}

/// Splits `s` (starting at byte `base` of the payload) into fields. Lengths
/// count characters, so payloads with UTF-8 names from banks' apps parse.
fn fields<'a>(s: &'a str, base: usize, parent: &str) -> Result<Vec<Tlv<'a>>, PixError> {
    let mut out = Vec::with_capacity(16);
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let name = |t: &str| {
            if parent.is_empty() {
                t.to_owned()
            } else {
                format!("{parent}-{t}")
            }
        };
        if i + 4 > b.len() {
            return Err(PixError::Truncated {
                tag: name(s.get(i..(i + 2).min(b.len())).unwrap_or("?")),
                offset: base + i,
                needed: i + 4 - b.len(),
            });
        }
        let tag = &b[i..i + 2];
        if !tag.iter().all(u8::is_ascii_digit) {
            return Err(PixError::BadHeader {
                what: "tag",
                offset: base + i,
                found: String::from_utf8_lossy(tag).into_owned(),
            });
        }
        let len = &b[i + 2..i + 4];
        if !len.iter().all(u8::is_ascii_digit) {
            return Err(PixError::BadHeader {
                what: "length",
                offset: base + i + 2,
                found: String::from_utf8_lossy(len).into_owned(),
            });
        }
        // both pairs are ASCII digits, so these slices are on char boundaries
        let tag = &s[i..i + 2];
        let n = usize::from(len[0] - b'0') * 10 + usize::from(len[1] - b'0');
        let start = i + 4;
        let end = advance_chars(s, start, n).ok_or_else(|| PixError::Truncated {
            tag: name(tag),
            offset: base + i,
            needed: n.saturating_sub(s[start..].chars().count()),
        })?;
        out.push(Tlv {
            tag,
            value: &s[start..end],
            offset: base + i,
        });
        i = end;
    }
    Ok(out)
}

fn advance_chars(s: &str, start: usize, n: usize) -> Option<usize> {
    let rest = s.get(start..)?;
    let fast = rest.as_bytes().get(..n)?;
    if fast.is_ascii() {
        return Some(start + n);
    }
    let mut it = rest.char_indices();
    for _ in 0..n {
        it.next()?;
    }
    Some(start + it.next().map_or(rest.len(), |(j, _)| j))
}

fn invalid(tag: &str, offset: usize, reason: impl Into<String>) -> PixError {
    PixError::Invalid {
        tag: tag.to_owned(),
        offset,
        reason: reason.into(),
    }
}

/// Parses and verifies a BR Code (the "Pix copia e cola" text).
///
/// ```
/// // A payload produced by Stark Infra's API (phone key, amount, txid).
/// let p = brpay::pix::parse("00020126360014br.gov.bcb.pix0114+554199999999952040000\
/// 530398654041.005802BR5915Jamie Lannister6009Sao Paulo621005061234566304A63E")?;
/// assert_eq!(p.amount, Some(100));
/// assert_eq!(p.txid.as_deref(), Some("123456"));
/// # Ok::<(), brpay::pix::PixError>(())
/// ```
pub fn parse(payload: &str) -> Result<PixPayload, PixError> {
    // Scanners and copy-paste add surrounding whitespace; nothing else is forgiven.
    let lead = payload.len() - payload.trim_start().len();
    let s = payload.trim();
    let top = fields(s, lead, "")?;
    let Some(last) = top.last() else {
        return Err(PixError::Missing {
            tag: "00",
            name: "payload format indicator",
        });
    };
    if last.tag != "63" {
        return Err(PixError::Missing {
            tag: "63",
            name: "CRC",
        });
    }
    let crc_off = last.offset - lead;
    if last.value.len() != 4 || !last.value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(
            "63",
            last.offset,
            "CRC must be 4 hexadecimal digits",
        ));
    }
    let expected = crc16(&s.as_bytes()[..crc_off + 4]);
    let found = u16::from_str_radix(last.value, 16).ok();
    if found != Some(expected) {
        return Err(PixError::Crc {
            offset: last.offset,
            expected,
            found: last.value.to_owned(),
        });
    }
    if top[0].tag != "00" {
        return Err(invalid(
            top[0].tag,
            top[0].offset,
            "the payload must start with tag 00",
        ));
    }
    if top[0].value != "01" {
        return Err(invalid(
            "00",
            top[0].offset,
            "payload format indicator must be 01",
        ));
    }

    let mut p = PixPayload {
        initiation: None,
        gui: String::new(),
        key: None,
        key_kind: None,
        description: None,
        location: None,
        mcc: String::new(),
        currency: String::new(),
        amount: None,
        amount_text: None,
        country: String::new(),
        merchant_name: String::new(),
        merchant_city: String::new(),
        postal_code: None,
        txid: None,
        recurrence_location: None,
        warnings: Vec::new(),
        crc: last.value.to_owned(),
        other: Vec::new(),
    };
    let mut seen = [false; 100];
    let mut found_pix = false;
    let mut mai: Option<(&str, usize)> = None;
    for f in &top[1..top.len() - 1] {
        let t: usize = f.tag.parse().unwrap_or(0);
        if seen[t] {
            return Err(PixError::Duplicate {
                tag: f.tag.to_owned(),
                offset: f.offset,
            });
        }
        seen[t] = true;
        match f.tag {
            "00" | "63" => {
                return Err(PixError::Duplicate {
                    tag: f.tag.to_owned(),
                    offset: f.offset,
                });
            }
            "01" => {
                p.initiation = Some(match f.value {
                    "11" => Initiation::Static,
                    "12" => Initiation::Dynamic,
                    _ => {
                        return Err(invalid(
                            "01",
                            f.offset,
                            "point of initiation must be 11 or 12",
                        ));
                    }
                })
            }
            _ if (26..=51).contains(&t) => {
                let sub = fields(f.value, f.offset + 4, f.tag)?;
                let is_pix = sub
                    .iter()
                    .any(|s| s.tag == "00" && s.value.eq_ignore_ascii_case(PIX_GUI));
                if !is_pix || found_pix {
                    p.other.push((f.tag.to_owned(), f.value.to_owned()));
                    continue;
                }
                found_pix = true;
                merchant_account(&mut p, f, &sub)?;
                mai = Some((f.tag, f.offset));
            }
            "80" => {
                // Pix Automático: the recurrence's location (GUI + 25) rides
                // in template 80 next to the merchant account.
                let sub = fields(f.value, f.offset + 4, "80")?;
                let is_pix = sub
                    .iter()
                    .any(|s| s.tag == "00" && s.value.eq_ignore_ascii_case(PIX_GUI));
                let url = sub.iter().find(|s| s.tag == "25");
                match (is_pix, url) {
                    (true, Some(u)) => {
                        if u.value.is_empty() || u.value.chars().count() > 77 {
                            return Err(invalid(
                                "80-25",
                                u.offset,
                                "recurrence location must have 1 to 77 characters",
                            ));
                        }
                        p.recurrence_location = Some(u.value.to_owned());
                    }
                    _ => p.other.push((f.tag.to_owned(), f.value.to_owned())),
                }
            }
            "52" => {
                if f.value.len() != 4 || !f.value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(
                        "52",
                        f.offset,
                        "merchant category code must be 4 digits",
                    ));
                }
                p.mcc = f.value.to_owned();
            }
            "53" => {
                if f.value != "986" {
                    return Err(invalid(
                        "53",
                        f.offset,
                        format!("currency must be 986 (BRL), found {:?}", f.value),
                    ));
                }
                p.currency = f.value.to_owned();
            }
            "54" => {
                p.amount = Some(parse_amount(f.value).ok_or_else(|| {
                    invalid(
                        "54",
                        f.offset,
                        format!("amount {:?} is not a decimal with up to 2 places", f.value),
                    )
                })?);
                p.amount_text = Some(f.value.to_owned());
            }
            "58" => {
                if f.value != "BR" {
                    return Err(invalid("58", f.offset, "country code must be BR"));
                }
                p.country = f.value.to_owned();
            }
            "59" => {
                if f.value.is_empty() || f.value.chars().count() > MAX_NAME {
                    return Err(invalid(
                        "59",
                        f.offset,
                        "merchant name must have 1 to 25 characters",
                    ));
                }
                p.merchant_name = f.value.to_owned();
            }
            "60" => {
                if f.value.is_empty() {
                    return Err(invalid("60", f.offset, "merchant city must not be empty"));
                }
                // Bank apps pay codes with longer cities; the manual says 15.
                let n = f.value.chars().count();
                if n > MAX_CITY {
                    p.warnings.push(Warning {
                        tag: "60".into(),
                        offset: f.offset,
                        message: format!("merchant city has {n} characters, the manual allows 15"),
                    });
                }
                p.merchant_city = f.value.to_owned();
            }
            "61" => p.postal_code = Some(f.value.to_owned()),
            "62" => {
                for s in fields(f.value, f.offset + 4, "62")? {
                    if s.tag == "05" {
                        if s.value.is_empty() || !s.value.bytes().all(|b| b.is_ascii_graphic()) {
                            return Err(invalid(
                                "62-05",
                                s.offset,
                                "txid must be *** or printable characters",
                            ));
                        }
                        // Bank apps accept txids with hyphens and the like;
                        // the manual says up to 35 letters and digits.
                        let strict = s.value == "***"
                            || (s.value.len() <= 35
                                && s.value.bytes().all(|b| b.is_ascii_alphanumeric()));
                        if !strict {
                            p.warnings.push(Warning {
                                tag: "62-05".into(),
                                offset: s.offset,
                                message: format!(
                                    "txid {:?} is not *** or up to 35 letters and digits",
                                    s.value
                                ),
                            });
                        }
                        p.txid = Some(s.value.to_owned());
                    }
                }
            }
            _ => p.other.push((f.tag.to_owned(), f.value.to_owned())),
        }
    }
    let Some((mai_tag, mai_offset)) = mai else {
        return Err(PixError::Missing {
            tag: "26",
            name: "merchant account information with GUI br.gov.bcb.pix",
        });
    };
    // A merchant account with only the GUI is a Pix Automático code whose
    // recurrence location is in template 80; without it there is nothing to pay.
    if p.key.is_none() && p.location.is_none() && p.recurrence_location.is_none() {
        return Err(invalid(
            mai_tag,
            mai_offset,
            "merchant account carries neither a key (01) nor a location (25)",
        ));
    }
    for (tag, name, ok) in [
        ("52", "merchant category code", seen[52]),
        ("53", "transaction currency", seen[53]),
        ("58", "country code", seen[58]),
        ("59", "merchant name", seen[59]),
        ("60", "merchant city", seen[60]),
    ] {
        if !ok {
            return Err(PixError::Missing { tag, name });
        }
    }
    Ok(p)
}

fn merchant_account(p: &mut PixPayload, f: &Tlv<'_>, sub: &[Tlv<'_>]) -> Result<(), PixError> {
    for s in sub {
        let tag = format!("{}-{}", f.tag, s.tag);
        match s.tag {
            "00" => p.gui = s.value.to_owned(),
            "01" => {
                if s.value.is_empty() || s.value.chars().count() > 77 {
                    return Err(invalid(&tag, s.offset, "key must have 1 to 77 characters"));
                }
                p.key = Some(s.value.to_owned());
                p.key_kind = detect_key_kind(s.value).or_else(|| {
                    // banks' apps sometimes drop the hyphens of an EVP key
                    (s.value.len() == 32 && s.value.bytes().all(|b| b.is_ascii_hexdigit()))
                        .then_some(KeyKind::Evp)
                });
            }
            "02" => p.description = Some(s.value.to_owned()),
            "25" => {
                if s.value.is_empty() || s.value.chars().count() > 77 {
                    return Err(invalid(
                        &tag,
                        s.offset,
                        "location must have 1 to 77 characters",
                    ));
                }
                p.location = Some(s.value.to_owned());
            }
            _ => {}
        }
    }
    match (&p.key, &p.location) {
        // Checked after all tags: template 80 may make it a Pix Automático code.
        (None, None) => Ok(()),
        (Some(_), Some(_)) => Err(invalid(
            f.tag,
            f.offset,
            "merchant account carries both a key and a location",
        )),
        _ => Ok(()),
    }
}

fn parse_amount(s: &str) -> Option<i64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() || int.len() > 10 || frac.len() > 2 {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.ends_with('.') {
        return None;
    }
    let i: i64 = int.parse().ok()?;
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    Some(i * 100 + f)
}

#[cfg(test)]
mod tests;
