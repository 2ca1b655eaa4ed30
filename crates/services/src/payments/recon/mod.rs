//! Boleto by CNAB files and reconciliation.
//!
//! - [`remittance::generate`]: with `boleto.mode = cnab`, a remittance
//!   (CNAB 240 or 400) for the issued invoices that owe something and have
//!   no boleto yet; each gets a nosso número from a sequence per agreement,
//!   kept as a `payment_charges` row of gateway `cnab` with its digitable
//!   line and barcode.
//! - [`returns::process`]: a return file, parsed whole before anything is
//!   written (a malformed file is refused naming its line and column),
//!   processed once per content (SHA-256), settled in chunks of
//!   [`returns::CHUNK`] lines (boletos prefetched by nosso número, one
//!   transaction per chunk) through the ledger's
//!   [`record_in`](crate::payments::record_in) with gateway `cnab` and the
//!   nosso número as reference, so a line seen again records nothing.
//! - [`unmatched`]: money that matched no boleto waits in a queue until
//!   finance assigns it to a customer (and invoice) or dismisses it.
//!
//! Staff need `payments.record` to generate, upload and resolve, and
//! `payments.view` to read. Money is recorded by the system caller (job
//! `reconciliation`), so the ledger's rule that gateways' money is not
//! recorded by hand holds; the staff member's action has its own audit
//! entry beside every payment's.

pub mod remittance;
pub mod returns;
pub mod simulate;
pub mod unmatched;

use domain::Permission;
use std::collections::HashMap;

use crate::{Caller, Error, Result, Services};

pub use store::payments::recon::{CnabFile, Counts, Entry, GATEWAY, Unmatched};

/// The system caller that records reconciled money in the ledger.
pub(crate) fn ledger_caller() -> Caller {
    Caller::System {
        job: "reconciliation",
    }
}

/// Staff need `permission`; the system and the console may.
pub(crate) fn require(caller: &Caller, permission: Permission) -> Result<()> {
    match caller {
        Caller::Staff { .. } => caller.require(permission),
        Caller::Customer { .. } => Err(Error::Forbidden(permission.code())),
        Caller::System { .. } | Caller::Cli { .. } => Ok(()),
    }
}

/// Files newest first (`kind`: `remessa`, `retorno` or both); the bool
/// says whether more follow (pass the last id as `before_id`).
pub async fn list_files(
    svc: &Services,
    caller: &Caller,
    kind: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<(Vec<CnabFile>, bool)> {
    require(caller, Permission::PaymentsView)?;
    if let Some(k) = kind
        && !matches!(k, "remessa" | "retorno")
    {
        return Err(Error::invalid_msg("kind", "must be remessa or retorno"));
    }
    let mut c = svc.db.conn().await?;
    Ok(store::payments::recon::list_files(&mut c, kind, before_id, limit.clamp(1, 500)).await?)
}

/// A file with what each of its lines did (return files).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub file: CnabFile,
    pub entries: Vec<Entry>,
}

/// One file and, for a return file, its entries (`outcome` filters them).
pub async fn report(
    svc: &Services,
    caller: &Caller,
    id: i64,
    outcome: Option<&str>,
) -> Result<Report> {
    require(caller, Permission::PaymentsView)?;
    if let Some(o) = outcome
        && !returns::OUTCOMES.contains(&o)
    {
        return Err(Error::invalid_msg(
            "outcome",
            format!("must be one of {}", returns::OUTCOMES.join(", ")),
        ));
    }
    let mut c = svc.db.conn().await?;
    let file = store::payments::recon::get_file(&mut c, id).await?;
    let entries = store::payments::recon::entries(&mut c, id, outcome).await?;
    Ok(Report { file, entries })
}

/// A report as CSV (one row per entry, header first).
pub fn report_csv(r: &Report) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Internal(e.to_string());
    w.write_record([
        "line",
        "nosso_numero",
        "occurrence",
        "outcome",
        "amount",
        "paid",
        "fee",
        "credit_date",
        "invoice_id",
        "payment_id",
        "message",
    ])
    .map_err(err)?;
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for e in &r.entries {
        w.write_record([
            e.line.to_string(),
            e.nosso_numero.clone(),
            e.occurrence.clone(),
            e.outcome.clone(),
            e.amount.to_string(),
            e.paid.to_string(),
            e.fee.to_string(),
            e.credit_date.clone().unwrap_or_default(),
            opt(e.invoice_id),
            opt(e.payment_id),
            e.message.clone(),
        ])
        .map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))
}

/// A remittance's name and content, to download.
pub async fn remittance_content(
    svc: &Services,
    caller: &Caller,
    id: i64,
) -> Result<(String, String)> {
    require(caller, Permission::PaymentsView)?;
    let mut c = svc.db.conn().await?;
    let file = store::payments::recon::get_file(&mut c, id).await?;
    if file.kind != "remessa" {
        return Err(Error::NotFound);
    }
    let content = store::payments::recon::file_content(&mut c, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((file.name, content))
}

/// The boleto settings as stored (defaults filled in).
pub(crate) struct BoletoConfig {
    pub mode: String,
    pub bank: String,
    pub agency: String,
    pub account: String,
    pub wallet: String,
    pub wallet_variation: String,
    pub agreement: String,
}

pub(crate) async fn boleto_config(svc: &Services) -> Result<BoletoConfig> {
    use domain::system::settings as k;
    let s = crate::system::settings::current(svc).await?;
    let get = |key: &str| s.raw(key).trim().to_owned();
    Ok(BoletoConfig {
        mode: get(k::BOLETO_MODE),
        bank: get(k::BOLETO_BANK),
        agency: get(k::BOLETO_AGENCY),
        account: get(k::BOLETO_ACCOUNT),
        wallet: get(k::BOLETO_WALLET),
        wallet_variation: get(k::BOLETO_WALLET_VARIATION),
        agreement: get(k::BOLETO_AGREEMENT),
    })
}

/// `1234-5` → (`1234`, `5`); digits only before the dash.
pub(crate) fn split_dv(s: &str) -> (String, String) {
    match s.split_once('-') {
        Some((n, dv)) => (n.trim().to_owned(), dv.trim().to_owned()),
        None => (s.trim().to_owned(), String::new()),
    }
}

/// The nosso número forms a return line's field may carry for a stored
/// one: as is, without a trailing check digit, and right-aligned in a
/// wider zero-padded field (the last `width` characters).
pub(crate) fn candidates(field: &str, widths: &[usize]) -> Vec<String> {
    let t = field.trim();
    let mut out: Vec<String> = Vec::with_capacity(6);
    let mut push = |s: &str| {
        if !s.is_empty() && !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    };
    push(t);
    let no_dv = t.get(..t.len().saturating_sub(1)).unwrap_or("");
    push(no_dv);
    for &w in widths {
        for base in [t, no_dv] {
            if base.len() > w {
                push(&base[base.len() - w..]);
            }
        }
    }
    out
}

/// Index of charges by nosso número.
pub(crate) type ChargeIndex = HashMap<String, store::payments::recon::Charge>;
