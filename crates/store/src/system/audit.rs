//! The append-only, hash-chained audit log.
//!
//! Appends are serialised (PostgreSQL: a transaction-scoped advisory lock;
//! SQLite: the single writer) so every entry links to the one before it.
//! Triggers refuse UPDATE and DELETE; [`verify`] finds what someone with
//! enough rights to drop those triggers changed anyway.

use domain::system::audit::{Fields, GENESIS, chain_hash};
use sqlx::AnyConnection;

use crate::{Engine, Result};

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `user`, `token`, `system`, `cli`, `anonymous`.
    pub kind: &'static str,
    pub id: Option<i64>,
    pub name: String,
    pub source_ip: Option<String>,
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub source_ip: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    fn fields(&self) -> Fields<'_> {
        Fields {
            id: self.id,
            at: self.at,
            actor_kind: &self.actor_kind,
            actor_id: self.actor_id,
            actor_name: &self.actor_name,
            action: &self.action,
            entity_kind: &self.entity_kind,
            entity_id: &self.entity_id,
            before: self.before_json.as_deref(),
            after: self.after_json.as_deref(),
            source_ip: self.source_ip.as_deref(),
        }
    }
}

/// An arbitrary constant naming the audit chain's advisory lock.
const CHAIN_LOCK: i64 = 0x004c_4d41_5544_4954;

/// Appends an entry inside the caller's transaction; returns its id.
pub async fn append(
    conn: &mut AnyConnection,
    engine: Engine,
    actor: &Actor,
    change: &Change<'_>,
    at: i64,
) -> Result<i64> {
    if engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CHAIN_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (prev_id, prev_hash) = head.unwrap_or((0, GENESIS.to_owned()));
    let before = change.before.as_ref().map(|v| v.to_string());
    let after = change.after.as_ref().map(|v| v.to_string());
    let entry = Entry {
        id: prev_id + 1,
        at,
        actor_kind: actor.kind.to_owned(),
        actor_id: actor.id,
        actor_name: actor.name.clone(),
        action: change.action.to_owned(),
        entity_kind: change.entity_kind.to_owned(),
        entity_id: change.entity_id.to_owned(),
        before_json: before,
        after_json: after,
        source_ip: actor.source_ip.clone(),
        prev_hash: prev_hash.clone(),
        hash: String::new(),
    };
    let hash = chain_hash(&prev_hash, &entry.fields());
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_kind, actor_id, actor_name, action, entity_kind, entity_id,
            before_json, after_json, source_ip, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(entry.id)
    .bind(entry.at)
    .bind(&entry.actor_kind)
    .bind(entry.actor_id)
    .bind(&entry.actor_name)
    .bind(&entry.action)
    .bind(&entry.entity_kind)
    .bind(&entry.entity_id)
    .bind(&entry.before_json)
    .bind(&entry.after_json)
    .bind(&entry.source_ip)
    .bind(&entry.prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
    )
    .bind(entry.id)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(entry.id)
}

