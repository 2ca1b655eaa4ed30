//! Billing: tax rates, invoices and credit notes (lines, taxes, numbers),
//! billing runs with the billed periods that make them exactly-once, and
//! one-off charges waiting for a contract's next invoice.

pub mod documents;
pub mod reports;
pub mod runs;
pub mod taxes;
