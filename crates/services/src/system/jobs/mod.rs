//! Background jobs: the queue (in the database, leased, retried with
//! backoff), the [`Runner`](runner) that executes them on worker nodes, the
//! [`schedule`]r that turns cron schedules into jobs exactly once across
//! nodes, and the built-in jobs (session expiry, backups, the e-mail
//! outbox, scheduled plan changes, purging old jobs).
//!
//! A node in role `worker` or `all` calls [`start`] with the handlers
//! ([`Registry::with_builtins`] plus any of its own) and keeps the returned
//! [`Background`] until shutdown.

pub mod runner;
pub mod schedule;

use std::time::Duration;

use domain::Permission;
use serde_json::json;
use store::AnyConnection;
/// Jobs as stored, their status and the filter of their list.
pub use store::system::jobs::{Filter, Job, Status};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use runner::{JobContext, Registry, RunnerConfig};

use crate::{Actor, Caller, Change, Error, Result, Services};

/// Built-in job kinds.
pub const EXPIRE_SESSIONS: &str = "expire-sessions";
pub const BACKUP: &str = "backup";
pub const EMAIL_OUTBOX: &str = "email-outbox";
pub const PURGE_JOBS: &str = "purge-jobs";
pub const NFTABLES_EXPORT: &str = "nftables-export";
/// Purges connection records and authentication log entries past their
/// retention settings.
pub const PURGE_RADIUS: &str = "purge-radius";
pub const PLAN_CHANGES: &str = "plan-changes";

/// Attempts a job gets unless its producer says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 5;

/// Finished jobs are kept this long (dead ones longer, for the record).
pub const KEEP_SUCCEEDED_DAYS: i64 = 7;
pub const KEEP_DEAD_DAYS: i64 = 30;

/// The actor that scheduled and background work is recorded under.
pub fn system_actor(what: &str) -> Actor {
    Actor {
        kind: "system",
        id: None,
        name: format!("system:{what}"),
        source_ip: None,
    }
}

/// Queues a job inside the caller's transaction (the service that decided
/// to queue it has checked its caller). Call [`Services::wake_jobs`] after
/// committing so this node starts it at once.
pub(crate) async fn enqueue_in(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
) -> Result<i64> {
    Ok(store::system::jobs::enqueue(
        conn,
        kind,
        payload,
        run_at,
        DEFAULT_MAX_ATTEMPTS,
        store::now(),
    )
    .await?)
}

/// Queues a job to run now (or at `run_at`) and wakes this node's runner
/// (`jobs.manage`).
pub async fn enqueue(
    svc: &Services,
    caller: &Caller,
    kind: &str,
    payload: &serde_json::Value,
    run_at: Option<i64>,
    max_attempts: i64,
) -> Result<i64> {
    caller.require(Permission::JobsManage)?;
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let id = store::system::jobs::enqueue(
        &mut tx,
        kind,
        payload,
        run_at.unwrap_or(now),
        max_attempts,
        now,
    )
    .await?;
    tx.commit().await?;
    svc.wake_jobs();
    Ok(id)
}

/// Whether `caller` may read the queue (`jobs.view` or `jobs.manage`):
/// what the reads check first, for interfaces that validate filters before.
pub fn may_view(caller: &Caller) -> Result<()> {
    crate::staff::require_any(caller, &[Permission::JobsView, Permission::JobsManage])
}

/// A page of jobs, newest first (`jobs.view` or `jobs.manage`).
pub async fn list(svc: &Services, caller: &Caller, filter: &Filter) -> Result<(Vec<Job>, bool)> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::system::jobs::list(&mut c, filter).await?)
}

/// One job (`jobs.view` or `jobs.manage`).
pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Job> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    store::system::jobs::get(&mut c, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Jobs per status, every status listed (`jobs.view` or `jobs.manage`).
pub async fn counts(svc: &Services, caller: &Caller) -> Result<Vec<(Status, i64)>> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::system::jobs::counts(&mut c).await?)
}

/// Seconds the oldest due job has waited (`jobs.view` or `jobs.manage`).
pub async fn queue_lag(svc: &Services, caller: &Caller) -> Result<i64> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::system::jobs::queue_lag(&mut c, store::now()).await?)
}

/// The cron schedules (`jobs.view` or `jobs.manage`).
pub async fn schedules(
    svc: &Services,
    caller: &Caller,
) -> Result<Vec<store::system::schedules::Schedule>> {
    may_view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::system::schedules::list(&mut c).await?)
}

