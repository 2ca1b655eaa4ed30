//! The network area's tables (migration `0031_network`): the inventory
//! (sites, devices, links) and IP address management (prefixes, pools and
//! the slots taken in them).

pub mod inventory;
pub mod ipam;

/// `%text%` for a case-insensitive `LOWER(col) LIKE`, with the pattern's
/// own wildcards taken out (names are searched, not patterned).
pub(crate) fn like(q: &str) -> String {
    let q: String = q
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    format!("%{q}%")
}
