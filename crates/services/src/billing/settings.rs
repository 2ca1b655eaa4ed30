//! The billing [`Policy`] as the settings (group `billing`) say.

use domain::billing::invoice::Series;
use domain::billing::period::Basis;
use domain::contracts::SuspendReason;
use domain::system::settings as keys;

use super::Policy;
use crate::system::settings::Settings;
use crate::{Error, Result, Services};

/// The policy billing runs follow now (settings are cached for a few
/// seconds, so a change reaches every node's next run).
pub async fn policy(svc: &Services) -> Result<Policy> {
    let s = crate::system::settings::current(svc).await?;
    from_settings(&s)
}

/// The policy `s` describes. Stored values were validated when saved; one
/// that no longer parses is an internal error, not a silent default.
pub fn from_settings(s: &Settings) -> Result<Policy> {
    let digits = u8::try_from(s.int(keys::BILLING_NUMBER_DIGITS)).unwrap_or(6);
    let series = |key: &str| {
        Series::new(s.raw(key), digits).map_err(|e| Error::Internal(format!("setting {key}: {e}")))
    };
    let mut uncharged_reasons = Vec::new();
    for (key, reason) in [
        (
            keys::BILLING_UNCHARGED_NON_PAYMENT,
            SuspendReason::NonPayment,
        ),
        (
            keys::BILLING_UNCHARGED_CUSTOMER_REQUEST,
            SuspendReason::CustomerRequest,
        ),
        (
            keys::BILLING_UNCHARGED_ADMINISTRATIVE,
            SuspendReason::Administrative,
        ),
    ] {
        if s.bool(key) {
            uncharged_reasons.push(reason);
        }
    }
    Ok(Policy {
        basis: match s.raw(keys::BILLING_PRORATION) {
            "thirty_day" => Basis::ThirtyDayMonths,
            _ => Basis::ActualDays,
        },
        prepaid_days_before: s.int(keys::BILLING_PREPAID_DAYS_BEFORE),
        due_days: s.int(keys::BILLING_DUE_DAYS),
        uncharged_reasons,
        invoice_series: series(keys::BILLING_INVOICE_PREFIX)?,
        credit_note_series: series(keys::BILLING_CREDIT_NOTE_PREFIX)?,
        fold_first_period: s.raw(keys::BILLING_FIRST_PERIOD) == "fold",
        per_customer: s.raw(keys::BILLING_GROUPING) == "customer",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_default_policy() {
        let p = from_settings(&Settings::default()).unwrap();
        let d = Policy::default();
        assert_eq!(p.basis, d.basis);
        assert_eq!(p.prepaid_days_before, d.prepaid_days_before);
        assert_eq!(p.due_days, d.due_days);
        assert_eq!(p.uncharged_reasons, d.uncharged_reasons);
        assert_eq!(p.invoice_series, d.invoice_series);
        assert_eq!(p.credit_note_series, d.credit_note_series);
        assert_eq!(p.fold_first_period, d.fold_first_period);
        assert_eq!(p.per_customer, d.per_customer);
    }
}
