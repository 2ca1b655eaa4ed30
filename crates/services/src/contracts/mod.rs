//! Contracts: creation with service credentials, status transitions (each
//! recorded with reason, actor and time, on the timeline, in the audit log
//! and as a domain event), and plan changes with an effective date.

pub mod document;

use domain::contracts::{self as rules, Status, SuspendReason};
use domain::crm::timeline::EventKind;
use domain::event::{
    ContractCreated, ContractPlanChanged, ContractStatusChanged, ContractUpdated, DomainEvent,
};
use domain::validate::{self, FieldError};
use domain::{Money, Permission};
use rand::RngExt as _;
use serde_json::json;
use store::AnyConnection;
/// The contract rows this area returns, for interfaces to name
/// (`PlanChangeRow`: [`PlanChange`] is what a plan change did).
pub use store::contracts::{Contract, Filter, Item, PlanChange as PlanChangeRow, Transition};

use crate::crm::today;
use crate::{Caller, Change, Error, Result, Services, check};

/// Who may do what with contracts, named once (see `crm::access` for how
/// interfaces use these).
pub mod access {
    use domain::Permission;

    use crate::{Caller, Result};

    /// Reading contracts: staff with `customers.view`; a customer passes
    /// here and is held to its own contracts when one is read.
    pub fn view(caller: &Caller) -> Result<()> {
        crate::crm::access::own_or(caller, Permission::CustomersView)
    }

    /// Creating contracts, changing their terms, credentials and plan:
    /// `contracts.manage`.
    pub fn manage(caller: &Caller) -> Result<()> {
        caller.require(Permission::ContractsManage)
    }

    /// Moving contracts between statuses: `contracts.status`.
    pub fn status(caller: &Caller) -> Result<()> {
        caller.require(Permission::ContractsStatus)
    }
}

/// Contract `id` if the caller may read it: staff with `customers.view`, or
/// the customer it belongs to (another customer's is not found).
async fn readable(conn: &mut AnyConnection, caller: &Caller, id: i64) -> Result<Contract> {
    access::view(caller)?;
    let k = store::contracts::get(conn, id).await?;
    caller.require_for_customer(Permission::CustomersView, k.customer_id)?;
    Ok(k)
}

/// A new contract as a form, the API or an import gives it.
#[derive(Debug, Clone, Default)]
pub struct ContractInput {
    pub customer_id: i64,
    pub plan_id: i64,
    /// Empty: the plan's current price.
    pub price: Option<Money>,
    /// 1–28.
    pub billing_day: i64,
    /// `YYYY-MM-DD`; empty means today.
    pub start_date: String,
    pub service_address_id: Option<i64>,
    /// Empty: generated from the customer's name.
    pub login: String,
    /// Empty: generated.
    pub password: String,
    pub mac: String,
    pub ipv4: String,
    pub ipv6_prefix: String,
    /// Empty: the next number (`000001`…); imports keep their own.
    pub number: String,
    pub notes: String,
    /// Service items with quantities.
    pub items: Vec<(i64, i64)>,
    /// A promo code to redeem for the new contract (empty: none); a code
    /// that cannot be used is refused naming `promo_code`, before anything
    /// is written.
    pub promo_code: String,
    /// The plan's installation fee split over this many invoices
    /// ("Installation fee (3/12)"); 0 or 1: all on the first.
    pub installation_installments: i64,
}

/// The most invoices an installation fee is split over.
pub const MAX_INSTALLMENTS: i64 = 36;

fn contract_json(k: &Contract) -> serde_json::Value {
    serde_json::to_value(k).unwrap_or_default()
}

/// A random password for PPPoE: 12 letters and digits, no look-alikes.
pub fn generate_password() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut r = rand::rng();
    (0..12)
        .map(|_| CHARS[r.random_range(0..CHARS.len())] as char)
        .collect()
}

async fn free_login(conn: &mut AnyConnection, base: &str) -> Result<String> {
    if !store::contracts::login_exists(conn, base).await? {
        return Ok(base.to_owned());
    }
    for n in 2..10_000 {
        let candidate = format!("{base}{n}");
        if !store::contracts::login_exists(conn, &candidate).await? {
            return Ok(candidate);
        }
    }
    Err(Error::Conflict("pppoe_login"))
}

