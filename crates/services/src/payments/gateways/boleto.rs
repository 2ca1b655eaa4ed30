//! Boletos registered at Banco do Brasil (`boleto.mode = bb_api`) for open
//! invoices, hybrid (with a Pix QR) when `boleto.hybrid_pix` is on.
//!
//! The `boleto-charges` job registers one boleto per open invoice (our
//! sequence number is the invoice's id, so a repeated registration is
//! recognised by BB's client as the same boleto) with a fine of 2 % and
//! interest of 1 % a month from the day after the due date, and cancels
//! (*baixa*) the open boletos of invoices voided or paid another way. The
//! `boleto-poll` job lists what BB settled since its last run and records
//! each boleto's payment once (reference: the nosso número).

use domain::payments::Method;
use domain::system::settings as keys;
use gateways::boleto::bb::{BancoDoBrasil, Config};
use gateways::boleto::{BoletoBank, BoletoRequest, Fine, FineValue, Interest, Payer};
use store::payments::charges::{Charge, NewCharge};

use super::{TestOutcome, gateway_error, missing};
use crate::system::settings::Settings;
use crate::{Caller, Error, Result, Services};

/// The gateway name of boletos registered at Banco do Brasil.
pub const GATEWAY: &str = "bb";
/// The gateway name of a hybrid boleto's Pix (paid at BB, settled as the boleto).
pub const GATEWAY_PIX: &str = "bb_pix";
pub const CHARGES_JOB: &str = "boleto-charges";
pub const POLL_JOB: &str = "boleto-poll";
const POLL_CURSOR: &str = "bb-paid";

const REQUIRED: &[&str] = &[
    keys::BOLETO_API_URL,
    keys::BOLETO_OAUTH_URL,
    keys::BOLETO_CLIENT_ID,
    keys::BOLETO_CLIENT_SECRET,
    keys::BOLETO_APP_KEY,
    keys::BOLETO_AGREEMENT,
    keys::BOLETO_AGENCY,
    keys::BOLETO_ACCOUNT,
];

fn number(field: &'static str, s: &str, default: u32) -> Result<u32> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(default);
    }
    s.parse()
        .map_err(|_| Error::invalid_msg(field, format!("{s:?} is not a number")))
}

