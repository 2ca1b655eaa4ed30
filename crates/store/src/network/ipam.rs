//! Prefixes, pools and the slots taken in them.
//!
//! A pool's slots are integers (`domain::network::ipam`); a taken one is a
//! row of `ip_assignments` under the unique index `(pool_id, slot)`. The
//! next free slot is found from the pool's `next_hint` (every slot below
//! it is taken) by reading the index forward a chunk at a time until a gap
//! shows, so a /16 with 60,000 addresses in use answers after reading a
//! handful of rows, not 60,000.

use domain::network::ipam::first_gap;
use sqlx::AnyConnection;

use super::like;
use crate::params::Params;
use crate::{Engine, Error, Result};

/// A prefix as stored, with its parent's text.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Prefix {
    pub id: i64,
    pub cidr: String,
    pub family: i64,
    pub vrf: String,
    pub parent_id: Option<i64>,
    pub site_id: Option<i64>,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub parent_cidr: Option<String>,
    pub site_name: Option<String>,
}

const PREFIX_COLUMNS: &str = "p.id, p.cidr, p.family, p.vrf, p.parent_id, p.site_id, \
    p.description, p.created_at, p.updated_at, pp.cidr AS parent_cidr, s.name AS site_name";

const PREFIX_FROM: &str = "ip_prefixes p LEFT JOIN ip_prefixes pp ON pp.id = p.parent_id
    LEFT JOIN network_sites s ON s.id = p.site_id";

fn found(n: u64) -> Result<()> {
    if n == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn insert_prefix(conn: &mut AnyConnection, p: &Prefix, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO ip_prefixes (cidr, family, vrf, parent_id, site_id, description,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&p.cidr)
    .bind(p.family)
    .bind(&p.vrf)
    .bind(p.parent_id)
    .bind(p.site_id)
    .bind(&p.description)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("cidr"))
}

/// Changes what a prefix says about itself (its text and parent stay: pools
/// and children were checked against them).
pub async fn update_prefix(conn: &mut AnyConnection, id: i64, p: &Prefix, at: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE ip_prefixes SET site_id = $1, description = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(p.site_id)
    .bind(&p.description)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    found(r.rows_affected())
}

pub async fn get_prefix(conn: &mut AnyConnection, id: i64) -> Result<Prefix> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PREFIX_COLUMNS} FROM {PREFIX_FROM} WHERE p.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// Filters for prefixes and pools.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A fragment of the text (or the pool's name).
    pub q: Option<String>,
    pub family: Option<i64>,
    pub vrf: Option<String>,
    /// Prefixes: children of this one. Pools: inside this prefix.
    pub parent_id: Option<i64>,
    /// Pools: dynamic or static.
    pub kind: Option<String>,
    pub before: Option<i64>,
    pub limit: i64,
}

fn page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    (rows, more)
}

pub async fn list_prefixes(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Prefix>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let n = p.add(like(q));
        conds.push(format!(
            "(LOWER(p.cidr) LIKE {n} OR LOWER(p.description) LIKE {n})"
        ));
    }
    if let Some(fam) = f.family {
        conds.push(format!("p.family = {}", p.add(fam)));
    }
    if let Some(v) = &f.vrf {
        conds.push(format!("p.vrf = {}", p.add(v.as_str())));
    }
    if let Some(par) = f.parent_id {
        conds.push(format!("p.parent_id = {}", p.add(par)));
    }
    if let Some(b) = f.before {
        conds.push(format!("p.id < {}", p.add(b)));
    }
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "SELECT {PREFIX_COLUMNS} FROM {PREFIX_FROM} WHERE {} ORDER BY p.id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    let rows = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    Ok(page(rows, f.limit))
}

/// Every prefix's id and text (for choices), by text.
pub async fn prefix_names(conn: &mut AnyConnection) -> Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, CASE WHEN vrf = '' THEN cidr ELSE cidr || ' (' || vrf || ')' END
         FROM ip_prefixes ORDER BY family, cidr",
    )
    .fetch_all(conn)
    .await?)
}

