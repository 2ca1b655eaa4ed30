//! Collections (dunning): the policy in force, the daily pass (reminders,
//! the suspension notice Anatel's RGC asks for, suspension for non-payment
//! no earlier than the notice allows, re-suspension when a trust unlock
//! ends unpaid), late fee and interest on invoices paid late, reactivation
//! when the debt is gone, trust unlocks and the cancellation list.
//!
//! What an invoice still owes comes only from
//! `store::billing::reports::SETTLEMENTS` (credit notes; payments join it),
//! so everything here follows whatever settles invoices there.
//!
//! Suspending and reactivating go through [`crate::contracts::transition_in`]:
//! the same status machine, audit entry, timeline line and
//! `contract.status_changed` event, which the RADIUS nodes turn into a
//! Disconnect or CoA (recorded with its ACK/NAK in `radius_coa`).
//!
//! The optional speed-reduction step (`Policy::speed_reduction`, off by
//! default): some days after the notice, and before its suspension day,
//! the contracts the invoice bills get a reduced rate (a row in
//! `dunning_reductions`, which the RADIUS view reads with each contract,
//! and the `contract.speed_changed` event, which the RADIUS nodes turn
//! into a CoA-Request with the new rate). Paying the debt, a trust unlock
//! or the suspension itself gives the plan's speed back.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use domain::collections::{self as rules, LateCharges, NOTICE_STEP, Policy, ReducedRate};
use domain::contracts::{Status, SuspendReason};
use domain::crm::timeline::EventKind;
use domain::event::ContractSpeedChanged;
use domain::{Money, Permission};
use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::json;
use store::collections as q;
/// A contract due for cancellation as the list shows it.
pub use store::collections::ToCancel;

use crate::contracts::document::{date as date_text, money as money_text};
use crate::system::jobs::JobContext;
use crate::{Caller, Change, Error, Result, Services};

/// The daily job (and its schedule's name).
pub const JOB: &str = "collections-daily";
/// Days a missed step is still sent late (the pass did not run, a node was
/// down): a reminder or notice older than this is left, the next one goes.
pub const CATCH_UP_DAYS: i64 = 7;
/// Customers per transaction in the pass's sending phase.
const BATCH: i64 = 500;
/// The step recording that late charges were put on a later invoice.
pub const LATE_STEP: &str = "late_charges";

/// Who may do what in collections, named once.
pub mod access {
    use domain::Permission;

    use crate::{Caller, Result};

    /// Reading the policy, the overdue list and the cancellation list:
    /// `collections.view` or `collections.manage`.
    pub fn view(caller: &Caller) -> Result<()> {
        crate::staff::require_any(
            caller,
            &[Permission::CollectionsView, Permission::CollectionsManage],
        )
    }

    /// Editing the policy and running the pass: `collections.manage`.
    pub fn manage(caller: &Caller) -> Result<()> {
        caller.require(Permission::CollectionsManage)
    }

    /// Lifting a suspension for non-payment on trust: `collections.unlock`.
    pub fn unlock(caller: &Caller) -> Result<()> {
        caller.require(Permission::CollectionsUnlock)
    }
}

/// The policy in force with who saved it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    pub policy: Policy,
    /// The company's country, whose rules the policy is checked against.
    pub country: String,
    /// Unix seconds; `None` while the country's defaults are in force.
    pub updated_at: Option<i64>,
    pub updated_by: Option<String>,
}

/// The company's facts messages and rules need.
#[derive(Debug, Clone)]
struct Company {
    name: String,
    country: String,
    currency: String,
    locale: &'static str,
}

async fn company(conn: &mut store::AnyConnection) -> Result<Company> {
    let c = store::system::company::get(conn).await?;
    Ok(match c {
        Some(c) => Company {
            locale: if c.locale.starts_with("en") {
                "en"
            } else {
                "pt-BR"
            },
            name: c.name,
            country: c.country,
            currency: c.currency,
        },
        None => Company {
            name: String::new(),
            country: String::new(),
            currency: "BRL".into(),
            locale: "pt-BR",
        },
    })
}

async fn stored_in(conn: &mut store::AnyConnection) -> Result<Stored> {
    let country = company(conn).await?.country;
    Ok(match q::policy(conn).await? {
        Some((json, at, by)) => Stored {
            policy: serde_json::from_str::<Policy>(&json)
                .map_err(|e| Error::Internal(format!("stored collections policy: {e}")))?
                .sorted(),
            country,
            updated_at: Some(at),
            updated_by: Some(by),
        },
        None => Stored {
            policy: Policy::default_for(&country).sorted(),
            country,
            updated_at: None,
            updated_by: None,
        },
    })
}

/// The policy in force (`collections.view` or `.manage`): the saved one,
/// else the defaults for the company's country.
pub async fn policy(svc: &Services, caller: &Caller) -> Result<Stored> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    stored_in(&mut c).await
}

/// Every field name a policy error may carry, so errors name them as
/// `&'static str` like every other service error.
static FIELDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut v: Vec<String> = [
        "reminders",
        "fine",
        "interest_monthly",
        "notice_offset_days",
        "suspend_after_notice_days",
        "min_amount",
        "unlock_max_days",
        "cancel_after_days",
        "reconnect_hours",
        "reconnection_fee",
        "speed_reduction.after_notice_days",
        "speed_reduction.percent",
        "speed_reduction.up_kbps",
        "speed_reduction.down_kbps",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let parts = ["subject_en", "body_en", "subject_pt", "body_pt"];
    for p in parts {
        v.push(format!("notice.{p}"));
    }
    for i in 0..rules::MAX_REMINDERS {
        v.push(format!("reminders.{i}.offset_days"));
        for p in parts {
            v.push(format!("reminders.{i}.{p}"));
        }
    }
    v
});

/// A policy refusal as a service error naming the field.
pub fn policy_error(e: rules::PolicyError) -> Error {
    let field = FIELDS
        .iter()
        .find(|f| **f == e.field)
        .map_or("policy", String::as_str);
    Error::invalid_msg(field, e.reason)
}

