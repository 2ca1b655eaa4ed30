//! Attribute data types of RFC 8044 (and the FreeRADIUS extras the vendor
//! dictionaries use): how each is laid out on the wire, parsed from text and
//! shown.
//!
//! ```
//! use radius::{DataType, Value};
//! let v = DataType::Ipv6Prefix.decode(&[0, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0])?;
//! assert_eq!(v.to_string(), "2001:db8::/64");
//! assert_eq!(DataType::Integer.parse("1500")?, Value::Integer(1500));
//! # Ok::<(), radius::ValueError>(())
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The data type of an attribute, as named in FreeRADIUS dictionaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// RFC 8044 `text`: UTF-8 (FreeRADIUS `string`), 0–253 octets.
    Text,
    /// RFC 8044 `string`: opaque octets (FreeRADIUS `octets`).
    Octets,
    /// RFC 8044 `integer`: 32-bit unsigned, network order.
    Integer,
    /// RFC 8044 `integer64`.
    Integer64,
    /// RFC 8044 `time`: seconds since 1970 as 32-bit unsigned (`date`).
    Date,
    /// RFC 8044 `ipv4addr` (`ipaddr`).
    Ipv4Addr,
    /// RFC 8044 `ipv6addr`.
    Ipv6Addr,
    /// RFC 8044 `ipv6prefix`: reserved octet, prefix length, 0–16 octets.
    Ipv6Prefix,
    /// RFC 8044 `ipv4prefix`: reserved octet, prefix length, 4 octets.
    Ipv4Prefix,
    /// RFC 8044 `ifid`: 8-octet interface identifier.
    Ifid,
    /// FreeRADIUS `byte`: 8-bit unsigned.
    Byte,
    /// FreeRADIUS `short`: 16-bit unsigned.
    Short,
    /// FreeRADIUS `signed`: 32-bit two's complement.
    Signed,
    /// FreeRADIUS `ether`: 6-octet MAC address.
    Ether,
    /// FreeRADIUS `combo-ip`: IPv4 (4 octets) or IPv6 (16 octets).
    ComboIp,
    /// RFC 8044 `tlv`: a sequence of type-length-value triplets.
    Tlv,
    /// RFC 8044 `vsa` (Vendor-Specific, attribute 26).
    Vsa,
    /// RFC 8044 `extended` (attributes 241–244).
    Extended,
    /// RFC 8044 `long-extended` (attributes 245–246).
    LongExtended,
    /// RFC 8044 `evs` (Extended-Vendor-Specific).
    Evs,
}

/// Why a value could not be decoded or parsed for its data type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The wire value has a length the type does not allow.
    #[error("{ty} value must be {expected} octets, got {got}")]
    Length {
        /// Data type name.
        ty: &'static str,
        /// Allowed lengths, in words.
        expected: &'static str,
        /// The length seen.
        got: usize,
    },
    /// A prefix length larger than the address.
    #[error("prefix length {0} is too long")]
    PrefixLength(u8),
    /// A TLV inside the value is truncated or has length below 2.
    #[error("TLV at value offset {0} is malformed")]
    Tlv(usize),
    /// Text that does not parse as the type.
    #[error("cannot parse {text:?} as {ty}")]
    Parse {
        /// Data type name.
        ty: &'static str,
        /// The text given.
        text: String,
    },
}

/// One type-length-value triplet inside a `tlv` attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tlv {
    /// Sub-attribute number.
    pub ty: u8,
    /// Raw value.
    pub value: Vec<u8>,
}

/// An IPv6 prefix (RFC 3162 Framed-IPv6-Prefix, RFC 4818
/// Delegated-IPv6-Prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ipv6Prefix {
    /// The address; bits past `len` are zero once decoded.
    pub addr: Ipv6Addr,
    /// Prefix length, 0–128.
    pub len: u8,
}

