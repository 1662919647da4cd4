//! Write buffers: a transaction's small writes to a table share open row groups, sealed by
//! the first read. Whatever reads them, and whenever, must see exactly the rows a
//! transaction of one-row groups would: across savepoints, concurrent readers, commits and
//! a reopened file.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use llkv_reference_engine::Engine;
use llkv_tests::{exec, query, table};

#[test]
fn point_writes_read_back_across_savepoints_and_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("buffers.llkv");
    {
        let engine = Engine::builder().path(&path).build().expect("open");
        let mut s = engine.session();
        let mut other = engine.session();
        exec(
            &mut s,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, name TEXT)",
        );
        exec(&mut s, "BEGIN");
        for k in 0..3_000 {
            exec(&mut s, &format!("INSERT INTO t VALUES ({k}, 0, 'n{k}')"));
        }
        // Read in the middle: the buffer written so far is sealed, later writes go on.
        assert_eq!(
            query(&mut s, "SELECT count(*), sum(id) FROM t"),
            table(&[&["3000", "4498500"]])
        );
        exec(&mut s, "SAVEPOINT sp");
        for k in 0..3_000 {
            exec(&mut s, &format!("UPDATE t SET v = v + 1 WHERE id = {k}"));
        }
        exec(&mut s, "ROLLBACK TO sp");
        for k in (0..3_000).step_by(3) {
            exec(&mut s, &format!("UPDATE t SET v = 7 WHERE id = {k}"));
        }
        for k in 3_000..3_100 {
            exec(&mut s, &format!("INSERT INTO t VALUES ({k}, 1, NULL)"));
        }
        exec(&mut s, "DELETE FROM t WHERE id = 5");
        // Another session sees none of it before the commit.
        assert_eq!(
            query(&mut other, "SELECT count(*) FROM t"),
            table(&[&["0"]])
        );
        assert_eq!(
            query(&mut s, "SELECT v, name FROM t WHERE id = 3"),
            table(&[&["7", "n3"]])
        );
        // A duplicate key among the buffered rows is still found.
        assert!(s.execute("INSERT INTO t VALUES (3050, 0, 'x')").is_err());
        exec(&mut s, "COMMIT");
        assert_eq!(
            query(&mut other, "SELECT count(*), sum(v), count(name) FROM t"),
            table(&[&["3099", "7100", "2999"]])
        );
        engine.sync().expect("sync");
    }
    let engine = Engine::open(&path).expect("reopen");
    let mut s = engine.session();
    assert_eq!(
        query(&mut s, "SELECT count(*), sum(v), count(name) FROM t"),
        table(&[&["3099", "7100", "2999"]])
    );
    assert_eq!(
        query(&mut s, "SELECT v FROM t WHERE id = 2997"),
        table(&[&["7"]])
    );
    assert_eq!(
        query(&mut s, "SELECT v FROM t WHERE id + 0 = 3001"),
        table(&[&["1"]])
    );
}

#[test]
fn a_rolled_back_transaction_of_point_writes_leaves_nothing() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    exec(&mut s, "INSERT INTO t VALUES (1, 1), (2, 2)");
    exec(&mut s, "BEGIN");
    for k in 10..500 {
        exec(&mut s, &format!("INSERT INTO t VALUES ({k}, {k})"));
    }
    exec(&mut s, "UPDATE t SET v = 0 WHERE id = 1");
    exec(&mut s, "ROLLBACK");
    assert_eq!(
        query(&mut s, "SELECT count(*), sum(v) FROM t"),
        table(&[&["2", "3"]])
    );
    // The same keys can be written again.
    exec(&mut s, "INSERT INTO t VALUES (10, 10)");
    assert_eq!(
        query(&mut s, "SELECT v FROM t WHERE id = 10"),
        table(&[&["10"]])
    );
}

#[test]
fn readers_scanning_while_a_transaction_writes_see_only_commits() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let engine = engine.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut r = engine.session();
            let mut scans = 0;
            // Scans seal the writer's buffers while it appends to them; every count is
            // a committed state: all of a transaction's rows or none.
            while !done.load(Ordering::Acquire) || scans == 0 {
                let count = query(&mut r, "SELECT count(*) FROM t")[0][0].clone();
                assert!(["0", "1000", "2000"].contains(&count.as_str()), "{count}");
                scans += 1;
            }
        })
    };
    for round in 0..2 {
        exec(&mut s, "BEGIN");
        for k in 0..1_000 {
            let id = round * 1_000 + k;
            exec(&mut s, &format!("INSERT INTO t VALUES ({id}, {k})"));
        }
        exec(&mut s, "COMMIT");
    }
    done.store(true, Ordering::Release);
    reader.join().expect("reader");
    assert_eq!(
        query(&mut s, "SELECT count(*), sum(v) FROM t"),
        table(&[&["2000", "999000"]])
    );
}
