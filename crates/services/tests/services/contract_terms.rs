//! Contract terms edits, contract search by number or login, audited
//! credential reads and fingerprinted re-pricing (the calls the REST API
//! adds), on SQLite and PostgreSQL.

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use domain::contracts::Status;
use domain::event::{ContractUpdated, DomainEvent};
use services::catalog;
use services::contracts::{self, AccessInput, ContractInput, TermsInput};
use services::crm::{self, AddressInput, Created, CustomerInput};
use services::{Error, Services};
use store::testing::each_engine;

use crate::{admin_caller, audited, svc};

async fn customer(s: &Services, name: &str, doc: &str) -> i64 {
    let input = CustomerInput {
        kind: "person".into(),
        name: name.into(),
        document: doc.into(),
        ..Default::default()
    };
    match crm::create_customer(s, &admin_caller(), &input)
        .await
        .unwrap()
    {
        Created::Customer(c) => c.id,
        Created::Duplicates(d) => panic!("unexpected duplicates {d:?}"),
    }
}

fn plan(name: &str, price: i64) -> Plan {
    Plan {
        name: name.into(),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: None,
        burst_up: None,
        quota: None,
        price: Money(price),
        billing_mode: BillingMode::Postpaid,
        cycle: Cycle::Monthly,
        installation_fee: Money(0),
        loyalty_months: 0,
        early_termination_fee: Money(0),
        tax_category: String::new(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Reject,
        active: true,
        public: true,
    }
}

async fn contract(s: &Services, customer_id: i64, plan_id: i64, login: &str) -> i64 {
    contracts::create(
        s,
        &admin_caller(),
        &ContractInput {
            customer_id,
            plan_id,
            billing_day: 10,
            login: login.into(),
            password: "first-pw".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

fn field_of(e: Error) -> String {
    match e {
        Error::Invalid { field, .. } => field.to_owned(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn terms_are_validated_audited_and_announced() {
    each_engine(|db| async move {
        let s = svc(&db);
        let ana = customer(&s, "Ana Lima", "52998224725").await;
        let bia = customer(&s, "Bia Souza", "11144477735").await;
        let p = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 300", 9990))
            .await
            .unwrap()
            .id;
        let k = contract(&s, ana, p, "ana.lima").await;
        contract(&s, bia, p, "bia.souza").await;
        let bias_address = crm::add_address(
            &s,
            &admin_caller(),
            bia,
            &AddressInput {
                kind: "service".into(),
                street: "Rua A".into(),
                city: "Recife".into(),
                state: "PE".into(),
                postal_code: "50000-000".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;

        // Every bad field is named, and nothing is written.
        let bad: Vec<(&str, TermsInput)> = vec![
            (
                "billing_day",
                TermsInput {
                    billing_day: Some(31),
                    ..Default::default()
                },
            ),
            (
                "login",
                TermsInput {
                    login: Some("no spaces".into()),
                    ..Default::default()
                },
            ),
            (
                "password",
                TermsInput {
                    password: Some("abc".into()),
                    ..Default::default()
                },
            ),
            (
                "mac",
                TermsInput {
                    mac: Some("zz".into()),
                    ..Default::default()
                },
            ),
            (
                "ipv4",
                TermsInput {
                    ipv4: Some("300.1.1.1".into()),
                    ..Default::default()
                },
            ),
            (
                "ipv6_prefix",
                TermsInput {
                    ipv6_prefix: Some("nope".into()),
                    ..Default::default()
                },
            ),
            (
                "notes",
                TermsInput {
                    notes: Some("x".repeat(2001)),
                    ..Default::default()
                },
            ),
            (
                "service_address_id",
                TermsInput {
                    service_address_id: Some(Some(bias_address)),
                    ..Default::default()
                },
            ),
        ];
        for (field, input) in bad {
            let e = contracts::update_terms(&s, &admin_caller(), k, &input)
                .await
                .unwrap_err();
            assert_eq!(field_of(e), field);
        }
        assert!(audited(&s, "contract.update").await.is_empty());
        // Another contract's login is taken.
        assert!(matches!(
            contracts::update_terms(
                &s,
                &admin_caller(),
                k,
                &TermsInput {
                    login: Some("Bia.Souza".into()),
                    ..Default::default()
                }
            )
            .await,
            Err(Error::Conflict("login"))
        ));
        assert!(matches!(
            contracts::update_terms(&s, &admin_caller(), 999_999, &TermsInput::default()).await,
            Err(Error::NotFound)
        ));

        contracts::update_terms(
            &s,
            &admin_caller(),
            k,
            &TermsInput {
                billing_day: Some(20),
                login: Some("Ana.Fibra".into()),
                password: Some("second-pw".into()),
                ipv4: Some("100.64.0.10".into()),
                notes: Some(" poste 12 ".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let got = contracts::get(&s, &admin_caller(), k).await.unwrap();
        assert_eq!(got.billing_day, 20);
        assert_eq!(got.pppoe_login, "ana.fibra");
        assert_eq!(got.ipv4.as_deref(), Some("100.64.0.10"));
        assert_eq!(got.notes, "poste 12");
        assert_eq!(got.price, 9990, "terms never touch the price");
        assert_eq!(
            contracts::credentials(&s, &admin_caller(), k)
                .await
                .unwrap(),
            ("ana.fibra".to_owned(), "second-pw".to_owned())
        );
        let entries = audited(&s, "contract.update").await;
        assert_eq!(entries.len(), 1);
        let after = entries[0].after_json.as_deref().unwrap();
        assert!(after.contains("\"password_changed\":true"), "{after}");
        assert!(!after.contains("second-pw"));
        let (events, _) =
            crm::timeline(&s, &admin_caller(), ana, Some("contract.updated"), None, 10)
                .await
                .unwrap();
        assert_eq!(events.len(), 1);

        // An empty value clears an optional credential.
        contracts::update_terms(
            &s,
            &admin_caller(),
            k,
            &TermsInput {
                ipv4: Some(String::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            contracts::get(&s, &admin_caller(), k).await.unwrap().ipv4,
            None
        );

        // Search by number (zeros optional) and by login, any case.
        let number = got.number.clone();
        let short = number.trim_start_matches('0').to_owned();
        for q in [number.as_str(), short.as_str(), "ANA.FIBRA", " ana.fibra "] {
            let hits = contracts::search(&s, &admin_caller(), q).await.unwrap();
            assert_eq!(
                hits.iter().map(|h| h.id).collect::<Vec<_>>(),
                vec![k],
                "{q}"
            );
        }
        assert!(
            contracts::search(&s, &admin_caller(), "nobody")
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            contracts::search(&s, &admin_caller(), "  ")
                .await
                .unwrap()
                .is_empty()
        );

        // Reading the password is audited; the log never holds it.
        let (login, pw) = contracts::reveal_credentials(&s, &admin_caller(), k)
            .await
            .unwrap();
        assert_eq!((login.as_str(), pw.as_str()), ("ana.fibra", "second-pw"));
        let reads = audited(&s, "contract.credentials.view").await;
        assert_eq!(reads.len(), 1);
        assert!(
            !reads[0]
                .after_json
                .as_deref()
                .unwrap()
                .contains("second-pw")
        );

        // A canceled contract is history.
        contracts::transition(&s, &admin_caller(), k, Status::Canceled, None, "")
            .await
            .unwrap();
        let e = contracts::update_terms(
            &s,
            &admin_caller(),
            k,
            &TermsInput {
                notes: Some("late".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(field_of(e), "status");
    })
    .await;
}

/// `contract.updated` payloads, oldest first.
async fn updated_events(s: &Services) -> Vec<ContractUpdated> {
    let mut c = s.db.conn().await.unwrap();
    store::events::after(&mut c, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event.unwrap() {
            DomainEvent::ContractUpdated(u) => Some(u),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn access_changes_are_terms_changes() {
    each_engine(|db| async move {
        let s = svc(&db);
        let ana = customer(&s, "Ana Lima", "52998224725").await;
        let p = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 300", 9990))
            .await
            .unwrap()
            .id;
        let k = contract(&s, ana, p, "ana.lima").await;

        // The same rules name the same fields, and nothing is written.
        let bad: Vec<(&str, AccessInput)> = vec![
            (
                "login",
                AccessInput {
                    login: Some("no spaces".into()),
                    ..Default::default()
                },
            ),
            (
                "password",
                AccessInput {
                    password: Some("abc".into()),
                    ..Default::default()
                },
            ),
            (
                "mac",
                AccessInput {
                    mac: Some("zz".into()),
                    ..Default::default()
                },
            ),
            (
                "ipv4",
                AccessInput {
                    ipv4: Some("300.1.1.1".into()),
                    ..Default::default()
                },
            ),
            (
                "ipv6_prefix",
                AccessInput {
                    ipv6_prefix: Some("nope".into()),
                    ..Default::default()
                },
            ),
        ];
        for (field, input) in bad {
            let e = contracts::update_access(&s, &admin_caller(), k, &input)
                .await
                .unwrap_err();
            assert_eq!(field_of(e), field);
        }
        assert!(audited(&s, "contract.update").await.is_empty());
        assert!(updated_events(&s).await.is_empty());

        // A new password alone keeps live sessions; the log never holds it.
        contracts::update_access(
            &s,
            &admin_caller(),
            k,
            &AccessInput {
                password: Some("radius-pw".into()),
                mac: Some("AA-BB-CC-00-11-22".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // A new address drops them.
        contracts::update_access(
            &s,
            &admin_caller(),
            k,
            &AccessInput {
                ipv4: Some("100.64.0.20".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let got = contracts::get(&s, &admin_caller(), k).await.unwrap();
        assert_eq!(got.mac.as_deref(), Some("AA:BB:CC:00:11:22"));
        assert_eq!(got.ipv4.as_deref(), Some("100.64.0.20"));
        assert_eq!(got.billing_day, 10, "access changes leave the terms alone");
        assert_eq!(
            contracts::credentials(&s, &admin_caller(), k)
                .await
                .unwrap()
                .1,
            "radius-pw".to_owned()
        );
        let entries = audited(&s, "contract.update").await;
        assert_eq!(entries.len(), 2);
        assert!(entries.iter().all(|e| {
            !e.after_json.as_deref().unwrap().contains("radius-pw")
                && !e.before_json.as_deref().unwrap().contains("radius-pw")
        }));
        let events = updated_events(&s).await;
        assert_eq!(events.len(), 2);
        assert!(events[0].password_changed);
        assert!(!events[0].reconnect);
        assert!(!events[1].password_changed);
        assert!(events[1].reconnect);
        assert_eq!(events[1].login, "ana.lima");
        let (timeline, _) =
            crm::timeline(&s, &admin_caller(), ana, Some("contract.updated"), None, 10)
                .await
                .unwrap();
        assert_eq!(timeline.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn repricing_with_a_stale_fingerprint_is_refused() {
    each_engine(|db| async move {
        let s = svc(&db);
        let p = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 100", 7990))
            .await
            .unwrap()
            .id;
        let a = customer(&s, "Ana", "52998224725").await;
        let b = customer(&s, "Bia", "11144477735").await;
        let ka = contract(&s, a, p, "ana").await;
        let preview = catalog::preview_repricing(&s, &admin_caller(), p, Money(8990), 5)
            .await
            .unwrap();
        assert_eq!(preview.count, 1);
        assert_eq!(preview.fingerprint.len(), 64);
        // The same question gives the same fingerprint; another price does not.
        let again = catalog::preview_repricing(&s, &admin_caller(), p, Money(8990), 0)
            .await
            .unwrap();
        assert_eq!(again.fingerprint, preview.fingerprint);
        let other = catalog::preview_repricing(&s, &admin_caller(), p, Money(9990), 0)
            .await
            .unwrap();
        assert_ne!(other.fingerprint, preview.fingerprint);

        // One contract is canceled and another one arrives: the count is the
        // same, but the set changed, so the fingerprint refuses.
        contracts::transition(&s, &admin_caller(), ka, Status::Canceled, None, "")
            .await
            .unwrap();
        let kb = contract(&s, b, p, "bia").await;
        assert_eq!(
            catalog::preview_repricing(&s, &admin_caller(), p, Money(8990), 0)
                .await
                .unwrap()
                .count,
            1
        );
        assert!(matches!(
            catalog::apply_repricing(&s, &admin_caller(), p, Money(8990), &preview.fingerprint)
                .await,
            Err(Error::Refused("repricing-changed"))
        ));
        assert_eq!(
            contracts::get(&s, &admin_caller(), kb).await.unwrap().price,
            7990
        );

        let fresh = catalog::preview_repricing(&s, &admin_caller(), p, Money(8990), 0)
            .await
            .unwrap();
        assert_eq!(
            catalog::apply_repricing(&s, &admin_caller(), p, Money(8990), &fresh.fingerprint)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            contracts::get(&s, &admin_caller(), kb).await.unwrap().price,
            8990
        );
        assert_eq!(
            contracts::get(&s, &admin_caller(), ka).await.unwrap().price,
            7990
        );
        assert_eq!(audited(&s, "contract.reprice").await.len(), 1);
    })
    .await;
}
