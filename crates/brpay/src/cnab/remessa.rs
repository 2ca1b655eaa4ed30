//! Remittance (*remessa*) writer: registers boletos with the bank.
//!
//! The writer fills fields by their shared names; a field a bank's layout
//! lacks is skipped and a field only that bank has (Santander's and Caixa's
//! beneficiary code) is filled when present, so per-bank differences stay in
//! the layout tables.

use super::{CnabError, Direction, Format, Layout, RecordBuilder, Value};
use crate::boleto::banks::Bank;
use jiff::civil::Date;
use std::io::Write;

/// The company that issues the boletos (*beneficiário*, *cedente*).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Beneficiary {
    /// Company name.
    pub name: String,
    /// CNPJ (14 digits) or CPF (11 digits), digits only.
    pub document: String,
    /// Agency, digits.
    pub agencia: String,
    /// Agency check digit.
    pub agencia_dv: String,
    /// Account, digits.
    pub conta: String,
    /// Account check digit.
    pub conta_dv: String,
    /// Agreement code (*convênio*), as the bank formats it (up to 20 characters).
    pub convenio: String,
    /// Beneficiary code (Santander, Caixa), digits.
    pub codigo_beneficiario: String,
    /// Carteira code of the FEBRABAN layout (1 simple, …).
    pub carteira: String,
}

/// The payer (*pagador*, *sacado*).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payer {
    /// Name.
    pub name: String,
    /// CPF or CNPJ, digits only.
    pub document: String,
    /// Street address.
    pub address: String,
    /// District (*bairro*).
    pub district: String,
    /// CEP, 8 digits.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// State (UF), 2 letters.
    pub state: String,
}

/// One boleto to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    /// Nosso número as the bank's layout expects it in the file.
    pub nosso_numero: String,
    /// The company's own reference (*seu número*).
    pub seu_numero: String,
    /// Issue date.
    pub issued: Date,
    /// Due date.
    pub due: Date,
    /// Amount in centavos.
    pub amount: i64,
    /// Interest per day in centavos (0 for none).
    pub interest_per_day: i64,
    /// Fine in centavos, charged from the day after the due date (0 for none).
    pub fine: i64,
    /// Discount in centavos until the due date (0 for none).
    pub discount: i64,
    /// The payer.
    pub payer: Payer,
}

/// A remittance file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remittance {
    /// The bank, or `None` for FEBRABAN's generic layout (CNAB 240 only).
    pub bank: Option<Bank>,
    /// CNAB 240 or CNAB 400 (every bank).
    pub format: Format,
    /// File sequence number (*NSA*).
    pub file_number: u32,
    /// Generation date.
    pub generated: Date,
    /// The issuing company.
    pub beneficiary: Beneficiary,
    /// The boletos.
    pub titles: Vec<Title>,
}

