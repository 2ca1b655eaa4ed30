//! Bulk writes for imports and demo data: multi-row `INSERT`s (hundreds of
//! rows per statement instead of one round trip each) and blocks of ids
//! reserved up front, so rows that refer to each other (a customer, its
//! address, its contract) can be written together without reading ids back.

use sqlx::AnyConnection;

use crate::{Engine, Result};

/// One value of a bulk row. Nulls carry their type: PostgreSQL needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Real(f64),
    Text(String),
    NullInt,
    NullReal,
    NullText,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        v.map_or(Value::NullInt, Value::Int)
    }
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Value {
        v.map_or(Value::NullReal, Value::Real)
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::NullText, Value::Text)
    }
}

/// Placeholders per statement on PostgreSQL (its limit is 65535).
const MAX_PARAMS_PG: usize = 30_000;
/// Placeholders per statement on SQLite (its limit is 32766). SQLite gets
/// anonymous `?` placeholders here: sqlx binds each named `$n` by asking
/// SQLite its name, a linear scan of the statement's names, which made a
/// 30,000-placeholder insert quadratic (100,000 demo customers took ten
/// minutes, nine of them in `sqlite3_bind_parameter_name`).
const MAX_PARAMS_SQLITE: usize = 10_000;

/// Inserts `rows` (each with one value per column, in `columns` order) into
/// `table` with as few multi-row statements as the placeholder limits allow.
/// `table` and `columns` are code constants, never input.
pub async fn insert_rows(
    conn: &mut AnyConnection,
    table: &'static str,
    columns: &[&'static str],
    rows: &[Vec<Value>],
) -> Result<u64> {
    let mut written = 0;
    for q in statements(conn, table, columns, rows, "") {
        written += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// [`insert_rows`] with `tail` after the values (`ON CONFLICT … DO
/// NOTHING`, a code constant): returns how many rows were written, which
/// tells the caller whether any conflicted.
pub async fn insert_rows_with(
    conn: &mut AnyConnection,
    table: &'static str,
    columns: &[&'static str],
    rows: &[Vec<Value>],
    tail: &'static str,
) -> Result<u64> {
    let mut written = 0;
    for q in statements(conn, table, columns, rows, tail) {
        written += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// [`insert_rows`] returning `returning` (a code constant such as `id,
/// public_id`) of every row written. Neither engine promises the rows come
/// back in the order they were given: callers return a key with the id and
/// match on it.
pub async fn insert_rows_returning(
    conn: &mut AnyConnection,
    table: &'static str,
    columns: &[&'static str],
    rows: &[Vec<Value>],
    returning: &'static str,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let tail = format!(" RETURNING {returning}");
    let mut out = Vec::with_capacity(rows.len());
    for q in statements(conn, table, columns, rows, &tail) {
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// [`insert_rows`] with `tail` after the values (`ON CONFLICT … DO
/// NOTHING RETURNING …`, a code constant), returning the rows it returns
/// (in no promised order, as [`insert_rows_returning`]).
pub async fn insert_rows_fetching(
    conn: &mut AnyConnection,
    table: &'static str,
    columns: &[&'static str],
    rows: &[Vec<Value>],
    tail: &'static str,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let mut out = Vec::with_capacity(rows.len());
    for q in statements(conn, table, columns, rows, tail) {
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// The multi-row statements writing `rows`, each within the engine's
/// placeholder limit.
fn statements<'q>(
    conn: &AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &'q [Vec<Value>],
    tail: &str,
) -> Vec<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>> {
    if rows.is_empty() || columns.is_empty() {
        return Vec::new();
    }
    let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let max_params = if sqlite {
        MAX_PARAMS_SQLITE
    } else {
        MAX_PARAMS_PG
    };
    let per_statement = (max_params / columns.len()).max(1);
    let mut out = Vec::new();
    for chunk in rows.chunks(per_statement) {
        let mut sql = String::with_capacity(64 + tail.len() + chunk.len() * columns.len() * 6);
        sql.push_str("INSERT INTO ");
        sql.push_str(table);
        sql.push_str(" (");
        sql.push_str(&columns.join(", "));
        sql.push_str(") VALUES ");
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            debug_assert_eq!(row.len(), columns.len(), "a bulk row for {table}");
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..row.len() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if sqlite {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
            sql.push(')');
        }
        sql.push_str(tail);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match v {
                    Value::Int(x) => q.bind(*x),
                    Value::Real(x) => q.bind(*x),
                    Value::Text(x) => q.bind(x.as_str()),
                    Value::NullInt => q.bind(None::<i64>),
                    Value::NullReal => q.bind(None::<f64>),
                    Value::NullText => q.bind(None::<String>),
                };
            }
        }
        out.push(q);
    }
    out
}

/// Reserves `n` consecutive ids of `table`'s `id` column and returns the
/// first; the caller inserts rows with exactly those ids, in the same
/// transaction. PostgreSQL: the table is locked against other writers until
/// the transaction ends and its identity sequence moved past the block.
/// SQLite: the write transaction already excludes other writers, and explicit
/// ids move the AUTOINCREMENT counter themselves.
pub async fn reserve_ids(
    conn: &mut AnyConnection,
    engine: Engine,
    table: &'static str,
    n: i64,
) -> Result<i64> {
    match engine {
        Engine::Postgres => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"
            )))
            .execute(&mut *conn)
            .await?;
            let max: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COALESCE(MAX(id), 0) FROM {table}"
            )))
            .fetch_one(&mut *conn)
            .await?;
            // The sequence may be ahead of MAX(id) (rolled-back inserts):
            // start after whichever is larger.
            let last: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                    GREATEST(nextval(pg_get_serial_sequence('{table}', 'id')), $1 + 1) + $2 - 1)"
            )))
            .bind(max)
            .bind(n.max(1))
            .fetch_one(&mut *conn)
            .await?;
            Ok(last - n.max(1) + 1)
        }
        Engine::Sqlite => {
            let next: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0),
                    COALESCE((SELECT MAX(id) FROM {table}), 0)) + 1"
            )))
            .fetch_one(&mut *conn)
            .await?;
            Ok(next)
        }
    }
}

