//! Outbound e-mail waiting to be sent by the outbox job.

use sqlx::AnyConnection;

use crate::Result;

/// Queues a message inside the caller's transaction; returns its id.
pub async fn enqueue(
    conn: &mut AnyConnection,
    to: &str,
    subject: &str,
    body_text: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO email_outbox (to_addr, subject, body_text, status, created_at)
         VALUES ($1, $2, $3, 'pending', $4) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body_text)
    .bind(at)
    .fetch_one(conn)
    .await?)
}
