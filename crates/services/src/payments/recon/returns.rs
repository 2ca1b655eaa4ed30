//! Return files: what the bank did with the boletos, settled in the books.

use std::collections::HashMap;
use std::io::Cursor;

use brpay::cnab::{self, Format, Record};
use domain::payments::Method;
use domain::{Money, Permission};
use jiff::civil::Date;
use serde_json::json;
use sha2::{Digest, Sha256};
use store::payments::recon::{self as rs, CnabFile, Counts, Entry, NewFile, NewUnmatched};

use super::{candidates, ledger_caller, remittance, require};
use crate::payments::{Batched, NewPayment, record_in};
use crate::{Caller, Change, Error, Result, Services};

/// Return lines settled per transaction.
pub const CHUNK: usize = 1000;

/// The largest return file accepted (100,000 titles of CNAB 240 take
/// about 49 MB).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What a line did: `settled`, `already_settled` (a payment with its nosso
/// número exists), `unmatched` (no such boleto: queued), `divergent`
/// (settled with a paid amount other than the boleto's), `rejected` (the
/// bank refused the title) and `other` (registrations, write-offs…).
pub const OUTCOMES: [&str; 6] = [
    "settled",
    "already_settled",
    "unmatched",
    "divergent",
    "rejected",
    "other",
];

/// What one title line of a return file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line of the title record (segment T for CNAB 240).
    pub line: u64,
    pub nosso_numero: String,
    pub occurrence: String,
    /// The title's amount as the bank has it.
    pub amount: i64,
    /// What was paid (0 unless liquidated).
    pub paid: i64,
    /// The bank's fee (tarifa).
    pub fee: i64,
    pub credit_date: Option<Date>,
    pub occurred_on: Option<Date>,
    pub payer_name: String,
    pub payer_document: String,
    /// The bank's reason codes for a rejection.
    pub reason: String,
    pub raw: String,
}

/// The parsed file.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub format: Format,
    pub bank: String,
    pub sequence: i64,
    pub lines: i64,
    pub titles: Vec<Line>,
}

/// Occurrence codes that report a liquidation (FEBRABAN's CNAB 240: 06
/// liquidação, 17 liquidação após baixa; the banks' CNAB 400: 05–08, 15
/// and 17 for the variants of liquidação).
fn is_liquidation(format: Format, code: &str) -> bool {
    match format {
        Format::Cnab240 => matches!(code, "06" | "17"),
        Format::Cnab400 => matches!(code, "05" | "06" | "07" | "08" | "15" | "17"),
    }
}

/// 03: entrada rejeitada, in both formats.
fn is_rejection(code: &str) -> bool {
    code == "03"
}

fn text(r: &Record, name: &str) -> String {
    r.text(name).unwrap_or("").trim().to_owned()
}

