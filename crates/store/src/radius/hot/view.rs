//! What the RADIUS node keeps in memory, read from the database: the
//! subscriber view (contracts, plans, usage this cycle, open sessions per
//! contract), the NAS table, and the notifications that wake its feed.

use sqlx::AnyConnection;

use super::{Arg, Page, select_all, select_page};
use crate::{Db, Engine, Error, Flag, Result};

/// A contract as the subscriber view loads it. Also read from a JSON
/// array in field order (see `select_page`), so the field order is the
/// column order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
pub struct ContractRow {
    /// contracts.id
    pub id: i64,
    /// PPPoE / hotspot login.
    pub pppoe_login: String,
    /// The password, encrypted with the secret box.
    pub pppoe_password: String,
    /// Status name.
    pub status: String,
    /// plans.id
    pub plan_id: i64,
    /// Bound MAC, as entered.
    pub mac: Option<String>,
    /// Static IPv4.
    pub ipv4: Option<String>,
    /// Static IPv6 prefix.
    pub ipv6_prefix: Option<String>,
    /// Day of the month the billing cycle starts.
    pub billing_day: i64,
    /// An open speed reduction (collections): a percentage of the plan's
    /// speeds, or both kbit/s.
    pub reduced_percent: Option<i64>,
    pub reduced_up_kbps: Option<i64>,
    pub reduced_down_kbps: Option<i64>,
}

/// The row's columns by name (over the page's subquery).
const CONTRACT_COLS: &str = "id, pppoe_login, pppoe_password, status, plan_id, mac, ipv4, \
    ipv6_prefix, billing_day, reduced_percent, reduced_up_kbps, reduced_down_kbps";

/// The same columns from `contracts k` and its open speed reduction `r`
/// (at most one per contract: a unique partial index).
const CONTRACT_SELECT: &str = "k.id, k.pppoe_login, k.pppoe_password, k.status, k.plan_id, \
    k.mac, k.ipv4, k.ipv6_prefix, k.billing_day, r.percent AS reduced_percent, \
    r.up_kbps AS reduced_up_kbps, r.down_kbps AS reduced_down_kbps";

const CONTRACT_FROM: &str = "contracts k LEFT JOIN dunning_reductions r \
    ON r.contract_id = k.id AND r.ended_on IS NULL";

/// The lowest and highest contract id (`None` without contracts): a load
/// splits the range between readers.
pub async fn contract_id_range(c: &mut AnyConnection) -> Result<Option<(i64, i64)>> {
    let (lo, hi): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT MIN(id), MAX(id) FROM contracts")
            .fetch_one(c)
            .await?;
    Ok(lo.zip(hi))
}

/// Contracts with ids above `after` and at most `upto`, at most `limit`,
/// by id. A row that does not decode is left out (and logged); the page's
/// `returned` and `last_key` let the caller page on past it.
pub async fn contracts_page(
    c: &mut AnyConnection,
    engine: Engine,
    after: i64,
    upto: i64,
    limit: usize,
) -> Result<Page<ContractRow>> {
    select_page(
        c,
        engine,
        CONTRACT_COLS,
        &format!(
            "FROM (SELECT {CONTRACT_SELECT} FROM {CONTRACT_FROM} WHERE k.id > $1 AND k.id <= $2 ORDER BY k.id LIMIT {limit}) AS t"
        ),
        &[Arg::Int(after), Arg::Int(upto)],
    )
    .await
}

/// These contracts (those that exist), 500 ids per query.
pub async fn contracts_by_id(c: &mut AnyConnection, ids: &[i64]) -> Result<Vec<ContractRow>> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(500) {
        // Ids are integers: inlining them is safe and spares a placeholder
        // per id.
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        let sql = format!(
            "SELECT {CONTRACT_SELECT} FROM {CONTRACT_FROM} WHERE k.id IN ({})",
            list.join(",")
        );
        rows.extend(
            sqlx::query_as::<_, ContractRow>(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *c)
                .await?,
        );
    }
    Ok(rows)
}

