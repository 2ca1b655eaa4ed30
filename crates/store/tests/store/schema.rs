//! The two migration sets build the same schema: after every migration,
//! SQLite and PostgreSQL have the same tables, columns (by name), indexes
//! (by table, name and uniqueness) and foreign keys. The differences that
//! are meant are listed below with their reason; any other difference, or a
//! listed one that is gone, fails the test.

use std::collections::BTreeSet;

use store::Db;

/// One fact about a schema, written the same way for both engines.
type Fact = String;

/// Tables only one engine has. Their columns, indexes and foreign keys are
/// left out of the comparison.
const SQLITE_ONLY_TABLES: &[(&str, &str)] = &[
    // Name and address search: FTS5 trigram tables kept by triggers, and
    // the shadow tables FTS5 keeps its index in. PostgreSQL has trigram
    // GIN indexes instead (see PG_TRGM_INDEXES).
    ("customers_fts", "FTS5 search table"),
    ("customers_fts_config", "FTS5 shadow table"),
    ("customers_fts_data", "FTS5 shadow table"),
    ("customers_fts_docsize", "FTS5 shadow table"),
    ("customers_fts_idx", "FTS5 shadow table"),
    ("customer_addresses_fts", "FTS5 search table"),
    ("customer_addresses_fts_config", "FTS5 shadow table"),
    ("customer_addresses_fts_data", "FTS5 shadow table"),
    ("customer_addresses_fts_docsize", "FTS5 shadow table"),
    ("customer_addresses_fts_idx", "FTS5 shadow table"),
];

/// Other facts only SQLite has.
const SQLITE_ONLY: &[(&str, &str)] = &[
    // PostgreSQL dropped it (0008) so that Interim-Updates, which change
    // updated_at, stay HOT updates; the stale sweep finds open sessions
    // through radius_sessions_open there. SQLite has no HOT updates to keep.
    (
        "index radius_sessions.radius_sessions_open_updated",
        "dropped on PostgreSQL for HOT updates (migration 0008)",
    ),
    // PostgreSQL's foreign-key check locks the parent row for every
    // inserted connection record (migration 0009); SQLite's is a lookup.
    (
        "foreign key radius_sessions.contract_id -> contracts.id",
        "dropped on PostgreSQL: a lock per accounting row (migration 0009)",
    ),
    (
        "foreign key radius_sessions.nas_id -> nas.id",
        "dropped on PostgreSQL: a lock per accounting row (migration 0009)",
    ),
];

/// Facts only PostgreSQL has, whatever extensions it offers.
const POSTGRES_ONLY: &[(&str, &str)] = &[];

/// PostgreSQL's trigram indexes, made by migration 0003 only when the
/// `pg_trgm` extension can be created (else search scans); SQLite's FTS5
/// tables do their work.
const PG_TRGM_INDEXES: &[&str] = &[
    "index customers.customers_search_trgm",
    "index customer_addresses.customer_addresses_search_trgm",
];

#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let sqlite = store::testing::sqlite().await;
    let postgres = store::testing::postgres().await;
    let lite = sqlite_facts(&sqlite).await;
    let pg = postgres_facts(&postgres).await;
    let trgm: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")
            .fetch_one(postgres.pool())
            .await
            .unwrap();
    sqlite.close().await;
    postgres.close().await;

    // Of the tables only SQLite is meant to have, compare the tables alone,
    // not their columns, indexes or keys.
    let meant_tables: BTreeSet<&str> = SQLITE_ONLY_TABLES.iter().map(|(t, _)| *t).collect();
    let lite: BTreeSet<Fact> = lite
        .into_iter()
        .filter(|f| {
            f.starts_with("table ") || !fact_table(f).is_some_and(|t| meant_tables.contains(t))
        })
        .collect();
    // Sanity: both engines were read (a query returning nothing would
    // make the comparison pass vacuously).
    for facts in [&lite, &pg] {
        assert!(facts.contains("table customers"), "{facts:#?}");
        assert!(facts.contains("column radius_sessions.acct_session_id"));
    }

    let mut want_lite: BTreeSet<Fact> = SQLITE_ONLY.iter().map(|(f, _)| f.to_string()).collect();
    want_lite.extend(meant_tables.iter().map(|t| format!("table {t}")));
    let mut want_pg: BTreeSet<Fact> = POSTGRES_ONLY.iter().map(|(f, _)| f.to_string()).collect();
    if trgm > 0 {
        want_pg.extend(PG_TRGM_INDEXES.iter().map(|f| f.to_string()));
    }
    let only_lite: BTreeSet<Fact> = lite.difference(&pg).cloned().collect();
    let only_pg: BTreeSet<Fact> = pg.difference(&lite).cloned().collect();

    let mut problems = Vec::new();
    for (side, found, want) in [
        ("SQLite", &only_lite, &want_lite),
        ("PostgreSQL", &only_pg, &want_pg),
    ] {
        for f in found.difference(want) {
            problems.push(format!("only on {side}, not listed as meant: {f}"));
        }
        for f in want.difference(found) {
            problems.push(format!("listed as only on {side}, but not so: {f}"));
        }
    }
    assert!(
        problems.is_empty(),
        "the schemas differ (add a migration pair, or list the difference \
         with its reason in this test):\n{}",
        problems.join("\n")
    );
}

