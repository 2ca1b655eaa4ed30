//! The job runner: claims due jobs, runs them through the handler registered
//! for their kind, keeps their lease alive while they run, and records the
//! outcome.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use store::system::jobs::{Job, Lease, Status};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::{Caller, Error, Result, Services};

/// What a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;
type Handler = Arc<dyn Fn(JobContext) -> HandlerFuture + Send + Sync>;

/// Job kinds and the code that runs them.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Handler>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The built-in jobs: session expiry, backups, the e-mail outbox,
    /// scheduled plan changes, billing runs and purging old jobs.
    pub fn with_builtins() -> Registry {
        let mut r = Registry::new();
        r.register(super::EXPIRE_SESSIONS, |ctx| async move {
            let caller = Caller::system(super::EXPIRE_SESSIONS);
            let note = super::expire_sessions(ctx.svc(), &caller).await?;
            ctx.note(&note).await
        });
        r.register(super::PURGE_RADIUS, |ctx| async move {
            let caller = Caller::system(super::PURGE_RADIUS);
            let note = crate::radius::purge(ctx.svc(), &caller).await?;
            ctx.note(&note).await
        });
        r.register(super::PURGE_JOBS, |ctx| async move {
            let caller = Caller::system(super::PURGE_JOBS);
            let note = super::purge_jobs(ctx.svc(), &caller).await?;
            ctx.note(&note).await
        });
        r.register(super::BACKUP, |ctx| async move {
            let caller = Caller::system(super::BACKUP);
            let file = crate::system::backup::run(ctx.svc(), &caller).await?;
            ctx.note(&format!("{} ({} bytes)", file.name, file.size))
                .await
        });
        r.register(super::NFTABLES_EXPORT, |ctx| async move {
            let caller = Caller::system(super::NFTABLES_EXPORT);
            match crate::staff::firewall::export(ctx.svc(), &caller).await? {
                Some(path) => ctx.note(&path.display().to_string()).await,
                None => Ok(()),
            }
        });
        r.register(super::PLAN_CHANGES, |ctx| async move {
            let note = super::apply_plan_changes(ctx.svc()).await?;
            ctx.note(&note).await
        });
        r.register(super::EMAIL_OUTBOX, |ctx| async move {
            crate::system::email::drain_job(&ctx).await
        });
        r.register(crate::billing::run::JOB, |ctx| async move {
            crate::billing::run::job(&ctx).await
        });
        r.register(crate::collections::JOB, |ctx| async move {
            crate::collections::job(&ctx).await
        });
        r.register(crate::payments::gateways::stripe::JOB, |ctx| async move {
            crate::payments::gateways::stripe::job(&ctx).await
        });
        crate::payments::gateways::register_jobs(&mut r);
        r
    }

    /// Registers (or replaces) the handler for `kind`.
    pub fn register<F, Fut>(&mut self, kind: &str, f: F)
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.handlers
            .insert(kind.to_owned(), Arc::new(move |ctx| Box::pin(f(ctx))));
    }

    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }

    fn get(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).cloned()
    }
}

/// What a running handler gets: its job, the services, and a way to report
/// progress.
#[derive(Clone)]
pub struct JobContext {
    svc: Services,
    job: Arc<Job>,
    lease: Lease,
}

impl JobContext {
    pub fn svc(&self) -> &Services {
        &self.svc
    }

    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The payload as JSON (`null` if it does not parse).
    pub fn payload(&self) -> serde_json::Value {
        serde_json::from_str(&self.job.payload).unwrap_or(serde_json::Value::Null)
    }

    /// Records progress: `done` of `total`, with a short note.
    pub async fn progress(&self, done: i64, total: i64, note: &str) -> Result<()> {
        let mut tx = self.svc.db.begin().await?;
        let held = store::system::jobs::progress(&mut tx, &self.lease, done, total, note).await?;
        tx.commit().await?;
        if held {
            Ok(())
        } else {
            Err(Error::Refused("job-lease-lost"))
        }
    }

    /// Records a note without changing the counts.
    pub async fn note(&self, note: &str) -> Result<()> {
        let (done, total) = {
            let mut c = self.svc.db.conn().await?;
            store::system::jobs::get(&mut c, self.job.id)
                .await?
                .map_or((0, 0), |j| (j.progress_done, j.progress_total))
        };
        self.progress(done, total, note).await
    }
}

/// How a runner behaves.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Names this node in `locked_by` (and in logs).
    pub worker_id: String,
    /// Jobs run at the same time on this node.
    pub concurrency: usize,
    /// How often to look for due jobs when not woken.
    pub poll_interval: Duration,
    /// How long a claim holds; extended every third of it while the job runs.
    pub lease: Duration,
    /// How often the scheduler looks for due schedules.
    pub schedule_interval: Duration,
}

impl RunnerConfig {
    pub fn new(worker_id: impl Into<String>) -> RunnerConfig {
        RunnerConfig {
            worker_id: worker_id.into(),
            concurrency: 2,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            schedule_interval: Duration::from_secs(5),
        }
    }
}

/// Starts the runner loop; it ends when `stop` turns true (or its sender
/// is dropped), after the jobs it started have finished.
pub fn spawn(
    svc: Services,
    registry: Registry,
    cfg: RunnerConfig,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(run(svc, registry, cfg, stop))
}