/// An IPv4 prefix (RFC 8044 `ipv4prefix`, RFC 6572).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ipv4Prefix {
    /// The address.
    pub addr: Ipv4Addr,
    /// Prefix length, 0–32.
    pub len: u8,
}

/// An attribute value interpreted by its data type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// `text`; invalid UTF-8 from the wire is replaced by U+FFFD.
    Text(String),
    /// `string` / `octets`, and container types kept raw.
    Octets(Vec<u8>),
    /// `integer` (also enumerations).
    Integer(u32),
    /// `integer64`.
    Integer64(u64),
    /// `date`, seconds since 1970.
    Date(u32),
    /// `ipv4addr`.
    Ipv4Addr(Ipv4Addr),
    /// `ipv6addr`.
    Ipv6Addr(Ipv6Addr),
    /// `ipv6prefix`.
    Ipv6Prefix(Ipv6Prefix),
    /// `ipv4prefix`.
    Ipv4Prefix(Ipv4Prefix),
    /// `ifid`.
    Ifid([u8; 8]),
    /// `byte`.
    Byte(u8),
    /// `short`.
    Short(u16),
    /// `signed`.
    Signed(i32),
    /// `ether`.
    Ether([u8; 6]),
    /// `tlv`, one level.
    Tlv(Vec<Tlv>),
}

fn fixed<const N: usize>(
    ty: &'static str,
    expected: &'static str,
    b: &[u8],
) -> Result<[u8; N], ValueError> {
    b.try_into().map_err(|_| ValueError::Length {
        ty,
        expected,
        got: b.len(),
    })
}

fn parse_err(ty: DataType, text: &str) -> ValueError {
    ValueError::Parse {
        ty: ty.name(),
        text: text.to_owned(),
    }
}

