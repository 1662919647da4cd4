//! The aggregate kit for every built-in, and their exact semantics.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Decimal128Array, Float32Array,
    Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, NullArray, StringArray,
    UInt8Array, UInt64Array,
};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use llkv_traits::{AggregateError, AggregateFunction, ScalarValue};

use super::*;

fn arr(a: impl Array + 'static) -> ArrayRef {
    Arc::new(a)
}

fn decimals(values: Vec<Option<i128>>) -> ArrayRef {
    arr(Decimal128Array::from(values)
        .with_precision_and_scale(10, 2)
        .unwrap())
}

fn ints() -> ArrayRef {
    arr(Int64Array::from(vec![
        Some(1),
        None,
        Some(-3),
        Some(7),
        None,
        Some(2),
        Some(10),
    ]))
}

/// Inputs every numeric aggregate takes (floats chosen so any summation order is exact).
fn numeric_inputs() -> Vec<Vec<ArrayRef>> {
    vec![
        vec![ints()],
        vec![arr(Int32Array::from(vec![
            Some(5),
            Some(-2),
            None,
            Some(40),
        ]))],
        vec![arr(Int16Array::from(vec![Some(300), None, Some(-7)]))],
        vec![arr(Int8Array::from(vec![Some(-128), Some(127), Some(3)]))],
        vec![arr(Float64Array::from(vec![
            Some(1.5),
            None,
            Some(-0.25),
            Some(2.0),
            Some(8.0),
        ]))],
        vec![arr(Float32Array::from(vec![
            Some(0.5),
            Some(-1.25),
            None,
            Some(3.0),
        ]))],
        vec![arr(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
            Some(true),
        ]))],
        vec![decimals(vec![
            Some(125),
            None,
            Some(-50),
            Some(375),
            Some(1000),
        ])],
        vec![arr(Int64Array::from(vec![None::<i64>, None, None]))],
        vec![arr(NullArray::new(4))],
        vec![arr(Int64Array::from(Vec::<i64>::new()))],
        vec![arr(Float64Array::from(Vec::<f64>::new()))],
    ]
}

fn text_numbers() -> ArrayRef {
    arr(StringArray::from(vec![
        Some("5"),
        Some(" 12abc"),
        None,
        Some("abc"),
        Some("1.5x"),
        Some("-2"),
    ]))
}

fn words() -> ArrayRef {
    arr(StringArray::from(vec![
        Some("b"),
        None,
        Some("abc"),
        Some("B"),
        Some("zz"),
        Some(""),
        Some("é"),
        Some("ab"),
    ]))
}

fn summable_inputs() -> Vec<Vec<ArrayRef>> {
    let mut inputs = numeric_inputs();
    inputs.push(vec![text_numbers()]);
    inputs.push(vec![arr(UInt8Array::from(vec![
        Some(200),
        None,
        Some(100),
    ]))]);
    inputs
}

fn ordered_inputs() -> Vec<Vec<ArrayRef>> {
    let mut inputs = numeric_inputs();
    inputs.push(vec![words()]);
    inputs.push(vec![arr(Date32Array::from(vec![
        Some(19000),
        None,
        Some(-5),
        Some(20000),
    ]))]);
    inputs.push(vec![arr(StringArray::from(vec![None::<&str>, None]))]);
    inputs.push(vec![arr(StringArray::from(Vec::<&str>::new()))]);
    inputs
}

fn count_inputs() -> Vec<Vec<ArrayRef>> {
    let mut inputs = ordered_inputs();
    // COUNT(*): an all-valid Boolean array of the batch length.
    inputs.push(vec![arr(BooleanArray::from(vec![true; 5]))]);
    inputs
}