/// Every prefix of VRF `vrf` and family `family` as (id, cidr, parent):
/// a new prefix finds its parent and children among them. A provider has
/// hundreds of prefixes, not millions.
pub async fn prefixes_in_vrf(
    conn: &mut AnyConnection,
    vrf: &str,
    family: i64,
) -> Result<Vec<(i64, String, Option<i64>)>> {
    Ok(
        sqlx::query_as(
            "SELECT id, cidr, parent_id FROM ip_prefixes WHERE vrf = $1 AND family = $2",
        )
        .bind(vrf)
        .bind(family)
        .fetch_all(conn)
        .await?,
    )
}

/// Moves prefixes `ids` under `parent` (a new prefix slotted between a
/// parent and its children).
pub async fn reparent(conn: &mut AnyConnection, ids: &[i64], parent: i64) -> Result<()> {
    for id in ids {
        sqlx::query("UPDATE ip_prefixes SET parent_id = $1 WHERE id = $2")
            .bind(parent)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What still hangs off a prefix (child prefixes and pools).
pub async fn prefix_uses(conn: &mut AnyConnection, id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM ip_prefixes WHERE parent_id = $1)
              + (SELECT COUNT(*) FROM ip_pools WHERE prefix_id = $1)",
    )
    .bind(id)
    .fetch_one(conn)
    .await?)
}

pub async fn delete_prefix(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let r = sqlx::query("DELETE FROM ip_prefixes WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    found(r.rows_affected())
}

/// A pool as stored, with its prefix's text and VRF.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Pool {
    pub id: i64,
    pub prefix_id: i64,
    pub name: String,
    pub cidr: String,
    pub family: i64,
    pub kind: String,
    pub purpose: String,
    pub assign_len: i64,
    pub first_slot: i64,
    pub last_slot: i64,
    pub next_hint: i64,
    pub used: i64,
    pub warn_percent: i64,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub prefix_cidr: String,
    pub vrf: String,
}

const POOL_COLUMNS: &str = "o.id, o.prefix_id, o.name, o.cidr, o.family, o.kind, o.purpose, \
    o.assign_len, o.first_slot, o.last_slot, o.next_hint, o.used, o.warn_percent, o.notes, \
    o.created_at, o.updated_at, p.cidr AS prefix_cidr, p.vrf";

const POOL_FROM: &str = "ip_pools o JOIN ip_prefixes p ON p.id = o.prefix_id";

pub async fn insert_pool(conn: &mut AnyConnection, o: &Pool, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO ip_pools (prefix_id, name, cidr, family, kind, purpose, assign_len,
            first_slot, last_slot, next_hint, used, warn_percent, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, 0, $10, $11, $12, $12) RETURNING id",
    )
    .bind(o.prefix_id)
    .bind(&o.name)
    .bind(&o.cidr)
    .bind(o.family)
    .bind(&o.kind)
    .bind(&o.purpose)
    .bind(o.assign_len)
    .bind(o.first_slot)
    .bind(o.last_slot)
    .bind(o.warn_percent)
    .bind(&o.notes)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("name"))
}

/// Changes a pool's name, purpose, threshold and notes (its block and kind
/// stay while slots are taken in it).
pub async fn update_pool(conn: &mut AnyConnection, id: i64, o: &Pool, at: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE ip_pools SET name = $1, purpose = $2, warn_percent = $3, notes = $4,
            updated_at = $5 WHERE id = $6",
    )
    .bind(&o.name)
    .bind(&o.purpose)
    .bind(o.warn_percent)
    .bind(&o.notes)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("name"))?;
    found(r.rows_affected())
}

