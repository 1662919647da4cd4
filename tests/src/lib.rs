//! Helpers shared by LLKV's cross-crate tests.

use arrow::array::{Array, RecordBatch};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use llkv_reference_engine::{QueryResult, Session};

/// Every row of a result as text cells (`NULL` for nulls), in result order.
pub fn rows(result: &QueryResult) -> Vec<Vec<String>> {
    let opts = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for b in &result.batches {
        out.extend(batch_rows(b, &opts));
    }
    out
}

fn batch_rows(b: &RecordBatch, opts: &FormatOptions<'_>) -> Vec<Vec<String>> {
    let formatters: Vec<ArrayFormatter<'_>> = b
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref() as &dyn Array, opts).expect("formattable"))
        .collect();
    (0..b.num_rows())
        .map(|r| formatters.iter().map(|f| f.value(r).to_string()).collect())
        .collect()
}

/// Runs a query and returns its rows as text; panics with the error otherwise.
pub fn query(session: &mut Session, sql: &str) -> Vec<Vec<String>> {
    match session.query(sql) {
        Ok(r) => rows(&r),
        Err(e) => panic!("query failed: {sql}: {e}"),
    }
}

/// Runs statements; panics with the error if one fails.
pub fn exec(session: &mut Session, sql: &str) {
    if let Err(e) = session.execute(sql) {
        panic!("statement failed: {sql}: {e}");
    }
}

/// Builds expected rows from string slices.
pub fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}
