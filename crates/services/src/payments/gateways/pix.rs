//! Pix for invoices: a static BR Code (`pix.mode = static`, no PSP) or
//! charges through the PSP's API Pix v2 (`api`).
//!
//! With a PSP, each open invoice gets one charge whose txid is derived from
//! the invoice's public id ([`Txid::derive`]), so creating it again returns
//! the same charge. A `cobv` carries the due date with a fine of 2 % and
//! interest of 1 % a month (the most Brazilian rules allow, and the
//! defaults until the collections policy gives its own); a `cob` expires
//! after `pix.expiry_hours`.
//!
//! Received Pix arrive by webhook (mutual TLS, see [`handle_webhook`]) and
//! by the `pix-sweep` job ([`sweep`]); both record each end-to-end id once
//! (`webhook_events` plus the payments' own `(gateway, reference)` key).

use domain::payments::Method;
use domain::system::settings as keys;
use gateways::pix::{
    Amount, CalendarioCob, CalendarioCobv, CobRequest, CobvRequest, DevolucaoRequest, Modalidade,
    Pessoa, PixClient, PixConfig, ReceivedPix, Txid, ValorCob, ValorCobv,
};
use store::payments::charges::{Charge, NewCharge};

use super::{TestOutcome, gateway_error, missing};
use crate::payments::TakenBack;
use crate::system::settings::Settings;
use crate::{Caller, Error, Result, Services};

/// The gateway name of charges and payments through the PSP.
pub const GATEWAY: &str = "psp";
/// The gateway name of static BR Codes (no provider).
pub const GATEWAY_STATIC: &str = "pix_static";
/// Job kinds.
pub const CHARGES_JOB: &str = "pix-charges";
pub const SWEEP_JOB: &str = "pix-sweep";
const SWEEP_CURSOR: &str = "pix-sweep";
/// Late fine in basis points and interest per month (BR maxima).
pub const DEFAULT_FINE_BPS: i64 = 200;
pub const DEFAULT_INTEREST_BPS: i64 = 100;

const REQUIRED: &[&str] = &[
    keys::PIX_KEY,
    keys::PIX_API_URL,
    keys::PIX_OAUTH_URL,
    keys::PIX_CLIENT_ID,
    keys::PIX_CLIENT_SECRET,
];

/// The PSP client configuration from the settings (`Err` names what is missing).
pub fn config(svc: &Services, s: &Settings) -> Result<PixConfig> {
    let gone = missing(svc, s, REQUIRED)?;
    if !gone.is_empty() {
        return Err(Error::invalid_msg(
            "settings",
            format!("Pix settings missing: {}", gone.join(", ")),
        ));
    }
    let cert = s.raw(keys::PIX_CERTIFICATE).to_owned();
    let key = s.secret(svc, keys::PIX_PRIVATE_KEY)?;
    let ca = s.raw(keys::PIX_PSP_CA).to_owned();
    Ok(PixConfig {
        base_url: format!("{}/", s.raw(keys::PIX_API_URL).trim_end_matches('/')),
        oauth_url: s.raw(keys::PIX_OAUTH_URL).to_owned(),
        client_id: s.raw(keys::PIX_CLIENT_ID).to_owned(),
        client_secret: s.secret(svc, keys::PIX_CLIENT_SECRET)?,
        scopes: Vec::new(),
        identity_pem: (!cert.is_empty() && !key.is_empty()).then_some((cert, key)),
        extra_roots_pem: if ca.is_empty() { Vec::new() } else { vec![ca] },
        timeout: std::time::Duration::from_secs(20),
    })
}

/// A client of the configured PSP.
pub async fn client(svc: &Services) -> Result<PixClient> {
    let s = crate::system::settings::current(svc).await?;
    PixClient::new(config(svc, &s)?).map_err(|e| gateway_error("Pix PSP", e))
}

