//! A fake Pix PSP speaking API Pix v2 over HTTPS with mutual TLS, for tests
//! of this crate and of the application.
//!
//! [`FakePix::start`] generates a CA ([`Certs`]), a server certificate for
//! `127.0.0.1`/`localhost`, a client certificate for the receiver (the
//! application) and one for the PSP itself (used when it POSTs webhooks),
//! and serves the token endpoint and the API with in-memory state. Requests
//! without a client certificate from the CA fail the TLS handshake; requests
//! without a live token get 401; malformed ones get problem+json with
//! `violacoes`, like a real PSP.
//!
//! Test controls: [`FakePix::pay`] settles a charge with a new end-to-end id
//! and notifies the registered webhook over mutual TLS;
//! [`FakePix::drop_webhooks`] loses notifications so a sweep must find
//! them; [`FakePix::approve_rec`] plays the payer approving a recurrence;
//! [`FakePix::expire_tokens`], [`FakePix::set_page_size`] and
//! [`FakePix::requests`] for assertions.
//!
//! Simplifications, on purpose: a repeated `PUT /cob/{txid}` with the same
//! amount and key returns the existing charge (some PSPs refuse it instead);
//! a refund is `EM_PROCESSAMENTO` when asked for and `DEVOLVIDO` from the
//! first `GET`; scopes are granted but not enforced per endpoint.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::http;
use crate::pix::{
    Amount, Atualizacao, Cob, CobStatus, Cobr, CobrStatus, Devolucao, DevolucaoStatus, Problem,
    Rec, RecStatus, ReceivedPix, SolicRec, SolicRecStatus, Violacao,
};

/// The ISPB the fake PSP writes in the ids it makes.
pub const ISPB: &str = "99999008";

// ------------------------------------------------------------------ certificates

/// A test CA and the certificates issued from it, all in PEM.
#[derive(Clone)]
pub struct Certs {
    /// The CA: trust it to reach the fake, and to accept its webhooks.
    pub ca_pem: String,
    /// The fake's server certificate (for `127.0.0.1` and `localhost`).
    pub server_cert_pem: String,
    pub server_key_pem: String,
    /// The receiver's (application's) client certificate.
    pub client_cert_pem: String,
    pub client_key_pem: String,
    /// The PSP's client certificate, presented when it POSTs webhooks.
    pub psp_cert_pem: String,
    pub psp_key_pem: String,
    issuer: Arc<rcgen::Issuer<'static, rcgen::KeyPair>>,
}

impl Certs {
    /// A new CA with a server certificate and two client certificates.
    pub fn generate() -> Certs {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Fake Pix PSP test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let ca = params.self_signed(&key).expect("CA certificate");
        let issuer = Arc::new(rcgen::Issuer::new(params, key));
        let mut certs = Certs {
            ca_pem: ca.pem(),
            server_cert_pem: String::new(),
            server_key_pem: String::new(),
            client_cert_pem: String::new(),
            client_key_pem: String::new(),
            psp_cert_pem: String::new(),
            psp_key_pem: String::new(),
            issuer,
        };
        (certs.server_cert_pem, certs.server_key_pem) =
            certs.issue_server(&["127.0.0.1", "localhost"]);
        (certs.client_cert_pem, certs.client_key_pem) = certs.issue_client("lastmile-receiver");
        (certs.psp_cert_pem, certs.psp_key_pem) = certs.issue_client("fake-pix-psp");
        certs
    }

    /// A server certificate and key for `names` (DNS names or IP addresses).
    pub fn issue_server(&self, names: &[&str]) -> (String, String) {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(names).expect("server params");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, "fake server")
    }

    /// A client certificate and key with common name `cn`.
    pub fn issue_client(&self, cn: &str) -> (String, String) {
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("client params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params, cn)
    }

    fn issue(&self, mut params: rcgen::CertificateParams, cn: &str) -> (String, String) {
        if params
            .distinguished_name
            .get(&rcgen::DnType::CommonName)
            .is_none()
        {
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn);
        }
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("certificate");
        (cert.pem(), key.serialize_pem())
    }

    /// The DER of the first certificate in a PEM text (to compare with
    /// [`PeerCertificate`]).
    pub fn der(pem: &str) -> Option<Vec<u8>> {
        CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .map(|c| c.to_vec())
    }
}

// ------------------------------------------------------------------ TLS server

/// The client certificate (DER) the peer presented on this connection;
/// handlers of [`serve_mtls`] routers read it with `Extension`.
#[derive(Debug, Clone)]
pub struct PeerCertificate(pub Option<Vec<u8>>);

/// A running HTTPS server; stops when dropped.
pub struct TlsServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TlsServer {
    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `app` over HTTPS on 127.0.0.1, requiring a client certificate
/// issued by `client_ca_pem` (mutual TLS, as the Pix standard asks of both
/// the API and webhooks).
pub async fn serve_mtls(
    app: Router,
    cert_pem: &str,
    key_pem: &str,
    client_ca_pem: &str,
) -> std::io::Result<TlsServer> {
    let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("server certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| bad(format!("server key: {e}")))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(client_ca_pem.as_bytes()) {
        let c = c.map_err(|e| bad(format!("client CA: {e}")))?;
        roots.add(c).map_err(|e| bad(format!("client CA: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| bad(format!("client verifier: {e}")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(format!("TLS: {e}")))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| bad(format!("server certificate: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                // A client without a certificate from the CA ends here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let peer = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.to_vec());
                let app = app.layer(Extension(PeerCertificate(peer)));
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Ok(TlsServer { addr, task })
}

// ------------------------------------------------------------------ state

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Whether it carried an `Authorization` header.
    pub authorized: bool,
}

/// One webhook the fake tried to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub url: String,
    pub body: String,
    /// The receiver's HTTP status, or why there was none.
    pub result: Result<u16, String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cob,
    Cobv,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Cob => "cob",
            Kind::Cobv => "cobv",
        }
    }
}

struct Inner {
    client_id: String,
    client_secret: String,
    tokens: HashMap<String, Instant>,
    token_ttl: Duration,
    charges: HashMap<(&'static str, String), Cob>,
    received: Vec<ReceivedPix>,
    webhooks: HashMap<String, String>,
    webhook_rec: Option<String>,
    webhook_cobr: Option<String>,
    recs: HashMap<String, Rec>,
    solicrecs: HashMap<String, SolicRec>,
    cobrs: HashMap<String, Cobr>,
    log: Vec<LoggedRequest>,
    deliveries: Vec<Delivery>,
    drop_webhooks: bool,
    page_size: u32,
    seq: u64,
    host: String,
}

impl Inner {
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// `prefix` + ISPB + timestamp + 11 letters and digits, unique.
    fn id(&mut self, prefix: &str, stamp: &str) -> String {
        let n = self.next();
        let tail = format!("{:011}", n * 7919 % 100_000_000_000);
        let tail: String = tail
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 3 == 0 {
                    (b'a' + (c as u8 - b'0')) as char
                } else {
                    c
                }
            })
            .collect();
        format!("{prefix}{ISPB}{stamp}{tail}")
    }
}

