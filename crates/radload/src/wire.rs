//! Requests built straight into a reused buffer and replies checked in
//! place: no allocation per request, so the generator spends its share of
//! the CPU on the wire and not in the allocator. The tests check every
//! packet against `radius::Packet`, the codec the server side uses.

use hmac::{KeyInit, Mac};
use md5::{Digest, Md5};
use radius::auth::mschap2;
use sha1::Sha1;

use crate::users::User;

type HmacMd5 = hmac::Hmac<Md5>;

/// Access-Request.
pub const ACCESS_REQUEST: u8 = 1;
/// Access-Accept.
pub const ACCESS_ACCEPT: u8 = 2;
/// Access-Reject.
pub const ACCESS_REJECT: u8 = 3;
/// Accounting-Request.
pub const ACCOUNTING_REQUEST: u8 = 4;
/// Accounting-Response.
pub const ACCOUNTING_RESPONSE: u8 = 5;

const USER_NAME: u8 = 1;
const USER_PASSWORD: u8 = 2;
const CHAP_PASSWORD: u8 = 3;
const NAS_IP_ADDRESS: u8 = 4;
const NAS_PORT: u8 = 5;
const SERVICE_TYPE: u8 = 6;
const FRAMED_PROTOCOL: u8 = 7;
const FRAMED_IP_ADDRESS: u8 = 8;
const VENDOR_SPECIFIC: u8 = 26;
const CALLING_STATION_ID: u8 = 31;
const NAS_IDENTIFIER: u8 = 32;
const ACCT_STATUS_TYPE: u8 = 40;
const ACCT_DELAY_TIME: u8 = 41;
const ACCT_INPUT_OCTETS: u8 = 42;
const ACCT_OUTPUT_OCTETS: u8 = 43;
const ACCT_SESSION_ID: u8 = 44;
const ACCT_SESSION_TIME: u8 = 46;
const ACCT_TERMINATE_CAUSE: u8 = 49;
const ACCT_INPUT_GIGAWORDS: u8 = 52;
const ACCT_OUTPUT_GIGAWORDS: u8 = 53;
const EVENT_TIMESTAMP: u8 = 55;
const NAS_PORT_TYPE: u8 = 61;
const MESSAGE_AUTHENTICATOR: u8 = 80;
const MICROSOFT: u32 = 311;
const MS_CHAP_CHALLENGE: u8 = 11;
const MS_CHAP2_RESPONSE: u8 = 25;
const MS_CHAP2_SUCCESS: u8 = 26;

/// What is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Access-Request with User-Password.
    Pap,
    /// Access-Request with CHAP-Password (challenge = Request Authenticator).
    Chap,
    /// Access-Request with MS-CHAP-Challenge and MS-CHAP2-Response; the
    /// reply's MS-CHAP2-Success is checked.
    Mschapv2,
    /// Accounting-Request sessions: Start, Interim-Update(s), Stop.
    Acct,
}

impl Mode {
    /// The name used on the command line and in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Pap => "pap",
            Mode::Chap => "chap",
            Mode::Mschapv2 => "mschapv2",
            Mode::Acct => "acct",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "pap" => Ok(Mode::Pap),
            "chap" => Ok(Mode::Chap),
            "mschapv2" | "mschap2" => Ok(Mode::Mschapv2),
            "acct" => Ok(Mode::Acct),
            _ => Err(format!(
                "unknown mode {s:?} (expected pap, chap, mschapv2 or acct)"
            )),
        }
    }
}

/// A fast pseudo-random generator (SplitMix64) for authenticators and
/// challenges. A benchmark NAS needs values that differ, not secrecy, and
/// the generator must not cost more than the packet it fills.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 16 random octets.
    pub fn bytes16(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        out[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        out
    }
}

/// What a request's reply must look like; kept per outstanding request.
#[derive(Clone, Copy, Debug)]
pub struct Expect {
    /// The request's Authenticator field.
    pub authenticator: [u8; 16],
    /// Access-Accept or Accounting-Response.
    pub code: u8,
    /// For MS-CHAPv2: the MS-CHAP2-Success value (ident + "S=" + 40 hex).
    pub mschap2_success: Option<[u8; 43]>,
}