pub(super) async fn test_connection(svc: &Services, s: &Settings) -> Result<TestOutcome> {
    match s.raw(keys::PIX_MODE) {
        "api" => {}
        "static" => {
            let gone = missing(
                svc,
                s,
                &[
                    keys::PIX_KEY,
                    keys::PIX_MERCHANT_NAME,
                    keys::PIX_MERCHANT_CITY,
                ],
            )?;
            if !gone.is_empty() {
                return Ok(TestOutcome::Incomplete(gone));
            }
            return Ok(match static_code(s, 100, &static_txid("test")) {
                Ok(_) => TestOutcome::Ok("static BR Code builds".into()),
                Err(e) => TestOutcome::Failed(e.to_string()),
            });
        }
        _ => return Ok(TestOutcome::Off),
    }
    let gone = missing(svc, s, REQUIRED)?;
    if !gone.is_empty() {
        return Ok(TestOutcome::Incomplete(gone));
    }
    let client = match PixClient::new(config(svc, s)?) {
        Ok(c) => c,
        Err(e) => return Ok(TestOutcome::Failed(e.to_string())),
    };
    // A read of the last minute: signs in (OAuth over mTLS), charges nothing.
    let now = jiff::Timestamp::now();
    let from = now - jiff::SignedDuration::from_secs(60);
    Ok(match client.list_pix(from, now).await {
        Ok(list) => TestOutcome::Ok(format!("{} Pix received in the last minute", list.len())),
        Err(e) => TestOutcome::Failed(e.to_string()),
    })
}

/// The txid of a static BR Code for an invoice: 25 letters and digits (the
/// most a static code carries), stable per invoice and attempt.
pub fn static_txid(public_id: &str) -> String {
    Txid::derive(public_id).as_str()[..25].to_owned()
}

/// The key an invoice's charge txids derive from: its public id for the
/// first charge at a gateway, then one per attempt (a PSP never takes a
/// txid twice, so a charge made again after one was closed needs its own).
pub fn txid_key(public_id: &str, attempt: i64) -> String {
    if attempt == 0 {
        public_id.to_owned()
    } else {
        format!("{public_id}#{attempt}")
    }
}

fn static_code(s: &Settings, amount: i64, txid: &str) -> std::result::Result<String, String> {
    brpay::pix::PixBuilder::with_key(s.raw(keys::PIX_KEY))
        .merchant(
            s.raw(keys::PIX_MERCHANT_NAME),
            s.raw(keys::PIX_MERCHANT_CITY),
        )
        .amount(amount)
        .txid(txid)
        .build()
        .map_err(|e| e.to_string())
}

