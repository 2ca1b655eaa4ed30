//! RADIUS packets: decoding, encoding, authenticators and attribute access.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use hmac::{KeyInit, Mac};
use md5::{Digest, Md5};

use crate::attribute::{Attr, Attribute, AttributeId};
use crate::code::{AuthenticatorKind, Code};
use crate::crypto;
use crate::dict::{AttrDef, Dictionary, Encryption};
use crate::value::{AttrValue, DataType, Value, ValueError};

type HmacMd5 = hmac::Hmac<Md5>;

/// Largest RADIUS packet (RFC 2865 section 3).
pub const MAX_PACKET_LEN: usize = 4096;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 20;

const MESSAGE_AUTHENTICATOR: u8 = 80;
const PROXY_STATE: u8 = 33;

/// A packet could not be decoded. Attribute errors name the attribute and
/// the byte offset of its header within the packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer than 20 octets.
    #[error("packet of {0} octets is shorter than the 20-octet header")]
    TooShort(usize),
    /// The Length field is below 20, above 4096, or beyond the datagram.
    #[error("Length field {declared} is invalid for a datagram of {received} octets")]
    BadLength {
        /// The Length field.
        declared: usize,
        /// Octets received.
        received: usize,
    },
    /// An attribute is malformed.
    #[error("{attribute} at byte {offset}: {reason}")]
    Attribute {
        /// Dictionary name of the attribute (or `Attr-…`).
        attribute: String,
        /// Byte offset of the attribute within the packet.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
}

/// A packet could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A reply needs its request's authenticator ([`Packet::make_response`]).
    #[error("{0} is a reply: make it with Packet::make_response so it knows its request")]
    NoRequestAuthenticator(Code),
    /// A value is too long for its attribute.
    #[error("{attribute}: value of {len} octets is too long (at most {max})")]
    ValueTooLong {
        /// Attribute name.
        attribute: String,
        /// Value length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A value cannot be encoded as its attribute's type or flags ask.
    #[error("{attribute}: {reason}")]
    BadValue {
        /// Attribute name.
        attribute: String,
        /// What is wrong.
        reason: String,
    },
    /// The packet would exceed 4096 octets.
    #[error("packet of {0} octets exceeds the 4096-octet limit")]
    TooLong(usize),
}

/// A packet's authenticators do not match the shared secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthenticatorError {
    /// Accounting-Request, CoA-Request or Disconnect-Request with a wrong
    /// Request Authenticator.
    #[error("Request Authenticator does not match the shared secret")]
    Request,
    /// A reply whose Response Authenticator does not match.
    #[error("Response Authenticator does not match the request and shared secret")]
    Response,
    /// A Message-Authenticator that does not match.
    #[error("Message-Authenticator does not match the shared secret")]
    MessageAuthenticator,
    /// A reply was decoded without its request, so it cannot be checked.
    #[error("reply was decoded without its request's authenticator")]
    NoRequest,
    /// Status-Server without Message-Authenticator (RFC 5997 requires one).
    #[error("Status-Server without Message-Authenticator")]
    MissingMessageAuthenticator,
}

/// An attribute could not be set by name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttrError {
    /// The dictionary has no such attribute.
    #[error("unknown attribute {0}")]
    Unknown(String),
    /// The text is not a valid value.
    #[error("{attribute}: {source}")]
    Value {
        /// Attribute name.
        attribute: String,
        /// Why.
        source: ValueError,
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Checks {
    /// Request or Response Authenticator verified: `None` when there is
    /// nothing to verify (random authenticator) or it could not be.
    authenticator: Option<bool>,
    message_authenticator: Option<bool>,
    no_request: bool,
}

/// A RADIUS packet.
///
/// Attributes are kept in order with plain values (see [`Attribute`]);
/// encoding hides, tags and splits them as the dictionary says, and signs
/// the packet.
///
/// A server's round trip:
///
/// ```
/// use radius::{attr, auth, Code, Packet};
/// let secret = b"s3cret";
///
/// // What a NAS would send.
/// let mut req = Packet::new(Code::AccessRequest, 7);
/// req.add_text(attr::USER_NAME, "alice");
/// req.add(attr::USER_PASSWORD, b"wonderland".to_vec());
/// req.add_message_authenticator();
/// let wire = req.encode(secret)?;
///
/// // The server side.
/// let got = Packet::decode(&wire, secret)?;
/// got.verify_request_authenticator()?;
/// assert!(got.has_message_authenticator());
/// assert_eq!(got.get(attr::USER_NAME).as_deref(), Some("alice"));
/// auth::pap::verify(&got, b"wonderland")?;
/// let mut reply = got.make_response(Code::AccessAccept);
/// reply.add_message_authenticator();
/// reply.add(attr::SESSION_TIMEOUT, 3600);
/// let reply_wire = reply.encode(secret)?;
///
/// // Back on the NAS.
/// let answer = Packet::decode_response(&reply_wire, secret, &req.authenticator)?;
/// answer.verify_response_authenticator()?;
/// assert_eq!(answer.code, Code::AccessAccept);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Packet {
    /// Packet type.
    pub code: Code,
    /// Identifier matching replies to requests.
    pub identifier: u8,
    /// The Authenticator field. For Access-Request and Status-Server it is
    /// random and used as is; for other codes [`Packet::encode`] computes
    /// it and this field holds what was received.
    pub authenticator: [u8; 16],
    attributes: Vec<Attribute>,
    request_authenticator: Option<[u8; 16]>,
    dict: Arc<Dictionary>,
    checks: Checks,
}

