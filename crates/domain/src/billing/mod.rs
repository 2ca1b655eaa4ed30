//! Billing's rules: exact percentages and half-up rounding, taxes (on top,
//! included VAT-style, included as a share of the price), billing periods
//! and proration by days, discounts and promo codes, and the lines, totals,
//! status and numbering of invoices and credit notes.

pub mod discount;
pub mod invoice;
pub mod period;
pub mod rate;
pub mod tax;

pub use rate::Rate;
