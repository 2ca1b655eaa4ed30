//! Keeping the view current: the domain-event outbox polled every 250 ms
//! (an indexed range scan on the primary key) and, on PostgreSQL, a
//! `LISTEN` connection that wakes the poll at once when an event or a CoA
//! row is committed (migration 0007's triggers `NOTIFY`). Every radius
//! node runs its own feed, so all of them see a change within a poll.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use domain::event::{DomainEvent, Entity};
use services::Services;
use services::radius::hot;

use crate::Result;
use crate::server::Shared;
use crate::view::Settings;

/// Poll period of the outbox.
pub const POLL: Duration = Duration::from_millis(250);

/// The newest event id (0 when there is none).
pub async fn last_event_id(svc: &Services) -> Result<i64> {
    let mut c = svc.db.conn().await?;
    Ok(hot::last_event_id(&mut c).await?)
}

/// What a batch of events asks the view to re-read.
#[derive(Default)]
struct Todo {
    contracts: BTreeSet<i64>,
    plans: bool,
    nas: bool,
}

impl Todo {
    fn reread(&mut self, entity: Entity) {
        match entity {
            Entity::Contract(id) => {
                self.contracts.insert(id);
            }
            Entity::Plan(_) => self.plans = true,
            Entity::Nas(_) => self.nas = true,
            Entity::Invoice(_) | Entity::Payment(_) => {}
        }
    }
}

fn classify(todo: &mut Todo, rec: &hot::Recorded) {
    let event = match &rec.event {
        Ok(event) => event,
        Err(e) => {
            // Re-reading what the row names is always safe: the view takes
            // the database's state, not the event's.
            tracing::warn!(event = rec.id, error = %e, "RADIUS feed: cannot read an outbox event; re-reading its entity");
            if let Some(entity) = rec.entity {
                todo.reread(entity);
            }
            return;
        }
    };
    match event {
        // Login, password, MAC, addresses, status and plan live on the
        // contract row.
        DomainEvent::ContractCreated(_)
        | DomainEvent::ContractStatusChanged(_)
        | DomainEvent::ContractPlanChanged(_)
        | DomainEvent::ContractUpdated(_)
        // The open speed reduction is read with the contract.
        | DomainEvent::ContractSpeedChanged(_) => todo.reread(event.entity()),
        // The view keeps no price.
        DomainEvent::ContractPriceChanged(_) => {}
        DomainEvent::PlanUpdated(_) => todo.plans = true,
        DomainEvent::NasChanged(_) => todo.nas = true,
        // Billing documents change nothing RADIUS serves (suspension for
        // non-payment arrives as a contract status change).
        DomainEvent::InvoiceIssued(_)
        | DomainEvent::InvoiceVoided(_)
        | DomainEvent::CreditNoteIssued(_)
        | DomainEvent::PaymentReceived(_)
        | DomainEvent::PaymentRefunded(_)
        | DomainEvent::PaymentReversed(_) => {}
    }
}

/// Applies events after `from` to the view, forever.
pub(crate) async fn run(sh: Arc<Shared>, mut from: i64) {
    loop {
        match step(&sh, from).await {
            Ok(last) => from = last,
            Err(e) => tracing::warn!(error = %e, "RADIUS change feed failed; retrying"),
        }
        if let Err(e) = crate::coa::enqueue(&sh).await {
            tracing::warn!(error = %e, "cannot queue CoA / Disconnect requests");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = sh.feed_wake.notified() => {}
        }
    }
}

async fn step(sh: &Shared, mut from: i64) -> Result<i64> {
    loop {
        let events = {
            let mut c = sh.svc.db.conn().await?;
            hot::events_after(&mut c, from, 1000).await?
        };
        let Some(last) = events.last().map(|e| e.id) else {
            return Ok(from);
        };
        let mut todo = Todo::default();
        for ev in &events {
            classify(&mut todo, ev);
        }
        if todo.plans {
            sh.view.reload_plans(&sh.svc).await?;
        }
        if todo.nas {
            sh.nas.reload(&sh.svc).await?;
        }
        let ids: Vec<i64> = todo.contracts.into_iter().collect();
        sh.view.reload_contracts(&sh.svc, &ids).await?;
        from = last;
        if events.len() < 1000 {
            return Ok(from);
        }
    }
}

/// Periodic work: NAS table (5 s), settings (5 s), usage (15 s), open
/// sessions from every node (30 s), stale sessions (60 s).
pub(crate) async fn housekeeping(sh: Arc<Shared>) {
    let mut tick = 0u64;
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        tick += 1;
        if let Err(e) = sh.nas.reload(&sh.svc).await {
            tracing::warn!(error = %e, "cannot re-read the NAS table");
        }
        match Settings::load(&sh.svc).await {
            Ok(s) => {
                if **sh.view.settings.load() != s {
                    sh.view.settings.store(Arc::new(s));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot re-read the RADIUS settings"),
        }
        if let Ok(s) = services::system::settings::current(&sh.svc).await {
            sh.log_accepts.store(
                s.bool(domain::system::settings::RADIUS_LOG_ACCEPTS),
                Relaxed,
            );
        }
        if tick.is_multiple_of(3)
            && let Err(e) = sh.view.reload_usage(&sh.svc).await
        {
            tracing::warn!(error = %e, "cannot re-read usage");
        }
        if tick.is_multiple_of(6)
            && let Err(e) = sh.view.reload_sessions(&sh.svc).await
        {
            tracing::warn!(error = %e, "cannot re-count open sessions");
        }
        if tick.is_multiple_of(12) {
            let s = sh.view.settings.load();
            match crate::acct::sweep_stale(
                &sh.svc,
                &sh.view,
                s.interim_interval,
                s.stale_after_missed_interims,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "closed stale RADIUS sessions"),
                Err(e) => tracing::warn!(error = %e, "cannot close stale sessions"),
            }
        }
    }
}

/// PostgreSQL only: wakes the feed and the CoA sender on `NOTIFY`.
pub(crate) async fn listen(sh: Arc<Shared>) {
    loop {
        match listen_once(&sh).await {
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(error = %e, "PostgreSQL LISTEN failed; polling only until it reconnects")
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn listen_once(sh: &Shared) -> Result<()> {
    let mut l =
        hot::Notifications::listen(&sh.svc.db, &["lastmile_events", "lastmile_coa"]).await?;
    loop {
        match l.recv().await?.as_str() {
            "lastmile_coa" => sh.coa_wake.notify_one(),
            _ => sh.feed_wake.notify_one(),
        }
    }
}
