//! `WHERE` conditions moved below joins (predicate pushdown) give the same rows as
//! filtering the joined rows: inner, cross, left and nested joins, conditions on either
//! side, conditions that must stay above a left join, NULL-padded rows, and conditions
//! that could fail on rows the join drops. Every case runs in both dialects.

use llkv_reference_engine::{DialectKind, Engine, Session};
use llkv_tests::{exec, query, table};

fn session(dialect: DialectKind) -> Session {
    let mut s = Engine::builder()
        .dialect(dialect)
        .build()
        .expect("engine")
        .session();
    for sql in [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, g INTEGER, v INTEGER, s TEXT)",
        "CREATE TABLE d (g INTEGER PRIMARY KEY, label TEXT, flag INTEGER)",
        "CREATE TABLE e (label TEXT, w INTEGER)",
        "INSERT INTO t VALUES (1, 1, 10, 'a'), (2, 2, 20, 'b'), (3, 1, NULL, 'c'), \
         (4, 3, 40, 'd'), (5, NULL, 50, 'e')",
        "INSERT INTO d VALUES (1, 'one', 1), (2, 'two', 0), (4, 'four', NULL)",
        "INSERT INTO e VALUES ('one', 100), ('two', 200), ('two', 201)",
    ] {
        exec(&mut s, sql);
    }
    s
}

/// Runs each query in both dialects and compares with the expected rows.
fn check(cases: &[(&str, &[&[&str]])]) {
    for dialect in [DialectKind::Sqlite, DialectKind::DuckDb] {
        let mut s = session(dialect);
        for (sql, want) in cases {
            assert_eq!(query(&mut s, sql), table(want), "{dialect:?}: {sql}");
        }
    }
}

#[test]
fn inner_join_conditions_on_either_side() {
    check(&[
        (
            "SELECT d.label, count(*), sum(t.v) FROM t JOIN d ON t.g = d.g \
             WHERE d.flag = 1 GROUP BY d.label",
            &[&["one", "2", "10"]],
        ),
        (
            "SELECT t.id, d.label FROM t JOIN d ON t.g = d.g WHERE t.v > 15 ORDER BY t.id",
            &[&["2", "two"]],
        ),
        (
            "SELECT t.id FROM t JOIN d ON t.g = d.g \
             WHERE t.s IN ('a', 'b', 'c') AND d.label LIKE 't%' AND t.v IS NOT NULL",
            &[&["2"]],
        ),
        (
            "SELECT t.id FROM t INNER JOIN d ON t.g = d.g AND d.flag = 1 ORDER BY t.id",
            &[&["1"], &["3"]],
        ),
        (
            "SELECT t.id FROM t JOIN d ON t.g = d.g WHERE NOT (d.flag = 1) OR d.flag IS NULL",
            &[&["2"]],
        ),
        ("SELECT t.id FROM t JOIN d ON t.g = d.g WHERE 1 = 0", &[]),
        (
            "SELECT t.id FROM t JOIN d ON t.g = d.g WHERE upper(d.label) = 'ONE' ORDER BY 1",
            &[&["1"], &["3"]],
        ),
    ]);
}

#[test]
fn cross_join_where_equality_becomes_a_join_key() {
    check(&[
        (
            "SELECT t.id, d.label FROM t CROSS JOIN d WHERE t.g = d.g AND d.flag = 1 \
             ORDER BY t.id",
            &[&["1", "one"], &["3", "one"]],
        ),
        (
            "SELECT count(*) FROM t CROSS JOIN d WHERE t.g < d.g",
            &[&["6"]],
        ),
        (
            "SELECT t.id, d.g FROM t JOIN d ON true WHERE t.g = d.g OR t.v = 50 \
             ORDER BY t.id, d.g",
            &[
                &["1", "1"],
                &["2", "2"],
                &["3", "1"],
                &["5", "1"],
                &["5", "2"],
                &["5", "4"],
            ],
        ),
    ]);
}

#[test]
fn left_join_keeps_conditions_on_the_padded_side_above() {
    check(&[
        // On the preserved side: may move below.
        (
            "SELECT t.id, d.label FROM t LEFT JOIN d ON t.g = d.g WHERE t.v >= 20 \
             ORDER BY t.id",
            &[&["2", "two"], &["4", "NULL"], &["5", "NULL"]],
        ),
        // On the NULL-padded side: must filter after padding.
        (
            "SELECT t.id FROM t LEFT JOIN d ON t.g = d.g WHERE d.label IS NULL ORDER BY t.id",
            &[&["4"], &["5"]],
        ),
        (
            "SELECT t.id, d.flag FROM t LEFT JOIN d ON t.g = d.g \
             WHERE d.flag = 1 OR d.flag IS NULL ORDER BY t.id",
            &[&["1", "1"], &["3", "1"], &["4", "NULL"], &["5", "NULL"]],
        ),
        // A right-side ON condition filters the right input; a left-side one does not
        // remove left rows.
        (
            "SELECT t.id, d.label FROM t LEFT JOIN d ON t.g = d.g AND d.flag = 1 \
             ORDER BY t.id",
            &[
                &["1", "one"],
                &["2", "NULL"],
                &["3", "one"],
                &["4", "NULL"],
                &["5", "NULL"],
            ],
        ),
        (
            "SELECT t.id, d.label FROM t LEFT JOIN d ON t.g = d.g AND t.v > 15 \
             ORDER BY t.id",
            &[
                &["1", "NULL"],
                &["2", "two"],
                &["3", "NULL"],
                &["4", "NULL"],
                &["5", "NULL"],
            ],
        ),
        (
            "SELECT t.id, d.label FROM t LEFT JOIN d ON t.g = d.g AND 1 = 0 \
             WHERE t.id <= 2 ORDER BY t.id",
            &[&["1", "NULL"], &["2", "NULL"]],
        ),
        (
            "SELECT count(*) FROM t LEFT JOIN d ON t.g = d.g WHERE coalesce(d.flag, 7) = 7",
            &[&["2"]],
        ),
    ]);
}

