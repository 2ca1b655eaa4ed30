//! The authentication decision: from a verified Access-Request, the NAS it
//! came from and the in-memory view, an Access-Accept (with the profile) or
//! an Access-Reject with a reason. No I/O.

use radius::auth::{Method, chap, mschap, mschap2, pap};
use radius::{Code, Packet, attr};

use crate::metrics::Reason;
use crate::nas::Nas;
use crate::profile::{self, Mode};
use crate::view::{QuotaAction, Status, View, parse_mac};

/// What was decided, for the reply, the metrics and the authentication log.
#[derive(Debug)]
pub struct Outcome {
    /// The reply (Message-Authenticator first).
    pub reply: Packet,
    /// `None` for a plain accept.
    pub reason: Option<Reason>,
    /// Accepted with the restricted profile.
    pub restricted: bool,
    /// The contract, when the login is known.
    pub contract_id: Option<i64>,
    /// Method used.
    pub method: Option<Method>,
}

/// The method's name in the authentication log.
pub fn method_name(m: Option<Method>) -> &'static str {
    match m {
        Some(Method::Pap) => "pap",
        Some(Method::Chap) => "chap",
        Some(Method::MsChap) => "mschap",
        Some(Method::MsChap2) => "mschapv2",
        None => "",
    }
}

fn reject(req: &Packet, reason: Reason, contract: Option<i64>, m: Option<Method>) -> Outcome {
    let mut reply = req.make_response(Code::AccessReject);
    reply.add_message_authenticator();
    if m == Some(Method::MsChap2) {
        // Tells the peer's PPP stack why (E=691: authentication failure).
        if let Some(resp) = req.get(attr::microsoft::MS_CHAP2_RESPONSE)
            && let Some(ident) = resp.first()
        {
            reply.push(radius::Attribute::new(
                attr::microsoft::MS_CHAP_ERROR.id,
                mschap2::failure_value(*ident),
            ));
        }
    }
    Outcome {
        reply,
        reason: Some(reason),
        restricted: false,
        contract_id: contract,
        method: m,
    }
}

/// Decides an Access-Request whose authenticators were already verified.
pub fn decide(req: &Packet, nas: &Nas, view: &View) -> Outcome {
    let method = Method::of(req);
    let Some(login) = req.raw(attr::USER_NAME.id) else {
        return reject(req, Reason::UnknownUser, None, method);
    };
    let Ok(login) = std::str::from_utf8(login) else {
        return reject(req, Reason::UnknownUser, None, method);
    };
    let Some(sub) = view.get(login) else {
        return reject(req, Reason::UnknownUser, None, method);
    };
    let cid = Some(sub.contract_id);
    let mut mschap2_ok = None;
    let mut mschap1_ok = None;
    let ok = match method {
        Some(Method::Pap) => pap::verify(req, sub.password.as_bytes()).is_ok(),
        Some(Method::Chap) => chap::verify(req, sub.password.as_bytes()).is_ok(),
        Some(Method::MsChap) => match mschap::verify(req, &sub.password) {
            Ok(s) => {
                mschap1_ok = Some(s);
                true
            }
            Err(_) => false,
        },
        Some(Method::MsChap2) => match mschap2::verify_with_hash(req, &sub.nt_hash) {
            Ok(s) => {
                mschap2_ok = Some(s);
                true
            }
            Err(_) => false,
        },
        None => return reject(req, Reason::UnsupportedMethod, cid, None),
    };
    if !ok {
        return reject(req, Reason::WrongPassword, cid, method);
    }
    let plan = view.plan(sub.plan_id);
    let mut mode = Mode::Normal;
    match sub.status {
        Status::Active => {
            if let Some(p) = &plan {
                mode = profile::mode_of(&sub, p);
            }
        }
        Status::Canceled => return reject(req, Reason::ContractCanceled, cid, method),
        Status::Pending => return reject(req, Reason::ContractPending, cid, method),
        Status::Suspended => {
            if plan.as_ref().is_some_and(|p| p.suspended_restricted) {
                mode = Mode::Restricted;
            } else {
                return reject(req, Reason::ContractSuspended, cid, method);
            }
        }
    }
    if let Some(bound) = sub.mac {
        let given = req.raw(attr::CALLING_STATION_ID.id).and_then(parse_mac);
        if given != Some(bound) {
            return reject(req, Reason::MacMismatch, cid, method);
        }
    }
    let settings = view.settings.load();
    if settings.simultaneous_use > 0
        && view.open_sessions(sub.contract_id) >= settings.simultaneous_use
    {
        return reject(req, Reason::SimultaneousUse, cid, method);
    }
    if matches!(mode, Mode::Normal | Mode::Reduced(..))
        && let Some(p) = &plan
        && let Some((limit, action)) = p.quota
        && view
            .usage
            .load()
            .get(&sub.contract_id)
            .copied()
            .unwrap_or(0)
            >= limit
    {
        match action {
            QuotaAction::Block => return reject(req, Reason::QuotaBlocked, cid, method),
            // Whichever is slower: the quota's rate or the reduction.
            QuotaAction::Throttle(k) => {
                mode = match mode {
                    Mode::Reduced(up, down) if up.max(down) <= k => mode,
                    _ => Mode::Throttled(k),
                }
            }
        }
    }
    let mut reply = req.make_response(Code::AccessAccept);
    reply.add_message_authenticator();
    reply.add(attr::SERVICE_TYPE, 2); // Framed-User
    reply.add(attr::FRAMED_PROTOCOL, 1); // PPP
    if let Some(p) = &plan {
        profile::add_profile(&mut reply, nas.kind, p, mode, &settings);
    }
    profile::add_subscriber(&mut reply, &sub, mode, &settings);
    if let Some(s) = mschap2_ok {
        s.add_to(&mut reply);
    }
    if let Some(s) = mschap1_ok {
        s.add_to(&mut reply);
    }
    Outcome {
        reply,
        reason: (mode == Mode::Restricted).then_some(Reason::ContractSuspended),
        restricted: mode == Mode::Restricted,
        contract_id: cid,
        method,
    }
}