/// Saves the policy (`collections.manage`) after checking it against the
/// company's country (Brazil: fine ≤ 2 %, interest ≤ 1 %/month, notice ≥ 15
/// days, no reconnection fee), naming the first field refused; audited as
/// `collections.policy`.
pub async fn update_policy(svc: &Services, caller: &Caller, policy: Policy) -> Result<Stored> {
    access::manage(caller)?;
    let policy = policy.sorted();
    let mut tx = svc.db.begin().await?;
    let before = stored_in(&mut tx).await?;
    policy.validate(&before.country).map_err(policy_error)?;
    let json = serde_json::to_string(&policy).map_err(|e| Error::Internal(e.to_string()))?;
    let actor = caller.actor();
    q::put_policy(&mut tx, &json, &actor.name, store::now()).await?;
    Change::new("collections.policy", "collections_policy", 1)
        .before(serde_json::to_value(&before.policy).ok())
        .after(serde_json::to_value(&policy).ok())
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    let after = stored_in(&mut tx).await?;
    tx.commit().await?;
    Ok(after)
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PassReport {
    pub as_of: String,
    /// Customers with an invoice in the sending window.
    pub customers: i64,
    pub reminders: i64,
    pub notices: i64,
    /// Contracts whose speed was reduced.
    pub reduced: i64,
    /// Contracts suspended for non-payment.
    pub suspended: i64,
    /// Contracts suspended again when their trust unlock ended unpaid.
    pub resuspended: i64,
    /// Notices closed because their invoice was settled.
    pub settled: i64,
}

impl PassReport {
    pub fn summary(&self) -> String {
        format!(
            "as of {}: {} customers, {} reminders, {} notices, {} reduced, {} suspended, {} suspended again, {} settled",
            self.as_of,
            self.customers,
            self.reminders,
            self.notices,
            self.reduced,
            self.suspended,
            self.resuspended,
            self.settled
        )
    }
}

/// The daily pass as of `as_of` (`collections.manage`; the job and the
/// console run it as themselves). Safe to run again or on two nodes at
/// once: each step is recorded under a unique (invoice, step) key before
/// anything is sent, and suspensions under (contract, notice).
pub async fn pass(svc: &Services, caller: &Caller, as_of: Date) -> Result<PassReport> {
    pass_with(svc, caller, as_of, None).await
}

/// What the `collections-daily` job does: the pass as of today (or the
/// payload's `as_of`), with progress in the jobs list.
pub async fn job(ctx: &JobContext) -> Result<()> {
    let svc = ctx.svc();
    let caller = Caller::system(JOB);
    let as_of = match ctx.payload().get("as_of").and_then(|v| v.as_str()) {
        Some(s) => s
            .parse()
            .map_err(|_| Error::invalid_msg("as_of", "must be a date (YYYY-MM-DD)"))?,
        None => {
            let mut c = svc.db.conn().await?;
            crate::crm::today(&mut c).await?
        }
    };
    let report = pass_with(svc, &caller, as_of, Some(ctx)).await?;
    ctx.note(&report.summary()).await
}

/// Queues the pass as a job (`collections.manage`); a worker starts it at once.
pub async fn start(svc: &Services, caller: &Caller, as_of: Option<Date>) -> Result<i64> {
    access::manage(caller)?;
    let payload = match as_of {
        Some(d) => json!({ "as_of": d.to_string() }),
        None => json!({}),
    };
    let mut tx = svc.db.begin().await?;
    let id = crate::system::jobs::enqueue_in(&mut tx, JOB, &payload, store::now()).await?;
    Change::new("collections.run", "job", id)
        .after(payload)
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    svc.wake_jobs();
    Ok(id)
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(n.days()).unwrap_or(d)
}

fn parse_date(field: &'static str, s: &str) -> Result<Date> {
    s.parse()
        .map_err(|_| Error::Internal(format!("stored {field} {s:?} is not a date")))
}

/// Which step an invoice `days` past due (negative: before) is at now, given
/// the steps already taken: the notice when due and not sent, else the
/// latest reminder due (within [`CATCH_UP_DAYS`]) not sent; nothing after
/// the notice.
fn step_for<'p>(policy: &'p Policy, days: i64, taken: &HashSet<&str>) -> Option<Step<'p>> {
    if taken.contains(NOTICE_STEP) {
        return None;
    }
    let n = policy.notice_offset_days;
    if days >= n && days - n <= CATCH_UP_DAYS {
        return Some(Step::Notice);
    }
    let r = policy
        .reminders
        .iter()
        .filter(|r| r.offset_days <= days && days - r.offset_days <= CATCH_UP_DAYS)
        .max_by_key(|r| r.offset_days)?;
    (!taken.contains(r.step().as_str())).then_some(Step::Reminder(r))
}

enum Step<'p> {
    Reminder(&'p rules::Reminder),
    Notice,
}

async fn pass_with(
    svc: &Services,
    caller: &Caller,
    as_of: Date,
    ctx: Option<&JobContext>,
) -> Result<PassReport> {
    access::manage(caller)?;
    let (stored, co) = {
        let mut c = svc.db.conn().await?;
        (stored_in(&mut c).await?, company(&mut c).await?)
    };
    let policy = stored.policy;
    let mut report = PassReport {
        as_of: as_of.to_string(),
        ..PassReport::default()
    };
    send_steps(svc, caller, as_of, &policy, &co, &mut report, ctx).await?;
    reduce_due(svc, as_of, &policy, &mut report).await?;
    suspend_due(svc, as_of, &policy, &mut report).await?;
    end_unlocks(svc, as_of, &policy, &mut report).await?;
    Ok(report)
}

