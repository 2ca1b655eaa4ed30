//! Demo data for the network pages: sites, devices, links, prefixes,
//! pools and static addresses for some active contracts, all written
//! through the area's own entry points (so audited like any change).

use domain::network::ipam::{PoolKind, PoolPurpose};
use domain::network::{self as net, DeviceRole, LinkKind, LinkStatus, SiteKind, Status};

use super::inventory::{self, DeviceInput};
use super::ipam::{self, PoolInput, PrefixInput, Target};
use crate::{Caller, Result, Services};

/// What the demo made.
#[derive(Debug, Default)]
pub struct Made {
    pub sites: usize,
    pub devices: usize,
    pub links: usize,
    pub pools: usize,
    pub assigned: usize,
}

fn site(name: &str, kind: SiteKind, lat: f64, lon: f64, address: &str) -> net::Site {
    net::Site {
        name: name.into(),
        kind,
        status: Status::Active,
        address: address.into(),
        location: Some(net::Point { lat, lon }),
        notes: String::new(),
    }
}

fn device(
    name: &str,
    role: DeviceRole,
    vendor: &str,
    model: &str,
    ip: &str,
    site_id: i64,
    uplink_id: Option<i64>,
) -> DeviceInput {
    DeviceInput {
        device: net::Device {
            name: name.into(),
            role,
            status: Status::Active,
            vendor: vendor.into(),
            model: model.into(),
            serial: format!("SN{:08X}", name.bytes().map(u32::from).sum::<u32>() * 7919),
            mac: String::new(),
            firmware: "7.18.2".into(),
            mgmt_address: ip.into(),
            username: "lastmile".into(),
            site_id: Some(site_id),
            uplink_id,
            notes: String::new(),
        },
        password: Some("demo-device-pass".into()),
    }
}

