//! The Pix API's resources as they travel on the wire (field names in
//! Portuguese, as the BCB specification writes them).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::PixError;

/// An amount in centavos, written on the wire as decimal text with two
/// places (`"123.45"`), the only form the specification accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub i64);

impl Amount {
    /// Parses `^\d{1,10}\.\d{2}$` strictly; the error names `field`.
    pub fn parse(field: &str, text: &str) -> Result<Amount, PixError> {
        parse_decimal(text)
            .map(Amount)
            .ok_or_else(|| PixError::InvalidAmount {
                field: field.to_owned(),
                value: text.to_owned(),
            })
    }
}

fn parse_decimal(text: &str) -> Option<i64> {
    let (int, frac) = text.split_once('.')?;
    let ok = !int.is_empty()
        && int.len() <= 10
        && frac.len() == 2
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    Some(int.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?)
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        let text = String::deserialize(d)?;
        parse_decimal(&text).map(Amount).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "amount {text:?} is not decimal text with two places such as \"123.45\""
            ))
        })
    }
}

/// A charge's transaction id: 26 to 35 letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Txid(String);

impl Txid {
    /// Validates a txid the receiver chose.
    pub fn new(txid: &str) -> Result<Txid, PixError> {
        let ok = (26..=35).contains(&txid.len()) && txid.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(Txid(txid.to_owned()))
        } else {
            Err(PixError::InvalidTxid {
                txid: txid.to_owned(),
            })
        }
    }

    /// The txid of a stable key (an invoice's public id): always the same
    /// 32 hexadecimal characters for the same key, so repeating `PUT
    /// /cob/{txid}` for an invoice never creates a second charge.
    pub fn derive(key: &str) -> Txid {
        let digest = Sha256::digest(format!("lastmile-pix-txid:{key}").as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Txid(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Txid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Txid, D::Error> {
        let text = String::deserialize(d)?;
        Txid::new(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Txid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person or company: `cpf` (11 digits) or `cnpj` (14 digits) and a name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pessoa {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpf: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnpj: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nome: Option<String>,
}

impl Pessoa {
    /// A person or a company by document: 11 digits make a CPF, 14 a CNPJ.
    pub fn with_document(document: &str, nome: &str) -> Result<Pessoa, PixError> {
        let digits: String = document.chars().filter(char::is_ascii_digit).collect();
        let (cpf, cnpj) = match digits.len() {
            11 => (Some(digits), None),
            14 => (None, Some(digits)),
            _ => {
                return Err(PixError::Invalid {
                    field: "devedor.cpf/cnpj".into(),
                    reason: format!("{document:?} is neither a CPF (11 digits) nor a CNPJ (14)"),
                });
            }
        };
        Ok(Pessoa {
            cpf,
            cnpj,
            nome: Some(nome.to_owned()),
        })
    }

    /// Checks what the specification requires of a debtor: a name of at
    /// most 140 characters and exactly one well-formed document.
    pub fn validate(&self, field: &str) -> Result<(), PixError> {
        let bad = |what: &str, reason: String| PixError::Invalid {
            field: format!("{field}.{what}"),
            reason,
        };
        match self.nome.as_deref() {
            None | Some("") => return Err(bad("nome", "is required".into())),
            Some(n) if n.chars().count() > 140 => {
                return Err(bad("nome", "at most 140 characters".into()));
            }
            _ => {}
        }
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        match (&self.cpf, &self.cnpj) {
            (Some(c), None) if digits(c, 11) => Ok(()),
            (None, Some(c)) if digits(c, 14) => Ok(()),
            (Some(c), None) => Err(bad("cpf", format!("{c:?} is not 11 digits"))),
            (None, Some(c)) => Err(bad("cnpj", format!("{c:?} is not 14 digits"))),
            _ => Err(bad("cpf", "exactly one of cpf and cnpj is required".into())),
        }
    }
}

/// A name/value pair shown to the payer (`infoAdicionais`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoAdicional {
    pub nome: String,
    pub valor: String,
}

/// The location the PSP created for a charge (its QR code's URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Loc {
    pub id: i64,
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tipo_cob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criacao: Option<String>,
}

// ---------------------------------------------------------------- cob/cobv

/// `PUT /cob/{txid}`: an immediate charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CobRequest {
    pub calendario: CalendarioCob,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devedor: Option<Pessoa>,
    pub valor: ValorCob,
    pub chave: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solicitacao_pagador: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub info_adicionais: Vec<InfoAdicional>,
}

/// `calendario` of an immediate charge: seconds it stays payable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarioCob {
    pub expiracao: u32,
}

/// `valor` of an immediate charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValorCob {
    pub original: Amount,
}

/// `PUT /cobv/{txid}`: a charge with a due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CobvRequest {
    pub calendario: CalendarioCobv,
    /// Required, with name and document.
    pub devedor: Pessoa,
    pub valor: ValorCobv,
    pub chave: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solicitacao_pagador: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub info_adicionais: Vec<InfoAdicional>,
}

