//! The layers as ARCHITECTURE.md writes them, checked from `cargo metadata`:
//! a crate that depends on one it must not fails this test.
//!
//! Dependencies point one way: protocol crates know nothing of Lastmile,
//! `domain` knows only them, `store` adds the database, `services` the
//! business areas, and the interfaces use services: `aaa` (RADIUS), and
//! the HTTP ones, `admin` (the panel) and `api` (REST), over the shared
//! `webkit`, composed by `web`. Only `store` writes SQL (services hold
//! sqlx's connection types, to pass the caller's transaction down); only
//! the HTTP crates speak HTTP (axum), and only those that render pages
//! HTML (askama: `admin`, and `api` for its reference page). The binary
//! wires everything.
//!
//! `KNOWN` lists the edges that break these rules today, each with the work
//! that removes it; the test fails on any edge outside the rules and
//! `KNOWN`, and on a `KNOWN` edge that no longer exists (so the list only
//! shrinks).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Which workspace and outside crates each workspace crate may depend on
/// (normal dependencies; tests may use more).
const RULES: &[(&str, &[&str])] = &[
    ("radius", &[]),
    ("brpay", &[]),
    ("pdfdoc", &[]),
    // axum only behind the `fake` feature: the local provider servers tests use.
    ("gateways", &["brpay", "axum"]),
    // axum only behind the `fake` feature: the fake router's REST face.
    ("routeros", &["axum"]),
    ("radload", &["radius"]),
    ("domain", &["radius", "brpay"]),
    ("store", &["domain", "sqlx"]),
    (
        "services",
        &[
            "domain", "store", "radius", "brpay", "pdfdoc", "gateways", "sqlx",
        ],
    ),
    ("aaa", &["domain", "services", "radius"]),
    ("webkit", &["domain", "services", "radius", "brpay", "axum"]),
    (
        "admin",
        &[
            "domain", "services", "webkit", "radius", "brpay", "axum", "askama",
        ],
    ),
    (
        "api",
        &[
            "domain", "services", "webkit", "radius", "brpay", "axum", "askama",
        ],
    ),
    // services and domain: the Pix webhook listener (mutual TLS) hands
    // the PSP's notifications to the payments service.
    (
        "web",
        &["webkit", "admin", "api", "domain", "services", "axum"],
    ),
    (
        "lastmile",
        &[
            "domain", "store", "services", "web", "aaa", "radius", "brpay", "pdfdoc", "gateways",
            "sqlx",
        ],
    ),
];

/// Edges that break the rules today, and what removes them (none now:
/// an edge added here must name the work that removes it).
const KNOWN: &[(&str, &str, &str)] = &[];

/// Outside crates the rules name; others are free to use.
const WATCHED: &[&str] = &["sqlx", "axum", "askama"];

#[test]
fn crates_depend_only_on_the_layers_below_them() {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let packages = meta["packages"].as_array().expect("packages");
    let ours: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let rules: BTreeMap<&str, &[&str]> = RULES.iter().copied().collect();
    let mut wrong = Vec::new();
    let mut seen_known = BTreeSet::new();
    for p in packages {
        let name = p["name"].as_str().expect("name");
        let Some(allowed) = rules.get(name) else {
            wrong.push(format!(
                "{name}: a workspace crate without a rule (add it to RULES and ARCHITECTURE.md)"
            ));
            continue;
        };
        for d in p["dependencies"].as_array().expect("dependencies") {
            if !d["kind"].is_null() {
                continue; // dev and build dependencies
            }
            let dep = d["name"].as_str().expect("dependency name");
            if !ours.contains(dep) && !WATCHED.contains(&dep) {
                continue;
            }
            if allowed.contains(&dep) {
                continue;
            }
            if KNOWN.iter().any(|(a, b, _)| *a == name && *b == dep) {
                seen_known.insert((name, dep));
                continue;
            }
            wrong.push(format!("{name} → {dep}"));
        }
    }
    for (a, b, why) in KNOWN {
        if !seen_known.contains(&(*a, *b)) {
            wrong.push(format!("{a} → {b} is gone ({why}): remove it from KNOWN"));
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against the layers:\n  {}",
        wrong.join("\n  ")
    );
}
