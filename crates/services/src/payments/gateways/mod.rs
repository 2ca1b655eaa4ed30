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
//! - [`stripe`]: Checkout for one invoice, a saved card (Checkout in setup
//!   mode) charged off-session by the `card-charges` job, refunds.
//! - [`pix_automatico`]: a contract's recurrence (`/rec`, `/solicrec`)
//!   and its invoices charged by `/cobr` once the payer approved it.
//! - [`paypal`]: Orders v2 (create, approve, capture), refunds.
//! - [`charges`]: the staff view of charges, cancel and re-create.
//! - [`page`]: what the public payment page shows for an invoice.
//!
//! Money a provider confirms is recorded by the system caller through
//! [`crate::payments::record_in`] with the gateway's name and the
//! provider's id, so a second delivery or an overlapping sweep is a no-op.

pub mod boleto;
pub mod charges;
pub mod page;
pub mod paypal;
pub mod pix;
pub mod pix_automatico;
pub mod stripe;

use domain::Money;
use domain::Permission;
use domain::payments::Method;
use domain::system::settings::{self as keys, Group};
use store::WriteTx;
use store::billing::documents::Document;
/// A charge created at a gateway, as stored.
pub use store::payments::charges::{Charge, Filter as ChargeFilter, Listed as ChargeListed};
pub use store::payments::recurrences::Recurrence;
pub use store::payments::webhooks::Event as WebhookEvent;

use crate::payments::{NewPayment, Recorded, RefundVia};
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
        Group::Stripe if !s.bool(keys::STRIPE_ENABLED) => Ok(TestOutcome::Off),
        Group::Paypal if !s.bool(keys::PAYPAL_ENABLED) => Ok(TestOutcome::Off),
        Group::Stripe => Ok(card_outcome(stripe::test_connection(svc, caller).await)),
        Group::Paypal => Ok(card_outcome(paypal::test_connection(svc, caller).await)),
        _ => Err(Error::NotFound),
    }
}

/// A card gateway's answer as a test outcome (its errors name what failed).
fn card_outcome(r: Result<String>) -> TestOutcome {
    match r {
        Ok(note) => TestOutcome::Ok(note),
        Err(e) => TestOutcome::Failed(e.to_string()),
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
        out.pix_code = ch.pay_code.clone();
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
            out.barcode = Some(bar.clone());
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

/// Why a webhook request was not processed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The request is not the provider's (bad or missing signature, a body
    /// that is not an event, the gateway not set up): answer 400 and
    /// record nothing.
    #[error("{0}")]
    Refused(String),
    /// Something on our side failed: answer 500 so the provider retries.
    #[error(transparent)]
    Failed(#[from] Error),
}

impl From<store::Error> for WebhookError {
    fn from(e: store::Error) -> Self {
        WebhookError::Failed(e.into())
    }
}

/// What a webhook delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The event was handled before: nothing done.
    Duplicate,
    /// A payment recorded (or found recorded under the same reference).
    Paid { payment_id: i64 },
    /// Handled without money moving (a failure noted, a card saved, an
    /// event type we do not act on).
    Noted,
}

/// An invoice that can take money: issued, not voided, with `open` left to
/// pay after payments and credit notes.
#[derive(Debug, Clone)]
pub struct Payable {
    pub document: Document,
    pub open: i64,
    pub currency: String,
}

/// Invoice `public_id` and what is left to pay on it; `NotFound` for an
/// unknown id, a credit note or a draft (nothing says which).
pub async fn payable(conn: &mut store::AnyConnection, public_id: &str) -> Result<Payable> {
    let document = match store::billing::documents::by_public_id(conn, public_id).await {
        Ok(d) => d,
        Err(store::Error::NotFound) => return Err(Error::NotFound),
        Err(e) => return Err(e.into()),
    };
    if document.kind != "invoice" || document.status == "draft" {
        return Err(Error::NotFound);
    }
    let credited: i64 = store::payments::credited(conn, &[document.id])
        .await?
        .into_iter()
        .map(|(_, amount)| amount)
        .sum();
    let open = if document.status == "issued" {
        (document.total - credited - document.paid).max(0)
    } else {
        0
    };
    let currency = store::system::company::get(conn)
        .await?
        .map(|c| c.currency)
        .unwrap_or_else(|| "BRL".into());
    Ok(Payable {
        document,
        open,
        currency,
    })
}

/// Money a gateway says arrived for an invoice.
pub(crate) struct Received<'a> {
    /// The system caller's name (the webhook or job).
    pub job: &'static str,
    pub method: Method,
    pub gateway: &'a str,
    /// The provider's id of the money (PaymentIntent, capture).
    pub reference: &'a str,
    pub invoice_id: i64,
    pub amount: i64,
    /// The charge row it settles, if known.
    pub charge_id: Option<i64>,
    /// The webhook event that told it (the charge's history), if any.
    pub event_id: Option<&'a str>,
}

