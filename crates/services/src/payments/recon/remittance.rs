//! Remittance files: the boletos to register at the bank.

use brpay::boleto::Boleto;
use brpay::boleto::banks::{Bank, banco_do_brasil, bradesco, itau};
use brpay::cnab::{self, Beneficiary, Format, Payer, Remittance, Title};
use domain::Permission;
use serde_json::json;
use sha2::{Digest, Sha256};
use store::payments::recon::{self as rs, CnabFile, NewCharge, NewFile};

use super::{BoletoConfig, boleto_config, require, split_dv};
use crate::{Caller, Change, Error, Result, Services};

/// At most this many boletos per remittance (a bank's file limit is
/// higher; a larger backlog goes in the next file).
pub const MAX_TITLES: i64 = 20_000;

/// The banks whose nosso número and free field this module builds.
pub const BANKS: [Bank; 3] = [Bank::BancoDoBrasil, Bank::Bradesco, Bank::Itau];

/// The nosso número's width per bank, as stored.
pub(crate) fn nn_width(bank: Bank) -> usize {
    match bank {
        Bank::BancoDoBrasil => 17,
        Bank::Bradesco => 11,
        _ => 8,
    }
}

fn digits(field: &'static str, s: &str, max: usize) -> Result<String> {
    if s.is_empty() || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_msg(
            field,
            format!("must be 1 to {max} digits, found {s:?}"),
        ));
    }
    Ok(s.to_owned())
}

/// The bank's nosso número for sequence `seq` and the boleto's free field.
pub(crate) fn nosso_numero(cfg: &BoletoConfig, bank: Bank, seq: i64) -> Result<(String, String)> {
    let (agency, _) = split_dv(&cfg.agency);
    let (account, _) = split_dv(&cfg.account);
    let ff = |e: brpay::boleto::banks::FreeFieldError| {
        Error::invalid_msg("boleto", format!("cannot build the boleto: {e}"))
    };
    match bank {
        Bank::BancoDoBrasil => {
            let conv = digits("boleto.agreement", &cfg.agreement, 7)?;
            if conv.len() != 7 {
                return Err(Error::invalid_msg(
                    "boleto.agreement",
                    "must be Banco do Brasil's 7-digit convênio for CNAB files",
                ));
            }
            let s = format!("{seq:010}");
            let free = banco_do_brasil::free_field_convenio7(&conv, &s, &cfg.wallet).map_err(ff)?;
            Ok((format!("{conv}{s}"), free))
        }
        Bank::Bradesco => {
            let a = digits("boleto.agency", &agency, 4)?;
            let c = digits("boleto.account", &account, 7)?;
            let nn = format!("{seq:011}");
            let free = bradesco::free_field(&a, &cfg.wallet, &nn, &c).map_err(ff)?;
            Ok((nn, free))
        }
        Bank::Itau => {
            let a = digits("boleto.agency", &agency, 4)?;
            let c = digits("boleto.account", &account, 5)?;
            let nn = format!("{seq:08}");
            let free = itau::free_field(&cfg.wallet, &nn, &a, &c).map_err(ff)?;
            Ok((nn, free))
        }
        other => Err(Error::invalid_msg(
            "boleto.bank",
            format!(
                "CNAB files are generated for Banco do Brasil, Bradesco and Itaú; not {}",
                other.name()
            ),
        )),
    }
}