fn t(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn n(v: impl ToString) -> Value {
    Value::Text(v.to_string())
}

/// Writes a remittance, lines ended with CRLF as banks expect. CNAB 240:
/// header, one batch of P/Q[/R] segments per title, trailers. CNAB 400
/// (every bank with a layout: Bradesco, Itaú, Banco do Brasil, Santander,
/// Caixa, Sicoob, Sicredi, Banco Inter): header, one detail per title
/// (type 7 for Banco do Brasil, followed by its type-5 fine record when the
/// title has a fine), trailer.
///
/// CNAB 400 per bank: [`Beneficiary::convenio`] is Bradesco's company code,
/// Santander's transmission code and Banco do Brasil's 7-digit convênio;
/// [`Beneficiary::codigo_beneficiario`] is Caixa's and Sicredi's beneficiary
/// code, Santander's collection account and Sicoob's client code (else
/// `convenio`); Banco do Brasil's carteira may carry its variation
/// (`"17-019"`). Banco Inter assigns the nosso número (the file carries
/// zeros). A fine is a percentage (two decimals, rounded down) for
/// Bradesco, Santander and Sicredi and a value elsewhere; Itaú's and
/// Sicoob's fines live in optional records this crate does not write, so a
/// title with a fine is refused for them.
///
/// ```
/// use brpay::cnab::{self, Remittance, Beneficiary, Title, Payer};
/// use brpay::boleto::banks::Bank;
/// use jiff::civil::date;
/// let r = Remittance {
///     bank: Some(Bank::BancoDoBrasil),
///     format: cnab::Format::Cnab240,
///     file_number: 1,
///     generated: date(2025, 3, 10),
///     beneficiary: Beneficiary { name: "Provedor Exemplo".into(), document: "11222333000181".into(),
///         agencia: "1234".into(), agencia_dv: "5".into(), conta: "12345".into(), conta_dv: "6".into(),
///         convenio: "001234567".into(), carteira: "7".into(), ..Default::default() },
///     titles: vec![Title { nosso_numero: "12345670000000001".into(), seu_numero: "FAT-1".into(),
///         issued: date(2025, 3, 10), due: date(2025, 3, 20), amount: 9990, interest_per_day: 3,
///         fine: 199, discount: 0, payer: Payer { name: "Joana Silva".into(), document: "52998224725".into(),
///         ..Default::default() } }],
/// };
/// let mut out = Vec::new();
/// cnab::write_remittance(&mut out, &r)?;
/// let back: Vec<_> = cnab::parse(std::io::Cursor::new(out))?.collect::<Result<_, _>>()?;
/// assert_eq!(back.len(), 7); // header, batch header, P, Q, R, batch trailer, trailer
/// assert_eq!(back[2].money("valor"), Some(9990));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_remittance<W: Write>(out: W, r: &Remittance) -> Result<(), CnabError> {
    let layout =
        Layout::find(r.bank, r.format, Direction::Remessa).ok_or(CnabError::UnsupportedBank {
            bank_code: r.bank.map_or("000", Bank::code).to_owned(),
            format: r.format,
            direction: Direction::Remessa,
        })?;
    match r.format {
        Format::Cnab240 => write_240(out, r, layout),
        Format::Cnab400 => write_400(out, r, layout),
    }
}

fn io(e: std::io::Error) -> CnabError {
    CnabError::Io {
        line: 0,
        message: e.to_string(),
    }
}

fn record(layout: &'static Layout, code: &str) -> Result<&'static super::RecordLayout, CnabError> {
    layout.record(code).ok_or_else(|| CnabError::UnknownRecord {
        line: 0,
        found: code.to_owned(),
    })
}

/// Sets a field by name when the layout has it, truncating text to the
/// field's width; `Value::Text` fills alpha and numeric fields alike.
fn put(rb: &mut RecordBuilder<'_>, name: &str, value: &str) -> Result<(), CnabError> {
    let Some(w) = rb.width(name) else {
        return Ok(());
    };
    let v = if rb.kind(name) == Some(super::FieldKind::Alpha) {
        truncate(value, w)
    } else {
        value.to_owned()
    };
    rb.set(name, Value::Text(v)).map(|_| ())
}

fn put_date(rb: &mut RecordBuilder<'_>, name: &str, d: Option<Date>) -> Result<(), CnabError> {
    use super::FieldKind::{Date6, Date8, DateYmd};
    if matches!(rb.kind(name), Some(Date6 | Date8 | DateYmd)) {
        rb.set(name, Value::Date(d))?;
    }
    Ok(())
}

fn put_money(rb: &mut RecordBuilder<'_>, name: &str, m: i64) -> Result<(), CnabError> {
    rb.set_if(name, Value::Money(m)).map(|_| ())
}

/// A fine in centavos as a percentage of the amount with two decimals
/// (rounded down), as Bradesco, Santander and Sicredi take it.
fn fine_percent(title: &Title) -> String {
    let bp = if title.amount > 0 {
        title.fine * 10_000 / title.amount
    } else {
        0
    };
    bp.to_string()
}

fn no_fine_field(bank: Bank) -> CnabError {
    CnabError::NoSuchField {
        record: "detalhe",
        field: format!(
            "multa: {}'s CNAB 400 detail has no fine field (its optional fine record is not modelled)",
            bank.name()
        ),
    }
}

fn bank_name_400(bank: Bank) -> &'static str {
    match bank {
        Bank::BancoDoBrasil => "BANCODOBRASIL",
        Bank::Santander => "SANTANDER",
        Bank::Inter => "INTER",
        Bank::Caixa => "C ECON FEDERAL",
        Bank::Bradesco => "BRADESCO",
        Bank::Itau => "BANCO ITAU SA",
        Bank::Sicredi => "SICREDI",
        Bank::Sicoob => "BANCOOB",
    }
}