/// Reads a whole return file; the first malformed line refuses it with
/// brpay's message (line and column), so nothing is written.
pub fn parse(bytes: &[u8]) -> Result<Parsed> {
    let bad = |e: cnab::CnabError| Error::invalid_msg("file", e.to_string());
    let parser = cnab::parse_return(Cursor::new(bytes)).map_err(bad)?;
    let layout = parser.layout();
    let format = layout.format;
    let mut bank = layout.bank.map(|b| b.code().to_owned());
    let mut sequence = 0;
    let mut lines = 0;
    let mut titles = Vec::new();
    let mut pending: Option<Line> = None;
    for record in parser {
        let r = record.map_err(bad)?;
        lines += 1;
        match r.kind() {
            "header_arquivo" | "header" => {
                if bank.is_none() {
                    bank = r.text("banco").map(str::to_owned);
                }
                sequence = r
                    .text("nsa")
                    .or_else(|| r.text("sequencial_retorno"))
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0);
            }
            "segmento_t" => {
                if let Some(t) = pending.take() {
                    titles.push(t);
                }
                pending = Some(Line {
                    line: r.line(),
                    nosso_numero: text(&r, "nosso_numero"),
                    occurrence: text(&r, "movimento"),
                    amount: r.money("valor").unwrap_or(0),
                    paid: 0,
                    fee: r.money("tarifa").unwrap_or(0),
                    credit_date: None,
                    occurred_on: None,
                    payer_name: text(&r, "sacado_nome"),
                    payer_document: text(&r, "sacado_inscricao"),
                    reason: text(&r, "motivo_ocorrencia"),
                    raw: r.raw().to_owned(),
                });
            }
            "segmento_u" => {
                let Some(mut t) = pending.take() else {
                    return Err(Error::invalid_msg(
                        "file",
                        format!("line {}: segment U without its segment T", r.line()),
                    ));
                };
                t.paid = r.money("valor_pago").unwrap_or(0);
                t.credit_date = r.date("data_credito");
                t.occurred_on = r.date("data_ocorrencia");
                t.raw.push('\n');
                t.raw.push_str(r.raw());
                titles.push(t);
            }
            "detalhe" => titles.push(Line {
                line: r.line(),
                nosso_numero: text(&r, "nosso_numero"),
                occurrence: text(&r, "ocorrencia"),
                amount: r.money("valor").unwrap_or(0),
                paid: r.money("valor_pago").unwrap_or(0),
                fee: r.money("tarifa").unwrap_or(0),
                credit_date: r.date("data_credito"),
                occurred_on: r.date("data_ocorrencia"),
                payer_name: text(&r, "sacado_nome"),
                payer_document: text(&r, "sacado_inscricao"),
                reason: text(&r, "motivo_ocorrencia"),
                raw: r.raw().to_owned(),
            }),
            _ => {}
        }
    }
    if let Some(t) = pending.take() {
        titles.push(t);
    }
    Ok(Parsed {
        format,
        bank: bank.unwrap_or_default(),
        sequence,
        lines,
        titles,
    })
}

/// How a return file's settlements reach the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger {
    /// A chunk's payments written together
    /// ([`crate::payments::record_many_in`]): what [`process`] does.
    Batch,
    /// Each payment through [`crate::payments::record_in`], the
    /// one-payment path the batch must match (kept to prove it and to
    /// measure the difference).
    OneByOne,
}

/// What [`process`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Processed {
    pub file: CnabFile,
    /// The same content was processed before: nothing was done and `file`
    /// is that upload.
    pub duplicate: bool,
}

/// Processes a return file named `name` (see the module documentation).
/// The same content uploaded again returns the first upload with
/// `duplicate: true`; a file whose processing failed half-way is resumed
/// (settled lines are not recorded twice).
pub async fn process(
    svc: &Services,
    caller: &Caller,
    name: &str,
    bytes: &[u8],
) -> Result<Processed> {
    process_with(svc, caller, name, bytes, Ledger::Batch).await
}

