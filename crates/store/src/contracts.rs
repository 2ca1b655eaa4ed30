//! Contracts (subscriptions), their extra items, status transitions and plan
//! changes.

use sqlx::AnyConnection;

use crate::params::Params;
use crate::system::audit::Actor;
use crate::{Engine, Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Contract {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub plan_id: i64,
    pub price: i64,
    pub installation_fee: i64,
    pub billing_day: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub loyalty_end_date: Option<String>,
    pub early_termination_fee: i64,
    pub status: String,
    pub suspend_reason: Option<String>,
    pub status_changed_at: i64,
    pub service_address_id: Option<i64>,
    pub pppoe_login: String,
    /// Encrypted (`enc1:…`); the services decrypt it.
    #[serde(skip)]
    pub pppoe_password: String,
    pub mac: Option<String>,
    pub ipv4: Option<String>,
    pub ipv6_prefix: Option<String>,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "k.id, k.number, k.customer_id, k.plan_id, k.price, k.installation_fee, \
    k.billing_day, k.start_date, k.end_date, k.loyalty_end_date, k.early_termination_fee, \
    k.status, k.suspend_reason, k.status_changed_at, k.service_address_id, k.pppoe_login, \
    k.pppoe_password, k.mac, k.ipv4, k.ipv6_prefix, k.notes, k.created_at, k.updated_at";

/// Maps a unique violation on one of the contract's unique columns to a
/// conflict naming it.
fn unique(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(d) = &e
        && d.is_unique_violation()
    {
        let m = d.message().to_ascii_lowercase();
        let c = d.constraint().unwrap_or_default().to_ascii_lowercase();
        let hit = |col: &str| m.contains(col) || c.contains(col);
        return Error::Conflict(if hit("pppoe_login") {
            "pppoe_login"
        } else if hit("ipv4") {
            "ipv4"
        } else if hit("ipv6_prefix") {
            "ipv6_prefix"
        } else if hit("number") {
            "number"
        } else {
            "contract"
        });
    }
    Error::Sql(e)
}

/// The next value of a named counter (in the caller's transaction).
pub async fn next_counter(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
        .bind(name)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Writes every column but the id and instants from `c`.
pub async fn insert(conn: &mut AnyConnection, c: &Contract, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO contracts (number, customer_id, plan_id, price, installation_fee, billing_day,
            start_date, end_date, loyalty_end_date, early_termination_fee, status, suspend_reason,
            status_changed_at, service_address_id, pppoe_login, pppoe_password, mac, ipv4,
            ipv6_prefix, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20, $13, $13)
         RETURNING id",
    )
    .bind(&c.number)
    .bind(c.customer_id)
    .bind(c.plan_id)
    .bind(c.price)
    .bind(c.installation_fee)
    .bind(c.billing_day)
    .bind(&c.start_date)
    .bind(&c.end_date)
    .bind(&c.loyalty_end_date)
    .bind(c.early_termination_fee)
    .bind(&c.status)
    .bind(&c.suspend_reason)
    .bind(at)
    .bind(c.service_address_id)
    .bind(&c.pppoe_login)
    .bind(&c.pppoe_password)
    .bind(&c.mac)
    .bind(&c.ipv4)
    .bind(&c.ipv6_prefix)
    .bind(&c.notes)
    .fetch_one(conn)
    .await
    .map_err(unique)
}

/// Rewrites the editable terms and credentials of contract `id` from `c`
/// (not its number, customer, plan, price or status: those have their own
/// calls and history).
pub async fn update_terms(conn: &mut AnyConnection, id: i64, c: &Contract, at: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE contracts SET billing_day = $1, start_date = $2, end_date = $3,
            loyalty_end_date = $4, early_termination_fee = $5, service_address_id = $6,
            pppoe_login = $7, pppoe_password = $8, mac = $9, ipv4 = $10, ipv6_prefix = $11,
            notes = $12, installation_fee = $13, updated_at = $14
         WHERE id = $15",
    )
    .bind(c.billing_day)
    .bind(&c.start_date)
    .bind(&c.end_date)
    .bind(&c.loyalty_end_date)
    .bind(c.early_termination_fee)
    .bind(c.service_address_id)
    .bind(&c.pppoe_login)
    .bind(&c.pppoe_password)
    .bind(&c.mac)
    .bind(&c.ipv4)
    .bind(&c.ipv6_prefix)
    .bind(&c.notes)
    .bind(c.installation_fee)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(unique)?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Contract> {
    by("k.id = $1", id, conn).await?.ok_or(Error::NotFound)
}

/// Contract `id`, locked until the caller's transaction ends, so a change
/// decided on what it reads cannot race another writer: `FOR UPDATE` on
/// PostgreSQL (a concurrent writer waits, then reads the committed row);
/// SQLite's write transaction already excludes every other writer.
pub async fn get_for_update(conn: &mut AnyConnection, engine: Engine, id: i64) -> Result<Contract> {
    let lock = match engine {
        Engine::Postgres => " FOR UPDATE",
        Engine::Sqlite => "",
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contracts k WHERE k.id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

async fn by<T>(cond: &str, v: T, conn: &mut AnyConnection) -> Result<Option<Contract>>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
{
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contracts k WHERE {cond}"
    )))
    .bind(v)
    .fetch_optional(conn)
    .await?)
}

