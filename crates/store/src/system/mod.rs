//! The installation: the audit log, company profile, settings, jobs and
//! their schedules, cluster nodes and the e-mail outbox.

pub mod audit;
pub mod company;
pub mod jobs;
pub mod nodes;
pub mod outbox;
pub mod schedules;
pub mod settings;
