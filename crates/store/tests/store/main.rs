//! Store tests, each run on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod schema;

use store::system::audit::{self, Actor, Change, Verdict};
use store::testing::each_engine;
use store::{Db, Engine, staff::roles, staff::users, system::company, system::settings};

fn actor() -> Actor {
    Actor {
        kind: "user",
        id: Some(1),
        name: "admin".into(),
        source_ip: Some("192.0.2.1".into()),
    }
}

async fn append(db: &Db, n: usize) {
    for i in 0..n {
        let mut tx = db.begin().await.unwrap();
        let change = Change {
            action: "user.update",
            entity_kind: "user",
            entity_id: &i.to_string(),
            before: Some(serde_json::json!({"email": "a@example.net"})),
            after: Some(serde_json::json!({"email": "b@example.net"})),
        };
        audit::append(
            &mut tx,
            db.engine(),
            &actor(),
            &change,
            1_700_000_000 + i as i64,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

/// An attacker with database rights drops the append-only triggers first.
async fn drop_guards(db: &Db) {
    let sqls: &[&str] = match db.engine() {
        Engine::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        Engine::Postgres => &["DROP TRIGGER audit_log_no_change ON audit_log"],
    };
    for sql in sqls {
        sqlx::query(*sql).execute(db.pool()).await.unwrap();
    }
}

#[tokio::test]
async fn audit_chain_detects_tampering() {
    each_engine(|db| async move {
        append(&db, 5).await;
        let mut c = db.conn().await.unwrap();
        assert_eq!(
            audit::verify(&mut c).await.unwrap(),
            Verdict::Intact { entries: 5 }
        );

        // The triggers refuse changes.
        assert!(
            sqlx::query("UPDATE audit_log SET action = 'x' WHERE id = 2")
                .execute(db.pool())
                .await
                .is_err()
        );
        assert!(
            sqlx::query("DELETE FROM audit_log WHERE id = 2")
                .execute(db.pool())
                .await
                .is_err()
        );

        drop_guards(&db).await;
        sqlx::query(
            "UPDATE audit_log SET after_json = '{\"email\":\"evil@example.net\"}' WHERE id = 3",
        )
        .execute(db.pool())
        .await
        .unwrap();
        assert_eq!(
            audit::verify(&mut c).await.unwrap(),
            Verdict::Altered { id: 3 }
        );
    })
    .await;
}

#[tokio::test]
async fn audit_chain_detects_deleted_and_reordered_rows() {
    each_engine(|db| async move {
        append(&db, 4).await;
        drop_guards(&db).await;
        let mut c = db.conn().await.unwrap();

        // Deleting the last row is caught against the head.
        sqlx::query("DELETE FROM audit_log WHERE id = 4")
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(
            audit::verify(&mut c).await.unwrap(),
            Verdict::Truncated {
                last_id: 3,
                head_id: 4
            }
        );

        // Deleting a middle row leaves a gap.
        sqlx::query("DELETE FROM audit_log WHERE id = 2")
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(
            audit::verify(&mut c).await.unwrap(),
            Verdict::Gap { after: 1, next: 3 }
        );
    })
    .await;

    each_engine(|db| async move {
        append(&db, 3).await;
        drop_guards(&db).await;
        // Swap the contents of rows 1 and 2 (ids stay in place).
        for sql in [
            "UPDATE audit_log SET id = 100 WHERE id = 1",
            "UPDATE audit_log SET id = 1 WHERE id = 2",
            "UPDATE audit_log SET id = 2 WHERE id = 100",
        ] {
            sqlx::query(sql).execute(db.pool()).await.unwrap();
        }
        let mut c = db.conn().await.unwrap();
        assert_eq!(
            audit::verify(&mut c).await.unwrap(),
            Verdict::Broken {
                id: 1,
                expected_prev: domain::system::audit::GENESIS.into()
            }
        );
    })
    .await;
}

#[tokio::test]
async fn company_is_created_once() {
    each_engine(|db| async move {
        let c = company::Company {
            name: "Fibra Sul".into(),
            legal_document: "12.345.678/0001-95".into(),
            country: "BR".into(),
            currency: "BRL".into(),
            locale: "pt-BR".into(),
            timezone: "America/Sao_Paulo".into(),
        };
        let mut tx = db.begin().await.unwrap();
        company::create(&mut tx, &c, 1).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(
            company::create(&mut tx, &c, 2).await,
            Err(store::Error::Conflict("company"))
        ));
        drop(tx);
        let mut conn = db.conn().await.unwrap();
        assert_eq!(company::get(&mut conn).await.unwrap(), Some(c));
    })
    .await;
}

#[tokio::test]
async fn users_list_filters_and_pages() {
    each_engine(|db| async move {
        let mut tx = db.begin().await.unwrap();
        let admin = roles::insert(&mut tx, "admin", true, "users.view", "", 1)
            .await
            .unwrap();
        let support = roles::insert(&mut tx, "support", true, "", "", 1)
            .await
            .unwrap();
        for (name, role) in [
            ("ana_souza", admin),
            ("bruno", support),
            ("carla", support),
            ("anabela", support),
        ] {
            let u = users::NewUser {
                username: name,
                email: &format!("{name}@example.net"),
                display_name: &name.to_uppercase(),
                password_hash: "x",
                role_id: role,
                locale: None,
                ip_allowlist: "",
            };
            users::insert(&mut tx, &u, 1).await.unwrap();
        }
        tx.commit().await.unwrap();
        let mut c = db.conn().await.unwrap();
        let names = |v: Vec<users::User>| v.into_iter().map(|u| u.username).collect::<Vec<_>>();

        let (page, more) = users::list(
            &mut c,
            &users::Filter {
                q: Some("ANA".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (names(page), more),
            (vec!["ana_souza".to_string(), "anabela".into()], false)
        );
        // `_` typed by a user is a literal underscore.
        let (page, _) = users::list(
            &mut c,
            &users::Filter {
                q: Some("a_s".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(names(page), vec!["ana_souza".to_string()]);
        let (page, more) = users::list(
            &mut c,
            &users::Filter {
                role_id: Some(support),
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(more);
        let last = page.last().unwrap().id;
        assert_eq!(names(page), vec!["bruno".to_string(), "carla".into()]);
        let (page, more) = users::list(
            &mut c,
            &users::Filter {
                role_id: Some(support),
                after: Some(last),
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((names(page), more), (vec!["anabela".to_string()], false));

        let mut tx = db.begin().await.unwrap();
        let dup = users::NewUser {
            username: "bruno",
            email: "b@x.net",
            display_name: "B",
            password_hash: "x",
            role_id: admin,
            locale: None,
            ip_allowlist: "",
        };
        assert!(matches!(
            users::insert(&mut tx, &dup, 1).await,
            Err(store::Error::Conflict("username"))
        ));
    })
    .await;
}

#[tokio::test]
async fn settings_upsert() {
    each_engine(|db| async move {
        let mut tx = db.begin().await.unwrap();
        settings::set(&mut tx, "backup.hour", "3", 1).await.unwrap();
        settings::set(&mut tx, "backup.hour", "4", 2).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = db.conn().await.unwrap();
        assert_eq!(
            settings::get(&mut c, "backup.hour")
                .await
                .unwrap()
                .as_deref(),
            Some("4")
        );
        assert_eq!(settings::all(&mut c).await.unwrap().len(), 1);
        assert!(db.size_bytes().await.unwrap() > 0);
    })
    .await;
}

mod crm {
    use store::crm::customers::{self, AddressData, After, CustomerData, Filter, Sort};
    use store::system::audit::Actor;
    use store::testing::each_engine;
    use store::{Error, catalog as plans, contracts, crm::timeline, events};

    use domain::contracts::Status;
    use domain::event::{ContractStatusChanged, DomainEvent, Entity};

    fn actor() -> Actor {
        super::actor()
    }

    fn customer(name: &str, doc: &str) -> CustomerData {
        let folded = domain::crm::search::fold(name);
        CustomerData {
            kind: "person".into(),
            name: name.into(),
            document_kind: "cpf".into(),
            document: doc.into(),
            document_norm: domain::crm::search::digits(doc),
            preferred_channel: "email".into(),
            tags: vec!["vip".into()],
            search_text: folded.clone(),
            name_key: folded,
            ..Default::default()
        }
    }

    fn plan(name: &str, price: i64) -> plans::Plan {
        plans::Plan {
            id: 0,
            name: name.into(),
            description: String::new(),
            download_kbps: 100_000,
            upload_kbps: 50_000,
            burst_down_rate_kbps: None,
            burst_down_threshold_kbps: None,
            burst_down_time_secs: None,
            burst_up_rate_kbps: None,
            burst_up_threshold_kbps: None,
            burst_up_time_secs: None,
            quota_mb: Some(1000),
            quota_action: Some("block".into()),
            quota_throttle_kbps: None,
            price,
            billing_mode: "postpaid".into(),
            cycle: "monthly".into(),
            installation_fee: 0,
            loyalty_months: 0,
            early_termination_fee: 0,
            tax_category: String::new(),
            technology: "fiber".into(),
            suspended_behavior: "reject".into(),
            active: true,
            public: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[tokio::test]
    async fn customers_search_list_and_contracts() {
        each_engine(|db| async move {
            let mut tx = db.begin().await.unwrap();
            let a = customers::insert(&mut tx, &customer("João da Silva", "529.982.247-25"), 10)
                .await
                .unwrap();
            let b = customers::insert(&mut tx, &customer("Maria Conceição", "111.444.777-35"), 11)
                .await
                .unwrap();
            customers::replace_keys(
                &mut tx,
                a,
                &[
                    ("document", "52998224725".into()),
                    ("phone", "5511987654321".into()),
                ],
            )
            .await
            .unwrap();
            let addr = customers::insert_address(
                &mut tx,
                a,
                &AddressData {
                    kind: "billing".into(),
                    street: "Rua Frei Caneca".into(),
                    city: "São Paulo".into(),
                    country: "BR".into(),
                    lat: Some(-23.55),
                    lng: Some(-46.65),
                    search_text: "rua frei caneca sao paulo".into(),
                    city_key: "sao paulo".into(),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            // A unique violation aborts a PostgreSQL transaction: try it alone.
            let mut tx = db.begin().await.unwrap();
            let second_billing = customers::insert_address(
                &mut tx,
                a,
                &AddressData {
                    kind: "billing".into(),
                    street: "x".into(),
                    city: "y".into(),
                    country: "BR".into(),
                    search_text: "x y".into(),
                    city_key: "y".into(),
                    ..Default::default()
                },
                10,
            )
            .await;
            assert!(matches!(second_billing, Err(Error::Conflict(_))));
            drop(tx);

            let mut c = db.conn().await.unwrap();
            let words = |s: &str| domain::crm::search::words(s);
            assert_eq!(
                customers::ids_by_name(&mut c, db.engine(), &words("JOAO silv"), 10)
                    .await
                    .unwrap(),
                vec![a]
            );
            assert_eq!(
                customers::ids_by_name(&mut c, db.engine(), &words("ção"), 10)
                    .await
                    .unwrap(),
                vec![b]
            );
            assert_eq!(
                customers::ids_by_address(&mut c, db.engine(), &words("caneca"), 10)
                    .await
                    .unwrap(),
                vec![a]
            );
            assert_eq!(
                customers::ids_by_key_prefix(&mut c, "5299822", 10)
                    .await
                    .unwrap(),
                vec![(a, "document".to_owned())]
            );
            assert_eq!(
                customers::with_keys(&mut c, &[("phone", "5511987654321".into())], None)
                    .await
                    .unwrap()[0]
                    .customer_id,
                a
            );
            let got = customers::get(&mut c, a).await.unwrap();
            assert_eq!(got.tags, vec!["vip".to_owned()]);
            let addr_row = customers::get_address(&mut c, addr).await.unwrap();
            assert_eq!(addr_row.lat, Some(-23.55));

            // List: by name, keyset.
            let f = Filter {
                sort: Sort::Name,
                limit: 1,
                ..Default::default()
            };
            let (page1, more) = customers::list(&mut c, db.engine(), &f).await.unwrap();
            assert!(more);
            assert_eq!(page1[0].customer.id, a);
            let f2 = Filter {
                after: Some(After {
                    key: page1[0].name_key.clone(),
                    id: a,
                }),
                ..f.clone()
            };
            let (page2, more) = customers::list(&mut c, db.engine(), &f2).await.unwrap();
            assert!(!more);
            assert_eq!(page2[0].customer.id, b);
            let by_city = Filter {
                city: Some("sao paulo".into()),
                tag: Some("vip".into()),
                words: words("silva"),
                limit: 10,
                ..Default::default()
            };
            let (rows, _) = customers::list(&mut c, db.engine(), &by_city)
                .await
                .unwrap();
            assert_eq!(rows.len(), 1);
            drop(c);

            // Plans and contracts.
            let mut tx = db.begin().await.unwrap();
            let p = plans::insert(&mut tx, &plan("Fibra 100", 9990), 1)
                .await
                .unwrap();
            let n = contracts::next_counter(&mut tx, "contract_number")
                .await
                .unwrap();
            assert_eq!(n, 1);
            let k = contracts::Contract {
                id: 0,
                number: format!("{n:06}"),
                customer_id: a,
                plan_id: p,
                price: 9990,
                installation_fee: 0,
                billing_day: 10,
                start_date: "2026-01-10".into(),
                end_date: None,
                loyalty_end_date: None,
                early_termination_fee: 0,
                status: "pending_installation".into(),
                suspend_reason: None,
                status_changed_at: 0,
                service_address_id: Some(addr),
                pppoe_login: "joao.silva".into(),
                pppoe_password: "enc1:x".into(),
                mac: None,
                ipv4: Some("100.64.0.10".into()),
                ipv6_prefix: None,
                notes: String::new(),
                created_at: 0,
                updated_at: 0,
            };
            let kid = contracts::insert(&mut tx, &k, 5).await.unwrap();
            assert!(
                contracts::set_status(&mut tx, kid, "pending_installation", "active", None, 6)
                    .await
                    .unwrap()
            );
            assert!(
                !contracts::set_status(&mut tx, kid, "pending_installation", "active", None, 6)
                    .await
                    .unwrap()
            );
            let activated = ContractStatusChanged {
                contract_id: kid,
                customer_id: a,
                login: "ana".into(),
                from: Status::PendingInstallation,
                to: Status::Active,
                reason: None,
                number: "000001".into(),
            };
            events::append(&mut tx, db.engine(), &actor(), &activated.into(), 6)
                .await
                .unwrap();
            timeline::insert(
                &mut tx,
                &actor(),
                &timeline::NewEvent {
                    customer_id: a,
                    kind: "contract.activated",
                    summary: "activated",
                    entity: Some(("contract", kid.to_string())),
                    data: serde_json::json!({}),
                },
                6,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();

            let mut tx = db.begin().await.unwrap();
            assert!(matches!(
                plans::insert(&mut tx, &plan("Fibra 100", 1), 1).await,
                Err(Error::Conflict("plan name"))
            ));
            drop(tx);
            for (number, login, ip, what) in [
                ("X", "joao.silva", None, "pppoe_login"),
                ("X", "other", Some("100.64.0.10"), "ipv4"),
                ("000001", "other", None, "number"),
            ] {
                let dup = contracts::Contract {
                    number: number.into(),
                    pppoe_login: login.into(),
                    ipv4: ip.map(str::to_owned),
                    ..k.clone()
                };
                let mut tx = db.begin().await.unwrap();
                let r = contracts::insert(&mut tx, &dup, 5).await;
                assert!(
                    matches!(r, Err(Error::Conflict(w)) if w == what),
                    "{what}: {r:?}"
                );
            }

            let mut c = db.conn().await.unwrap();
            assert_eq!(
                contracts::by_login(&mut c, "joao.silva")
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                kid
            );
            assert_eq!(
                contracts::by_ipv4(&mut c, "100.64.0.10")
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                kid
            );
            assert_eq!(
                contracts::by_number(&mut c, "000001")
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                kid
            );
            let (list, _) = contracts::list(
                &mut c,
                &contracts::Filter {
                    status: Some("active".into()),
                    city: Some("sao paulo".into()),
                    tag: Some("vip".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(list.len(), 1);
            let f = Filter {
                status: Some("active".into()),
                plan_id: Some(p),
                limit: 10,
                ..Default::default()
            };
            assert_eq!(
                customers::list(&mut c, db.engine(), &f)
                    .await
                    .unwrap()
                    .0
                    .len(),
                1
            );
            let ev = events::after(&mut c, 0, 10).await.unwrap();
            assert_eq!(ev.len(), 1);
            assert_eq!(ev[0].entity, Some(Entity::Contract(kid)));
            assert!(matches!(
                &ev[0].event,
                Ok(DomainEvent::ContractStatusChanged(e)) if e.to == Status::Active
            ));
            let (tl, more) = timeline::list(&mut c, a, Some("contract."), None, 10)
                .await
                .unwrap();
            assert_eq!((tl.len(), more), (1, false));
            assert!(
                plans::list(&mut c, false, true).await.unwrap().is_empty(),
                "plan is not public"
            );
            assert_eq!(plans::list(&mut c, true, false).await.unwrap().len(), 1);
        })
        .await;
    }
}

#[tokio::test]
async fn audit_action_filter_is_a_literal_prefix() {
    each_engine(|db| async move {
        append(&db, 2).await;
        let mut c = db.conn().await.unwrap();
        let f = |action: &str| audit::Filter {
            action: Some(action.into()),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(audit::list(&mut c, &f("user.")).await.unwrap().0.len(), 2);
        // `_` and `%` typed by a user are not wildcards.
        assert_eq!(audit::list(&mut c, &f("user_")).await.unwrap().0.len(), 0);
        assert_eq!(audit::list(&mut c, &f("%")).await.unwrap().0.len(), 0);
    })
    .await;
}

mod outbox {
    use domain::contracts::Status;
    use domain::event::{self, DecodeError, DomainEvent, Entity, NasChange, NasChanged};
    use store::events;
    use store::testing::each_engine;

    /// Inserts a row as a writer of `version` would, bypassing the typed
    /// append (`None`: as the code before typed events did, with no
    /// version column, so the migration's default applies).
    async fn raw(
        db: &store::Db,
        kind: &str,
        version: Option<i64>,
        entity: (&str, &str),
        payload: &str,
    ) {
        let mut tx = db.begin().await.unwrap();
        let sql = match version {
            None => {
                "INSERT INTO domain_events (at, kind, entity_kind, entity_id, payload, actor_kind, actor_name)
                 VALUES (5, $1, $2, $3, $4, 'system', 'test')"
            }
            Some(_) => {
                "INSERT INTO domain_events (at, kind, entity_kind, entity_id, payload, actor_kind, actor_name, version)
                 VALUES (5, $1, $2, $3, $4, 'system', 'test', $5)"
            }
        };
        let mut q = sqlx::query(sql)
            .bind(kind)
            .bind(entity.0)
            .bind(entity.1)
            .bind(payload);
        if let Some(v) = version {
            q = q.bind(v);
        }
        q.execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn unreadable_rows_come_back_as_errors_between_readable_ones() {
        each_engine(|db| async move {
            // A row the last untyped release wrote (version 1 by default).
            raw(
                &db,
                "contract.status_changed",
                None,
                ("contract", "7"),
                r#"{"contract_id": 7, "customer_id": 3, "login": "ana", "from": "active",
                    "to": "suspended", "reason": "non_payment", "at": 5, "number": "000007"}"#,
            )
            .await;
            raw(
                &db,
                "contract.teleported",
                Some(event::VERSION),
                ("contract", "7"),
                "{}",
            )
            .await;
            raw(
                &db,
                "nas.changed",
                Some(event::VERSION),
                ("nas", "4"),
                "{not json",
            )
            .await;
            raw(
                &db,
                "nas.changed",
                Some(event::VERSION + 1),
                ("nas", "4"),
                "{}",
            )
            .await;
            raw(
                &db,
                "nas.changed",
                Some(event::VERSION),
                ("router", "4"),
                r#"{"nas_id": 4}"#,
            )
            .await;
            {
                let mut tx = db.begin().await.unwrap();
                let created = NasChanged {
                    nas_id: 4,
                    action: NasChange::Created,
                };
                events::append_many(&mut tx, db.engine(), &super::actor(), &[created.into()], 6)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
            let mut c = db.conn().await.unwrap();
            let rows = events::after(&mut c, 0, 100).await.unwrap();
            assert_eq!(rows.len(), 6);
            assert!(matches!(
                &rows[0].event,
                Ok(DomainEvent::ContractStatusChanged(e)) if e.to == Status::Suspended
            ));
            assert!(matches!(
                rows[1].event,
                Err(DecodeError::UnknownKind { .. })
            ));
            assert_eq!(rows[1].entity, Some(Entity::Contract(7)));
            assert!(matches!(rows[2].event, Err(DecodeError::Payload { .. })));
            assert!(matches!(
                rows[3].event,
                Err(DecodeError::UnknownVersion { version: 3, .. })
            ));
            assert!(matches!(rows[4].event, Err(DecodeError::Payload { .. })));
            assert_eq!(rows[4].entity, None);
            assert_eq!(
                rows[5].event.as_ref().unwrap(),
                &DomainEvent::NasChanged(NasChanged {
                    nas_id: 4,
                    action: NasChange::Created
                })
            );
            assert_eq!((rows[5].at, rows[5].actor_name.as_str()), (6, "admin"));

            // What the typed append stores.
            let stored: Vec<(String, i64, String, String)> = sqlx::query_as(
                "SELECT kind, version, entity_kind, entity_id FROM domain_events ORDER BY id",
            )
            .fetch_all(&mut *c)
            .await
            .unwrap();
            assert_eq!(
                stored[0].1, 1,
                "rows from before the migration are version 1"
            );
            assert_eq!(
                stored[5],
                (
                    "nas.changed".into(),
                    event::VERSION,
                    "nas".into(),
                    "4".into()
                )
            );
        })
        .await;
    }
}
