//! `SUM`, `TOTAL` and `AVG`.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, Decimal128Array, Float64Array, Int64Array,
    PrimitiveArray,
};
use arrow::datatypes::{
    ArrowNativeType, DataType, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use llkv_traits::{Accumulator, AggregateError, AggregateFunction, GroupsAccumulator};

use super::groups::{
    GroupIds, GroupStates, Wrap, WrapMany, WrapOne, for_each_valid, input, invalid_arguments,
    try_for_each_valid, unexpected_type, validity,
};
use crate::functions::format::text_to_f64;

const SUM: &str = "sum";
const TOTAL: &str = "total";
const AVG: &str = "avg";

/// The state of a floating-point sum: `[Float64 sum, Float64 compensation, Int64 count]`.
fn float_state_types() -> Vec<DataType> {
    vec![DataType::Float64, DataType::Float64, DataType::Int64]
}

/// How `SUM` adds up its argument type.
enum SumKind {
    /// Exact `i64` arithmetic with overflow errors.
    Integer,
    /// Compensated `f64` summation.
    Float,
    /// Exact `i128` arithmetic at the argument's scale.
    Decimal(i8),
}

fn sum_kind(arg_types: &[DataType]) -> Result<SumKind, AggregateError> {
    use DataType::*;
    match arg_types {
        [Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Boolean | Null] => {
            Ok(SumKind::Integer)
        }
        [Float32 | Float64 | Utf8] => Ok(SumKind::Float),
        [Decimal128(_, scale)] => Ok(SumKind::Decimal(*scale)),
        _ => Err(invalid_arguments(SUM, arg_types)),
    }
}

/// Checks that `TOTAL` / `AVG` can read their argument as a number.
fn check_numeric(name: &str, arg_types: &[DataType]) -> Result<(), AggregateError> {
    match sum_kind(arg_types) {
        Ok(_) => Ok(()),
        Err(_) => Err(invalid_arguments(name, arg_types)),
    }
}

/// `SUM(x)`: the sum of the non-NULL `x`; NULL when there are none.
///
/// | argument | result | state |
/// | --- | --- | --- |
/// | `Int8`..`Int64`, `UInt8`..`UInt64`, `Boolean` (0/1), `Null` | `Int64` | `[Int64 sum]`, NULL while no value was seen |
/// | `Float32`, `Float64`, `Utf8` | `Float64` | `[Float64 sum, Float64 compensation, Int64 count]` |
/// | `Decimal128(p, s)` | `Decimal128(38, s)` | `[Decimal128(38, s) sum]`, NULL while no value was seen |
///
/// Integer sums are exact and checked: overflowing `i64` is
/// [`AggregateError::Overflow`] ("sum: integer overflow"), as in SQLite; decimal sums
/// beyond 38 digits likewise. Floating-point sums use Kahan-Babuska-Neumaier compensated
/// summation, as SQLite 3.43+ does.
///
/// Text is read the SQLite way, by its leading numeric prefix (`' 12abc'` is 12, `'abc'`
/// is 0, `'1.5x'` is 1.5). SQLite returns an integer when every text is a plain integer;
/// the result type here must be known before the data is seen, so `SUM(text)` is always
/// `Float64`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sum;

impl Sum {
    fn build<W: Wrap>(&self, arg_types: &[DataType], wrap: W) -> Result<W::Out, AggregateError> {
        Ok(match sum_kind(arg_types)? {
            SumKind::Integer => wrap.wrap(SUM, IntSumStates::default()),
            SumKind::Float => wrap.wrap(SUM, FloatSumStates::new(SUM, FloatResult::Sum)),
            SumKind::Decimal(scale) => wrap.wrap(SUM, DecimalSumStates::new(scale)),
        })
    }
}

impl AggregateFunction for Sum {
    fn name(&self) -> &str {
        SUM
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError> {
        Ok(match sum_kind(arg_types)? {
            SumKind::Integer => DataType::Int64,
            SumKind::Float => DataType::Float64,
            SumKind::Decimal(scale) => DataType::Decimal128(38, scale),
        })
    }

    fn state_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
        Ok(match sum_kind(arg_types)? {
            SumKind::Integer => vec![DataType::Int64],
            SumKind::Float => float_state_types(),
            SumKind::Decimal(scale) => vec![DataType::Decimal128(38, scale)],
        })
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

/// `TOTAL(x)`: SQLite's total, the sum of the non-NULL `x` as `Float64`; `0.0` (never
/// NULL) when there are none, and never an overflow error.
///
/// Accepts what [`Sum`] accepts. State: `[Float64 sum, Float64 compensation, Int64 count]`
/// (Kahan-Babuska-Neumaier compensated summation; integers beyond 2^52 are added in two
/// exact parts, as SQLite does).
#[derive(Debug, Clone, Copy, Default)]
pub struct Total;

impl AggregateFunction for Total {
    fn name(&self) -> &str {
        TOTAL
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError> {
        check_numeric(TOTAL, arg_types)?;
        Ok(DataType::Float64)
    }

    fn state_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
        check_numeric(TOTAL, arg_types)?;
        Ok(float_state_types())
    }

    fn accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn Accumulator>, AggregateError> {
        check_numeric(TOTAL, arg_types)?;
        Ok(WrapOne.wrap(TOTAL, FloatSumStates::new(TOTAL, FloatResult::Total)))
    }

    fn groups_accumulator(
        &self,
        arg_types: &[DataType],
    ) -> Result<Option<Box<dyn GroupsAccumulator>>, AggregateError> {
        check_numeric(TOTAL, arg_types)?;
        Ok(Some(WrapMany.wrap(
            TOTAL,
            FloatSumStates::new(TOTAL, FloatResult::Total),
        )))
    }
}

/// `AVG(x)`: the mean of the non-NULL `x` as `Float64`; NULL when there are none.
///
/// Accepts what [`Sum`] accepts (decimals and text are averaged as `Float64`). State:
/// `[Float64 sum, Float64 compensation, Int64 count]`, summed as in [`Total`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Avg;

impl AggregateFunction for Avg {
    fn name(&self) -> &str {
        AVG
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError> {
        check_numeric(AVG, arg_types)?;
        Ok(DataType::Float64)
    }

    fn state_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
        check_numeric(AVG, arg_types)?;
        Ok(float_state_types())
    }

    fn accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn Accumulator>, AggregateError> {
        check_numeric(AVG, arg_types)?;
        Ok(WrapOne.wrap(AVG, FloatSumStates::new(AVG, FloatResult::Avg)))
    }

    fn groups_accumulator(
        &self,
        arg_types: &[DataType],
    ) -> Result<Option<Box<dyn GroupsAccumulator>>, AggregateError> {
        check_numeric(AVG, arg_types)?;
        Ok(Some(
            WrapMany.wrap(AVG, FloatSumStates::new(AVG, FloatResult::Avg)),
        ))
    }
}

fn overflow(name: &str) -> AggregateError {
    AggregateError::Overflow {
        function: name.to_owned(),
    }
}

/// Per group: the exact `i64` sum and whether any value was seen.
#[derive(Default)]
struct IntSumStates {
    sums: Vec<i64>,
    seen: Vec<bool>,
}

impl IntSumStates {
    fn add<T, G>(&mut self, array: &PrimitiveArray<T>, groups: G) -> Result<(), AggregateError>
    where
        T: ArrowPrimitiveType,
        G: GroupIds,
    {
        let values = array.values();
        let Self { sums, seen } = self;
        try_for_each_valid(array, |i| {
            let g = groups.at(i);
            let sum = values[i]
                .to_i64()
                .and_then(|v| sums[g].checked_add(v))
                .ok_or_else(|| overflow(SUM))?;
            sums[g] = sum;
            seen[g] = true;
            Ok(())
        })
    }

    fn add_booleans<G: GroupIds>(
        &mut self,
        array: &dyn Array,
        groups: G,
    ) -> Result<(), AggregateError> {
        let array = array.as_boolean();
        let Self { sums, seen } = self;
        if G::SINGLE {
            let ones = array.true_count() as i64;
            sums[0] = sums[0].checked_add(ones).ok_or_else(|| overflow(SUM))?;
            seen[0] |= array.len() > array.null_count();
            return Ok(());
        }
        let bits = array.values();
        try_for_each_valid(array, |i| {
            let g = groups.at(i);
            sums[g] = sums[g]
                .checked_add(i64::from(bits.value(i)))
                .ok_or_else(|| overflow(SUM))?;
            seen[g] = true;
            Ok(())
        })
    }
}

impl GroupStates for IntSumStates {
    fn resize(&mut self, total: usize) {
        self.sums.resize(total, 0);
        self.seen.resize(total, false);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        groups: G,
    ) -> Result<(), AggregateError> {
        let a = input(SUM, values, 0)?;
        match a.data_type() {
            DataType::Int8 => self.add(a.as_primitive::<Int8Type>(), groups),
            DataType::Int16 => self.add(a.as_primitive::<Int16Type>(), groups),
            DataType::Int32 => self.add(a.as_primitive::<Int32Type>(), groups),
            DataType::Int64 => self.add(a.as_primitive::<Int64Type>(), groups),
            DataType::UInt8 => self.add(a.as_primitive::<UInt8Type>(), groups),
            DataType::UInt16 => self.add(a.as_primitive::<UInt16Type>(), groups),
            DataType::UInt32 => self.add(a.as_primitive::<UInt32Type>(), groups),
            DataType::UInt64 => self.add(a.as_primitive::<UInt64Type>(), groups),
            DataType::Boolean => self.add_booleans(a, groups),
            DataType::Null => Ok(()),
            other => Err(unexpected_type(SUM, other)),
        }
    }

    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        let a = input(SUM, states, 0)?;
        let partial = a
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| unexpected_type(SUM, a.data_type()))?;
        self.add(partial, groups)
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        Ok(Arc::new(Int64Array::new(
            self.sums.clone().into(),
            validity(&self.seen),
        )))
    }
}

/// Per group: the exact `i128` sum of unscaled decimals and whether any value was seen.
struct DecimalSumStates {
    scale: i8,
    sums: Vec<i128>,
    seen: Vec<bool>,
}

impl DecimalSumStates {
    fn new(scale: i8) -> Self {
        Self {
            scale,
            sums: Vec::new(),
            seen: Vec::new(),
        }
    }

    fn add<G: GroupIds>(&mut self, array: &dyn Array, groups: G) -> Result<(), AggregateError> {
        let decimals = match array.data_type() {
            DataType::Decimal128(_, scale) if *scale == self.scale => {
                array.as_primitive::<Decimal128Type>()
            }
            DataType::Null => return Ok(()),
            other => return Err(unexpected_type(SUM, other)),
        };
        let values = decimals.values();
        let Self { sums, seen, .. } = self;
        try_for_each_valid(array, |i| {
            let g = groups.at(i);
            sums[g] = sums[g]
                .checked_add(values[i])
                .ok_or_else(|| overflow(SUM))?;
            seen[g] = true;
            Ok(())
        })
    }

    fn to_array(&self) -> Result<ArrayRef, AggregateError> {
        let array = Decimal128Array::new(self.sums.clone().into(), validity(&self.seen))
            .with_precision_and_scale(38, self.scale)?;
        Ok(Arc::new(array))
    }
}

impl GroupStates for DecimalSumStates {
    fn resize(&mut self, total: usize) {
        self.sums.resize(total, 0);
        self.seen.resize(total, false);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        groups: G,
    ) -> Result<(), AggregateError> {
        self.add(input(SUM, values, 0)?, groups)
    }

    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        self.add(input(SUM, states, 0)?, groups)
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        Ok(vec![self.to_array()?])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        const MAX_38_DIGITS: i128 = 10_i128.pow(38) - 1;
        let too_wide = self
            .sums
            .iter()
            .zip(&self.seen)
            .any(|(s, &seen)| seen && s.unsigned_abs() > MAX_38_DIGITS as u128);
        if too_wide {
            return Err(overflow(SUM));
        }
        self.to_array()
    }
}

