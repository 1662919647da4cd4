//! Queries whose scans read only some columns (column pruning) give the same rows as
//! reading all of them: filters, sorts, joins and aggregates on columns the result does
//! not show, zero-column inputs, outer joins, DISTINCT and subqueries.

use llkv_reference_engine::Engine;
use llkv_tests::{query, table};

fn session() -> llkv_reference_engine::Session {
    let mut s = Engine::in_memory().expect("engine").session();
    for sql in [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, v INTEGER, s TEXT)",
        "CREATE TABLE d (g INTEGER PRIMARY KEY, label TEXT, flag INTEGER)",
        "INSERT INTO t VALUES (1, 1, 10, 'a'), (2, 2, 20, 'b'), (3, 1, NULL, 'c'), (4, 3, 40, 'd')",
        "INSERT INTO d VALUES (1, 'one', 1), (2, 'two', 0)",
    ] {
        s.execute(sql).expect(sql);
    }
    s
}

#[test]
fn pruned_scans_give_the_same_rows() {
    let mut s = session();
    let cases: &[(&str, &[&[&str]])] = &[
        ("SELECT count(*) FROM t", &[&["4"]]),
        (
            "SELECT count(*) FROM (SELECT s FROM t WHERE v > 15)",
            &[&["2"]],
        ),
        (
            "SELECT s FROM t WHERE v < 25 ORDER BY id DESC",
            &[&["b"], &["a"]],
        ),
        (
            "SELECT id FROM t ORDER BY s DESC LIMIT 2",
            &[&["4"], &["3"]],
        ),
        (
            "SELECT d.label, sum(t.v) FROM t JOIN d ON t.g = d.g WHERE d.flag = 1 GROUP BY d.label",
            &[&["one", "10"]],
        ),
        (
            "SELECT t.s, d.label FROM t LEFT JOIN d ON t.g = d.g AND d.flag = 1 ORDER BY t.id",
            &[&["a", "one"], &["b", "NULL"], &["c", "one"], &["d", "NULL"]],
        ),
        (
            "SELECT t.id FROM t, d WHERE t.g = d.g AND t.v IS NULL",
            &[&["3"]],
        ),
        (
            "SELECT DISTINCT g FROM t ORDER BY g",
            &[&["1"], &["2"], &["3"]],
        ),
        (
            "SELECT s FROM t WHERE g IN (SELECT g FROM d WHERE flag = 0)",
            &[&["b"]],
        ),
        (
            "SELECT s FROM t WHERE v > (SELECT avg(v) FROM t AS u WHERE u.g = t.g) ORDER BY s",
            &[],
        ),
        (
            "SELECT g FROM t UNION SELECT flag FROM d ORDER BY 1",
            &[&["0"], &["1"], &["2"], &["3"]],
        ),
    ];
    for (sql, want) in cases {
        assert_eq!(query(&mut s, sql), table(want), "{sql}");
    }
}