/// Why a reply is not the expected one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Length or attribute framing is wrong.
    Malformed,
    /// Response Authenticator does not match request and secret.
    BadAuthenticator,
    /// Message-Authenticator present but wrong.
    BadMessageAuthenticator,
    /// Access-Reject where an Accept was expected.
    Rejected,
    /// Any other unexpected code.
    WrongCode,
    /// MS-CHAP2-Success missing or not the one the password proves.
    BadMsChap2Success,
}

impl Problem {
    /// Every problem, in report order.
    pub const ALL: [Problem; 6] = [
        Problem::Malformed,
        Problem::BadAuthenticator,
        Problem::BadMessageAuthenticator,
        Problem::Rejected,
        Problem::WrongCode,
        Problem::BadMsChap2Success,
    ];

    /// Name in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Problem::Malformed => "malformed",
            Problem::BadAuthenticator => "bad_authenticator",
            Problem::BadMessageAuthenticator => "bad_message_authenticator",
            Problem::Rejected => "rejected",
            Problem::WrongCode => "wrong_code",
            Problem::BadMsChap2Success => "bad_mschap2_success",
        }
    }

    /// Index into a counter array ordered like [`Problem::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Acct-Status-Type values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcctStatus {
    /// Start (1).
    Start = 1,
    /// Stop (2).
    Stop = 2,
    /// Interim-Update (3).
    Interim = 3,
}

/// One accounting session's state for the next Accounting-Request.
#[derive(Clone, Copy, Debug)]
pub struct AcctSession {
    /// Session number; with the run prefix it makes the Acct-Session-Id.
    pub number: u64,
    /// Index of the user in the users list.
    pub user: u32,
    /// What this request reports.
    pub status: AcctStatus,
    /// Acct-Session-Time in seconds.
    pub session_time: u32,
    /// Octets received from the user (split into Gigawords + Octets).
    pub input: u64,
    /// Octets sent to the user.
    pub output: u64,
}

/// Builds requests and verifies replies for one shared secret.
#[derive(Clone)]
pub struct Builder {
    secret: Vec<u8>,
    hmac: HmacMd5,
    /// MD5 state after absorbing the secret, cloned per User-Password block.
    md5_secret: Md5,
    nas_ip: [u8; 4],
    run_prefix: u32,
}

impl Builder {
    /// A builder for `secret`; `nas_ip` is sent as NAS-IP-Address and
    /// `run_prefix` starts every Acct-Session-Id so that runs never reuse
    /// one.
    pub fn new(secret: &[u8], nas_ip: [u8; 4], run_prefix: u32) -> Builder {
        let mut md5_secret = Md5::new();
        md5_secret.update(secret);
        Builder {
            secret: secret.to_vec(),
            // HMAC accepts keys of any length.
            hmac: <HmacMd5 as KeyInit>::new_from_slice(secret)
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length")),
            md5_secret,
            nas_ip,
            run_prefix,
        }
    }

