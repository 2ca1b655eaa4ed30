//! Vendor profiles: how a plan's speeds and the restricted profile are
//! spelled for each kind of NAS.
//!
//! | kind      | speed                                                     | restricted                          |
//! |-----------|-----------------------------------------------------------|-------------------------------------|
//! | mikrotik  | `Mikrotik-Rate-Limit` `up/down [bup/bdown thup/thdown tup/tdown]` (k units; rx = client upload) | `Mikrotik-Address-List`, `Framed-Pool`, restricted rate |
//! | accel-ppp | `Filter-Id` `down/up` in kbit/s (accel-ppp's shaper `attr=Filter-Id`) | `Framed-Pool`, restricted rate |
//! | cisco     | `Cisco-AVPair` `lcp:interface-config=rate-limit input/output …` (bit/s, normal/max burst bytes) | `Cisco-AVPair` `ip:addr-pool=…`, restricted rate |
//! | huawei    | `Huawei-Input/Output-Average-Rate` and `-Peak-Rate` (bit/s) | `Framed-Pool`, restricted rate |
//! | juniper   | `ERX-Service-Activate` `lastmile-rate(down_bps,up_bps)` (a dynamic service the operator defines) | `ERX-Address-Pool-Name`, restricted rate |
//! | generic   | none (standard attributes only)                           | `Framed-Pool`, `Filter-Id` `restricted` |
//!
//! A contract whose speed collections reduced gets the reduced rate in the
//! same spelling as a speed, without burst.

use std::fmt::Write as _;

use radius::{Packet, attr};

use crate::view::{Burst, Plan, Settings, Sub};

/// NAS vendor profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// MikroTik RouterOS.
    Mikrotik,
    /// accel-ppp.
    AccelPpp,
    /// Cisco IOS / IOS-XE.
    Cisco,
    /// Huawei BRAS.
    Huawei,
    /// Juniper / ERX.
    Juniper,
    /// Standard attributes only.
    Generic,
}

impl Kind {
    /// From `nas.kind`; unknown kinds are generic.
    pub fn parse(s: &str) -> Kind {
        match s {
            "mikrotik" => Kind::Mikrotik,
            "accel-ppp" => Kind::AccelPpp,
            "cisco" => Kind::Cisco,
            "huawei" => Kind::Huawei,
            "juniper" => Kind::Juniper,
            _ => Kind::Generic,
        }
    }
}

/// Which speed a reply carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The plan's speeds with burst.
    Normal,
    /// Quota used up: this many kbit/s both ways.
    Throttled(i64),
    /// Speed reduced by collections: (upload, download) kbit/s.
    Reduced(i64, i64),
    /// Suspended: the restricted profile.
    Restricted,
}

/// `10240` kbit/s → `10M`, `1500` → `1500k` (Mikrotik units).
fn mk(out: &mut String, kbps: i64) {
    if kbps % 1000 == 0 && kbps >= 1000 {
        let _ = write!(out, "{}M", kbps / 1000);
    } else {
        let _ = write!(out, "{kbps}k");
    }
}

/// The Mikrotik-Rate-Limit value: `rx/tx` is upload/download as the router
/// sees it; the burst part is added only when both directions have one.
pub fn mikrotik_rate(up: i64, down: i64, bu: Option<Burst>, bd: Option<Burst>) -> String {
    let mut s = String::with_capacity(48);
    mk(&mut s, up);
    s.push('/');
    mk(&mut s, down);
    if let (Some(u), Some(d)) = (bu, bd) {
        s.push(' ');
        mk(&mut s, u.rate);
        s.push('/');
        mk(&mut s, d.rate);
        s.push(' ');
        mk(&mut s, u.threshold);
        s.push('/');
        mk(&mut s, d.threshold);
        let _ = write!(s, " {}/{}", u.time, d.time);
    }
    s
}

fn cisco_rate(dir: &str, kbps: i64) -> String {
    let bps = kbps.saturating_mul(1000);
    // Cisco's recommendation: normal burst = 1.5 s of traffic in bytes,
    // extended burst = twice that.
    let normal = bps / 8 * 3 / 2;
    format!(
        "lcp:interface-config=rate-limit {dir} {bps} {normal} {} conform-action transmit exceed-action drop",
        normal * 2
    )
}

fn speeds(p: &mut Packet, kind: Kind, up: i64, down: i64, bu: Option<Burst>, bd: Option<Burst>) {
    match kind {
        Kind::Mikrotik => p.add(attr::mikrotik::RATE_LIMIT, mikrotik_rate(up, down, bu, bd)),
        Kind::AccelPpp => p.add(attr::FILTER_ID, format!("{down}/{up}")),
        Kind::Cisco => {
            p.add(attr::cisco::AVPAIR, cisco_rate("input", up));
            p.add(attr::cisco::AVPAIR, cisco_rate("output", down));
        }
        Kind::Huawei => {
            let k = |v: i64| v.saturating_mul(1000).clamp(0, u32::MAX as i64) as u32;
            p.add(attr::huawei::INPUT_AVERAGE_RATE, k(up));
            p.add(attr::huawei::INPUT_PEAK_RATE, k(bu.map_or(up, |b| b.rate)));
            p.add(attr::huawei::OUTPUT_AVERAGE_RATE, k(down));
            p.add(
                attr::huawei::OUTPUT_PEAK_RATE,
                k(bd.map_or(down, |b| b.rate)),
            );
        }
        Kind::Juniper => p.add(
            attr::erx::SERVICE_ACTIVATE,
            format!(
                "lastmile-rate({},{})",
                down.saturating_mul(1000),
                up.saturating_mul(1000)
            ),
        ),
        Kind::Generic => {}
    }
}

