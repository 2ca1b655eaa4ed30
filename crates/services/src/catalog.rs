//! The service catalog: plans and service items. A plan's price is the
//! price for new contracts; existing contracts keep theirs until an explicit,
//! previewed re-pricing changes them (one audit entry per contract).

use domain::Money;
use domain::catalog::{
    BillingMode, Burst, Cycle, Plan, Quota, QuotaAction, ServiceItem, SuspendedBehavior, Technology,
};
use std::collections::BTreeMap;
/// Plans and service items as stored, for interfaces to name (`Plan` and
/// `ServiceItem` here are the domain's, which these rows convert into).
pub use store::catalog::{Plan as PlanRow, ServiceItem as ServiceItemRow};

use domain::Permission;
use domain::crm::timeline::EventKind;
use domain::event::{ContractPriceChanged, PlanUpdated};
use domain::validate::FieldError;
use serde_json::json;

use crate::{Caller, Change, Error, Result, Services};

/// Who may do what with the catalog, named once (see `crm::access` for
/// how interfaces use these).
pub mod access {
    use domain::Permission;

    use crate::{Caller, Result};

    /// Reading plans and service items: `plans.view`.
    pub fn view(caller: &Caller) -> Result<()> {
        caller.require(Permission::PlansView)
    }

    /// Creating and changing them, and re-pricing contracts: `plans.manage`.
    pub fn manage(caller: &Caller) -> Result<()> {
        caller.require(Permission::PlansManage)
    }
}

fn invalid(e: domain::validate::Invalid) -> Error {
    Error::invalid(e.field, e.error)
}

/// The stored row of a plan.
fn to_row(p: &Plan) -> store::catalog::Plan {
    let (bd, bu) = (p.burst_down, p.burst_up);
    store::catalog::Plan {
        id: 0,
        name: p.name.trim().to_owned(),
        description: p.description.trim().to_owned(),
        download_kbps: p.download_kbps,
        upload_kbps: p.upload_kbps,
        burst_down_rate_kbps: bd.map(|b| b.rate_kbps),
        burst_down_threshold_kbps: bd.map(|b| b.threshold_kbps),
        burst_down_time_secs: bd.map(|b| b.time_secs),
        burst_up_rate_kbps: bu.map(|b| b.rate_kbps),
        burst_up_threshold_kbps: bu.map(|b| b.threshold_kbps),
        burst_up_time_secs: bu.map(|b| b.time_secs),
        quota_mb: p.quota.map(|q| q.megabytes),
        quota_action: p.quota.map(|q| q.action.as_str().to_owned()),
        quota_throttle_kbps: p.quota.and_then(|q| q.throttle_kbps),
        price: p.price.minor(),
        billing_mode: p.billing_mode.as_str().into(),
        cycle: p.cycle.as_str().into(),
        installation_fee: p.installation_fee.minor(),
        loyalty_months: p.loyalty_months,
        early_termination_fee: p.early_termination_fee.minor(),
        tax_category: p.tax_category.trim().to_owned(),
        technology: p.technology.as_str().into(),
        suspended_behavior: p.suspended_behavior.as_str().into(),
        active: p.active,
        public: p.public,
        created_at: 0,
        updated_at: 0,
    }
}