/// Puts a dead or failed job back in the queue to run now with fresh
/// attempts (audited as `job.retry`; `jobs.manage`). Refused with
/// `job-not-retryable` for a job that is queued, running or succeeded.
pub async fn retry_now(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    caller.require(Permission::JobsManage)?;
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let Some(before) = store::system::jobs::retry_now(&mut tx, id, now).await? else {
        return match store::system::jobs::get(&mut tx, id).await? {
            None => Err(Error::NotFound),
            Some(_) => Err(Error::Refused("job-not-retryable")),
        };
    };
    Change::new("job.retry", "job", id)
        .before(json!({
            "kind": before.kind,
            "status": before.status,
            "attempts": before.attempts,
            "last_error": before.last_error,
        }))
        .after(json!({"status": Status::Queued}))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    svc.wake_jobs();
    Ok(())
}

/// Deletes expired and idle sessions, used password-reset tokens, login
/// failures, bans and attack notices that ended more than a day ago, and
/// known devices unused for [`crate::staff::auth::KNOWN_DEVICE_DAYS`]: the
/// `expire-sessions` job's work (`security.manage`).
pub async fn expire_sessions(svc: &Services, caller: &Caller) -> Result<String> {
    caller.require(Permission::SecurityManage)?;
    let settings = crate::system::settings::current(svc).await?;
    let idle = settings.int(domain::system::settings::SESSION_IDLE_MINUTES) * 60;
    let window = settings.int(domain::system::settings::LOGIN_WINDOW_MINUTES) * 60;
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let sessions = store::staff::sessions::delete_expired(&mut tx, now, idle).await?;
    // Failures still inside the throttling window count; keep a day for the
    // security page either way.
    let keep = window.max(86_400);
    let security = store::staff::security::purge(&mut tx, now - keep).await?
        + store::staff::security::purge_devices(
            &mut tx,
            now - crate::staff::auth::KNOWN_DEVICE_DAYS * 86_400,
        )
        .await?;
    tx.commit().await?;
    Ok(format!(
        "{sessions} sessions expired, {security} old login failures and bans removed"
    ))
}

/// Applies the plan changes (upgrades, downgrades) due today in the
/// installation's time zone, and any missed on earlier days.
pub async fn apply_plan_changes(svc: &Services) -> Result<String> {
    let today = {
        let mut c = svc.db.conn().await?;
        crate::crm::today(&mut c).await?
    };
    let caller = crate::Caller::system(PLAN_CHANGES);
    let n = crate::contracts::apply_due_plan_changes(svc, &caller, today).await?;
    Ok(format!("{n} plan changes applied (due by {today})"))
}

/// Deletes old finished jobs, sent e-mail and nodes gone for a day: the
/// `purge-jobs` job's work (`jobs.manage`).
pub async fn purge_jobs(svc: &Services, caller: &Caller) -> Result<String> {
    caller.require(Permission::JobsManage)?;
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let ok = store::system::jobs::purge(
        &mut tx,
        Status::Succeeded,
        now - KEEP_SUCCEEDED_DAYS * 86_400,
    )
    .await?;
    let dead =
        store::system::jobs::purge(&mut tx, Status::Dead, now - KEEP_DEAD_DAYS * 86_400).await?;
    let mail = store::system::outbox::purge_sent(&mut tx, now - KEEP_DEAD_DAYS * 86_400).await?;
    let nodes = store::system::nodes::purge(&mut tx, now - 86_400).await?;
    tx.commit().await?;
    Ok(format!(
        "{ok} succeeded and {dead} dead jobs, {mail} sent e-mails, {nodes} departed nodes removed"
    ))
}

/// Background tasks of one node; [`Background::stop`] ends them.
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    pub(crate) fn new() -> Background {
        Background {
            stop: watch::channel(false).0,
            tasks: Vec::new(),
        }
    }

    /// A receiver that turns `true` when [`Background::stop`] is called.
    pub(crate) fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    pub(crate) fn push(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// Asks every task to stop and waits up to `grace` for running jobs to
    /// finish; jobs still running after that are abandoned (their leases
    /// run out and another worker retries them).
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let all = async {
            for t in self.tasks {
                let _ = t.await;
            }
        };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("background tasks still running after {grace:?}; leaving them");
        }
    }
}

/// Starts the job runner and the scheduler on this node (role worker/all).
pub fn start(svc: &Services, registry: Registry, cfg: RunnerConfig) -> Background {
    let mut bg = Background::new();
    let specs = schedule::builtin();
    bg.push(runner::spawn(
        svc.clone(),
        registry,
        cfg.clone(),
        bg.stop_signal(),
    ));
    bg.push(schedule::spawn(
        svc.clone(),
        specs,
        cfg.schedule_interval,
        bg.stop_signal(),
    ));
    bg
}