/// Reminders and notices: a batch of customers per transaction, the steps
/// recorded first (those another pass took are skipped), then their
/// e-mails, audit entries and timeline lines with multi-row statements.
async fn send_steps(
    svc: &Services,
    caller: &Caller,
    as_of: Date,
    policy: &Policy,
    co: &Company,
    report: &mut PassReport,
    ctx: Option<&JobContext>,
) -> Result<()> {
    let lo = add_days(as_of, -(policy.last_send_offset() + CATCH_UP_DAYS)).to_string();
    let hi = add_days(as_of, -policy.first_send_offset()).to_string();
    let today = as_of.to_string();
    let actor = caller.actor();
    let engine = svc.db.engine();
    let public_url = crate::system::settings::public_url(svc).await?;
    let mut after = 0;
    loop {
        let mut c = svc.db.conn().await?;
        let cands = q::candidates(&mut c, &today, &lo, &hi, after, BATCH).await?;
        let Some(last) = cands.last() else { break };
        after = last.customer_id;
        let mut customers: Vec<i64> = cands.iter().map(|k| k.customer_id).collect();
        customers.dedup();
        report.customers += customers.len() as i64;
        let ids: Vec<i64> = cands.iter().map(|k| k.id).collect();
        let taken_rows = q::steps_of(&mut c, &ids).await?;
        let mut taken: HashMap<i64, HashSet<&str>> = HashMap::new();
        for (inv, step) in &taken_rows {
            taken.entry(*inv).or_default().insert(step.as_str());
        }
        let empty = HashSet::new();
        let mut chosen: Vec<(&q::Candidate, Step<'_>, i64)> = Vec::new();
        for k in &cands {
            let due = parse_date("due_date", &k.due_date)?;
            let days = rules::days_between(due, as_of);
            if let Some(s) = step_for(policy, days, taken.get(&k.id).unwrap_or(&empty)) {
                chosen.push((k, s, days));
            }
        }
        if chosen.is_empty() {
            drop(c);
            progress(ctx, report).await?;
            continue;
        }
        // The notice states what the customer owes in all; no notice goes
        // to a customer owing less than the minimum (nobody would suspend).
        let notice_customers: Vec<i64> = chosen
            .iter()
            .filter(|(_, s, _)| matches!(s, Step::Notice))
            .map(|(k, _, _)| k.customer_id)
            .collect();
        let owed: HashMap<i64, i64> = q::overdue_of(&mut c, &today, &notice_customers)
            .await?
            .into_iter()
            .map(|(id, owed, _)| (id, owed))
            .collect();
        let suspend_from = add_days(as_of, policy.suspend_after_notice_days).to_string();
        let mut rows = Vec::with_capacity(chosen.len());
        chosen.retain(|(k, s, _)| match s {
            Step::Notice => owed.get(&k.customer_id).copied().unwrap_or(0) >= policy.min_amount.0,
            Step::Reminder(_) => true,
        });
        for (k, s, _) in &chosen {
            rows.push(match s {
                Step::Reminder(r) => q::NewStep {
                    invoice_id: k.id,
                    customer_id: k.customer_id,
                    step: r.step(),
                    amount: k.open,
                    owed: k.open,
                    suspend_from: None,
                },
                Step::Notice => q::NewStep {
                    invoice_id: k.id,
                    customer_id: k.customer_id,
                    step: NOTICE_STEP.into(),
                    amount: k.open,
                    owed: owed.get(&k.customer_id).copied().unwrap_or(k.open),
                    suspend_from: Some(suspend_from.clone()),
                },
            });
        }
        let who: Vec<i64> = {
            let mut v: Vec<i64> = chosen.iter().map(|(k, _, _)| k.customer_id).collect();
            v.dedup();
            v
        };
        let people: HashMap<i64, store::crm::customers::Customer> =
            store::crm::customers::get_many(&mut c, &who)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
        drop(c);
        let mut tx = svc.db.begin().await?;
        let recorded = q::insert_steps(&mut tx, &today, &rows, store::now()).await?;
        let fresh: HashSet<(i64, &str)> = recorded
            .iter()
            .map(|(_, inv, step)| (*inv, step.as_str()))
            .collect();
        let mut mails = Vec::new();
        let mut changes = Vec::new();
        let now = store::now();
        for ((k, s, days), row) in chosen.iter().zip(&rows) {
            if !fresh.contains(&(k.id, row.step.as_str())) {
                continue;
            }
            let number = k.number.clone().unwrap_or_default();
            let person = people.get(&k.customer_id);
            // Each customer is written to in the language they prefer.
            let locale = domain::system::locale::customer_locale(
                person.map_or("", |p| p.locale.as_str()),
                co.locale,
            )
            .tag();
            let pay_link = public_url
                .as_ref()
                .map(|base| format!("{base}/pay/{}", k.public_id));
            let vars = [
                ("name", person.map(|p| p.name.clone()).unwrap_or_default()),
                ("company", co.name.clone()),
                ("number", number.clone()),
                ("amount", money_text(k.open, &co.currency, locale)),
                ("due_date", date_text(&k.due_date, locale)),
                ("days", days.to_string()),
                ("owed", money_text(row.owed, &co.currency, locale)),
                (
                    "suspend_from",
                    date_text(row.suspend_from.as_deref().unwrap_or(""), locale),
                ),
                ("reconnect_hours", policy.reconnect_hours.to_string()),
                ("pay_link", pay_link.clone().unwrap_or_default()),
            ];
            let template = match s {
                Step::Reminder(r) => &r.template,
                Step::Notice => &policy.notice,
            };
            let (subject, body) = template.pick(locale);
            let body = match pay_link {
                Some(_) => body.to_owned(),
                None => rules::without_lines_of(body, "pay_link"),
            };
            if let Some(to) = person.and_then(|p| p.emails.first()) {
                mails.push(vec![
                    store::bulk::Value::from(to.as_str()),
                    rules::render(subject, &vars).into(),
                    rules::render(&body, &vars).into(),
                    "pending".into(),
                    now.into(),
                ]);
            }
            let change = Change::new("collections.step", "invoice", k.id).after(json!({
                "step": row.step, "amount": row.amount, "owed": row.owed,
                "suspend_from": row.suspend_from, "emailed": person.is_some_and(|p| !p.emails.is_empty()),
            }));
            changes.push(match s {
                Step::Reminder(_) => {
                    report.reminders += 1;
                    change
                        .timeline(
                            k.customer_id,
                            EventKind::CollectionsReminderSent,
                            format!("Payment reminder sent for invoice {number}"),
                        )
                        .timeline_data(json!({
                            "number": number, "step": row.step, "due_date": k.due_date,
                        }))
                }
                Step::Notice => {
                    report.notices += 1;
                    change
                        .timeline(
                            k.customer_id,
                            EventKind::CollectionsNoticeSent,
                            format!("Suspension notice sent for invoice {number}"),
                        )
                        .timeline_data(json!({
                            "number": number, "owed": row.owed, "suspend_from": row.suspend_from,
                        }))
                }
            });
        }
        store::bulk::insert_rows(
            &mut tx,
            "email_outbox",
            &["to_addr", "subject", "body_text", "status", "created_at"],
            &mails,
        )
        .await?;
        crate::change::record_all(&mut tx, engine, &actor, &changes).await?;
        tx.commit().await?;
        progress(ctx, report).await?;
    }
    Ok(())
}

async fn progress(ctx: Option<&JobContext>, report: &PassReport) -> Result<()> {
    if let Some(ctx) = ctx {
        ctx.progress(
            report.customers,
            0,
            &format!(
                "{} customers, {} reminders, {} notices",
                report.customers, report.reminders, report.notices
            ),
        )
        .await?;
    }
    Ok(())
}

/// The collections caller for the status moves the pass and payments make.
fn mover() -> Caller {
    Caller::system(JOB)
}

/// Notices whose date has come, suspending the contracts the invoice bills
/// while the customer still owes at least the minimum. Each notice (one
/// customer) is whole or absent: a savepoint around it inside a
/// transaction of up to [`NOTICE_GROUP`], since a commit per customer would
/// cap the pass at the disk's flush rate.
async fn suspend_due(
    svc: &Services,
    as_of: Date,
    policy: &Policy,
    report: &mut PassReport,
) -> Result<()> {
    let today = as_of.to_string();
    let mut after = 0;
    loop {
        let notices = {
            let mut c = svc.db.conn().await?;
            q::notices_due(&mut c, &today, after, NOTICE_GROUP).await?
        };
        let Some(last) = notices.last() else { break };
        after = last.id;
        let mut tx = svc.db.begin().await?;
        let mut failed = None;
        for n in &notices {
            q::savepoint(&mut tx).await?;
            match suspend_for(&mut tx, n, &today, policy).await {
                Ok(Acted::Settled) => {
                    q::release(&mut tx).await?;
                    report.settled += 1;
                }
                Ok(Acted::Suspended(count)) => {
                    q::release(&mut tx).await?;
                    report.suspended += count;
                }
                Err(e) => {
                    q::roll_back_to_savepoint(&mut tx).await?;
                    failed = Some(e);
                    break;
                }
            }
        }
        tx.commit().await?;
        if let Some(e) = failed {
            return Err(e);
        }
    }
    Ok(())
}

/// Notices per transaction in the suspension phase.
const NOTICE_GROUP: i64 = 200;

enum Acted {
    /// The invoice was settled: the notice is closed.
    Settled,
    /// This many contracts suspended (0: owing under the minimum, or
    /// nothing active to suspend).
    Suspended(i64),
}

async fn suspend_for(
    tx: &mut store::WriteTx,
    n: &q::NoticeDue,
    today: &str,
    policy: &Policy,
) -> Result<Acted> {
    if n.open <= 0 {
        q::close_notice(tx, n.id, today).await?;
        return Ok(Acted::Settled);
    }
    q::lock_customer(tx, n.customer_id).await?;
    let owed = owed_of(tx, n.customer_id, today).await?;
    if owed < policy.min_amount.0 {
        // Left open: it may be owed again tomorrow, or settled.
        return Ok(Acted::Suspended(0));
    }
    let mut targets = q::invoice_contracts(tx, n.invoice_id).await?;
    if targets.is_empty() {
        targets = q::contracts_of(tx, n.customer_id)
            .await?
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
    }
    let number = n.number.clone().unwrap_or_default();
    let mut count = 0;
    for id in targets {
        let k = store::contracts::get(tx, id).await?;
        if k.status != Status::Active.as_str() {
            continue;
        }
        // A contract unlocked on trust keeps its days.
        if let Some(s) = q::open_suspension(tx, id).await?
            && s.unlock_id.is_some()
            && s.expired_on.is_none()
        {
            continue;
        }
        if q::insert_suspension(tx, id, n.customer_id, Some(n.id), today, store::now())
            .await?
            .is_none()
        {
            continue;
        }
        // The suspension replaces the reduced speed; its status event
        // makes the RADIUS nodes re-read the contract.
        q::end_reduction(tx, id, today, "suspended").await?;
        crate::contracts::transition_in(
            tx,
            &mover(),
            id,
            Status::Suspended,
            Some(SuspendReason::NonPayment),
            &format!(
                "Collections: invoice {number} unpaid; notice of {}",
                n.sent_on
            ),
        )
        .await?;
        count += 1;
    }
    q::close_notice(tx, n.id, today).await?;
    Ok(Acted::Suspended(count))
}

/// The speed-reduction step, when the policy has it: open notices sent at
/// least `after_notice_days` ago whose suspension day has not come reduce
/// the contracts their invoice bills while the customer owes at least the
/// minimum; once per contract and notice, a savepoint per notice as in
/// [`suspend_due`].
async fn reduce_due(
    svc: &Services,
    as_of: Date,
    policy: &Policy,
    report: &mut PassReport,
) -> Result<()> {
    let Some(step) = policy.speed_reduction else {
        return Ok(());
    };
    let today = as_of.to_string();
    let sent_by = add_days(as_of, -step.after_notice_days).to_string();
    let mut after = 0;
    loop {
        let notices = {
            let mut c = svc.db.conn().await?;
            q::notices_to_reduce(&mut c, &today, &sent_by, after, NOTICE_GROUP).await?
        };
        let Some(last) = notices.last() else { break };
        after = last.id;
        let mut tx = svc.db.begin().await?;
        let mut failed = None;
        for n in &notices {
            q::savepoint(&mut tx).await?;
            match reduce_for(&mut tx, svc.db.engine(), n, &today, policy, step.rate).await {
                Ok(count) => {
                    q::release(&mut tx).await?;
                    report.reduced += count;
                }
                Err(e) => {
                    q::roll_back_to_savepoint(&mut tx).await?;
                    failed = Some(e);
                    break;
                }
            }
        }
        tx.commit().await?;
        if let Some(e) = failed {
            return Err(e);
        }
    }
    Ok(())
}

async fn reduce_for(
    tx: &mut store::WriteTx,
    engine: store::Engine,
    n: &q::NoticeDue,
    today: &str,
    policy: &Policy,
    rate: ReducedRate,
) -> Result<i64> {
    if n.open <= 0 {
        return Ok(0);
    }
    q::lock_customer(tx, n.customer_id).await?;
    if owed_of(tx, n.customer_id, today).await? < policy.min_amount.0 {
        return Ok(0);
    }
    let suspend_from = q::open_notices(tx, n.customer_id)
        .await?
        .into_iter()
        .find(|x| x.id == n.id)
        .and_then(|x| x.suspend_from)
        .unwrap_or_default();
    let mut targets = q::invoice_contracts(tx, n.invoice_id).await?;
    if targets.is_empty() {
        targets = q::contracts_of(tx, n.customer_id)
            .await?
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
    }
    let (percent, kbps) = match rate {
        ReducedRate::Percent { percent } => (Some(percent), None),
        ReducedRate::Fixed { up_kbps, down_kbps } => (None, Some((up_kbps, down_kbps))),
    };
    let actor = mover().actor();
    let mut count = 0;
    for id in targets {
        let k = store::contracts::get(tx, id).await?;
        if k.status != Status::Active.as_str() {
            continue;
        }
        // Already reduced (for another notice), or unlocked on trust from
        // a suspension whose days still run.
        if q::open_reduction(tx, id).await?.is_some() {
            continue;
        }
        if let Some(s) = q::open_suspension(tx, id).await?
            && s.unlock_id.is_some()
            && s.expired_on.is_none()
        {
            continue;
        }
        if q::insert_reduction(
            tx,
            id,
            n.customer_id,
            n.id,
            today,
            percent,
            kbps,
            store::now(),
        )
        .await?
        .is_none()
        {
            continue;
        }
        let plan = store::catalog::get(tx, k.plan_id).await?;
        let (up, down) = rate.apply(plan.upload_kbps, plan.download_kbps);
        Change::new("collections.speed_reduced", "contract", id)
            .after(json!({
                "notice_id": n.id, "up_kbps": up, "down_kbps": down,
                "percent": percent, "suspend_from": suspend_from,
            }))
            .event(ContractSpeedChanged {
                contract_id: id,
                customer_id: n.customer_id,
                number: k.number.clone(),
                reduced: true,
            })
            .timeline(
                n.customer_id,
                EventKind::CollectionsSpeedReduced,
                format!(
                    "Contract {} reduced to {down}/{up} kbit/s until paid; suspension possible from {suspend_from}",
                    k.number
                ),
            )
            .timeline_data(json!({
                "number": k.number, "up_kbps": up, "down_kbps": down,
                "suspend_from": suspend_from,
            }))
            .record(tx, engine, &actor)
            .await?;
        count += 1;
    }
    Ok(count)
}

/// Gives contract `id` (of `customer_id`) its plan's speed back when
/// collections had reduced it: ends the reduction and records the change
/// with the `contract.speed_changed` event (the RADIUS nodes send the CoA).
/// `why`: `paid` or `unlocked`.
async fn restore_speed(
    tx: &mut store::WriteTx,
    actor: &crate::Actor,
    id: i64,
    customer_id: i64,
    number: &str,
    today: &str,
    why: &str,
) -> Result<bool> {
    if !q::end_reduction(tx, id, today, why).await? {
        return Ok(false);
    }
    let engine = tx.engine();
    Change::new("collections.speed_restored", "contract", id)
        .after(json!({ "why": why }))
        .event(ContractSpeedChanged {
            contract_id: id,
            customer_id,
            number: number.to_owned(),
            reduced: false,
        })
        .timeline(
            customer_id,
            EventKind::CollectionsSpeedRestored,
            format!("Contract {number}: full speed again ({why})"),
        )
        .timeline_data(json!({ "number": number, "why": why }))
        .record(tx, engine, actor)
        .await?;
    Ok(true)
}

/// Trust unlocks whose days are over: suspended again when still owing.
async fn end_unlocks(
    svc: &Services,
    as_of: Date,
    policy: &Policy,
    report: &mut PassReport,
) -> Result<()> {
    let today = as_of.to_string();
    let mut after = 0;
    loop {
        let ending = {
            let mut c = svc.db.conn().await?;
            q::unlocks_ending(&mut c, &today, after, 200).await?
        };
        let Some(last) = ending.last() else { break };
        after = last.id;
        for u in ending {
            let mut tx = svc.db.begin().await?;
            if !q::expire_unlock(&mut tx, u.id, &today).await? {
                continue;
            }
            q::lock_customer(&mut tx, u.customer_id).await?;
            let owed = owed_of(&mut tx, u.customer_id, &today).await?;
            let k = store::contracts::get(&mut tx, u.contract_id).await?;
            if owed >= policy.min_amount.0 && k.status == Status::Active.as_str() {
                crate::contracts::transition_in(
                    &mut tx,
                    &mover(),
                    u.contract_id,
                    Status::Suspended,
                    Some(SuspendReason::NonPayment),
                    &format!("Collections: trust unlock ended on {} unpaid", u.until_date),
                )
                .await?;
                report.resuspended += 1;
            } else if owed < policy.min_amount.0 {
                q::end_suspensions(&mut tx, u.customer_id, &today).await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

async fn owed_of(conn: &mut store::AnyConnection, customer_id: i64, on: &str) -> Result<i64> {
    Ok(q::overdue_of(conn, on, &[customer_id])
        .await?
        .first()
        .map_or(0, |r| r.1))
}

/// What [`reconsider`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reconsidered {
    /// What the customer still owes overdue.
    pub owed: i64,
    /// Contracts reactivated.
    pub reactivated: Vec<i64>,
    /// Contracts given their plan's speed back.
    pub restored: Vec<i64>,
}

/// In the caller's transaction: when customer `customer_id` no longer owes
/// at least the policy's minimum overdue, reactivates every contract of
/// theirs suspended for non-payment (through the contracts service, so the
/// RADIUS nodes send the CoA) and ends the pass's suspensions. No
/// reconnection fee in Brazil (the policy refuses one there).
pub async fn reconsider(tx: &mut store::WriteTx, customer_id: i64) -> Result<Reconsidered> {
    let today = crate::crm::today(tx).await?.to_string();
    let stored = stored_in(tx).await?;
    let policy = stored.policy;
    q::lock_customer(tx, customer_id).await?;
    let owed = owed_of(tx, customer_id, &today).await?;
    let mut out = Reconsidered {
        owed,
        reactivated: Vec::new(),
        restored: Vec::new(),
    };
    // Notices whose invoice is settled are done with, whatever is owed.
    for n in q::open_notices(tx, customer_id).await? {
        if q::invoice_open(tx, n.invoice_id, &today).await? <= 0 {
            q::close_notice(tx, n.id, &today).await?;
        }
    }
    if owed >= policy.min_amount.0 {
        return Ok(out);
    }
    let actor = mover().actor();
    for id in q::reduced_contracts(tx, customer_id).await? {
        let k = store::contracts::get(tx, id).await?;
        if restore_speed(tx, &actor, id, customer_id, &k.number, &today, "paid").await? {
            out.restored.push(id);
        }
    }
    for (id, status, reason) in q::contracts_of(tx, customer_id).await? {
        if status != Status::Suspended.as_str()
            || reason.as_deref() != Some(SuspendReason::NonPayment.as_str())
        {
            continue;
        }
        crate::contracts::transition_in(
            tx,
            &mover(),
            id,
            Status::Active,
            None,
            "Collections: debt settled",
        )
        .await?;
        if policy.reconnection_fee.0 > 0 && !stored.country.eq_ignore_ascii_case("BR") {
            store::billing::runs::add_charge(
                tx,
                id,
                "Reconnection fee",
                1,
                policy.reconnection_fee.0,
                &mover().actor().name,
                store::now(),
            )
            .await?;
        }
        out.reactivated.push(id);
    }
    q::end_suspensions(tx, customer_id, &today).await?;
    Ok(out)
}

/// Late charges put on a later invoice for one paid invoice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LateCharged {
    pub invoice_id: i64,
    pub contract_id: i64,
    pub charges: LateCharges,
}

/// In the caller's transaction, after a payment settled `paid_invoice_ids`
/// of customer `customer_id` on `paid_on`: for each invoice paid after its
/// due date, the fine and the interest (`domain::collections::late_charges`)
/// as one-off charges on its contract's next invoice (once per invoice,
/// however often this is called), then [`reconsider`].
pub async fn on_payment(
    tx: &mut store::WriteTx,
    customer_id: i64,
    paid_invoice_ids: &[i64],
    paid_on: Date,
) -> Result<(Vec<LateCharged>, Reconsidered)> {
    let stored = stored_in(tx).await?;
    let co = company(tx).await?;
    let mut out = Vec::new();
    for &id in paid_invoice_ids {
        let inv = q::invoice(tx, id).await?;
        if let Some(l) = charge_late(tx, &stored.policy, &co, customer_id, &inv, paid_on).await? {
            out.push(l);
        }
    }
    let r = reconsider(tx, customer_id).await?;
    Ok((out, r))
}

/// A payment's part in [`on_payments`]: its customer, the invoices it
/// settled and the day it was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    pub customer_id: i64,
    pub invoices_closed: Vec<i64>,
    pub paid_on: Date,
}

/// [`on_payment`] for many payments in the caller's transaction (return
/// files): the same late charges, in the order given, then one
/// [`reconsider`] per customer made of a few statements for them all, so
/// the books end as they would after [`on_payment`] per payment.
pub async fn on_payments(tx: &mut store::WriteTx, paid: &[Paid]) -> Result<()> {
    if paid.is_empty() {
        return Ok(());
    }
    let stored = stored_in(tx).await?;
    let co = company(tx).await?;
    let closed: Vec<i64> = paid
        .iter()
        .flat_map(|p| p.invoices_closed.iter().copied())
        .collect();
    let mut facts: HashMap<i64, q::InvoiceFacts> = HashMap::with_capacity(closed.len());
    for part in closed.chunks(1000) {
        for f in q::invoices(tx, part).await? {
            facts.insert(f.id, f);
        }
    }
    for p in paid {
        for id in &p.invoices_closed {
            let inv = facts.get(id).ok_or(Error::NotFound)?;
            charge_late(tx, &stored.policy, &co, p.customer_id, inv, p.paid_on).await?;
        }
    }
    let mut customers: Vec<i64> = paid.iter().map(|p| p.customer_id).collect();
    customers.sort_unstable();
    customers.dedup();
    for part in customers.chunks(1000) {
        reconsider_many(tx, &stored, part).await?;
    }
    Ok(())
}

/// [`reconsider`] for many customers (sorted, distinct) with a few
/// statements for all; the rare reactivations go through the contracts
/// service one by one as there.
async fn reconsider_many(
    tx: &mut store::WriteTx,
    stored: &Stored,
    customers: &[i64],
) -> Result<()> {
    let today = crate::crm::today(tx).await?.to_string();
    let policy = &stored.policy;
    q::lock_customers(tx, customers).await?;
    let owed: HashMap<i64, i64> = q::overdue_of(tx, &today, customers)
        .await?
        .into_iter()
        .map(|(id, owed, _)| (id, owed))
        .collect();
    let notices = q::open_notices_of(tx, customers).await?;
    if !notices.is_empty() {
        let mut invoices: Vec<i64> = notices.iter().map(|n| n.invoice_id).collect();
        invoices.sort_unstable();
        invoices.dedup();
        let open: HashMap<i64, i64> = q::invoices_open(tx, &invoices, &today)
            .await?
            .into_iter()
            .collect();
        let settled: Vec<i64> = notices
            .iter()
            .filter(|n| open.get(&n.invoice_id).copied().unwrap_or(0) <= 0)
            .map(|n| n.id)
            .collect();
        q::close_notices(tx, &settled, &today).await?;
    }
    let clear: Vec<i64> = customers
        .iter()
        .copied()
        .filter(|c| owed.get(c).copied().unwrap_or(0) < policy.min_amount.0)
        .collect();
    for (_, id, status, reason) in q::contracts_of_many(tx, &clear).await? {
        if status != Status::Suspended.as_str()
            || reason.as_deref() != Some(SuspendReason::NonPayment.as_str())
        {
            continue;
        }
        crate::contracts::transition_in(
            tx,
            &mover(),
            id,
            Status::Active,
            None,
            "Collections: debt settled",
        )
        .await?;
        if policy.reconnection_fee.0 > 0 && !stored.country.eq_ignore_ascii_case("BR") {
            store::billing::runs::add_charge(
                tx,
                id,
                "Reconnection fee",
                1,
                policy.reconnection_fee.0,
                &mover().actor().name,
                store::now(),
            )
            .await?;
        }
    }
    q::end_suspensions_of(tx, &clear, &today).await?;
    Ok(())
}

/// The late fee and interest of invoice `inv` paid on `paid_on`, put once
/// on its contract's next invoice (see [`on_payment`]); `None` when it was
/// not late or was charged before.
async fn charge_late(
    tx: &mut store::WriteTx,
    policy: &Policy,
    co: &Company,
    customer_id: i64,
    inv: &q::InvoiceFacts,
    paid_on: Date,
) -> Result<Option<LateCharged>> {
    if inv.customer_id != customer_id || inv.kind != "invoice" {
        return Err(Error::NotFound);
    }
    let id = inv.id;
    let engine = tx.engine();
    let actor = mover().actor();
    let today = paid_on.to_string();
    let due = parse_date("due_date", &inv.due_date)?;
    let late = rules::late_charges(Money(inv.total), due, paid_on, policy);
    if late.total().0 <= 0 {
        return Ok(None);
    }
    let contract = match inv.contract_id {
        Some(k) => Some(k),
        None => q::invoice_contracts(tx, id).await?.first().copied(),
    };
    let contract = match contract {
        Some(k) => k,
        None => match q::contracts_of(tx, customer_id).await?.first() {
            Some((k, _, _)) => *k,
            None => return Ok(None),
        },
    };
    let step = q::NewStep {
        invoice_id: id,
        customer_id,
        step: LATE_STEP.into(),
        amount: inv.total,
        owed: late.total().0,
        suspend_from: None,
    };
    if q::insert_steps(tx, &today, &[step], store::now())
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let number = inv.number.clone().unwrap_or_default();
    let en = co.locale == "en";
    let mut charged = Vec::new();
    if late.fine.0 > 0 {
        let d = if en {
            format!("Late fee on invoice {number}")
        } else {
            format!("Multa por atraso da fatura {number}")
        };
        charged.push(
            store::billing::runs::add_charge(
                tx,
                contract,
                &d,
                1,
                late.fine.0,
                &actor.name,
                store::now(),
            )
            .await?,
        );
    }
    if late.interest.0 > 0 {
        let d = if en {
            format!(
                "Interest on invoice {number} ({} days late)",
                late.days_late
            )
        } else {
            format!(
                "Juros de mora da fatura {number} ({} dias de atraso)",
                late.days_late
            )
        };
        charged.push(
            store::billing::runs::add_charge(
                tx,
                contract,
                &d,
                1,
                late.interest.0,
                &actor.name,
                store::now(),
            )
            .await?,
        );
    }
    Change::new("collections.late_charges", "contract", contract)
        .after(json!({
            "invoice_id": id, "days_late": late.days_late, "fine": late.fine.0,
            "interest": late.interest.0, "charge_ids": charged,
        }))
        .record(tx, engine, &actor)
        .await?;
    Ok(Some(LateCharged {
        invoice_id: id,
        contract_id: contract,
        charges: late,
    }))
}

/// [`reconsider`] in its own transaction, for staff (`collections.manage`)
/// and for callers without one (after a credit note).
pub async fn reconsider_now(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
) -> Result<Reconsidered> {
    access::manage(caller)?;
    let mut tx = svc.db.begin().await?;
    store::crm::customers::get(&mut tx, customer_id).await?;
    let r = reconsider(&mut tx, customer_id).await?;
    tx.commit().await?;
    Ok(r)
}

/// A trust unlock as made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unlocked {
    pub contract_id: i64,
    pub unlock_id: i64,
    /// The day the pass suspends again if still owing.
    pub until: String,
}

/// Lifts contract `contract_id`'s suspension for non-payment for `days`
/// (at most the policy's maximum), once per suspension
/// (`collections.unlock`); audited as `collections.unlock`, on the
/// customer's timeline. When the days end unpaid the daily pass suspends
/// it again.
pub async fn trust_unlock(
    svc: &Services,
    caller: &Caller,
    contract_id: i64,
    days: i64,
) -> Result<Unlocked> {
    access::unlock(caller)?;
    let mut tx = svc.db.begin().await?;
    let policy = stored_in(&mut tx).await?.policy;
    if !(1..=policy.unlock_max_days).contains(&days) {
        return Err(Error::invalid_msg(
            "days",
            format!("must be between 1 and {} days", policy.unlock_max_days),
        ));
    }
    let k = store::contracts::get(&mut tx, contract_id).await?;
    let today = crate::crm::today(&mut tx).await?;
    let actor = caller.actor();
    // A reduced speed is lifted for good: the suspension still comes on
    // its day if the debt is open then.
    if k.status == Status::Active.as_str()
        && let Some(r) = q::open_reduction(&mut tx, contract_id).await?
    {
        let until = q::open_notices(&mut tx, k.customer_id)
            .await?
            .into_iter()
            .find(|n| n.id == r.notice_id)
            .and_then(|n| n.suspend_from)
            .unwrap_or_else(|| add_days(today, days).to_string());
        restore_speed(
            &mut tx,
            &actor,
            contract_id,
            k.customer_id,
            &k.number,
            &today.to_string(),
            "unlocked",
        )
        .await?;
        Change::new("collections.unlock", "contract", contract_id)
            .after(json!({ "days": days, "reduction_id": r.id }))
            .record(&mut tx, svc.db.engine(), &actor)
            .await?;
        tx.commit().await?;
        return Ok(Unlocked {
            contract_id,
            unlock_id: r.id,
            until,
        });
    }
    if k.status != Status::Suspended.as_str()
        || k.suspend_reason.as_deref() != Some(SuspendReason::NonPayment.as_str())
    {
        return Err(Error::Refused("not-suspended-for-non-payment"));
    }
    let suspension = match q::open_suspension(&mut tx, contract_id).await? {
        Some(s) => s.id,
        // Suspended by hand for non-payment: recorded now so it, too, is
        // unlocked once.
        None => q::insert_suspension(
            &mut tx,
            contract_id,
            k.customer_id,
            None,
            &today.to_string(),
            store::now(),
        )
        .await?
        .ok_or(Error::Refused("already-unlocked"))?,
    };
    let until = add_days(today, days).to_string();
    let unlock_id = q::insert_unlock(
        &mut tx,
        suspension,
        contract_id,
        k.customer_id,
        &today.to_string(),
        &until,
        days,
        &actor.name,
        store::now(),
    )
    .await?
    .ok_or(Error::Refused("already-unlocked"))?;
    crate::contracts::transition_in(
        &mut tx,
        &mover(),
        contract_id,
        Status::Active,
        None,
        &format!("Trust unlock by {} until {until}", actor.name),
    )
    .await?;
    Change::new("collections.unlock", "contract", contract_id)
        .after(json!({ "days": days, "until": until, "suspension_id": suspension }))
        .timeline(
            k.customer_id,
            EventKind::CollectionsUnlocked,
            format!("Contract {} unlocked on trust until {until}", k.number),
        )
        .timeline_data(json!({ "number": k.number, "until": until }))
        .record(&mut tx, svc.db.engine(), &actor)
        .await?;
    tx.commit().await?;
    Ok(Unlocked {
        contract_id,
        unlock_id,
        until,
    })
}

/// Where a contract stands in collections, for its page and its
/// customer's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outlook {
    /// Nothing pending.
    Clear,
    /// A notice was sent: suspension may happen on `date`, in `days`.
    SuspensionOn { date: String, days: i64, owed: i64 },
    /// Suspended for non-payment since `since`; `unlockable` while its
    /// trust unlock is unused.
    Suspended {
        since: String,
        unlockable: bool,
        max_days: i64,
    },
    /// Unlocked on trust until `until`.
    Unlocked { until: String },
    /// Speed reduced since `since`; suspension may come on `suspend_on`,
    /// in `days`.
    Reduced {
        since: String,
        suspend_on: String,
        days: i64,
        owed: i64,
    },
}

