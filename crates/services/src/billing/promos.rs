//! Promo codes: a code staff hand out that gives a contract a discount
//! (fixed or percentage, for some cycles) when redeemed, within a validity
//! window, up to a number of uses overall and per customer, for some plans.

use domain::Permission;
use domain::billing::discount::{PromoCode, PromoRefusal, Redemption};
use domain::validate;
use serde_json::json;
use store::AnyConnection;
use store::billing::discounts::NewDiscount;
use store::billing::promos::Fields;

pub use store::billing::promos::{Filter, Promo};

use super::discounts::{Discount, amount, cycles, kind_of, optional_date};
use crate::{Caller, Change, Error, Result, Services, check};

/// A promo code as staff type it.
#[derive(Debug, Clone, Default)]
pub struct PromoInput {
    /// Letters, digits, `-` and `_`; matched without regard to case.
    pub code: String,
    /// `fixed` or `percent`.
    pub kind: String,
    /// Minor units for `fixed`; parts per million for `percent`.
    pub value: i64,
    pub description: String,
    /// First and last day it may be redeemed (`YYYY-MM-DD`, inclusive);
    /// empty: open.
    pub valid_from: String,
    pub valid_until: String,
    pub max_uses: Option<i64>,
    pub max_uses_per_customer: Option<i64>,
    /// Cycles the discount it creates lasts; `None`: no limit.
    pub cycles: Option<i64>,
    /// Plans it is valid for; empty: every plan.
    pub plan_ids: Vec<i64>,
    pub active: bool,
}

/// A code with the plans it is limited to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Full {
    pub promo: Promo,
    pub plan_ids: Vec<i64>,
}

fn snapshot(f: &Full) -> serde_json::Value {
    let p = &f.promo;
    json!({
        "code": p.code, "kind": p.kind, "value": p.value, "description": p.description,
        "valid_from": p.valid_from, "valid_until": p.valid_until, "max_uses": p.max_uses,
        "max_uses_per_customer": p.max_uses_per_customer, "cycles": p.cycles,
        "active": p.active, "plan_ids": f.plan_ids,
    })
}

/// Why a code's text was refused.
fn check_code(code: &str) -> Result<String> {
    let code = PromoCode::normalize(code);
    if code.is_empty() {
        return Err(Error::invalid("code", validate::FieldError::Required));
    }
    if code.chars().count() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(Error::invalid_msg(
            "code",
            "use at most 32 letters, digits, '-' or '_'",
        ));
    }
    Ok(code)
}

fn positive(field: &'static str, n: Option<i64>) -> Result<Option<i64>> {
    match n {
        Some(n) if n < 1 => Err(Error::invalid_msg(field, "must be at least 1")),
        n => Ok(n),
    }
}

struct Checked {
    code: String,
    kind: &'static str,
    value: i64,
    valid_from: Option<String>,
    valid_until: Option<String>,
    max_uses: Option<i64>,
    per_customer: Option<i64>,
    cycles: Option<i64>,
}

async fn check_input(c: &mut AnyConnection, input: &PromoInput) -> Result<Checked> {
    let code = check_code(&input.code)?;
    let (kind, value) = kind_of(amount(&input.kind, input.value)?);
    check("description", validate::optional(&input.description, 120))?;
    let from = optional_date("valid_from", &input.valid_from)?;
    let until = optional_date("valid_until", &input.valid_until)?;
    if let (Some(f), Some(u)) = (from, until)
        && u < f
    {
        return Err(Error::invalid_msg(
            "valid_until",
            "must not be before the first valid day",
        ));
    }
    let cycles = cycles("cycles", input.cycles)?.map(i64::from);
    let max_uses = positive("max_uses", input.max_uses)?;
    let per_customer = positive("max_uses_per_customer", input.max_uses_per_customer)?;
    for p in &input.plan_ids {
        match store::catalog::get(c, *p).await {
            Err(store::Error::NotFound) => {
                return Err(Error::invalid_msg("plan_ids", "no such plan"));
            }
            r => r?,
        };
    }
    Ok(Checked {
        code,
        kind,
        value,
        valid_from: from.map(|d| d.to_string()),
        valid_until: until.map(|d| d.to_string()),
        max_uses,
        per_customer,
        cycles,
    })
}

