//! What a customer's timeline records. Each entry has a kind and a JSON
//! object of details; the kind says which details its sentence needs, so
//! interfaces write the sentence in the reader's language when they show
//! it (the English summary stored with the entry is the fallback for
//! entries older than their details).

use crate::catalog::text_enum;
use crate::contracts::Status;

text_enum!(
    /// Every kind of timeline entry the services write. The details each
    /// one carries (beyond ids) are listed per variant.
    EventKind {
        /// `name`; `import_line` when a file brought it.
        CustomerCreated = "customer.created",
        CustomerUpdated = "customer.updated",
        /// The summary is the note's own text (never translated).
        NoteAdded = "note.added",
        /// `number`, `plan`; `import_line` and `status` when a file
        /// brought it.
        ContractCreated = "contract.created",
        /// `number` (status changes, also `from`, `to`, `reason`).
        ContractActivated = "contract.activated",
        ContractReactivated = "contract.reactivated",
        ContractSuspended = "contract.suspended",
        ContractCanceled = "contract.canceled",
        ContractPending = "contract.pending",
        /// `number`, `plan`, `effective_date`.
        ContractPlanChanged = "contract.plan_changed",
        ContractPlanChangeScheduled = "contract.plan_change_scheduled",
        /// `number`.
        ContractUpdated = "contract.updated",
        /// `number`, `old_price`, `new_price` (minor units).
        ContractPriceChanged = "contract.price_changed",
        /// `filename`, `kind` (document kind); rejections also `reason`.
        DocumentUploaded = "document.uploaded",
        DocumentVerified = "document.verified",
        DocumentRejected = "document.rejected",
        DocumentDeleted = "document.deleted",
        /// `number`, `total` (minor units), `due_date`.
        InvoiceIssued = "invoice.issued",
        /// `number`, `reason`.
        InvoiceVoided = "invoice.voided",
        /// `number`, `invoice_number`, `total` (minor units).
        CreditNoteIssued = "credit_note.issued",
        /// `receipt_number`, `amount` (minor units), `method`.
        PaymentReceived = "payment.received",
        /// `receipt_number` (of the payment), `amount`, `reason`.
        PaymentRefunded = "payment.refunded",
        PaymentReversed = "payment.reversed",
        /// `number` (the invoice), `step` (`reminder-3`, …), `due_date`.
        CollectionsReminderSent = "collections.reminder_sent",
        /// `number` (the invoice), `owed` (minor units), `suspend_from`.
        CollectionsNoticeSent = "collections.notice_sent",
        /// `number` (the contract), `until` (the last day of the unlock).
        CollectionsUnlocked = "collections.unlocked",
        /// `number` (the contract), `up_kbps`, `down_kbps` (the reduced
        /// rate), `suspend_from` (the day suspension may come).
        CollectionsSpeedReduced = "collections.speed_reduced",
        /// `number` (the contract), `why` (`paid`, `unlocked`, `suspended`).
        CollectionsSpeedRestored = "collections.speed_restored",
    }
);

impl EventKind {
    /// The entry a contract's move to `to` (from `from`) writes.
    pub fn of_transition(from: Status, to: Status) -> EventKind {
        match to {
            Status::Active if from == Status::PendingInstallation => EventKind::ContractActivated,
            Status::Active => EventKind::ContractReactivated,
            Status::Suspended => EventKind::ContractSuspended,
            Status::Canceled => EventKind::ContractCanceled,
            Status::PendingInstallation => EventKind::ContractPending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(EventKind::parse("contract.access_changed"), None);
    }

    #[test]
    fn transitions_name_their_entry() {
        use Status::*;
        let table = [
            (PendingInstallation, Active, EventKind::ContractActivated),
            (Suspended, Active, EventKind::ContractReactivated),
            (Active, Suspended, EventKind::ContractSuspended),
            (Active, Canceled, EventKind::ContractCanceled),
            (PendingInstallation, Canceled, EventKind::ContractCanceled),
            (Active, PendingInstallation, EventKind::ContractPending),
        ];
        for (from, to, kind) in table {
            assert_eq!(EventKind::of_transition(from, to), kind, "{from} → {to}");
        }
    }
}
