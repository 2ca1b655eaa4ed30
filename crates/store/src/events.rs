//! The domain-event outbox: events written in the same transaction as the
//! change they announce, read by consumers (RADIUS, billing…) in id order
//! from their own cursor.
//!
//! Rows hold a [`DomainEvent`]: its kind, its entity, its payload and the
//! payload's version (`domain::event::VERSION` when written). Reading
//! decodes each row, upcasting older versions; a row this release cannot
//! read comes back as its [`DecodeError`] instead of failing the read, so
//! one bad row never stops a consumer.
//!
//! On PostgreSQL, ids come from a sequence and concurrent transactions could
//! commit them out of order, so a consumer reading "after id N" might skip an
//! event committed late. Appends therefore take a transaction-scoped advisory
//! lock: the transactions that write events commit one at a time, in id
//! order. (SQLite has one writer anyway.)

use domain::event::{DecodeError, DomainEvent, Entity, VERSION};
use sqlx::AnyConnection;

use crate::system::audit::Actor;
use crate::{Engine, Result};

/// An outbox row, decoded.
#[derive(Debug)]
pub struct Recorded {
    pub id: i64,
    pub at: i64,
    /// The row's entity columns, readable even when its payload is not
    /// (`None` for an entity kind this release does not know).
    pub entity: Option<Entity>,
    pub actor_kind: String,
    pub actor_name: String,
    /// The event, or why this release cannot read it (consumers log the
    /// error with the row's id and skip the row).
    pub event: std::result::Result<DomainEvent, DecodeError>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: i64,
    kind: String,
    version: i64,
    entity_kind: String,
    entity_id: String,
    payload: String,
    actor_kind: String,
    actor_name: String,
}

impl From<Row> for Recorded {
    fn from(r: Row) -> Recorded {
        Recorded {
            id: r.id,
            at: r.at,
            entity: Entity::parse(&r.entity_kind, &r.entity_id),
            event: DomainEvent::decode(&r.kind, r.version, &r.payload),
            actor_kind: r.actor_kind,
            actor_name: r.actor_name,
        }
    }
}

const OUTBOX_LOCK: i64 = 0x004c_4d45_5645_4e54;

async fn lock(conn: &mut AnyConnection, engine: Engine) -> Result<()> {
    if engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(OUTBOX_LOCK)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// What a row stores of an event: kind, entity kind, entity id, payload.
fn encode(event: &DomainEvent) -> (&'static str, &'static str, String, String) {
    let entity = event.entity();
    (
        event.kind().as_str(),
        entity.kind(),
        entity.id().to_string(),
        event.payload().to_string(),
    )
}

/// Appends an event inside the caller's transaction; returns its id.
pub async fn append(
    conn: &mut AnyConnection,
    engine: Engine,
    actor: &Actor,
    event: &DomainEvent,
    at: i64,
) -> Result<i64> {
    lock(&mut *conn, engine).await?;
    let (kind, entity_kind, entity_id, payload) = encode(event);
    Ok(sqlx::query_scalar(
        "INSERT INTO domain_events (at, kind, version, entity_kind, entity_id, payload, actor_kind, actor_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(at)
    .bind(kind)
    .bind(VERSION)
    .bind(entity_kind)
    .bind(entity_id)
    .bind(payload)
    .bind(actor.kind)
    .bind(&actor.name)
    .fetch_one(conn)
    .await?)
}

/// Events after `after_id`, oldest first.
pub async fn after(conn: &mut AnyConnection, after_id: i64, limit: i64) -> Result<Vec<Recorded>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, at, kind, version, entity_kind, entity_id, payload, actor_kind, actor_name
           FROM domain_events WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Recorded::from).collect())
}

/// A consumer's position (0 when it never read).
pub async fn cursor(conn: &mut AnyConnection, consumer: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT last_id FROM domain_event_cursors WHERE consumer = $1")
            .bind(consumer)
            .fetch_optional(conn)
            .await?
            .unwrap_or(0),
    )
}

/// Moves a consumer's position (in the transaction that handled the events).
pub async fn set_cursor(
    conn: &mut AnyConnection,
    consumer: &str,
    last_id: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO domain_event_cursors (consumer, last_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (consumer) DO UPDATE SET last_id = excluded.last_id, updated_at = excluded.updated_at",
    )
    .bind(consumer)
    .bind(last_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest event's id (0 when there is none).
pub async fn last_id(conn: &mut AnyConnection) -> Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM domain_events")
        .fetch_one(conn)
        .await?;
    Ok(id.unwrap_or(0))
}

/// A consumer's position, `None` when it never started.
pub async fn find_cursor(conn: &mut AnyConnection, consumer: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT last_id FROM domain_event_cursors WHERE consumer = $1")
            .bind(consumer)
            .fetch_optional(conn)
            .await?,
    )
}

/// Starts a consumer at `last_id` unless it has a position already
/// (another node may have started it first).
pub async fn start_cursor(
    conn: &mut AnyConnection,
    consumer: &str,
    last_id: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO domain_event_cursors (consumer, last_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (consumer) DO NOTHING",
    )
    .bind(consumer)
    .bind(last_id)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a consumer's position from `from` to `to` (compare-and-swap, in
/// the transaction that handled the events); `false` when it was not at
/// `from` (another node handled them first: roll back).
pub async fn advance_cursor(
    conn: &mut AnyConnection,
    consumer: &str,
    from: i64,
    to: i64,
    at: i64,
) -> Result<bool> {
    let moved = sqlx::query(
        "UPDATE domain_event_cursors SET last_id = $1, updated_at = $2 WHERE consumer = $3 AND last_id = $4",
    )
    .bind(to)
    .bind(at)
    .bind(consumer)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Appends many events (imports) inside the caller's transaction, in the
/// order given.
pub async fn append_many(
    conn: &mut AnyConnection,
    engine: Engine,
    actor: &Actor,
    events: &[DomainEvent],
    at: i64,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    lock(&mut *conn, engine).await?;
    let rows: Vec<Vec<crate::bulk::Value>> = events
        .iter()
        .map(|event| {
            let (kind, entity_kind, entity_id, payload) = encode(event);
            vec![
                at.into(),
                kind.into(),
                VERSION.into(),
                entity_kind.into(),
                entity_id.into(),
                payload.into(),
                actor.kind.into(),
                (&actor.name).into(),
            ]
        })
        .collect();
    crate::bulk::insert_rows(
        conn,
        "domain_events",
        &[
            "at",
            "kind",
            "version",
            "entity_kind",
            "entity_id",
            "payload",
            "actor_kind",
            "actor_name",
        ],
        &rows,
    )
    .await?;
    Ok(())
}
