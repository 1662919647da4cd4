//! The aggregate contract, on two levels.
//!
//! - [`Accumulator`] holds the state of one group. It is the easy trait to implement.
//! - [`GroupsAccumulator`] holds the states of many groups at once and is fed whole batches
//!   with a group index per row: the fast path for `GROUP BY`.
//! - [`AggregateFunction`] names an aggregate, types it and makes its accumulators. Users
//!   register their own with the engine by name and SQL finds them like the built-ins.
//!
//! A function that only implements [`Accumulator`] still works under `GROUP BY` through
//! [`GroupsAccumulatorAdapter`], which [`AggregateFunction::groups_accumulator`] uses by
//! default.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::compute;
use arrow::datatypes::DataType;
use arrow::error::ArrowError;

use crate::ScalarValue;

/// Errors an aggregate reports.
#[derive(Debug, thiserror::Error)]
pub enum AggregateError {
    /// The function cannot take arguments of these types.
    #[error("{function} does not accept arguments of type ({})", types_list(.arg_types))]
    InvalidArguments {
        /// The function's name.
        function: String,
        /// The argument types it was given.
        arg_types: Vec<DataType>,
    },
    /// An arithmetic overflow (for example an integer SUM).
    #[error("{function}: integer overflow")]
    Overflow {
        /// The function's name.
        function: String,
    },
    /// Anything else, described.
    #[error("{0}")]
    Execution(String),
    /// An Arrow error.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

fn types_list(types: &[DataType]) -> String {
    types
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The state of one aggregate over one group.
pub trait Accumulator: Send {
    /// Folds a batch of argument values (one array per argument, equal lengths) into the
    /// state. NULL handling is the function's: most aggregates skip NULL inputs.
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<(), AggregateError>;

    /// Folds states produced by [`Accumulator::state`] of other accumulators of the same
    /// function (one array per state field, one row per merged accumulator).
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<(), AggregateError>;

    /// The intermediate state, one value per state field.
    fn state(&mut self) -> Result<Vec<ScalarValue>, AggregateError>;

    /// The final value.
    fn evaluate(&mut self) -> Result<ScalarValue, AggregateError>;
}

/// The states of one aggregate over many groups.
pub trait GroupsAccumulator: Send {
    /// Folds a batch: row `i` of every array in `values` belongs to group
    /// `group_indices[i]`. `total_num_groups` is one more than the largest group index seen
    /// so far; the accumulator grows its state to that size.
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError>;

    /// Folds intermediate states (from [`GroupsAccumulator::state`]) row by row into the
    /// groups given by `group_indices`.
    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError>;

    /// The intermediate states of all groups, one array per state field.
    fn state(&mut self) -> Result<Vec<ArrayRef>, AggregateError>;

    /// The final values of all `total_num_groups` groups, in group-index order.
    fn evaluate(&mut self, total_num_groups: usize) -> Result<ArrayRef, AggregateError>;
}

/// An aggregate function: its name, types and accumulator factories.
pub trait AggregateFunction: Send + Sync {
    /// The name SQL calls it by (matched case-insensitively).
    fn name(&self) -> &str;

    /// The result type for these argument types, or an error naming the function if it does
    /// not accept them.
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError>;

    /// The types of the intermediate state fields.
    fn state_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>, AggregateError>;

    /// A fresh accumulator for one group.
    fn accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn Accumulator>, AggregateError>;

    /// A fresh accumulator for many groups, or `None` (the default) to let the engine run
    /// one [`Accumulator`] per group through [`GroupsAccumulatorAdapter`]. Implement it for
    /// speed.
    fn groups_accumulator(
        &self,
        arg_types: &[DataType],
    ) -> Result<Option<Box<dyn GroupsAccumulator>>, AggregateError> {
        let _ = arg_types;
        Ok(None)
    }
}

/// Makes accumulators for [`GroupsAccumulatorAdapter`].
pub trait AccumulatorFactory: Send {
    /// A fresh accumulator for one group.
    fn make(&self) -> Result<Box<dyn Accumulator>, AggregateError>;
}

impl<F> AccumulatorFactory for F
where
    F: Fn() -> Result<Box<dyn Accumulator>, AggregateError> + Send,
{
    fn make(&self) -> Result<Box<dyn Accumulator>, AggregateError> {
        self()
    }
}

impl GroupsAccumulatorAdapter {
    /// The adapter for `function` over `arg_types`: each group gets a fresh
    /// `function.accumulator(arg_types)`.
    pub fn for_function(
        function: AggregateFunctionRef,
        arg_types: &[DataType],
    ) -> Result<Self, AggregateError> {
        let return_type = function.return_type(arg_types)?;
        let state_types = function.state_types(arg_types)?;
        let name = function.name().to_owned();
        let arg_types = arg_types.to_vec();
        Ok(Self::new(
            name,
            return_type,
            state_types,
            Box::new(move || function.accumulator(&arg_types)),
        ))
    }
}

/// Runs one [`Accumulator`] per group behind the [`GroupsAccumulator`] interface.
///
/// Each batch is split by group with one sort of the row indices (not one dispatch per row):
/// rows of a group are gathered with `take` and handed to that group's accumulator.
pub struct GroupsAccumulatorAdapter {
    function: String,
    return_type: DataType,
    state_types: Vec<DataType>,
    factory: Box<dyn AccumulatorFactory>,
    groups: Vec<Box<dyn Accumulator>>,
}

impl GroupsAccumulatorAdapter {
    /// An adapter whose groups are made by `factory`.
    pub fn new(
        function: String,
        return_type: DataType,
        state_types: Vec<DataType>,
        factory: Box<dyn AccumulatorFactory>,
    ) -> Self {
        Self {
            function,
            return_type,
            state_types,
            factory,
            groups: Vec::new(),
        }
    }

    fn grow(&mut self, total_num_groups: usize) -> Result<(), AggregateError> {
        while self.groups.len() < total_num_groups {
            self.groups.push(self.factory.make()?);
        }
        Ok(())
    }

    /// Calls `f(accumulator, arrays_of_that_group)` for every group present in the batch.
    fn for_each_group(
        &mut self,
        arrays: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
        mut f: impl FnMut(&mut dyn Accumulator, &[ArrayRef]) -> Result<(), AggregateError>,
    ) -> Result<(), AggregateError> {
        self.grow(total_num_groups)?;
        let mut order: Vec<u32> = (0..group_indices.len() as u32).collect();
        order.sort_unstable_by_key(|&i| group_indices[i as usize]);
        let mut start = 0;
        while start < order.len() {
            let group = group_indices[order[start] as usize];
            let mut end = start + 1;
            while end < order.len() && group_indices[order[end] as usize] == group {
                end += 1;
            }
            let idx = UInt32Array::from(order[start..end].to_vec());
            let taken = arrays
                .iter()
                .map(|a| compute::take(a.as_ref(), &idx, None))
                .collect::<Result<Vec<_>, _>>()?;
            let acc = self.groups.get_mut(group).ok_or_else(|| {
                AggregateError::Execution(format!(
                    "{}: group index {group} out of range",
                    self.function
                ))
            })?;
            f(acc.as_mut(), &taken)?;
            start = end;
        }
        Ok(())
    }
}

impl GroupsAccumulator for GroupsAccumulatorAdapter {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError> {
        self.for_each_group(values, group_indices, total_num_groups, |acc, v| {
            acc.update_batch(v)
        })
    }

    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError> {
        self.for_each_group(states, group_indices, total_num_groups, |acc, s| {
            acc.merge_batch(s)
        })
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>, AggregateError> {
        let mut columns: Vec<Vec<ScalarValue>> = vec![Vec::new(); self.state_types.len()];
        for acc in &mut self.groups {
            for (col, value) in columns.iter_mut().zip(acc.state()?) {
                col.push(value);
            }
        }
        columns
            .into_iter()
            .zip(&self.state_types)
            .map(|(values, t)| scalars_to_array(&values, t))
            .collect()
    }

    fn evaluate(&mut self, total_num_groups: usize) -> Result<ArrayRef, AggregateError> {
        self.grow(total_num_groups)?;
        let values = self
            .groups
            .iter_mut()
            .take(total_num_groups)
            .map(|acc| acc.evaluate())
            .collect::<Result<Vec<_>, _>>()?;
        scalars_to_array(&values, &self.return_type)
    }
}

/// Builds an array of type `data_type` from scalars (NULLs of any type are accepted).
pub fn scalars_to_array(
    values: &[ScalarValue],
    data_type: &DataType,
) -> Result<ArrayRef, AggregateError> {
    if values.is_empty() {
        return Ok(arrow::array::new_empty_array(data_type));
    }
    let arrays: Vec<ArrayRef> = values
        .iter()
        .map(|v| {
            let a = v.to_array(1);
            if a.data_type() == data_type {
                Ok(a)
            } else {
                compute::cast(&a, data_type)
            }
        })
        .collect::<Result<_, _>>()?;
    let refs: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
    Ok(compute::concat(&refs)?)
}

/// A shared, dynamically typed aggregate function.
pub type AggregateFunctionRef = Arc<dyn AggregateFunction>;
