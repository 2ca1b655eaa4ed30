//! Dictionaries: attribute names, numbers, data types, flags and named
//! values, built in or loaded from FreeRADIUS-format files.
//!
//! ```
//! use radius::{DataType, Dictionary};
//! let dict = Dictionary::standard();
//! let def = dict.attr_by_name("mikrotik-rate-limit").expect("built in");
//! assert_eq!(def.data_type, DataType::Text);
//! let st = dict.attr_by_name("Service-Type").expect("built in");
//! assert_eq!(dict.value_by_name(st, "Framed-User"), Some(2));
//! assert_eq!(dict.value_name(st, 2), Some("Framed-User"));
//! ```

mod builtin;
mod parser;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use crate::{AttributeId, DataType};

pub use parser::DictError;

pub(crate) mod flags {
    pub const TAG: u8 = 1;
    pub const ENC_USER: u8 = 2;
    pub const ENC_TUNNEL: u8 = 4;
    pub const ENC_ASCEND: u8 = 8;
    pub const CONCAT: u8 = 16;
}

/// How an attribute's value is hidden on the wire (`encrypt=` flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Encryption {
    /// Sent as is.
    #[default]
    None,
    /// `encrypt=1`: User-Password hiding (RFC 2865 section 5.2).
    UserPassword,
    /// `encrypt=2`: salt encryption (RFC 2868 Tunnel-Password, RFC 2548).
    TunnelPassword,
    /// `encrypt=3`: Ascend-Send-Secret.
    AscendSecret,
}

/// The definition of one attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrDef {
    /// Canonical name, e.g. `User-Name`.
    pub name: String,
    /// Where it lives. A TLV sub-attribute carries its top-level parent's id.
    pub id: AttributeId,
    /// Data type.
    pub data_type: DataType,
    /// RFC 2868 tag (`has_tag`).
    pub has_tag: bool,
    /// Value hiding (`encrypt=`).
    pub encrypt: Encryption,
    /// Long values are split over several attributes and joined on
    /// decode (`concat`, e.g. EAP-Message).
    pub concat: bool,
    /// For a TLV sub-attribute: the parent's index and own number.
    pub(crate) parent: Option<(usize, u32)>,
}

impl AttrDef {
    /// A plain definition with no flags.
    pub fn new(name: impl Into<String>, id: AttributeId, data_type: DataType) -> Self {
        AttrDef {
            name: name.into(),
            id,
            data_type,
            has_tag: false,
            encrypt: Encryption::None,
            concat: false,
            parent: None,
        }
    }

    /// True for a TLV sub-attribute.
    pub fn is_tlv_child(&self) -> bool {
        self.parent.is_some()
    }

    pub(crate) fn with_flags(mut self, f: u8) -> Self {
        self.has_tag = f & flags::TAG != 0;
        self.concat = f & flags::CONCAT != 0;
        self.encrypt = if f & flags::ENC_USER != 0 {
            Encryption::UserPassword
        } else if f & flags::ENC_TUNNEL != 0 {
            Encryption::TunnelPassword
        } else if f & flags::ENC_ASCEND != 0 {
            Encryption::AscendSecret
        } else {
            Encryption::None
        };
        self
    }
}

/// A vendor and the layout of its attributes inside Vendor-Specific.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorDef {
    /// Name, e.g. `Mikrotik`.
    pub name: String,
    /// SMI Private Enterprise Code.
    pub id: u32,
    /// Octets of the vendor type field: 1, 2 or 4 (`format=t,l`).
    pub type_size: u8,
    /// Octets of the vendor length field: 0, 1 or 2.
    pub length_size: u8,
    /// WiMAX-style continuation octet after the length (`format=1,1,c`).
    pub continuation: bool,
}

impl VendorDef {
    /// A vendor with the RFC 2865 recommended layout (1-octet type and
    /// length).
    pub fn new(name: impl Into<String>, id: u32) -> Self {
        VendorDef {
            name: name.into(),
            id,
            type_size: 1,
            length_size: 1,
            continuation: false,
        }
    }
}

