//! The REST client against the fake's REST face, and the two APIs behind
//! one `Router`.

use std::time::Duration;

use routeros::{Client, Error, Print, Query, RestClient, RestConfig, Router, Row, TlsOptions};

use super::fake;

const QUEUES: &str = "/queue/simple";

#[tokio::test]
async fn crud_over_http() {
    let router = fake().await;
    let rest = RestClient::new(&router.rest_config()).unwrap();
    let id = rest
        .add(
            QUEUES,
            [
                ("name", "c1"),
                ("target", "100.64.0.1/32"),
                ("max-limit", "10M/20M"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(id, "*1");
    assert_eq!(
        router.row(QUEUES, &id).unwrap().get("max-limit"),
        Some("10M/20M")
    );

    rest.add(QUEUES, [("name", "c2"), ("target", "100.64.0.2/32")])
        .await
        .unwrap();
    let all = rest.print(QUEUES, &Print::new()).await.unwrap();
    assert_eq!(all, router.rows(QUEUES));
    let c2 = rest
        .print(
            QUEUES,
            &Print::new()
                .query(Query::new().eq("name", "c2"))
                .proplist([".id", "target"]),
        )
        .await
        .unwrap();
    assert_eq!(c2.len(), 1);
    assert_eq!(
        c2[0].iter().collect::<Vec<_>>(),
        [(".id", "*2"), ("target", "100.64.0.2/32")]
    );

    rest.set(QUEUES, &id, [("max-limit", "50M/50M")])
        .await
        .unwrap();
    assert_eq!(
        router.row(QUEUES, &id).unwrap().get("max-limit"),
        Some("50M/50M")
    );
    rest.remove(QUEUES, &id).await.unwrap();
    assert_eq!(router.rows(QUEUES).len(), 1);
    assert_eq!(
        router.commands(),
        [
            "/queue/simple/add",
            "/queue/simple/add",
            "/queue/simple/print",
            "/queue/simple/print",
            "/queue/simple/set",
            "/queue/simple/remove"
        ]
    );
}

#[tokio::test]
async fn errors_map_to_the_same_error_type() {
    let router = fake().await;
    let rest = RestClient::new(&router.rest_config()).unwrap();
    rest.add("/ppp/secret", [("name", "alice")]).await.unwrap();

    let e = rest
        .set("/ppp/secret", "*9", [("profile", "x")])
        .await
        .unwrap_err();
    let trap = e.trap().expect("a trap");
    assert_eq!(
        (trap.message.as_str(), trap.http_status),
        ("no such item", Some(404))
    );

    let e = rest
        .add("/ppp/secret", [("name", "alice")])
        .await
        .unwrap_err();
    let trap = e.trap().unwrap();
    assert_eq!(
        trap.message,
        "failure: secret with the same name already exists"
    );
    assert_eq!(trap.http_status, Some(400));

    let e = rest.print("/ip/nothing", &Print::new()).await.unwrap_err();
    assert_eq!(
        e.trap().unwrap().message,
        "no such command or directory (/ip/nothing/print)"
    );

    let mut wrong = router.rest_config();
    wrong.password = "guess".into();
    let e = RestClient::new(&wrong)
        .unwrap()
        .print("/ppp/secret", &Print::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Login(_)), "{e}");

    assert!(matches!(
        rest.remove("/ppp/secret", "../x").await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        RestClient::new(&RestConfig::new("ftp://x", "a", "b")),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn https_pinned_and_by_root() {
    let router = fake().await;
    let pinned = RestClient::new(&router.rest_tls_config()).unwrap();
    let id = pinned
        .add("/ip/hotspot/user", [("name", "h1"), ("password", "x")])
        .await
        .unwrap();
    assert_eq!(
        router.row("/ip/hotspot/user", &id).unwrap().get("name"),
        Some("h1")
    );

    let mut config = router.rest_tls_config();
    config.tls = TlsOptions {
        extra_roots_pem: vec![router.ca_pem().to_owned()],
        ..TlsOptions::default()
    };
    let rows = RestClient::new(&config)
        .unwrap()
        .print("/ip/hotspot/user", &Print::new())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);

    // A name the certificate carries, other than the address connected to.
    config.tls.server_name = Some("localhost".into());
    let rows = RestClient::new(&config)
        .unwrap()
        .print("/ip/hotspot/user", &Print::new())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    // A name it does not carry.
    config.tls.server_name = Some("router.example.net".into());
    let e = RestClient::new(&config)
        .unwrap()
        .print("/ip/hotspot/user", &Print::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: None, .. }), "{e}");

    // Untrusted: public roots only.
    let mut untrusted = router.rest_config();
    untrusted.base_url = router.rest_tls_url();
    let e = RestClient::new(&untrusted)
        .unwrap()
        .print("/ip/hotspot/user", &Print::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: None, .. }), "{e}");
}

