//! Store tests, each run on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

use store::audit::{self, Actor, Change, Verdict};
use store::testing::each_engine;
use store::{Db, Engine, company, roles, settings, users};

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
                expected_prev: domain::audit::GENESIS.into()
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
