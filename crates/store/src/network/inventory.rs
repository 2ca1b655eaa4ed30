//! Sites, devices and links.

use sqlx::AnyConnection;

use super::like;
use crate::params::Params;
use crate::{Error, Result};

/// A site as stored (kind and status as their text; see `domain::network`).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Site {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const SITE_COLUMNS: &str =
    "id, name, kind, status, address, latitude, longitude, notes, created_at, updated_at";

/// Filters for a list: a name fragment, a kind or role, a status, a site;
/// keyset paging by id, newest first.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub q: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub site_id: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
}

fn page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    (rows, more)
}

pub async fn insert_site(conn: &mut AnyConnection, s: &Site, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO network_sites (name, kind, status, address, latitude, longitude, notes,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&s.name)
    .bind(&s.kind)
    .bind(&s.status)
    .bind(&s.address)
    .bind(s.latitude)
    .bind(s.longitude)
    .bind(&s.notes)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("name"))
}

pub async fn update_site(conn: &mut AnyConnection, id: i64, s: &Site, at: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE network_sites SET name = $1, kind = $2, status = $3, address = $4,
            latitude = $5, longitude = $6, notes = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(&s.name)
    .bind(&s.kind)
    .bind(&s.status)
    .bind(&s.address)
    .bind(s.latitude)
    .bind(s.longitude)
    .bind(&s.notes)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("name"))?;
    found(r.rows_affected())
}

fn found(n: u64) -> Result<()> {
    if n == 0 { Err(Error::NotFound) } else { Ok(()) }
}

pub async fn get_site(conn: &mut AnyConnection, id: i64) -> Result<Site> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SITE_COLUMNS} FROM network_sites WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

pub async fn list_sites(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Site>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let n = p.add(like(q));
        conds.push(format!("(LOWER(name) LIKE {n} OR LOWER(address) LIKE {n})"));
    }
    if let Some(k) = &f.kind {
        conds.push(format!("kind = {}", p.add(k.as_str())));
    }
    if let Some(s) = &f.status {
        conds.push(format!("status = {}", p.add(s.as_str())));
    }
    if let Some(b) = f.before {
        conds.push(format!("id < {}", p.add(b)));
    }
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "SELECT {SITE_COLUMNS} FROM network_sites WHERE {} ORDER BY id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    let rows = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    Ok(page(rows, f.limit))
}

/// Every site's id and name, by name (for choices in forms).
pub async fn site_names(conn: &mut AnyConnection) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, name FROM network_sites ORDER BY name")
            .fetch_all(conn)
            .await?,
    )
}

/// What still points at a site (devices, links, prefixes): a site in use
/// is not deleted.
pub async fn site_uses(conn: &mut AnyConnection, id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM network_devices WHERE site_id = $1)
              + (SELECT COUNT(*) FROM network_links WHERE a_site_id = $1 OR b_site_id = $1)
              + (SELECT COUNT(*) FROM ip_prefixes WHERE site_id = $1)",
    )
    .bind(id)
    .fetch_one(conn)
    .await?)
}

pub async fn delete_site(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let r = sqlx::query("DELETE FROM network_sites WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    found(r.rows_affected())
}

/// A device as stored; `secret` is the encrypted password (or empty).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Device {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub status: String,
    pub vendor: String,
    pub model: String,
    pub serial: String,
    pub mac: String,
    pub firmware: String,
    pub mgmt_address: String,
    pub username: String,
    #[serde(skip)]
    pub secret: String,
    pub site_id: Option<i64>,
    pub uplink_id: Option<i64>,
    pub nas_id: Option<i64>,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The site's name (read with the row).
    pub site_name: Option<String>,
}

const DEVICE_COLUMNS: &str = "d.id, d.name, d.role, d.status, d.vendor, d.model, d.serial, d.mac, \
    d.firmware, d.mgmt_address, d.username, d.secret, d.site_id, d.uplink_id, d.nas_id, d.notes, \
    d.created_at, d.updated_at, s.name AS site_name";

const DEVICE_FROM: &str = "network_devices d LEFT JOIN network_sites s ON s.id = d.site_id";