/// A stored plan as the domain type.
pub fn from_row(r: &store::catalog::Plan) -> Result<Plan> {
    let bad = |what: &str| Error::Internal(format!("plan {} has a bad {what}", r.id));
    let burst = |rate: Option<i64>, threshold: Option<i64>, time: Option<i64>| match (
        rate, threshold, time,
    ) {
        (Some(rate_kbps), Some(threshold_kbps), Some(time_secs)) => Some(Burst {
            rate_kbps,
            threshold_kbps,
            time_secs,
        }),
        _ => None,
    };
    let quota = match (r.quota_mb, r.quota_action.as_deref()) {
        (Some(megabytes), Some(a)) => Some(Quota {
            megabytes,
            action: QuotaAction::parse(a).ok_or_else(|| bad("quota action"))?,
            throttle_kbps: r.quota_throttle_kbps,
        }),
        _ => None,
    };
    Ok(Plan {
        name: r.name.clone(),
        description: r.description.clone(),
        download_kbps: r.download_kbps,
        upload_kbps: r.upload_kbps,
        burst_down: burst(
            r.burst_down_rate_kbps,
            r.burst_down_threshold_kbps,
            r.burst_down_time_secs,
        ),
        burst_up: burst(
            r.burst_up_rate_kbps,
            r.burst_up_threshold_kbps,
            r.burst_up_time_secs,
        ),
        quota,
        price: Money(r.price),
        billing_mode: BillingMode::parse(&r.billing_mode).ok_or_else(|| bad("billing mode"))?,
        cycle: Cycle::parse(&r.cycle).ok_or_else(|| bad("cycle"))?,
        installation_fee: Money(r.installation_fee),
        loyalty_months: r.loyalty_months,
        early_termination_fee: Money(r.early_termination_fee),
        tax_category: r.tax_category.clone(),
        technology: Technology::parse(&r.technology).ok_or_else(|| bad("technology"))?,
        suspended_behavior: SuspendedBehavior::parse(&r.suspended_behavior)
            .ok_or_else(|| bad("suspended behavior"))?,
        active: r.active,
        public: r.public,
    })
}

fn plan_json(p: &store::catalog::Plan) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_default()
}

/// Creates a plan; returns it as stored.
pub async fn create_plan(
    svc: &Services,
    caller: &Caller,
    plan: &Plan,
) -> Result<store::catalog::Plan> {
    access::manage(caller)?;
    plan.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let id = store::catalog::insert(&mut tx, &to_row(plan), store::now())
        .await
        .map_err(|e| match e {
            store::Error::Conflict(_) => Error::Conflict("name"),
            e => e.into(),
        })?;
    let created = store::catalog::get(&mut tx, id).await?;
    Change::new("plan.create", "plan", id)
        .after(plan_json(&created))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(created)
}

/// Updates a plan; returns it as stored. A new price applies to new
/// contracts only: existing ones keep theirs (see [`preview_repricing`]).
pub async fn update_plan(
    svc: &Services,
    caller: &Caller,
    id: i64,
    plan: &Plan,
) -> Result<store::catalog::Plan> {
    access::manage(caller)?;
    plan.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let before = store::catalog::get(&mut tx, id).await?;
    store::catalog::update(&mut tx, id, &to_row(plan), store::now())
        .await
        .map_err(|e| match e {
            store::Error::Conflict(_) => Error::Conflict("name"),
            e => e.into(),
        })?;
    let after = store::catalog::get(&mut tx, id).await?;
    // RADIUS nodes re-read plans on the event (speeds, quota, suspended
    // behaviour reach the next Access-Accept).
    Change::new("plan.update", "plan", id)
        .before(plan_json(&before))
        .after(plan_json(&after))
        .event(PlanUpdated { plan_id: id })
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn get_plan(svc: &Services, caller: &Caller, id: i64) -> Result<store::catalog::Plan> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::get(&mut c, id).await?)
}

/// How many contracts are on plan `id`, per status.
pub async fn contract_counts(
    svc: &Services,
    caller: &Caller,
    id: i64,
) -> Result<Vec<(String, i64)>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::contracts::count_by_status(&mut c, Some(id)).await?)
}

/// Plans by name: with `plans.view`; the public ones (`public_only`,
/// active) to anyone, customers included, since they are offered openly.
pub async fn list_plans(
    svc: &Services,
    caller: &Caller,
    include_retired: bool,
    public_only: bool,
) -> Result<Vec<store::catalog::Plan>> {
    if !public_only || include_retired {
        access::view(caller)?;
    }
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::list(&mut c, include_retired, public_only).await?)
}

