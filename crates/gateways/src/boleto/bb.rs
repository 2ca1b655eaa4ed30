//! Banco do Brasil (001), API Cobranças v2.
//!
//! Source: developers.bb.com.br, "API Cobranças" v2 — OAuth 2.0 client
//! credentials at the OAuth host, then every call with a Bearer token and the
//! developer application key as the `gw-dev-app-key` query parameter.
//! Amounts travel as decimal numbers of reais, dates as `dd.mm.yyyy`.
//!
//! The nosso número of a 7-digit convênio is `000` + convênio + a 10-digit
//! sequence (our [`BoletoRequest::number`]); the bank's linha digitável and
//! barcode are checked against what that implies (brpay's free field for a
//! 7-digit convênio), so a boleto whose codes do not add up is never printed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value;

use super::{
    BoletoBank, BoletoPix, BoletoRequest, BoletoStatus, BoxFuture, Error, FineValue, PaidBoleto,
    Payment, RegisteredBoleto,
};
use crate::http::{self, Request};

/// Production API base URL.
pub const PRODUCTION_API: &str = "https://api.bb.com.br/cobrancas/v2/";
/// Production OAuth base URL.
pub const PRODUCTION_OAUTH: &str = "https://oauth.bb.com.br/";
/// Sandbox API base URL.
pub const SANDBOX_API: &str = "https://api.sandbox.bb.com.br/cobrancas/v2/";
/// Sandbox OAuth base URL.
pub const SANDBOX_OAUTH: &str = "https://oauth.sandbox.bb.com.br/";
/// The scopes the boleto operations need.
pub const SCOPES: &str = "cobrancas.boletos-requisicao cobrancas.boletos-info";

/// Pages a paid-list sweep follows at most (BB pages hold up to 300 boletos).
const MAX_PAGES: usize = 1000;
/// A token is renewed this long before BB says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(30);

/// How to reach Banco do Brasil and which agreement to bill under.
#[derive(Clone)]
pub struct Config {
    /// The API (base URL ending in `cobrancas/v2/`).
    pub api: http::Config,
    /// The OAuth server (base URL of `oauth/token`).
    pub oauth: http::Config,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: String,
    /// Developer application key (`gw-dev-app-key`).
    pub app_key: String,
    /// Convênio de cobrança, 7 digits.
    pub convenio: String,
    /// Carteira (usually 17).
    pub carteira: u32,
    /// Variação da carteira (e.g. 35).
    pub variacao: u32,
    /// Modalidade: 1 simples, 4 vinculada.
    pub modalidade: u32,
    /// Beneficiary's branch (agência), digits, for the paid-list sweep.
    pub agencia: String,
    /// Beneficiary's account (conta), digits, for the paid-list sweep.
    pub conta: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out of logs.
        f.debug_struct("Config")
            .field("api", &self.api.base_url)
            .field("oauth", &self.oauth.base_url)
            .field("client_id", &self.client_id)
            .field("convenio", &self.convenio)
            .field("carteira", &self.carteira)
            .field("variacao", &self.variacao)
            .finish_non_exhaustive()
    }
}

struct Token {
    value: String,
    until: Instant,
}

/// A Banco do Brasil boleto client.
pub struct BancoDoBrasil {
    api: http::Client,
    oauth: http::Client,
    config: Config,
    token: Mutex<Option<Token>>,
}

