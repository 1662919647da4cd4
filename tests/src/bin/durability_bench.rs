//! Temporary measurement tool (not committed): commits/s and file size under updates.
#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use llkv_core::codec::ArrowCodec;
use llkv_core::{Database, Session};
use llkv_pagers::{FilePager, FilePagerOptions, SyncMode};
use llkv_reference_engine::Engine;
use llkv_reference_engine::dialects::SqliteDialect;

fn session_on(db: Arc<Database>) -> Session {
    Session::new(db, Arc::new(SqliteDialect::new()))
}

fn inserts(s: &mut Session, secs: f64, max: usize) -> (usize, Duration) {
    s.execute("CREATE TABLE t (a INTEGER, b TEXT)").unwrap();
    let start = Instant::now();
    let mut n = 0;
    while n < max && start.elapsed().as_secs_f64() < secs {
        s.execute(&format!("INSERT INTO t VALUES ({n}, 'row {n}')"))
            .unwrap();
        n += 1;
    }
    (n, start.elapsed())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let what = args[2].as_str();
    let secs: f64 = args.get(3).map_or(10.0, |s| s.parse().unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.llkv");
    match what {
        "full-engine" => {
            let engine = Engine::open(&path).unwrap();
            let mut s = engine.session();
            let (n, t) = inserts(s.core(), secs, usize::MAX);
            println!(
                "full (Engine::open): {n} commits in {t:?} = {:.0}/s, file {} bytes",
                n as f64 / t.as_secs_f64(),
                std::fs::metadata(&path).unwrap().len()
            );
        }
        "normal-sync-each" => {
            let pager = FilePager::open_with(&path, FilePagerOptions::new().sync_mode(SyncMode::Normal)).unwrap();
            let db = Database::open(pager, ArrowCodec).unwrap();
            let mut s = session_on(db.clone());
            s.execute("CREATE TABLE t (a INTEGER, b TEXT)").unwrap();
            let start = Instant::now();
            let mut n = 0;
            while start.elapsed().as_secs_f64() < secs {
                s.execute(&format!("INSERT INTO t VALUES ({n}, 'row {n}')")).unwrap();
                db.sync().unwrap();
                n += 1;
            }
            println!("normal + sync after each commit: {n} commits = {:.0}/s, file {}", n as f64 / start.elapsed().as_secs_f64(), std::fs::metadata(&path).unwrap().len());
        }
        "normal" | "off" | "full" => {
            let mode = match what {
                "normal" => SyncMode::Normal,
                "off" => SyncMode::Off,
                _ => SyncMode::Full,
            };
            let pager = FilePager::open_with(&path, FilePagerOptions::new().sync_mode(mode)).unwrap();
            let db = Database::open(pager, ArrowCodec).unwrap();
            let mut s = session_on(db.clone());
            let (n, t) = inserts(&mut s, secs, usize::MAX);
            let t0 = Instant::now();
            db.sync().unwrap();
            println!(
                "{what}: {n} commits in {t:?} = {:.0}/s (final sync {:?}), file {} bytes",
                n as f64 / t.as_secs_f64(),
                t0.elapsed(),
                std::fs::metadata(&path).unwrap().len()
            );
        }
        "memory" => {
            let db = Database::in_memory();
            let mut s = session_on(db);
            let (n, t) = inserts(&mut s, secs, usize::MAX);
            println!("memory: {n} commits in {t:?} = {:.0}/s", n as f64 / t.as_secs_f64());
        }
        "updates" | "updates-compact" => {
            let compact = what == "updates-compact";
            let pager = Arc::new(
                FilePager::open_with(&path, FilePagerOptions::new().sync_mode(SyncMode::Normal))
                    .unwrap(),
            );
            let db = Database::open(pager.clone(), ArrowCodec).unwrap();
            let mut s = session_on(db.clone());
            s.execute("CREATE TABLE t (id INTEGER, v INTEGER, pad TEXT)").unwrap();
            let values: Vec<String> = (0..1000)
                .map(|i| format!("({i}, 0, 'padding padding {i}')"))
                .collect();
            s.execute(&format!("INSERT INTO t VALUES {}", values.join(", ")))
                .unwrap();
            let start = Instant::now();
            let mut vacuums = 0;
            let max: u64 = args.get(3).map_or(100_000, |s| s.parse().unwrap());
            for u in 1..=max {
                let id = (u * 7919) % 1000;
                s.execute(&format!("UPDATE t SET v = v + 1 WHERE id = {id}"))
                    .unwrap();
                if compact && u % 1000 == 0 && pager.compact().unwrap() {
                    vacuums += 1;
                }
                if u == 1_000 || u == 10_000 || u == 50_000 || u % 20_000 == 0 || u == max {
                    let st = pager.space_stats();
                    println!(
                        "{what}: after {u} updates ({:?}): file {} bytes, live {} bytes in {} blobs, vacuums {vacuums}",
                        start.elapsed(),
                        st.file_bytes,
                        st.live_bytes,
                        st.live_blobs
                    );
                }
            }
            let total = s.query("SELECT sum(v), count(*) FROM t").unwrap();
            println!("{:?}", llkv_tests::rows(&total));
        }
        "pager-group" => {
            use llkv_traits::{Pager, WriteBatch};
            let threads: usize = args.get(4).map_or(8, |s| s.parse().unwrap());
            let blob: usize = args.get(5).map_or(300, |s| s.parse().unwrap());
            let pager = Arc::new(
                FilePager::open_with(&path, FilePagerOptions::new().sync_mode(SyncMode::Normal))
                    .unwrap(),
            );
            let start = Instant::now();
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let pager = pager.clone();
                    std::thread::spawn(move || {
                        let mut n = 0u64;
                        while start.elapsed().as_secs_f64() < secs {
                            let k = pager.alloc_keys(1).unwrap()[0];
                            let mut b = WriteBatch::new();
                            b.put(k, vec![7u8; blob]);
                            pager.write_batch(b).unwrap();
                            pager.sync().unwrap();
                            n += 1;
                        }
                        n
                    })
                })
                .collect();
            let n: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
            println!(
                "pager group sync, {threads} threads: {n} durable batches in {:?} = {:.0}/s",
                start.elapsed(),
                n as f64 / start.elapsed().as_secs_f64()
            );
        }
        other => panic!("unknown {other}"),
    }
}
