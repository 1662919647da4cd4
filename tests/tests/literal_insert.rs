//! The literal `INSERT ... VALUES` fast path gives the same rows, types and errors as the
//! parser path. Each statement runs twice: once as written (the fast path takes it) and
//! once with a trailing comment, which the fast path declines, so the parser reads it.

use llkv_reference_engine::{DialectKind, Engine, Session};
use llkv_tests::query;

const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, \
                      b BOOLEAN, n INTEGER NOT NULL DEFAULT 7)";

fn session(dialect: DialectKind) -> Session {
    let mut s = Engine::builder()
        .dialect(dialect)
        .build()
        .expect("engine")
        .session();
    s.execute(SCHEMA).expect("schema");
    s
}

/// Runs `sql` on a fresh database twice, fast and parsed, and returns both outcomes:
/// the error text or the table's rows.
fn both(dialect: DialectKind, sql: &str) -> [String; 2] {
    [sql.to_string(), format!("{sql} -- parsed")].map(|text| {
        let mut s = session(dialect);
        match s.execute(&text) {
            Err(e) => format!("error: {e}"),
            Ok(_) => format!(
                "{:?}",
                query(
                    &mut s,
                    "SELECT id, i, r, s, b, n, typeof(i), typeof(r) FROM t ORDER BY id"
                )
            ),
        }
    })
}

#[test]
fn fast_and_parsed_inserts_agree() {
    let statements = [
        "INSERT INTO t VALUES (1, 2, 3.5, 'x', TRUE, 1), (2, NULL, NULL, NULL, NULL, 2)",
        "INSERT INTO t (id, s) VALUES (1, 'it''s'), (2, '')",
        "INSERT INTO t (s, id) VALUES ('a', 2), ('b', 1)",
        "INSERT INTO \"t\" (\"id\", \"i\") VALUES (+1, -9223372036854775808)",
        "insert into T (ID, I, R) values (1, '42', 7), (2, 3, -.5e1)",
        "INSERT INTO t (id, r) VALUES (1, 1), (2, 2.5), (3, 9223372036854775808)",
        "INSERT INTO t (id, i) VALUES (1, 1.5)",
        "INSERT INTO t (id, b) VALUES (1, FALSE), (2, NULL)",
        // Errors: the same message either way, and nothing inserted.
        "INSERT INTO t (id) VALUES (1), (1)",
        "INSERT INTO t (id, n) VALUES (1, NULL)",
        "INSERT INTO t (id, nope) VALUES (1, 2)",
        "INSERT INTO t (id, id) VALUES (1, 2)",
        "INSERT INTO t (id, i) VALUES (1)",
        "INSERT INTO nope VALUES (1)",
        "INSERT INTO t (id, i) VALUES (1, 2), (3)",
        "INSERT INTO t (id, i) VALUES ('x', 1)",
        // Several statements: the second fails, the first stays.
        "INSERT INTO t (id) VALUES (1); INSERT INTO t (id) VALUES (1)",
    ];
    for dialect in [DialectKind::Sqlite, DialectKind::DuckDb] {
        for sql in statements {
            let [fast, parsed] = both(dialect, sql);
            assert_eq!(fast, parsed, "{dialect:?}: {sql}");
        }
    }
}

#[test]
fn a_syntax_error_later_in_the_text_runs_nothing() {
    let mut s = session(DialectKind::Sqlite);
    let err = s
        .execute("INSERT INTO t (id) VALUES (1); SELEC 1")
        .expect_err("syntax error");
    assert!(err.to_string().contains("SELEC"), "{err}");
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM t"),
        vec![vec!["0".to_string()]]
    );
}

#[test]
fn bulk_load_in_key_order_checks_every_key() {
    let mut s = session(DialectKind::Sqlite);
    s.execute("BEGIN").expect("begin");
    for chunk in 0..20 {
        let values: Vec<String> = (chunk * 100..(chunk + 1) * 100)
            .map(|i| format!("({i}, {i})"))
            .collect();
        s.execute(&format!(
            "INSERT INTO t (id, i) VALUES {}",
            values.join(",")
        ))
        .expect("insert");
    }
    // A key inside an earlier chunk's range, one at each end, one in a middle chunk.
    for k in [0, 1999, 1050] {
        let err = s
            .execute(&format!("INSERT INTO t (id) VALUES ({k})"))
            .expect_err("duplicate key");
        assert!(err.to_string().contains("UNIQUE"), "{err}");
    }
    s.execute("COMMIT").expect("commit");
    assert_eq!(
        query(&mut s, "SELECT count(*), sum(i) FROM t"),
        vec![vec!["2000".to_string(), "1999000".to_string()]]
    );
}
