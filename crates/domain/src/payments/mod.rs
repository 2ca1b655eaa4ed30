//! Payments' rules: what a row of the payments book is (a payment, a
//! refund, a reversal), how money arrived, and an invoice's payment status
//! derived from its total, what credit notes took back and what was paid.

use crate::catalog::text_enum;

text_enum!(
    /// What a row of the payments book is. Amounts are always positive;
    /// the kind gives the sign.
    Kind {
        /// Money received from the customer.
        Payment = "payment",
        /// Money given back to the customer (part or all of a payment).
        Refund = "refund",
        /// Money that never arrived after all: a bounced transfer, a
        /// chargeback. Takes back all that is left of a payment.
        Reversal = "reversal",
    }
);

impl Kind {
    /// +1 for money in, −1 for money given back or taken back.
    pub fn sign(self) -> i64 {
        match self {
            Kind::Payment => 1,
            Kind::Refund | Kind::Reversal => -1,
        }
    }
}

text_enum!(
    /// How the money moved.
    Method {
        Pix = "pix",
        PixAutomatico = "pix_automatico",
        Boleto = "boleto",
        Stripe = "stripe",
        Paypal = "paypal",
        Cash = "cash",
        BankTransfer = "bank_transfer",
        Other = "other",
    }
);

impl Method {
    /// Methods staff record by hand (with `payments.record`); the others
    /// arrive from a gateway or a bank file and are recorded by the
    /// system (webhooks, reconciliation).
    pub fn is_manual(self) -> bool {
        matches!(self, Method::Cash | Method::BankTransfer | Method::Other)
    }
}

text_enum!(
    /// An invoice's status as people read it: its document status and
    /// what was paid.
    InvoiceStatus {
        /// Issued, nothing paid yet and not due yet (or due today).
        Open = "open",
        /// Some paid, the rest not late yet.
        PartiallyPaid = "partially_paid",
        /// Something left to pay after the due date.
        Overdue = "overdue",
        /// Nothing left to pay.
        Paid = "paid",
        /// Voided: a credit note took it back.
        Voided = "voided",
        /// Not issued yet.
        Draft = "draft",
    }
);

/// The amounts that decide an invoice's payment status (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceAmounts {
    pub total: i64,
    /// What issued credit notes took back, as a positive amount.
    pub credited: i64,
    /// What payments settled.
    pub paid: i64,
}

impl InvoiceAmounts {
    /// What is left to pay (negative when more was settled than owed).
    pub fn open(self) -> i64 {
        self.total - self.credited - self.paid
    }
}

/// The payment status of an invoice whose document status is `status`
/// (`draft`, `issued`, `voided`), due on `due_date`, as of `today` (both
/// `YYYY-MM-DD`, compared as text). Overdue wins over partially paid: what
/// collections act on is that something is late.
pub fn invoice_status(
    status: &str,
    amounts: InvoiceAmounts,
    due_date: &str,
    today: &str,
) -> InvoiceStatus {
    match status {
        "voided" => return InvoiceStatus::Voided,
        "draft" => return InvoiceStatus::Draft,
        _ => {}
    }
    let open = amounts.open();
    if open <= 0 {
        InvoiceStatus::Paid
    } else if due_date < today {
        InvoiceStatus::Overdue
    } else if amounts.paid > 0 {
        InvoiceStatus::PartiallyPaid
    } else {
        InvoiceStatus::Open
    }
}

/// How much of `amount` goes to each open invoice, in the order given
/// (the named invoice first, then oldest due first): each takes what it
/// has open until the money runs out. Returns `(index, amount)` pairs and
/// what is left (the customer's credit).
pub fn allocate(amount: i64, open: &[i64]) -> (Vec<(usize, i64)>, i64) {
    let mut left = amount.max(0);
    let mut out = Vec::new();
    for (i, o) in open.iter().enumerate() {
        if left == 0 {
            break;
        }
        let take = (*o).min(left);
        if take > 0 {
            out.push((i, take));
            left -= take;
        }
    }
    (out, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(total: i64, credited: i64, paid: i64) -> InvoiceAmounts {
        InvoiceAmounts {
            total,
            credited,
            paid,
        }
    }

    #[test]
    fn status_is_derived() {
        use InvoiceStatus::*;
        let today = "2026-05-10";
        let table = [
            ("issued", amounts(100, 0, 0), "2026-05-10", Open),
            ("issued", amounts(100, 0, 0), "2026-05-20", Open),
            ("issued", amounts(100, 0, 0), "2026-05-09", Overdue),
            ("issued", amounts(100, 0, 40), "2026-05-20", PartiallyPaid),
            ("issued", amounts(100, 0, 40), "2026-05-01", Overdue),
            ("issued", amounts(100, 0, 100), "2026-05-01", Paid),
            ("issued", amounts(100, 30, 70), "2026-05-01", Paid),
            ("issued", amounts(100, 100, 0), "2026-05-01", Paid),
            ("issued", amounts(100, 30, 80), "2026-05-20", Paid),
            ("issued", amounts(100, 30, 20), "2026-05-20", PartiallyPaid),
            ("voided", amounts(100, 100, 0), "2026-05-01", Voided),
            ("voided", amounts(100, 0, 0), "2026-05-01", Voided),
            ("draft", amounts(100, 0, 0), "2026-05-01", Draft),
            ("issued", amounts(0, 0, 0), "2026-05-01", Paid),
        ];
        for (status, a, due, want) in table {
            assert_eq!(
                invoice_status(status, a, due, today),
                want,
                "{status} {a:?} {due}"
            );
        }
    }

    #[test]
    fn open_is_total_less_credited_and_paid() {
        assert_eq!(amounts(100, 30, 20).open(), 50);
        assert_eq!(amounts(100, 30, 80).open(), -10);
    }

    #[test]
    fn allocation_fills_in_order_and_leaves_credit() {
        assert_eq!(
            allocate(150, &[100, 30, 50]),
            (vec![(0, 100), (1, 30), (2, 20)], 0)
        );
        assert_eq!(allocate(200, &[100, 30]), (vec![(0, 100), (1, 30)], 70));
        assert_eq!(allocate(50, &[0, 80]), (vec![(1, 50)], 0));
        assert_eq!(allocate(50, &[]), (vec![], 50));
        assert_eq!(allocate(0, &[10]), (vec![], 0));
    }

    #[test]
    fn kinds_and_methods_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(*m));
        }
        assert!(Method::Cash.is_manual() && !Method::Pix.is_manual());
        assert_eq!(Kind::Refund.sign(), -1);
    }
}
