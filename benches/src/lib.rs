//! Shared data and workloads for the LLKV benchmarks (`benches/kernels.rs`,
//! `benches/engine.rs`). See `README.md` for how to run them and the measured numbers.
#![warn(missing_docs)]

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Elements per kernel-benchmark array.
pub const KERNEL_LEN: usize = 1 << 20;

/// A fixed-seed random generator, so every run measures the same data.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// `len` random `Int32` values in `0..1000`, a `null_rate` fraction of them NULL.
pub fn int32s(len: usize, null_rate: f64, seed: u64) -> ArrayRef {
    let mut r = rng(seed);
    Arc::new(Int32Array::from_iter((0..len).map(|_| {
        let v = r.random_range(0..1000);
        (!r.random_bool(null_rate)).then_some(v)
    })))
}

/// `len` random `Int64` values in `0..1_000_000`, a `null_rate` fraction of them NULL.
pub fn int64s(len: usize, null_rate: f64, seed: u64) -> ArrayRef {
    let mut r = rng(seed);
    Arc::new(Int64Array::from_iter((0..len).map(|_| {
        let v = r.random_range(0..1_000_000);
        (!r.random_bool(null_rate)).then_some(v)
    })))
}

/// `len` random `Float64` values in `0..1000`, a `null_rate` fraction of them NULL.
pub fn float64s(len: usize, null_rate: f64, seed: u64) -> ArrayRef {
    let mut r = rng(seed);
    Arc::new(Float64Array::from_iter((0..len).map(|_| {
        let v = r.random_range(0.0..1000.0);
        (!r.random_bool(null_rate)).then_some(v)
    })))
}

/// A random mask keeping about `selectivity` of the rows (no NULLs).
pub fn mask(len: usize, selectivity: f64, seed: u64) -> BooleanArray {
    let mut r = rng(seed);
    BooleanArray::from_iter((0..len).map(|_| Some(r.random_bool(selectivity))))
}

/// The engine workloads' data: the same rows for LLKV and SQLite.
pub mod workload {
    /// Rows of the fact table `t` (override with `LLKV_BENCH_ROWS`).
    pub fn rows() -> usize {
        std::env::var("LLKV_BENCH_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000)
    }

    /// Rows per `INSERT` statement of the bulk load.
    pub const INSERT_BATCH: usize = 10_000;

    /// Rows of the dimension table `d`.
    pub const GROUPS: usize = 1_000;

    /// The schema: `t` (facts) and `d` (dimension), in SQL both engines accept.
    pub const SCHEMA: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, \
         val INTEGER, price DOUBLE, name TEXT); \
         CREATE TABLE d (grp INTEGER PRIMARY KEY, label TEXT NOT NULL, flag INTEGER NOT NULL);";

    /// Row `i` of `t`: `(id, grp, val, price, name)`; `val` is NULL for 1 row in 50.
    pub fn t_row(i: usize) -> String {
        let id = i as i64;
        let grp = (i * 7919) % GROUPS;
        let val = (i as u64 * 2_654_435_761) % 100_000;
        let price = (val as f64) / 8.0;
        if i % 50 == 7 {
            format!("({id},{grp},NULL,{price},'n{}')", i % 997)
        } else {
            format!("({id},{grp},{val},{price},'n{}')", i % 997)
        }
    }

    /// The bulk load of `t`: one multi-row `INSERT` per [`INSERT_BATCH`] rows.
    pub fn insert_statements(rows: usize) -> Vec<String> {
        (0..rows)
            .step_by(INSERT_BATCH)
            .map(|start| {
                let end = (start + INSERT_BATCH).min(rows);
                let values: Vec<String> = (start..end).map(t_row).collect();
                format!("INSERT INTO t VALUES {}", values.join(","))
            })
            .collect()
    }

    /// The load of `d`.
    pub fn dim_insert() -> String {
        let values: Vec<String> = (0..GROUPS)
            .map(|g| format!("({g},'g{}',{})", g % 37, u8::from(g % 4 == 0)))
            .collect();
        format!("INSERT INTO d VALUES {}", values.join(","))
    }

    /// The analytical queries: (name, SQL).
    pub const QUERIES: &[(&str, &str)] = &[
        (
            "filtered_aggregate",
            "SELECT COUNT(*), SUM(val), MIN(price), MAX(price) FROM t WHERE val < 25000",
        ),
        (
            "group_by",
            "SELECT grp, COUNT(*), SUM(val), AVG(price) FROM t GROUP BY grp",
        ),
        (
            "hash_join",
            "SELECT d.label, COUNT(*), SUM(t.val) FROM t JOIN d ON t.grp = d.grp \
             WHERE d.flag = 1 GROUP BY d.label",
        ),
        (
            "order_by_limit",
            "SELECT id, val FROM t WHERE val IS NOT NULL ORDER BY val DESC, id LIMIT 10",
        ),
    ];

    /// The `k`-th key of a point workload (spread over the table, deterministic).
    pub fn point_key(k: usize, rows: usize) -> usize {
        (k * 7_919 + 13) % rows.max(1)
    }
}