fn fields<'a>(c: &'a Checked, input: &'a PromoInput) -> Fields<'a> {
    Fields {
        code: &c.code,
        kind: c.kind,
        value: c.value,
        description: input.description.trim(),
        valid_from: c.valid_from.as_deref(),
        valid_until: c.valid_until.as_deref(),
        max_uses: c.max_uses,
        max_uses_per_customer: c.per_customer,
        cycles: c.cycles,
        active: input.active,
    }
}

async fn full(c: &mut AnyConnection, id: i64) -> Result<Full> {
    let promo = store::billing::promos::get(c, id).await?;
    let plan_ids = store::billing::promos::plans(c, id).await?;
    Ok(Full { promo, plan_ids })
}

/// A page of codes (search, state filter, keyset paging) and whether more
/// follow.
pub async fn list(svc: &Services, caller: &Caller, filter: &Filter) -> Result<(Vec<Promo>, bool)> {
    caller.require(Permission::BillingView)?;
    if let Some(s) = &filter.state
        && !["active", "expired", "inactive"].contains(&s.as_str())
    {
        return Err(Error::invalid("state", validate::FieldError::Choice));
    }
    let mut c = svc.db.conn().await?;
    let mut f = filter.clone();
    f.today = crate::crm::today(&mut c).await?.to_string();
    f.limit = f.limit.clamp(1, 500);
    Ok(store::billing::promos::list(&mut c, &f).await?)
}

pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Full> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    full(&mut c, id).await
}

