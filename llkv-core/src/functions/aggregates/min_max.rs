//! `MIN` and `MAX`.

use std::marker::PhantomData;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray, NullArray, PrimitiveArray, StringArray,
    StringBuilder,
};
use arrow::datatypes::{
    ArrowNativeTypeOp, DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type,
};
use llkv_traits::{Accumulator, AggregateError, AggregateFunction, GroupsAccumulator};

use super::groups::{
    GroupIds, GroupStates, Wrap, WrapMany, WrapOne, for_each_valid, input, invalid_arguments,
    unexpected_type, validity,
};

/// `MIN(x)`: the smallest non-NULL `x`, of `x`'s type; NULL when there are none.
///
/// Accepts `Int8`..`Int64`, `Float32`, `Float64`, `Date32`, `Decimal128`, `Utf8` (compared
/// by bytes: SQLite's BINARY collation), `Boolean` (false < true) and `Null`.
///
/// State: `[x's type]`, the minimum so far, NULL while no value was seen.
#[derive(Debug, Clone, Copy, Default)]
pub struct Min;

/// `MAX(x)`: the largest non-NULL `x`, of `x`'s type; NULL when there are none.
///
/// Accepts the types [`Min`] accepts. State: `[x's type]`, the maximum so far, NULL
/// while no value was seen.
#[derive(Debug, Clone, Copy, Default)]
pub struct Max;

macro_rules! min_max_function {
    ($ty:ident, $name:literal, $is_max:literal) => {
        impl AggregateFunction for $ty {
            fn name(&self) -> &str {
                $name
            }

            fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError> {
                input_type($name, arg_types).cloned()
            }

            fn state_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
                Ok(vec![input_type($name, arg_types)?.clone()])
            }

            fn accumulator(
                &self,
                arg_types: &[DataType],
            ) -> Result<Box<dyn Accumulator>, AggregateError> {
                build::<$is_max, _>($name, arg_types, WrapOne)
            }

            fn groups_accumulator(
                &self,
                arg_types: &[DataType],
            ) -> Result<Option<Box<dyn GroupsAccumulator>>, AggregateError> {
                build::<$is_max, _>($name, arg_types, WrapMany).map(Some)
            }
        }
    };
}

min_max_function!(Min, "min", false);
min_max_function!(Max, "max", true);

/// The single argument type, if `MIN`/`MAX` accept it.
fn input_type<'a>(name: &str, arg_types: &'a [DataType]) -> Result<&'a DataType, AggregateError> {
    use DataType::*;
    match arg_types {
        [
            t @ (Int8 | Int16 | Int32 | Int64 | Float32 | Float64 | Date32 | Decimal128(..) | Utf8
            | Boolean | Null),
        ] => Ok(t),
        _ => Err(invalid_arguments(name, arg_types)),
    }
}

fn build<const MAX: bool, W: Wrap>(
    name: &'static str,
    arg_types: &[DataType],
    wrap: W,
) -> Result<W::Out, AggregateError> {
    let t = input_type(name, arg_types)?;
    macro_rules! primitive {
        ($arrow:ty) => {
            wrap.wrap(name, PrimitiveStates::<$arrow, MAX>::new(name, t.clone()))
        };
    }
    Ok(match t {
        DataType::Int8 => primitive!(Int8Type),
        DataType::Int16 => primitive!(Int16Type),
        DataType::Int32 => primitive!(Int32Type),
        DataType::Int64 => primitive!(Int64Type),
        DataType::Float32 => primitive!(Float32Type),
        DataType::Float64 => primitive!(Float64Type),
        DataType::Date32 => primitive!(Date32Type),
        DataType::Decimal128(..) => primitive!(Decimal128Type),
        DataType::Utf8 => wrap.wrap(name, StringStates::<MAX>::new(name)),
        DataType::Boolean => wrap.wrap(name, BooleanStates::<MAX>::new(name)),
        _ => wrap.wrap(name, NullStates { name, groups: 0 }),
    })
}

/// True when `candidate` should replace the current extreme `current`.
#[inline(always)]
fn better<const MAX: bool, T: ArrowNativeTypeOp>(candidate: T, current: T) -> bool {
    if MAX {
        candidate.is_gt(current)
    } else {
        candidate.is_lt(current)
    }
}

/// Per group: the extreme primitive value so far and whether any value was seen.
struct PrimitiveStates<T: ArrowPrimitiveType, const MAX: bool> {
    name: &'static str,
    /// The exact input type (keeps a decimal's precision and scale).
    data_type: DataType,
    values: Vec<T::Native>,
    seen: Vec<bool>,
    _type: PhantomData<fn() -> T>,
}

impl<T: ArrowPrimitiveType, const MAX: bool> PrimitiveStates<T, MAX> {
    fn new(name: &'static str, data_type: DataType) -> Self {
        Self {
            name,
            data_type,
            values: Vec::new(),
            seen: Vec::new(),
            _type: PhantomData,
        }
    }

