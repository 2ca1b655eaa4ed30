//! The one way a service records a change: the audit entry (before and
//! after), the domain event for other areas, and the line on the customer's
//! timeline, all written in the caller's transaction, so a change is either
//! recorded everywhere or nowhere.
//!
//! ```ignore
//! Change::new("contract.transition", "contract", id)
//!     .before(json!({ "status": "active" }))
//!     .after(json!({ "status": "suspended" }))
//!     .event(ContractStatusChanged { .. })
//!     .timeline(customer_id, EventKind::ContractSuspended, summary)
//!     .record(&mut tx, engine, &actor)
//!     .await?;
//! ```
//!
//! Imports and other bulk writes build the same values and hand them to
//! [`record_all`], which writes each table with multi-row statements.

use domain::crm::timeline::EventKind;
use domain::event::DomainEvent;
use serde_json::Value;
use store::{AnyConnection, Engine};

use crate::{Actor, Result};

/// One change, as the audit log, the outbox and the timeline see it.
#[derive(Debug, Clone)]
#[must_use = "a change is written only by `record`"]
pub struct Change {
    action: &'static str,
    entity_kind: &'static str,
    entity_id: String,
    before: Option<Value>,
    after: Option<Value>,
    event: Option<DomainEvent>,
    timeline: Option<Line>,
}

/// The customer-timeline line of a change.
#[derive(Debug, Clone)]
struct Line {
    customer_id: i64,
    kind: EventKind,
    summary: String,
    /// What the line's sentence is built from; by default the event's
    /// payload, else the audit's `after`.
    data: Option<Value>,
    link: Link,
}

/// The record a timeline line links to.
#[derive(Debug, Clone)]
enum Link {
    /// The change's own entity (the default).
    Entity,
    Other(&'static str, String),
    Nothing,
}

impl Change {
    /// A change named `action` (`contract.transition`) to the entity
    /// `entity_kind` / `entity_id`.
    pub fn new(
        action: &'static str,
        entity_kind: &'static str,
        entity_id: impl ToString,
    ) -> Change {
        Change {
            action,
            entity_kind,
            entity_id: entity_id.to_string(),
            before: None,
            after: None,
            event: None,
            timeline: None,
        }
    }

    /// The entity's fields before the change (audit).
    pub fn before(mut self, v: impl Into<Option<Value>>) -> Change {
        self.before = v.into();
        self
    }

    /// The entity's fields after the change (audit).
    pub fn after(mut self, v: impl Into<Option<Value>>) -> Change {
        self.after = v.into();
        self
    }

    /// The domain event other areas consume.
    pub fn event(mut self, e: impl Into<DomainEvent>) -> Change {
        self.event = Some(e.into());
        self
    }

    /// A line on customer `customer_id`'s timeline.
    pub fn timeline(
        mut self,
        customer_id: i64,
        kind: EventKind,
        summary: impl Into<String>,
    ) -> Change {
        self.timeline = Some(Line {
            customer_id,
            kind,
            summary: summary.into(),
            data: None,
            link: Link::Entity,
        });
        self
    }

    /// Overrides the timeline line's data (call after [`Change::timeline`]).
    pub fn timeline_data(mut self, data: Value) -> Change {
        if let Some(l) = self.timeline.as_mut() {
            l.data = Some(data);
        }
        self
    }

    /// Links the timeline line to another record than the change's entity
    /// (call after [`Change::timeline`]); `None` links it to nothing.
    pub fn timeline_entity(mut self, entity: Option<(&'static str, String)>) -> Change {
        if let Some(l) = self.timeline.as_mut() {
            l.link = match entity {
                Some((kind, id)) => Link::Other(kind, id),
                None => Link::Nothing,
            };
        }
        self
    }

    /// The domain event this change carries, if any.
    pub fn domain_event(&self) -> Option<&DomainEvent> {
        self.event.as_ref()
    }

    /// Writes the audit entry, then the event, then the timeline line, in
    /// the caller's transaction.
    pub async fn record(
        self,
        conn: &mut AnyConnection,
        engine: Engine,
        actor: &Actor,
    ) -> Result<()> {
        let now = store::now();
        store::system::audit::append(conn, engine, actor, &self.audit(), now).await?;
        if let Some(e) = &self.event {
            store::events::append(conn, engine, actor, e, now).await?;
        }
        if let Some(line) = self.line(now) {
            let (entity, data) = (line.entity, line.data);
            store::crm::timeline::insert(
                conn,
                actor,
                &store::crm::timeline::NewEvent {
                    customer_id: line.customer_id,
                    kind: line.kind,
                    summary: &line.summary,
                    entity,
                    data,
                },
                now,
            )
            .await?;
        }
        Ok(())
    }

    fn audit(&self) -> store::system::audit::Change<'_> {
        store::system::audit::Change {
            action: self.action,
            entity_kind: self.entity_kind,
            entity_id: &self.entity_id,
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }

    fn line(&self, at: i64) -> Option<store::bulk::NewEvent> {
        let l = self.timeline.as_ref()?;
        let data = l
            .data
            .clone()
            .or_else(|| self.event.as_ref().map(DomainEvent::payload))
            .or_else(|| self.after.clone())
            .unwrap_or_else(|| Value::Object(Default::default()));
        let entity = match &l.link {
            Link::Entity => Some((self.entity_kind, self.entity_id.clone())),
            Link::Other(kind, id) => Some((*kind, id.clone())),
            Link::Nothing => None,
        };
        Some(store::bulk::NewEvent {
            customer_id: l.customer_id,
            at,
            kind: l.kind.as_str(),
            summary: l.summary.clone(),
            entity,
            data,
        })
    }
}

/// Records many changes by one actor in the caller's transaction with one
/// multi-row statement per table: the import and bulk-action path, with
/// the same entries [`Change::record`] writes one by one.
pub async fn record_all(
    conn: &mut AnyConnection,
    engine: Engine,
    actor: &Actor,
    changes: &[Change],
) -> Result<()> {
    let now = store::now();
    let audits: Vec<_> = changes.iter().map(Change::audit).collect();
    store::system::audit::append_many(conn, engine, actor, &audits, now).await?;
    let events: Vec<DomainEvent> = changes.iter().filter_map(|c| c.event.clone()).collect();
    store::events::append_many(conn, engine, actor, &events, now).await?;
    let lines: Vec<_> = changes.iter().filter_map(|c| c.line(now)).collect();
    store::bulk::insert_events(conn, actor, &lines).await?;
    Ok(())
}
