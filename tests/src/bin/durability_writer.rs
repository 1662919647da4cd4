//! Writes numbered transactions into an LLKV database file until it is killed; used by the
//! `durability_sigkill` test.
//!
//! Usage: `durability_writer PATH`. Opens (or creates) the database at `PATH` with
//! `Engine::open` (default durability: every commit is fsynced), continues after the last
//! committed transaction, and commits transactions `n = k+1, k+2, ...` forever. After each
//! `COMMIT` returns, it prints `n` on its own line and flushes stdout, so a line means "this
//! transaction was reported committed".
//!
//! Transaction `n`, all in one `BEGIN ... COMMIT`:
//! - inserts rows `(n, 0)`, `(n, 1)`, `(n, 2)` into `txns (n, part, payload)`, part 0 with
//!   payload `fresh`;
//! - updates part 0 of transaction `n - 1` to payload `updated`;
//! - adds 1 to `totals.count` and `n` to `totals.sum` (one row).
//!
//! So a database that shows exactly a prefix `1..=k` of the transactions has 3 rows per
//! transaction, payload `updated` on part 0 of every transaction but the last, and
//! `totals = (k, k (k + 1) / 2)`.

use std::io::Write;
use std::process::ExitCode;

use llkv_reference_engine::{Engine, Session};
use llkv_tests::rows;

fn scalar(session: &mut Session, sql: &str) -> Result<Option<i64>, String> {
    let result = session.query(sql).map_err(|e| format!("{sql}: {e}"))?;
    let cell = rows(&result)
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next());
    match cell.as_deref() {
        None | Some("NULL") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|e| format!("{sql}: {v}: {e}")),
    }
}

fn run(path: &str) -> Result<(), String> {
    let engine = Engine::open(path).map_err(|e| format!("open {path}: {e}"))?;
    let mut s = engine.session();
    let exec =
        |s: &mut Session, sql: &str| s.execute(sql).map(drop).map_err(|e| format!("{sql}: {e}"));
    exec(&mut s, "BEGIN")?;
    exec(
        &mut s,
        "CREATE TABLE IF NOT EXISTS txns (n INTEGER, part INTEGER, payload TEXT)",
    )?;
    exec(
        &mut s,
        "CREATE TABLE IF NOT EXISTS totals (count INTEGER, sum INTEGER)",
    )?;
    if scalar(&mut s, "SELECT count(*) FROM totals")? == Some(0) {
        exec(&mut s, "INSERT INTO totals VALUES (0, 0)")?;
    }
    exec(&mut s, "COMMIT")?;
    let mut n = scalar(&mut s, "SELECT count FROM totals")?.unwrap_or(0);
    let stdout = std::io::stdout();
    loop {
        n += 1;
        exec(&mut s, "BEGIN")?;
        exec(
            &mut s,
            &format!("INSERT INTO txns VALUES ({n}, 0, 'fresh'), ({n}, 1, 'b'), ({n}, 2, 'c')"),
        )?;
        exec(
            &mut s,
            &format!(
                "UPDATE txns SET payload = 'updated' WHERE n = {} AND part = 0",
                n - 1
            ),
        )?;
        exec(
            &mut s,
            &format!("UPDATE totals SET count = count + 1, sum = sum + {n}"),
        )?;
        exec(&mut s, "COMMIT")?;
        let mut out = stdout.lock();
        writeln!(out, "{n}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("stdout: {e}"))?;
    }
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: durability_writer PATH");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("durability_writer: {e}");
            ExitCode::FAILURE
        }
    }
}
