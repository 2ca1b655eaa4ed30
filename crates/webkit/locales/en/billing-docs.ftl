# Billing documents: invoice PDFs and their template, the customer's
# billing tab (balance, open invoices, statement), e-mail on issue.

billing-docs-tab = Billing
billing-docs-account = Account
billing-docs-balance = Balance
billing-docs-open-count = Open invoices
billing-docs-open = Open invoices
billing-docs-open-none = No open invoices.
billing-docs-number = Number
billing-docs-issued = Issued
billing-docs-due = Due
billing-docs-total = Total
billing-docs-open-amount = Left to pay
billing-docs-statement = Statement
billing-docs-statement-pdf = Download PDF
billing-docs-statement-hint = Every issued invoice and credit note of the period, with the balance after each. A positive balance is owed by the customer.
billing-docs-reference = Reference
billing-docs-status = Status
billing-docs-statement-csv = Export CSV
billing-docs-date = Date
billing-docs-document = Document
billing-docs-amount = Amount
billing-docs-running = Balance
billing-docs-opening = Opening balance
billing-docs-closing = Closing balance
billing-docs-kind-invoice = Invoice
billing-docs-kind-credit-note = Credit note
billing-docs-kind-payment = Payment
billing-docs-credits = credits { $number }
billing-docs-voided = Voided

invoice-template-title = Invoice template
invoice-template-body = Template text
invoice-template-syntax = # starts a heading, - a list item, **text** is bold, | key | value | is a table row. A paragraph holding only {"{{"}lines{"}}"}, {"{{"}taxes{"}}"}, {"{{"}totals{"}}"} or {"{{"}payment{"}}"} becomes that section. Paragraphs are separated by a blank line.
invoice-template-preview = Preview PDF
invoice-template-reset = Back to the built-in template
invoice-template-confirm-reset = Replace the edited template with the built-in one? Your text is lost.
invoice-template-placeholders-hint = Type them in the text as shown; each becomes the document's value when the PDF is made, for invoices and credit notes alike. The preview uses a sample invoice.
flash-invoice-template-saved = Invoice template saved.
flash-invoice-template-reset = The built-in invoice template is in use again.

invoice-placeholder-company-name = Your company's name
invoice-placeholder-company-document = Your company's CNPJ or tax id
invoice-placeholder-customer-name = Customer's name
invoice-placeholder-customer-document = Customer's CPF or CNPJ
invoice-placeholder-customer-email = Customer's billing e-mail
invoice-placeholder-billing-address = Customer's billing address
invoice-placeholder-service-address = The contract's service address
invoice-placeholder-document-title = "Invoice" or "Credit note"
invoice-placeholder-document-number = The document's number
invoice-placeholder-document-issue-date = Issue date
invoice-placeholder-document-due-date = Due date
invoice-placeholder-document-reference = For a credit note: the invoice it credits (empty on invoices)
invoice-placeholder-document-notes = The document's notes (a credit note's reason)
invoice-placeholder-document-total = The amount to pay (or credited)
invoice-placeholder-currency-minor-unit = The currency's smallest amount, e.g. R$ 0.01
invoice-placeholder-lines = Section: every line with its period, quantity, unit price, discount and total
invoice-placeholder-taxes = Section: each tax with its rate, base and amount
invoice-placeholder-totals = Section: net, discounts, taxes and the total
invoice-placeholder-payment = Section: how to pay (Pix, boleto, card), under its own heading; left out of credit notes

setting-email-send-invoices = E-mail invoices and credit notes
setting-email-send-invoices-hint = When one is issued, send it to the customer's first e-mail address with the PDF attached.
setting-email-public-url = Public address
setting-email-public-url-hint = The address customers reach this system at, e.g. https://pay.yourprovider.com. Payment links in invoices, e-mails, reminders and notices start with it. Empty: the public_url of the configuration file; without either, messages carry no link.
