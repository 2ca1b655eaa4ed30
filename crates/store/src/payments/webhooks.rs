//! Webhook deliveries already handled (migration 0022): the first insert
//! of `(gateway, event_id)` wins, in the same transaction as what the event
//! records, so a delivery the provider repeats changes nothing.

use sqlx::AnyConnection;

use crate::Result;

/// Claims event `event_id` of `gateway`; `false` when it was handled
/// before (or by a concurrent transaction that committed first).
pub async fn claim(
    conn: &mut AnyConnection,
    gateway: &str,
    event_id: &str,
    kind: &str,
    outcome: &str,
    at: i64,
) -> Result<bool> {
    let id: Option<String> = sqlx::query_scalar(
        "INSERT INTO webhook_events (gateway, event_id, kind, received_at, outcome)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (gateway, event_id) DO NOTHING
         RETURNING event_id",
    )
    .bind(gateway)
    .bind(event_id)
    .bind(kind)
    .bind(at)
    .bind(outcome)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

/// Sets the outcome of a claimed event (`processed`, `ignored`, `failed`).
pub async fn set_outcome(
    conn: &mut AnyConnection,
    gateway: &str,
    event_id: &str,
    outcome: &str,
    error: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_events SET outcome = $3, error = $4 WHERE gateway = $1 AND event_id = $2",
    )
    .bind(gateway)
    .bind(event_id)
    .bind(outcome)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many events of `gateway` were handled (for tests and the gateway page).
pub async fn count(conn: &mut AnyConnection, gateway: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE gateway = $1")
            .bind(gateway)
            .fetch_one(conn)
            .await?,
    )
}

/// Whether event `(gateway, event_id)` was handled already (a read before
/// calling the provider; the claim in the transaction still decides).
pub async fn seen(conn: &mut AnyConnection, gateway: &str, event_id: &str) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM webhook_events WHERE gateway = $1 AND event_id = $2",
    )
    .bind(gateway)
    .bind(event_id)
    .fetch_one(conn)
    .await?
        > 0)
}

/// Ties claimed event `(gateway, event_id)` to the charge it acted on
/// (the charge's history on the staff page).
pub async fn link(
    conn: &mut AnyConnection,
    gateway: &str,
    event_id: &str,
    charge_id: i64,
) -> Result<()> {
    sqlx::query("UPDATE webhook_events SET charge_id = $3 WHERE gateway = $1 AND event_id = $2")
        .bind(gateway)
        .bind(event_id)
        .bind(charge_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A handled event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Event {
    pub gateway: String,
    pub event_id: String,
    pub kind: String,
    pub received_at: i64,
    pub outcome: String,
    pub error: Option<String>,
    pub charge_id: Option<i64>,
}

/// The events that acted on charge `charge_id`, oldest first (at most 200:
/// a charge sees a handful).
pub async fn of_charge(conn: &mut AnyConnection, charge_id: i64) -> Result<Vec<Event>> {
    Ok(sqlx::query_as(
        "SELECT gateway, event_id, kind, received_at, outcome, error, charge_id
         FROM webhook_events WHERE charge_id = $1 ORDER BY received_at, event_id LIMIT 200",
    )
    .bind(charge_id)
    .fetch_all(conn)
    .await?)
}