struct Decoder<'a> {
    dict: &'a Dictionary,
    secret: &'a [u8],
    crypto_auth: [u8; 16],
    attrs: Vec<Attribute>,
    /// A value split over several wire attributes (long-extended M flag,
    /// vendor continuation) still being joined: id, offset, octets.
    open: Option<(AttributeId, usize, Vec<u8>)>,
}

fn attr_err(attribute: impl Into<String>, offset: usize, reason: impl Into<String>) -> DecodeError {
    DecodeError::Attribute {
        attribute: attribute.into(),
        offset,
        reason: reason.into(),
    }
}

impl Decoder<'_> {
    fn name(&self, id: AttributeId) -> String {
        self.dict.name_of(id)
    }

    /// Adds one complete wire value: reveals, untags, checks, joins.
    fn finish(&mut self, id: AttributeId, raw: &[u8], offset: usize) -> Result<(), DecodeError> {
        let Some(def) = self.dict.attr(id) else {
            self.attrs.push(Attribute {
                id,
                tag: None,
                value: raw.to_vec(),
            });
            return Ok(());
        };
        let err = |reason: String| attr_err(def.name.clone(), offset, reason);
        let mut tag = None;
        let mut v: Cow<'_, [u8]> = Cow::Borrowed(raw);
        if def.has_tag {
            if def.data_type == DataType::Integer {
                if raw.len() != 4 {
                    return Err(err(format!(
                        "tagged integer must be 4 octets, got {}",
                        raw.len()
                    )));
                }
                tag = Some(raw[0]);
                v = Cow::Owned(vec![0, raw[1], raw[2], raw[3]]);
            } else if def.encrypt == Encryption::TunnelPassword
                || raw.first().is_some_and(|t| *t <= 0x1f)
            {
                let (&t, rest) = raw
                    .split_first()
                    .ok_or_else(|| err("tagged value is empty".into()))?;
                tag = Some(t);
                v = Cow::Borrowed(rest);
            }
        }
        let tag = tag.filter(|t| *t != 0);
        let v = match def.encrypt {
            Encryption::None => v,
            Encryption::UserPassword => Cow::Owned(
                crypto::unhide_user_password(&v, self.secret, &self.crypto_auth)
                    .map_err(|e| err(e.to_string()))?,
            ),
            Encryption::TunnelPassword => Cow::Owned(
                crypto::salt_decrypt(&v, self.secret, &self.crypto_auth)
                    .map_err(|e| err(e.to_string()))?,
            ),
            Encryption::AscendSecret => {
                if v.len() != 16 {
                    return Err(err(format!(
                        "Ascend secret must be 16 octets, got {}",
                        v.len()
                    )));
                }
                Cow::Owned(crypto::ascend_secret(
                    &v,
                    self.secret,
                    &self.crypto_auth,
                    true,
                ))
            }
        };
        if def.encrypt == Encryption::None {
            def.data_type.check(&v).map_err(|e| err(e.to_string()))?;
        }
        if def.concat
            && let Some(prev) = self.attrs.iter_mut().rev().find(|a| a.id == id)
        {
            prev.value.extend_from_slice(&v);
            return Ok(());
        }
        self.attrs.push(Attribute {
            id,
            tag,
            value: v.into_owned(),
        });
        Ok(())
    }

    /// Joins a fragment; `more` says whether another follows.
    fn fragment(
        &mut self,
        id: AttributeId,
        data: &[u8],
        offset: usize,
        more: bool,
    ) -> Result<(), DecodeError> {
        let (start, mut buf) = match self.open.take() {
            Some((open_id, start, buf)) if open_id == id => (start, buf),
            Some((open_id, start, _)) => {
                return Err(attr_err(
                    self.name(open_id),
                    start,
                    "fragment has the More flag but is not followed by the rest",
                ));
            }
            None => (offset, Vec::new()),
        };
        buf.extend_from_slice(data);
        if more {
            self.open = Some((id, start, buf));
            return Ok(());
        }
        // Long Extended-Vendor-Specific: the vendor header is in the joined value.
        if let AttributeId::Extended { ty, ext: 26 } = id {
            if buf.len() < 5 {
                return Err(attr_err(
                    self.name(id),
                    start,
                    "Extended-Vendor-Specific shorter than its 5-octet header",
                ));
            }
            let vendor = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
            let vid = AttributeId::ExtendedVendor {
                ty,
                vendor,
                ext: buf[4],
            };
            return self.finish(vid, &buf[5..], start);
        }
        self.finish(id, &buf, start)
    }

    fn vsa(&mut self, data: &[u8], offset: usize) -> Result<(), DecodeError> {
        if data.len() < 4 {
            return Err(attr_err(
                "Vendor-Specific",
                offset,
                format!("{} octets is shorter than the vendor id", data.len()),
            ));
        }
        let vendor = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        let known = self.dict.vendor(vendor);
        let (ts, ls, cont) = known.map_or((1, 1, false), |v| {
            (
                usize::from(v.type_size),
                usize::from(v.length_size),
                v.continuation,
            )
        });
        let vname = known.map_or_else(
            || format!("Vendor-Specific({vendor})"),
            |v| format!("Vendor-Specific({})", v.name),
        );
        let hdr = ts + ls + usize::from(cont);
        let mut subs: Vec<(AttributeId, usize, usize, bool)> = Vec::new();
        let mut p = 4;
        let mut bad = None;
        while p < data.len() {
            if data.len() - p < hdr.max(1) {
                bad = Some((
                    p,
                    format!(
                        "{} octets left, a vendor attribute header needs {hdr}",
                        data.len() - p
                    ),
                ));
                break;
            }
            let ty = data[p..p + ts]
                .iter()
                .fold(0u32, |a, b| (a << 8) | u32::from(*b));
            let len = match ls {
                0 => data.len() - p,
                _ => data[p + ts..p + ts + ls]
                    .iter()
                    .fold(0usize, |a, b| (a << 8) | usize::from(*b)),
            };
            if len < hdr || p + len > data.len() {
                bad = Some((
                    p,
                    format!(
                        "vendor attribute length {len} is invalid ({} octets left)",
                        data.len() - p
                    ),
                ));
                break;
            }
            let more = cont && data[p + ts + ls] & 0x80 != 0;
            subs.push((AttributeId::Vendor { vendor, ty }, p + hdr, p + len, more));
            p += len;
        }
        if let Some((p, reason)) = bad {
            if known.is_none() {
                // An unknown vendor may use a layout we cannot guess: keep it raw.
                self.attrs.push(Attribute {
                    id: AttributeId::Standard(26),
                    tag: None,
                    value: data.to_vec(),
                });
                return Ok(());
            }
            return Err(attr_err(vname, offset + 2 + p, reason));
        }
        for (id, s, e, more) in subs {
            let off = offset + 2 + s - hdr;
            if cont {
                self.fragment(id, &data[s..e], off, more)?;
            } else {
                self.finish(id, &data[s..e], off)?;
            }
        }
        Ok(())
    }
}