/// Every plan's id and name, retired ones included, by name: for pages
/// that show records naming a plan (customers, contracts, sessions) and
/// their plan filters. Names are no secret to staff who see those
/// records, so any staff caller (and jobs, the console) may read them;
/// customers read their plan with their contract.
pub async fn plan_names(svc: &Services, caller: &Caller) -> Result<Vec<(i64, String)>> {
    if let Caller::Customer { .. } = caller {
        return Err(Error::Forbidden(Permission::PlansView.code()));
    }
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::list(&mut c, true, false)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

fn item_row(i: &ServiceItem) -> store::catalog::ServiceItem {
    store::catalog::ServiceItem {
        id: 0,
        name: i.name.trim().to_owned(),
        description: i.description.trim().to_owned(),
        price: i.price.minor(),
        cycle: i.cycle.as_str().into(),
        tax_category: i.tax_category.trim().to_owned(),
        active: i.active,
        created_at: 0,
        updated_at: 0,
    }
}

/// Creates a service item; returns it as stored.
pub async fn create_item(
    svc: &Services,
    caller: &Caller,
    item: &ServiceItem,
) -> Result<store::catalog::ServiceItem> {
    access::manage(caller)?;
    item.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let id = store::catalog::insert_item(&mut tx, &item_row(item), store::now())
        .await
        .map_err(|e| match e {
            store::Error::Conflict(_) => Error::Conflict("name"),
            e => e.into(),
        })?;
    let created = store::catalog::get_item(&mut tx, id).await?;
    Change::new("service_item.create", "service_item", id)
        .after(serde_json::to_value(&created).ok())
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a service item; returns it as stored.
pub async fn update_item(
    svc: &Services,
    caller: &Caller,
    id: i64,
    item: &ServiceItem,
) -> Result<store::catalog::ServiceItem> {
    access::manage(caller)?;
    item.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let before = store::catalog::get_item(&mut tx, id).await?;
    store::catalog::update_item(&mut tx, id, &item_row(item), store::now())
        .await
        .map_err(|e| match e {
            store::Error::Conflict(_) => Error::Conflict("name"),
            e => e.into(),
        })?;
    let after = store::catalog::get_item(&mut tx, id).await?;
    Change::new("service_item.update", "service_item", id)
        .before(serde_json::to_value(&before).ok())
        .after(serde_json::to_value(&after).ok())
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn get_item(
    svc: &Services,
    caller: &Caller,
    id: i64,
) -> Result<store::catalog::ServiceItem> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::get_item(&mut c, id).await?)
}

pub async fn list_items(
    svc: &Services,
    caller: &Caller,
    include_retired: bool,
) -> Result<Vec<store::catalog::ServiceItem>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::list_items(&mut c, include_retired).await?)
}

/// One contract a re-pricing would change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Repriced {
    pub contract_id: i64,
    pub number: String,
    pub customer_id: i64,
    /// The customer's name, for the people confirming the change.
    pub customer_name: String,
    pub old_price: i64,
    pub new_price: i64,
}

/// What a re-pricing would do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RepricingPreview {
    pub plan_id: i64,
    pub new_price: i64,
    /// How many contracts would change.
    pub count: i64,
    /// The first contracts, up to the requested sample size.
    pub sample: Vec<Repriced>,
    /// A digest of exactly which contracts would change and from which
    /// prices: the confirmation [`apply_repricing`] requires. Stricter than
    /// the count, since another contract may have taken a leaving one's
    /// place.
    pub fingerprint: String,
}

/// Starts the digest of a re-pricing with its plan and new price.
fn fingerprint_start(plan_id: i64, new_price: Money) -> sha2::Sha256 {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(format!("repricing:{plan_id}:{}\n", new_price.minor()));
    h
}

const BATCH: i64 = 500;

