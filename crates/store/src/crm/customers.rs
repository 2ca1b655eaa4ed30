//! Customers, their lookup keys, tags, addresses and staff notes.

use sqlx::AnyConnection;

use crate::params::{Params, id_list, words_condition};
use crate::{Engine, Error, Result};

/// A customer as stored. List-valued columns are decoded from their JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Customer {
    pub id: i64,
    /// `person` or `company`.
    pub kind: String,
    pub name: String,
    pub trade_name: String,
    /// `cpf`, `cnpj` or `foreign`.
    pub document_kind: String,
    pub document: String,
    pub document_norm: String,
    pub state_registration: String,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub emails: Vec<String>,
    /// E.164.
    pub phones: Vec<String>,
    pub preferred_channel: String,
    /// Preferred language (`en`, `pt-BR`), empty for the company's.
    pub locale: String,
    pub tags: Vec<String>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    name: String,
    trade_name: String,
    document_kind: String,
    document: String,
    document_norm: String,
    state_registration: String,
    birth_date: Option<String>,
    emails: String,
    phones: String,
    preferred_channel: String,
    locale: String,
    tags: String,
    custom_fields: String,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Customer {
    fn from(r: Row) -> Customer {
        Customer {
            id: r.id,
            kind: r.kind,
            name: r.name,
            trade_name: r.trade_name,
            document_kind: r.document_kind,
            document: r.document,
            document_norm: r.document_norm,
            state_registration: r.state_registration,
            birth_date: r.birth_date,
            emails: serde_json::from_str(&r.emails).unwrap_or_default(),
            phones: serde_json::from_str(&r.phones).unwrap_or_default(),
            preferred_channel: r.preferred_channel,
            locale: r.locale,
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            custom_fields: serde_json::from_str(&r.custom_fields).unwrap_or_default(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "c.id, c.kind, c.name, c.trade_name, c.document_kind, c.document, \
    c.document_norm, c.state_registration, c.birth_date, c.emails, c.phones, c.preferred_channel, \
    c.locale, c.tags, c.custom_fields, c.created_at, c.updated_at";

/// What a customer row is written from (the service has validated and
/// normalised it, and computed the search columns).
#[derive(Debug, Clone, Default)]
pub struct CustomerData {
    pub kind: String,
    pub name: String,
    pub trade_name: String,
    pub document_kind: String,
    pub document: String,
    pub document_norm: String,
    pub state_registration: String,
    pub birth_date: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub preferred_channel: String,
    /// `en`, `pt-BR`, or empty for the company's language.
    pub locale: String,
    pub tags: Vec<String>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// Folded name and trade name.
    pub search_text: String,
    /// Folded name.
    pub name_key: String,
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

pub async fn insert(conn: &mut AnyConnection, c: &CustomerData, at: i64) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (kind, name, trade_name, document_kind, document, document_norm,
            state_registration, birth_date, emails, phones, preferred_channel, tags, custom_fields,
            search_text, name_key, created_at, updated_at, locale)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17)
         RETURNING id",
    )
    .bind(&c.kind)
    .bind(&c.name)
    .bind(&c.trade_name)
    .bind(&c.document_kind)
    .bind(&c.document)
    .bind(&c.document_norm)
    .bind(&c.state_registration)
    .bind(&c.birth_date)
    .bind(json(&c.emails))
    .bind(json(&c.phones))
    .bind(&c.preferred_channel)
    .bind(json(&c.tags))
    .bind(json(&c.custom_fields))
    .bind(&c.search_text)
    .bind(&c.name_key)
    .bind(at)
    .bind(&c.locale)
    .fetch_one(&mut *conn)
    .await?;
    replace_tags(conn, id, &c.tags).await?;
    Ok(id)
}

pub async fn update(conn: &mut AnyConnection, id: i64, c: &CustomerData, at: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE customers SET kind = $1, name = $2, trade_name = $3, document_kind = $4,
            document = $5, document_norm = $6, state_registration = $7, birth_date = $8,
            emails = $9, phones = $10, preferred_channel = $11, tags = $12, custom_fields = $13,
            search_text = $14, name_key = $15, updated_at = $16, locale = $18
         WHERE id = $17",
    )
    .bind(&c.kind)
    .bind(&c.name)
    .bind(&c.trade_name)
    .bind(&c.document_kind)
    .bind(&c.document)
    .bind(&c.document_norm)
    .bind(&c.state_registration)
    .bind(&c.birth_date)
    .bind(json(&c.emails))
    .bind(json(&c.phones))
    .bind(&c.preferred_channel)
    .bind(json(&c.tags))
    .bind(json(&c.custom_fields))
    .bind(&c.search_text)
    .bind(&c.name_key)
    .bind(at)
    .bind(id)
    .bind(&c.locale)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    replace_tags(conn, id, &c.tags).await
}

async fn replace_tags(conn: &mut AnyConnection, id: i64, tags: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for t in tags {
        sqlx::query("INSERT INTO customer_tags (customer_id, tag) VALUES ($1, $2)")
            .bind(id)
            .bind(t)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Customer> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM customers c WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(Customer::from).ok_or(Error::NotFound)
}

/// Customers by id, in the order of `ids` (missing ones left out).
pub async fn get_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Customer>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM customers c WHERE c.id IN ({})",
        id_list(ids)
    )))
    .fetch_all(conn)
    .await?;
    let mut by_id: std::collections::HashMap<i64, Customer> = rows
        .into_iter()
        .map(|r| (r.id, Customer::from(r)))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(conn)
        .await?)
}

