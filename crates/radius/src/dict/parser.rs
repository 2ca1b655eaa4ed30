//! Loader for dictionary files in the FreeRADIUS (v3) format.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{AttrDef, Dictionary, Encryption, VendorDef};
use crate::{AttributeId, DataType};

/// A dictionary file could not be loaded. Names the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct DictError {
    /// The file (as given or as included).
    pub file: String,
    /// 1-based line number; 0 when the file itself could not be read.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

const MAX_INCLUDE_DEPTH: usize = 32;

enum VendorCtx {
    /// Attributes inside Vendor-Specific.
    Vsa(u32),
    /// Attributes inside Extended-Vendor-Specific-N (`format=Extended-Vendor-Specific-N`).
    Evs(u8, u32),
}

struct Pending {
    file: String,
    line: usize,
    attr: String,
    name: String,
    value: u64,
}

struct Loader<'d> {
    dict: &'d mut Dictionary,
    vendor: Vec<(String, VendorCtx)>,
    tlv: Vec<usize>,
    pending: Vec<Pending>,
    /// Names of attributes that exist only inside a server (numbers above
    /// 255 outside a vendor, `virtual`): skipped, and so are their VALUEs.
    skipped: HashSet<String>,
    allow_include: bool,
}

impl Dictionary {
    /// Loads a FreeRADIUS-format dictionary file, following `$INCLUDE`
    /// (relative to the including file), and adds its definitions.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("radius-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).expect("dir");
    /// # let path = dir.join("dictionary.example");
    /// std::fs::write(&path, "VENDOR Example 32473\nBEGIN-VENDOR Example\n\
    ///     ATTRIBUTE Example-Speed 1 integer\nVALUE Example-Speed Fast 2\nEND-VENDOR Example\n")
    ///     .expect("write");
    /// let mut dict = radius::Dictionary::builtin();
    /// dict.load_file(&path)?;
    /// let def = dict.attr_by_name("Example-Speed").expect("loaded");
    /// assert_eq!(dict.value_by_name(def, "Fast"), Some(2));
    /// # Ok::<(), radius::DictError>(())
    /// ```
    pub fn load_file(&mut self, path: impl AsRef<Path>) -> Result<(), DictError> {
        let mut l = Loader::new(self, true);
        l.file(path.as_ref(), 0)?;
        l.finish()
    }

    /// Parses dictionary text that has no `$INCLUDE` lines; `name` is used
    /// in error messages.
    ///
    /// ```
    /// let mut dict = radius::Dictionary::builtin();
    /// let err = dict.load_str("ATTRIBUTE Broken 1\n", "inline").unwrap_err();
    /// assert_eq!(err.to_string(), "inline:1: ATTRIBUTE needs a name, a number and a type");
    /// ```
    pub fn load_str(&mut self, text: &str, name: &str) -> Result<(), DictError> {
        let mut l = Loader::new(self, false);
        l.text(text, name, Path::new("."), 0)?;
        l.finish()
    }
}

fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl<'d> Loader<'d> {
    fn new(dict: &'d mut Dictionary, allow_include: bool) -> Self {
        Loader {
            dict,
            vendor: Vec::new(),
            tlv: Vec::new(),
            pending: Vec::new(),
            skipped: HashSet::new(),
            allow_include,
        }
    }

    fn file(&mut self, path: &Path, depth: usize) -> Result<(), DictError> {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| DictError {
            file: name.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        let text = String::from_utf8_lossy(&text);
        let dir = path.parent().unwrap_or(Path::new("."));
        self.text(&text, &name, dir, depth)
    }

    fn text(&mut self, text: &str, file: &str, dir: &Path, depth: usize) -> Result<(), DictError> {
        let vendor_depth = self.vendor.len();
        let tlv_depth = self.tlv.len();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let err = |message: String| DictError {
                file: file.to_owned(),
                line,
                message,
            };
            let content = raw.split('#').next().unwrap_or("");
            let f: Vec<&str> = content.split_whitespace().collect();
            let Some(&kw) = f.first() else { continue };
            match kw {
                "$INCLUDE" | "$INCLUDE-" => {
                    let target = f
                        .get(1)
                        .ok_or_else(|| err("$INCLUDE needs a file name".into()))?;
                    if !self.allow_include {
                        return Err(err(
                            "$INCLUDE is only allowed when loading from a file".into()
                        ));
                    }
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(err(format!(
                            "$INCLUDE nested deeper than {MAX_INCLUDE_DEPTH}"
                        )));
                    }
                    let p: PathBuf = dir.join(target);
                    if kw == "$INCLUDE-" && !p.exists() {
                        continue;
                    }
                    if !p.exists() {
                        return Err(err(format!("included file {} does not exist", p.display())));
                    }
                    self.file(&p, depth + 1)?;
                }
                "VENDOR" => self.vendor_line(&f).map_err(err)?,
                "BEGIN-VENDOR" => self.begin_vendor(&f).map_err(err)?,
                "END-VENDOR" => {
                    let name = f
                        .get(1)
                        .ok_or_else(|| err("END-VENDOR needs a vendor name".into()))?;
                    match self.vendor.last() {
                        Some((open, _)) if open.eq_ignore_ascii_case(name) => {
                            self.vendor.pop();
                        }
                        _ => {
                            return Err(err(format!(
                                "END-VENDOR {name} without matching BEGIN-VENDOR"
                            )));
                        }
                    }
                }
                "BEGIN-TLV" => {
                    let name = f
                        .get(1)
                        .ok_or_else(|| err("BEGIN-TLV needs an attribute name".into()))?;
                    let i = self
                        .dict
                        .by_name
                        .get(&name.to_ascii_lowercase())
                        .copied()
                        .ok_or_else(|| err(format!("BEGIN-TLV of unknown attribute {name}")))?;
                    if self.dict.attrs[i].data_type != DataType::Tlv {
                        return Err(err(format!(
                            "BEGIN-TLV {name}: attribute is not of type tlv"
                        )));
                    }
                    self.tlv.push(i);
                }
                "END-TLV" => {
                    if self.tlv.pop().is_none() {
                        return Err(err("END-TLV without BEGIN-TLV".into()));
                    }
                }
                "ATTRIBUTE" => self.attribute(&f).map_err(err)?,
                "VALUE" => {
                    let [_, attr, name, num, ..] = f[..] else {
                        return Err(err("VALUE needs an attribute, a name and a number".into()));
                    };
                    let value = parse_num(num)
                        .ok_or_else(|| err(format!("VALUE {name}: {num:?} is not a number")))?;
                    if let Some(def) = self.dict.attr_by_name(attr) {
                        check_value_fits(def.data_type, value).map_err(&err)?;
                    }
                    if !self.dict.add_value(attr, name, value)
                        && !self.skipped.contains(&attr.to_ascii_lowercase())
                    {
                        self.pending.push(Pending {
                            file: file.to_owned(),
                            line,
                            attr: attr.to_owned(),
                            name: name.to_owned(),
                            value,
                        });
                    }
                }
                "FLAGS" | "PROTOCOL" => {}
                other => return Err(err(format!("unknown keyword {other}"))),
            }
        }
        if self.vendor.len() > vendor_depth {
            let (name, _) = &self.vendor[self.vendor.len() - 1];
            return Err(DictError {
                file: file.to_owned(),
                line: text.lines().count(),
                message: format!("BEGIN-VENDOR {name} is never ended"),
            });
        }
        if self.tlv.len() > tlv_depth {
            return Err(DictError {
                file: file.to_owned(),
                line: text.lines().count(),
                message: "BEGIN-TLV is never ended".into(),
            });
        }
        Ok(())
    }

    fn finish(self) -> Result<(), DictError> {
        for p in self.pending {
            if !self.dict.add_value(&p.attr, &p.name, p.value)
                && !self.skipped.contains(&p.attr.to_ascii_lowercase())
            {
                return Err(DictError {
                    file: p.file,
                    line: p.line,
                    message: format!("VALUE {} for unknown attribute {}", p.name, p.attr),
                });
            }
        }
        Ok(())
    }

    fn vendor_line(&mut self, f: &[&str]) -> Result<(), String> {
        let [_, name, num, ..] = f[..] else {
            return Err("VENDOR needs a name and a number".into());
        };
        let id = parse_num(num)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| format!("VENDOR {name}: {num:?} is not a vendor number"))?;
        let mut v = VendorDef::new(name, id);
        if let Some(fmt) = f.get(3) {
            let spec = fmt
                .strip_prefix("format=")
                .ok_or_else(|| format!("VENDOR {name}: unknown option {fmt}"))?;
            let parts: Vec<&str> = spec.split(',').collect();
            let (t, l) = match parts[..] {
                [t, l] | [t, l, "c"] => (t, l),
                _ => return Err(format!("VENDOR {name}: bad format {spec}")),
            };
            v.type_size = match t {
                "1" => 1,
                "2" => 2,
                "4" => 4,
                _ => return Err(format!("VENDOR {name}: type size {t} is not 1, 2 or 4")),
            };
            v.length_size = match l {
                "0" => 0,
                "1" => 1,
                "2" => 2,
                _ => return Err(format!("VENDOR {name}: length size {l} is not 0, 1 or 2")),
            };
            v.continuation = parts.len() == 3;
            if v.continuation && (v.type_size != 1 || v.length_size != 1) {
                return Err(format!("VENDOR {name}: continuation needs format=1,1,c"));
            }
        }
        self.dict.add_vendor(v);
        Ok(())
    }

    fn begin_vendor(&mut self, f: &[&str]) -> Result<(), String> {
        let name = f.get(1).ok_or("BEGIN-VENDOR needs a vendor name")?;
        let v = self
            .dict
            .vendor_by_name(name)
            .ok_or_else(|| format!("BEGIN-VENDOR of unknown vendor {name}"))?;
        let ctx = match f.get(2) {
            None => VendorCtx::Vsa(v.id),
            Some(opt) => {
                let n = opt
                    .strip_prefix("format=Extended-Vendor-Specific-")
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=6).contains(n))
                    .ok_or_else(|| format!("BEGIN-VENDOR {name}: unknown option {opt}"))?;
                VendorCtx::Evs(240 + n, v.id)
            }
        };
        self.vendor.push((name.to_string(), ctx));
        Ok(())
    }

    fn attribute(&mut self, f: &[&str]) -> Result<(), String> {
        let [_, name, num, ty, ..] = f[..] else {
            return Err("ATTRIBUTE needs a name, a number and a type".into());
        };
        let base_ty = ty.split('[').next().unwrap_or(ty);
        let data_type = DataType::from_name(base_ty)
            .ok_or_else(|| format!("ATTRIBUTE {name}: unknown type {ty}"))?;
        let mut has_tag = false;
        let mut encrypt = Encryption::None;
        let mut concat = false;
        let mut skip = false;
        let mut old_vendor: Option<u32> = None;
        if let Some(opts) = f.get(4) {
            for o in opts.split(',') {
                match o {
                    "has_tag" => has_tag = true,
                    "concat" => concat = true,
                    "encrypt=0" => {}
                    "encrypt=1" => encrypt = Encryption::UserPassword,
                    "encrypt=2" => encrypt = Encryption::TunnelPassword,
                    "encrypt=3" => encrypt = Encryption::AscendSecret,
                    "virtual" => skip = true,
                    "array" | "secret" | "abinary" | "internal" => {}
                    other => match self.dict.vendor_by_name(other) {
                        // Old style: the vendor name in place of the flags.
                        Some(v) if *opts == other => old_vendor = Some(v.id),
                        _ => return Err(format!("ATTRIBUTE {name}: unknown flag {other}")),
                    },
                }
            }
        }
        if has_tag
            && !matches!(
                data_type,
                DataType::Text | DataType::Octets | DataType::Integer
            )
        {
            return Err(format!(
                "ATTRIBUTE {name}: has_tag needs type string, octets or integer"
            ));
        }
        let components: Vec<u64> = num
            .split('.')
            .map(parse_num)
            .collect::<Option<_>>()
            .ok_or_else(|| format!("ATTRIBUTE {name}: {num:?} is not an attribute number"))?;
        let Some((&first, rest)) = components.split_first() else {
            return Err(format!("ATTRIBUTE {name}: empty number"));
        };

        // Where the first component lives.
        let (mut def, top) = if let Some(&parent) = self.tlv.last() {
            let n = u32::try_from(first)
                .ok()
                .filter(|n| *n <= 255)
                .ok_or_else(|| format!("ATTRIBUTE {name}: TLV number {first} exceeds 255"))?;
            let id = self.dict.attrs[parent].id;
            let mut d = AttrDef::new(name, id, data_type);
            d.parent = Some((parent, n));
            (d, None)
        } else {
            let ctx = match old_vendor {
                Some(v) => Some(VendorCtx::Vsa(v)),
                None => match self.vendor.last() {
                    Some((_, VendorCtx::Vsa(v))) => Some(VendorCtx::Vsa(*v)),
                    Some((_, VendorCtx::Evs(t, v))) => Some(VendorCtx::Evs(*t, *v)),
                    None => None,
                },
            };
            let id = match ctx {
                Some(VendorCtx::Vsa(vendor)) => {
                    let max = match self.dict.vendor(vendor).map(|v| v.type_size) {
                        Some(1) | None => 255,
                        Some(2) => 65535,
                        _ => u64::from(u32::MAX),
                    };
                    if first > max {
                        return Err(format!(
                            "ATTRIBUTE {name}: number {first} does not fit the vendor's type field"
                        ));
                    }
                    AttributeId::Vendor {
                        vendor,
                        ty: first as u32,
                    }
                }
                Some(VendorCtx::Evs(ty, vendor)) => {
                    let ext = u8::try_from(first)
                        .map_err(|_| format!("ATTRIBUTE {name}: number {first} exceeds 255"))?;
                    AttributeId::ExtendedVendor { ty, vendor, ext }
                }
                None => match u8::try_from(first) {
                    Ok(0) => return Err(format!("ATTRIBUTE {name}: number 0 is not allowed")),
                    Ok(n) => AttributeId::Standard(n),
                    Err(_) => {
                        // A server-internal attribute (FreeRADIUS numbers
                        // these above 255); it never appears on the wire.
                        skip = true;
                        AttributeId::Standard(0)
                    }
                },
            };
            (AttrDef::new(name, id, data_type), Some(id))
        };

        // Dotted numbers: walk into extended attributes or TLVs.
        let mut top = top;
        for &c in rest {
            let parent_idx = match (def.parent, top) {
                (Some((p, n)), _) => self.dict.children.get(&(p, n)).copied(),
                (None, Some(id)) => self.dict.by_id.get(&id).copied(),
                _ => None,
            }
            .ok_or_else(|| format!("ATTRIBUTE {name}: parent of {num} is not defined"))?;
            let parent = &self.dict.attrs[parent_idx];
            let c8 = u8::try_from(c)
                .map_err(|_| format!("ATTRIBUTE {name}: component {c} of {num} exceeds 255"))?;
            match (parent.data_type, parent.id) {
                (DataType::Extended | DataType::LongExtended, AttributeId::Standard(ty))
                    if parent.parent.is_none() =>
                {
                    let id = AttributeId::Extended { ty, ext: c8 };
                    def = AttrDef::new(name, id, data_type);
                    top = Some(id);
                }
                (DataType::Tlv, id) => {
                    def = AttrDef::new(name, id, data_type);
                    def.parent = Some((parent_idx, u32::from(c8)));
                    top = None;
                }
                _ => {
                    return Err(format!(
                        "ATTRIBUTE {name}: {} cannot contain sub-attributes",
                        parent.name
                    ));
                }
            }
        }
        def.has_tag = has_tag;
        def.encrypt = encrypt;
        def.concat = concat;
        if skip {
            self.skipped.insert(name.to_ascii_lowercase());
            return Ok(());
        }
        self.dict.add_attribute(def)
    }
}

fn check_value_fits(ty: DataType, v: u64) -> Result<(), String> {
    let max = match ty {
        DataType::Byte => u64::from(u8::MAX),
        DataType::Short => u64::from(u16::MAX),
        DataType::Integer | DataType::Signed | DataType::Date => u64::from(u32::MAX),
        _ => u64::MAX,
    };
    if v > max {
        return Err(format!("value {v} does not fit type {ty}"));
    }
    Ok(())
}
