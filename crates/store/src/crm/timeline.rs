//! One timeline per customer: everything that happened to them, with who
//! did it. Any area adds to it (through the CRM service).

use sqlx::AnyConnection;

use crate::Result;
use crate::system::audit::Actor;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Event {
    pub id: i64,
    pub customer_id: i64,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub kind: String,
    pub summary: String,
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    /// JSON object.
    pub data: String,
}

/// What to add to a timeline.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub customer_id: i64,
    pub kind: &'a str,
    pub summary: &'a str,
    pub entity: Option<(&'a str, String)>,
    pub data: serde_json::Value,
}

pub async fn insert(
    conn: &mut AnyConnection,
    actor: &Actor,
    e: &NewEvent<'_>,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO customer_events (customer_id, at, actor_kind, actor_id, actor_name, kind,
            summary, entity_kind, entity_id, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(e.customer_id)
    .bind(at)
    .bind(actor.kind)
    .bind(actor.id)
    .bind(&actor.name)
    .bind(e.kind)
    .bind(e.summary)
    .bind(e.entity.as_ref().map(|(k, _)| *k))
    .bind(e.entity.as_ref().map(|(_, id)| id.as_str()))
    .bind(e.data.to_string())
    .fetch_one(conn)
    .await?)
}

/// Where the previous page ended (the last event's time and id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Before {
    pub at: i64,
    pub id: i64,
}

/// A customer's events, newest first, optionally of one kind prefix
/// (`contract.` for every contract event), plus whether more follow.
pub async fn list(
    conn: &mut AnyConnection,
    customer_id: i64,
    kind_prefix: Option<&str>,
    before: Option<Before>,
    limit: i64,
) -> Result<(Vec<Event>, bool)> {
    let mut p = crate::params::Params::default();
    let cid = p.add(customer_id);
    let mut sql = format!(
        "SELECT id, customer_id, at, actor_kind, actor_id, actor_name, kind, summary,
            entity_kind, entity_id, data
         FROM customer_events WHERE customer_id = {cid}"
    );
    if let Some(k) = kind_prefix {
        let lo = p.add(k);
        match domain::crm::search::prefix_bound(k) {
            Some(hi) => sql.push_str(&format!(" AND kind >= {lo} AND kind < {}", p.add(hi))),
            None => sql.push_str(&format!(" AND kind >= {lo}")),
        }
    }
    if let Some(b) = before {
        let at = p.add(b.at);
        let id = p.add(b.id);
        sql.push_str(&format!(" AND (at < {at} OR (at = {at} AND id < {id}))"));
    }
    sql.push_str(&format!(
        " ORDER BY at DESC, id DESC LIMIT {}",
        p.add(limit + 1)
    ));
    let mut rows: Vec<Event> = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    Ok((rows, more))
}