/// Contract `contract_id`'s collections outlook (`customers.view`, the
/// contract page's reader).
pub async fn outlook(svc: &Services, caller: &Caller, contract_id: i64) -> Result<Outlook> {
    caller.require(Permission::CustomersView)?;
    let mut c = svc.db.conn().await?;
    let k = store::contracts::get(&mut c, contract_id).await?;
    let policy = stored_in(&mut c).await?.policy;
    let today = crate::crm::today(&mut c).await?;
    let open = q::open_suspension(&mut c, contract_id).await?;
    if k.status == Status::Suspended.as_str()
        && k.suspend_reason.as_deref() == Some(SuspendReason::NonPayment.as_str())
    {
        let since = match &open {
            Some(s) => s.suspended_on.clone(),
            None => jiff::Timestamp::from_second(k.status_changed_at)
                .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
                .unwrap_or_default(),
        };
        return Ok(Outlook::Suspended {
            since,
            unlockable: open.as_ref().is_none_or(|s| s.unlock_id.is_none()),
            max_days: policy.unlock_max_days,
        });
    }
    if let Some(s) = &open
        && let (Some(until), None) = (&s.until_date, &s.expired_on)
        && k.status == Status::Active.as_str()
    {
        return Ok(Outlook::Unlocked {
            until: until.clone(),
        });
    }
    if k.status != Status::Active.as_str() {
        return Ok(Outlook::Clear);
    }
    let notices = q::open_notices(&mut c, k.customer_id).await?;
    if let Some(r) = q::open_reduction(&mut c, contract_id).await? {
        let suspend_on = notices
            .iter()
            .find(|n| n.id == r.notice_id)
            .and_then(|n| n.suspend_from.clone())
            .unwrap_or_default();
        let days = parse_date("suspend_from", &suspend_on)
            .map(|d| rules::days_between(today, d).max(0))
            .unwrap_or(0);
        return Ok(Outlook::Reduced {
            since: r.reduced_on,
            suspend_on,
            days,
            owed: owed_of(&mut c, k.customer_id, &today.to_string()).await?,
        });
    }
    if let Some(date) = notices.iter().filter_map(|n| n.suspend_from.clone()).min() {
        let owed = owed_of(&mut c, k.customer_id, &today.to_string()).await?;
        if owed >= policy.min_amount.0 {
            let d = parse_date("suspend_from", &date)?;
            return Ok(Outlook::SuspensionOn {
                days: rules::days_between(today, d).max(0),
                date,
                owed,
            });
        }
    }
    Ok(Outlook::Clear)
}

