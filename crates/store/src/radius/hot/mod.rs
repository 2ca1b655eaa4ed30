//! The RADIUS hot path: every statement the AAA runtime (`crates/aaa`)
//! runs. The accounting committer's multi-row writes ([`acct`]), the
//! subscriber view's loads and re-reads and the NAS table ([`view`]), the
//! CoA / Disconnect queue ([`coa`]) and the authentication log ([`log`]).
//!
//! Speed decides the shape here more than elsewhere in the store:
//! statements are multi-row, chunked to a few fixed row counts
//! ([`ladder`]) so each text is prepared once per connection, and SQLite
//! gets anonymous `?` placeholders ([`Placeholders`]). The caller decides
//! the transaction, as everywhere in the store: functions take a
//! `&mut AnyConnection`, and those whose text differs per engine take the
//! [`Engine`] too.

mod acct;
mod coa;
mod log;
mod view;

use std::fmt::Write as _;

pub use acct::*;
pub use coa::*;
pub use log::*;
pub use view::*;

use sqlx::AnyConnection;

use crate::{Engine, Error, Result};

/// Writes placeholders in the order the arguments are bound.
///
/// SQLite gets anonymous `?`: for every numbered `$n`, sqlx-sqlite asks
/// SQLite for the parameter's name, which SQLite finds by a linear scan, so
/// binding a statement of thousands of placeholders is quadratic (measured:
/// 61% of the committer's CPU). PostgreSQL needs `$n`.
pub struct Placeholders {
    numbered: bool,
    next: usize,
}

impl Placeholders {
    /// Placeholders for `engine`, the first bound argument first.
    pub fn new(engine: Engine) -> Placeholders {
        Placeholders {
            numbered: engine == Engine::Postgres,
            next: 1,
        }
    }

    /// Appends the next placeholder.
    pub fn push(&mut self, sql: &mut String) {
        if self.numbered {
            let _ = write!(sql, "${}", self.next);
        } else {
            sql.push('?');
        }
        self.next += 1;
    }

    /// Appends `rows` parenthesised groups of `columns` placeholders:
    /// `($1,$2),($3,$4)`.
    pub fn rows(&mut self, sql: &mut String, rows: usize, columns: usize) {
        for i in 0..rows {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for k in 0..columns {
                if k > 0 {
                    sql.push(',');
                }
                self.push(sql);
            }
            sql.push(')');
        }
    }
}

/// `items` in chunks whose lengths are powers of two, at most `max` (a
/// power of two): 300 → 256, 32, 8, 4. A multi-row statement's text depends
/// on its row count; with a few fixed counts each text is prepared once per
/// connection and stays in sqlx's statement cache. Batches of every size
/// from 1 to thousands would otherwise parse and plan a new statement of up
/// to thousands of placeholders nearly every time (measured: throughput
/// fell as the window grew).
pub fn ladder<T>(mut items: &[T], max: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    while !items.is_empty() {
        let n = if items.len() >= max {
            max
        } else {
            1 << items.len().ilog2()
        };
        let (head, rest) = items.split_at(n);
        out.push(head);
        items = rest;
    }
    out
}

/// An argument of a [`select_page`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// What [`select_page`] read.
#[derive(Debug)]
pub struct Page<T> {
    /// The rows that decode.
    pub rows: Vec<T>,
    /// Rows the query returned, those left out included.
    pub returned: usize,
    /// The first column of the last row returned, when it is an integer
    /// (the key a keyset-paged query goes on from).
    pub last_key: Option<i64>,
}