pub async fn get_pool(conn: &mut AnyConnection, id: i64) -> Result<Pool> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {POOL_COLUMNS} FROM {POOL_FROM} WHERE o.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// Pool `id`, locked until the transaction ends (`FOR UPDATE` on
/// PostgreSQL; SQLite's write transaction already excludes other
/// writers), so two allocations from one pool queue instead of racing
/// for the same slot.
pub async fn get_pool_for_update(
    conn: &mut AnyConnection,
    engine: Engine,
    id: i64,
) -> Result<Pool> {
    let lock = match engine {
        Engine::Postgres => " FOR UPDATE OF o",
        Engine::Sqlite => "",
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {POOL_COLUMNS} FROM {POOL_FROM} WHERE o.id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn list_pools(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Pool>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let n = p.add(like(q));
        conds.push(format!(
            "(LOWER(o.name) LIKE {n} OR LOWER(o.cidr) LIKE {n})"
        ));
    }
    if let Some(fam) = f.family {
        conds.push(format!("o.family = {}", p.add(fam)));
    }
    if let Some(v) = &f.vrf {
        conds.push(format!("p.vrf = {}", p.add(v.as_str())));
    }
    if let Some(par) = f.parent_id {
        conds.push(format!("o.prefix_id = {}", p.add(par)));
    }
    if let Some(k) = &f.kind {
        conds.push(format!("o.kind = {}", p.add(k.as_str())));
    }
    if let Some(b) = f.before {
        conds.push(format!("o.id < {}", p.add(b)));
    }
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "SELECT {POOL_COLUMNS} FROM {POOL_FROM} WHERE {} ORDER BY o.id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    let rows = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    Ok(page(rows, f.limit))
}

/// The pools of VRF `vrf` and address family `family` as (id, cidr, kind):
/// a new pool is checked against them, an address is looked up in them.
/// A provider has tens or hundreds of pools, not millions.
pub async fn pools_in_vrf(
    conn: &mut AnyConnection,
    vrf: &str,
    family: i64,
) -> Result<Vec<(i64, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT o.id, o.cidr, o.kind FROM ip_pools o JOIN ip_prefixes p ON p.id = o.prefix_id
         WHERE p.vrf = $1 AND o.family = $2",
    )
    .bind(vrf)
    .bind(family)
    .fetch_all(conn)
    .await?)
}

pub async fn delete_pool(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let r = sqlx::query("DELETE FROM ip_pools WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    found(r.rows_affected())
}

/// A taken slot.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Assignment {
    pub id: i64,
    pub pool_id: i64,
    pub slot: i64,
    pub address: String,
    pub kind: String,
    pub contract_id: Option<i64>,
    pub note: String,
    pub created_at: i64,
    pub pool_name: String,
    pub contract_number: Option<String>,
}

const ASSIGNMENT_COLUMNS: &str = "a.id, a.pool_id, a.slot, a.address, a.kind, a.contract_id, \
    a.note, a.created_at, o.name AS pool_name, k.number AS contract_number";

const ASSIGNMENT_FROM: &str = "ip_assignments a JOIN ip_pools o ON o.id = a.pool_id
    LEFT JOIN contracts k ON k.id = a.contract_id";

/// Writes a taken slot and counts it on its pool; a slot taken already is
/// `Conflict("address")`, a second slot for a contract in one pool
/// `Conflict("contract_id")`.
pub async fn insert_assignment(conn: &mut AnyConnection, a: &Assignment, at: i64) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ip_assignments (pool_id, slot, address, kind, contract_id, note, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(a.pool_id)
    .bind(a.slot)
    .bind(&a.address)
    .bind(&a.kind)
    .bind(a.contract_id)
    .bind(&a.note)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            let m = d.message();
            if m.contains("contract") {
                Error::Conflict("contract_id")
            } else {
                Error::Conflict("address")
            }
        }
        _ => Error::Sql(e),
    })?;
    sqlx::query(
        "UPDATE ip_pools SET used = used + 1,
            next_hint = CASE WHEN next_hint = $2 THEN $2 + 1 ELSE next_hint END
         WHERE id = $1",
    )
    .bind(a.pool_id)
    .bind(a.slot)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Removes a taken slot, lowering its pool's hint to it.
