//! The network inventory: sites (PoPs), devices and the links between
//! them; and IP address management ([`ipam`]): prefixes, pools,
//! assignments and reservations.

pub mod ipam;

use crate::catalog::text_enum;
use crate::validate::{self, FieldError, Invalid};

text_enum!(
    /// What a site is.
    SiteKind {
        Tower = "tower",
        DataCenter = "data_center",
        Cabinet = "cabinet",
        StreetBox = "street_box",
        CustomerPremises = "customer_premises",
    }
);
text_enum!(
    /// Whether a site or device is in service.
    Status { Active = "active", Planned = "planned", Retired = "retired" }
);
text_enum!(
    /// What a device does.
    DeviceRole {
        Router = "router",
        Olt = "olt",
        Switch = "switch",
        RadioAp = "radio_ap",
        RadioStation = "radio_station",
        Server = "server",
    }
);
text_enum!(
    /// The medium of a link.
    LinkKind { Fibre = "fibre", WirelessPtp = "wireless_ptp", WirelessPtmp = "wireless_ptmp" }
);
text_enum!(
    /// Whether a link carries traffic.
    LinkStatus { Active = "active", Down = "down", Planned = "planned" }
);

/// A latitude and longitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    pub fn validate(self) -> Result<(), FieldError> {
        if (-90.0..=90.0).contains(&self.lat) && (-180.0..=180.0).contains(&self.lon) {
            Ok(())
        } else {
            Err(FieldError::Coordinates)
        }
    }
}

/// A site or point of presence.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub name: String,
    pub kind: SiteKind,
    pub status: Status,
    pub address: String,
    pub location: Option<Point>,
    pub notes: String,
}

impl Site {
    /// Checks every rule, naming the first field that breaks one.
    pub fn validate(&self) -> Result<(), Invalid> {
        validate::required(&self.name, 80).map_err(|e| Invalid::new("name", e))?;
        validate::optional(&self.address, 200).map_err(|e| Invalid::new("address", e))?;
        if let Some(p) = self.location {
            p.validate().map_err(|e| Invalid::new("latitude", e))?;
        }
        validate::optional_multiline(&self.notes, 2000).map_err(|e| Invalid::new("notes", e))
    }
}

/// A piece of equipment. Its password (`secret`) is given in clear here and
/// encrypted at rest by the services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub role: DeviceRole,
    pub status: Status,
    pub vendor: String,
    pub model: String,
    pub serial: String,
    /// Canonical (`AA:BB:…`) or empty.
    pub mac: String,
    pub firmware: String,
    /// The management address, or empty.
    pub mgmt_address: String,
    pub username: String,
    pub site_id: Option<i64>,
    pub uplink_id: Option<i64>,
    pub notes: String,
}

impl Device {
    /// Checks every rule and puts the MAC and management address in their
    /// canonical spelling, naming the first field that breaks one.
    pub fn validate(&mut self) -> Result<(), Invalid> {
        validate::required(&self.name, 80).map_err(|e| Invalid::new("name", e))?;
        for (field, v) in [
            ("vendor", &self.vendor),
            ("model", &self.model),
            ("serial", &self.serial),
            ("firmware", &self.firmware),
            ("username", &self.username),
        ] {
            validate::optional(v, 80).map_err(|e| Invalid::new(field, e))?;
        }
        if !self.mac.trim().is_empty() {
            self.mac = crate::contracts::mac(&self.mac).map_err(|e| Invalid::new("mac", e))?;
        } else {
            self.mac.clear();
        }
        if !self.mgmt_address.trim().is_empty() {
            self.mgmt_address = ipam::address(&self.mgmt_address)
                .map_err(|e| Invalid::new("mgmt_address", e))?
                .to_string();
        } else {
            self.mgmt_address.clear();
        }
        validate::optional_multiline(&self.notes, 2000).map_err(|e| Invalid::new("notes", e))
    }
}

/// A link between two sites or devices; each end names a site, a device
/// or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub name: String,
    pub kind: LinkKind,
    pub status: LinkStatus,
    pub a_site_id: Option<i64>,
    pub a_device_id: Option<i64>,
    pub b_site_id: Option<i64>,
    pub b_device_id: Option<i64>,
    pub capacity_mbps: i64,
    /// The route as a line of points (the map draws it).
    pub path: Vec<Point>,
    pub notes: String,
}

/// 10 Tbit/s, past any single link.
pub const MAX_CAPACITY_MBPS: i64 = 10_000_000;