/// The table a fact is about.
fn fact_table(fact: &str) -> Option<&str> {
    let rest = fact
        .strip_prefix("table ")
        .or_else(|| fact.strip_prefix("column "))
        .or_else(|| fact.strip_prefix("unique index "))
        .or_else(|| fact.strip_prefix("index "))
        .or_else(|| fact.strip_prefix("foreign key "))?;
    Some(rest.split(['.', ' ']).next().unwrap_or(rest))
}

fn index_fact(table: &str, name: &str, unique: bool) -> Fact {
    let kind = if unique { "unique index" } else { "index" };
    format!("{kind} {table}.{name}")
}

async fn sqlite_facts(db: &Db) -> BTreeSet<Fact> {
    let pool = db.pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut facts = BTreeSet::new();
    for t in &tables {
        facts.insert(format!("table {t}"));
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
            .bind(t)
            .fetch_all(pool)
            .await
            .unwrap();
        facts.extend(columns.iter().map(|c| format!("column {t}.{c}")));
        // origin 'c': made by CREATE INDEX (not a PRIMARY KEY or UNIQUE
        // constraint's automatic index, which PostgreSQL names otherwise)
        let indexes: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, \"unique\" FROM pragma_index_list($1) WHERE origin = 'c'")
                .bind(t)
                .fetch_all(pool)
                .await
                .unwrap();
        facts.extend(indexes.iter().map(|(i, u)| index_fact(t, i, *u != 0)));
        let fks: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list($1)")
                .bind(t)
                .fetch_all(pool)
                .await
                .unwrap();
        for (from, parent, to) in fks {
            // `REFERENCES parent` without a column means its primary key
            let to = to.unwrap_or_else(|| "id".into());
            facts.insert(format!("foreign key {t}.{from} -> {parent}.{to}"));
        }
    }
    facts
}

async fn postgres_facts(db: &Db) -> BTreeSet<Fact> {
    let pool = db.pool();
    let mut facts = BTreeSet::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    facts.extend(tables.iter().map(|t| format!("table {t}")));
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
          WHERE table_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    facts.extend(
        columns
            .iter()
            .filter(|(t, _)| tables.contains(t))
            .map(|(t, c)| format!("column {t}.{c}")),
    );
    // Indexes made by CREATE INDEX: not those behind a primary key, unique
    // or exclusion constraint.
    let indexes: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, CASE WHEN x.indisunique THEN 1 ELSE 0 END::bigint
           FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = current_schema()
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                             WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    facts.extend(indexes.iter().map(|(t, i, u)| index_fact(t, i, *u != 0)));
    let fks: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT t.relname::text, a.attname::text, p.relname::text, pa.attname::text,
                cardinality(c.conkey)::bigint
           FROM pg_constraint c
           JOIN pg_class t ON t.oid = c.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           JOIN pg_class p ON p.oid = c.confrelid
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
          WHERE c.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (t, from, parent, to, width) in fks {
        // every foreign key here is one column; a wider one would need
        // comparing whole column lists
        assert_eq!(width, 1, "foreign key {t}.{from} has {width} columns");
        facts.insert(format!("foreign key {t}.{from} -> {parent}.{to}"));
    }
    facts
}
