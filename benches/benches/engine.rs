//! Engine workloads: LLKV (`llkv_reference_engine`, in memory) against SQLite (`rusqlite`
//! with its bundled SQLite, in memory), in the same process, on the same rows, with the
//! same SQL text. See `README.md` for the numbers.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::time::{Duration, Instant};

// With `--features mimalloc`, as in the `llkv` binary (an application's choice). Off by
// default: SQLite, in the same process, measured slower with it.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use llkv_benches::workload::{self, QUERIES, SCHEMA};
use llkv_reference_engine::{Engine, Session};
use rusqlite::Connection;

fn llkv_load(statements: &[String]) -> Session {
    let engine = Engine::in_memory().expect("open llkv");
    let mut s = engine.session();
    s.execute(SCHEMA).expect("llkv schema");
    s.execute(&workload::dim_insert()).expect("llkv load d");
    s.execute("BEGIN").expect("llkv begin");
    for st in statements {
        s.execute(st).expect("llkv insert");
    }
    s.execute("COMMIT").expect("llkv commit");
    s
}

fn sqlite_load(statements: &[String]) -> Connection {
    let c = Connection::open_in_memory().expect("open sqlite");
    c.execute_batch(SCHEMA).expect("sqlite schema");
    c.execute_batch(&workload::dim_insert())
        .expect("sqlite load d");
    c.execute_batch("BEGIN").expect("sqlite begin");
    for st in statements {
        c.execute_batch(st).expect("sqlite insert");
    }
    c.execute_batch("COMMIT").expect("sqlite commit");
    c
}

/// Runs a query on SQLite and reads every value of every row.
fn sqlite_query(c: &Connection, sql: &str) -> usize {
    let mut stmt = c.prepare(sql).expect("sqlite prepare");
    let cols = stmt.column_count();
    let mut rows = stmt.query([]).expect("sqlite query");
    let mut n = 0;
    while let Some(row) = rows.next().expect("sqlite row") {
        for i in 0..cols {
            std::hint::black_box(row.get_ref(i).expect("sqlite value"));
        }
        n += 1;
    }
    n
}

fn llkv_query(s: &mut Session, sql: &str) -> usize {
    s.query(sql)
        .expect("llkv query")
        .batches
        .iter()
        .map(|b| b.num_rows())
        .sum()
}

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(2));
    g
}

/// How many point operations LLKV runs per iteration: 10k, or fewer when one takes so
/// long that 10k would not finish in ~2 s.
fn ops_for(one: Duration) -> usize {
    ((2.0 / one.as_secs_f64().max(1e-7)) as usize).clamp(10, 10_000)
}

fn point_select_ops(s: &mut Session, rows: usize) -> usize {
    // The first lookup builds the key's hash index: leave it out of the calibration.
    llkv_query(s, "SELECT val FROM t WHERE id = 0");
    let t = Instant::now();
    for k in 0..3 {
        let sql = format!(
            "SELECT val FROM t WHERE id = {}",
            workload::point_key(k, rows)
        );
        llkv_query(s, &sql);
    }
    ops_for(t.elapsed() / 3)
}

/// How many transactions of fresh rows `point_update_txn` prepares: more than the
/// iterations criterion runs of it (60-70 with these settings), so no row is updated twice.
const UPDATE_ROUNDS: usize = 100;

fn point_update_ops(s: &mut Session, rows: usize) -> usize {
    s.execute("BEGIN").expect("begin");
    let t = Instant::now();
    for k in 0..10 {
        let sql = format!(
            "UPDATE t SET val = val + 1 WHERE id = {}",
            workload::point_key(k, rows)
        );
        s.execute(&sql).expect("update");
    }
    let one = t.elapsed() / 10;
    s.execute("COMMIT").expect("commit");
    // Later updates in a transaction cost more than the first ones: aim lower.
    ops_for(one * 4)
}