    /// Writes an Access-Request for `user` into `buf` (cleared first): a
    /// Message-Authenticator first (BlastRADIUS), the credentials for
    /// `mode`, and the attributes a PPPoE concentrator sends.
    pub fn access_request(
        &self,
        buf: &mut Vec<u8>,
        mode: Mode,
        id: u8,
        user: &User,
        nas_port: u32,
        rng: &mut Rng,
    ) -> Expect {
        let auth = rng.bytes16();
        buf.clear();
        buf.extend_from_slice(&[ACCESS_REQUEST, id, 0, 0]);
        buf.extend_from_slice(&auth);
        let ma_at = buf.len() + 2;
        attr(buf, MESSAGE_AUTHENTICATOR, &[0; 16]);
        attr(buf, USER_NAME, user.login.as_bytes());
        let mut mschap2_success = None;
        match mode {
            // Accounting has no Access-Request of its own; a probe in that
            // mode asks with PAP.
            Mode::Pap | Mode::Acct => self.hidden_password(buf, user.password.as_bytes(), &auth),
            Mode::Chap => {
                let ident = (rng.next_u64() & 0xff) as u8;
                let mut v = [0u8; 17];
                v[0] = ident;
                v[1..].copy_from_slice(&radius::auth::chap::response(
                    ident,
                    user.password.as_bytes(),
                    &auth,
                ));
                attr(buf, CHAP_PASSWORD, &v);
            }
            Mode::Mschapv2 => {
                let auth_challenge = rng.bytes16();
                let peer_challenge = rng.bytes16();
                let ident = (rng.next_u64() & 0xff) as u8;
                let name = mschap2::hashed_user_name(user.login.as_bytes());
                let nt =
                    mschap2::nt_response(&auth_challenge, &peer_challenge, name, &user.nt_hash);
                let mut resp = [0u8; 50];
                resp[0] = ident;
                resp[2..18].copy_from_slice(&peer_challenge);
                resp[26..].copy_from_slice(&nt);
                vsa(buf, MICROSOFT, MS_CHAP_CHALLENGE, &auth_challenge);
                vsa(buf, MICROSOFT, MS_CHAP2_RESPONSE, &resp);
                mschap2_success = Some(success_value(
                    ident,
                    &user.nt_hash_hash,
                    &nt,
                    &peer_challenge,
                    &auth_challenge,
                    name,
                ));
            }
        }
        attr(buf, NAS_IP_ADDRESS, &self.nas_ip);
        attr(buf, NAS_PORT, &nas_port.to_be_bytes());
        attr(buf, NAS_PORT_TYPE, &15u32.to_be_bytes()); // Ethernet (PPPoE)
        attr(buf, SERVICE_TYPE, &2u32.to_be_bytes()); // Framed-User
        attr(buf, FRAMED_PROTOCOL, &1u32.to_be_bytes()); // PPP
        attr(buf, CALLING_STATION_ID, &mac_text(nas_port));
        attr(buf, NAS_IDENTIFIER, b"radload");
        set_length(buf);
        let mut mac = self.hmac.clone();
        mac.update(buf);
        let sig = mac.finalize().into_bytes();
        buf[ma_at..ma_at + 16].copy_from_slice(&sig);
        Expect {
            authenticator: auth,
            code: ACCESS_ACCEPT,
            mschap2_success,
        }
    }

    /// User-Password hidden as RFC 2865 section 5.2 says, written in place.
    fn hidden_password(&self, buf: &mut Vec<u8>, pw: &[u8], auth: &[u8; 16]) {
        let blocks = pw.len().div_ceil(16).max(1);
        buf.push(USER_PASSWORD);
        // At most 128 octets (checked when the users are loaded) + 2.
        buf.push((2 + blocks * 16) as u8);
        let mut prev = *auth;
        for i in 0..blocks {
            let mut h = self.md5_secret.clone();
            h.update(prev);
            let b: [u8; 16] = h.finalize().into();
            for j in 0..16 {
                prev[j] = pw.get(i * 16 + j).copied().unwrap_or(0) ^ b[j];
            }
            buf.extend_from_slice(&prev);
        }
    }