#[tokio::test]
async fn rest_timeout() {
    let router = fake().await;
    router.hang("/ppp/secret/print");
    let rest = RestClient::new(&router.rest_config().timeout(Duration::from_millis(300))).unwrap();
    match rest.print("/ppp/secret", &Print::new()).await {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, Duration::from_millis(300)),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

/// The same provisioning steps through either API give the same rows.
async fn provision(router: &Router) -> Result<Vec<Row>, Error> {
    let list = "/ip/firewall/address-list";
    let a = router
        .add(list, [("list", "blocked"), ("address", "100.64.0.7")])
        .await?;
    router
        .add(list, [("list", "blocked"), ("address", "100.64.0.8")])
        .await?;
    let duplicate = router
        .add(list, [("list", "blocked"), ("address", "100.64.0.8")])
        .await;
    let message = duplicate
        .err()
        .and_then(|e| e.trap().map(|t| t.message.clone()));
    assert_eq!(message.as_deref(), Some("failure: already have such entry"));
    router.set(list, &a, [("comment", "contract 7")]).await?;
    let rows = router
        .print(
            list,
            &Print::new().query(Query::new().eq("list", "blocked")),
        )
        .await?;
    router.remove(list, &a).await?;
    Ok(rows)
}

#[tokio::test]
async fn both_apis_behind_one_router_type() {
    let over_api = fake().await;
    let api = Router::Api(Client::connect(&over_api.config()).await.unwrap());
    let over_rest = fake().await;
    let rest = Router::Rest(RestClient::new(&over_rest.rest_config()).unwrap());
    let a = provision(&api).await.unwrap();
    let b = provision(&rest).await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a[0].get("comment"), Some("contract 7"));
    assert_eq!(
        over_api.rows("/ip/firewall/address-list"),
        over_rest.rows("/ip/firewall/address-list")
    );
}

#[tokio::test]
async fn both_faces_share_one_state() {
    let router = fake().await;
    let rest = RestClient::new(&router.rest_config()).unwrap();
    let api = Client::connect(&router.config()).await.unwrap();
    let id = rest.add("/ppp/secret", [("name", "shared")]).await.unwrap();
    let rows = api.print("/ppp/secret", &Print::new()).await.unwrap();
    assert_eq!(rows[0].id(), Some(id.as_str()));
}

/// The fake's GET forms, for callers that use them directly.
#[tokio::test]
async fn fake_answers_get_by_filter_and_by_id() {
    let router = fake().await;
    router.insert("/ppp/secret", [("name", "alice"), ("profile", "a")]);
    router.insert("/ppp/secret", [("name", "bob"), ("profile", "b")]);
    // reqwest is built without a default TLS provider; give it ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}/rest{path}", router.rest_url()))
            .basic_auth("lastmile", Some("s3cret"))
            .send()
    };
    let r = get("/ppp/secret?profile=b&.proplist=name".into())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), r#"[{"name":"bob"}]"#);
    let r = get("/ppp/secret/*1".into()).await.unwrap();
    assert_eq!(
        r.text().await.unwrap(),
        r#"{".id":"*1","name":"alice","profile":"a"}"#
    );
    let r = get("/ppp/secret/*9".into()).await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"error": 404, "message": "Not Found", "detail": "no such item"})
    );
    let r = http
        .get(format!("{}/rest/ppp/secret", router.rest_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