pub async fn by_number(conn: &mut AnyConnection, number: &str) -> Result<Option<Contract>> {
    by("k.number = $1", number.to_owned(), conn).await
}

pub async fn by_login(conn: &mut AnyConnection, login: &str) -> Result<Option<Contract>> {
    by("k.pppoe_login = $1", login.to_owned(), conn).await
}

pub async fn by_ipv4(conn: &mut AnyConnection, ip: &str) -> Result<Option<Contract>> {
    by("k.ipv4 = $1", ip.to_owned(), conn).await
}

pub async fn by_ipv6_prefix(conn: &mut AnyConnection, prefix: &str) -> Result<Option<Contract>> {
    by("k.ipv6_prefix = $1", prefix.to_owned(), conn).await
}

/// Whether a login is taken.
pub async fn login_exists(conn: &mut AnyConnection, login: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contracts WHERE pppoe_login = $1")
        .bind(login)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Filters for the contract list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub customer_id: Option<i64>,
    pub status: Option<String>,
    pub plan_id: Option<i64>,
    /// Customers with this tag.
    pub tag: Option<String>,
    /// Folded city of the service address.
    pub city: Option<String>,
    /// Keyset cursor: contracts with `id < before` (newest first).
    pub before: Option<i64>,
    pub limit: i64,
}

/// One page of contracts, newest first, plus whether more follow.
pub async fn list(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Contract>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if let Some(c) = f.customer_id {
        conds.push(format!("k.customer_id = {}", p.add(c)));
    }
    if let Some(s) = &f.status {
        conds.push(format!("k.status = {}", p.add(s.as_str())));
    }
    if let Some(pl) = f.plan_id {
        conds.push(format!("k.plan_id = {}", p.add(pl)));
    }
    if let Some(t) = &f.tag {
        conds.push(format!(
            "EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = k.customer_id AND t.tag = {})",
            p.add(t.as_str())
        ));
    }
    if let Some(city) = &f.city {
        conds.push(format!(
            "EXISTS (SELECT 1 FROM customer_addresses a WHERE a.id = k.service_address_id AND a.city_key = {})",
            p.add(city.as_str())
        ));
    }
    if let Some(b) = f.before {
        conds.push(format!("k.id < {}", p.add(b)));
    }
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "SELECT {COLUMNS} FROM contracts k WHERE {} ORDER BY k.id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    let mut rows: Vec<Contract> = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit.max(0) as usize);
    Ok((rows, more))
}

/// Sets the status (and suspension reason) of a contract whose status is
/// still `from`; false if someone changed it meanwhile.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
    reason: Option<&str>,
    at: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE contracts SET status = $1, suspend_reason = $2, status_changed_at = $3,
            updated_at = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to)
    .bind(reason)
    .bind(at)
    .bind(id)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Sets a contract's end date (on cancellation).
