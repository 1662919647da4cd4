//! The codec kit. Instantiate with [`crate::codec_conformance_tests!`].

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int8Array, Int16Array, Int32Array, Int64Array, StringArray, new_empty_array, new_null_array,
};
use arrow::buffer::Buffer;
use arrow::datatypes::DataType;

use crate::codec::{ChunkStats, ColumnCodec};

/// Arrays of every type the kit checks, with and without NULLs.
pub fn sample_arrays() -> Vec<ArrayRef> {
    vec![
        Arc::new(Int64Array::from(vec![
            Some(3),
            None,
            Some(-9),
            Some(i64::MAX),
        ])),
        Arc::new(Int32Array::from(vec![1, 2, 3])),
        Arc::new(Int16Array::from(vec![Some(1), None])),
        Arc::new(Int8Array::from(vec![-128, 127])),
        Arc::new(Float64Array::from(vec![
            Some(1.5),
            None,
            Some(-0.0),
            Some(1e300),
        ])),
        Arc::new(Float32Array::from(vec![0.25f32, 8.0])),
        Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
        ])),
        Arc::new(StringArray::from(vec![
            Some("x,)'"),
            None,
            Some(""),
            Some("héllo wörld"),
        ])),
        Arc::new(Date32Array::from(vec![Some(0), Some(19_000), None])),
        Arc::new(
            Decimal128Array::from(vec![Some(12_345), None, Some(-1)])
                .with_precision_and_scale(10, 2)
                .expect("valid decimal"),
        ),
        Arc::new(Int64Array::from((0..10_000).collect::<Vec<i64>>())),
    ]
}

/// Every sample array round-trips, also when sliced, empty or all NULL.
pub fn round_trip<C: ColumnCodec>(codec: &C) {
    for array in sample_arrays() {
        let t = array.data_type().clone();
        assert!(codec.supports(&t), "{} must support {t}", codec.name());
        let mut cases = vec![array.clone(), new_empty_array(&t), new_null_array(&t, 5)];
        if array.len() > 1 {
            cases.push(array.slice(1, array.len() - 1));
        }
        for case in cases {
            let encoded = codec.encode(case.as_ref()).expect("encode");
            let decoded = codec
                .decode(&t, Buffer::from_vec(encoded.bytes.clone()))
                .expect("decode");
            assert_eq!(decoded.data_type(), &t, "decoded type differs");
            assert_eq!(
                decoded.to_data(),
                case.to_data(),
                "{}: round trip of {t} changed the array",
                codec.name()
            );
            assert_eq!(
                encoded.stats,
                ChunkStats::compute(case.as_ref()),
                "{}: statistics of {t} differ from ChunkStats::compute",
                codec.name()
            );
        }
    }
}

/// Garbage, truncated and empty inputs give errors, not panics.
pub fn rejects_garbage<C: ColumnCodec>(codec: &C) {
    let good = codec
        .encode(&Int64Array::from(vec![1, 2, 3]))
        .expect("encode")
        .bytes;
    let mut inputs: Vec<Vec<u8>> = vec![Vec::new(), vec![0; 3], vec![0xFF; 200]];
    for cut in [1, good.len() / 2, good.len() - 1] {
        inputs.push(good[..cut].to_vec());
    }
    for i in 0..good.len() {
        let mut flipped = good.clone();
        flipped[i] ^= 0x5A;
        inputs.push(flipped);
    }
    for input in inputs {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            codec
                .decode(&DataType::Int64, Buffer::from_vec(input.clone()))
                .map(|a| a.to_data().validate_full().is_ok())
        }));
        match result {
            Err(_) => panic!("{}: decode panicked on bad input", codec.name()),
            Ok(Ok(valid)) => assert!(valid, "{}: decode returned an invalid array", codec.name()),
            Ok(Err(_)) => {}
        }
    }
}

/// Stamps out the codec kit as `#[test]` functions in a module named `$name`.
#[macro_export]
macro_rules! codec_conformance_tests {
    ($name:ident, $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn round_trip() {
                $crate::conformance::codec::round_trip(&$make);
            }
            #[test]
            fn rejects_garbage() {
                $crate::conformance::codec::rejects_garbage(&$make);
            }
        }
    };
}
