//! The invoice template per locale, when the provider edited it (the
//! built-in one is used otherwise).

use sqlx::AnyConnection;

use crate::Result;
pub use crate::crm::documents::Template;

pub async fn get(conn: &mut AnyConnection, locale: &str) -> Result<Option<Template>> {
    Ok(sqlx::query_as(
        "SELECT locale, body, updated_by, updated_at FROM invoice_templates WHERE locale = $1",
    )
    .bind(locale)
    .fetch_optional(conn)
    .await?)
}

pub async fn put(
    conn: &mut AnyConnection,
    locale: &str,
    body: &str,
    by: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO invoice_templates (locale, body, updated_by, updated_at)
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

pub async fn delete(conn: &mut AnyConnection, locale: &str) -> Result<()> {
    sqlx::query("DELETE FROM invoice_templates WHERE locale = $1")
        .bind(locale)
        .execute(conn)
        .await?;
    Ok(())
}