/// A set of attribute, vendor and value definitions.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    attrs: Vec<AttrDef>,
    by_id: HashMap<AttributeId, usize>,
    by_name: HashMap<String, usize>,
    children: HashMap<(usize, u32), usize>,
    vendors: Vec<VendorDef>,
    vendor_by_id: HashMap<u32, usize>,
    vendor_by_name: HashMap<String, usize>,
    values: HashMap<(usize, String), u64>,
    value_names: HashMap<(usize, u64), String>,
}

static STANDARD: LazyLock<Arc<Dictionary>> = LazyLock::new(|| Arc::new(Dictionary::builtin()));

impl Dictionary {
    /// An empty dictionary.
    pub fn empty() -> Self {
        Dictionary::default()
    }

    /// The shared built-in dictionary: the standard attributes and the
    /// vendors Microsoft, Mikrotik, Cisco, Huawei, Juniper, ERX,
    /// ADSL-Forum and Accel-PPP.
    pub fn standard() -> Arc<Dictionary> {
        Arc::clone(&STANDARD)
    }

    /// A fresh, owned copy of the built-in dictionary, to extend with
    /// [`Dictionary::load_file`].
    pub fn builtin() -> Dictionary {
        let mut d = Dictionary::empty();
        for &(name, n, ty, f) in builtin::STANDARD {
            if let Ok(n) = u8::try_from(n) {
                d.insert(AttrDef::new(name, AttributeId::Standard(n), ty).with_flags(f));
            }
        }
        for &(name, ty, ext, dt, f) in builtin::EXTENDED {
            d.insert(AttrDef::new(name, AttributeId::Extended { ty, ext }, dt).with_flags(f));
        }
        for &(attr, name, v) in builtin::STANDARD_VALUES {
            d.add_value(attr, name, v);
        }
        for t in builtin::VENDORS {
            d.add_vendor(VendorDef::new(t.name, t.id));
            for &(name, n, ty, f) in t.attrs {
                d.insert(
                    AttrDef::new(
                        name,
                        AttributeId::Vendor {
                            vendor: t.id,
                            ty: n,
                        },
                        ty,
                    )
                    .with_flags(f),
                );
            }
            for &(attr, name, v) in t.values {
                d.add_value(attr, name, v);
            }
        }
        d
    }

    /// Adds or replaces a vendor.
    pub fn add_vendor(&mut self, v: VendorDef) {
        let key = v.name.to_ascii_lowercase();
        match self.vendor_by_id.get(&v.id) {
            Some(&i) => {
                self.vendor_by_name.insert(key, i);
                self.vendors[i] = v;
            }
            None => {
                let i = self.vendors.len();
                self.vendor_by_id.insert(v.id, i);
                self.vendor_by_name.insert(key, i);
                self.vendors.push(v);
            }
        }
    }

    /// Adds an attribute definition. A definition of a number already
    /// defined under another name takes over that number (the earlier name
    /// still resolves); one under the same name replaces type and flags.
    pub fn add_attribute(&mut self, def: AttrDef) -> Result<(), String> {
        let key = def.name.to_ascii_lowercase();
        if let Some(&i) = self.by_name.get(&key) {
            let old = &self.attrs[i];
            if old.id != def.id || old.parent != def.parent {
                return Err(format!(
                    "attribute {} is already defined as {} with another number",
                    def.name, old.name
                ));
            }
        }
        self.insert(def);
        Ok(())
    }

    fn insert(&mut self, def: AttrDef) -> usize {
        let key = def.name.to_ascii_lowercase();
        let existing = match def.parent {
            Some(p) => self.children.get(&p).copied(),
            None => self.by_id.get(&def.id).copied(),
        };
        if let Some(i) = existing
            && self.attrs[i].name.eq_ignore_ascii_case(&def.name)
        {
            self.attrs[i] = def;
            self.by_name.insert(key, i);
            return i;
        }
        // A new name for a number already defined: as in FreeRADIUS, the
        // latest definition decides how the number decodes; earlier names
        // stay valid.
        let i = self.attrs.len();
        match def.parent {
            Some(p) => {
                self.children.insert(p, i);
            }
            None => {
                self.by_id.insert(def.id, i);
            }
        }
        self.by_name.insert(key, i);
        self.attrs.push(def);
        i
    }