fn write_400<W: Write>(
    mut out: W,
    r: &Remittance,
    layout: &'static Layout,
) -> Result<(), CnabError> {
    let bank = layout.bank.ok_or(CnabError::UnsupportedBank {
        bank_code: code_of(r.bank).to_owned(),
        format: Format::Cnab400,
        direction: Direction::Remessa,
    })?;
    let b = &r.beneficiary;
    let detail_code = if bank == Bank::BancoDoBrasil {
        "7"
    } else {
        "1"
    };
    let doc_kind = |doc: &str| if doc.len() == 14 { "2" } else { "1" };
    let or = |s: &str, default: &str| {
        if s.is_empty() {
            default.to_owned()
        } else {
            s.to_owned()
        }
    };
    let seq = std::cell::Cell::new(1u32);
    let emit = |out: &mut W, rb: &mut RecordBuilder<'_>| -> Result<(), CnabError> {
        rb.set("sequencial", n(seq.get()))?;
        seq.set(seq.get() + 1);
        out.write_all(rb.finish().as_bytes()).map_err(io)?;
        out.write_all(b"\r\n").map_err(io)
    };

    // header
    let mut h = RecordBuilder::new(record(layout, "0")?);
    put(&mut h, "literal_arquivo", "REMESSA")?;
    put(&mut h, "literal_servico", "COBRANCA")?;
    put(&mut h, "empresa_nome", &b.name)?;
    put(&mut h, "banco", bank.code())?;
    put(&mut h, "banco_nome", bank_name_400(bank))?;
    put_date(&mut h, "data_geracao", Some(r.generated))?;
    put(&mut h, "nsa", &r.file_number.to_string())?;
    match bank {
        Bank::Bradesco => {
            put(&mut h, "codigo_empresa", &b.convenio)?;
            put(&mut h, "sistema", "MX")?;
        }
        Bank::Santander => put(&mut h, "codigo_transmissao", &b.convenio)?,
        Bank::BancoDoBrasil => {
            for (k, v) in [
                ("agencia", &b.agencia),
                ("agencia_dv", &b.agencia_dv),
                ("conta", &b.conta),
                ("conta_dv", &b.conta_dv),
                ("convenio", &b.convenio),
            ] {
                put(&mut h, k, v)?;
            }
        }
        Bank::Itau => {
            put(&mut h, "agencia", &b.agencia)?;
            put(&mut h, "conta", &b.conta)?;
            put(&mut h, "conta_dv", &or(&b.conta_dv, "0"))?;
        }
        Bank::Caixa => {
            put(&mut h, "agencia", &b.agencia)?;
            put(&mut h, "codigo_beneficiario", &b.codigo_beneficiario)?;
            // NE065: "007" for beneficiary codes of 7 digits
            if b.codigo_beneficiario.len() == 7 {
                put(&mut h, "versao_layout", "007")?;
            }
        }
        Bank::Sicoob => {
            put(&mut h, "cooperativa", &b.agencia)?;
            put(
                &mut h,
                "codigo_cobranca",
                &or(&b.codigo_beneficiario, &b.convenio),
            )?;
            put(&mut h, "sistema", "SX")?;
        }
        Bank::Sicredi => {
            put(&mut h, "codigo_beneficiario", &b.codigo_beneficiario)?;
            put(&mut h, "inscricao", &b.document)?;
            put(&mut h, "versao", "2.00")?;
        }
        Bank::Inter => {}
    }
    emit(&mut out, &mut h)?;

    let mut total = 0i64;
    for title in &r.titles {
        total += title.amount;
        let py = &title.payer;
        let due = Some(title.due);
        let after_due = title.due.tomorrow().ok();
        let mut d = RecordBuilder::new(record(layout, detail_code)?);
        // fields every bank names alike
        put(&mut d, "inscricao_tipo", doc_kind(&b.document))?;
        put(&mut d, "inscricao", &b.document)?;
        put(&mut d, "uso_empresa", &title.seu_numero)?;
        put(&mut d, "ocorrencia", "01")?;
        put(&mut d, "seu_numero", &title.seu_numero)?;
        put_date(&mut d, "vencimento", due)?;
        put_money(&mut d, "valor", title.amount)?;
        put(&mut d, "aceite", "N")?;
        put_date(&mut d, "emissao", Some(title.issued))?;
        put(&mut d, "instrucao_1", "00")?;
        put(&mut d, "instrucao_2", "00")?;
        put_money(&mut d, "juros_valor", title.interest_per_day)?;
        put_date(
            &mut d,
            "desconto_data",
            (title.discount > 0).then_some(title.due),
        )?;
        put_money(&mut d, "desconto_valor", title.discount)?;
        put(&mut d, "sacado_inscricao_tipo", doc_kind(&py.document))?;
        put(&mut d, "sacado_inscricao", &py.document)?;
        put(&mut d, "sacado_nome", &py.name)?;
        put(&mut d, "sacado_endereco", &py.address)?;
        put(&mut d, "sacado_bairro", &py.district)?;
        put(&mut d, "sacado_cep", &or(&py.postal_code, "0"))?;
        put(&mut d, "sacado_cidade", &py.city)?;
        put(&mut d, "sacado_uf", &py.state)?;
        let mut fine_record = None;
        match bank {
            Bank::Bradesco => {
                let carteira = format!("{:0>3}", b.carteira);
                let id = format!(
                    "0{carteira}{:0>5}{:0>7}{}",
                    b.agencia,
                    b.conta,
                    or(&b.conta_dv, "0")
                );
                let nn_dv = crate::boleto::banks::bradesco::nosso_numero_dv(
                    &carteira[1..],
                    &title.nosso_numero,
                )
                .map(String::from)
                .unwrap_or_default();
                put(&mut d, "identificacao_empresa", &id)?;
                put(
                    &mut d,
                    "multa_codigo",
                    if title.fine > 0 { "2" } else { "0" },
                )?;
                put(&mut d, "multa_percentual", &fine_percent(title))?;
                put(
                    &mut d,
                    "nosso_numero",
                    &format!("{:0>11}", title.nosso_numero),
                )?;
                put(&mut d, "nosso_numero_dv", &nn_dv)?;
                put(&mut d, "emissao_boleto", "2")?;
                put(&mut d, "debito_automatico", "N")?;
                put(&mut d, "banco_cobrador", "000")?;
                put(&mut d, "agencia_cobradora", "00000")?;
                put(&mut d, "especie", "01")?;
            }
            Bank::Itau => {
                if title.fine > 0 {
                    return Err(no_fine_field(bank));
                }
                put(&mut d, "agencia", &b.agencia)?;
                put(&mut d, "conta", &b.conta)?;
                put(&mut d, "conta_dv", &or(&b.conta_dv, "0"))?;
                put(&mut d, "nosso_numero", &title.nosso_numero)?;
                put(&mut d, "carteira", &b.carteira)?;
                put(&mut d, "carteira_codigo", "I")?;
                put(&mut d, "especie", "01")?;
            }
            Bank::Santander => {
                let nn = if title.nosso_numero.len() == 8 {
                    title.nosso_numero.clone()
                } else {
                    let base = format!("{:0>7}", title.nosso_numero);
                    let dv = crate::boleto::banks::santander::nosso_numero_dv(&base)
                        .map_or(String::new(), |d| d.to_string());
                    format!("{base}{dv}")
                };
                put(&mut d, "agencia", &b.agencia)?;
                put(&mut d, "conta", &b.conta)?;
                put(&mut d, "conta_cobranca", &b.codigo_beneficiario)?;
                put(&mut d, "nosso_numero", &nn)?;
                put(
                    &mut d,
                    "multa_codigo",
                    if title.fine > 0 { "4" } else { "0" },
                )?;
                put(&mut d, "multa_percentual", &fine_percent(title))?;
                put_date(&mut d, "multa_data", after_due.filter(|_| title.fine > 0))?;
                put(&mut d, "carteira", &b.carteira)?;
                put(&mut d, "banco_cobrador", "000")?;
                put(&mut d, "especie", "01")?;
            }
            Bank::BancoDoBrasil => {
                let (carteira, variacao) = b
                    .carteira
                    .split_once(['-', '/'])
                    .unwrap_or((b.carteira.as_str(), "0"));
                for (k, v) in [
                    ("agencia", b.agencia.as_str()),
                    ("agencia_dv", &b.agencia_dv),
                    ("conta", &b.conta),
                    ("conta_dv", &b.conta_dv),
                    ("convenio", &b.convenio),
                    ("nosso_numero", &title.nosso_numero),
                    ("carteira", carteira),
                    ("variacao_carteira", variacao),
                    ("especie", "01"),
                ] {
                    put(&mut d, k, v)?;
                }
                if title.fine > 0 {
                    // optional record 5, service 99: fine as a value from the day after
                    let mut m = RecordBuilder::new(record(layout, "5")?);
                    let day = after_due.unwrap_or(title.due);
                    put(&mut m, "tipo_servico", "99")?;
                    put(&mut m, "multa_codigo", "1")?;
                    put(
                        &mut m,
                        "multa_data",
                        &format!(
                            "{:02}{:02}{:02}",
                            day.day(),
                            day.month(),
                            day.year().rem_euclid(100)
                        ),
                    )?;
                    put(&mut m, "multa_valor", &format!("{:012}", title.fine))?;
                    fine_record = Some(m);
                }
            }
            Bank::Caixa => {
                let (modalidade, nn) = if title.nosso_numero.len() == 17 {
                    title.nosso_numero.split_at(2)
                } else {
                    ("14", title.nosso_numero.as_str())
                };
                put(&mut d, "codigo_beneficiario", &b.codigo_beneficiario)?;
                put(&mut d, "emissao_boleto", "2")?;
                put(&mut d, "distribuicao", "0")?;
                put(&mut d, "modalidade", modalidade)?;
                put(&mut d, "nosso_numero", nn)?;
                put_date(
                    &mut d,
                    "juros_data",
                    after_due.filter(|_| title.interest_per_day > 0),
                )?;
                put(
                    &mut d,
                    "desconto_codigo",
                    if title.discount > 0 { "1" } else { "0" },
                )?;
                put(&mut d, "carteira", "01")?;
                put(&mut d, "especie", "01")?;
                // NE024: 02 = do not protest
                put(&mut d, "instrucao_1", "02")?;
                put_date(&mut d, "multa_data", after_due.filter(|_| title.fine > 0))?;
                put_money(&mut d, "multa_valor", title.fine)?;
                put(&mut d, "moeda", "1")?;
            }
            Bank::Sicoob => {
                if title.fine > 0 {
                    return Err(no_fine_field(bank));
                }
                let client = or(&b.codigo_beneficiario, &b.convenio);
                let (nn, dv) = if title.nosso_numero.len() == 12 {
                    let (a, z) = title.nosso_numero.split_at(11);
                    (a.to_owned(), z.to_owned())
                } else {
                    let dv = crate::boleto::banks::sicoob::nosso_numero_dv(
                        &b.agencia,
                        &client,
                        &title.nosso_numero,
                    )
                    .map_or(String::new(), |d| d.to_string());
                    (title.nosso_numero.clone(), dv)
                };
                put(&mut d, "cooperativa", &b.agencia)?;
                put(&mut d, "codigo_cobranca", &client)?;
                put(&mut d, "nosso_numero", &nn)?;
                put(&mut d, "nosso_numero_dv", &dv)?;
                put(&mut d, "emissao_boleto", "2")?;
                put(&mut d, "debito_automatico", "N")?;
                put(&mut d, "especie", "01")?;
            }
            Bank::Sicredi => {
                for (k, v) in [
                    ("tipo_cobranca", "A"),
                    ("tipo_carteira", "A"),
                    ("tipo_impressao", "A"),
                    ("tipo_moeda", "A"),
                    ("desconto_tipo", "A"),
                    ("juros_tipo", "A"),
                    ("nosso_numero", title.nosso_numero.as_str()),
                    ("postagem", "N"),
                    ("emissao_boleto", "B"),
                    ("especie", "A"),
                    ("codigo_pagador_cooperativa", "00000"),
                ] {
                    put(&mut d, k, v)?;
                }
                put(&mut d, "multa_percentual", &fine_percent(title))?;
            }
            Bank::Inter => {
                let id = format!("112{:0>4}{:0>10}", or(&b.agencia, "1"), b.conta);
                put(&mut d, "identificacao_empresa", &id)?;
                put(
                    &mut d,
                    "multa_codigo",
                    if title.fine > 0 { "1" } else { "0" },
                )?;
                put_money(&mut d, "multa_valor", title.fine)?;
                put_date(&mut d, "multa_data", after_due.filter(|_| title.fine > 0))?;
                // days after the due date the boleto can still be paid: 0, 30 or 60
                put(&mut d, "dias_limite", "60")?;
                put(&mut d, "especie", "99")?;
                let interest = title.interest_per_day > 0;
                put(&mut d, "juros_codigo", if interest { "1" } else { "0" })?;
                put_date(&mut d, "juros_data", after_due.filter(|_| interest))?;
                put(
                    &mut d,
                    "desconto_codigo",
                    if title.discount > 0 { "1" } else { "0" },
                )?;
            }
        }
        emit(&mut out, &mut d)?;
        if let Some(mut m) = fine_record {
            emit(&mut out, &mut m)?;
        }
    }

    let mut tr = RecordBuilder::new(record(layout, "9")?);
    put(&mut tr, "quantidade_registros", &seq.get().to_string())?;
    put_money(&mut tr, "valor_total", total)?;
    put(&mut tr, "codigo_beneficiario", &b.codigo_beneficiario)?;
    put(&mut tr, "quantidade_titulos", &r.titles.len().to_string())?;
    emit(&mut out, &mut tr)?;
    out.flush().map_err(io)
}

