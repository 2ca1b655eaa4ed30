//! Billing: tax rates, invoices and credit notes (lines, taxes, numbers),
//! billing runs with the billed periods that make them exactly-once,
//! one-off charges waiting for a contract's next invoice, discounts on
//! contracts and the promo codes that create them, the invoice templates
//! and customers' statements.

pub mod discounts;
pub mod documents;
pub mod promos;
pub mod reports;
pub mod runs;
pub mod statement;
pub mod taxes;
pub mod templates;
