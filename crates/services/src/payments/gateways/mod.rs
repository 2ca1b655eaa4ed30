//! Payment gateways wired to the books: which methods the settings enable,
//! the provider clients built from the settings, charges created per
//! invoice (`payment_charges`), webhook deliveries processed once
//! (`webhook_events`), and "test connection" for the settings pages.
//!
//! - [`pix`]: a static BR Code per invoice (`pix.mode = static`) or charges
//!   through a PSP's API Pix v2 (`api`): the `pix-charges` job creates and
//!   cancels them, the webhook (mutual TLS) and the `pix-sweep` job record
//!   what was received, refunds go back through `devolucao`.
//! - [`boleto`]: boletos registered at Banco do Brasil (`boleto.mode =
//!   bb_api`), hybrid with a Pix QR when `boleto.hybrid_pix`; the
//!   `boleto-charges` job registers and cancels them, `boleto-poll` records
//!   what BB lists as paid.
//!
//! Money a provider confirms is recorded by the system caller through
//! [`crate::payments::record_in`] with the gateway's name and the
//! provider's id, so a second delivery or an overlapping sweep is a no-op.

pub mod boleto;
pub mod pix;

use domain::Money;
use domain::Permission;
use domain::payments::Method;
use domain::system::settings::{self as keys, Group};
use store::WriteTx;
use store::payments::charges::Charge;

use crate::payments::NewPayment;
use crate::system::settings::Settings;
use crate::{Caller, Error, Result, Services};

/// Charges per run of a charge job (the next run takes the rest).
pub const BATCH: i64 = 100;

/// The payment methods the settings turn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Enabled {
    /// `off`, `static` or `api`.
    pub pix: &'static str,
    /// `off`, `cnab` or `bb_api`.
    pub boleto: &'static str,
    pub stripe: bool,
    pub paypal: bool,
}

/// Which methods `s` enables.
pub fn enabled(s: &Settings) -> Enabled {
    let pix = match s.raw(keys::PIX_MODE) {
        "static" => "static",
        "api" => "api",
        _ => "off",
    };
    let boleto = match s.raw(keys::BOLETO_MODE) {
        "cnab" => "cnab",
        "bb_api" => "bb_api",
        _ => "off",
    };
    Enabled {
        pix,
        boleto,
        stripe: s.bool(keys::STRIPE_ENABLED),
        paypal: s.bool(keys::PAYPAL_ENABLED),
    }
}

/// Claims webhook event `event_id` of `gateway` in the caller's
/// transaction: `true` the first time, `false` when it was processed
/// before (answer 200 and do nothing). The claim commits or rolls back
/// with what the event records, so a failed processing can be retried.
pub async fn webhook_once(
    tx: &mut WriteTx,
    gateway: &str,
    event_id: &str,
    kind: &str,
) -> Result<bool> {
    Ok(
        store::payments::webhooks::claim(tx, gateway, event_id, kind, "processed", store::now())
            .await?,
    )
}

/// What "test connection" found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestOutcome {
    /// The provider accepted the saved credentials; a short note of what it answered.
    Ok(String),
    /// The method is off in the settings.
    Off,
    /// Required settings are empty (their keys).
    Incomplete(Vec<&'static str>),
    /// The provider refused or could not be reached (its message).
    Failed(String),
}

impl TestOutcome {
    /// The flash message key for the admin pages (`flash-gateway-test-*`).
    pub fn flash_key(&self) -> &'static str {
        match self {
            TestOutcome::Ok(_) => "flash-gateway-test-ok",
            TestOutcome::Off => "flash-gateway-test-off",
            TestOutcome::Incomplete(_) => "flash-gateway-test-incomplete",
            TestOutcome::Failed(_) => "flash-gateway-test-failed",
        }
    }

    /// The detail shown under the message (the provider's answer, the
    /// missing settings).
    pub fn detail(&self) -> String {
        match self {
            TestOutcome::Ok(s) | TestOutcome::Failed(s) => s.clone(),
            TestOutcome::Incomplete(k) => k.join(", "),
            TestOutcome::Off => String::new(),
        }
    }
}

