//! Crash recovery of the engine: a workload of many transactions runs over a `CrashPager`
//! that cuts the power at every write point in turn; the durable image is reopened with
//! `Database::open` and must show exactly the state after a prefix of the transactions
//! (computed by running the same workload on an in-memory database). Also: an I/O error at
//! a commit leaves the database usable, the failed transaction invisible, and memory and
//! storage in agreement.

use std::sync::Arc;

use llkv_core::codec::ArrowCodec;
use llkv_core::{Database, Error, Session};
use llkv_pagers::{CrashPager, MemPager, SyncMode};
use llkv_reference_engine::dialects::SqliteDialect;
use llkv_tests::rows;
use llkv_traits::PagerError;

/// One step of the workload: at most one write point (a commit or a sync).
#[derive(Debug, Clone)]
enum Step {
    /// One statement in autocommit mode.
    Auto(String),
    /// `BEGIN`, the statements, then `COMMIT` (or `ROLLBACK` if `commit` is false).
    Txn {
        statements: Vec<String>,
        commit: bool,
    },
    /// `Database::sync`.
    Sync,
}

fn auto(sql: impl Into<String>) -> Step {
    Step::Auto(sql.into())
}

fn txn(statements: &[String], commit: bool) -> Step {
    Step::Txn {
        statements: statements.to_vec(),
        commit,
    }
}