fn parse_u64(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if !t.len().is_multiple_of(2) || !t.is_ascii() {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
        .collect()
}

impl DataType {
    /// The FreeRADIUS dictionary name of the type.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Text => "string",
            DataType::Octets => "octets",
            DataType::Integer => "integer",
            DataType::Integer64 => "integer64",
            DataType::Date => "date",
            DataType::Ipv4Addr => "ipaddr",
            DataType::Ipv6Addr => "ipv6addr",
            DataType::Ipv6Prefix => "ipv6prefix",
            DataType::Ipv4Prefix => "ipv4prefix",
            DataType::Ifid => "ifid",
            DataType::Byte => "byte",
            DataType::Short => "short",
            DataType::Signed => "signed",
            DataType::Ether => "ether",
            DataType::ComboIp => "combo-ip",
            DataType::Tlv => "tlv",
            DataType::Vsa => "vsa",
            DataType::Extended => "extended",
            DataType::LongExtended => "long-extended",
            DataType::Evs => "evs",
        }
    }

    /// Looks a type up by its dictionary name (FreeRADIUS v3 and v4 names
    /// and the RFC 8044 names), case-insensitively.
    pub fn from_name(name: &str) -> Option<DataType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "string" | "text" => DataType::Text,
            "octets" | "abinary" => DataType::Octets,
            "integer" | "uint32" => DataType::Integer,
            "integer64" | "uint64" => DataType::Integer64,
            "date" | "time" => DataType::Date,
            "ipaddr" | "ipv4addr" => DataType::Ipv4Addr,
            "ipv6addr" => DataType::Ipv6Addr,
            "ipv6prefix" => DataType::Ipv6Prefix,
            "ipv4prefix" => DataType::Ipv4Prefix,
            "ifid" => DataType::Ifid,
            "byte" | "uint8" => DataType::Byte,
            "short" | "uint16" => DataType::Short,
            "signed" | "int32" => DataType::Signed,
            "ether" => DataType::Ether,
            "combo-ip" | "ipaddr-combo" => DataType::ComboIp,
            "tlv" => DataType::Tlv,
            "vsa" => DataType::Vsa,
            "extended" => DataType::Extended,
            "long-extended" => DataType::LongExtended,
            "evs" => DataType::Evs,
            _ => return None,
        })
    }

    /// True for types whose values are numbers that VALUE names may label.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            DataType::Integer
                | DataType::Integer64
                | DataType::Byte
                | DataType::Short
                | DataType::Signed
        )
    }

    /// Decodes a wire value of this type. Never panics.
    pub fn decode(self, b: &[u8]) -> Result<Value, ValueError> {
        let ty = self.name();
        Ok(match self {
            DataType::Text => Value::Text(String::from_utf8_lossy(b).into_owned()),
            DataType::Octets
            | DataType::Vsa
            | DataType::Extended
            | DataType::LongExtended
            | DataType::Evs => Value::Octets(b.to_vec()),
            DataType::Integer => Value::Integer(u32::from_be_bytes(fixed(ty, "4", b)?)),
            DataType::Integer64 => Value::Integer64(u64::from_be_bytes(fixed(ty, "8", b)?)),
            DataType::Date => Value::Date(u32::from_be_bytes(fixed(ty, "4", b)?)),
            DataType::Ipv4Addr => Value::Ipv4Addr(Ipv4Addr::from(fixed::<4>(ty, "4", b)?)),
            DataType::Ipv6Addr => Value::Ipv6Addr(Ipv6Addr::from(fixed::<16>(ty, "16", b)?)),
            DataType::Ipv6Prefix => Value::Ipv6Prefix(Ipv6Prefix::decode(b)?),
            DataType::Ipv4Prefix => Value::Ipv4Prefix(Ipv4Prefix::decode(b)?),
            DataType::Ifid => Value::Ifid(fixed(ty, "8", b)?),
            DataType::Byte => Value::Byte(u8::from_be_bytes(fixed(ty, "1", b)?)),
            DataType::Short => Value::Short(u16::from_be_bytes(fixed(ty, "2", b)?)),
            DataType::Signed => Value::Signed(i32::from_be_bytes(fixed(ty, "4", b)?)),
            DataType::Ether => Value::Ether(fixed(ty, "6", b)?),
            DataType::ComboIp => match b.len() {
                4 => Value::Ipv4Addr(Ipv4Addr::from(fixed::<4>(ty, "4 or 16", b)?)),
                16 => Value::Ipv6Addr(Ipv6Addr::from(fixed::<16>(ty, "4 or 16", b)?)),
                got => {
                    return Err(ValueError::Length {
                        ty,
                        expected: "4 or 16",
                        got,
                    });
                }
            },
            DataType::Tlv => Value::Tlv(decode_tlvs(b)?),
        })
    }

    /// Checks that a wire value has a length this type allows, without
    /// building a [`Value`]. Used by packet decoding.
    pub fn check(self, b: &[u8]) -> Result<(), ValueError> {
        match self {
            DataType::Text
            | DataType::Octets
            | DataType::Vsa
            | DataType::Extended
            | DataType::LongExtended
            | DataType::Evs => Ok(()),
            _ => self.decode(b).map(|_| ()),
        }
    }

    /// Parses the text form of a value of this type, as written in
    /// configuration or a dictionary: numbers in decimal or `0x` hex,
    /// addresses, `addr/len` prefixes, `0x…` hex for octets, seconds or
    /// RFC 3339-free plain numbers for dates.
    pub fn parse(self, text: &str) -> Result<Value, ValueError> {
        let err = || parse_err(self, text);
        let t = text.trim();
        Ok(match self {
            DataType::Text => Value::Text(text.to_owned()),
            DataType::Octets
            | DataType::Vsa
            | DataType::Extended
            | DataType::LongExtended
            | DataType::Evs => {
                if t.starts_with("0x") || t.starts_with("0X") {
                    Value::Octets(parse_hex(t).ok_or_else(err)?)
                } else {
                    Value::Octets(text.as_bytes().to_vec())
                }
            }
            DataType::Integer => Value::Integer(
                parse_u64(t)
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(err)?,
            ),
            DataType::Integer64 => Value::Integer64(parse_u64(t).ok_or_else(err)?),
            DataType::Date => Value::Date(
                parse_u64(t)
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(err)?,
            ),
            DataType::Byte => Value::Byte(
                parse_u64(t)
                    .and_then(|v| u8::try_from(v).ok())
                    .ok_or_else(err)?,
            ),
            DataType::Short => Value::Short(
                parse_u64(t)
                    .and_then(|v| u16::try_from(v).ok())
                    .ok_or_else(err)?,
            ),
            DataType::Signed => Value::Signed(t.parse().map_err(|_| err())?),
            DataType::Ipv4Addr => Value::Ipv4Addr(t.parse().map_err(|_| err())?),
            DataType::Ipv6Addr => Value::Ipv6Addr(t.parse().map_err(|_| err())?),
            DataType::ComboIp => match t.parse::<IpAddr>().map_err(|_| err())? {
                IpAddr::V4(a) => Value::Ipv4Addr(a),
                IpAddr::V6(a) => Value::Ipv6Addr(a),
            },
            DataType::Ipv6Prefix => Value::Ipv6Prefix(t.parse().map_err(|_| err())?),
            DataType::Ipv4Prefix => Value::Ipv4Prefix(t.parse().map_err(|_| err())?),
            DataType::Ifid => {
                let hex: String = t.chars().filter(|c| *c != ':').collect();
                let v = parse_hex(&hex).ok_or_else(err)?;
                Value::Ifid(v.try_into().map_err(|_| err())?)
            }
            DataType::Ether => {
                let hex: String = t
                    .chars()
                    .filter(|c| *c != ':' && *c != '-' && *c != '.')
                    .collect();
                let v = parse_hex(&hex).ok_or_else(err)?;
                Value::Ether(v.try_into().map_err(|_| err())?)
            }
            DataType::Tlv => {
                Value::Tlv(decode_tlvs(&parse_hex(t).ok_or_else(err)?).map_err(|_| err())?)
            }
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Splits a `tlv` value into its triplets (one level).
pub fn decode_tlvs(b: &[u8]) -> Result<Vec<Tlv>, ValueError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let (Some(&ty), Some(&len)) = (b.get(i), b.get(i + 1)) else {
            return Err(ValueError::Tlv(i));
        };
        let len = usize::from(len);
        if len < 2 || i + len > b.len() {
            return Err(ValueError::Tlv(i));
        }
        out.push(Tlv {
            ty,
            value: b[i + 2..i + len].to_vec(),
        });
        i += len;
    }
    Ok(out)
}

impl Ipv6Prefix {
    fn decode(b: &[u8]) -> Result<Self, ValueError> {
        if b.len() < 2 || b.len() > 18 {
            return Err(ValueError::Length {
                ty: "ipv6prefix",
                expected: "2 to 18",
                got: b.len(),
            });
        }
        let len = b[1];
        if len > 128 {
            return Err(ValueError::PrefixLength(len));
        }
        let mut octets = [0u8; 16];
        octets[..b.len() - 2].copy_from_slice(&b[2..]);
        Ok(Ipv6Prefix {
            addr: mask_v6(Ipv6Addr::from(octets), len),
            len,
        })
    }

    /// Wire form: reserved octet, length, then only the octets the prefix
    /// length covers (RFC 3162 section 2.3).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let len = self.len.min(128);
        out.push(0);
        out.push(len);
        let n = usize::from(len).div_ceil(8);
        out.extend_from_slice(&mask_v6(self.addr, len).octets()[..n]);
    }
}