/// Generates a remittance in `format` for every issued invoice that owes
/// something and has no boleto yet (up to [`MAX_TITLES`]), registers their
/// boletos and keeps the file to download. Refused when `boleto.mode` is
/// not `cnab`, when the bank is not supported, or when no invoice needs a
/// boleto.
pub async fn generate(svc: &Services, caller: &Caller, format: Format) -> Result<CnabFile> {
    require(caller, Permission::PaymentsRecord)?;
    let cfg = boleto_config(svc).await?;
    if cfg.mode != "cnab" {
        return Err(Error::invalid_msg(
            "boleto.mode",
            "must be cnab to generate remittance files",
        ));
    }
    let bank = Bank::from_code(&cfg.bank)
        .filter(|b| BANKS.contains(b))
        .ok_or_else(|| {
            Error::invalid_msg(
                "boleto.bank",
                format!(
                    "CNAB files are generated for 001, 237 and 341; not {:?}",
                    cfg.bank
                ),
            )
        })?;
    let mut tx = svc.db.begin().await?;
    let engine = tx.engine();
    let today = crate::crm::today(&mut tx).await?;
    let company = store::system::company::get(&mut tx)
        .await?
        .ok_or_else(|| Error::invalid_msg("company", "set up the company first"))?;
    let candidates = rs::remittable(&mut tx, MAX_TITLES).await?;
    let agreement_key = format!("{}:{}", bank.code(), cfg.agreement);
    let mut titles = Vec::new();
    let mut charges = Vec::new();
    for inv in candidates {
        let open = store::payments::invoice_amounts(&mut tx, inv.id)
            .await?
            .open();
        if open <= 0 {
            continue;
        }
        let due = domain::validate::date(&inv.due_date)
            .map_err(|e| Error::invalid("due_date", e))?
            .max(today);
        let issued = inv
            .issue_date
            .as_deref()
            .and_then(|d| domain::validate::date(d).ok())
            .unwrap_or(today);
        let seq = store::billing::documents::next_number(
            &mut tx,
            &format!("cnab-nosso-numero:{agreement_key}"),
            0,
        )
        .await?;
        let (nn, free) = nosso_numero(&cfg, bank, seq)?;
        let boleto = Boleto::new(bank.code(), Some(due), open, &free)
            .map_err(|e| Error::invalid_msg("boleto", e.to_string()))?;
        titles.push(Title {
            nosso_numero: nn.clone(),
            seu_numero: inv.number.clone().unwrap_or_else(|| inv.id.to_string()),
            issued,
            due,
            amount: open,
            interest_per_day: 0,
            fine: 0,
            discount: 0,
            payer: Payer {
                name: ascii(&inv.customer_name),
                document: inv.customer_document.clone(),
                ..Default::default()
            },
        });
        charges.push((inv.id, nn, open, boleto.digitable_line, boleto.barcode));
    }
    if titles.is_empty() {
        return Err(Error::invalid_msg(
            "invoices",
            "no issued invoice is waiting for a boleto",
        ));
    }
    let file_number = store::billing::documents::next_number(
        &mut tx,
        &format!("cnab-remessa:{agreement_key}"),
        0,
    )
    .await?;
    let (agency, agency_dv) = split_dv(&cfg.agency);
    let (account, account_dv) = split_dv(&cfg.account);
    let carteira = match format {
        // CNAB 240 carries FEBRABAN's one-digit "código da carteira":
        // 1 cobrança simples; Banco do Brasil's carteira 17 simples is 7.
        Format::Cnab240 if bank == Bank::BancoDoBrasil && cfg.wallet == "17" => "7".to_owned(),
        Format::Cnab240 => "1".to_owned(),
        Format::Cnab400 if bank == Bank::BancoDoBrasil && !cfg.wallet_variation.is_empty() => {
            format!("{}-{}", cfg.wallet, cfg.wallet_variation)
        }
        Format::Cnab400 => cfg.wallet.clone(),
    };
    let remittance = Remittance {
        bank: Some(bank),
        format,
        file_number: u32::try_from(file_number).unwrap_or(u32::MAX),
        generated: today,
        beneficiary: Beneficiary {
            name: ascii(&company.name),
            document: company
                .legal_document
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect(),
            agencia: agency,
            agencia_dv: agency_dv,
            conta: account,
            conta_dv: account_dv,
            convenio: cfg.agreement.clone(),
            codigo_beneficiario: cfg.agreement.clone(),
            carteira,
        },
        titles,
    };
    let mut out = Vec::new();
    cnab::write_remittance(&mut out, &remittance)
        .map_err(|e| Error::invalid_msg("boleto", format!("cannot write the remittance: {e}")))?;
    let content = String::from_utf8(out).map_err(|e| Error::Internal(e.to_string()))?;
    let sha = hex::encode(Sha256::digest(content.as_bytes()));
    let total: i64 = charges.iter().map(|c| c.2).sum();
    let ext = if format == Format::Cnab240 {
        "rem"
    } else {
        "txt"
    };
    let name = format!("remessa-{}-{file_number:06}.{ext}", bank.code());
    let actor = caller.actor();
    let format_name = format_name(format);
    let id = rs::insert_file(
        &mut tx,
        &NewFile {
            kind: "remessa",
            format: format_name,
            bank: bank.code(),
            sequence: file_number,
            name: &name,
            sha256: &sha,
            content: Some(&content),
            status: "generated",
            lines: content.lines().count() as i64,
            titles: charges.len() as i64,
            total,
            uploaded_by: &actor.name,
        },
        store::now(),
    )
    .await?
    .ok_or(Error::Conflict("remittance"))?;
    let new: Vec<NewCharge> = charges
        .iter()
        .map(|(inv, nn, amount, line, barcode)| NewCharge {
            invoice_id: *inv,
            nosso_numero: nn,
            amount: *amount,
            digitable_line: line,
            barcode,
        })
        .collect();
    rs::insert_charges(&mut tx, &new, store::now()).await?;
    Change::new("cnab.remittance.generate", "cnab_file", id)
        .after(json!({
            "name": name, "format": format_name, "bank": bank.code(),
            "sequence": file_number, "titles": charges.len(), "total": total,
            "invoices": charges.iter().map(|c| json!({"invoice_id": c.0, "nosso_numero": c.1}))
                .collect::<Vec<_>>(),
        }))
        .record(&mut tx, engine, &actor)
        .await?;
    let file = rs::get_file(&mut tx, id).await?;
    tx.commit().await?;
    Ok(file)
}

pub(crate) fn format_name(f: Format) -> &'static str {
    match f {
        Format::Cnab240 => "cnab240",
        Format::Cnab400 => "cnab400",
    }
}

/// Parses `240` / `400` / `cnab240` / `cnab400`.
pub fn parse_format(s: &str) -> Result<Format> {
    match s.trim().to_ascii_lowercase().trim_start_matches("cnab") {
        "240" => Ok(Format::Cnab240),
        "400" => Ok(Format::Cnab400),
        _ => Err(Error::invalid_msg("format", "must be 240 or 400")),
    }
}

/// Banks take ASCII without accents: `João` → `Joao`; anything else
/// outside printable ASCII becomes a space.
pub(crate) fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'Á' | 'À' | 'Â' | 'Ã' | 'Ä' => 'A',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'O',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
            'ç' => 'c',
            'Ç' => 'C',
            'ñ' => 'n',
            'Ñ' => 'N',
            c if c == ' ' || c.is_ascii_graphic() => c,
            _ => ' ',
        })
        .collect()
}