/// `calendario` of a charge with a due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarioCobv {
    /// `YYYY-MM-DD`.
    pub data_de_vencimento: String,
    /// Days the charge stays payable after the due date (default 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validade_apos_vencimento: Option<u32>,
}

/// `valor` of a charge with a due date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValorCobv {
    pub original: Amount,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multa: Option<Modalidade>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub juros: Option<Modalidade>,
}

/// Fine or interest: `modalidade` as the specification numbers them (fine
/// 1 = fixed amount, 2 = percent; interest 1–8, e.g. 2 = percent a month)
/// and `valorPerc`, the amount or percent with two places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Modalidade {
    pub modalidade: u8,
    pub valor_perc: Amount,
}

/// A charge's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CobStatus {
    Ativa,
    Concluida,
    RemovidaPeloUsuarioRecebedor,
    RemovidaPeloPsp,
}

/// A charge (`cob` or `cobv`) as the PSP returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cob {
    pub calendario: CalendarioResposta,
    pub txid: Txid,
    #[serde(default)]
    pub revisao: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loc: Option<Loc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub status: CobStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devedor: Option<Pessoa>,
    pub valor: ValorResposta,
    pub chave: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solicitacao_pagador: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub info_adicionais: Vec<InfoAdicional>,
    /// The BR Code to show as text and QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pix_copia_e_cola: Option<String>,
    /// The Pix that paid it, once paid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pix: Vec<ReceivedPix>,
}

/// `calendario` in answers (both kinds of charge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarioResposta {
    /// RFC 3339.
    pub criacao: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiracao: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_de_vencimento: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validade_apos_vencimento: Option<u32>,
}

/// `valor` in answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValorResposta {
    pub original: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multa: Option<Modalidade>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub juros: Option<Modalidade>,
}

// ---------------------------------------------------------------- pix

/// A Pix the receiver got (`GET /pix`, webhooks, `cob.pix[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedPix {
    /// `endToEndId`: the Pix's id across the whole system.
    #[serde(rename = "endToEndId")]
    pub end_to_end_id: String,
    /// The charge it paid, when it paid one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txid: Option<String>,
    pub valor: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chave: Option<String>,
    /// When it settled.
    pub horario: jiff::Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagador: Option<Pessoa>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_pagador: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devolucoes: Vec<Devolucao>,
}

/// One page of `GET /pix`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PixPage {
    pub parametros: Parametros,
    #[serde(default)]
    pub pix: Vec<ReceivedPix>,
}

/// The query a list answers, with its paging.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parametros {
    pub inicio: String,
    pub fim: String,
    pub paginacao: Paginacao,
}

/// Paging of lists (pages count from 0).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Paginacao {
    pub pagina_atual: u32,
    pub itens_por_pagina: u32,
    pub quantidade_de_paginas: u32,
    pub quantidade_total_de_itens: u32,
}

/// `PUT /pix/{e2eid}/devolucao/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevolucaoRequest {
    pub valor: Amount,
    /// `ORIGINAL` (default) or `RETIRADA` (Pix Saque/Troco).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub natureza: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descricao: Option<String>,
}

/// A refund's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DevolucaoStatus {
    EmProcessamento,
    Devolvido,
    NaoRealizado,
}

/// A refund of (part of) a received Pix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Devolucao {
    /// The id the receiver chose.
    pub id: String,
    /// The refund's own end-to-end id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtr_id: Option<String>,
    pub valor: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub natureza: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descricao: Option<String>,
    pub horario: HorarioDevolucao,
    pub status: DevolucaoStatus,
    /// Why it was not made, when `NAO_REALIZADO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motivo: Option<String>,
}

/// When a refund was asked for and settled (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HorarioDevolucao {
    pub solicitacao: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liquidacao: Option<String>,
}

// ---------------------------------------------------------------- webhooks

/// What the PSP POSTs to `<webhookUrl>/pix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixWebhook {
    pub pix: Vec<ReceivedPix>,
}

/// What the PSP POSTs about recurrences (Pix Automático).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecWebhook {
    pub recs: Vec<Rec>,
}

/// What the PSP POSTs about recurring charges (Pix Automático).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CobrWebhook {
    pub cobsr: Vec<Cobr>,
}

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub webhook_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chave: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criacao: Option<String>,
}

// ---------------------------------------------------------------- Pix Automático

/// How often a recurrence charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Periodicidade {
    Semanal,
    Mensal,
    Trimestral,
    Semestral,
    Anual,
}

/// Whether the payer's PSP retries a failed charge (up to 3 times in 7 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoliticaRetentativa {
    #[serde(rename = "NAO_PERMITE")]
    NaoPermite,
    #[serde(rename = "PERMITE_3R_7D")]
    Permite3r7d,
}