/// The invoice's static Pix charge (`pix.mode = static`): its BR Code with
/// the key, the amount left to pay and a txid derived from the invoice,
/// kept as a `pix_static` charge row.
pub async fn static_charge(svc: &Services, invoice_id: i64) -> Result<Charge> {
    let s = crate::system::settings::current(svc).await?;
    if s.raw(keys::PIX_MODE) != "static" {
        return Err(Error::Refused("pix-static-off"));
    }
    let mut tx = svc.db.begin().await?;
    let d = store::billing::documents::get(&mut tx, invoice_id).await?;
    let inv = store::payments::invoice_amounts(&mut tx, invoice_id).await?;
    if d.kind != "invoice" || d.status != "issued" || inv.open() <= 0 {
        return Err(Error::Refused("invoice-not-payable"));
    }
    // An open code is refreshed (the amount left changes with partial
    // payments); after a closed one, the next attempt has its own txid.
    let txid = match store::payments::charges::open_of(&mut tx, invoice_id, "pix", GATEWAY_STATIC)
        .await?
    {
        Some(open) => open.external_id,
        None => {
            let attempt =
                store::payments::charges::count_of(&mut tx, invoice_id, GATEWAY_STATIC).await?;
            static_txid(&txid_key(&d.public_id, attempt))
        }
    };
    let code = static_code(&s, inv.open(), &txid)
        .map_err(|e| Error::invalid_msg("settings", format!("Pix BR Code: {e}")))?;
    let charge = store::payments::charges::upsert(
        &mut tx,
        &NewCharge {
            invoice_id,
            method: "pix",
            gateway: GATEWAY_STATIC,
            external_id: &txid,
            amount: inv.open(),
            pay_code: Some(&code),
            ..NewCharge::default()
        },
        store::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(charge)
}

/// The invoice's charge at the PSP (`pix.mode = api`), created when it has
/// none open: `cobv` with due date, fine and interest, or `cob` as
/// `pix.charge` says. Creating it twice returns the same charge (same
/// txid at the PSP, same row here).
pub async fn ensure_pix_charge(svc: &Services, invoice_id: i64) -> Result<Charge> {
    let s = crate::system::settings::current(svc).await?;
    if s.raw(keys::PIX_MODE) != "api" {
        return Err(Error::Refused("pix-api-off"));
    }
    let (d, inv, customer, attempt) = {
        let mut c = svc.db.conn().await?;
        if let Some(ch) =
            store::payments::charges::open_of(&mut c, invoice_id, "pix", GATEWAY).await?
        {
            return Ok(ch);
        }
        let d = store::billing::documents::get(&mut c, invoice_id).await?;
        let inv = store::payments::invoice_amounts(&mut c, invoice_id).await?;
        let customer = store::crm::customers::get(&mut c, d.customer_id).await?;
        let attempt = store::payments::charges::count_of(&mut c, invoice_id, GATEWAY).await?;
        (d, inv, customer, attempt)
    };
    if d.kind != "invoice" || d.status != "issued" || inv.open() <= 0 {
        return Err(Error::Refused("invoice-not-payable"));
    }
    let client = PixClient::new(config(svc, &s)?).map_err(|e| gateway_error("Pix PSP", e))?;
    let txid = Txid::derive(&txid_key(&d.public_id, attempt));
    let amount = Amount(inv.open());
    let chave = s.raw(keys::PIX_KEY).to_owned();
    let number = d.number.clone().unwrap_or_default();
    let note = Some(format!("Fatura {number}"));
    let debtor = Pessoa::with_document(&customer.document, &customer.name);
    let (cob, expires_at) = if s.raw(keys::PIX_CHARGE) == "cob" || debtor.is_err() {
        // An immediate charge needs no debtor: also the fallback for a
        // customer without a CPF/CNPJ, whom a cobv cannot name.
        let secs =
            u32::try_from(s.int(keys::PIX_EXPIRY_HOURS).clamp(1, 720) * 3600).unwrap_or(3600);
        let body = CobRequest {
            calendario: CalendarioCob { expiracao: secs },
            devedor: debtor.ok(),
            valor: ValorCob { original: amount },
            chave,
            solicitacao_pagador: note,
            info_adicionais: Vec::new(),
        };
        let cob = client
            .put_cob(&txid, &body)
            .await
            .map_err(|e| gateway_error("Pix PSP cob", e))?;
        (cob, Some(store::now() + i64::from(secs)))
    } else {
        let body = CobvRequest {
            calendario: CalendarioCobv {
                data_de_vencimento: d.due_date.clone(),
                validade_apos_vencimento: Some(30),
            },
            devedor: debtor.map_err(|e| gateway_error("Pix PSP cobv", e))?,
            valor: ValorCobv {
                original: amount,
                // modalidade 2: percent (fine) / percent a month (interest).
                multa: Some(Modalidade {
                    modalidade: 2,
                    valor_perc: Amount(DEFAULT_FINE_BPS),
                }),
                juros: Some(Modalidade {
                    modalidade: 2,
                    valor_perc: Amount(DEFAULT_INTEREST_BPS),
                }),
            },
            chave,
            solicitacao_pagador: note,
            info_adicionais: Vec::new(),
        };
        let cob = client
            .put_cobv(&txid, &body)
            .await
            .map_err(|e| gateway_error("Pix PSP cobv", e))?;
        (cob, None)
    };
    let url = cob
        .loc
        .as_ref()
        .map(|l| l.location.clone())
        .or(cob.location.clone());
    let mut tx = svc.db.begin().await?;
    let charge = store::payments::charges::upsert(
        &mut tx,
        &NewCharge {
            invoice_id,
            method: "pix",
            gateway: GATEWAY,
            external_id: txid.as_str(),
            amount: amount.0,
            pay_code: cob.pix_copia_e_cola.as_deref(),
            url: url.as_deref(),
            expires_at,
            ..NewCharge::default()
        },
        store::now(),
    )
    .await?;
    tx.commit().await?;
    Ok(charge)
}

/// What a webhook delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookResult {
    /// Pix newly recorded as payments.
    pub recorded: usize,
    /// Pix seen before (a repeated delivery).
    pub repeated: usize,
    /// Pix the PSP confirmed but no charge of ours carries (kept in
    /// `webhook_events` as ignored for reconciliation by hand).
    pub unmatched: usize,
}