impl Link {
    pub fn validate(&self) -> Result<(), Invalid> {
        validate::required(&self.name, 80).map_err(|e| Invalid::new("name", e))?;
        if self.a_site_id.is_none() && self.a_device_id.is_none() {
            return Err(Invalid::new("a_site_id", FieldError::Required));
        }
        if self.b_site_id.is_none() && self.b_device_id.is_none() {
            return Err(Invalid::new("b_site_id", FieldError::Required));
        }
        if !(0..=MAX_CAPACITY_MBPS).contains(&self.capacity_mbps) {
            return Err(Invalid::new("capacity_mbps", FieldError::Range));
        }
        if self.path.len() > 1000 {
            return Err(Invalid::new("path", FieldError::TooLong));
        }
        for p in &self.path {
            p.validate().map_err(|e| Invalid::new("path", e))?;
        }
        validate::optional_multiline(&self.notes, 2000).map_err(|e| Invalid::new("notes", e))
    }
}

/// A path as text: `lat,lon` points separated by `;` or line breaks
/// (what forms and the API take), in order.
pub fn parse_path(s: &str) -> Result<Vec<Point>, FieldError> {
    s.split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (lat, lon) = p.split_once(',').ok_or(FieldError::Coordinates)?;
            let lat: f64 = lat.trim().parse().map_err(|_| FieldError::Coordinates)?;
            let lon: f64 = lon.trim().parse().map_err(|_| FieldError::Coordinates)?;
            let pt = Point { lat, lon };
            pt.validate()?;
            Ok(pt)
        })
        .collect()
}

/// The text [`parse_path`] reads.
pub fn path_text(path: &[Point]) -> String {
    path.iter()
        .map(|p| format!("{},{}", p.lat, p.lon))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Device {
        Device {
            name: "core-1".into(),
            role: DeviceRole::Router,
            status: Status::Active,
            vendor: "MikroTik".into(),
            model: "CCR2004".into(),
            serial: "HE1234".into(),
            mac: "aa-bb-cc-00-11-22".into(),
            firmware: "7.18".into(),
            mgmt_address: " 10.0.0.1 ".into(),
            username: "admin".into(),
            site_id: None,
            uplink_id: None,
            notes: String::new(),
        }
    }

    #[test]
    fn a_device_is_put_in_canonical_form_or_names_its_field() {
        let mut d = device();
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(d.mac, "AA:BB:CC:00:11:22");
        assert_eq!(d.mgmt_address, "10.0.0.1");
        for (field, error, edit) in [
            (
                "name",
                FieldError::Required,
                (|d: &mut Device| d.name = " ".into()) as fn(&mut Device),
            ),
            ("mac", FieldError::Mac, |d| d.mac = "zz".into()),
            ("mgmt_address", FieldError::IpAddress, |d| {
                d.mgmt_address = "10.0.0".into()
            }),
            ("vendor", FieldError::TooLong, |d| d.vendor = "x".repeat(81)),
        ] {
            let mut d = device();
            edit(&mut d);
            assert_eq!(d.validate(), Err(Invalid::new(field, error)), "{field}");
        }
    }

    #[test]
    fn a_link_needs_both_ends_and_a_sane_path() {
        let link = Link {
            name: "Tower A - DC".into(),
            kind: LinkKind::WirelessPtp,
            status: LinkStatus::Active,
            a_site_id: Some(1),
            a_device_id: None,
            b_site_id: None,
            b_device_id: Some(2),
            capacity_mbps: 1000,
            path: parse_path("-23.5,-46.6; -23.6,-46.7").unwrap(),
            notes: String::new(),
        };
        assert_eq!(link.validate(), Ok(()));
        assert_eq!(path_text(&link.path), "-23.5,-46.6; -23.6,-46.7");
        let no_b = Link {
            b_device_id: None,
            ..link.clone()
        };
        assert_eq!(
            no_b.validate(),
            Err(Invalid::new("b_site_id", FieldError::Required))
        );
        let slow = Link {
            capacity_mbps: -1,
            ..link
        };
        assert_eq!(
            slow.validate(),
            Err(Invalid::new("capacity_mbps", FieldError::Range))
        );
        assert_eq!(parse_path("91,0"), Err(FieldError::Coordinates));
        assert_eq!(parse_path("1;2"), Err(FieldError::Coordinates));
        assert_eq!(parse_path(""), Ok(vec![]));
    }

    #[test]
    fn a_site_checks_its_coordinates() {
        let site = Site {
            name: "Torre Centro".into(),
            kind: SiteKind::Tower,
            status: Status::Active,
            address: "Rua A, 1".into(),
            location: Some(Point {
                lat: -23.55,
                lon: -46.63,
            }),
            notes: "roof access\nkey at the desk".into(),
        };
        assert_eq!(site.validate(), Ok(()));
        let far = Site {
            location: Some(Point {
                lat: 0.0,
                lon: 181.0,
            }),
            ..site
        };
        assert_eq!(
            far.validate(),
            Err(Invalid::new("latitude", FieldError::Coordinates))
        );
        for k in SiteKind::ALL {
            assert_eq!(SiteKind::parse(k.as_str()), Some(*k));
        }
    }
}