/// What ties the recurrence to the receiver's contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vinculo {
    /// Text the payer recognises (≤ 35).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objeto: Option<String>,
    /// The receiver's contract number (≤ 35, required).
    pub contrato: String,
    /// The debtor: name and CPF or CNPJ, required.
    pub devedor: Pessoa,
}

/// When a recurrence charges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarioRec {
    /// First payment (`YYYY-MM-DD`).
    pub data_inicial: String,
    /// Last one; absent for no end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_final: Option<String>,
    pub periodicidade: Periodicidade,
}

/// A fixed amount (`valorRec`) or the least the receiver accepts when the
/// payer sets a ceiling (`valorMinimoRecebedor`); never both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValorRec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valor_rec: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valor_minimo_recebedor: Option<Amount>,
}

/// The journey's data: the txid of the first immediate charge in journey 3.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ativacao {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tipo_jornada: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dados_jornada: Option<DadosJornada>,
}

/// See [`Ativacao`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DadosJornada {
    pub txid: String,
}

/// `POST /rec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecRequest {
    pub vinculo: Vinculo,
    pub calendario: CalendarioRec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valor: Option<ValorRec>,
    pub politica_retentativa: PoliticaRetentativa,
    /// A location made with `POST /locrec`, for a QR code journey.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ativacao: Option<Ativacao>,
}

/// A recurrence's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecStatus {
    Criada,
    Aprovada,
    Rejeitada,
    Expirada,
    Cancelada,
}

/// One change of state, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Atualizacao<S> {
    pub status: S,
    /// RFC 3339.
    pub data: String,
}

/// The receiver of a recurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recebedor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ispb_participante: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnpj: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convenio: Option<String>,
}

/// What a QR code journey shows (in `GET /rec/{idRec}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DadosQr {
    pub jornada: String,
    pub pix_copia_e_cola: String,
}

/// A recurrence (Pix Automático authorisation) as the PSP returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rec {
    /// `RR…` (with retries) or `RN…` (without), 29 characters.
    pub id_rec: String,
    pub vinculo: Vinculo,
    pub calendario: CalendarioRec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valor: Option<ValorRec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recebedor: Option<Recebedor>,
    pub status: RecStatus,
    pub politica_retentativa: PoliticaRetentativa,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loc: Option<Loc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ativacao: Option<Ativacao>,
    #[serde(default)]
    pub atualizacao: Vec<Atualizacao<RecStatus>>,
    #[serde(default, rename = "dadosQR", skip_serializing_if = "Option::is_none")]
    pub dados_qr: Option<DadosQr>,
    /// Why it ended (`rejeicao` or `cancelamento`), kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encerramento: Option<serde_json::Value>,
}

/// Where the authorisation request goes: the payer's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destinatario {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnpj: Option<String>,
    pub conta: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agencia: Option<String>,
    /// The payer's PSP (8 digits).
    pub ispb_participante: String,
}

/// `calendario` of an authorisation request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarioSolicRec {
    /// Until when the payer may answer (RFC 3339).
    pub data_expiracao_solicitacao: String,
}

/// `POST /solicrec`: asks the payer's PSP to show the recurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SolicRecRequest {
    pub id_rec: String,
    pub calendario: CalendarioSolicRec,
    pub destinatario: Destinatario,
}

/// An authorisation request's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SolicRecStatus {
    Criada,
    Enviada,
    Recebida,
    Aceita,
    Rejeitada,
    Expirada,
    Cancelada,
}

/// An authorisation request as the PSP returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SolicRec {
    pub id_solic_rec: String,
    pub id_rec: String,
    pub calendario: CalendarioSolicRec,
    pub status: SolicRecStatus,
    pub destinatario: Destinatario,
    #[serde(default)]
    pub atualizacao: Vec<Atualizacao<SolicRecStatus>>,
}

/// `calendario` of a recurring charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarioCobr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criacao: Option<String>,
    /// `YYYY-MM-DD`; at least 2 and at most 10 days after the request.
    pub data_de_vencimento: String,
}

/// `PUT /cobr/{txid}`: one charge of an approved recurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CobrRequest {
    pub id_rec: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_adicional: Option<String>,
    pub calendario: CalendarioCobr,
    pub valor: ValorCob,
    /// Moves a due date on a non-business day to the next business day.
    pub ajuste_dia_util: bool,
}

/// A recurring charge's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CobrStatus {
    Criada,
    Ativa,
    Concluida,
    Expirada,
    Rejeitada,
    Cancelada,
}

/// A recurring charge as the PSP returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cobr {
    pub id_rec: String,
    pub txid: Txid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_adicional: Option<String>,
    pub calendario: CalendarioCobr,
    pub valor: ValorCob,
    #[serde(default)]
    pub ajuste_dia_util: bool,
    pub status: CobrStatus,
    #[serde(default)]
    pub atualizacao: Vec<Atualizacao<CobrStatus>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pix: Vec<ReceivedPix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encerramento: Option<serde_json::Value>,
}