/// What a compensated floating-point sum finally reports.
#[derive(Clone, Copy)]
enum FloatResult {
    /// `SUM`: the sum, NULL over no values.
    Sum,
    /// `TOTAL`: the sum, 0.0 over no values.
    Total,
    /// `AVG`: sum / count, NULL over no values.
    Avg,
}

/// One Kahan-Babuska-Neumaier step: adds `x` to `sum`, keeping the lost low-order part in
/// `err` (the same arithmetic as SQLite's `kahanBabuskaNeumaierStep`).
#[inline(always)]
fn kbn_step(sum: &mut f64, err: &mut f64, x: f64) {
    let s = *sum;
    let t = s + x;
    if s.abs() > x.abs() {
        *err += (s - t) + x;
    } else {
        *err += (x - t) + s;
    }
    *sum = t;
}

/// A native number that can be added into a compensated `f64` sum.
trait AddToFloatSum: Copy {
    fn add_to(self, sum: &mut f64, err: &mut f64);
}

macro_rules! exact_in_f64 {
    ($($t:ty),*) => {$(
        impl AddToFloatSum for $t {
            #[inline(always)]
            fn add_to(self, sum: &mut f64, err: &mut f64) {
                kbn_step(sum, err, f64::from(self));
            }
        }
    )*};
}
exact_in_f64!(i8, i16, i32, u8, u16, u32, f32, f64);

