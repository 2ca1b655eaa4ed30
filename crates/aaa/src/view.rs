//! The in-memory subscriber view the auth path reads: contracts by login
//! (with clear-text passwords and precomputed NT hashes), plans, usage this
//! cycle, open-session counts, and the RADIUS settings.
//!
//! Reads are lock-free: logins are spread over [`SHARDS`] `ArcSwap`ped maps,
//! so a reader does one atomic load and a hash lookup. A writer (only the
//! change feed task) copies one shard (about 1/64th of the subscribers),
//! changes it and swaps it in: a change costs microseconds, not a copy of
//! the whole view, and readers never wait. A concurrent map (dashmap) would
//! make readers take shard read-locks on every request; snapshots keep the
//! hot path free of any lock.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use domain::collections::ReducedRate;
use services::Services;
use services::radius::hot::{self, ContractRow, PlanRow};

use crate::metrics::Metrics;
use crate::{Error, Result};

/// Number of shards of the login map.
pub const SHARDS: usize = 64;

/// A contract's status as RADIUS sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Service on.
    Active,
    /// Suspended: rejected or restricted per the plan.
    Suspended,
    /// Ended.
    Canceled,
    /// Not installed yet.
    Pending,
}

impl Status {
    fn parse(s: &str) -> Status {
        match s {
            "active" => Status::Active,
            "suspended" => Status::Suspended,
            "canceled" => Status::Canceled,
            _ => Status::Pending,
        }
    }
}

/// One subscriber (contract) as the auth path needs it.
#[derive(Debug)]
pub struct Sub {
    /// contracts.id
    pub contract_id: i64,
    /// PPPoE / hotspot login.
    pub login: Box<str>,
    /// Clear text (PAP, CHAP and MS-CHAPv1 need it).
    pub password: Box<str>,
    /// MD4 of the UTF-16LE password (MS-CHAP), computed once at load.
    pub nt_hash: [u8; 16],
    /// Contract status.
    pub status: Status,
    /// plans.id
    pub plan_id: i64,
    /// Bound MAC (Calling-Station-Id must match when set).
    pub mac: Option<[u8; 6]>,
    /// Static IPv4.
    pub ipv4: Option<Ipv4Addr>,
    /// Static IPv6 prefix (`/64` is Framed-IPv6-Prefix, shorter ones are
    /// delegated with Delegated-IPv6-Prefix).
    pub ipv6: Option<(Ipv6Addr, u8)>,
    /// Day of the month the billing cycle starts (usage per cycle).
    pub billing_day: u8,
    /// Speed reduced by collections (an overdue debt): the rate instead of
    /// the plan's.
    pub reduced: Option<ReducedRate>,
}

/// Burst settings of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    /// Burst rate, kbit/s.
    pub rate: i64,
    /// Average rate under which a burst may start, kbit/s.
    pub threshold: i64,
    /// Averaging window, seconds.
    pub time: i64,
}

/// What a plan does once its quota is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaAction {
    /// Rate-limit to this many kbit/s (both directions).
    Throttle(i64),
    /// Reject new sessions.
    Block,
}

/// A plan as replies need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// plans.id
    pub id: i64,
    /// Download (to the subscriber), kbit/s.
    pub down_kbps: i64,
    /// Upload, kbit/s.
    pub up_kbps: i64,
    /// Download burst.
    pub burst_down: Option<Burst>,
    /// Upload burst.
    pub burst_up: Option<Burst>,
    /// Quota per cycle in bytes, and what happens past it.
    pub quota: Option<(u64, QuotaAction)>,
    /// Suspended contracts get the restricted profile (else Access-Reject).
    pub suspended_restricted: bool,
    /// Mikrotik-Rate-Limit, spelled once here rather than per request.
    pub mikrotik_rate: String,
}

