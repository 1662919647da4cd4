//! Row groups remember when every snapshot sees all their rows; deletes and updates must
//! end that, for new snapshots, while older snapshots keep their view.

use llkv_reference_engine::Engine;
use llkv_tests::{query, table};

#[test]
fn a_delete_after_a_settled_scan_is_seen_by_new_snapshots_only() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    let mut b = engine.session();
    a.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        .expect("create");
    a.execute("INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
        .expect("insert");
    // Scans note that the group is settled.
    for _ in 0..2 {
        assert_eq!(query(&mut a, "SELECT sum(v) FROM t"), table(&[&["60"]]));
    }
    b.execute("BEGIN").expect("begin");
    assert_eq!(query(&mut b, "SELECT sum(v) FROM t"), table(&[&["60"]]));
    a.execute("DELETE FROM t WHERE id = 2").expect("delete");
    assert_eq!(query(&mut a, "SELECT sum(v) FROM t"), table(&[&["40"]]));
    // b's snapshot predates the delete.
    assert_eq!(query(&mut b, "SELECT sum(v) FROM t"), table(&[&["60"]]));
    b.execute("COMMIT").expect("commit");
    assert_eq!(query(&mut b, "SELECT sum(v) FROM t"), table(&[&["40"]]));
    a.execute("UPDATE t SET v = v + 1").expect("update");
    assert_eq!(
        query(&mut b, "SELECT sum(v), count(*) FROM t"),
        table(&[&["42", "2"]])
    );
}

#[test]
fn a_rolled_back_delete_leaves_every_row_visible() {
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    a.execute("CREATE TABLE t (v INTEGER)").expect("create");
    a.execute("INSERT INTO t VALUES (1), (2)").expect("insert");
    assert_eq!(query(&mut a, "SELECT count(*) FROM t"), table(&[&["2"]]));
    a.execute("BEGIN").expect("begin");
    a.execute("DELETE FROM t").expect("delete");
    assert_eq!(query(&mut a, "SELECT count(*) FROM t"), table(&[&["0"]]));
    a.execute("ROLLBACK").expect("rollback");
    for _ in 0..2 {
        assert_eq!(query(&mut a, "SELECT count(*) FROM t"), table(&[&["2"]]));
    }
}