/// Creates a code; one already used (in any case) is refused naming `code`.
pub async fn create(svc: &Services, caller: &Caller, input: &PromoInput) -> Result<Full> {
    caller.require(Permission::BillingManage)?;
    let mut tx = svc.db.begin().await?;
    let c = check_input(&mut tx, input).await?;
    let id = store::billing::promos::insert(&mut tx, &fields(&c, input), store::now()).await?;
    store::billing::promos::set_plans(&mut tx, id, &input.plan_ids).await?;
    let after = full(&mut tx, id).await?;
    Change::new("promo_code.create", "promo_code", id)
        .after(snapshot(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Changes a code. Discounts it already created keep their terms.
pub async fn update(svc: &Services, caller: &Caller, id: i64, input: &PromoInput) -> Result<Full> {
    caller.require(Permission::BillingManage)?;
    let mut tx = svc.db.begin().await?;
    let before = full(&mut tx, id).await?;
    let c = check_input(&mut tx, input).await?;
    store::billing::promos::update(&mut tx, id, &fields(&c, input), store::now()).await?;
    store::billing::promos::set_plans(&mut tx, id, &input.plan_ids).await?;
    let after = full(&mut tx, id).await?;
    Change::new("promo_code.update", "promo_code", id)
        .before(snapshot(&before))
        .after(snapshot(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deactivates a code: it can no longer be redeemed; discounts it created
/// run on.
pub async fn deactivate(svc: &Services, caller: &Caller, id: i64) -> Result<Full> {
    caller.require(Permission::BillingManage)?;
    let mut tx = svc.db.begin().await?;
    let before = full(&mut tx, id).await?;
    store::billing::promos::set_active(&mut tx, id, false, store::now()).await?;
    let after = full(&mut tx, id).await?;
    Change::new("promo_code.deactivate", "promo_code", id)
        .before(snapshot(&before))
        .after(snapshot(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// The refusal as a service error on `field`: the domain's sentence (the
/// API's reason; pages translate it by [`PromoRefusal::code`]).
fn refused(field: &'static str, why: PromoRefusal) -> Error {
    Error::invalid_msg(field, why.to_string())
}

/// The refusal a service error carries, if it is one (pages translate it).
pub fn refusal(e: &Error) -> Option<PromoRefusal> {
    match e {
        Error::Invalid {
            reason: crate::FieldReason::Message(m),
            ..
        } => PromoRefusal::ALL.into_iter().find(|r| r.to_string() == *m),
        _ => None,
    }
}

/// The code as the domain judges it, or why it cannot be used by this
/// customer on this plan today. Reads only.
async fn judge(
    c: &mut AnyConnection,
    field: &'static str,
    code: &str,
    customer_id: i64,
    plan_id: i64,
) -> Result<Promo> {
    let text = PromoCode::normalize(code);
    let Some(p) = store::billing::promos::by_code(c, &text).await? else {
        return Err(refused(field, PromoRefusal::Unknown));
    };
    let plan_ids = store::billing::promos::plans(c, p.id).await?;
    let customer_uses = store::billing::promos::customer_uses(c, p.id, customer_id).await?;
    let rules = PromoCode {
        code: p.code.clone(),
        active: p.active,
        amount: amount(&p.kind, p.value)
            .map_err(|_| Error::Internal(format!("promo code {}: stored amount", p.id)))?,
        valid_from: p.valid_from.as_deref().and_then(|d| d.parse().ok()),
        valid_until: p.valid_until.as_deref().and_then(|d| d.parse().ok()),
        max_uses: p.max_uses.and_then(|n| u32::try_from(n).ok()),
        max_uses_per_customer: p.max_uses_per_customer.and_then(|n| u32::try_from(n).ok()),
        plan_ids,
        cycles: p.cycles.and_then(|n| u32::try_from(n).ok()),
    };
    rules
        .check(&Redemption {
            today: crate::crm::today(c).await?,
            plan_id,
            uses: u32::try_from(p.uses).unwrap_or(u32::MAX),
            customer_uses: u32::try_from(customer_uses).unwrap_or(u32::MAX),
        })
        .map_err(|why| refused(field, why))?;
    Ok(p)
}

/// Checks, without writing, that a code could be redeemed for a contract
/// a customer is about to have on a plan (contract creation asks this
/// before it writes anything).
pub(crate) async fn precheck(
    c: &mut AnyConnection,
    field: &'static str,
    code: &str,
    customer_id: i64,
    plan_id: i64,
) -> Result<()> {
    judge(c, field, code, customer_id, plan_id).await.map(drop)
}

/// Redeems a code for a contract inside the caller's transaction: takes a
/// use (a conditional UPDATE that also locks the code's row, so
/// concurrent redemptions queue on it and never overshoot the limits),
/// re-counts the customer's uses under that lock, adds the contract's
/// discount and the redemption, and records the change. A refusal names
/// `field` and why.
pub(crate) async fn redeem_in(
    tx: &mut AnyConnection,
    engine: store::Engine,
    caller: &Caller,
    field: &'static str,
    k: &store::contracts::Contract,
    code: &str,
) -> Result<Discount> {
    let p = judge(tx, field, code, k.customer_id, k.plan_id).await?;
    let now = store::now();
    if !store::billing::promos::take_use(tx, p.id, now).await? {
        return Err(refused(field, PromoRefusal::UsedUp));
    }
    if let Some(n) = p.max_uses_per_customer
        && store::billing::promos::customer_uses(tx, p.id, k.customer_id).await? >= n
    {
        return Err(refused(field, PromoRefusal::UsedUpByCustomer));
    }
    let actor = caller.actor();
    let id = store::billing::discounts::insert(
        tx,
        &NewDiscount {
            contract_id: k.id,
            kind: &p.kind,
            value: p.value,
            description: if p.description.is_empty() {
                &p.code
            } else {
                &p.description
            },
            cycles: p.cycles,
            until: None,
            promo_code_id: Some(p.id),
            actor_name: &actor.name,
        },
        now,
    )
    .await?;
    store::billing::promos::insert_redemption(tx, p.id, k.customer_id, k.id, id, now).await?;
    let d = store::billing::discounts::get(tx, id).await?;
    Change::new("promo_code.redeem", "contract_discount", id)
        .after(json!({
            "promo_code_id": p.id, "code": p.code, "contract_id": k.id,
            "customer_id": k.customer_id, "kind": d.kind, "value": d.value, "cycles": d.cycles,
        }))
        .record(tx, engine, &actor)
        .await?;
    Ok(d)
}

/// Redeems `code` for contract `contract_id`: the contract gets the code's
/// discount. Refused naming `code` when the code is unknown, inactive, not
/// valid yet, expired, used up (overall or by this customer) or not valid
/// for the contract's plan.
pub async fn redeem(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
    code: &str,
) -> Result<Discount> {
    caller.require(Permission::BillingManage)?;
    if code.trim().is_empty() {
        return Err(Error::invalid("code", validate::FieldError::Required));
    }
    let mut tx = svc.db.begin().await?;
    let k = store::contracts::get(&mut tx, contract_id).await?;
    let d = redeem_in(&mut tx, svc.db.engine(), caller, "code", &k, code).await?;
    tx.commit().await?;
    Ok(d)
}
