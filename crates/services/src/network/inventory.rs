//! Sites, devices and links: create, change, read, list, delete, each
//! change recorded (audit and outbox) through [`Change`].

use domain::network::{self as net, Point};
use store::AnyConnection;

use super::{Device, Filter, Link, Site, access, invalid, json, missing};
use crate::{Caller, Change, Error, Result, Services};

fn site_row(s: &net::Site) -> Site {
    Site {
        id: 0,
        name: s.name.trim().to_owned(),
        kind: s.kind.as_str().into(),
        status: s.status.as_str().into(),
        address: s.address.trim().to_owned(),
        latitude: s.location.map(|p| p.lat),
        longitude: s.location.map(|p| p.lon),
        notes: s.notes.trim().to_owned(),
        created_at: 0,
        updated_at: 0,
    }
}

/// Creates a site (`network.manage`).
pub async fn create_site(svc: &Services, caller: &Caller, site: &net::Site) -> Result<Site> {
    access::manage(caller)?;
    site.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let id = store::network::inventory::insert_site(&mut tx, &site_row(site), store::now()).await?;
    let after = store::network::inventory::get_site(&mut tx, id).await?;
    Change::new("site.create", "site", id)
        .after(json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a site (`network.manage`).
pub async fn update_site(
    svc: &Services,
    caller: &Caller,
    id: i64,
    site: &net::Site,
) -> Result<Site> {
    access::manage(caller)?;
    site.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::inventory::get_site(&mut tx, id).await?;
    store::network::inventory::update_site(&mut tx, id, &site_row(site), store::now()).await?;
    let after = store::network::inventory::get_site(&mut tx, id).await?;
    Change::new("site.update", "site", id)
        .before(json(&before))
        .after(json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn get_site(svc: &Services, caller: &Caller, id: i64) -> Result<Site> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::inventory::get_site(&mut c, id).await?)
}

pub async fn list_sites(svc: &Services, caller: &Caller, f: &Filter) -> Result<(Vec<Site>, bool)> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::inventory::list_sites(&mut c, f).await?)
}

/// Every site's id and name (for forms and filters).
pub async fn site_names(svc: &Services, caller: &Caller) -> Result<Vec<(i64, String)>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::inventory::site_names(&mut c).await?)
}

