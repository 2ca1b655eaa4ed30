-- A customer's preferred language for what is sent to them (invoice
-- e-mails and PDFs, receipts, reminders, notices): `en` or `pt-BR`, or
-- empty to follow the company's language (so changing the company's
-- language moves every customer who never chose one).
ALTER TABLE customers ADD COLUMN locale TEXT NOT NULL DEFAULT '';
