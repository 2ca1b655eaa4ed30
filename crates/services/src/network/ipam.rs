//! IP address management: prefixes (nested, per VRF), pools inside them,
//! and the slots taken in static pools, each given to a contract or
//! reserved.
//!
//! A contract's static address lives where RADIUS already reads it
//! (`contracts.ipv4`, `contracts.ipv6_prefix`): assigning writes it there
//! in the same transaction and records `ContractUpdated`, so every RADIUS
//! node re-reads that contract and the next Access-Accept carries
//! Framed-IP-Address (or the IPv6 prefix) without any lookup on the hot
//! path.

use domain::crm::timeline::EventKind;
use domain::event::ContractUpdated;
use domain::network::ipam::{self as rules, AssignmentKind, PoolKind, PoolPurpose, Utilisation};
use domain::validate::{self, FieldError};
use ipnet::IpNet;
use serde_json::json;
use store::AnyConnection;

use super::{Assignment, IpFilter, Pool, Prefix, access, invalid, json, missing};
use crate::{Caller, Change, Error, Result, Services};

fn family(n: &IpNet) -> i64 {
    if n.max_prefix_len() == 32 { 4 } else { 6 }
}

fn parse_net(field: &'static str, text: &str) -> Result<IpNet> {
    rules::prefix(text).map_err(|e| Error::invalid(field, e))
}

/// A prefix as a form or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct PrefixInput {
    pub cidr: String,
    pub vrf: String,
    /// `None`: the tightest prefix of the VRF that holds it, if any.
    pub parent_id: Option<i64>,
    pub site_id: Option<i64>,
    pub description: String,
}

/// Creates a prefix (`network.manage`). It nests under `parent_id`, which
/// must hold it, or else under the tightest prefix of its VRF that does;
/// prefixes under that parent which the new one holds move beneath it.
pub async fn create_prefix(svc: &Services, caller: &Caller, input: &PrefixInput) -> Result<Prefix> {
    access::manage(caller)?;
    let cidr = parse_net("cidr", &input.cidr)?;
    let vrf = input.vrf.trim().to_owned();
    validate::optional(&vrf, 40).map_err(|e| Error::invalid("vrf", e))?;
    validate::optional_multiline(&input.description, 500)
        .map_err(|e| Error::invalid("description", e))?;
    let fam = family(&cidr);
    let mut tx = svc.db.begin().await?;
    if let Some(s) = input.site_id {
        store::network::inventory::get_site(&mut tx, s)
            .await
            .map_err(Error::from)
            .map_err(missing("site_id"))?;
    }
    let all = store::network::ipam::prefixes_in_vrf(&mut tx, &vrf, fam).await?;
    let nets: Vec<(i64, IpNet, Option<i64>)> = all
        .iter()
        .filter_map(|(id, c, p)| c.parse().ok().map(|n| (*id, n, *p)))
        .collect();
    if nets.iter().any(|(_, n, _)| *n == cidr) {
        return Err(Error::Conflict("cidr"));
    }
    let parent = match input.parent_id {
        Some(pid) => {
            let p = store::network::ipam::get_prefix(&mut tx, pid)
                .await
                .map_err(Error::from)
                .map_err(missing("parent_id"))?;
            let pnet: IpNet = p
                .cidr
                .parse()
                .map_err(|_| Error::Internal(format!("prefix {pid} has a bad cidr")))?;
            if p.vrf != vrf {
                return Err(Error::invalid("parent_id", FieldError::NotInside));
            }
            rules::check_prefix(&cidr, Some(&pnet)).map_err(invalid)?;
            Some(pid)
        }
        None => nets
            .iter()
            .filter(|(_, n, _)| n.contains(&cidr) && n.prefix_len() < cidr.prefix_len())
            .max_by_key(|(_, n, _)| n.prefix_len())
            .map(|(id, _, _)| *id),
    };
    let row = Prefix {
        id: 0,
        cidr: cidr.to_string(),
        family: fam,
        vrf: vrf.clone(),
        parent_id: parent,
        site_id: input.site_id,
        description: input.description.trim().to_owned(),
        created_at: 0,
        updated_at: 0,
        parent_cidr: None,
        site_name: None,
    };
    let id = store::network::ipam::insert_prefix(&mut tx, &row, store::now()).await?;
    let moved: Vec<i64> = nets
        .iter()
        .filter(|(_, n, p)| *p == parent && cidr.contains(n) && n.prefix_len() > cidr.prefix_len())
        .map(|(id, _, _)| *id)
        .collect();
    store::network::ipam::reparent(&mut tx, &moved, id).await?;
    let after = store::network::ipam::get_prefix(&mut tx, id).await?;
    Change::new("prefix.create", "prefix", id)
        .after(json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a prefix's site and description (`network.manage`); its block,
/// VRF and place in the tree stay.
pub async fn update_prefix(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &PrefixInput,
) -> Result<Prefix> {
    access::manage(caller)?;
    validate::optional_multiline(&input.description, 500)
        .map_err(|e| Error::invalid("description", e))?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::ipam::get_prefix(&mut tx, id).await?;
    if let Some(s) = input.site_id {
        store::network::inventory::get_site(&mut tx, s)
            .await
            .map_err(Error::from)
            .map_err(missing("site_id"))?;
    }
    let row = Prefix {
        site_id: input.site_id,
        description: input.description.trim().to_owned(),
        ..before.clone()
    };
    store::network::ipam::update_prefix(&mut tx, id, &row, store::now()).await?;
    let after = store::network::ipam::get_prefix(&mut tx, id).await?;
    Change::new("prefix.update", "prefix", id)
        .before(json(&before))
        .after(json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn get_prefix(svc: &Services, caller: &Caller, id: i64) -> Result<Prefix> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::ipam::get_prefix(&mut c, id).await?)
}

pub async fn list_prefixes(
    svc: &Services,
    caller: &Caller,
    f: &IpFilter,
) -> Result<(Vec<Prefix>, bool)> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::ipam::list_prefixes(&mut c, f).await?)
}