/// The RADIUS settings (domain::system::settings `radius.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Session-Timeout in seconds (0: not sent).
    pub session_timeout: u32,
    /// Acct-Interim-Interval in seconds (0: not sent).
    pub interim_interval: u32,
    /// Sessions without accounting for this many intervals are closed.
    pub stale_after_missed_interims: u32,
    /// Open sessions allowed per contract (0: unlimited).
    pub simultaneous_use: u32,
    /// Address list for the restricted profile (Mikrotik).
    pub restricted_address_list: String,
    /// Pool for the restricted profile.
    pub restricted_pool: String,
    /// Rate of the restricted profile, kbit/s (0: none sent).
    pub restricted_kbps: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_timeout: 0,
            interim_interval: 300,
            stale_after_missed_interims: 3,
            simultaneous_use: 1,
            restricted_address_list: "lastmile-restricted".into(),
            restricted_pool: String::new(),
            restricted_kbps: 512,
        }
    }
}

impl Settings {
    /// Reads the current settings (the 5 s snapshot services keeps).
    pub async fn load(svc: &Services) -> Result<Settings> {
        use domain::system::settings as k;
        let s = services::system::settings::current(svc).await?;
        let u = |key: &str| s.int(key).clamp(0, u32::MAX as i64) as u32;
        Ok(Settings {
            session_timeout: u(k::RADIUS_SESSION_TIMEOUT),
            interim_interval: u(k::RADIUS_INTERIM_INTERVAL),
            stale_after_missed_interims: u(k::RADIUS_STALE_AFTER_MISSED_INTERIMS),
            simultaneous_use: u(k::RADIUS_SIMULTANEOUS_USE),
            restricted_address_list: s.raw(k::RADIUS_RESTRICTED_ADDRESS_LIST).to_owned(),
            restricted_pool: s.raw(k::RADIUS_RESTRICTED_POOL).to_owned(),
            restricted_kbps: s.int(k::RADIUS_RESTRICTED_KBPS),
        })
    }
}

/// A subscriber in a shard, found by its login: the set's key is the
/// `Sub`'s own login (a map would keep a second copy of every login).
#[derive(Clone)]
struct ByLogin(Arc<Sub>);

impl std::hash::Hash for ByLogin {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // As `str` hashes, for `Borrow<str>`.
        (*self.0.login).hash(h);
    }
}

impl PartialEq for ByLogin {
    fn eq(&self, other: &Self) -> bool {
        self.0.login == other.0.login
    }
}

impl Eq for ByLogin {}

impl std::borrow::Borrow<str> for ByLogin {
    fn borrow(&self) -> &str {
        &self.0.login
    }
}

type Shard = std::collections::HashSet<ByLogin>;
/// Per shard: subscribers to set, logins to remove.
type Edits = HashMap<usize, (Vec<Arc<Sub>>, Vec<Arc<Sub>>)>;

/// The whole view. Cheap to share (`Arc<View>`).
pub struct View {
    shards: Vec<ArcSwap<Shard>>,
    hasher: RandomState,
    /// contract id → subscriber, for the updater (a login may change).
    logins: Mutex<HashMap<i64, Arc<Sub>>>,
    /// Plans by id.
    pub plans: ArcSwap<HashMap<i64, Arc<Plan>>>,
    /// Bytes (in + out) used per contract in its current cycle.
    pub usage: ArcSwap<HashMap<i64, u64>>,
    /// Open sessions per contract (fed by accounting, refreshed from the
    /// database for sessions accounted by other nodes).
    pub sessions: Mutex<HashMap<i64, u32>>,
    /// Settings.
    pub settings: ArcSwap<Settings>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View").finish_non_exhaustive()
    }
}

fn burst(r: Option<i64>, t: Option<i64>, s: Option<i64>) -> Option<Burst> {
    Some(Burst {
        rate: r?,
        threshold: t?,
        time: s?,
    })
}

