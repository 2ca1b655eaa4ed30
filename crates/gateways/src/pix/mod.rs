//! Client of the Banco Central's **API Pix** (v2), which every Pix PSP
//! offers to its receivers: immediate charges (`cob`), charges with a due
//! date (`cobv`), received Pix and their refunds, webhooks, and Pix
//! Automático (recurrences `rec`, authorisation requests `solicrec`,
//! recurring charges `cobr`).
//!
//! Authentication is OAuth2 client credentials (HTTP Basic
//! `client_id:client_secret`, form `grant_type=client_credentials`) over
//! mutual TLS with the certificate the PSP issued; the access token is kept
//! until shortly before it expires, and a 401 fetches a new one and repeats
//! the request once.
//!
//! Amounts travel as decimal text with two places and are parsed strictly
//! into centavos ([`Amount`]); errors the PSP reports as problem+json
//! (`type`, `title`, `status`, `detail`, `violacoes[]`) come back as
//! [`PixError::Api`] naming each violation.
//!
//! # Webhooks: what the application must check
//!
//! The PSP POSTs `{"pix":[…]}` to `<webhookUrl>/pix` (and recurrence and
//! recurring-charge events, `{"recs":[…]}` and `{"cobsr":[…]}`, to the URLs
//! registered for them). The specification authenticates the PSP by mutual
//! TLS, not by a signature, so the receiving endpoint must:
//!
//! 1. terminate TLS itself (or behind a proxy that forwards the verified
//!    client certificate) and *require* a client certificate;
//! 2. accept only a certificate that chains to the PSP's CA (configured per
//!    PSP, not the public web roots) and, where the PSP documents it, whose
//!    subject is the PSP's;
//! 3. treat the body only as a hint: parse it with [`parse_webhook`], then
//!    confirm each Pix with [`PixClient::get_pix`] (or the charge with
//!    [`PixClient::get_cob`]) before crediting anything, so a replayed or
//!    forged notification credits nothing that the PSP does not confirm;
//! 4. be idempotent by `endToEndId`, because PSPs repeat notifications and
//!    a periodic sweep ([`PixClient::list_pix`]) finds the ones that never
//!    arrived.
//!
//! # Pix Automático
//!
//! The recurrence, authorisation request and recurring charge types follow
//! API Pix v2.8 as summarised in public PSP documentation found through
//! search (the BCB's own OpenAPI file was not in the search corpus): field
//! names, required fields and statuses are those; the webhook payloads
//! `{"recs":[…]}` and `{"cobsr":[…]}` are modelled from the same sources.

mod types;

pub use types::*;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::http::{self, Client, Request};

/// How to reach one PSP's Pix API.
#[derive(Clone)]
pub struct PixConfig {
    /// The API's base URL, e.g. `https://pix.example-psp.com.br/api/v2/`.
    pub base_url: String,
    /// The OAuth2 token endpoint (absolute URL).
    pub oauth_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes to ask for (`cob.write cob.read pix.read …`); none asks for
    /// what the PSP grants by default.
    pub scopes: Vec<String>,
    /// The client certificate chain and key in PEM the PSP issued (mutual
    /// TLS, required by every PSP in production).
    pub identity_pem: Option<(String, String)>,
    /// Extra trust anchors in PEM (a PSP's private CA; tests' CA).
    pub extra_roots_pem: Vec<String>,
    /// Whole-request timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for PixConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret or the key.
        f.debug_struct("PixConfig")
            .field("base_url", &self.base_url)
            .field("oauth_url", &self.oauth_url)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("identity", &self.identity_pem.is_some())
            .finish_non_exhaustive()
    }
}

/// A problem+json error body (RFC 7807 as the Pix API uses it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violacoes: Vec<Violacao>,
}

/// One field the PSP refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violacao {
    pub razao: String,
    pub propriedade: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valor: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.title, self.kind)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        for v in &self.violacoes {
            write!(f, "; {}: {}", v.propriedade, v.razao)?;
        }
        Ok(())
    }
}

