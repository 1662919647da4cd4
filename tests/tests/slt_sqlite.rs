//! The fixed sqllogictest selection CI runs: SQLite's select1-5 and evidence/ (unpacked in
//! `../shared/slt/sqlite`) plus a spread of `random/` and `index/` files from the corpus
//! archive (unpacked into `target/slt` on first use).
//!
//! Every record is run and counted; the test prints the real `N passed, N failed` line. It
//! fails when any file passes fewer records than `tests/slt/baseline.txt` records for it
//! (a regression), so failing records are visible in the counts, never hidden, and CI stays
//! a gate. Update the baseline with `LLKV_SLT_BLESS=1` after an improvement.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use llkv_reference_engine::slt::{SltCounts, SltOptions, run_path};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_owned()
}

/// The unpacked corpus root, unpacking the archive if needed.
fn corpus_root() -> PathBuf {
    let ws = workspace();
    let root = ws.join("target/slt/sqlite");
    if !root.join("index").exists() {
        let archive = ws.join("../shared/slt/sqlite-corpus.tar.xz");
        assert!(archive.exists(), "missing {}", archive.display());
        std::fs::create_dir_all(ws.join("target/slt")).expect("create target/slt");
        let status = Command::new("tar")
            .arg("-xJf")
            .arg(&archive)
            .arg("-C")
            .arg(ws.join("target/slt"))
            .status()
            .expect("run tar");
        assert!(status.success(), "unpacking {} failed", archive.display());
    }
    root
}

fn read_table(path: &Path) -> BTreeMap<String, SltCounts> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let file = parts.next()?.to_owned();
            let passed = parts.next()?.parse().ok()?;
            let failed = parts.next()?.parse().ok()?;
            let skipped = parts.next()?.parse().ok()?;
            Some((
                file,
                SltCounts {
                    passed,
                    failed,
                    skipped,
                },
            ))
        })
        .collect()
}

#[test]
fn sqlite_selection_does_not_regress() {
    let ws = workspace();
    let selection =
        std::fs::read_to_string(ws.join("tests/slt/selection.txt")).expect("selection list");
    let baseline_path = ws.join("tests/slt/baseline.txt");
    let baseline = read_table(&baseline_path);
    let shared = ws.join("../shared/slt/sqlite");
    let options = SltOptions {
        quiet: true,
        max_failures_shown: 0,
        ..SltOptions::default()
    };
    let mut results = BTreeMap::new();
    let mut total = SltCounts::default();
    let mut regressions = Vec::new();
    for entry in selection
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let path = if shared.join(entry).exists() {
            shared.join(entry)
        } else {
            corpus_root().join(entry)
        };
        let summary = run_path(&path, &options).unwrap_or_else(|e| panic!("{entry}: {e}"));
        let c = summary.counts;
        total.passed += c.passed;
        total.failed += c.failed;
        total.skipped += c.skipped;
        if let Some(b) = baseline.get(entry) {
            if c.passed < b.passed {
                regressions.push(format!(
                    "{entry}: {} passed, baseline {}",
                    c.passed, b.passed
                ));
            }
        } else {
            regressions.push(format!(
                "{entry}: not in the baseline (run with LLKV_SLT_BLESS=1)"
            ));
        }
        results.insert(entry.to_owned(), c);
    }
    if std::env::var_os("LLKV_SLT_BLESS").is_some() {
        let mut out = String::from("# file passed failed skipped (written by LLKV_SLT_BLESS=1)\n");
        for (f, c) in &results {
            out.push_str(&format!("{f} {} {} {}\n", c.passed, c.failed, c.skipped));
        }
        std::fs::write(&baseline_path, out).expect("write baseline");
        return;
    }
    println!("sqllogictest selection: {total}");
    assert!(
        regressions.is_empty(),
        "regressions:\n{}",
        regressions.join("\n")
    );
}
