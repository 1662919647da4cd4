//! A file does not grow without bound under a steady update workload: freed blobs are
//! reclaimed as commits go (the engine asks the pager to compact every 256 commits).

use llkv_reference_engine::{Engine, SyncMode};
use llkv_tests::{exec, query, table};

#[test]
fn steady_updates_keep_the_file_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("churn.llkv");
    let engine = Engine::builder()
        .path(&path)
        .synchronous(SyncMode::Off)
        .build()
        .expect("open");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    let values: Vec<String> = (0..1000).map(|i| format!("({i}, 0)")).collect();
    exec(
        &mut s,
        &format!("INSERT INTO t VALUES {}", values.join(", ")),
    );
    // LLKV_CHURN_UPDATES measures longer runs; CI uses the default.
    let updates: usize = std::env::var("LLKV_CHURN_UPDATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut peak = 0;
    for k in 0..updates {
        exec(
            &mut s,
            &format!("UPDATE t SET v = v + 1 WHERE id = {}", (k * 7) % 1000),
        );
        if k % 500 == 0 {
            peak = peak.max(std::fs::metadata(&path).expect("size").len());
        }
    }
    let size = std::fs::metadata(&path).expect("size").len();
    peak = peak.max(size);
    println!("file after {updates} updates of 1,000 rows: {size} bytes (peak {peak})");
    let total = updates.to_string();
    assert_eq!(
        query(&mut s, "SELECT sum(v) FROM t"),
        table(&[&[total.as_str()]])
    );
    // Without reclamation this workload writes tens of megabytes; with it the file stays
    // within the pager's compaction threshold (4 MiB of dead space) plus the live data.
    assert!(peak < 16 << 20, "file peaked at {peak} bytes");
    drop(s);
    drop(engine);
    let engine = Engine::open(&path).expect("reopen");
    let mut s = engine.session();
    assert_eq!(
        query(&mut s, "SELECT sum(v), count(*) FROM t"),
        table(&[&[total.as_str(), "1000"]])
    );
}

/// Commits per second of 1-row autocommit inserts on a file with SyncMode::Full, from
/// 1, 4 and 16 sessions (group commit lets concurrent commits share an fsync). Reported,
/// not asserted.
#[test]
fn group_commit_throughput_is_reported() {
    for sessions in [1usize, 4, 16] {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Engine::open(dir.path().join("g.llkv")).expect("open");
        let mut s = engine.session();
        exec(&mut s, "CREATE TABLE t (session INTEGER, k INTEGER)");
        let per_session = 60;
        let started = std::time::Instant::now();
        std::thread::scope(|scope| {
            for id in 0..sessions {
                let engine = engine.clone();
                scope.spawn(move || {
                    let mut s = engine.session();
                    for k in 0..per_session {
                        exec(&mut s, &format!("INSERT INTO t VALUES ({id}, {k})"));
                    }
                });
            }
        });
        let elapsed = started.elapsed().as_secs_f64();
        let n = sessions * per_session;
        println!(
            "SyncMode::Full, {sessions} session(s): {n} commits in {elapsed:.2} s = {:.0} commits/s",
            n as f64 / elapsed
        );
        assert_eq!(
            query(&mut s, "SELECT count(*) FROM t"),
            table(&[&[n.to_string().as_str()]])
        );
        drop(s);
        drop(engine);
        let engine = Engine::open(dir.path().join("g.llkv")).expect("reopen");
        let mut s = engine.session();
        assert_eq!(
            query(&mut s, "SELECT count(*) FROM t"),
            table(&[&[n.to_string().as_str()]])
        );
    }
}
