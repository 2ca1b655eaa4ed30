//! Billing: tax rates, invoices and credit notes, and the billing run that
//! turns contracts into invoices exactly once per period; discounts on
//! contracts and promo codes; the documents a customer receives (PDF,
//! e-mail on issue) and its account (balance, statement).

pub mod charges;
pub mod discounts;
pub mod documents;
pub mod mail;
pub mod pdf;
pub mod promos;
pub mod reports;
pub mod run;
pub mod settings;
pub mod statement;
pub mod taxes;

use domain::billing::invoice::Series;
use domain::billing::period::Basis;
use domain::contracts::SuspendReason;

/// How the installation bills. The defaults are what most providers use;
/// the settings page edits them.
#[derive(Debug, Clone)]
pub struct Policy {
    pub basis: Basis,
    /// Prepaid periods are billed this many days before they start.
    pub prepaid_days_before: i64,
    /// Postpaid invoices (and late prepaid ones) are due this many days
    /// after issue.
    pub due_days: i64,
    /// Days suspended for these reasons are not charged (Brazil's RGC
    /// says non-payment; customers expect their own request too).
    pub uncharged_reasons: Vec<SuspendReason>,
    pub invoice_series: Series,
    pub credit_note_series: Series,
    /// A partial first period goes on the first full period's invoice
    /// instead of its own.
    pub fold_first_period: bool,
    /// One invoice per customer and issue day instead of one per contract.
    pub per_customer: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            basis: Basis::ActualDays,
            prepaid_days_before: 10,
            due_days: 10,
            uncharged_reasons: vec![SuspendReason::NonPayment, SuspendReason::CustomerRequest],
            invoice_series: Series {
                prefix: "{year}-".into(),
                digits: 6,
            },
            credit_note_series: Series {
                prefix: "NC{year}-".into(),
                digits: 6,
            },
            fold_first_period: false,
            per_customer: false,
        }
    }
}

/// Today in the installation's time zone: the default "as of" of a run
/// and the day invoices are overdue against.
pub async fn today(svc: &crate::Services) -> crate::Result<jiff::civil::Date> {
    let mut c = svc.db.conn().await?;
    crate::crm::today(&mut c).await
}

/// A random, unguessable id for links customers open (22 characters of
/// URL-safe base64 over 128 bits).
pub(crate) fn public_id() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 16];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
