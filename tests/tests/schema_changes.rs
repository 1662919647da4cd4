//! Schema changes end to end: `ALTER TABLE`, `CREATE OR REPLACE TABLE`, and how DDL meets
//! concurrent transactions (isolation, rollback, commit-time conflicts); plus DuckDB's
//! `FROM`-first queries and `SET`/`PRAGMA`/`CHECKPOINT` statements.

use llkv_reference_engine::{DialectKind, Engine, Session};
use llkv_tests::{exec, query, table};

fn duckdb() -> Engine {
    Engine::builder()
        .dialect(DialectKind::DuckDb)
        .build()
        .expect("engine")
}

fn error(s: &mut Session, sql: &str) -> String {
    match s.execute(sql) {
        Ok(_) => panic!("expected an error: {sql}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn alter_table_column_operations() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(
        &mut s,
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c REAL)",
    );
    exec(&mut s, "INSERT INTO t VALUES (1, 'x', 1.5), (2, 'y', 2.5)");
    exec(&mut s, "ALTER TABLE t ADD COLUMN d INTEGER DEFAULT 7");
    assert_eq!(
        query(&mut s, "SELECT a, d FROM t ORDER BY a"),
        table(&[&["1", "7"], &["2", "7"]])
    );
    // New rows take the default too.
    exec(&mut s, "INSERT INTO t (a, b) VALUES (3, 'z')");
    exec(&mut s, "ALTER TABLE t DROP COLUMN c");
    exec(&mut s, "ALTER TABLE t RENAME COLUMN b TO label");
    assert_eq!(
        query(&mut s, "SELECT * FROM t ORDER BY a"),
        table(&[&["1", "x", "7"], &["2", "y", "7"], &["3", "z", "7"]])
    );
    exec(&mut s, "ALTER TABLE t ALTER COLUMN d TYPE TEXT");
    assert_eq!(
        query(&mut s, "SELECT typeof(d), d || '!' FROM t WHERE a = 1"),
        table(&[&["text", "7!"]])
    );
    exec(&mut s, "ALTER TABLE t RENAME TO u");
    assert!(error(&mut s, "SELECT * FROM t").contains("no such table"));
    assert_eq!(query(&mut s, "SELECT count(*) FROM u"), table(&[&["3"]]));
    // The primary key survives the rewrites.
    assert!(error(&mut s, "INSERT INTO u VALUES (1, 'again', '0')").contains("UNIQUE"));
    assert_eq!(
        s.table_ddl("u").expect("definition"),
        r#"CREATE TABLE "u" ("a" BIGINT, "label" VARCHAR, "d" VARCHAR DEFAULT 7, PRIMARY KEY ("a"))"#
    );
}

#[test]
fn alter_table_errors_change_nothing() {
    let engine = duckdb();
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (a INTEGER PRIMARY KEY, b VARCHAR)");
    exec(&mut s, "CREATE UNIQUE INDEX t_b ON t (b)");
    exec(&mut s, "INSERT INTO t VALUES (1, 'x'), (2, 'not a number')");
    for (sql, message) in [
        ("ALTER TABLE t ADD COLUMN a INTEGER", "already exists"),
        ("ALTER TABLE t DROP COLUMN nope", "no such column"),
        ("ALTER TABLE t DROP COLUMN a", "PRIMARY KEY"),
        ("ALTER TABLE t DROP COLUMN b", "index t_b"),
        ("ALTER TABLE t RENAME COLUMN a TO b", "already exists"),
        ("ALTER TABLE t ALTER COLUMN b TYPE INTEGER", "cast"),
        ("ALTER TABLE t ADD COLUMN c INTEGER NOT NULL", "NOT NULL"),
        ("ALTER TABLE nope ADD COLUMN c INTEGER", "no such table"),
        ("ALTER TABLE t ADD COLUMN c BLOBBY", "unsupported type"),
    ] {
        let e = error(&mut s, sql);
        assert!(e.contains(message), "{sql}: {e}");
    }
    exec(&mut s, "ALTER TABLE IF EXISTS nope ADD COLUMN c INTEGER");
    exec(&mut s, "ALTER TABLE t ADD COLUMN IF NOT EXISTS b INTEGER");
    assert_eq!(
        query(&mut s, "SELECT * FROM t ORDER BY a"),
        table(&[&["1", "x"], &["2", "not a number"]])
    );
    // The unique index still holds and follows the table through an ALTER.
    exec(&mut s, "ALTER TABLE t ADD COLUMN c INTEGER");
    assert!(
        error(&mut s, "INSERT INTO t VALUES (3, 'x', 0)").contains("violates unique constraint")
    );
    exec(&mut s, "DROP INDEX t_b");
    exec(&mut s, "ALTER TABLE t DROP COLUMN b");
    assert_eq!(
        query(&mut s, "SELECT * FROM t ORDER BY a"),
        table(&[&["1", "NULL"], &["2", "NULL"]])
    );
}

