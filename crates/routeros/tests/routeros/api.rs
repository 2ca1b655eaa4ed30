//! The binary API client over plain TCP.

use std::time::Duration;

use routeros::codec::DecodeErrorKind;
use routeros::fake::FakeRouter;
use routeros::{Client, Command, Error, Print, Query, TrapCategory};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::fake;

const SECRETS: &str = "/ppp/secret";

#[tokio::test]
async fn login_ok_and_wrong_password() {
    let router = fake().await;
    let client = Client::connect(&router.config()).await.expect("login");
    assert!(!client.is_closed());

    let mut wrong = router.config();
    wrong.password = "guess".into();
    match Client::connect(&wrong).await {
        Err(Error::Login(m)) => assert_eq!(m, "invalid user name or password (6)"),
        Err(e) => panic!("expected a login error, got {e}"),
        Ok(_) => panic!("a wrong password logged in"),
    }
    let mut nobody = router.config();
    nobody.username = "nobody".into();
    assert!(matches!(
        Client::connect(&nobody).await,
        Err(Error::Login(_))
    ));
}

#[tokio::test]
async fn commands_before_login_end_the_session() {
    let router = fake().await;
    let tcp = tokio::net::TcpStream::connect(router.api_addr())
        .await
        .unwrap();
    let client = Client::start(tcp, &router.config());
    match client.print(SECRETS, &Print::new()).await {
        Err(Error::Fatal(m)) => assert_eq!(m, "not logged in"),
        other => panic!("expected !fatal, got {other:?}"),
    }
    assert!(client.is_closed());
    assert!(matches!(
        client.run(Command::new("/ppp/secret/print")).await,
        Err(Error::Fatal(_))
    ));
}

#[tokio::test]
async fn add_print_set_remove_and_read_back() {
    let router = fake().await;
    let c = Client::connect(&router.config()).await.unwrap();
    let alice = c
        .add(
            SECRETS,
            [
                ("name", "alice"),
                ("password", "pw1"),
                ("profile", "50M"),
                ("service", "pppoe"),
            ],
        )
        .await
        .unwrap();
    let bob = c
        .add(
            SECRETS,
            [("name", "bob"), ("password", "pw2"), ("profile", "100M")],
        )
        .await
        .unwrap();
    assert_eq!((alice.as_str(), bob.as_str()), ("*1", "*2"));

    // What the router holds is exactly what was pushed, in order.
    let held = router.rows(SECRETS);
    assert_eq!(
        held[0].iter().collect::<Vec<_>>(),
        [
            (".id", "*1"),
            ("name", "alice"),
            ("password", "pw1"),
            ("profile", "50M"),
            ("service", "pppoe"),
            ("disabled", "false")
        ]
    );

    let rows = c.print(SECRETS, &Print::new()).await.unwrap();
    assert_eq!(rows, held);

    let only_bob = c
        .print(
            SECRETS,
            &Print::new()
                .query(Query::new().eq("profile", "100M"))
                .proplist([".id", "name"]),
        )
        .await
        .unwrap();
    assert_eq!(only_bob.len(), 1);
    assert_eq!(
        only_bob[0].iter().collect::<Vec<_>>(),
        [(".id", "*2"), ("name", "bob")]
    );

    let either = Query::new().eq("name", "alice").eq("name", "bob").or();
    assert_eq!(
        c.count(SECRETS, &Print::new().query(either)).await.unwrap(),
        2
    );

    c.set(
        SECRETS,
        &alice,
        [("profile", "blocked"), ("disabled", "yes")],
    )
    .await
    .unwrap();
    let a = router.row(SECRETS, &alice).unwrap();
    assert_eq!(
        (a.get("profile"), a.get("disabled")),
        (Some("blocked"), Some("yes"))
    );

    c.remove(SECRETS, &bob).await.unwrap();
    assert_eq!(router.rows(SECRETS).len(), 1);
    assert!(router.row(SECRETS, &bob).is_none());
}

#[tokio::test]
async fn every_provisioning_menu() {
    let router = fake().await;
    let c = Client::connect(&router.config()).await.unwrap();
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "/ppp/secret",
            &[
                ("name", "c1"),
                ("password", "x"),
                ("remote-address", "100.64.0.10"),
            ],
        ),
        (
            "/queue/simple",
            &[
                ("name", "c1"),
                ("target", "100.64.0.10/32"),
                ("max-limit", "20M/50M"),
                ("burst-limit", "25M/60M"),
            ],
        ),
        (
            "/queue/tree",
            &[
                ("name", "c1-down"),
                ("parent", "global"),
                ("packet-mark", "c1"),
                ("max-limit", "50M"),
            ],
        ),
        (
            "/ip/firewall/address-list",
            &[
                ("list", "blocked"),
                ("address", "100.64.0.10"),
                ("comment", "contract 1"),
            ],
        ),
        (
            "/ip/hotspot/user",
            &[("name", "c1"), ("password", "x"), ("profile", "10M")],
        ),
    ];
    for (menu, props) in cases {
        let id = c.add(menu, props.iter().copied()).await.unwrap();
        let rows = c.print(menu, &Print::new()).await.unwrap();
        assert_eq!(rows.len(), 1, "{menu}");
        assert_eq!(rows[0].id(), Some(id.as_str()));
        for (k, v) in *props {
            assert_eq!(rows[0].get(k), Some(*v), "{menu} {k}");
        }
        // Console-style paths name the same menu.
        let console = menu.replace('/', " ");
        assert_eq!(c.print(&console, &Print::new()).await.unwrap(), rows);
        c.remove(menu, &id).await.unwrap();
        assert!(router.rows(menu).is_empty());
    }
}

