//! The table-wide hash index over key columns: point lookups, point updates and unique
//! checks go through it, so they must see exactly the row versions a full scan would,
//! across updates, rollbacks, merges of row groups and a reopened database.

use llkv_reference_engine::{Engine, Session};
use llkv_tests::{exec, query, table};

/// `SELECT v FROM t WHERE id = k` by the index, and the same row found by a scan that no
/// index can answer (`id + 0 = k`).
fn both_ways(s: &mut Session, k: i64) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    (
        query(s, &format!("SELECT v FROM t WHERE id = {k}")),
        query(s, &format!("SELECT v FROM t WHERE id + 0 = {k}")),
    )
}

#[test]
fn point_updates_in_one_transaction_find_the_newest_version() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    let mut b = engine.session();
    exec(&mut a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    let values: Vec<String> = (0..2_000).map(|i| format!("({i}, 0)")).collect();
    exec(
        &mut a,
        &format!("INSERT INTO t VALUES {}", values.join(",")),
    );
    for round in 0..3 {
        exec(&mut a, "BEGIN");
        // Every key updated several times in the transaction: each update must find the
        // version the previous one wrote (pending, in the transaction's write buffer, which
        // that read seals).
        for k in (0..2_000).step_by(37) {
            for _ in 0..3 {
                exec(&mut a, &format!("UPDATE t SET v = v + 1 WHERE id = {k}"));
            }
        }
        let expect = ((round + 1) * 3).to_string();
        assert_eq!(
            both_ways(&mut a, 37),
            (table(&[&[&expect]]), table(&[&[&expect]]))
        );
        // The other session still sees the committed versions only.
        let before = (round * 3).to_string();
        assert_eq!(
            both_ways(&mut b, 37),
            (table(&[&[&before]]), table(&[&[&before]]))
        );
        exec(&mut a, "COMMIT");
    }
    // Compaction merged the small groups; the index follows the rows.
    exec(&mut a, "VACUUM");
    for k in [0, 37, 38, 1_998] {
        let (by_index, by_scan) = both_ways(&mut b, k);
        assert_eq!(by_index, by_scan, "key {k}");
        assert_eq!(by_index.len(), 1, "key {k}");
    }
    assert_eq!(
        query(&mut b, "SELECT count(*), sum(v) FROM t"),
        table(&[&["2000", "495"]])
    );
}

#[test]
fn unique_checks_see_deletes_rollbacks_and_updates() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    exec(&mut s, "INSERT INTO t VALUES (1, 1), (2, 2)");
    assert!(s.execute("INSERT INTO t VALUES (2, 9)").is_err());
    // A key deleted in the transaction can be inserted again.
    exec(&mut s, "BEGIN");
    exec(&mut s, "DELETE FROM t WHERE id = 2");
    exec(&mut s, "INSERT INTO t VALUES (2, 20)");
    assert!(s.execute("INSERT INTO t VALUES (2, 21)").is_err());
    exec(&mut s, "ROLLBACK");
    assert_eq!(both_ways(&mut s, 2), (table(&[&["2"]]), table(&[&["2"]])));
    // A rolled-back insert leaves its key free.
    exec(&mut s, "BEGIN");
    exec(&mut s, "INSERT INTO t VALUES (3, 3)");
    exec(&mut s, "ROLLBACK");
    exec(&mut s, "INSERT INTO t VALUES (3, 30)");
    assert_eq!(both_ways(&mut s, 3), (table(&[&["30"]]), table(&[&["30"]])));
    // An update that moves a key onto another is a violation; onto a free key is not.
    assert!(s.execute("UPDATE t SET id = 1 WHERE id = 3").is_err());
    exec(&mut s, "UPDATE t SET id = 4 WHERE id = 3");
    assert_eq!(both_ways(&mut s, 3), (table(&[]), table(&[])));
    assert_eq!(both_ways(&mut s, 4), (table(&[&["30"]]), table(&[&["30"]])));
}

#[test]
fn a_concurrent_insert_of_the_same_key_conflicts() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    let mut b = engine.session();
    exec(&mut a, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    exec(&mut a, "BEGIN");
    exec(&mut a, "INSERT INTO t VALUES (7, 1)");
    assert!(b.execute("INSERT INTO t VALUES (7, 2)").is_err());
    exec(&mut a, "COMMIT");
    assert_eq!(
        query(&mut b, "SELECT v FROM t WHERE id = 7"),
        table(&[&["1"]])
    );
}

