//! Snapshot isolation with real threads: a bank-transfer stress test (retries on conflict;
//! the total never changes and every snapshot sees a consistent total), plus the anomalies
//! SI forbids (dirty reads, non-repeatable reads, lost updates) and the one it allows
//! (write skew).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use llkv_reference_engine::{Engine, Error, Session};
use llkv_tests::{exec, query, table};

const ACCOUNTS: i64 = 20;
const START_BALANCE: i64 = 1_000;

fn setup(engine: &Engine) {
    let mut s = engine.session();
    exec(
        &mut s,
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)",
    );
    let values: Vec<String> = (0..ACCOUNTS)
        .map(|i| format!("({i}, {START_BALANCE})"))
        .collect();
    exec(
        &mut s,
        &format!("INSERT INTO accounts VALUES {}", values.join(", ")),
    );
}

fn total(s: &mut Session) -> i64 {
    let rows = query(s, "SELECT sum(balance) FROM accounts");
    rows[0][0].parse().expect("an integer total")
}

/// One transfer in its own transaction; `Ok(false)` if it hit a write conflict and was
/// rolled back (the caller retries).
fn transfer(s: &mut Session, from: i64, to: i64, amount: i64) -> Result<bool, Error> {
    s.execute("BEGIN")?;
    let attempt = (|| -> Result<(), Error> {
        s.execute(&format!(
            "UPDATE accounts SET balance = balance - {amount} WHERE id = {from}"
        ))?;
        s.execute(&format!(
            "UPDATE accounts SET balance = balance + {amount} WHERE id = {to}"
        ))?;
        s.execute("COMMIT")?;
        Ok(())
    })();
    match attempt {
        Ok(()) => Ok(true),
        Err(Error::Conflict(_)) => {
            if s.in_transaction() {
                s.execute("ROLLBACK")?;
            }
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Runs `sessions` threads of transfers for `duration` and checks the invariants; returns
/// (committed transfers, conflicts).
fn bank(sessions: usize, duration: Duration) -> (u64, u64) {
    let engine = Engine::in_memory().expect("engine");
    setup(&engine);
    let committed = AtomicU64::new(0);
    let conflicts = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for worker in 0..sessions {
            let engine = engine.clone();
            let (committed, conflicts, stop) = (&committed, &conflicts, &stop);
            scope.spawn(move || {
                let mut s = engine.session();
                let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (worker as u64 + 1);
                let mut next = || {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed
                };
                while !stop.load(Ordering::Relaxed) {
                    let from = (next() % ACCOUNTS as u64) as i64;
                    let to = (from + 1 + (next() % (ACCOUNTS as u64 - 1)) as i64) % ACCOUNTS;
                    let amount = (next() % 50) as i64 + 1;
                    loop {
                        match transfer(&mut s, from, to, amount) {
                            Ok(true) => {
                                committed.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                            Ok(false) => {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                                if stop.load(Ordering::Relaxed) {
                                    break;
                                }
                            }
                            Err(e) => panic!("transfer failed: {e}"),
                        }
                    }
                }
            });
        }
        // An auditor: every snapshot, inside a transaction or not, sees the same total.
        let auditor_engine = engine.clone();
        let stop_ref = &stop;
        scope.spawn(move || {
            let mut s = auditor_engine.session();
            while !stop_ref.load(Ordering::Relaxed) {
                assert_eq!(
                    total(&mut s),
                    ACCOUNTS * START_BALANCE,
                    "a snapshot saw a partial transfer"
                );
                exec(&mut s, "BEGIN");
                let a = total(&mut s);
                let b = total(&mut s);
                exec(&mut s, "COMMIT");
                assert_eq!((a, b), (ACCOUNTS * START_BALANCE, ACCOUNTS * START_BALANCE));
            }
        });
        let started = Instant::now();
        while started.elapsed() < duration {
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let mut s = engine.session();
    assert_eq!(total(&mut s), ACCOUNTS * START_BALANCE);
    assert_eq!(
        query(&mut s, "SELECT count(*) FROM accounts"),
        table(&[&["20"]])
    );
    (committed.into_inner(), conflicts.into_inner())
}

#[test]
fn bank_transfers_keep_the_total() {
    for sessions in [1, 2, 4] {
        let duration = Duration::from_millis(700);
        let (committed, conflicts) = bank(sessions, duration);
        println!(
            "{sessions} session(s): {committed} transfers committed ({:.0}/s), {conflicts} conflicts retried",
            committed as f64 / duration.as_secs_f64()
        );
        assert!(
            committed > 0,
            "no transfer committed with {sessions} sessions"
        );
    }
}

#[test]
fn no_dirty_or_non_repeatable_reads() {
    let engine = Engine::in_memory().expect("engine");
    setup(&engine);
    let mut writer = engine.session();
    let mut reader = engine.session();
    exec(&mut reader, "BEGIN");
    assert_eq!(
        query(&mut reader, "SELECT balance FROM accounts WHERE id = 1"),
        table(&[&["1000"]])
    );
    exec(
        &mut writer,
        "BEGIN; UPDATE accounts SET balance = 0 WHERE id = 1",
    );
    // Dirty read: the writer's pending change is invisible.
    assert_eq!(
        query(&mut reader, "SELECT balance FROM accounts WHERE id = 1"),
        table(&[&["1000"]])
    );
    exec(&mut writer, "COMMIT");
    // Non-repeatable read: the reader's snapshot does not move.
    assert_eq!(
        query(&mut reader, "SELECT balance FROM accounts WHERE id = 1"),
        table(&[&["1000"]])
    );
    exec(&mut reader, "COMMIT");
    assert_eq!(
        query(&mut reader, "SELECT balance FROM accounts WHERE id = 1"),
        table(&[&["0"]])
    );
}

#[test]
fn lost_updates_are_impossible() {
    let engine = Engine::in_memory().expect("engine");
    setup(&engine);
    let mut a = engine.session();
    let mut b = engine.session();
    exec(&mut a, "BEGIN");
    exec(&mut b, "BEGIN");
    exec(
        &mut a,
        "UPDATE accounts SET balance = balance + 1 WHERE id = 3",
    );
    // The second writer of the same row fails at once (first updater wins)...
    let e = b
        .execute("UPDATE accounts SET balance = balance + 10 WHERE id = 3")
        .unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e}");
    assert!(e.to_string().contains("serialization failure"), "{e}");
    exec(&mut b, "ROLLBACK");
    exec(&mut a, "COMMIT");
    // ...and also after the first one committed, if its snapshot is older.
    exec(&mut b, "BEGIN");
    exec(
        &mut a,
        "UPDATE accounts SET balance = balance + 1 WHERE id = 4",
    );
    let e = b
        .execute("UPDATE accounts SET balance = balance + 10 WHERE id = 4")
        .unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e}");
    exec(&mut b, "ROLLBACK");
    assert_eq!(
        query(
            &mut a,
            "SELECT balance FROM accounts WHERE id IN (3, 4) ORDER BY id"
        ),
        table(&[&["1001"], &["1001"]])
    );
}

#[test]
fn concurrent_inserts_of_one_key_cannot_both_commit() {
    let engine = Engine::in_memory().expect("engine");
    setup(&engine);
    let mut a = engine.session();
    let mut b = engine.session();
    exec(&mut a, "BEGIN; INSERT INTO accounts VALUES (100, 1)");
    let e = b
        .execute("INSERT INTO accounts VALUES (100, 2)")
        .unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e}");
    exec(&mut a, "COMMIT");
    let e = b
        .execute("INSERT INTO accounts VALUES (100, 2)")
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("UNIQUE constraint failed: accounts.id"),
        "{e}"
    );
}

#[test]
fn write_skew_is_allowed_as_snapshot_isolation_allows_it() {
    // Two doctors on call; each may leave if the other stays. Under SI both can leave.
    let engine = Engine::in_memory().expect("engine");
    let mut a = engine.session();
    let mut b = engine.session();
    exec(
        &mut a,
        "CREATE TABLE oncall (doctor TEXT PRIMARY KEY, on_call BOOLEAN)",
    );
    exec(
        &mut a,
        "INSERT INTO oncall VALUES ('alice', true), ('bob', true)",
    );
    exec(&mut a, "BEGIN");
    exec(&mut b, "BEGIN");
    assert_eq!(
        query(&mut a, "SELECT count(*) FROM oncall WHERE on_call"),
        table(&[&["2"]])
    );
    assert_eq!(
        query(&mut b, "SELECT count(*) FROM oncall WHERE on_call"),
        table(&[&["2"]])
    );
    exec(
        &mut a,
        "UPDATE oncall SET on_call = false WHERE doctor = 'alice'",
    );
    exec(
        &mut b,
        "UPDATE oncall SET on_call = false WHERE doctor = 'bob'",
    );
    exec(&mut a, "COMMIT");
    exec(&mut b, "COMMIT");
    assert_eq!(
        query(&mut a, "SELECT count(*) FROM oncall WHERE on_call"),
        table(&[&["0"]])
    );
}

#[test]
fn old_versions_are_reclaimed_under_update_churn() {
    let engine = Engine::in_memory().expect("engine");
    let mut s = engine.session();
    exec(&mut s, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    let values: Vec<String> = (0..200).map(|i| format!("({i}, 0)")).collect();
    exec(
        &mut s,
        &format!("INSERT INTO t VALUES {}", values.join(", ")),
    );
    let id = s
        .core()
        .table_meta("t")
        .expect("catalog")
        .expect("table t")
        .id;
    let store = engine.database().table_store(id).expect("storage");
    let mut peak = 0;
    for round in 0..4_000 {
        exec(
            &mut s,
            &format!("UPDATE t SET v = v + 1 WHERE id = {}", round % 200),
        );
        let stored: usize = store.groups().iter().map(|g| g.num_rows()).sum();
        peak = peak.max(stored);
    }
    assert_eq!(
        query(&mut s, "SELECT sum(v), count(*) FROM t"),
        table(&[&["4000", "200"]])
    );
    // 4,200 row versions were written; dead ones are dropped as row groups merge, so the
    // stored versions stay within a small multiple of the live rows.
    let stored: usize = store.groups().iter().map(|g| g.num_rows()).sum();
    println!(
        "stored row versions after 4,000 updates of 200 rows: {stored} (peak {peak}), groups: {}",
        store.groups().len()
    );
    assert!(peak < 200 * 4, "stored versions peaked at {peak}");
}
