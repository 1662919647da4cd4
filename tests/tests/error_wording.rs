//! Errors described as data (constraint violations, catalog objects, aborted
//! transactions): the structured detail, and each dialect's wording of it.

use llkv_reference_engine::{DialectKind, Engine, Error, Session};
use llkv_tests::exec;
use llkv_traits::{CatalogObject, CatalogProblem, ConstraintKind, ErrorDetail};

fn session(dialect: DialectKind) -> Session {
    Engine::builder()
        .dialect(dialect)
        .build()
        .expect("engine")
        .session()
}

fn error(s: &mut Session, sql: &str) -> Error {
    match s.execute(sql) {
        Ok(_) => panic!("expected an error from {sql}"),
        Err(e) => e,
    }
}

fn message(s: &mut Session, sql: &str) -> String {
    error(s, sql).to_string()
}

#[test]
fn primary_key_violation_is_data() {
    for dialect in [DialectKind::Sqlite, DialectKind::DuckDb] {
        let mut s = session(dialect);
        exec(
            &mut s,
            "CREATE TABLE t (a INTEGER, b VARCHAR, PRIMARY KEY (a, b))",
        );
        exec(&mut s, "INSERT INTO t VALUES (1, 'x')");
        let e = error(&mut s, "INSERT INTO t VALUES (2, 'y'), (1, 'x')");
        let Error::Violation(v) = &e else {
            panic!("not a violation: {e:?}");
        };
        assert_eq!(v.kind, ConstraintKind::PrimaryKey);
        assert_eq!(v.table, "t");
        assert_eq!(v.columns, ["a", "b"]);
        assert_eq!(v.key, ["1", "x"]);
        assert!(!v.within_transaction);
        assert!(matches!(e.detail(), Some(ErrorDetail::Constraint(_))));
    }
}

#[test]
fn sqlite_keeps_its_wording() {
    let mut s = session(DialectKind::Sqlite);
    exec(
        &mut s,
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL)",
    );
    exec(&mut s, "INSERT INTO t VALUES (1, 'x')");
    assert_eq!(
        message(&mut s, "INSERT INTO t VALUES (1, 'y')"),
        "constraint failed: UNIQUE constraint failed: t.a"
    );
    assert_eq!(
        message(&mut s, "INSERT INTO t VALUES (2, NULL)"),
        "constraint failed: NOT NULL constraint failed: t.b"
    );
    assert_eq!(message(&mut s, "SELECT * FROM nope"), "no such table: nope");
    assert_eq!(
        message(&mut s, "DROP VIEW nope"),
        "no such table: view nope"
    );
    assert_eq!(
        message(&mut s, "CREATE TABLE t (c INTEGER)"),
        "table t already exists"
    );
}

#[test]
fn duckdb_constraint_wording() {
    let mut s = session(DialectKind::DuckDb);
    exec(
        &mut s,
        "CREATE TABLE t (i INTEGER PRIMARY KEY, j VARCHAR UNIQUE)",
    );
    exec(&mut s, "INSERT INTO t VALUES (1, 'a')");
    assert_eq!(
        message(&mut s, "INSERT INTO t VALUES (1, 'b')"),
        "Constraint Error: Duplicate key \"i: 1\" violates primary key constraint."
    );
    assert_eq!(
        message(&mut s, "INSERT INTO t VALUES (2, 'a')"),
        "Constraint Error: Duplicate key \"j: a\" violates unique constraint."
    );
    // A key repeated within the statement (or the transaction) is found by DuckDB's
    // transaction-local index, which words it differently.
    assert_eq!(
        message(&mut s, "INSERT INTO t VALUES (3, 'c'), (3, 'd')"),
        "Constraint Error: PRIMARY KEY or UNIQUE constraint violation: duplicate key \"3\""
    );
    exec(&mut s, "BEGIN");
    exec(&mut s, "INSERT INTO t VALUES (4, 'd')");
    let e = error(&mut s, "INSERT INTO t VALUES (4, 'e')");
    let Error::Violation(v) = &e else {
        panic!("not a violation: {e:?}");
    };
    assert!(v.within_transaction);
    assert_eq!(
        e.to_string(),
        "Constraint Error: PRIMARY KEY or UNIQUE constraint violation: duplicate key \"4\""
    );
    assert_eq!(
        message(&mut s, "SELECT 1"),
        "TransactionContext Error: Current transaction is aborted (please ROLLBACK)"
    );
    exec(&mut s, "ROLLBACK");
    assert_eq!(
        message(&mut s, "INSERT INTO t VALUES (NULL, 'z')"),
        "Constraint Error: NOT NULL constraint failed: t.i"
    );
}

#[test]
fn duckdb_catalog_wording() {
    let mut s = session(DialectKind::DuckDb);
    let e = error(&mut s, "SELECT * FROM nope");
    let Some(ErrorDetail::Catalog(c)) = e.detail() else {
        panic!("not a catalog error: {e:?}");
    };
    assert_eq!(
        (c.problem, c.object, c.name.as_str()),
        (CatalogProblem::NotFound, CatalogObject::Table, "nope")
    );
    assert_eq!(
        e.to_string(),
        "Catalog Error: Table with name nope does not exist!"
    );
    exec(&mut s, "CREATE TABLE t (i INTEGER)");
    assert_eq!(
        message(&mut s, "CREATE TABLE t (j INTEGER)"),
        "Catalog Error: Table with name \"t\" already exists!"
    );
    assert_eq!(
        message(&mut s, "DROP VIEW v"),
        "Catalog Error: View with name v does not exist!"
    );
}
