//! The Pix webhook listener: a dedicated HTTPS listener (optional, config
//! `pix_webhook_listen`) that serves only `POST /api/v1/webhooks/pix/pix`
//! (the PSP appends `/pix` to the registered URL) and, for Pix
//! Automático, `…/rec` (recurrences) and `…/cobr` (recurring charges).
//!
//! API Pix authenticates the PSP by mutual TLS, not by a signature, so the
//! TLS handshake itself requires a client certificate chaining to the
//! PSP's CA (setting `pix.psp_ca`, read again whenever it changes); a
//! connection without one never reaches the handler. The body is then
//! only a hint: each Pix is confirmed with the PSP and recorded once
//! (`services::payments::gateways::pix::handle_webhook`).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use services::Services;
use tokio::net::TcpListener;

/// The route of received Pix.
pub const PATH: &str = "/api/v1/webhooks/pix/pix";
/// Pix Automático: recurrences and recurring charges.
pub const REC_PATH: &str = "/api/v1/webhooks/pix/rec";
pub const COBR_PATH: &str = "/api/v1/webhooks/pix/cobr";
/// A PSP's notification lists a few Pix; nothing legitimate is larger.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The router of the listener (no session, no CSRF: the TLS layer
/// authenticated the sender).
pub fn router(svc: Services) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .route(REC_PATH, post(receive_rec))
        .route(COBR_PATH, post(receive_cobr))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(svc)
}

async fn receive(State(svc): State<Services>, body: Bytes) -> Response {
    // PSPs probe a newly registered URL with an empty notification.
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() || trimmed == b"{}" {
        return StatusCode::OK.into_response();
    }
    match services::payments::gateways::pix::handle_webhook(&svc, &body).await {
        Ok(r) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            format!(
                r#"{{"recorded":{},"repeated":{},"unmatched":{}}}"#,
                r.recorded, r.repeated, r.unmatched
            ),
        )
            .into_response(),
        Err(services::Error::Invalid { .. }) => StatusCode::BAD_REQUEST.into_response(),
        Err(e) => {
            // The PSP retries on errors; the sweep catches what it gives up on.
            tracing::warn!(error = %e, "Pix webhook not processed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn probe(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.is_empty() || trimmed == b"{}"
}

/// A recurrence changed (approved, rejected, canceled by the payer).
async fn receive_rec(State(svc): State<Services>, body: Bytes) -> Response {
    if probe(&body) {
        return StatusCode::OK.into_response();
    }
    let pa = services::payments::gateways::pix_automatico::handle_rec_webhook(&svc, &body).await;
    match pa {
        Ok(changed) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            format!(r#"{{"changed":{changed}}}"#),
        )
            .into_response(),
        Err(e) => failed(e),
    }
}

/// A recurring charge changed (paid, expired, refused).
async fn receive_cobr(State(svc): State<Services>, body: Bytes) -> Response {
    if probe(&body) {
        return StatusCode::OK.into_response();
    }
    let pa = services::payments::gateways::pix_automatico::handle_cobr_webhook(&svc, &body).await;
    match pa {
        Ok(r) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            format!(
                r#"{{"recorded":{},"repeated":{},"unmatched":{}}}"#,
                r.recorded, r.repeated, r.unmatched
            ),
        )
            .into_response(),
        Err(e) => failed(e),
    }
}

fn failed(e: services::Error) -> Response {
    match e {
        services::Error::Invalid { .. } => StatusCode::BAD_REQUEST.into_response(),
        e => {
            // The PSP retries on errors; the sweep's poll catches the rest.
            tracing::warn!(error = %e, "Pix webhook not processed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Why the listener cannot start.
#[derive(Debug)]
pub struct TlsError(pub String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// The server configuration for the PSP's CA now in the settings, rebuilt
/// when the setting changes.
struct Configs {
    identity: Identity,
    current: Mutex<Option<(String, Arc<rustls::ServerConfig>)>>,
}

impl Configs {
    fn for_ca(&self, ca_pem: &str) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let mut slot = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((ca, config)) = slot.as_ref()
            && ca == ca_pem
        {
            return Ok(config.clone());
        }
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            let c = c.map_err(|e| TlsError(format!("pix.psp_ca: {e}")))?;
            roots
                .add(c)
                .map_err(|e| TlsError(format!("pix.psp_ca: {e}")))?;
        }
        if roots.is_empty() {
            return Err(TlsError(
                "pix.psp_ca is empty: no PSP can be authenticated".into(),
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(|e| TlsError(format!("client verifier: {e}")))?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(format!("TLS: {e}")))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.identity.chain.clone(), self.identity.key.clone_key())
            .map_err(|e| TlsError(format!("server certificate: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        *slot = Some((ca_pem.to_owned(), config.clone()));
        Ok(config)
    }
}

/// Serves [`router`] over HTTPS with required client certificates on
/// `listener` until the task is aborted. `cert_pem` (chain) and `key_pem`
/// are the listener's own certificate and key.
pub fn serve(
    svc: Services,
    listener: TcpListener,
    cert_pem: &str,
    key_pem: &str,
) -> Result<tokio::task::JoinHandle<()>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("certificate: {e}")))?;
    if chain.is_empty() {
        return Err(TlsError("certificate: no PEM certificate found".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| TlsError(format!("key: {e}")))?;
    let configs = Arc::new(Configs {
        identity: Identity { chain, key },
        current: Mutex::new(None),
    });
    let app = router(svc.clone());
    Ok(tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "Pix webhook listener: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (svc, configs, app) = (svc.clone(), configs.clone(), app.clone());
            tokio::spawn(async move {
                let ca = match services::system::settings::current(&svc).await {
                    Ok(s) => s.raw(domain::system::settings::PIX_PSP_CA).to_owned(),
                    Err(e) => {
                        tracing::warn!(error = %e, "Pix webhook: settings unavailable");
                        return;
                    }
                };
                let config = match configs.for_ca(&ca) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(%peer, error = %e, "Pix webhook: connection refused");
                        return;
                    }
                };
                // No certificate from the PSP's CA: the handshake fails here.
                let tls = match tokio_rustls::TlsAcceptor::from(config).accept(tcp).await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::info!(%peer, error = %e, "Pix webhook: TLS handshake refused");
                        return;
                    }
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    }))
}
