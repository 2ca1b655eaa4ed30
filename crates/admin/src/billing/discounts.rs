//! The contract page's discounts: the list, adding a discount, applying a
//! promo code and ending a discount (with a confirmation). Errors show on
//! the contract page, next to the form that caused them.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use domain::Permission;
use services::Error;
use services::billing::discounts::{self, Discount, DiscountInput};
use services::billing::promos;

use super::promos::{amount_text, parse_amount};
use crate::error::PageResult;
use crate::shared::int_opt;
use crate::views::{FormErrors, html};
use crate::{done, field, form_pairs};
use webkit::auth::Staff;
use webkit::i18n::Tr;
use webkit::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts/{id}/discounts", post(add))
        .route("/contracts/{id}/promo-codes", post(apply_code))
        .route("/contracts/{id}/discounts/{discount}/end", post(end))
}

/// A discount as the contract page lists it.
pub struct DiscountRow {
    pub d: Discount,
    pub amount: String,
    /// Cycles used, of how many.
    pub cycles: String,
}

/// The discounts section's forms as typed (kept when refused).
#[derive(Debug, Clone, Default)]
pub struct DiscountForm {
    pub kind: String,
    pub value: String,
    pub description: String,
    pub cycles: String,
    pub until: String,
    pub code: String,
}

impl DiscountForm {
    pub fn new() -> DiscountForm {
        DiscountForm {
            kind: "percent".into(),
            ..DiscountForm::default()
        }
    }
}

/// The section's rows, for callers who may see billing (others see none).
pub async fn rows(
    state: &AppState,
    staff: &Staff,
    contract_id: i64,
) -> Result<Vec<DiscountRow>, Error> {
    let caller = staff.caller();
    if !caller.can(Permission::BillingView) {
        return Ok(Vec::new());
    }
    Ok(discounts::list(&state.svc, &caller, contract_id)
        .await?
        .into_iter()
        .rev()
        .map(|d| DiscountRow {
            amount: amount_text(&staff.tr, &d.kind, d.value),
            cycles: match d.cycles {
                Some(n) => staff.tr.t2(
                    "discounts-cycles-used",
                    ("used", d.cycles_used.to_string()),
                    ("cycles", n.to_string()),
                ),
                None => staff.tr.t1("discounts-cycles-open", "used", d.cycles_used),
            },
            d,
        })
        .collect())
}

fn input(tr: &Tr, contract_id: i64, v: &DiscountForm) -> Result<DiscountInput, Error> {
    if !matches!(v.kind.as_str(), "fixed" | "percent") {
        return Err(Error::invalid("kind", domain::validate::FieldError::Choice));
    }
    Ok(DiscountInput {
        contract_id,
        kind: v.kind.clone(),
        value: parse_amount(tr, &v.kind, &v.value)?,
        description: v.description.clone(),
        cycles: int_opt("cycles", &v.cycles)?,
        until: v.until.clone(),
    })
}

/// The contract page again, with the error next to its form (422).
async fn refused(
    state: &AppState,
    staff: &Staff,
    id: i64,
    form: DiscountForm,
    e: Error,
) -> PageResult {
    let errors = FormErrors::from_error(&staff.tr, e)?;
    let mut view = crate::contracts::show_view(state, staff, id, None).await?;
    view.errors = errors;
    view.discount_form = form;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingManage)?;
    let p = form_pairs(&body);
    let v = DiscountForm {
        kind: field(&p, "kind"),
        value: field(&p, "value"),
        description: field(&p, "description"),
        cycles: field(&p, "cycles"),
        until: field(&p, "until"),
        code: String::new(),
    };
    let result = match input(&staff.tr, id, &v) {
        Ok(i) => discounts::create(&state.svc, &caller, &i).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/contracts/{id}"), "discount-added")),
        Err(e) => refused(&state, &staff, id, v, e).await,
    }
}

pub async fn apply_code(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::BillingManage)?;
    let code = field(&form_pairs(&body), "code");
    match promos::redeem(&state.svc, &caller, id, &code).await {
        Ok(_) => Ok(done(&format!("/contracts/{id}"), "promo-applied")),
        Err(e) => {
            let v = DiscountForm {
                code,
                ..DiscountForm::new()
            };
            refused(&state, &staff, id, v, e).await
        }
    }
}

pub async fn end(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, discount)): Path<(i64, i64)>,
) -> PageResult {
    let caller = staff.caller();
    let d = discounts::get(&state.svc, &caller, discount).await?;
    if d.contract_id != id {
        return Err(Error::NotFound.into());
    }
    match discounts::end(&state.svc, &caller, discount).await {
        Ok(_) => Ok(done(&format!("/contracts/{id}"), "discount-ended")),
        Err(e) => refused(&state, &staff, id, DiscountForm::new(), e).await,
    }
}
