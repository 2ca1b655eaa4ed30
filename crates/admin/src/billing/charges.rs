//! One-off charges on the contract page's "Next invoice" section: add one
//! (description, quantity, unit price) or remove one not billed yet. The
//! section itself is drawn by the contract page (`contracts.rs`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use services::billing::charges::{self, ChargeInput};

use crate::error::PageResult;
use crate::shared::{int, money};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::state::AppState;

/// The add form as typed (kept on errors).
#[derive(Debug, Clone, Default)]
pub struct ChargeForm {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
}

pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    let p = form_pairs(&body);
    let v = ChargeForm {
        description: field(&p, "description"),
        quantity: field(&p, "quantity"),
        unit_price: field(&p, "unit_price"),
    };
    let input = match (
        int("quantity", &v.quantity),
        money(&staff.tr, "unit_price", &v.unit_price),
    ) {
        (Ok(quantity), Ok(unit_price)) => Ok(ChargeInput {
            description: v.description.clone(),
            quantity,
            unit_price,
        }),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let result = match input {
        Ok(input) => charges::add(&state.svc, &caller, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/contracts/{id}"), "charge-added")),
        Err(e) => crate::contracts::show_with_charge_errors(&state, &staff, id, e, v).await,
    }
}

pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, charge)): Path<(i64, i64)>,
) -> PageResult {
    charges::remove(&state.svc, &staff.caller(), id, charge).await?;
    Ok(done(&format!("/contracts/{id}"), "charge-removed"))
}
