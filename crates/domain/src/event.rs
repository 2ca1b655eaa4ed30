//! Domain events: what the services announce through the outbox
//! (`domain_events`) in the transaction of the change, and what consumers
//! (the RADIUS view, CoA, later billing and webhooks) react to.
//!
//! [`DomainEvent`] has one variant per kind of event, each with typed
//! fields, so a producer and a consumer cannot disagree on a field's name
//! or spelling without the compiler noticing. Consumers `match` the
//! variants with one arm each (no wildcard), so a new variant makes each of
//! them decide what it means.
//!
//! A row stores the kind ([`Kind`]), the payload (the variant's fields as
//! JSON) and the version of that payload's shape. [`DomainEvent::decode`]
//! reads any version this release knows: older shapes are first brought to
//! the current one ([`VERSION`]) by an upcaster. A row it cannot read (an
//! unknown kind, a version from a newer release, a broken payload) is a
//! [`DecodeError`], which consumers log and skip.
//!
//! ```
//! use domain::contracts::Status;
//! use domain::event::{ContractStatusChanged, DomainEvent, Entity, Kind, VERSION};
//!
//! let event = DomainEvent::from(ContractStatusChanged {
//!     contract_id: 7,
//!     customer_id: 3,
//!     login: "ana".into(),
//!     from: Status::Active,
//!     to: Status::Canceled,
//!     reason: None,
//!     number: "2026-000007".into(),
//! });
//! assert_eq!(event.kind(), Kind::ContractStatusChanged);
//! assert_eq!(event.entity(), Entity::Contract(7));
//! let stored = event.payload().to_string();
//! let read = DomainEvent::decode("contract.status_changed", VERSION, &stored).unwrap();
//! assert_eq!(read, event);
//! ```

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::catalog::text_enum;
use crate::contracts::{Status, SuspendReason};
use crate::money::Money;

/// The payload version new events are written with.
///
/// 1: the untyped JSON written before events were typed (every row written
/// before migration 0010 carries it). 2: the fields of this module's
/// structs.
pub const VERSION: i64 = 2;

text_enum!(
    /// Every kind of domain event, spelled as in the outbox's `kind`.
    Kind {
        ContractCreated = "contract.created",
        ContractStatusChanged = "contract.status_changed",
        ContractPlanChanged = "contract.plan_changed",
        ContractUpdated = "contract.updated",
        ContractPriceChanged = "contract.price_changed",
        ContractSpeedChanged = "contract.speed_changed",
        PlanUpdated = "plan.updated",
        NasChanged = "nas.changed",
        InvoiceIssued = "invoice.issued",
        InvoiceVoided = "invoice.voided",
        CreditNoteIssued = "credit_note.issued",
        PaymentReceived = "payment.received",
        PaymentRefunded = "payment.refunded",
        PaymentReversed = "payment.reversed",
    }
);

/// What an event is about: the outbox's `entity_kind` and `entity_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Contract(i64),
    Plan(i64),
    Nas(i64),
    /// An invoice or a credit note (both are rows of `invoices`).
    Invoice(i64),
    /// A row of the payments book (payment, refund or reversal).
    Payment(i64),
}

impl Entity {
    /// The stored `entity_kind`.
    pub fn kind(self) -> &'static str {
        match self {
            Entity::Contract(_) => "contract",
            Entity::Plan(_) => "plan",
            Entity::Nas(_) => "nas",
            Entity::Invoice(_) => "invoice",
            Entity::Payment(_) => "payment",
        }
    }

    /// The entity's id (stored as text in `entity_id`).
    pub fn id(self) -> i64 {
        match self {
            Entity::Contract(id)
            | Entity::Plan(id)
            | Entity::Nas(id)
            | Entity::Invoice(id)
            | Entity::Payment(id) => id,
        }
    }

    /// Reads stored `entity_kind` and `entity_id`; `None` for a kind this
    /// release does not know or an id that is not a number.
    pub fn parse(kind: &str, id: &str) -> Option<Entity> {
        let id = id.parse().ok()?;
        match kind {
            "contract" => Some(Entity::Contract(id)),
            "plan" => Some(Entity::Plan(id)),
            "nas" => Some(Entity::Nas(id)),
            "invoice" => Some(Entity::Invoice(id)),
            "payment" => Some(Entity::Payment(id)),
            _ => None,
        }
    }
}