/// A plan as RADIUS replies need it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlanRow {
    /// plans.id
    pub id: i64,
    /// kbit/s to the subscriber.
    pub download_kbps: i64,
    /// kbit/s from the subscriber.
    pub upload_kbps: i64,
    /// Download burst rate, kbit/s.
    pub burst_down_rate_kbps: Option<i64>,
    /// Download burst threshold, kbit/s.
    pub burst_down_threshold_kbps: Option<i64>,
    /// Download burst window, seconds.
    pub burst_down_time_secs: Option<i64>,
    /// Upload burst rate, kbit/s.
    pub burst_up_rate_kbps: Option<i64>,
    /// Upload burst threshold, kbit/s.
    pub burst_up_threshold_kbps: Option<i64>,
    /// Upload burst window, seconds.
    pub burst_up_time_secs: Option<i64>,
    /// Quota per cycle, MB.
    pub quota_mb: Option<i64>,
    /// `block` or `throttle`.
    pub quota_action: Option<String>,
    /// The throttled rate, kbit/s.
    pub quota_throttle_kbps: Option<i64>,
    /// `reject` or `restricted`.
    pub suspended_behavior: String,
}

/// Every plan.
pub async fn plans(c: &mut AnyConnection) -> Result<Vec<PlanRow>> {
    Ok(sqlx::query_as(
        "SELECT id, download_kbps, upload_kbps, burst_down_rate_kbps, burst_down_threshold_kbps,
                burst_down_time_secs, burst_up_rate_kbps, burst_up_threshold_kbps, burst_up_time_secs,
                quota_mb, quota_action, quota_throttle_kbps, suspended_behavior
           FROM plans",
    )
    .fetch_all(c)
    .await?)
}

/// Usage rows of cycles starting on or after `oldest` (`YYYY-MM-DD`):
/// (contract, cycle start, input octets, output octets). Not summed in
/// SQL: a sum of two large counters overflows there (PostgreSQL raises for
/// the whole query); rows that do not decode are left out.
pub async fn usage_since(
    c: &mut AnyConnection,
    engine: Engine,
    oldest: &str,
) -> Result<Vec<(i64, String, i64, i64)>> {
    select_all(
        c,
        engine,
        "contract_id, cycle_start, input_octets, output_octets",
        "FROM contract_usage WHERE cycle_start >= $1",
        &[Arg::Text(oldest)],
    )
    .await
}

/// Open sessions per contract: (contract, count).
pub async fn open_session_counts(c: &mut AnyConnection, engine: Engine) -> Result<Vec<(i64, i64)>> {
    select_all(
        c,
        engine,
        "contract_id, n",
        "FROM (SELECT contract_id, COUNT(*) AS n FROM radius_sessions
                WHERE stopped_at IS NULL AND contract_id IS NOT NULL GROUP BY contract_id) AS t",
        &[],
    )
    .await
}

/// An enabled NAS as the RADIUS node needs it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NasRow {
    /// nas.id
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Source address, as stored.
    pub address: String,
    /// Shared secret, encrypted with the secret box.
    pub secret: String,
    /// Vendor kind.
    pub kind: String,
    /// Where CoA / Disconnect requests go.
    pub coa_port: i64,
    /// Always require Message-Authenticator.
    #[sqlx(try_from = "Flag")]
    pub require_message_authenticator: bool,
    /// Has sent a Message-Authenticator before.
    #[sqlx(try_from = "Flag")]
    pub seen_message_authenticator: bool,
}

/// Every enabled NAS.
pub async fn enabled_nas(c: &mut AnyConnection) -> Result<Vec<NasRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, address, secret, kind, coa_port, require_message_authenticator,
                seen_message_authenticator
           FROM nas WHERE disabled = FALSE",
    )
    .fetch_all(c)
    .await?)
}

/// Records that a NAS sent a Message-Authenticator (from then on it is
/// required of it).
pub async fn mark_nas_seen(c: &mut AnyConnection, nas_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE nas SET seen_message_authenticator = TRUE WHERE id = $1 AND seen_message_authenticator = FALSE",
    )
    .bind(nas_id)
    .execute(c)
    .await?;
    Ok(())
}

/// PostgreSQL notifications on the channels migration 0007's triggers
/// `NOTIFY` (`lastmile_events` on a domain event, `lastmile_coa` on a
/// CoA row), on a connection of their own.
pub struct Notifications(sqlx::postgres::PgListener);

impl std::fmt::Debug for Notifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifications").finish_non_exhaustive()
    }
}

impl Notifications {
    /// Listens on `channels` (PostgreSQL only: SQLite has no notifications).
    pub async fn listen(db: &Db, channels: &[&str]) -> Result<Notifications> {
        if db.engine() != Engine::Postgres {
            return Err(Error::Config("notifications need PostgreSQL".to_owned()));
        }
        let mut l = sqlx::postgres::PgListener::connect(db.url()).await?;
        l.listen_all(channels.iter().copied()).await?;
        Ok(Notifications(l))
    }

    /// The channel of the next notification.
    pub async fn recv(&mut self) -> Result<String> {
        Ok(self.0.recv().await?.channel().to_owned())
    }
}
