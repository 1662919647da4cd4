//! A real process writing transactions is killed with SIGKILL at random moments; the file
//! must reopen with exactly a prefix of the transactions, including every one the process
//! reported committed.
//!
//! The writer is the `durability_writer` binary of this package (see its docs for the
//! transactions and the invariants they keep). Set `LLKV_SIGKILL_SEED` to replay a run.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use llkv_reference_engine::Engine;
use llkv_tests::query;

const ROUNDS: usize = 20;

/// A small deterministic generator (xorshift64*), so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn seed() -> u64 {
    std::env::var("LLKV_SIGKILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        })
}

/// Opens the file and checks the invariants; returns the number of transactions `k`.
fn check(path: &Path, round: usize) -> i64 {
    let engine = Engine::open(path)
        .unwrap_or_else(|e| panic!("round {round}: reopening after SIGKILL failed: {e}"));
    let mut s = engine.session();
    if s.table_names().is_empty() {
        return 0; // killed before the first commit
    }
    let totals = query(&mut s, "SELECT count, sum FROM totals");
    assert_eq!(totals.len(), 1, "round {round}: totals has one row");
    let k: i64 = totals[0][0].parse().expect("count");
    let sum: i64 = totals[0][1].parse().expect("sum");
    assert_eq!(sum, k * (k + 1) / 2, "round {round}: totals.sum");
    let per_txn = query(
        &mut s,
        "SELECT n, count(*), min(part), max(part) FROM txns GROUP BY n ORDER BY n",
    );
    assert_eq!(
        per_txn.len() as i64,
        k,
        "round {round}: transactions present"
    );
    for (i, row) in per_txn.iter().enumerate() {
        let want = [(i + 1).to_string(), "3".into(), "0".into(), "2".into()];
        assert_eq!(row[..], want[..], "round {round}: a partial transaction");
    }
    let fresh = query(
        &mut s,
        "SELECT n FROM txns WHERE part = 0 AND payload = 'fresh' ORDER BY n",
    );
    let want_fresh: Vec<Vec<String>> = if k > 0 {
        vec![vec![k.to_string()]]
    } else {
        Vec::new()
    };
    assert_eq!(
        fresh, want_fresh,
        "round {round}: the update of an earlier transaction is missing or partial"
    );
    k
}

#[test]
fn sigkill_at_random_moments_keeps_a_prefix_of_committed_transactions() {
    let writer = env!("CARGO_BIN_EXE_durability_writer");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sigkill.llkv");
    let seed = seed();
    println!("LLKV_SIGKILL_SEED={seed}");
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut k = 0i64;
    let mut printed_total = 0usize;
    for round in 0..ROUNDS {
        let mut child = Command::new(writer)
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn durability_writer");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel::<i64>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line.ok().and_then(|l| l.trim().parse().ok()) {
                    Some(n) => {
                        if tx.send(n).is_err() {
                            break;
                        }
                    }
                    None => break,
                }
            }
        });
        // Kill at a random moment: usually mid-stream, sometimes during start-up.
        let wait = Duration::from_millis(rng.between(20, 400));
        std::thread::sleep(wait);
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("round {round}: the writer exited by itself ({status}): {err}");
        }
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        assert!(!status.success(), "round {round}: killed writer succeeded?");
        reader.join().expect("reader thread");
        let printed: Vec<i64> = rx.try_iter().collect();
        printed_total += printed.len();
        let last_printed = printed.last().copied().unwrap_or(k);
        let new_k = check(&path, round);
        assert!(
            new_k >= last_printed,
            "round {round}: transaction {last_printed} was reported committed, \
             but only {new_k} survived (seed {seed})"
        );
        // At most the one transaction in flight can be durable without having been
        // reported.
        assert!(
            new_k <= last_printed + 1,
            "round {round}: {new_k} transactions survived, {last_printed} reported (seed {seed})"
        );
        assert!(new_k >= k, "round {round}: transactions disappeared");
        k = new_k;
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "{ROUNDS} SIGKILL rounds in {:?}: {k} transactions survive ({printed_total} reported), \
         file {size} bytes",
        started.elapsed()
    );
    assert!(k > 0, "no transaction was ever committed (seed {seed})");
}