    /// Writes an Accounting-Request for session `s` of `user` into `buf`,
    /// signed with the Request Authenticator. Interim and Stop carry the
    /// counters with Gigawords; `now` is the Event-Timestamp.
    pub fn accounting_request(
        &self,
        buf: &mut Vec<u8>,
        id: u8,
        user: &User,
        s: &AcctSession,
        now: u32,
    ) -> Expect {
        buf.clear();
        buf.extend_from_slice(&[ACCOUNTING_REQUEST, id, 0, 0]);
        buf.extend_from_slice(&[0; 16]);
        attr(buf, ACCT_STATUS_TYPE, &(s.status as u32).to_be_bytes());
        attr(buf, ACCT_SESSION_ID, &session_id(self.run_prefix, s.number));
        attr(buf, USER_NAME, user.login.as_bytes());
        attr(buf, NAS_IP_ADDRESS, &self.nas_ip);
        let port = (s.number & 0xffff_ffff) as u32;
        attr(buf, NAS_PORT, &port.to_be_bytes());
        attr(buf, NAS_PORT_TYPE, &15u32.to_be_bytes());
        attr(buf, SERVICE_TYPE, &2u32.to_be_bytes());
        attr(buf, FRAMED_PROTOCOL, &1u32.to_be_bytes());
        // 100.64.0.0/10 (carrier-grade NAT space), one address per session.
        let ip = 0x6440_0000u32 | (s.number as u32 & 0x003f_ffff);
        attr(buf, FRAMED_IP_ADDRESS, &ip.to_be_bytes());
        attr(buf, CALLING_STATION_ID, &mac_text(port));
        attr(buf, NAS_IDENTIFIER, b"radload");
        attr(buf, ACCT_DELAY_TIME, &0u32.to_be_bytes());
        attr(buf, EVENT_TIMESTAMP, &now.to_be_bytes());
        if s.status != AcctStatus::Start {
            attr(buf, ACCT_SESSION_TIME, &s.session_time.to_be_bytes());
            attr(buf, ACCT_INPUT_OCTETS, &(s.input as u32).to_be_bytes());
            attr(
                buf,
                ACCT_INPUT_GIGAWORDS,
                &((s.input >> 32) as u32).to_be_bytes(),
            );
            attr(buf, ACCT_OUTPUT_OCTETS, &(s.output as u32).to_be_bytes());
            attr(
                buf,
                ACCT_OUTPUT_GIGAWORDS,
                &((s.output >> 32) as u32).to_be_bytes(),
            );
        }
        if s.status == AcctStatus::Stop {
            attr(buf, ACCT_TERMINATE_CAUSE, &1u32.to_be_bytes()); // User-Request
        }
        set_length(buf);
        let mut h = Md5::new();
        h.update(&buf[..]);
        h.update(&self.secret);
        let auth: [u8; 16] = h.finalize().into();
        buf[4..20].copy_from_slice(&auth);
        Expect {
            authenticator: auth,
            code: ACCOUNTING_RESPONSE,
            mschap2_success: None,
        }
    }

    /// Checks a reply against what its request expects: framing, Response
    /// Authenticator, Message-Authenticator (when present), code and, for
    /// MS-CHAPv2, the MS-CHAP2-Success that proves the server knew the
    /// password. Returns whether a Message-Authenticator was present.
    pub fn verify_reply(&self, reply: &[u8], exp: &Expect) -> Result<bool, Problem> {
        if reply.len() < 20 {
            return Err(Problem::Malformed);
        }
        let len = usize::from(u16::from_be_bytes([reply[2], reply[3]]));
        if !(20..=4096).contains(&len) || len > reply.len() {
            return Err(Problem::Malformed);
        }
        let p = &reply[..len];
        let mut h = Md5::new();
        h.update(&p[..4]);
        h.update(exp.authenticator);
        h.update(&p[20..]);
        h.update(&self.secret);
        let want: [u8; 16] = h.finalize().into();
        if !radius::crypto::constant_time_eq(&want, &p[4..20]) {
            return Err(Problem::BadAuthenticator);
        }
        let mut ma_at = None;
        let mut success_ok = false;
        let mut o = 20;
        while o < len {
            if len - o < 2 {
                return Err(Problem::Malformed);
            }
            let (ty, al) = (p[o], usize::from(p[o + 1]));
            if al < 2 || o + al > len {
                return Err(Problem::Malformed);
            }
            let v = &p[o + 2..o + al];
            if ty == MESSAGE_AUTHENTICATOR {
                if v.len() != 16 {
                    return Err(Problem::Malformed);
                }
                ma_at = Some(o + 2);
            } else if ty == VENDOR_SPECIFIC
                && let Some(want) = &exp.mschap2_success
                && v.len() == 6 + want.len()
                && v[..4] == MICROSOFT.to_be_bytes()
                && v[4] == MS_CHAP2_SUCCESS
            {
                success_ok = radius::crypto::constant_time_eq(&v[6..], want);
            }
            o += al;
        }
        if let Some(at) = ma_at {
            let mut mac = self.hmac.clone();
            mac.update(&p[..4]);
            mac.update(&exp.authenticator);
            mac.update(&p[20..at]);
            mac.update(&[0; 16]);
            mac.update(&p[at + 16..]);
            let sig = mac.finalize().into_bytes();
            if !radius::crypto::constant_time_eq(&sig, &p[at..at + 16]) {
                return Err(Problem::BadMessageAuthenticator);
            }
        }
        if p[0] != exp.code {
            return Err(if p[0] == ACCESS_REJECT {
                Problem::Rejected
            } else {
                Problem::WrongCode
            });
        }
        if exp.mschap2_success.is_some() && !success_ok {
            return Err(Problem::BadMsChap2Success);
        }
        Ok(ma_at.is_some())
    }
}