/// [`process`] with the settlements written the `ledger` way.
pub async fn process_with(
    svc: &Services,
    caller: &Caller,
    name: &str,
    bytes: &[u8],
    ledger: Ledger,
) -> Result<Processed> {
    require(caller, Permission::PaymentsRecord)?;
    if bytes.len() > MAX_BYTES {
        return Err(Error::invalid_msg(
            "file",
            format!("is larger than {} MB", MAX_BYTES / (1024 * 1024)),
        ));
    }
    let name = name.trim();
    domain::validate::required(name, 200).map_err(|e| Error::invalid("name", e))?;
    let sha = hex::encode(Sha256::digest(bytes));
    let parsed = parse(bytes)?;
    let actor = caller.actor();
    let format_name = remittance::format_name(parsed.format);

    let mut tx = svc.db.begin().await?;
    let file_id = match rs::file_by_sha(&mut tx, &sha).await? {
        Some(f) if f.kind == "retorno" && f.status == "processed" => {
            return Ok(Processed {
                file: f,
                duplicate: true,
            });
        }
        Some(f) if f.kind == "retorno" => {
            rs::delete_entries(&mut tx, f.id).await?;
            f.id
        }
        Some(_) => {
            return Err(Error::invalid_msg(
                "file",
                "is a remittance this installation generated, not a return",
            ));
        }
        None => rs::insert_file(
            &mut tx,
            &NewFile {
                kind: "retorno",
                format: format_name,
                bank: &parsed.bank,
                sequence: parsed.sequence,
                name,
                sha256: &sha,
                content: None,
                status: "processing",
                lines: parsed.lines,
                titles: parsed.titles.len() as i64,
                total: 0,
                uploaded_by: &actor.name,
            },
            store::now(),
        )
        .await?
        .ok_or(Error::Conflict("file"))?,
    };
    tx.commit().await?;

    let mut counts = Counts {
        lines: parsed.lines,
        titles: parsed.titles.len() as i64,
        ..Counts::default()
    };
    let widths: Vec<usize> = remittance::BANKS
        .iter()
        .map(|b| remittance::nn_width(*b))
        .collect();
    // A nosso número settled earlier in this file (a bank may report it twice).
    let mut settled_here: HashMap<String, i64> = HashMap::new();
    for chunk in parsed.titles.chunks(CHUNK) {
        let r = settle_chunk(
            svc,
            file_id,
            name,
            parsed.format,
            chunk,
            &widths,
            &mut counts,
            &mut settled_here,
            ledger,
        )
        .await;
        if let Err(e) = r {
            let mut c = svc.db.begin().await?;
            rs::finish_file(
                &mut c,
                file_id,
                "failed",
                &counts,
                Some(&e.to_string()),
                store::now(),
            )
            .await?;
            c.commit().await?;
            return Err(e);
        }
    }

    let mut tx = svc.db.begin().await?;
    let engine = tx.engine();
    rs::finish_file(&mut tx, file_id, "processed", &counts, None, store::now()).await?;
    Change::new("cnab.return.process", "cnab_file", file_id)
        .after(json!({
            "name": name, "sha256": sha, "format": format_name, "bank": parsed.bank,
            "counts": counts,
        }))
        .record(&mut tx, engine, &actor)
        .await?;
    let file = rs::get_file(&mut tx, file_id).await?;
    tx.commit().await?;
    Ok(Processed {
        file,
        duplicate: false,
    })
}