/// Adds the speed (or restricted profile) attributes of `plan` for a NAS
/// of `kind`: what Access-Accept and CoA-Request carry.
pub fn add_profile(p: &mut Packet, kind: Kind, plan: &Plan, mode: Mode, s: &Settings) {
    match mode {
        Mode::Normal if kind == Kind::Mikrotik => {
            p.add(attr::mikrotik::RATE_LIMIT, plan.mikrotik_rate.clone())
        }
        Mode::Normal => speeds(
            p,
            kind,
            plan.up_kbps,
            plan.down_kbps,
            plan.burst_up,
            plan.burst_down,
        ),
        Mode::Throttled(k) => speeds(p, kind, k, k, None, None),
        Mode::Reduced(up, down) => speeds(p, kind, up, down, None, None),
        Mode::Restricted => {
            if s.restricted_kbps > 0 {
                speeds(p, kind, s.restricted_kbps, s.restricted_kbps, None, None);
            }
            match kind {
                Kind::Mikrotik if !s.restricted_address_list.is_empty() => {
                    p.add_text(attr::mikrotik::ADDRESS_LIST, &s.restricted_address_list);
                }
                Kind::Generic => p.add_text(attr::FILTER_ID, "restricted"),
                _ => {}
            }
            if !s.restricted_pool.is_empty() {
                match kind {
                    Kind::Cisco => p.add(
                        attr::cisco::AVPAIR,
                        format!("ip:addr-pool={}", s.restricted_pool),
                    ),
                    Kind::Juniper => p.add_text(attr::erx::ADDRESS_POOL_NAME, &s.restricted_pool),
                    _ => p.add_text(attr::FRAMED_POOL, &s.restricted_pool),
                }
            }
        }
    }
}

/// The mode an active or suspended subscriber's reply takes before quotas:
/// restricted when suspended (the caller rejects instead when the plan
/// says so), reduced while collections holds the speed down, else normal.
pub fn mode_of(sub: &Sub, plan: &Plan) -> Mode {
    if sub.status == crate::view::Status::Suspended {
        return Mode::Restricted;
    }
    match sub.reduced {
        Some(rate) => {
            let (up, down) = rate.apply(plan.up_kbps, plan.down_kbps);
            Mode::Reduced(up, down)
        }
        None => Mode::Normal,
    }
}

/// Adds the subscriber's own addresses (static IPv4, IPv6 prefix or
/// delegated prefix) and the session timers from the settings.
pub fn add_subscriber(p: &mut Packet, sub: &Sub, mode: Mode, s: &Settings) {
    // A restricted subscriber takes an address from the restricted pool so
    // the router's redirect rules apply.
    if (mode != Mode::Restricted || s.restricted_pool.is_empty())
        && let Some(ip) = sub.ipv4
    {
        p.add(attr::FRAMED_IP_ADDRESS, ip);
    }
    if let Some((addr, len)) = sub.ipv6 {
        let prefix = radius::Ipv6Prefix { addr, len };
        if len >= 64 {
            p.add(attr::FRAMED_IPV6_PREFIX, prefix);
        } else {
            p.add(attr::DELEGATED_IPV6_PREFIX, prefix);
        }
    }
    if s.session_timeout > 0 {
        p.add(attr::SESSION_TIMEOUT, s.session_timeout);
    }
    if s.interim_interval > 0 {
        p.add(attr::ACCT_INTERIM_INTERVAL, s.interim_interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mikrotik_rate_limit_spelling() {
        assert_eq!(mikrotik_rate(50_000, 300_000, None, None), "50M/300M");
        assert_eq!(mikrotik_rate(512, 1500, None, None), "512k/1500k");
        let b = |rate, threshold, time| Burst {
            rate,
            threshold,
            time,
        };
        assert_eq!(
            mikrotik_rate(
                10_000,
                20_000,
                Some(b(20_000, 8_000, 10)),
                Some(b(40_000, 16_000, 10))
            ),
            "10M/20M 20M/40M 8M/16M 10/10"
        );
    }

    #[test]
    fn reduced_rate_per_vendor() {
        let plan = Plan {
            id: 1,
            down_kbps: 300_000,
            up_kbps: 150_000,
            burst_down: None,
            burst_up: None,
            quota: None,
            suspended_restricted: false,
            mikrotik_rate: "150M/300M".into(),
        };
        let mode = Mode::Reduced(75_000, 150_000);
        let s = Settings::default();
        let reply = |kind| {
            let mut p = Packet::new(radius::Code::AccessAccept, 1);
            add_profile(&mut p, kind, &plan, mode, &s);
            p
        };
        assert_eq!(
            reply(Kind::Mikrotik)
                .get(attr::mikrotik::RATE_LIMIT)
                .as_deref(),
            Some("75M/150M")
        );
        assert_eq!(
            reply(Kind::AccelPpp).get(attr::FILTER_ID).as_deref(),
            Some("150000/75000")
        );
        assert_eq!(
            reply(Kind::Huawei).get(attr::huawei::OUTPUT_AVERAGE_RATE),
            Some(150_000_000)
        );
        assert_eq!(
            reply(Kind::Juniper)
                .get(attr::erx::SERVICE_ACTIVATE)
                .as_deref(),
            Some("lastmile-rate(150000000,75000000)")
        );
        // No restricted attributes with a reduced speed.
        assert!(
            reply(Kind::Mikrotik)
                .get(attr::mikrotik::ADDRESS_LIST)
                .is_none()
        );
    }

    #[test]
    fn kinds_parse() {
        assert_eq!(Kind::parse("mikrotik"), Kind::Mikrotik);
        assert_eq!(Kind::parse("accel-ppp"), Kind::AccelPpp);
        assert_eq!(Kind::parse("whatever"), Kind::Generic);
    }
}
