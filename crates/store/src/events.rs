//! The domain-event outbox: events written in the same transaction as the
//! change they announce, read by consumers (RADIUS, billing…) in id order
//! from their own cursor.
//!
//! On PostgreSQL, ids come from a sequence and concurrent transactions could
//! commit them out of order, so a consumer reading "after id N" might skip an
//! event committed late. Appends therefore take a transaction-scoped advisory
//! lock: the transactions that write events commit one at a time, in id
//! order. (SQLite has one writer anyway.)

use sqlx::AnyConnection;

use crate::audit::Actor;
use crate::{Engine, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct DomainEvent {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub entity_kind: String,
    pub entity_id: String,
    /// JSON object.
    pub payload: String,
    pub actor_kind: String,
    pub actor_name: String,
}

const OUTBOX_LOCK: i64 = 0x004c_4d45_5645_4e54;

/// Appends an event inside the caller's transaction; returns its id.
pub async fn append(
    conn: &mut AnyConnection,
    engine: Engine,
    actor: &Actor,
    kind: &str,
    entity: (&str, &str),
    payload: &serde_json::Value,
    at: i64,
) -> Result<i64> {
    if engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(OUTBOX_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO domain_events (at, kind, entity_kind, entity_id, payload, actor_kind, actor_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(at)
    .bind(kind)
    .bind(entity.0)
    .bind(entity.1)
    .bind(payload.to_string())
    .bind(actor.kind)
    .bind(&actor.name)
    .fetch_one(conn)
    .await?)
}

/// Events after `after_id`, oldest first, optionally of one kind.
pub async fn after(
    conn: &mut AnyConnection,
    after_id: i64,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<DomainEvent>> {
    let cols = "id, at, kind, entity_kind, entity_id, payload, actor_kind, actor_name";
    Ok(match kind {
        Some(k) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {cols} FROM domain_events WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3"
            )))
            .bind(k)
            .bind(after_id)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {cols} FROM domain_events WHERE id > $1 ORDER BY id LIMIT $2"
            )))
            .bind(after_id)
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
    })
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

/// Appends many events (imports) inside the caller's transaction, in the
/// order given: `(kind, (entity_kind, entity_id), payload)`.
pub async fn append_many(
    conn: &mut AnyConnection,
    engine: Engine,
    actor: &Actor,
    events: &[(&str, (&str, String), serde_json::Value)],
    at: i64,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    if engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(OUTBOX_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let rows: Vec<Vec<crate::bulk::Value>> = events
        .iter()
        .map(|(kind, (ek, eid), payload)| {
            vec![
                at.into(),
                (*kind).into(),
                (*ek).into(),
                eid.into(),
                payload.to_string().into(),
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
