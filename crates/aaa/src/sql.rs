//! Placeholders for the multi-row statements of the accounting committer
//! and the auth log writer.
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
