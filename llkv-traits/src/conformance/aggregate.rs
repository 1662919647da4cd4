//! The aggregate kit. Instantiate with [`crate::aggregate_conformance_tests!`].

use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use arrow::compute::concat;

use crate::ScalarValue;
use crate::aggregate::{AggregateFunction, GroupsAccumulator, GroupsAccumulatorAdapter};

fn eval_whole(f: &dyn AggregateFunction, input: &[ArrayRef]) -> ScalarValue {
    let types: Vec<_> = input.iter().map(|a| a.data_type().clone()).collect();
    let mut acc = f.accumulator(&types).expect("accumulator");
    acc.update_batch(input).expect("update_batch");
    acc.evaluate().expect("evaluate")
}

/// For each input: the result over the whole input equals the result of splitting it in
/// two accumulators and merging their states; the type of the result is `return_type`.
pub fn split_and_merge_agree(f: &dyn AggregateFunction, inputs: &[Vec<ArrayRef>]) {
    for input in inputs {
        let types: Vec<_> = input.iter().map(|a| a.data_type().clone()).collect();
        let whole = eval_whole(f, input);
        let rt = f.return_type(&types).expect("return_type");
        assert!(
            whole.is_null() || whole.data_type() == rt,
            "{}: evaluate gave {:?}, return_type says {rt}",
            f.name(),
            whole.data_type()
        );
        let len = input.first().map_or(0, |a| a.len());
        for cut in [0, len / 2, len] {
            let mut a = f.accumulator(&types).expect("accumulator");
            let mut b = f.accumulator(&types).expect("accumulator");
            let left: Vec<ArrayRef> = input.iter().map(|c| c.slice(0, cut)).collect();
            let right: Vec<ArrayRef> = input.iter().map(|c| c.slice(cut, len - cut)).collect();
            a.update_batch(&left).expect("update_batch");
            b.update_batch(&right).expect("update_batch");
            let state = b.state().expect("state");
            let state_types = f.state_types(&types).expect("state_types");
            assert_eq!(state.len(), state_types.len(), "{}: state arity", f.name());
            let states: Vec<ArrayRef> = state
                .iter()
                .zip(&state_types)
                .map(|(v, t)| {
                    crate::aggregate::scalars_to_array(std::slice::from_ref(v), t)
                        .expect("state to array")
                })
                .collect();
            a.merge_batch(&states).expect("merge_batch");
            assert_eq!(
                a.evaluate().expect("evaluate"),
                whole,
                "{}: split at {cut} and merged differs from whole",
                f.name()
            );
        }
    }
}

/// The groups accumulator (the function's own, or the adapter) agrees with one accumulator
/// per group, for groups assigned round-robin.
pub fn groups_agree(f: Arc<dyn AggregateFunction>, inputs: &[Vec<ArrayRef>]) {
    for input in inputs {
        let types: Vec<_> = input.iter().map(|a| a.data_type().clone()).collect();
        let len = input.first().map_or(0, |a| a.len());
        let groups = 3usize;
        let idx: Vec<usize> = (0..len).map(|i| i % groups).collect();
        let mut ga: Box<dyn GroupsAccumulator> = match f.groups_accumulator(&types) {
            Ok(Some(g)) => g,
            Ok(None) => Box::new(
                GroupsAccumulatorAdapter::for_function(f.clone(), &types).expect("adapter"),
            ),
            Err(e) => panic!("{}: groups_accumulator failed: {e}", f.name()),
        };
        // Feed in two batches to exercise growth.
        let cut = len / 2;
        let first: Vec<ArrayRef> = input.iter().map(|c| c.slice(0, cut)).collect();
        let second: Vec<ArrayRef> = input.iter().map(|c| c.slice(cut, len - cut)).collect();
        ga.update_batch(&first, &idx[..cut], groups.min(cut.max(1)))
            .expect("update_batch");
        ga.update_batch(&second, &idx[cut..], groups)
            .expect("update_batch");
        let result = ga.evaluate(groups).expect("evaluate");
        assert_eq!(result.len(), groups, "{}: one result per group", f.name());
        for g in 0..groups {
            let rows: Vec<u32> = (0..len as u32)
                .filter(|i| *i as usize % groups == g)
                .collect();
            let take = arrow::array::UInt32Array::from(rows);
            let part: Vec<ArrayRef> = input
                .iter()
                .map(|c| arrow::compute::take(c.as_ref(), &take, None).expect("take"))
                .collect();
            let expected = eval_whole(f.as_ref(), &part);
            let got = ScalarValue::try_from_array(&result, g).expect("scalar");
            let same = (got.is_null() && expected.is_null()) || got == expected || {
                let e = expected.to_array(1);
                let g2 = arrow::compute::cast(&got.to_array(1), e.data_type()).ok();
                g2.map(|g2| concat(&[g2.as_ref()]).ok().map(|c| c.to_data()) == Some(e.to_data()))
                    .unwrap_or(false)
            };
            assert!(
                same,
                "{}: group {g}: got {got:?}, expected {expected:?}",
                f.name()
            );
        }
    }
}

/// Stamps out the aggregate kit for `$func` (an `Arc<dyn AggregateFunction>` expression)
/// over `$inputs` (a `Vec<Vec<ArrayRef>>` expression).
#[macro_export]
macro_rules! aggregate_conformance_tests {
    ($name:ident, $func:expr, $inputs:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn split_and_merge_agree() {
                let f: ::std::sync::Arc<dyn $crate::AggregateFunction> = $func;
                let inputs: ::std::vec::Vec<::std::vec::Vec<$crate::arrow::array::ArrayRef>> =
                    $inputs;
                $crate::conformance::aggregate::split_and_merge_agree(f.as_ref(), &inputs);
            }
            #[test]
            fn groups_agree() {
                let inputs: ::std::vec::Vec<::std::vec::Vec<$crate::arrow::array::ArrayRef>> =
                    $inputs;
                $crate::conformance::aggregate::groups_agree($func, &inputs);
            }
        }
    };
}
