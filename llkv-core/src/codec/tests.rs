use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Decimal128Array, Int32Array, Int64Array, NullArray,
    StringArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array, new_null_array,
};
use arrow::buffer::Buffer;
use arrow::datatypes::{DataType, Decimal128Type, Int64Type};

use super::*;

llkv_traits::codec_conformance_tests!(arrow_codec, ArrowCodec);

fn round_trip(array: &dyn Array) -> ArrayRef {
    let chunk = ArrowCodec.encode(array).expect("encode");
    assert_eq!(chunk.stats, ChunkStats::compute(array));
    let decoded = ArrowCodec
        .decode(array.data_type(), Buffer::from_slice_ref(&chunk.bytes))
        .expect("decode");
    assert_eq!(decoded.to_data(), array.to_data());
    decoded
}

fn inside(buffer: &Buffer, ptr: *const u8) -> bool {
    let start = buffer.as_ptr() as usize;
    let p = ptr as usize;
    p >= start && p < start + buffer.len()
}

#[test]
fn decode_from_an_aligned_buffer_does_not_copy() {
    let array = Int64Array::from(
        (0..1000)
            .map(|i| (i % 7 != 0).then_some(i))
            .collect::<Vec<_>>(),
    );
    let chunk = ArrowCodec.encode(&array).unwrap();
    // `from_slice_ref` allocates 64-byte aligned, like MemPager's and FilePager's blobs.
    let input = Buffer::from_slice_ref(&chunk.bytes);
    assert_eq!(input.as_ptr() as usize % 64, 0);
    let decoded = ArrowCodec.decode(&DataType::Int64, input.clone()).unwrap();
    let values = decoded.as_primitive::<Int64Type>();
    assert!(
        inside(&input, values.values().inner().as_ptr()),
        "values were copied"
    );
    let nulls = values.nulls().expect("nulls");
    assert!(
        inside(&input, nulls.buffer().as_ptr()),
        "validity was copied"
    );
    assert_eq!(values.values().inner().as_ptr() as usize % 64, 0);

    let strings = StringArray::from(vec![Some("a"), None, Some("bcd")]);
    let chunk = ArrowCodec.encode(&strings).unwrap();
    let input = Buffer::from_slice_ref(&chunk.bytes);
    let decoded = ArrowCodec.decode(&DataType::Utf8, input.clone()).unwrap();
    let s = decoded.as_string::<i32>();
    assert!(inside(&input, s.values().as_ptr()));
    assert!(inside(&input, s.offsets().inner().inner().as_ptr()));

    let decimals = Decimal128Array::from(vec![1i128, -5, 7])
        .with_precision_and_scale(20, 3)
        .unwrap();
    let chunk = ArrowCodec.encode(&decimals).unwrap();
    let input = Buffer::from_slice_ref(&chunk.bytes);
    let decoded = ArrowCodec
        .decode(&DataType::Decimal128(20, 3), input.clone())
        .unwrap();
    let d = decoded.as_primitive::<Decimal128Type>();
    assert!(inside(&input, d.values().inner().as_ptr()));
}

#[test]
fn misaligned_input_is_copied_not_rejected() {
    let array = Decimal128Array::from(vec![Some(1i128), None, Some(i128::MAX)])
        .with_precision_and_scale(38, 0)
        .unwrap();
    let chunk = ArrowCodec.encode(&array).unwrap();
    let mut padded = vec![0u8; 1];
    padded.extend_from_slice(&chunk.bytes);
    // A view starting one byte into an aligned allocation: every buffer is misaligned.
    let input = Buffer::from_slice_ref(&padded).slice(1);
    assert_eq!(input.as_ptr() as usize % 2, 1);
    let decoded = ArrowCodec
        .decode(&DataType::Decimal128(38, 0), input.clone())
        .unwrap();
    assert_eq!(decoded.to_data(), array.to_data());
    let d = decoded.as_primitive::<Decimal128Type>();
    assert!(!inside(&input, d.values().inner().as_ptr()));
    assert_eq!(d.values().inner().as_ptr() as usize % 16, 0);
}

