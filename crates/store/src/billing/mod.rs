//! Billing: tax rates, invoices and credit notes (lines, taxes, numbers),
//! billing runs with the billed periods that make them exactly-once,
//! one-off charges waiting for a contract's next invoice, the invoice
//! templates and customers' statements.

pub mod documents;
pub mod runs;
pub mod statement;
pub mod taxes;
pub mod templates;