impl Packet {
    /// An empty packet using the built-in dictionary. Access-Request and
    /// Status-Server get a random Request Authenticator.
    pub fn new(code: Code, identifier: u8) -> Packet {
        Packet::with_dictionary(code, identifier, Dictionary::standard())
    }

    /// An empty packet using the given dictionary.
    pub fn with_dictionary(code: Code, identifier: u8, dict: Arc<Dictionary>) -> Packet {
        let authenticator = match code.authenticator_kind() {
            AuthenticatorKind::Random => crypto::random_authenticator(),
            _ => [0; 16],
        };
        Packet {
            code,
            identifier,
            authenticator,
            attributes: Vec::new(),
            request_authenticator: None,
            dict,
            checks: Checks::default(),
        }
    }

    /// Decodes a request (or any packet whose authenticator does not depend
    /// on another) with the built-in dictionary. Hidden values are revealed
    /// and the authenticators are checked; see
    /// [`Packet::verify_request_authenticator`]. Never panics.
    pub fn decode(bytes: &[u8], secret: &[u8]) -> Result<Packet, DecodeError> {
        Packet::decode_with(bytes, secret, &Dictionary::standard())
    }

    /// [`Packet::decode`] with a given dictionary.
    pub fn decode_with(
        bytes: &[u8],
        secret: &[u8],
        dict: &Arc<Dictionary>,
    ) -> Result<Packet, DecodeError> {
        Packet::decode_inner(bytes, secret, dict, None)
    }

    /// Decodes a reply to a request whose Authenticator field was
    /// `request_authenticator` (for an encoded request: its octets 4..20).
    pub fn decode_response(
        bytes: &[u8],
        secret: &[u8],
        request_authenticator: &[u8; 16],
    ) -> Result<Packet, DecodeError> {
        Packet::decode_inner(
            bytes,
            secret,
            &Dictionary::standard(),
            Some(*request_authenticator),
        )
    }