/// Seeds the network area and gives up to `static_contracts` of
/// `contract_ids` a static address.
pub async fn seed(svc: &Services, contract_ids: &[i64], static_contracts: usize) -> Result<Made> {
    let c = Caller::cli();
    let mut made = Made::default();
    let dc = inventory::create_site(
        svc,
        &c,
        &site(
            "DC Centro",
            SiteKind::DataCenter,
            -23.5505,
            -46.6333,
            "Av. Paulista, 1000",
        ),
    )
    .await?;
    let north = inventory::create_site(
        svc,
        &c,
        &site(
            "Torre Norte",
            SiteKind::Tower,
            -23.4800,
            -46.6200,
            "Rua das Palmeiras, 45",
        ),
    )
    .await?;
    let south = inventory::create_site(
        svc,
        &c,
        &site(
            "Torre Sul",
            SiteKind::Tower,
            -23.6200,
            -46.6500,
            "Estrada do Sol, 300",
        ),
    )
    .await?;
    let cab = inventory::create_site(
        svc,
        &c,
        &site(
            "Armário Vila Nova",
            SiteKind::Cabinet,
            -23.5600,
            -46.6000,
            "Rua Nova, 12",
        ),
    )
    .await?;
    made.sites = 4;
    let core = inventory::create_device(
        svc,
        &c,
        &device(
            "core-01",
            DeviceRole::Router,
            "MikroTik",
            "CCR2116",
            "10.255.0.1",
            dc.id,
            None,
        ),
    )
    .await?;
    let olt = inventory::create_device(
        svc,
        &c,
        &device(
            "olt-01",
            DeviceRole::Olt,
            "Huawei",
            "MA5800-X7",
            "10.255.0.10",
            dc.id,
            Some(core.id),
        ),
    )
    .await?;
    let ap_n = inventory::create_device(
        svc,
        &c,
        &device(
            "ap-norte-1",
            DeviceRole::RadioAp,
            "Ubiquiti",
            "Rocket 5AC",
            "10.255.1.2",
            north.id,
            Some(core.id),
        ),
    )
    .await?;
    inventory::create_device(
        svc,
        &c,
        &device(
            "ap-sul-1",
            DeviceRole::RadioAp,
            "Ubiquiti",
            "Rocket 5AC",
            "10.255.2.2",
            south.id,
            Some(core.id),
        ),
    )
    .await?;
    inventory::create_device(
        svc,
        &c,
        &device(
            "sw-vila-nova",
            DeviceRole::Switch,
            "TP-Link",
            "T2600G",
            "10.255.3.2",
            cab.id,
            Some(olt.id),
        ),
    )
    .await?;
    made.devices = 5;
    let link = |name: &str, kind, a: i64, b: i64, cap, path: &str| net::Link {
        name: name.into(),
        kind,
        status: LinkStatus::Active,
        a_site_id: Some(a),
        a_device_id: None,
        b_site_id: Some(b),
        b_device_id: None,
        capacity_mbps: cap,
        path: net::parse_path(path).unwrap_or_default(),
        notes: String::new(),
    };
    inventory::create_link(
        svc,
        &c,
        &link(
            "DC - Torre Norte",
            LinkKind::WirelessPtp,
            dc.id,
            north.id,
            1_000,
            "-23.5505,-46.6333; -23.48,-46.62",
        ),
    )
    .await?;
    inventory::create_link(
        svc,
        &c,
        &link(
            "DC - Torre Sul",
            LinkKind::Fibre,
            dc.id,
            south.id,
            10_000,
            "-23.5505,-46.6333; -23.58,-46.64; -23.62,-46.65",
        ),
    )
    .await?;
    let mut planned = link(
        "DC - Vila Nova",
        LinkKind::Fibre,
        dc.id,
        cab.id,
        10_000,
        "-23.5505,-46.6333; -23.56,-46.60",
    );
    planned.status = LinkStatus::Planned;
    planned.a_device_id = Some(ap_n.id);
    planned.a_device_id = None;
    inventory::create_link(svc, &c, &planned).await?;
    made.links = 3;

    let cgnat = ipam::create_prefix(
        svc,
        &c,
        &PrefixInput {
            cidr: "100.64.0.0/10".into(),
            description: "CGNAT (RFC 6598)".into(),
            site_id: Some(dc.id),
            ..Default::default()
        },
    )
    .await?;
    let public = ipam::create_prefix(
        svc,
        &c,
        &PrefixInput {
            cidr: "203.0.113.0/24".into(),
            description: "Public block".into(),
            site_id: Some(dc.id),
            ..Default::default()
        },
    )
    .await?;
    let v6 = ipam::create_prefix(
        svc,
        &c,
        &PrefixInput {
            cidr: "2001:db8::/32".into(),
            description: "IPv6 allocation".into(),
            ..Default::default()
        },
    )
    .await?;
    let pool = |prefix_id, name: &str, cidr: &str, kind, purpose, assign_len| PoolInput {
        prefix_id,
        name: name.into(),
        cidr: cidr.into(),
        kind,
        purpose,
        assign_len,
        warn_percent: 80,
        notes: String::new(),
    };
    ipam::create_pool(
        svc,
        &c,
        &pool(
            cgnat.id,
            "pppoe-clientes",
            "100.64.0.0/16",
            PoolKind::Dynamic,
            PoolPurpose::Customers,
            None,
        ),
    )
    .await?;
    ipam::create_pool(
        svc,
        &c,
        &pool(
            cgnat.id,
            "bloqueados",
            "100.127.0.0/22",
            PoolKind::Dynamic,
            PoolPurpose::Suspended,
            None,
        ),
    )
    .await?;
    let fixed = ipam::create_pool(
        svc,
        &c,
        &pool(
            public.id,
            "ip-fixo",
            "203.0.113.0/26",
            PoolKind::Static,
            PoolPurpose::Customers,
            None,
        ),
    )
    .await?;
    let pd = ipam::create_pool(
        svc,
        &c,
        &pool(
            v6.id,
            "pd-56",
            "2001:db8:100::/40",
            PoolKind::Static,
            PoolPurpose::Customers,
            Some(56),
        ),
    )
    .await?;
    made.pools = 4;
    ipam::reserve(svc, &c, &Target::Address("203.0.113.1".into()), "gateway").await?;
    for &k in contract_ids.iter().take(static_contracts) {
        // A contract that already has addresses keeps them.
        if ipam::assign(svc, &c, k, &Target::Next { pool_id: fixed.id })
            .await
            .is_ok()
        {
            made.assigned += 1;
            ipam::assign(svc, &c, k, &Target::Next { pool_id: pd.id })
                .await
                .ok();
        }
    }
    Ok(made)
}