type Shared = Arc<Mutex<Inner>>;

fn lock(s: &Shared) -> MutexGuard<'_, Inner> {
    // A panic in one handler must not take the fake down for the others.
    s.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake PSP. Stops when dropped.
pub struct FakePix {
    /// The API's base URL (`https://127.0.0.1:<port>/api/v2/`).
    pub base_url: String,
    /// The token endpoint.
    pub oauth_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The receiver's Pix key at this PSP.
    pub chave: String,
    pub certs: Certs,
    state: Shared,
    _server: TlsServer,
}

impl FakePix {
    /// Starts a fake PSP with fresh certificates and credentials.
    pub async fn start() -> FakePix {
        let certs = Certs::generate();
        let client_id = "lastmile-test-client".to_owned();
        let client_secret = "s3cr3t-fake-pix".to_owned();
        let state: Shared = Arc::new(Mutex::new(Inner {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            tokens: HashMap::new(),
            token_ttl: Duration::from_secs(3600),
            charges: HashMap::new(),
            received: Vec::new(),
            webhooks: HashMap::new(),
            webhook_rec: None,
            webhook_cobr: None,
            recs: HashMap::new(),
            solicrecs: HashMap::new(),
            cobrs: HashMap::new(),
            log: Vec::new(),
            deliveries: Vec::new(),
            drop_webhooks: false,
            page_size: 100,
            seq: 0,
            host: String::new(),
        }));
        let server = serve_mtls(
            router(state.clone()),
            &certs.server_cert_pem,
            &certs.server_key_pem,
            &certs.ca_pem,
        )
        .await
        .expect("fake Pix PSP starts");
        let url = server.url();
        lock(&state).host = format!("{}/qr/v2", url.trim_start_matches("https://"));
        FakePix {
            base_url: format!("{url}/api/v2/"),
            oauth_url: format!("{url}/oauth/token"),
            client_id,
            client_secret,
            chave: "cobranca@lastmile.example".to_owned(),
            certs,
            state,
            _server: server,
        }
    }

    /// A client configuration for this fake with the receiver's certificate.
    pub fn config(&self) -> crate::pix::PixConfig {
        crate::pix::PixConfig {
            base_url: self.base_url.clone(),
            oauth_url: self.oauth_url.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            scopes: vec!["cob.write".into(), "cob.read".into(), "pix.read".into()],
            identity_pem: Some((
                self.certs.client_cert_pem.clone(),
                self.certs.client_key_pem.clone(),
            )),
            extra_roots_pem: vec![self.certs.ca_pem.clone()],
            timeout: Duration::from_secs(10),
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.state).log.clone()
    }

