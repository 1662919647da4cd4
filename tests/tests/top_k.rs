//! `ORDER BY ... LIMIT k` (kept best-k rows with a threshold on the first key) returns
//! the first k rows of the full sort, for every direction and NULL placement.

use llkv_reference_engine::Engine;
use llkv_tests::query;

#[test]
fn top_k_equals_the_head_of_the_full_sort() {
    let mut s = Engine::in_memory().expect("engine").session();
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b REAL, c TEXT)")
        .expect("create");
    // Several inserts: the scan yields several batches; many ties and NULLs.
    for chunk in 0..6 {
        let rows: Vec<String> = (chunk * 700..(chunk + 1) * 700)
            .map(|i: i64| {
                let a = if i % 11 == 0 {
                    "NULL".to_string()
                } else {
                    (i * 37 % 23).to_string()
                };
                let b = if i % 13 == 0 {
                    "NULL".to_string()
                } else {
                    format!("{}.5", i * 17 % 31)
                };
                let c = if i % 7 == 0 {
                    "NULL".to_string()
                } else {
                    format!("'s{}'", i * 5 % 19)
                };
                format!("({i}, {a}, {b}, {c})")
            })
            .collect();
        s.execute(&format!("INSERT INTO t VALUES {}", rows.join(",")))
            .expect("insert");
    }
    let orders = [
        "a",
        "a DESC",
        "a NULLS FIRST",
        "a DESC NULLS LAST",
        "b DESC, a",
        "c, b DESC NULLS FIRST",
        "c DESC NULLS LAST, a NULLS FIRST",
        "a + b",
    ];
    for order in orders {
        let full = query(&mut s, &format!("SELECT id FROM t ORDER BY {order}, id"));
        for k in [1, 5, 100, 4000, 5000] {
            let top = query(
                &mut s,
                &format!("SELECT id FROM t ORDER BY {order}, id LIMIT {k}"),
            );
            assert_eq!(top, full[..k.min(full.len())], "ORDER BY {order} LIMIT {k}");
            let off = query(
                &mut s,
                &format!("SELECT id FROM t ORDER BY {order}, id LIMIT {k} OFFSET 3"),
            );
            let end = (k + 3).min(full.len());
            assert_eq!(
                off,
                full[3.min(end)..end],
                "ORDER BY {order} LIMIT {k} OFFSET 3"
            );
        }
    }
}
