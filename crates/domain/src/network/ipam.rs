//! IP address management rules: prefixes nest, pools sit inside a prefix
//! without overlapping each other, and a static pool hands out numbered
//! *slots* (one address, or one delegated IPv6 prefix, each).
//!
//! Slots are what the store indexes: slot `n` of a pool is the `n`-th
//! block of `assign_len` bits inside it, so "the next free address" is the
//! first gap in a sorted list of integers ([`first_gap`]), whatever the
//! address family.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::catalog::text_enum;
use crate::validate::{self, FieldError, Invalid};

text_enum!(
    /// How a pool's addresses reach subscribers: the NAS hands them out
    /// from a pool named in RADIUS (dynamic), or Lastmile assigns one per
    /// contract (static).
    PoolKind { Dynamic = "dynamic", Static = "static" }
);
text_enum!(
    /// Who a pool serves: paying customers, suspended ones (the restricted
    /// profile), or unknown logins.
    PoolPurpose { Customers = "customers", Suspended = "suspended", Unknown = "unknown" }
);
text_enum!(
    /// A taken slot: given to a contract, or held back (gateways, devices).
    AssignmentKind { Contract = "contract", Reserved = "reserved" }
);

/// At most 2^62 slots per pool, so a slot is an `i64` both databases store.
pub const MAX_SLOT_BITS: u8 = 62;

/// The default share of a pool in use from which its page warns.
pub const DEFAULT_WARN_PERCENT: i64 = 80;

/// A prefix as typed (`10.0.0.0/16`, `2001:db8::/32`): host bits must be
/// clear, so a typo such as `10.0.0.1/16` is refused rather than guessed.
pub fn prefix(s: &str) -> Result<IpNet, FieldError> {
    let n: IpNet = s.trim().parse().map_err(|_| FieldError::Prefix)?;
    if n.trunc() != n {
        return Err(FieldError::Prefix);
    }
    Ok(n)
}

/// An address as typed, IPv4 or IPv6.
pub fn address(s: &str) -> Result<IpAddr, FieldError> {
    s.trim().parse().map_err(|_| FieldError::IpAddress)
}

fn bits(n: &IpNet) -> u8 {
    n.max_prefix_len()
}

fn to_u128(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u32::from(v) as u128,
        IpAddr::V6(v) => u128::from(v),
    }
}

fn from_u128(v4: bool, n: u128) -> IpAddr {
    if v4 {
        IpAddr::V4((n as u32).into())
    } else {
        IpAddr::V6(n.into())
    }
}

/// Whether two prefixes share an address.
pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A prefix under `parent` (when it has one) must lie inside it and be
/// smaller; field `cidr` or `parent_id`.
pub fn check_prefix(cidr: &IpNet, parent: Option<&IpNet>) -> Result<(), Invalid> {
    if let Some(p) = parent
        && (!p.contains(cidr) || p.prefix_len() >= cidr.prefix_len())
    {
        return Err(Invalid::new("parent_id", FieldError::NotInside));
    }
    Ok(())
}

/// A pool: a block of a prefix handed out one way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// The RADIUS pool name (`Framed-Pool`) for dynamic pools; a label for
    /// static ones.
    pub name: String,
    pub cidr: IpNet,
    pub kind: PoolKind,
    pub purpose: PoolPurpose,
    /// The length of each assignment: 32 for IPv4 addresses; for IPv6,
    /// 128 for single addresses or 48–64 for delegated prefixes.
    pub assign_len: u8,
    /// From this percentage in use the pool shows a warning.
    pub warn_percent: i64,
}