    /// [`Packet::decode_response`] with a given dictionary.
    pub fn decode_response_with(
        bytes: &[u8],
        secret: &[u8],
        request_authenticator: &[u8; 16],
        dict: &Arc<Dictionary>,
    ) -> Result<Packet, DecodeError> {
        Packet::decode_inner(bytes, secret, dict, Some(*request_authenticator))
    }

    fn decode_inner(
        bytes: &[u8],
        secret: &[u8],
        dict: &Arc<Dictionary>,
        request: Option<[u8; 16]>,
    ) -> Result<Packet, DecodeError> {
        if bytes.len() < HEADER_LEN {
            return Err(DecodeError::TooShort(bytes.len()));
        }
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        if !(HEADER_LEN..=MAX_PACKET_LEN).contains(&len) || len > bytes.len() {
            return Err(DecodeError::BadLength {
                declared: len,
                received: bytes.len(),
            });
        }
        // Octets past the Length field are padding (RFC 2865 section 3).
        let b = &bytes[..len];
        let code = Code::from(b[0]);
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&b[4..20]);
        let kind = code.authenticator_kind();
        let crypto_auth = match kind {
            AuthenticatorKind::Random => authenticator,
            AuthenticatorKind::RequestHash => [0; 16],
            AuthenticatorKind::Response => request.unwrap_or([0; 16]),
        };
        let mut d = Decoder {
            dict,
            secret,
            crypto_auth,
            attrs: Vec::with_capacity(12),
            open: None,
        };
        let mut ma_offset = None;
        let mut o = HEADER_LEN;
        while o < len {
            if len - o < 2 {
                return Err(attr_err("attribute header", o, "only 1 octet left"));
            }
            let ty = b[o];
            let al = usize::from(b[o + 1]);
            if ty == 0 {
                return Err(attr_err("Attr-0", o, "attribute number 0 is invalid"));
            }
            if al < 2 {
                return Err(attr_err(
                    d.name(AttributeId::Standard(ty)),
                    o,
                    format!("length {al} is below 2"),
                ));
            }
            if o + al > len {
                return Err(attr_err(
                    d.name(AttributeId::Standard(ty)),
                    o,
                    format!("length {al} overruns the packet ({} octets left)", len - o),
                ));
            }
            let data = &b[o + 2..o + al];
            if let Some((open_id, start, _)) = &d.open {
                let continues = match (*open_id, ty) {
                    (AttributeId::Extended { ty: t, ext }, 245 | 246) => {
                        t == ty && data.first() == Some(&ext)
                    }
                    (AttributeId::Vendor { .. }, 26) => true,
                    _ => false,
                };
                if !continues {
                    return Err(attr_err(
                        d.name(*open_id),
                        *start,
                        "fragment has the More flag but is not followed by the rest",
                    ));
                }
            }
            match ty {
                26 => d.vsa(data, o)?,
                241..=244 => {
                    let Some((&ext, rest)) = data.split_first() else {
                        return Err(attr_err(
                            d.name(AttributeId::Standard(ty)),
                            o,
                            "no Extended-Type octet",
                        ));
                    };
                    if ext == 26 {
                        if rest.len() < 5 {
                            return Err(attr_err(
                                d.name(AttributeId::Extended { ty, ext }),
                                o,
                                "Extended-Vendor-Specific shorter than its 5-octet header",
                            ));
                        }
                        let vendor = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
                        d.finish(
                            AttributeId::ExtendedVendor {
                                ty,
                                vendor,
                                ext: rest[4],
                            },
                            &rest[5..],
                            o,
                        )?;
                    } else {
                        d.finish(AttributeId::Extended { ty, ext }, rest, o)?;
                    }
                }
                245 | 246 => {
                    if data.len() < 2 {
                        return Err(attr_err(
                            d.name(AttributeId::Standard(ty)),
                            o,
                            "no Extended-Type and flags octets",
                        ));
                    }
                    d.fragment(
                        AttributeId::Extended { ty, ext: data[0] },
                        &data[2..],
                        o,
                        data[1] & 0x80 != 0,
                    )?;
                }
                _ => {
                    if ty == MESSAGE_AUTHENTICATOR {
                        if al != 18 {
                            return Err(attr_err(
                                "Message-Authenticator",
                                o,
                                format!("length {al} is not 18"),
                            ));
                        }
                        if ma_offset.replace(o).is_some() {
                            return Err(attr_err("Message-Authenticator", o, "appears twice"));
                        }
                    }
                    d.finish(AttributeId::Standard(ty), data, o)?;
                }
            }
            o += al;
        }
        if let Some((id, start, _)) = d.open.take() {
            return Err(attr_err(
                d.name(id),
                start,
                "last fragment has the More flag set",
            ));
        }