fn mask_v6(a: Ipv6Addr, len: u8) -> Ipv6Addr {
    let bits = u128::from(a);
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    Ipv6Addr::from(bits & mask)
}

impl Ipv4Prefix {
    fn decode(b: &[u8]) -> Result<Self, ValueError> {
        let b: [u8; 6] = fixed("ipv4prefix", "6", b)?;
        let len = b[1];
        if len > 32 {
            return Err(ValueError::PrefixLength(len));
        }
        Ok(Ipv4Prefix {
            addr: Ipv4Addr::new(b[2], b[3], b[4], b[5]),
            len,
        })
    }

    /// Wire form: reserved octet, length, four address octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(0);
        out.push(self.len.min(32));
        out.extend_from_slice(&self.addr.octets());
    }
}

impl FromStr for Ipv6Prefix {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let err = || parse_err(DataType::Ipv6Prefix, s);
        let (a, l) = s.trim().split_once('/').ok_or_else(err)?;
        let len: u8 = l.parse().map_err(|_| err())?;
        if len > 128 {
            return Err(ValueError::PrefixLength(len));
        }
        Ok(Ipv6Prefix {
            addr: mask_v6(a.parse().map_err(|_| err())?, len),
            len,
        })
    }
}

impl FromStr for Ipv4Prefix {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let err = || parse_err(DataType::Ipv4Prefix, s);
        let (a, l) = s.trim().split_once('/').ok_or_else(err)?;
        let len: u8 = l.parse().map_err(|_| err())?;
        if len > 32 {
            return Err(ValueError::PrefixLength(len));
        }
        Ok(Ipv4Prefix {
            addr: a.parse().map_err(|_| err())?,
            len,
        })
    }
}

