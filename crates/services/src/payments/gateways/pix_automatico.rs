//! Pix Automático: a contract's monthly recurrence at the PSP. Staff
//! enrol a contract (`POST /rec` naming the contract and the customer as
//! debtor, then `POST /solicrec` sending the authorisation request to the
//! payer's bank account); the payer approves it in their bank's app and
//! the state comes back by the recurrence webhook ([`handle_rec_webhook`])
//! or the poll in the `pix-sweep` job ([`poll`]). While a recurrence is
//! approved, the `pix-charges` job charges the contract's invoices with a
//! scheduled `/cobr` ([`plan_for`], [`ensure_cobr`]) instead of a cob/cobv;
//! money arrives by the recurring-charge webhook ([`handle_cobr_webhook`])
//! or the sweep, each end-to-end id recorded once (method
//! `pix_automatico`). A recurring charge that expires or is refused
//! leaves its invoice to an ordinary Pix charge on the next run.

use domain::Permission;
use domain::system::settings as keys;
use gateways::pix::{Amount, Pessoa};
use gateways::pix::{
    CalendarioCobr, CalendarioRec, CalendarioSolicRec, CobrRequest, CobrStatus, Destinatario,
    Periodicidade, PixClient, PoliticaRetentativa, Rec, RecRequest, RecStatus, SolicRecRequest,
    Txid, ValorCob, ValorRec, Vinculo,
};
use serde_json::json;
use store::payments::charges::{Charge, NewCharge};
use store::payments::recurrences::{NewRecurrence, Recurrence};

use super::gateway_error;
use super::pix::{self, GATEWAY, WebhookResult, txid_key};
use crate::change::Change;
use crate::{Caller, Error, Result, Services};

/// The method of recurring charges and their payments.
pub const METHOD: &str = "pix_automatico";
/// The system caller's name for what the PSP tells.
const JOB: &str = "pix-automatico";
/// How long the payer has to answer an authorisation request.
const REQUEST_DAYS: i64 = 7;
/// A recurring charge is due 2 to 10 days after it is asked for.
const COBR_MIN_DAYS: i64 = 2;
const COBR_MAX_DAYS: i64 = 10;

/// The txid of an invoice's recurring charge (its own key: the invoice's
/// cob/cobv txids stay free for a fallback charge).
pub fn cobr_txid(public_id: &str, attempt: i64) -> Txid {
    Txid::derive(&format!("cobr:{}", txid_key(public_id, attempt)))
}

/// What staff agree with the payer.
#[derive(Debug, Clone, Default)]
pub struct Enrolment {
    /// `fixed` (every charge is `amount`), `minimum` (the payer may cap
    /// charges, never below `amount`) or `variable` (no amount agreed).
    pub amount_policy: String,
    /// Minor units; required for `fixed` and `minimum`.
    pub amount: Option<i64>,
    /// First charge from (`YYYY-MM-DD`, today or later).
    pub valid_from: String,
    /// Last charge until (`YYYY-MM-DD`), or open-ended.
    pub valid_to: Option<String>,
    /// The payer's bank (ISPB, 8 digits), agency and account.
    pub payer_ispb: String,
    pub payer_agency: Option<String>,
    pub payer_account: String,
}

const POLICIES: &[&str] = &["fixed", "minimum", "variable"];

fn digits(field: &'static str, v: &str, min: usize, max: usize) -> Result<String> {
    let v = v.trim();
    if v.len() < min || v.len() > max || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_msg(
            field,
            if min == max {
                format!("must be {min} digits")
            } else {
                format!("must be {min} to {max} digits")
            },
        ));
    }
    Ok(v.to_owned())
}

fn day(field: &'static str, v: &str) -> Result<jiff::civil::Date> {
    v.trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| Error::invalid_msg(field, "must be a date (YYYY-MM-DD)"))
}

/// Contract `contract_id`'s recurrences, newest first (the live one, if
/// any, first). Needs `payments.view` (or being its customer).
pub async fn of_contract(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
) -> Result<Vec<Recurrence>> {
    let mut c = svc.db.conn().await?;
    let k = contract(&mut c, contract_id).await?;
    caller.require_for_customer(Permission::PaymentsView, k.customer_id)?;
    Ok(store::payments::recurrences::of_contract(&mut c, contract_id).await?)
}