        let header_auth = match kind {
            AuthenticatorKind::Random => authenticator,
            AuthenticatorKind::RequestHash => [0; 16],
            AuthenticatorKind::Response => request.unwrap_or([0; 16]),
        };
        let no_request = kind == AuthenticatorKind::Response && request.is_none();
        let mut checks = Checks {
            no_request,
            ..Checks::default()
        };
        if let Some(m) = ma_offset
            && !no_request
        {
            let mut mac = <HmacMd5 as KeyInit>::new_from_slice(secret)
                .map_err(|_| attr_err("Message-Authenticator", m, "bad key"))?;
            mac.update(&b[..4]);
            mac.update(&header_auth);
            mac.update(&b[20..m + 2]);
            mac.update(&[0u8; 16]);
            mac.update(&b[m + 18..]);
            let want = mac.finalize().into_bytes();
            checks.message_authenticator = Some(crypto::constant_time_eq(&want, &b[m + 2..m + 18]));
        }
        if matches!(kind, AuthenticatorKind::RequestHash)
            || (kind == AuthenticatorKind::Response && !no_request)
        {
            let mut h = Md5::new();
            h.update(&b[..4]);
            h.update(header_auth);
            h.update(&b[20..]);
            h.update(secret);
            let want: [u8; 16] = h.finalize().into();
            checks.authenticator = Some(crypto::constant_time_eq(&want, &authenticator));
        }
        Ok(Packet {
            code,
            identifier: b[1],
            authenticator,
            attributes: d.attrs,
            request_authenticator: request,
            dict: Arc::clone(dict),
            checks,
        })
    }

    /// Checks the authenticators of a decoded request: the Request
    /// Authenticator of Accounting-, CoA- and Disconnect-Request (RFC 2866,
    /// RFC 5176) and the Message-Authenticator when present (RFC 3579). An
    /// Access-Request's authenticator is random and has nothing to check,
    /// so servers should also require a Message-Authenticator
    /// ([`Packet::has_message_authenticator`]) per BlastRADIUS guidance.
    pub fn verify_request_authenticator(&self) -> Result<(), AuthenticatorError> {
        if self.checks.authenticator == Some(false) {
            return Err(AuthenticatorError::Request);
        }
        if self.checks.message_authenticator == Some(false) {
            return Err(AuthenticatorError::MessageAuthenticator);
        }
        if self.code == Code::StatusServer && self.checks.message_authenticator.is_none() {
            return Err(AuthenticatorError::MissingMessageAuthenticator);
        }
        Ok(())
    }

    /// Checks the Response Authenticator and Message-Authenticator of a
    /// reply decoded with [`Packet::decode_response`].
    pub fn verify_response_authenticator(&self) -> Result<(), AuthenticatorError> {
        if self.checks.no_request {
            return Err(AuthenticatorError::NoRequest);
        }
        if self.checks.authenticator == Some(false) {
            return Err(AuthenticatorError::Response);
        }
        if self.checks.message_authenticator == Some(false) {
            return Err(AuthenticatorError::MessageAuthenticator);
        }
        Ok(())
    }

    /// True when the packet carries a Message-Authenticator attribute.
    pub fn has_message_authenticator(&self) -> bool {
        self.attributes
            .iter()
            .any(|a| a.id == AttributeId::Standard(MESSAGE_AUTHENTICATOR))
    }

    /// Adds a Message-Authenticator as the first attribute (the BlastRADIUS
    /// mitigation wants it first); [`Packet::encode`] fills in its value.
    pub fn add_message_authenticator(&mut self) {
        if !self.has_message_authenticator() {
            self.attributes.insert(
                0,
                Attribute::new(AttributeId::Standard(MESSAGE_AUTHENTICATOR), vec![0; 16]),
            );
        }
    }

    /// A reply to this request: same identifier, remembers this packet's
    /// authenticator for signing and hiding, same dictionary, and the
    /// request's Proxy-State attributes copied in order (RFC 2865
    /// section 5.33).
    pub fn make_response(&self, code: Code) -> Packet {
        Packet {
            code,
            identifier: self.identifier,
            authenticator: [0; 16],
            attributes: self
                .attributes
                .iter()
                .filter(|a| a.id == AttributeId::Standard(PROXY_STATE))
                .cloned()
                .collect(),
            request_authenticator: Some(self.authenticator),
            dict: Arc::clone(&self.dict),
            checks: Checks::default(),
        }
    }

    /// The authenticator of the request a reply answers, when known.
    pub fn request_authenticator(&self) -> Option<&[u8; 16]> {
        self.request_authenticator.as_ref()
    }

    /// The dictionary the packet uses.
    pub fn dictionary(&self) -> &Arc<Dictionary> {
        &self.dict
    }

    /// Encodes and signs the packet: hides values, adds tags, splits long
    /// values, computes the Message-Authenticator (if the packet has one)
    /// and the Request or Response Authenticator.
    pub fn encode(&self, secret: &[u8]) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(256);
        self.encode_into(secret, &mut out)?;
        Ok(out)
    }

    /// [`Packet::encode`] into a buffer the caller keeps (cleared first), so
    /// a server answering many requests reuses one allocation.
    pub fn encode_into(&self, secret: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.clear();
        let kind = self.code.authenticator_kind();
        let header_auth = match kind {
            AuthenticatorKind::Random => self.authenticator,
            AuthenticatorKind::RequestHash => [0; 16],
            AuthenticatorKind::Response => self
                .request_authenticator
                .ok_or(EncodeError::NoRequestAuthenticator(self.code))?,
        };
        out.push(u8::from(self.code));
        out.push(self.identifier);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&header_auth);
        let mut ma = None;
        for a in &self.attributes {
            if a.id == AttributeId::Standard(MESSAGE_AUTHENTICATOR) {
                if ma.is_none() {
                    ma = Some(out.len());
                    out.extend_from_slice(&[MESSAGE_AUTHENTICATOR, 18]);
                    out.extend_from_slice(&[0; 16]);
                }
                continue;
            }
            self.encode_attr(out, a, secret, &header_auth)?;
            if out.len() > MAX_PACKET_LEN {
                return Err(EncodeError::TooLong(out.len()));
            }
        }
        let len = out.len();
        out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        if let Some(m) = ma {
            let mut mac = <HmacMd5 as KeyInit>::new_from_slice(secret).map_err(|_| {
                EncodeError::BadValue {
                    attribute: "Message-Authenticator".into(),
                    reason: "bad key".into(),
                }
            })?;
            mac.update(out);
            out[m + 2..m + 18].copy_from_slice(&mac.finalize().into_bytes());
        }
        if kind != AuthenticatorKind::Random {
            let mut h = Md5::new();
            h.update(&*out);
            h.update(secret);
            let sig: [u8; 16] = h.finalize().into();
            out[4..20].copy_from_slice(&sig);
        }
        Ok(())
    }

    fn encode_attr(
        &self,
        out: &mut Vec<u8>,
        a: &Attribute,
        secret: &[u8],
        auth: &[u8; 16],
    ) -> Result<(), EncodeError> {
        let def = self.dict.attr(a.id);
        let name = || self.dict.name_of(a.id);
        let bad = |reason: String| EncodeError::BadValue {
            attribute: name(),
            reason,
        };
        let mut v: Cow<'_, [u8]> = Cow::Borrowed(&a.value);
        if let Some(tag) = a.tag {
            if tag > 0x1f {
                return Err(bad(format!("tag {tag} is above 31")));
            }
            if !def.is_some_and(|d| d.has_tag) {
                return Err(bad("attribute takes no tag".into()));
            }
        }
        if let Some(def) = def {
            v = match def.encrypt {
                Encryption::None => v,
                Encryption::UserPassword => Cow::Owned(
                    crypto::hide_user_password(&v, secret, auth).map_err(|e| bad(e.to_string()))?,
                ),
                Encryption::TunnelPassword => Cow::Owned(
                    crypto::salt_encrypt(&v, secret, auth, crypto::random_salt())
                        .map_err(|e| bad(e.to_string()))?,
                ),
                Encryption::AscendSecret => {
                    if v.len() > 16 {
                        return Err(EncodeError::ValueTooLong {
                            attribute: name(),
                            len: v.len(),
                            max: 16,
                        });
                    }
                    Cow::Owned(crypto::ascend_secret(&v, secret, auth, false))
                }
            };
            if def.has_tag {
                let tag = a.tag.unwrap_or(0);
                if def.data_type == DataType::Integer {
                    if v.len() != 4 || v[0] != 0 {
                        return Err(bad("a tagged integer must be below 2^24".into()));
                    }
                    let mut t = v.into_owned();
                    t[0] = tag;
                    v = Cow::Owned(t);
                } else if tag != 0
                    || def.encrypt == Encryption::TunnelPassword
                    || v.first().is_some_and(|b| *b <= 0x1f)
                {
                    let mut t = Vec::with_capacity(v.len() + 1);
                    t.push(tag);
                    t.extend_from_slice(&v);
                    v = Cow::Owned(t);
                }
            }
        }
        let concat = def.is_some_and(|d| d.concat);
        let too_long = |max: usize| EncodeError::ValueTooLong {
            attribute: name(),
            len: v.len(),
            max,
        };
        match a.id {
            AttributeId::Standard(ty) => {
                if v.len() > 253 && !concat {
                    return Err(too_long(253));
                }
                if v.is_empty() {
                    out.extend_from_slice(&[ty, 2]);
                }
                for chunk in v.chunks(253) {
                    out.push(ty);
                    out.push((chunk.len() + 2) as u8);
                    out.extend_from_slice(chunk);
                }
            }
            AttributeId::Vendor { vendor, ty } => {
                let (ts, ls, cont) = self.dict.vendor(vendor).map_or((1, 1, false), |v| {
                    (
                        usize::from(v.type_size),
                        usize::from(v.length_size),
                        v.continuation,
                    )
                });
                let hdr = ts + ls + usize::from(cont);
                let max = 253 - 4 - hdr;
                if ts < 4 && u64::from(ty) >= 1u64 << (8 * ts) {
                    return Err(bad(format!("vendor type {ty} does not fit {ts} octet(s)")));
                }
                if v.len() > max && !concat && !cont {
                    return Err(too_long(max));
                }
                let chunks: Vec<&[u8]> = if v.is_empty() {
                    vec![&[][..]]
                } else {
                    v.chunks(max).collect()
                };
                let n = chunks.len();
                for (i, chunk) in chunks.into_iter().enumerate() {
                    out.push(26);
                    out.push((2 + 4 + hdr + chunk.len()) as u8);
                    out.extend_from_slice(&vendor.to_be_bytes());
                    out.extend_from_slice(&ty.to_be_bytes()[4 - ts..]);
                    let vl = (hdr + chunk.len()) as u16;
                    match ls {
                        1 => out.push(vl as u8),
                        2 => out.extend_from_slice(&vl.to_be_bytes()),
                        _ => {}
                    }
                    if cont {
                        out.push(if i + 1 < n { 0x80 } else { 0 });
                    }
                    out.extend_from_slice(chunk);
                }
            }
            AttributeId::Extended { ty, ext } => {
                if ext == 26 || !(241..=246).contains(&ty) {
                    return Err(bad(format!(
                        "{ty}.{ext} is not an extended attribute number (26 is Extended-Vendor-Specific)"
                    )));
                }
                encode_extended(out, ty, ext, &v).map_err(too_long)?
            }
            AttributeId::ExtendedVendor { ty, vendor, ext } => {
                if !(241..=246).contains(&ty) {
                    return Err(bad(format!("{ty} is not an extended attribute number")));
                }
                let mut inner = Vec::with_capacity(5 + v.len());
                inner.extend_from_slice(&vendor.to_be_bytes());
                inner.push(ext);
                inner.extend_from_slice(&v);
                encode_extended(out, ty, 26, &inner).map_err(|max| EncodeError::ValueTooLong {
                    attribute: name(),
                    len: v.len(),
                    max: max.saturating_sub(5),
                })?;
            }
        }
        Ok(())
    }

    /// All attributes, in order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    /// All attributes, for editing.
    pub fn attributes_mut(&mut self) -> &mut Vec<Attribute> {
        &mut self.attributes
    }

    /// Appends an attribute.
    pub fn push(&mut self, a: Attribute) {
        self.attributes.push(a);
    }

    /// The first attribute with this id.
    pub fn find(&self, id: AttributeId) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.id == id)
    }

    /// The plain value of the first attribute with this id.
    pub fn raw(&self, id: AttributeId) -> Option<&[u8]> {
        self.find(id).map(|a| a.value.as_slice())
    }

    /// The first value of a typed attribute; `None` when absent or not of
    /// the constant's type.
    pub fn get<T: AttrValue>(&self, attr: Attr<T>) -> Option<T> {
        self.raw(attr.id).and_then(T::from_wire)
    }

    /// Every value of a typed attribute, in order.
    pub fn get_all<T: AttrValue>(&self, attr: Attr<T>) -> impl Iterator<Item = T> + '_ {
        self.attributes
            .iter()
            .filter(move |a| a.id == attr.id)
            .filter_map(|a| T::from_wire(&a.value))
    }

    /// Appends a typed attribute.
    pub fn add<T: AttrValue>(&mut self, attr: Attr<T>, value: T) {
        let mut v = Vec::new();
        value.to_wire(&mut v);
        self.attributes.push(Attribute {
            id: attr.id,
            tag: None,
            value: v,
        });
    }

    /// Appends a text attribute from a `&str`.
    pub fn add_text(&mut self, attr: Attr<String>, value: &str) {
        self.attributes.push(Attribute {
            id: attr.id,
            tag: None,
            value: value.as_bytes().to_vec(),
        });
    }

    /// Appends a tagged attribute (RFC 2868); `tag` is 1–31 (0 means none).
    pub fn add_tagged<T: AttrValue>(&mut self, attr: Attr<T>, tag: u8, value: T) {
        let mut v = Vec::new();
        value.to_wire(&mut v);
        self.attributes.push(Attribute {
            id: attr.id,
            tag: Some(tag).filter(|t| *t != 0),
            value: v,
        });
    }

    /// Replaces every value of a typed attribute with one.
    pub fn set<T: AttrValue>(&mut self, attr: Attr<T>, value: T) {
        self.remove(attr.id);
        self.add(attr, value);
    }

    /// Removes every attribute with this id; returns how many.
    pub fn remove(&mut self, id: AttributeId) -> usize {
        let before = self.attributes.len();
        self.attributes.retain(|a| a.id != id);
        before - self.attributes.len()
    }

    fn def(&self, name: &str) -> Result<&AttrDef, AttrError> {
        self.dict
            .attr_by_name(name)
            .filter(|d| !d.is_tlv_child())
            .ok_or_else(|| AttrError::Unknown(name.to_owned()))
    }

    /// The first value of an attribute named in the dictionary, decoded by
    /// its data type.
    ///
    /// ```
    /// use radius::{Code, Packet, Value};
    /// let mut p = Packet::new(Code::AccessAccept, 0);
    /// p.add_parsed("Framed-IP-Address", "100.64.0.7")?;
    /// p.add_parsed("Service-Type", "Framed-User")?;
    /// assert_eq!(p.value("framed-ip-address"), Some(Value::Ipv4Addr([100, 64, 0, 7].into())));
    /// assert_eq!(p.value_text("Service-Type").as_deref(), Some("Framed-User"));
    /// # Ok::<(), radius::AttrError>(())
    /// ```
    pub fn value(&self, name: &str) -> Option<Value> {
        let def = self.def(name).ok()?;
        let raw = self.raw(def.id)?;
        def.data_type.decode(raw).ok()
    }

    /// The first value of a named attribute as text, with enumeration
    /// values shown by name.
    pub fn value_text(&self, name: &str) -> Option<String> {
        let def = self.def(name).ok()?;
        let a = self.find(def.id)?;
        Some(self.show(def, &a.value))
    }

    fn show(&self, def: &AttrDef, raw: &[u8]) -> String {
        match def.data_type.decode(raw) {
            Ok(v) => match v
                .as_u64()
                .filter(|_| def.data_type.is_numeric())
                .and_then(|n| self.dict.value_name(def, n))
            {
                Some(name) => name.to_owned(),
                None => v.to_string(),
            },
            Err(_) => Value::Octets(raw.to_vec()).to_string(),
        }
    }

    /// Appends a named attribute from its text form: a VALUE name for
    /// enumerations, otherwise as [`DataType::parse`] reads it.
    pub fn add_parsed(&mut self, name: &str, text: &str) -> Result<(), AttrError> {
        let def = self.def(name)?;
        let value =
            match self.dict.value_by_name(def, text) {
                Some(n) => DataType::Integer64.parse(&n.to_string()).and_then(|v| {
                    match (v, def.data_type) {
                        (Value::Integer64(n), DataType::Integer64) => Ok(Value::Integer64(n)),
                        (Value::Integer64(n), dt) => dt.parse(&n.to_string()),
                        (v, _) => Ok(v),
                    }
                }),
                None => def.data_type.parse(text),
            }
            .map_err(|source| AttrError::Value {
                attribute: def.name.clone(),
                source,
            })?;
        let id = def.id;
        self.attributes.push(Attribute::new(id, value.to_bytes()));
        Ok(())
    }

    /// A readable listing, one `Name = value` line per attribute, as
    /// FreeRADIUS's tools print packets.
    ///
    /// ```
    /// use radius::{attr, Code, Packet};
    /// let mut p = Packet::new(Code::AccessAccept, 3);
    /// p.add(attr::SERVICE_TYPE, 2);
    /// assert_eq!(p.describe(), "Access-Accept Id 3\n\tService-Type = Framed-User\n");
    /// ```
    pub fn describe(&self) -> String {
        let mut s = format!("{} Id {}\n", self.code, self.identifier);
        for a in &self.attributes {
            let (name, val) = match self.dict.attr(a.id) {
                Some(def) => (def.name.clone(), self.show(def, &a.value)),
                None => (a.id.to_string(), Value::Octets(a.value.clone()).to_string()),
            };
            match a.tag {
                Some(t) => {
                    let _ = writeln!(s, "\t{name}:{t} = {val}");
                }
                None => {
                    let _ = writeln!(s, "\t{name} = {val}");
                }
            }
        }
        s
    }
}

/// Writes an extended (241–244) or long extended (245–246) attribute;
/// returns the value limit on failure.
fn encode_extended(out: &mut Vec<u8>, ty: u8, ext: u8, v: &[u8]) -> Result<(), usize> {
    if ty <= 244 {
        if v.len() > 252 {
            return Err(252);
        }
        out.extend_from_slice(&[ty, (3 + v.len()) as u8, ext]);
        out.extend_from_slice(v);
        return Ok(());
    }
    let chunks: Vec<&[u8]> = if v.is_empty() {
        vec![&[][..]]
    } else {
        v.chunks(251).collect()
    };
    let n = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let more = if i + 1 < n { 0x80 } else { 0 };
        out.extend_from_slice(&[ty, (4 + chunk.len()) as u8, ext, more]);
        out.extend_from_slice(chunk);
    }
    Ok(())
}