/// Signs in to the provider of settings group `group` with the saved
/// settings and makes one read-only call (nothing is charged). Needs
/// `settings.manage`.
pub async fn test_connection(svc: &Services, caller: &Caller, group: Group) -> Result<TestOutcome> {
    caller.require(Permission::SettingsManage)?;
    let s = crate::system::settings::current(svc).await?;
    match group {
        Group::Pix => pix::test_connection(svc, &s).await,
        Group::Boleto => boleto::test_connection(svc, &s).await,
        Group::Stripe | Group::Paypal => Err(Error::Refused("gateway-test-not-available")),
        _ => Err(Error::NotFound),
    }
}

/// The keys among `keys` whose value is empty in `s` (secrets decrypted).
fn missing(svc: &Services, s: &Settings, required: &[&'static str]) -> Result<Vec<&'static str>> {
    let mut out = Vec::new();
    for k in required {
        let secret = domain::system::settings::def(k).is_some_and(|d| d.kind.is_secret());
        let value = if secret {
            s.secret(svc, k)?
        } else {
            s.raw(k).to_owned()
        };
        if value.trim().is_empty() {
            out.push(*k);
        }
    }
    Ok(out)
}

/// A gateway failure as the services report it (jobs note it; pages show it).
fn gateway_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("{what}: {e}"))
}