fn concat_inputs() -> Vec<Vec<ArrayRef>> {
    let mut inputs: Vec<Vec<ArrayRef>> = ordered_inputs().into_iter().collect();
    let values = arr(StringArray::from(vec!["a", "b", "c", "d", "e"]));
    inputs.push(vec![values.clone(), arr(StringArray::from(vec!["; "; 5]))]);
    inputs.push(vec![
        values.clone(),
        arr(StringArray::from(vec![
            Some("1"),
            Some("2"),
            None,
            Some("4"),
            Some("5"),
        ])),
    ]);
    inputs.push(vec![
        arr(Float64Array::from(vec![
            Some(1.0),
            None,
            Some(0.1),
            Some(1e20),
        ])),
        arr(Int64Array::from(vec![0, 0, 0, 0])),
    ]);
    inputs.push(vec![
        arr(NullArray::new(3)),
        arr(StringArray::from(vec!["-"; 3])),
    ]);
    inputs
}

fn two_arg_inputs() -> Vec<Vec<ArrayRef>> {
    concat_inputs()
        .into_iter()
        .filter(|input| input.len() == 2)
        .collect()
}

llkv_traits::aggregate_conformance_tests!(count_kit, Arc::new(Count), count_inputs());
llkv_traits::aggregate_conformance_tests!(sum_kit, Arc::new(Sum), summable_inputs());
llkv_traits::aggregate_conformance_tests!(total_kit, Arc::new(Total), summable_inputs());
llkv_traits::aggregate_conformance_tests!(avg_kit, Arc::new(Avg), summable_inputs());
llkv_traits::aggregate_conformance_tests!(min_kit, Arc::new(Min), ordered_inputs());
llkv_traits::aggregate_conformance_tests!(max_kit, Arc::new(Max), ordered_inputs());
llkv_traits::aggregate_conformance_tests!(
    group_concat_kit,
    Arc::new(GroupConcat::GROUP_CONCAT),
    concat_inputs()
);
llkv_traits::aggregate_conformance_tests!(
    string_agg_kit,
    Arc::new(GroupConcat::STRING_AGG),
    two_arg_inputs()
);

fn types(args: &[ArrayRef]) -> Vec<DataType> {
    args.iter().map(|a| a.data_type().clone()).collect()
}

/// The function over one group, through [`llkv_traits::Accumulator`].
fn one(f: &dyn AggregateFunction, args: &[ArrayRef]) -> Result<ScalarValue, AggregateError> {
    let mut acc = f.accumulator(&types(args))?;
    acc.update_batch(args)?;
    acc.evaluate()
}

/// The function over groups, through its own [`llkv_traits::GroupsAccumulator`].
fn grouped(
    f: &dyn AggregateFunction,
    args: &[ArrayRef],
    groups: &[usize],
    total: usize,
) -> Result<ArrayRef, AggregateError> {
    let mut acc = f
        .groups_accumulator(&types(args))?
        .expect("built-ins have a groups accumulator");
    acc.update_batch(args, groups, total)?;
    acc.evaluate(total)
}

fn text(s: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(s.to_owned()))
}

#[test]
fn builtins_are_named_in_lower_case() {
    let names: Vec<String> = builtin_aggregates()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "count",
            "sum",
            "avg",
            "min",
            "max",
            "total",
            "group_concat",
            "string_agg"
        ]
    );
    for f in builtin_aggregates() {
        let arity = if f.name() == "string_agg" { 2 } else { 1 };
        let args = vec![DataType::Int64; arity];
        assert!(
            f.groups_accumulator(&args).unwrap().is_some(),
            "{}",
            f.name()
        );
    }
}

#[test]
fn count_skips_nulls_and_is_zero_over_nothing() {
    assert_eq!(one(&Count, &[ints()]).unwrap(), ScalarValue::Int64(Some(5)));
    let empty = arr(Int64Array::from(Vec::<i64>::new()));
    assert_eq!(one(&Count, &[empty]).unwrap(), ScalarValue::Int64(Some(0)));
    let nulls = arr(NullArray::new(3));
    assert_eq!(
        one(&Count, std::slice::from_ref(&nulls)).unwrap(),
        ScalarValue::Int64(Some(0))
    );
    let star = arr(BooleanArray::from(vec![true; 4]));
    assert_eq!(one(&Count, &[star]).unwrap(), ScalarValue::Int64(Some(4)));
    let by_group = grouped(&Count, &[ints()], &[0, 0, 1, 1, 1, 2, 2], 4).unwrap();
    assert_eq!(
        by_group.as_primitive::<Int64Type>().values().as_ref(),
        &[1, 2, 2, 0]
    );
    assert_eq!(by_group.null_count(), 0);
}

