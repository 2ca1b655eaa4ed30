//! The installation's one company row. Its existence means setup is done.

use sqlx::AnyConnection;

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Company {
    pub name: String,
    pub legal_document: String,
    pub country: String,
    pub currency: String,
    pub locale: String,
    pub timezone: String,
}

pub async fn get(conn: &mut AnyConnection) -> Result<Option<Company>> {
    Ok(sqlx::query_as(
        "SELECT name, legal_document, country, currency, locale, timezone FROM company WHERE id = 1",
    )
    .fetch_optional(conn)
    .await?)
}

/// Inserts the company. The row's fixed primary key makes a second call fail
/// with [`Error::Conflict`], even from two nodes at once.
pub async fn create(conn: &mut AnyConnection, c: &Company, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO company (id, name, legal_document, country, currency, locale, timezone, created_at)
         VALUES (1, $1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&c.name)
    .bind(&c.legal_document)
    .bind(&c.country)
    .bind(&c.currency)
    .bind(&c.locale)
    .bind(&c.timezone)
    .bind(at)
    .execute(conn)
    .await
    .map_err(crate::conflict("company"))?;
    Ok(())
}

pub async fn update(conn: &mut AnyConnection, c: &Company) -> Result<()> {
    let r = sqlx::query(
        "UPDATE company SET name = $1, legal_document = $2, country = $3, currency = $4,
         locale = $5, timezone = $6 WHERE id = 1",
    )
    .bind(&c.name)
    .bind(&c.legal_document)
    .bind(&c.country)
    .bind(&c.currency)
    .bind(&c.locale)
    .bind(&c.timezone)
    .execute(conn)
    .await?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn set_logo(conn: &mut AnyConnection, logo: &[u8], content_type: &str) -> Result<()> {
    sqlx::query("UPDATE company SET logo = $1, logo_type = $2 WHERE id = 1")
        .bind(logo)
        .bind(content_type)
        .execute(conn)
        .await?;
    Ok(())
}

/// The logo bytes and their content type, if one was uploaded.
pub async fn logo(conn: &mut AnyConnection) -> Result<Option<(Vec<u8>, String)>> {
    let row: Option<(Option<Vec<u8>>, Option<String>)> =
        sqlx::query_as("SELECT logo, logo_type FROM company WHERE id = 1")
            .fetch_optional(conn)
            .await?;
    Ok(match row {
        Some((Some(bytes), Some(ct))) => Some((bytes, ct)),
        _ => None,
    })
}