#[test]
fn all_supported_types_round_trip() {
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(NullArray::new(3)),
        Arc::new(UInt8Array::from(vec![Some(1), None, Some(255)])),
        Arc::new(UInt16Array::from(vec![1, 65535])),
        Arc::new(UInt32Array::from(vec![Some(u32::MAX), None])),
        Arc::new(UInt64Array::from(vec![u64::MAX, 0])),
        Arc::new(BooleanArray::from(
            (0..100).map(|i| i % 3 == 0).collect::<Vec<_>>(),
        )),
        new_null_array(&DataType::Utf8, 0),
    ];
    for a in arrays {
        round_trip(a.as_ref());
        if a.len() > 1 {
            round_trip(a.slice(1, a.len() - 1).as_ref());
        }
    }
    // Slices at bit offsets that are not multiples of 8, with nulls.
    let bools = BooleanArray::from(
        (0..70)
            .map(|i| (i % 5 != 0).then_some(i % 2 == 0))
            .collect::<Vec<_>>(),
    );
    for offset in [1, 3, 8, 13] {
        round_trip(&bools.slice(offset, 70 - offset - 2));
    }
    let strings = StringArray::from(vec![Some("abc"), None, Some("de"), Some(""), Some("xyz")]);
    let sliced = strings.slice(2, 3);
    let decoded = round_trip(&sliced);
    assert_eq!(decoded.as_string::<i32>().value_offsets()[0], 0);
}

#[test]
fn type_mismatch_and_unsupported_types_are_errors() {
    let chunk = ArrowCodec.encode(&Int32Array::from(vec![1, 2])).unwrap();
    let input = Buffer::from_vec(chunk.bytes);
    assert!(matches!(
        ArrowCodec.decode(&DataType::Int64, input.clone()),
        Err(CodecError::Corrupt(_))
    ));
    assert!(matches!(
        ArrowCodec.decode(&DataType::UInt32, input.clone()),
        Err(CodecError::Corrupt(_))
    ));
    let dec = Decimal128Array::from(vec![1i128])
        .with_precision_and_scale(10, 2)
        .unwrap();
    let chunk = ArrowCodec.encode(&dec).unwrap();
    assert!(matches!(
        ArrowCodec.decode(&DataType::Decimal128(10, 3), Buffer::from_vec(chunk.bytes)),
        Err(CodecError::Corrupt(_))
    ));
    assert!(matches!(
        ArrowCodec.decode(&DataType::Utf8View, input),
        Err(CodecError::UnsupportedType { .. })
    ));
    let list = new_null_array(&DataType::LargeUtf8, 2);
    assert!(matches!(
        ArrowCodec.encode(list.as_ref()),
        Err(CodecError::UnsupportedType { .. })
    ));
    assert!(!ArrowCodec.supports(&DataType::LargeUtf8));
}

/// A chunk whose checksum is recomputed after tampering: the structural checks and Arrow
/// validation must still catch it.
#[test]
fn tampered_chunks_with_valid_checksum_are_rejected() {
    let strings = StringArray::from(vec![Some("ab"), Some("cd"), None]);
    let good = ArrowCodec.encode(&strings).unwrap().bytes;
    let reseal = |mut b: Vec<u8>| {
        let crc = chunk_crc(&b);
        b[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_le_bytes());
        Buffer::from_vec(b)
    };
    // Offsets are buffer 1 (after validity); values buffer 2.
    let offsets_at = u64_at(&good, FIXED_LEN + ENTRY_LEN) as usize;
    let values_at = u64_at(&good, FIXED_LEN + 2 * ENTRY_LEN) as usize;
    let mut cases = Vec::new();
    // Decreasing offsets.
    let mut b = good.clone();
    b[offsets_at + 4..offsets_at + 8].copy_from_slice(&9i32.to_le_bytes());
    cases.push(b);
    // Invalid UTF-8.
    let mut b = good.clone();
    b[values_at] = 0xFF;
    cases.push(b);
    // More rows than the buffers hold.
    let mut b = good.clone();
    b[8..16].copy_from_slice(&1000u64.to_le_bytes());
    cases.push(b);
    // Wrong null count.
    let mut b = good.clone();
    b[16..24].copy_from_slice(&2u64.to_le_bytes());
    cases.push(b);
    // A buffer pointing past the end.
    let mut b = good.clone();
    b[FIXED_LEN + 2 * ENTRY_LEN + 8..FIXED_LEN + 2 * ENTRY_LEN + 16]
        .copy_from_slice(&u64::MAX.to_le_bytes());
    cases.push(b);
    for (i, case) in cases.into_iter().enumerate() {
        match ArrowCodec.decode(&DataType::Utf8, reseal(case)) {
            Err(CodecError::Corrupt(_)) => {}
            other => panic!("case {i}: expected Corrupt, got {other:?}"),
        }
    }
}
