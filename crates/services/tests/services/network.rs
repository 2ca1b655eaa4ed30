//! The network area on SQLite and PostgreSQL: the inventory (sites,
//! devices with encrypted passwords, links), prefixes that nest, pools that
//! refuse overlaps, allocation onto the contract RADIUS reads, conflicts,
//! release, utilisation, permissions, and NAS rows as router devices.

use domain::Money;
use domain::catalog::{BillingMode, Cycle, Plan, SuspendedBehavior, Technology};
use domain::network::ipam::{PoolKind, PoolPurpose};
use domain::network::{self as net, DeviceRole, LinkKind, LinkStatus, SiteKind, Status};
use domain::validate::FieldError;
use domain::{Permission, PermissionSet};
use services::contracts::{self, ContractInput};
use services::crm::{self, Created, CustomerInput};
use services::network::inventory::{self, DeviceInput};
use services::network::ipam::{self, PoolInput, PrefixInput, Target};
use services::network::{Filter, IpFilter};
use services::{Error, FieldReason, Services, catalog, nas};
use store::testing::each_engine;

use crate::{admin_caller, audited, staff_with, svc};

fn field(r: Result<impl std::fmt::Debug, Error>) -> (&'static str, FieldError) {
    match r {
        Err(Error::Invalid {
            field,
            reason: FieldReason::Rule(rule),
        }) => (field, rule),
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn site(name: &str) -> net::Site {
    net::Site {
        name: name.into(),
        kind: SiteKind::Tower,
        status: Status::Active,
        address: "Rua das Flores, 10".into(),
        location: Some(net::Point {
            lat: -23.55,
            lon: -46.63,
        }),
        notes: String::new(),
    }
}

fn device(name: &str, site_id: Option<i64>, uplink_id: Option<i64>) -> DeviceInput {
    DeviceInput {
        device: net::Device {
            name: name.into(),
            role: DeviceRole::Router,
            status: Status::Active,
            vendor: "MikroTik".into(),
            model: "CCR2004".into(),
            serial: format!("SN-{name}"),
            mac: String::new(),
            firmware: "7.18".into(),
            mgmt_address: "10.255.0.1".into(),
            username: "admin".into(),
            site_id,
            uplink_id,
            notes: String::new(),
        },
        password: Some("router-pass-1".into()),
    }
}

fn plan() -> Plan {
    Plan {
        name: "Fibra 300".into(),
        description: String::new(),
        download_kbps: 300_000,
        upload_kbps: 150_000,
        burst_down: None,
        burst_up: None,
        quota: None,
        price: Money(9990),
        billing_mode: BillingMode::Postpaid,
        cycle: Cycle::Monthly,
        installation_fee: Money(0),
        loyalty_months: 0,
        early_termination_fee: Money(0),
        tax_category: String::new(),
        technology: Technology::Fiber,
        suspended_behavior: SuspendedBehavior::Reject,
        active: true,
        public: true,
    }
}

/// `n` contracts of one customer, by id.
async fn contracts(s: &Services, n: usize) -> Vec<i64> {
    let plan_id = catalog::create_plan(s, &admin_caller(), &plan())
        .await
        .unwrap()
        .id;
    let input = CustomerInput {
        kind: "person".into(),
        name: "Ana Souza".into(),
        document: "529.982.247-25".into(),
        ..Default::default()
    };
    let Created::Customer(c) = crm::create_customer(s, &admin_caller(), &input)
        .await
        .unwrap()
    else {
        panic!("duplicates")
    };
    let mut ids = Vec::new();
    for i in 0..n {
        let k = contracts::create(
            s,
            &admin_caller(),
            &ContractInput {
                customer_id: c.id,
                plan_id,
                billing_day: 10,
                start_date: "2026-01-10".into(),
                login: format!("ana{i}"),
                password: "first-pw".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push(k.id);
    }
    ids
}

fn prefix(cidr: &str) -> PrefixInput {
    PrefixInput {
        cidr: cidr.into(),
        ..Default::default()
    }
}

fn pool(prefix_id: i64, name: &str, cidr: &str, kind: PoolKind) -> PoolInput {
    PoolInput {
        prefix_id,
        name: name.into(),
        cidr: cidr.into(),
        kind,
        purpose: PoolPurpose::Customers,
        assign_len: None,
        warn_percent: 80,
        notes: String::new(),
    }
}

#[tokio::test]
async fn the_inventory_keeps_sites_devices_and_links_with_encrypted_passwords() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = admin_caller();
        let centro = inventory::create_site(&s, &a, &site("Torre Centro"))
            .await
            .unwrap();
        let dc = inventory::create_site(
            &s,
            &a,
            &net::Site {
                kind: SiteKind::DataCenter,
                location: None,
                ..site("DC Norte")
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            inventory::create_site(&s, &a, &site("Torre Centro")).await,
            Err(Error::Conflict("name"))
        ));
        let core = inventory::create_device(&s, &a, &device("core-1", Some(dc.id), None))
            .await
            .unwrap();
        // Encrypted at rest; shown to a manager, which the audit log records.
        assert!(!core.secret.is_empty() && !core.secret.contains("router-pass-1"));
        assert_eq!(
            inventory::reveal_device_password(&s, &a, core.id)
                .await
                .unwrap(),
            "router-pass-1"
        );
        assert_eq!(audited(&s, "device.secret_revealed").await.len(), 1);
        assert!(
            !audited(&s, "device.create").await[0]
                .after_json
                .as_deref()
                .unwrap_or_default()
                .contains("router-pass")
        );
        let ap = inventory::create_device(&s, &a, &device("ap-1", Some(centro.id), Some(core.id)))
            .await
            .unwrap();
        assert_eq!(ap.site_name.as_deref(), Some("Torre Centro"));
        // No loops: the core cannot hang below its own access point.
        let looped = device("core-1", Some(dc.id), Some(ap.id));
        assert_eq!(
            field(inventory::update_device(&s, &a, core.id, &looped).await),
            ("uplink_id", FieldError::Choice)
        );
        let mut bad = device("x", None, None);
        bad.device.mac = "nope".into();
        assert_eq!(
            field(inventory::create_device(&s, &a, &bad).await),
            ("mac", FieldError::Mac)
        );
        assert_eq!(
            field(inventory::create_device(&s, &a, &device("y", Some(999), None)).await),
            ("site_id", FieldError::Choice)
        );
        // A password left out keeps the stored one.
        let kept = DeviceInput {
            password: None,
            ..device("core-1", Some(dc.id), None)
        };
        let core = inventory::update_device(&s, &a, core.id, &kept)
            .await
            .unwrap();
        assert_eq!(
            inventory::reveal_device_password(&s, &a, core.id)
                .await
                .unwrap(),
            "router-pass-1"
        );
        let link = inventory::create_link(
            &s,
            &a,
            &net::Link {
                name: "Centro - DC".into(),
                kind: LinkKind::WirelessPtp,
                status: LinkStatus::Active,
                a_site_id: Some(centro.id),
                a_device_id: Some(ap.id),
                b_site_id: Some(dc.id),
                b_device_id: None,
                capacity_mbps: 1000,
                path: net::parse_path("-23.55,-46.63; -23.50,-46.60").unwrap(),
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(link.a_name.as_deref(), Some("ap-1"));
        assert_eq!(link.b_name.as_deref(), Some("DC Norte"));
        assert_eq!(inventory::path(&link).len(), 2);
        let (found, more) = inventory::list_devices(
            &s,
            &a,
            &Filter {
                q: Some("AP-".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((found.len(), more), (1, false));
        let (links, _) = inventory::list_links(
            &s,
            &a,
            &Filter {
                site_id: Some(dc.id),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(links.len(), 1);
        // In use: refused, naming why; free: deleted, and audited.
        assert!(matches!(
            inventory::delete_site(&s, &a, centro.id).await,
            Err(Error::Refused("network-in-use"))
        ));
        inventory::delete_link(&s, &a, link.id).await.unwrap();
        inventory::delete_device(&s, &a, ap.id).await.unwrap();
        inventory::delete_site(&s, &a, centro.id).await.unwrap();
        assert_eq!(audited(&s, "site.delete").await.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_registered_nas_is_a_router_device() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = admin_caller();
        let id = nas::create(
            &s,
            &a,
            &nas::NasInput {
                name: "bras-1".into(),
                address: "192.0.2.1".into(),
                secret: "s3cret-s3cret".into(),
                kind: "mikrotik".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let (devices, _) = inventory::list_devices(
            &s,
            &a,
            &Filter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].nas_id, Some(id));
        assert_eq!(devices[0].role, "router");
        assert_eq!(devices[0].mgmt_address, "192.0.2.1");
    })
    .await;
}

#[tokio::test]
async fn prefixes_nest_and_pools_stay_inside_without_overlapping() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = admin_caller();
        let p8 = ipam::create_prefix(&s, &a, &prefix("10.0.0.0/8"))
            .await
            .unwrap();
        let p16 = ipam::create_prefix(&s, &a, &prefix("10.1.0.0/16"))
            .await
            .unwrap();
        assert_eq!(p16.parent_id, Some(p8.id), "found its parent");
        // A prefix slotted between them takes the /16 under it.
        let p12 = ipam::create_prefix(&s, &a, &prefix("10.0.0.0/12"))
            .await
            .unwrap();
        assert_eq!(p12.parent_id, Some(p8.id));
        assert_eq!(
            ipam::get_prefix(&s, &a, p16.id).await.unwrap().parent_id,
            Some(p12.id)
        );
        assert!(matches!(
            ipam::create_prefix(&s, &a, &prefix("10.1.0.0/16")).await,
            Err(Error::Conflict("cidr"))
        ));
        // The same block in another VRF is another prefix.
        ipam::create_prefix(
            &s,
            &a,
            &PrefixInput {
                vrf: "mgmt".into(),
                ..prefix("10.1.0.0/16")
            },
        )
        .await
        .unwrap();
        assert_eq!(
            field(
                ipam::create_prefix(
                    &s,
                    &a,
                    &PrefixInput {
                        parent_id: Some(p16.id),
                        ..prefix("10.2.0.0/24")
                    }
                )
                .await
            ),
            ("parent_id", FieldError::NotInside)
        );
        assert_eq!(
            field(ipam::create_prefix(&s, &a, &prefix("10.1.0.1/16")).await),
            ("cidr", FieldError::Prefix)
        );
        let (children, _) = ipam::list_prefixes(
            &s,
            &a,
            &IpFilter {
                parent_id: Some(p8.id),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(children.len(), 1, "only the /12 sits right under the /8");
        assert!(matches!(
            ipam::delete_prefix(&s, &a, p12.id).await,
            Err(Error::Refused("network-in-use"))
        ));

        ipam::create_pool(
            &s,
            &a,
            &pool(p16.id, "static-a", "10.1.0.0/24", PoolKind::Static),
        )
        .await
        .unwrap();
        ipam::create_pool(
            &s,
            &a,
            &pool(p16.id, "pppoe-dyn", "10.1.8.0/22", PoolKind::Dynamic),
        )
        .await
        .unwrap();
        for (input, expected) in [
            (
                pool(p16.id, "b", "10.1.0.128/25", PoolKind::Static),
                ("cidr", FieldError::Overlaps),
            ),
            (
                pool(p16.id, "c", "10.1.0.0/20", PoolKind::Dynamic),
                ("cidr", FieldError::Overlaps),
            ),
            (
                pool(p16.id, "d", "10.2.0.0/24", PoolKind::Static),
                ("cidr", FieldError::NotInside),
            ),
            (
                pool(p16.id, "bad name", "10.1.1.0/24", PoolKind::Static),
                ("name", FieldError::Choice),
            ),
            (
                PoolInput {
                    assign_len: Some(30),
                    ..pool(p16.id, "e", "10.1.1.0/24", PoolKind::Static)
                },
                ("assign_len", FieldError::Range),
            ),
            (
                pool(999, "f", "10.1.1.0/24", PoolKind::Static),
                ("prefix_id", FieldError::Choice),
            ),
        ] {
            assert_eq!(field(ipam::create_pool(&s, &a, &input).await), expected);
        }
        assert!(matches!(
            ipam::create_pool(
                &s,
                &a,
                &pool(p16.id, "static-a", "10.1.2.0/24", PoolKind::Static)
            )
            .await,
            Err(Error::Conflict("name"))
        ));
    })
    .await;
}

#[tokio::test]
async fn static_addresses_are_allocated_onto_the_contract_and_conflicts_refused() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = admin_caller();
        let ks = contracts(&s, 5).await;
        let p = ipam::create_prefix(&s, &a, &prefix("100.64.0.0/16"))
            .await
            .unwrap();
        let small = ipam::create_pool(
            &s,
            &a,
            &PoolInput {
                warn_percent: 50,
                ..pool(p.id, "fixed-1", "100.64.0.0/29", PoolKind::Static)
            },
        )
        .await
        .unwrap();
        let dynamic = ipam::create_pool(
            &s,
            &a,
            &pool(p.id, "pppoe", "100.64.4.0/22", PoolKind::Dynamic),
        )
        .await
        .unwrap();
        let next = Target::Next { pool_id: small.id };

        let first = ipam::assign(&s, &a, ks[0], &next).await.unwrap();
        assert_eq!(first.address, "100.64.0.1");
        assert!(first.contract_number.is_some());
        // Written where RADIUS reads it, with the contract's change event.
        let mut c = db.conn().await.unwrap();
        let k0 = store::contracts::get(&mut c, ks[0]).await.unwrap();
        assert_eq!(k0.ipv4.as_deref(), Some("100.64.0.1"));
        drop(c);
        assert_eq!(audited(&s, "ip.assign").await.len(), 1);

        assert_eq!(
            ipam::assign(&s, &a, ks[1], &next).await.unwrap().address,
            "100.64.0.2"
        );
        // One address per contract and family.
        assert!(matches!(
            ipam::assign(&s, &a, ks[0], &next).await,
            Err(Error::Conflict("contract_id"))
        ));
        // A reservation holds .3 back; the next contract skips it.
        let gw = ipam::reserve(&s, &a, &Target::Address("100.64.0.3".into()), "gateway")
            .await
            .unwrap();
        assert_eq!(gw.kind, "reserved");
        assert_eq!(
            ipam::assign(&s, &a, ks[2], &next).await.unwrap().address,
            "100.64.0.4"
        );
        // An address given twice is refused.
        assert!(matches!(
            ipam::assign(&s, &a, ks[3], &Target::Address("100.64.0.2".into())).await,
            Err(Error::Conflict("address"))
        ));
        // Static addresses come from static pools only.
        assert_eq!(
            field(ipam::assign(&s, &a, ks[3], &Target::Address("100.64.4.10".into())).await),
            ("address", FieldError::InDynamicPool)
        );
        assert!(matches!(
            ipam::assign(
                &s,
                &a,
                ks[3],
                &Target::Next {
                    pool_id: dynamic.id
                }
            )
            .await,
            Err(Error::Refused("pool-not-static"))
        ));
        assert_eq!(
            field(ipam::assign(&s, &a, ks[3], &Target::Address("198.51.100.1".into())).await),
            ("address", FieldError::NotInside)
        );
        assert_eq!(
            field(ipam::assign(&s, &a, ks[3], &Target::Address("100.64.0.7".into())).await),
            ("address", FieldError::Range),
            "the broadcast address is not handed out"
        );
        // A typed free address is taken as typed.
        assert_eq!(
            ipam::assign(&s, &a, ks[3], &Target::Address("100.64.0.6".into()))
                .await
                .unwrap()
                .address,
            "100.64.0.6"
        );
        let full = ipam::get_pool(&s, &a, small.id).await.unwrap();
        let u = ipam::utilisation(&full);
        assert_eq!((u.used, u.size, u.percent, u.warning), (5, 6, 83, true));
        assert_eq!(
            ipam::assign(&s, &a, ks[4], &next).await.unwrap().address,
            "100.64.0.5"
        );
        assert!(matches!(
            ipam::assign(&s, &a, ks[4], &next).await,
            Err(Error::Conflict("contract_id")) | Err(Error::Refused("pool-full"))
        ));
        // Released: off the contract, and the next allocation takes it again.
        let second = ipam::contract_addresses(&s, &a, ks[1]).await.unwrap();
        assert_eq!(second.len(), 1);
        ipam::release(&s, &a, second[0].id).await.unwrap();
        let mut c = db.conn().await.unwrap();
        assert_eq!(
            store::contracts::get(&mut c, ks[1]).await.unwrap().ipv4,
            None
        );
        drop(c);
        ipam::release(&s, &a, first.id).await.unwrap();
        assert!(matches!(
            ipam::delete_pool(&s, &a, small.id).await,
            Err(Error::Refused("network-in-use"))
        ));
        assert_eq!(
            ipam::assign(&s, &a, ks[1], &next).await.unwrap().address,
            "100.64.0.1"
        );
        assert_eq!(
            ipam::assign(&s, &a, ks[0], &next).await.unwrap().address,
            "100.64.0.2"
        );
        assert!(matches!(
            ipam::reserve(&s, &a, &next, "").await,
            Err(Error::Refused("pool-full"))
        ));
        let (taken, _) = ipam::list_assignments(&s, &a, small.id, None, 100)
            .await
            .unwrap();
        let addresses: Vec<_> = taken.iter().map(|t| t.address.as_str()).collect();
        assert_eq!(
            addresses,
            [
                "100.64.0.1",
                "100.64.0.2",
                "100.64.0.3",
                "100.64.0.4",
                "100.64.0.5",
                "100.64.0.6"
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn ipv6_pools_delegate_prefixes_onto_the_contract() {
    each_engine(|db| async move {
        let s = svc(&db);
        let a = admin_caller();
        let ks = contracts(&s, 2).await;
        let p = ipam::create_prefix(&s, &a, &prefix("2001:db8::/32"))
            .await
            .unwrap();
        let pd = ipam::create_pool(
            &s,
            &a,
            &PoolInput {
                assign_len: Some(56),
                ..pool(p.id, "pd-56", "2001:db8:100::/40", PoolKind::Static)
            },
        )
        .await
        .unwrap();
        assert_eq!(ipam::utilisation(&pd).size, 65536);
        let next = Target::Next { pool_id: pd.id };
        assert_eq!(
            ipam::assign(&s, &a, ks[0], &next).await.unwrap().address,
            "2001:db8:100::/56"
        );
        assert_eq!(
            ipam::assign(&s, &a, ks[1], &next).await.unwrap().address,
            "2001:db8:100:100::/56"
        );
        let mut c = db.conn().await.unwrap();
        assert_eq!(
            store::contracts::get(&mut c, ks[1])
                .await
                .unwrap()
                .ipv6_prefix
                .as_deref(),
            Some("2001:db8:100:100::/56")
        );
    })
    .await;
}

#[tokio::test]
async fn callers_without_the_network_permissions_are_refused() {
    each_engine(|db| async move {
        let s = svc(&db);
        let viewer = staff_with(PermissionSet::from_iter([Permission::NetworkView]));
        let nobody = staff_with(PermissionSet::from_iter([Permission::CustomersView]));
        let f = Filter {
            limit: 10,
            ..Default::default()
        };
        assert!(inventory::list_sites(&s, &viewer, &f).await.is_ok());
        assert!(matches!(
            inventory::list_sites(&s, &nobody, &f).await,
            Err(Error::Forbidden("network.view"))
        ));
        assert!(matches!(
            inventory::create_site(&s, &viewer, &site("X")).await,
            Err(Error::Forbidden("network.manage"))
        ));
        assert!(matches!(
            ipam::create_prefix(&s, &viewer, &prefix("10.0.0.0/8")).await,
            Err(Error::Forbidden("network.manage"))
        ));
        let p = ipam::create_prefix(&s, &admin_caller(), &prefix("10.0.0.0/8"))
            .await
            .unwrap();
        let pl = ipam::create_pool(
            &s,
            &admin_caller(),
            &pool(p.id, "x", "10.0.0.0/24", PoolKind::Static),
        )
        .await
        .unwrap();
        assert!(matches!(
            ipam::assign(&s, &viewer, 1, &Target::Next { pool_id: pl.id }).await,
            Err(Error::Forbidden("network.manage"))
        ));
        assert!(matches!(
            ipam::list_pools(
                &s,
                &nobody,
                &IpFilter {
                    limit: 10,
                    ..Default::default()
                }
            )
            .await,
            Err(Error::Forbidden("network.view"))
        ));
        assert!(matches!(
            inventory::reveal_device_password(&s, &viewer, 1).await,
            Err(Error::Forbidden("network.manage"))
        ));
    })
    .await;
}
