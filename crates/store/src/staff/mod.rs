//! Staff users, roles, sign-in sessions, sign-in throttling and API tokens.

pub mod api_tokens;
pub mod roles;
pub mod security;
pub mod sessions;
pub mod users;
