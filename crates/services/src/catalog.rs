//! The service catalog: plans and service items. A plan's price is the
//! price for new contracts; existing contracts keep theirs until an explicit,
//! previewed re-pricing changes them (one audit entry per contract).

use domain::Money;
use domain::catalog::{
    BillingMode, Burst, Cycle, Plan, Quota, QuotaAction, ServiceItem, SuspendedBehavior, Technology,
};
use domain::crm::timeline::EventKind;
use domain::event::{ContractPriceChanged, DomainEvent, PlanUpdated};
use domain::validate::FieldError;
use serde_json::json;

use crate::crm::{Event, record_event};
use crate::{Actor, Error, Result, Services};

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

pub async fn create_plan(svc: &Services, actor: &Actor, plan: &Plan) -> Result<i64> {
    plan.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let id = store::catalog::insert(&mut tx, &to_row(plan), store::now())
        .await
        .map_err(|e| match e {
            store::Error::Conflict(_) => Error::Conflict("name"),
            e => e.into(),
        })?;
    let created = store::catalog::get(&mut tx, id).await?;
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "plan.create",
        "plan",
        id,
        None,
        Some(plan_json(&created)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Updates a plan. A new price applies to new contracts only: existing ones
/// keep theirs (see [`preview_repricing`]).
pub async fn update_plan(svc: &Services, actor: &Actor, id: i64, plan: &Plan) -> Result<()> {
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
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "plan.update",
        "plan",
        id,
        Some(plan_json(&before)),
        Some(plan_json(&after)),
    )
    .await?;
    // RADIUS nodes re-read plans on this event (speeds, quota, suspended
    // behaviour reach the next Access-Accept).
    let now = store::now();
    store::events::append(
        &mut tx,
        svc.db.engine(),
        actor,
        &PlanUpdated { plan_id: id }.into(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get_plan(svc: &Services, id: i64) -> Result<store::catalog::Plan> {
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::get(&mut c, id).await?)
}

/// How many contracts are on plan `id`, per status.
pub async fn contract_counts(svc: &Services, id: i64) -> Result<Vec<(String, i64)>> {
    let mut c = svc.db.conn().await?;
    Ok(store::contracts::count_by_status(&mut c, Some(id)).await?)
}

pub async fn list_plans(
    svc: &Services,
    include_retired: bool,
    public_only: bool,
) -> Result<Vec<store::catalog::Plan>> {
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::list(&mut c, include_retired, public_only).await?)
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

pub async fn create_item(svc: &Services, actor: &Actor, item: &ServiceItem) -> Result<i64> {
    item.validate().map_err(invalid)?;
    let mut tx = svc.db.begin().await?;
    let id = store::catalog::insert_item(&mut tx, &item_row(item), store::now())
        .await
        .map_err(|e| match e {
            store::Error::Conflict(_) => Error::Conflict("name"),
            e => e.into(),
        })?;
    let created = store::catalog::get_item(&mut tx, id).await?;
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "service_item.create",
        "service_item",
        id,
        None,
        serde_json::to_value(&created).ok(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_item(svc: &Services, actor: &Actor, id: i64, item: &ServiceItem) -> Result<()> {
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
    crate::system::audit::record(
        &mut tx,
        svc.db.engine(),
        actor,
        "service_item.update",
        "service_item",
        id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get_item(svc: &Services, id: i64) -> Result<store::catalog::ServiceItem> {
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::get_item(&mut c, id).await?)
}

pub async fn list_items(
    svc: &Services,
    include_retired: bool,
) -> Result<Vec<store::catalog::ServiceItem>> {
    let mut c = svc.db.conn().await?;
    Ok(store::catalog::list_items(&mut c, include_retired).await?)
}

/// One contract a re-pricing would change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Repriced {
    pub contract_id: i64,
    pub number: String,
    pub customer_id: i64,
    pub old_price: i64,
    pub new_price: i64,
}

/// What a re-pricing would do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RepricingPreview {
    pub plan_id: i64,
    pub new_price: i64,
    /// How many contracts would change (pass it to [`apply_repricing`]).
    pub count: i64,
    /// The first contracts, up to the requested sample size.
    pub sample: Vec<Repriced>,
    /// A digest of exactly which contracts would change and from which
    /// prices (pass it to [`apply_repricing_fingerprint`]): stricter than
    /// the count, since another contract may have taken a leaving one's place.
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
    plan_id: i64,
    new_price: Money,
    sample: i64,
) -> Result<RepricingPreview> {
    if new_price.is_negative() {
        return Err(Error::invalid("price", FieldError::Range));
    }
    let mut c = svc.db.conn().await?;
    store::catalog::get(&mut c, plan_id).await?;
    let mut count = 0;
    let mut rows = Vec::new();
    let mut after = 0;
    let mut digest = fingerprint_start(plan_id, new_price);
    loop {
        let batch = store::contracts::repricing_candidates(
            &mut c,
            plan_id,
            new_price.minor(),
            after,
            BATCH,
        )
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
/// announced as `contract.price_changed`. Refused (`repricing-changed`) when
/// the number of affected contracts is no longer the previewed
/// `expected_count`. Returns how many contracts changed.
pub async fn apply_repricing(
    svc: &Services,
    actor: &Actor,
    plan_id: i64,
    new_price: Money,
    expected_count: i64,
) -> Result<i64> {
    let preview = preview_repricing(svc, plan_id, new_price, 0).await?;
    if preview.count != expected_count {
        return Err(Error::Refused("repricing-changed"));
    }
    reprice(svc, actor, plan_id, new_price).await
}

/// Like [`apply_repricing`], but refused (`repricing-changed`) unless the
/// contracts that would change, and their prices, are still exactly those
/// of the preview whose `fingerprint` is given (what the API hands out).
pub async fn apply_repricing_fingerprint(
    svc: &Services,
    actor: &Actor,
    plan_id: i64,
    new_price: Money,
    fingerprint: &str,
) -> Result<i64> {
    let preview = preview_repricing(svc, plan_id, new_price, 0).await?;
    if !preview.fingerprint.eq_ignore_ascii_case(fingerprint.trim()) {
        return Err(Error::Refused("repricing-changed"));
    }
    reprice(svc, actor, plan_id, new_price).await
}

/// Writes the re-pricing the caller has checked against its preview.
async fn reprice(svc: &Services, actor: &Actor, plan_id: i64, new_price: Money) -> Result<i64> {
    let engine = svc.db.engine();
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
            crate::system::audit::record(
                &mut tx,
                engine,
                actor,
                "contract.reprice",
                "contract",
                k.id,
                Some(json!({ "price": k.price, "plan_id": plan_id })),
                Some(json!({ "price": new_price.minor(), "plan_id": plan_id })),
            )
            .await?;
            let event = DomainEvent::from(ContractPriceChanged {
                contract_id: k.id,
                customer_id: k.customer_id,
                old_price: Money(k.price),
                new_price,
                number: k.number.clone(),
            });
            store::events::append(&mut tx, engine, actor, &event, now).await?;
            record_event(
                &mut tx,
                actor,
                &Event {
                    customer_id: k.customer_id,
                    kind: EventKind::ContractPriceChanged,
                    summary: format!("Contract {} re-priced", k.number),
                    entity: Some(("contract", k.id.to_string())),
                    data: event.payload(),
                },
            )
            .await?;
            done += 1;
        }
        tx.commit().await?;
    }
    Ok(done)
}
