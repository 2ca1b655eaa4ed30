//! RADIUS administration: NAS rules and secrets, session lists, "who had
//! address X at T", usage, disconnects and the retention purge, on SQLite
//! and PostgreSQL. Connection records are inserted directly, the way the
//! AAA runtime writes them.

use std::time::Duration;

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use domain::event::{DomainEvent, NasChange};
use services::nas::{NasInput, Reachability, Removed};
use services::radius;
use services::{Error, Services};
use store::AnyConnection;
use store::radius::{AuthFilter, SessionFilter};
use store::testing::each_engine;

use crate::{admin_caller, audited, svc};

fn field_of(e: Error) -> String {
    match e {
        Error::Invalid { field, .. } => field.to_owned(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

pub(crate) fn nas(name: &str, address: &str) -> NasInput {
    NasInput {
        name: name.into(),
        address: address.into(),
        secret: "very-secret-1".into(),
        kind: "mikrotik".into(),
        ..Default::default()
    }
}

/// A customer, a plan and a contract with login `login`: (contract, plan).
pub(crate) async fn contract(s: &Services, name: &str, login: &str, doc: &str) -> (i64, i64) {
    let c = match services::crm::create_customer(
        s,
        &admin_caller(),
        &services::crm::CustomerInput {
            kind: "person".into(),
            name: name.into(),
            document: doc.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    {
        services::crm::Created::Customer(c) => c.id,
        other => panic!("{other:?}"),
    };
    let plan = Plan {
        name: format!("Fibra {login}"),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: None,
        burst_up: None,
        quota: None,
        price: Money(9990),
        billing_mode: BillingMode::Postpaid,
        cycle: Cycle::Monthly,
        installation_fee: Money(0),
        loyalty_months: 0,
        early_termination_fee: Money(0),
        tax_category: "scm".into(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Restricted,
        active: true,
        public: true,
    };
    let p = services::catalog::create_plan(s, &admin_caller(), &plan)
        .await
        .unwrap()
        .id;
    let k = services::contracts::create(
        s,
        &admin_caller(),
        &services::contracts::ContractInput {
            customer_id: c,
            plan_id: p,
            billing_day: 5,
            login: login.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    (k, p)
}

pub(crate) struct Row<'a> {
    pub(crate) nas_id: i64,
    pub(crate) login: &'a str,
    pub(crate) contract_id: Option<i64>,
    pub(crate) ip: Option<&'a str>,
    pub(crate) v6: Option<&'a str>,
    pub(crate) mac: &'a str,
    pub(crate) start: i64,
    pub(crate) stop: Option<i64>,
}

pub(crate) async fn insert_session(c: &mut AnyConnection, r: &Row<'_>) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO radius_sessions (nas_id, acct_session_id, login, contract_id, framed_ip,
            delegated_ipv6_prefix, calling_station_id, started_at, updated_at, stopped_at,
            input_octets, output_octets)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, 1000, 5000) RETURNING id",
    )
    .bind(r.nas_id)
    .bind(format!("{}-{}", r.login, r.start))
    .bind(r.login)
    .bind(r.contract_id)
    .bind(r.ip)
    .bind(r.v6)
    .bind(r.mac)
    .bind(r.start)
    .bind(r.stop)
    .fetch_one(c)
    .await
    .unwrap()
}

#[tokio::test]
async fn nas_rules_secret_events_and_removal() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = admin_caller();
        for (input, field) in [
            (nas(" ", "10.0.0.1"), "name"),
            (nas("a", ""), "address"),
            (nas("a", "10.0.0.256"), "address"),
            (nas("a", "bng.example.net"), "address"),
            (
                NasInput {
                    kind: "nokia".into(),
                    ..nas("a", "10.0.0.1")
                },
                "kind",
            ),
            (
                NasInput {
                    coa_port: 70000,
                    ..nas("a", "10.0.0.1")
                },
                "coa_port",
            ),
            (
                NasInput {
                    secret: String::new(),
                    ..nas("a", "10.0.0.1")
                },
                "secret",
            ),
        ] {
            let e = services::nas::create(&s, &a, &input).await.unwrap_err();
            assert_eq!(field_of(e), field, "{input:?}");
        }

        let id = services::nas::create(&s, &a, &nas("bng-1", "2001:DB8:0::1"))
            .await
            .unwrap();
        let n = services::nas::get(&s, &a, id).await.unwrap();
        assert_eq!(n.address, "2001:db8::1", "stored in canonical form");
        assert!(n.secret.starts_with("enc"), "encrypted at rest");
        assert!(!n.secret.contains("very-secret-1"));
        assert_eq!(s.secrets.decrypt(&n.secret).unwrap(), "very-secret-1");
        // Unique name and address, named.
        let e = services::nas::create(&s, &a, &nas("bng-2", "2001:db8::1"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict("address")), "{e:?}");
        let e = services::nas::create(&s, &a, &nas("bng-1", "10.0.0.9"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict("name")), "{e:?}");

        // Audit never holds the secret; every change is announced.
        let created = audited(&s, "nas.create").await;
        assert_eq!(created.len(), 1);
        let text = format!("{:?}", created[0]);
        assert!(!text.contains("very-secret-1") && !text.contains(&n.secret));

        // An empty secret on update keeps the old one.
        let mut input = NasInput::from(&n);
        input.notes = "rack 3".into();
        input.require_message_authenticator = true;
        services::nas::update(&s, &a, id, &input).await.unwrap();
        let n2 = services::nas::get(&s, &a, id).await.unwrap();
        assert_eq!(n2.secret, n.secret);
        assert!(n2.require_message_authenticator);
        assert_eq!(n2.notes, "rack 3");
        input.secret = "rotated-secret".into();
        services::nas::update(&s, &a, id, &input).await.unwrap();
        let updates = audited(&s, "nas.update").await;
        assert_eq!(updates.len(), 2);
        assert!(!format!("{updates:?}").contains("rotated-secret"));
        assert!(format!("{:?}", updates[0]).contains("secret_changed"));

        // Reveal is audited.
        let shown = services::nas::reveal_secret(&s, &a, id).await.unwrap();
        assert_eq!(shown, "rotated-secret");
        assert_eq!(audited(&s, "nas.secret_revealed").await.len(), 1);

        // A NAS with records is disabled, not deleted; an unused one goes.
        let used = services::nas::create(&s, &a, &nas("bng-used", "10.0.0.2"))
            .await
            .unwrap();
        let mut c = db.conn().await.unwrap();
        insert_session(
            &mut c,
            &Row {
                nas_id: used,
                login: "x",
                contract_id: None,
                ip: Some("100.64.0.1"),
                v6: None,
                mac: "",
                start: 1000,
                stop: Some(2000),
            },
        )
        .await;
        drop(c);
        assert_eq!(
            services::nas::delete(&s, &a, used).await.unwrap(),
            Removed::Disabled
        );
        assert!(services::nas::get(&s, &a, used).await.unwrap().disabled);
        assert_eq!(
            services::nas::delete(&s, &a, id).await.unwrap(),
            Removed::Deleted
        );
        assert!(matches!(
            services::nas::get(&s, &a, id).await,
            Err(Error::NotFound)
        ));
        let mut c = db.conn().await.unwrap();
        let events = store::events::after(&mut c, 0, 1000).await.unwrap();
        let actions: Vec<NasChange> = events
            .into_iter()
            .filter_map(|e| match e.event.unwrap() {
                DomainEvent::NasChanged(n) => Some(n.action),
                _ => None,
            })
            .collect();
        use NasChange::*;
        assert_eq!(
            actions,
            [Created, Updated, Updated, Created, Disabled, Deleted]
        );
    })
    .await;
}

#[tokio::test]
async fn sessions_who_usage_disconnect_and_purge() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = admin_caller();
        let (k1, plan1) = contract(&s, "Maria Souza", "maria.souza", "52998224725").await;
        let (k2, _) = contract(&s, "João Lima", "joao.lima", "11144477735").await;
        let n1 = services::nas::create(&s, &a, &nas("bng-1", "10.0.0.1"))
            .await
            .unwrap();
        let n2 = services::nas::create(&s, &a, &nas("bng-2", "10.0.0.2"))
            .await
            .unwrap();
        let now = store::now();
        let day = 86_400;
        let t = 1_772_384_400; // 2026-03-01 17:00 UTC
        let mut c = db.conn().await.unwrap();
        // Maria held 100.64.3.9 from t to t+2h; João got it right after.
        let maria_old = insert_session(
            &mut c,
            &Row {
                nas_id: n1,
                login: "maria.souza",
                contract_id: Some(k1),
                ip: Some("100.64.3.9"),
                v6: Some("2001:db8:100::/56"),
                mac: "AA:BB:CC:00:11:22",
                start: t,
                stop: Some(t + 7200),
            },
        )
        .await;
        let joao = insert_session(
            &mut c,
            &Row {
                nas_id: n2,
                login: "joao.lima",
                contract_id: Some(k2),
                ip: Some("100.64.3.9"),
                v6: None,
                mac: "aa-bb-cc-00-99-88",
                start: t + 7200 + 1,
                stop: None,
            },
        )
        .await;
        let maria_now = insert_session(
            &mut c,
            &Row {
                nas_id: n1,
                login: "maria.souza",
                contract_id: Some(k1),
                ip: Some("100.64.7.7"),
                v6: None,
                mac: "AA:BB:CC:00:11:22",
                start: now - 600,
                stop: None,
            },
        )
        .await;
        // Long gone: stopped 500 and 200 days ago.
        let ancient = insert_session(
            &mut c,
            &Row {
                nas_id: n1,
                login: "old",
                contract_id: None,
                ip: Some("100.64.9.9"),
                v6: None,
                mac: "",
                start: now - 501 * day,
                stop: Some(now - 500 * day),
            },
        )
        .await;
        let recent = insert_session(
            &mut c,
            &Row {
                nas_id: n1,
                login: "old",
                contract_id: None,
                ip: Some("100.64.9.9"),
                v6: None,
                mac: "",
                start: now - 201 * day,
                stop: Some(now - 200 * day),
            },
        )
        .await;
        for (at, result, reason, nas_id) in [
            (now - 10, "reject", "wrong-password", Some(n1)),
            (now - 20, "accept", "", Some(n1)),
            (now - 30, "reject", "mac-mismatch", Some(n2)),
            (now - 100 * day, "reject", "unknown-user", None),
        ] {
            sqlx::query(
                "INSERT INTO radius_auth_log (at, nas_id, login, contract_id, method, result, reason)
                 VALUES ($1, $2, 'maria.souza', $3, 'pap', $4, $5)",
            )
            .bind(at)
            .bind(nas_id)
            .bind(k1)
            .bind(result)
            .bind(reason)
            .execute(&mut *c)
            .await
            .unwrap();
        }
        for (cycle, bytes) in [("2026-01-05", 10_i64), ("2026-02-05", 20), ("2026-03-05", 30)] {
            sqlx::query(
                "INSERT INTO contract_usage (contract_id, cycle_start, input_octets, output_octets,
                    session_time, updated_at) VALUES ($1, $2, $3, $4, 3600, $5)",
            )
            .bind(k1)
            .bind(cycle)
            .bind(bytes)
            .bind(bytes * 10)
            .bind(now)
            .execute(&mut *c)
            .await
            .unwrap();
        }
        drop(c);

        // Online list: search by login prefix, IP, MAC in another spelling;
        // filters by NAS and plan.
        let online = |search: &str, nas_id: Option<i64>, plan_id: Option<i64>| SessionFilter {
            online: true,
            search: radius::session_search(search),
            nas_id,
            plan_id,
            limit: 50,
            ..Default::default()
        };
        let ids = |v: (Vec<store::radius::Session>, bool)| -> Vec<i64> {
            v.0.iter().map(|x| x.id).collect()
        };
        let all = radius::sessions(&s, &admin_caller(), &online("", None, None)).await.unwrap();
        assert_eq!(ids(all), [maria_now, joao]);
        let r = radius::sessions(&s, &admin_caller(), &online("MARIA", None, None))
            .await
            .unwrap();
        assert_eq!(r.0[0].customer_name.as_deref(), Some("Maria Souza"));
        assert_eq!(r.0[0].nas_name, "bng-1");
        assert_eq!(ids(r), [maria_now]);
        let r = radius::sessions(&s, &admin_caller(), &online("100.64.3.9", None, None))
            .await
            .unwrap();
        assert_eq!(ids(r), [joao]);
        let r = radius::sessions(&s, &admin_caller(), &online("aa:bb:cc:00:99:88", None, None))
            .await
            .unwrap();
        assert_eq!(ids(r), [joao]);
        let r = radius::sessions(&s, &admin_caller(), &online("", Some(n2), None))
            .await
            .unwrap();
        assert_eq!(ids(r), [joao]);
        let r = radius::sessions(&s, &admin_caller(), &online("", None, Some(plan1)))
            .await
            .unwrap();
        assert_eq!(ids(r), [maria_now]);
        // `%` in a search is a literal character.
        let r = radius::sessions(&s, &admin_caller(), &online("%", None, None)).await.unwrap();
        assert!(r.0.is_empty());
        // History of one contract, paged.
        let mut f = SessionFilter {
            contract_id: Some(k1),
            limit: 1,
            ..Default::default()
        };
        let (page1, more) = radius::sessions(&s, &admin_caller(), &f).await.unwrap();
        assert!(more);
        f.before = Some(page1[0].id);
        let (page2, more) = radius::sessions(&s, &admin_caller(), &f).await.unwrap();
        assert!(!more);
        assert_eq!([page1[0].id, page2[0].id], [maria_now, maria_old]);
        // And every session of a customer, through their contracts.
        let maria = services::contracts::get(&s, &admin_caller(), k1).await.unwrap().customer_id;
        let r = radius::sessions(
            &s,
            &admin_caller(),
            &SessionFilter {
                customer_id: Some(maria),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(ids(r), [maria_now, maria_old]);

        // Who had 100.64.3.9: boundaries are inclusive.
        let who = |ip: &'static str, at: i64| {
            let s = s.clone();
            async move {
                let at = jiff::Timestamp::from_second(at).unwrap().to_string();
                radius::who(&s, &admin_caller(), ip, &at)
                    .await
                    .unwrap()
                    .sessions
                    .iter()
                    .map(|x| x.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(who("100.64.3.9", t).await, [maria_old]);
        assert_eq!(who("100.64.3.9", t + 3600).await, [maria_old]);
        assert_eq!(who("100.64.3.9", t + 7200).await, [maria_old]);
        assert_eq!(who("100.64.3.9", t + 7201).await, [joao]);
        assert!(who("100.64.3.9", t - 1).await.is_empty());
        assert!(who("100.64.3.10", t + 60).await.is_empty());
        // An address inside the delegated /56, and the /64 within it.
        assert_eq!(who("2001:db8:100:ab::1", t + 60).await, [maria_old]);
        assert_eq!(who("2001:db8:100:ab::/64", t + 60).await, [maria_old]);
        assert!(who("2001:db8:101::1", t + 60).await.is_empty());
        let lookups = audited(&s, "radius.who").await;
        assert_eq!(lookups.len(), 9, "every lookup is audited");
        assert!(format!("{:?}", lookups.last()).contains("100.64.3.9"));
        // Parsing names the field; wall-clock times are in the company zone
        // (UTC here: no company yet).
        let a = admin_caller();
        let answer = radius::who(&s, &a, "100.64.3.9", "2026-03-01 17:00")
            .await
            .unwrap();
        assert_eq!(answer.at, t);
        let e = radius::who(&s, &a, "nope", "2026-03-01 17:00")
            .await
            .unwrap_err();
        assert_eq!(field_of(e), "ip");
        let e = radius::who(&s, &a, "100.64.3.9", "soon").await.unwrap_err();
        assert_eq!(field_of(e), "at");

        // Usage: oldest cycle first.
        let u = radius::usage(&s, &admin_caller(), k1, 12).await.unwrap();
        let cycles: Vec<&str> = u.iter().map(|x| x.cycle_start.as_str()).collect();
        assert_eq!(cycles, ["2026-01-05", "2026-02-05", "2026-03-05"]);
        assert_eq!(u[2].output_octets, 300);
        assert!(matches!(
            radius::usage(&s, &admin_caller(), 9999, 12).await,
            Err(Error::NotFound)
        ));

        // Auth log filters and their validation.
        let log = |f: AuthFilter| {
            let s = s.clone();
            async move { radius::auth_log(&s, &admin_caller(), &AuthFilter { limit: 50, ..f }).await }
        };
        let r = log(AuthFilter {
            result: Some("reject".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(r.0.len(), 3);
        let r = log(AuthFilter {
            reason: Some("mac-mismatch".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(r.0.len(), 1);
        assert_eq!(r.0[0].nas_name.as_deref(), Some("bng-2"));
        let r = log(AuthFilter {
            nas_id: Some(n1),
            from: Some(now - 3600),
            login: Some("MARIA".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(r.0.len(), 2);
        let e = log(AuthFilter {
            reason: Some("bad-luck".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert_eq!(field_of(e), "reason");
        let e = log(AuthFilter {
            from: Some(10),
            to: Some(5),
            ..Default::default()
        })
        .await
        .unwrap_err();
        assert_eq!(field_of(e), "to");

        // Disconnect: a pending request for the radius node, audited; a
        // closed session is refused.
        let coa = radius::disconnect(&s, &a, joao).await.unwrap();
        let reqs = radius::coa_requests(&s, &admin_caller(), Some(k2), None, 10).await.unwrap();
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].id, coa);
        assert_eq!(
            (reqs[0].kind.as_str(), reqs[0].status.as_str()),
            ("disconnect", "pending")
        );
        assert_eq!(reqs[0].nas_id, n2);
        assert_eq!(reqs[0].requested_by, "admin");
        assert_eq!(audited(&s, "radius.disconnect").await.len(), 1);
        assert!(matches!(
            radius::disconnect(&s, &a, maria_old).await,
            Err(Error::Refused("session-closed"))
        ));
        let old_coa = {
            let mut c = db.conn().await.unwrap();
            store::radius::insert_coa(
                &mut c,
                &store::radius::NewCoa {
                    kind: "coa",
                    session_id: Some(ancient),
                    contract_id: None,
                    nas_id: n1,
                    reason: "test",
                    requested_by: "x",
                },
                now - 500 * day,
            )
            .await
            .unwrap()
        };

        // Purge: connection records are kept at least a year whatever the
        // argument; open sessions are never purged.
        let note = radius::purge_older_than(&s, &admin_caller(), 100, 90).await.unwrap();
        assert!(note.starts_with("1 connection records and 1 "), "{note}");
        let left: Vec<i64> = radius::sessions(
            &s,
            &admin_caller(),
            &SessionFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .0
        .iter()
        .map(|x| x.id)
        .collect();
        assert_eq!(left, [recent, maria_now, joao, maria_old]);
        let reqs = radius::coa_requests(&s, &admin_caller(), None, None, 10).await.unwrap();
        let kept = reqs.iter().find(|r| r.id == old_coa).unwrap();
        assert_eq!(kept.session_id, None, "the request stays, unlinked");
        // With the settings (400 and 90 days by default), nothing else goes.
        let note = radius::purge(&s, &admin_caller()).await.unwrap();
        assert!(note.starts_with("0 connection records and 0 "), "{note}");
    })
    .await;
}

#[tokio::test]
async fn coa_port_probe_reports_answers_and_silence() {
    let secret = b"probe-secret";
    // A NAS that answers every CoA-Request with a signed CoA-NAK.
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((len, from)) = sock.recv_from(&mut buf).await {
            let req = ::radius::Packet::decode(&buf[..len], secret).unwrap();
            assert!(req.has_message_authenticator());
            let mut nak = req.make_response(::radius::Code::CoaNak);
            nak.add(::radius::attr::ERROR_CAUSE, 503);
            let wire = nak.encode(secret).unwrap();
            sock.send_to(&wire, from).await.unwrap();
        }
    });
    match services::nas::probe(addr, secret, Duration::from_secs(2)).await {
        Reachability::Answered {
            code, authentic, ..
        } => {
            assert_eq!(code, "CoaNak");
            assert!(authentic);
        }
        other => panic!("expected an answer, got {other:?}"),
    }
    // The wrong secret still gets an answer, flagged as not authentic.
    match services::nas::probe(addr, b"other", Duration::from_secs(2)).await {
        Reachability::Answered { authentic, .. } => assert!(!authentic),
        other => panic!("expected an answer, got {other:?}"),
    }
    // A socket that never answers.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let r = services::nas::probe(
        silent.local_addr().unwrap(),
        secret,
        Duration::from_millis(300),
    )
    .await;
    assert_eq!(r, Reachability::NoAnswer { timeout_ms: 300 });
}