#[allow(clippy::too_many_arguments)]
async fn settle_chunk(
    svc: &Services,
    file_id: i64,
    name: &str,
    format: Format,
    chunk: &[Line],
    widths: &[usize],
    counts: &mut Counts,
    settled_here: &mut HashMap<String, i64>,
    ledger: Ledger,
) -> Result<()> {
    let ledger_caller = ledger_caller();
    let mut tx = svc.db.begin().await?;
    let today = crate::crm::today(&mut tx).await?;
    let keys: Vec<Vec<String>> = chunk
        .iter()
        .map(|l| candidates(&l.nosso_numero, widths))
        .collect();
    let mut all: Vec<String> = keys.iter().flatten().cloned().collect();
    all.sort();
    all.dedup();
    let mut index: super::ChargeIndex = HashMap::with_capacity(chunk.len());
    for part in all.chunks(2000) {
        for c in rs::charges_by_numbers(&mut tx, part).await? {
            index.insert(c.external_id.clone(), c);
        }
    }
    let mut entries = Vec::with_capacity(chunk.len());
    let mut paid_charges = Vec::new();
    let mut local = Counts::default();
    // The chunk's payments, written together after the loop: each with its
    // entry, charge, amount paid and fee; lines repeating one of them.
    let mut payments: Vec<NewPayment> = Vec::new();
    let mut settling: Vec<(usize, rs::Charge, i64, i64)> = Vec::new();
    let mut queued: HashMap<String, usize> = HashMap::new();
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    let now = store::now();
    for (l, keys) in chunk.iter().zip(&keys) {
        let charge = keys.iter().find_map(|k| index.get(k)).cloned();
        let day = l
            .credit_date
            .or(l.occurred_on)
            .unwrap_or(today)
            .min(today)
            .to_string();
        let mut e = Entry {
            line: l.line as i64,
            nosso_numero: charge
                .as_ref()
                .map_or_else(|| l.nosso_numero.clone(), |c| c.external_id.clone()),
            occurrence: l.occurrence.clone(),
            outcome: "other".into(),
            amount: l.amount,
            paid: l.paid,
            fee: l.fee,
            credit_date: l.credit_date.map(|d| d.to_string()),
            invoice_id: charge.as_ref().map(|c| c.invoice_id),
            payment_id: None,
            message: String::new(),
        };
        if is_liquidation(format, &l.occurrence) {
            local.total += l.paid;
            if l.paid <= 0 {
                e.outcome = "rejected".into();
                e.message = "liquidation without an amount paid".into();
                local.rejected += 1;
            } else if let Some(c) = charge {
                if let Some(pid) = settled_here.get(&c.external_id) {
                    e.outcome = "already_settled".into();
                    e.payment_id = Some(*pid);
                    local.already_settled += 1;
                } else if let Some(k) = queued.get(&c.external_id) {
                    // Reported twice in this chunk: settled by the first.
                    repeats.push((entries.len(), *k));
                } else {
                    let fee = l.fee.clamp(0, l.paid);
                    queued.insert(c.external_id.clone(), settling.len());
                    payments.push(NewPayment {
                        customer_id: c.customer_id,
                        method: Method::Boleto,
                        amount: Money(l.paid),
                        received_on: day.clone(),
                        invoice_id: (c.invoice_status == "issued").then_some(c.invoice_id),
                        gateway: Some(rs::GATEWAY.into()),
                        reference: Some(c.external_id.clone()),
                        fee: Money(fee),
                        notes: format!("CNAB return {name}, line {}", l.line),
                    });
                    settling.push((entries.len(), c, l.paid, fee));
                }
            } else {
                e.outcome = "unmatched".into();
                local.unmatched += 1;
                local.unmatched_amount += l.paid;
                let queued = rs::insert_unmatched(
                    &mut tx,
                    &NewUnmatched {
                        source: rs::GATEWAY,
                        reference: &l.nosso_numero,
                        file_id: Some(file_id),
                        amount: l.paid,
                        fee: l.fee.clamp(0, l.paid),
                        paid_on: &day,
                        payer_name: &l.payer_name,
                        payer_document: &l.payer_document,
                        raw: &l.raw,
                    },
                    now,
                )
                .await?;
                e.message = if queued.is_some() {
                    "no boleto with this nosso número: queued".into()
                } else {
                    "no boleto with this nosso número: already queued".into()
                };
            }
        } else if is_rejection(&l.occurrence) {
            e.outcome = "rejected".into();
            e.message = format!("rejected by the bank: {}", l.reason);
            local.rejected += 1;
            if let Some(c) = &charge {
                rs::set_charge_failed(&mut tx, c.id, &e.message, now).await?;
            }
        } else {
            local.other += 1;
        }
        entries.push(e);
    }
    let recorded = match ledger {
        Ledger::Batch => {
            crate::payments::record_many_in(&mut tx, &ledger_caller, &payments).await?
        }
        Ledger::OneByOne => {
            let mut out = Vec::with_capacity(payments.len());
            for p in &payments {
                let r = record_in(&mut tx, &ledger_caller, p).await?;
                out.push(Batched {
                    payment_id: r.payment.id,
                    duplicate: r.duplicate,
                });
            }
            out
        }
    };
    for ((at, c, paid, fee), r) in settling.iter().zip(&recorded) {
        let e = &mut entries[*at];
        e.payment_id = Some(r.payment_id);
        settled_here.insert(c.external_id.clone(), r.payment_id);
        if c.status != "paid" {
            paid_charges.push((c.id, r.payment_id));
        }
        if r.duplicate {
            e.outcome = "already_settled".into();
            local.already_settled += 1;
        } else {
            local.settled += 1;
            local.settled_amount += paid;
            local.fees += fee;
            if *paid != c.amount {
                e.outcome = "divergent".into();
                e.message = format!("paid {} for a boleto of {}", paid, c.amount);
                local.divergent += 1;
            } else {
                e.outcome = "settled".into();
            }
        }
    }
    for (at, k) in repeats {
        entries[at].outcome = "already_settled".into();
        entries[at].payment_id = Some(recorded[k].payment_id);
        local.already_settled += 1;
    }
    rs::set_charges_paid(&mut tx, &paid_charges, now).await?;
    rs::insert_entries(&mut tx, file_id, &entries).await?;
    tx.commit().await?;
    counts.total += local.total;
    counts.settled += local.settled;
    counts.settled_amount += local.settled_amount;
    counts.already_settled += local.already_settled;
    counts.unmatched += local.unmatched;
    counts.unmatched_amount += local.unmatched_amount;
    counts.divergent += local.divergent;
    counts.rejected += local.rejected;
    counts.other += local.other;
    counts.fees += local.fees;
    Ok(())
}
