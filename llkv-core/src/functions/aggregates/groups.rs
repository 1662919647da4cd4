//! The shared machinery of the built-in aggregates.
//!
//! Each built-in keeps its state as vectors indexed by group ([`GroupStates`]) and has
//! one update loop per Arrow type, generic over where a row's group index comes from
//! ([`GroupIds`]). The same code serves both levels of the contract:
//!
//! - [`Single`] is the [`Accumulator`]: one group, every row in group 0 ([`OneGroup`]),
//!   which the compiler turns into a plain running value;
//! - [`Many`] is the [`GroupsAccumulator`]: group indices from the engine's slice.

use arrow::array::{Array, ArrayRef};
use arrow::buffer::NullBuffer;
use arrow::datatypes::DataType;
use llkv_traits::{Accumulator, AggregateError, GroupsAccumulator, ScalarValue};

/// Where the group index of row `i` comes from.
pub(super) trait GroupIds: Copy {
    /// True when every row goes to group 0 (lets a loop fold a whole batch at once).
    const SINGLE: bool;
    /// The group of row `row`.
    fn at(self, row: usize) -> usize;
}

/// Every row belongs to group 0.
#[derive(Clone, Copy)]
pub(super) struct OneGroup;

impl GroupIds for OneGroup {
    const SINGLE: bool = true;
    #[inline(always)]
    fn at(self, _row: usize) -> usize {
        0
    }
}

impl GroupIds for &[usize] {
    const SINGLE: bool = false;
    #[inline(always)]
    fn at(self, row: usize) -> usize {
        self[row]
    }
}

/// The states of one aggregate for a growable number of groups.
///
/// Callers guarantee: `resize` covered every group index passed to `update`/`merge`, and
/// every array has as many rows as there are group indices.
pub(super) trait GroupStates: Send + 'static {
    /// Grows to at least `total` groups (new groups are empty).
    fn resize(&mut self, total: usize);
    /// Folds argument rows into their groups.
    fn update<G: GroupIds>(&mut self, values: &[ArrayRef], groups: G)
    -> Result<(), AggregateError>;
    /// Folds intermediate state rows into their groups.
    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError>;
    /// The intermediate state of every group, one array per state field.
    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError>;
    /// The final value of every group.
    fn evaluate(&self) -> Result<ArrayRef, AggregateError>;
}