impl Plan {
    fn from_row(p: PlanRow) -> Plan {
        let quota = p.quota_mb.filter(|q| *q > 0).map(|mb| {
            let action = match (p.quota_action.as_deref(), p.quota_throttle_kbps) {
                (Some("throttle"), Some(k)) => QuotaAction::Throttle(k),
                _ => QuotaAction::Block,
            };
            ((mb as u64).saturating_mul(1_000_000), action)
        });
        let burst_down = burst(
            p.burst_down_rate_kbps,
            p.burst_down_threshold_kbps,
            p.burst_down_time_secs,
        );
        let burst_up = burst(
            p.burst_up_rate_kbps,
            p.burst_up_threshold_kbps,
            p.burst_up_time_secs,
        );
        Plan {
            id: p.id,
            down_kbps: p.download_kbps,
            up_kbps: p.upload_kbps,
            burst_down,
            burst_up,
            quota,
            suspended_restricted: p.suspended_behavior == "restricted",
            mikrotik_rate: crate::profile::mikrotik_rate(
                p.upload_kbps,
                p.download_kbps,
                burst_up,
                burst_down,
            ),
        }
    }
}

/// Canonical MAC from any common spelling (`aa:bb:..`, `AA-BB-..`,
/// `aabb.ccdd.eeff`, `AABBCCDDEEFF`); `None` if it is not 12 hex digits.
pub fn parse_mac(s: &[u8]) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut n = 0;
    for &c in s {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b':' | b'-' | b'.' | b' ' => continue,
            _ => return None,
        };
        if n >= 12 {
            return None;
        }
        out[n / 2] = (out[n / 2] << 4) | v;
        n += 1;
    }
    (n == 12).then_some(out)
}

fn parse_v6(s: &str) -> Option<(Ipv6Addr, u8)> {
    let (a, l) = s.split_once('/').unwrap_or((s, "128"));
    Some((a.trim().parse().ok()?, l.trim().parse().ok()?))
}

/// The NT password hash (MD4 of UTF-16LE), through the radius crate.
fn nt_hash(pw: &str) -> [u8; 16] {
    radius::auth::mschap::nt_password_hash(pw)
}

fn build_sub(svc: &Services, r: ContractRow) -> Option<Sub> {
    let password = match svc.secrets.decrypt(&r.pppoe_password) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(contract = r.id, error = %e, "cannot decrypt the PPPoE password; login disabled");
            return None;
        }
    };
    Some(Sub {
        contract_id: r.id,
        nt_hash: nt_hash(&password),
        login: r.pppoe_login.into(),
        password: password.into(),
        status: Status::parse(&r.status),
        plan_id: r.plan_id,
        mac: r.mac.as_deref().and_then(|m| parse_mac(m.as_bytes())),
        ipv4: r.ipv4.as_deref().and_then(|s| s.trim().parse().ok()),
        ipv6: r.ipv6_prefix.as_deref().and_then(parse_v6),
        billing_day: r.billing_day.clamp(1, 28) as u8,
        reduced: reduced_rate(r.reduced_percent, r.reduced_up_kbps, r.reduced_down_kbps),
    })
}

/// The stored reduction's rate: a percentage, else both kbit/s.
fn reduced_rate(percent: Option<i64>, up: Option<i64>, down: Option<i64>) -> Option<ReducedRate> {
    match (percent, up, down) {
        (Some(percent), _, _) => Some(ReducedRate::Percent { percent }),
        (None, Some(up_kbps), Some(down_kbps)) => Some(ReducedRate::Fixed { up_kbps, down_kbps }),
        _ => None,
    }
}

/// Contracts per page read.
const PAGE: usize = 8192;

/// A page of subscribers, each with its shard.
type Built = Vec<(usize, Arc<Sub>)>;

/// Subscribers by contract id.
type ByContract = HashMap<i64, Arc<Sub>>;