pub async fn delete_assignment(conn: &mut AnyConnection, a: &Assignment) -> Result<()> {
    let r = sqlx::query("DELETE FROM ip_assignments WHERE id = $1")
        .bind(a.id)
        .execute(&mut *conn)
        .await?;
    found(r.rows_affected())?;
    sqlx::query(
        "UPDATE ip_pools SET used = used - 1,
            next_hint = CASE WHEN next_hint > $2 THEN $2 ELSE next_hint END
         WHERE id = $1",
    )
    .bind(a.pool_id)
    .bind(a.slot)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_assignment(conn: &mut AnyConnection, id: i64) -> Result<Assignment> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM {ASSIGNMENT_FROM} WHERE a.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// The slots given to contract `contract_id`.
pub async fn contract_assignments(
    conn: &mut AnyConnection,
    contract_id: i64,
) -> Result<Vec<Assignment>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM {ASSIGNMENT_FROM} WHERE a.contract_id = $1
         ORDER BY a.id"
    )))
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// The slots taken in a pool, in slot order after `after`.
pub async fn list_assignments(
    conn: &mut AnyConnection,
    pool_id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<(Vec<Assignment>, bool)> {
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM {ASSIGNMENT_FROM} WHERE a.pool_id = $1 AND a.slot > $2
         ORDER BY a.slot LIMIT $3"
    )))
    .bind(pool_id)
    .bind(after.unwrap_or(i64::MIN))
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(page(rows, limit))
}

/// How many rows of the index one read of the gap search takes.
const CHUNK: i64 = 256;

/// The first free slot of `pool` at or after its hint, or `None` when the
/// pool is full. Reads the `(pool_id, slot)` index forward a chunk at a
/// time; [`first_gap`] is the rule.
pub async fn next_free(conn: &mut AnyConnection, pool: &Pool) -> Result<Option<i64>> {
    let mut want = pool.next_hint.max(pool.first_slot);
    loop {
        if want > pool.last_slot {
            return Ok(None);
        }
        let used: Vec<i64> = sqlx::query_scalar(
            "SELECT slot FROM ip_assignments WHERE pool_id = $1 AND slot >= $2
             ORDER BY slot LIMIT $3",
        )
        .bind(pool.id)
        .bind(want)
        .bind(CHUNK)
        .fetch_all(&mut *conn)
        .await?;
        let gap = first_gap(want, &used);
        // A gap before the chunk's end, or a short chunk, is the answer;
        // a full run of taken slots means reading on.
        if (used.len() as i64) < CHUNK || used.last().is_some_and(|&l| gap < l) {
            return Ok((gap <= pool.last_slot).then_some(gap));
        }
        want = gap;
    }
}

/// Moves the pool's hint to `slot` (every slot below it is taken).
pub async fn set_hint(conn: &mut AnyConnection, pool_id: i64, slot: i64) -> Result<()> {
    sqlx::query("UPDATE ip_pools SET next_hint = $1 WHERE id = $2 AND next_hint < $1")
        .bind(slot)
        .bind(pool_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The slot holding `address` in any pool, if taken.
pub async fn by_address(conn: &mut AnyConnection, address: &str) -> Result<Option<Assignment>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM {ASSIGNMENT_FROM} WHERE a.address = $1"
    )))
    .bind(address)
    .fetch_optional(conn)
    .await?)
}

/// Writes contract `contract_id`'s static address (family 4: `ipv4`;
/// 6: `ipv6_prefix`), which the RADIUS view reads for Framed-IP-Address
/// and the IPv6 prefixes. An address another contract holds is
/// `Conflict("address")`.
pub async fn set_contract_address(
    conn: &mut AnyConnection,
    contract_id: i64,
    family: i64,
    address: Option<&str>,
    at: i64,
) -> Result<()> {
    let sql = if family == 4 {
        "UPDATE contracts SET ipv4 = $1, updated_at = $2 WHERE id = $3"
    } else {
        "UPDATE contracts SET ipv6_prefix = $1, updated_at = $2 WHERE id = $3"
    };
    let r = sqlx::query(sql)
        .bind(address)
        .bind(at)
        .bind(contract_id)
        .execute(conn)
        .await
        .map_err(crate::conflict("address"))?;
    found(r.rows_affected())
}