/// The day `at` falls on in the installation's time zone, never after
/// today (a payment dated tomorrow by a PSP's clock is refused by the books).
async fn day_of(tx: &mut store::AnyConnection, at: jiff::Timestamp) -> Result<String> {
    let tz = store::system::company::get(tx)
        .await?
        .and_then(|c| jiff::tz::TimeZone::get(&c.timezone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let day = at.to_zoned(tz.clone()).date();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    Ok(day.min(today).to_string())
}

/// Records `amount` received for `charge` (its invoice first, the rest to
/// the oldest open ones or as credit) by the system caller, and marks the
/// charge paid; idempotent on `(gateway, reference)`. Returns whether it
/// wrote a new payment.
#[allow(clippy::too_many_arguments)]
async fn record_for_charge(
    tx: &mut WriteTx,
    caller: &Caller,
    charge: &Charge,
    method: Method,
    gateway: &str,
    reference: &str,
    amount: i64,
    fee: i64,
    received_on: &str,
) -> Result<bool> {
    let inv = store::payments::invoice_amounts(tx, charge.invoice_id).await?;
    // A voided invoice takes no payment: the money becomes the customer's
    // credit (or pays their oldest open invoice).
    let invoice_id = (inv.status == "issued").then_some(inv.id);
    let r = crate::payments::record_in(
        tx,
        caller,
        &NewPayment {
            customer_id: inv.customer_id,
            method,
            amount: Money(amount),
            received_on: received_on.to_owned(),
            invoice_id,
            gateway: Some(gateway.to_owned()),
            reference: Some(reference.to_owned()),
            fee: Money(fee.clamp(0, amount)),
            notes: String::new(),
        },
    )
    .await?;
    store::payments::charges::mark_paid(tx, charge.id, r.payment.id, store::now()).await?;
    Ok(!r.duplicate)
}

/// Every charge of invoice `invoice_id`, newest first (the invoice page).
/// Needs `billing.view` (or being its customer).
pub async fn of_invoice(svc: &Services, caller: &Caller, invoice_id: i64) -> Result<Vec<Charge>> {
    let mut c = svc.db.conn().await?;
    let d = store::billing::documents::get(&mut c, invoice_id).await?;
    caller.require_for_customer(Permission::BillingView, d.customer_id)?;
    Ok(store::payments::charges::of_invoice(&mut c, invoice_id).await?)
}

/// The payment block of invoice `invoice_id` for its PDF and e-mail: the
/// open Pix code and boleto line of its charges (no caller check: the
/// billing area checked).
pub async fn payment_instructions(
    svc: &Services,
    invoice_id: i64,
    locale: &str,
) -> Result<crate::billing::pdf::PaymentInstructions> {
    let s = crate::system::settings::current(svc).await?;
    let mut charges = {
        let mut c = svc.db.conn().await?;
        store::payments::charges::of_invoice(&mut c, invoice_id).await?
    };
    // A static code needs no provider: made now when the job has not yet.
    if s.raw(keys::PIX_MODE) == "static"
        && !charges
            .iter()
            .any(|c| c.gateway == pix::GATEWAY_STATIC && c.status == "open")
    {
        match pix::static_charge(svc, invoice_id).await {
            Ok(c) => charges.insert(0, c),
            // Paid, voided, or a settings defect: the document goes without.
            Err(Error::Refused(_) | Error::Invalid { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let pt = locale.starts_with("pt");
    let mut out = crate::billing::pdf::PaymentInstructions::default();
    fn open<'a>(charges: &'a [Charge], m: &'a str) -> impl Iterator<Item = &'a Charge> {
        charges
            .iter()
            .filter(move |ch| ch.status == "open" && ch.method == m)
    }
    if let Some(ch) = open(&charges, "pix").find(|c| c.pay_code.is_some()) {
        let label = if pt {
            "Pix copia e cola"
        } else {
            "Pix copy and paste"
        };
        out.rows
            .push((label.into(), ch.pay_code.clone().unwrap_or_default()));
    }
    if let Some(ch) = open(&charges, "boleto").next() {
        if let Some(line) = &ch.pay_code {
            let label = if pt {
                "Linha digitável"
            } else {
                "Boleto line"
            };
            out.rows.push((label.into(), boleto::format_line(line)));
        }
        if let Some(bar) = &ch.barcode {
            let label = if pt { "Código de barras" } else { "Barcode" };
            out.rows.push((label.into(), bar.clone()));
        }
    }
    if !out.rows.is_empty() {
        out.text.push(if pt {
            "Pague pelo app do seu banco com o código acima.".into()
        } else {
            "Pay in your bank's app with the code above.".into()
        });
    }
    Ok(out)
}

/// Registers the gateway jobs (`pix-charges`, `pix-sweep`,
/// `boleto-charges`, `boleto-poll`) with the job runner.
pub fn register_jobs(r: &mut crate::system::jobs::runner::Registry) {
    r.register(pix::CHARGES_JOB, |ctx| async move {
        let note = pix::charges_job(ctx.svc()).await?;
        ctx.note(&note).await
    });
    r.register(pix::SWEEP_JOB, |ctx| async move {
        let note = pix::sweep(ctx.svc()).await?;
        ctx.note(&note).await
    });
    r.register(boleto::CHARGES_JOB, |ctx| async move {
        let note = boleto::charges_job(ctx.svc()).await?;
        ctx.note(&note).await
    });
    r.register(boleto::POLL_JOB, |ctx| async move {
        let note = boleto::poll(ctx.svc()).await?;
        ctx.note(&note).await
    });
}

/// Their schedules, enabled by the gateway settings: charges every five
/// minutes, the Pix sweep every `pix.sweep_minutes`, BB's paid list hourly.
pub fn schedules() -> Vec<crate::system::jobs::schedule::Spec> {
    use crate::system::jobs::schedule::Spec;
    vec![
        Spec {
            name: pix::CHARGES_JOB,
            job_kind: pix::CHARGES_JOB,
            cron: |s| ("*/5 * * * *".into(), s.raw(keys::PIX_MODE) != "off"),
        },
        Spec {
            name: pix::SWEEP_JOB,
            job_kind: pix::SWEEP_JOB,
            cron: |s| {
                (
                    every_minutes(s.int(keys::PIX_SWEEP_MINUTES)),
                    s.raw(keys::PIX_MODE) == "api",
                )
            },
        },
        Spec {
            name: boleto::CHARGES_JOB,
            job_kind: boleto::CHARGES_JOB,
            cron: |s| ("*/5 * * * *".into(), s.raw(keys::BOLETO_MODE) == "bb_api"),
        },
        Spec {
            name: boleto::POLL_JOB,
            job_kind: boleto::POLL_JOB,
            cron: |s| ("20 * * * *".into(), s.raw(keys::BOLETO_MODE) == "bb_api"),
        },
    ]
}

/// A cron expression for "every `n` minutes" (1 to 1440): minute steps
/// below an hour, hour steps above (cron cannot step minutes past 59).
pub fn every_minutes(n: i64) -> String {
    let n = n.clamp(1, 1440);
    if n < 60 {
        format!("*/{n} * * * *")
    } else if n < 1440 {
        format!("0 */{} * * *", (n / 60).max(1))
    } else {
        "0 0 * * *".into()
    }
}