impl Pool {
    /// Checks the pool against its prefix and the pools already in the same
    /// VRF (`others`, without this one), naming the field.
    pub fn validate(&self, prefix: &IpNet, others: &[IpNet]) -> Result<(), Invalid> {
        validate::required(&self.name, 64).map_err(|e| Invalid::new("name", e))?;
        if !self
            .name
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            // The name goes to routers as Framed-Pool: keep it plain.
            return Err(Invalid::new("name", FieldError::Choice));
        }
        if !prefix.contains(&self.cidr) {
            return Err(Invalid::new("cidr", FieldError::NotInside));
        }
        if others.iter().any(|o| overlaps(o, &self.cidr)) {
            return Err(Invalid::new("cidr", FieldError::Overlaps));
        }
        let max = bits(&self.cidr);
        let len = self.cidr.prefix_len();
        let ok_len = match self.kind {
            PoolKind::Dynamic => self.assign_len == max,
            PoolKind::Static if max == 32 => self.assign_len == 32,
            PoolKind::Static => self.assign_len == 128 || (48..=64).contains(&self.assign_len),
        };
        if !ok_len || self.assign_len < len || self.assign_len - len > MAX_SLOT_BITS {
            return Err(Invalid::new("assign_len", FieldError::Range));
        }
        if !(1..=100).contains(&self.warn_percent) {
            return Err(Invalid::new("warn_percent", FieldError::Range));
        }
        Ok(())
    }
}

/// The slots a pool hands out, first and last included. An IPv4 pool of
/// /30 or wider leaves out its network and broadcast addresses.
pub fn slot_range(cidr: &IpNet, assign_len: u8) -> (i64, i64) {
    let span = assign_len
        .saturating_sub(cidr.prefix_len())
        .min(MAX_SLOT_BITS);
    let count = 1i64 << span;
    if bits(cidr) == 32 && assign_len == 32 && cidr.prefix_len() <= 30 {
        (1, count - 2)
    } else {
        (0, count - 1)
    }
}

/// How many slots [`slot_range`] gives.
pub fn slot_count(cidr: &IpNet, assign_len: u8) -> i64 {
    let (first, last) = slot_range(cidr, assign_len);
    last - first + 1
}

/// Slot `slot` of a pool as a prefix of `assign_len` bits.
pub fn nth(cidr: &IpNet, assign_len: u8, slot: i64) -> IpNet {
    let shift = bits(cidr) - assign_len;
    let base = to_u128(cidr.network());
    let a = from_u128(bits(cidr) == 32, base + ((slot as u128) << shift));
    // `assign_len` is at most the family's length, so this cannot fail.
    IpNet::new(a, assign_len).unwrap_or(*cidr)
}

/// Slot `slot` as the text stored on a contract and shown: the bare
/// address for a single address, the prefix for a delegated one.
pub fn slot_text(cidr: &IpNet, assign_len: u8, slot: i64) -> String {
    let n = nth(cidr, assign_len, slot);
    if assign_len == bits(cidr) {
        n.addr().to_string()
    } else {
        n.to_string()
    }
}