#[test]
fn alter_table_is_transactional_and_isolated() {
    let engine = duckdb();
    let mut a = engine.session();
    let mut b = engine.session();
    exec(&mut a, "CREATE TABLE t (i INTEGER, j INTEGER)");
    exec(&mut a, "INSERT INTO t VALUES (1, 10), (2, 20)");
    exec(&mut a, "BEGIN");
    exec(&mut a, "ALTER TABLE t DROP COLUMN j");
    exec(&mut a, "ALTER TABLE t ADD COLUMN k VARCHAR DEFAULT 'k'");
    assert_eq!(
        query(&mut a, "SELECT * FROM t ORDER BY i"),
        table(&[&["1", "k"], &["2", "k"]])
    );
    // Other sessions see the old table until the commit.
    assert_eq!(
        query(&mut b, "SELECT * FROM t ORDER BY i"),
        table(&[&["1", "10"], &["2", "20"]])
    );
    exec(&mut a, "ROLLBACK");
    assert_eq!(
        query(&mut a, "SELECT * FROM t ORDER BY i"),
        table(&[&["1", "10"], &["2", "20"]])
    );
    // A reader whose snapshot predates the ALTER goes on reading the old table.
    exec(&mut b, "BEGIN");
    assert_eq!(query(&mut b, "SELECT count(*) FROM t"), table(&[&["2"]]));
    exec(&mut a, "ALTER TABLE t RENAME COLUMN j TO jj");
    exec(&mut a, "DROP TABLE t");
    assert_eq!(
        query(&mut b, "SELECT sum(j) FROM t"),
        table(&[&["30"]]),
        "an older snapshot still reads a table dropped after it began"
    );
    exec(&mut b, "COMMIT");
    assert!(error(&mut b, "SELECT * FROM t").contains("Table with name t does not exist"));
}

#[test]
fn writers_lose_to_a_committed_drop_or_alter() {
    let engine = duckdb();
    let mut a = engine.session();
    let mut b = engine.session();
    exec(&mut a, "CREATE TABLE t (i INTEGER)");
    exec(&mut a, "CREATE TABLE u (i INTEGER)");
    exec(
        &mut a,
        "INSERT INTO t VALUES (1), (2); INSERT INTO u VALUES (1), (2)",
    );

    // b deletes from t, a drops t and commits first: b's commit fails.
    exec(&mut b, "BEGIN; DELETE FROM t WHERE i = 1");
    exec(&mut a, "DROP TABLE t");
    let e = error(&mut b, "COMMIT");
    assert!(
        e.contains("another transaction has dropped this table"),
        "{e}"
    );

    // The same with an ALTER: the writer's rows would be lost.
    exec(&mut b, "BEGIN; INSERT INTO u VALUES (3)");
    exec(&mut a, "ALTER TABLE u ADD COLUMN x INTEGER");
    let e = error(&mut b, "COMMIT");
    assert!(
        e.contains("another transaction has altered this table"),
        "{e}"
    );
    assert_eq!(query(&mut a, "SELECT count(*) FROM u"), table(&[&["2"]]));

    // An ALTER whose snapshot misses a committed change fails at commit.
    exec(&mut a, "BEGIN; ALTER TABLE u ADD COLUMN y INTEGER");
    exec(&mut b, "INSERT INTO u VALUES (4, 0)");
    let e = error(&mut a, "COMMIT");
    assert!(e.contains("changed table u"), "{e}");
    assert_eq!(
        query(&mut b, "SELECT i, x FROM u ORDER BY i"),
        table(&[&["1", "NULL"], &["2", "NULL"], &["4", "0"]])
    );
}

#[test]
fn alter_table_persists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("alter.llkv");
    {
        let engine = Engine::open(&path).expect("open");
        let mut s = engine.session();
        exec(&mut s, "CREATE TABLE t (a INTEGER, b TEXT)");
        exec(&mut s, "INSERT INTO t VALUES (1, 'x'), (2, 'y')");
        exec(&mut s, "ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 3");
        exec(&mut s, "ALTER TABLE t DROP COLUMN b");
        exec(&mut s, "ALTER TABLE t RENAME TO v");
    }
    let engine = Engine::open(&path).expect("reopen");
    let mut s = engine.session();
    assert_eq!(
        query(&mut s, "SELECT * FROM v ORDER BY a"),
        table(&[&["1", "3"], &["2", "3"]])
    );
    assert_eq!(s.table_names(), vec!["v".to_string()]);
}

#[test]
fn create_or_replace_table() {
    let engine = duckdb();
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (a INTEGER PRIMARY KEY)");
    exec(&mut s, "INSERT INTO t VALUES (1)");
    exec(&mut s, "BEGIN");
    exec(&mut s, "CREATE OR REPLACE TABLE t (b VARCHAR)");
    assert_eq!(query(&mut s, "SELECT count(*) FROM t"), table(&[&["0"]]));
    exec(&mut s, "ROLLBACK");
    assert_eq!(query(&mut s, "SELECT a FROM t"), table(&[&["1"]]));
    exec(&mut s, "CREATE OR REPLACE TABLE t AS SELECT 42 AS x");
    assert_eq!(query(&mut s, "SELECT x FROM t"), table(&[&["42"]]));
}