/// The BB client configuration from the settings.
pub fn config(svc: &Services, s: &Settings) -> Result<Config> {
    let gone = missing(svc, s, REQUIRED)?;
    if !gone.is_empty() {
        return Err(Error::invalid_msg(
            "settings",
            format!("boleto settings missing: {}", gone.join(", ")),
        ));
    }
    let api = format!("{}/", s.raw(keys::BOLETO_API_URL).trim_end_matches('/'));
    // The setting is the token URL; the client wants the folder `oauth/token` is under.
    let oauth = s.raw(keys::BOLETO_OAUTH_URL);
    let oauth = oauth
        .strip_suffix("oauth/token")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{}/", oauth.trim_end_matches('/')));
    let http = |base: String| {
        let mut c = gateways::http::Config::new(base);
        c.timeout = std::time::Duration::from_secs(20);
        c
    };
    Ok(Config {
        api: http(api),
        oauth: http(oauth),
        client_id: s.raw(keys::BOLETO_CLIENT_ID).to_owned(),
        client_secret: s.secret(svc, keys::BOLETO_CLIENT_SECRET)?,
        app_key: s.secret(svc, keys::BOLETO_APP_KEY)?,
        convenio: s.raw(keys::BOLETO_AGREEMENT).trim().to_owned(),
        carteira: number("boleto.wallet", s.raw(keys::BOLETO_WALLET), 17)?,
        variacao: number(
            "boleto.wallet_variation",
            s.raw(keys::BOLETO_WALLET_VARIATION),
            35,
        )?,
        modalidade: 1,
        agencia: digits(s.raw(keys::BOLETO_AGENCY)),
        conta: digits(s.raw(keys::BOLETO_ACCOUNT)),
    })
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A client of Banco do Brasil with the saved settings.
pub async fn client(svc: &Services) -> Result<BancoDoBrasil> {
    let s = crate::system::settings::current(svc).await?;
    BancoDoBrasil::new(config(svc, &s)?).map_err(|e| gateway_error("Banco do Brasil", e))
}

pub(super) async fn test_connection(svc: &Services, s: &Settings) -> Result<TestOutcome> {
    match s.raw(keys::BOLETO_MODE) {
        "bb_api" => {}
        "cnab" => return Ok(TestOutcome::Ok("CNAB files need no connection".into())),
        _ => return Ok(TestOutcome::Off),
    }
    let gone = missing(svc, s, REQUIRED)?;
    if !gone.is_empty() {
        return Ok(TestOutcome::Incomplete(gone));
    }
    let bank = match config(svc, s)
        .and_then(|c| BancoDoBrasil::new(c).map_err(|e| gateway_error("Banco do Brasil", e)))
    {
        Ok(b) => b,
        Err(e) => return Ok(TestOutcome::Failed(e.to_string())),
    };
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    Ok(match bank.list_paid(today, today).await {
        Ok(list) => TestOutcome::Ok(format!("{} boletos paid today", list.len())),
        Err(e) => TestOutcome::Failed(e.to_string()),
    })
}

/// The linha digitável in its printed groups (`00190.00009 …`).
pub fn format_line(line: &str) -> String {
    let d: String = line.chars().filter(char::is_ascii_digit).collect();
    if d.len() != 47 {
        return line.to_owned();
    }
    format!(
        "{}.{} {}.{} {}.{} {} {}",
        &d[0..5],
        &d[5..10],
        &d[10..15],
        &d[15..21],
        &d[21..26],
        &d[26..32],
        &d[32..33],
        &d[33..47]
    )
}

/// Registers invoice `invoice_id`'s boleto at BB unless it has an open
/// one, and keeps it as a `bb` charge (external id the nosso número,
/// pay code the linha digitável, the barcode) plus, for a hybrid boleto,
/// a `bb_pix` charge with its Pix code.
pub async fn ensure_boleto(svc: &Services, invoice_id: i64) -> Result<Charge> {
    let s = crate::system::settings::current(svc).await?;
    if s.raw(keys::BOLETO_MODE) != "bb_api" {
        return Err(Error::Refused("boleto-api-off"));
    }
    let (d, inv, customer, address, today) = {
        let mut c = svc.db.conn().await?;
        if let Some(ch) =
            store::payments::charges::open_of(&mut c, invoice_id, "boleto", GATEWAY).await?
        {
            return Ok(ch);
        }
        let d = store::billing::documents::get(&mut c, invoice_id).await?;
        let inv = store::payments::invoice_amounts(&mut c, invoice_id).await?;
        let customer = store::crm::customers::get(&mut c, d.customer_id).await?;
        let addresses = store::crm::customers::addresses(&mut c, d.customer_id).await?;
        let address = addresses
            .iter()
            .find(|a| a.kind == "billing")
            .or_else(|| addresses.first())
            .cloned();
        let today = crate::crm::today(&mut c).await?;
        (d, inv, customer, address, today)
    };
    if d.kind != "invoice" || d.status != "issued" || inv.open() <= 0 {
        return Err(Error::Refused("invoice-not-payable"));
    }
    let Some(a) = address else {
        return Err(Error::invalid_msg(
            "address",
            "the customer has no address to print on the boleto",
        ));
    };
    let due: jiff::civil::Date = d
        .due_date
        .parse()
        .map_err(|_| Error::invalid_msg("due_date", "is not a date"))?;
    let issue = today.min(due);
    let day_after = due.tomorrow().map_err(|e| Error::Internal(e.to_string()))?;
    let number = u64::try_from(invoice_id).map_err(|_| Error::Internal("invoice id".into()))?;
    let reference: String = d
        .number
        .clone()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '/')
        .rev()
        .take(15)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let street = if a.number.is_empty() {
        a.street.clone()
    } else {
        format!("{}, {}", a.street, a.number)
    };
    let request = BoletoRequest {
        reference,
        number,
        amount: inv.open(),
        issue_date: issue,
        due_date: due,
        payer: Payer {
            name: customer.name.chars().take(60).collect(),
            document: customer.document.clone(),
            address: street.chars().take(60).collect(),
            district: a.district.chars().take(30).collect(),
            cep: a.postal_code.clone(),
            city: a.city.chars().take(30).collect(),
            uf: a.state.to_uppercase(),
        },
        fine: Some(Fine {
            value: FineValue::Percent(u32::try_from(super::pix::DEFAULT_FINE_BPS).unwrap_or(200)),
            from: day_after,
        }),
        interest: Some(Interest {
            monthly_bps: u32::try_from(super::pix::DEFAULT_INTEREST_BPS).unwrap_or(100),
        }),
        discount: None,
        messages: Vec::new(),
        with_pix: s.bool(keys::BOLETO_HYBRID_PIX),
    };
    request.validate().map_err(|e| gateway_error("boleto", e))?;
    let bank =
        BancoDoBrasil::new(config(svc, &s)?).map_err(|e| gateway_error("Banco do Brasil", e))?;
    let reg = bank
        .register(&request)
        .await
        .map_err(|e| gateway_error("Banco do Brasil", e))?;
    let mut tx = svc.db.begin().await?;
    let now = store::now();
    let charge = store::payments::charges::upsert(
        &mut tx,
        &NewCharge {
            invoice_id,
            method: "boleto",
            gateway: GATEWAY,
            external_id: &reg.nosso_numero,
            amount: inv.open(),
            pay_code: Some(&reg.linha_digitavel),
            barcode: Some(&reg.barcode),
            ..NewCharge::default()
        },
        now,
    )
    .await?;
    if let Some(pix) = &reg.pix {
        store::payments::charges::upsert(
            &mut tx,
            &NewCharge {
                invoice_id,
                method: "pix",
                gateway: GATEWAY_PIX,
                external_id: &pix.txid,
                amount: inv.open(),
                pay_code: Some(&pix.emv),
                url: pix.url.as_deref(),
                ..NewCharge::default()
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(charge)
}

/// The `boleto-charges` job: registers boletos for open invoices without
/// one (a batch per run) and cancels those no longer needed.
pub async fn charges_job(svc: &Services) -> Result<String> {
    let s = crate::system::settings::current(svc).await?;
    if s.raw(keys::BOLETO_MODE) != "bb_api" {
        return Ok("Banco do Brasil API off".into());
    }
    let ids = {
        let mut c = svc.db.conn().await?;
        store::payments::charges::invoices_without(&mut c, GATEWAY, super::BATCH).await?
    };
    let (mut made, mut failed) = (0, 0);
    for id in ids {
        match ensure_boleto(svc, id).await {
            Ok(_) => made += 1,
            Err(e) => {
                failed += 1;
                tracing::warn!(invoice = id, error = %e, "boleto not registered");
                let mut c = svc.db.conn().await?;
                let d = store::billing::documents::get(&mut c, id).await?;
                let error: String = e.to_string().chars().take(500).collect();
                store::payments::charges::insert_failed(
                    &mut c,
                    &NewCharge {
                        invoice_id: id,
                        method: "boleto",
                        gateway: GATEWAY,
                        external_id: &format!("invoice-{id}"),
                        amount: d.total - d.paid,
                        ..NewCharge::default()
                    },
                    &error,
                    store::now(),
                )
                .await?;
            }
        }
    }
    let canceled = cancel_stale(svc).await?;
    Ok(format!(
        "{made} boletos registered, {failed} failed, {canceled} canceled"
    ))
}

/// Cancels (*baixa*) the open boletos of invoices voided or paid another
/// way; their hybrid Pix goes with them.
pub async fn cancel_stale(svc: &Services) -> Result<usize> {
    let stale = {
        let mut c = svc.db.conn().await?;
        store::payments::charges::stale(&mut c, GATEWAY, super::BATCH).await?
    };
    if stale.is_empty() {
        return Ok(0);
    }
    let bank = client(svc).await?;
    let mut done = 0;
    for ch in stale {
        if let Err(e) = bank.cancel(&ch.external_id).await {
            tracing::warn!(nosso_numero = %ch.external_id, error = %e, "boleto not canceled at BB");
            continue;
        }
        let mut tx = svc.db.begin().await?;
        let now = store::now();
        if store::payments::charges::close(&mut tx, ch.id, "canceled", None, now).await? {
            done += 1;
        }
        for other in store::payments::charges::of_invoice(&mut tx, ch.invoice_id).await? {
            if other.gateway == GATEWAY_PIX {
                store::payments::charges::close(&mut tx, other.id, "canceled", None, now).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(done)
}

/// The `boleto-poll` job: what BB settled from the last poll's day to
/// today, each recorded once (reference: the nosso número).
pub async fn poll(svc: &Services) -> Result<String> {
    let s = crate::system::settings::current(svc).await?;
    if s.raw(keys::BOLETO_MODE) != "bb_api" {
        return Ok("Banco do Brasil API off".into());
    }
    let bank = client(svc).await?;
    let (from, today) = {
        let mut c = svc.db.conn().await?;
        let today = crate::crm::today(&mut c).await?;
        let from = store::payments::charges::cursor(&mut c, POLL_CURSOR)
            .await?
            .and_then(|v| v.parse::<jiff::civil::Date>().ok())
            .unwrap_or_else(|| {
                today
                    .checked_sub(jiff::Span::new().days(30))
                    .unwrap_or(today)
            });
        (from, today)
    };
    let paid = bank
        .list_paid(from, today)
        .await
        .map_err(|e| gateway_error("Banco do Brasil", e))?;
    let caller = Caller::system(POLL_JOB);
    let (mut recorded, mut unmatched) = (0, 0);
    for b in &paid {
        let mut tx = svc.db.begin().await?;
        let Some(charge) =
            store::payments::charges::by_external(&mut tx, GATEWAY, &b.nosso_numero).await?
        else {
            unmatched += 1;
            continue;
        };
        let on = b.paid_on.unwrap_or(today).min(today).to_string();
        // The list carries no fee; the bank's fee shows in reconciliation.
        let fee = 0;
        if super::record_for_charge(
            &mut tx,
            &caller,
            &charge,
            Method::Boleto,
            GATEWAY,
            &b.nosso_numero,
            b.amount,
            fee,
            &on,
        )
        .await?
        {
            recorded += 1;
        }
        // The hybrid boleto's Pix is settled with it.
        let paid_row = store::payments::charges::get(&mut tx, charge.id).await?;
        if let Some(pid) = paid_row.payment_id {
            for other in store::payments::charges::of_invoice(&mut tx, charge.invoice_id).await? {
                if other.gateway == GATEWAY_PIX && other.status == "open" {
                    store::payments::charges::mark_paid(&mut tx, other.id, pid, store::now())
                        .await?;
                }
            }
        }
        tx.commit().await?;
    }
    // Today again next time: a boleto settled later today is listed then.
    let mut c = svc.db.conn().await?;
    store::payments::charges::set_cursor(&mut c, POLL_CURSOR, &today.to_string(), store::now())
        .await?;
    Ok(format!(
        "{} boletos paid: {recorded} recorded, {unmatched} not ours",
        paid.len()
    ))
}
