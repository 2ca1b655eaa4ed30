//! CNAB (stub)