/// A domain event, one variant per [`Kind`]. Serialises as its payload
/// (the variant's fields), which is what the outbox stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DomainEvent {
    ContractCreated(ContractCreated),
    ContractStatusChanged(ContractStatusChanged),
    ContractPlanChanged(ContractPlanChanged),
    ContractUpdated(ContractUpdated),
    ContractPriceChanged(ContractPriceChanged),
    ContractSpeedChanged(ContractSpeedChanged),
    PlanUpdated(PlanUpdated),
    NasChanged(NasChanged),
    InvoiceIssued(InvoiceIssued),
    InvoiceVoided(InvoiceVoided),
    CreditNoteIssued(CreditNoteIssued),
    PaymentReceived(PaymentReceived),
    PaymentRefunded(PaymentRefunded),
    PaymentReversed(PaymentReversed),
}

/// A contract was created (by staff, the API or an import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractCreated {
    pub contract_id: i64,
    pub customer_id: i64,
    pub plan_id: i64,
    pub status: Status,
    pub login: String,
    /// Empty in version-1 rows written before contracts' numbers were
    /// recorded in events (as is `plan`).
    pub number: String,
    /// The plan's name.
    pub plan: String,
    /// The file's line, when an import created the contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_line: Option<u64>,
}

/// A contract moved along its status machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractStatusChanged {
    pub contract_id: i64,
    pub customer_id: i64,
    /// The PPPoE login at the time.
    pub login: String,
    pub from: Status,
    pub to: Status,
    /// Why, for a suspension (written as `null` otherwise).
    #[serde(deserialize_with = "present")]
    pub reason: Option<SuspendReason>,
    pub number: String,
}

/// A contract's plan changed (at once, or a scheduled change came due).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractPlanChanged {
    pub contract_id: i64,
    pub customer_id: i64,
    pub login: String,
    pub from_plan_id: i64,
    pub to_plan_id: i64,
    pub from_price: Money,
    pub to_price: Money,
    pub effective_date: jiff::civil::Date,
    pub number: String,
    /// The new plan's name.
    pub plan: String,
}

/// A contract's terms (billing day, address, credentials, notes) changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractUpdated {
    pub contract_id: i64,
    pub customer_id: i64,
    pub old_login: String,
    pub login: String,
    pub password_changed: bool,
    /// The login or a static address changed: a live session keeps the old
    /// ones until it reconnects, so RADIUS disconnects it.
    pub reconnect: bool,
    pub number: String,
}

/// A contract's price changed (a plan's re-pricing applied to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractPriceChanged {
    pub contract_id: i64,
    pub customer_id: i64,
    pub old_price: Money,
    pub new_price: Money,
    pub number: String,
}

/// A contract's speed was reduced by collections (an overdue debt, before
/// suspension) or given back (paid, unlocked on trust, or suspended):
/// RADIUS nodes re-read the contract and send a CoA with the new rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractSpeedChanged {
    pub contract_id: i64,
    pub customer_id: i64,
    pub number: String,
    /// `true`: reduced now; `false`: the plan's speed again.
    pub reduced: bool,
}

/// A plan was edited (speeds, quota, suspended behaviour…): RADIUS nodes
/// re-read plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanUpdated {
    pub plan_id: i64,
}

text_enum!(
    /// What happened to a NAS.
    NasChange {
        Created = "created",
        Updated = "updated",
        /// Delete of a NAS that records still name.
        Disabled = "disabled",
        Deleted = "deleted",
    }
);

/// A NAS was added, edited, disabled or deleted: RADIUS nodes re-read
/// their NAS table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NasChanged {
    pub nas_id: i64,
    pub action: NasChange,
}

/// An invoice was issued (by a billing run or by staff): it has its number
/// and is final; messaging sends it, payments wait for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceIssued {
    pub invoice_id: i64,
    pub customer_id: i64,
    /// The contract it bills (`null` for an invoice covering several).
    #[serde(deserialize_with = "present")]
    pub contract_id: Option<i64>,
    pub number: String,
    pub total: Money,
    pub due_date: jiff::civil::Date,
    /// The run that issued it (`null` when staff did).
    #[serde(deserialize_with = "present")]
    pub billing_run_id: Option<i64>,
}