/// Turns a [`GroupStates`] into the accumulator flavour a caller asked for.
pub(super) trait Wrap {
    /// The accumulator type produced.
    type Out;
    /// Wraps `states` of the function `name`.
    fn wrap<S: GroupStates>(self, name: &'static str, states: S) -> Self::Out;
}

/// Asks for an [`Accumulator`] (one group).
pub(super) struct WrapOne;

impl Wrap for WrapOne {
    type Out = Box<dyn Accumulator>;
    fn wrap<S: GroupStates>(self, name: &'static str, mut states: S) -> Self::Out {
        states.resize(1);
        Box::new(Single { name, states })
    }
}

/// Asks for a [`GroupsAccumulator`].
pub(super) struct WrapMany;

impl Wrap for WrapMany {
    type Out = Box<dyn GroupsAccumulator>;
    fn wrap<S: GroupStates>(self, name: &'static str, states: S) -> Self::Out {
        Box::new(Many {
            name,
            states,
            groups: 0,
        })
    }
}

/// One group's accumulator over [`GroupStates`] sized to one group.
pub(super) struct Single<S> {
    name: &'static str,
    states: S,
}

impl<S: GroupStates> Accumulator for Single<S> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<(), AggregateError> {
        same_lengths(self.name, values, None)?;
        self.states.update(values, OneGroup)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<(), AggregateError> {
        same_lengths(self.name, states, None)?;
        self.states.merge(states, OneGroup)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>, AggregateError> {
        self.states
            .state()?
            .iter()
            .map(|a| Ok(ScalarValue::try_from_array(a.as_ref(), 0)?))
            .collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue, AggregateError> {
        let result = self.states.evaluate()?;
        Ok(ScalarValue::try_from_array(result.as_ref(), 0)?)
    }
}

/// The groups accumulator over [`GroupStates`].
pub(super) struct Many<S> {
    name: &'static str,
    states: S,
    /// Groups allocated so far.
    groups: usize,
}

impl<S: GroupStates> Many<S> {
    fn prepare(
        &mut self,
        arrays: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError> {
        same_lengths(self.name, arrays, Some(group_indices.len()))?;
        if let Some(&bad) = group_indices.iter().find(|&&g| g >= total_num_groups) {
            return Err(AggregateError::Execution(format!(
                "{}: group index {bad} is not below total_num_groups {total_num_groups}",
                self.name
            )));
        }
        self.grow(total_num_groups);
        Ok(())
    }

    fn grow(&mut self, total_num_groups: usize) {
        if total_num_groups > self.groups {
            self.states.resize(total_num_groups);
            self.groups = total_num_groups;
        }
    }
}

impl<S: GroupStates> GroupsAccumulator for Many<S> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError> {
        self.prepare(values, group_indices, total_num_groups)?;
        if total_num_groups == 1 {
            // Every index is 0 (checked above): an aggregate without GROUP BY takes the
            // whole-array path (one kernel call, no per-row group lookups).
            return self.states.update(values, OneGroup);
        }
        self.states.update(values, group_indices)
    }

    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<(), AggregateError> {
        self.prepare(states, group_indices, total_num_groups)?;
        self.states.merge(states, group_indices)
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>, AggregateError> {
        self.states.state()
    }

    fn evaluate(&mut self, total_num_groups: usize) -> Result<ArrayRef, AggregateError> {
        self.grow(total_num_groups);
        let result = self.states.evaluate()?;
        Ok(if result.len() > total_num_groups {
            result.slice(0, total_num_groups)
        } else {
            result
        })
    }
}

/// Checks that every array has the same number of rows (`rows` when given).
fn same_lengths(
    name: &str,
    arrays: &[ArrayRef],
    rows: Option<usize>,
) -> Result<(), AggregateError> {
    let Some(expected) = rows.or_else(|| arrays.first().map(|a| a.len())) else {
        return Ok(());
    };
    match arrays.iter().find(|a| a.len() != expected) {
        Some(a) => Err(AggregateError::Execution(format!(
            "{name}: an input array has {} rows, expected {expected}",
            a.len()
        ))),
        None => Ok(()),
    }
}

/// Argument or state array `index`, or an error naming the function.
pub(super) fn input<'a>(
    name: &str,
    arrays: &'a [ArrayRef],
    index: usize,
) -> Result<&'a dyn Array, AggregateError> {
    arrays.get(index).map(|a| a.as_ref()).ok_or_else(|| {
        AggregateError::Execution(format!(
            "{name}: expected at least {} input arrays, got {}",
            index + 1,
            arrays.len()
        ))
    })
}

/// The error for an input array whose type the accumulator was not made for.
pub(super) fn unexpected_type(name: &str, got: &DataType) -> AggregateError {
    AggregateError::Execution(format!("{name}: unexpected input array of type {got}"))
}

/// The error for argument types a function does not accept.
pub(super) fn invalid_arguments(name: &str, arg_types: &[DataType]) -> AggregateError {
    AggregateError::InvalidArguments {
        function: name.to_owned(),
        arg_types: arg_types.to_vec(),
    }
}

/// Calls `f(row)` for every non-NULL row of `array`, skipping NULLs a word at a time.
#[inline]
pub(super) fn for_each_valid(array: &dyn Array, f: impl FnMut(usize)) {
    match array.logical_nulls() {
        Some(nulls) if nulls.null_count() > 0 => nulls.valid_indices().for_each(f),
        _ => (0..array.len()).for_each(f),
    }
}

/// Like [`for_each_valid`], stopping at the first error.
#[inline]
pub(super) fn try_for_each_valid<E>(
    array: &dyn Array,
    f: impl FnMut(usize) -> Result<(), E>,
) -> Result<(), E> {
    match array.logical_nulls() {
        Some(nulls) if nulls.null_count() > 0 => nulls.valid_indices().try_for_each(f),
        _ => (0..array.len()).try_for_each(f),
    }
}

/// The number of non-NULL rows of `array`.
pub(super) fn valid_count(array: &dyn Array) -> usize {
    array.len() - array.logical_null_count()
}

/// A validity buffer from per-group "has a value" flags (`None` when all are set).
pub(super) fn validity(seen: &[bool]) -> Option<NullBuffer> {
    if seen.iter().all(|&s| s) {
        None
    } else {
        Some(NullBuffer::from(seen))
    }
}