async fn contract(c: &mut store::AnyConnection, id: i64) -> Result<store::contracts::Contract> {
    match store::contracts::get(c, id).await {
        Ok(k) => Ok(k),
        Err(store::Error::NotFound) => Err(Error::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Enrols contract `contract_id` in Pix Automático: creates the
/// recurrence at the PSP and sends the authorisation request to the
/// payer's account; the recurrence is `created` until the payer answers.
/// Needs `payments.record`; audited as `pix_recurrence.enrol`.
pub async fn enrol(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
    e: &Enrolment,
) -> Result<Recurrence> {
    caller.require(Permission::PaymentsRecord)?;
    let s = crate::system::settings::current(svc).await?;
    if s.raw(keys::PIX_MODE) != "api" {
        return Err(Error::Refused("pix-api-off"));
    }
    let (k, customer, today) = {
        let mut c = svc.db.conn().await?;
        let k = contract(&mut c, contract_id).await?;
        let customer = store::crm::customers::get(&mut c, k.customer_id).await?;
        if store::payments::recurrences::live_of(&mut c, contract_id)
            .await?
            .is_some()
        {
            return Err(Error::Refused("pix-recurrence-exists"));
        }
        (k, customer, crate::crm::today(&mut c).await?)
    };
    if k.status == "canceled" {
        return Err(Error::Refused("contract-canceled"));
    }
    let policy = e.amount_policy.trim();
    if !POLICIES.contains(&policy) {
        return Err(Error::invalid_msg(
            "amount_policy",
            "must be fixed, minimum or variable",
        ));
    }
    let amount = match (policy, e.amount) {
        ("variable", _) => None,
        (_, Some(a)) if a > 0 => Some(a),
        _ => {
            return Err(Error::invalid_msg(
                "amount",
                "must be more than zero for a fixed or minimum amount",
            ));
        }
    };
    let from = day("valid_from", &e.valid_from)?;
    if from < today {
        return Err(Error::invalid_msg("valid_from", "must be today or later"));
    }
    let to = match e
        .valid_to
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => {
            let to = day("valid_to", v)?;
            if to <= from {
                return Err(Error::invalid_msg("valid_to", "must be after valid_from"));
            }
            Some(to)
        }
        None => None,
    };
    let ispb = digits("payer_ispb", &e.payer_ispb, 8, 8)?;
    let account = digits("payer_account", &e.payer_account, 1, 20)?;
    let agency = match e
        .payer_agency
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(a) => Some(digits("payer_agency", a, 1, 4)?),
        None => None,
    };
    let debtor = Pessoa::with_document(&customer.document, &customer.name)
        .map_err(|_| Error::invalid_msg("document", "the customer needs a CPF or CNPJ"))?;
    let client = pix::client(svc).await?;
    let number: String = k.number.chars().take(35).collect();
    let rec = client
        .post_rec(&RecRequest {
            vinculo: Vinculo {
                objeto: Some(format!("Internet {number}").chars().take(35).collect()),
                contrato: number,
                devedor: debtor.clone(),
            },
            calendario: CalendarioRec {
                data_inicial: from.to_string(),
                data_final: to.map(|d| d.to_string()),
                periodicidade: Periodicidade::Mensal,
            },
            valor: match policy {
                "fixed" => Some(ValorRec {
                    valor_rec: amount.map(Amount),
                    valor_minimo_recebedor: None,
                }),
                "minimum" => Some(ValorRec {
                    valor_rec: None,
                    valor_minimo_recebedor: amount.map(Amount),
                }),
                _ => None,
            },
            politica_retentativa: PoliticaRetentativa::Permite3r7d,
            loc: None,
            ativacao: None,
        })
        .await
        .map_err(|e| gateway_error("Pix PSP rec", e))?;
    let actor = caller.actor();
    // Kept before the request is sent: a recurrence the PSP holds is never
    // lost here, even if what follows fails.
    let id = {
        let mut tx = svc.db.begin().await?;
        let engine = tx.engine();
        let from_s = from.to_string();
        let to_s = to.map(|d| d.to_string());
        let id = store::payments::recurrences::insert(
            &mut tx,
            &NewRecurrence {
                contract_id,
                rec_id: &rec.id_rec,
                solicrec_id: None,
                status: "created",
                amount_policy: policy,
                amount,
                valid_from: &from_s,
                valid_to: to_s.as_deref(),
                payer_ispb: &ispb,
                payer_agency: agency.as_deref(),
                payer_account: &account,
            },
            store::now(),
        )
        .await?;
        Change::new("pix_recurrence.enrol", "pix_recurrence", id)
            .after(json!({
                "contract_id": contract_id, "rec_id": rec.id_rec, "amount_policy": policy,
                "amount": amount, "valid_from": from_s, "valid_to": to_s,
                "payer_ispb": ispb,
            }))
            .record(&mut tx, engine, &actor)
            .await?;
        tx.commit().await?;
        id
    };
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * REQUEST_DAYS);
    let sent = client
        .post_solicrec(&SolicRecRequest {
            id_rec: rec.id_rec.clone(),
            calendario: CalendarioSolicRec {
                data_expiracao_solicitacao: expires.to_string(),
            },
            destinatario: Destinatario {
                cpf: debtor.cpf.clone(),
                cnpj: debtor.cnpj.clone(),
                conta: account.clone(),
                agencia: agency.clone(),
                ispb_participante: ispb.clone(),
            },
        })
        .await;
    let mut c = svc.db.conn().await?;
    match sent {
        Ok(sr) => {
            store::payments::recurrences::set_solicrec(&mut c, id, &sr.id_solic_rec, store::now())
                .await?;
        }
        Err(err) => {
            // Nobody can approve a recurrence no request went out for.
            let why = format!("solicrec: {err}");
            if let Err(e) = client.cancel_rec(&rec.id_rec).await {
                tracing::warn!(rec = rec.id_rec, error = %e, "Pix recurrence not canceled");
            }
            store::payments::recurrences::set_status(
                &mut c,
                id,
                "canceled",
                Some(&why),
                store::now(),
            )
            .await?;
            return Err(gateway_error("Pix PSP solicrec", err));
        }
    }
    Ok(store::payments::recurrences::get(&mut c, id).await?)
}

