//! RADIUS wire protocol: packets, attributes, dictionaries and
//! authentication methods.
//!
//! - [`Packet`] decodes and encodes RFC 2865/2866/5176 packets, checks and
//!   computes Request, Response and Message-Authenticators (RFC 3579),
//!   hides User-Password and salt-encrypts Tunnel-Password and MPPE keys,
//!   handles tags (RFC 2868), vendor attributes, RFC 6929 extended and
//!   long extended attributes, and values split over several attributes.
//! - [`Dictionary`] names attributes: built-in tables for the standard
//!   attributes and the vendors Lastmile speaks to, plus a loader for
//!   FreeRADIUS dictionary files.
//! - [`value`] holds the RFC 8044 data types; [`attr`] typed constants.
//! - [`acct`] reads an Accounting-Request's session record (status,
//!   session, addresses, counters with Gigawords) and refuses impossible
//!   counters.
//! - [`auth`] verifies PAP, CHAP, MS-CHAPv1 and MS-CHAPv2 and derives MPPE
//!   keys.
//!
//! Decoding never panics on malformed input: errors name the attribute and
//! its byte offset.
//!
//! ```
//! use radius::{attr, Code, Packet};
//! let mut req = Packet::new(Code::AccountingRequest, 42);
//! req.add(attr::ACCT_STATUS_TYPE, 1);
//! req.add_text(attr::ACCT_SESSION_ID, "0001");
//! let wire = req.encode(b"secret")?;
//! let got = Packet::decode(&wire, b"secret")?;
//! assert!(got.verify_request_authenticator().is_ok());
//! assert_eq!(got.value_text("Acct-Status-Type").as_deref(), Some("Start"));
//! assert!(Packet::decode(&wire, b"wrong")?.verify_request_authenticator().is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod acct;
pub mod attr;
mod attribute;
pub mod auth;
mod code;
pub mod crypto;
pub mod dict;
mod packet;
pub mod value;

pub use attribute::{Attr, Attribute, AttributeId};
pub use code::{AuthenticatorKind, Code};
pub use dict::{AttrDef, DictError, Dictionary, Encryption, VendorDef};
pub use packet::{
    AttrError, AuthenticatorError, DecodeError, EncodeError, HEADER_LEN, MAX_PACKET_LEN, Packet,
};
pub use value::{DataType, Ipv4Prefix, Ipv6Prefix, Tlv, Value, ValueError};