fn engine(c: &mut Criterion) {
    let rows = workload::rows();
    let statements = workload::insert_statements(rows);

    // Bulk load: a fresh database each iteration.
    {
        let mut g = configure(c, "engine/bulk_load");
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_function("sqlite", |b| b.iter(|| sqlite_load(&statements)));
        g.bench_function("llkv", |b| b.iter(|| llkv_load(&statements)));
        g.finish();
    }

    let t = Instant::now();
    let mut llkv = llkv_load(&statements);
    eprintln!("llkv: loaded {rows} rows in {:?}", t.elapsed());
    let t = Instant::now();
    let sqlite = sqlite_load(&statements);
    eprintln!("sqlite: loaded {rows} rows in {:?}", t.elapsed());

    for (name, sql) in QUERIES {
        let (a, b) = (llkv_query(&mut llkv, sql), sqlite_query(&sqlite, sql));
        assert_eq!(a, b, "{name}: llkv and sqlite return different row counts");
        let mut g = configure(c, &format!("engine/{name}"));
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_function("sqlite", |b| b.iter(|| sqlite_query(&sqlite, sql)));
        g.bench_function("llkv", |b| b.iter(|| llkv_query(&mut llkv, sql)));
        g.finish();
    }

    let select_ops = point_select_ops(&mut llkv, rows);
    let update_ops = point_update_ops(&mut llkv, rows);
    eprintln!("llkv: {select_ops} point selects, {update_ops} point updates per iteration");
    let selects = |n: usize| -> Vec<String> {
        (0..n)
            .map(|k| {
                format!(
                    "SELECT val, price FROM t WHERE id = {}",
                    workload::point_key(k, rows)
                )
            })
            .collect()
    };
    // The UPDATEs of transaction `round`: keys `round * n ..` in `point_key` order, so
    // each transaction updates rows no earlier one did (until the keys wrap around).
    let updates = |round: usize, n: usize| -> Vec<String> {
        (0..n)
            .map(|k| {
                format!(
                    "UPDATE t SET val = val + 1 WHERE id = {}",
                    workload::point_key(round * n + k, rows)
                )
            })
            .collect()
    };
    {
        let mut g = configure(c, "engine/point_select");
        let q = selects(10_000);
        g.throughput(Throughput::Elements(q.len() as u64));
        g.bench_function(BenchmarkId::new("sqlite", q.len()), |b| {
            b.iter(|| q.iter().map(|s| sqlite_query(&sqlite, s)).sum::<usize>())
        });
        let q = selects(select_ops);
        g.throughput(Throughput::Elements(q.len() as u64));
        g.bench_function(BenchmarkId::new("llkv", q.len()), |b| {
            b.iter(|| q.iter().map(|s| llkv_query(&mut llkv, s)).sum::<usize>())
        });
        g.finish();
    }
    // point_update_txn: every iteration a transaction of UPDATEs of rows not updated
    // before. point_update_txn_same_rows: every iteration the same rows again (their
    // newest versions are then recent writes, in cache on both sides).
    for (group, rounds) in [
        ("engine/point_update_txn", UPDATE_ROUNDS),
        ("engine/point_update_txn_same_rows", 1),
    ] {
        let mut g = configure(c, group);
        let txns: Vec<Vec<String>> = (0..rounds).map(|r| updates(r, 10_000)).collect();
        let mut round = 0;
        g.throughput(Throughput::Elements(10_000));
        g.bench_function(BenchmarkId::new("sqlite", 10_000), |b| {
            b.iter(|| {
                sqlite.execute_batch("BEGIN").expect("begin");
                for s in &txns[round % rounds] {
                    sqlite.execute(s, []).expect("update");
                }
                sqlite.execute_batch("COMMIT").expect("commit");
                round += 1;
            })
        });
        let sqlite_rounds = round;
        let txns: Vec<Vec<String>> = (0..rounds).map(|r| updates(r, update_ops)).collect();
        let mut round = 0;
        g.throughput(Throughput::Elements(update_ops as u64));
        g.bench_function(BenchmarkId::new("llkv", update_ops), |b| {
            b.iter(|| {
                llkv.execute("BEGIN").expect("begin");
                for s in &txns[round % rounds] {
                    llkv.execute(s).expect("update");
                }
                llkv.execute("COMMIT").expect("commit");
                round += 1;
            })
        });
        g.finish();
        if rounds > 1 && sqlite_rounds.max(round) > rounds {
            eprintln!("{group}: keys wrapped around ({sqlite_rounds} and {round} transactions)");
        }
    }
}

criterion_group!(benches, engine);
criterion_main!(benches);
