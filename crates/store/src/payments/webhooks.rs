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