/// Cancels recurrence `id` at the PSP and here (no more recurring
/// charges; charges already scheduled stay). Needs `payments.record`;
/// audited as `pix_recurrence.cancel`.
pub async fn cancel(svc: &Services, caller: &Caller, id: i64, reason: &str) -> Result<Recurrence> {
    caller.require(Permission::PaymentsRecord)?;
    domain::validate::required_multiline(reason, 500).map_err(|e| Error::invalid("reason", e))?;
    let r = {
        let mut c = svc.db.conn().await?;
        match store::payments::recurrences::get(&mut c, id).await {
            Ok(r) => r,
            Err(store::Error::NotFound) => return Err(Error::NotFound),
            Err(e) => return Err(e.into()),
        }
    };
    if r.status != "created" && r.status != "approved" {
        return Err(Error::Refused("pix-recurrence-ended"));
    }
    let client = pix::client(svc).await?;
    let rec = client
        .cancel_rec(&r.rec_id)
        .await
        .map_err(|e| gateway_error("Pix PSP rec", e))?;
    let actor = caller.actor();
    let mut tx = svc.db.begin().await?;
    let engine = tx.engine();
    let status = status_of(rec.status);
    store::payments::recurrences::set_status(
        &mut tx,
        id,
        status,
        Some(reason.trim()),
        store::now(),
    )
    .await?;
    Change::new("pix_recurrence.cancel", "pix_recurrence", id)
        .before(json!({ "status": r.status }))
        .after(json!({ "status": status, "reason": reason.trim() }))
        .record(&mut tx, engine, &actor)
        .await?;
    let after = store::payments::recurrences::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(after)
}

fn status_of(s: RecStatus) -> &'static str {
    match s {
        RecStatus::Criada => "created",
        RecStatus::Aprovada => "approved",
        RecStatus::Rejeitada => "rejected",
        RecStatus::Expirada => "expired",
        RecStatus::Cancelada => "canceled",
    }
}

