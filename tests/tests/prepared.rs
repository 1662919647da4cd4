//! Prepared statements: placeholders, numbering, value types, reuse across runs, schema
//! changes, errors, and statements that are not queries.

use llkv_reference_engine::{DialectKind, Engine, ScalarValue, Session};
use llkv_tests::{exec, query, rows, table};

fn int(v: i64) -> ScalarValue {
    ScalarValue::Int64(Some(v))
}

fn text(v: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(v.into()))
}

fn session(dialect: DialectKind) -> Session {
    let engine = Engine::builder().dialect(dialect).build().expect("engine");
    let mut s = engine.session();
    exec(
        &mut s,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR, n DOUBLE)",
    );
    s
}

#[test]
fn inserts_queries_updates_and_deletes_take_values() {
    for dialect in [DialectKind::Sqlite, DialectKind::DuckDb] {
        let mut s = session(dialect);
        let mut ins = s
            .prepare("INSERT INTO t VALUES (?, ?, ?)")
            .expect("prepare");
        assert_eq!(ins.parameter_count(), 3);
        for i in 0..20 {
            let n = ScalarValue::Float64(Some(i as f64 / 4.0));
            s.execute_prepared(&mut ins, &[int(i), text(&format!("it's {i}")), n])
                .expect("insert");
        }
        // NULL fits any parameter.
        s.execute_prepared(&mut ins, &[int(20), ScalarValue::Null, ScalarValue::Null])
            .expect("insert NULLs");
        let mut get = s
            .prepare("SELECT v, n FROM t WHERE id = ?")
            .expect("prepare");
        for i in [0, 7, 19] {
            let r = s.query_prepared(&mut get, &[int(i)]).expect("query");
            let expect = format!("it's {i}");
            assert_eq!(rows(&r)[0][0], expect, "{dialect:?}");
        }
        assert!(get.has_kept_plan(), "{dialect:?}");
        assert!(!ins.has_kept_plan(), "INSERT runs as text");
        let r = s.query_prepared(&mut get, &[int(20)]).expect("query");
        assert_eq!(rows(&r), table(&[&["NULL", "NULL"]]));
        // Numbered placeholders, used twice and out of order.
        let mut range = s
            .prepare("SELECT count(*) FROM t WHERE id >= ?2 AND id < ?1 AND id <> ?2 + 1")
            .expect("prepare");
        assert_eq!(range.parameter_count(), 2);
        let r = s.query_prepared(&mut range, &[int(10), int(2)]).expect("q");
        assert_eq!(rows(&r), table(&[&["7"]]));
        let r = s.query_prepared(&mut range, &[int(12), int(0)]).expect("q");
        assert_eq!(rows(&r), table(&[&["11"]]));
        let mut upd = s
            .prepare("UPDATE t SET v = $2 WHERE id = $1")
            .expect("prepare");
        s.execute_prepared(&mut upd, &[int(3), text("three")])
            .expect("update");
        let mut del = s.prepare("DELETE FROM t WHERE n > ?").expect("prepare");
        s.execute_prepared(&mut del, &[ScalarValue::Float64(Some(4.0))])
            .expect("delete");
        assert_eq!(
            query(&mut s, "SELECT count(*), max(id) FROM t"),
            table(&[&["18", "20"]])
        );
        assert_eq!(
            query(&mut s, "SELECT v FROM t WHERE id = 3"),
            table(&[&["three"]])
        );
        // A value of another type binds again.
        let r = s.query_prepared(&mut get, &[text("5")]);
        let plain = s.query("SELECT v, n FROM t WHERE id = '5'");
        assert_eq!(
            r.map(|r| rows(&r)).map_err(|e| e.to_string()),
            plain.map(|r| rows(&r)).map_err(|e| e.to_string()),
            "{dialect:?}"
        );
    }
}