fn attr(buf: &mut Vec<u8>, ty: u8, v: &[u8]) {
    buf.push(ty);
    buf.push((v.len() + 2) as u8);
    buf.extend_from_slice(v);
}

fn vsa(buf: &mut Vec<u8>, vendor: u32, ty: u8, v: &[u8]) {
    buf.push(VENDOR_SPECIFIC);
    buf.push((v.len() + 8) as u8);
    buf.extend_from_slice(&vendor.to_be_bytes());
    buf.push(ty);
    buf.push((v.len() + 2) as u8);
    buf.extend_from_slice(v);
}

fn set_length(buf: &mut [u8]) {
    let len = buf.len() as u16;
    buf[2..4].copy_from_slice(&len.to_be_bytes());
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A Calling-Station-Id MAC address derived from a number.
fn mac_text(n: u32) -> [u8; 17] {
    let b = [
        0x02,
        0x00,
        (n >> 24) as u8,
        (n >> 16) as u8,
        (n >> 8) as u8,
        n as u8,
    ];
    let mut out = [b':'; 17];
    for (i, x) in b.iter().enumerate() {
        out[i * 3] = HEX[usize::from(x >> 4)];
        out[i * 3 + 1] = HEX[usize::from(x & 15)];
    }
    out
}

/// Acct-Session-Id: 8 hex digits of the run prefix, 12 of the session number.
pub fn session_id(prefix: u32, number: u64) -> [u8; 20] {
    let mut out = [0u8; 20];
    for i in 0..8 {
        out[i] = HEX[((prefix >> (28 - 4 * i)) & 15) as usize];
    }
    for i in 0..12 {
        out[8 + i] = HEX[((number >> (44 - 4 * i)) & 15) as usize];
    }
    out
}

/// The MS-CHAP2-Success value a server that knows the password sends:
/// ident + "S=" + the RFC 2759 authenticator response in upper-case hex.
/// Same result as `mschap2::authenticator_response`, without its String.
pub fn success_value(
    ident: u8,
    nt_hash_hash: &[u8; 16],
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    auth_challenge: &[u8; 16],
    user_name: &[u8],
) -> [u8; 43] {
    const MAGIC1: &[u8] = b"Magic server to client signing constant";
    const MAGIC2: &[u8] = b"Pad to make it do more than one iteration";
    let mut h = Sha1::new();
    h.update(nt_hash_hash);
    h.update(nt_response);
    h.update(MAGIC1);
    let digest = h.finalize();
    let challenge = mschap2::challenge_hash(peer_challenge, auth_challenge, user_name);
    let mut h = Sha1::new();
    h.update(digest);
    h.update(challenge);
    h.update(MAGIC2);
    let d = h.finalize();
    let mut out = [0u8; 43];
    out[0] = ident;
    out[1] = b'S';
    out[2] = b'=';
    for (i, b) in d.iter().enumerate() {
        out[3 + 2 * i] = HEX[usize::from(b >> 4)];
        out[4 + 2 * i] = HEX[usize::from(b & 15)];
    }
    out
}

#[cfg(test)]
mod tests {
    use radius::attr::microsoft as ms;
    use radius::auth::{chap, pap};
    use radius::{Code, Packet, attr};

    use super::*;

    const SECRET: &[u8] = b"bench-secret";

    fn builder() -> Builder {
        Builder::new(SECRET, [127, 0, 0, 1], 0xabcd_0123)
    }

    fn alice() -> User {
        User::new("alice@isp", "correct horse battery staple!")
    }

    /// Decodes a built request with the radius crate and answers it the way
    /// a server does, optionally breaking the reply.
    fn answer(wire: &[u8], code: Code, ma: bool) -> (Packet, Vec<u8>) {
        let req = Packet::decode(wire, SECRET).expect("radius decodes our request");
        req.verify_request_authenticator()
            .expect("authenticators verify");
        let mut reply = req.make_response(code);
        if ma {
            reply.add_message_authenticator();
        }
        reply.add_text(radius::attr::mikrotik::RATE_LIMIT, "50M/100M");
        let out = reply.encode(SECRET).expect("encodes");
        (req, out)
    }

    #[test]
    fn pap_request_verifies_and_accept_is_checked() {
        let b = builder();
        let mut buf = Vec::with_capacity(4096);
        let mut rng = Rng::new(1);
        let exp = b.access_request(&mut buf, Mode::Pap, 7, &alice(), 3, &mut rng);
        let (req, reply) = answer(&buf, Code::AccessAccept, true);
        assert!(req.has_message_authenticator());
        assert_eq!(req.identifier, 7);
        assert_eq!(req.get(attr::USER_NAME).as_deref(), Some("alice@isp"));
        pap::verify(&req, b"correct horse battery staple!").expect("PAP password");
        assert_eq!(b.verify_reply(&reply, &exp), Ok(true));

        let (_, reject) = answer(&buf, Code::AccessReject, false);
        assert_eq!(b.verify_reply(&reject, &exp), Err(Problem::Rejected));

        let mut bad = reply.clone();
        bad[10] ^= 1;
        assert_eq!(b.verify_reply(&bad, &exp), Err(Problem::BadAuthenticator));
        // Another request's authenticator: the reply is not ours.
        let other = Expect {
            authenticator: [0; 16],
            ..exp
        };
        assert_eq!(
            b.verify_reply(&reply, &other),
            Err(Problem::BadAuthenticator)
        );
        assert_eq!(b.verify_reply(&reply[..19], &exp), Err(Problem::Malformed));
    }

    #[test]
    fn wrong_message_authenticator_is_caught() {
        let b = builder();
        let mut buf = Vec::with_capacity(4096);
        let exp = b.access_request(&mut buf, Mode::Pap, 1, &alice(), 1, &mut Rng::new(2));
        let (_, mut reply) = answer(&buf, Code::AccessAccept, true);
        // Flip a bit of the Message-Authenticator (first attribute) and
        // re-sign the Response Authenticator so only the HMAC is wrong.
        reply[22] ^= 0x80;
        let mut h = Md5::new();
        h.update(&reply[..4]);
        h.update(exp.authenticator);
        h.update(&reply[20..]);
        h.update(SECRET);
        let fixed: [u8; 16] = h.finalize().into();
        reply[4..20].copy_from_slice(&fixed);
        assert_eq!(
            b.verify_reply(&reply, &exp),
            Err(Problem::BadMessageAuthenticator)
        );
    }

    #[test]
    fn chap_request_verifies() {
        let b = builder();
        let mut buf = Vec::with_capacity(4096);
        let exp = b.access_request(&mut buf, Mode::Chap, 200, &alice(), 9, &mut Rng::new(3));
        let (req, reply) = answer(&buf, Code::AccessAccept, false);
        chap::verify(&req, b"correct horse battery staple!").expect("CHAP password");
        assert!(chap::verify(&req, b"wrong").is_err());
        assert_eq!(b.verify_reply(&reply, &exp), Ok(false));
    }

    #[test]
    fn mschapv2_request_verifies_and_success_is_checked() {
        let b = builder();
        let mut buf = Vec::with_capacity(4096);
        let user = User::new("DOMAIN\\bob", "pässword");
        let exp = b.access_request(&mut buf, Mode::Mschapv2, 5, &user, 9, &mut Rng::new(4));
        let req = Packet::decode(&buf, SECRET).expect("decodes");
        req.verify_request_authenticator().expect("verifies");
        let ok = mschap2::verify(&req, "pässword").expect("MS-CHAPv2 password");
        assert_eq!(
            exp.mschap2_success.map(|s| s.to_vec()),
            Some(ok.success_value())
        );
        let mut reply = req.make_response(Code::AccessAccept);
        reply.add_message_authenticator();
        ok.add_to(&mut reply);
        let wire = reply.encode(SECRET).expect("encodes");
        assert_eq!(b.verify_reply(&wire, &exp), Ok(true));

        // An Accept without MS-CHAP2-Success, or with another one, fails.
        let (_, plain) = answer(&buf, Code::AccessAccept, true);
        assert_eq!(
            b.verify_reply(&plain, &exp),
            Err(Problem::BadMsChap2Success)
        );
        let mut forged = req.make_response(Code::AccessAccept);
        let mut wrong = ok.clone();
        wrong.authenticator_response = format!("S={}", "0".repeat(40));
        wrong.add_to(&mut forged);
        let wire = forged.encode(SECRET).expect("encodes");
        assert_eq!(b.verify_reply(&wire, &exp), Err(Problem::BadMsChap2Success));
        assert!(req.raw(ms::MS_CHAP_CHALLENGE.id).is_some());
    }

    #[test]
    fn accounting_request_carries_gigawords_and_verifies() {
        let b = builder();
        let mut buf = Vec::with_capacity(4096);
        let s = AcctSession {
            number: 0x1234,
            user: 0,
            status: AcctStatus::Interim,
            session_time: 600,
            input: 5 * (1 << 32) + 77,
            output: (1 << 32) + 9,
        };
        let exp = b.accounting_request(&mut buf, 3, &alice(), &s, 1_700_000_000);
        let req = Packet::decode(&buf, SECRET).expect("decodes");
        req.verify_request_authenticator()
            .expect("Request Authenticator");
        assert_eq!(req.get(attr::ACCT_STATUS_TYPE), Some(3)); // Interim-Update
        assert_eq!(
            req.get(attr::ACCT_SESSION_ID).as_deref(),
            Some("ABCD0123000000001234")
        );
        assert_eq!(req.get(attr::ACCT_INPUT_GIGAWORDS), Some(5));
        assert_eq!(req.get(attr::ACCT_INPUT_OCTETS), Some(77));
        assert_eq!(req.get(attr::ACCT_OUTPUT_GIGAWORDS), Some(1));
        let reply = req.make_response(Code::AccountingResponse);
        let wire = reply.encode(SECRET).expect("encodes");
        assert_eq!(b.verify_reply(&wire, &exp), Ok(false));
        // A wrong secret on the server side is a bad authenticator here.
        let other = reply.encode(b"other").expect("encodes");
        assert_eq!(b.verify_reply(&other, &exp), Err(Problem::BadAuthenticator));

        let stop = AcctSession {
            status: AcctStatus::Stop,
            ..s
        };
        b.accounting_request(&mut buf, 4, &alice(), &stop, 1_700_000_000);
        let req = Packet::decode(&buf, SECRET).expect("decodes");
        assert_eq!(
            req.value_text("Acct-Terminate-Cause").as_deref(),
            Some("User-Request")
        );
    }

    #[test]
    fn long_password_uses_several_blocks() {
        let b = builder();
        let mut buf = Vec::with_capacity(4096);
        let pw = "x".repeat(128);
        let user = User::new("long", &pw);
        b.access_request(&mut buf, Mode::Pap, 1, &user, 1, &mut Rng::new(5));
        let req = Packet::decode(&buf, SECRET).expect("decodes");
        pap::verify(&req, pw.as_bytes()).expect("128-octet password");
    }

    #[test]
    fn building_reuses_the_buffer() {
        let b = builder();
        let mut buf = Vec::with_capacity(4096);
        let ptr = buf.as_ptr();
        let mut rng = Rng::new(6);
        for mode in [Mode::Pap, Mode::Chap, Mode::Mschapv2] {
            b.access_request(&mut buf, mode, 1, &alice(), 1, &mut rng);
        }
        assert_eq!(buf.as_ptr(), ptr, "no reallocation");
    }
}