/// Applies what the PSP says of a recurrence (confirmed by a GET, never a
/// webhook body alone); returns whether ours changed. Audited as the
/// system (`pix_recurrence.status`).
async fn apply(svc: &Services, rec: &Rec) -> Result<bool> {
    let mut tx = svc.db.begin().await?;
    let Some(ours) = store::payments::recurrences::by_rec_id(&mut tx, &rec.id_rec).await? else {
        return Ok(false);
    };
    let status = status_of(rec.status);
    let why = rec.encerramento.as_ref().map(|v| v.to_string());
    if !store::payments::recurrences::set_status(
        &mut tx,
        ours.id,
        status,
        why.as_deref(),
        store::now(),
    )
    .await?
    {
        return Ok(false);
    }
    let engine = tx.engine();
    Change::new("pix_recurrence.status", "pix_recurrence", ours.id)
        .before(json!({ "status": ours.status }))
        .after(json!({ "status": status }))
        .record(&mut tx, engine, &Caller::system(JOB).actor())
        .await?;
    tx.commit().await?;
    if status == "approved" {
        // The next charge run may now use it.
        svc.wake_jobs();
    }
    Ok(true)
}

/// Handles a recurrence notification (`POST …/rec`, the sender
/// authenticated by mutual TLS): each recurrence named is read back from
/// the PSP and its state applied. Returns how many changed.
pub async fn handle_rec_webhook(svc: &Services, body: &[u8]) -> Result<usize> {
    let hook = gateways::pix::parse_rec_webhook(body)
        .map_err(|e| Error::invalid_msg("body", e.to_string()))?;
    let client = pix::client(svc).await?;
    let mut changed = 0;
    for hint in &hook.recs {
        let rec = client
            .get_rec(&hint.id_rec)
            .await
            .map_err(|e| gateway_error("Pix PSP confirming a rec webhook", e))?;
        if apply(svc, &rec).await? {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Asks the PSP about the recurrences still waiting for the payer (the
/// notification may be lost); part of the `pix-sweep` job.
pub async fn poll(svc: &Services, client: &PixClient) -> Result<usize> {
    let waiting = {
        let mut c = svc.db.conn().await?;
        store::payments::recurrences::waiting(&mut c, super::BATCH).await?
    };
    let mut changed = 0;
    for r in waiting {
        match client.get_rec(&r.rec_id).await {
            Ok(rec) => {
                if apply(svc, &rec).await? {
                    changed += 1;
                }
            }
            Err(e) => tracing::warn!(rec = r.rec_id, error = %e, "Pix recurrence not polled"),
        }
    }
    Ok(changed)
}

/// Handles a recurring-charge notification (`POST …/cobr`): each charge
/// is read back from the PSP; its Pix are recorded once (as the sweep
/// would), and one that ended unpaid closes our row.
pub async fn handle_cobr_webhook(svc: &Services, body: &[u8]) -> Result<WebhookResult> {
    let hook = gateways::pix::parse_cobr_webhook(body)
        .map_err(|e| Error::invalid_msg("body", e.to_string()))?;
    let client = pix::client(svc).await?;
    let mut out = WebhookResult::default();
    for hint in &hook.cobsr {
        let cobr = client
            .get_cobr(&hint.txid)
            .await
            .map_err(|e| gateway_error("Pix PSP confirming a cobr webhook", e))?;
        for p in &cobr.pix {
            let mut p = p.clone();
            p.txid.get_or_insert_with(|| cobr.txid.as_str().to_owned());
            match pix::receive(svc, &p).await? {
                pix::Received::Recorded => out.recorded += 1,
                pix::Received::Repeated => out.repeated += 1,
                pix::Received::Unmatched => out.unmatched += 1,
            }
        }
        let closed = match cobr.status {
            CobrStatus::Expirada => Some("expired"),
            CobrStatus::Rejeitada => Some("failed"),
            CobrStatus::Cancelada => Some("canceled"),
            _ => None,
        };
        if let Some(status) = closed {
            let mut c = svc.db.conn().await?;
            if let Some(ch) =
                store::payments::charges::by_external(&mut c, GATEWAY, cobr.txid.as_str()).await?
            {
                let why = cobr
                    .encerramento
                    .as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| format!("recurring charge {status}"));
                store::payments::charges::close(&mut c, ch.id, status, Some(&why), store::now())
                    .await?;
            }
        }
    }
    Ok(out)
}

/// The due date of a recurring charge for an invoice due `due`: the
/// scheme wants it at least 2 days after the request (an invoice due
/// sooner, or overdue, is charged on the earliest day allowed).
fn cobr_due(due: jiff::civil::Date, today: jiff::civil::Date) -> jiff::civil::Date {
    due.max(today + jiff::Span::new().days(COBR_MIN_DAYS))
}

/// How the `pix-charges` job charges an invoice.
#[derive(Debug, Clone)]
pub enum Plan {
    /// An ordinary charge (cob or cobv).
    Single,
    /// A recurring charge of this approved recurrence.
    Recurring(Box<Recurrence>),
    /// A recurring charge later: its due date is more than 10 days away.
    Wait,
}

/// How invoice `invoice_id` is charged: by `/cobr` when its contract has
/// an approved recurrence whose terms take the amount and the day and no
/// recurring charge was tried for it yet; otherwise a cob/cobv.
pub async fn plan_for(svc: &Services, invoice_id: i64) -> Result<Plan> {
    let mut c = svc.db.conn().await?;
    let d = store::billing::documents::get(&mut c, invoice_id).await?;
    let Some(contract_id) = d.contract_id else {
        return Ok(Plan::Single);
    };
    let Some(rec) = store::payments::recurrences::live_of(&mut c, contract_id).await? else {
        return Ok(Plan::Single);
    };
    if rec.status != "approved" {
        return Ok(Plan::Single);
    }
    let tried = store::payments::charges::of_invoice(&mut c, invoice_id)
        .await?
        .iter()
        .any(|ch| ch.method == METHOD);
    if tried {
        return Ok(Plan::Single);
    }
    let open = store::payments::invoice_amounts(&mut c, invoice_id)
        .await?
        .open();
    let fits = match (rec.amount_policy.as_str(), rec.amount) {
        ("fixed", Some(a)) => open == a,
        ("minimum", Some(a)) => open >= a,
        _ => true,
    };
    let today = crate::crm::today(&mut c).await?;
    let invoice_due = day("due_date", &d.due_date)?;
    if invoice_due > today + jiff::Span::new().days(COBR_MAX_DAYS) {
        return Ok(Plan::Wait);
    }
    let due = cobr_due(invoice_due, today).to_string();
    let in_term = due >= rec.valid_from && rec.valid_to.as_ref().is_none_or(|t| &due <= t);
    if !fits || !in_term {
        return Ok(Plan::Single);
    }
    Ok(Plan::Recurring(Box::new(rec)))
}

/// Schedules invoice `invoice_id`'s recurring charge (`PUT /cobr`) for
/// what it owes, due on its due date (moved into the 2–10 days the
/// scheme allows), kept as a `pix_automatico` charge at the PSP.
pub async fn ensure_cobr(svc: &Services, invoice_id: i64, rec: &Recurrence) -> Result<Charge> {
    let (d, open, attempt, today) = {
        let mut c = svc.db.conn().await?;
        if let Some(ch) =
            store::payments::charges::open_of(&mut c, invoice_id, METHOD, GATEWAY).await?
        {
            return Ok(ch);
        }
        let d = store::billing::documents::get(&mut c, invoice_id).await?;
        let open = store::payments::invoice_amounts(&mut c, invoice_id)
            .await?
            .open();
        let attempt = store::payments::charges::count_of(&mut c, invoice_id, GATEWAY).await?;
        (d, open, attempt, crate::crm::today(&mut c).await?)
    };
    if d.kind != "invoice" || d.status != "issued" || open <= 0 {
        return Err(Error::Refused("invoice-not-payable"));
    }
    let due = cobr_due(day("due_date", &d.due_date)?, today);
    let txid = cobr_txid(&d.public_id, attempt);
    let client = pix::client(svc).await?;
    let number = d.number.clone().unwrap_or_default();
    let cobr = client
        .put_cobr(
            &txid,
            &CobrRequest {
                id_rec: rec.rec_id.clone(),
                info_adicional: Some(format!("Fatura {number}")),
                calendario: CalendarioCobr {
                    criacao: None,
                    data_de_vencimento: due.to_string(),
                },
                valor: ValorCob {
                    original: Amount(open),
                },
                ajuste_dia_util: true,
            },
        )
        .await
        .map_err(|e| gateway_error("Pix PSP cobr", e))?;
    let mut tx = svc.db.begin().await?;
    let charge = store::payments::charges::upsert(
        &mut tx,
        &NewCharge {
            invoice_id,
            method: METHOD,
            gateway: GATEWAY,
            external_id: cobr.txid.as_str(),
            amount: open,
            ..NewCharge::default()
        },
        store::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(charge)
}