#[test]
fn text_composite_and_nullable_keys() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(
        &mut s,
        "CREATE TABLE p (a TEXT, b INTEGER, u TEXT UNIQUE, PRIMARY KEY (a, b))",
    );
    exec(
        &mut s,
        "INSERT INTO p VALUES ('x', 1, NULL), ('x', 2, NULL), ('y', 1, 'k')",
    );
    // Many NULLs in a UNIQUE column; a NULL key finds nothing.
    exec(&mut s, "INSERT INTO p VALUES ('z', 1, NULL)");
    assert_eq!(query(&mut s, "SELECT a FROM p WHERE u = NULL"), table(&[]));
    assert!(s.execute("INSERT INTO p VALUES ('x', 2, 'q')").is_err());
    assert!(s.execute("INSERT INTO p VALUES ('w', 9, 'k')").is_err());
    exec(&mut s, "INSERT INTO p VALUES ('x', 3, 'q')");
    assert_eq!(
        query(&mut s, "SELECT b FROM p WHERE u = 'q'"),
        table(&[&["3"]])
    );
    assert_eq!(
        query(&mut s, "SELECT b FROM p WHERE a = 'x' ORDER BY b"),
        table(&[&["1"], &["2"], &["3"]])
    );
}

#[test]
fn in_lists_with_repeated_keys_return_each_row_once() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    exec(&mut s, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)");
    assert_eq!(
        query(
            &mut s,
            "SELECT v FROM t WHERE id IN (3, 1, 3, NULL, 9) ORDER BY v"
        ),
        table(&[&["10"], &["30"]])
    );
    exec(&mut s, "DELETE FROM t WHERE id IN (2, 2)");
    assert_eq!(query(&mut s, "SELECT count(*) FROM t"), table(&[&["2"]]));
}

#[test]
fn a_reopened_database_rebuilds_the_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("k.llkv");
    {
        let engine = Engine::open(&path).expect("open");
        let mut s = engine.session();
        exec(&mut s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
        exec(&mut s, "INSERT INTO t VALUES (1, 10), (2, 20)");
        assert_eq!(
            query(&mut s, "SELECT v FROM t WHERE id = 2"),
            table(&[&["20"]])
        );
        exec(&mut s, "UPDATE t SET v = 21 WHERE id = 2");
    }
    let engine = Engine::open(&path).expect("reopen");
    let mut s = engine.session();
    assert_eq!(both_ways(&mut s, 2), (table(&[&["21"]]), table(&[&["21"]])));
    assert!(s.execute("INSERT INTO t VALUES (1, 0)").is_err());
    exec(&mut s, "INSERT INTO t VALUES (3, 30)");
    assert_eq!(both_ways(&mut s, 3), (table(&[&["30"]]), table(&[&["30"]])));
}

#[test]
fn a_hot_key_updated_many_times_in_one_transaction() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE c (id INTEGER PRIMARY KEY, n INTEGER)");
    exec(&mut s, "INSERT INTO c VALUES (1, 0), (2, 0)");
    exec(&mut s, "BEGIN");
    // Every update adds a version of key 1; all of them stay in the index until commit.
    for _ in 0..3_000 {
        exec(&mut s, "UPDATE c SET n = n + 1 WHERE id = 1");
    }
    assert_eq!(
        query(&mut s, "SELECT n FROM c WHERE id = 1"),
        table(&[&["3000"]])
    );
    exec(&mut s, "COMMIT");
    exec(&mut s, "VACUUM");
    assert_eq!(
        query(&mut s, "SELECT id, n FROM c WHERE id IN (1, 2) ORDER BY id"),
        table(&[&["1", "3000"], &["2", "0"]])
    );
    assert!(s.execute("INSERT INTO c VALUES (1, 5)").is_err());
}

#[test]
fn hash_lookups_answer_the_key_and_apply_the_other_conditions() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE s (k VARCHAR PRIMARY KEY, v INTEGER)");
    let values: Vec<String> = (0..1_000)
        .map(|i| format!("('k{i}', {})", i % 10))
        .collect();
    exec(
        &mut s,
        &format!("INSERT INTO s VALUES {}", values.join(",")),
    );
    for i in (0..1_000).step_by(97) {
        let v = (i % 10).to_string();
        assert_eq!(
            query(
                &mut s,
                &format!("SELECT v FROM s WHERE k = 'k{i}' AND v = {v}")
            ),
            table(&[&[&v]])
        );
        let other = (i + 1) % 10;
        assert!(
            query(
                &mut s,
                &format!("SELECT v FROM s WHERE k = 'k{i}' AND v = {other}")
            )
            .is_empty()
        );
        assert_eq!(
            query(
                &mut s,
                &format!("SELECT v FROM s WHERE k IN ('k{i}', 'k{i}', 'none')")
            ),
            table(&[&[&v]])
        );
        // A key that only differs in case or spaces is another key.
        assert!(query(&mut s, &format!("SELECT v FROM s WHERE k = 'K{i}'")).is_empty());
        assert!(query(&mut s, &format!("SELECT v FROM s WHERE k = 'k{i} '")).is_empty());
        exec(
            &mut s,
            &format!("DELETE FROM s WHERE k = 'k{i}' AND v = {other}"),
        );
        exec(
            &mut s,
            &format!("UPDATE s SET v = v + 100 WHERE k = 'k{i}'"),
        );
    }
    assert_eq!(
        query(&mut s, "SELECT count(*), sum(v) FROM s"),
        table(&[&["1000", "5600"]])
    );
}
