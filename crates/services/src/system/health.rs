//! System health: each node's CPU, memory, disk and process memory, sent as
//! a heartbeat every [`HEARTBEAT_INTERVAL`], and the dashboard's view of all
//! nodes plus database size and job queue state.
//!
//! Figures come from `/proc` and `statvfs` (Linux); elsewhere they read 0.

use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::Permission;
use store::system::jobs::Status;
use store::system::nodes::{Listed, Node};

use crate::system::jobs::Background;
use crate::{Caller, Result, Services};

pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(15);

/// Who this node is.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub node_id: String,
    pub hostname: String,
    /// Comma-separated roles.
    pub roles: String,
    pub version: String,
    pub started_at: i64,
}

impl NodeInfo {
    /// This machine's identity; `instance` tells apart several nodes on one
    /// host (e.g. the HTTP address), giving `hostname/instance`.
    pub fn detect(roles: &str, version: &str, instance: &str) -> NodeInfo {
        let hostname = hostname();
        NodeInfo {
            node_id: if instance.is_empty() {
                hostname.clone()
            } else {
                format!("{hostname}/{instance}")
            },
            hostname,
            roles: roles.to_owned(),
            version: version.to_owned(),
            started_at: store::now(),
        }
    }
}

pub fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// One reading of the machine.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Sample {
    pub cpu_percent: f64,
    pub mem_used: i64,
    pub mem_total: i64,
    pub disk_used: i64,
    pub disk_total: i64,
    pub rss: i64,
}

/// Takes readings; CPU use is measured between consecutive readings.
#[derive(Debug)]
pub struct Sampler {
    disk_path: PathBuf,
    last_cpu: Option<CpuTimes>,
}

#[derive(Debug, Clone, Copy)]
struct CpuTimes {
    busy: u64,
    total: u64,
}

impl Sampler {
    pub fn new(disk_path: &Path) -> Sampler {
        Sampler {
            disk_path: disk_path.to_owned(),
            last_cpu: read_cpu(),
        }
    }

    pub fn sample(&mut self) -> Sample {
        let cpu = read_cpu();
        let cpu_percent = match (self.last_cpu, cpu) {
            (Some(a), Some(b)) if b.total > a.total => {
                let busy = b.busy.saturating_sub(a.busy) as f64;
                let total = (b.total - a.total) as f64;
                (busy / total * 100.0).clamp(0.0, 100.0)
            }
            _ => 0.0,
        };
        if cpu.is_some() {
            self.last_cpu = cpu;
        }
        let (mem_used, mem_total) = read_memory().unwrap_or((0, 0));
        let (disk_used, disk_total) = read_disk(&self.disk_path).unwrap_or((0, 0));
        Sample {
            cpu_percent: (cpu_percent * 10.0).round() / 10.0,
            mem_used,
            mem_total,
            disk_used,
            disk_total,
            rss: read_rss().unwrap_or(0),
        }
    }
}

/// `/proc/stat`'s first line: user nice system idle iowait irq softirq steal …
fn read_cpu() -> Option<CpuTimes> {
    parse_cpu(&std::fs::read_to_string("/proc/stat").ok()?)
}

fn parse_cpu(stat: &str) -> Option<CpuTimes> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|n| n.parse().ok())
        .collect();
    if v.len() < 4 {
        return None;
    }
    let total: u64 = v.iter().sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some(CpuTimes {
        busy: total - idle,
        total,
    })
}

/// (used, total) bytes: total minus available.
fn read_memory() -> Option<(i64, i64)> {
    parse_meminfo(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

fn parse_meminfo(s: &str) -> Option<(i64, i64)> {
    let field = |name: &str| -> Option<i64> {
        s.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<i64>()
                    .ok()
            })
            .map(|kb| kb * 1024)
    };
    let total = field("MemTotal:")?;
    let available = field("MemAvailable:").or_else(|| field("MemFree:"))?;
    Some(((total - available).max(0), total))
}

/// Resident memory of this process, bytes.
fn read_rss() -> Option<i64> {
    parse_rss(&std::fs::read_to_string("/proc/self/status").ok()?)
}

fn parse_rss(s: &str) -> Option<i64> {
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<i64>()
                .ok()
        })
        .map(|kb| kb * 1024)
}

/// (used, total) bytes of the file system holding `path`.
fn read_disk(path: &Path) -> Option<(i64, i64)> {
    let st = rustix::fs::statvfs(path).ok()?;
    let frsize = st.f_frsize;
    let total = st.f_blocks.saturating_mul(frsize);
    let free = st.f_bfree.saturating_mul(frsize);
    Some((
        i64::try_from(total.saturating_sub(free)).unwrap_or(i64::MAX),
        i64::try_from(total).unwrap_or(i64::MAX),
    ))
}