pub async fn insert_device(conn: &mut AnyConnection, d: &Device, at: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO network_devices (name, role, status, vendor, model, serial, mac, firmware,
            mgmt_address, username, secret, site_id, uplink_id, nas_id, notes, created_at,
            updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
         RETURNING id",
    )
    .bind(&d.name)
    .bind(&d.role)
    .bind(&d.status)
    .bind(&d.vendor)
    .bind(&d.model)
    .bind(&d.serial)
    .bind(&d.mac)
    .bind(&d.firmware)
    .bind(&d.mgmt_address)
    .bind(&d.username)
    .bind(&d.secret)
    .bind(d.site_id)
    .bind(d.uplink_id)
    .bind(d.nas_id)
    .bind(&d.notes)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(crate::conflict("name"))
}

/// Rewrites every column but the id, the NAS link and the instants.
pub async fn update_device(conn: &mut AnyConnection, id: i64, d: &Device, at: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE network_devices SET name = $1, role = $2, status = $3, vendor = $4, model = $5,
            serial = $6, mac = $7, firmware = $8, mgmt_address = $9, username = $10,
            secret = $11, site_id = $12, uplink_id = $13, notes = $14, updated_at = $15
         WHERE id = $16",
    )
    .bind(&d.name)
    .bind(&d.role)
    .bind(&d.status)
    .bind(&d.vendor)
    .bind(&d.model)
    .bind(&d.serial)
    .bind(&d.mac)
    .bind(&d.firmware)
    .bind(&d.mgmt_address)
    .bind(&d.username)
    .bind(&d.secret)
    .bind(d.site_id)
    .bind(d.uplink_id)
    .bind(&d.notes)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await
    .map_err(crate::conflict("name"))?;
    found(r.rows_affected())
}

pub async fn get_device(conn: &mut AnyConnection, id: i64) -> Result<Device> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLUMNS} FROM {DEVICE_FROM} WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// The device that stands for NAS `nas_id`, if any.
pub async fn device_for_nas(conn: &mut AnyConnection, nas_id: i64) -> Result<Option<Device>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DEVICE_COLUMNS} FROM {DEVICE_FROM} WHERE d.nas_id = $1"
    )))
    .bind(nas_id)
    .fetch_optional(conn)
    .await?)
}

/// Devices by filter (`kind` filters the role).
pub async fn list_devices(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Device>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let n = p.add(like(q));
        conds.push(format!(
            "(LOWER(d.name) LIKE {n} OR LOWER(d.mgmt_address) LIKE {n} OR LOWER(d.serial) LIKE {n} \
             OR LOWER(d.mac) LIKE {n} OR LOWER(d.model) LIKE {n})"
        ));
    }
    if let Some(k) = &f.kind {
        conds.push(format!("d.role = {}", p.add(k.as_str())));
    }
    if let Some(s) = &f.status {
        conds.push(format!("d.status = {}", p.add(s.as_str())));
    }
    if let Some(s) = f.site_id {
        conds.push(format!("d.site_id = {}", p.add(s)));
    }
    if let Some(b) = f.before {
        conds.push(format!("d.id < {}", p.add(b)));
    }
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "SELECT {DEVICE_COLUMNS} FROM {DEVICE_FROM} WHERE {} ORDER BY d.id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    let rows = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    Ok(page(rows, f.limit))
}

/// Every device's id and name, by name.
pub async fn device_names(conn: &mut AnyConnection) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, name FROM network_devices ORDER BY name")
            .fetch_all(conn)
            .await?,
    )
}

/// The uplink chain above device `id` (its uplink, the uplink's…), up to
/// `max` steps: a device may not become its own uplink's uplink.
pub async fn uplink_chain(conn: &mut AnyConnection, id: i64, max: usize) -> Result<Vec<i64>> {
    let mut chain = Vec::new();
    let mut at = id;
    while chain.len() < max {
        let up: Option<Option<i64>> =
            sqlx::query_scalar("SELECT uplink_id FROM network_devices WHERE id = $1")
                .bind(at)
                .fetch_optional(&mut *conn)
                .await?;
        match up.flatten() {
            Some(u) if !chain.contains(&u) => {
                chain.push(u);
                at = u;
            }
            _ => break,
        }
    }
    Ok(chain)
}

/// What still points at a device (devices using it as uplink, links).
pub async fn device_uses(conn: &mut AnyConnection, id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM network_devices WHERE uplink_id = $1)
              + (SELECT COUNT(*) FROM network_links WHERE a_device_id = $1 OR b_device_id = $1)",
    )
    .bind(id)
    .fetch_one(conn)
    .await?)
}

