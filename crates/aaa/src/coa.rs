//! CoA / Disconnect (RFC 5176).
//!
//! [`enqueue`] turns contract events into `radius_coa` rows, one per open
//! session: suspension, cancellation and reactivation → Disconnect-Request
//! (the subscriber reconnects and the Access-Accept then carries the
//! restricted or the full profile: every NAS kind handles a disconnect,
//! while changing address lists or pools of a live session is not
//! something Mikrotik, accel-ppp or generic NAS do reliably over CoA);
//! a plan change or a speed reduction by collections (and its end) →
//! CoA-Request with the new speed (generic NAS, which
//! take no speed attributes, get a Disconnect-Request); new login or
//! static addresses → Disconnect-Request. An event this release cannot
//! read is logged and skipped. Events are taken
//! from a shared cursor (`domain_event_cursors`, consumer `aaa.coa`) moved
//! by compare-and-swap in the transaction that writes the rows, so with
//! several radius nodes each event is handled once.
//!
//! [`sender`] sends pending rows (those inserted by staff "disconnect"
//! too) to the NAS's CoA port, three attempts 3 s apart, and records
//! `ack`, `nak` with its Error-Cause, or `failed`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use domain::contracts::Status as ContractStatus;
use domain::event::DomainEvent;
use radius::{Code, Packet, attr};
use services::radius::hot::{self, PendingCoa as Pending};

use crate::Result;
use crate::profile::{self, Kind};
use crate::server::Shared;

const CONSUMER: &str = "aaa.coa";
/// Attempts before a row is `failed`.
pub const ATTEMPTS: i64 = 3;
/// Wait for an answer (and between attempts).
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// What a request to a contract's sessions is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Disconnect,
    Coa,
}

impl Request {
    /// `radius_coa.kind`.
    fn as_str(self) -> &'static str {
        match self {
            Request::Disconnect => "disconnect",
            Request::Coa => "coa",
        }
    }
}

/// What an event asks of a contract's sessions: the contract, the request
/// and its reason (`radius_coa.reason`).
fn action(ev: &DomainEvent) -> Option<(i64, Request, &'static str)> {
    use Request::{Coa, Disconnect};
    match ev {
        DomainEvent::ContractStatusChanged(e) => {
            let reason = match e.to {
                ContractStatus::Suspended => "contract suspended",
                ContractStatus::Canceled => "contract canceled",
                ContractStatus::Active if e.from == ContractStatus::Suspended => {
                    "contract reactivated"
                }
                // A first activation has no session yet; a pending
                // contract's logins are rejected.
                ContractStatus::Active | ContractStatus::PendingInstallation => return None,
            };
            Some((e.contract_id, Disconnect, reason))
        }
        DomainEvent::ContractPlanChanged(e) => Some((e.contract_id, Coa, "plan changed")),
        // The new rate on the live session (generic NAS, which take no
        // speed attributes, get a disconnect: see `enqueue`).
        DomainEvent::ContractSpeedChanged(e) => Some((
            e.contract_id,
            Coa,
            if e.reduced {
                "speed reduced"
            } else {
                "speed restored"
            },
        )),
        DomainEvent::ContractUpdated(e) => {
            e.reconnect
                .then_some((e.contract_id, Disconnect, "access changed"))
        }
        // The next Access-Accept reads these from the view (the feed).
        DomainEvent::ContractCreated(_)
        | DomainEvent::ContractPriceChanged(_)
        | DomainEvent::PlanUpdated(_)
        | DomainEvent::NasChanged(_)
        | DomainEvent::InvoiceIssued(_)
        | DomainEvent::InvoiceVoided(_)
        | DomainEvent::CreditNoteIssued(_)
        | DomainEvent::PaymentReceived(_)
        | DomainEvent::PaymentRefunded(_)
        | DomainEvent::PaymentReversed(_) => None,
    }
}