impl std::fmt::Debug for BancoDoBrasil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BancoDoBrasil")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl BancoDoBrasil {
    /// Builds the client; the convênio must have 7 digits (the only kind the
    /// API registers with a bank-independent nosso número).
    pub fn new(config: Config) -> Result<BancoDoBrasil, Error> {
        if config.convenio.len() != 7 || !config.convenio.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Invalid {
                field: "convenio",
                reason: "must be 7 digits".into(),
            });
        }
        for (field, value) in [
            ("client_id", &config.client_id),
            ("client_secret", &config.client_secret),
            ("app_key", &config.app_key),
        ] {
            if value.trim().is_empty() {
                return Err(Error::Invalid {
                    field,
                    reason: "is required".into(),
                });
            }
        }
        Ok(BancoDoBrasil {
            api: http::Client::new(&config.api)?,
            oauth: http::Client::new(&config.oauth)?,
            config,
            token: Mutex::new(None),
        })
    }

    /// The nosso número BB gives the boleto with our sequence `number`.
    pub fn nosso_numero(&self, number: u64) -> String {
        format!("000{}{number:010}", self.config.convenio)
    }

    fn cached_token(&self) -> Option<String> {
        let guard = self.token.lock().ok()?;
        guard
            .as_ref()
            .filter(|t| t.until > Instant::now())
            .map(|t| t.value.clone())
    }

    fn forget_token(&self) {
        if let Ok(mut guard) = self.token.lock() {
            *guard = None;
        }
    }

    /// A valid access token, asking the OAuth server only when the cached one
    /// is missing or about to expire.
    async fn token(&self) -> Result<String, Error> {
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        #[derive(Serialize)]
        struct Form<'a> {
            grant_type: &'a str,
            scope: &'a str,
        }
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.config.client_id, self.config.client_secret
        ));
        let request = Request::post("oauth/token")
            .header("authorization", format!("Basic {basic}"))
            .form(&Form {
                grant_type: "client_credentials",
                scope: SCOPES,
            });
        let answer = self.oauth.send(request).await.map_err(bank_error)?;
        let body: Value = answer.json()?;
        let value = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Bank {
                status: answer.status.as_u16(),
                code: String::new(),
                message: "OAuth answer without access_token".into(),
            })?
            .to_owned();
        let lifetime = body
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(600);
        let lifetime = Duration::from_secs(lifetime).saturating_sub(TOKEN_MARGIN);
        if let Ok(mut guard) = self.token.lock() {
            *guard = Some(Token {
                value: value.clone(),
                until: Instant::now() + lifetime,
            });
        }
        Ok(value)
    }

    /// Sends an API request with the token and app key; a 401 (token
    /// revoked or expired early) renews the token once.
    async fn call(&self, build: impl Fn() -> Request) -> Result<http::Response, Error> {
        for attempt in 0..2 {
            let token = self.token().await?;
            let request = build()
                .query("gw-dev-app-key", self.config.app_key.clone())
                .bearer(&token);
            match self.api.send(request).await {
                Err(e) if attempt == 0 && e.status().map(|s| s.as_u16()) == Some(401) => {
                    tracing::debug!("BB refused the token; asking for a new one");
                    self.forget_token();
                }
                Err(e) => return Err(bank_error(e)),
                Ok(answer) => return Ok(answer),
            }
        }
        Err(Error::Bank {
            status: 401,
            code: String::new(),
            message: "unauthorized after renewing the token".into(),
        })
    }

    fn register_body(&self, r: &BoletoRequest) -> Value {
        let doc: String = r
            .payer
            .document
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let cep: String = r.payer.cep.chars().filter(char::is_ascii_digit).collect();
        let mut body = serde_json::json!({
            "numeroConvenio": number(&self.config.convenio),
            "numeroCarteira": self.config.carteira,
            "numeroVariacaoCarteira": self.config.variacao,
            "codigoModalidade": self.config.modalidade,
            "dataEmissao": bb_date(r.issue_date),
            "dataVencimento": bb_date(r.due_date),
            "valorOriginal": reais(r.amount),
            "codigoAceite": "N",
            // 2 = DM, duplicata mercantil: what service invoices are issued as.
            "codigoTipoTitulo": 2,
            "descricaoTipoTitulo": "DM",
            "indicadorPermissaoRecebimentoParcial": "N",
            "numeroTituloBeneficiario": r.reference.trim().to_uppercase(),
            "numeroTituloCliente": self.nosso_numero(r.number),
            "pagador": {
                "tipoInscricao": if doc.len() == 11 { 1 } else { 2 },
                "numeroInscricao": number(&doc),
                "nome": r.payer.name.trim(),
                "endereco": r.payer.address.trim(),
                "cep": number(&cep),
                "cidade": r.payer.city.trim(),
                "bairro": r.payer.district.trim(),
                "uf": r.payer.uf.trim(),
            },
            "indicadorPix": if r.with_pix { "S" } else { "N" },
        });
        let message = r.messages.join(" ");
        if !message.trim().is_empty() {
            body["mensagemBloquetoOcorrencia"] = Value::from(message.trim());
        }
        if let Some(f) = &r.fine {
            body["multa"] = match f.value {
                FineValue::Amount(a) => serde_json::json!({
                    "tipo": 1, "data": bb_date(f.from), "valor": reais(a)
                }),
                FineValue::Percent(bps) => serde_json::json!({
                    "tipo": 2, "data": bb_date(f.from), "porcentagem": percent(bps)
                }),
            };
        }
        if let Some(i) = &r.interest {
            // tipo 2: monthly rate.
            body["jurosMora"] =
                serde_json::json!({ "tipo": 2, "porcentagem": percent(i.monthly_bps) });
        }
        if let Some(d) = &r.discount {
            body["desconto"] = match d.value {
                FineValue::Amount(a) => serde_json::json!({
                    "tipo": 1, "dataExpiracao": bb_date(d.until), "valor": reais(a)
                }),
                FineValue::Percent(bps) => serde_json::json!({
                    "tipo": 2, "dataExpiracao": bb_date(d.until), "porcentagem": percent(bps)
                }),
            };
        }
        body
    }

    /// Checks BB's answer against the request: nosso número, and linha
    /// digitável and barcode recomputed with brpay.
    fn check_answer(&self, r: &BoletoRequest, answer: &Value) -> Result<RegisteredBoleto, Error> {
        let expected_nn = self.nosso_numero(r.number);
        let nosso_numero = str_field(answer, "numero").unwrap_or_default();
        let inconsistent = |detail: String| Error::Inconsistent {
            nosso_numero: if nosso_numero.is_empty() {
                expected_nn.clone()
            } else {
                nosso_numero.clone()
            },
            detail,
        };
        if nosso_numero != expected_nn {
            return Err(inconsistent(format!(
                "numero {nosso_numero:?}, expected {expected_nn:?}"
            )));
        }
        let line = str_field(answer, "linhaDigitavel").unwrap_or_default();
        let barcode = str_field(answer, "codigoBarraNumerico").unwrap_or_default();
        let decoded = match brpay::boleto::decode_at(&line, r.due_date) {
            Ok(brpay::boleto::Decoded::Bank(b)) => b,
            Ok(_) => return Err(inconsistent("linhaDigitavel is not a bank boleto".into())),
            Err(e) => return Err(inconsistent(format!("linhaDigitavel {line:?}: {e}"))),
        };
        if decoded.barcode != barcode {
            return Err(inconsistent(format!(
                "codigoBarraNumerico {barcode:?} differs from the linha digitável's {}",
                decoded.barcode
            )));
        }
        let carteira = format!("{:02}", self.config.carteira % 100);
        let sequence = format!("{:010}", r.number);
        let free = brpay::boleto::banks::banco_do_brasil::free_field_convenio7(
            &self.config.convenio,
            &sequence,
            &carteira,
        )
        .map_err(|e| inconsistent(format!("free field: {e}")))?;
        let expected = brpay::boleto::Boleto::new("001", Some(r.due_date), r.amount, &free)
            .map_err(|e| inconsistent(format!("expected boleto: {e}")))?;
        if decoded.barcode != expected.barcode {
            return Err(inconsistent(format!(
                "barcode {} is not the expected {} (bank 001, amount, due date, convênio, nosso número, carteira)",
                decoded.barcode, expected.barcode
            )));
        }
        let pix = match answer.get("qrCode") {
            Some(qr) => match str_field(qr, "emv").filter(|e| !e.is_empty()) {
                Some(emv) => {
                    if let Err(e) = brpay::pix::parse(&emv) {
                        return Err(inconsistent(format!("qrCode.emv: {e}")));
                    }
                    Some(BoletoPix {
                        emv,
                        txid: str_field(qr, "txId").unwrap_or_default(),
                        url: str_field(qr, "url").filter(|u| !u.is_empty()),
                    })
                }
                None => None,
            },
            None => None,
        };
        if r.with_pix && pix.is_none() {
            // The convênio may not be enabled for Pix: the boleto is still good.
            tracing::warn!(
                nosso_numero,
                "BB registered a hybrid boleto without a Pix QR code"
            );
        }
        Ok(RegisteredBoleto {
            nosso_numero,
            linha_digitavel: decoded.digitable_line,
            barcode: decoded.barcode,
            pix,
        })
    }

    async fn do_register(&self, r: &BoletoRequest) -> Result<RegisteredBoleto, Error> {
        r.validate()?;
        let body = self.register_body(r);
        let answer = match self.call(|| Request::post("boletos").json(&body)).await {
            Ok(answer) => answer,
            // A refusal or a lost answer may hide an earlier registration of
            // the same number (a retry after a timeout or a crash): the same
            // boleto, still open, is that registration's result.
            Err(e @ (Error::Bank { status: 400, .. } | Error::Http(_))) => {
                return match self.recover(r).await {
                    Ok(Some(registered)) => Ok(registered),
                    Ok(None) => Err(e),
                    Err(other) => {
                        tracing::debug!(error = %other, "could not look for an earlier registration");
                        Err(e)
                    }
                };
            }
            Err(e) => return Err(e),
        };
        let answer: Value = answer.json()?;
        self.check_answer(r, &answer)
    }

    /// The boleto registered earlier with `r.number`, when it is open and
    /// its codes are exactly the ones `r` implies.
    async fn recover(&self, r: &BoletoRequest) -> Result<Option<RegisteredBoleto>, Error> {
        let nosso_numero = self.nosso_numero(r.number);
        let path = format!("boletos/{nosso_numero}");
        let detail = match self
            .call(|| Request::get(&path).query("numeroConvenio", self.config.convenio.clone()))
            .await
        {
            Ok(answer) => answer.json::<Value>()?,
            Err(Error::Bank { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if detail
            .get("codigoEstadoTituloCobranca")
            .and_then(Value::as_u64)
            != Some(1)
        {
            return Ok(None);
        }
        let line = str_field(&detail, "codigoLinhaDigitavel").unwrap_or_default();
        let Ok(brpay::boleto::Decoded::Bank(decoded)) = brpay::boleto::decode_at(&line, r.due_date)
        else {
            return Ok(None);
        };
        let answer = serde_json::json!({
            "numero": nosso_numero,
            "linhaDigitavel": line,
            "codigoBarraNumerico": decoded.barcode,
            "qrCode": detail.get("qrCode").cloned().unwrap_or(Value::Null),
        });
        match self.check_answer(r, &answer) {
            Ok(registered) => {
                tracing::info!(nosso_numero, "boleto was already registered; using it");
                Ok(Some(registered))
            }
            Err(_) => Ok(None),
        }
    }

    async fn do_get(&self, nosso_numero: &str) -> Result<BoletoStatus, Error> {
        check_nn(nosso_numero)?;
        let path = format!("boletos/{nosso_numero}");
        let answer = self
            .call(|| Request::get(&path).query("numeroConvenio", self.config.convenio.clone()))
            .await
            .map_err(|e| not_found(e, nosso_numero))?;
        let v: Value = answer.json()?;
        let code = v
            .get("codigoEstadoTituloCobranca")
            .and_then(|c| c.as_u64().or_else(|| c.as_str()?.trim().parse().ok()))
            .ok_or_else(|| Error::Bank {
                status: answer.status.as_u16(),
                code: String::new(),
                message: "answer without codigoEstadoTituloCobranca".into(),
            })?;
        Ok(match code {
            // normal; in the notary's hands but still owed.
            1..=5 | 8 | 9 | 13 => BoletoStatus::Open,
            // liquidado, and settled through the notary or credited.
            6 | 10 | 11 | 12 | 16 => {
                let amount = money(v.get("valorPagoSacado")).unwrap_or(0);
                let credited = money(v.get("valorCreditoCedente"));
                let late = match (
                    money(v.get("valorJuroMoraRecebido")),
                    money(v.get("valorMultaRecebido")),
                ) {
                    (None, None) => None,
                    (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
                };
                BoletoStatus::Paid(Payment {
                    amount,
                    paid_on: date_field(&v, "dataRecebimentoTitulo"),
                    credited_on: date_field(&v, "dataCreditoLiquidacao"),
                    fees: credited
                        .filter(|c| *c > 0)
                        .map(|c| amount - c)
                        .filter(|f| *f >= 0),
                    late_charges: late,
                })
            }
            7 => BoletoStatus::Canceled,
            other => BoletoStatus::Other {
                code: other.to_string(),
                description: state_name(other).to_owned(),
            },
        })
    }

    async fn do_list_paid(&self, from: Date, to: Date) -> Result<Vec<PaidBoleto>, Error> {
        if to < from {
            return Err(Error::Invalid {
                field: "to",
                reason: format!("{to} is before {from}"),
            });
        }
        let mut out = Vec::new();
        let mut index: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let build = || {
                let mut q = Request::get("boletos")
                    .query("indicadorSituacao", "B")
                    .query("agenciaBeneficiario", self.config.agencia.clone())
                    .query("contaBeneficiario", self.config.conta.clone())
                    .query("carteiraConvenio", self.config.carteira.to_string())
                    .query("variacaoCarteiraConvenio", self.config.variacao.to_string())
                    .query("codigoEstadoTituloCobranca", "6")
                    .query("dataInicioMovimento", bb_date(from))
                    .query("dataFimMovimento", bb_date(to));
                if let Some(i) = &index {
                    q = q.query("indice", i.clone());
                }
                q
            };
            let answer = match self.call(build).await {
                // BB answers "no boletos" with a 404.
                Err(Error::Bank { status: 404, .. }) => break,
                other => other?,
            };
            let v: Value = answer.json()?;
            for b in v
                .get("boletos")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(nn) = str_field(b, "numeroBoletoBB") else {
                    continue;
                };
                out.push(PaidBoleto {
                    nosso_numero: nn,
                    amount: money(b.get("valorPago")).unwrap_or(0),
                    paid_on: date_field(b, "dataMovimento"),
                    credited_on: date_field(b, "dataCredito"),
                });
            }
            let more = str_field(&v, "indicadorContinuidade").is_some_and(|s| s == "S");
            let next = v.get("proximoIndice").and_then(|i| match i {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) => Some(s.clone()),
                _ => None,
            });
            match (more, next) {
                (true, Some(n)) if Some(&n) != index.as_ref() => index = Some(n),
                _ => return Ok(out),
            }
        }
        Ok(out)
    }

    async fn do_cancel(&self, nosso_numero: &str) -> Result<(), Error> {
        check_nn(nosso_numero)?;
        let path = format!("boletos/{nosso_numero}/baixar");
        let body = serde_json::json!({ "numeroConvenio": number(&self.config.convenio) });
        self.call(|| Request::post(&path).json(&body))
            .await
            .map_err(|e| not_found(e, nosso_numero))?;
        Ok(())
    }
}

