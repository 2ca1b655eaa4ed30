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

/// One queued message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Message {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    /// `pending`, `sent` or `failed` (gave up).
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub next_attempt_at: i64,
    /// What to render and attach when sending (`invoice`), by reference.
    pub attachment_kind: Option<String>,
    pub attachment_id: Option<i64>,
}

const COLUMNS: &str = "id, to_addr, subject, body_text, status, attempts, last_error, created_at, \
     sent_at, next_attempt_at, attachment_kind, attachment_id";

/// Queues the e-mail of issued document `invoice_id` to its customer's
/// first e-mail address, in the caller's transaction: one `INSERT …
/// SELECT`, so issuing many documents stays cheap. Subject and body are
/// the document's number until the outbox job writes the message and its
/// PDF when sending. Nothing is queued when the customer has no e-mail,
/// the document is not issued, `email.send_invoices` is off, or the
/// document was queued before. Returns whether a message was queued.
pub async fn enqueue_document(conn: &mut AnyConnection, invoice_id: i64, at: i64) -> Result<bool> {
    let first_email = if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        "json_extract(c.emails, '$[0]')"
    } else {
        "(c.emails::jsonb ->> 0)"
    };
    let sql = format!(
        "INSERT INTO email_outbox (to_addr, subject, body_text, status, created_at,
            attachment_kind, attachment_id)
         SELECT {first_email}, COALESCE(d.number, ''), '', 'pending', $2, 'invoice', d.id
         FROM invoices d JOIN customers c ON c.id = d.customer_id
         WHERE d.id = $1 AND d.status = 'issued' AND d.number IS NOT NULL
           AND COALESCE({first_email}, '') <> ''
           AND NOT EXISTS (SELECT 1 FROM settings
                WHERE key = 'email.send_invoices' AND value = 'false')
         ON CONFLICT DO NOTHING"
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(invoice_id)
        .bind(at)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}

/// [`enqueue_document`] for many documents in one statement (the billing
/// run's groups); returns how many were queued.
pub async fn enqueue_documents(conn: &mut AnyConnection, ids: &[i64], at: i64) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    // The address is looked up per document (a correlated subquery, kept
    // from being flattened on PostgreSQL by OFFSET 0) rather than joined:
    // while a billing run fills `invoices` PostgreSQL's statistics lag
    // behind, and the join was planned as a merge over every customer, a
    // scan of the whole table per group (9 s of a 100,000-customer run).
    let (first_email, fence) = if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        ("json_extract(c.emails, '$[0]')", "")
    } else {
        ("(c.emails::jsonb ->> 0)", "OFFSET 0")
    };
    let sql = format!(
        "INSERT INTO email_outbox (to_addr, subject, body_text, status, created_at,
            attachment_kind, attachment_id)
         SELECT x.to_addr, x.number, '', 'pending', $1, 'invoice', x.id
         FROM (SELECT d.id, COALESCE(d.number, '') AS number,
                (SELECT {first_email} FROM customers c WHERE c.id = d.customer_id) AS to_addr
               FROM invoices d
               WHERE d.id IN ({}) AND d.status = 'issued' AND d.number IS NOT NULL
               {fence}) x
         WHERE COALESCE(x.to_addr, '') <> ''
           AND NOT EXISTS (SELECT 1 FROM settings
                WHERE key = 'email.send_invoices' AND value = 'false')
         ORDER BY x.id
         ON CONFLICT DO NOTHING",
        crate::params::id_list(ids)
    );
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Writes the subject and body a message was sent with (documents' are
/// composed when sent).
pub async fn set_content(
    conn: &mut AnyConnection,
    id: i64,
    subject: &str,
    body_text: &str,
) -> Result<()> {
    sqlx::query("UPDATE email_outbox SET subject = $2, body_text = $3 WHERE id = $1")
        .bind(id)
        .bind(subject)
        .bind(body_text)
        .execute(conn)
        .await?;
    Ok(())
}

/// The messages queued for a document (at most one).
pub async fn for_document(conn: &mut AnyConnection, invoice_id: i64) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM email_outbox
         WHERE attachment_kind = 'invoice' AND attachment_id = $1"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(invoice_id)
        .fetch_all(conn)
        .await?)
}

/// Takes up to `limit` pending messages that are due, holding them until
/// `now + hold_secs` so a concurrent drain (another node) skips them.
pub async fn claim_batch(
    conn: &mut AnyConnection,
    engine: crate::Engine,
    now: i64,
    hold_secs: i64,
    limit: i64,
) -> Result<Vec<Message>> {
    let lock = match engine {
        crate::Engine::Postgres => "FOR UPDATE SKIP LOCKED",
        crate::Engine::Sqlite => "",
    };
    let sql = format!(
        "UPDATE email_outbox SET claimed_until = $2
         WHERE id IN (
            SELECT id FROM email_outbox
            WHERE status = 'pending' AND next_attempt_at <= $1
              AND (claimed_until IS NULL OR claimed_until < $1)
            ORDER BY id LIMIT $3 {lock})
         RETURNING {COLUMNS}"
    );
    let mut rows: Vec<Message> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(now + hold_secs)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

pub async fn mark_sent(conn: &mut AnyConnection, id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE email_outbox SET status = 'sent', sent_at = $2, attempts = attempts + 1,
            claimed_until = NULL, last_error = NULL
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed send: retried at `retry_at`, or `failed` for good when
/// `retry_at` is `None`.
pub async fn mark_failed(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    retry_at: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE email_outbox SET
            status = CASE WHEN $3 IS NULL THEN 'failed' ELSE 'pending' END,
            next_attempt_at = COALESCE($3, next_attempt_at),
            attempts = attempts + 1, claimed_until = NULL, last_error = $2
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM email_outbox WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Newest first.
pub async fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM email_outbox ORDER BY id DESC LIMIT $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// How many messages wait to be sent.
pub async fn pending_count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE status = 'pending'")
            .fetch_one(conn)
            .await?,
    )
}

/// Deletes sent messages older than `before`.
pub async fn purge_sent(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM email_outbox WHERE status = 'sent' AND sent_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}
