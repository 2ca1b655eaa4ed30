//! Bulk SQL: placeholders for the multi-row statements of the accounting
//! committer and the auth log writer, and whole-table reads for the view.
//!
//! SQLite gets anonymous `?`: for every numbered `$n`, sqlx-sqlite asks
//! SQLite for the parameter's name, which SQLite finds by a linear scan, so
//! binding a statement of thousands of placeholders is quadratic (measured:
//! 61% of the committer's CPU). PostgreSQL needs `$n`.

use std::fmt::Write as _;

/// Writes placeholders in the order the arguments are bound.
pub(crate) struct Placeholders {
    numbered: bool,
    next: usize,
}

impl Placeholders {
    /// Placeholders for `engine`, the first bound argument first.
    pub fn new(engine: store::Engine) -> Placeholders {
        Placeholders {
            numbered: engine == store::Engine::Postgres,
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

/// The one argument of a [`select_all`].
pub(crate) enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// `SELECT {cols} {rest}` with every row at once. On SQLite the rows come
/// back as one JSON array: sqlx-sqlite hands rows over from its worker
/// thread one at a time, about 8 µs each (0.87 s of a 1.1 s start-up with
/// 110,000 contracts), and one document is a single hand-off. `rest` must
/// not aggregate (wrap a `GROUP BY` in a subquery) and may use `$1`. Keep
/// results to a few megabytes (page large tables): glibc keeps the heap a
/// large document grew, and RSS with it.
pub(crate) async fn select_all<T>(
    c: &mut sqlx::AnyConnection,
    engine: store::Engine,
    cols: &str,
    rest: &str,
    arg: Option<Arg<'_>>,
) -> crate::Result<Vec<T>>
where
    T: serde::de::DeserializeOwned + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    if engine != store::Engine::Sqlite {
        let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(format!("SELECT {cols} {rest}")));
        q = match arg {
            Some(Arg::Int(v)) => q.bind(v),
            Some(Arg::Text(v)) => q.bind(v.to_owned()),
            None => q,
        };
        return Ok(q.fetch_all(c).await?);
    }
    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!(
        "SELECT json_group_array(json_array({cols})) {rest}"
    )));
    q = match arg {
        Some(Arg::Int(v)) => q.bind(v),
        Some(Arg::Text(v)) => q.bind(v.to_owned()),
        None => q,
    };
    let doc = q.fetch_one(c).await?;
    serde_json::from_str(&doc).map_err(|e| crate::Error::Internal(format!("rows as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::Placeholders;

    #[test]
    fn numbered_for_postgres_anonymous_for_sqlite() {
        let mut sql = String::new();
        let mut p = Placeholders::new(store::Engine::Postgres);
        p.push(&mut sql);
        p.rows(&mut sql, 2, 2);
        assert_eq!(sql, "$1($2,$3),($4,$5)");
        let mut sql = String::new();
        Placeholders::new(store::Engine::Sqlite).rows(&mut sql, 2, 3);
        assert_eq!(sql, "(?,?,?),(?,?,?)");
    }
}
