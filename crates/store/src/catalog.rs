//! The catalog: internet plans and non-internet service items.

use sqlx::AnyConnection;

use crate::{Error, Result};

/// A plan as stored (enumerations as their text; see `domain::catalog`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Plan {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub download_kbps: i64,
    pub upload_kbps: i64,
    pub burst_down_rate_kbps: Option<i64>,
    pub burst_down_threshold_kbps: Option<i64>,
    pub burst_down_time_secs: Option<i64>,
    pub burst_up_rate_kbps: Option<i64>,
    pub burst_up_threshold_kbps: Option<i64>,
    pub burst_up_time_secs: Option<i64>,
    pub quota_mb: Option<i64>,
    pub quota_action: Option<String>,
    pub quota_throttle_kbps: Option<i64>,
    pub price: i64,
    pub billing_mode: String,
    pub cycle: String,
    pub installation_fee: i64,
    pub loyalty_months: i64,
    pub early_termination_fee: i64,
    pub tax_category: String,
    pub technology: String,
    pub suspended_behavior: String,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
    #[sqlx(try_from = "crate::Flag")]
    pub public: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, description, download_kbps, upload_kbps, burst_down_rate_kbps, \
    burst_down_threshold_kbps, burst_down_time_secs, burst_up_rate_kbps, burst_up_threshold_kbps, \
    burst_up_time_secs, quota_mb, quota_action, quota_throttle_kbps, price, billing_mode, cycle, \
    installation_fee, loyalty_months, early_termination_fee, tax_category, technology, \
    suspended_behavior, active, public, created_at, updated_at";

/// Writes every column but the id and instants from `p`.
pub async fn insert(conn: &mut AnyConnection, p: &Plan, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO plans (name, description, download_kbps, upload_kbps, burst_down_rate_kbps,
            burst_down_threshold_kbps, burst_down_time_secs, burst_up_rate_kbps,
            burst_up_threshold_kbps, burst_up_time_secs, quota_mb, quota_action,
            quota_throttle_kbps, price, billing_mode, cycle, installation_fee, loyalty_months,
            early_termination_fee, tax_category, technology, suspended_behavior, active, public,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20, $21, $22, $23, $24, $25, $25)
         RETURNING id",
    )
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.download_kbps)
    .bind(p.upload_kbps)
    .bind(p.burst_down_rate_kbps)
    .bind(p.burst_down_threshold_kbps)
    .bind(p.burst_down_time_secs)
    .bind(p.burst_up_rate_kbps)
    .bind(p.burst_up_threshold_kbps)
    .bind(p.burst_up_time_secs)
    .bind(p.quota_mb)
    .bind(&p.quota_action)
    .bind(p.quota_throttle_kbps)
    .bind(p.price)
    .bind(&p.billing_mode)
    .bind(&p.cycle)
    .bind(p.installation_fee)
    .bind(p.loyalty_months)
    .bind(p.early_termination_fee)
    .bind(&p.tax_category)
    .bind(&p.technology)
    .bind(&p.suspended_behavior)
    .bind(p.active)
    .bind(p.public)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("plan name"))
}

/// Rewrites plan `id` from `p` (its id and created_at are ignored).
pub async fn update(conn: &mut AnyConnection, id: i64, p: &Plan, at: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE plans SET name = $1, description = $2, download_kbps = $3, upload_kbps = $4,
            burst_down_rate_kbps = $5, burst_down_threshold_kbps = $6, burst_down_time_secs = $7,
            burst_up_rate_kbps = $8, burst_up_threshold_kbps = $9, burst_up_time_secs = $10,
            quota_mb = $11, quota_action = $12, quota_throttle_kbps = $13, price = $14,
            billing_mode = $15, cycle = $16, installation_fee = $17, loyalty_months = $18,
            early_termination_fee = $19, tax_category = $20, technology = $21,
            suspended_behavior = $22, active = $23, public = $24, updated_at = $25
         WHERE id = $26",
    )
    .bind(&p.name)
    .bind(&p.description)
    .bind(p.download_kbps)
    .bind(p.upload_kbps)
    .bind(p.burst_down_rate_kbps)
    .bind(p.burst_down_threshold_kbps)
    .bind(p.burst_down_time_secs)
    .bind(p.burst_up_rate_kbps)
    .bind(p.burst_up_threshold_kbps)
    .bind(p.burst_up_time_secs)
    .bind(p.quota_mb)
    .bind(&p.quota_action)
    .bind(p.quota_throttle_kbps)
    .bind(p.price)
    .bind(&p.billing_mode)
    .bind(&p.cycle)
    .bind(p.installation_fee)
    .bind(p.loyalty_months)
    .bind(p.early_termination_fee)
    .bind(&p.tax_category)
    .bind(&p.technology)
    .bind(&p.suspended_behavior)
    .bind(p.active)
    .bind(p.public)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("plan name"))?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Plan> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plans WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// Plans ordered by name; only active ones unless `include_retired`, only
/// public ones if `public_only`.
pub async fn list(
    conn: &mut AnyConnection,
    include_retired: bool,
    public_only: bool,
) -> Result<Vec<Plan>> {
    let mut conds = Vec::new();
    if !include_retired {
        conds.push("active = $1");
    }
    if public_only {
        conds.push("public = $1");
    }
    let sql = if conds.is_empty() {
        format!("SELECT {COLUMNS} FROM plans ORDER BY name, id")
    } else {
        format!(
            "SELECT {COLUMNS} FROM plans WHERE {} ORDER BY name, id",
            conds.join(" AND ")
        )
    };
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    let q = if conds.is_empty() { q } else { q.bind(true) };
    Ok(q.fetch_all(conn).await?)
}

/// A non-internet recurring service.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ServiceItem {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub cycle: String,
    pub tax_category: String,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const ITEM_COLUMNS: &str =
    "id, name, description, price, cycle, tax_category, active, created_at, updated_at";

pub async fn insert_item(conn: &mut AnyConnection, i: &ServiceItem, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO service_items (name, description, price, cycle, tax_category, active,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&i.name)
    .bind(&i.description)
    .bind(i.price)
    .bind(&i.cycle)
    .bind(&i.tax_category)
    .bind(i.active)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("service item name"))
}

pub async fn update_item(
    conn: &mut AnyConnection,
    id: i64,
    i: &ServiceItem,
    at: i64,
) -> Result<()> {
    let r = sqlx::query(
        "UPDATE service_items SET name = $1, description = $2, price = $3, cycle = $4,
            tax_category = $5, active = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&i.name)
    .bind(&i.description)
    .bind(i.price)
    .bind(&i.cycle)
    .bind(&i.tax_category)
    .bind(i.active)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("service item name"))?;
    if r.rows_affected() == 0 {
        Err(Error::NotFound)
    } else {
        Ok(())
    }
}

pub async fn get_item(conn: &mut AnyConnection, id: i64) -> Result<ServiceItem> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM service_items WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn list_items(
    conn: &mut AnyConnection,
    include_retired: bool,
) -> Result<Vec<ServiceItem>> {
    let sql = if include_retired {
        format!("SELECT {ITEM_COLUMNS} FROM service_items ORDER BY name, id")
    } else {
        format!("SELECT {ITEM_COLUMNS} FROM service_items WHERE active = $1 ORDER BY name, id")
    };
    let q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    let q = if include_retired { q } else { q.bind(true) };
    Ok(q.fetch_all(conn).await?)
}