/// Appends many entries at once inside the caller's transaction (imports):
/// the chain is computed here and written with multi-row inserts, so the log
/// is exactly what as many [`append`] calls would have written.
pub async fn append_many(
    conn: &mut AnyConnection,
    engine: Engine,
    actor: &Actor,
    changes: &[Change<'_>],
    at: i64,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    if engine == Engine::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CHAIN_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
    let (mut id, mut prev_hash) = head.unwrap_or((0, GENESIS.to_owned()));
    let mut rows = Vec::with_capacity(changes.len());
    for change in changes {
        id += 1;
        let before = change.before.as_ref().map(|v| v.to_string());
        let after = change.after.as_ref().map(|v| v.to_string());
        let hash = chain_hash(
            &prev_hash,
            &Fields {
                id,
                at,
                actor_kind: actor.kind,
                actor_id: actor.id,
                actor_name: &actor.name,
                action: change.action,
                entity_kind: change.entity_kind,
                entity_id: change.entity_id,
                before: before.as_deref(),
                after: after.as_deref(),
                source_ip: actor.source_ip.as_deref(),
            },
        );
        rows.push(vec![
            id.into(),
            at.into(),
            actor.kind.into(),
            actor.id.into(),
            (&actor.name).into(),
            change.action.into(),
            change.entity_kind.into(),
            change.entity_id.into(),
            before.into(),
            after.into(),
            actor.source_ip.clone().into(),
            prev_hash.as_str().into(),
            hash.as_str().into(),
        ]);
        prev_hash = hash;
    }
    crate::bulk::insert_rows(
        conn,
        "audit_log",
        &[
            "id",
            "at",
            "actor_kind",
            "actor_id",
            "actor_name",
            "action",
            "entity_kind",
            "entity_id",
            "before_json",
            "after_json",
            "source_ip",
            "prev_hash",
            "hash",
        ],
        &rows,
    )
    .await?;
    sqlx::query(
        "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
    )
    .bind(id)
    .bind(&prev_hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Filters for the audit list; text filters match exactly, except `q`,
/// which matches action or entity partially.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Keyset cursor: entries with `id < before`.
    pub before: Option<i64>,
    pub limit: i64,
}

/// Newest first, plus whether more follow.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Entry>, bool)> {
    let mut rows: Vec<Entry> = sqlx::query_as(
        "SELECT id, at, actor_kind, actor_id, actor_name, action, entity_kind, entity_id,
                before_json, after_json, source_ip, prev_hash, hash
         FROM audit_log
         WHERE ($1 IS NULL OR actor_name = $1)
           AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\')
           AND ($3 IS NULL OR entity_kind = $3)
           AND ($4 IS NULL OR entity_id = $4)
           AND ($5 IS NULL OR at >= $5)
           AND ($6 IS NULL OR at < $6)
           AND ($7 IS NULL OR id < $7)
         ORDER BY id DESC LIMIT $8",
    )
    .bind(f.actor.as_deref())
    .bind(
        f.action
            .as_ref()
            .map(|a| format!("{}%", crate::staff::users::escape_like(a))),
    )
    .bind(f.entity_kind.as_deref())
    .bind(f.entity_id.as_deref())
    .bind(f.from)
    .bind(f.to)
    .bind(f.before)
    .bind(f.limit + 1)
    .fetch_all(conn)
    .await?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit as usize);
    Ok((rows, more))
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Entry>> {
    Ok(sqlx::query_as(
        "SELECT id, at, actor_kind, actor_id, actor_name, action, entity_kind, entity_id,
                before_json, after_json, source_ip, prev_hash, hash
         FROM audit_log WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn count_since(conn: &mut AnyConnection, since: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE at >= $1")
            .bind(since)
            .fetch_one(conn)
            .await?,
    )
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// The chain is whole: `entries` rows, head at `last_id`.
    Intact { entries: i64 },
    /// Row `id`'s stored hash does not match its contents.
    Altered { id: i64 },
    /// Row `id` does not link to the row before it (a row was removed,
    /// inserted or moved).
    Broken { id: i64, expected_prev: String },
    /// The ids jump: rows between `after` and `next` are missing.
    Gap { after: i64, next: i64 },
    /// The chain ends before the head says it should (last rows removed).
    Truncated { last_id: i64, head_id: i64 },
}

/// Walks the whole chain in id order, in pages, and reports the first fault.
pub async fn verify(conn: &mut AnyConnection) -> Result<Verdict> {
    let mut prev_hash = GENESIS.to_owned();
    let mut prev_id = 0_i64;
    let mut count = 0_i64;
    loop {
        let page: Vec<Entry> = sqlx::query_as(
            "SELECT id, at, actor_kind, actor_id, actor_name, action, entity_kind, entity_id,
                    before_json, after_json, source_ip, prev_hash, hash
             FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000",
        )
        .bind(prev_id)
        .fetch_all(&mut *conn)
        .await?;
        if page.is_empty() {
            break;
        }
        for e in page {
            if e.id != prev_id + 1 {
                return Ok(Verdict::Gap {
                    after: prev_id,
                    next: e.id,
                });
            }
            if e.prev_hash != prev_hash {
                return Ok(Verdict::Broken {
                    id: e.id,
                    expected_prev: prev_hash,
                });
            }
            if chain_hash(&prev_hash, &e.fields()) != e.hash {
                return Ok(Verdict::Altered { id: e.id });
            }
            prev_hash = e.hash;
            prev_id = e.id;
            count += 1;
        }
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
    match head {
        Some((head_id, head_hash)) if head_id != prev_id || head_hash != prev_hash => {
            Ok(Verdict::Truncated {
                last_id: prev_id,
                head_id,
            })
        }
        None if prev_id != 0 => Ok(Verdict::Truncated {
            last_id: prev_id,
            head_id: 0,
        }),
        _ => Ok(Verdict::Intact { entries: count }),
    }
}
