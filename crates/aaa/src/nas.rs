//! The clients (NAS) the server answers, by source address, with their
//! decrypted secrets. The table is small; it is re-read every few seconds
//! and swapped in whole.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use arc_swap::ArcSwap;
use services::Services;
use services::radius::hot;

use crate::Result;
use crate::profile::Kind;

/// One NAS.
#[derive(Debug)]
pub struct Nas {
    /// nas.id
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Source address.
    pub address: IpAddr,
    /// Shared secret (decrypted).
    pub secret: Vec<u8>,
    /// Vendor profile.
    pub kind: Kind,
    /// Where CoA / Disconnect requests go.
    pub coa_port: u16,
    /// Always require Message-Authenticator in Access-Request.
    pub require_message_authenticator: bool,
    /// Has sent a Message-Authenticator before (then it is required too).
    /// Set here at once, persisted by a background task.
    pub seen_message_authenticator: AtomicBool,
}

impl Nas {
    /// Whether an Access-Request from this NAS must carry a
    /// Message-Authenticator (BlastRADIUS).
    pub fn requires_message_authenticator(&self) -> bool {
        self.require_message_authenticator || self.seen_message_authenticator.load(Relaxed)
    }
}

/// Every enabled NAS by address.
#[derive(Debug, Default)]
pub struct NasTable {
    by_addr: ArcSwap<HashMap<IpAddr, Arc<Nas>>>,
}

impl NasTable {
    /// The NAS sending from `ip`.
    pub fn get(&self, ip: IpAddr) -> Option<Arc<Nas>> {
        // IPv4 clients reaching an IPv6 socket show as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.by_addr.load().get(&ip).cloned()
    }

    /// A NAS by id.
    pub fn by_id(&self, id: i64) -> Option<Arc<Nas>> {
        self.by_addr.load().values().find(|n| n.id == id).cloned()
    }

    /// Re-reads the table. Rows that did not change keep their `Arc` (and
    /// the in-memory "seen Message-Authenticator" flag).
    pub async fn reload(&self, svc: &Services) -> Result<()> {
        let rows = {
            let mut c = svc.db.conn().await?;
            hot::enabled_nas(&mut c).await?
        };
        let old = self.by_addr.load();
        let mut map = HashMap::with_capacity(rows.len());
        for r in rows {
            let Ok(address) = r.address.trim().parse::<IpAddr>() else {
                tracing::warn!(nas = %r.name, address = %r.address, "NAS address does not parse; ignored");
                continue;
            };
            let secret = match svc.secrets.decrypt(&r.secret) {
                Ok(s) => s.into_bytes(),
                Err(e) => {
                    tracing::warn!(nas = %r.name, error = %e, "cannot decrypt the NAS secret; ignored");
                    continue;
                }
            };
            let seen = r.seen_message_authenticator
                || old
                    .get(&address)
                    .is_some_and(|n| n.seen_message_authenticator.load(Relaxed));
            let nas = Nas {
                id: r.id,
                name: r.name,
                address,
                secret,
                kind: Kind::parse(&r.kind),
                coa_port: u16::try_from(r.coa_port).unwrap_or(3799),
                require_message_authenticator: r.require_message_authenticator,
                seen_message_authenticator: AtomicBool::new(seen),
            };
            map.insert(address, Arc::new(nas));
        }
        self.by_addr.store(Arc::new(map));
        Ok(())
    }
}

/// Persists that a NAS sent a Message-Authenticator (once per NAS).
pub async fn mark_seen(svc: &Services, nas_id: i64) -> Result<()> {
    let mut tx = svc.db.begin().await?;
    hot::mark_nas_seen(&mut tx, nas_id).await?;
    tx.commit().await?;
    Ok(())
}
