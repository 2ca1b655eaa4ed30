//! The job queue and the runner.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use services::system::jobs::{self, Registry, RunnerConfig};
use services::{Error, Services};
use store::system::jobs::{Filter, Status};
use store::testing::each_engine;

use crate::{admin_caller, audited, eventually, svc};

async fn enqueue(svc: &Services, kind: &str, run_at: i64, max_attempts: i64) -> i64 {
    let mut tx = svc.db.begin().await.unwrap();
    let id = store::system::jobs::enqueue(
        &mut tx,
        kind,
        &json!({"n": 1}),
        run_at,
        max_attempts,
        run_at,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn claim_at(svc: &Services, worker: &str, now: i64) -> Option<store::system::jobs::Job> {
    let mut tx = svc.db.begin().await.unwrap();
    let job = store::system::jobs::claim(&mut tx, svc.db.engine(), worker, now, 60)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    job
}

async fn fail_at(svc: &Services, job: &store::system::jobs::Job, now: i64) -> Option<Status> {
    let mut tx = svc.db.begin().await.unwrap();
    let s = store::system::jobs::fail(&mut tx, &job.lease(), "boom", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_never_share_a_job() {
    each_engine(|db| async move {
        let svc = svc(&db);
        let now = store::now();
        let mut ids = HashSet::new();
        for _ in 0..40 {
            ids.insert(enqueue(&svc, "test", now - 1, 3).await);
        }
        let mut tasks = Vec::new();
        for w in 0..4 {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                let cfg = RunnerConfig::new(format!("w{w}"));
                let mut got = Vec::new();
                while let Some(job) = jobs::runner::claim(&svc, &cfg).await.unwrap() {
                    assert_eq!(job.status, Status::Running);
                    assert_eq!(job.locked_by.as_deref(), Some(cfg.worker_id.as_str()));
                    got.push(job.id);
                }
                got
            }));
        }
        let mut claimed = Vec::new();
        let mut busy_workers = 0;
        for t in tasks {
            let got = t.await.unwrap();
            busy_workers += usize::from(!got.is_empty());
            claimed.extend(got);
        }
        assert_eq!(claimed.len(), 40, "every job claimed exactly once");
        let unique: HashSet<i64> = claimed.into_iter().collect();
        assert_eq!(unique, ids);
        assert!(busy_workers >= 1);
        let counts = jobs::counts(&svc, &admin_caller()).await.unwrap();
        assert!(counts.contains(&(Status::Running, 40)), "{counts:?}");
    })
    .await;
}

#[tokio::test]
async fn failures_back_off_then_die_and_retry_now_revives() {
    each_engine(|db| async move {
        let svc = svc(&db);
        let t0 = 1_000_000;
        let id = enqueue(&svc, "flaky", t0, 3).await;

        let job = claim_at(&svc, "w", t0).await.unwrap();
        assert_eq!((job.id, job.attempts), (id, 1));
        assert_eq!(fail_at(&svc, &job, t0).await, Some(Status::Failed));
        let j = jobs::get(&svc, &admin_caller(), id).await.unwrap();
        assert_eq!(j.status, Status::Failed);
        assert_eq!(j.run_at, t0 + 30, "first retry after 30 s");
        assert_eq!(j.last_error.as_deref(), Some("boom"));

        assert!(
            claim_at(&svc, "w", t0 + 29).await.is_none(),
            "not before its time"
        );
        let job = claim_at(&svc, "w", t0 + 30).await.unwrap();
        assert_eq!(job.attempts, 2);
        assert_eq!(fail_at(&svc, &job, t0 + 30).await, Some(Status::Failed));
        assert_eq!(
            jobs::get(&svc, &admin_caller(), id).await.unwrap().run_at,
            t0 + 30 + 60,
            "doubled"
        );

        let job = claim_at(&svc, "w", t0 + 90).await.unwrap();
        assert_eq!(job.attempts, 3);
        assert_eq!(fail_at(&svc, &job, t0 + 90).await, Some(Status::Dead));
        let dead = jobs::get(&svc, &admin_caller(), id).await.unwrap();
        assert_eq!(dead.status, Status::Dead);
        assert_eq!(dead.finished_at, Some(t0 + 90));
        assert!(
            claim_at(&svc, "w", t0 + 100_000).await.is_none(),
            "dead stays dead"
        );

        let (listed, more) = jobs::list(
            &svc,
            &admin_caller(),
            &Filter {
                status: Some(Status::Dead),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((listed.len(), more), (1, false));

        jobs::retry_now(&svc, &admin_caller(), id).await.unwrap();
        let j = jobs::get(&svc, &admin_caller(), id).await.unwrap();
        assert_eq!((j.status, j.attempts), (Status::Queued, 0));
        let entries = audited(&svc, "job.retry").await;
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].entity_id, id.to_string());
        assert_eq!(entries[0].actor_name, "admin");

        assert!(matches!(
            jobs::retry_now(&svc, &admin_caller(), id).await,
            Err(Error::Refused("job-not-retryable"))
        ));
        assert!(matches!(
            jobs::retry_now(&svc, &admin_caller(), id + 1000).await,
            Err(Error::NotFound)
        ));
        let job = claim_at(&svc, "w", store::now()).await.unwrap();
        assert_eq!((job.id, job.attempts), (id, 1));
    })
    .await;
}

#[tokio::test]
async fn an_expired_lease_is_reclaimed_and_the_old_worker_is_fenced_off() {
    each_engine(|db| async move {
        let svc = svc(&db);
        let t0 = 2_000_000;
        let id = enqueue(&svc, "slow", t0, 3).await;
        let first = claim_at(&svc, "node-a", t0).await.unwrap();
        assert_eq!(first.lease_until, Some(t0 + 60));
        assert!(
            claim_at(&svc, "node-b", t0 + 59).await.is_none(),
            "lease holds"
        );

        // node-a's heartbeat keeps it alive…
        let mut tx = svc.db.begin().await.unwrap();
        assert!(
            store::system::jobs::extend_lease(&mut tx, &first.lease(), t0 + 120)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        assert!(claim_at(&svc, "node-b", t0 + 100).await.is_none());

        // …until node-a stops beating.
        let second = claim_at(&svc, "node-b", t0 + 121).await.unwrap();
        assert_eq!((second.id, second.attempts), (id, 2));
        assert_eq!(second.locked_by.as_deref(), Some("node-b"));

        let mut tx = svc.db.begin().await.unwrap();
        let lease_a = first.lease();
        assert!(
            !store::system::jobs::succeed(&mut tx, &lease_a, t0 + 122)
                .await
                .unwrap()
        );
        assert!(
            !store::system::jobs::progress(&mut tx, &lease_a, 1, 2, "x")
                .await
                .unwrap()
        );
        assert_eq!(
            store::system::jobs::fail(&mut tx, &lease_a, "late", t0 + 122)
                .await
                .unwrap(),
            None
        );
        assert!(
            store::system::jobs::progress(&mut tx, &second.lease(), 1, 2, "half")
                .await
                .unwrap()
        );
        assert!(
            store::system::jobs::succeed(&mut tx, &second.lease(), t0 + 123)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let done = jobs::get(&svc, &admin_caller(), id).await.unwrap();
        assert_eq!(done.status, Status::Succeeded);
        assert_eq!((done.progress_done, done.progress_total), (2, 2));

        // A job whose lease runs out on its last attempt is declared dead.
        let id = enqueue(&svc, "crashy", t0, 1).await;
        claim_at(&svc, "node-a", t0).await.unwrap();
        assert!(claim_at(&svc, "node-b", t0 + 61).await.is_none());
        let dead = jobs::get(&svc, &admin_caller(), id).await.unwrap();
        assert_eq!(dead.status, Status::Dead);
        assert!(dead.last_error.unwrap().contains("lease expired"));
    })
    .await;
}

#[tokio::test]
async fn lists_counts_lag_and_purge() {
    each_engine(|db| async move {
        let svc = svc(&db);
        let now = store::now();
        for i in 0..5 {
            enqueue(
                &svc,
                if i % 2 == 0 { "even" } else { "odd" },
                now - 100 + i,
                3,
            )
            .await;
        }
        enqueue(&svc, "later", now + 3600, 3).await;
        // The clock may tick between `now` above and the query (a loaded CI).
        let lag = jobs::queue_lag(&svc, &admin_caller()).await.unwrap();
        assert!((100..=100 + store::now() - now).contains(&lag), "lag {lag}");

        let (page1, more) = jobs::list(
            &svc,
            &admin_caller(),
            &Filter {
                limit: 4,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(more);
        assert_eq!(page1.len(), 4);
        let (page2, more) = jobs::list(
            &svc,
            &admin_caller(),
            &Filter {
                limit: 4,
                before: page1.last().map(|j| j.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((page2.len(), more), (2, false));
        let (even, _) = jobs::list(
            &svc,
            &admin_caller(),
            &Filter {
                kind: Some("even".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(even.len(), 3);

        let job = claim_at(&svc, "w", now).await.unwrap();
        let mut tx = svc.db.begin().await.unwrap();
        store::system::jobs::succeed(&mut tx, &job.lease(), now - 10 * 86_400)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let counts = jobs::counts(&svc, &admin_caller()).await.unwrap();
        assert!(counts.contains(&(Status::Succeeded, 1)) && counts.contains(&(Status::Queued, 5)));
        jobs::purge_jobs(&svc, &admin_caller()).await.unwrap();
        assert!(
            jobs::counts(&svc, &admin_caller())
                .await
                .unwrap()
                .contains(&(Status::Succeeded, 0))
        );
        // The session expiry job runs on both engines.
        jobs::expire_sessions(&svc, &admin_caller()).await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_runs_handlers_and_records_outcomes() {
    each_engine(|db| async move {
        let svc = svc(&db);
        let ran = Arc::new(AtomicUsize::new(0));
        let mut registry = Registry::new();
        let r = ran.clone();
        registry.register("ok", move |ctx| {
            let r = r.clone();
            async move {
                assert_eq!(ctx.payload()["n"], 1);
                ctx.progress(1, 4, "a quarter").await?;
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        registry.register("bad", |_ctx| async move {
            Err(Error::Internal("it went wrong".into()))
        });
        registry.register("panics", |_ctx| async move { panic!("kaboom") });
        let mut cfg = RunnerConfig::new("runner-test");
        // Only the wake-up can make it start jobs promptly.
        cfg.poll_interval = Duration::from_secs(3600);
        cfg.schedule_interval = Duration::from_secs(3600);
        let bg = jobs::start(&svc, registry, cfg);

        let ok = jobs::enqueue(&svc, &admin_caller(), "ok", &json!({"n": 1}), None, 3)
            .await
            .unwrap();
        let bad = jobs::enqueue(&svc, &admin_caller(), "bad", &json!({}), None, 1)
            .await
            .unwrap();
        let panics = jobs::enqueue(&svc, &admin_caller(), "panics", &json!({}), None, 1)
            .await
            .unwrap();
        let unknown = jobs::enqueue(
            &svc,
            &admin_caller(),
            "nobody-handles-this",
            &json!({}),
            None,
            1,
        )
        .await
        .unwrap();
        for (id, want) in [
            (ok, Status::Succeeded),
            (bad, Status::Dead),
            (panics, Status::Dead),
            (unknown, Status::Dead),
        ] {
            let svc = &svc;
            let job = eventually(20, "a job to finish", || async move {
                let j = jobs::get(svc, &admin_caller(), id).await.unwrap();
                matches!(j.status, Status::Succeeded | Status::Dead).then_some(j)
            })
            .await;
            assert_eq!(job.status, want, "{job:?}");
        }
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        let ok = jobs::get(&svc, &admin_caller(), ok).await.unwrap();
        assert_eq!((ok.progress_done, ok.progress_total), (4, 4));
        assert_eq!(ok.progress_note, "a quarter");
        assert!(
            jobs::get(&svc, &admin_caller(), bad)
                .await
                .unwrap()
                .last_error
                .unwrap()
                .contains("it went wrong")
        );
        assert!(
            jobs::get(&svc, &admin_caller(), panics)
                .await
                .unwrap()
                .last_error
                .unwrap()
                .contains("kaboom")
        );
        assert!(
            jobs::get(&svc, &admin_caller(), unknown)
                .await
                .unwrap()
                .last_error
                .unwrap()
                .contains("no handler")
        );
        bg.stop(Duration::from_secs(10)).await;

        // The built-in schedules were created by the scheduler's first tick.
        let names: Vec<String> = jobs::schedules(&svc, &admin_caller())
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        for n in [
            jobs::BACKUP,
            jobs::EMAIL_OUTBOX,
            jobs::EXPIRE_SESSIONS,
            jobs::PURGE_JOBS,
            jobs::PLAN_CHANGES,
        ] {
            assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn heartbeats_feed_the_dashboard() {
    each_engine(|db| async move {
        let svc = svc(&db);
        let info = services::system::health::NodeInfo::detect("all", "0.1.0", "127.0.0.1:8080");
        let mut sampler = services::system::health::Sampler::new(&svc.data_dir);
        let sample = sampler.sample();
        services::system::health::beat(&svc, &info, &sample)
            .await
            .unwrap();
        services::system::health::beat(&svc, &info, &sample)
            .await
            .unwrap();
        enqueue(&svc, "waiting", store::now() - 42, 3).await;
        let h = services::system::health::dashboard_health(&svc, &admin_caller())
            .await
            .unwrap();
        assert_eq!(h.nodes.len(), 1);
        let n = &h.nodes[0];
        assert!(!n.stale);
        assert_eq!(n.node.node_id, info.node_id);
        assert_eq!(n.node.roles, "all");
        assert!(n.node.mem_total > 0 && n.node.disk_total > 0 && n.node.rss > 0);
        assert!(h.database_bytes > 0);
        assert!((42..50).contains(&h.queue_lag_secs), "{}", h.queue_lag_secs);
        assert!(h.jobs.contains(&(Status::Queued, 1)));
    })
    .await;
}
