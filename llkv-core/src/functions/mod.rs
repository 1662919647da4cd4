//! Built-in functions.
//!
//! - [`aggregates`]: the built-in aggregate functions (`count`, `sum`, `avg`, `min`, `max`,
//!   `total`, `group_concat`, `string_agg`), each with a vectorized groups accumulator.
//! - [`format`](mod@format): values to text and text to numbers with SQLite's rules, shared by
//!   `group_concat`, `CAST(... AS TEXT)` and `||`.

pub mod aggregates;
pub mod format;
