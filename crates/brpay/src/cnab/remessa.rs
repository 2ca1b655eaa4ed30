//! Remittance (*remessa*) writer: registers boletos with the bank.
//!
//! The writer fills fields by their shared names; a field a bank's layout
//! lacks is skipped and a field only that bank has (Santander's and Caixa's
//! beneficiary code) is filled when present, so per-bank differences stay in
//! the layout tables.

use super::{CnabError, Direction, Format, Layout, RecordBuilder, Value};
use crate::boleto::banks::Bank;
use std::io::Write;
use time::Date;

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
    /// CNAB 240 (every bank) or CNAB 400 (Bradesco).
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
/// (Bradesco): header, one type-1 detail per title, trailer.
///
/// ```
/// use brpay::cnab::{self, Remittance, Beneficiary, Title, Payer};
/// use brpay::boleto::banks::Bank;
/// use time::macros::date;
/// let r = Remittance {
///     bank: Some(Bank::BancoDoBrasil),
///     format: cnab::Format::Cnab240,
///     file_number: 1,
///     generated: date!(2025-03-10),
///     beneficiary: Beneficiary { name: "Provedor Exemplo".into(), document: "11222333000181".into(),
///         agencia: "1234".into(), agencia_dv: "5".into(), conta: "12345".into(), conta_dv: "6".into(),
///         convenio: "001234567".into(), carteira: "7".into(), ..Default::default() },
///     titles: vec![Title { nosso_numero: "12345670000000001".into(), seu_numero: "FAT-1".into(),
///         issued: date!(2025-03-10), due: date!(2025-03-20), amount: 9990, interest_per_day: 3,
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

fn write_400<W: Write>(
    mut out: W,
    r: &Remittance,
    layout: &'static Layout,
) -> Result<(), CnabError> {
    // the detail below follows Bradesco's manual; the other banks' CNAB 400
    // remittance layouts are for reading and for RecordBuilder
    if r.bank != Some(Bank::Bradesco) {
        return Err(CnabError::UnsupportedBank {
            bank_code: code_of(r.bank).to_owned(),
            format: Format::Cnab400,
            direction: Direction::Remessa,
        });
    }
    let b = &r.beneficiary;
    let mut seq = 1u32;
    let mut emit = |out: &mut W, rb: &mut RecordBuilder<'_>| -> Result<(), CnabError> {
        rb.set("sequencial", n(seq))?;
        seq += 1;
        out.write_all(rb.finish().as_bytes()).map_err(io)?;
        out.write_all(b"\r\n").map_err(io)
    };
    let mut h = RecordBuilder::new(record(layout, "0")?);
    h.set("literal_servico", t("COBRANCA"))?
        .set("codigo_empresa", t(&b.convenio))?
        .set("empresa_nome", t(&truncate(&b.name, 30)))?
        .set(
            "banco_nome",
            t(&r.bank.map_or("", Bank::name).to_uppercase()),
        )?
        .set("data_geracao", Value::Date(Some(r.generated)))?
        .set_if("sistema", t("MX"))?
        .set_if("nsa", n(r.file_number))?;
    emit(&mut out, &mut h)?;
    for title in &r.titles {
        let mut d = RecordBuilder::new(record(layout, "1")?);
        let carteira = format!("{:0>3}", b.carteira);
        let id = format!(
            "0{carteira}{:0>5}{:0>7}{}",
            b.agencia,
            b.conta,
            if b.conta_dv.is_empty() {
                "0"
            } else {
                &b.conta_dv
            }
        );
        let nn_dv =
            crate::boleto::banks::bradesco::nosso_numero_dv(&carteira[1..], &title.nosso_numero)
                .map(String::from)
                .unwrap_or_default();
        let fine_bp = if title.amount > 0 {
            title.fine * 10_000 / title.amount
        } else {
            0
        };
        let py = &title.payer;
        d.set("identificacao_empresa", t(&id))?
            .set("uso_empresa", t(&title.seu_numero))?
            .set("multa_codigo", t(if title.fine > 0 { "2" } else { "0" }))?
            .set("multa_percentual", n(fine_bp))?
            .set("nosso_numero", t(&format!("{:0>11}", title.nosso_numero)))?
            .set("nosso_numero_dv", t(&nn_dv))?
            .set("emissao_boleto", t("2"))?
            .set("debito_automatico", t("N"))?
            .set("ocorrencia", t("01"))?
            .set("seu_numero", t(&truncate(&title.seu_numero, 10)))?
            .set("vencimento", Value::Date(Some(title.due)))?
            .set("valor", Value::Money(title.amount))?
            .set("banco_cobrador", t("000"))?
            .set("agencia_cobradora", t("00000"))?
            .set("especie", t("01"))?
            .set("aceite", t("N"))?
            .set("emissao", Value::Date(Some(title.issued)))?
            .set("instrucao_1", t("00"))?
            .set("instrucao_2", t("00"))?
            .set("juros_valor", Value::Money(title.interest_per_day))?
            .set(
                "desconto_data",
                Value::Date((title.discount > 0).then_some(title.due)),
            )?
            .set("desconto_valor", Value::Money(title.discount))?
            .set(
                "sacado_inscricao_tipo",
                t(if py.document.len() == 14 { "02" } else { "01" }),
            )?
            .set("sacado_inscricao", t(&py.document))?
            .set("sacado_nome", t(&truncate(&py.name, 40)))?
            .set("sacado_endereco", t(&truncate(&py.address, 40)))?
            .set(
                "sacado_cep",
                t(if py.postal_code.is_empty() {
                    "0"
                } else {
                    &py.postal_code
                }),
            )?;
        emit(&mut out, &mut d)?;
    }
    let mut tr = RecordBuilder::new(record(layout, "9")?);
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
                .set("multa_data", Value::Date(title.due.next_day()))?
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