/// Each of customer `customer_id`'s contracts with its outlook, leaving out
/// the clear ones (`customers.view`).
pub async fn customer_outlook(
    svc: &Services,
    caller: &Caller,
    customer_id: i64,
) -> Result<Vec<(i64, Outlook)>> {
    caller.require(Permission::CustomersView)?;
    let ids = {
        let mut c = svc.db.conn().await?;
        q::contracts_of(&mut c, customer_id).await?
    };
    let mut out = Vec::new();
    for (id, _, _) in ids {
        let o = outlook(svc, caller, id).await?;
        if o != Outlook::Clear {
            out.push((id, o));
        }
    }
    Ok(out)
}

/// Filters of the overdue list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverdueFilter {
    /// At least this many days late (oldest invoice).
    pub min_days: i64,
    /// Name words.
    pub q: String,
    pub offset: i64,
    pub limit: i64,
}

/// A customer on the overdue list with what comes next.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OverdueRow {
    #[serde(flatten)]
    pub row: q::Overdue,
    pub days_late: i64,
    /// `reminder`, `notice`, `reduction`, `suspension`, `suspended` or
    /// `none`.
    pub next_step: String,
    pub next_date: Option<String>,
}

/// Customers owing overdue invoices, most owed first, with days late and
/// the next step by the policy (`collections.view`).
pub async fn overdue(
    svc: &Services,
    caller: &Caller,
    f: &OverdueFilter,
) -> Result<Vec<OverdueRow>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    let policy = stored_in(&mut c).await?.policy;
    let today = crate::crm::today(&mut c).await?;
    let oldest_by = add_days(today, -f.min_days.max(0)).to_string();
    let name = domain::crm::search::fold(&f.q);
    let rows = q::overdue(
        &mut c,
        &today.to_string(),
        &oldest_by,
        name.trim(),
        f.offset,
        f.limit,
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let due = parse_date("due_date", &row.oldest_due)?;
        let days_late = rules::days_between(due, today);
        let notices = if row.suspended > 0 {
            Vec::new()
        } else {
            q::open_notices(&mut c, row.customer_id).await?
        };
        let first = notices
            .iter()
            .filter(|n| n.suspend_from.is_some())
            .min_by_key(|n| n.suspend_from.clone());
        // The reduction step comes first when the policy has it and the
        // customer's speed is not reduced yet.
        let reduce_on = match (&policy.speed_reduction, first) {
            (Some(r), Some(n)) if row.reduced == 0 => parse_date("sent_on", &n.sent_on)
                .ok()
                .map(|d| add_days(d, r.after_notice_days))
                .filter(|d| *d > today),
            _ => None,
        };
        let (next_step, next_date) = if row.suspended > 0 {
            ("suspended".to_owned(), None)
        } else if let Some(d) = reduce_on {
            ("reduction".to_owned(), Some(d.to_string()))
        } else if let Some(d) = first.and_then(|n| n.suspend_from.clone()) {
            ("suspension".to_owned(), Some(d))
        } else {
            let next = policy
                .reminders
                .iter()
                .map(|r| ("reminder", r.offset_days))
                .chain([("notice", policy.notice_offset_days)])
                .filter(|(_, o)| *o > days_late)
                .min_by_key(|(_, o)| *o);
            match next {
                Some((s, o)) => (s.to_owned(), Some(add_days(due, o).to_string())),
                // Past the notice's day with no notice open, owing enough
                // for one: the next pass sends it.
                None if days_late >= policy.notice_offset_days
                    && row.owed >= policy.min_amount.0 =>
                {
                    ("notice".to_owned(), Some(today.to_string()))
                }
                None => ("none".to_owned(), None),
            }
        };
        out.push(OverdueRow {
            row,
            days_late,
            next_step,
            next_date,
        });
    }
    Ok(out)
}

/// Contracts suspended for non-payment at least the policy's
/// `cancel_after_days` (60 by default), oldest first, for staff to cancel
/// with notice; never canceled automatically (`collections.view`).
pub async fn to_cancel(
    svc: &Services,
    caller: &Caller,
    offset: i64,
    limit: i64,
) -> Result<Vec<q::ToCancel>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    let policy = stored_in(&mut c).await?.policy;
    let today = crate::crm::today(&mut c).await?;
    let before = add_days(today, -policy.cancel_after_days).to_string();
    let before_ts = store::now() - policy.cancel_after_days * 86_400;
    Ok(q::to_cancel(&mut c, &before, before_ts, offset, limit).await?)
}

/// The steps taken for a customer's invoices, newest first
/// (`collections.view`).
pub async fn steps(svc: &Services, caller: &Caller, customer_id: i64) -> Result<Vec<q::Notice>> {
    access::view(caller)?;
    let mut c = svc.db.conn().await?;
    Ok(q::steps_of_customer(&mut c, customer_id).await?)
}