/// Handles the body of a Pix webhook (`POST …/pix`) whose sender the
/// listener authenticated by mutual TLS: each Pix listed is confirmed
/// with the PSP (`GET /pix/{e2eid}`: the body alone is not trusted) and
/// recorded once.
pub async fn handle_webhook(svc: &Services, body: &[u8]) -> Result<WebhookResult> {
    let hook = gateways::pix::parse_webhook(body)
        .map_err(|e| Error::invalid_msg("body", e.to_string()))?;
    let client = client(svc).await?;
    let mut out = WebhookResult::default();
    for hint in &hook.pix {
        let confirmed = client
            .get_pix(&hint.end_to_end_id)
            .await
            .map_err(|e| gateway_error("Pix PSP confirming a webhook", e))?;
        count(&mut out, receive(svc, &confirmed).await?);
    }
    Ok(out)
}

fn count(out: &mut WebhookResult, r: Received) {
    match r {
        Received::Recorded => out.recorded += 1,
        Received::Repeated => out.repeated += 1,
        Received::Unmatched => out.unmatched += 1,
    }
}

/// What [`receive`] did with one Pix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    Recorded,
    Repeated,
    Unmatched,
}

/// Records one Pix the PSP confirmed, once per end-to-end id: its txid
/// names our charge and so the invoice.
pub async fn receive(svc: &Services, pix: &ReceivedPix) -> Result<Received> {
    let caller = Caller::system(SWEEP_JOB);
    let mut tx = svc.db.begin().await?;
    if !super::webhook_once(&mut tx, GATEWAY, &pix.end_to_end_id, "pix").await? {
        return Ok(Received::Repeated);
    }
    let charge = match &pix.txid {
        Some(t) => store::payments::charges::by_external(&mut tx, GATEWAY, t).await?,
        None => None,
    };
    let Some(charge) = charge else {
        store::payments::webhooks::set_outcome(
            &mut tx,
            GATEWAY,
            &pix.end_to_end_id,
            "ignored",
            Some("no charge carries this txid"),
        )
        .await?;
        tx.commit().await?;
        return Ok(Received::Unmatched);
    };
    store::payments::webhooks::link(&mut tx, GATEWAY, &pix.end_to_end_id, charge.id).await?;
    let day = super::day_of(&mut tx, pix.horario).await?;
    let method = if charge.method == super::pix_automatico::METHOD {
        Method::PixAutomatico
    } else {
        Method::Pix
    };
    let new = super::record_for_charge(
        &mut tx,
        &caller,
        &charge,
        method,
        GATEWAY,
        &pix.end_to_end_id,
        pix.valor.0,
        0,
        &day,
    )
    .await?;
    tx.commit().await?;
    svc.wake_jobs();
    Ok(if new {
        Received::Recorded
    } else {
        Received::Repeated
    })
}

