//! Customers' KYC documents (stored encrypted in the database), custom
//! customer field definitions, and contract templates.

use sqlx::AnyConnection;

use crate::system::audit::Actor;
use crate::{Error, Result, conflict};

/// A document's description, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Document {
    pub id: i64,
    pub customer_id: i64,
    /// `identity`, `proof_of_address`, `contract_signed`, `other`.
    pub kind: String,
    pub filename: String,
    /// Sniffed from the content.
    pub content_type: String,
    pub size: i64,
    /// Of the plain file, lowercase hex.
    pub sha256: String,
    /// `pending`, `verified`, `rejected`.
    pub status: String,
    pub verified_by: Option<i64>,
    pub verified_by_name: String,
    pub verified_at: Option<i64>,
    pub rejection_reason: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_by_name: String,
    pub uploaded_at: i64,
}

const COLUMNS: &str = "id, customer_id, kind, filename, content_type, size, sha256, status, \
    verified_by, verified_by_name, verified_at, rejection_reason, uploaded_by, uploaded_by_name, \
    uploaded_at";

/// A document to insert; `data` is already encrypted.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub customer_id: i64,
    pub kind: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub data: &'a [u8],
}

pub async fn insert(
    conn: &mut AnyConnection,
    d: &NewDocument<'_>,
    by: &Actor,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO customer_documents (customer_id, kind, filename, content_type, size, sha256,
            data, status, uploaded_by, uploaded_by_name, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10) RETURNING id",
    )
    .bind(d.customer_id)
    .bind(d.kind)
    .bind(d.filename)
    .bind(d.content_type)
    .bind(d.size)
    .bind(d.sha256)
    .bind(d.data.to_vec())
    .bind(by.id)
    .bind(&by.name)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

/// A customer's documents, newest first.
pub async fn list(conn: &mut AnyConnection, customer_id: i64) -> Result<Vec<Document>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM customer_documents WHERE customer_id = $1 ORDER BY id DESC"
    )))
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// One document of one customer (a document id under another customer is
/// not found, so a URL cannot reach across customers).
pub async fn get(conn: &mut AnyConnection, customer_id: i64, id: i64) -> Result<Document> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM customer_documents WHERE customer_id = $1 AND id = $2"
    )))
    .bind(customer_id)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// The stored (encrypted) bytes of a document.
pub async fn data(conn: &mut AnyConnection, customer_id: i64, id: i64) -> Result<Vec<u8>> {
    sqlx::query_scalar("SELECT data FROM customer_documents WHERE customer_id = $1 AND id = $2")
        .bind(customer_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// Sets the review status (`verified` or `rejected`) with who and when.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    reason: &str,
    by: &Actor,
    at: i64,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE customer_documents SET status = $1, rejection_reason = $2, verified_by = $3,
            verified_by_name = $4, verified_at = $5 WHERE id = $6",
    )
    .bind(status)
    .bind(reason)
    .bind(by.id)
    .bind(&by.name)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let r = sqlx::query("DELETE FROM customer_documents WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// A custom customer field's definition.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct FieldDef {
    pub key: String,
    pub label: String,
    /// `text`, `number`, `date`, `choice`.
    pub kind: String,
    /// JSON array of strings (for `choice`).
    pub choices: String,
    #[sqlx(try_from = "crate::Flag")]
    pub required: bool,
    pub position: i64,
    pub created_at: i64,
}

/// Every definition, in display order.
pub async fn field_defs(conn: &mut AnyConnection) -> Result<Vec<FieldDef>> {
    Ok(sqlx::query_as(
        "SELECT key, label, kind, choices, required, position, created_at
         FROM customer_field_defs ORDER BY position, key",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn field_def(conn: &mut AnyConnection, key: &str) -> Result<FieldDef> {
    sqlx::query_as(
        "SELECT key, label, kind, choices, required, position, created_at
         FROM customer_field_defs WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

fn flag(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

/// Inserts a definition (`created_at` is ignored for updates).
pub async fn insert_field_def(conn: &mut AnyConnection, d: &FieldDef) -> Result<()> {
    // The boolean is written as a literal: PostgreSQL's BOOLEAN accepts no
    // bound integer through the Any driver.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO customer_field_defs (key, label, kind, choices, required, position, created_at)
         VALUES ($1, $2, $3, $4, {}, $5, $6)",
        flag(d.required)
    )))
    .bind(&d.key)
    .bind(&d.label)
    .bind(&d.kind)
    .bind(&d.choices)
    .bind(d.position)
    .bind(d.created_at)
    .execute(conn)
    .await
    .map_err(conflict("key"))?;
    Ok(())
}

pub async fn update_field_def(conn: &mut AnyConnection, d: &FieldDef) -> Result<()> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE customer_field_defs SET label = $1, kind = $2, choices = $3, required = {},
            position = $4 WHERE key = $5",
        flag(d.required)
    )))
    .bind(&d.label)
    .bind(&d.kind)
    .bind(&d.choices)
    .bind(d.position)
    .bind(&d.key)
    .execute(conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

pub async fn delete_field_def(conn: &mut AnyConnection, key: &str) -> Result<()> {
    let r = sqlx::query("DELETE FROM customer_field_defs WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    if r.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// How many customers have a value for custom field `key`.
pub async fn customers_with_field(conn: &mut AnyConnection, key: &str) -> Result<i64> {
    // custom_fields is a JSON object in TEXT; a quoted key followed by a
    // colon is how serde_json writes it (keys are slugs, so no escaping).
    Ok(
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM customers WHERE custom_fields LIKE $1 ESCAPE '\\'",
        )
        .bind(format!("%\"{}\":%", crate::staff::users::escape_like(key)))
        .fetch_one(conn)
        .await?,
    )
}

/// A contract template as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Template {
    pub locale: String,
    pub body: String,
    pub updated_by: String,
    pub updated_at: i64,
}

pub async fn template(conn: &mut AnyConnection, locale: &str) -> Result<Option<Template>> {
    Ok(sqlx::query_as(
        "SELECT locale, body, updated_by, updated_at FROM contract_templates WHERE locale = $1",
    )
    .bind(locale)
    .fetch_optional(conn)
    .await?)
}

pub async fn put_template(
    conn: &mut AnyConnection,
    locale: &str,
    body: &str,
    by: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO contract_templates (locale, body, updated_by, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (locale) DO UPDATE SET body = $2, updated_by = $3, updated_at = $4",
    )
    .bind(locale)
    .bind(body)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_template(conn: &mut AnyConnection, locale: &str) -> Result<()> {
    sqlx::query("DELETE FROM contract_templates WHERE locale = $1")
        .bind(locale)
        .execute(conn)
        .await?;
    Ok(())
}