#[test]
fn duckdb_from_first_queries() {
    let engine = duckdb();
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (i BIGINT)");
    exec(&mut s, "INSERT INTO t FROM range(3)");
    assert_eq!(query(&mut s, "FROM t"), table(&[&["0"], &["1"], &["2"]]));
    assert_eq!(
        query(&mut s, "FROM t SELECT i * 10 WHERE i > 0 ORDER BY 1"),
        table(&[&["10"], &["20"]])
    );
    exec(&mut s, "CREATE TABLE u AS FROM range(2) SELECT 42 AS col");
    assert_eq!(query(&mut s, "FROM u"), table(&[&["42"], &["42"]]));
}

#[test]
fn duckdb_settings_and_checkpoint() {
    let engine = duckdb();
    let mut s = engine.session();
    exec(
        &mut s,
        "SET threads = 2; PRAGMA memory_limit = '1GB'; CHECKPOINT",
    );
    exec(
        &mut s,
        "SET immediate_transaction_mode = true; FORCE CHECKPOINT",
    );
    exec(&mut s, "PRAGMA disable_checkpoint_on_shutdown");
    assert!(error(&mut s, "SET no_such_setting = 1").contains("unrecognized"));
    assert!(error(&mut s, "SET threads = 'lots'").contains("invalid value"));
    assert!(error(&mut s, "SET immediate_transaction_mode = false").contains("not supported"));
}

#[test]
fn duckdb_order_defaults_are_per_session() {
    let engine = duckdb();
    let mut s = engine.session();
    let mut other = engine.session();
    exec(
        &mut s,
        "CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (2), (NULL), (1)",
    );
    let order = |s: &mut Session, sql: &str| query(s, sql);
    // DuckDB's defaults: ascending, NULLs last.
    assert_eq!(
        order(&mut s, "SELECT i FROM t ORDER BY i"),
        table(&[&["1"], &["2"], &["NULL"]])
    );
    exec(&mut s, "SET default_null_order = 'nulls_first'");
    assert_eq!(
        order(&mut s, "SELECT i FROM t ORDER BY i"),
        table(&[&["NULL"], &["1"], &["2"]])
    );
    // An explicit NULLS LAST still wins; the other session keeps the defaults.
    assert_eq!(
        order(&mut s, "SELECT i FROM t ORDER BY i NULLS LAST"),
        table(&[&["1"], &["2"], &["NULL"]])
    );
    assert_eq!(
        order(&mut other, "SELECT i FROM t ORDER BY i"),
        table(&[&["1"], &["2"], &["NULL"]])
    );
    exec(&mut s, "PRAGMA default_order = 'DESCENDING'");
    exec(
        &mut s,
        "SET default_null_order = 'nulls_last_on_asc_first_on_desc'",
    );
    assert_eq!(
        order(&mut s, "SELECT i FROM t ORDER BY i"),
        table(&[&["NULL"], &["2"], &["1"]])
    );
    assert_eq!(
        order(&mut s, "SELECT i FROM t ORDER BY i ASC"),
        table(&[&["1"], &["2"], &["NULL"]])
    );
    assert!(
        error(&mut s, "PRAGMA default_order = 'sideways'")
            .contains("Unrecognized parameter for option")
    );
}

/// The resolved catalog is reused between statements; every snapshot must still see the
/// catalog as of its own start, and a transaction its own uncommitted DDL.
#[test]
fn catalog_reuse_follows_snapshots() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    let mut b = engine.session();
    for round in 0..2 {
        b.execute("BEGIN").expect("begin");
        assert!(b.execute("SELECT * FROM x").is_err(), "round {round}");
        a.execute("CREATE TABLE x (v INTEGER)").expect("create");
        a.execute("INSERT INTO x VALUES (1)").expect("insert");
        // b's snapshot predates the table; a fresh statement of a sees it.
        assert!(b.execute("SELECT * FROM x").is_err(), "round {round}");
        assert_eq!(query(&mut a, "SELECT v FROM x"), table(&[&["1"]]));
        b.execute("COMMIT").expect("commit");
        assert_eq!(query(&mut b, "SELECT v FROM x"), table(&[&["1"]]));
        // Uncommitted DDL is seen by its own transaction only.
        a.execute("BEGIN").expect("begin");
        a.execute("DROP TABLE x").expect("drop");
        assert!(a.execute("SELECT * FROM x").is_err(), "round {round}");
        assert_eq!(query(&mut b, "SELECT v FROM x"), table(&[&["1"]]));
        a.execute("COMMIT").expect("commit");
        assert!(b.execute("SELECT * FROM x").is_err(), "round {round}");
    }
}
