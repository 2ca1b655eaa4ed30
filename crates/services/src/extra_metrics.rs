//! Metrics owned by parts the web crate does not depend on (the RADIUS
//! server): they register a renderer here and `/metrics` appends its
//! Prometheus text. One renderer per part name; a later registration
//! replaces the earlier one.

use std::sync::{Arc, Mutex};

type Renderer = Arc<dyn Fn(&mut String) + Send + Sync>;

static RENDERERS: Mutex<Vec<(&'static str, Renderer)>> = Mutex::new(Vec::new());

/// Registers (or replaces) the renderer named `part`.
pub fn register(part: &'static str, f: impl Fn(&mut String) + Send + Sync + 'static) {
    if let Ok(mut v) = RENDERERS.lock() {
        v.retain(|(p, _)| *p != part);
        v.push((part, Arc::new(f)));
    }
}

/// Removes the renderer named `part` (its part stopped).
pub fn unregister(part: &'static str) {
    if let Ok(mut v) = RENDERERS.lock() {
        v.retain(|(p, _)| *p != part);
    }
}

/// Appends every registered part's text.
pub fn render(out: &mut String) {
    let list: Vec<Renderer> = match RENDERERS.lock() {
        Ok(v) => v.iter().map(|(_, f)| f.clone()).collect(),
        Err(_) => return,
    };
    for f in list {
        f(out);
    }
}