fn optional<T>(
    field: &'static str,
    s: &str,
    f: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<Option<T>> {
    match s.trim() {
        "" => Ok(None),
        v => f(v).map(Some).map_err(|e| Error::invalid(field, e)),
    }
}

fn add_months(d: jiff::civil::Date, months: i64) -> Result<jiff::civil::Date> {
    d.checked_add(jiff::Span::new().months(months))
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Turns a store conflict on a contract column into "already exists" on the
/// field the input names.
fn field_conflict(e: store::Error) -> Error {
    match e {
        store::Error::Conflict("pppoe_login") => Error::Conflict("login"),
        other => other.into(),
    }
}

/// A new contract's fields after the rules that need no database.
pub(crate) struct Checked {
    /// Lower-cased; empty means "generate one".
    pub(crate) login: String,
    /// Clear text (generated when the input had none).
    pub(crate) password: String,
    pub(crate) mac: Option<String>,
    pub(crate) ipv4: Option<String>,
    pub(crate) ipv6: Option<String>,
}

/// The rules of [`create`] that need no database (imports run them on every
/// row of a file).
pub(crate) fn check_input(input: &ContractInput) -> Result<Checked> {
    check("billing_day", rules::billing_day(input.billing_day))?;
    let login = input.login.trim().to_lowercase();
    if !login.is_empty() {
        check("login", rules::login(&login))?;
    }
    let password = match input.password.as_str() {
        "" => generate_password(),
        p if !(4..=64).contains(&p.chars().count()) => {
            return Err(Error::invalid("password", FieldError::Range));
        }
        p => p.to_owned(),
    };
    let mac = optional("mac", &input.mac, rules::mac)?;
    let ipv4 = optional("ipv4", &input.ipv4, rules::ipv4)?;
    let ipv6 = optional("ipv6_prefix", &input.ipv6_prefix, rules::ipv6_prefix)?;
    check("notes", validate::optional_multiline(&input.notes, 2000))?;
    check("number", validate::optional(&input.number, 30))?;
    if input.price.is_some_and(Money::is_negative) {
        return Err(Error::invalid("price", FieldError::Range));
    }
    for (_, qty) in &input.items {
        if !(1..=1000).contains(qty) {
            return Err(Error::invalid("items", FieldError::Range));
        }
    }
    Ok(Checked {
        login,
        password,
        mac,
        ipv4,
        ipv6,
    })
}

/// The date a plan's loyalty period ends for a contract starting `start`.
pub(crate) fn loyalty_end(
    plan: &store::catalog::Plan,
    start: jiff::civil::Date,
) -> Result<Option<String>> {
    Ok(if plan.loyalty_months > 0 {
        Some(add_months(start, plan.loyalty_months)?.to_string())
    } else {
        None
    })
}

/// Creates a contract in `pending_installation`; returns it as stored.
pub async fn create(svc: &Services, caller: &Caller, input: &ContractInput) -> Result<Contract> {
    access::manage(caller)?;
    let actor = &caller.actor();
    let Checked {
        login,
        password,
        mac,
        ipv4,
        ipv6,
    } = check_input(input)?;

    let mut tx = svc.db.begin().await?;
    let engine = svc.db.engine();
    let customer = match store::crm::customers::get(&mut tx, input.customer_id).await {
        Err(store::Error::NotFound) => {
            return Err(Error::invalid_msg("customer_id", "no such customer"));
        }
        r => r?,
    };
    let plan = match store::catalog::get(&mut tx, input.plan_id).await {
        Err(store::Error::NotFound) => {
            return Err(Error::invalid_msg("plan_id", "no such plan"));
        }
        r => r?,
    };
    if !plan.active {
        return Err(Error::invalid_msg("plan_id", "the plan is retired"));
    }
    let start = match input.start_date.trim() {
        "" => today(&mut tx).await?,
        s => validate::date(s).map_err(|e| Error::invalid("start_date", e))?,
    };
    if let Some(a) = input.service_address_id {
        let addr = store::crm::customers::get_address(&mut tx, a).await;
        if !matches!(&addr, Ok(a) if a.customer_id == customer.id) {
            return Err(Error::invalid_msg(
                "service_address_id",
                "not an address of this customer",
            ));
        }
    }
    let login = if login.is_empty() {
        free_login(&mut tx, &rules::login_from_name(&customer.name)).await?
    } else {
        login
    };
    let number = match input.number.trim() {
        "" => loop {
            let n = store::contracts::next_counter(&mut tx, "contract_number").await?;
            let candidate = format!("{n:06}");
            if store::contracts::by_number(&mut tx, &candidate)
                .await?
                .is_none()
            {
                break candidate;
            }
        },
        n => n.to_owned(),
    };
    if !(0..=MAX_INSTALLMENTS).contains(&input.installation_installments) {
        return Err(Error::invalid_msg(
            "installation_installments",
            format!("must be from 1 to {MAX_INSTALLMENTS}"),
        ));
    }
    let promo_code = input.promo_code.trim();
    if !promo_code.is_empty() {
        crate::billing::promos::precheck(&mut tx, "promo_code", promo_code, customer.id, plan.id)
            .await?;
    }
    let loyalty_end = loyalty_end(&plan, start)?;
    let row = Contract {
        id: 0,
        number,
        customer_id: customer.id,
        plan_id: plan.id,
        price: input.price.map(Money::minor).unwrap_or(plan.price),
        installation_fee: plan.installation_fee,
        billing_day: input.billing_day,
        start_date: start.to_string(),
        end_date: None,
        loyalty_end_date: loyalty_end,
        early_termination_fee: plan.early_termination_fee,
        status: Status::PendingInstallation.as_str().into(),
        suspend_reason: None,
        status_changed_at: 0,
        service_address_id: input.service_address_id,
        pppoe_login: login,
        pppoe_password: svc.secrets.encrypt(&password),
        mac,
        ipv4,
        ipv6_prefix: ipv6,
        notes: input.notes.trim().to_owned(),
        created_at: 0,
        updated_at: 0,
    };
    let now = store::now();
    let id = store::contracts::insert(&mut tx, &row, now)
        .await
        .map_err(field_conflict)?;
    if input.installation_installments > 1 {
        store::contracts::set_installation_installments(
            &mut tx,
            id,
            input.installation_installments,
        )
        .await?;
    }
    for (item_id, qty) in &input.items {
        let item = match store::catalog::get_item(&mut tx, *item_id).await {
            Err(store::Error::NotFound) => {
                return Err(Error::invalid_msg("items", "no such service item"));
            }
            r => r?,
        };
        store::contracts::add_item(&mut tx, id, item.id, item.price, *qty, now).await?;
    }
    let created = store::contracts::get(&mut tx, id).await?;
    if !promo_code.is_empty() {
        crate::billing::promos::redeem_in(
            &mut tx,
            engine,
            caller,
            "promo_code",
            &created,
            promo_code,
        )
        .await?;
    }
    Change::new("contract.create", "contract", id)
        .after(contract_json(&created))
        .event(ContractCreated {
            contract_id: id,
            customer_id: customer.id,
            plan_id: plan.id,
            status: status_of(&created)?,
            login: created.pppoe_login.clone(),
            number: created.number.clone(),
            plan: plan.name.clone(),
            import_line: None,
        })
        .timeline(
            customer.id,
            EventKind::ContractCreated,
            format!("Contract {} created on plan {}", created.number, plan.name),
        )
        .record(&mut tx, engine, actor)
        .await?;
    tx.commit().await?;
    Ok(created)
}

/// A stored contract's status (the column only ever holds the machine's
/// statuses).
fn status_of(k: &Contract) -> Result<Status> {
    Status::parse(&k.status)
        .ok_or_else(|| Error::Internal(format!("contract {} has status {}", k.id, k.status)))
}

/// One contract: staff with `customers.view`, or its customer.
pub async fn get(svc: &Services, caller: &Caller, id: i64) -> Result<Contract> {
    let mut c = svc.db.conn().await?;
    readable(&mut c, caller, id).await
}

/// A contract with its customer's name, as network pages head a
/// subscriber's connection history: for staff with `radius.view` (session
/// lists already name the contract and its customer) or `customers.view`,
/// and for the customer itself.
pub async fn subscriber(svc: &Services, caller: &Caller, id: i64) -> Result<(Contract, String)> {
    if !(caller.can(Permission::RadiusView) || matches!(caller, Caller::Customer { .. })) {
        access::view(caller)?;
    }
    let mut c = svc.db.conn().await?;
    let k = store::contracts::get(&mut c, id).await?;
    if let Caller::Customer { .. } = caller {
        caller.require_for_customer(Permission::CustomersView, k.customer_id)?;
    }
    let name = store::crm::customers::get(&mut c, k.customer_id)
        .await?
        .name;
    Ok((k, name))
}

/// The PPPoE login and clear-text password, unaudited: for jobs and the
/// console (`contracts.manage`); people go through [`reveal_credentials`].
pub async fn credentials(svc: &Services, caller: &Caller, id: i64) -> Result<(String, String)> {
    access::manage(caller)?;
    let mut c = svc.db.conn().await?;
    let k = store::contracts::get(&mut c, id).await?;
    let pw = svc
        .secrets
        .decrypt(&k.pppoe_password)
        .map_err(|e| Error::Internal(e.to_string()))?;
    Ok((k.pppoe_login, pw))
}

/// [`credentials`] for a person: the read is audited
/// (`contract.credentials.view`), since the password lets anyone connect as
/// the subscriber.
pub async fn reveal_credentials(
    svc: &Services,
    caller: &Caller,
    id: i64,
) -> Result<(String, String)> {
    let (login, password) = credentials(svc, caller, id).await?;
    let mut tx = svc.db.begin().await?;
    Change::new("contract.credentials.view", "contract", id)
        .after(json!({ "login": login }))
        .record(&mut tx, svc.db.engine(), &caller.actor())
        .await?;
    tx.commit().await?;
    Ok((login, password))
}

/// The extra service items of a contract.
pub async fn items(
    svc: &Services,
    caller: &Caller,
    id: i64,
) -> Result<Vec<store::contracts::Item>> {
    let mut c = svc.db.conn().await?;
    readable(&mut c, caller, id).await?;
    Ok(store::contracts::items(&mut c, id).await?)
}

/// What a contract may be sold with: the active plans and service items
/// (for the contract forms; `contracts.manage`).
pub async fn offer(
    svc: &Services,
    caller: &Caller,
) -> Result<(Vec<store::catalog::Plan>, Vec<store::catalog::ServiceItem>)> {
    access::manage(caller)?;
    let mut c = svc.db.conn().await?;
    Ok((
        store::catalog::list(&mut c, false, false).await?,
        store::catalog::list_items(&mut c, false).await?,
    ))
}

/// A change to a contract's service access, as the RADIUS side names it.
/// `None` leaves a field as it is; `Some("")` clears MAC, IPv4 or IPv6
/// prefix.
#[derive(Debug, Clone, Default)]
pub struct AccessInput {
    pub login: Option<String>,
    pub password: Option<String>,
    pub mac: Option<String>,
    pub ipv4: Option<String>,
    pub ipv6_prefix: Option<String>,
}

impl From<&AccessInput> for TermsInput {
    fn from(a: &AccessInput) -> TermsInput {
        TermsInput {
            login: a.login.clone(),
            password: a.password.clone(),
            mac: a.mac.clone(),
            ipv4: a.ipv4.clone(),
            ipv6_prefix: a.ipv6_prefix.clone(),
            ..TermsInput::default()
        }
    }
}

/// Changes login, password, MAC binding or static addresses: an
/// [`update_terms`] that touches only those, with its audit entry and its
/// `contract.updated` event (RADIUS nodes follow it; `reconnect` says a
/// live session must be dropped to take the change).
pub async fn update_access(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &AccessInput,
) -> Result<Contract> {
    update_terms(svc, caller, id, &TermsInput::from(input)).await
}

/// A page of contracts: staff with `customers.view`; a customer lists its
/// own (naming another customer finds nothing).
pub async fn list(
    svc: &Services,
    caller: &Caller,
    filter: &store::contracts::Filter,
) -> Result<(Vec<Contract>, bool)> {
    access::view(caller)?;
    let mut f = filter.clone();
    if let Caller::Customer { customer_id, .. } = caller {
        match f.customer_id {
            Some(other) if other != *customer_id => return Err(Error::NotFound),
            _ => f.customer_id = Some(*customer_id),
        }
    }
    let mut c = svc.db.conn().await?;
    f.limit = f.limit.clamp(1, 500);
    f.city = f.city.as_deref().map(domain::crm::search::fold);
    Ok(store::contracts::list(&mut c, &f).await?)
}

/// A contract's status changes, oldest first (not found when the caller
/// may not read the contract, or it does not exist).
pub async fn transitions(
    svc: &Services,
    caller: &Caller,
    id: i64,
) -> Result<Vec<store::contracts::Transition>> {
    let mut c = svc.db.conn().await?;
    readable(&mut c, caller, id).await?;
    Ok(store::contracts::transitions(&mut c, id).await?)
}

/// Moves a contract to `to` (with a reason when suspending); returns it as
/// stored. The status machine decides on the status read, locked, inside
/// this transaction, so two concurrent moves never both pass a check made
/// on the same old status: the second one waits, then is judged from the
/// first one's result. A move the machine does not allow from there is
/// [`Error::IllegalTransition`], naming the current and the requested
/// status; a missing or extra reason is refused naming `reason`.
pub async fn transition(
    svc: &Services,
    caller: &Caller,
    id: i64,
    to: Status,
    reason: Option<SuspendReason>,
    note: &str,
) -> Result<Contract> {
    access::status(caller)?;
    let mut tx = svc.db.begin().await?;
    let after = transition_in(&mut tx, caller, id, to, reason, note).await?;
    tx.commit().await?;
    Ok(after)
}

/// [`transition`] in the caller's transaction (collections suspends and
/// reactivates inside its own), with the same checks and records.
pub async fn transition_in(
    tx: &mut store::WriteTx,
    caller: &Caller,
    id: i64,
    to: Status,
    reason: Option<SuspendReason>,
    note: &str,
) -> Result<Contract> {
    access::status(caller)?;
    let actor = &caller.actor();
    let engine = tx.engine();
    let tx = &mut **tx;
    let before = store::contracts::get_for_update(tx, engine, id).await?;
    let from = status_of(&before)?;
    if !from.can_become(to) {
        return Err(Error::IllegalTransition {
            current: from,
            requested: to,
        });
    }
    check("note", validate::optional_multiline(note, 2000))?;
    from.transition(to, reason).map_err(|e| match e {
        rules::TransitionError::Illegal { current, requested } => {
            Error::IllegalTransition { current, requested }
        }
        other => Error::invalid_msg("reason", other.to_string()),
    })?;
    let now = store::now();
    let reason_s = reason.map(|r| r.as_str());
    // The row is locked: this only fails if the lock did not hold.
    if !store::contracts::set_status(tx, id, from.as_str(), to.as_str(), reason_s, now).await? {
        return Err(Error::Refused("contract-changed"));
    }
    if to == Status::Canceled {
        let today = today(tx).await?;
        store::contracts::set_end_date(tx, id, &today.to_string()).await?;
        store::contracts::cancel_pending_plan_changes(tx, id, now).await?;
    }
    store::contracts::insert_transition(
        tx,
        id,
        from.as_str(),
        to.as_str(),
        reason_s,
        note.trim(),
        actor,
        now,
    )
    .await?;
    let after = store::contracts::get(tx, id).await?;
    let mut summary = format!("Contract {}: {} → {}", after.number, from, to);
    if let Some(r) = reason_s {
        summary.push_str(&format!(" ({r})"));
    }
    Change::new("contract.transition", "contract", id)
        .before(json!({ "status": from.as_str(), "suspend_reason": before.suspend_reason }))
        .after(json!({ "status": to.as_str(), "suspend_reason": reason_s, "note": note.trim() }))
        .event(ContractStatusChanged {
            contract_id: id,
            customer_id: before.customer_id,
            login: before.pppoe_login.clone(),
            from,
            to,
            reason,
            number: after.number.clone(),
        })
        .timeline(
            before.customer_id,
            EventKind::of_transition(from, to),
            summary,
        )
        .record(tx, engine, actor)
        .await?;
    Ok(after)
}

/// What a plan change did, with the change as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanChange {
    /// The contract is on the new plan now.
    Applied(store::contracts::PlanChange),
    /// Waiting for its effective date ([`apply_due_plan_changes`]).
    Scheduled(store::contracts::PlanChange),
}

/// Moves a contract to another plan (upgrade or downgrade) from
/// `effective_date`: now when the date is today or past, else on that date.
/// The new price is the given one or the new plan's. A later request
/// replaces a pending one.
pub async fn change_plan(
    svc: &Services,
    caller: &Caller,
    id: i64,
    plan_id: i64,
    price: Option<Money>,
    effective_date: &str,
) -> Result<PlanChange> {
    access::manage(caller)?;
    let actor = &caller.actor();
    if price.is_some_and(Money::is_negative) {
        return Err(Error::invalid("price", FieldError::Range));
    }
    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let k = store::contracts::get(&mut tx, id).await?;
    if k.status == Status::Canceled.as_str() {
        return Err(Error::invalid_msg(
            "status",
            "a canceled contract cannot change plans",
        ));
    }
    let today = today(&mut tx).await?;
    let effective = match effective_date.trim() {
        "" => today,
        s => validate::date(s).map_err(|e| Error::invalid("effective_date", e))?,
    };
    let plan = match store::catalog::get(&mut tx, plan_id).await {
        Err(store::Error::NotFound) => return Err(Error::invalid_msg("plan_id", "no such plan")),
        r => r?,
    };
    if !plan.active {
        return Err(Error::invalid_msg("plan_id", "the plan is retired"));
    }
    if plan.id == k.plan_id {
        return Err(Error::invalid_msg(
            "plan_id",
            "the contract is already on this plan",
        ));
    }
    let new_price = price.map(Money::minor).unwrap_or(plan.price);
    let now = store::now();
    store::contracts::cancel_pending_plan_changes(&mut tx, id, now).await?;
    let apply_now = effective <= today;
    let change = store::contracts::insert_plan_change(
        &mut tx,
        id,
        (k.plan_id, k.price),
        (plan.id, new_price),
        &effective.to_string(),
        actor,
        now,
        apply_now,
    )
    .await?;
    // The event a scheduled change will announce when it comes due; its
    // fields are the timeline's details either way.
    let event = DomainEvent::from(ContractPlanChanged {
        contract_id: id,
        customer_id: k.customer_id,
        login: k.pppoe_login.clone(),
        from_plan_id: k.plan_id,
        to_plan_id: plan.id,
        from_price: Money(k.price),
        to_price: Money(new_price),
        effective_date: effective,
        number: k.number.clone(),
        plan: plan.name.clone(),
    });
    let mut record = Change::new(
        if apply_now {
            "contract.plan_change"
        } else {
            "contract.plan_change_schedule"
        },
        "contract",
        id,
    )
    .before(json!({ "plan_id": k.plan_id, "price": k.price }))
    .after(json!({
        "plan_id": plan.id, "price": new_price, "effective_date": effective.to_string(),
    }))
    .timeline(
        k.customer_id,
        if apply_now {
            EventKind::ContractPlanChanged
        } else {
            EventKind::ContractPlanChangeScheduled
        },
        format!(
            "Contract {}: plan {} from {}",
            k.number, plan.name, effective
        ),
    )
    .timeline_data(event.payload());
    if apply_now {
        store::contracts::set_plan(&mut tx, id, plan.id, new_price, now).await?;
        record = record.event(event);
    }
    record.record(&mut tx, engine, actor).await?;
    tx.commit().await?;
    Ok(if apply_now {
        PlanChange::Applied(change)
    } else {
        PlanChange::Scheduled(change)
    })
}

/// Applies scheduled plan changes due on or before `date` (a daily job
/// calls it with today). Returns how many were applied.
pub async fn apply_due_plan_changes(
    svc: &Services,
    caller: &Caller,
    date: jiff::civil::Date,
) -> Result<i64> {
    access::manage(caller)?;
    let actor = &caller.actor();
    let engine = svc.db.engine();
    let mut done = 0;
    loop {
        let mut tx = svc.db.begin().await?;
        let due = store::contracts::due_plan_changes(&mut tx, &date.to_string(), 100).await?;
        if due.is_empty() {
            break;
        }
        let now = store::now();
        for ch in due {
            if !store::contracts::mark_plan_change_applied(&mut tx, ch.id, now).await? {
                continue;
            }
            let k = store::contracts::get(&mut tx, ch.contract_id).await?;
            store::contracts::set_plan(&mut tx, k.id, ch.to_plan_id, ch.to_price, now).await?;
            let plan = store::catalog::get(&mut tx, ch.to_plan_id).await?;
            let effective_date = ch.effective_date.parse().map_err(|e| {
                Error::Internal(format!(
                    "plan change {} has effective date {:?}: {e}",
                    ch.id, ch.effective_date
                ))
            })?;
            Change::new("contract.plan_change", "contract", k.id)
                .before(json!({ "plan_id": k.plan_id, "price": k.price }))
                .after(json!({ "plan_id": ch.to_plan_id, "price": ch.to_price }))
                .event(ContractPlanChanged {
                    contract_id: k.id,
                    customer_id: k.customer_id,
                    login: k.pppoe_login.clone(),
                    from_plan_id: k.plan_id,
                    to_plan_id: ch.to_plan_id,
                    from_price: Money(k.price),
                    to_price: Money(ch.to_price),
                    effective_date,
                    number: k.number.clone(),
                    plan: plan.name.clone(),
                })
                .timeline(
                    k.customer_id,
                    EventKind::ContractPlanChanged,
                    format!("Contract {}: scheduled plan change applied", k.number),
                )
                .record(&mut tx, engine, actor)
                .await?;
            done += 1;
        }
        tx.commit().await?;
    }
    Ok(done)
}

/// A contract's plan changes, oldest first (not found when the caller may
/// not read the contract, or it does not exist).
pub async fn plan_changes(
    svc: &Services,
    caller: &Caller,
    id: i64,
) -> Result<Vec<store::contracts::PlanChange>> {
    let mut c = svc.db.conn().await?;
    readable(&mut c, caller, id).await?;
    Ok(store::contracts::plan_changes(&mut c, id).await?)
}

/// Changes to a contract's terms and service credentials; `None` keeps a
/// value. Number, customer, plan, price and status have their own calls and
/// history ([`change_plan`], [`transition`], re-pricing).
#[derive(Debug, Clone, Default)]
pub struct TermsInput {
    /// 1–28.
    pub billing_day: Option<i64>,
    /// `Some(None)` removes the service address.
    pub service_address_id: Option<Option<i64>>,
    pub login: Option<String>,
    /// A new PPPoE password (4–64 characters).
    pub password: Option<String>,
    /// Empty removes it.
    pub mac: Option<String>,
    /// Empty removes it.
    pub ipv4: Option<String>,
    /// Empty removes it.
    pub ipv6_prefix: Option<String>,
    pub notes: Option<String>,
}

/// Updates a contract's terms (audited, on the timeline, and announced as
/// `contract.updated` so RADIUS sees a changed login, password or address);
/// returns it as stored. A canceled contract is history and cannot change.
pub async fn update_terms(
    svc: &Services,
    caller: &Caller,
    id: i64,
    input: &TermsInput,
) -> Result<Contract> {
    access::manage(caller)?;
    let actor = &caller.actor();
    if let Some(d) = input.billing_day {
        check("billing_day", rules::billing_day(d))?;
    }
    let login = match &input.login {
        Some(l) => {
            let l = l.trim().to_lowercase();
            check("login", rules::login(&l))?;
            Some(l)
        }
        None => None,
    };
    if let Some(p) = &input.password
        && !(4..=64).contains(&p.chars().count())
    {
        return Err(Error::invalid("password", FieldError::Range));
    }
    let mac = match &input.mac {
        Some(m) => Some(optional("mac", m, rules::mac)?),
        None => None,
    };
    let ipv4 = match &input.ipv4 {
        Some(v) => Some(optional("ipv4", v, rules::ipv4)?),
        None => None,
    };
    let ipv6 = match &input.ipv6_prefix {
        Some(v) => Some(optional("ipv6_prefix", v, rules::ipv6_prefix)?),
        None => None,
    };
    if let Some(n) = &input.notes {
        check("notes", validate::optional_multiline(n, 2000))?;
    }

    let engine = svc.db.engine();
    let mut tx = svc.db.begin().await?;
    let before = store::contracts::get(&mut tx, id).await?;
    if before.status == Status::Canceled.as_str() {
        return Err(Error::invalid_msg(
            "status",
            "a canceled contract cannot change",
        ));
    }
    if let Some(Some(a)) = input.service_address_id {
        let addr = store::crm::customers::get_address(&mut tx, a).await;
        if !matches!(&addr, Ok(a) if a.customer_id == before.customer_id) {
            return Err(Error::invalid_msg(
                "service_address_id",
                "not an address of this customer",
            ));
        }
    }
    let mut row = before.clone();
    if let Some(d) = input.billing_day {
        row.billing_day = d;
    }
    if let Some(a) = input.service_address_id {
        row.service_address_id = a;
    }
    if let Some(l) = login {
        row.pppoe_login = l;
    }
    let password_changed = input.password.is_some();
    if let Some(p) = &input.password {
        row.pppoe_password = svc.secrets.encrypt(p);
    }
    if let Some(m) = mac {
        row.mac = m;
    }
    if let Some(v) = ipv4 {
        row.ipv4 = v;
    }
    if let Some(v) = ipv6 {
        row.ipv6_prefix = v;
    }
    if let Some(n) = &input.notes {
        row.notes = n.trim().to_owned();
    }
    let now = store::now();
    store::contracts::update_terms(&mut tx, id, &row, now)
        .await
        .map_err(field_conflict)?;
    let after = store::contracts::get(&mut tx, id).await?;
    // The password never enters the audit log: only the fact it changed.
    let mut after_json = contract_json(&after);
    if let Some(o) = after_json.as_object_mut() {
        o.insert("password_changed".into(), json!(password_changed));
    }
    Change::new("contract.update", "contract", id)
        .before(contract_json(&before))
        .after(after_json)
        .event(ContractUpdated {
            contract_id: id,
            customer_id: before.customer_id,
            old_login: before.pppoe_login.clone(),
            login: after.pppoe_login.clone(),
            password_changed,
            // A live session keeps its old login and addresses until it
            // reconnects.
            reconnect: before.pppoe_login != after.pppoe_login
                || before.ipv4 != after.ipv4
                || before.ipv6_prefix != after.ipv6_prefix,
            number: after.number.clone(),
        })
        .timeline(
            before.customer_id,
            EventKind::ContractUpdated,
            format!("Contract {}: terms changed", after.number),
        )
        .record(&mut tx, engine, actor)
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Contracts whose number (also zero-padded, as people drop the zeros) or
/// PPPoE login is exactly `q`, oldest first, without repeats.
pub async fn search(svc: &Services, caller: &Caller, q: &str) -> Result<Vec<Contract>> {
    caller.require(Permission::CustomersView)?;
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = svc.db.conn().await?;
    let mut found: Vec<Contract> = Vec::new();
    let mut numbers = vec![q.to_owned()];
    if q.len() < 6 && q.chars().all(|ch| ch.is_ascii_digit()) {
        numbers.push(format!("{q:0>6}"));
    }
    for n in &numbers {
        if let Some(k) = store::contracts::by_number(&mut c, n).await? {
            found.push(k);
        }
    }
    if let Some(k) = store::contracts::by_login(&mut c, &q.to_lowercase()).await? {
        found.push(k);
    }
    found.sort_by_key(|k| k.id);
    found.dedup_by_key(|k| k.id);
    Ok(found)
}
