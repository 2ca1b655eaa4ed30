//! Pix Automático on the contract page: the contract's recurrence and its
//! state, the enrolment form (the payer's bank account and the amount
//! agreed) and cancelling a recurrence. The services decide who may.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use domain::Permission;
use domain::system::settings as keys;
use services::Error;
use services::payments::gateways::Recurrence;
use services::payments::gateways::pix_automatico::{self, Enrolment};
use webkit::auth::Staff;
use webkit::state::AppState;

use crate::error::{Fail, PageResult};
use crate::views::html;
use crate::{done, field, form_pairs};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts/{id}/pix-automatico", post(enrol))
        .route("/contracts/{id}/pix-automatico/{rid}/cancel", post(cancel))
}

/// The enrolment form as typed.
#[derive(Debug, Clone, Default)]
pub struct EnrolForm {
    pub amount_policy: String,
    pub amount: String,
    pub valid_from: String,
    pub valid_to: String,
    pub payer_ispb: String,
    pub payer_agency: String,
    pub payer_account: String,
}

/// The contract page's Pix Automático section.
#[derive(Debug, Clone)]
pub struct Section {
    /// The live recurrence (created or approved), if any.
    pub live: Option<Recurrence>,
    /// Ended ones, newest first.
    pub ended: Vec<Recurrence>,
    /// Whether the enrolment form shows (PSP API on, nothing live, may act).
    pub can_enrol: bool,
    pub can_cancel: bool,
    pub form: EnrolForm,
    pub reason: String,
}

impl Section {
    pub fn policies(&self) -> [&'static str; 3] {
        ["variable", "fixed", "minimum"]
    }
}

/// The status badge class of a recurrence.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "approved" => "badge badge-ok",
        "created" => "badge badge-info",
        "rejected" => "badge badge-danger",
        _ => "badge badge-muted",
    }
}

/// The section for contract `contract_id`, or `None` for who may not see
/// payments or when Pix Automático was never used and the PSP API is off.
pub async fn section(
    state: &AppState,
    staff: &Staff,
    contract_id: i64,
) -> Result<Option<Section>, Fail> {
    let caller = staff.caller();
    if !caller.can(Permission::PaymentsView) {
        return Ok(None);
    }
    let recs = pix_automatico::of_contract(&state.svc, &caller, contract_id).await?;
    let api = services::system::settings::current(&state.svc)
        .await?
        .raw(keys::PIX_MODE)
        == "api";
    if recs.is_empty() && !api {
        return Ok(None);
    }
    let (live, ended): (Vec<_>, Vec<_>) = recs
        .into_iter()
        .partition(|r| r.status == "created" || r.status == "approved");
    let live = live.into_iter().next();
    let may = caller.can(Permission::PaymentsRecord);
    let today = jiff::Timestamp::now().to_zoned(staff.tz.clone()).date();
    Ok(Some(Section {
        can_enrol: api && may && live.is_none(),
        can_cancel: may && live.is_some(),
        live,
        ended,
        form: EnrolForm {
            amount_policy: "variable".into(),
            valid_from: today.to_string(),
            ..EnrolForm::default()
        },
        reason: String::new(),
    }))
}

async fn again(
    state: &AppState,
    staff: &Staff,
    id: i64,
    e: Error,
    form: Option<EnrolForm>,
    reason: String,
) -> PageResult {
    let errors = crate::payments::charges::form_errors(&staff.tr, e)?;
    let mut view = crate::contracts::show_view(state, staff, id, None).await?;
    view.errors = errors;
    if let Some(s) = view.pix_automatico.as_mut() {
        if let Some(f) = form {
            s.form = f;
        }
        s.reason = reason;
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

pub async fn enrol(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let p = form_pairs(&body);
    let f = EnrolForm {
        amount_policy: field(&p, "amount_policy"),
        amount: field(&p, "amount"),
        valid_from: field(&p, "valid_from"),
        valid_to: field(&p, "valid_to"),
        payer_ispb: field(&p, "payer_ispb"),
        payer_agency: field(&p, "payer_agency"),
        payer_account: field(&p, "payer_account"),
    };
    let input = || -> Result<Enrolment, Error> {
        Ok(Enrolment {
            amount_policy: f.amount_policy.trim().to_owned(),
            amount: if f.amount_policy.trim() == "variable" {
                None
            } else {
                crate::shared::money_opt(&staff.tr, "amount", &f.amount)?.map(|m| m.0)
            },
            valid_from: f.valid_from.clone(),
            valid_to: Some(f.valid_to.clone()),
            payer_ispb: f.payer_ispb.clone(),
            payer_agency: Some(f.payer_agency.clone()),
            payer_account: f.payer_account.clone(),
        })
    };
    let result = match input() {
        Ok(e) => pix_automatico::enrol(&state.svc, &caller, id, &e).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&format!("/contracts/{id}"), "pix-automatico-enrolled")),
        Err(e) => again(&state, &staff, id, e, Some(f), String::new()).await,
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, rid)): Path<(i64, i64)>,
    body: Bytes,
) -> PageResult {
    let caller = staff.caller();
    caller.require(Permission::PaymentsRecord)?;
    let reason = field(&form_pairs(&body), "reason");
    // The recurrence must be this contract's (the URL names both).
    let ours = pix_automatico::of_contract(&state.svc, &caller, id)
        .await?
        .iter()
        .any(|r| r.id == rid);
    if !ours {
        return Err(Error::NotFound.into());
    }
    match pix_automatico::cancel(&state.svc, &caller, rid, &reason).await {
        Ok(_) => Ok(done(&format!("/contracts/{id}"), "pix-automatico-canceled")),
        Err(e) => again(&state, &staff, id, e, None, reason).await,
    }
}
