//! Tax rates: a name, a rate, how it applies (on top, included VAT-style,
//! included as a share of the price) and the plans' tax category it
//! applies to.

use domain::Permission;
use domain::billing::Rate;
use domain::billing::tax::TaxMode;
use domain::validate;
use serde_json::json;
use store::billing::taxes::Fields;
// The row type callers read, so interfaces need not name the store.
pub use store::billing::taxes::TaxRate;

use crate::{Caller, Change, Error, Result, Services, check};

/// A tax rate as staff type it.
#[derive(Debug, Clone, Default)]
pub struct TaxInput {
    pub name: String,
    /// A percentage: `18`, `0,65`.
    pub percent: String,
    /// `on_top`, `included_vat` or `included_share`.
    pub mode: String,
    /// The plans' tax category; empty applies to every plan.
    pub category: String,
    pub position: i64,
    pub active: bool,
}

struct Checked {
    name: String,
    rate: Rate,
    mode: TaxMode,
    category: String,
}

fn check_input(input: &TaxInput) -> Result<Checked> {
    check("name", validate::required(&input.name, 80))?;
    check("category", validate::optional(&input.category, 40))?;
    let rate = Rate::parse_percent(&input.percent)
        .map_err(|e| Error::invalid_msg("percent", e.to_string()))?;
    let mode = TaxMode::parse(input.mode.trim())
        .ok_or_else(|| Error::invalid("mode", validate::FieldError::Choice))?;
    Ok(Checked {
        name: input.name.trim().to_owned(),
        rate,
        mode,
        category: input.category.trim().to_owned(),
    })
}

fn fields<'a>(c: &'a Checked, input: &TaxInput) -> Fields<'a> {
    Fields {
        name: &c.name,
        rate_ppm: i64::from(c.rate.0),
        mode: c.mode.as_str(),
        category: &c.category,
        position: input.position,
        active: input.active,
    }
}

fn snapshot(t: &TaxRate) -> serde_json::Value {
    json!({
        "name": t.name, "rate_ppm": t.rate_ppm, "mode": t.mode,
        "category": t.category, "position": t.position, "active": t.active,
    })
}

/// Every tax rate, in document order.
pub async fn list(svc: &Services, caller: &Caller) -> Result<Vec<TaxRate>> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::billing::taxes::list(&mut c).await?)
}

pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<TaxRate> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    Ok(store::billing::taxes::get(&mut c, id).await?)
}

/// Creates a tax rate; a name already used is refused naming `name`.
pub async fn create(svc: &Services, caller: &Caller, input: &TaxInput) -> Result<i64> {
    caller.require(Permission::BillingManage)?;
    let c = check_input(input)?;
    let mut tx = svc.db.begin().await?;
    let id = store::billing::taxes::insert(&mut tx, &fields(&c, input), store::now()).await?;
    let after = store::billing::taxes::get(&mut tx, id).await?;
    Change::new("tax_rate.create", "tax_rate", id)
        .after(snapshot(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a tax rate. Documents already issued keep the rate they were
/// issued with (each line stores its taxes).
pub async fn update(svc: &Services, caller: &Caller, id: i64, input: &TaxInput) -> Result<()> {
    caller.require(Permission::BillingManage)?;
    let c = check_input(input)?;
    let mut tx = svc.db.begin().await?;
    let before = store::billing::taxes::get(&mut tx, id).await?;
    store::billing::taxes::update(&mut tx, id, &fields(&c, input), store::now()).await?;
    let after = store::billing::taxes::get(&mut tx, id).await?;
    Change::new("tax_rate.update", "tax_rate", id)
        .before(snapshot(&before))
        .after(snapshot(&after))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The domain's view of stored rates (rows with an unknown mode or an
/// impossible rate are left out rather than charged wrongly).
pub(crate) fn to_domain(rows: &[TaxRate]) -> Vec<domain::billing::tax::TaxRate> {
    rows.iter()
        .filter_map(|r| {
            Some(domain::billing::tax::TaxRate {
                id: r.id,
                name: r.name.clone(),
                rate: Rate(u32::try_from(r.rate_ppm).ok()?),
                mode: TaxMode::parse(&r.mode)?,
            })
        })
        .collect()
}