#[test]
fn sum_of_integers_is_exact_and_null_over_nothing() {
    assert_eq!(one(&Sum, &[ints()]).unwrap(), ScalarValue::Int64(Some(17)));
    let empty = arr(Int64Array::from(Vec::<i64>::new()));
    assert_eq!(one(&Sum, &[empty]).unwrap(), ScalarValue::Int64(None));
    let all_null = arr(Int64Array::from(vec![None::<i64>, None]));
    assert_eq!(one(&Sum, &[all_null]).unwrap(), ScalarValue::Int64(None));
    assert_eq!(Sum.return_type(&[DataType::Null]).unwrap(), DataType::Int64);
    assert_eq!(
        one(&Sum, &[arr(NullArray::new(2))]).unwrap(),
        ScalarValue::Int64(None)
    );
    let big = arr(Int64Array::from(vec![i64::MAX - 1, 1, -5]));
    assert_eq!(
        one(&Sum, &[big]).unwrap(),
        ScalarValue::Int64(Some(i64::MAX - 5))
    );
    let bools = arr(BooleanArray::from(vec![
        Some(true),
        None,
        Some(false),
        Some(true),
    ]));
    assert_eq!(
        one(&Sum, std::slice::from_ref(&bools)).unwrap(),
        ScalarValue::Int64(Some(2))
    );
    let by_group = grouped(&Sum, &[bools], &[0, 0, 1, 2], 4).unwrap();
    let by_group = by_group.as_primitive::<Int64Type>();
    assert_eq!(
        by_group.iter().collect::<Vec<_>>(),
        vec![Some(1), Some(0), Some(1), None]
    );
}

#[test]
fn sum_overflow_is_an_error() {
    let overflowing = arr(Int64Array::from(vec![i64::MAX, 1]));
    let err = one(&Sum, std::slice::from_ref(&overflowing)).unwrap_err();
    assert!(
        matches!(&err, AggregateError::Overflow { function } if function == "sum"),
        "{err:?}"
    );
    assert!(err.to_string().contains("integer overflow"), "{err}");
    let err = grouped(&Sum, &[overflowing], &[1, 1], 2).unwrap_err();
    assert!(matches!(err, AggregateError::Overflow { .. }), "{err:?}");
    let negative = arr(Int64Array::from(vec![i64::MIN, -1]));
    assert!(matches!(
        one(&Sum, &[negative]),
        Err(AggregateError::Overflow { .. })
    ));
    let unsigned = arr(UInt64Array::from(vec![u64::MAX]));
    assert!(matches!(
        one(&Sum, &[unsigned]),
        Err(AggregateError::Overflow { .. })
    ));
    // Overflow found when merging partial sums.
    let mut acc = Sum.accumulator(&[DataType::Int64]).unwrap();
    acc.update_batch(&[arr(Int64Array::from(vec![i64::MAX]))])
        .unwrap();
    let err = acc
        .merge_batch(&[arr(Int64Array::from(vec![Some(1)]))])
        .unwrap_err();
    assert!(matches!(err, AggregateError::Overflow { .. }), "{err:?}");
    // TOTAL never overflows.
    let huge = arr(Int64Array::from(vec![i64::MAX, i64::MAX]));
    assert_eq!(
        one(&Total, &[huge]).unwrap(),
        ScalarValue::Float64(Some(2.0 * 9223372036854775807.0))
    );
}

