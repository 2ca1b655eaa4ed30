//! Attribute identities, decoded attributes and typed attribute constants.

use std::fmt;
use std::marker::PhantomData;

/// Where an attribute lives in the RADIUS attribute space.
///
/// ```
/// use radius::AttributeId;
/// assert_eq!(AttributeId::Standard(1).to_string(), "Attr-1");
/// assert_eq!(AttributeId::Vendor { vendor: 14988, ty: 8 }.to_string(), "Attr-26.14988.8");
/// assert_eq!(AttributeId::Extended { ty: 241, ext: 3 }.to_string(), "Attr-241.3");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttributeId {
    /// A top-level attribute (RFC 2865), 1–255.
    Standard(u8),
    /// A vendor attribute inside Vendor-Specific (26). `ty` is as wide as
    /// the vendor's format allows (1, 2 or 4 octets).
    Vendor {
        /// SMI Private Enterprise Code.
        vendor: u32,
        /// Vendor attribute number.
        ty: u32,
    },
    /// An RFC 6929 extended attribute: `ty` is 241–246, `ext` the
    /// Extended-Type octet.
    Extended {
        /// 241–246.
        ty: u8,
        /// Extended-Type.
        ext: u8,
    },
    /// An RFC 6929 Extended-Vendor-Specific attribute (`ty`.26.`vendor`.`ext`).
    ExtendedVendor {
        /// 241–246.
        ty: u8,
        /// SMI Private Enterprise Code.
        vendor: u32,
        /// Vendor-Type.
        ext: u8,
    },
}

impl fmt::Display for AttributeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeId::Standard(t) => write!(f, "Attr-{t}"),
            AttributeId::Vendor { vendor, ty } => write!(f, "Attr-26.{vendor}.{ty}"),
            AttributeId::Extended { ty, ext } => write!(f, "Attr-{ty}.{ext}"),
            AttributeId::ExtendedVendor { ty, vendor, ext } => {
                write!(f, "Attr-{ty}.26.{vendor}.{ext}")
            }
        }
    }
}

/// One attribute of a packet, with its value in plain form: hidden values
/// (User-Password, Tunnel-Password, MPPE keys) are already revealed, tags
/// are split off, and values split over several wire attributes are joined.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Which attribute.
    pub id: AttributeId,
    /// The RFC 2868 tag (0–31) of a tagged attribute, if it carried one.
    pub tag: Option<u8>,
    /// The plain value octets.
    pub value: Vec<u8>,
}

impl Attribute {
    /// An untagged attribute.
    pub fn new(id: AttributeId, value: impl Into<Vec<u8>>) -> Self {
        Attribute {
            id,
            tag: None,
            value: value.into(),
        }
    }
}

/// A typed attribute constant: an [`AttributeId`] with its dictionary name
/// and the Rust type of its value, used with [`crate::Packet::get`] and
/// [`crate::Packet::add`].
///
/// ```
/// use radius::{attr, Code, Packet};
/// let mut p = Packet::new(Code::AccessAccept, 1);
/// p.add(attr::SESSION_TIMEOUT, 3600);
/// p.add(attr::mikrotik::RATE_LIMIT, "10M/20M".to_string());
/// assert_eq!(p.get(attr::SESSION_TIMEOUT), Some(3600));
/// assert_eq!(attr::mikrotik::RATE_LIMIT.name, "Mikrotik-Rate-Limit");
/// ```
pub struct Attr<T> {
    /// Which attribute.
    pub id: AttributeId,
    /// Its dictionary name.
    pub name: &'static str,
    ty: PhantomData<fn() -> T>,
}

impl<T> Attr<T> {
    /// A top-level attribute.
    pub const fn standard(ty: u8, name: &'static str) -> Self {
        Attr {
            id: AttributeId::Standard(ty),
            name,
            ty: PhantomData,
        }
    }

    /// A vendor attribute.
    pub const fn vendor(vendor: u32, ty: u32, name: &'static str) -> Self {
        Attr {
            id: AttributeId::Vendor { vendor, ty },
            name,
            ty: PhantomData,
        }
    }

    /// Any attribute.
    pub const fn new(id: AttributeId, name: &'static str) -> Self {
        Attr {
            id,
            name,
            ty: PhantomData,
        }
    }
}

impl<T> Clone for Attr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Attr<T> {}

impl<T> fmt::Debug for Attr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.id)
    }
}