    fn fold<G: GroupIds>(&mut self, arrays: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        let a = input(self.name, arrays, 0)?;
        if a.data_type() == &DataType::Null {
            return Ok(());
        }
        let array = match a.as_primitive_opt::<T>() {
            Some(array) if a.data_type() == &self.data_type => array,
            _ => return Err(unexpected_type(self.name, a.data_type())),
        };
        let input = array.values();
        let Self { values, seen, .. } = self;
        for_each_valid(array, |i| {
            let g = groups.at(i);
            let v = input[i];
            if !seen[g] || better::<MAX, _>(v, values[g]) {
                values[g] = v;
                seen[g] = true;
            }
        });
        Ok(())
    }
}

impl<T: ArrowPrimitiveType, const MAX: bool> GroupStates for PrimitiveStates<T, MAX> {
    fn resize(&mut self, total: usize) {
        self.values.resize(total, T::Native::default());
        self.seen.resize(total, false);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        groups: G,
    ) -> Result<(), AggregateError> {
        self.fold(values, groups)
    }

    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        self.fold(states, groups)
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        let array = PrimitiveArray::<T>::try_new(self.values.clone().into(), validity(&self.seen))?
            .with_data_type(self.data_type.clone());
        Ok(Arc::new(array))
    }
}

/// Per group: the extreme string so far (its buffer reused) and whether one was seen.
struct StringStates<const MAX: bool> {
    name: &'static str,
    values: Vec<String>,
    seen: Vec<bool>,
}

impl<const MAX: bool> StringStates<MAX> {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            values: Vec::new(),
            seen: Vec::new(),
        }
    }

    fn fold<G: GroupIds>(&mut self, arrays: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        let a = input(self.name, arrays, 0)?;
        if a.data_type() == &DataType::Null {
            return Ok(());
        }
        let texts = a
            .as_string_opt::<i32>()
            .ok_or_else(|| unexpected_type(self.name, a.data_type()))?;
        let Self { values, seen, .. } = self;
        for_each_valid(texts, |i| {
            let g = groups.at(i);
            let v = texts.value(i);
            let current = &mut values[g];
            let replace = !seen[g]
                || if MAX {
                    v > current.as_str()
                } else {
                    v < current.as_str()
                };
            if replace {
                current.clear();
                current.push_str(v);
                seen[g] = true;
            }
        });
        Ok(())
    }
}

impl<const MAX: bool> GroupStates for StringStates<MAX> {
    fn resize(&mut self, total: usize) {
        self.values.resize(total, String::new());
        self.seen.resize(total, false);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        groups: G,
    ) -> Result<(), AggregateError> {
        self.fold(values, groups)
    }

    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        self.fold(states, groups)
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        let bytes = self.values.iter().map(String::len).sum();
        let mut builder = StringBuilder::with_capacity(self.values.len(), bytes);
        for (v, &seen) in self.values.iter().zip(&self.seen) {
            if seen {
                builder.append_value(v);
            } else {
                builder.append_null();
            }
        }
        let array: StringArray = builder.finish();
        Ok(Arc::new(array))
    }
}

/// Per group: the extreme boolean so far and whether one was seen.
struct BooleanStates<const MAX: bool> {
    name: &'static str,
    values: Vec<bool>,
    seen: Vec<bool>,
}

impl<const MAX: bool> BooleanStates<MAX> {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            values: Vec::new(),
            seen: Vec::new(),
        }
    }

    fn fold<G: GroupIds>(&mut self, arrays: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        let a = input(self.name, arrays, 0)?;
        if a.data_type() == &DataType::Null {
            return Ok(());
        }
        let array = a
            .as_boolean_opt()
            .ok_or_else(|| unexpected_type(self.name, a.data_type()))?;
        let bits = array.values();
        let Self { values, seen, .. } = self;
        for_each_valid(array, |i| {
            let g = groups.at(i);
            let v = bits.value(i);
            values[g] = if !seen[g] {
                v
            } else if MAX {
                values[g] | v
            } else {
                values[g] & v
            };
            seen[g] = true;
        });
        Ok(())
    }
}

impl<const MAX: bool> GroupStates for BooleanStates<MAX> {
    fn resize(&mut self, total: usize) {
        self.values.resize(total, false);
        self.seen.resize(total, false);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        groups: G,
    ) -> Result<(), AggregateError> {
        self.fold(values, groups)
    }

    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        self.fold(states, groups)
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        Ok(Arc::new(BooleanArray::new(
            self.values.as_slice().into(),
            validity(&self.seen),
        )))
    }
}

/// `MIN`/`MAX` over the `Null` type: every group's answer is NULL.
struct NullStates {
    name: &'static str,
    groups: usize,
}

impl NullStates {
    fn check(&self, arrays: &[ArrayRef]) -> Result<(), AggregateError> {
        let a = input(self.name, arrays, 0)?;
        if a.logical_null_count() == a.len() {
            Ok(())
        } else {
            Err(unexpected_type(self.name, a.data_type()))
        }
    }
}

impl GroupStates for NullStates {
    fn resize(&mut self, total: usize) {
        self.groups = self.groups.max(total);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        _groups: G,
    ) -> Result<(), AggregateError> {
        self.check(values)
    }

    fn merge<G: GroupIds>(
        &mut self,
        states: &[ArrayRef],
        _groups: G,
    ) -> Result<(), AggregateError> {
        self.check(states)
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        Ok(Arc::new(NullArray::new(self.groups)))
    }
}