impl BoletoBank for BancoDoBrasil {
    fn register<'a>(
        &'a self,
        request: &'a BoletoRequest,
    ) -> BoxFuture<'a, Result<RegisteredBoleto, Error>> {
        Box::pin(self.do_register(request))
    }

    fn get<'a>(&'a self, nosso_numero: &'a str) -> BoxFuture<'a, Result<BoletoStatus, Error>> {
        Box::pin(self.do_get(nosso_numero))
    }

    fn list_paid<'a>(
        &'a self,
        from: Date,
        to: Date,
    ) -> BoxFuture<'a, Result<Vec<PaidBoleto>, Error>> {
        Box::pin(self.do_list_paid(from, to))
    }

    fn cancel<'a>(&'a self, nosso_numero: &'a str) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.do_cancel(nosso_numero))
    }
}

/// The name BB gives each `codigoEstadoTituloCobranca`.
pub fn state_name(code: u64) -> &'static str {
    match code {
        1 => "NORMAL",
        2 => "MOVIMENTO CARTORIO",
        3 => "EM CARTORIO",
        4 => "TITULO COM OCORRENCIA DE CARTORIO",
        5 => "PROTESTADO ELETRONICO",
        6 => "LIQUIDADO",
        7 => "BAIXADO",
        8 => "TITULO COM PENDENCIA DE CARTORIO",
        9 => "TITULO PROTESTADO MANUAL",
        10 => "TITULO BAIXADO/PAGO EM CARTORIO",
        11 => "TITULO LIQUIDADO/PROTESTADO",
        12 => "TITULO LIQUID/PGCRTO",
        13 => "TITULO PROTESTADO AGUARDANDO BAIXA",
        14 => "TITULO EM LIQUIDACAO",
        15 => "TITULO AGENDADO",
        16 => "TITULO CREDITADO",
        17 => "PAGO EM CHEQUE - AGUARDANDO LIQUIDACAO",
        18 => "PAGO PARCIALMENTE",
        19 => "PAGO PARCIALMENTE CREDITADO",
        21 => "TITULO AGENDADO COMPE",
        80 => "EM PROCESSAMENTO",
        _ => "",
    }
}