impl fmt::Display for Ipv6Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl fmt::Display for Ipv4Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

fn hex(f: &mut fmt::Formatter<'_>, b: &[u8], sep: Option<char>) -> fmt::Result {
    for (i, x) in b.iter().enumerate() {
        if let Some(s) = sep.filter(|_| i > 0) {
            write!(f, "{s}")?;
        }
        write!(f, "{x:02x}")?;
    }
    Ok(())
}

impl Value {
    /// The data type this value is naturally encoded as.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Text(_) => DataType::Text,
            Value::Octets(_) => DataType::Octets,
            Value::Integer(_) => DataType::Integer,
            Value::Integer64(_) => DataType::Integer64,
            Value::Date(_) => DataType::Date,
            Value::Ipv4Addr(_) => DataType::Ipv4Addr,
            Value::Ipv6Addr(_) => DataType::Ipv6Addr,
            Value::Ipv6Prefix(_) => DataType::Ipv6Prefix,
            Value::Ipv4Prefix(_) => DataType::Ipv4Prefix,
            Value::Ifid(_) => DataType::Ifid,
            Value::Byte(_) => DataType::Byte,
            Value::Short(_) => DataType::Short,
            Value::Signed(_) => DataType::Signed,
            Value::Ether(_) => DataType::Ether,
            Value::Tlv(_) => DataType::Tlv,
        }
    }

    /// Appends the wire form of the value.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Text(s) => out.extend_from_slice(s.as_bytes()),
            Value::Octets(b) => out.extend_from_slice(b),
            Value::Integer(v) | Value::Date(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Integer64(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Ipv4Addr(a) => out.extend_from_slice(&a.octets()),
            Value::Ipv6Addr(a) => out.extend_from_slice(&a.octets()),
            Value::Ipv6Prefix(p) => p.encode(out),
            Value::Ipv4Prefix(p) => p.encode(out),
            Value::Ifid(b) => out.extend_from_slice(b),
            Value::Byte(v) => out.push(*v),
            Value::Short(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Signed(v) => out.extend_from_slice(&v.to_be_bytes()),
            Value::Ether(b) => out.extend_from_slice(b),
            Value::Tlv(tlvs) => {
                for t in tlvs {
                    out.push(t.ty);
                    out.push((t.value.len().min(253) + 2) as u8);
                    out.extend_from_slice(&t.value[..t.value.len().min(253)]);
                }
            }
        }
    }

    /// The wire form as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// The number, for numeric values.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Integer(v) | Value::Date(v) => Some(u64::from(v)),
            Value::Integer64(v) => Some(v),
            Value::Byte(v) => Some(u64::from(v)),
            Value::Short(v) => Some(u64::from(v)),
            Value::Signed(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::Octets(b) => {
                f.write_str("0x")?;
                hex(f, b, None)
            }
            Value::Integer(v) | Value::Date(v) => write!(f, "{v}"),
            Value::Integer64(v) => write!(f, "{v}"),
            Value::Ipv4Addr(a) => write!(f, "{a}"),
            Value::Ipv6Addr(a) => write!(f, "{a}"),
            Value::Ipv6Prefix(p) => write!(f, "{p}"),
            Value::Ipv4Prefix(p) => write!(f, "{p}"),
            Value::Ifid(b) => {
                for (i, pair) in b.chunks(2).enumerate() {
                    if i > 0 {
                        f.write_str(":")?;
                    }
                    hex(f, pair, None)?;
                }
                Ok(())
            }
            Value::Byte(v) => write!(f, "{v}"),
            Value::Short(v) => write!(f, "{v}"),
            Value::Signed(v) => write!(f, "{v}"),
            Value::Ether(b) => hex(f, b, Some(':')),
            Value::Tlv(t) => {
                f.write_str("0x")?;
                let mut v = Vec::new();
                Value::Tlv(t.clone()).encode(&mut v);
                hex(f, &v, None)
            }
        }
    }
}

