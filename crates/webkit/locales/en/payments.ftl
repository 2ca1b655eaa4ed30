# Payments: the payments book, recording, refunds and reversals, receipts,
# invoices' payment status.

perm-payments-view = See payments, refunds and receipts
perm-payments-record = Record payments received by hand (cash, bank transfer)
perm-payments-refund = Refund and reverse payments

nav-payments = Payments

timeline-payment-received = Payment { $receipt } received: { $amount } by { $method }
timeline-payment-refunded = Refund of payment { $receipt }: { $amount } ({ $reason })
timeline-payment-reversed = Payment { $receipt } reversed: { $amount } ({ $reason })

payments-method-pix = Pix
payments-method-pix_automatico = Pix Automático
payments-method-boleto = Boleto
payments-method-stripe = Card (Stripe)
payments-method-paypal = PayPal
payments-method-cash = Cash
payments-method-bank_transfer = Bank transfer
payments-method-other = Other

payments-kind-payment = Payment
payments-kind-refund = Refund
payments-kind-reversal = Reversal

payments-status-open = Open
payments-status-partially_paid = Partially paid
payments-status-overdue = Overdue
payments-status-paid = Paid
payments-status-voided = Voided
payments-status-draft = Draft

payments-title = Payments
payments-none = No payments match.
payments-receipt = Receipt
payments-customer = Customer
payments-method = Method
payments-kind = Kind
payments-amount = Amount
payments-fee = Fee
payments-received-on = Received on
payments-reference = Reference
payments-gateway = Gateway
payments-notes = Notes
payments-invoice = Invoice
payments-from = From
payments-to = To
payments-search = Receipt or reference
payments-filter = Filter
payments-any = Any
payments-export = Export CSV
payments-more = Older payments
payments-recorded-by = Recorded by
payments-allocations = Applied to
payments-allocation-settles = paid
payments-allocation-reopens = opened again
payments-unapplied = Kept as credit
payments-refundable = Left to refund
payments-taken-back = Refunds and reversals
payments-receipt-pdf = Receipt (PDF)
payments-refund = Refund
payments-refund-title = Refund part of this payment
payments-refund-hint = The money not applied to invoices goes back first; then the newest invoices it paid are open again.
payments-reverse = Reverse
payments-reverse-title = Reverse this payment
payments-reverse-hint = For a transfer that bounced or a chargeback: everything left of the payment is taken back and the invoices it paid are open again.
payments-reason = Reason
payments-confirm-refund = Refund this amount?
payments-confirm-reverse = Reverse this payment? This cannot be undone.
payments-record = Record payment
payments-record-title = Record a payment
payments-record-hint = Cash, bank transfers and other money received by hand. It pays the chosen invoice first, then the oldest open ones; the rest stays as the customer's credit.
payments-credit = Credit
payments-of-invoice = Payments
payments-paid = Paid
payments-left = Left to pay
payments-invoice-none = No payments on this invoice.
refused-not-a-payment = Only a payment can be refunded or reversed.
refused-nothing-to-reverse = Nothing is left of this payment to reverse.

flash-payment-recorded = Payment recorded.
flash-payment-refunded = Refund recorded.
flash-payment-reversed = Payment reversed.
billing-docs-kind-refund = Refund
billing-docs-kind-reversal = Reversal