/// Contracts on the plan (not canceled) whose price is not `new_price`.
pub async fn preview_repricing(
    svc: &Services,
    caller: &Caller,
    plan_id: i64,
    new_price: Money,
    sample: i64,
) -> Result<RepricingPreview> {
    access::manage(caller)?;
    let mut c = svc.db.conn().await?;
    let mut preview = preview_in(&mut c, plan_id, new_price, sample).await?;
    // Names for the sample only (the page lists them; one query).
    let ids: Vec<i64> = preview.sample.iter().map(|r| r.customer_id).collect();
    let names: BTreeMap<i64, String> = store::crm::customers::get_many(&mut c, &ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    for r in &mut preview.sample {
        r.customer_name = names.get(&r.customer_id).cloned().unwrap_or_default();
    }
    Ok(preview)
}

/// The preview, computed on `c` (the apply re-computes it in its own
/// transaction).
async fn preview_in(
    c: &mut store::AnyConnection,
    plan_id: i64,
    new_price: Money,
    sample: i64,
) -> Result<RepricingPreview> {
    if new_price.is_negative() {
        return Err(Error::invalid("price", FieldError::Range));
    }
    store::catalog::get(c, plan_id).await?;
    let mut count = 0;
    let mut rows = Vec::new();
    let mut after = 0;
    let mut digest = fingerprint_start(plan_id, new_price);
    loop {
        let batch =
            store::contracts::repricing_candidates(c, plan_id, new_price.minor(), after, BATCH)
                .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        count += batch.len() as i64;
        for k in batch {
            sha2::Digest::update(&mut digest, format!("{}:{}\n", k.id, k.price));
            if (rows.len() as i64) < sample {
                rows.push(Repriced {
                    contract_id: k.id,
                    number: k.number,
                    customer_id: k.customer_id,
                    customer_name: String::new(),
                    old_price: k.price,
                    new_price: new_price.minor(),
                });
            }
        }
    }
    Ok(RepricingPreview {
        plan_id,
        new_price: new_price.minor(),
        count,
        sample: rows,
        fingerprint: hex::encode(sha2::Digest::finalize(digest)),
    })
}

/// Sets `new_price` on every contract the preview listed, in batches, each
/// change audited (`contract.reprice`), on the customer's timeline and
/// announced as `contract.price_changed`. Requires the preview's
/// `fingerprint` as the confirmation, from every interface: empty is
/// refused (`fingerprint` required), and a preview that no longer holds
/// (other contracts, or other prices, than those previewed) is refused with
/// `repricing-changed`. Returns how many contracts changed.
pub async fn apply_repricing(
    svc: &Services,
    caller: &Caller,
    plan_id: i64,
    new_price: Money,
    fingerprint: &str,
) -> Result<i64> {
    access::manage(caller)?;
    if fingerprint.trim().is_empty() {
        return Err(Error::invalid("fingerprint", FieldError::Required));
    }
    let preview = {
        let mut c = svc.db.conn().await?;
        preview_in(&mut c, plan_id, new_price, 0).await?
    };
    if !preview.fingerprint.eq_ignore_ascii_case(fingerprint.trim()) {
        return Err(Error::Refused("repricing-changed"));
    }
    reprice(svc, caller, plan_id, new_price).await
}

/// Writes the re-pricing the caller has checked against its preview.
async fn reprice(svc: &Services, caller: &Caller, plan_id: i64, new_price: Money) -> Result<i64> {
    let engine = svc.db.engine();
    let actor = caller.actor();
    let mut done = 0;
    let mut after = 0;
    loop {
        let mut tx = svc.db.begin().await?;
        let batch = store::contracts::repricing_candidates(
            &mut tx,
            plan_id,
            new_price.minor(),
            after,
            BATCH,
        )
        .await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        let now = store::now();
        for k in batch {
            store::contracts::set_price(&mut tx, k.id, new_price.minor(), now).await?;
            Change::new("contract.reprice", "contract", k.id)
                .before(json!({ "price": k.price, "plan_id": plan_id }))
                .after(json!({ "price": new_price.minor(), "plan_id": plan_id }))
                .event(ContractPriceChanged {
                    contract_id: k.id,
                    customer_id: k.customer_id,
                    old_price: Money(k.price),
                    new_price,
                    number: k.number.clone(),
                })
                .timeline(
                    k.customer_id,
                    EventKind::ContractPriceChanged,
                    format!("Contract {} re-priced", k.number),
                )
                .record(&mut tx, engine, &actor)
                .await?;
            done += 1;
        }
        tx.commit().await?;
    }
    Ok(done)
}
