//! The built-in aggregate functions, with SQLite's semantics.
//!
//! | name | result | NULL when no non-NULL input? |
//! | --- | --- | --- |
//! | [`count`](Count) | `Int64` | no: 0 |
//! | [`sum`](Sum) | `Int64` / `Float64` / `Decimal128(38, s)` | yes |
//! | [`total`](Total) | `Float64` | no: 0.0 |
//! | [`avg`](Avg) | `Float64` | yes |
//! | [`min`](Min), [`max`](Max) | the argument's type | yes |
//! | [`group_concat`, `string_agg`](GroupConcat) | `Utf8` | yes |
//!
//! Each implements both [`Accumulator`](llkv_traits::Accumulator) and a vectorized
//! [`GroupsAccumulator`](llkv_traits::GroupsAccumulator): the argument's type is dispatched
//! once per array, then one generic loop runs over the values and the validity bitmap,
//! indexing per-group state vectors by group index. `DISTINCT` is the engine's business
//! (it deduplicates before feeding). The state types are documented on each function.

mod bare;
mod count;
mod group_concat;
mod groups;
mod min_max;
mod sum;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use llkv_traits::AggregateFunction;

pub use bare::BareColumn;
pub use count::Count;
pub use group_concat::GroupConcat;
pub use min_max::{Max, Min};
pub use sum::{Avg, Sum, Total};

/// All built-in aggregates: `count`, `sum`, `avg`, `min`, `max`, `total`, `group_concat`
/// and `string_agg`.
pub fn builtin_aggregates() -> Vec<Arc<dyn AggregateFunction>> {
    vec![
        Arc::new(Count),
        Arc::new(Sum),
        Arc::new(Avg),
        Arc::new(Min),
        Arc::new(Max),
        Arc::new(Total),
        Arc::new(GroupConcat::GROUP_CONCAT),
        Arc::new(GroupConcat::STRING_AGG),
    ]
}
