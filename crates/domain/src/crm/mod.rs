//! Customers' rules: tax documents (CPF, CNPJ, foreign ids), postal codes,
//! phone numbers, search keys and the timeline's entry kinds.

pub mod cep;
pub mod document;
pub mod phone;
pub mod search;
pub mod timeline;