#[test]
fn sum_of_floats_decimals_and_text() {
    let floats = arr(Float64Array::from(vec![Some(1.5), None, Some(2.25)]));
    assert_eq!(
        one(&Sum, &[floats]).unwrap(),
        ScalarValue::Float64(Some(3.75))
    );
    // Compensated summation: exact where naive summation drifts.
    let tenths = arr(Float64Array::from(vec![0.1; 10]));
    assert_eq!(
        one(&Sum, &[tenths]).unwrap(),
        ScalarValue::Float64(Some(1.0))
    );
    let cancelling = arr(Float64Array::from(vec![1e16, 1.0, -1e16]));
    assert_eq!(
        one(&Total, &[cancelling]).unwrap(),
        ScalarValue::Float64(Some(1.0))
    );

    let dec = decimals(vec![Some(125), None, Some(-50)]);
    assert_eq!(
        Sum.return_type(&types(std::slice::from_ref(&dec))).unwrap(),
        DataType::Decimal128(38, 2)
    );
    assert_eq!(
        one(&Sum, std::slice::from_ref(&dec)).unwrap(),
        ScalarValue::Decimal128(Some(75), 38, 2)
    );
    assert_eq!(
        one(&Avg, &[dec]).unwrap(),
        ScalarValue::Float64(Some(0.375))
    );

    // ' 12abc' -> 12, 'abc' -> 0, '1.5x' -> 1.5: SUM over text is Float64.
    assert_eq!(
        Sum.return_type(&[DataType::Utf8]).unwrap(),
        DataType::Float64
    );
    assert_eq!(
        one(&Sum, &[text_numbers()]).unwrap(),
        ScalarValue::Float64(Some(16.5))
    );
    assert_eq!(
        one(&Avg, &[text_numbers()]).unwrap(),
        ScalarValue::Float64(Some(3.3))
    );
}

#[test]
fn total_is_float_and_zero_over_nothing() {
    let empty = arr(Int64Array::from(Vec::<i64>::new()));
    assert_eq!(
        one(&Total, &[empty]).unwrap(),
        ScalarValue::Float64(Some(0.0))
    );
    assert_eq!(
        one(&Total, &[arr(NullArray::new(2))]).unwrap(),
        ScalarValue::Float64(Some(0.0))
    );
    assert_eq!(
        one(&Total, &[ints()]).unwrap(),
        ScalarValue::Float64(Some(17.0))
    );
    let by_group = grouped(&Total, &[ints()], &[0, 0, 0, 0, 0, 0, 0], 2).unwrap();
    assert_eq!(
        by_group.as_primitive::<Float64Type>().values().as_ref(),
        &[17.0, 0.0]
    );
    assert_eq!(by_group.null_count(), 0);
}

#[test]
fn avg_is_float_and_null_over_nothing() {
    let two = arr(Int64Array::from(vec![Some(1), None, Some(2)]));
    assert_eq!(one(&Avg, &[two]).unwrap(), ScalarValue::Float64(Some(1.5)));
    let empty = arr(Float64Array::from(Vec::<f64>::new()));
    assert_eq!(one(&Avg, &[empty]).unwrap(), ScalarValue::Float64(None));
    let by_group = grouped(&Avg, &[ints()], &[0, 0, 0, 1, 1, 1, 1], 3).unwrap();
    let by_group = by_group.as_primitive::<Float64Type>();
    assert_eq!(
        by_group.iter().collect::<Vec<_>>(),
        vec![Some(-1.0), Some(19.0 / 3.0), None]
    );
}

#[test]
fn min_max_keep_the_type_and_compare_strings_by_bytes() {
    assert_eq!(one(&Min, &[words()]).unwrap(), text(""));
    assert_eq!(one(&Max, &[words()]).unwrap(), text("é"));
    let upper_first = arr(StringArray::from(vec!["b", "B", "a"]));
    assert_eq!(one(&Min, &[upper_first]).unwrap(), text("B"));
    assert_eq!(one(&Min, &[ints()]).unwrap(), ScalarValue::Int64(Some(-3)));
    assert_eq!(one(&Max, &[ints()]).unwrap(), ScalarValue::Int64(Some(10)));
    let bools = arr(BooleanArray::from(vec![Some(true), None, Some(false)]));
    assert_eq!(
        one(&Min, std::slice::from_ref(&bools)).unwrap(),
        ScalarValue::Boolean(Some(false))
    );
    assert_eq!(
        one(&Max, &[bools]).unwrap(),
        ScalarValue::Boolean(Some(true))
    );
    let dates = arr(Date32Array::from(vec![Some(3), None, Some(-1)]));
    assert_eq!(one(&Max, &[dates]).unwrap(), ScalarValue::Date32(Some(3)));
    let dec = decimals(vec![Some(125), None, Some(-50)]);
    assert_eq!(
        one(&Min, &[dec]).unwrap(),
        ScalarValue::Decimal128(Some(-50), 10, 2)
    );
    let empty = arr(StringArray::from(Vec::<&str>::new()));
    assert_eq!(one(&Max, &[empty]).unwrap(), ScalarValue::Utf8(None));
    assert_eq!(
        Min.return_type(&[DataType::Float32]).unwrap(),
        DataType::Float32
    );
    let by_group = grouped(&Max, &[words()], &[0, 0, 1, 1, 2, 2, 0, 1], 4).unwrap();
    assert_eq!(
        by_group.as_string::<i32>().iter().collect::<Vec<_>>(),
        vec![Some("é"), Some("abc"), Some("zz"), None]
    );
}