/// A Rust type that can be the value of a typed attribute constant
/// ([`crate::Attr`]).
pub trait AttrValue: Sized {
    /// Reads the value from its wire form.
    fn from_wire(b: &[u8]) -> Option<Self>;
    /// Appends the wire form.
    fn to_wire(&self, out: &mut Vec<u8>);
}

impl AttrValue for String {
    fn from_wire(b: &[u8]) -> Option<Self> {
        Some(String::from_utf8_lossy(b).into_owned())
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl AttrValue for Vec<u8> {
    fn from_wire(b: &[u8]) -> Option<Self> {
        Some(b.to_vec())
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

macro_rules! be_int {
    ($($t:ty),*) => {$(
        impl AttrValue for $t {
            fn from_wire(b: &[u8]) -> Option<Self> {
                Some(<$t>::from_be_bytes(b.try_into().ok()?))
            }
            fn to_wire(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }
        }
    )*};
}
be_int!(u8, u16, u32, u64, i32);

impl AttrValue for Ipv4Addr {
    fn from_wire(b: &[u8]) -> Option<Self> {
        Some(Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?))
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.octets());
    }
}

impl AttrValue for Ipv6Addr {
    fn from_wire(b: &[u8]) -> Option<Self> {
        Some(Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?))
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.octets());
    }
}

impl AttrValue for Ipv6Prefix {
    fn from_wire(b: &[u8]) -> Option<Self> {
        Ipv6Prefix::decode(b).ok()
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        self.encode(out);
    }
}

impl AttrValue for Ipv4Prefix {
    fn from_wire(b: &[u8]) -> Option<Self> {
        Ipv4Prefix::decode(b).ok()
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        self.encode(out);
    }
}

impl AttrValue for [u8; 8] {
    fn from_wire(b: &[u8]) -> Option<Self> {
        b.try_into().ok()
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl AttrValue for [u8; 6] {
    fn from_wire(b: &[u8]) -> Option<Self> {
        b.try_into().ok()
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl AttrValue for SystemTime {
    fn from_wire(b: &[u8]) -> Option<Self> {
        let secs = u32::from_be_bytes(b.try_into().ok()?);
        Some(UNIX_EPOCH + Duration::from_secs(u64::from(secs)))
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        let secs = self
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        out.extend_from_slice(&u32::try_from(secs).unwrap_or(u32::MAX).to_be_bytes());
    }
}

impl AttrValue for Value {
    fn from_wire(b: &[u8]) -> Option<Self> {
        Some(Value::Octets(b.to_vec()))
    }
    fn to_wire(&self, out: &mut Vec<u8>) {
        self.encode(out);
    }
}