/// Deletes a site nothing refers to (`network.manage`); one with devices,
/// links or prefixes is refused (`network-in-use`).
pub async fn delete_site(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::inventory::get_site(&mut tx, id).await?;
    if store::network::inventory::site_uses(&mut tx, id).await? > 0 {
        return Err(Error::Refused("network-in-use"));
    }
    store::network::inventory::delete_site(&mut tx, id).await?;
    Change::new("site.delete", "site", id)
        .before(json(&before))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A device as a form or the API gives it: the password is in clear and
/// optional (`None` keeps the stored one; `Some("")` removes it).
#[derive(Debug, Clone)]
pub struct DeviceInput {
    pub device: net::Device,
    pub password: Option<String>,
}

async fn check_refs(conn: &mut AnyConnection, id: Option<i64>, d: &net::Device) -> Result<()> {
    if let Some(s) = d.site_id {
        store::network::inventory::get_site(conn, s)
            .await
            .map_err(Error::from)
            .map_err(missing("site_id"))?;
    }
    if let Some(u) = d.uplink_id {
        store::network::inventory::get_device(conn, u)
            .await
            .map_err(Error::from)
            .map_err(missing("uplink_id"))?;
        // A device cannot hang below itself.
        if let Some(id) = id
            && (u == id
                || store::network::inventory::uplink_chain(conn, u, 64)
                    .await?
                    .contains(&id))
        {
            return Err(Error::invalid(
                "uplink_id",
                domain::validate::FieldError::Choice,
            ));
        }
    }
    Ok(())
}

fn device_row(d: &net::Device, secret: String) -> Device {
    Device {
        id: 0,
        name: d.name.trim().to_owned(),
        role: d.role.as_str().into(),
        status: d.status.as_str().into(),
        vendor: d.vendor.trim().to_owned(),
        model: d.model.trim().to_owned(),
        serial: d.serial.trim().to_owned(),
        mac: d.mac.clone(),
        firmware: d.firmware.trim().to_owned(),
        mgmt_address: d.mgmt_address.clone(),
        username: d.username.trim().to_owned(),
        secret,
        site_id: d.site_id,
        uplink_id: d.uplink_id,
        nas_id: None,
        notes: d.notes.trim().to_owned(),
        created_at: 0,
        updated_at: 0,
        site_name: None,
    }
}

fn check_password(p: &str) -> Result<()> {
    if p.chars().count() > 128 {
        return Err(Error::invalid(
            "password",
            domain::validate::FieldError::TooLong,
        ));
    }
    Ok(())
}

/// Creates a device (`network.manage`); its password is encrypted at rest.
pub async fn create_device(svc: &Services, caller: &Caller, input: &DeviceInput) -> Result<Device> {
    access::manage(caller)?;
    let mut d = input.device.clone();
    d.validate().map_err(invalid)?;
    let secret = match input.password.as_deref() {
        Some(p) if !p.is_empty() => {
            check_password(p)?;
            svc.secrets.encrypt(p)
        }
        _ => String::new(),
    };
    let mut tx = svc.db.begin().await?;
    check_refs(&mut tx, None, &d).await?;
    let id =
        store::network::inventory::insert_device(&mut tx, &device_row(&d, secret), store::now())
            .await?;
    let after = store::network::inventory::get_device(&mut tx, id).await?;
    Change::new("device.create", "device", id)
        .after(device_json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// The audit's view of a device: never the password, only whether one is
/// kept.
fn device_json(d: &Device) -> serde_json::Value {
    let mut v = json(d);
    if let Some(o) = v.as_object_mut() {
        o.insert("has_password".into(), (!d.secret.is_empty()).into());
    }
    v
}

/// Changes a device (`network.manage`).
pub async fn update_device(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &DeviceInput,
) -> Result<Device> {
    access::manage(caller)?;
    let mut d = input.device.clone();
    d.validate().map_err(invalid)?;
    if let Some(p) = &input.password {
        check_password(p)?;
    }
    let mut tx = svc.db.begin().await?;
    let before = store::network::inventory::get_device(&mut tx, id).await?;
    check_refs(&mut tx, Some(id), &d).await?;
    let secret = match input.password.as_deref() {
        None => before.secret.clone(),
        Some("") => String::new(),
        Some(p) => svc.secrets.encrypt(p),
    };
    store::network::inventory::update_device(&mut tx, id, &device_row(&d, secret), store::now())
        .await?;
    let after = store::network::inventory::get_device(&mut tx, id).await?;
    let mut after_json = device_json(&after);
    if let Some(o) = after_json.as_object_mut() {
        o.insert("password_changed".into(), input.password.is_some().into());
    }
    Change::new("device.update", "device", id)
        .before(device_json(&before))
        .after(after_json)
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn get_device(svc: &Services, caller: &Caller, id: i64) -> Result<Device> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::inventory::get_device(&mut c, id).await?)
}

/// A device's management password in clear (`network.manage`), recording
/// who saw it (`device.secret_revealed`).
pub async fn reveal_device_password(svc: &Services, caller: &Caller, id: i64) -> Result<String> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    let d = store::network::inventory::get_device(&mut tx, id).await?;
    let clear = if d.secret.is_empty() {
        String::new()
    } else {
        svc.secrets
            .decrypt(&d.secret)
            .map_err(|e| Error::Internal(format!("device {id} password: {e}")))?
    };
    Change::new("device.secret_revealed", "device", id)
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(clear)
}

pub async fn list_devices(
    svc: &Services,
    caller: &Caller,
    f: &Filter,
) -> Result<(Vec<Device>, bool)> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::inventory::list_devices(&mut c, f).await?)
}

pub async fn device_names(svc: &Services, caller: &Caller) -> Result<Vec<(i64, String)>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::inventory::device_names(&mut c).await?)
}