#[test]
fn group_concat_joins_in_order_with_the_separator() {
    let f = GroupConcat::GROUP_CONCAT;
    assert_eq!(one(&f, &[words()]).unwrap(), text("b,abc,B,zz,,é,ab"));
    let floats = arr(Float64Array::from(vec![
        Some(1.0),
        Some(0.1),
        None,
        Some(1e20),
        Some(123456789012345678.0),
        Some(-0.0),
        Some(6.02214),
    ]));
    assert_eq!(
        one(&f, &[floats]).unwrap(),
        text("1.0,0.1,1.0e+20,1.23456789012346e+17,0.0,6.02214")
    );
    let values = arr(Int64Array::from(vec![Some(1), None, Some(2), Some(3)]));
    let sep = arr(StringArray::from(vec![" | "; 4]));
    assert_eq!(
        one(&f, &[values.clone(), sep.clone()]).unwrap(),
        text("1 | 2 | 3")
    );
    assert_eq!(
        one(&GroupConcat::STRING_AGG, &[values, sep]).unwrap(),
        text("1 | 2 | 3")
    );
    // Each value after the first is preceded by its own row's separator; NULL adds nothing.
    let letters = arr(StringArray::from(vec!["a", "b", "c", "d"]));
    let seps = arr(StringArray::from(vec![
        Some("1"),
        Some("2"),
        None,
        Some("4"),
    ]));
    assert_eq!(one(&f, &[letters, seps]).unwrap(), text("a2bc4d"));
    let misc = arr(BooleanArray::from(vec![true, false]));
    assert_eq!(one(&f, &[misc]).unwrap(), text("1,0"));
    let dates = arr(Date32Array::from(vec![0, 19000]));
    assert_eq!(one(&f, &[dates]).unwrap(), text("1970-01-01,2022-01-08"));
    let nothing = arr(StringArray::from(vec![None::<&str>, None]));
    assert_eq!(one(&f, &[nothing]).unwrap(), ScalarValue::Utf8(None));
    assert_eq!(
        one(&f, &[arr(NullArray::new(2))]).unwrap(),
        ScalarValue::Utf8(None)
    );
    let by_group = grouped(&f, &[words()], &[0, 0, 1, 1, 0, 2, 2, 1], 4).unwrap();
    assert_eq!(
        by_group.as_string::<i32>().iter().collect::<Vec<_>>(),
        vec![Some("b,zz"), Some("abc,B,ab"), Some(",é"), None]
    );
}

#[test]
fn group_concat_merge_uses_the_separator_of_the_later_part() {
    let f = GroupConcat::GROUP_CONCAT;
    let t = [DataType::Utf8, DataType::Utf8];
    let mut left = f.accumulator(&t).unwrap();
    let mut right = f.accumulator(&t).unwrap();
    left.update_batch(&[
        arr(StringArray::from(vec!["a", "b"])),
        arr(StringArray::from(vec!["-", "-"])),
    ])
    .unwrap();
    right
        .update_batch(&[
            arr(StringArray::from(vec!["c", "d"])),
            arr(StringArray::from(vec!["+", "*"])),
        ])
        .unwrap();
    let state = right.state().unwrap();
    assert_eq!(state, vec![text("c*d"), text("+")]);
    let state: Vec<ArrayRef> = state.iter().map(|v| v.to_array(1)).collect();
    left.merge_batch(&state).unwrap();
    assert_eq!(left.evaluate().unwrap(), text("a-b+c*d"));
}