/// Queues CoA / Disconnect rows for new contract events (see the module
/// documentation).
pub(crate) async fn enqueue(sh: &Shared) -> Result<()> {
    let svc = &sh.svc;
    let (cursor, events) = {
        let mut c = svc.db.conn().await?;
        let Some(cur) = hot::find_cursor(&mut c, CONSUMER).await? else {
            // First start: begin from now, not from history.
            let max = hot::last_event_id(&mut c).await?;
            drop(c);
            let mut tx = svc.db.begin().await?;
            hot::start_cursor(&mut tx, CONSUMER, max, services::now()).await?;
            tx.commit().await?;
            return Ok(());
        };
        (cur, hot::events_after(&mut c, cur, 500).await?)
    };
    let Some(last) = events.last().map(|e| e.id) else {
        return Ok(());
    };
    let now = services::now();
    let mut tx = svc.db.begin().await?;
    let mut queued = 0;
    for ev in &events {
        let event = match &ev.event {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(event = ev.id, error = %e, "CoA: skipping an outbox event this node cannot read");
                continue;
            }
        };
        let Some((contract, requested, reason)) = action(event) else {
            continue;
        };
        let sessions = hot::contract_open_sessions(&mut tx, contract).await?;
        let requested_by = format!("{}:{}", ev.actor_kind, ev.actor_name);
        for (session, nas_id) in sessions {
            // Generic NAS take no speed attributes: they get a disconnect
            // (for this session only; the contract's other sessions may be
            // on NAS that take the CoA).
            let generic = sh
                .nas
                .by_id(nas_id)
                .is_some_and(|n| n.kind == Kind::Generic);
            let kind = if generic {
                Request::Disconnect
            } else {
                requested
            };
            let row = hot::NewCoa {
                kind: kind.as_str(),
                session_id: Some(session),
                contract_id: Some(contract),
                nas_id,
                reason,
                requested_by: &requested_by,
            };
            hot::insert_coa(&mut tx, &row, now).await?;
            queued += 1;
        }
    }
    if !hot::advance_cursor(&mut tx, CONSUMER, cursor, last, now).await? {
        // Another radius node handled these events first.
        return Ok(());
    }
    tx.commit().await?;
    if queued > 0 {
        sh.coa_wake.notify_one();
    }
    Ok(())
}

/// Sends pending rows forever (every second, or at once when woken).
pub(crate) async fn sender(sh: Arc<Shared>) {
    loop {
        if let Err(e) = send_pending(&sh).await {
            tracing::warn!(error = %e, "CoA sender failed; retrying");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = sh.coa_wake.notified() => {}
        }
    }
}

async fn send_pending(sh: &Arc<Shared>) -> Result<()> {
    let now = services::now();
    let rows = {
        let mut c = sh.svc.db.conn().await?;
        hot::pending_coa(&mut c, now - TIMEOUT.as_secs() as i64).await?
    };
    for row in rows {
        // Claim this attempt (another node may be looking at the same row).
        let mut tx = sh.svc.db.begin().await?;
        let claimed = hot::claim_coa(&mut tx, row.id, row.attempts, services::now()).await?;
        tx.commit().await?;
        if !claimed {
            continue;
        }
        let sh = sh.clone();
        tokio::spawn(async move {
            let outcome = attempt(&sh, &row).await;
            let (status, cause) = match outcome {
                Some(Ok(())) => {
                    sh.metrics.coa_ack.fetch_add(1, Relaxed);
                    ("ack", None)
                }
                Some(Err(cause)) => {
                    sh.metrics.coa_nak.fetch_add(1, Relaxed);
                    ("nak", cause)
                }
                None if row.attempts + 1 >= ATTEMPTS => {
                    sh.metrics.coa_failed.fetch_add(1, Relaxed);
                    ("failed", None)
                }
                None => return,
            };
            if let Err(e) = record(&sh, row.id, status, cause).await {
                tracing::warn!(coa = row.id, error = %e, "cannot record the CoA answer");
            }
        });
    }
    Ok(())
}