/// The `pix-sweep` job: lists the Pix received since the last sweep
/// (`GET /pix?inicio&fim`, with a few minutes of overlap) and records any
/// the webhook missed; the cursor moves only after all were recorded.
pub async fn sweep(svc: &Services) -> Result<String> {
    let s = crate::system::settings::current(svc).await?;
    if s.raw(keys::PIX_MODE) != "api" {
        return Ok("Pix API off".into());
    }
    let client = client(svc).await?;
    let now = jiff::Timestamp::now();
    let from = {
        let mut c = svc.db.conn().await?;
        store::payments::charges::cursor(&mut c, SWEEP_CURSOR)
            .await?
            .and_then(|v| v.parse::<jiff::Timestamp>().ok())
            .unwrap_or(now - jiff::SignedDuration::from_hours(24))
    };
    // Overlap: a Pix settled just before the last sweep's end may be listed late.
    let from = from - jiff::SignedDuration::from_mins(5);
    let list = client
        .list_pix(from, now)
        .await
        .map_err(|e| gateway_error("Pix PSP sweep", e))?;
    let mut out = WebhookResult::default();
    for pix in &list {
        count(&mut out, receive(svc, pix).await?);
    }
    let mut c = svc.db.conn().await?;
    store::payments::charges::set_cursor(&mut c, SWEEP_CURSOR, &now.to_string(), store::now())
        .await?;
    drop(c);
    // Recurrences whose approval notification may have been lost.
    let recs = super::pix_automatico::poll(svc, &client).await?;
    Ok(format!(
        "{} Pix listed: {} recorded, {} already, {} unmatched; {recs} recurrences changed",
        list.len(),
        out.recorded,
        out.repeated,
        out.unmatched
    ))
}

/// The `pix-charges` job: charges for open invoices that have none (a
/// batch per run), and open charges canceled when their invoice was voided
/// or paid another way.
pub async fn charges_job(svc: &Services) -> Result<String> {
    let s = crate::system::settings::current(svc).await?;
    let (gateway, api) = match s.raw(keys::PIX_MODE) {
        "api" => (GATEWAY, true),
        "static" => (GATEWAY_STATIC, false),
        _ => return Ok("Pix off".into()),
    };
    let ids = {
        let mut c = svc.db.conn().await?;
        store::payments::charges::invoices_without(&mut c, gateway, super::BATCH).await?
    };
    let (mut made, mut failed) = (0, 0);
    for id in ids {
        // An invoice of a contract with an approved Pix Automático
        // recurrence is charged by `/cobr` (or waits for its window).
        let plan = if api {
            super::pix_automatico::plan_for(svc, id).await?
        } else {
            super::pix_automatico::Plan::Single
        };
        let (method, r) = match plan {
            super::pix_automatico::Plan::Wait => continue,
            super::pix_automatico::Plan::Recurring(rec) => (
                super::pix_automatico::METHOD,
                super::pix_automatico::ensure_cobr(svc, id, &rec).await,
            ),
            super::pix_automatico::Plan::Single if api => ("pix", ensure_pix_charge(svc, id).await),
            super::pix_automatico::Plan::Single => ("pix", static_charge(svc, id).await),
        };
        match r {
            Ok(_) => made += 1,
            Err(e) => {
                failed += 1;
                tracing::warn!(invoice = id, error = %e, "Pix charge not created");
                fail(svc, id, gateway, method, &e.to_string()).await?;
            }
        }
    }
    let canceled = cancel_stale(svc, &s, gateway, api).await?;
    Ok(format!(
        "{made} Pix charges created, {failed} failed, {canceled} canceled"
    ))
}