/// An issued invoice was voided (with a credit note for what it charged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceVoided {
    pub invoice_id: i64,
    pub customer_id: i64,
    pub number: String,
    pub reason: String,
}

/// A credit note was issued against an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditNoteIssued {
    pub credit_note_id: i64,
    pub invoice_id: i64,
    pub customer_id: i64,
    pub number: String,
    pub invoice_number: String,
    /// What it credits, as a positive amount.
    pub total: Money,
}

/// A payment was recorded and applied: to the invoices it paid (in
/// full or in part), the rest kept as the customer's credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReceived {
    pub payment_id: i64,
    pub customer_id: i64,
    pub amount: Money,
    /// The invoices it settled something of, in the order applied.
    pub invoices_paid: Vec<i64>,
}

/// Part or all of a payment was given back; the invoices it had settled
/// (newest first) are open again for what it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRefunded {
    /// The refund's own row.
    pub refund_id: i64,
    pub payment_id: i64,
    pub customer_id: i64,
    pub amount: Money,
    pub reason: String,
    /// The invoices open again.
    pub invoices_reopened: Vec<i64>,
}

/// A payment did not hold (a bounced transfer, a chargeback): what was
/// left of it is taken back and every invoice it settled is open again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReversed {
    /// The reversal's own row.
    pub reversal_id: i64,
    pub payment_id: i64,
    pub customer_id: i64,
    pub amount: Money,
    pub reason: String,
    pub invoices_reopened: Vec<i64>,
}

/// Deserialises an `Option` that must be present (a value or `null`), so a
/// renamed field is an error instead of a silent `None`.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// Why an outbox row cannot be read as a [`DomainEvent`]. Consumers log it
/// with the row's id and go on with the next row.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event kind {kind:?}")]
    UnknownKind { kind: String },
    #[error("event {kind} has payload version {version}; this release reads 1 to {VERSION}")]
    UnknownVersion { kind: String, version: i64 },
    #[error("event {kind} (version {version}) has an unreadable payload: {source}")]
    Payload {
        kind: String,
        version: i64,
        #[source]
        source: serde_json::Error,
    },
}

impl DomainEvent {
    /// The stored kind.
    pub fn kind(&self) -> Kind {
        match self {
            DomainEvent::ContractCreated(_) => Kind::ContractCreated,
            DomainEvent::ContractStatusChanged(_) => Kind::ContractStatusChanged,
            DomainEvent::ContractPlanChanged(_) => Kind::ContractPlanChanged,
            DomainEvent::ContractUpdated(_) => Kind::ContractUpdated,
            DomainEvent::ContractPriceChanged(_) => Kind::ContractPriceChanged,
            DomainEvent::ContractSpeedChanged(_) => Kind::ContractSpeedChanged,
            DomainEvent::PlanUpdated(_) => Kind::PlanUpdated,
            DomainEvent::NasChanged(_) => Kind::NasChanged,
            DomainEvent::InvoiceIssued(_) => Kind::InvoiceIssued,
            DomainEvent::InvoiceVoided(_) => Kind::InvoiceVoided,
            DomainEvent::CreditNoteIssued(_) => Kind::CreditNoteIssued,
            DomainEvent::PaymentReceived(_) => Kind::PaymentReceived,
            DomainEvent::PaymentRefunded(_) => Kind::PaymentRefunded,
            DomainEvent::PaymentReversed(_) => Kind::PaymentReversed,
        }
    }

    /// What the event is about.
    pub fn entity(&self) -> Entity {
        match self {
            DomainEvent::ContractCreated(e) => Entity::Contract(e.contract_id),
            DomainEvent::ContractStatusChanged(e) => Entity::Contract(e.contract_id),
            DomainEvent::ContractPlanChanged(e) => Entity::Contract(e.contract_id),
            DomainEvent::ContractUpdated(e) => Entity::Contract(e.contract_id),
            DomainEvent::ContractPriceChanged(e) => Entity::Contract(e.contract_id),
            DomainEvent::ContractSpeedChanged(e) => Entity::Contract(e.contract_id),
            DomainEvent::PlanUpdated(e) => Entity::Plan(e.plan_id),
            DomainEvent::NasChanged(e) => Entity::Nas(e.nas_id),
            DomainEvent::InvoiceIssued(e) => Entity::Invoice(e.invoice_id),
            DomainEvent::InvoiceVoided(e) => Entity::Invoice(e.invoice_id),
            DomainEvent::CreditNoteIssued(e) => Entity::Invoice(e.credit_note_id),
            DomainEvent::PaymentReceived(e) => Entity::Payment(e.payment_id),
            DomainEvent::PaymentRefunded(e) => Entity::Payment(e.refund_id),
            DomainEvent::PaymentReversed(e) => Entity::Payment(e.reversal_id),
        }
    }

