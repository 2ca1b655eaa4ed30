//! Building queries whose filters vary: placeholders are numbered as the
//! arguments are added, then bound in that order.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::{QueryAs, QueryScalar};

pub(crate) enum Arg {
    I(i64),
    S(String),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::I(v)
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::S(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::S(v.to_owned())
    }
}

#[derive(Default)]
pub(crate) struct Params(Vec<Arg>, bool);

impl Params {
    /// Params whose placeholders are anonymous (`?`) on SQLite: sqlx binds
    /// a named `$n` there by asking SQLite each name in turn, quadratic in a
    /// statement of thousands of them. Each placeholder must then appear in
    /// the statement once, in the order the arguments are added.
    pub fn for_conn(conn: &sqlx::AnyConnection) -> Params {
        Params(
            Vec::new(),
            conn.backend_name().eq_ignore_ascii_case("sqlite"),
        )
    }

    /// Adds an argument; returns its placeholder (`$n`, or `?`: see
    /// [`Params::for_conn`]).
    pub fn add(&mut self, a: impl Into<Arg>) -> String {
        self.0.push(a.into());
        if self.1 {
            "?".to_owned()
        } else {
            format!("${}", self.0.len())
        }
    }

    pub fn bind_as<'q, O>(
        self,
        mut q: QueryAs<'q, Any, O, AnyArguments>,
    ) -> QueryAs<'q, Any, O, AnyArguments> {
        for a in self.0 {
            q = match a {
                Arg::I(v) => q.bind(v),
                Arg::S(v) => q.bind(v),
            };
        }
        q
    }

    pub fn bind_query<'q>(
        self,
        mut q: sqlx::query::Query<'q, Any, AnyArguments>,
    ) -> sqlx::query::Query<'q, Any, AnyArguments> {
        for a in self.0 {
            q = match a {
                Arg::I(v) => q.bind(v),
                Arg::S(v) => q.bind(v),
            };
        }
        q
    }

    pub fn bind_scalar<'q, O>(
        self,
        mut q: QueryScalar<'q, Any, O, AnyArguments>,
    ) -> QueryScalar<'q, Any, O, AnyArguments> {
        for a in self.0 {
            q = match a {
                Arg::I(v) => q.bind(v),
                Arg::S(v) => q.bind(v),
            };
        }
        q
    }
}

/// A list of ids as SQL text (`1, 2, 3`): ids are integers, so inlining them
/// is safe and spares a placeholder per id.
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The condition "`column` contains every word" for name and address search:
/// FTS5 trigram on SQLite (`fts` is the virtual table over `table`), LIKE
/// (trigram-indexed when pg_trgm is there) on PostgreSQL. Words are folded
/// search text: letters, digits, no LIKE metacharacters.
pub(crate) fn words_condition(
    engine: crate::Engine,
    p: &mut Params,
    id_column: &str,
    text_column: &str,
    fts: &str,
    words: &[String],
) -> String {
    let likes = |p: &mut Params, col: &str| {
        words
            .iter()
            .map(|w| format!("{col} LIKE {}", p.add(format!("%{w}%"))))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    match engine {
        crate::Engine::Sqlite => format!(
            "{id_column} IN (SELECT rowid FROM {fts} WHERE {})",
            likes(p, &format!("{fts}.search_text"))
        ),
        crate::Engine::Postgres => format!("({})", likes(p, text_column)),
    }
}