/// Creates and drops tables, inserts (single rows, many rows, enough one-row inserts to
/// make the engine merge row groups), updates, deletes, multi-statement transactions,
/// rollbacks, a failing statement, reads, and syncs.
fn workload() -> Vec<Step> {
    let mut w = vec![
        auto("CREATE TABLE accounts (id INTEGER, owner TEXT, balance INTEGER)"),
        auto("CREATE TABLE events (seq INTEGER, kind TEXT, amount INTEGER)"),
        auto(
            "INSERT INTO accounts VALUES (1, 'ann', 100), (2, 'bob', 100), (3, 'cy', 100), \
             (4, 'dee', 100)",
        ),
        Step::Sync,
        auto("CREATE TABLE scratch (k INTEGER, v TEXT)"),
        auto(format!(
            "INSERT INTO scratch VALUES {}",
            (0..50)
                .map(|i| format!("({i}, 'v{i}')"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    ];
    for i in 0..80i64 {
        let (a, b) = (i % 4 + 1, (i + 1) % 4 + 1);
        let step = match i % 10 {
            0 | 5 => txn(
                &[
                    format!("UPDATE accounts SET balance = balance - {i} WHERE id = {a}"),
                    format!("UPDATE accounts SET balance = balance + {i} WHERE id = {b}"),
                    format!("INSERT INTO events VALUES ({i}, 'transfer', {i})"),
                ],
                true,
            ),
            1 | 6 => auto(format!("INSERT INTO events VALUES ({i}, 'note', 0)")),
            2 => txn(
                &[
                    format!("INSERT INTO events VALUES ({i}, 'rolled back', 1)"),
                    "DELETE FROM accounts WHERE id = 1".into(),
                    format!("CREATE TABLE gone_{i} (x INTEGER)"),
                ],
                false,
            ),
            3 => auto(format!(
                "UPDATE events SET amount = amount + 1 WHERE seq < {i}"
            )),
            4 => auto(format!("DELETE FROM events WHERE seq = {}", i - 3)),
            7 => Step::Sync,
            8 => txn(
                &[
                    format!("CREATE TABLE t{i} (x INTEGER, y TEXT)"),
                    format!("INSERT INTO t{i} VALUES ({i}, 'a'), ({}, NULL)", i + 1),
                    if i < 25 {
                        format!("UPDATE scratch SET v = 'u{i}' WHERE k % 7 = {}", i % 7)
                    } else {
                        format!("UPDATE events SET kind = 'k{i}' WHERE seq % 7 = {}", i % 7)
                    },
                ],
                true,
            ),
            _ => auto(format!(
                "INSERT INTO accounts VALUES ({}, 'new{i}', {i})",
                10 + i
            )),
        };
        w.push(step);
        match i {
            12 => w.push(auto("DROP TABLE t8")),
            15 => w.push(auto("INSERT INTO missing_table VALUES (1)")), // fails: no write
            18 => w.push(auto("SELECT sum(balance) FROM accounts")),    // read only: no write
            20 => w.push(auto("DELETE FROM scratch WHERE k >= 25")),
            25 => w.push(auto("DROP TABLE scratch")),
            _ => {}
        }
    }
    w
}

/// One table: name, DDL, rows as text (sorted).
type TableDump = (String, String, Vec<Vec<String>>);

/// The visible state of a database: every table, sorted by name.
type Dump = Vec<TableDump>;

/// Every table with its DDL and its rows (as text, sorted): equal dumps mean equal
/// visible states.
fn dump(session: &mut Session) -> Result<Dump, Error> {
    let mut out = Vec::new();
    for name in session.table_names()? {
        let ddl = session
            .table_meta(&name)?
            .map(|m| m.sql.clone())
            .unwrap_or_default();
        let mut table_rows = rows(&session.query(&format!("SELECT * FROM {name}"))?);
        table_rows.sort();
        out.push((name, ddl, table_rows));
    }
    Ok(out)
}

fn session_on(db: Arc<Database>) -> Session {
    Session::new(db, Arc::new(SqliteDialect::new()))
}

/// Runs one step; `Ok(())` if every statement of it (and its commit) succeeded.
fn run_step(db: &Database, session: &mut Session, step: &Step) -> Result<(), Error> {
    match step {
        Step::Auto(sql) => session.execute(sql).map(drop),
        Step::Sync => db.sync(),
        Step::Txn { statements, commit } => {
            session.execute("BEGIN")?;
            for s in statements {
                if let Err(e) = session.execute(s) {
                    // Leave no transaction open for the next step.
                    let _ = session.execute("ROLLBACK");
                    return Err(e);
                }
            }
            session
                .execute(if *commit { "COMMIT" } else { "ROLLBACK" })
                .map(drop)
        }
    }
}

/// The workload on an in-memory database: the outcome of every step and the state after
/// every prefix (`states[j]` = after the first `j` steps).
struct Reference {
    ok: Vec<bool>,
    states: Vec<Dump>,
}

fn reference(steps: &[Step]) -> Reference {
    let db = Database::in_memory();
    let mut session = session_on(db.clone());
    let mut ok = Vec::new();
    let mut states = vec![dump(&mut session).expect("dump")];
    for step in steps {
        ok.push(run_step(&db, &mut session, step).is_ok());
        states.push(dump(&mut session).expect("dump"));
    }
    Reference { ok, states }
}

/// What happened in a run over a crash pager.
struct Run {
    /// The first step whose outcome differed from the reference (it hit the cut or fault).
    failed_step: Option<usize>,
    /// The error it got.
    error: Option<String>,
    /// The number of steps completed when the last sync before the failure completed.
    synced_steps: usize,
}

fn is_storage_error(e: &Error) -> bool {
    matches!(e, Error::Storage(_))
}

/// Runs the whole workload; steps after the failure keep running (their errors are
/// ignored: the session must only not panic). Before the failure every step must behave as
/// in the reference.
fn run_workload(db: &Database, session: &mut Session, steps: &[Step], r: &Reference) -> Run {
    let mut run = Run {
        failed_step: None,
        error: None,
        synced_steps: 0,
    };
    for (i, step) in steps.iter().enumerate() {
        let result = run_step(db, session, step);
        if run.failed_step.is_some() {
            continue;
        }
        match result {
            Ok(()) => {
                assert!(r.ok[i], "step {i} succeeded but failed in the reference");
                if matches!(step, Step::Sync) {
                    run.synced_steps = i + 1;
                }
            }
            Err(e) if r.ok[i] || is_storage_error(&e) => {
                assert!(is_storage_error(&e), "step {i} {step:?}: unexpected {e}");
                run.failed_step = Some(i);
                run.error = Some(e.to_string());
            }
            Err(_) => {} // fails in the reference too
        }
    }
    run
}

/// Opens `image`, checks its state is `expected`, then checks it takes new writes without
/// damaging what it holds (a commit to an existing table and a new one, reopened again).
fn check_image(image: MemPager, expected: &Dump, what: &str) {
    let pager = Arc::new(CrashPager::from_image(image));
    let db = Database::open(pager.clone(), ArrowCodec)
        .unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
    let mut session = session_on(db.clone());
    let got = dump(&mut session).unwrap_or_else(|e| panic!("{what}: dump failed: {e}"));
    assert!(
        got == *expected,
        "{what}: reopened state differs\n got: {got:?}\nwant: {expected:?}"
    );
    // Writes after recovery must not reuse keys that hold data.
    let mut probe = vec![
        "CREATE TABLE reopen_probe (x INTEGER)",
        "INSERT INTO reopen_probe VALUES (1)",
    ];
    if got.iter().any(|(n, _, _)| n == "events") {
        probe.push("INSERT INTO events VALUES (1000, 'after crash', 0)");
        probe.push("DELETE FROM events WHERE seq = 1");
    }
    for sql in probe {
        session
            .execute(sql)
            .unwrap_or_else(|e| panic!("{what}: {sql} after recovery failed: {e}"));
    }
    let live = dump(&mut session).expect("dump");
    drop(session);
    drop(db);
    let db = Database::open(pager.crash_image(), ArrowCodec)
        .unwrap_or_else(|e| panic!("{what}: second reopen failed: {e}"));
    let again = dump(&mut session_on(db)).expect("dump");
    assert!(
        again == live,
        "{what}: state after recovery and more commits was not kept"
    );
}

/// Counts the write points of the workload on a crash pager that never crashes.
fn count_write_points(steps: &[Step], r: &Reference) -> u64 {
    let pager = Arc::new(CrashPager::new(MemPager::new()));
    let db = Database::open(pager.clone(), ArrowCodec).expect("open");
    let mut session = session_on(db.clone());
    let run = run_workload(&db, &mut session, steps, r);
    assert!(run.failed_step.is_none(), "{:?}", run.error);
    let final_state = dump(&mut session).expect("dump");
    assert_eq!(&final_state, r.states.last().expect("states"));
    let n = pager.write_points();
    drop(session);
    drop(db);
    check_image(pager.crash_image(), &final_state, "no crash");
    n
}

/// Runs the workload with the power cut at write point `n`; returns the pager and what
/// happened.
fn crash_run(steps: &[Step], r: &Reference, pager: CrashPager, n: u64) -> (Arc<CrashPager>, Run) {
    let pager = Arc::new(pager.with_crash_at(n));
    let db = Database::open(pager.clone(), ArrowCodec).expect("open");
    let mut session = session_on(db.clone());
    let run = run_workload(&db, &mut session, steps, r);
    assert_eq!(pager.crashed_at(), Some(n), "crash point {n} not reached");
    let failed = run.failed_step.expect("a step failed at the cut");
    let error = run.error.as_deref().unwrap_or_default();
    assert!(
        error.contains(&PagerError::PowerLoss.to_string()),
        "crash point {n}: step {failed} failed with {error}"
    );
    (pager, run)
}

fn writes_a_batch(step: &Step) -> bool {
    !matches!(step, Step::Sync)
}

#[test]
fn crash_at_every_write_point_recovers_a_prefix() {
    let steps = workload();
    let r = reference(&steps);
    let n = count_write_points(&steps, &r);
    assert!(n >= 40, "workload too small: {n} write points");
    let mut tried = 0;
    for point in 1..=n {
        // SyncMode::Full, the batch in flight at the cut lost: every commit that returned
        // is there, the failed one is not.
        let (pager, run) = crash_run(&steps, &r, CrashPager::new(MemPager::new()), point);
        let f = run.failed_step.unwrap_or_default();
        check_image(
            pager.crash_image(),
            &r.states[f],
            &format!("full, crash point {point} (step {f})"),
        );
        // SyncMode::Full, the batch in flight reached the disk: the failed commit is there
        // too (the caller saw an error, but the transaction is durable).
        let survives = CrashPager::new(MemPager::new()).with_in_flight_survives(true);
        let (pager, run) = crash_run(&steps, &r, survives, point);
        let f = run.failed_step.unwrap_or_default();
        let want = if writes_a_batch(&steps[f]) { f + 1 } else { f };
        check_image(
            pager.crash_image(),
            &r.states[want],
            &format!("full, in flight survives, crash point {point} (step {f})"),
        );
        // SyncMode::Normal: commits since the last sync may be lost, as a suffix.
        let normal = CrashPager::new(MemPager::new()).with_sync_mode(SyncMode::Normal);
        let (pager, run) = crash_run(&steps, &r, normal, point);
        let f = run.failed_step.unwrap_or_default();
        let unsynced = pager.unsynced_batches();
        check_image(
            pager.crash_image(),
            &r.states[run.synced_steps],
            &format!("normal, nothing unsynced kept, crash point {point} (step {f})"),
        );
        check_image(
            pager.crash_image_keeping(unsynced),
            &r.states[f],
            &format!("normal, all unsynced kept, crash point {point} (step {f})"),
        );
        if unsynced > 1 {
            let image = pager.crash_image_keeping(unsynced / 2);
            let db = Database::open(image, ArrowCodec).expect("reopen");
            let got = dump(&mut session_on(db)).expect("dump");
            assert!(
                r.states[run.synced_steps..=f].contains(&got),
                "normal, half the unsynced batches kept, crash point {point}: not a prefix"
            );
        }
        tried += 1;
    }
    println!("crash points tried: {tried} (x3 durability models), write points: {n}");
}

#[test]
fn power_cut_in_sync_mode_off_loses_everything_unsynced_but_reopens() {
    let steps = workload();
    let r = reference(&steps);
    let pager = CrashPager::new(MemPager::new()).with_sync_mode(SyncMode::Off);
    let (pager, run) = crash_run(&steps, &r, pager, 20);
    check_image(pager.crash_image(), &r.states[0], "off");
    let f = run.failed_step.unwrap_or_default();
    check_image(
        pager.crash_image_keeping(usize::MAX),
        &r.states[f],
        "off, everything kept",
    );
}

/// A session whose storage fails at its next write point.
fn arm_fault(pager: &CrashPager) {
    pager.inject_fault_at(pager.write_points() + 1);
}

#[test]
fn io_error_at_commit_leaves_the_database_usable() {
    let pager = Arc::new(CrashPager::new(MemPager::new()));
    let db = Database::open(pager.clone(), ArrowCodec).expect("open");
    let mut s = session_on(db.clone());
    s.execute("CREATE TABLE t (a INTEGER, b TEXT)")
        .expect("create");
    s.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
        .expect("insert");
    let before = dump(&mut s).expect("dump");

    // An explicit transaction whose COMMIT fails.
    arm_fault(&pager);
    s.execute("BEGIN").expect("begin");
    s.execute("INSERT INTO t VALUES (3, 'three')")
        .expect("insert");
    s.execute("UPDATE t SET b = 'uno' WHERE a = 1")
        .expect("update");
    s.execute("CREATE TABLE u (x INTEGER)").expect("create u");
    let err = s.execute("COMMIT").expect_err("commit must fail");
    assert!(matches!(err, Error::Storage(PagerError::Io(_))), "{err}");
    assert!(!s.in_transaction(), "a failed COMMIT ends the transaction");
    assert_eq!(
        dump(&mut s).expect("dump"),
        before,
        "failed commit is invisible"
    );

    // Autocommit statements whose commit fails: an insert, a delete, a drop.
    for sql in [
        "INSERT INTO t VALUES (4, 'four')",
        "DELETE FROM t WHERE a = 2",
        "DROP TABLE t",
    ] {
        arm_fault(&pager);
        let err = s.execute(sql).expect_err("commit must fail");
        assert!(matches!(err, Error::Storage(_)), "{sql}: {err}");
        assert_eq!(dump(&mut s).expect("dump"), before, "{sql} is invisible");
    }

    // The next commits work, touching the same table and row groups.
    s.execute("INSERT INTO t VALUES (5, 'five')")
        .expect("insert after");
    s.execute("DELETE FROM t WHERE a = 2")
        .expect("delete after");
    s.execute("UPDATE t SET b = 'one!' WHERE a = 1")
        .expect("update after");
    s.execute("CREATE TABLE u (x INTEGER)")
        .expect("create after");
    let live = dump(&mut s).expect("dump");
    assert_eq!(
        live.iter().find(|(n, _, _)| n == "t").map(|t| t.2.clone()),
        Some(vec![
            vec!["1".to_string(), "one!".to_string()],
            vec!["5".to_string(), "five".to_string()],
        ])
    );
    // Memory and storage agree.
    let reopened = Database::open(pager.crash_image(), ArrowCodec).expect("reopen");
    assert_eq!(dump(&mut session_on(reopened)).expect("dump"), live);
}

#[test]
fn io_error_at_every_write_point_keeps_memory_and_storage_in_agreement() {
    let steps = workload();
    let r = reference(&steps);
    let n = count_write_points(&steps, &r);
    for point in 1..=n {
        let pager = Arc::new(CrashPager::new(MemPager::new()).with_fault_at(point));
        let db = Database::open(pager.clone(), ArrowCodec).expect("open");
        let mut session = session_on(db.clone());
        let run = run_workload(&db, &mut session, &steps, &r);
        let f = run.failed_step.expect("the fault made a step fail");
        let error = run.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("injected I/O error"),
            "fault {point}: step {f}: {error}"
        );
        assert!(pager.crashed_at().is_none());
        // The database stays usable: a new transaction commits.
        session
            .execute("CREATE TABLE probe (x INTEGER); INSERT INTO probe VALUES (7)")
            .unwrap_or_else(|e| panic!("fault {point}: commit after the fault failed: {e}"));
        let live = dump(&mut session).expect("dump");
        drop(session);
        drop(db);
        check_image(pager.crash_image(), &live, &format!("fault at {point}"));
    }
}

#[test]
fn a_failed_commit_undoes_the_row_groups_it_merged() {
    // A transaction of many one-row writes: its commit merges their row groups (and the
    // groups holding the rows it deleted) before writing its batch. When the batch fails,
    // the merged copies must be undone with everything else.
    let pager = Arc::new(CrashPager::new(MemPager::new()));
    let db = Database::open(pager.clone(), ArrowCodec).expect("open");
    let mut s = session_on(db.clone());
    s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        .expect("create");
    // Fifty one-row groups (autocommit inserts), merged by later commits.
    for k in 0..50 {
        s.execute(&format!("INSERT INTO t VALUES ({k}, {k})"))
            .expect("insert");
    }
    let work = |s: &mut Session| -> Result<(), Error> {
        s.execute("BEGIN")?;
        for k in 0..40 {
            s.execute(&format!("UPDATE t SET v = v + 100 WHERE id = {k}"))?;
        }
        for k in 0..10 {
            // Updated twice: the first new version is deleted by its own transaction.
            s.execute(&format!("UPDATE t SET v = v + 1000 WHERE id = {k}"))?;
        }
        for k in 100..120 {
            s.execute(&format!("INSERT INTO t VALUES ({k}, {k})"))?;
        }
        for k in 40..45 {
            s.execute(&format!("DELETE FROM t WHERE id = {k}"))?;
        }
        s.execute("COMMIT")?;
        Ok(())
    };
    let before = dump(&mut s).expect("dump");
    arm_fault(&pager);
    let err = work(&mut s).expect_err("commit must fail");
    assert!(matches!(err, Error::Storage(_)), "{err}");
    assert_eq!(
        dump(&mut s).expect("dump"),
        before,
        "the failed commit is invisible"
    );
    assert_eq!(
        rows(&s.query("SELECT count(*), sum(v) FROM t").expect("query")),
        [vec!["50".to_string(), "1225".to_string()]]
    );

    // The same work commits now, and memory and storage agree.
    work(&mut s).expect("the work commits");
    let expected_sum =
        1225 + 40 * 100 + 10 * 1000 + (100..120).sum::<i64>() - (40..45).sum::<i64>();
    assert_eq!(
        rows(&s.query("SELECT count(*), sum(v) FROM t").expect("query")),
        [vec!["65".to_string(), expected_sum.to_string()]]
    );
    let live = dump(&mut s).expect("dump");
    drop(s);
    drop(db);
    check_image(pager.crash_image(), &live, "after the retried commit");
}