/// A lookup key of a customer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Key {
    pub customer_id: i64,
    /// `document`, `email` or `phone`.
    pub kind: String,
    pub key: String,
}

/// Replaces a customer's lookup keys (`(kind, key)` pairs).
pub async fn replace_keys(
    conn: &mut AnyConnection,
    customer_id: i64,
    keys: &[(&str, String)],
) -> Result<()> {
    sqlx::query("DELETE FROM customer_keys WHERE customer_id = $1")
        .bind(customer_id)
        .execute(&mut *conn)
        .await?;
    let mut seen = std::collections::HashSet::new();
    for (kind, key) in keys {
        if key.is_empty() || !seen.insert((*kind, key.as_str())) {
            continue;
        }
        sqlx::query("INSERT INTO customer_keys (customer_id, kind, key) VALUES ($1, $2, $3)")
            .bind(customer_id)
            .bind(*kind)
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Other customers holding any of `keys` exactly (duplicate detection).
pub async fn with_keys(
    conn: &mut AnyConnection,
    keys: &[(&str, String)],
    except: Option<i64>,
) -> Result<Vec<Key>> {
    let mut out = Vec::new();
    for (kind, key) in keys {
        if key.is_empty() {
            continue;
        }
        let rows: Vec<Key> = sqlx::query_as(
            "SELECT customer_id, kind, key FROM customer_keys
             WHERE key = $1 AND kind = $2 AND customer_id <> $3 ORDER BY customer_id LIMIT 10",
        )
        .bind(key)
        .bind(*kind)
        .bind(except.unwrap_or(0))
        .fetch_all(&mut *conn)
        .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Customers with a key starting with `prefix` (an index range scan), with
/// the kind of key that matched.
pub async fn ids_by_key_prefix(
    conn: &mut AnyConnection,
    prefix: &str,
    limit: i64,
) -> Result<Vec<(i64, String)>> {
    if prefix.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let lo = p.add(prefix);
    let cond = match domain::crm::search::prefix_bound(prefix) {
        Some(hi) => format!("key >= {lo} AND key < {}", p.add(hi)),
        None => format!("key >= {lo}"),
    };
    let lim = p.add(limit);
    let sql = format!(
        "SELECT customer_id, kind FROM customer_keys WHERE {cond} ORDER BY key, customer_id LIMIT {lim}"
    );
    Ok(p.bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

/// Customers whose folded name / trade name contains every word.
pub async fn ids_by_name(
    conn: &mut AnyConnection,
    engine: Engine,
    words: &[String],
    limit: i64,
) -> Result<Vec<i64>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let cond = words_condition(
        engine,
        &mut p,
        "c.id",
        "c.search_text",
        "customers_fts",
        words,
    );
    let lim = p.add(limit);
    let sql =
        format!("SELECT c.id FROM customers c WHERE {cond} ORDER BY c.name_key, c.id LIMIT {lim}");
    Ok(p.bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

/// Customers with an address whose folded street, number, district and city
/// contain every word.
pub async fn ids_by_address(
    conn: &mut AnyConnection,
    engine: Engine,
    words: &[String],
    limit: i64,
) -> Result<Vec<i64>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::default();
    let cond = words_condition(
        engine,
        &mut p,
        "a.id",
        "a.search_text",
        "customer_addresses_fts",
        words,
    );
    let lim = p.add(limit);
    let sql = format!(
        "SELECT DISTINCT a.customer_id FROM customer_addresses a WHERE {cond}
         ORDER BY a.customer_id LIMIT {lim}"
    );
    Ok(p.bind_scalar(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}

/// How a customer list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first (id descending).
    #[default]
    Newest,
    /// By folded name, then id.
    Name,
}

/// Where the previous page ended: the last row's sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    /// The folded name for [`Sort::Name`]; ignored for [`Sort::Newest`].
    pub key: String,
    pub id: i64,
}

/// Filters for the customer list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Folded words the name or trade name must all contain.
    pub words: Vec<String>,
    /// Customers with a contract in this status.
    pub status: Option<String>,
    /// Customers with a contract on this plan.
    pub plan_id: Option<i64>,
    pub tag: Option<String>,
    /// Folded city of any of their addresses.
    pub city: Option<String>,
    pub sort: Sort,
    pub after: Option<After>,
    pub limit: i64,
}

/// A customer list row: the customer and the sort key of its position.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Listed {
    pub customer: Customer,
    pub name_key: String,
}

/// One page of customers plus whether more follow.
pub async fn list(
    conn: &mut AnyConnection,
    engine: Engine,
    f: &Filter,
) -> Result<(Vec<Listed>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if !f.words.is_empty() {
        conds.push(words_condition(
            engine,
            &mut p,
            "c.id",
            "c.search_text",
            "customers_fts",
            &f.words,
        ));
    }
    if f.status.is_some() || f.plan_id.is_some() {
        let mut sub = "SELECT 1 FROM contracts k WHERE k.customer_id = c.id".to_owned();
        if let Some(s) = &f.status {
            sub.push_str(&format!(" AND k.status = {}", p.add(s.as_str())));
        }
        if let Some(pl) = f.plan_id {
            sub.push_str(&format!(" AND k.plan_id = {}", p.add(pl)));
        }
        conds.push(format!("EXISTS ({sub})"));
    }
    if let Some(t) = &f.tag {
        conds.push(format!(
            "EXISTS (SELECT 1 FROM customer_tags t WHERE t.customer_id = c.id AND t.tag = {})",
            p.add(t.as_str())
        ));
    }
    if let Some(city) = &f.city {
        conds.push(format!(
            "EXISTS (SELECT 1 FROM customer_addresses a WHERE a.customer_id = c.id AND a.city_key = {})",
            p.add(city.as_str())
        ));
    }
    let order = match (f.sort, &f.after) {
        (Sort::Newest, Some(a)) => {
            conds.push(format!("c.id < {}", p.add(a.id)));
            "c.id DESC"
        }
        (Sort::Newest, None) => "c.id DESC",
        (Sort::Name, Some(a)) => {
            let k = p.add(a.key.as_str());
            let id = p.add(a.id);
            conds.push(format!(
                "(c.name_key > {k} OR (c.name_key = {k} AND c.id > {id}))"
            ));
            "c.name_key, c.id"
        }
        (Sort::Name, None) => "c.name_key, c.id",
    };
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "SELECT {COLUMNS}, c.name_key FROM customers c WHERE {} ORDER BY {order} LIMIT {lim}",
        conds.join(" AND ")
    );
    #[derive(sqlx::FromRow)]
    struct ListRow {
        #[sqlx(flatten)]
        row: Row,
        name_key: String,
    }
    let rows: Vec<ListRow> = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    let more = rows.len() as i64 > f.limit;
    let out = rows
        .into_iter()
        .take(f.limit.max(0) as usize)
        .map(|r| Listed {
            customer: r.row.into(),
            name_key: r.name_key,
        })
        .collect();
    Ok((out, more))
}

/// A postal address of a customer.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Address {
    pub id: i64,
    pub customer_id: i64,
    /// `billing` or `service`.
    pub kind: String,
    pub label: String,
    pub street: String,
    pub number: String,
    pub complement: String,
    pub district: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ADDRESS_COLUMNS: &str = "id, customer_id, kind, label, street, number, complement, \
    district, city, state, postal_code, country, lat, lng, created_at, updated_at";

/// What an address row is written from.
#[derive(Debug, Clone, Default)]
pub struct AddressData {
    pub kind: String,
    pub label: String,
    pub street: String,
    pub number: String,
    pub complement: String,
    pub district: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub search_text: String,
    pub city_key: String,
}

pub async fn insert_address(
    conn: &mut AnyConnection,
    customer_id: i64,
    a: &AddressData,
    at: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO customer_addresses (customer_id, kind, label, street, number, complement,
            district, city, state, postal_code, country, lat, lng, search_text, city_key,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
         RETURNING id",
    )
    .bind(customer_id)
    .bind(&a.kind)
    .bind(&a.label)
    .bind(&a.street)
    .bind(&a.number)
    .bind(&a.complement)
    .bind(&a.district)
    .bind(&a.city)
    .bind(&a.state)
    .bind(&a.postal_code)
    .bind(&a.country)
    .bind(a.lat)
    .bind(a.lng)
    .bind(&a.search_text)
    .bind(&a.city_key)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("billing address"))
}

pub async fn update_address(
    conn: &mut AnyConnection,
    id: i64,
    a: &AddressData,
    at: i64,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE customer_addresses SET kind = $1, label = $2, street = $3, number = $4,
            complement = $5, district = $6, city = $7, state = $8, postal_code = $9, country = $10,
            lat = $11, lng = $12, search_text = $13, city_key = $14, updated_at = $15
         WHERE id = $16",
    )
    .bind(&a.kind)
    .bind(&a.label)
    .bind(&a.street)
    .bind(&a.number)
    .bind(&a.complement)
    .bind(&a.district)
    .bind(&a.city)
    .bind(&a.state)
    .bind(&a.postal_code)
    .bind(&a.country)
    .bind(a.lat)
    .bind(a.lng)
    .bind(&a.search_text)
    .bind(&a.city_key)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("billing address"))?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn get_address(conn: &mut AnyConnection, id: i64) -> Result<Address> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ADDRESS_COLUMNS} FROM customer_addresses WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn addresses(conn: &mut AnyConnection, customer_id: i64) -> Result<Vec<Address>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ADDRESS_COLUMNS} FROM customer_addresses WHERE customer_id = $1 ORDER BY id"
    )))
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// Deletes an address no contract uses (contracts keep theirs).
pub async fn delete_address(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let used: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contracts WHERE service_address_id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    if used > 0 {
        return Err(Error::Conflict("contract at this address"));
    }
    let r = sqlx::query("DELETE FROM customer_addresses WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

/// The city of each of the customers `ids`, from the billing address when
/// there is one, else the oldest address (list pages and exports).
pub async fn cities(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers formatted by us, never outside text.
    let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT customer_id, city FROM customer_addresses WHERE customer_id IN ({})
         ORDER BY customer_id, CASE WHEN kind = 'billing' THEN 0 ELSE 1 END, id",
        id_list(ids)
    )))
    .fetch_all(conn)
    .await?;
    let mut out: Vec<(i64, String)> = Vec::new();
    for (id, city) in rows {
        if out.last().is_none_or(|(last, _)| *last != id) {
            out.push((id, city));
        }
    }
    Ok(out)
}

/// A staff note on a customer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Note {
    pub id: i64,
    pub customer_id: i64,
    pub body: String,
    pub author_kind: String,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub created_at: i64,
}

/// Adds a note; returns it as stored (from `RETURNING`, no second read).
pub async fn insert_note(
    conn: &mut AnyConnection,
    customer_id: i64,
    body: &str,
    author: &crate::system::audit::Actor,
    at: i64,
) -> Result<Note> {
    Ok(sqlx::query_as(
        "INSERT INTO customer_notes (customer_id, body, author_kind, author_id, author_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, customer_id, body, author_kind, author_id, author_name, created_at",
    )
    .bind(customer_id)
    .bind(body)
    .bind(author.kind)
    .bind(author.id)
    .bind(&author.name)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

/// A customer's notes, newest first.
pub async fn notes(conn: &mut AnyConnection, customer_id: i64, limit: i64) -> Result<Vec<Note>> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, body, author_kind, author_id, author_name, created_at
         FROM customer_notes WHERE customer_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(customer_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
