//! One-off charges staff add to a contract's next invoice (a visit, a
//! router sold, a cable): listed, added and removed until a billing run
//! takes them onto an invoice line, after which they are part of an issued
//! document and only a credit note undoes them.

use domain::validate::{self, FieldError};
use domain::{Money, Permission};
use serde_json::json;

pub use store::billing::runs::Charge;

use crate::{Caller, Change, Error, Result, Services, check};

/// The most units one charge may carry.
const MAX_QUANTITY: i64 = 10_000;
/// The largest unit price (a typo guard: 10 million in major units).
const MAX_UNIT_PRICE: i64 = 1_000_000_000;

/// A charge as staff type it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeInput {
    pub description: String,
    pub quantity: i64,
    pub unit_price: Money,
}

/// The charges of contract `contract_id` waiting for its next invoice,
/// oldest first.
pub async fn list(svc: &Services, caller: &Caller, contract_id: i64) -> Result<Vec<Charge>> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    store::contracts::get(&mut c, contract_id).await?;
    Ok(store::billing::runs::open_charges(&mut c, contract_id).await?)
}

/// Adds a charge to contract `contract_id`'s next invoice; returns its id.
/// A canceled contract takes none (no invoice may follow).
pub async fn add(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
    input: &ChargeInput,
) -> Result<i64> {
    caller.require(Permission::BillingManage)?;
    check("description", validate::required(&input.description, 200))?;
    if !(1..=MAX_QUANTITY).contains(&input.quantity) {
        return Err(Error::invalid("quantity", FieldError::Range));
    }
    if !(1..=MAX_UNIT_PRICE).contains(&input.unit_price.0) {
        return Err(Error::invalid("unit_price", FieldError::Range));
    }
    let mut tx = svc.db.begin().await?;
    let k = store::contracts::get(&mut tx, contract_id).await?;
    if k.status == domain::contracts::Status::Canceled.as_str() {
        return Err(Error::Refused("contract-canceled"));
    }
    let actor = caller.actor();
    let description = input.description.trim();
    let id = store::billing::runs::add_charge(
        &mut tx,
        contract_id,
        description,
        input.quantity,
        input.unit_price.0,
        &actor.name,
        store::now(),
    )
    .await?;
    Change::new("charge.add", "contract", contract_id)
        .after(json!({
            "charge_id": id, "description": description, "quantity": input.quantity,
            "unit_price": input.unit_price.0,
        }))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes charge `id` from contract `contract_id` while no invoice took it
/// yet; one already billed (or another contract's) is not found.
pub async fn remove(svc: &Services, caller: &Caller, contract_id: i64, id: i64) -> Result<()> {
    caller.require(Permission::BillingManage)?;
    let mut tx = svc.db.begin().await?;
    let charge = store::billing::runs::open_charges(&mut tx, contract_id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(Error::NotFound)?;
    if !store::billing::runs::delete_charge(&mut tx, id).await? {
        return Err(Error::NotFound);
    }
    Change::new("charge.remove", "contract", contract_id)
        .before(json!({
            "charge_id": id, "description": charge.description, "quantity": charge.quantity,
            "unit_price": charge.unit_price,
        }))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}
