//! Export of banned addresses to an nftables set, so the host firewall can
//! drop them before they reach Lastmile (fail2ban-like). The export is a
//! file the operator loads with `nft -f`; Lastmile never changes the
//! firewall itself (it runs without root).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use domain::Permission;
use domain::system::settings as keys;
use store::staff::security::Ban;

use crate::{Caller, Error, Result, Services};

/// Where the export goes, under the data dir.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("nftables").join("lastmile-bans.nft")
}

/// The nftables script for the active address bans at `now`: it creates the
/// table and two timeout sets if missing, empties them, and adds each
/// address with its remaining ban time. Reference the sets from your own
/// rules, e.g. `ip saddr @banned_ipv4 drop`.
pub fn render(bans: &[Ban], now: i64) -> String {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for b in bans
        .iter()
        .filter(|b| b.kind == "ip" && b.lifted_at.is_none() && b.expires_at > now)
    {
        let Ok(addr) = b.subject.parse::<IpAddr>() else {
            continue;
        };
        let entry = format!("{addr} timeout {}s", b.expires_at - now);
        match addr {
            IpAddr::V4(_) => v4.push(entry),
            IpAddr::V6(v6addr) => match v6addr.to_ipv4_mapped() {
                Some(m) => v4.push(format!("{m} timeout {}s", b.expires_at - now)),
                None => v6.push(entry),
            },
        }
    }
    let mut out = String::from(
        "# Addresses banned by Lastmile after repeated failed sign-ins.\n\
         # Generated file: load it with `nft -f` (e.g. from a systemd path unit).\n\
         table inet lastmile {\n\
         \tset banned_ipv4 { type ipv4_addr; flags timeout; }\n\
         \tset banned_ipv6 { type ipv6_addr; flags timeout; }\n\
         }\n\
         flush set inet lastmile banned_ipv4\n\
         flush set inet lastmile banned_ipv6\n",
    );
    for (set, items) in [("banned_ipv4", v4), ("banned_ipv6", v6)] {
        if !items.is_empty() {
            out.push_str(&format!(
                "add element inet lastmile {set} {{ {} }}\n",
                items.join(", ")
            ));
        }
    }
    out
}

/// Writes the export if the setting is on (atomically: readers never see a
/// half-written file); returns where. Does nothing when it is off. The
/// `nftables-export` job's work (`security.manage`).
pub async fn export(svc: &Services, caller: &Caller) -> Result<Option<PathBuf>> {
    caller.require(Permission::SecurityManage)?;
    let settings = crate::system::settings::current(svc).await?;
    if !settings.bool(keys::NFTABLES_EXPORT) {
        return Ok(None);
    }
    let now = store::now();
    let bans = {
        let mut c = svc.db.conn().await?;
        store::staff::security::active_bans(&mut c, now).await?
    };
    let target = path(&svc.data_dir);
    let io = |what: &str, p: &Path, e: std::io::Error| {
        Error::Internal(format!("cannot {what} {}: {e}", p.display()))
    };
    if let Some(dir) = target.parent() {
        store::files::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    }
    let partial = target.with_extension("nft.partial");
    store::files::write(&partial, render(&bans, now).as_bytes())
        .map_err(|e| io("write", &partial, e))?;
    std::fs::rename(&partial, &target).map_err(|e| io("rename", &partial, e))?;
    Ok(Some(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ban(kind: &str, subject: &str, expires_at: i64) -> Ban {
        Ban {
            id: 1,
            kind: kind.into(),
            subject: subject.into(),
            reason: "too many failed logins".into(),
            created_at: 0,
            expires_at,
            lifted_at: None,
            lifted_by: None,
        }
    }

    #[test]
    fn renders_sets_with_remaining_time() {
        let bans = [
            ban("ip", "192.0.2.7", 1_000),
            ban("ip", "2001:db8::9", 1_600),
            ban("ip", "::ffff:198.51.100.3", 1_100),
            ban("account", "ana", 2_000),
            ban("ip", "203.0.113.1", 500),
        ];
        let out = render(&bans, 700);
        assert!(out.contains("add element inet lastmile banned_ipv4 { 192.0.2.7 timeout 300s, 198.51.100.3 timeout 400s }"), "{out}");
        assert!(
            out.contains("add element inet lastmile banned_ipv6 { 2001:db8::9 timeout 900s }"),
            "{out}"
        );
        assert!(!out.contains("ana") && !out.contains("203.0.113.1"));
        // With no bans the sets are still created and emptied.
        let empty = render(&[], 0);
        assert!(
            empty.contains("flush set inet lastmile banned_ipv4") && !empty.contains("add element")
        );
    }
}