/// Keeps a failed creation as a `failed` row (shown on the invoice; not
/// tried again every run).
async fn fail(
    svc: &Services,
    invoice_id: i64,
    gateway: &str,
    method: &str,
    error: &str,
) -> Result<()> {
    let mut c = svc.db.conn().await?;
    let d = store::billing::documents::get(&mut c, invoice_id).await?;
    let attempt = store::payments::charges::count_of(&mut c, invoice_id, gateway).await?;
    let key = txid_key(&d.public_id, attempt);
    let external = if method == super::pix_automatico::METHOD {
        super::pix_automatico::cobr_txid(&d.public_id, attempt)
            .as_str()
            .to_owned()
    } else if gateway == GATEWAY {
        Txid::derive(&key).as_str().to_owned()
    } else {
        static_txid(&key)
    };
    let error: String = error.chars().take(500).collect();
    store::payments::charges::insert_failed(
        &mut c,
        &NewCharge {
            invoice_id,
            method,
            gateway,
            external_id: &external,
            amount: d.total - d.paid,
            ..NewCharge::default()
        },
        &error,
        store::now(),
    )
    .await?;
    Ok(())
}

async fn cancel_stale(svc: &Services, s: &Settings, gateway: &str, api: bool) -> Result<usize> {
    let stale = {
        let mut c = svc.db.conn().await?;
        store::payments::charges::stale(&mut c, gateway, super::BATCH).await?
    };
    if stale.is_empty() {
        return Ok(0);
    }
    let client = if api { Some(client(svc).await?) } else { None };
    let mut done = 0;
    for ch in stale {
        if let Some(client) = &client {
            let txid = Txid::new(&ch.external_id).map_err(|e| gateway_error("Pix", e))?;
            let r = if ch.method == super::pix_automatico::METHOD {
                client
                    .cancel_cobr(&txid)
                    .await
                    .map(drop)
                    .map_err(|e| gateway_error("Pix PSP cobr", e))
            } else {
                cancel_at_psp(client, s, &txid).await
            };
            if let Err(e) = r {
                tracing::warn!(txid = %txid, error = %e, "Pix charge not canceled at the PSP");
                continue;
            }
        }
        let mut c = svc.db.conn().await?;
        if store::payments::charges::close(&mut c, ch.id, "canceled", None, store::now()).await? {
            done += 1;
        }
    }
    Ok(done)
}

/// Cancels charge `txid` at the PSP (`REMOVIDA_PELO_USUARIO_RECEBEDOR`).
/// The row does not say whether it is a cob or a cobv: the configured
/// kind first, the other when the PSP does not know the txid there.
pub(super) async fn cancel_at_psp(client: &PixClient, s: &Settings, txid: &Txid) -> Result<()> {
    let first_cobv = s.raw(keys::PIX_CHARGE) != "cob";
    let mut r = if first_cobv {
        client.cancel_cobv(txid).await
    } else {
        client.cancel_cob(txid).await
    };
    if r.as_ref().err().and_then(|e| e.status()) == Some(404) {
        r = if first_cobv {
            client.cancel_cob(txid).await
        } else {
            client.cancel_cobv(txid).await
        };
    }
    r.map(drop).map_err(|e| gateway_error("Pix PSP", e))
}

/// Refunds `amount` of a Pix payment received through the PSP: asks the
/// PSP for a `devolucao` first (its id derived from the payment and what
/// was already given back, so repeating after a lost answer asks for the
/// same refund), then records the refund with the PSP's id. Needs
/// `payments.refund`.
pub async fn refund(
    svc: &Services,
    caller: &Caller,
    payment_id: i64,
    amount: domain::Money,
    reason: &str,
) -> Result<TakenBack> {
    super::refund_through(
        svc,
        caller,
        payment_id,
        GATEWAY,
        amount,
        reason,
        |ask| async move {
            let client = client(svc).await?;
            let id = format!("lm{}t{}", ask.payment.id, ask.earlier);
            let dev = client
                .put_devolucao(
                    &ask.reference,
                    &id,
                    &DevolucaoRequest {
                        valor: Amount(ask.amount),
                        natureza: None,
                        descricao: Some(ask.reason.chars().take(140).collect()),
                    },
                )
                .await
                .map_err(|e| gateway_error("Pix PSP devolucao", e))?;
            Ok(dev.rtr_id.clone().unwrap_or_else(|| dev.id.clone()))
        },
    )
    .await
}
