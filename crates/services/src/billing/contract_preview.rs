//! Every line a billing run would issue for one contract as of a date,
//! without writing anything: what staff check in the run's preview before
//! confirming it.
//!
//! (Written for the billing pages while `run::preview_contract` is on its
//! way; when it lands, the pages call it and this module goes.)

use domain::Money;
use domain::Permission;
use domain::billing::invoice::Totals;
use jiff::civil::Date;

use super::Policy;
use super::run::{TaxCache, compute, due, facts, zone};
use crate::{Caller, Result, Services};

/// A document the run would issue for the contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PreviewDocument {
    pub period_start: String,
    pub period_end: String,
    pub issue_date: String,
    pub due_date: String,
    pub lines: Vec<PreviewLine>,
    pub total: Money,
}

/// One line with its taxes by name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PreviewLine {
    pub description: String,
    pub period: Option<(String, String)>,
    pub quantity: i64,
    pub unit_price: Money,
    pub discount: Money,
    pub taxes: Vec<(String, Money)>,
    pub total: Money,
}

/// The documents contract `contract_id` would get from a run as of
/// `as_of` (its pending one-off charges on the first of them).
pub async fn preview_contract(
    svc: &Services,
    caller: &Caller,
    as_of: Date,
    contract_id: i64,
    policy: &Policy,
) -> Result<Vec<PreviewDocument>> {
    caller.require(Permission::BillingView)?;
    let mut c = svc.db.conn().await?;
    // Not billable (pending installation) or unknown: nothing to show.
    store::contracts::get(&mut c, contract_id).await?;
    let Some(row) = store::billing::runs::billable(&mut c, contract_id - 1, 1)
        .await?
        .into_iter()
        .find(|r| r.id == contract_id)
    else {
        return Ok(Vec::new());
    };
    let tz = zone(&mut c).await?;
    let k = facts(&mut c, &row, &tz, policy).await?;
    let rates = TaxCache::default().get(&mut c, &row).await?;
    let mut charges = store::billing::runs::open_charges(&mut c, contract_id).await?;
    let mut out = Vec::new();
    for d in due(&k, as_of, policy) {
        if d.lines.is_empty() && charges.is_empty() {
            continue;
        }
        // The first document issued takes the waiting charges.
        let lines = compute(&d, &std::mem::take(&mut charges), &rates)?;
        let totals = Totals::of(&lines);
        out.push(PreviewDocument {
            period_start: d.period.start.to_string(),
            period_end: d.period.end.to_string(),
            issue_date: d.issue_date.to_string(),
            due_date: d.due_date.to_string(),
            total: totals.total,
            lines: lines
                .into_iter()
                .map(|l| PreviewLine {
                    taxes: l
                        .taxes
                        .iter()
                        .map(|t| {
                            let name = rates
                                .iter()
                                .find(|r| r.id == t.tax_id)
                                .map(|r| r.name.clone())
                                .unwrap_or_default();
                            (name, t.amount)
                        })
                        .collect(),
                    description: l.description,
                    period: l.period.map(|p| (p.start.to_string(), p.end.to_string())),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    discount: l.discount,
                    total: l.total,
                })
                .collect(),
        });
    }
    Ok(out)
}
