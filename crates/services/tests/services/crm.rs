//! CRM, catalog and contracts end to end through the services, on SQLite
//! and PostgreSQL.

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, ServiceItem, SuspendedBehavior, Technology};
use domain::contracts::{Status, SuspendReason};
use domain::event::DomainEvent;
use domain::validate::FieldError;
use services::catalog;
use services::contracts::{self, ContractInput, PlanChange};
use services::crm::{self, AddressInput, Created, CustomerInput};
use services::{Error, Services};
use store::testing::each_engine;

use crate::{admin_caller, audited, svc};

fn person(name: &str, doc: &str, email: &str, phone: &str) -> CustomerInput {
    CustomerInput {
        kind: "person".into(),
        name: name.into(),
        document: doc.into(),
        emails: vec![email.into()],
        phones: vec![phone.into()],
        tags: vec!["VIP ".into()],
        ..Default::default()
    }
}

async fn create(s: &Services, input: &CustomerInput) -> i64 {
    match crm::create_customer(s, &admin_caller(), input)
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
        installation_fee: Money(5000),
        loyalty_months: 12,
        early_termination_fee: Money(30000),
        tax_category: "scm".into(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Restricted,
        active: true,
        public: true,
    }
}

fn field_of(e: Error) -> String {
    match e {
        Error::Invalid { field, .. } => field.to_owned(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[tokio::test]
async fn customer_validation_names_fields() {
    each_engine(|db| async move {
        let s = svc(&db);
        let ok = person(
            "Ana",
            "529.982.247-25",
            "ana@example.com",
            "(11) 98765-4321",
        );
        type Edit = fn(&mut CustomerInput);
        let cases: &[(&str, Edit)] = &[
            ("kind", |c| c.kind = "robot".into()),
            ("name", |c| c.name = "  ".into()),
            ("document", |c| c.document = "529.982.247-24".into()),
            ("document", |c| c.document = "12.ABC.345/01DE-35".into()), // CNPJ for a person
            ("document_country", |c| c.document_country = "Brasil".into()),
            ("birth_date", |c| c.birth_date = "31/12/1990".into()),
            ("birth_date", |c| c.birth_date = "2999-01-01".into()),
            ("emails", |c| c.emails = vec!["not-an-email".into()]),
            ("phones", |c| c.phones = vec!["12".into()]),
            ("preferred_channel", |c| {
                c.preferred_channel = "pigeon".into()
            }),
            ("tags", |c| c.tags = vec!["x".repeat(41)]),
            ("custom_fields", |c| {
                c.custom_fields.insert("Bad Key".into(), "v".into());
            }),
        ];
        for (field, edit) in cases {
            let mut input = ok.clone();
            edit(&mut input);
            let e = crm::create_customer(&s, &admin_caller(), &input)
                .await
                .unwrap_err();
            assert_eq!(field_of(e), *field, "{field}");
        }
        // A company takes a CNPJ, alphanumeric included; abroad, any tax id.
        let mut company = ok.clone();
        company.kind = "company".into();
        company.document = "12.ABC.345/01DE-35".into();
        let id = create(&s, &company).await;
        let c = crm::get_customer(&s, &admin_caller(), id).await.unwrap();
        assert_eq!(c.document, "12.ABC.345/01DE-35");
        assert_eq!(c.document_norm, "12ABC34501DE35");
        assert_eq!(c.phones, vec!["+5511987654321".to_owned()]);
        assert_eq!(c.tags, vec!["vip".to_owned()]);
        let mut foreign = person("Hans", "DE 123 456 789", "hans@example.de", "+49 30 123456");
        foreign.document_country = "DE".into();
        create(&s, &foreign).await;

        // Addresses: CEP, UF and coordinates checked; one billing address.
        let addr = |street: &str, cep: &str| AddressInput {
            kind: "billing".into(),
            street: street.into(),
            number: "100".into(),
            district: "Centro".into(),
            city: "Florianópolis".into(),
            state: "sc".into(),
            postal_code: cep.into(),
            lat: Some(-27.59),
            lng: Some(-48.54),
            ..Default::default()
        };
        let bad_cep = crm::add_address(&s, &admin_caller(), id, &addr("Rua A", "8801-000"))
            .await
            .unwrap_err();
        assert_eq!(field_of(bad_cep), "postal_code");
        let mut bad_uf = addr("Rua A", "88010-000");
        bad_uf.state = "XX".into();
        assert_eq!(
            field_of(
                crm::add_address(&s, &admin_caller(), id, &bad_uf)
                    .await
                    .unwrap_err()
            ),
            "state"
        );
        let mut bad_lat = addr("Rua A", "88010-000");
        bad_lat.lat = Some(91.0);
        assert_eq!(
            field_of(
                crm::add_address(&s, &admin_caller(), id, &bad_lat)
                    .await
                    .unwrap_err()
            ),
            "lat"
        );
        crm::add_address(&s, &admin_caller(), id, &addr("Rua A", "88010-000"))
            .await
            .unwrap();
        let a = &crm::addresses(&s, &admin_caller(), id).await.unwrap()[0];
        assert_eq!(
            (a.postal_code.as_str(), a.state.as_str()),
            ("88010000", "SC")
        );
        assert!(matches!(
            crm::add_address(&s, &admin_caller(), id, &addr("Rua B", "88010-000")).await,
            Err(Error::Conflict(_))
        ));
        assert_eq!(audited(&s, "customer.create").await.len(), 2);
    })
    .await;
}

/// Names and other one-line text refuse control characters and
/// bidirectional overrides, naming the field; notes keep their lines.
#[tokio::test]
async fn free_text_refuses_control_characters() {
    each_engine(|db| async move {
        let s = svc(&db);
        let ok = person(
            "Ana",
            "529.982.247-25",
            "ana@example.com",
            "(11) 98765-4321",
        );
        type Edit = fn(&mut CustomerInput);
        let cases: &[(&str, Edit)] = &[
            ("name", |c| c.name = "Ana\u{0007}".into()),
            ("name", |c| c.name = "Ana\nSouza".into()),
            ("trade_name", |c| {
                c.trade_name = "Loja \u{202E}moc.evil".into()
            }),
        ];
        for (field, edit) in cases {
            let mut input = ok.clone();
            edit(&mut input);
            match crm::create_customer(&s, &admin_caller(), &input).await {
                Err(Error::Invalid {
                    field: f,
                    reason: services::FieldReason::Rule(FieldError::ControlCharacter),
                }) => assert_eq!(f, *field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let id = create(&s, &ok).await;
        crm::add_note(&s, &admin_caller(), id, "first line\r\n\tsecond line")
            .await
            .unwrap();
        assert!(matches!(
            crm::add_note(&s, &admin_caller(), id, "ring \u{0007}").await,
            Err(Error::Invalid { field: "body", .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn duplicates_are_detected() {
    each_engine(|db| async move {
        let s = svc(&db);
        let first = create(
            &s,
            &person(
                "João da Silva",
                "52998224725",
                "joao@example.com",
                "11987654321",
            ),
        )
        .await;
        let cases = [
            (
                "document",
                person("Outro", "529.982.247-25", "x@example.com", ""),
            ),
            (
                "email",
                person("Outro", "111.444.777-35", "JOAO@example.com", ""),
            ),
            (
                "phone",
                person(
                    "Outro",
                    "111.444.777-35",
                    "y@example.com",
                    "+55 (11) 98765-4321",
                ),
            ),
        ];
        for (matched, input) in cases {
            match crm::create_customer(&s, &admin_caller(), &input)
                .await
                .unwrap()
            {
                Created::Duplicates(d) => {
                    assert_eq!(d.len(), 1, "{matched}");
                    assert_eq!(d[0].customer_id, first);
                    assert_eq!(d[0].matched, matched);
                    assert_eq!(d[0].name, "João da Silva");
                }
                other => panic!("{matched}: {other:?}"),
            }
            assert_eq!(
                crm::find_duplicates(&s, &admin_caller(), &input)
                    .await
                    .unwrap()[0]
                    .customer_id,
                first
            );
        }
        let mut anyway = person("Outro", "529.982.247-25", "x@example.com", "");
        anyway.allow_duplicate = true;
        assert!(matches!(
            crm::create_customer(&s, &admin_caller(), &anyway)
                .await
                .unwrap(),
            Created::Customer(_)
        ));
    })
    .await;
}

#[tokio::test]
async fn search_finds_customers_by_every_key() {
    each_engine(|db| async move {
        let s = svc(&db);
        let joao = create(
            &s,
            &person(
                "João da Silva",
                "529.982.247-25",
                "joao.silva@example.com",
                "(48) 99911-2233",
            ),
        )
        .await;
        let mut company = person("Ótica Conceição Ltda", "12.ABC.345/01DE-35", "", "");
        company.kind = "company".into();
        company.trade_name = "Ótica Central".into();
        let otica = create(&s, &company).await;
        create(
            &s,
            &person("Maria Souza", "111.444.777-35", "maria@example.com", ""),
        )
        .await;
        crm::add_address(
            &s,
            &admin_caller(),
            joao,
            &AddressInput {
                kind: "service".into(),
                street: "Rua Frei Caneca".into(),
                number: "1380".into(),
                district: "Consolação".into(),
                city: "São Paulo".into(),
                state: "SP".into(),
                postal_code: "01307-002".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let p = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 300", 9990))
            .await
            .unwrap()
            .id;
        let k = contracts::create(
            &s,
            &admin_caller(),
            &ContractInput {
                customer_id: joao,
                plan_id: p,
                billing_day: 10,
                ipv4: "100.64.1.20".into(),
                ipv6_prefix: "2001:db8:100::/56".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        let contract = contracts::get(&s, &admin_caller(), k).await.unwrap();
        assert_eq!(contract.pppoe_login, "joao.silva");
        assert_eq!(contract.number, "000001");

        let cases = [
            ("joao silva", joao, "name"),
            ("JOÃO", joao, "name"),
            ("silv", joao, "name"),
            ("conceicao", otica, "name"),
            ("otica central", otica, "name"),
            ("529.982.247-25", joao, "document"),
            ("52998224725", joao, "document"),
            ("529982", joao, "document"),
            ("12.ABC.345/01DE-35", otica, "document"),
            ("12abc34501de35", otica, "document"),
            ("joao.silva@example.com", joao, "email"),
            ("JOAO.SILVA@EXAMPLE.COM", joao, "email"),
            ("(48) 99911-2233", joao, "phone"),
            ("48999112233", joao, "phone"),
            ("+55 48 99911 2233", joao, "phone"),
            ("5548999112233", joao, "phone"),
            ("joao.silva", joao, "login"),
            ("100.64.1.20", joao, "ip"),
            ("2001:db8:100::/56", joao, "ip"),
            ("000001", joao, "contract"),
            ("1", joao, "contract"),
            ("frei caneca", joao, "address"),
        ];
        for (q, want, matched) in cases {
            let hits = crm::search(&s, &admin_caller(), q, 10).await.unwrap();
            assert!(!hits.is_empty(), "{q}: nothing found");
            assert_eq!(hits[0].customer.id, want, "{q}");
            assert_eq!(hits[0].matched, matched, "{q}");
        }
        assert!(
            crm::search(&s, &admin_caller(), "inexistente", 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            crm::search(&s, &admin_caller(), "   ", 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Lists filter by status, plan, tag and city.
        let q = |f: fn(&mut crm::ListQuery)| {
            let mut q = crm::ListQuery {
                limit: 50,
                ..Default::default()
            };
            f(&mut q);
            q
        };
        let ids = |rows: Vec<store::crm::customers::Listed>| {
            rows.into_iter().map(|r| r.customer.id).collect::<Vec<_>>()
        };
        let (rows, _) = crm::list(
            &s,
            &admin_caller(),
            &q(|q| q.city = Some("SAO PAULO".into())),
        )
        .await
        .unwrap();
        assert_eq!(ids(rows), vec![joao]);
        let (rows, _) = crm::list(
            &s,
            &admin_caller(),
            &q(|q| q.status = Some(Status::PendingInstallation)),
        )
        .await
        .unwrap();
        assert_eq!(ids(rows), vec![joao]);
        let (rows, _) = crm::list(&s, &admin_caller(), &q(|q| q.tag = Some("vip".into())))
            .await
            .unwrap();
        assert_eq!(rows.len(), 3);
        let (rows, more) = crm::list(
            &s,
            &admin_caller(),
            &q(|q| {
                q.sort = store::crm::customers::Sort::Name;
                q.limit = 2;
            }),
        )
        .await
        .unwrap();
        assert!(more);
        assert_eq!(rows[0].customer.name, "João da Silva");
    })
    .await;
}

#[tokio::test]
async fn contract_status_machine_records_everything() {
    each_engine(|db| async move {
        let s = svc(&db);
        let c = create(
            &s,
            &person("Ana Lima", "52998224725", "ana@example.com", ""),
        )
        .await;
        let p = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 500", 12990))
            .await
            .unwrap()
            .id;
        let k = contracts::create(
            &s,
            &admin_caller(),
            &ContractInput {
                customer_id: c,
                plan_id: p,
                billing_day: 5,
                start_date: "2026-03-01".into(),
                login: "ana.lima".into(),
                password: "s3cret-pw".into(),
                mac: "00-11-22-aa-bb-cc".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        let got = contracts::get(&s, &admin_caller(), k).await.unwrap();
        assert_eq!(got.status, "pending_installation");
        assert_eq!(got.price, 12990);
        assert_eq!(got.loyalty_end_date.as_deref(), Some("2027-03-01"));
        assert_eq!(got.mac.as_deref(), Some("00:11:22:AA:BB:CC"));

        // The password is encrypted at rest and decrypts for RADIUS.
        let mut conn = db.conn().await.unwrap();
        let stored: String =
            sqlx::query_scalar("SELECT pppoe_password FROM contracts WHERE id = $1")
                .bind(k)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        drop(conn);
        assert!(!stored.contains("s3cret-pw"));
        assert!(services::secrets::SecretBox::is_encrypted(&stored));
        assert_eq!(
            contracts::credentials(&s, &admin_caller(), k)
                .await
                .unwrap(),
            ("ana.lima".to_owned(), "s3cret-pw".to_owned())
        );

        // Credentials are validated and unique.
        let dup = ContractInput {
            customer_id: c,
            plan_id: p,
            billing_day: 5,
            login: "ana.lima".into(),
            ..Default::default()
        };
        assert!(matches!(
            contracts::create(&s, &admin_caller(), &dup).await,
            Err(Error::Conflict("login"))
        ));
        for (field, edit) in [
            (
                "billing_day",
                (|i: &mut ContractInput| i.billing_day = 31) as fn(&mut _),
            ),
            ("login", |i| i.login = "Ana Lima".into()),
            ("mac", |i| i.mac = "00:11".into()),
            ("ipv4", |i| i.ipv4 = "300.1.1.1".into()),
            ("ipv6_prefix", |i| i.ipv6_prefix = "2001:db8::/8".into()),
            ("start_date", |i| i.start_date = "2026-02-30".into()),
            ("customer_id", |i| i.customer_id = 9999),
            ("plan_id", |i| i.plan_id = 9999),
            ("password", |i| i.password = "abc".into()),
        ] {
            let mut input = dup.clone();
            input.login = "other.login".into();
            edit(&mut input);
            let e = contracts::create(&s, &admin_caller(), &input)
                .await
                .unwrap_err();
            assert_eq!(field_of(e), field, "{field}");
        }

        // Illegal moves name both statuses; suspension needs a reason.
        let e = contracts::transition(
            &s,
            &admin_caller(),
            k,
            Status::Suspended,
            Some(SuspendReason::NonPayment),
            "",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                e,
                Error::IllegalTransition {
                    current: Status::PendingInstallation,
                    requested: Status::Suspended
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "a contract cannot go from pending_installation to suspended"
        );
        contracts::transition(&s, &admin_caller(), k, Status::Active, None, "installed")
            .await
            .unwrap();
        let e = contracts::transition(&s, &admin_caller(), k, Status::Suspended, None, "")
            .await
            .unwrap_err();
        assert_eq!(field_of(e), "reason");
        contracts::transition(
            &s,
            &admin_caller(),
            k,
            Status::Suspended,
            Some(SuspendReason::NonPayment),
            "",
        )
        .await
        .unwrap();
        assert_eq!(
            contracts::get(&s, &admin_caller(), k)
                .await
                .unwrap()
                .suspend_reason
                .as_deref(),
            Some("non_payment")
        );
        contracts::transition(&s, &admin_caller(), k, Status::Active, None, "paid")
            .await
            .unwrap();
        contracts::transition(&s, &admin_caller(), k, Status::Canceled, None, "moved away")
            .await
            .unwrap();
        let e = contracts::transition(&s, &admin_caller(), k, Status::Active, None, "")
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            Error::IllegalTransition {
                current: Status::Canceled,
                requested: Status::Active
            }
        ));
        let done = contracts::get(&s, &admin_caller(), k).await.unwrap();
        assert_eq!(done.status, "canceled");
        assert!(done.end_date.is_some());

        let tr = contracts::transitions(&s, &admin_caller(), k)
            .await
            .unwrap();
        let path: Vec<(&str, &str)> = tr
            .iter()
            .map(|t| (t.from_status.as_str(), t.to_status.as_str()))
            .collect();
        assert_eq!(
            path,
            [
                ("pending_installation", "active"),
                ("active", "suspended"),
                ("suspended", "active"),
                ("active", "canceled"),
            ]
        );
        assert_eq!(tr[1].reason.as_deref(), Some("non_payment"));
        assert_eq!(tr[3].note, "moved away");
        assert!(tr.iter().all(|t| t.actor_name == "admin"));
        assert_eq!(audited(&s, "contract.transition").await.len(), 4);

        let mut conn = db.conn().await.unwrap();
        let events: Vec<_> = store::events::after(&mut conn, 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.event.unwrap() {
                DomainEvent::ContractStatusChanged(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(events.len(), 4);
        assert_eq!(events[3].to, Status::Canceled);
        assert_eq!(events[3].login, "ana.lima");
        drop(conn);

        let (timeline, _) = crm::timeline(&s, &admin_caller(), c, None, None, 50)
            .await
            .unwrap();
        let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
        for want in [
            "customer.created",
            "contract.created",
            "contract.activated",
            "contract.suspended",
            "contract.reactivated",
            "contract.canceled",
        ] {
            assert!(kinds.contains(&want), "{want} in {kinds:?}");
        }
        assert!(timeline.iter().all(|e| e.actor_name == "admin"));

        // Notes land on the timeline too.
        crm::add_note(&s, &admin_caller(), c, "Prefers visits after 2 pm")
            .await
            .unwrap();
        let (tl, _) = crm::timeline(&s, &admin_caller(), c, Some("note."), None, 10)
            .await
            .unwrap();
        assert_eq!(tl[0].summary, "Prefers visits after 2 pm");
        assert_eq!(
            field_of(
                crm::add_note(&s, &admin_caller(), c, " ")
                    .await
                    .unwrap_err()
            ),
            "body"
        );
    })
    .await;
}

#[tokio::test]
async fn repricing_is_previewed_and_audited_per_contract() {
    each_engine(|db| async move {
        let s = svc(&db);
        let p = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 200", 8990))
            .await
            .unwrap()
            .id;
        let other = catalog::create_plan(&s, &admin_caller(), &plan("Fibra 1G", 19990))
            .await
            .unwrap()
            .id;
        let mut ids = Vec::new();
        for (i, doc) in ["52998224725", "11144477735", "12345678909"]
            .iter()
            .enumerate()
        {
            let c = create(&s, &person(&format!("Cliente {i}"), doc, "", "")).await;
            ids.push(
                contracts::create(
                    &s,
                    &admin_caller(),
                    &ContractInput {
                        customer_id: c,
                        plan_id: p,
                        billing_day: 10,
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .id,
            );
        }
        // One is canceled: re-pricing leaves it alone.
        contracts::transition(&s, &admin_caller(), ids[2], Status::Canceled, None, "")
            .await
            .unwrap();

        // A plan price change does not touch contracts.
        let mut newer = plan("Fibra 200", 9990);
        newer.description = "now 9,90 more".into();
        catalog::update_plan(&s, &admin_caller(), p, &newer)
            .await
            .unwrap();
        assert_eq!(
            catalog::get_plan(&s, &admin_caller(), p)
                .await
                .unwrap()
                .price,
            9990
        );
        for id in &ids {
            assert_eq!(
                contracts::get(&s, &admin_caller(), *id)
                    .await
                    .unwrap()
                    .price,
                8990
            );
        }
        let e = catalog::update_plan(&s, &admin_caller(), other, &plan("Fibra 200", 1))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict("name")), "{e:?}");
        let mut bad = plan("X", 1);
        bad.download_kbps = 0;
        assert_eq!(
            field_of(
                catalog::create_plan(&s, &admin_caller(), &bad)
                    .await
                    .unwrap_err()
            ),
            "download_kbps"
        );

        let preview = catalog::preview_repricing(&s, &admin_caller(), p, Money(9990), 10)
            .await
            .unwrap();
        assert_eq!(preview.count, 2);
        assert_eq!(preview.sample.len(), 2);
        assert_eq!(preview.sample[0].old_price, 8990);
        // The preview's fingerprint is the confirmation: none, or another
        // one, changes nothing.
        assert_eq!(
            field_of(
                catalog::apply_repricing(&s, &admin_caller(), p, Money(9990), " ")
                    .await
                    .unwrap_err()
            ),
            "fingerprint"
        );
        assert!(matches!(
            catalog::apply_repricing(&s, &admin_caller(), p, Money(9990), &"0".repeat(64)).await,
            Err(Error::Refused("repricing-changed"))
        ));
        assert_eq!(
            catalog::apply_repricing(&s, &admin_caller(), p, Money(9990), &preview.fingerprint)
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            contracts::get(&s, &admin_caller(), ids[0])
                .await
                .unwrap()
                .price,
            9990
        );
        assert_eq!(
            contracts::get(&s, &admin_caller(), ids[1])
                .await
                .unwrap()
                .price,
            9990
        );
        assert_eq!(
            contracts::get(&s, &admin_caller(), ids[2])
                .await
                .unwrap()
                .price,
            8990
        );
        let entries = audited(&s, "contract.reprice").await;
        assert_eq!(entries.len(), 2);
        let mut audited_ids: Vec<String> = entries.iter().map(|e| e.entity_id.clone()).collect();
        audited_ids.sort();
        assert_eq!(audited_ids, vec![ids[0].to_string(), ids[1].to_string()]);
        assert!(entries[0].before_json.as_deref().unwrap().contains("8990"));
        assert_eq!(
            catalog::preview_repricing(&s, &admin_caller(), p, Money(9990), 10)
                .await
                .unwrap()
                .count,
            0
        );

        // Service items ride on contracts at their price snapshot.
        let iptv = catalog::create_item(
            &s,
            &admin_caller(),
            &ServiceItem {
                name: "IPTV".into(),
                description: String::new(),
                price: Money(2990),
                cycle: Cycle::Monthly,
                tax_category: String::new(),
                active: true,
            },
        )
        .await
        .unwrap()
        .id;
        assert_eq!(
            catalog::list_items(&s, &admin_caller(), false)
                .await
                .unwrap()
                .len(),
            1
        );

        // Plan change now and scheduled.
        let changed = contracts::change_plan(&s, &admin_caller(), ids[0], other, None, "")
            .await
            .unwrap();
        assert!(matches!(changed, PlanChange::Applied(_)));
        let k0 = contracts::get(&s, &admin_caller(), ids[0]).await.unwrap();
        assert_eq!((k0.plan_id, k0.price), (other, 19990));
        let later = contracts::change_plan(
            &s,
            &admin_caller(),
            ids[1],
            other,
            Some(Money(15000)),
            "2099-01-01",
        )
        .await
        .unwrap();
        assert!(matches!(later, PlanChange::Scheduled(_)));
        assert_eq!(
            contracts::get(&s, &admin_caller(), ids[1])
                .await
                .unwrap()
                .plan_id,
            p
        );
        let today = jiff::civil::date(2098, 12, 31);
        assert_eq!(
            contracts::apply_due_plan_changes(&s, &admin_caller(), today)
                .await
                .unwrap(),
            0
        );
        let due = jiff::civil::date(2099, 1, 1);
        assert_eq!(
            contracts::apply_due_plan_changes(&s, &admin_caller(), due)
                .await
                .unwrap(),
            1
        );
        let k1 = contracts::get(&s, &admin_caller(), ids[1]).await.unwrap();
        assert_eq!((k1.plan_id, k1.price), (other, 15000));
        assert!(
            contracts::plan_changes(&s, &admin_caller(), ids[1])
                .await
                .unwrap()[0]
                .applied_at
                .is_some()
        );
        assert_eq!(
            field_of(
                contracts::change_plan(&s, &admin_caller(), ids[2], other, None, "")
                    .await
                    .unwrap_err()
            ),
            "status"
        );
        let with_item = contracts::create(
            &s,
            &admin_caller(),
            &ContractInput {
                customer_id: k0.customer_id,
                plan_id: other,
                billing_day: 1,
                items: vec![(iptv, 2)],
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        assert_ne!(
            contracts::get(&s, &admin_caller(), with_item)
                .await
                .unwrap()
                .pppoe_login,
            k0.pppoe_login,
            "a generated login never repeats"
        );
    })
    .await;
}
