//! The installation: first-run setup, settings, the audit log, backups,
//! health, background jobs and e-mail.

pub mod audit;
pub mod backup;
pub mod email;
pub mod health;
pub mod jobs;
pub mod settings;
pub mod setup;