    /// The payload at [`VERSION`]: the variant's fields as a JSON object
    /// (the outbox stores it; timeline entries reuse it as their details).
    pub fn payload(&self) -> Value {
        // Plain structs of numbers, strings and enums spelled as text: their
        // serialisation has no failing case (as with `serde_json::json!`).
        serde_json::to_value(self).expect("an event payload serialises")
    }

    /// Reads a stored event: its `kind`, the `version` of its payload's
    /// shape and the `payload` text. Older versions are upcast first.
    pub fn decode(kind: &str, version: i64, payload: &str) -> Result<DomainEvent, DecodeError> {
        let broken = |source| DecodeError::Payload {
            kind: kind.to_owned(),
            version,
            source,
        };
        let value: Value = serde_json::from_str(payload).map_err(broken)?;
        let (known, value) = match version {
            1 => upcast_v1(kind, value)?,
            VERSION => (
                Kind::parse(kind).ok_or_else(|| DecodeError::UnknownKind {
                    kind: kind.to_owned(),
                })?,
                value,
            ),
            _ => {
                return Err(DecodeError::UnknownVersion {
                    kind: kind.to_owned(),
                    version,
                });
            }
        };
        DomainEvent::from_current(known, value).map_err(broken)
    }

    /// Reads a payload of the current version.
    fn from_current(kind: Kind, p: Value) -> Result<DomainEvent, serde_json::Error> {
        use serde_json::from_value as read;
        Ok(match kind {
            Kind::ContractCreated => DomainEvent::ContractCreated(read(p)?),
            Kind::ContractStatusChanged => DomainEvent::ContractStatusChanged(read(p)?),
            Kind::ContractPlanChanged => DomainEvent::ContractPlanChanged(read(p)?),
            Kind::ContractUpdated => DomainEvent::ContractUpdated(read(p)?),
            Kind::ContractPriceChanged => DomainEvent::ContractPriceChanged(read(p)?),
            Kind::ContractSpeedChanged => DomainEvent::ContractSpeedChanged(read(p)?),
            Kind::PlanUpdated => DomainEvent::PlanUpdated(read(p)?),
            Kind::NasChanged => DomainEvent::NasChanged(read(p)?),
            Kind::InvoiceIssued => DomainEvent::InvoiceIssued(read(p)?),
            Kind::InvoiceVoided => DomainEvent::InvoiceVoided(read(p)?),
            Kind::CreditNoteIssued => DomainEvent::CreditNoteIssued(read(p)?),
            Kind::PaymentReceived => DomainEvent::PaymentReceived(read(p)?),
            Kind::PaymentRefunded => DomainEvent::PaymentRefunded(read(p)?),
            Kind::PaymentReversed => DomainEvent::PaymentReversed(read(p)?),
        })
    }
}

