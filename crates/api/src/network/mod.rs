//! The network area's API: the inventory (`/api/v1/sites`, `/devices`,
//! `/links`) in [`inventory`] and IP address management (`/prefixes`,
//! `/pools`, `/assignments`) in [`ipam`]. Operation ids are
//! `network.<resource>.<verb>`.

mod inventory;
mod ipam;

use utoipa_axum::router::OpenApiRouter;
use webkit::state::AppState;

use crate::problem::Problem;

/// Every network path.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(inventory::routes())
        .merge(ipam::routes())
}

/// Parses a text choice, naming the field and the accepted values.
fn choice<T: Copy>(
    field: &str,
    v: &str,
    all: &[T],
    parse: impl Fn(&str) -> Option<T>,
    text: impl Fn(T) -> &'static str,
) -> Result<T, Problem> {
    parse(v.trim()).ok_or_else(|| {
        let names: Vec<String> = all.iter().map(|x| format!("`{}`", text(*x))).collect();
        Problem::invalid(
            field,
            "choice",
            format!("must be one of {}", names.join(", ")),
        )
    })
}

/// An optional filter choice: empty or absent is none.
fn filter_choice<T: Copy>(
    field: &str,
    v: Option<&str>,
    all: &[T],
    parse: impl Fn(&str) -> Option<T>,
    text: impl Fn(T) -> &'static str,
) -> Result<Option<String>, Problem> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => Ok(Some(text(choice(field, t, all, parse, &text)?).to_owned())),
    }
}

fn invalid(e: domain::validate::Invalid) -> Problem {
    services::Error::invalid(e.field, e.error).into()
}