/// What went wrong with a Pix API call.
#[derive(Debug, thiserror::Error)]
pub enum PixError {
    /// The PSP refused the request with a problem+json body.
    #[error("{method} {path}: HTTP {status}: {problem}")]
    Api {
        method: Method,
        path: String,
        status: u16,
        /// Boxed: the error stays small on the happy path's `Result`.
        problem: Box<Problem>,
    },
    /// Transport, TLS, configuration or a non-problem error status.
    #[error(transparent)]
    Http(#[from] http::Error),
    /// The token endpoint refused our credentials or answered nonsense.
    #[error("OAuth token: {0}")]
    Token(String),
    /// A txid that is not 26 to 35 letters and digits.
    #[error("txid {txid:?}: must be 26 to 35 letters and digits")]
    InvalidTxid { txid: String },
    /// An amount that is not decimal text with two places.
    #[error("{field}: amount {value:?} is not decimal text with two places such as \"123.45\"")]
    InvalidAmount { field: String, value: String },
    /// A request field the specification does not allow (checked before sending).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A 2xx answer that is not what the specification documents; `path`
    /// names the field (`pix[0].valor`).
    #[error("{what}: unexpected answer at {path}: {message}")]
    Decode {
        what: String,
        path: String,
        message: String,
    },
}

impl PixError {
    /// The violations the PSP reported, if it reported any.
    pub fn violations(&self) -> &[Violacao] {
        match self {
            PixError::Api { problem, .. } => &problem.violacoes,
            _ => &[],
        }
    }