/// The upcaster from version 1 (the JSON the services wrote by hand) to
/// version 2. Version 1's fields are version 2's with the same names, but
/// releases wrote them in several shapes; this brings each to the last:
///
/// - `number` (and `plan` for creation and plan changes) arrived with the
///   translated timeline; older rows lack them and get `""`.
/// - `contract.updated` first had no `reconnect` (nothing consumed it
///   then): a login change is the one reconnect such a row can show.
/// - `contract.access_changed` was `contract.updated` for access fields
///   only, without `old_login`; the rename once made the CoA consumer skip
///   such rows silently, now they read as `contract.updated`.
///
/// Fields version 2 dropped (`at`, which duplicated the row's) are left
/// for the reader to ignore.
fn upcast_v1(kind: &str, mut p: Value) -> Result<(Kind, Value), DecodeError> {
    let renamed = kind == "contract.access_changed";
    let known = if renamed {
        Kind::ContractUpdated
    } else {
        Kind::parse(kind).ok_or_else(|| DecodeError::UnknownKind {
            kind: kind.to_owned(),
        })?
    };
    // A payload that is not an object is left as it is: reading it fails
    // with serde's message.
    let Some(o) = p.as_object_mut() else {
        return Ok((known, p));
    };
    let mut fill = |key: &str, value: Value| {
        o.entry(key).or_insert(value);
    };
    match known {
        Kind::ContractCreated | Kind::ContractPlanChanged => {
            fill("number", "".into());
            fill("plan", "".into());
        }
        Kind::ContractStatusChanged | Kind::ContractPriceChanged => fill("number", "".into()),
        Kind::ContractUpdated => {
            fill("number", "".into());
            if renamed && let Some(login) = o.get("login").cloned() {
                o.entry("old_login").or_insert(login);
            }
            if !o.contains_key("reconnect")
                && let (Some(old), Some(new)) = (o.get("old_login"), o.get("login"))
            {
                let changed = old != new;
                o.insert("reconnect".into(), changed.into());
            }
        }
        // Invoices (and speed changes) arrived with version 2: no
        // version-1 row names them.
        Kind::ContractSpeedChanged
        | Kind::PlanUpdated
        | Kind::NasChanged
        | Kind::InvoiceIssued
        | Kind::InvoiceVoided
        | Kind::CreditNoteIssued
        | Kind::PaymentReceived
        | Kind::PaymentRefunded
        | Kind::PaymentReversed => {}
    }
    Ok((known, p))
}

