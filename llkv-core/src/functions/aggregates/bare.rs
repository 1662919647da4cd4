//! The value of a "bare" column in a grouped SQLite query.
//!
//! SQLite lets a grouped query name a column that is neither grouped nor aggregated
//! (`SELECT a, b FROM t GROUP BY a`); each group then shows that column's value from one of
//! its rows, the last one processed. The binder makes such a column a call of
//! [`BareColumn`]; it is not registered by name, so SQL cannot call it directly.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, new_null_array};
use arrow::compute::interleave;
use arrow::datatypes::DataType;
use llkv_traits::{Accumulator, AggregateError, AggregateFunction, GroupsAccumulator, ScalarValue};

/// The last value of a column in each group.
#[derive(Debug, Clone, Copy, Default)]
pub struct BareColumn;

impl AggregateFunction for BareColumn {
    fn name(&self) -> &str {
        "bare_column"
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError> {
        match arg_types {
            [t] => Ok(t.clone()),
            _ => Err(AggregateError::InvalidArguments {
                function: self.name().into(),
                arg_types: arg_types.to_vec(),
            }),
        }
    }

    /// State: the value, and whether the group saw any row (an empty partial state must
    /// not overwrite a value when merged).
    fn state_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
        Ok(vec![self.return_type(arg_types)?, DataType::Boolean])
    }

    fn accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn Accumulator>, AggregateError> {
        Ok(Box::new(BareAccumulator {
            groups: LastValues::new(self.return_type(arg_types)?),
        }))
    }

    fn groups_accumulator(
        &self,
        arg_types: &[DataType],
    ) -> Result<Option<Box<dyn GroupsAccumulator>>, AggregateError> {
        Ok(Some(Box::new(LastValues::new(
            self.return_type(arg_types)?,
        ))))
    }
}

/// Per group: which input array and row holds its last value. Array 0 is a single NULL,
/// for groups that saw no row.
struct LastValues {
    data_type: DataType,
    arrays: Vec<ArrayRef>,
    last: Vec<(usize, usize)>,
}

impl LastValues {
    fn new(data_type: DataType) -> Self {
        let null = new_null_array(&data_type, 1);
        Self {
            data_type,
            arrays: vec![null],
            last: Vec::new(),
        }
    }

    fn feed(
        &mut self,
        values: &[ArrayRef],
        groups: &[usize],
        total: usize,
    ) -> Result<(), AggregateError> {
        self.feed_where(values, groups, total, None)
    }

    /// Records the rows of `values` (only those where `seen` is true, if given).
    fn feed_where(
        &mut self,
        values: &[ArrayRef],
        groups: &[usize],
        total: usize,
        seen: Option<&BooleanArray>,
    ) -> Result<(), AggregateError> {
        let Some(v) = values.first() else {
            return Err(AggregateError::Execution(
                "bare_column takes one argument".into(),
            ));
        };
        if v.len() != groups.len() {
            return Err(AggregateError::Execution(
                "bare_column: length mismatch".into(),
            ));
        }
        if self.last.len() < total {
            self.last.resize(total, (0, 0));
        }
        if v.is_empty() {
            return Ok(());
        }
        let id = self.arrays.len();
        self.arrays.push(v.clone());
        for (row, &g) in groups.iter().enumerate() {
            if seen.is_some_and(|s| !s.is_valid(row) || !s.value(row)) {
                continue;
            }
            let slot = self.last.get_mut(g).ok_or_else(|| {
                AggregateError::Execution(format!("bare_column: group {g} out of range"))
            })?;
            *slot = (id, row);
        }
        Ok(())
    }

    fn values(&mut self, total: usize) -> Result<ArrayRef, AggregateError> {
        if self.last.len() < total {
            self.last.resize(total, (0, 0));
        }
        let refs: Vec<&dyn Array> = self.arrays.iter().map(|a| a.as_ref()).collect();
        let out = interleave(&refs, &self.last[..total])?;
        if out.data_type() != &self.data_type {
            return Err(AggregateError::Execution(
                "bare_column: type changed".into(),
            ));
        }
        Ok(out)
    }
}

impl GroupsAccumulator for LastValues {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError> {
        self.feed(values, group_indices, total_num_groups)
    }

    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError> {
        let seen = states
            .get(1)
            .and_then(|s| s.as_boolean_opt())
            .ok_or_else(|| {
                AggregateError::Execution("bare_column: state needs a seen flag".into())
            })?
            .clone();
        self.feed_where(&states[..1], group_indices, total_num_groups, Some(&seen))
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>, AggregateError> {
        let n = self.last.len();
        let seen: BooleanArray = self.last.iter().map(|&(a, _)| Some(a != 0)).collect();
        Ok(vec![self.values(n)?, Arc::new(seen)])
    }

    fn evaluate(&mut self, total_num_groups: usize) -> Result<ArrayRef, AggregateError> {
        self.values(total_num_groups)
    }
}

struct BareAccumulator {
    groups: LastValues,
}

impl Accumulator for BareAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<(), AggregateError> {
        let n = values.first().map_or(0, |v| v.len());
        self.groups.feed(values, &vec![0; n], 1)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<(), AggregateError> {
        let n = states.first().map_or(0, |v| v.len());
        let seen = states
            .get(1)
            .and_then(|s| s.as_boolean_opt())
            .ok_or_else(|| {
                AggregateError::Execution("bare_column: state needs a seen flag".into())
            })?;
        let seen = seen.clone();
        self.groups
            .feed_where(&states[..1], &vec![0; n], 1, Some(&seen))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>, AggregateError> {
        let seen = self.groups.last.first().is_some_and(|&(a, _)| a != 0);
        Ok(vec![self.evaluate()?, ScalarValue::Boolean(Some(seen))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue, AggregateError> {
        let v = self.groups.values(1)?;
        Ok(ScalarValue::try_from_array(&v, 0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    llkv_traits::aggregate_conformance_tests!(
        bare_kit,
        Arc::new(BareColumn),
        vec![vec![Arc::new(arrow::array::Int64Array::from(vec![
            Some(1),
            None,
            Some(4),
            Some(9)
        ])) as ArrayRef]]
    );
}
