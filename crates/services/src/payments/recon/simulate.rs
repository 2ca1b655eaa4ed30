//! A bank's CNAB 240 return file for given titles, as FEBRABAN's layout
//! (and the bank's differences brpay knows) has it: for the demo data,
//! the benchmark (`lastmile bench-recon`) and the tests, which reconcile
//! what a bank would send for a remittance this installation generated.

use brpay::boleto::banks::Bank;
use brpay::cnab::{CnabError, Direction, Format, Layout, RecordBuilder, Value};
use jiff::civil::Date;

/// One title line of the return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    pub nosso_numero: String,
    /// `06` liquidação, `02` entrada confirmada, `03` entrada rejeitada…
    pub occurrence: String,
    /// The title's amount.
    pub amount: i64,
    /// What was paid.
    pub paid: i64,
    /// The bank's fee.
    pub fee: i64,
    pub credit_date: Option<Date>,
    pub payer_name: String,
    /// Reason codes (rejections).
    pub reason: String,
}

/// Titles per batch (two records each; the record number has 5 digits).
pub const BATCH_TITLES: usize = 40_000;

fn t(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn layout_err(bank: Bank) -> CnabError {
    CnabError::UnsupportedBank {
        bank_code: bank.code().to_owned(),
        format: Format::Cnab240,
        direction: Direction::Retorno,
    }
}

/// Writes the return (lines ended with CRLF): header, one batch with a
/// T and a U segment per title, trailers.
pub fn return_240(
    bank: Bank,
    sequence: u32,
    generated: Date,
    titles: &[Title],
) -> Result<String, CnabError> {
    let layout = Layout::find(Some(bank), Format::Cnab240, Direction::Retorno)
        .or_else(|| Layout::find(None, Format::Cnab240, Direction::Retorno))
        .ok_or_else(|| layout_err(bank))?;
    let rec = |code: &str| layout.record(code).ok_or_else(|| layout_err(bank));
    let code = bank.code();
    let mut out = String::with_capacity((titles.len() * 2 + 4) * 242);
    let mut push = |line: String| {
        out.push_str(&line);
        out.push_str("\r\n");
    };
    let mut h = RecordBuilder::new(rec("0")?);
    h.set("banco", t(code))?
        .set("arquivo_codigo", t("2"))?
        .set("data_geracao", Value::Date(Some(generated)))?
        .set("nsa", Value::Text(sequence.to_string()))?
        .set("banco_nome", t(bank.name()))?;
    push(h.finish());
    let (seg_t, seg_u) = (rec("3T")?, rec("3U")?);
    // A batch's record number has 5 digits: a large return is several
    // batches, as banks write them.
    let batches: Vec<&[Title]> = if titles.is_empty() {
        vec![&[][..]]
    } else {
        titles.chunks(BATCH_TITLES).collect()
    };
    for (b, batch) in batches.iter().enumerate() {
        let lote = (b + 1).to_string();
        let mut hl = RecordBuilder::new(rec("1")?);
        hl.set("banco", t(code))?
            .set("lote", t(&lote))?
            .set("operacao", t("T"))?;
        push(hl.finish());
        for (i, title) in batch.iter().enumerate() {
            let seq = i * 2 + 1;
            let mut s = RecordBuilder::new(seg_t);
            s.set("banco", t(code))?
                .set("lote", t(&lote))?
                .set("sequencial", Value::Text(seq.to_string()))?
                .set("movimento", t(&title.occurrence))?
                .set("nosso_numero", t(&title.nosso_numero))?
                .set("valor", Value::Money(title.amount))?
                .set("tarifa", Value::Money(title.fee))?
                .set_if("motivo_ocorrencia", t(&title.reason))?
                .set_if("sacado_nome", t(&title.payer_name))?;
            push(s.finish());
            let mut u = RecordBuilder::new(seg_u);
            u.set("banco", t(code))?
                .set("lote", t(&lote))?
                .set("sequencial", Value::Text((seq + 1).to_string()))?
                .set("movimento", t(&title.occurrence))?
                .set("valor_pago", Value::Money(title.paid))?
                .set(
                    "valor_liquido",
                    Value::Money((title.paid - title.fee).max(0)),
                )?
                .set("data_ocorrencia", Value::Date(title.credit_date))?
                .set("data_credito", Value::Date(title.credit_date))?;
            push(u.finish());
        }
        let mut tl = RecordBuilder::new(rec("5")?);
        tl.set("banco", t(code))?.set("lote", t(&lote))?.set(
            "quantidade_registros",
            Value::Text((batch.len() * 2 + 2).to_string()),
        )?;
        push(tl.finish());
    }
    let mut ta = RecordBuilder::new(rec("9")?);
    ta.set("banco", t(code))?
        .set("lote", t("9999"))?
        .set("quantidade_lotes", Value::Text(batches.len().to_string()))?
        .set(
            "quantidade_registros",
            Value::Text((titles.len() * 2 + batches.len() * 2 + 2).to_string()),
        )?;
    push(ta.finish());
    Ok(out)
}