/// Every contract as a subscriber. The id range is split between one
/// reader per core, each on a connection of its own reading a page at a
/// time, while the pages already read are decrypted and hashed
/// (XChaCha20-Poly1305 and MD4 per contract) on blocking threads: reading
/// and building overlap and use every core, and at most one page per core
/// waits in memory besides the subscribers built. Pages come back in id
/// order.
async fn load_subs(svc: &Services, hasher: &RandomState) -> Result<Vec<Built>> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 16);
    let range = {
        let mut c = svc.db.conn().await?;
        hot::contract_id_range(&mut c).await?
    };
    let Some((lo, hi)) = range else {
        return Ok(Vec::new());
    };
    let permits = Arc::new(tokio::sync::Semaphore::new(cores));
    // Readers split the ids evenly (ids are dense: a counter); each reads
    // ids in (after, upto].
    let readers = (cores as i64).min(hi.saturating_sub(lo) / PAGE as i64 + 1);
    let step = hi.saturating_sub(lo) / readers + 1;
    let mut tasks = Vec::new();
    for k in 0..readers {
        let after = lo.saturating_sub(1).saturating_add(k * step);
        let upto = if k + 1 == readers {
            hi
        } else {
            after.saturating_add(step)
        };
        let (svc, hasher, permits) = (svc.clone(), hasher.clone(), permits.clone());
        tasks.push(tokio::spawn(async move {
            read_range(&svc, &hasher, permits, after, upto).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        let handles = t.await.map_err(|e| Error::Internal(e.to_string()))??;
        for h in handles {
            out.push(h.await.map_err(|e| Error::Internal(e.to_string()))?);
        }
    }
    Ok(out)
}

/// Reads the contracts with ids in (after, upto] a page at a time, handing
/// each page to a blocking thread to build (once one of `permits` is free).
async fn read_range(
    svc: &Services,
    hasher: &RandomState,
    permits: Arc<tokio::sync::Semaphore>,
    mut after: i64,
    upto: i64,
) -> Result<Vec<tokio::task::JoinHandle<Built>>> {
    let engine = svc.db.engine();
    let mut c = svc.db.conn().await?;
    let mut built = Vec::new();
    loop {
        let page = hot::contracts_page(&mut c, engine, after, upto, PAGE).await?;
        // Past the last row returned, even one left out for not decoding.
        let next = page
            .last_key
            .or(page.rows.last().map(|r| r.id))
            .filter(|k| *k > after);
        let more = page.returned >= PAGE && next.is_some();
        if !page.rows.is_empty() {
            let permit = permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
            let (svc, hasher, rows) = (svc.clone(), hasher.clone(), page.rows);
            built.push(tokio::task::spawn_blocking(move || {
                let _permit = permit;
                rows.into_iter()
                    .filter_map(|r| build_sub(&svc, r))
                    .map(|s| (shard_of(&hasher, &s.login), Arc::new(s)))
                    .collect::<Built>()
            }));
        }
        match next {
            Some(k) if more => after = k,
            _ => return Ok(built),
        }
    }
}

/// The shards and the map by contract, filled on two threads at once (a
/// million inserts each), sized up front so no table grows and copies
/// itself while filled.
fn assemble(pages: Vec<Built>) -> Result<(Vec<Shard>, ByContract)> {
    let total: usize = pages.iter().map(Vec::len).sum();
    std::thread::scope(|scope| {
        let by_contract = scope.spawn(|| {
            let mut logins = HashMap::with_capacity(total);
            for (_, s) in pages.iter().flatten() {
                logins.insert(s.contract_id, s.clone());
            }
            logins
        });
        let mut shards: Vec<Shard> = (0..SHARDS)
            .map(|_| Shard::with_capacity(total / SHARDS + total / (4 * SHARDS) + 16))
            .collect();
        for (i, s) in pages.iter().flatten() {
            shards[*i].insert(ByLogin(s.clone()));
        }
        let logins = by_contract
            .join()
            .map_err(|_| Error::Internal("building the subscriber view failed".into()))?;
        Ok((shards, logins))
    })
}

fn shard_of(hasher: &RandomState, login: &str) -> usize {
    (hasher.hash_one(login) as usize) % SHARDS
}

/// Every plan, by id.
async fn read_plans(svc: &Services) -> Result<HashMap<i64, Arc<Plan>>> {
    let rows = {
        let mut c = svc.db.conn().await?;
        hot::plans(&mut c).await?
    };
    Ok(rows
        .into_iter()
        .map(|r| (r.id, Arc::new(Plan::from_row(r))))
        .collect())
}

/// Today in the installation's zone, and the usage rows of cycles that
/// may be current (the last 31 days).
async fn read_usage(svc: &Services) -> Result<(jiff::civil::Date, Vec<(i64, String, i64, i64)>)> {
    let mut c = svc.db.conn().await?;
    let today = services::crm::today(&mut c).await?;
    let oldest = today
        .checked_sub(jiff::Span::new().days(31))
        .unwrap_or(today)
        .to_string();
    let rows = hot::usage_since(&mut c, svc.db.engine(), &oldest).await?;
    Ok((today, rows))
}

/// Open sessions per contract.
async fn read_sessions(svc: &Services) -> Result<HashMap<i64, u32>> {
    let rows = {
        let mut c = svc.db.conn().await?;
        hot::open_session_counts(&mut c, svc.db.engine()).await?
    };
    Ok(rows
        .into_iter()
        .map(|(k, n)| (k, n.clamp(0, u32::MAX as i64) as u32))
        .collect())
}

impl View {
    /// Loads every contract, plan, usage and open-session count. They are
    /// read at once, each on a pooled connection of its own, and the
    /// contracts are decrypted while they are read (see `load_subs`).
    pub async fn load(svc: &Services, metrics: Arc<Metrics>) -> Result<View> {
        let hasher = RandomState::new();
        let (settings, plans, pages, (today, usage), sessions) = tokio::try_join!(
            Settings::load(svc),
            read_plans(svc),
            load_subs(svc, &hasher),
            read_usage(svc),
            read_sessions(svc),
        )?;
        let (shards, logins) = tokio::task::spawn_blocking(move || assemble(pages))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        metrics.subscribers.store(logins.len() as u64, Relaxed);
        let view = View {
            shards: shards.into_iter().map(ArcSwap::from_pointee).collect(),
            hasher,
            logins: Mutex::new(logins),
            plans: ArcSwap::from_pointee(plans),
            usage: ArcSwap::from_pointee(HashMap::new()),
            sessions: Mutex::new(sessions),
            settings: ArcSwap::from_pointee(settings),
            metrics,
        };
        view.usage.store(Arc::new(view.current_usage(today, usage)));
        Ok(view)
    }

    fn shard_of(&self, login: &str) -> usize {
        shard_of(&self.hasher, login)
    }

    /// The subscriber with this login (the auth path's one lookup).
    pub fn get(&self, login: &str) -> Option<Arc<Sub>> {
        self.shards[self.shard_of(login)]
            .load()
            .get(login)
            .map(|e| e.0.clone())
    }

    /// The subscriber of a contract.
    pub fn by_contract(&self, id: i64) -> Option<Arc<Sub>> {
        self.logins.lock().ok()?.get(&id).cloned()
    }

    /// A plan by id.
    pub fn plan(&self, id: i64) -> Option<Arc<Plan>> {
        self.plans.load().get(&id).cloned()
    }

    /// Open sessions of a contract as far as this node knows.
    pub fn open_sessions(&self, contract: i64) -> u32 {
        self.sessions
            .lock()
            .map(|m| m.get(&contract).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Adds `delta` to a contract's open-session count.
    pub fn count_session(&self, contract: i64, delta: i32) {
        if let Ok(mut m) = self.sessions.lock() {
            let e = m.entry(contract).or_insert(0);
            *e = e.saturating_add_signed(delta);
            if *e == 0 {
                m.remove(&contract);
            }
        }
    }

    /// Re-reads every plan.
    pub async fn reload_plans(&self, svc: &Services) -> Result<()> {
        self.plans.store(Arc::new(read_plans(svc).await?));
        Ok(())
    }

    /// Re-reads these contracts (after a change event) and swaps them in.
    pub async fn reload_contracts(&self, svc: &Services, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let rows = {
            let mut c = svc.db.conn().await?;
            hot::contracts_by_id(&mut c, ids).await?
        };
        let mut subs: HashMap<i64, Option<Sub>> = ids.iter().map(|id| (*id, None)).collect();
        for r in rows {
            let id = r.id;
            subs.insert(id, build_sub(svc, r));
        }
        let mut need_plans = false;
        // Group the edits per shard so each shard is copied once.
        let mut edits: Edits = HashMap::new();
        {
            let Ok(mut logins) = self.logins.lock() else {
                return Err(Error::Internal("subscriber view lock poisoned".into()));
            };
            for (id, sub) in subs {
                if let Some(old) = logins.remove(&id) {
                    edits
                        .entry(self.shard_of(&old.login))
                        .or_default()
                        .1
                        .push(old);
                }
                if let Some(s) = sub {
                    need_plans |= !self.plans.load().contains_key(&s.plan_id);
                    let s = Arc::new(s);
                    logins.insert(id, s.clone());
                    edits.entry(self.shard_of(&s.login)).or_default().0.push(s);
                }
            }
            self.metrics.subscribers.store(logins.len() as u64, Relaxed);
        }
        for (i, list) in edits {
            let mut shard: Shard = (**self.shards[i].load()).clone();
            let (set, removed) = list;
            for old in removed {
                shard.remove(&*old.login);
            }
            for s in set {
                shard.replace(ByLogin(s));
            }
            self.shards[i].store(Arc::new(shard));
        }
        if need_plans {
            self.reload_plans(svc).await?;
        }
        Ok(())
    }

    /// Re-reads usage of the current cycles (other nodes' accounting
    /// included).
    pub async fn reload_usage(&self, svc: &Services) -> Result<()> {
        let (today, rows) = read_usage(svc).await?;
        self.usage.store(Arc::new(self.current_usage(today, rows)));
        Ok(())
    }

    /// Bytes (in + out) per contract in its current cycle, from usage rows;
    /// summed here, saturating: in SQL a sum of two large counters
    /// overflows (PostgreSQL raises for the whole query).
    fn current_usage(
        &self,
        today: jiff::civil::Date,
        rows: Vec<(i64, String, i64, i64)>,
    ) -> HashMap<i64, u64> {
        let mut map = HashMap::new();
        // The current cycle's first day for each billing day, spelled once.
        let cycles: Vec<String> = (0..=28u8)
            .map(|d| cycle_start(today, d).to_string())
            .collect();
        let Ok(logins) = self.logins.lock() else {
            return map;
        };
        for (id, cycle, input, output) in rows {
            let Some(sub) = logins.get(&id) else {
                continue;
            };
            if cycles[usize::from(sub.billing_day.min(28))] == cycle {
                map.insert(
                    id,
                    (input.max(0) as u64).saturating_add(output.max(0) as u64),
                );
            }
        }
        map
    }

    /// Re-counts open sessions per contract from the database.
    pub async fn reload_sessions(&self, svc: &Services) -> Result<()> {
        let rows = read_sessions(svc).await?;
        if let Ok(mut m) = self.sessions.lock() {
            *m = rows;
        }
        Ok(())
    }
}

/// The first day of the billing cycle holding `today` for a contract billed
/// on `day` (1–28).
pub fn cycle_start(today: jiff::civil::Date, day: u8) -> jiff::civil::Date {
    let day = day.clamp(1, 28) as i8;
    if today.day() >= day {
        jiff::civil::date(today.year(), today.month(), day)
    } else {
        let prev = today
            .first_of_month()
            .checked_sub(jiff::Span::new().days(1))
            .unwrap_or(today);
        jiff::civil::date(prev.year(), prev.month(), day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_spellings() {
        let want = Some([0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc]);
        for s in [
            "00:11:22:aa:bb:cc",
            "00-11-22-AA-BB-CC",
            "0011.22aa.bbcc",
            "001122AABBCC",
        ] {
            assert_eq!(parse_mac(s.as_bytes()), want, "{s}");
        }
        for s in [
            "00:11:22:aa:bb",
            "00:11:22:aa:bb:cc:dd",
            "zz:11:22:aa:bb:cc",
            "",
        ] {
            assert_eq!(parse_mac(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn billing_cycles() {
        let d = |y, m, day| jiff::civil::date(y, m, day);
        assert_eq!(cycle_start(d(2026, 3, 15), 10), d(2026, 3, 10));
        assert_eq!(cycle_start(d(2026, 3, 10), 10), d(2026, 3, 10));
        assert_eq!(cycle_start(d(2026, 3, 9), 10), d(2026, 2, 10));
        assert_eq!(cycle_start(d(2026, 1, 5), 28), d(2025, 12, 28));
        assert_eq!(cycle_start(d(2026, 1, 1), 1), d(2026, 1, 1));
    }
}
