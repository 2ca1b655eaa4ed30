//! Node heartbeats: each running process says who it is and how its machine
//! is doing, for the dashboard's health panel.

use sqlx::AnyConnection;

use crate::Result;

/// A node not heard from for this long is shown as stale.
pub const STALE_AFTER_SECS: i64 = 60;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct Node {
    pub node_id: String,
    pub hostname: String,
    /// Comma-separated roles (`web`, `radius`, `worker`).
    pub roles: String,
    pub version: String,
    pub started_at: i64,
    pub heartbeat_at: i64,
    pub cpu_percent: f64,
    pub mem_used: i64,
    pub mem_total: i64,
    pub disk_used: i64,
    pub disk_total: i64,
    /// Resident memory of the Lastmile process, bytes.
    pub rss: i64,
}

/// A node as listed, with whether its heartbeat is overdue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub node: Node,
    pub stale: bool,
}

/// Inserts or refreshes the node's row (`heartbeat_at` = `now`).
pub async fn heartbeat(conn: &mut AnyConnection, n: &Node, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO nodes (node_id, hostname, roles, version, started_at, heartbeat_at,
            cpu_percent, mem_used, mem_total, disk_used, disk_total, rss)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (node_id) DO UPDATE SET
            hostname = excluded.hostname, roles = excluded.roles, version = excluded.version,
            started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
            cpu_percent = excluded.cpu_percent, mem_used = excluded.mem_used,
            mem_total = excluded.mem_total, disk_used = excluded.disk_used,
            disk_total = excluded.disk_total, rss = excluded.rss",
    )
    .bind(&n.node_id)
    .bind(&n.hostname)
    .bind(&n.roles)
    .bind(&n.version)
    .bind(n.started_at)
    .bind(now)
    .bind(n.cpu_percent)
    .bind(n.mem_used)
    .bind(n.mem_total)
    .bind(n.disk_used)
    .bind(n.disk_total)
    .bind(n.rss)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every node, most recently heard from first.
pub async fn list(conn: &mut AnyConnection, now: i64) -> Result<Vec<Listed>> {
    let rows: Vec<Node> = sqlx::query_as(
        "SELECT node_id, hostname, roles, version, started_at, heartbeat_at, cpu_percent,
                mem_used, mem_total, disk_used, disk_total, rss
         FROM nodes ORDER BY heartbeat_at DESC, node_id",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|node| Listed {
            stale: now - node.heartbeat_at > STALE_AFTER_SECS,
            node,
        })
        .collect())
}

/// Removes a node's row (on clean shutdown).
pub async fn remove(conn: &mut AnyConnection, node_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM nodes WHERE node_id = $1")
        .bind(node_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets nodes not heard from since `before`.
pub async fn purge(conn: &mut AnyConnection, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM nodes WHERE heartbeat_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}