    /// Names a numeric value of an attribute (a `VALUE` line). Returns
    /// false when the attribute is unknown.
    pub fn add_value(&mut self, attr: &str, name: &str, value: u64) -> bool {
        let Some(&i) = self.by_name.get(&attr.to_ascii_lowercase()) else {
            return false;
        };
        self.values.insert((i, name.to_ascii_lowercase()), value);
        self.value_names
            .entry((i, value))
            .or_insert_with(|| name.to_owned());
        true
    }

    fn index_of(&self, def: &AttrDef) -> Option<usize> {
        match def.parent {
            Some(p) => self.children.get(&p).copied(),
            None => self.by_id.get(&def.id).copied(),
        }
    }

    /// The definition of a top-level attribute.
    pub fn attr(&self, id: AttributeId) -> Option<&AttrDef> {
        self.by_id.get(&id).map(|&i| &self.attrs[i])
    }

    /// A definition by name, case-insensitively (aliases included).
    pub fn attr_by_name(&self, name: &str) -> Option<&AttrDef> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.attrs[i])
    }

    /// The sub-attribute `ty` of a `tlv` attribute.
    pub fn tlv_child(&self, parent: &AttrDef, ty: u32) -> Option<&AttrDef> {
        let p = self.index_of(parent)?;
        self.children.get(&(p, ty)).map(|&i| &self.attrs[i])
    }

    /// A vendor by number.
    pub fn vendor(&self, id: u32) -> Option<&VendorDef> {
        self.vendor_by_id.get(&id).map(|&i| &self.vendors[i])
    }

    /// A vendor by name, case-insensitively.
    pub fn vendor_by_name(&self, name: &str) -> Option<&VendorDef> {
        self.vendor_by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.vendors[i])
    }

    /// The name of a value of an attribute (`Service-Type` 2 → `Framed-User`).
    pub fn value_name(&self, def: &AttrDef, value: u64) -> Option<&str> {
        let i = self.index_of(def)?;
        self.value_names.get(&(i, value)).map(String::as_str)
    }

    /// The number of a named value, case-insensitively.
    pub fn value_by_name(&self, def: &AttrDef, name: &str) -> Option<u64> {
        let i = self.index_of(def)?;
        self.values.get(&(i, name.to_ascii_lowercase())).copied()
    }

    /// The name of an attribute for messages: its dictionary name, or
    /// `Attr-…` when the dictionary does not know it.
    pub fn name_of(&self, id: AttributeId) -> String {
        match self.attr(id) {
            Some(d) => d.name.clone(),
            None => id.to_string(),
        }
    }

    /// Number of attribute definitions (TLV sub-attributes included).
    pub fn len(&self) -> usize {
        self.attrs.len()
    }

    /// True when nothing is defined.
    pub fn is_empty(&self) -> bool {
        self.attrs.is_empty()
    }

    /// All vendors.
    pub fn vendors(&self) -> &[VendorDef] {
        &self.vendors
    }

    /// All attribute definitions.
    pub fn attributes(&self) -> impl Iterator<Item = &AttrDef> {
        self.attrs.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_every_vendor_and_no_name_clash() {
        let d = Dictionary::builtin();
        for v in [
            "Microsoft",
            "Mikrotik",
            "Cisco",
            "Huawei",
            "Juniper",
            "ERX",
            "ADSL-Forum",
            "Accel-PPP",
        ] {
            assert!(d.vendor_by_name(v).is_some(), "{v}");
        }
        let tp = d.attr_by_name("Tunnel-Password").expect("defined");
        assert!(tp.has_tag);
        assert_eq!(tp.encrypt, Encryption::TunnelPassword);
        let key = d.attr_by_name("MS-MPPE-Send-Key").expect("defined");
        assert_eq!(key.encrypt, Encryption::TunnelPassword);
        assert!(d.attr_by_name("EAP-Message").expect("defined").concat);
        assert_eq!(
            d.attr_by_name("Accel-VRF-Name").map(|a| a.id),
            Some(AttributeId::Vendor {
                vendor: 55999,
                ty: 1
            })
        );
    }
}
