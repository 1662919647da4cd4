//! SQL end to end through the reference engine (SQLite dialect unless said otherwise).

use llkv_reference_engine::{DialectKind, Engine};
use llkv_tests::{exec, query, table};

fn session() -> llkv_reference_engine::Session {
    Engine::in_memory().expect("engine").session()
}

#[test]
fn create_insert_select() {
    let mut s = session();
    exec(&mut s, "CREATE TABLE t (a INTEGER, b TEXT, c REAL)");
    exec(
        &mut s,
        "INSERT INTO t VALUES (1, 'x', 1.5), (2, NULL, 2.5), (3, 'z', NULL)",
    );
    assert_eq!(
        query(&mut s, "SELECT a, b, c FROM t ORDER BY a"),
        table(&[
            &["1", "x", "1.5"],
            &["2", "NULL", "2.5"],
            &["3", "z", "NULL"]
        ])
    );
    assert_eq!(
        query(&mut s, "SELECT count(*), count(b), sum(a), avg(c) FROM t"),
        table(&[&["3", "2", "6", "2.0"]])
    );
}

#[test]
fn string_literals_keep_every_character() {
    let mut s = session();
    assert_eq!(
        query(&mut s, "SELECT 'x,)', 'it''s', ';--'"),
        table(&[&["x,)", "it's", ";--"]])
    );
}

