//! Plans reused across texts that differ only in literals must answer exactly as a fresh
//! binding does: the same rows, column names and types, and the same errors, whatever the
//! values; and they must never outlive the catalog, session settings or snapshot they were
//! bound for.

use llkv_reference_engine::{DialectKind, Engine, Session};
use llkv_tests::{exec, query, rows, table};

/// What a statement gave, comparable across sessions: the result's column names and types
/// and rows as text, or the error text.
fn outcome(s: &mut Session, sql: &str) -> String {
    match s.execute(sql) {
        Ok(results) => results
            .iter()
            .map(|r| match r {
                llkv_reference_engine::StatementResult::Query(q) => {
                    let cols: Vec<String> = q
                        .schema
                        .fields()
                        .iter()
                        .map(|f| format!("{}:{}", f.name(), f.data_type()))
                        .collect();
                    format!("{cols:?} {:?}", rows(q))
                }
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => format!("error: {e}"),
    }
}

/// A session that binds every statement with its literals: the reference.
fn reference(engine: &Engine) -> Session {
    let mut s = engine.session();
    s.core().set_plan_reuse(false);
    s
}

fn setup(s: &mut Session) {
    exec(
        s,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, name VARCHAR, price DOUBLE)",
    );
    let values: Vec<String> = (0..50)
        .map(|i| format!("({i}, {}, 'n{}', {}.5)", i % 7, i % 5, i % 11))
        .collect();
    exec(s, &format!("INSERT INTO t VALUES {}", values.join(", ")));
}

/// Statement templates; `{a}` and `{b}` are replaced by each pair of literals.
const QUERIES: &[&str] = &[
    "SELECT v, name FROM t WHERE id = {a}",
    "SELECT v FROM t WHERE id IN ({a}, {b}) ORDER BY v",
    "SELECT id + {a} FROM t WHERE id < {b} ORDER BY 1",
    "SELECT id FROM t ORDER BY {a} LIMIT {b}",
    "SELECT id FROM t WHERE v = {a} ORDER BY id LIMIT {b} OFFSET 1",
    "SELECT v + {a}, count(*) FROM t GROUP BY v + {b} ORDER BY 1",
    "SELECT v, count(*) FROM t WHERE price > {a} GROUP BY v HAVING count(*) > {b} ORDER BY v",
    "SELECT CASE WHEN {a} = {b} THEN 'same' ELSE 'other' END, id FROM t WHERE id = 3",
    "SELECT coalesce(NULL, {a}), nullif({a}, {b}) FROM t WHERE id = 1",
    "SELECT {a} + {b}, -{a}, {a} * 2 FROM t WHERE id = 2",
    "SELECT id FROM t WHERE name = {a} OR name LIKE {b} ORDER BY id LIMIT 3",
    "SELECT id FROM t WHERE id = (SELECT max(id) - {a} FROM t WHERE v < {b})",
    "SELECT id FROM t WHERE EXISTS (SELECT 1 FROM t AS u WHERE u.id = t.id + {a}) AND id < {b} ORDER BY id",
    "SELECT * FROM range({a}, {b})",
    "SELECT id, v FROM t WHERE id BETWEEN {a} AND {b} ORDER BY v + {a}, id",
    "SELECT {a}",
    "SELECT typeof({a}), {b} || 'x'",
    "SELECT id FROM t WHERE id = {a} UNION SELECT id FROM t WHERE id = {b} ORDER BY 1",
    "SELECT v FROM t WHERE id = {a} + {b}",
];

/// Literal pairs: numbers of every kind, text that reads as a number and text that does
/// not, equal and unequal pairs, and values out of range.
const VALUES: &[(&str, &str)] = &[
    ("1", "2"),
    ("2", "2"),
    ("3", "1"),
    ("0", "5"),
    ("1.5", "2"),
    ("2", "2.5e0"),
    ("'5'", "'n1'"),
    ("'n%'", "'5'"),
    ("'abc'", "'abc'"),
    ("9223372036854775807", "1"),
    ("9223372036854775808", "3"),
    ("10", "40"),
];

#[test]
fn reused_plans_answer_as_fresh_bindings_do() {
    for dialect in [DialectKind::Sqlite, DialectKind::DuckDb] {
        let engine = Engine::builder().dialect(dialect).build().expect("engine");
        let mut kept = engine.session();
        setup(&mut kept);
        // Twice over, so the second round runs from kept plans only.
        for round in 0..2 {
            for template in QUERIES {
                for (a, b) in VALUES {
                    let sql = template.replace("{a}", a).replace("{b}", b);
                    let fresh = outcome(&mut reference(&engine), &sql);
                    assert_eq!(
                        outcome(&mut kept, &sql),
                        fresh,
                        "{dialect:?}, round {round}: {sql}"
                    );
                }
            }
        }
        eprintln!("{dialect:?}: {} plans kept", kept.core().kept_plans());
        // Most shapes bind the same whatever their values.
        assert!(kept.core().kept_plans() >= QUERIES.len() / 2);
    }
}

#[test]
fn reused_updates_and_deletes_change_what_fresh_ones_change() {
    let statements = [
        "UPDATE t SET v = v + {a} WHERE id = {b}",
        "UPDATE t SET name = {a} WHERE id IN ({b}, 7)",
        "DELETE FROM t WHERE id = {a} OR price = {b}",
        "UPDATE t SET price = price * {a} WHERE v = {b}",
    ];
    let pairs = [
        ("1", "3"),
        ("2", "4"),
        ("'x'", "5"),
        ("1.5", "2"),
        ("3", "10"),
    ];
    for dialect in [DialectKind::Sqlite, DialectKind::DuckDb] {
        let kept_engine = Engine::builder().dialect(dialect).build().expect("engine");
        let fresh_engine = Engine::builder().dialect(dialect).build().expect("engine");
        let mut kept = kept_engine.session();
        setup(&mut kept);
        setup(&mut reference(&fresh_engine));
        for _ in 0..2 {
            for st in statements {
                for (a, b) in pairs {
                    let sql = st.replace("{a}", a).replace("{b}", b);
                    let k = outcome(&mut kept, &sql);
                    let f = outcome(&mut reference(&fresh_engine), &sql);
                    assert_eq!(k, f, "{dialect:?}: {sql}");
                    let all = "SELECT * FROM t ORDER BY id";
                    assert_eq!(
                        outcome(&mut kept, all),
                        outcome(&mut reference(&fresh_engine), all),
                        "{dialect:?}: after {sql}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_kept_plan_follows_schema_changes() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    let mut b = engine.session();
    setup(&mut a);
    let q = |k: i64| format!("SELECT * FROM t WHERE id = {k}");
    assert_eq!(query(&mut a, &q(1)), table(&[&["1", "1", "n1", "1.5"]]));
    assert_eq!(query(&mut a, &q(2)), table(&[&["2", "2", "n2", "2.5"]]));
    // Another session adds a column: the next text of the shape sees it.
    exec(&mut b, "ALTER TABLE t ADD COLUMN w INTEGER DEFAULT 9");
    assert_eq!(
        query(&mut a, &q(3)),
        table(&[&["3", "3", "n3", "3.5", "9"]])
    );
    // ... and a table dropped and made again under the same name.
    exec(&mut b, "DROP TABLE t");
    let err = a.query(&q(4)).expect_err("t is gone");
    assert!(err.to_string().contains("no such table"), "{err}");
    exec(&mut b, "CREATE TABLE t (id INTEGER, x VARCHAR)");
    exec(&mut b, "INSERT INTO t VALUES (5, 'new')");
    assert_eq!(query(&mut a, &q(5)), table(&[&["5", "new"]]));
    assert_eq!(query(&mut a, &q(6)), Vec::<Vec<String>>::new());
}

#[test]
fn a_kept_plan_does_not_outlive_a_rolled_back_table() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    exec(&mut a, "BEGIN");
    exec(&mut a, "CREATE TABLE n (id INTEGER)");
    exec(&mut a, "INSERT INTO n VALUES (1), (2)");
    for k in 0..3 {
        assert_eq!(
            query(&mut a, &format!("SELECT count(*) FROM n WHERE id > {k}")).len(),
            1
        );
    }
    exec(&mut a, "ROLLBACK");
    let err = a
        .query("SELECT count(*) FROM n WHERE id > 7")
        .expect_err("n was rolled back");
    assert!(err.to_string().contains("no such table"), "{err}");
}

#[test]
fn an_older_snapshot_keeps_its_own_catalog() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    let mut b = engine.session();
    setup(&mut a);
    let q = |k: i64| format!("SELECT * FROM t WHERE id = {k}");
    exec(&mut a, "BEGIN");
    assert_eq!(query(&mut a, &q(1)).len(), 1);
    exec(&mut b, "ALTER TABLE t ADD COLUMN w INTEGER");
    // b binds the shape under the new catalog; a, reading before the change, must not
    // take that plan, nor give its own to b.
    assert_eq!(query(&mut b, &q(2))[0].len(), 5);
    assert_eq!(query(&mut a, &q(2))[0].len(), 4);
    assert_eq!(query(&mut b, &q(3))[0].len(), 5);
    exec(&mut a, "COMMIT");
    assert_eq!(query(&mut a, &q(3))[0].len(), 5);
}

#[test]
fn session_order_settings_retire_kept_plans() {
    let engine = Engine::builder()
        .dialect(DialectKind::DuckDb)
        .build()
        .expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE o (x INTEGER)");
    exec(&mut s, "INSERT INTO o VALUES (2), (NULL), (1)");
    let q = |k: i64| format!("SELECT x FROM o WHERE x IS NULL OR x > {k} ORDER BY x");
    assert_eq!(query(&mut s, &q(0)), table(&[&["1"], &["2"], &["NULL"]]));
    exec(&mut s, "SET default_null_order = 'nulls_first'");
    assert_eq!(query(&mut s, &q(-1)), table(&[&["NULL"], &["1"], &["2"]]));
    exec(&mut s, "SET default_order = 'desc'");
    assert_eq!(query(&mut s, &q(-2)), table(&[&["NULL"], &["2"], &["1"]]));
}

#[test]
fn a_schema_change_in_the_open_transaction_is_seen_and_undone() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    setup(&mut a);
    let q = |k: i64| format!("SELECT * FROM t WHERE id = {k}");
    exec(&mut a, "BEGIN");
    assert_eq!(query(&mut a, &q(1))[0].len(), 4);
    assert_eq!(query(&mut a, &q(2))[0].len(), 4);
    exec(&mut a, "ALTER TABLE t ADD COLUMN w INTEGER");
    assert_eq!(query(&mut a, &q(3))[0].len(), 5);
    assert_eq!(query(&mut a, &q(4))[0].len(), 5);
    exec(&mut a, "ROLLBACK");
    assert_eq!(query(&mut a, &q(5))[0].len(), 4);
    assert_eq!(query(&mut a, &q(6))[0].len(), 4);
}

#[test]
fn kept_plans_let_go_of_dropped_tables() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    exec(
        &mut a,
        "CREATE TABLE big (id INTEGER PRIMARY KEY, v INTEGER)",
    );
    exec(&mut a, "CREATE TABLE small (id INTEGER PRIMARY KEY)");
    exec(&mut a, "INSERT INTO big VALUES (1, 1), (2, 2)");
    query(&mut a, "SELECT v FROM big WHERE id = 1");
    query(&mut a, "SELECT v FROM big WHERE id = 2");
    assert_eq!(a.core().kept_plans(), 1);
    exec(&mut a, "DROP TABLE big");
    // The next kept plan is of a new catalog: the plan over the dropped table goes.
    query(&mut a, "SELECT id FROM small WHERE id = 1");
    query(&mut a, "SELECT id FROM small WHERE id = 2");
    assert_eq!(a.core().kept_plans(), 1);
}