async fn run(
    svc: Services,
    registry: Registry,
    cfg: RunnerConfig,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut running = JoinSet::new();
    tracing::info!(worker = %cfg.worker_id, "job runner started");
    loop {
        if *stop.borrow() {
            break;
        }
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        while running.try_join_next().is_some() {}
        match claim(&svc, &cfg).await {
            Ok(Some(job)) => {
                running.spawn(execute(
                    svc.clone(),
                    registry.clone(),
                    cfg.clone(),
                    job,
                    permit,
                ));
                continue;
            }
            Ok(None) => drop(permit),
            Err(e) => {
                drop(permit);
                tracing::warn!(error = %e, "claiming a job failed");
            }
        }
        tokio::select! {
            _ = svc.jobs_wake.notified() => {}
            _ = tokio::time::sleep(cfg.poll_interval) => {}
            _ = stop.changed() => break,
        }
    }
    while running.join_next().await.is_some() {}
    tracing::info!(worker = %cfg.worker_id, "job runner stopped");
}

/// Claims one due job for this worker.
pub async fn claim(svc: &Services, cfg: &RunnerConfig) -> Result<Option<Job>> {
    {
        let mut c = svc.db.conn().await?;
        if !store::system::jobs::has_due(&mut c, store::now()).await? {
            return Ok(None);
        }
    }
    let mut tx = svc.db.begin().await?;
    let job = store::system::jobs::claim(
        &mut tx,
        svc.db.engine(),
        &cfg.worker_id,
        store::now(),
        lease_secs(cfg),
    )
    .await?;
    tx.commit().await?;
    Ok(job)
}

fn lease_secs(cfg: &RunnerConfig) -> i64 {
    (cfg.lease.as_secs() as i64).max(3)
}

/// Runs one claimed job to its end and records the outcome. Public so that
/// tests and the CLI can run a job in the foreground.
pub async fn execute(
    svc: Services,
    registry: Registry,
    cfg: RunnerConfig,
    job: Job,
    _slot: OwnedSemaphorePermit,
) {
    execute_claimed(&svc, &registry, &cfg, job).await;
}

/// Like [`execute`], without a runner's concurrency slot.
pub async fn execute_claimed(
    svc: &Services,
    registry: &Registry,
    cfg: &RunnerConfig,
    job: Job,
) -> Option<Status> {
    let lease = job.lease();
    let kind = job.kind.clone();
    let id = job.id;
    let outcome: std::result::Result<(), String> = match registry.get(&kind) {
        None => Err(format!("no handler for job kind `{kind}` on this node")),
        Some(handler) => {
            let ctx = JobContext {
                svc: svc.clone(),
                job: Arc::new(job),
                lease: lease.clone(),
            };
            let mut task = tokio::spawn(handler(ctx));
            let beat = Duration::from_secs((lease_secs(cfg) / 3).max(1) as u64);
            let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
            loop {
                tokio::select! {
                    r = &mut task => break match r {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(e) if e.is_panic() => Err(format!("the job panicked: {}", panic_text(e))),
                        Err(_) => Err("the job was cancelled".to_owned()),
                    },
                    _ = ticker.tick() => {
                        match extend(svc, &lease, lease_secs(cfg)).await {
                            Ok(true) => {}
                            Ok(false) => {
                                tracing::warn!(job = id, %kind, "lease lost; another worker owns the job now");
                                task.abort();
                                return None;
                            }
                            Err(e) => tracing::warn!(job = id, %kind, error = %e, "extending the lease failed"),
                        }
                    }
                }
            }
        }
    };
    match finish(svc, &lease, outcome.as_ref().err().map(String::as_str)).await {
        Ok(status) => {
            match (&outcome, status) {
                (Ok(()), _) => tracing::info!(job = id, %kind, "job succeeded"),
                (Err(e), Some(s)) => {
                    tracing::warn!(job = id, %kind, status = %s, error = %e, "job failed")
                }
                (Err(_), None) => {}
            }
            if status.is_none() {
                tracing::warn!(job = id, %kind, "lease lost before the outcome was recorded");
            }
            status
        }
        Err(e) => {
            tracing::error!(job = id, %kind, error = %e, "recording the job's outcome failed");
            None
        }
    }
}

async fn extend(svc: &Services, lease: &Lease, secs: i64) -> Result<bool> {
    let mut tx = svc.db.begin().await?;
    let held = store::system::jobs::extend_lease(&mut tx, lease, store::now() + secs).await?;
    tx.commit().await?;
    Ok(held)
}

async fn finish(svc: &Services, lease: &Lease, error: Option<&str>) -> Result<Option<Status>> {
    let now = store::now();
    let mut tx = svc.db.begin().await?;
    let status = match error {
        None => store::system::jobs::succeed(&mut tx, lease, now)
            .await?
            .then_some(Status::Succeeded),
        Some(e) => store::system::jobs::fail(&mut tx, lease, e, now).await?,
    };
    tx.commit().await?;
    Ok(status)
}

fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned()),
        Err(_) => "(no message)".to_owned(),
    }
}