    /// Every webhook delivery tried so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.state).deliveries.clone()
    }

    /// While `true`, notifications are lost (not sent, not logged).
    pub fn drop_webhooks(&self, drop: bool) {
        lock(&self.state).drop_webhooks = drop;
    }

    /// Makes every issued token invalid (the next call gets 401).
    pub fn expire_tokens(&self) {
        lock(&self.state).tokens.clear();
    }

    /// Lifetime of tokens issued from now on.
    pub fn set_token_ttl(&self, ttl: Duration) {
        lock(&self.state).token_ttl = ttl;
    }

    /// Items per page of `GET /pix` when the client does not ask.
    pub fn set_page_size(&self, n: u32) {
        lock(&self.state).page_size = n.max(1);
    }

    /// Tokens issued so far that are still valid.
    pub fn live_tokens(&self) -> usize {
        let now = Instant::now();
        lock(&self.state)
            .tokens
            .values()
            .filter(|t| **t > now)
            .count()
    }

    /// Pays the active charge (`cob`, `cobv` or `cobr`) with `txid`: makes a
    /// received Pix with a new end-to-end id, concludes the charge and
    /// notifies the registered webhook. Any positive amount is accepted so
    /// tests can underpay or overpay.
    pub async fn pay(&self, txid: &str, centavos: i64) -> Result<ReceivedPix, String> {
        if centavos <= 0 {
            return Err(format!("amount {centavos} must be positive"));
        }
        let now = jiff::Timestamp::now();
        let (pix, notify) = {
            let mut s = lock(&self.state);
            let stamp = now.strftime("%Y%m%d%H%M").to_string();
            let e2e = s.id("E", &stamp);
            let pix = ReceivedPix {
                end_to_end_id: e2e,
                txid: Some(txid.to_owned()),
                valor: Amount(centavos),
                chave: None,
                horario: now,
                pagador: Some(crate::pix::Pessoa {
                    cpf: Some("12345678909".into()),
                    cnpj: None,
                    nome: Some("Fulano de Tal".into()),
                }),
                info_pagador: None,
                devolucoes: Vec::new(),
            };
            let key = [Kind::Cob, Kind::Cobv]
                .into_iter()
                .map(|k| (k.name(), txid.to_owned()))
                .find(|k| s.charges.contains_key(k));
            let mut pix = pix;
            let notify = if let Some(key) = key {
                let cob = s.charges.get_mut(&key).ok_or("charge vanished")?;
                if cob.status != CobStatus::Ativa {
                    return Err(format!("charge {txid} is {:?}, not ATIVA", cob.status));
                }
                pix.chave = Some(cob.chave.clone());
                cob.status = CobStatus::Concluida;
                cob.pix.push(pix.clone());
                let chave = cob.chave.clone();
                s.webhooks
                    .get(&chave)
                    .map(|url| (format!("{url}/pix"), json!({ "pix": [pix.clone()] })))
            } else if let Some(cobr) = s.cobrs.get_mut(txid) {
                if cobr.status != CobrStatus::Ativa {
                    return Err(format!(
                        "recurring charge {txid} is {:?}, not ATIVA",
                        cobr.status
                    ));
                }
                cobr.status = CobrStatus::Concluida;
                cobr.atualizacao.push(Atualizacao {
                    status: CobrStatus::Concluida,
                    data: now.to_string(),
                });
                cobr.pix.push(pix.clone());
                let body = json!({ "cobsr": [cobr.clone()] });
                s.webhook_cobr
                    .clone()
                    .map(|url| (format!("{url}/cobr"), body))
            } else {
                return Err(format!("no charge with txid {txid}"));
            };
            s.received.push(pix.clone());
            (pix, notify)
        };
        if let Some((url, body)) = notify {
            self.deliver(url, body).await;
        }
        Ok(pix)
    }

    /// Plays the payer approving recurrence `id_rec` in their bank's app:
    /// the recurrence becomes `APROVADA`, its request `ACEITA`, and the
    /// recurrence webhook is notified.
    pub async fn approve_rec(&self, id_rec: &str) -> Result<Rec, String> {
        let now = jiff::Timestamp::now().to_string();
        let (rec, notify) = {
            let mut s = lock(&self.state);
            let rec = s
                .recs
                .get_mut(id_rec)
                .ok_or_else(|| format!("no recurrence {id_rec}"))?;
            if rec.status != RecStatus::Criada {
                return Err(format!(
                    "recurrence {id_rec} is {:?}, not CRIADA",
                    rec.status
                ));
            }
            rec.status = RecStatus::Aprovada;
            rec.atualizacao.push(Atualizacao {
                status: RecStatus::Aprovada,
                data: now.clone(),
            });
            if let Some(a) = rec.ativacao.as_mut()
                && a.tipo_jornada.as_deref() == Some("AGUARDANDO_DEFINICAO")
            {
                a.tipo_jornada = Some("JORNADA_1".into());
            }
            let rec = rec.clone();
            for sr in s.solicrecs.values_mut().filter(|sr| sr.id_rec == id_rec) {
                sr.status = SolicRecStatus::Aceita;
                sr.atualizacao.push(Atualizacao {
                    status: SolicRecStatus::Aceita,
                    data: now.clone(),
                });
            }
            let notify = s
                .webhook_rec
                .clone()
                .map(|url| (format!("{url}/rec"), json!({ "recs": [rec.clone()] })));
            (rec, notify)
        };
        if let Some((url, body)) = notify {
            self.deliver(url, body).await;
        }
        Ok(rec)
    }

    /// POSTs a notification over mutual TLS with the PSP's certificate.
    async fn deliver(&self, url: String, body: Value) {
        if lock(&self.state).drop_webhooks {
            return;
        }
        // The shared client joins paths under a folder: split off the last segment.
        let (base, last) = url.rsplit_once('/').unwrap_or((url.as_str(), ""));
        let config = http::Config {
            base_url: format!("{base}/"),
            timeout: Duration::from_secs(5),
            attempts: 1,
            extra_roots_pem: vec![self.certs.ca_pem.clone()],
            identity_pem: Some((
                self.certs.psp_cert_pem.clone(),
                self.certs.psp_key_pem.clone(),
            )),
        };
        let result = match http::Client::new(&config) {
            Err(e) => Err(e.to_string()),
            Ok(client) => match client.send(http::Request::post(last).json(&body)).await {
                Ok(r) => Ok(r.status.as_u16()),
                Err(e) => e.status().map(|s| s.as_u16()).ok_or_else(|| e.to_string()),
            },
        };
        lock(&self.state).deliveries.push(Delivery {
            url,
            body: body.to_string(),
            result,
        });
    }
}

// ------------------------------------------------------------------ HTTP

