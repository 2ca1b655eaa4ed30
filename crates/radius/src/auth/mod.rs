//! Authentication methods: checking what a NAS sends against the password
//! the server knows, and building the success attributes.
//!
//! Every `verify` takes the decoded Access-Request and the known password
//! and returns `Ok` or an [`AuthError`] that says why the login fails.

pub mod chap;
pub mod mppe;
pub mod mschap;
pub mod mschap2;
pub mod pap;

/// Why an authentication attempt fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request lacks an attribute the method needs.
    #[error("request has no {0}")]
    Missing(&'static str),
    /// An attribute the method needs is malformed.
    #[error("{attribute} is malformed: {reason}")]
    Malformed {
        /// Attribute name.
        attribute: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The password (or the response computed from it) does not match.
    #[error("wrong password")]
    WrongPassword,
    /// The request uses a variant this crate does not accept.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}

/// Which method an Access-Request uses, judged by its attributes.
///
/// ```
/// use radius::{attr, auth, Code, Packet};
/// let mut p = Packet::new(Code::AccessRequest, 0);
/// p.add(attr::USER_PASSWORD, b"pw".to_vec());
/// assert_eq!(auth::Method::of(&p), Some(auth::Method::Pap));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// User-Password.
    Pap,
    /// CHAP-Password.
    Chap,
    /// MS-CHAP-Response (MS-CHAPv1).
    MsChap,
    /// MS-CHAP2-Response.
    MsChap2,
}

impl Method {
    /// The method of a request, or `None` when it carries no credentials.
    pub fn of(request: &crate::Packet) -> Option<Method> {
        use crate::attr;
        if request.find(attr::USER_PASSWORD.id).is_some() {
            Some(Method::Pap)
        } else if request.find(attr::CHAP_PASSWORD.id).is_some() {
            Some(Method::Chap)
        } else if request
            .find(attr::microsoft::MS_CHAP2_RESPONSE.id)
            .is_some()
        {
            Some(Method::MsChap2)
        } else if request.find(attr::microsoft::MS_CHAP_RESPONSE.id).is_some() {
            Some(Method::MsChap)
        } else {
            None
        }
    }
}