#[test]
fn nested_joins_push_into_every_input() {
    check(&[
        (
            "SELECT t.id, d.label, e.w FROM t JOIN d ON t.g = d.g JOIN e ON d.label = e.label \
             WHERE e.w > 150 AND t.v < 100 AND d.flag = 0 ORDER BY e.w",
            &[&["2", "two", "200"], &["2", "two", "201"]],
        ),
        (
            "SELECT t.id, e.w FROM t LEFT JOIN d ON t.g = d.g LEFT JOIN e ON d.label = e.label \
             WHERE t.id < 3 AND (e.w IS NULL OR e.w < 201) ORDER BY t.id, e.w",
            &[&["1", "100"], &["2", "200"]],
        ),
        (
            "SELECT t.id, x.label FROM t JOIN (SELECT d.g, e.label, e.w FROM d JOIN e \
             ON d.label = e.label) AS x ON t.g = x.g WHERE x.w = 201 AND t.s <> 'z'",
            &[&["2", "two"]],
        ),
        (
            "SELECT t.id, x.n FROM t, (SELECT g, count(*) AS n FROM d GROUP BY g) AS x \
             WHERE t.g = x.g AND x.n = 1 AND t.v > 15 ORDER BY t.id",
            &[&["2", "1"]],
        ),
        (
            "SELECT a.id, b.id FROM t AS a JOIN t AS b ON a.g = b.g JOIN d ON d.g = b.g \
             WHERE a.id < b.id AND d.flag = 1",
            &[&["1", "3"]],
        ),
    ]);
}

#[test]
fn conditions_that_must_not_move() {
    check(&[
        // A subquery condition stays above the join.
        (
            "SELECT t.id FROM t JOIN d ON t.g = d.g \
             WHERE d.flag = (SELECT max(flag) FROM d) ORDER BY t.id",
            &[&["1"], &["3"]],
        ),
        // A correlated one too.
        (
            "SELECT t.id FROM t JOIN d ON t.g = d.g \
             WHERE EXISTS (SELECT 1 FROM e WHERE e.label = d.label AND e.w > 150)",
            &[&["2"]],
        ),
        // Arithmetic could fail on rows the join drops.
        (
            "SELECT t.id FROM t JOIN d ON t.g = d.g WHERE t.v / d.g = 10 ORDER BY t.id",
            &[&["1"], &["2"]],
        ),
        // A limit below the filter sees other rows.
        (
            "SELECT x.id FROM (SELECT t.id, d.flag FROM t JOIN d ON t.g = d.g \
             ORDER BY t.id LIMIT 2) AS x WHERE x.flag = 0",
            &[&["2"]],
        ),
        // Aggregates are filtered after grouping.
        (
            "SELECT d.label, count(*) FROM t JOIN d ON t.g = d.g GROUP BY d.label \
             HAVING count(*) > 1",
            &[&["one", "2"]],
        ),
    ]);
}

/// In DuckDB a text-to-integer cast of a non-number fails. The only `d` row whose label is
/// not a number joins no `t` row, so the filter above the join never sees it and must not
/// be moved to where it would.
#[test]
fn failing_casts_stay_above_the_join() {
    let mut s = session(DialectKind::DuckDb);
    exec(&mut s, "CREATE TABLE n (g INTEGER, txt TEXT)");
    exec(&mut s, "INSERT INTO n VALUES (1, '7'), (9, 'nine')");
    assert!(s.query("SELECT CAST(txt AS INTEGER) FROM n").is_err());
    assert_eq!(
        query(
            &mut s,
            "SELECT t.id FROM t JOIN n ON t.g = n.g WHERE CAST(n.txt AS INTEGER) = 7 ORDER BY 1"
        ),
        table(&[&["1"], &["3"]])
    );
    assert_eq!(
        query(
            &mut s,
            "SELECT t.id FROM t JOIN n ON t.g = n.g AND CAST(n.txt AS INTEGER) = 7 ORDER BY 1"
        ),
        table(&[&["1"], &["3"]])
    );
}