/// Integers of 2^52 or more are added in two parts that are each exact in `f64`.
const EXACT_LIMIT: u64 = 1 << 52;

impl AddToFloatSum for i64 {
    #[inline(always)]
    fn add_to(self, sum: &mut f64, err: &mut f64) {
        if self.unsigned_abs() >= EXACT_LIMIT {
            let small = self % 16384;
            kbn_step(sum, err, (self - small) as f64);
            kbn_step(sum, err, small as f64);
        } else {
            kbn_step(sum, err, self as f64);
        }
    }
}

impl AddToFloatSum for u64 {
    #[inline(always)]
    fn add_to(self, sum: &mut f64, err: &mut f64) {
        if self >= EXACT_LIMIT {
            let small = self % 16384;
            kbn_step(sum, err, (self - small) as f64);
            kbn_step(sum, err, small as f64);
        } else {
            kbn_step(sum, err, self as f64);
        }
    }
}

/// Per group: a compensated `f64` sum (`sums` + `errs`) and the number of values.
struct FloatSumStates {
    name: &'static str,
    result: FloatResult,
    sums: Vec<f64>,
    errs: Vec<f64>,
    counts: Vec<i64>,
}

impl FloatSumStates {
    fn new(name: &'static str, result: FloatResult) -> Self {
        Self {
            name,
            result,
            sums: Vec::new(),
            errs: Vec::new(),
            counts: Vec::new(),
        }
    }