fn write_240<W: Write>(
    mut out: W,
    r: &Remittance,
    layout: &'static Layout,
) -> Result<(), CnabError> {
    let code = r.bank.map_or("000", Bank::code);
    let b = &r.beneficiary;
    let emit = |out: &mut W, rb: &RecordBuilder<'_>| -> Result<(), CnabError> {
        out.write_all(rb.finish().as_bytes()).map_err(io)?;
        out.write_all(b"\r\n").map_err(io)
    };
    let rec = |code: &str| record(layout, code);
    let doc_type = if b.document.len() == 11 { "1" } else { "2" };
    let bank_name = r.bank.map_or("", Bank::name).to_uppercase();

    let mut h = RecordBuilder::new(rec("0")?);
    h.set("banco", t(code))?
        .set("inscricao_tipo", t(doc_type))?
        .set("inscricao", t(&b.document))?
        .set_if("convenio", t(&b.convenio))?
        .set_if("codigo_beneficiario", n(&b.codigo_beneficiario))?
        .set("agencia", t(&b.agencia))?
        .set("agencia_dv", t(&b.agencia_dv))?
        .set("conta", t(&b.conta))?
        .set("conta_dv", t(&b.conta_dv))?
        .set("empresa_nome", t(&b.name))?
        .set("banco_nome", t(&bank_name))?
        .set("arquivo_codigo", t("1"))?
        .set("data_geracao", Value::Date(Some(r.generated)))?
        .set("hora_geracao", t("000000"))?
        .set("nsa", n(r.file_number))?
        .set("versao_layout", t("087"))?
        .set("densidade", t("00000"))?;
    emit(&mut out, &h)?;

    let mut hl = RecordBuilder::new(rec("1")?);
    hl.set("banco", t(code))?
        .set("lote", t("1"))?
        .set("operacao", t("R"))?
        .set("versao_layout", t("045"))?
        .set("inscricao_tipo", t(doc_type))?
        .set("inscricao", t(&b.document))?
        .set_if("convenio", t(&b.convenio))?
        .set_if("codigo_beneficiario", n(&b.codigo_beneficiario))?
        .set("agencia", t(&b.agencia))?
        .set("agencia_dv", t(&b.agencia_dv))?
        .set("conta", t(&b.conta))?
        .set("conta_dv", t(&b.conta_dv))?
        .set("empresa_nome", t(&b.name))?
        .set("numero_remessa", n(r.file_number))?
        .set("data_gravacao", Value::Date(Some(r.generated)))?;
    emit(&mut out, &hl)?;

    let mut seq = 0u32;
    for title in &r.titles {
        let mut next = |code: &str| -> Result<RecordBuilder<'static>, CnabError> {
            seq += 1;
            let mut s = RecordBuilder::new(rec(code)?);
            s.set("banco", t(code_of(r.bank)))?
                .set("lote", t("1"))?
                .set("sequencial", n(seq))?
                .set("movimento", t("01"))?;
            Ok(s)
        };
        let mut p = next("3P")?;
        p.set("agencia", t(&b.agencia))?
            .set("agencia_dv", t(&b.agencia_dv))?
            .set_if("conta", t(&b.conta))?
            .set_if("conta_dv", t(&b.conta_dv))?
            .set_if("codigo_beneficiario", n(&b.codigo_beneficiario))?
            .set("nosso_numero", t(&title.nosso_numero))?
            .set("carteira", t(&b.carteira))?
            .set("cadastramento", t("1"))?
            .set("emissao_boleto", t("2"))?
            .set("distribuicao", t("2"))?
            .set("seu_numero", t(&title.seu_numero))?
            .set("vencimento", Value::Date(Some(title.due)))?
            .set("valor", Value::Money(title.amount))?
            .set("especie", t("02"))?
            .set("aceite", t("N"))?
            .set("emissao", Value::Date(Some(title.issued)))?
            .set(
                "juros_codigo",
                t(if title.interest_per_day > 0 { "1" } else { "3" }),
            )?
            .set("juros_valor", Value::Money(title.interest_per_day))?
            .set(
                "desconto_codigo",
                t(if title.discount > 0 { "1" } else { "0" }),
            )?
            .set(
                "desconto_data",
                Value::Date((title.discount > 0).then_some(title.due)),
            )?
            .set("desconto_valor", Value::Money(title.discount))?
            .set("protesto_codigo", t("3"))?
            .set("baixa_codigo", t("0"))?
            .set("moeda", t("09"))?;
        emit(&mut out, &p)?;
        let mut q = next("3Q")?;
        let py = &title.payer;
        q.set(
            "sacado_inscricao_tipo",
            t(if py.document.len() == 14 { "2" } else { "1" }),
        )?
        .set("sacado_inscricao", t(&py.document))?
        .set("sacado_nome", t(&truncate(&py.name, 40)))?
        .set("sacado_endereco", t(&truncate(&py.address, 40)))?
        .set("sacado_bairro", t(&truncate(&py.district, 15)))?
        .set(
            "sacado_cep",
            t(if py.postal_code.is_empty() {
                "0"
            } else {
                &py.postal_code
            }),
        )?
        .set("sacado_cidade", t(&truncate(&py.city, 15)))?
        .set("sacado_uf", t(&py.state))?;
        emit(&mut out, &q)?;
        if title.fine > 0 {
            let mut rr = next("3R")?;
            rr.set("multa_codigo", t("1"))?
                .set("multa_data", Value::Date(title.due.tomorrow().ok()))?
                .set("multa_valor", Value::Money(title.fine))?;
            emit(&mut out, &rr)?;
        }
    }

    let mut tl = RecordBuilder::new(rec("5")?);
    tl.set("banco", t(code))?
        .set("lote", t("1"))?
        .set("quantidade_registros", n(seq + 2))?;
    emit(&mut out, &tl)?;
    let mut ta = RecordBuilder::new(rec("9")?);
    ta.set("banco", t(code))?
        .set("lote", t("9999"))?
        .set("quantidade_lotes", t("1"))?
        .set("quantidade_registros", n(seq + 4))?;
    emit(&mut out, &ta)?;
    out.flush().map_err(io)
}

fn code_of(bank: Option<Bank>) -> &'static str {
    bank.map_or("000", Bank::code)
}

fn truncate(s: &str, n: usize) -> String {
    crate::pix::fold_accents(s)
        .unwrap_or_else(|_| s.chars().filter(char::is_ascii).collect())
        .chars()
        .take(n)
        .collect()
}