#[test]
fn wrong_arguments_are_rejected_by_name() {
    let cases: Vec<(Arc<dyn AggregateFunction>, Vec<DataType>)> = vec![
        (Arc::new(Count), vec![]),
        (Arc::new(Count), vec![DataType::Int64, DataType::Int64]),
        (Arc::new(Sum), vec![DataType::Date32]),
        (Arc::new(Sum), vec![DataType::Int64, DataType::Int64]),
        (Arc::new(Avg), vec![DataType::Date32]),
        (Arc::new(Total), vec![]),
        (Arc::new(Min), vec![DataType::UInt8]),
        (Arc::new(Max), vec![]),
        (Arc::new(GroupConcat::STRING_AGG), vec![DataType::Utf8]),
        (
            Arc::new(GroupConcat::GROUP_CONCAT),
            vec![DataType::Utf8, DataType::Utf8, DataType::Utf8],
        ),
    ];
    for (f, args) in cases {
        let err = f.return_type(&args).unwrap_err();
        assert!(
            matches!(&err, AggregateError::InvalidArguments { function, .. } if function == f.name()),
            "{}: {err:?}",
            f.name()
        );
        assert!(f.accumulator(&args).is_err(), "{}", f.name());
        assert!(f.groups_accumulator(&args).is_err(), "{}", f.name());
        assert!(f.state_types(&args).is_err(), "{}", f.name());
    }
}

#[test]
fn bad_batches_are_errors_not_panics() {
    for f in builtin_aggregates() {
        let arity = if f.name() == "string_agg" { 2 } else { 1 };
        let args = vec![DataType::Int64; arity];
        let mut acc = f.groups_accumulator(&args).unwrap().unwrap();
        let batch: Vec<ArrayRef> = vec![arr(Int64Array::from(vec![1, 2])); arity];
        // A group index beyond total_num_groups.
        assert!(
            acc.update_batch(&batch, &[0, 5], 2).is_err(),
            "{}",
            f.name()
        );
        // Fewer group indices than rows.
        assert!(acc.update_batch(&batch, &[0], 2).is_err(), "{}", f.name());
        // A state of the wrong type.
        let wrong: Vec<ArrayRef> = vec![arr(BooleanArray::from(vec![true])); 3];
        assert!(acc.merge_batch(&wrong, &[0], 1).is_err(), "{}", f.name());
        let mut one = f.accumulator(&args).unwrap();
        assert!(one.merge_batch(&[]).is_err(), "{}", f.name());
        // Still usable afterwards.
        acc.update_batch(&batch, &[0, 1], 2).unwrap();
        assert_eq!(acc.evaluate(3).unwrap().len(), 3, "{}", f.name());
    }
}

#[test]
fn groups_grow_across_batches_and_states_merge() {
    let mut a = Sum.groups_accumulator(&[DataType::Int64]).unwrap().unwrap();
    a.update_batch(&[arr(Int64Array::from(vec![1, 2]))], &[0, 1], 2)
        .unwrap();
    a.update_batch(&[arr(Int64Array::from(vec![10, 20, 30]))], &[2, 0, 4], 5)
        .unwrap();
    let state = a.state().unwrap();
    let mut b = Sum.groups_accumulator(&[DataType::Int64]).unwrap().unwrap();
    // Merge group g of `a` into group 4 - g of `b`.
    b.merge_batch(&state, &[4, 3, 2, 1, 0], 5).unwrap();
    let result = b.evaluate(5).unwrap();
    assert_eq!(
        result
            .as_primitive::<Int64Type>()
            .iter()
            .collect::<Vec<_>>(),
        vec![Some(30), None, Some(10), Some(2), Some(21)]
    );
}