/// Records `r` as the system in `tx` (once per gateway and reference) and
/// marks its charge row paid.
pub(crate) async fn record_gateway_payment(tx: &mut WriteTx, r: &Received<'_>) -> Result<Recorded> {
    let document = store::billing::documents::get(tx, r.invoice_id).await?;
    let today = crate::crm::today(tx).await?;
    let recorded = crate::payments::record_in(
        tx,
        &Caller::system(r.job),
        &NewPayment {
            customer_id: document.customer_id,
            method: r.method,
            amount: domain::Money(r.amount),
            received_on: today.to_string(),
            invoice_id: Some(r.invoice_id),
            gateway: Some(r.gateway.to_owned()),
            reference: Some(r.reference.to_owned()),
            fee: domain::Money(0),
            notes: String::new(),
        },
    )
    .await?;
    if let (Some(id), Some(event)) = (r.charge_id, r.event_id) {
        store::payments::webhooks::link(tx, r.gateway, event, id).await?;
    }
    if let Some(id) = r.charge_id {
        store::payments::charges::set_status(
            tx,
            id,
            "paid",
            Some(recorded.payment.id),
            None,
            store::now(),
        )
        .await?;
    }
    Ok(recorded)
}

/// The `http::Config` for a provider's base URL from the settings.
pub(crate) fn http_config(base_url: &str) -> gateways::http::Config {
    let base = if base_url.ends_with('/') {
        base_url.to_owned()
    } else {
        format!("{base_url}/")
    };
    gateways::http::Config::new(base)
}

/// A card provider's settings (Stripe, PayPal), read the same way for
/// each: `load` reads them with the secrets decrypted, `client` refuses
/// (`gateway-not-configured`) while a value the provider needs is empty,
/// `enabled_client` also (`gateway-disabled`) while the method is off.
pub(crate) trait ProviderConfig: Sized {
    type Client;
    /// From the current settings.
    fn read(svc: &Services, s: &Settings) -> Result<Self>;
    fn enabled(&self) -> bool;
    fn api_url(&self) -> &str;
    /// The other values the client cannot work without.
    fn required(&self) -> Vec<&str>;
    /// The client, once every required value is there.
    fn build(&self, http: &gateways::http::Config) -> Result<Self::Client>;

    async fn load(svc: &Services) -> Result<Self> {
        let s = crate::system::settings::current(svc).await?;
        Self::read(svc, &s)
    }

    fn client(&self) -> Result<Self::Client> {
        if self.api_url().is_empty() || self.required().iter().any(|v| v.is_empty()) {
            return Err(Error::Refused("gateway-not-configured"));
        }
        self.build(&http_config(self.api_url()))
    }

    fn enabled_client(&self) -> Result<Self::Client> {
        if !self.enabled() {
            return Err(Error::Refused("gateway-disabled"));
        }
        self.client()
    }
}

/// The payment a refund through a gateway is about: a payment row of
/// `gateway`, with its provider reference.
pub(crate) async fn gateway_payment(
    svc: &Services,
    payment_id: i64,
    gateway: &str,
) -> Result<crate::payments::Payment> {
    let mut c = svc.db.conn().await?;
    let p = match store::payments::get(&mut c, payment_id).await {
        Ok(p) => p,
        Err(store::Error::NotFound) => return Err(Error::NotFound),
        Err(e) => return Err(e.into()),
    };
    if p.kind != "payment" || p.gateway.as_deref() != Some(gateway) || p.reference.is_none() {
        return Err(Error::invalid_msg(
            "payment_id",
            format!("is not a payment received through {gateway}"),
        ));
    }
    Ok(p)
}