/// Deletes a device nothing refers to (`network.manage`). A router that
/// is a RADIUS client keeps its NAS row: that one goes from the RADIUS
/// pages, which know whether sessions still name it.
pub async fn delete_device(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::inventory::get_device(&mut tx, id).await?;
    if store::network::inventory::device_uses(&mut tx, id).await? > 0 {
        return Err(Error::Refused("network-in-use"));
    }
    store::network::inventory::delete_device(&mut tx, id).await?;
    Change::new("device.delete", "device", id)
        .before(device_json(&before))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds the router device of a NAS just registered, in its transaction
/// (see the module's note). A device already named like the NAS keeps its
/// name and takes the link instead, when it has none.
pub(crate) async fn adopt_nas(
    conn: &mut AnyConnection,
    nas_id: i64,
    name: &str,
    address: &str,
    at: i64,
) -> Result<()> {
    let row = Device {
        name: name.to_owned(),
        role: net::DeviceRole::Router.as_str().into(),
        status: net::Status::Active.as_str().into(),
        mgmt_address: address.to_owned(),
        nas_id: Some(nas_id),
        ..device_row(&empty_device(), String::new())
    };
    match store::network::inventory::insert_device(conn, &row, at).await {
        Ok(_) => Ok(()),
        Err(store::Error::Conflict(_)) => {
            store::network::inventory::link_nas_by_name(conn, name, nas_id).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn empty_device() -> net::Device {
    net::Device {
        name: String::new(),
        role: net::DeviceRole::Router,
        status: net::Status::Active,
        vendor: String::new(),
        model: String::new(),
        serial: String::new(),
        mac: String::new(),
        firmware: String::new(),
        mgmt_address: String::new(),
        username: String::new(),
        site_id: None,
        uplink_id: None,
        notes: String::new(),
    }
}

fn link_row(l: &net::Link) -> Link {
    Link {
        id: 0,
        name: l.name.trim().to_owned(),
        kind: l.kind.as_str().into(),
        status: l.status.as_str().into(),
        a_site_id: l.a_site_id,
        a_device_id: l.a_device_id,
        b_site_id: l.b_site_id,
        b_device_id: l.b_device_id,
        capacity_mbps: l.capacity_mbps,
        path: net::path_text(&l.path),
        notes: l.notes.trim().to_owned(),
        created_at: 0,
        updated_at: 0,
        a_name: None,
        b_name: None,
    }
}

async fn check_link_refs(conn: &mut AnyConnection, l: &net::Link) -> Result<()> {
    for (field, site) in [("a_site_id", l.a_site_id), ("b_site_id", l.b_site_id)] {
        if let Some(s) = site {
            store::network::inventory::get_site(conn, s)
                .await
                .map_err(Error::from)
                .map_err(missing(field))?;
        }
    }
    for (field, dev) in [
        ("a_device_id", l.a_device_id),
        ("b_device_id", l.b_device_id),
    ] {
        if let Some(d) = dev {
            store::network::inventory::get_device(conn, d)
                .await
                .map_err(Error::from)
                .map_err(missing(field))?;
        }
    }
    Ok(())
}

/// Creates a link (`network.manage`).
pub async fn create_link(svc: &Services, caller: &Caller, link: &net::Link) -> Result<Link> {
    access::manage(caller)?;
    link.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    check_link_refs(&mut tx, link).await?;
    let id = store::network::inventory::insert_link(&mut tx, &link_row(link), store::now()).await?;
    let after = store::network::inventory::get_link(&mut tx, id).await?;
    Change::new("link.create", "link", id)
        .after(json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a link (`network.manage`).
pub async fn update_link(
    svc: &Services,
    caller: &Caller,
    id: i64,
    link: &net::Link,
) -> Result<Link> {
    access::manage(caller)?;
    link.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::inventory::get_link(&mut tx, id).await?;
    check_link_refs(&mut tx, link).await?;
    store::network::inventory::update_link(&mut tx, id, &link_row(link), store::now()).await?;
    let after = store::network::inventory::get_link(&mut tx, id).await?;
    Change::new("link.update", "link", id)
        .before(json(&before))
        .after(json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn get_link(svc: &Services, caller: &Caller, id: i64) -> Result<Link> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::inventory::get_link(&mut c, id).await?)
}

pub async fn list_links(svc: &Services, caller: &Caller, f: &Filter) -> Result<(Vec<Link>, bool)> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::inventory::list_links(&mut c, f).await?)
}

/// Deletes a link (`network.manage`).
pub async fn delete_link(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::inventory::get_link(&mut tx, id).await?;
    store::network::inventory::delete_link(&mut tx, id).await?;
    Change::new("link.delete", "link", id)
        .before(json(&before))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A link's path as points (for the map and forms).
pub fn path(l: &Link) -> Vec<Point> {
    net::parse_path(&l.path).unwrap_or_default()
}