/// A nosso número goes into a URL path: digits only.
fn check_nn(nosso_numero: &str) -> Result<(), Error> {
    if nosso_numero.is_empty()
        || nosso_numero.len() > 20
        || !nosso_numero.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Error::Invalid {
            field: "nosso_numero",
            reason: format!("{nosso_numero:?} is not up to 20 digits"),
        });
    }
    Ok(())
}

fn not_found(e: Error, nosso_numero: &str) -> Error {
    match e {
        Error::Bank { status: 404, .. } => Error::NotFound(nosso_numero.to_owned()),
        other => other,
    }
}

/// Turns a non-2xx answer into BB's error: `erros[]` (codigo, mensagem) from
/// the API, `errors[]` (code, message) from the gateway, or OAuth's
/// `error`/`error_description`.
fn bank_error(e: http::Error) -> Error {
    let http::Error::Status { status, body, .. } = &e else {
        return Error::Http(e);
    };
    let status = status.as_u16();
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let first = |list: &str, code: &str, message: &str| {
        let item = v.get(list)?.as_array()?.first()?;
        let text = |k: &str| match item.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        Some((text(code), text(message)))
    };
    let found = first("erros", "codigo", "mensagem")
        .or_else(|| first("errors", "code", "message"))
        .or_else(|| {
            let code = str_field(&v, "error")?;
            let message = str_field(&v, "error_description")
                .or_else(|| str_field(&v, "message"))
                .unwrap_or_default();
            Some((code, message))
        });
    let (code, message) = found.unwrap_or_else(|| (String::new(), body.clone()));
    Error::Bank {
        status,
        code,
        message,
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `dd.mm.yyyy`, BB's date format.
pub fn bb_date(d: Date) -> String {
    format!("{:02}.{:02}.{:04}", d.day(), d.month(), d.year())
}

/// Parses `dd.mm.yyyy`; `None` for empty or malformed text.
pub fn parse_bb_date(s: &str) -> Option<Date> {
    let mut parts = s.trim().split('.');
    let day = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Date::new(year, month, day).ok()
}

fn date_field(v: &Value, key: &str) -> Option<Date> {
    parse_bb_date(&str_field(v, key)?)
}

/// Centavos as a JSON number of reais (`12990` → `129.9`); exact, since the
/// nearest double to a two-decimal value prints back as that value.
pub fn reais(centavos: i64) -> Value {
    serde_json::Number::from_f64(centavos as f64 / 100.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn percent(bps: u32) -> Value {
    serde_json::Number::from_f64(f64::from(bps) / 100.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A decimal amount of reais (number or text) in centavos, read from its
/// decimal text so no binary rounding creeps in.
pub fn money(v: Option<&Value>) -> Option<i64> {
    let text = match v? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    decimal_to_centavos(&text)
}

fn decimal_to_centavos(text: &str) -> Option<i64> {
    if text.contains(['e', 'E']) {
        let f: f64 = text.parse().ok()?;
        return Some((f * 100.0).round() as i64);
    }
    let (neg, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut cents = 0i64;
    for (i, b) in frac.bytes().take(2).enumerate() {
        cents += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    // Round half up on the third decimal (BB sends two).
    if frac.len() > 2 && frac.as_bytes()[2] >= b'5' {
        cents += 1;
    }
    let total = whole.checked_mul(100)?.checked_add(cents)?;
    Some(if neg { -total } else { total })
}

fn number(digits: &str) -> Value {
    digits
        .parse::<u64>()
        .map(Value::from)
        .unwrap_or_else(|_| Value::from(digits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn dates_go_both_ways() {
        assert_eq!(bb_date(date(2026, 3, 5)), "05.03.2026");
        assert_eq!(parse_bb_date("05.03.2026"), Some(date(2026, 3, 5)));
        assert_eq!(parse_bb_date(""), None);
        assert_eq!(parse_bb_date("31.02.2026"), None);
    }

    #[test]
    fn money_is_read_from_its_decimal_text() {
        assert_eq!(money(Some(&serde_json::json!(129.9))), Some(12_990));
        assert_eq!(money(Some(&serde_json::json!(0.1))), Some(10));
        assert_eq!(money(Some(&serde_json::json!("1234.56"))), Some(123_456));
        assert_eq!(money(Some(&serde_json::json!(7))), Some(700));
        assert_eq!(money(Some(&serde_json::json!("abc"))), None);
        assert_eq!(reais(12_990).to_string(), "129.9");
        assert_eq!(reais(1).to_string(), "0.01");
    }

    #[test]
    fn bank_errors_name_the_message_in_each_shape() {
        let status = |body: &str| http::Error::Status {
            method: reqwest::Method::POST,
            url: "u".into(),
            status: reqwest::StatusCode::BAD_REQUEST,
            body: body.into(),
        };
        let e = bank_error(status(
            r#"{"erros":[{"codigo":"4874915","versao":"1","mensagem":"Data de vencimento invalida","ocorrencia":"x"}]}"#,
        ));
        assert!(
            matches!(&e, Error::Bank { code, message, .. } if code == "4874915" && message == "Data de vencimento invalida"),
            "{e:?}"
        );
        let e = bank_error(status(r#"{"errors":[{"code":"4","message":"app key"}]}"#));
        assert!(
            matches!(&e, Error::Bank { message, .. } if message == "app key"),
            "{e:?}"
        );
        let e = bank_error(status(
            r#"{"error":"invalid_client","error_description":"bad"}"#,
        ));
        assert!(
            matches!(&e, Error::Bank { code, .. } if code == "invalid_client"),
            "{e:?}"
        );
    }
}

#[cfg(test)]
mod consistency {
    use super::*;
    use crate::boleto::tests::request;

    fn bank() -> BancoDoBrasil {
        BancoDoBrasil::new(Config {
            api: http::Config::new("http://127.0.0.1:9/cobrancas/v2/"),
            oauth: http::Config::new("http://127.0.0.1:9/"),
            client_id: "id".into(),
            client_secret: "secret".into(),
            app_key: "key".into(),
            convenio: "3128557".into(),
            carteira: 17,
            variacao: 35,
            modalidade: 1,
            agencia: "452".into(),
            conta: "123873".into(),
        })
        .expect("client")
    }

    fn answer(amount: i64, sequence: &str) -> Value {
        let free =
            brpay::boleto::banks::banco_do_brasil::free_field_convenio7("3128557", sequence, "17")
                .expect("free field");
        let b = brpay::boleto::Boleto::new("001", Some(request().due_date), amount, &free)
            .expect("boleto");
        serde_json::json!({
            "numero": "00031285570000000001",
            "linhaDigitavel": b.digitable_line,
            "codigoBarraNumerico": b.barcode,
            "qrCode": { "url": "", "txId": "", "emv": "" },
        })
    }

    #[test]
    fn an_answer_matching_the_request_is_accepted() {
        let reg = bank()
            .check_answer(&request(), &answer(12_990, "0000000001"))
            .expect("consistent");
        assert_eq!(reg.nosso_numero, "00031285570000000001");
        assert!(reg.pix.is_none());
    }

    #[test]
    fn codes_for_another_amount_or_number_are_refused() {
        for bad in [answer(12_991, "0000000001"), answer(12_990, "0000000002")] {
            let err = bank()
                .check_answer(&request(), &bad)
                .expect_err("inconsistent");
            assert!(
                matches!(&err, Error::Inconsistent { nosso_numero, .. } if nosso_numero == "00031285570000000001"),
                "{err:?}"
            );
        }
        let mut tampered = answer(12_990, "0000000001");
        tampered["codigoBarraNumerico"] = Value::from("0".repeat(44));
        let err = bank()
            .check_answer(&request(), &tampered)
            .expect_err("barcode differs");
        assert!(err.to_string().contains("codigoBarraNumerico"), "{err}");
        let mut broken_pix = answer(12_990, "0000000001");
        broken_pix["qrCode"]["emv"] = Value::from("000201not a br code");
        let err = bank()
            .check_answer(&request(), &broken_pix)
            .expect_err("bad emv");
        assert!(err.to_string().contains("qrCode.emv"), "{err}");
    }
}