struct ApiError(StatusCode, Problem);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self.1).unwrap_or_default();
        (
            self.0,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn problem(
    status: StatusCode,
    kind: &str,
    title: &str,
    detail: &str,
    violacoes: Vec<Violacao>,
) -> ApiError {
    ApiError(
        status,
        Problem {
            kind: format!("https://pix.bcb.gov.br/api/v2/error/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: Some(detail.to_owned()),
            violacoes,
        },
    )
}

fn invalid(kind: &str, violacoes: Vec<Violacao>) -> ApiError {
    problem(
        StatusCode::BAD_REQUEST,
        kind,
        "Requisição inválida.",
        "A requisição que busca alterar ou criar o recurso não respeita o schema ou está semanticamente errada.",
        violacoes,
    )
}

fn not_found(kind: &str, what: &str) -> ApiError {
    problem(
        StatusCode::NOT_FOUND,
        kind,
        "Não encontrado.",
        &format!("{what} não encontrado."),
        Vec::new(),
    )
}

fn v(propriedade: &str, razao: &str) -> Violacao {
    Violacao {
        razao: razao.to_owned(),
        propriedade: propriedade.to_owned(),
        valor: None,
    }
}

fn ok(status: StatusCode, body: &impl serde::Serialize) -> ApiResult {
    Ok((
        status,
        Json(serde_json::to_value(body).unwrap_or(Value::Null)),
    )
        .into_response())
}

fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/cob/{txid}", put(put_cob).get(get_cob).patch(patch_cob))
        .route(
            "/cobv/{txid}",
            put(put_cobv).get(get_cobv).patch(patch_cobv),
        )
        .route("/pix", get(list_pix))
        .route("/pix/{e2eid}", get(get_pix))
        .route(
            "/pix/{e2eid}/devolucao/{id}",
            put(put_devolucao).get(get_devolucao),
        )
        .route(
            "/webhook/{chave}",
            put(put_webhook).get(get_webhook).delete(delete_webhook),
        )
        .route("/webhookrec", put(put_webhook_rec))
        .route("/webhookcobr", put(put_webhook_cobr))
        .route("/rec", post(post_rec))
        .route("/rec/{id}", get(get_rec).patch(patch_rec))
        .route("/solicrec", post(post_solicrec))
        .route("/solicrec/{id}", get(get_solicrec))
        .route(
            "/cobr/{txid}",
            put(put_cobr).get(get_cobr).patch(patch_cobr),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/oauth/token", post(token))
        .nest("/api/v2", api)
        .layer(middleware::from_fn_with_state(state.clone(), log))
        .with_state(state)
}

async fn log(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let entry = LoggedRequest {
        method: req.method().to_string(),
        uri: req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        authorized: req.headers().contains_key(header::AUTHORIZATION),
    };
    lock(&s).log.push(entry);
    next.run(req).await
}

async fn require_token(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    let live = token.is_some_and(|t| {
        lock(&s)
            .tokens
            .get(&t)
            .is_some_and(|exp| *exp > Instant::now())
    });
    if !live {
        return problem(
            StatusCode::UNAUTHORIZED,
            "AcessoNegado",
            "Acesso negado.",
            "Token de acesso ausente, inválido ou expirado.",
            Vec::new(),
        )
        .into_response();
    }
    next.run(req).await
}

async fn token(
    State(s): State<Shared>,
    Extension(peer): Extension<PeerCertificate>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let unauthorized = |why: &str| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client", "error_description": why })),
        )
            .into_response()
    };
    if peer.0.is_none() {
        return unauthorized("client certificate required");
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut st = lock(&s);
    let expected = format!("{}:{}", st.client_id, st.client_secret);
    if basic.as_deref() != Some(expected.as_str()) {
        return unauthorized("bad client credentials");
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "unsupported_grant_type" })),
        )
            .into_response();
    }
    let n = st.next();
    let value = format!("fake-{n}-{}", jiff::Timestamp::now().as_nanosecond());
    let ttl = st.token_ttl;
    st.tokens.insert(value.clone(), Instant::now() + ttl);
    Json(json!({
        "access_token": value,
        "token_type": "Bearer",
        "expires_in": ttl.as_secs(),
        "scope": form.get("scope").cloned().unwrap_or_else(|| "cob.write cob.read pix.read pix.write webhook.write webhook.read".into()),
    }))
    .into_response()
}

// ---- validation helpers (the same rules a PSP applies)

fn parse_body(body: &Bytes, kind: &str) -> Result<Value, ApiError> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| invalid(kind, vec![v("body", "O corpo não é um objeto JSON.")]))
}

fn check_txid(txid: &str, prefix: &str, out: &mut Vec<Violacao>) {
    if !((26..=35).contains(&txid.len()) && txid.bytes().all(|b| b.is_ascii_alphanumeric())) {
        out.push(v(
            &format!("{prefix}.txid"),
            "O campo txid não respeita o schema.",
        ));
    }
}

fn amount_at(body: &Value, pointer: &str, prop: &str, out: &mut Vec<Violacao>) -> Option<Amount> {
    match body
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(|t| Amount::parse(prop, t))
    {
        Some(Ok(a)) if a.0 > 0 => Some(a),
        _ => {
            out.push(v(prop, &format!("O campo {prop} não respeita o schema.")));
            None
        }
    }
}

fn str_at<'a>(body: &'a Value, pointer: &str) -> Option<&'a str> {
    body.pointer(pointer).and_then(Value::as_str)
}

