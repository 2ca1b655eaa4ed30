//! IP allowlists: lists of CIDR networks (IPv4 and IPv6).

use std::net::IpAddr;

use ipnet::IpNet;

/// A list of networks. An empty list allows every address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<IpNet>);

/// An entry that is neither an address nor a CIDR network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IP address or CIDR network (e.g. 192.0.2.0/24 or 2001:db8::/32)")]
pub struct BadNetwork(pub String);

impl Allowlist {
    /// Parses entries separated by commas, spaces or new lines. A bare address
    /// means that single host.
    pub fn parse(s: &str) -> Result<Self, BadNetwork> {
        let mut nets = Vec::new();
        for item in s
            .split([',', ' ', '\n', '\r', '\t'])
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let net = match item.parse::<IpNet>() {
                Ok(n) => n.trunc(),
                Err(_) => match item.parse::<IpAddr>() {
                    Ok(a) => IpNet::from(a),
                    Err(_) => return Err(BadNetwork(item.to_owned())),
                },
            };
            nets.push(net);
        }
        Ok(Allowlist(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `addr` may pass. IPv4-mapped IPv6 addresses match IPv4 networks.
    pub fn allows(&self, addr: IpAddr) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
            v4 => v4,
        };
        self.0.iter().any(|n| n.contains(&addr))
    }

    /// Storage form: one network per line.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_rules() {
        let list = Allowlist::parse("192.0.2.0/24, 2001:db8::/32\n10.0.0.7").unwrap();
        let cases = [
            ("192.0.2.55", true),
            ("192.0.3.1", false),
            ("2001:db8::1", true),
            ("2001:db9::1", false),
            ("10.0.0.7", true),
            ("10.0.0.8", false),
            ("::ffff:192.0.2.1", true),
        ];
        for (addr, want) in cases {
            assert_eq!(list.allows(addr.parse().unwrap()), want, "{addr}");
        }
        assert!(Allowlist::default().allows("203.0.113.9".parse().unwrap()));
        assert_eq!(
            Allowlist::parse("10.0.0.0/33").unwrap_err(),
            BadNetwork("10.0.0.0/33".into())
        );
    }
}