#[test]
fn a_prepared_query_follows_schema_changes() {
    let mut s = session(DialectKind::Sqlite);
    exec(&mut s, "INSERT INTO t VALUES (1, 'a', 1.5)");
    let mut all = s.prepare("SELECT * FROM t WHERE id = ?").expect("prepare");
    assert_eq!(
        rows(&s.query_prepared(&mut all, &[int(1)]).expect("q"))[0].len(),
        3
    );
    exec(&mut s, "ALTER TABLE t ADD COLUMN w INTEGER DEFAULT 4");
    assert_eq!(
        rows(&s.query_prepared(&mut all, &[int(1)]).expect("q")),
        table(&[&["1", "a", "1.5", "4"]])
    );
    exec(&mut s, "DROP TABLE t");
    let e = s.query_prepared(&mut all, &[int(1)]).expect_err("gone");
    assert!(e.to_string().contains("no such table"), "{e}");
}

#[test]
fn bad_uses_are_errors() {
    let mut s = session(DialectKind::Sqlite);
    let mut get = s.prepare("SELECT v FROM t WHERE id = ?").expect("prepare");
    let e = s.query_prepared(&mut get, &[]).expect_err("no value");
    assert!(
        e.to_string().contains("1 parameter value(s), 0 given"),
        "{e}"
    );
    let e = s.prepare("SELECT 1; SELECT 2").expect_err("two statements");
    assert!(e.to_string().contains("one statement"), "{e}");
    let e = s.prepare("SELECT :name").expect_err("named");
    assert!(e.to_string().contains("named parameters"), "{e}");
    let e = s.prepare("SELECT ?0").expect_err("zero");
    assert!(e.to_string().contains("bad parameter ?0"), "{e}");
    let mut ins = s
        .prepare("INSERT INTO t VALUES (?, 'x', 1)")
        .expect("prepare");
    let e = s
        .execute_prepared(&mut ins, &[ScalarValue::Date32(Some(1))])
        .expect_err("a date as a literal");
    assert!(e.to_string().contains("parameter 1 of type Date32"), "{e}");
    let mut upd = s.prepare("UPDATE t SET id = ?").expect("prepare");
    exec(&mut s, "INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2)");
    let e = s.execute_prepared(&mut upd, &[int(7)]).expect_err("unique");
    assert!(e.to_string().contains("UNIQUE constraint failed"), "{e}");
    let mut q = s
        .prepare("SELECT v FROM t ORDER BY id LIMIT ?")
        .expect("prepare");
    assert_eq!(
        rows(&s.query_prepared(&mut q, &[int(1)]).expect("q")).len(),
        1
    );
    // The LIMIT was read from the value: that plan is not kept.
    assert!(!q.has_kept_plan());
    assert_eq!(
        rows(&s.query_prepared(&mut q, &[int(2)]).expect("q")).len(),
        2
    );
    let mut del = s.prepare("DELETE FROM t WHERE id = ?").expect("prepare");
    let e = s
        .query_prepared(&mut del, &[int(99)])
        .expect_err("not a query");
    assert!(e.to_string().contains("not a query"), "{e}");
}

#[test]
fn a_kept_binding_holds_only_for_its_database_and_settings() {
    let mut a = session(DialectKind::DuckDb);
    let mut b = session(DialectKind::DuckDb);
    exec(&mut a, "INSERT INTO t VALUES (1, 'in a', 1), (2, NULL, 2)");
    exec(&mut b, "INSERT INTO t VALUES (1, 'in b', 1)");
    let mut get = a
        .prepare("SELECT v FROM t WHERE id >= ? ORDER BY v")
        .expect("prepare");
    let r = a.query_prepared(&mut get, &[int(1)]).expect("a");
    assert_eq!(rows(&r), table(&[&["in a"], &["NULL"]]));
    assert!(get.has_kept_plan());
    // Another database: bound again, against its own table.
    let r = b.query_prepared(&mut get, &[int(1)]).expect("b");
    assert_eq!(rows(&r), table(&[&["in b"]]));
    // The session's ORDER BY defaults changed (by a prepared SET): bound again.
    let mut set = a
        .prepare("SET default_null_order = 'nulls_first'")
        .expect("prepare");
    a.execute_prepared(&mut set, &[]).expect("set");
    let r = a.query_prepared(&mut get, &[int(1)]).expect("a again");
    assert_eq!(rows(&r), table(&[&["NULL"], &["in a"]]));
}
