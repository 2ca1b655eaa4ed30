//! Packet codes (RFC 2865 section 3, RFC 2866, RFC 5176, RFC 5997, RFC 7930).

use std::fmt;

/// The Code field of a RADIUS packet.
///
/// Codes this crate does not name are kept as [`Code::Other`], so a packet
/// with an unassigned code still decodes and can be counted or logged.
///
/// ```
/// use radius::Code;
/// assert_eq!(Code::from(2), Code::AccessAccept);
/// assert_eq!(u8::from(Code::CoaRequest), 43);
/// assert!(Code::AccountingRequest.is_request());
/// assert_eq!(Code::AccessRequest.to_string(), "Access-Request");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// 1, RFC 2865.
    AccessRequest,
    /// 2, RFC 2865.
    AccessAccept,
    /// 3, RFC 2865.
    AccessReject,
    /// 4, RFC 2866.
    AccountingRequest,
    /// 5, RFC 2866.
    AccountingResponse,
    /// 11, RFC 2865.
    AccessChallenge,
    /// 12, RFC 5997.
    StatusServer,
    /// 13, RFC 5997 (reserved, never answered).
    StatusClient,
    /// 40, RFC 5176.
    DisconnectRequest,
    /// 41, RFC 5176.
    DisconnectAck,
    /// 42, RFC 5176.
    DisconnectNak,
    /// 43, RFC 5176.
    CoaRequest,
    /// 44, RFC 5176.
    CoaAck,
    /// 45, RFC 5176.
    CoaNak,
    /// 52, RFC 7930.
    ProtocolError,
    /// Any other code.
    Other(u8),
}

impl Code {
    /// How the Authenticator field of a packet with this code is made.
    pub fn authenticator_kind(self) -> AuthenticatorKind {
        match self {
            Code::AccessRequest | Code::StatusServer => AuthenticatorKind::Random,
            Code::AccountingRequest | Code::DisconnectRequest | Code::CoaRequest => {
                AuthenticatorKind::RequestHash
            }
            Code::AccessAccept
            | Code::AccessReject
            | Code::AccessChallenge
            | Code::AccountingResponse
            | Code::DisconnectAck
            | Code::DisconnectNak
            | Code::CoaAck
            | Code::CoaNak
            | Code::ProtocolError => AuthenticatorKind::Response,
            Code::StatusClient | Code::Other(_) => AuthenticatorKind::Random,
        }
    }

    /// True for codes a client sends (requests), false for replies.
    pub fn is_request(self) -> bool {
        !matches!(self.authenticator_kind(), AuthenticatorKind::Response)
    }

    /// The FreeRADIUS name of the code, e.g. `Access-Request`.
    pub fn name(self) -> &'static str {
        match self {
            Code::AccessRequest => "Access-Request",
            Code::AccessAccept => "Access-Accept",
            Code::AccessReject => "Access-Reject",
            Code::AccountingRequest => "Accounting-Request",
            Code::AccountingResponse => "Accounting-Response",
            Code::AccessChallenge => "Access-Challenge",
            Code::StatusServer => "Status-Server",
            Code::StatusClient => "Status-Client",
            Code::DisconnectRequest => "Disconnect-Request",
            Code::DisconnectAck => "Disconnect-ACK",
            Code::DisconnectNak => "Disconnect-NAK",
            Code::CoaRequest => "CoA-Request",
            Code::CoaAck => "CoA-ACK",
            Code::CoaNak => "CoA-NAK",
            Code::ProtocolError => "Protocol-Error",
            Code::Other(_) => "Unknown",
        }
    }
}

/// How a packet's Authenticator field is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthenticatorKind {
    /// Random octets chosen by the client (Access-Request, Status-Server).
    Random,
    /// MD5 over the packet with a zero authenticator and the secret
    /// (Accounting-Request RFC 2866, CoA/Disconnect-Request RFC 5176).
    RequestHash,
    /// MD5 over the reply with the request's authenticator and the secret.
    Response,
}

impl From<u8> for Code {
    fn from(v: u8) -> Self {
        match v {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            4 => Code::AccountingRequest,
            5 => Code::AccountingResponse,
            11 => Code::AccessChallenge,
            12 => Code::StatusServer,
            13 => Code::StatusClient,
            40 => Code::DisconnectRequest,
            41 => Code::DisconnectAck,
            42 => Code::DisconnectNak,
            43 => Code::CoaRequest,
            44 => Code::CoaAck,
            45 => Code::CoaNak,
            52 => Code::ProtocolError,
            other => Code::Other(other),
        }
    }
}

impl From<Code> for u8 {
    fn from(c: Code) -> u8 {
        match c {
            Code::AccessRequest => 1,
            Code::AccessAccept => 2,
            Code::AccessReject => 3,
            Code::AccountingRequest => 4,
            Code::AccountingResponse => 5,
            Code::AccessChallenge => 11,
            Code::StatusServer => 12,
            Code::StatusClient => 13,
            Code::DisconnectRequest => 40,
            Code::DisconnectAck => 41,
            Code::DisconnectNak => 42,
            Code::CoaRequest => 43,
            Code::CoaAck => 44,
            Code::CoaNak => 45,
            Code::ProtocolError => 52,
            Code::Other(v) => v,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Code::Other(v) => write!(f, "Code-{v}"),
            c => f.write_str(c.name()),
        }
    }
}