/// Records one heartbeat for `info` with `sample`.
pub async fn beat(svc: &Services, info: &NodeInfo, sample: &Sample) -> Result<()> {
    let node = Node {
        node_id: info.node_id.clone(),
        hostname: info.hostname.clone(),
        roles: info.roles.clone(),
        version: info.version.clone(),
        started_at: info.started_at,
        heartbeat_at: 0,
        cpu_percent: sample.cpu_percent,
        mem_used: sample.mem_used,
        mem_total: sample.mem_total,
        disk_used: sample.disk_used,
        disk_total: sample.disk_total,
        rss: sample.rss,
    };
    let mut tx = svc.db.begin().await?;
    store::system::nodes::heartbeat(&mut tx, &node, store::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Starts the heartbeat loop (every node, whatever its roles). On stop the
/// node's row is removed, so a clean shutdown does not linger as stale.
pub fn start_heartbeat(svc: &Services, info: NodeInfo) -> Background {
    let mut bg = Background::new();
    let mut stop = bg.stop_signal();
    let svc = svc.clone();
    bg.push(tokio::spawn(async move {
        let mut sampler = Sampler::new(&svc.data_dir);
        loop {
            let sample = sampler.sample();
            if let Err(e) = beat(&svc, &info, &sample).await {
                tracing::warn!(error = %e, "node heartbeat failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(HEARTBEAT_INTERVAL) => {}
                _ = stop.changed() => break,
            }
        }
        if let Ok(mut tx) = svc.db.begin().await
            && store::system::nodes::remove(&mut tx, &info.node_id)
                .await
                .is_ok()
        {
            let _ = tx.commit().await;
        }
    }));
    bg
}

/// The dashboard's system health panel.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DashboardHealth {
    pub nodes: Vec<Listed>,
    pub database_engine: &'static str,
    pub database_bytes: i64,
    /// Seconds the oldest due job has waited.
    pub queue_lag_secs: i64,
    pub jobs: Vec<(Status, i64)>,
}

/// Everything the dashboard shows, read at most every 2 s per node: the
/// page is the one every staff member opens all day, and its counts do not
/// need to be fresher than that.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub overview: crate::staff::Overview,
    pub health: DashboardHealth,
}

/// The dashboard (`dashboard.view`).
pub async fn dashboard(svc: &Services, caller: &Caller) -> Result<std::sync::Arc<Dashboard>> {
    caller.require(Permission::DashboardView)?;
    svc.caches
        .dashboard
        .get_or_load(|| async {
            Ok(Dashboard {
                overview: crate::staff::overview(svc).await?,
                health: health(svc).await?,
            })
        })
        .await
}

/// The dashboard's system health panel, read now (`dashboard.view`).
pub async fn dashboard_health(svc: &Services, caller: &Caller) -> Result<DashboardHealth> {
    caller.require(Permission::DashboardView)?;
    health(svc).await
}

async fn health(svc: &Services) -> Result<DashboardHealth> {
    let now = store::now();
    let mut c = svc.db.conn().await?;
    let nodes = store::system::nodes::list(&mut c, now).await?;
    let queue_lag_secs = store::system::jobs::queue_lag(&mut c, now).await?;
    let jobs = store::system::jobs::counts(&mut c).await?;
    drop(c);
    Ok(DashboardHealth {
        nodes,
        database_engine: match svc.db.engine() {
            store::Engine::Sqlite => "SQLite",
            store::Engine::Postgres => "PostgreSQL",
        },
        database_bytes: svc.db.size_bytes().await?,
        queue_lag_secs,
        jobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n";
        let t = parse_cpu(stat).expect("cpu");
        assert_eq!((t.busy, t.total), (200, 1000));
        let mem = "MemTotal:       2000 kB\nMemFree:         100 kB\nMemAvailable:    500 kB\n";
        assert_eq!(parse_meminfo(mem), Some((1500 * 1024, 2000 * 1024)));
        assert_eq!(
            parse_rss("Name:\tx\nVmRSS:\t   12345 kB\n"),
            Some(12345 * 1024)
        );
    }

    #[test]
    fn samples_this_machine() {
        let mut s = Sampler::new(Path::new("/"));
        let a = s.sample();
        if cfg!(target_os = "linux") {
            assert!(a.mem_total > 0 && a.disk_total > 0 && a.rss > 0, "{a:?}");
        }
    }
}