/// The slot a typed address (or delegated prefix) takes in a pool, if it
/// lies inside it at a slot's start and within [`slot_range`].
pub fn slot_of(cidr: &IpNet, assign_len: u8, typed: &str) -> Result<Option<i64>, FieldError> {
    let t = typed.trim();
    let (addr, len) = match t.parse::<IpNet>() {
        Ok(n) => (n.addr(), n.prefix_len()),
        Err(_) => {
            let a = address(t)?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    if len != assign_len || !cidr.contains(&addr) {
        return Ok(None);
    }
    let shift = bits(cidr) - assign_len;
    let offset = to_u128(addr) - to_u128(cidr.network());
    if offset & ((1u128 << shift) - 1) != 0 {
        return Ok(None);
    }
    let slot = (offset >> shift) as i64;
    let (first, last) = slot_range(cidr, assign_len);
    Ok((first..=last).contains(&slot).then_some(slot))
}

/// The first slot at or after `from` that is not in `used` (ascending, no
/// repeats; values below `from` are skipped). Pure: the store feeds it one
/// chunk of the index at a time.
///
/// ```
/// use domain::network::ipam::first_gap;
/// assert_eq!(first_gap(1, &[1, 2, 3, 5]), 4);
/// assert_eq!(first_gap(1, &[2, 3]), 1);
/// assert_eq!(first_gap(4, &[1, 2, 3, 4, 5]), 6);
/// ```
pub fn first_gap(from: i64, used: &[i64]) -> i64 {
    let mut want = from;
    for &u in used {
        if u < want {
            continue;
        }
        if u > want {
            break;
        }
        want = u + 1;
    }
    want
}

/// The next free slot in `first..=last`, given every used slot in order:
/// the whole allocation rule, as the store applies it chunk by chunk.
pub fn next_free(used: &[i64], first: i64, last: i64) -> Option<i64> {
    let s = first_gap(first, used);
    (s <= last).then_some(s)
}

/// How full a pool is, and whether it passed its warning threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Utilisation {
    pub used: i64,
    pub size: i64,
    /// Whole percent, rounded down (a nearly full pool never shows 100).
    pub percent: i64,
    pub warning: bool,
}

impl Utilisation {
    pub fn new(used: i64, size: i64, warn_percent: i64) -> Utilisation {
        let percent = if size > 0 {
            ((used as i128 * 100) / size as i128) as i64
        } else {
            0
        };
        Utilisation {
            used,
            size,
            percent,
            warning: size > 0 && (used as i128) * 100 >= (warn_percent as i128) * size as i128,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn pool(cidr: &str, kind: PoolKind, assign_len: u8) -> Pool {
        Pool {
            name: "cgnat-1".into(),
            cidr: net(cidr),
            kind,
            purpose: PoolPurpose::Customers,
            assign_len,
            warn_percent: 80,
        }
    }

    #[test]
    fn prefixes_are_exact_and_nest() {
        assert_eq!(prefix(" 10.0.0.0/16 "), Ok(net("10.0.0.0/16")));
        assert_eq!(prefix("10.0.0.1/16"), Err(FieldError::Prefix));
        assert_eq!(prefix("10.0.0.0"), Err(FieldError::Prefix));
        assert_eq!(prefix("2001:db8::/32"), Ok(net("2001:db8::/32")));
        let parent = net("10.0.0.0/16");
        assert_eq!(check_prefix(&net("10.0.4.0/22"), Some(&parent)), Ok(()));
        assert_eq!(check_prefix(&net("10.0.0.0/8"), None), Ok(()));
        for outside in ["10.1.0.0/24", "10.0.0.0/16", "10.0.0.0/8", "2001:db8::/48"] {
            assert_eq!(
                check_prefix(&net(outside), Some(&parent)),
                Err(Invalid::new("parent_id", FieldError::NotInside)),
                "{outside}"
            );
        }
    }

    #[test]
    fn pools_sit_inside_their_prefix_without_overlapping() {
        let p = net("100.64.0.0/16");
        let others = [net("100.64.0.0/24"), net("100.64.8.0/21")];
        assert_eq!(
            pool("100.64.1.0/24", PoolKind::Static, 32).validate(&p, &others),
            Ok(())
        );
        let cases = [
            (
                pool("100.65.0.0/24", PoolKind::Static, 32),
                "cidr",
                FieldError::NotInside,
            ),
            (
                pool("100.64.0.128/25", PoolKind::Static, 32),
                "cidr",
                FieldError::Overlaps,
            ),
            (
                pool("100.64.0.0/20", PoolKind::Dynamic, 32),
                "cidr",
                FieldError::Overlaps,
            ),
            (
                pool("100.64.1.0/24", PoolKind::Static, 30),
                "assign_len",
                FieldError::Range,
            ),
            (
                pool("100.64.1.0/24", PoolKind::Dynamic, 24),
                "assign_len",
                FieldError::Range,
            ),
        ];
        for (pl, field, error) in cases {
            assert_eq!(
                pl.validate(&p, &others),
                Err(Invalid::new(field, error)),
                "{pl:?}"
            );
        }
        let mut named = pool("100.64.1.0/24", PoolKind::Static, 32);
        named.name = "bad name".into();
        assert_eq!(
            named.validate(&p, &others),
            Err(Invalid::new("name", FieldError::Choice))
        );
        named.name = "ok".into();
        named.warn_percent = 0;
        assert_eq!(
            named.validate(&p, &others),
            Err(Invalid::new("warn_percent", FieldError::Range))
        );
        let v6 = net("2001:db8::/32");
        assert_eq!(
            pool("2001:db8:100::/40", PoolKind::Static, 56).validate(&v6, &[]),
            Ok(())
        );
        // A /64 of single addresses has 2^64 slots: more than an i64 holds.
        assert_eq!(
            pool("2001:db8:1::/64", PoolKind::Static, 128).validate(&v6, &[]),
            Err(Invalid::new("assign_len", FieldError::Range))
        );
    }

    #[test]
    fn slots_map_to_addresses_and_back() {
        let v4 = net("10.0.0.0/24");
        assert_eq!(slot_range(&v4, 32), (1, 254));
        assert_eq!(slot_count(&v4, 32), 254);
        assert_eq!(slot_range(&net("10.0.0.0/31"), 32), (0, 1));
        assert_eq!(slot_text(&v4, 32, 1), "10.0.0.1");
        assert_eq!(slot_of(&v4, 32, "10.0.0.77"), Ok(Some(77)));
        assert_eq!(slot_of(&v4, 32, "10.0.0.255"), Ok(None));
        assert_eq!(slot_of(&v4, 32, "10.0.1.1"), Ok(None));
        assert_eq!(slot_of(&v4, 32, "10.0.0"), Err(FieldError::IpAddress));
        let v6 = net("2001:db8:100::/40");
        assert_eq!(slot_range(&v6, 56), (0, 65535));
        assert_eq!(slot_text(&v6, 56, 1), "2001:db8:100:100::/56");
        assert_eq!(slot_of(&v6, 56, "2001:db8:100:100::/56"), Ok(Some(1)));
        assert_eq!(slot_of(&v6, 56, "2001:db8:100:101::/56"), Ok(None));
        assert_eq!(slot_of(&v6, 56, "2001:db8:100:100::/64"), Ok(None));
    }

    #[test]
    fn next_free_finds_the_first_gap() {
        assert_eq!(next_free(&[], 1, 254), Some(1));
        assert_eq!(next_free(&[1, 2, 4], 1, 254), Some(3));
        assert_eq!(next_free(&[0, 1, 2], 1, 254), Some(3));
        assert_eq!(next_free(&[1, 2, 3], 1, 3), None);
        assert_eq!(first_gap(10, &[1, 10, 11, 13]), 12);
    }

    #[test]
    fn utilisation_warns_from_the_threshold() {
        assert_eq!(
            Utilisation::new(203, 254, 80),
            Utilisation {
                used: 203,
                size: 254,
                percent: 79,
                warning: false
            }
        );
        assert!(Utilisation::new(204, 254, 80).warning);
        assert_eq!(Utilisation::new(253, 254, 80).percent, 99);
        assert_eq!(Utilisation::new(0, 0, 80).percent, 0);
    }

    proptest! {
        #[test]
        fn next_free_is_the_least_unused_slot(
            used in proptest::collection::btree_set(0i64..300, 0..250),
            first in 0i64..50,
            last in 0i64..320,
        ) {
            let sorted: Vec<i64> = used.iter().copied().collect();
            let naive = (first..=last).find(|s| !used.contains(s));
            prop_assert_eq!(next_free(&sorted, first, last), naive);
            // Fed in chunks, as the store reads the index, the answer is the same.
            let mut want = first;
            for chunk in sorted.chunks(7) {
                let g = first_gap(want, chunk);
                if chunk.last().is_some_and(|&l| g <= l) {
                    want = g;
                    break;
                }
                want = g;
            }
            prop_assert_eq!((want <= last).then_some(want), naive);
        }

        #[test]
        fn every_slot_round_trips(len in 8u8..=30, slot_bits in 0u8..=24, raw in any::<u32>()) {
            let cidr = IpNet::new(IpAddr::V4(raw.into()), len).unwrap().trunc();
            let (first, last) = slot_range(&cidr, 32);
            let slot = first + (i64::from(slot_bits) * 7919) % (last - first + 1);
            let text = slot_text(&cidr, 32, slot);
            prop_assert_eq!(slot_of(&cidr, 32, &text), Ok(Some(slot)));
        }

        #[test]
        fn v6_delegations_round_trip(slot in 0i64..65536) {
            let cidr = net("2001:db8:100::/40");
            let text = slot_text(&cidr, 56, slot);
            prop_assert_eq!(slot_of(&cidr, 56, &text), Ok(Some(slot)));
        }
    }
}