/// What a provider is asked to give back.
pub(crate) struct RefundAsk {
    pub payment: crate::payments::Payment,
    /// The provider's id of the money (PaymentIntent, capture, end-to-end id).
    pub reference: String,
    /// What refunds and reversals took back from the payment before.
    pub earlier: i64,
    pub amount: i64,
    pub reason: String,
    pub currency: String,
}

impl RefundAsk {
    /// The same for a retry after a lost answer, new for the next refund:
    /// the provider gives back once per key.
    pub fn idempotency_key(&self) -> String {
        format!(
            "payment-{}-refund-{}-{}",
            self.payment.public_id, self.earlier, self.amount
        )
    }
}

/// The one refund flow of every gateway: checks the caller
/// (`payments.refund`), the payment (received through `gateway`), the
/// amount (at most what is left of it) and the reason, asks the provider
/// (`give_back` answers the provider's refund id), then records the refund
/// under that id so a retry records it once.
pub(crate) async fn refund_through<F, Fut>(
    svc: &Services,
    caller: &Caller,
    payment_id: i64,
    gateway: &str,
    amount: Money,
    reason: &str,
    give_back: F,
) -> Result<crate::payments::TakenBack>
where
    F: FnOnce(RefundAsk) -> Fut,
    Fut: std::future::Future<Output = Result<String>>,
{
    caller.require(Permission::PaymentsRefund)?;
    let payment = gateway_payment(svc, payment_id, gateway).await?;
    if amount.0 <= 0 {
        return Err(Error::invalid_msg("amount", "must be more than zero"));
    }
    domain::validate::required_multiline(reason, 500).map_err(|e| Error::invalid("reason", e))?;
    let (earlier, currency) = {
        let mut c = svc.db.conn().await?;
        let earlier = store::payments::taken_back(&mut c, payment_id).await?;
        let currency = store::system::company::get(&mut c)
            .await?
            .map(|c| c.currency)
            .unwrap_or_else(|| "BRL".into());
        (earlier, currency)
    };
    if amount.0 > payment.amount - earlier {
        return Err(Error::invalid_msg(
            "amount",
            "is more than what is left of the payment",
        ));
    }
    let reference = give_back(RefundAsk {
        reference: payment.reference.clone().unwrap_or_default(),
        payment,
        earlier,
        amount: amount.0,
        reason: reason.to_owned(),
        currency,
    })
    .await?;
    crate::payments::refund(
        svc,
        caller,
        payment_id,
        amount,
        reason,
        &RefundVia::Gateway {
            gateway: gateway.to_owned(),
            reference,
        },
    )
    .await
}

/// Refunds `amount` of payment `payment_id` the way it came in: through
/// the PSP, Stripe or PayPal for their payments, recorded as given back
/// outside Lastmile for the others. Needs `payments.refund`.
pub async fn refund(
    svc: &Services,
    caller: &Caller,
    payment_id: i64,
    amount: Money,
    reason: &str,
) -> Result<crate::payments::TakenBack> {
    caller.require(Permission::PaymentsRefund)?;
    match refund_gateway(svc, payment_id).await? {
        Some(pix::GATEWAY) => pix::refund(svc, caller, payment_id, amount, reason).await,
        Some(stripe::GATEWAY) => stripe::refund(svc, caller, payment_id, amount, reason).await,
        Some(paypal::GATEWAY) => paypal::refund(svc, caller, payment_id, amount, reason).await,
        _ => {
            crate::payments::refund(
                svc,
                caller,
                payment_id,
                amount,
                reason,
                &RefundVia::Recorded,
            )
            .await
        }
    }
}

/// The gateway a refund of payment `payment_id` goes through, if any
/// (the payment page names it on the refund form).
pub async fn refund_gateway(svc: &Services, payment_id: i64) -> Result<Option<&'static str>> {
    let mut c = svc.db.conn().await?;
    let p = match store::payments::get(&mut c, payment_id).await {
        Ok(p) => p,
        Err(store::Error::NotFound) => return Err(Error::NotFound),
        Err(e) => return Err(e.into()),
    };
    if p.kind != "payment" || p.reference.is_none() {
        return Ok(None);
    }
    Ok(match p.gateway.as_deref() {
        Some(pix::GATEWAY) => Some(pix::GATEWAY),
        Some(stripe::GATEWAY) => Some(stripe::GATEWAY),
        Some(paypal::GATEWAY) => Some(paypal::GATEWAY),
        _ => None,
    })
}