pub async fn set_end_date(conn: &mut AnyConnection, id: i64, date: &str) -> Result<()> {
    sqlx::query("UPDATE contracts SET end_date = $1 WHERE id = $2")
        .bind(date)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a contract to a plan at a price.
pub async fn set_plan(
    conn: &mut AnyConnection,
    id: i64,
    plan_id: i64,
    price: i64,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE contracts SET plan_id = $1, price = $2, updated_at = $3 WHERE id = $4")
        .bind(plan_id)
        .bind(price)
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a contract's price.
pub async fn set_price(conn: &mut AnyConnection, id: i64, price: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE contracts SET price = $1, updated_at = $2 WHERE id = $3")
        .bind(price)
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Contracts on `plan_id` that are not canceled and whose price differs from
/// `price`, oldest first, after id `after` (for paging through large plans).
pub async fn repricing_candidates(
    conn: &mut AnyConnection,
    plan_id: i64,
    price: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<Contract>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contracts k
         WHERE k.plan_id = $1 AND k.status <> 'canceled' AND k.price <> $2 AND k.id > $3
         ORDER BY k.id LIMIT $4"
    )))
    .bind(plan_id)
    .bind(price)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Contract counts per status for a plan (for the catalog page).
pub async fn count_by_status(
    conn: &mut AnyConnection,
    plan_id: Option<i64>,
) -> Result<Vec<(String, i64)>> {
    Ok(match plan_id {
        Some(p) => sqlx::query_as(
            "SELECT status, COUNT(*) FROM contracts WHERE plan_id = $1 GROUP BY status ORDER BY status",
        )
        .bind(p)
        .fetch_all(conn)
        .await?,
        None => sqlx::query_as(
            "SELECT status, COUNT(*) FROM contracts GROUP BY status ORDER BY status",
        )
        .fetch_all(conn)
        .await?,
    })
}

/// Contract counts per customer and status for the customers `ids` (a list
/// page's status column), as `(customer_id, status, count)`.
pub async fn status_counts_by_customer(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers formatted by us, never outside text.
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT customer_id, status, COUNT(*) FROM contracts WHERE customer_id IN ({})
         GROUP BY customer_id, status ORDER BY customer_id, status",
        crate::params::id_list(ids)
    )))
    .fetch_all(conn)
    .await?)
}

/// Splits `id`'s installation fee over `n` invoices.
pub async fn set_installation_installments(
    conn: &mut AnyConnection,
    id: i64,
    n: i64,
) -> Result<()> {
    sqlx::query("UPDATE contracts SET installation_installments = $1 WHERE id = $2")
        .bind(n)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// An extra item on a contract.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Item {
    pub id: i64,
    pub contract_id: i64,
    pub item_id: i64,
    pub name: String,
    pub price: i64,
    pub quantity: i64,
    pub created_at: i64,
}

