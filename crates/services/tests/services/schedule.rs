//! Schedules fire once across nodes.

use services::system::jobs::{self, schedule};
use store::Db;
use store::testing::each_engine;

use crate::svc;

/// A second node: its own pool on the same database.
async fn second_node(db: &Db) -> Db {
    Db::connect(db.url(), 4).await.unwrap()
}

async fn jobs_of(svc: &services::Services, kind: &str) -> usize {
    let (rows, _) = jobs::list(
        svc,
        &crate::admin_caller(),
        &store::system::jobs::Filter {
            kind: Some(kind.into()),
            limit: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    rows.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_scheduled_run_happens_once_across_nodes() {
    each_engine(|db| async move {
        let db2 = second_node(&db).await;
        let a = svc(&db);
        let b = svc(&db2);
        let t0 = 1_800_000_000; // on a minute
        let mut tx = a.db.begin().await.unwrap();
        store::system::schedules::upsert(&mut tx, "every-minute", "* * * * *", "tick", true, t0)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        for round in 0..5_i64 {
            let now = t0 + round * 60 + 1;
            // Four schedulers (two per node) tick at the same moment.
            let mut tasks = Vec::new();
            for s in [&a, &b, &a, &b] {
                let s = s.clone();
                tasks.push(tokio::spawn(async move {
                    schedule::tick(&s, now).await.unwrap()
                }));
            }
            let mut fired = 0;
            for t in tasks {
                fired += t.await.unwrap().len();
            }
            assert_eq!(fired, 1, "round {round}: exactly one scheduler fires");
            assert_eq!(jobs_of(&a, "tick").await, round as usize + 1);
            let s = {
                let mut c = a.db.conn().await.unwrap();
                store::system::schedules::get(&mut c, "every-minute")
                    .await
                    .unwrap()
                    .unwrap()
            };
            assert_eq!(s.next_run_at, t0 + (round + 1) * 60);
            assert_eq!(s.last_run_at, Some(now));
        }
        // Nothing is due until the next minute.
        assert!(
            schedule::tick(&a, t0 + 5 * 60 - 1)
                .await
                .unwrap()
                .is_empty()
        );

        // A run missed while every node was down happens once, not once per
        // missed minute.
        let late = t0 + 5 * 60 + 3600;
        assert_eq!(schedule::tick(&b, late).await.unwrap().len(), 1);
        assert_eq!(jobs_of(&a, "tick").await, 6);
        db2.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_schedules_follow_settings_without_moving_runs() {
    each_engine(|db| async move {
        let db2 = second_node(&db).await;
        let a = svc(&db);
        let b = svc(&db2);
        let specs = schedule::builtin();
        let now = store::now();
        let (ra, rb) = tokio::join!(
            schedule::sync(&a, &specs, now),
            schedule::sync(&b, &specs, now)
        );
        ra.unwrap();
        rb.unwrap();
        let before = jobs::schedules(&a, &crate::admin_caller()).await.unwrap();
        assert_eq!(before.len(), specs.len());
        let backup = before.iter().find(|s| s.name == jobs::BACKUP).unwrap();
        assert_eq!(backup.cron, "0 3 * * *");
        assert!(backup.enabled);

        // A node starting later leaves the next runs where they are.
        schedule::sync(&b, &specs, now + 30).await.unwrap();
        assert_eq!(
            jobs::schedules(&a, &crate::admin_caller()).await.unwrap(),
            before
        );

        // Changing the backup hour or turning backups off changes the schedule.
        let mut values = std::collections::BTreeMap::new();
        values.insert(
            domain::system::settings::BACKUP_HOUR.to_owned(),
            "5".to_owned(),
        );
        values.insert(
            domain::system::settings::BACKUP_ENABLED.to_owned(),
            "false".to_owned(),
        );
        services::system::settings::update(&a, &crate::admin_caller(), &values)
            .await
            .unwrap();
        schedule::sync(&a, &specs, now).await.unwrap();
        let after = jobs::schedules(&a, &crate::admin_caller()).await.unwrap();
        let backup = after.iter().find(|s| s.name == jobs::BACKUP).unwrap();
        assert_eq!(backup.cron, "0 5 * * *");
        assert!(!backup.enabled);
        // A disabled schedule never fires (nor the nftables export, the
        // four Pix and boleto jobs and the saved-card charges, off by
        // default).
        let fired = schedule::tick(&a, now + 2 * 86_400).await.unwrap();
        assert_eq!(
            fired.len(),
            specs.len() - 7,
            "all but backup, nftables and the gateway jobs"
        );
        assert_eq!(jobs_of(&a, jobs::BACKUP).await, 0);
        db2.close().await;
    })
    .await;
}