macro_rules! from_payload {
    ($($variant:ident),+) => {$(
        impl From<$variant> for DomainEvent {
            fn from(e: $variant) -> DomainEvent {
                DomainEvent::$variant(e)
            }
        }
    )+};
}
from_payload!(
    ContractCreated,
    ContractStatusChanged,
    ContractPlanChanged,
    ContractUpdated,
    ContractPriceChanged,
    ContractSpeedChanged,
    PlanUpdated,
    NasChanged,
    InvoiceIssued,
    InvoiceVoided,
    CreditNoteIssued,
    PaymentReceived,
    PaymentRefunded,
    PaymentReversed
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// One event of each kind, with every optional field set.
    fn sample(kind: Kind) -> DomainEvent {
        match kind {
            Kind::ContractCreated => ContractCreated {
                contract_id: 7,
                customer_id: 3,
                plan_id: 2,
                status: Status::Active,
                login: "ana.lima".into(),
                number: "2026-000007".into(),
                plan: "Fibra 300".into(),
                import_line: Some(12),
            }
            .into(),
            Kind::ContractStatusChanged => ContractStatusChanged {
                contract_id: 7,
                customer_id: 3,
                login: "ana.lima".into(),
                from: Status::Active,
                to: Status::Suspended,
                reason: Some(SuspendReason::NonPayment),
                number: "2026-000007".into(),
            }
            .into(),
            Kind::ContractPlanChanged => ContractPlanChanged {
                contract_id: 7,
                customer_id: 3,
                login: "ana.lima".into(),
                from_plan_id: 2,
                to_plan_id: 5,
                from_price: Money(9990),
                to_price: Money(12990),
                effective_date: jiff::civil::date(2026, 3, 1),
                number: "2026-000007".into(),
                plan: "Fibra 600".into(),
            }
            .into(),
            Kind::ContractUpdated => ContractUpdated {
                contract_id: 7,
                customer_id: 3,
                old_login: "ana.lima".into(),
                login: "ana.l".into(),
                password_changed: true,
                reconnect: true,
                number: "2026-000007".into(),
            }
            .into(),
            Kind::ContractPriceChanged => ContractPriceChanged {
                contract_id: 7,
                customer_id: 3,
                old_price: Money(9990),
                new_price: Money(10990),
                number: "2026-000007".into(),
            }
            .into(),
            Kind::ContractSpeedChanged => ContractSpeedChanged {
                contract_id: 7,
                customer_id: 3,
                number: "2026-000007".into(),
                reduced: true,
            }
            .into(),
            Kind::PlanUpdated => PlanUpdated { plan_id: 2 }.into(),
            Kind::NasChanged => NasChanged {
                nas_id: 4,
                action: NasChange::Disabled,
            }
            .into(),
            Kind::InvoiceIssued => InvoiceIssued {
                invoice_id: 11,
                customer_id: 3,
                contract_id: Some(7),
                number: "2026-000123".into(),
                total: Money(9990),
                due_date: jiff::civil::date(2026, 5, 10),
                billing_run_id: Some(2),
            }
            .into(),
            Kind::InvoiceVoided => InvoiceVoided {
                invoice_id: 11,
                customer_id: 3,
                number: "2026-000123".into(),
                reason: "duplicated".into(),
            }
            .into(),
            Kind::CreditNoteIssued => CreditNoteIssued {
                credit_note_id: 12,
                invoice_id: 11,
                customer_id: 3,
                number: "NC2026-000001".into(),
                invoice_number: "2026-000123".into(),
                total: Money(9990),
            }
            .into(),
            Kind::PaymentReceived => PaymentReceived {
                payment_id: 21,
                customer_id: 3,
                amount: Money(9990),
                invoices_paid: vec![11, 12],
            }
            .into(),
            Kind::PaymentRefunded => PaymentRefunded {
                refund_id: 22,
                payment_id: 21,
                customer_id: 3,
                amount: Money(990),
                reason: "charged twice".into(),
                invoices_reopened: vec![12],
            }
            .into(),
            Kind::PaymentReversed => PaymentReversed {
                reversal_id: 23,
                payment_id: 21,
                customer_id: 3,
                amount: Money(9000),
                reason: "chargeback".into(),
                invoices_reopened: vec![11],
            }
            .into(),
        }
    }

    #[test]
    fn every_kind_round_trips() {
        for kind in Kind::ALL {
            let event = sample(*kind);
            assert_eq!(event.kind(), *kind);
            let stored = event.payload().to_string();
            let read = DomainEvent::decode(kind.as_str(), VERSION, &stored).unwrap();
            assert_eq!(read, event, "{kind}");
            assert_eq!(Kind::parse(kind.as_str()), Some(*kind));
        }
    }

    #[test]
    fn optional_fields_round_trip_when_absent() {
        let mut created = sample(Kind::ContractCreated);
        if let DomainEvent::ContractCreated(c) = &mut created {
            c.import_line = None;
        }
        assert!(created.payload().get("import_line").is_none());
        let mut resumed = sample(Kind::ContractStatusChanged);
        if let DomainEvent::ContractStatusChanged(c) = &mut resumed {
            (c.from, c.to, c.reason) = (Status::Suspended, Status::Active, None);
        }
        assert_eq!(resumed.payload()["reason"], Value::Null);
        for event in [created, resumed] {
            let stored = event.payload().to_string();
            let read = DomainEvent::decode(event.kind().as_str(), VERSION, &stored).unwrap();
            assert_eq!(read, event);
        }
    }

    #[test]
    fn entities_name_the_row() {
        let table = [
            (Kind::ContractCreated, ("contract", 7)),
            (Kind::ContractStatusChanged, ("contract", 7)),
            (Kind::ContractPlanChanged, ("contract", 7)),
            (Kind::ContractUpdated, ("contract", 7)),
            (Kind::ContractPriceChanged, ("contract", 7)),
            (Kind::ContractSpeedChanged, ("contract", 7)),
            (Kind::PlanUpdated, ("plan", 2)),
            (Kind::NasChanged, ("nas", 4)),
            (Kind::PaymentReceived, ("payment", 21)),
            (Kind::PaymentRefunded, ("payment", 22)),
        ];
        for (kind, (entity_kind, id)) in table {
            let entity = sample(kind).entity();
            assert_eq!((entity.kind(), entity.id()), (entity_kind, id), "{kind}");
            assert_eq!(Entity::parse(entity_kind, &id.to_string()), Some(entity));
        }
        assert_eq!(Entity::parse("customer", "1"), None);
        assert_eq!(Entity::parse("contract", "seven"), None);
    }

    /// Version-1 rows exactly as the services wrote them just before events
    /// were typed (`at` included), one per kind.
    #[test]
    fn v1_rows_of_the_last_untyped_release_decode() {
        let rows = [
            (
                "contract.created",
                json!({
                    "contract_id": 7, "customer_id": 3, "plan_id": 2,
                    "status": "pending_installation", "login": "ana.lima",
                    "number": "2026-000007", "plan": "Fibra 300",
                }),
            ),
            (
                // An import's row.
                "contract.created",
                json!({
                    "contract_id": 7, "customer_id": 3, "plan_id": 2,
                    "status": "active", "login": "ana.lima", "import_line": 12,
                    "number": "2026-000007", "plan": "Fibra 300",
                }),
            ),
            (
                "contract.status_changed",
                json!({
                    "contract_id": 7, "customer_id": 3, "login": "ana.lima",
                    "from": "active", "to": "suspended", "reason": "non_payment",
                    "at": 1_772_000_000, "number": "2026-000007",
                }),
            ),
            (
                "contract.plan_changed",
                json!({
                    "contract_id": 7, "customer_id": 3, "login": "ana.lima",
                    "from_plan_id": 2, "to_plan_id": 5, "from_price": 9990,
                    "to_price": 12990, "effective_date": "2026-03-01",
                    "number": "2026-000007", "plan": "Fibra 600",
                }),
            ),
            (
                "contract.updated",
                json!({
                    "contract_id": 7, "customer_id": 3,
                    "old_login": "ana.lima", "login": "ana.l",
                    "password_changed": true, "at": 1_772_000_000,
                    "number": "2026-000007", "reconnect": true,
                }),
            ),
            (
                "contract.price_changed",
                json!({
                    "contract_id": 7, "customer_id": 3,
                    "old_price": 9990, "new_price": 10990, "number": "2026-000007",
                }),
            ),
            ("plan.updated", json!({ "plan_id": 2, "at": 1_772_000_000 })),
            ("nas.changed", json!({ "nas_id": 4, "action": "disabled" })),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for (kind, payload) in rows {
            let event = DomainEvent::decode(kind, 1, &payload.to_string())
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(event.kind().as_str(), kind);
            let mut want = sample(event.kind());
            match &mut want {
                DomainEvent::ContractCreated(c) if payload.get("import_line").is_none() => {
                    (c.status, c.import_line) = (Status::PendingInstallation, None);
                }
                _ => {}
            }
            assert_eq!(event, want, "{kind}");
            seen.insert(kind);
        }
        // Billing's and payments' kinds were born at version 2.
        let born_v2 = [
            Kind::ContractSpeedChanged,
            Kind::InvoiceIssued,
            Kind::InvoiceVoided,
            Kind::CreditNoteIssued,
            Kind::PaymentReceived,
            Kind::PaymentRefunded,
            Kind::PaymentReversed,
        ];
        assert_eq!(
            seen.len() + born_v2.len(),
            Kind::ALL.len(),
            "a v1 row for every kind older than version 2"
        );
    }

    /// Shapes older releases wrote before the last untyped one.
    #[test]
    fn older_v1_shapes_are_upcast() {
        let read = |kind: &str, p: Value| DomainEvent::decode(kind, 1, &p.to_string()).unwrap();

        // Before numbers and plan names were recorded.
        let DomainEvent::ContractCreated(c) = read(
            "contract.created",
            json!({"contract_id": 7, "customer_id": 3, "plan_id": 2,
                   "status": "pending_installation", "login": "ana.lima"}),
        ) else {
            panic!("contract.created")
        };
        assert_eq!((c.number.as_str(), c.plan.as_str()), ("", ""));
        let DomainEvent::ContractStatusChanged(c) = read(
            "contract.status_changed",
            json!({"contract_id": 7, "customer_id": 3, "login": "ana.lima",
                   "from": "suspended", "to": "active", "reason": null, "at": 5}),
        ) else {
            panic!("contract.status_changed")
        };
        assert_eq!(
            (c.from, c.to, c.reason),
            (Status::Suspended, Status::Active, None)
        );
        let DomainEvent::ContractPlanChanged(c) = read(
            "contract.plan_changed",
            json!({"contract_id": 7, "customer_id": 3, "login": "ana.lima",
                   "from_plan_id": 2, "to_plan_id": 5, "from_price": 9990,
                   "to_price": 12990, "effective_date": "2026-03-01"}),
        ) else {
            panic!("contract.plan_changed")
        };
        assert_eq!((c.to_plan_id, c.plan.as_str()), (5, ""));
        let DomainEvent::ContractPriceChanged(c) = read(
            "contract.price_changed",
            json!({"contract_id": 7, "customer_id": 3, "old_price": 9990, "new_price": 10990}),
        ) else {
            panic!("contract.price_changed")
        };
        assert_eq!(c.new_price, Money(10990));

        // contract.updated before `reconnect`: a login change reconnects.
        for (old, new, reconnect) in [("ana", "ana.l", true), ("ana", "ana", false)] {
            let DomainEvent::ContractUpdated(c) = read(
                "contract.updated",
                json!({"contract_id": 7, "customer_id": 3, "old_login": old,
                       "login": new, "password_changed": false}),
            ) else {
                panic!("contract.updated")
            };
            assert_eq!(c.reconnect, reconnect, "{old} → {new}");
        }

        // The retired kind reads as contract.updated, keeping `reconnect`.
        for reconnect in [true, false] {
            let event = read(
                "contract.access_changed",
                json!({"contract_id": 7, "customer_id": 3, "login": "ana.l",
                       "password_changed": true, "reconnect": reconnect, "at": 5}),
            );
            assert_eq!(
                event,
                DomainEvent::ContractUpdated(ContractUpdated {
                    contract_id: 7,
                    customer_id: 3,
                    old_login: "ana.l".into(),
                    login: "ana.l".into(),
                    password_changed: true,
                    reconnect,
                    number: String::new(),
                })
            );
        }
        // Only version 1 knows that name.
        assert!(matches!(
            DomainEvent::decode("contract.access_changed", VERSION, "{}"),
            Err(DecodeError::UnknownKind { .. })
        ));
    }

    #[test]
    fn unreadable_rows_are_errors_naming_what_is_wrong() {
        let ok = sample(Kind::ContractStatusChanged).payload();
        let without = |key: &str| {
            let mut p = ok.clone();
            p.as_object_mut().unwrap().remove(key);
            p.to_string()
        };
        let with = |key: &str, v: Value| {
            let mut p = ok.clone();
            p[key] = v;
            p.to_string()
        };
        let cases: Vec<(&str, i64, String, &str)> = vec![
            (
                "contract.teleported",
                VERSION,
                ok.to_string(),
                "unknown event kind",
            ),
            (
                "contract.teleported",
                1,
                ok.to_string(),
                "unknown event kind",
            ),
            (
                "contract.status_changed",
                VERSION + 1,
                ok.to_string(),
                "version 3",
            ),
            ("contract.status_changed", 0, ok.to_string(), "version 0"),
            (
                "contract.status_changed",
                VERSION,
                "{not json".into(),
                "unreadable payload",
            ),
            (
                "contract.status_changed",
                VERSION,
                "[1, 2]".into(),
                "unreadable payload",
            ),
            (
                "contract.status_changed",
                1,
                "\"text\"".into(),
                "invalid type",
            ),
            // The renamed field the typed event exists to catch.
            (
                "contract.status_changed",
                VERSION,
                without("to"),
                "missing field `to`",
            ),
            (
                "contract.status_changed",
                1,
                without("to"),
                "missing field `to`",
            ),
            // An optional field must still be present.
            (
                "contract.status_changed",
                VERSION,
                without("reason"),
                "missing field `reason`",
            ),
            (
                "contract.status_changed",
                VERSION,
                with("to", json!("frozen")),
                "unknown variant `frozen`",
            ),
            (
                "contract.status_changed",
                VERSION,
                with("contract_id", json!("7")),
                "invalid type",
            ),
        ];
        for (kind, version, payload, want) in cases {
            match DomainEvent::decode(kind, version, &payload) {
                Ok(e) => panic!("{kind} v{version} {payload} read as {e:?}"),
                Err(e) => assert!(e.to_string().contains(want), "{kind} v{version}: {e}"),
            }
        }
    }

    #[test]
    fn nas_changes_spell_their_action() {
        for action in NasChange::ALL {
            let event = DomainEvent::from(NasChanged {
                nas_id: 1,
                action: *action,
            });
            assert_eq!(event.payload()["action"], action.as_str());
        }
    }
}