#[tokio::test]
async fn traps_are_typed_and_leave_the_connection_usable() {
    let router = fake().await;
    let c = Client::connect(&router.config()).await.unwrap();
    c.add(SECRETS, [("name", "alice")]).await.unwrap();

    let e = c.set(SECRETS, "*99", [("profile", "x")]).await.unwrap_err();
    let trap = e.trap().expect("a trap");
    assert_eq!(trap.message, "no such item");
    assert_eq!(
        e.to_string(),
        "/ppp/secret/set =.id=*99 =profile=x: no such item"
    );

    let e = c.add(SECRETS, [("name", "alice")]).await.unwrap_err();
    assert_eq!(
        e.trap().unwrap().message,
        "failure: secret with the same name already exists"
    );

    let e = c.print("/ip/nothing", &Print::new()).await.unwrap_err();
    let trap = e.trap().unwrap();
    assert_eq!(trap.category, Some(TrapCategory::MissingItemOrCommand));
    assert_eq!(
        trap.message,
        "no such command or directory (/ip/nothing/print)"
    );

    let e = c
        .print(SECRETS, &Print::new().query(Query::new().or()))
        .await
        .unwrap_err();
    assert_eq!(
        e.trap().unwrap().category,
        Some(TrapCategory::ArgumentValue)
    );

    let e = c.remove(SECRETS, "*1,*7").await.unwrap_err();
    assert_eq!(e.trap().unwrap().message, "no such item");
    assert_eq!(
        router.rows(SECRETS).len(),
        1,
        "nothing removed when one id is unknown"
    );

    // Bad menu paths never reach the router.
    assert!(matches!(
        c.print("/ppp/secret?x", &Print::new()).await,
        Err(Error::Config(_))
    ));

    assert!(!c.is_closed());
    assert_eq!(c.print(SECRETS, &Print::new()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn empty_reply_from_7_18() {
    let new = fake().await;
    let c = Client::connect(&new.config()).await.unwrap();
    let r = c.run(Command::new("/ppp/secret/print")).await.unwrap();
    assert!(r.empty && r.rows.is_empty());

    let old = FakeRouter::builder()
        .user("a", "b")
        .version("7.15.3")
        .start()
        .await
        .unwrap();
    let c = Client::connect(&old.config()).await.unwrap();
    let r = c.run(Command::new("/ppp/secret/print")).await.unwrap();
    assert!(!r.empty && r.rows.is_empty());
    let v = c.print("/system/resource", &Print::new()).await.unwrap();
    assert_eq!(v[0].get("version"), Some("7.15.3 (stable)"));
}

// Several worker threads, so commands really overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commands_are_routed_by_tag() {
    let router = fake().await;
    let c = Client::connect(&router.config()).await.unwrap();
    c.add("/queue/simple", [("name", "q1"), ("target", "10.0.0.1/32")])
        .await
        .unwrap();
    // Long enough that a loaded machine still answers the add first.
    router.delay("/queue/simple/print", Duration::from_secs(1));

    let slow = tokio::spawn({
        let c = c.clone();
        async move { c.print("/queue/simple", &Print::new()).await }
    });
    // Once the router holds the print, a later command on the same
    // connection is answered first.
    while !router.commands().iter().any(|c| c == "/queue/simple/print") {
        tokio::task::yield_now().await;
    }
    let id = c.add(SECRETS, [("name", "fast")]).await.unwrap();
    assert_eq!(id, "*1");
    assert!(!slow.is_finished(), "the slow print must still be waiting");
    let rows = slow.await.unwrap().unwrap();
    assert_eq!(rows[0].get("name"), Some("q1"));

    // Many commands in flight at once from clones of one client.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let c = c.clone();
        tasks.spawn(async move { c.add("/ip/hotspot/user", [("name", format!("u{i}"))]).await });
    }
    let mut ids = Vec::new();
    while let Some(r) = tasks.join_next().await {
        ids.push(r.unwrap().unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    assert_eq!(router.rows("/ip/hotspot/user").len(), 200);
}

#[tokio::test]
async fn a_command_without_answer_times_out_and_is_cancelled() {
    let router = fake().await;
    let c = Client::connect(&router.config().command_timeout(Duration::from_millis(300)))
        .await
        .unwrap();
    router.hang("/ppp/secret/print");
    match c.print(SECRETS, &Print::new()).await {
        Err(Error::Timeout { what, after }) => {
            assert_eq!(what, "/ppp/secret/print");
            assert_eq!(after, Duration::from_millis(300));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    // The connection still works, and the router was told to cancel.
    c.add(SECRETS, [("name", "after")]).await.unwrap();
    assert!(router.commands().iter().any(|c| c == "/cancel"));
    router.release("/ppp/secret/print");
    assert_eq!(c.print(SECRETS, &Print::new()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn connect_timeout_when_login_is_never_answered() {
    // Accepts the connection and reads nothing.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let config = routeros::Config::new("127.0.0.1", "a", "b")
        .port(port)
        .connect_timeout(Duration::from_millis(300));
    assert!(matches!(
        Client::connect(&config).await,
        Err(Error::Timeout { .. })
    ));

    // Nothing listening: a connect error naming the address.
    drop(_keep);
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    match Client::connect(&routeros::Config::new("127.0.0.1", "a", "b").port(port)).await {
        Err(Error::Connect { addr, .. }) => assert_eq!(addr, format!("127.0.0.1:{port}")),
        Err(e) => panic!("expected a connect error, got {e}"),
        Ok(_) => panic!("connected to nothing"),
    }
}

#[tokio::test]
async fn malformed_bytes_from_the_router_fail_every_command() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        // Wait for the login, answer it (tag 1), then send a reserved
        // control byte.
        let mut buf = [0u8; 256];
        let _ = s.read(&mut buf).await.unwrap();
        s.write_all(b"\x05!done\x06.tag=1\x00\xF8").await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let config = routeros::Config::new("127.0.0.1", "a", "b").port(port);
    let tcp = tokio::net::TcpStream::connect(config.addr()).await.unwrap();
    let c = Client::start(tcp, &config);
    c.login("a", "b")
        .await
        .expect("the !done answers the login");
    match c.print(SECRETS, &Print::new()).await {
        Err(Error::Decode(e)) => {
            assert_eq!(e.offset, 14);
            assert_eq!(e.kind, DecodeErrorKind::ControlByte(0xF8));
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(c.is_closed());
}

#[tokio::test]
async fn quit_closes_the_session() {
    let router = fake().await;
    let c = Client::connect(&router.config()).await.unwrap();
    c.close().await;
    assert!(c.is_closed());
    match c.print(SECRETS, &Print::new()).await {
        Err(e @ Error::Fatal(_)) => {
            assert!(e.is_connection_lost());
            assert_eq!(
                e.to_string(),
                "router closed the session: session terminated on request"
            );
        }
        other => panic!("expected the fatal error, got {other:?}"),
    }
}

#[tokio::test]
async fn drift_made_on_the_router_is_visible() {
    let router = fake().await;
    let c = Client::connect(&router.config()).await.unwrap();
    let id = c
        .add("/queue/simple", [("name", "c1"), ("max-limit", "10M/20M")])
        .await
        .unwrap();
    assert!(router.update("/queue/simple", &id, "max-limit", "100M/100M"));
    let stray = router.insert(
        "/queue/simple",
        [("name", "by-hand"), ("max-limit", "1G/1G")],
    );
    let rows = c.print("/queue/simple", &Print::new()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get("max-limit"), Some("100M/100M"));
    assert_eq!(rows[1].id(), Some(stray.as_str()));
    assert!(router.delete("/queue/simple", &id));
    assert!(!router.delete("/queue/simple", &id));
    assert_eq!(
        c.print("/queue/simple", &Print::new()).await.unwrap().len(),
        1
    );
}

// Several worker threads, so commands really overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_secrets_added_and_printed_back() {
    let router = fake().await;
    let c = Client::connect(&router.config()).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..50 {
        let c = c.clone();
        tasks.spawn(async move {
            for i in 0..200 {
                let n = worker * 200 + i;
                c.add(
                    SECRETS,
                    [
                        ("name", format!("customer-{n:05}")),
                        ("password", format!("pw-{n}")),
                        ("profile", "plan-100M".to_owned()),
                        (
                            "remote-address",
                            format!("100.64.{}.{}", n / 250, n % 250 + 1),
                        ),
                    ],
                )
                .await?;
            }
            Ok::<_, Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    let rows = c.print(SECRETS, &Print::new()).await.unwrap();
    assert_eq!(rows.len(), 10_000);
    let mut names: Vec<&str> = rows.iter().map(|r| r.get("name").unwrap()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 10_000);
    assert_eq!(names[0], "customer-00000");
    assert_eq!(names[9_999], "customer-09999");
    assert_eq!(c.count(SECRETS, &Print::new()).await.unwrap(), 10_000);
    let one = c
        .print(
            SECRETS,
            &Print::new().query(Query::new().eq("name", "customer-04242")),
        )
        .await
        .unwrap();
    assert_eq!(one[0].get("password"), Some("pw-4242"));
}