/// `SELECT {cols} {rest}` with every row at once. On SQLite the rows come
/// back as one JSON array: sqlx-sqlite hands rows over from its worker
/// thread one at a time, about 8 µs each (0.87 s of a 1.1 s start-up with
/// 110,000 contracts), and one document is a single hand-off. `rest` must
/// not aggregate (wrap a `GROUP BY` in a subquery) and may use `$1`… for
/// `args`. Keep
/// results to a few megabytes (page large tables): the allocator keeps the
/// heap a large document grew, and RSS with it.
///
/// A row that does not decode (a value of the wrong type) is left out and
/// logged: one bad row never stops the RADIUS server from starting or its
/// view from being refreshed. The page also says how many rows the query
/// returned and the key of the last one, so a paged read goes past a row
/// left out.
pub(crate) async fn select_page<T>(
    c: &mut AnyConnection,
    engine: Engine,
    cols: &str,
    rest: &str,
    args: &[Arg<'_>],
) -> Result<Page<T>>
where
    T: serde::de::DeserializeOwned + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    use sqlx::Row as _;
    let what = rest.split_whitespace().nth(1).unwrap_or(rest);
    let mut skipped = 0usize;
    let mut out = Vec::new();
    let returned;
    let last_key;
    if engine != Engine::Sqlite {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {cols} {rest}")));
        for a in args {
            q = match *a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v.to_owned()),
            };
        }
        let rows = q.fetch_all(c).await?;
        returned = rows.len();
        last_key = rows.last().and_then(|r| r.try_get::<i64, _>(0).ok());
        out.reserve(rows.len());
        for row in &rows {
            match T::from_row(row) {
                Ok(t) => out.push(t),
                Err(e) => {
                    skipped += 1;
                    if skipped <= 10 {
                        tracing::error!(table = what, error = %e, "row left out: it does not decode");
                    }
                }
            }
        }
    } else {
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!(
            "SELECT json_group_array(json_array({cols})) {rest}"
        )));
        for a in args {
            q = match *a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v.to_owned()),
            };
        }
        let doc = q.fetch_one(c).await?;
        let rows: Vec<&serde_json::value::RawValue> = serde_json::from_str(&doc)
            .map_err(|e| Error::Config(format!("{what}: rows as JSON: {e}")))?;
        returned = rows.len();
        last_key = rows.last().and_then(|r| {
            let v: Vec<serde_json::Value> = serde_json::from_str(r.get()).ok()?;
            v.first()?.as_i64()
        });
        out.reserve(rows.len());
        for row in rows {
            match serde_json::from_str(row.get()) {
                Ok(t) => out.push(t),
                Err(e) => {
                    skipped += 1;
                    if skipped <= 10 {
                        tracing::error!(table = what, row = row.get(), error = %e, "row left out: it does not decode");
                    }
                }
            }
        }
    }
    if skipped > 0 {
        tracing::error!(
            table = what,
            skipped,
            "rows left out because they do not decode (see the lines above)"
        );
    }
    Ok(Page {
        rows: out,
        returned,
        last_key,
    })
}

/// [`select_page`]'s rows alone.
pub(crate) async fn select_all<T>(
    c: &mut AnyConnection,
    engine: Engine,
    cols: &str,
    rest: &str,
    args: &[Arg<'_>],
) -> Result<Vec<T>>
where
    T: serde::de::DeserializeOwned + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    Ok(select_page(c, engine, cols, rest, args).await?.rows)
}

#[cfg(test)]
mod tests {
    use super::{Placeholders, ladder};
    use crate::Engine;

    #[test]
    fn numbered_for_postgres_anonymous_for_sqlite() {
        let mut sql = String::new();
        let mut p = Placeholders::new(Engine::Postgres);
        p.push(&mut sql);
        p.rows(&mut sql, 2, 2);
        assert_eq!(sql, "$1($2,$3),($4,$5)");
        let mut sql = String::new();
        Placeholders::new(Engine::Sqlite).rows(&mut sql, 2, 3);
        assert_eq!(sql, "(?,?,?),(?,?,?)");
    }

    #[test]
    fn ladder_chunks_are_powers_of_two() {
        let v: Vec<u32> = (0..300).collect();
        let sizes: Vec<usize> = ladder(&v, 256).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [256, 32, 8, 4]);
        let v: Vec<u32> = (0..600).collect();
        let sizes: Vec<usize> = ladder(&v, 256).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [256, 256, 64, 16, 8]);
        assert!(ladder(&v[..0], 256).is_empty());
    }
}