fn check_person(p: Option<&Value>, prop: &str, required: bool, out: &mut Vec<Violacao>) {
    let Some(p) = p else {
        if required {
            out.push(v(prop, &format!("O objeto {prop} é obrigatório.")));
        }
        return;
    };
    let nome = p.get("nome").and_then(Value::as_str).unwrap_or("");
    if nome.is_empty() || nome.chars().count() > 140 {
        out.push(v(
            &format!("{prop}.nome"),
            "O campo nome não respeita o schema.",
        ));
    }
    let digits = |k: &str, n: usize| {
        p.get(k)
            .and_then(Value::as_str)
            .map(|s| s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
    };
    match (digits("cpf", 11), digits("cnpj", 14)) {
        (Some(true), None) | (None, Some(true)) => {}
        _ => out.push(v(&format!("{prop}.cpf"), "Informe cpf ou cnpj válido.")),
    }
}

fn is_date(s: Option<&str>) -> bool {
    s.is_some_and(|s| s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok())
}

/// A BR Code for a location (dynamic payload).
fn br_code(location: &str, amount: Option<Amount>, recurrence: Option<&str>) -> String {
    fn f(tag: &str, value: &str) -> String {
        format!("{tag}{:02}{value}", value.len())
    }
    let mut mai = f("00", "br.gov.bcb.pix");
    if !location.is_empty() {
        mai.push_str(&f("25", location));
    }
    let mut s =
        f("00", "01") + &f("01", "12") + &f("26", &mai) + &f("52", "0000") + &f("53", "986");
    if let Some(a) = amount {
        s.push_str(&f("54", &a.to_string()));
    }
    s += &(f("58", "BR")
        + &f("59", "LASTMILE TESTE")
        + &f("60", "SAO PAULO")
        + &f("62", &f("05", "***")));
    if let Some(r) = recurrence {
        s.push_str(&f("80", &(f("00", "br.gov.bcb.pix") + &f("25", r))));
    }
    s.push_str("6304");
    let mut crc: u16 = 0xFFFF;
    for &b in s.as_bytes() {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    format!("{s}{crc:04X}")
}

// ---- cob / cobv

async fn put_cob(State(s): State<Shared>, Path(txid): Path<String>, body: Bytes) -> ApiResult {
    put_charge(s, Kind::Cob, txid, body)
}
async fn put_cobv(State(s): State<Shared>, Path(txid): Path<String>, body: Bytes) -> ApiResult {
    put_charge(s, Kind::Cobv, txid, body)
}
async fn get_cob(State(s): State<Shared>, Path(txid): Path<String>) -> ApiResult {
    get_charge(s, Kind::Cob, txid)
}
async fn get_cobv(State(s): State<Shared>, Path(txid): Path<String>) -> ApiResult {
    get_charge(s, Kind::Cobv, txid)
}
async fn patch_cob(State(s): State<Shared>, Path(txid): Path<String>, body: Bytes) -> ApiResult {
    patch_charge(s, Kind::Cob, txid, body)
}
async fn patch_cobv(State(s): State<Shared>, Path(txid): Path<String>, body: Bytes) -> ApiResult {
    patch_charge(s, Kind::Cobv, txid, body)
}

fn put_charge(s: Shared, kind: Kind, txid: String, body: Bytes) -> ApiResult {
    let k = kind.name();
    let err_kind = if kind == Kind::Cob {
        "CobOperacaoInvalida"
    } else {
        "CobVOperacaoInvalida"
    };
    let b = parse_body(&body, err_kind)?;
    let mut vs = Vec::new();
    check_txid(&txid, k, &mut vs);
    let valor = amount_at(
        &b,
        "/valor/original",
        &format!("{k}.valor.original"),
        &mut vs,
    );
    let chave = str_at(&b, "/chave").unwrap_or("");
    if chave.is_empty() || chave.len() > 77 {
        vs.push(v(
            &format!("{k}.chave"),
            "O campo chave não respeita o schema.",
        ));
    }
    if let Some(sp) = str_at(&b, "/solicitacaoPagador")
        && sp.chars().count() > 140
    {
        vs.push(v(&format!("{k}.solicitacaoPagador"), "Até 140 caracteres."));
    }
    let calendario = match kind {
        Kind::Cob => {
            let exp = b.pointer("/calendario/expiracao").map(|e| e.as_u64());
            let exp = match exp {
                None => Some(86_400),
                Some(Some(e)) if e > 0 => Some(e),
                _ => {
                    vs.push(v(
                        "cob.calendario.expiracao",
                        "Deve ser um inteiro positivo.",
                    ));
                    None
                }
            };
            check_person(b.get("devedor"), "cob.devedor", false, &mut vs);
            json!({ "expiracao": exp })
        }
        Kind::Cobv => {
            let due = str_at(&b, "/calendario/dataDeVencimento");
            if !is_date(due) {
                vs.push(v(
                    "cobv.calendario.dataDeVencimento",
                    "Data no formato YYYY-MM-DD.",
                ));
            }
            check_person(b.get("devedor"), "cobv.devedor", true, &mut vs);
            for m in ["multa", "juros"] {
                if b.pointer(&format!("/valor/{m}")).is_some() {
                    amount_at(
                        &b,
                        &format!("/valor/{m}/valorPerc"),
                        &format!("cobv.valor.{m}.valorPerc"),
                        &mut vs,
                    );
                    if b.pointer(&format!("/valor/{m}/modalidade"))
                        .and_then(Value::as_u64)
                        .is_none()
                    {
                        vs.push(v(
                            &format!("cobv.valor.{m}.modalidade"),
                            "Modalidade obrigatória.",
                        ));
                    }
                }
            }
            json!({
                "dataDeVencimento": due,
                "validadeAposVencimento": b.pointer("/calendario/validadeAposVencimento").and_then(Value::as_u64).unwrap_or(30),
            })
        }
    };
    if !vs.is_empty() {
        return Err(invalid(err_kind, vs));
    }
    let valor = valor.unwrap_or_default();
    let mut st = lock(&s);
    if let Some(existing) = st.charges.get(&(k, txid.clone())) {
        // Same charge asked again (a retried PUT): the same answer.
        if existing.valor.original == valor && existing.chave == chave {
            return ok(StatusCode::OK, existing);
        }
        return Err(problem(
            StatusCode::CONFLICT,
            err_kind,
            "Cobrança já existe.",
            &format!("Já existe cobrança com o txid {txid}."),
            vec![v(&format!("{k}.txid"), "txid já utilizado.")],
        ));
    }
    let loc_id = st.next() as i64;
    let location = format!("{}/{k}/{loc_id:08}", st.host);
    let mut cob_json = json!({
        "calendario": calendario,
        "txid": txid,
        "revisao": 0,
        "loc": { "id": loc_id, "location": location, "tipoCob": k },
        "location": location,
        "status": "ATIVA",
        "valor": b.get("valor").cloned().unwrap_or(Value::Null),
        "chave": chave,
        "pixCopiaECola": br_code(&location, Some(valor), None),
    });
    cob_json["calendario"]["criacao"] = json!(jiff::Timestamp::now().to_string());
    for field in ["devedor", "solicitacaoPagador", "infoAdicionais"] {
        if let Some(x) = b.get(field) {
            cob_json[field] = x.clone();
        }
    }
    let cob: Cob = serde_json::from_value(cob_json)
        .map_err(|e| invalid(err_kind, vec![v(k, &format!("não respeita o schema: {e}"))]))?;
    st.charges.insert((k, txid), cob.clone());
    ok(StatusCode::CREATED, &cob)
}

fn get_charge(s: Shared, kind: Kind, txid: String) -> ApiResult {
    let st = lock(&s);
    match st.charges.get(&(kind.name(), txid)) {
        Some(c) => ok(StatusCode::OK, c),
        None => Err(not_found("CobNaoEncontrado", "Cobrança")),
    }
}

fn patch_charge(s: Shared, kind: Kind, txid: String, body: Bytes) -> ApiResult {
    let b = parse_body(&body, "CobOperacaoInvalida")?;
    let mut st = lock(&s);
    let Some(c) = st.charges.get_mut(&(kind.name(), txid)) else {
        return Err(not_found("CobNaoEncontrado", "Cobrança"));
    };
    if c.status != CobStatus::Ativa {
        return Err(invalid(
            "CobOperacaoInvalida",
            vec![v(
                &format!("{}.status", kind.name()),
                "A cobrança não está ATIVA.",
            )],
        ));
    }
    match str_at(&b, "/status") {
        Some("REMOVIDA_PELO_USUARIO_RECEBEDOR") => {
            c.status = CobStatus::RemovidaPeloUsuarioRecebedor
        }
        Some(_) => {
            return Err(invalid(
                "CobOperacaoInvalida",
                vec![v(
                    &format!("{}.status", kind.name()),
                    "Só REMOVIDA_PELO_USUARIO_RECEBEDOR.",
                )],
            ));
        }
        None => {}
    }
    if b.pointer("/valor/original").is_some() {
        let mut vs = Vec::new();
        if let Some(a) = amount_at(
            &b,
            "/valor/original",
            &format!("{}.valor.original", kind.name()),
            &mut vs,
        ) {
            c.valor.original = a;
        } else {
            return Err(invalid("CobOperacaoInvalida", vs));
        }
    }
    c.revisao += 1;
    ok(StatusCode::OK, &c.clone())
}

// ---- received Pix and refunds

async fn list_pix(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    let ts = |k: &str| q.get(k).and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let (Some(inicio), Some(fim)) = (ts("inicio"), ts("fim")) else {
        return Err(invalid(
            "ConsultaInvalida",
            vec![v("inicio", "inicio e fim são obrigatórios, RFC 3339.")],
        ));
    };
    let st = lock(&s);
    let per = q
        .get("paginacao.itensPorPagina")
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(st.page_size)
        .clamp(1, 1000);
    let page = q
        .get("paginacao.paginaAtual")
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    let mut all: Vec<&ReceivedPix> = st
        .received
        .iter()
        .filter(|p| p.horario >= inicio && p.horario <= fim)
        .collect();
    all.sort_by_key(|p| p.horario);
    let total = all.len() as u32;
    let pages = total.div_ceil(per);
    let items: Vec<&ReceivedPix> = all
        .into_iter()
        .skip((page * per) as usize)
        .take(per as usize)
        .collect();
    ok(
        StatusCode::OK,
        &json!({
            "parametros": {
                "inicio": inicio.to_string(),
                "fim": fim.to_string(),
                "paginacao": {
                    "paginaAtual": page,
                    "itensPorPagina": per,
                    "quantidadeDePaginas": pages,
                    "quantidadeTotalDeItens": total,
                },
            },
            "pix": items,
        }),
    )
}

async fn get_pix(State(s): State<Shared>, Path(e2e): Path<String>) -> ApiResult {
    let st = lock(&s);
    match st.received.iter().find(|p| p.end_to_end_id == e2e) {
        Some(p) => ok(StatusCode::OK, p),
        None => Err(not_found("PixNaoEncontrado", "Pix")),
    }
}

async fn put_devolucao(
    State(s): State<Shared>,
    Path((e2e, id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let b = parse_body(&body, "DevolucaoInvalida")?;
    let mut vs = Vec::new();
    let valor = amount_at(&b, "/valor", "valor", &mut vs);
    if id.is_empty() || id.len() > 35 || !id.bytes().all(|c| c.is_ascii_alphanumeric()) {
        vs.push(v("id", "O id da devolução não respeita o schema."));
    }
    let natureza = str_at(&b, "/natureza").map(str::to_owned);
    if natureza
        .as_deref()
        .is_some_and(|n| n != "ORIGINAL" && n != "RETIRADA")
    {
        vs.push(v("natureza", "ORIGINAL ou RETIRADA."));
    }
    if !vs.is_empty() {
        return Err(invalid("DevolucaoInvalida", vs));
    }
    let valor = valor.unwrap_or_default();
    let mut st = lock(&s);
    let seq = st.next();
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d%H%M").to_string();
    let rtr = format!("D{ISPB}{stamp}{seq:011}");
    let Some(pix) = st.received.iter_mut().find(|p| p.end_to_end_id == e2e) else {
        return Err(not_found("PixNaoEncontrado", "Pix"));
    };
    if let Some(d) = pix.devolucoes.iter().find(|d| d.id == id) {
        return ok(StatusCode::OK, d);
    }
    let refunded: i64 = pix
        .devolucoes
        .iter()
        .filter(|d| d.status != DevolucaoStatus::NaoRealizado)
        .map(|d| d.valor.0)
        .sum();
    if refunded + valor.0 > pix.valor.0 {
        return Err(invalid(
            "DevolucaoInvalida",
            vec![v("valor", "O valor excede o saldo devolvível do Pix.")],
        ));
    }
    let d = Devolucao {
        id,
        rtr_id: Some(rtr),
        valor,
        natureza,
        descricao: str_at(&b, "/descricao").map(str::to_owned),
        horario: crate::pix::HorarioDevolucao {
            solicitacao: jiff::Timestamp::now().to_string(),
            liquidacao: None,
        },
        status: DevolucaoStatus::EmProcessamento,
        motivo: None,
    };
    pix.devolucoes.push(d.clone());
    ok(StatusCode::CREATED, &d)
}

async fn get_devolucao(
    State(s): State<Shared>,
    Path((e2e, id)): Path<(String, String)>,
) -> ApiResult {
    let mut st = lock(&s);
    let Some(d) = st
        .received
        .iter_mut()
        .find(|p| p.end_to_end_id == e2e)
        .and_then(|p| p.devolucoes.iter_mut().find(|d| d.id == id))
    else {
        return Err(not_found("DevolucaoNaoEncontrada", "Devolução"));
    };
    // The refund settles between the request and the first look at it.
    if d.status == DevolucaoStatus::EmProcessamento {
        d.status = DevolucaoStatus::Devolvido;
        d.horario.liquidacao = Some(jiff::Timestamp::now().to_string());
    }
    ok(StatusCode::OK, &d.clone())
}

// ---- webhooks

fn webhook_url(body: &Bytes) -> Result<String, ApiError> {
    let b = parse_body(body, "WebhookOperacaoInvalida")?;
    match str_at(&b, "/webhookUrl") {
        Some(u) if u.starts_with("https://") && url::Url::parse(u).is_ok() => {
            Ok(u.trim_end_matches('/').to_owned())
        }
        _ => Err(invalid(
            "WebhookOperacaoInvalida",
            vec![v("webhookUrl", "Deve ser uma URL https.")],
        )),
    }
}

async fn put_webhook(State(s): State<Shared>, Path(chave): Path<String>, body: Bytes) -> ApiResult {
    let url = webhook_url(&body)?;
    lock(&s).webhooks.insert(chave, url);
    Ok(StatusCode::OK.into_response())
}

async fn get_webhook(State(s): State<Shared>, Path(chave): Path<String>) -> ApiResult {
    let st = lock(&s);
    match st.webhooks.get(&chave) {
        Some(u) => ok(StatusCode::OK, &json!({ "webhookUrl": u, "chave": chave })),
        None => Err(not_found("WebhookNaoEncontrado", "Webhook")),
    }
}

async fn delete_webhook(State(s): State<Shared>, Path(chave): Path<String>) -> ApiResult {
    match lock(&s).webhooks.remove(&chave) {
        Some(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        None => Err(not_found("WebhookNaoEncontrado", "Webhook")),
    }
}

async fn put_webhook_rec(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let url = webhook_url(&body)?;
    lock(&s).webhook_rec = Some(url);
    Ok(StatusCode::OK.into_response())
}

async fn put_webhook_cobr(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let url = webhook_url(&body)?;
    lock(&s).webhook_cobr = Some(url);
    Ok(StatusCode::OK.into_response())
}

// ---- Pix Automático

async fn post_rec(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let b = parse_body(&body, "RecOperacaoInvalida")?;
    let mut vs = Vec::new();
    let contrato = str_at(&b, "/vinculo/contrato").unwrap_or("");
    if contrato.is_empty() || contrato.chars().count() > 35 {
        vs.push(v("rec.vinculo.contrato", "Obrigatório, até 35 caracteres."));
    }
    if str_at(&b, "/vinculo/objeto").is_some_and(|o| o.chars().count() > 35) {
        vs.push(v("rec.vinculo.objeto", "Até 35 caracteres."));
    }
    check_person(
        b.pointer("/vinculo/devedor"),
        "rec.vinculo.devedor",
        true,
        &mut vs,
    );
    if !is_date(str_at(&b, "/calendario/dataInicial")) {
        vs.push(v(
            "rec.calendario.dataInicial",
            "Data no formato YYYY-MM-DD.",
        ));
    }
    if !matches!(
        str_at(&b, "/calendario/periodicidade"),
        Some("SEMANAL" | "MENSAL" | "TRIMESTRAL" | "SEMESTRAL" | "ANUAL")
    ) {
        vs.push(v(
            "rec.calendario.periodicidade",
            "SEMANAL, MENSAL, TRIMESTRAL, SEMESTRAL ou ANUAL.",
        ));
    }
    let politica = str_at(&b, "/politicaRetentativa");
    if !matches!(politica, Some("NAO_PERMITE" | "PERMITE_3R_7D")) {
        vs.push(v(
            "rec.politicaRetentativa",
            "NAO_PERMITE ou PERMITE_3R_7D.",
        ));
    }
    let fixed = b.pointer("/valor/valorRec").is_some();
    if fixed {
        amount_at(&b, "/valor/valorRec", "rec.valor.valorRec", &mut vs);
        if b.pointer("/valor/valorMinimoRecebedor").is_some() {
            vs.push(v(
                "rec.valor",
                "valorRec e valorMinimoRecebedor são excludentes.",
            ));
        }
    }
    if !vs.is_empty() {
        return Err(invalid("RecOperacaoInvalida", vs));
    }
    let now = jiff::Timestamp::now();
    let mut st = lock(&s);
    let prefix = if politica == Some("PERMITE_3R_7D") {
        "RR"
    } else {
        "RN"
    };
    let id = st.id(prefix, &now.strftime("%Y%m%d").to_string());
    let mut rec = json!({
        "idRec": id,
        "vinculo": b["vinculo"],
        "calendario": b["calendario"],
        "recebedor": { "ispbParticipante": ISPB, "cnpj": "12345678000195", "nome": "LASTMILE TESTE" },
        "status": "CRIADA",
        "politicaRetentativa": politica,
        "atualizacao": [{ "status": "CRIADA", "data": now.to_string() }],
        "ativacao": { "tipoJornada": "AGUARDANDO_DEFINICAO" },
    });
    if let Some(valor) = b.get("valor") {
        rec["valor"] = valor.clone();
    }
    if let Some(loc) = b.get("loc").and_then(Value::as_i64) {
        let location = format!("{}/rec/{id}", st.host);
        rec["loc"] = json!({ "id": loc, "location": location, "criacao": now.to_string() });
        rec["dadosQR"] =
            json!({ "jornada": "JORNADA_2", "pixCopiaECola": br_code("", None, Some(&location)) });
    }
    let rec: Rec = serde_json::from_value(rec).map_err(|e| {
        invalid(
            "RecOperacaoInvalida",
            vec![v("rec", &format!("não respeita o schema: {e}"))],
        )
    })?;
    st.recs.insert(id, rec.clone());
    ok(StatusCode::CREATED, &rec)
}

async fn get_rec(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    match lock(&s).recs.get(&id) {
        Some(r) => ok(StatusCode::OK, r),
        None => Err(not_found("RecNaoEncontrada", "Recorrência")),
    }
}

async fn patch_rec(State(s): State<Shared>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body, "RecOperacaoInvalida")?;
    let mut st = lock(&s);
    let Some(rec) = st.recs.get_mut(&id) else {
        return Err(not_found("RecNaoEncontrada", "Recorrência"));
    };
    if str_at(&b, "/status") != Some("CANCELADA") {
        return Err(invalid(
            "RecOperacaoInvalida",
            vec![v("rec.status", "Só CANCELADA.")],
        ));
    }
    if !matches!(rec.status, RecStatus::Criada | RecStatus::Aprovada) {
        return Err(invalid(
            "RecOperacaoInvalida",
            vec![v("rec.status", "A recorrência já foi encerrada.")],
        ));
    }
    rec.status = RecStatus::Cancelada;
    rec.atualizacao.push(Atualizacao {
        status: RecStatus::Cancelada,
        data: jiff::Timestamp::now().to_string(),
    });
    rec.encerramento = Some(json!({
        "cancelamento": { "solicitante": "USUARIO_RECEBEDOR", "codigo": "SLCR", "descricao": "Cancelada pelo recebedor" }
    }));
    ok(StatusCode::OK, &rec.clone())
}

async fn post_solicrec(State(s): State<Shared>, body: Bytes) -> ApiResult {
    let b = parse_body(&body, "SolicRecOperacaoInvalida")?;
    let mut vs = Vec::new();
    let id_rec = str_at(&b, "/idRec").unwrap_or("").to_owned();
    let exp = str_at(&b, "/calendario/dataExpiracaoSolicitacao")
        .and_then(|t| t.parse::<jiff::Timestamp>().ok());
    if exp.is_none_or(|t| t <= jiff::Timestamp::now()) {
        vs.push(v(
            "solicrec.calendario.dataExpiracaoSolicitacao",
            "Data futura, RFC 3339.",
        ));
    }
    let ispb = str_at(&b, "/destinatario/ispbParticipante").unwrap_or("");
    if ispb.len() != 8 || !ispb.bytes().all(|c| c.is_ascii_digit()) {
        vs.push(v("solicrec.destinatario.ispbParticipante", "8 dígitos."));
    }
    if str_at(&b, "/destinatario/conta").is_none_or(str::is_empty) {
        vs.push(v("solicrec.destinatario.conta", "Obrigatório."));
    }
    let mut st = lock(&s);
    match st.recs.get(&id_rec) {
        None => vs.push(v("solicrec.idRec", "Recorrência não encontrada.")),
        Some(r) if r.status != RecStatus::Criada => {
            vs.push(v("solicrec.idRec", "A recorrência não está CRIADA."))
        }
        Some(_) => {}
    }
    if !vs.is_empty() {
        return Err(invalid("SolicRecOperacaoInvalida", vs));
    }
    let now = jiff::Timestamp::now();
    let id = st.id("SC", &now.strftime("%Y%m%d").to_string());
    let sr = json!({
        "idSolicRec": id,
        "idRec": id_rec,
        "calendario": b["calendario"],
        "destinatario": b["destinatario"],
        "status": "ENVIADA",
        "atualizacao": [
            { "status": "CRIADA", "data": now.to_string() },
            { "status": "ENVIADA", "data": now.to_string() },
        ],
    });
    let sr: SolicRec = serde_json::from_value(sr).map_err(|e| {
        invalid(
            "SolicRecOperacaoInvalida",
            vec![v("solicrec", &format!("não respeita o schema: {e}"))],
        )
    })?;
    st.solicrecs.insert(id, sr.clone());
    ok(StatusCode::CREATED, &sr)
}

async fn get_solicrec(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult {
    match lock(&s).solicrecs.get(&id) {
        Some(r) => ok(StatusCode::OK, r),
        None => Err(not_found(
            "SolicRecNaoEncontrada",
            "Solicitação de recorrência",
        )),
    }
}

async fn put_cobr(State(s): State<Shared>, Path(txid): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body, "CobROperacaoInvalida")?;
    let mut vs = Vec::new();
    check_txid(&txid, "cobr", &mut vs);
    let valor = amount_at(&b, "/valor/original", "cobr.valor.original", &mut vs);
    if !is_date(str_at(&b, "/calendario/dataDeVencimento")) {
        vs.push(v(
            "cobr.calendario.dataDeVencimento",
            "Data no formato YYYY-MM-DD.",
        ));
    }
    let id_rec = str_at(&b, "/idRec").unwrap_or("").to_owned();
    let mut st = lock(&s);
    match st.recs.get(&id_rec) {
        None => vs.push(v("cobr.idRec", "Recorrência não encontrada.")),
        Some(r) if r.status != RecStatus::Aprovada => {
            vs.push(v("cobr.idRec", "A recorrência não está APROVADA."))
        }
        Some(r) => {
            let fixed = r.valor.as_ref().and_then(|v| v.valor_rec);
            if let (Some(f), Some(a)) = (fixed, valor)
                && f != a
            {
                vs.push(v(
                    "cobr.valor.original",
                    "Difere do valor fixo da recorrência.",
                ));
            }
        }
    }
    if st.cobrs.contains_key(&txid) {
        vs.push(v("cobr.txid", "txid já utilizado."));
    }
    if !vs.is_empty() {
        return Err(invalid("CobROperacaoInvalida", vs));
    }
    let now = jiff::Timestamp::now().to_string();
    let mut cobr = json!({
        "idRec": id_rec,
        "txid": txid,
        "calendario": { "criacao": now, "dataDeVencimento": b["calendario"]["dataDeVencimento"] },
        "valor": b["valor"],
        "ajusteDiaUtil": b.get("ajusteDiaUtil").and_then(Value::as_bool).unwrap_or(false),
        "status": "ATIVA",
        "atualizacao": [
            { "status": "CRIADA", "data": now },
            { "status": "ATIVA", "data": now },
        ],
    });
    if let Some(i) = b.get("infoAdicional") {
        cobr["infoAdicional"] = i.clone();
    }
    let cobr: Cobr = serde_json::from_value(cobr).map_err(|e| {
        invalid(
            "CobROperacaoInvalida",
            vec![v("cobr", &format!("não respeita o schema: {e}"))],
        )
    })?;
    st.cobrs.insert(txid, cobr.clone());
    ok(StatusCode::CREATED, &cobr)
}

async fn patch_cobr(State(s): State<Shared>, Path(txid): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body, "CobROperacaoInvalida")?;
    let mut st = lock(&s);
    let Some(cobr) = st.cobrs.get_mut(&txid) else {
        return Err(not_found("CobRNaoEncontrada", "Cobrança recorrente"));
    };
    if str_at(&b, "/status") != Some("CANCELADA") {
        return Err(invalid(
            "CobROperacaoInvalida",
            vec![v("cobr.status", "Só CANCELADA.")],
        ));
    }
    if !matches!(cobr.status, CobrStatus::Criada | CobrStatus::Ativa) {
        return Err(invalid(
            "CobROperacaoInvalida",
            vec![v("cobr.status", "A cobrança já foi encerrada.")],
        ));
    }
    cobr.status = CobrStatus::Cancelada;
    cobr.atualizacao.push(Atualizacao {
        status: CobrStatus::Cancelada,
        data: jiff::Timestamp::now().to_string(),
    });
    ok(StatusCode::OK, &cobr.clone())
}

async fn get_cobr(State(s): State<Shared>, Path(txid): Path<String>) -> ApiResult {
    match lock(&s).cobrs.get(&txid) {
        Some(c) => ok(StatusCode::OK, c),
        None => Err(not_found("CobRNaoEncontrada", "Cobrança recorrente")),
    }
}