pub async fn delete_device(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let r = sqlx::query("DELETE FROM network_devices WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    found(r.rows_affected())
}

/// A link as stored, with its ends' names.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Link {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub a_site_id: Option<i64>,
    pub a_device_id: Option<i64>,
    pub b_site_id: Option<i64>,
    pub b_device_id: Option<i64>,
    pub capacity_mbps: i64,
    pub path: String,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub a_name: Option<String>,
    pub b_name: Option<String>,
}

const LINK_COLUMNS: &str = "l.id, l.name, l.kind, l.status, l.a_site_id, l.a_device_id, \
    l.b_site_id, l.b_device_id, l.capacity_mbps, l.path, l.notes, l.created_at, l.updated_at, \
    COALESCE(ad.name, asite.name) AS a_name, COALESCE(bd.name, bsite.name) AS b_name";

const LINK_FROM: &str = "network_links l
    LEFT JOIN network_sites asite ON asite.id = l.a_site_id
    LEFT JOIN network_devices ad ON ad.id = l.a_device_id
    LEFT JOIN network_sites bsite ON bsite.id = l.b_site_id
    LEFT JOIN network_devices bd ON bd.id = l.b_device_id";

pub async fn insert_link(conn: &mut AnyConnection, l: &Link, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO network_links (name, kind, status, a_site_id, a_device_id, b_site_id,
            b_device_id, capacity_mbps, path, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(&l.name)
    .bind(&l.kind)
    .bind(&l.status)
    .bind(l.a_site_id)
    .bind(l.a_device_id)
    .bind(l.b_site_id)
    .bind(l.b_device_id)
    .bind(l.capacity_mbps)
    .bind(&l.path)
    .bind(&l.notes)
    .bind(at)
    .fetch_one(conn)
    .await?)
}

pub async fn update_link(conn: &mut AnyConnection, id: i64, l: &Link, at: i64) -> Result<()> {
    let r = sqlx::query(
        "UPDATE network_links SET name = $1, kind = $2, status = $3, a_site_id = $4,
            a_device_id = $5, b_site_id = $6, b_device_id = $7, capacity_mbps = $8, path = $9,
            notes = $10, updated_at = $11 WHERE id = $12",
    )
    .bind(&l.name)
    .bind(&l.kind)
    .bind(&l.status)
    .bind(l.a_site_id)
    .bind(l.a_device_id)
    .bind(l.b_site_id)
    .bind(l.b_device_id)
    .bind(l.capacity_mbps)
    .bind(&l.path)
    .bind(&l.notes)
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    found(r.rows_affected())
}

pub async fn get_link(conn: &mut AnyConnection, id: i64) -> Result<Link> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LINK_COLUMNS} FROM {LINK_FROM} WHERE l.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// Links by filter (`kind`, `status`; `site_id` matches either end).
pub async fn list_links(conn: &mut AnyConnection, f: &Filter) -> Result<(Vec<Link>, bool)> {
    let mut p = Params::default();
    let mut conds = vec!["1 = 1".to_owned()];
    if let Some(q) = f.q.as_deref().filter(|q| !q.trim().is_empty()) {
        conds.push(format!("LOWER(l.name) LIKE {}", p.add(like(q))));
    }
    if let Some(k) = &f.kind {
        conds.push(format!("l.kind = {}", p.add(k.as_str())));
    }
    if let Some(s) = &f.status {
        conds.push(format!("l.status = {}", p.add(s.as_str())));
    }
    if let Some(s) = f.site_id {
        let n = p.add(s);
        conds.push(format!("(l.a_site_id = {n} OR l.b_site_id = {n})"));
    }
    if let Some(b) = f.before {
        conds.push(format!("l.id < {}", p.add(b)));
    }
    let lim = p.add(f.limit + 1);
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM {LINK_FROM} WHERE {} ORDER BY l.id DESC LIMIT {lim}",
        conds.join(" AND ")
    );
    let rows = p
        .bind_as(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?;
    Ok(page(rows, f.limit))
}

pub async fn delete_link(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let r = sqlx::query("DELETE FROM network_links WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    found(r.rows_affected())
}

/// Links device `name` (one with no NAS yet) to NAS `nas_id`.
pub async fn link_nas_by_name(conn: &mut AnyConnection, name: &str, nas_id: i64) -> Result<()> {
    sqlx::query("UPDATE network_devices SET nas_id = $1 WHERE name = $2 AND nas_id IS NULL")
        .bind(nas_id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}