async fn record(sh: &Shared, id: i64, status: &str, cause: Option<i64>) -> Result<()> {
    let mut tx = sh.svc.db.begin().await?;
    hot::record_coa(&mut tx, id, status, cause, services::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Builds the request for a row.
fn request(sh: &Shared, row: &Pending, kind: Kind) -> Packet {
    let code = if row.kind == "coa" {
        Code::CoaRequest
    } else {
        Code::DisconnectRequest
    };
    let mut p = Packet::new(code, rand_id(row.id));
    p.add_message_authenticator();
    let sub = row.contract_id.and_then(|k| sh.view.by_contract(k));
    let login = row
        .login
        .clone()
        .or_else(|| sub.as_ref().map(|s| s.login.to_string()));
    if let Some(l) = &login {
        p.add_text(attr::USER_NAME, l);
    }
    if let Some(s) = &row.acct_session_id {
        p.add_text(attr::ACCT_SESSION_ID, s);
    }
    if let Some(ip) = row.framed_ip.as_deref().and_then(|s| s.parse().ok()) {
        p.add(attr::FRAMED_IP_ADDRESS, ip);
    }
    if code == Code::CoaRequest
        && let Some(sub) = &sub
        && let Some(plan) = sh.view.plan(sub.plan_id)
    {
        let settings = sh.view.settings.load();
        profile::add_profile(&mut p, kind, &plan, profile::mode_of(sub, &plan), &settings);
    }
    p
}

fn rand_id(id: i64) -> u8 {
    (id & 0xff) as u8
}

/// One send and wait: `Some(Ok)` ACK, `Some(Err(cause))` NAK, `None` no
/// valid answer in time.
async fn attempt(sh: &Shared, row: &Pending) -> Option<std::result::Result<(), Option<i64>>> {
    let Some(nas) = sh.nas.by_id(row.nas_id) else {
        tracing::warn!(
            coa = row.id,
            nas = row.nas_id,
            "CoA for an unknown or disabled NAS"
        );
        return None;
    };
    let req = request(sh, row, nas.kind);
    let wire = match req.encode(&nas.secret) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(coa = row.id, error = %e, "cannot encode the CoA request");
            return None;
        }
    };
    let mut req_auth = [0u8; 16];
    req_auth.copy_from_slice(&wire[4..20]);
    let bind: SocketAddr = match nas.address {
        IpAddr::V4(_) => ([0, 0, 0, 0], 0).into(),
        IpAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let sock = tokio::net::UdpSocket::bind(bind).await.ok()?;
    let to = SocketAddr::new(nas.address, nas.coa_port);
    sock.send_to(&wire, to).await.ok()?;
    let mut buf = [0u8; radius::MAX_PACKET_LEN];
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let (n, from) = tokio::time::timeout_at(deadline, sock.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        if from.ip() != nas.address {
            continue;
        }
        let Ok(ans) = Packet::decode_response(&buf[..n], &nas.secret, &req_auth) else {
            continue;
        };
        if ans.identifier != req.identifier || ans.verify_response_authenticator().is_err() {
            continue;
        }
        return match ans.code {
            Code::DisconnectAck | Code::CoaAck => Some(Ok(())),
            Code::DisconnectNak | Code::CoaNak => {
                Some(Err(ans.get(attr::ERROR_CAUSE).map(i64::from)))
            }
            _ => continue,
        };
    }
}

#[cfg(test)]
mod tests {
    use domain::Money;
    use domain::contracts::SuspendReason;
    use domain::event::{
        ContractCreated, ContractPlanChanged, ContractPriceChanged, ContractSpeedChanged,
        ContractStatusChanged, ContractUpdated, NasChange, NasChanged, PlanUpdated,
    };

    use super::*;

    fn moved(from: ContractStatus, to: ContractStatus) -> DomainEvent {
        ContractStatusChanged {
            contract_id: 7,
            customer_id: 3,
            login: "ana".into(),
            from,
            to,
            reason: (to == ContractStatus::Suspended).then_some(SuspendReason::NonPayment),
            number: "000007".into(),
        }
        .into()
    }

    fn updated(reconnect: bool) -> DomainEvent {
        ContractUpdated {
            contract_id: 7,
            customer_id: 3,
            old_login: "ana".into(),
            login: "ana".into(),
            password_changed: true,
            reconnect,
            number: "000007".into(),
        }
        .into()
    }

    #[test]
    fn events_ask_for_requests() {
        use ContractStatus::*;
        use Request::{Coa, Disconnect};
        let plan_changed = ContractPlanChanged {
            contract_id: 7,
            customer_id: 3,
            login: "ana".into(),
            from_plan_id: 1,
            to_plan_id: 2,
            from_price: Money(100),
            to_price: Money(200),
            effective_date: jiff::civil::date(2026, 3, 1),
            number: "000007".into(),
            plan: "Fibra".into(),
        };
        let table: Vec<(DomainEvent, Option<(Request, &str)>)> = vec![
            (
                moved(Active, Suspended),
                Some((Disconnect, "contract suspended")),
            ),
            (
                moved(Active, Canceled),
                Some((Disconnect, "contract canceled")),
            ),
            (
                moved(Suspended, Canceled),
                Some((Disconnect, "contract canceled")),
            ),
            (
                moved(Suspended, Active),
                Some((Disconnect, "contract reactivated")),
            ),
            (moved(PendingInstallation, Active), None),
            (
                moved(PendingInstallation, Canceled),
                Some((Disconnect, "contract canceled")),
            ),
            (plan_changed.into(), Some((Coa, "plan changed"))),
            (updated(true), Some((Disconnect, "access changed"))),
            (updated(false), None),
            (
                ContractCreated {
                    contract_id: 7,
                    customer_id: 3,
                    plan_id: 1,
                    status: Active,
                    login: "ana".into(),
                    number: "000007".into(),
                    plan: "Fibra".into(),
                    import_line: None,
                }
                .into(),
                None,
            ),
            (
                ContractPriceChanged {
                    contract_id: 7,
                    customer_id: 3,
                    old_price: Money(100),
                    new_price: Money(200),
                    number: "000007".into(),
                }
                .into(),
                None,
            ),
            (
                ContractSpeedChanged {
                    contract_id: 7,
                    customer_id: 3,
                    number: "000007".into(),
                    reduced: true,
                }
                .into(),
                Some((Coa, "speed reduced")),
            ),
            (
                ContractSpeedChanged {
                    contract_id: 7,
                    customer_id: 3,
                    number: "000007".into(),
                    reduced: false,
                }
                .into(),
                Some((Coa, "speed restored")),
            ),
            (PlanUpdated { plan_id: 1 }.into(), None),
            (
                NasChanged {
                    nas_id: 1,
                    action: NasChange::Updated,
                }
                .into(),
                None,
            ),
        ];
        for (event, want) in table {
            let got = action(&event);
            assert_eq!(got, want.map(|(r, why)| (7, r, why)), "{event:?}");
        }
    }
}