/// Reserves `n` values of a named counter (contract numbers); returns the
/// first.
pub async fn reserve_counter(conn: &mut AnyConnection, name: &str, n: i64) -> Result<i64> {
    let last: Option<i64> = sqlx::query_scalar(
        "UPDATE counters SET value = value + $1 WHERE name = $2 RETURNING value",
    )
    .bind(n)
    .bind(name)
    .fetch_optional(conn)
    .await?;
    last.map(|l| l - n + 1).ok_or(crate::Error::NotFound)
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A customer to write with its reserved id.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub id: i64,
    pub data: crate::crm::customers::CustomerData,
    /// `(kind, key)` lookup keys, as `customers::replace_keys` takes them.
    pub keys: Vec<(&'static str, String)>,
    pub created_at: i64,
}

/// Writes customers with their tags and lookup keys.
pub async fn insert_customers(conn: &mut AnyConnection, rows: &[NewCustomer]) -> Result<()> {
    let mut customers = Vec::with_capacity(rows.len());
    let mut tags = Vec::new();
    let mut keys = Vec::with_capacity(rows.len() * 4);
    for r in rows {
        let c = &r.data;
        customers.push(vec![
            r.id.into(),
            (&c.kind).into(),
            (&c.name).into(),
            (&c.trade_name).into(),
            (&c.document_kind).into(),
            (&c.document).into(),
            (&c.document_norm).into(),
            (&c.state_registration).into(),
            c.birth_date.clone().into(),
            json(&c.emails).into(),
            json(&c.phones).into(),
            (&c.preferred_channel).into(),
            (&c.locale).into(),
            json(&c.tags).into(),
            json(&c.custom_fields).into(),
            (&c.search_text).into(),
            (&c.name_key).into(),
            r.created_at.into(),
            r.created_at.into(),
        ]);
        for t in &c.tags {
            tags.push(vec![r.id.into(), t.into()]);
        }
        let mut seen = std::collections::HashSet::new();
        for (kind, key) in &r.keys {
            if !key.is_empty() && seen.insert((*kind, key.as_str())) {
                keys.push(vec![r.id.into(), (*kind).into(), key.into()]);
            }
        }
    }
    insert_rows(
        conn,
        "customers",
        &[
            "id",
            "kind",
            "name",
            "trade_name",
            "document_kind",
            "document",
            "document_norm",
            "state_registration",
            "birth_date",
            "emails",
            "phones",
            "preferred_channel",
            "locale",
            "tags",
            "custom_fields",
            "search_text",
            "name_key",
            "created_at",
            "updated_at",
        ],
        &customers,
    )
    .await?;
    insert_rows(conn, "customer_tags", &["customer_id", "tag"], &tags).await?;
    insert_rows(
        conn,
        "customer_keys",
        &["customer_id", "kind", "key"],
        &keys,
    )
    .await?;
    Ok(())
}

/// An address to write with its reserved id.
#[derive(Debug, Clone)]
pub struct NewAddress {
    pub id: i64,
    pub customer_id: i64,
    pub data: crate::crm::customers::AddressData,
    pub created_at: i64,
}

pub async fn insert_addresses(conn: &mut AnyConnection, rows: &[NewAddress]) -> Result<()> {
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| {
            let a = &r.data;
            vec![
                r.id.into(),
                r.customer_id.into(),
                (&a.kind).into(),
                (&a.label).into(),
                (&a.street).into(),
                (&a.number).into(),
                (&a.complement).into(),
                (&a.district).into(),
                (&a.city).into(),
                (&a.state).into(),
                (&a.postal_code).into(),
                (&a.country).into(),
                a.lat.into(),
                a.lng.into(),
                (&a.search_text).into(),
                (&a.city_key).into(),
                r.created_at.into(),
                r.created_at.into(),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "customer_addresses",
        &[
            "id",
            "customer_id",
            "kind",
            "label",
            "street",
            "number",
            "complement",
            "district",
            "city",
            "state",
            "postal_code",
            "country",
            "lat",
            "lng",
            "search_text",
            "city_key",
            "created_at",
            "updated_at",
        ],
        &values,
    )
    .await?;
    Ok(())
}

/// Writes contracts exactly as given (ids, instants and status included).
pub async fn insert_contracts(
    conn: &mut AnyConnection,
    rows: &[crate::contracts::Contract],
) -> Result<()> {
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|c| {
            vec![
                c.id.into(),
                (&c.number).into(),
                c.customer_id.into(),
                c.plan_id.into(),
                c.price.into(),
                c.installation_fee.into(),
                c.billing_day.into(),
                (&c.start_date).into(),
                c.end_date.clone().into(),
                c.loyalty_end_date.clone().into(),
                c.early_termination_fee.into(),
                (&c.status).into(),
                c.suspend_reason.clone().into(),
                c.status_changed_at.into(),
                c.service_address_id.into(),
                (&c.pppoe_login).into(),
                (&c.pppoe_password).into(),
                c.mac.clone().into(),
                c.ipv4.clone().into(),
                c.ipv6_prefix.clone().into(),
                (&c.notes).into(),
                c.created_at.into(),
                c.updated_at.into(),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "contracts",
        &[
            "id",
            "number",
            "customer_id",
            "plan_id",
            "price",
            "installation_fee",
            "billing_day",
            "start_date",
            "end_date",
            "loyalty_end_date",
            "early_termination_fee",
            "status",
            "suspend_reason",
            "status_changed_at",
            "service_address_id",
            "pppoe_login",
            "pppoe_password",
            "mac",
            "ipv4",
            "ipv6_prefix",
            "notes",
            "created_at",
            "updated_at",
        ],
        &values,
    )
    .await
    .map_err(|e| match e {
        crate::Error::Sql(sqlx::Error::Database(d)) if d.is_unique_violation() => {
            crate::Error::Conflict("contract")
        }
        other => other,
    })?;
    Ok(())
}

/// A contract's status change, as `contracts::insert_transition` writes it.
#[derive(Debug, Clone)]
pub struct NewTransition {
    pub contract_id: i64,
    pub from: &'static str,
    pub to: &'static str,
    pub reason: Option<&'static str>,
    pub note: String,
    pub at: i64,
}

pub async fn insert_transitions(
    conn: &mut AnyConnection,
    actor: &crate::system::audit::Actor,
    rows: &[NewTransition],
) -> Result<()> {
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|t| {
            vec![
                t.contract_id.into(),
                t.from.into(),
                t.to.into(),
                t.reason.map(str::to_owned).into(),
                (&t.note).into(),
                actor.kind.into(),
                actor.id.into(),
                (&actor.name).into(),
                t.at.into(),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "contract_transitions",
        &[
            "contract_id",
            "from_status",
            "to_status",
            "reason",
            "note",
            "actor_kind",
            "actor_id",
            "actor_name",
            "at",
        ],
        &values,
    )
    .await?;
    Ok(())
}

/// A timeline entry (see `timeline::insert`).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub customer_id: i64,
    pub at: i64,
    pub kind: &'static str,
    pub summary: String,
    pub entity: Option<(&'static str, String)>,
    pub data: serde_json::Value,
}

pub async fn insert_events(
    conn: &mut AnyConnection,
    actor: &crate::system::audit::Actor,
    rows: &[NewEvent],
) -> Result<()> {
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|e| {
            vec![
                e.customer_id.into(),
                e.at.into(),
                actor.kind.into(),
                actor.id.into(),
                (&actor.name).into(),
                e.kind.into(),
                (&e.summary).into(),
                e.entity.as_ref().map(|(k, _)| (*k).to_owned()).into(),
                e.entity.as_ref().map(|(_, id)| id.clone()).into(),
                e.data.to_string().into(),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "customer_events",
        &[
            "customer_id",
            "at",
            "actor_kind",
            "actor_id",
            "actor_name",
            "kind",
            "summary",
            "entity_kind",
            "entity_id",
            "data",
        ],
        &values,
    )
    .await?;
    Ok(())
}

/// A staff note: `(customer_id, body, at)`.
pub async fn insert_notes(
    conn: &mut AnyConnection,
    actor: &crate::system::audit::Actor,
    rows: &[(i64, String, i64)],
) -> Result<()> {
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|(customer_id, body, at)| {
            vec![
                (*customer_id).into(),
                body.into(),
                actor.kind.into(),
                actor.id.into(),
                (&actor.name).into(),
                (*at).into(),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "customer_notes",
        &[
            "customer_id",
            "body",
            "author_kind",
            "author_id",
            "author_name",
            "created_at",
        ],
        &values,
    )
    .await?;
    Ok(())
}

/// Values per `IN (…)` lookup.
const LOOKUP_CHUNK: usize = 1_000;

/// `$1, $2, …` (`?, ?, …` on SQLite: see [`MAX_PARAMS_SQLITE`]).
fn placeholders(conn: &AnyConnection, n: usize) -> String {
    let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
    (1..=n)
        .map(|i| {
            if sqlite {
                "?".to_owned()
            } else {
                format!("${i}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Customer lookup keys equal to any of `keys` (duplicate detection for a
/// whole import in a few queries rather than one per row).
pub async fn keys_matching(
    conn: &mut AnyConnection,
    keys: &[String],
) -> Result<Vec<crate::crm::customers::Key>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT customer_id, kind, key FROM customer_keys WHERE key IN ({})",
            placeholders(conn, chunk.len())
        );
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for k in chunk {
            q = q.bind(k.clone());
        }
        let rows: Vec<crate::crm::customers::Key> = q.fetch_all(&mut *conn).await?;
        out.extend(rows);
    }
    Ok(out)
}

/// A contract column whose values must be unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContractColumn {
    Number,
    Login,
    Ipv4,
    Ipv6Prefix,
}

impl ContractColumn {
    fn column(self) -> &'static str {
        match self {
            ContractColumn::Number => "number",
            ContractColumn::Login => "pppoe_login",
            ContractColumn::Ipv4 => "ipv4",
            ContractColumn::Ipv6Prefix => "ipv6_prefix",
        }
    }
}

/// Which of `values` some contract already has in `column`.
pub async fn contract_values_taken(
    conn: &mut AnyConnection,
    column: ContractColumn,
    values: &[String],
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let col = column.column();
    for chunk in values.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT {col} FROM contracts WHERE {col} IN ({})",
            placeholders(conn, chunk.len())
        );
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(v.clone());
        }
        let rows: Vec<String> = q.fetch_all(&mut *conn).await?;
        out.extend(rows);
    }
    Ok(out)
}

/// `(document_norm, customer id)` of the customers with any of `documents`
/// (normalised), lowest id first.
pub async fn customers_by_document(
    conn: &mut AnyConnection,
    documents: &[String],
) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for chunk in documents.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT document_norm, id FROM customers WHERE document_norm IN ({}) ORDER BY id",
            placeholders(conn, chunk.len())
        );
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            q = q.bind(d.clone());
        }
        let rows: Vec<(String, i64)> = q.fetch_all(&mut *conn).await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Refreshes the planner's statistics of the CRM tables after a bulk load
/// (PostgreSQL; autovacuum would do it minutes later, and until then the
/// planner, knowing nothing of 100,000 new rows, picks plans that are
/// 100 times slower for filtered lists). SQLite keeps no statistics unless
/// asked and its plans here do not depend on them.
pub async fn analyze(conn: &mut AnyConnection, engine: Engine) -> Result<()> {
    if engine == Engine::Postgres {
        sqlx::query(
            "ANALYZE customers, customer_keys, customer_tags, customer_addresses,
                customer_notes, customer_events, contracts, contract_transitions",
        )
        .execute(conn)
        .await?;
    }
    Ok(())
}
