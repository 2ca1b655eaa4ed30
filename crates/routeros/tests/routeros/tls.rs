//! The binary API over TLS (api-ssl): trust by root or by pin.

use routeros::{Client, Error, Print, TlsOptions};

use super::fake;

#[tokio::test]
async fn trusted_by_the_ca() {
    let router = fake().await;
    let c = Client::connect(&router.tls_config())
        .await
        .expect("TLS login");
    let id = c.add("/ppp/secret", [("name", "tls-user")]).await.unwrap();
    assert_eq!(
        router.row("/ppp/secret", &id).unwrap().get("name"),
        Some("tls-user")
    );
    assert_eq!(
        c.print("/ppp/secret", &Print::new()).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn pinned_certificate() {
    let router = fake().await;
    let fingerprint = hex::encode(router.cert_fingerprint());
    let config = router
        .config()
        .tls(TlsOptions::pinned(&fingerprint).unwrap())
        .port(router.api_tls_addr().port());
    let c = Client::connect(&config).await.expect("pinned TLS login");
    assert!(
        c.print("/queue/simple", &Print::new())
            .await
            .unwrap()
            .is_empty()
    );

    // Pinning ignores the name: a router reached by a name its
    // certificate does not carry is still accepted.
    let mut other_name = config.clone();
    other_name.tls.as_mut().unwrap().server_name = Some("router.example.net".into());
    Client::connect(&other_name)
        .await
        .expect("pin ignores the name");
}

#[tokio::test]
async fn refused_certificates() {
    let router = fake().await;
    let port = router.api_tls_addr().port();

    // Public roots only: the fake's CA is unknown.
    let config = router.config().tls(TlsOptions::default()).port(port);
    assert!(matches!(
        Client::connect(&config).await,
        Err(Error::Tls { .. })
    ));

    // Another certificate's fingerprint.
    let config = router
        .config()
        .tls(TlsOptions::pinned(&["00"; 32].join(":")).unwrap())
        .port(port);
    match Client::connect(&config).await {
        Err(e @ Error::Tls { .. }) => assert!(e.to_string().starts_with("TLS with 127.0.0.1:")),
        Err(e) => panic!("expected a TLS error, got {e}"),
        Ok(_) => panic!("a wrong pin was accepted"),
    }

    // The right CA but a name the certificate does not carry.
    let mut config = router.tls_config();
    config.tls.as_mut().unwrap().server_name = Some("router.example.net".into());
    assert!(matches!(
        Client::connect(&config).await,
        Err(Error::Tls { .. })
    ));

    // Bad settings are configuration errors, before any connection.
    assert!(matches!(TlsOptions::pinned("12:34"), Err(Error::Config(_))));
    let mut config = router.tls_config();
    config.tls.as_mut().unwrap().extra_roots_pem = vec!["not a certificate".into()];
    assert!(matches!(
        Client::connect(&config).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn wrong_password_over_tls() {
    let router = fake().await;
    let mut config = router.tls_config();
    config.password = "nope".into();
    assert!(matches!(
        Client::connect(&config).await,
        Err(Error::Login(_))
    ));
}