    /// The HTTP status of a refused request.
    pub fn status(&self) -> Option<u16> {
        match self {
            PixError::Api { status, .. } => Some(*status),
            PixError::Http(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }
}

/// Parses a body as `T`, naming the field that does not fit.
pub fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, PixError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| PixError::Decode {
        what: what.to_owned(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// Parses the body of a Pix webhook notification (`{"pix":[…]}`).
pub fn parse_webhook(body: &[u8]) -> Result<PixWebhook, PixError> {
    decode("webhook", body)
}

/// Parses a recurrence webhook notification (`{"recs":[…]}`).
pub fn parse_rec_webhook(body: &[u8]) -> Result<RecWebhook, PixError> {
    decode("webhook rec", body)
}

/// Parses a recurring-charge webhook notification (`{"cobsr":[…]}`).
pub fn parse_cobr_webhook(body: &[u8]) -> Result<CobrWebhook, PixError> {
    decode("webhook cobr", body)
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: String,
    expires_in: u64,
}

struct Token {
    value: String,
    fresh_until: Instant,
}

/// A client of one PSP's Pix API for one receiver account.
pub struct PixClient {
    api: Client,
    oauth: Client,
    oauth_path: String,
    config: PixConfig,
    token: Mutex<Option<Token>>,
}

impl PixClient {
    pub fn new(config: PixConfig) -> Result<PixClient, PixError> {
        let http_config = |base: &str| http::Config {
            base_url: base.to_owned(),
            timeout: config.timeout,
            attempts: 3,
            extra_roots_pem: config.extra_roots_pem.clone(),
            identity_pem: config.identity_pem.clone(),
        };
        let api = Client::new(&http_config(&config.base_url))?;
        // The token URL is absolute; the shared client joins paths under a
        // base, so split it into its folder and its last segment.
        let (base, path) = match config.oauth_url.rsplit_once('/') {
            Some((base, path)) if base.contains("://") && !base.ends_with('/') => {
                (format!("{base}/"), path.to_owned())
            }
            _ => {
                return Err(http::Error::Config(format!(
                    "OAuth URL {:?}: expected https://host/path/token",
                    config.oauth_url
                ))
                .into());
            }
        };
        let oauth = Client::new(&http_config(&base))?;
        Ok(PixClient {
            api,
            oauth,
            oauth_path: path,
            config,
            token: Mutex::new(None),
        })
    }

    /// A valid access token, from the cache or the token endpoint.
    async fn token(&self, renew: bool) -> Result<String, PixError> {
        let mut slot = self.token.lock().await;
        if !renew
            && let Some(t) = slot.as_ref()
            && Instant::now() < t.fresh_until
        {
            return Ok(t.value.clone());
        }
        #[derive(Serialize)]
        struct Form<'a> {
            grant_type: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            scope: Option<String>,
        }
        let scope = (!self.config.scopes.is_empty()).then(|| self.config.scopes.join(" "));
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", self.config.client_id, self.config.client_secret),
        );
        let request = Request::post(self.oauth_path.clone())
            .header("authorization", format!("Basic {basic}"))
            .form(&Form {
                grant_type: "client_credentials",
                scope,
            });
        let answer = self
            .oauth
            .send(request)
            .await
            .map_err(|e| match e.status() {
                Some(s) => {
                    PixError::Token(format!("HTTP {s}: the PSP refused the client credentials"))
                }
                None => PixError::Http(e),
            })?;
        let t: TokenAnswer = decode("OAuth token", &answer.body)?;
        if !t.token_type.is_empty() && !t.token_type.eq_ignore_ascii_case("bearer") {
            return Err(PixError::Token(format!(
                "token_type {:?}, expected Bearer",
                t.token_type
            )));
        }
        // Renew a little before expiry so a request never leaves with a
        // token that dies on the way: 60 s early, or a tenth of short ones.
        let margin = (t.expires_in / 10).min(60);
        let fresh_until = Instant::now() + Duration::from_secs(t.expires_in.saturating_sub(margin));
        *slot = Some(Token {
            value: t.access_token.clone(),
            fresh_until,
        });
        Ok(t.access_token)
    }

    /// Sends an authorised request; on 401 renews the token and tries once more.
    async fn call(
        &self,
        make: impl Fn() -> Request,
        what: &str,
    ) -> Result<http::Response, PixError> {
        let mut renew = false;
        loop {
            let token = self.token(renew).await?;
            let request = make();
            let (method, path) = request_line(&make);
            match self.api.send(request.bearer(&token)).await {
                Ok(r) => return Ok(r),
                Err(e) if e.status() == Some(reqwest::StatusCode::UNAUTHORIZED) && !renew => {
                    tracing::debug!(what, "Pix API answered 401: renewing the token");
                    renew = true;
                }
                Err(e) => return Err(problem(e, method, path)),
            }
        }
    }

    async fn json<T: DeserializeOwned>(
        &self,
        make: impl Fn() -> Request,
        what: &str,
    ) -> Result<T, PixError> {
        let answer = self.call(make, what).await?;
        decode(what, &answer.body)
    }

    // ------------------------------------------------------------ cob

    /// Creates (or, with the same txid, returns) an immediate charge.
    pub async fn put_cob(&self, txid: &Txid, body: &CobRequest) -> Result<Cob, PixError> {
        if let Some(d) = &body.devedor {
            d.validate("devedor")?;
        }
        positive("valor.original", body.valor.original)?;
        let path = format!("cob/{txid}");
        self.json(|| Request::put(path.clone()).json(body), "cob")
            .await
    }

    pub async fn get_cob(&self, txid: &Txid) -> Result<Cob, PixError> {
        let path = format!("cob/{txid}");
        self.json(|| Request::get(path.clone()), "cob").await
    }

    /// Cancels an unpaid immediate charge (`REMOVIDA_PELO_USUARIO_RECEBEDOR`).
    pub async fn cancel_cob(&self, txid: &Txid) -> Result<Cob, PixError> {
        let path = format!("cob/{txid}");
        let body = serde_json::json!({ "status": "REMOVIDA_PELO_USUARIO_RECEBEDOR" });
        self.json(|| Request::patch(path.clone()).json(&body), "cob")
            .await
    }

    /// Creates a charge with a due date (the debtor's name and document are required).
    pub async fn put_cobv(&self, txid: &Txid, body: &CobvRequest) -> Result<Cob, PixError> {
        body.devedor.validate("devedor")?;
        positive("valor.original", body.valor.original)?;
        date(
            "calendario.dataDeVencimento",
            &body.calendario.data_de_vencimento,
        )?;
        let path = format!("cobv/{txid}");
        self.json(|| Request::put(path.clone()).json(body), "cobv")
            .await
    }

    pub async fn get_cobv(&self, txid: &Txid) -> Result<Cob, PixError> {
        let path = format!("cobv/{txid}");
        self.json(|| Request::get(path.clone()), "cobv").await
    }

    /// Cancels an unpaid charge with a due date.
    pub async fn cancel_cobv(&self, txid: &Txid) -> Result<Cob, PixError> {
        let path = format!("cobv/{txid}");
        let body = serde_json::json!({ "status": "REMOVIDA_PELO_USUARIO_RECEBEDOR" });
        self.json(|| Request::patch(path.clone()).json(&body), "cobv")
            .await
    }

    // ------------------------------------------------------------ pix

    /// Every Pix received between `inicio` and `fim`, across all pages.
    pub async fn list_pix(
        &self,
        inicio: jiff::Timestamp,
        fim: jiff::Timestamp,
    ) -> Result<Vec<ReceivedPix>, PixError> {
        let (inicio, fim) = (inicio.to_string(), fim.to_string());
        let mut all = Vec::new();
        let mut page = 0u32;
        loop {
            let answer: PixPage = self
                .json(
                    || {
                        Request::get("pix")
                            .query("inicio", inicio.clone())
                            .query("fim", fim.clone())
                            .query("paginacao.paginaAtual", page.to_string())
                    },
                    "pix",
                )
                .await?;
            all.extend(answer.pix);
            page += 1;
            // A PSP that stops paging mid-way must not loop us forever.
            if page >= answer.parametros.paginacao.quantidade_de_paginas || page > 10_000 {
                return Ok(all);
            }
        }
    }

    pub async fn get_pix(&self, end_to_end_id: &str) -> Result<ReceivedPix, PixError> {
        let path = format!("pix/{}", segment("e2eid", end_to_end_id)?);
        self.json(|| Request::get(path.clone()), "pix").await
    }

    /// Asks for a refund `id` (chosen by us, so repeating is safe) of a received Pix.
    pub async fn put_devolucao(
        &self,
        end_to_end_id: &str,
        id: &str,
        body: &DevolucaoRequest,
    ) -> Result<Devolucao, PixError> {
        positive("valor", body.valor)?;
        let path = format!(
            "pix/{}/devolucao/{}",
            segment("e2eid", end_to_end_id)?,
            segment("id", id)?
        );
        self.json(|| Request::put(path.clone()).json(body), "devolucao")
            .await
    }

    pub async fn get_devolucao(
        &self,
        end_to_end_id: &str,
        id: &str,
    ) -> Result<Devolucao, PixError> {
        let path = format!(
            "pix/{}/devolucao/{}",
            segment("e2eid", end_to_end_id)?,
            segment("id", id)?
        );
        self.json(|| Request::get(path.clone()), "devolucao").await
    }

    // ------------------------------------------------------------ webhooks

    /// Registers the URL the PSP notifies of Pix received on `chave`.
    pub async fn put_webhook(&self, chave: &str, webhook_url: &str) -> Result<(), PixError> {
        let path = format!("webhook/{}", segment("chave", chave)?);
        let body = serde_json::json!({ "webhookUrl": webhook_url });
        self.call(|| Request::put(path.clone()).json(&body), "webhook")
            .await?;
        Ok(())
    }

    pub async fn get_webhook(&self, chave: &str) -> Result<Webhook, PixError> {
        let path = format!("webhook/{}", segment("chave", chave)?);
        self.json(|| Request::get(path.clone()), "webhook").await
    }

    /// Registers the URL the PSP notifies of recurrence events.
    pub async fn put_webhook_rec(&self, webhook_url: &str) -> Result<(), PixError> {
        let body = serde_json::json!({ "webhookUrl": webhook_url });
        self.call(|| Request::put("webhookrec").json(&body), "webhookrec")
            .await?;
        Ok(())
    }

    /// Registers the URL the PSP notifies of recurring-charge events.
    pub async fn put_webhook_cobr(&self, webhook_url: &str) -> Result<(), PixError> {
        let body = serde_json::json!({ "webhookUrl": webhook_url });
        self.call(|| Request::put("webhookcobr").json(&body), "webhookcobr")
            .await?;
        Ok(())
    }

    // ------------------------------------------------------------ Pix Automático

    /// Creates a recurrence (status `CRIADA` until the payer approves it).
    pub async fn post_rec(&self, body: &RecRequest) -> Result<Rec, PixError> {
        body.vinculo.devedor.validate("vinculo.devedor")?;
        length("vinculo.contrato", &body.vinculo.contrato, 1, 35)?;
        if let Some(o) = &body.vinculo.objeto {
            length("vinculo.objeto", o, 1, 35)?;
        }
        date("calendario.dataInicial", &body.calendario.data_inicial)?;
        if let Some(v) = &body.valor {
            if v.valor_rec.is_some() && v.valor_minimo_recebedor.is_some() {
                return Err(PixError::Invalid {
                    field: "valor".into(),
                    reason: "valorRec and valorMinimoRecebedor exclude each other".into(),
                });
            }
            if let Some(a) = v.valor_rec {
                positive("valor.valorRec", a)?;
            }
        }
        // POST creates a new recurrence each time: never retried blindly.
        self.json(|| Request::post("rec").json(body), "rec").await
    }

    pub async fn get_rec(&self, id_rec: &str) -> Result<Rec, PixError> {
        let path = format!("rec/{}", segment("idRec", id_rec)?);
        self.json(|| Request::get(path.clone()), "rec").await
    }

    /// Cancels a recurrence (the receiver's side).
    pub async fn cancel_rec(&self, id_rec: &str) -> Result<Rec, PixError> {
        let path = format!("rec/{}", segment("idRec", id_rec)?);
        let body = serde_json::json!({ "status": "CANCELADA" });
        self.json(|| Request::patch(path.clone()).json(&body), "rec")
            .await
    }

    /// Sends the recurrence to the payer's PSP for authorisation.
    pub async fn post_solicrec(&self, body: &SolicRecRequest) -> Result<SolicRec, PixError> {
        segment("idRec", &body.id_rec)?;
        self.json(|| Request::post("solicrec").json(body), "solicrec")
            .await
    }

    pub async fn get_solicrec(&self, id_solic_rec: &str) -> Result<SolicRec, PixError> {
        let path = format!("solicrec/{}", segment("idSolicRec", id_solic_rec)?);
        self.json(|| Request::get(path.clone()), "solicrec").await
    }

    /// Creates one charge of an approved recurrence.
    pub async fn put_cobr(&self, txid: &Txid, body: &CobrRequest) -> Result<Cobr, PixError> {
        positive("valor.original", body.valor.original)?;
        date(
            "calendario.dataDeVencimento",
            &body.calendario.data_de_vencimento,
        )?;
        let path = format!("cobr/{txid}");
        self.json(|| Request::put(path.clone()).json(body), "cobr")
            .await
    }

    pub async fn get_cobr(&self, txid: &Txid) -> Result<Cobr, PixError> {
        let path = format!("cobr/{txid}");
        self.json(|| Request::get(path.clone()), "cobr").await
    }

    /// Cancels an unpaid recurring charge (the receiver's side).
    pub async fn cancel_cobr(&self, txid: &Txid) -> Result<Cobr, PixError> {
        let path = format!("cobr/{txid}");
        let body = serde_json::json!({ "status": "CANCELADA" });
        self.json(|| Request::patch(path.clone()).json(&body), "cobr")
            .await
    }
}

fn request_line(make: &impl Fn() -> Request) -> (Method, String) {
    let r = make();
    (r.method().clone(), r.path().to_owned())
}

/// Turns an error status with a problem+json body into [`PixError::Api`].
fn problem(e: http::Error, method: Method, path: String) -> PixError {
    if let http::Error::Status { status, body, .. } = &e
        && let Ok(p) = serde_json::from_str::<Problem>(body)
        && !p.title.is_empty()
    {
        return PixError::Api {
            method,
            path,
            status: status.as_u16(),
            problem: Box::new(p),
        };
    }
    PixError::Http(e)
}

fn positive(field: &str, a: Amount) -> Result<(), PixError> {
    if a.0 <= 0 || a.0 > 99_999_999_999 {
        return Err(PixError::InvalidAmount {
            field: field.to_owned(),
            value: a.to_string(),
        });
    }
    Ok(())
}

fn date(field: &str, s: &str) -> Result<(), PixError> {
    let ok = s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok();
    if ok {
        Ok(())
    } else {
        Err(PixError::Invalid {
            field: field.to_owned(),
            reason: format!("{s:?} is not a date YYYY-MM-DD"),
        })
    }
}

fn length(field: &str, s: &str, min: usize, max: usize) -> Result<(), PixError> {
    let n = s.chars().count();
    if n < min || n > max {
        return Err(PixError::Invalid {
            field: field.to_owned(),
            reason: format!("{n} characters, expected {min} to {max}"),
        });
    }
    Ok(())
}

/// A value placed in a URL path: letters, digits, `@ . + - _` only (e-mail
/// and phone keys, end-to-end ids), so nothing can change the path.
fn segment<'a>(field: &str, s: &'a str) -> Result<&'a str, PixError> {
    let ok = !s.is_empty()
        && s.len() <= 77
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@.+-_".contains(&b));
    if ok && s != "." && s != ".." {
        Ok(s)
    } else {
        Err(PixError::Invalid {
            field: field.to_owned(),
            reason: format!("{s:?} is not a valid identifier"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_strict_two_place_decimals() {
        assert_eq!(Amount::parse("valor", "123.45").ok(), Some(Amount(12345)));
        assert_eq!(Amount::parse("valor", "0.01").ok(), Some(Amount(1)));
        for bad in [
            "123.4",
            "123",
            "1,00",
            "-1.00",
            "1.000",
            ".50",
            "12345678901.00",
            " 1.00",
        ] {
            let e = Amount::parse("valor.original", bad).expect_err(bad);
            let msg = e.to_string();
            assert!(msg.contains("valor.original") && msg.contains(bad), "{msg}");
        }
        assert_eq!(Amount(1050).to_string(), "10.50");
        assert_eq!(Amount(5).to_string(), "0.05");
        assert_eq!(
            serde_json::to_string(&Amount(100)).ok().as_deref(),
            Some("\"1.00\"")
        );
    }

    #[test]
    fn txids_are_validated_and_derived_stably() {
        assert!(Txid::new("abcdefghijklmnopqrstuvwxyz").is_ok());
        for bad in ["short", "abcdefghijklmnopqrstuvwxy-", &"a".repeat(36)] {
            let e = Txid::new(bad).expect_err(bad).to_string();
            assert!(e.contains(bad), "{e}");
        }
        let a = Txid::derive("INV-2026-000123");
        assert_eq!(a, Txid::derive("INV-2026-000123"));
        assert_ne!(a, Txid::derive("INV-2026-000124"));
        assert!(Txid::new(a.as_str()).is_ok());
    }

    #[test]
    fn decoding_names_the_field() {
        let body =
            br#"{"pix":[{"endToEndId":"E1","valor":"10.5","horario":"2026-01-01T00:00:00Z"}]}"#;
        let e = parse_webhook(body).expect_err("bad amount").to_string();
        assert!(e.contains("pix[0].valor") && e.contains("10.5"), "{e}");
    }

    #[test]
    fn problems_name_their_violations() {
        let p: Problem = serde_json::from_str(
            r#"{"type":"https://pix.bcb.gov.br/api/v2/error/CobOperacaoInvalida","title":"Cobrança inválida.","status":400,"detail":"A requisição não respeita o schema.","violacoes":[{"razao":"O campo cob.valor.original não respeita o schema.","propriedade":"cob.valor.original"}]}"#,
        )
        .expect("problem");
        let s = p.to_string();
        assert!(s.contains("cob.valor.original: O campo"), "{s}");
    }

    #[test]
    fn path_segments_cannot_escape() {
        assert!(segment("chave", "fulano@example.com").is_ok());
        assert!(segment("chave", "+5511999999999").is_ok());
        for bad in ["", "..", "a/b", "a?b", "a b", "a%2f"] {
            assert!(segment("chave", bad).is_err(), "{bad}");
        }
    }
}
