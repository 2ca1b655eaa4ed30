//! TLS settings shared by api-ssl (8729) and the REST API (HTTPS).
//!
//! rustls with the ring provider. By default the router's certificate must
//! chain to the public web roots or to roots the caller adds, and name the
//! host. Routers mostly carry self-signed certificates, so a caller may
//! instead pin one certificate by its SHA-256 fingerprint: then exactly
//! that certificate is accepted, whatever its issuer, name or dates (the
//! handshake signature is still checked against its key).
//!
//! RouterOS's api-ssl without a certificate uses anonymous Diffie-Hellman,
//! which rustls does not offer (it is open to interception): give the
//! service a certificate (`/certificate add … ; /ip service set api-ssl
//! certificate=…`) and pin it.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

use crate::Error;

/// How to trust the router's certificate.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// Extra trust anchors in PEM (the ISP's own CA), besides the public
    /// web roots.
    pub extra_roots_pem: Vec<String>,
    /// Accept exactly the certificate with this SHA-256 fingerprint,
    /// instead of checking chain and name. An explicit opt-in; see
    /// [`TlsOptions::pinned`].
    pub pin_sha256: Option<[u8; 32]>,
    /// The name to verify and send as SNI, when it is not the host
    /// connected to (a router reached by address whose certificate names
    /// it `router1.example.net`).
    pub server_name: Option<String>,
}

impl TlsOptions {
    /// Pins the certificate with this SHA-256 fingerprint, written as hex
    /// with or without `:` separators (as `openssl x509 -fingerprint
    /// -sha256` and RouterOS's `/certificate print` show it).
    ///
    /// ```
    /// let t = routeros::TlsOptions::pinned(&["AB"; 32].join(":")).unwrap();
    /// assert_eq!(t.pin_sha256, Some([0xAB; 32]));
    /// assert!(routeros::TlsOptions::pinned("abc").is_err());
    /// ```
    pub fn pinned(fingerprint: &str) -> Result<TlsOptions, Error> {
        Ok(TlsOptions {
            pin_sha256: Some(parse_fingerprint(fingerprint)?),
            ..TlsOptions::default()
        })
    }
}

/// The SHA-256 fingerprint of a DER certificate (to pin it).
pub fn fingerprint(cert_der: &[u8]) -> [u8; 32] {
    Sha256::digest(cert_der).into()
}

/// Reads a fingerprint in hex, with or without `:` separators.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], Error> {
    let hex_only: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let bytes = hex::decode(&hex_only)
        .map_err(|e| Error::Config(format!("certificate fingerprint: {e}")))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        Error::Config(format!(
            "certificate fingerprint: {} bytes, a SHA-256 fingerprint has 32",
            b.len()
        ))
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls client configuration for these options.
pub(crate) fn client_config(options: &TlsOptions) -> Result<rustls::ClientConfig, Error> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?;
    if let Some(pin) = options.pin_sha256 {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { pin, provider }))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in &options.extra_roots_pem {
        let mut any = false;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| Error::Config(format!("trust root: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::Config(format!("trust root: {e}")))?;
            any = true;
        }
        if !any {
            return Err(Error::Config(
                "trust root: no certificate in the PEM text".into(),
            ));
        }
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// The server name to verify for `host` (an address or a DNS name).
pub(crate) fn server_name(options: &TlsOptions, host: &str) -> Result<ServerName<'static>, Error> {
    let name = options.server_name.as_deref().unwrap_or(host);
    let name = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(name.to_owned())
        .map_err(|e| Error::Config(format!("TLS server name {name:?}: {e}")))
}

/// Accepts one certificate by fingerprint.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if fingerprint(end_entity) == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