#[test]
fn where_expressions_and_null_semantics() {
    let mut s = session();
    exec(&mut s, "CREATE TABLE t (a INTEGER, b INTEGER)");
    exec(
        &mut s,
        "INSERT INTO t VALUES (1, 10), (2, NULL), (3, 30), (NULL, 40)",
    );
    assert_eq!(
        query(&mut s, "SELECT a FROM t WHERE b > 15 ORDER BY a"),
        table(&[&["NULL"], &["3"]])
    );
    assert_eq!(
        query(&mut s, "SELECT a FROM t WHERE b IS NULL"),
        table(&[&["2"]])
    );
    assert_eq!(
        query(&mut s, "SELECT a FROM t WHERE a IN (1, 3) ORDER BY a"),
        table(&[&["1"], &["3"]])
    );
    assert_eq!(
        query(&mut s, "SELECT a FROM t WHERE a NOT IN (1, NULL)"),
        Vec::<Vec<String>>::new()
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT a FROM t WHERE a BETWEEN 2 AND 3 ORDER BY a DESC"
        ),
        table(&[&["3"], &["2"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT CASE WHEN a > 1 THEN 'big' WHEN a IS NULL THEN 'none' ELSE 'small' END FROM t ORDER BY a"
        ),
        table(&[&["none"], &["small"], &["big"], &["big"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT COALESCE(b, -1), NULLIF(a, 1), ABS(-a) FROM t WHERE a <= 2 ORDER BY a"
        ),
        table(&[&["10", "NULL", "1"], &["-1", "2", "2"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT NULL = NULL, NULL AND 0, NULL OR 1, 5 / 0, 7 / 2, 7 % 3"
        ),
        table(&[&["NULL", "false", "true", "NULL", "3", "1"]])
    );
}

#[test]
fn like_cast_and_arithmetic() {
    let mut s = session();
    exec(&mut s, "CREATE TABLE t (name VARCHAR(20))");
    exec(
        &mut s,
        "INSERT INTO t VALUES ('Alice'), ('bob'), ('ALBERT')",
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT name FROM t WHERE name LIKE 'al%' ORDER BY name"
        ),
        table(&[&["ALBERT"], &["Alice"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT CAST('12abc' AS INTEGER), CAST(3.9 AS INTEGER), CAST(5 AS TEXT) || 'x'"
        ),
        table(&[&["12", "3", "5x"]])
    );
    assert_eq!(
        query(&mut s, "SELECT 9223372036854775807 + 1 > 0"),
        table(&[&["true"]])
    );
}

#[test]
fn group_by_having_order_limit() {
    let mut s = session();
    exec(&mut s, "CREATE TABLE t (g TEXT, v INTEGER)");
    exec(
        &mut s,
        "INSERT INTO t VALUES ('a', 1), ('b', 2), ('a', 3), ('c', NULL), ('b', 4), ('a', 5)",
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT g, count(*), sum(v), min(v), max(v) FROM t GROUP BY g HAVING count(*) > 1 ORDER BY g"
        ),
        table(&[&["a", "3", "9", "1", "5"], &["b", "2", "6", "2", "4"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT g, total(v) FROM t GROUP BY g ORDER BY 2 DESC LIMIT 2"
        ),
        table(&[&["a", "9.0"], &["b", "6.0"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT v FROM t ORDER BY v DESC NULLS FIRST LIMIT 2 OFFSET 1"
        ),
        table(&[&["5"], &["4"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT count(DISTINCT g), group_concat(DISTINCT g) FROM t"
        ),
        table(&[&["3", "a,b,c"]])
    );
    assert_eq!(
        query(&mut s, "SELECT DISTINCT g FROM t ORDER BY g DESC"),
        table(&[&["c"], &["b"], &["a"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT v % 2, count(*) FROM t WHERE v IS NOT NULL GROUP BY v % 2 ORDER BY 1"
        ),
        table(&[&["0", "2"], &["1", "3"]])
    );
    assert_eq!(
        query(&mut s, "SELECT sum(v) FROM t WHERE v > 100"),
        table(&[&["NULL"]])
    );
}

#[test]
fn joins() {
    let mut s = session();
    exec(
        &mut s,
        "CREATE TABLE a (id INTEGER, x TEXT); CREATE TABLE b (id INTEGER, y TEXT)",
    );
    exec(
        &mut s,
        "INSERT INTO a VALUES (1, 'a1'), (2, 'a2'), (3, 'a3'); INSERT INTO b VALUES (1, 'b1'), (1, 'b1bis'), (3, 'b3'), (4, 'b4')",
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT a.x, b.y FROM a JOIN b ON a.id = b.id ORDER BY b.y"
        ),
        table(&[&["a1", "b1"], &["a1", "b1bis"], &["a3", "b3"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT a.x, b.y FROM a LEFT JOIN b ON a.id = b.id ORDER BY a.x, b.y"
        ),
        table(&[
            &["a1", "b1"],
            &["a1", "b1bis"],
            &["a2", "NULL"],
            &["a3", "b3"]
        ])
    );
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM a CROSS JOIN b"),
        table(&[&["12"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT count(*) FROM a, b WHERE a.id = b.id AND b.y <> 'b3'"
        ),
        table(&[&["2"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT x FROM a WHERE id = (SELECT max(id) FROM b WHERE b.id < 4)"
        ),
        table(&[&["a3"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT x, (SELECT count(*) FROM b WHERE b.id = a.id) FROM a ORDER BY x"
        ),
        table(&[&["a1", "2"], &["a2", "0"], &["a3", "1"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT x FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.id = a.id) ORDER BY x"
        ),
        table(&[&["a1"], &["a3"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT x FROM a WHERE id NOT IN (SELECT id FROM b) ORDER BY x"
        ),
        table(&[&["a2"]])
    );
}

#[test]
fn set_operations_and_views() {
    let mut s = session();
    exec(
        &mut s,
        "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2), (2), (3)",
    );
    assert_eq!(
        query(&mut s, "SELECT a FROM t UNION SELECT 4 ORDER BY 1"),
        table(&[&["1"], &["2"], &["3"], &["4"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT count(*) FROM (SELECT a FROM t UNION ALL SELECT a FROM t)"
        ),
        table(&[&["8"]])
    );
    assert_eq!(
        query(&mut s, "SELECT a FROM t INTERSECT SELECT 2"),
        table(&[&["2"]])
    );
    assert_eq!(
        query(&mut s, "SELECT a FROM t EXCEPT SELECT 2 ORDER BY 1"),
        table(&[&["1"], &["3"]])
    );
    exec(
        &mut s,
        "CREATE VIEW v AS SELECT a * 10 AS b FROM t WHERE a > 1",
    );
    assert_eq!(query(&mut s, "SELECT sum(b) FROM v"), table(&[&["70"]]));
    exec(&mut s, "DROP VIEW v");
    assert!(s.query("SELECT * FROM v").is_err());
}

#[test]
fn update_delete_and_insert_select() {
    let mut s = session();
    exec(
        &mut s,
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b INTEGER DEFAULT 7)",
    );
    exec(&mut s, "INSERT INTO t (a) VALUES (1), (2), (3)");
    assert_eq!(query(&mut s, "SELECT sum(b) FROM t"), table(&[&["21"]]));
    let r = s
        .execute("UPDATE t SET b = b + a WHERE a >= 2")
        .expect("update");
    assert!(matches!(
        r[0],
        llkv_reference_engine::StatementResult::Affected { rows: 2, .. }
    ));
    assert_eq!(
        query(&mut s, "SELECT a, b FROM t ORDER BY a"),
        table(&[&["1", "7"], &["2", "9"], &["3", "10"]])
    );
    exec(&mut s, "DELETE FROM t WHERE b = 9");
    exec(&mut s, "CREATE TABLE u (a INTEGER, b INTEGER)");
    exec(&mut s, "INSERT INTO u SELECT a, b * 2 FROM t");
    assert_eq!(
        query(&mut s, "SELECT a, b FROM u ORDER BY a"),
        table(&[&["1", "14"], &["3", "20"]])
    );
}

#[test]
fn constraints_reject_bad_rows_and_leave_nothing_behind() {
    let mut s = session();
    exec(
        &mut s,
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL, c INTEGER UNIQUE)",
    );
    exec(&mut s, "INSERT INTO t VALUES (1, 'x', 1)");
    let e = s
        .execute("INSERT INTO t VALUES (2, 'y', 2), (1, 'z', 3)")
        .unwrap_err();
    assert!(
        e.to_string().contains("UNIQUE constraint failed: t.a"),
        "{e}"
    );
    let e = s.execute("INSERT INTO t VALUES (5, NULL, 5)").unwrap_err();
    assert!(
        e.to_string().contains("NOT NULL constraint failed: t.b"),
        "{e}"
    );
    assert_eq!(
        query(&mut s, "SELECT a, b, c FROM t"),
        table(&[&["1", "x", "1"]])
    );
    // NULLs never collide in a UNIQUE column.
    exec(
        &mut s,
        "INSERT INTO t VALUES (2, 'y', NULL), (3, 'z', NULL)",
    );
    let e = s.execute("UPDATE t SET c = 1").unwrap_err();
    assert!(
        e.to_string().contains("UNIQUE constraint failed: t.c"),
        "{e}"
    );
    let e = s.execute("UPDATE t SET a = 3 WHERE a = 2").unwrap_err();
    assert!(
        e.to_string().contains("UNIQUE constraint failed: t.a"),
        "{e}"
    );
    exec(&mut s, "UPDATE t SET a = a + 10");
    assert_eq!(
        query(&mut s, "SELECT a FROM t ORDER BY a"),
        table(&[&["11"], &["12"], &["13"]])
    );
}

#[test]
fn updates_check_the_unique_keys_they_assign() {
    let mut s = session();
    exec(
        &mut s,
        "CREATE TABLE k (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, v INTEGER, UNIQUE (a, b))",
    );
    exec(&mut s, "CREATE UNIQUE INDEX kv ON k (v)");
    exec(
        &mut s,
        "INSERT INTO k VALUES (1, 1, 1, 10), (2, 1, 2, 20), (3, 2, 1, 30)",
    );
    // No key column assigned: the versions keep their keys.
    for _ in 0..3 {
        exec(&mut s, "UPDATE k SET v = v + 1000 WHERE id = 2");
    }
    // One column of the composite key assigned.
    let e = s.execute("UPDATE k SET b = 1 WHERE id = 2").unwrap_err();
    assert!(e.to_string().contains("UNIQUE constraint failed"), "{e}");
    // The unique index's column assigned.
    let e = s.execute("UPDATE k SET v = 10 WHERE id = 3").unwrap_err();
    assert!(e.to_string().contains("UNIQUE constraint failed"), "{e}");
    let e = s.execute("UPDATE k SET id = 1 WHERE id = 3").unwrap_err();
    assert!(e.to_string().contains("UNIQUE constraint failed"), "{e}");
    assert_eq!(
        query(&mut s, "SELECT id, a, b, v FROM k ORDER BY id"),
        table(&[
            &["1", "1", "1", "10"],
            &["2", "1", "2", "3020"],
            &["3", "2", "1", "30"]
        ])
    );
    // Swapping keys through a free value works.
    exec(&mut s, "UPDATE k SET v = 5 WHERE id = 1");
    exec(&mut s, "UPDATE k SET v = 10 WHERE id = 3");
    assert_eq!(
        query(&mut s, "SELECT v FROM k ORDER BY id"),
        table(&[&["5"], &["3020"], &["10"]])
    );
}

#[test]
fn errors_name_the_object() {
    let mut s = session();
    assert_eq!(
        s.execute("SELECT * FROM nope").unwrap_err().to_string(),
        "no such table: nope"
    );
    exec(&mut s, "CREATE TABLE t (a INTEGER)");
    assert_eq!(
        s.execute("SELECT b FROM t").unwrap_err().to_string(),
        "no such column: b"
    );
    assert!(
        s.execute("CREATE TABLE t (x INTEGER)")
            .unwrap_err()
            .to_string()
            .contains("table t already exists")
    );
    exec(&mut s, "CREATE TABLE IF NOT EXISTS t (x INTEGER)");
    assert!(
        s.execute("SELEC 1")
            .unwrap_err()
            .to_string()
            .starts_with("syntax error")
    );
    assert!(
        s.execute("SELECT nosuchfn(1)")
            .unwrap_err()
            .to_string()
            .contains("no such function: nosuchfn")
    );
    exec(&mut s, "DROP TABLE IF EXISTS nope");
    assert!(s.execute("DROP TABLE nope").is_err());
    exec(&mut s, "DROP TABLE t");
    assert!(s.execute("SELECT * FROM t").is_err());
}

#[test]
fn transactions_in_one_session() {
    let mut s = session();
    exec(&mut s, "CREATE TABLE t (a INTEGER)");
    exec(
        &mut s,
        "BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)",
    );
    assert_eq!(query(&mut s, "SELECT count(*) FROM t"), table(&[&["2"]]));
    exec(&mut s, "ROLLBACK");
    assert_eq!(query(&mut s, "SELECT count(*) FROM t"), table(&[&["0"]]));
    exec(&mut s, "BEGIN; INSERT INTO t VALUES (3); COMMIT");
    assert_eq!(query(&mut s, "SELECT a FROM t"), table(&[&["3"]]));
    // DDL rolls back too.
    exec(
        &mut s,
        "BEGIN; CREATE TABLE u (x INTEGER); DROP TABLE t; ROLLBACK",
    );
    assert!(s.execute("SELECT * FROM u").is_err());
    assert_eq!(query(&mut s, "SELECT a FROM t"), table(&[&["3"]]));
    // A failed statement inside a SQLite transaction is undone alone.
    exec(&mut s, "BEGIN; INSERT INTO t VALUES (4)");
    assert!(s.execute("INSERT INTO t VALUES (5), ('x', 1)").is_err());
    exec(&mut s, "COMMIT");
    assert_eq!(
        query(&mut s, "SELECT a FROM t ORDER BY a"),
        table(&[&["3"], &["4"]])
    );
    assert!(s.execute("COMMIT").is_err());
    assert!(s.execute("ROLLBACK").is_err());
}

#[test]
fn other_sessions_see_only_committed_work() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    let mut b = engine.session();
    exec(&mut a, "CREATE TABLE t (a INTEGER)");
    exec(&mut a, "BEGIN; INSERT INTO t VALUES (1)");
    assert_eq!(query(&mut b, "SELECT count(*) FROM t"), table(&[&["0"]]));
    exec(&mut a, "COMMIT");
    assert_eq!(query(&mut b, "SELECT count(*) FROM t"), table(&[&["1"]]));
}

#[test]
fn duckdb_dialect_rules() {
    let engine = Engine::builder()
        .dialect(DialectKind::DuckDb)
        .build()
        .expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (a INTEGER, b VARCHAR)");
    exec(&mut s, "INSERT INTO t VALUES (1, 'x'), (NULL, 'y')");
    assert_eq!(
        query(&mut s, "SELECT a FROM t ORDER BY a"),
        table(&[&["1"], &["NULL"]])
    );
    assert_eq!(query(&mut s, "SELECT 7 / 2"), table(&[&["3.5"]]));
    exec(&mut s, "BEGIN");
    assert!(s.execute("SELECT * FROM nope").is_err());
    let e = s.execute("SELECT 1").unwrap_err();
    assert!(e.to_string().contains("aborted"), "{e}");
    exec(&mut s, "ROLLBACK");
    assert_eq!(query(&mut s, "SELECT count(*) FROM t"), table(&[&["2"]]));
}

#[test]
fn types_round_trip() {
    let mut s = session();
    exec(
        &mut s,
        "CREATE TABLE t (i INTEGER, si SMALLINT, ti TINYINT, bi BIGINT, r REAL, d DOUBLE, f FLOAT, v VARCHAR(5), c CHAR(2), b BOOLEAN, dt DATE, dec DECIMAL(10,2))",
    );
    exec(
        &mut s,
        "INSERT INTO t VALUES (1, 2, 3, 4, 1.5, 2.5, 3.5, 'abc', 'x', true, DATE '2024-02-29', 12.34)",
    );
    assert_eq!(
        query(&mut s, "SELECT * FROM t"),
        table(&[&[
            "1",
            "2",
            "3",
            "4",
            "1.5",
            "2.5",
            "3.5",
            "abc",
            "x",
            "true",
            "2024-02-29",
            "12.34"
        ]])
    );
    assert_eq!(
        query(&mut s, "SELECT dt FROM t ORDER BY dt DESC, dec ASC"),
        table(&[&["2024-02-29"]])
    );
}

#[test]
fn savepoints() {
    let mut s = session();
    exec(&mut s, "CREATE TABLE t (a INTEGER)");
    exec(
        &mut s,
        "BEGIN; INSERT INTO t VALUES (1); SAVEPOINT one; INSERT INTO t VALUES (2)",
    );
    exec(
        &mut s,
        "SAVEPOINT two; INSERT INTO t VALUES (3); ROLLBACK TO one",
    );
    assert_eq!(query(&mut s, "SELECT a FROM t"), table(&[&["1"]]));
    exec(&mut s, "INSERT INTO t VALUES (4); RELEASE one; COMMIT");
    assert_eq!(
        query(&mut s, "SELECT a FROM t ORDER BY a"),
        table(&[&["1"], &["4"]])
    );
    assert!(
        s.execute("RELEASE nope")
            .unwrap_err()
            .to_string()
            .contains("no such savepoint: nope")
    );
    // A SAVEPOINT outside a transaction opens one; its RELEASE commits it.
    exec(&mut s, "SAVEPOINT outer_sp; INSERT INTO t VALUES (5)");
    assert!(s.in_transaction());
    exec(&mut s, "RELEASE outer_sp");
    assert!(!s.in_transaction());
    assert_eq!(query(&mut s, "SELECT count(*) FROM t"), table(&[&["3"]]));
}

#[test]
fn distinct_aggregates_take_one_argument() {
    let mut s = session();
    exec(&mut s, "CREATE TABLE t (a TEXT)");
    assert!(s.execute("SELECT count(DISTINCT *) FROM t").is_err());
    assert!(
        s.execute("SELECT group_concat(DISTINCT a, ':') FROM t")
            .is_err()
    );
}

#[test]
fn indexes_answer_lookups_and_enforce_uniqueness() {
    let mut s = session();
    exec(&mut s, "CREATE TABLE t (a INTEGER, b TEXT)");
    exec(
        &mut s,
        "INSERT INTO t VALUES (3, 'c'), (1, 'a'), (2, 'b'), (NULL, 'n'), (2, 'bb')",
    );
    exec(&mut s, "CREATE INDEX t_a ON t (a)");
    assert_eq!(
        query(&mut s, "SELECT b FROM t WHERE a = 2"),
        table(&[&["b"], &["bb"]])
    );
    assert_eq!(
        query(&mut s, "SELECT b FROM t WHERE a > 1"),
        table(&[&["c"], &["b"], &["bb"]])
    );
    assert_eq!(
        query(&mut s, "SELECT b FROM t WHERE a <= 1"),
        table(&[&["a"]])
    );
    assert_eq!(
        query(&mut s, "SELECT b FROM t WHERE a IN (3, NULL, 1)"),
        table(&[&["c"], &["a"]])
    );
    exec(&mut s, "DELETE FROM t WHERE a = 2 AND b = 'b'");
    assert_eq!(
        query(&mut s, "SELECT b FROM t WHERE a = 2"),
        table(&[&["bb"]])
    );
    assert!(s.execute("CREATE UNIQUE INDEX t_b ON t (b)").is_ok());
    let e = s.execute("INSERT INTO t VALUES (9, 'a')").unwrap_err();
    assert!(
        e.to_string().contains("UNIQUE constraint failed: t.b"),
        "{e}"
    );
    assert!(s.execute("CREATE UNIQUE INDEX t_a2 ON t (a)").is_ok());
    assert!(s.execute("INSERT INTO t VALUES (2, 'x')").is_err());
    exec(&mut s, "DROP INDEX t_a2");
    exec(&mut s, "INSERT INTO t VALUES (2, 'x')");
    let e = s.execute("CREATE UNIQUE INDEX t_a3 ON t (a)").unwrap_err();
    assert!(e.to_string().contains("UNIQUE constraint failed"), "{e}");
    exec(&mut s, "DROP INDEX t_a");
    assert!(s.execute("DROP INDEX t_a").is_err());
    exec(&mut s, "DROP INDEX IF EXISTS t_a");
    exec(&mut s, "DROP TABLE t");
    exec(&mut s, "CREATE TABLE t (a INTEGER)");
    exec(&mut s, "CREATE INDEX t_b ON t (a)");
}

#[test]
fn range_table_functions() {
    let mut s = session();
    assert_eq!(
        query(&mut s, "SELECT count(*), sum(range) FROM range(10000)"),
        table(&[&["10000", "49995000"]])
    );
    assert_eq!(
        query(&mut s, "SELECT * FROM range(1, 10, 4)"),
        table(&[&["1"], &["5"], &["9"]])
    );
    assert_eq!(
        query(&mut s, "SELECT x FROM generate_series(3, 1, -1) AS g(x)"),
        table(&[&["3"], &["2"], &["1"]])
    );
    exec(
        &mut s,
        "CREATE TABLE t (a INTEGER); INSERT INTO t SELECT range * 2 FROM range(5)",
    );
    assert_eq!(query(&mut s, "SELECT sum(a) FROM t"), table(&[&["20"]]));
    assert!(
        s.execute("SELECT * FROM range(1, 5, 0)")
            .unwrap_err()
            .to_string()
            .contains("step cannot be 0")
    );
    assert!(s.execute("SELECT * FROM range('x')").is_err());
    assert!(
        s.execute("SELECT * FROM nosuch(1)")
            .unwrap_err()
            .to_string()
            .contains("table function")
    );
}

#[test]
fn durable_file_with_each_sync_mode_and_vacuum() {
    use llkv_reference_engine::SyncMode;
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, mode) in [SyncMode::Full, SyncMode::Normal, SyncMode::Off]
        .into_iter()
        .enumerate()
    {
        let path = dir.path().join(format!("db{i}.llkv"));
        {
            let engine = Engine::builder()
                .path(&path)
                .synchronous(mode)
                .build()
                .expect("open");
            let mut s = engine.session();
            exec(&mut s, "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)");
            for k in 0..50 {
                exec(&mut s, &format!("INSERT INTO t VALUES ({k}, 'v{k}')"));
            }
            exec(
                &mut s,
                "UPDATE t SET b = 'u' WHERE a < 25; DELETE FROM t WHERE a >= 40",
            );
            exec(&mut s, "VACUUM");
            assert!(s.execute("BEGIN; VACUUM").is_err());
            exec(&mut s, "ROLLBACK");
            engine.sync().expect("sync");
        }
        let engine = Engine::open(&path).expect("reopen");
        let mut s = engine.session();
        assert_eq!(
            query(
                &mut s,
                "SELECT count(*), count(CASE WHEN b = 'u' THEN 1 END) FROM t"
            ),
            table(&[&["40", "25"]])
        );
    }
}

#[test]
fn string_functions() {
    let mut s = session();
    assert_eq!(
        query(
            &mut s,
            "SELECT substr('hello', 2, 3), substr('hello', -3), substring('hello', 2), substr('hello', 1, -9223372036854775808)"
        ),
        table(&[&["ell", "llo", "ello", ""]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT trim('  a  '), ltrim('xxa', 'x'), rtrim('axx', 'x'), trim('x' FROM 'xax'), upper('a'), lower('B'), length('héllo')"
        ),
        table(&[&["a", "a", "a", "a", "A", "b", "5"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT replace('aXbX', 'X', '-'), instr('hello', 'll'), round(2.5), typeof(1), typeof('x'), typeof(NULL)"
        ),
        table(&[&["a-b-", "3", "3.0", "integer", "text", "null"]])
    );
    assert!(
        s.execute("SELECT length()")
            .unwrap_err()
            .to_string()
            .contains("wrong number of arguments")
    );
}

/// Deeply nested statements run on a small thread stack (a test thread's 2 MiB), in any
/// build: the binder and the evaluator move to a new stack segment when one runs low.
#[test]
fn deep_nesting_runs_on_a_small_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let mut s = session();
            exec(&mut s, "CREATE TABLE n (a INTEGER, b INTEGER)");
            exec(&mut s, "INSERT INTO n VALUES (1, 2), (3, 4)");
            let chain: Vec<String> = (0..150).map(|i| format!("a <> {}", i + 10)).collect();
            let sql = format!("SELECT count(*) FROM n WHERE {}", chain.join(" AND "));
            assert_eq!(query(&mut s, &sql), table(&[&["2"]]));
            let sum: Vec<String> = (0..150).map(|i| i.to_string()).collect();
            let sql = format!("SELECT a + {} FROM n ORDER BY a", sum.join(" + "));
            assert_eq!(query(&mut s, &sql), table(&[&["11176"], &["11178"]]));
            let mut nested = "b".to_string();
            for _ in 0..60 {
                nested = format!("(CASE WHEN a > 0 THEN {nested} ELSE 0 END)");
            }
            let sql = format!("SELECT {nested} FROM n ORDER BY a");
            assert_eq!(query(&mut s, &sql), table(&[&["2"], &["4"]]));
        })
        .expect("spawn");
    worker.join().expect("no overflow");
}