    fn add<T, G>(&mut self, array: &PrimitiveArray<T>, groups: G)
    where
        T: ArrowPrimitiveType,
        T::Native: AddToFloatSum,
        G: GroupIds,
    {
        let values = array.values();
        let Self {
            sums, errs, counts, ..
        } = self;
        for_each_valid(array, |i| {
            let g = groups.at(i);
            values[i].add_to(&mut sums[g], &mut errs[g]);
            counts[g] += 1;
        });
    }

    /// Adds `value(i)` for every non-NULL row `i` of `array`.
    fn add_by<G: GroupIds>(&mut self, array: &dyn Array, groups: G, value: impl Fn(usize) -> f64) {
        let Self {
            sums, errs, counts, ..
        } = self;
        for_each_valid(array, |i| {
            let g = groups.at(i);
            kbn_step(&mut sums[g], &mut errs[g], value(i));
            counts[g] += 1;
        });
    }

    /// The final sum of group `g`: the compensation is dropped when it overflowed.
    fn value(&self, g: usize) -> f64 {
        let err = self.errs[g];
        if err.is_finite() {
            self.sums[g] + err
        } else {
            self.sums[g]
        }
    }
}

impl GroupStates for FloatSumStates {
    fn resize(&mut self, total: usize) {
        self.sums.resize(total, 0.0);
        self.errs.resize(total, 0.0);
        self.counts.resize(total, 0);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        groups: G,
    ) -> Result<(), AggregateError> {
        let a = input(self.name, values, 0)?;
        match a.data_type() {
            DataType::Int8 => self.add(a.as_primitive::<Int8Type>(), groups),
            DataType::Int16 => self.add(a.as_primitive::<Int16Type>(), groups),
            DataType::Int32 => self.add(a.as_primitive::<Int32Type>(), groups),
            DataType::Int64 => self.add(a.as_primitive::<Int64Type>(), groups),
            DataType::UInt8 => self.add(a.as_primitive::<UInt8Type>(), groups),
            DataType::UInt16 => self.add(a.as_primitive::<UInt16Type>(), groups),
            DataType::UInt32 => self.add(a.as_primitive::<UInt32Type>(), groups),
            DataType::UInt64 => self.add(a.as_primitive::<UInt64Type>(), groups),
            DataType::Float32 => self.add(a.as_primitive::<Float32Type>(), groups),
            DataType::Float64 => self.add(a.as_primitive::<Float64Type>(), groups),
            DataType::Boolean => {
                let bits = a.as_boolean().values();
                self.add_by(a, groups, |i| f64::from(u8::from(bits.value(i))));
            }
            DataType::Decimal128(_, scale) => {
                let values = a.as_primitive::<Decimal128Type>().values();
                let divisor = 10_f64.powi(i32::from(*scale));
                self.add_by(a, groups, |i| values[i] as f64 / divisor);
            }
            DataType::Utf8 => {
                let texts = a.as_string::<i32>();
                self.add_by(a, groups, |i| text_to_f64(texts.value(i)));
            }
            DataType::Null => {}
            other => return Err(unexpected_type(self.name, other)),
        }
        Ok(())
    }

    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        let name = self.name;
        let float = |i: usize| -> Result<&Float64Array, AggregateError> {
            let a = input(name, states, i)?;
            a.as_primitive_opt::<Float64Type>()
                .ok_or_else(|| unexpected_type(name, a.data_type()))
        };
        let (partial_sums, partial_errs) = (float(0)?.values(), float(1)?.values());
        let count_array = input(name, states, 2)?;
        let partial_counts = count_array
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| unexpected_type(name, count_array.data_type()))?
            .values();
        let Self {
            sums, errs, counts, ..
        } = self;
        for_each_valid(count_array, |i| {
            let g = groups.at(i);
            kbn_step(&mut sums[g], &mut errs[g], partial_sums[i]);
            errs[g] += partial_errs[i];
            counts[g] = counts[g].saturating_add(partial_counts[i]);
        });
        Ok(())
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        Ok(vec![
            Arc::new(Float64Array::from(self.sums.clone())),
            Arc::new(Float64Array::from(self.errs.clone())),
            Arc::new(Int64Array::from(self.counts.clone())),
        ])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        let groups = 0..self.sums.len();
        let result: Float64Array = match self.result {
            FloatResult::Total => groups.map(|g| Some(self.value(g))).collect(),
            FloatResult::Sum => groups
                .map(|g| (self.counts[g] > 0).then(|| self.value(g)))
                .collect(),
            FloatResult::Avg => groups
                .map(|g| (self.counts[g] > 0).then(|| self.value(g) / self.counts[g] as f64))
                .collect(),
        };
        Ok(Arc::new(result))
    }
}