pub async fn add_item(
    conn: &mut AnyConnection,
    contract_id: i64,
    item_id: i64,
    price: i64,
    quantity: i64,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO contract_items (contract_id, item_id, price, quantity, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(contract_id)
    .bind(item_id)
    .bind(price)
    .bind(quantity)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

pub async fn remove_item(conn: &mut AnyConnection, contract_id: i64, id: i64) -> Result<()> {
    let r = sqlx::query("DELETE FROM contract_items WHERE id = $1 AND contract_id = $2")
        .bind(id)
        .bind(contract_id)
        .execute(conn)
        .await?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn items(conn: &mut AnyConnection, contract_id: i64) -> Result<Vec<Item>> {
    Ok(sqlx::query_as(
        "SELECT ci.id, ci.contract_id, ci.item_id, s.name, ci.price, ci.quantity, ci.created_at
         FROM contract_items ci JOIN service_items s ON s.id = ci.item_id
         WHERE ci.contract_id = $1 ORDER BY ci.id",
    )
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// One recorded status change.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Transition {
    pub id: i64,
    pub contract_id: i64,
    pub from_status: String,
    pub to_status: String,
    pub reason: Option<String>,
    pub note: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_transition(
    conn: &mut AnyConnection,
    contract_id: i64,
    from: &str,
    to: &str,
    reason: Option<&str>,
    note: &str,
    actor: &Actor,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO contract_transitions (contract_id, from_status, to_status, reason, note,
            actor_kind, actor_id, actor_name, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(contract_id)
    .bind(from)
    .bind(to)
    .bind(reason)
    .bind(note)
    .bind(actor.kind)
    .bind(actor.id)
    .bind(&actor.name)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

/// A contract's transitions, oldest first.
pub async fn transitions(conn: &mut AnyConnection, contract_id: i64) -> Result<Vec<Transition>> {
    Ok(sqlx::query_as(
        "SELECT id, contract_id, from_status, to_status, reason, note, actor_kind, actor_id,
            actor_name, at
         FROM contract_transitions WHERE contract_id = $1 ORDER BY id",
    )
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// A plan change, applied or waiting for its effective date.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PlanChange {
    pub id: i64,
    pub contract_id: i64,
    pub from_plan_id: i64,
    pub to_plan_id: i64,
    pub from_price: i64,
    pub to_price: i64,
    pub effective_date: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub created_at: i64,
    pub applied_at: Option<i64>,
    pub canceled_at: Option<i64>,
}

const CHANGE_COLUMNS: &str = "id, contract_id, from_plan_id, to_plan_id, from_price, to_price, \
    effective_date, actor_kind, actor_id, actor_name, created_at, applied_at, canceled_at";

#[allow(clippy::too_many_arguments)]
pub async fn insert_plan_change(
    conn: &mut AnyConnection,
    contract_id: i64,
    from: (i64, i64),
    to: (i64, i64),
    effective_date: &str,
    actor: &Actor,
    at: i64,
    applied: bool,
) -> Result<PlanChange> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO contract_plan_changes (contract_id, from_plan_id, to_plan_id, from_price,
            to_price, effective_date, actor_kind, actor_id, actor_name, created_at, applied_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {CHANGE_COLUMNS}"
    )))
    .bind(contract_id)
    .bind(from.0)
    .bind(to.0)
    .bind(from.1)
    .bind(to.1)
    .bind(effective_date)
    .bind(actor.kind)
    .bind(actor.id)
    .bind(&actor.name)
    .bind(at)
    .bind(applied.then_some(at))
    .fetch_one(conn)
    .await?)
}

pub async fn plan_changes(conn: &mut AnyConnection, contract_id: i64) -> Result<Vec<PlanChange>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHANGE_COLUMNS} FROM contract_plan_changes WHERE contract_id = $1 ORDER BY id"
    )))
    .bind(contract_id)
    .fetch_all(conn)
    .await?)
}

/// Pending plan changes whose effective date is on or before `date`.
pub async fn due_plan_changes(
    conn: &mut AnyConnection,
    date: &str,
    limit: i64,
) -> Result<Vec<PlanChange>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHANGE_COLUMNS} FROM contract_plan_changes
         WHERE applied_at IS NULL AND canceled_at IS NULL AND effective_date <= $1
         ORDER BY effective_date, id LIMIT $2"
    )))
    .bind(date)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks a pending change applied (false if it no longer was pending).
pub async fn mark_plan_change_applied(conn: &mut AnyConnection, id: i64, at: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE contract_plan_changes SET applied_at = $1
         WHERE id = $2 AND applied_at IS NULL AND canceled_at IS NULL",
    )
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Cancels a contract's pending plan changes; returns how many.
pub async fn cancel_pending_plan_changes(
    conn: &mut AnyConnection,
    contract_id: i64,
    at: i64,
) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE contract_plan_changes SET canceled_at = $1
         WHERE contract_id = $2 AND applied_at IS NULL AND canceled_at IS NULL",
    )
    .bind(at)
    .bind(contract_id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}