pub async fn prefix_names(svc: &Services, caller: &Caller) -> Result<Vec<(i64, String)>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::ipam::prefix_names(&mut c).await?)
}

/// Deletes a prefix with no child prefixes and no pools (`network.manage`).
pub async fn delete_prefix(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::ipam::get_prefix(&mut tx, id).await?;
    if store::network::ipam::prefix_uses(&mut tx, id).await? > 0 {
        return Err(Error::Refused("network-in-use"));
    }
    store::network::ipam::delete_prefix(&mut tx, id).await?;
    Change::new("prefix.delete", "prefix", id)
        .before(json(&before))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A pool as a form or the API gives it.
#[derive(Debug, Clone)]
pub struct PoolInput {
    pub prefix_id: i64,
    pub name: String,
    pub cidr: String,
    pub kind: PoolKind,
    pub purpose: PoolPurpose,
    /// `None`: single addresses (32 for IPv4, 128 for IPv6).
    pub assign_len: Option<i64>,
    pub warn_percent: i64,
    pub notes: String,
}

/// Creates a pool inside its prefix, overlapping no other pool of the VRF
/// (`network.manage`).
pub async fn create_pool(svc: &Services, caller: &Caller, input: &PoolInput) -> Result<Pool> {
    access::manage(caller)?;
    let cidr = parse_net("cidr", &input.cidr)?;
    validate::optional_multiline(&input.notes, 2000).map_err(|e| Error::invalid("notes", e))?;
    let assign_len = match input.assign_len {
        None => cidr.max_prefix_len(),
        Some(n) => u8::try_from(n).map_err(|_| Error::invalid("assign_len", FieldError::Range))?,
    };
    let mut tx = svc.db.begin().await?;
    let prefix = store::network::ipam::get_prefix(&mut tx, input.prefix_id)
        .await
        .map_err(Error::from)
        .map_err(missing("prefix_id"))?;
    let pnet: IpNet = prefix
        .cidr
        .parse()
        .map_err(|_| Error::Internal(format!("prefix {} has a bad cidr", prefix.id)))?;
    let others: Vec<IpNet> =
        store::network::ipam::pools_in_vrf(&mut tx, &prefix.vrf, family(&cidr))
            .await?
            .iter()
            .filter_map(|(_, c, _)| c.parse().ok())
            .collect();
    let pool = rules::Pool {
        name: input.name.trim().to_owned(),
        cidr,
        kind: input.kind,
        purpose: input.purpose,
        assign_len,
        warn_percent: input.warn_percent,
    };
    pool.validate(&pnet, &others).map_err(invalid)?;
    let (first, last) = rules::slot_range(&cidr, assign_len);
    let row = Pool {
        id: 0,
        prefix_id: prefix.id,
        name: pool.name.clone(),
        cidr: cidr.to_string(),
        family: family(&cidr),
        kind: input.kind.as_str().into(),
        purpose: input.purpose.as_str().into(),
        assign_len: assign_len.into(),
        first_slot: first,
        last_slot: last,
        next_hint: first,
        used: 0,
        warn_percent: input.warn_percent,
        notes: input.notes.trim().to_owned(),
        created_at: 0,
        updated_at: 0,
        prefix_cidr: String::new(),
        vrf: String::new(),
    };
    let id = store::network::ipam::insert_pool(&mut tx, &row, store::now()).await?;
    let after = store::network::ipam::get_pool(&mut tx, id).await?;
    Change::new("pool.create", "pool", id)
        .after(json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a pool's name, purpose, threshold and notes (`network.manage`);
/// its block and kind stay.
pub async fn update_pool(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &PoolInput,
) -> Result<Pool> {
    access::manage(caller)?;
    validate::optional_multiline(&input.notes, 2000).map_err(|e| Error::invalid("notes", e))?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::ipam::get_pool(&mut tx, id).await?;
    let cidr: IpNet = before
        .cidr
        .parse()
        .map_err(|_| Error::Internal(format!("pool {id} has a bad cidr")))?;
    let kind = PoolKind::parse(&before.kind)
        .ok_or_else(|| Error::Internal(format!("pool {id} has a bad kind")))?;
    // The same rules as at creation, against the pool's own block.
    rules::Pool {
        name: input.name.trim().to_owned(),
        cidr,
        kind,
        purpose: input.purpose,
        assign_len: u8::try_from(before.assign_len).unwrap_or(0),
        warn_percent: input.warn_percent,
    }
    .validate(&cidr, &[])
    .map_err(invalid)?;
    let row = Pool {
        name: input.name.trim().to_owned(),
        purpose: input.purpose.as_str().into(),
        warn_percent: input.warn_percent,
        notes: input.notes.trim().to_owned(),
        ..before.clone()
    };
    store::network::ipam::update_pool(&mut tx, id, &row, store::now()).await?;
    let after = store::network::ipam::get_pool(&mut tx, id).await?;
    Change::new("pool.update", "pool", id)
        .before(json(&before))
        .after(json(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn get_pool(svc: &Services, caller: &Caller, id: i64) -> Result<Pool> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::ipam::get_pool(&mut c, id).await?)
}

pub async fn list_pools(
    svc: &Services,
    caller: &Caller,
    f: &IpFilter,
) -> Result<(Vec<Pool>, bool)> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::ipam::list_pools(&mut c, f).await?)
}

/// Deletes a pool with nothing taken in it (`network.manage`).
pub async fn delete_pool(svc: &Services, caller: &Caller, id: i64) -> Result<()> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    let before = store::network::ipam::get_pool(&mut tx, id).await?;
    if before.used > 0 {
        return Err(Error::Refused("network-in-use"));
    }
    store::network::ipam::delete_pool(&mut tx, id).await?;
    Change::new("pool.delete", "pool", id)
        .before(json(&before))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// How full a pool is against its warning threshold.
pub fn utilisation(p: &Pool) -> Utilisation {
    Utilisation::new(p.used, p.last_slot - p.first_slot + 1, p.warn_percent)
}

/// Which slot to take: the next free one of a pool, or a typed address
/// (looked up in the pools of the global VRF).
#[derive(Debug, Clone)]
pub enum Target {
    Next { pool_id: i64 },
    Address(String),
}

fn pool_net(p: &Pool) -> Result<(IpNet, u8)> {
    let n: IpNet = p
        .cidr
        .parse()
        .map_err(|_| Error::Internal(format!("pool {} has a bad cidr", p.id)))?;
    Ok((n, u8::try_from(p.assign_len).unwrap_or(0)))
}

/// The pool and slot `target` names, the pool locked; refusals name the
/// field (`pool_id` or `address`).
async fn choose(
    conn: &mut AnyConnection,
    engine: store::Engine,
    target: &Target,
) -> Result<(Pool, i64)> {
    match target {
        Target::Next { pool_id } => {
            let pool = store::network::ipam::get_pool_for_update(conn, engine, *pool_id)
                .await
                .map_err(Error::from)
                .map_err(missing("pool_id"))?;
            if pool.kind != PoolKind::Static.as_str() {
                return Err(Error::Refused("pool-not-static"));
            }
            let slot = store::network::ipam::next_free(conn, &pool)
                .await?
                .ok_or(Error::Refused("pool-full"))?;
            // Every slot from the hint up to this one is taken.
            store::network::ipam::set_hint(conn, pool.id, slot).await?;
            Ok((pool, slot))
        }
        Target::Address(text) => {
            let typed = text.trim();
            let (addr, fam) = match typed.parse::<IpNet>() {
                Ok(n) => (n.addr(), family(&n)),
                Err(_) => {
                    let a = rules::address(typed).map_err(|e| Error::invalid("address", e))?;
                    (a, if a.is_ipv4() { 4 } else { 6 })
                }
            };
            let pools = store::network::ipam::pools_in_vrf(conn, "", fam).await?;
            let holder = pools
                .iter()
                .find(|(_, c, _)| c.parse::<IpNet>().is_ok_and(|n| n.contains(&addr)));
            let Some((pool_id, _, kind)) = holder else {
                return Err(Error::invalid("address", FieldError::NotInside));
            };
            if kind != PoolKind::Static.as_str() {
                return Err(Error::invalid("address", FieldError::InDynamicPool));
            }
            let pool = store::network::ipam::get_pool_for_update(conn, engine, *pool_id).await?;
            let (net, len) = pool_net(&pool)?;
            let slot = rules::slot_of(&net, len, typed)
                .map_err(|e| Error::invalid("address", e))?
                .ok_or_else(|| Error::invalid("address", FieldError::Range))?;
            Ok((pool, slot))
        }
    }
}

/// Gives contract `contract_id` a static address (`network.manage`): the
/// next free one of a static pool, or a typed one; written on the contract
/// for RADIUS in the same transaction. An address taken already is
/// `Conflict("address")`; a contract that already has an address of that
/// family is `Conflict("contract_id")` (release it first).
pub async fn assign(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
    target: &Target,
) -> Result<Assignment> {
    access::manage(caller)?;
    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let contract = store::contracts::get_for_update(&mut tx, engine, contract_id)
        .await
        .map_err(Error::from)
        .map_err(missing("contract_id"))?;
    let (pool, slot) = choose(&mut tx, engine, target).await?;
    let held = if pool.family == 4 {
        &contract.ipv4
    } else {
        &contract.ipv6_prefix
    };
    if held.is_some() {
        return Err(Error::Conflict("contract_id"));
    }
    let (net, len) = pool_net(&pool)?;
    let address = rules::slot_text(&net, len, slot);
    let now = store::now();
    let row = Assignment {
        id: 0,
        pool_id: pool.id,
        slot,
        address: address.clone(),
        kind: AssignmentKind::Contract.as_str().into(),
        contract_id: Some(contract_id),
        note: String::new(),
        created_at: 0,
        pool_name: String::new(),
        contract_number: None,
    };
    let id = store::network::ipam::insert_assignment(&mut tx, &row, now).await?;
    store::network::ipam::set_contract_address(
        &mut tx,
        contract_id,
        pool.family,
        Some(&address),
        now,
    )
    .await?;
    let after = store::network::ipam::get_assignment(&mut tx, id).await?;
    Change::new("ip.assign", "contract", contract_id)
        .after(json!({ "pool": pool.name, "address": address, "assignment_id": id }))
        .event(ContractUpdated {
            contract_id,
            customer_id: contract.customer_id,
            old_login: contract.pppoe_login.clone(),
            login: contract.pppoe_login.clone(),
            password_changed: false,
            // A live session keeps its old address until it reconnects.
            reconnect: true,
            number: contract.number.clone(),
        })
        .timeline(
            contract.customer_id,
            EventKind::ContractUpdated,
            format!("Contract {}: address {address} assigned", contract.number),
        )
        .record(&mut tx, engine, &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Holds back a slot of a static pool (gateways, devices): the next free
/// one or a typed one (`network.manage`).
pub async fn reserve(
    svc: &Services,
    caller: &Caller,
    target: &Target,
    note: &str,
) -> Result<Assignment> {
    access::manage(caller)?;
    validate::optional(note, 200).map_err(|e| Error::invalid("note", e))?;
    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let (pool, slot) = choose(&mut tx, engine, target).await?;
    let (net, len) = pool_net(&pool)?;
    let address = rules::slot_text(&net, len, slot);
    let row = Assignment {
        id: 0,
        pool_id: pool.id,
        slot,
        address: address.clone(),
        kind: AssignmentKind::Reserved.as_str().into(),
        contract_id: None,
        note: note.trim().to_owned(),
        created_at: 0,
        pool_name: String::new(),
        contract_number: None,
    };
    let id = store::network::ipam::insert_assignment(&mut tx, &row, store::now()).await?;
    let after = store::network::ipam::get_assignment(&mut tx, id).await?;
    Change::new("ip.reserve", "pool", pool.id)
        .after(json(&after))
        .record(&mut tx, engine, &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Frees a taken slot (`network.manage`); a contract's address leaves the
/// contract too, and its session is told to reconnect.
pub async fn release(svc: &Services, caller: &Caller, assignment_id: i64) -> Result<()> {
    access::manage(caller)?;
    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let a = store::network::ipam::get_assignment(&mut tx, assignment_id).await?;
    let pool = store::network::ipam::get_pool_for_update(&mut tx, engine, a.pool_id).await?;
    store::network::ipam::delete_assignment(&mut tx, &a).await?;
    let now = store::now();
    let mut change = Change::new("ip.release", "pool", pool.id).before(json(&a));
    if let Some(cid) = a.contract_id {
        let contract = store::contracts::get_for_update(&mut tx, engine, cid).await?;
        let held = if pool.family == 4 {
            &contract.ipv4
        } else {
            &contract.ipv6_prefix
        };
        if held.as_deref() == Some(a.address.as_str()) {
            store::network::ipam::set_contract_address(&mut tx, cid, pool.family, None, now)
                .await?;
        }
        change = Change::new("ip.release", "contract", cid)
            .before(json(&a))
            .event(ContractUpdated {
                contract_id: cid,
                customer_id: contract.customer_id,
                old_login: contract.pppoe_login.clone(),
                login: contract.pppoe_login.clone(),
                password_changed: false,
                reconnect: true,
                number: contract.number.clone(),
            })
            .timeline(
                contract.customer_id,
                EventKind::ContractUpdated,
                format!(
                    "Contract {}: address {} released",
                    contract.number, a.address
                ),
            );
    }
    change.record(&mut tx, engine, &caller.actor()).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get_assignment(svc: &Services, caller: &Caller, id: i64) -> Result<Assignment> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::network::ipam::get_assignment(&mut c, id).await?)
}

/// The slots taken in a pool, in address order after slot `after`.
pub async fn list_assignments(
    svc: &Services,
    caller: &Caller,
    pool_id: i64,
    after: Option<i64>,
    limit: i64,
) -> Result<(Vec<Assignment>, bool)> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    store::network::ipam::get_pool(&mut c, pool_id).await?;
    Ok(store::network::ipam::list_assignments(&mut c, pool_id, after, limit).await?)
}

/// A contract's addresses from the pools (for its page): with
/// `network.view`, or `customers.view` since the contract page shows them.
pub async fn contract_addresses(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
) -> Result<Vec<Assignment>> {
    if !caller.can(domain::Permission::CustomersView) {
        access::view(caller)?;
    }
    let mut c = svc.db.conn().await?;
    Ok(store::network::ipam::contract_assignments(&mut c, contract_id).await?)
}

/// The address the next allocation from a static pool would take, if any
/// (`network.view`); nothing is written.
pub async fn next_free(svc: &Services, caller: &Caller, pool_id: i64) -> Result<Option<String>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    let pool = store::network::ipam::get_pool(&mut c, pool_id).await?;
    let (net, len) = pool_net(&pool)?;
    Ok(store::network::ipam::next_free(&mut c, &pool)
        .await?
        .map(|s| rules::slot_text(&net, len, s)))
}

/// Reserves the next `count` free addresses of a static pool in one
/// transaction (`network.manage`): bulk hold-backs, and the allocation
/// benchmark. All or nothing: a pool with fewer free is `pool-full`.
pub async fn reserve_many(
    svc: &Services,
    caller: &Caller,
    pool_id: i64,
    count: i64,
    note: &str,
) -> Result<Vec<String>> {
    access::manage(caller)?;
    validate::optional(note, 200).map_err(|e| Error::invalid("note", e))?;
    if !(1..=100_000).contains(&count) {
        return Err(Error::invalid("count", FieldError::Range));
    }
    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let target = Target::Next { pool_id };
    let mut out = Vec::with_capacity(count as usize);
    let now = store::now();
    for _ in 0..count {
        let (pool, slot) = choose(&mut tx, engine, &target).await?;
        let (net, len) = pool_net(&pool)?;
        let address = rules::slot_text(&net, len, slot);
        let row = Assignment {
            id: 0,
            pool_id,
            slot,
            address: address.clone(),
            kind: AssignmentKind::Reserved.as_str().into(),
            contract_id: None,
            note: note.trim().to_owned(),
            created_at: 0,
            pool_name: String::new(),
            contract_number: None,
        };
        store::network::ipam::insert_assignment(&mut tx, &row, now).await?;
        out.push(address);
    }
    Change::new("ip.reserve", "pool", pool_id)
        .after(json!({
            "count": count,
            "first": out.first(),
            "last": out.last(),
            "note": note.trim(),
        }))
        .record(&mut tx, engine, &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(out)
}
