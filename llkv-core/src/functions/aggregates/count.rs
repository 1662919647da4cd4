//! `COUNT(x)`.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Int64Array};
use arrow::datatypes::{DataType, Int64Type};
use llkv_traits::{Accumulator, AggregateError, AggregateFunction, GroupsAccumulator};

use super::groups::{
    GroupIds, GroupStates, Wrap, WrapMany, WrapOne, for_each_valid, input, invalid_arguments,
    unexpected_type, valid_count,
};

const NAME: &str = "count";

/// `COUNT(x)`: the number of non-NULL `x`, as `Int64`; 0 (never NULL) over no rows.
///
/// Takes one argument of any type. The engine runs `COUNT(*)` as `COUNT` over an all-valid
/// `Boolean` array of the batch length.
///
/// State: `[Int64 count]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Count;

impl Count {
    fn build<W: Wrap>(&self, arg_types: &[DataType], wrap: W) -> Result<W::Out, AggregateError> {
        self.return_type(arg_types)?;
        Ok(wrap.wrap(NAME, CountStates::default()))
    }
}

impl AggregateFunction for Count {
    fn name(&self) -> &str {
        NAME
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError> {
        match arg_types {
            [_] => Ok(DataType::Int64),
            _ => Err(invalid_arguments(NAME, arg_types)),
        }
    }

    fn state_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
        self.return_type(arg_types)?;
        Ok(vec![DataType::Int64])
    }

    fn accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn Accumulator>, AggregateError> {
        self.build(arg_types, WrapOne)
    }

    fn groups_accumulator(
        &self,
        arg_types: &[DataType],
    ) -> Result<Option<Box<dyn GroupsAccumulator>>, AggregateError> {
        self.build(arg_types, WrapMany).map(Some)
    }
}

/// Per group: the count so far.
#[derive(Default)]
struct CountStates {
    counts: Vec<i64>,
}

impl GroupStates for CountStates {
    fn resize(&mut self, total: usize) {
        self.counts.resize(total, 0);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        groups: G,
    ) -> Result<(), AggregateError> {
        let array = input(NAME, values, 0)?;
        let counts = &mut self.counts;
        if G::SINGLE {
            counts[0] += valid_count(array) as i64;
        } else {
            for_each_valid(array, |i| counts[groups.at(i)] += 1);
        }
        Ok(())
    }

    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        let array = input(NAME, states, 0)?;
        let partial = array
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| unexpected_type(NAME, array.data_type()))?;
        let values = partial.values();
        let counts = &mut self.counts;
        for_each_valid(array, |i| {
            let g = groups.at(i);
            counts[g] = counts[g].saturating_add(values[i]);
        });
        Ok(())
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        Ok(Arc::new(Int64Array::from(self.counts.clone())))
    }
}
