//! The typed stores of one key column: what [`KeySet`](super::KeySet) keeps of each
//! distinct key, and how a batch's rows are hashed and compared against it.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, GenericByteArray, OffsetSizeTrait, PrimitiveArray,
};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{
    ArrowNativeType, ArrowNativeTypeOp, BinaryType, ByteArrayType, DataType, Date32Type,
    Date64Type, Decimal128Type, DurationMicrosecondType, DurationMillisecondType,
    DurationNanosecondType, DurationSecondType, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type, IntervalUnit, IntervalYearMonthType, LargeBinaryType, LargeUtf8Type,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type, Utf8Type,
};
use arrow::row::{RowConverter, Rows, SortField};
use llkv_kernels::KernelType;
use llkv_kernels::hash::{NULL_BITS, combine, folded_multiply, hash_array_into, hash_bytes};

use super::dense::{self, DenseIndex};
use crate::error::{Error, Result};

/// The stored values of one key column. The arrays passed in have the column's type
/// (checked by [`KeySet`]); `hash` is called first for every batch.
pub(super) trait KeyColumn: Send {
    /// The column's type.
    fn data_type(&self) -> &DataType;
    /// True when [`hash_array_into`] hashes this type.
    fn kernel_hash(&self) -> bool {
        true
    }
    /// Mixes each row of `array` into `out`.
    fn hash(&mut self, array: &ArrayRef, out: &mut [u64]) -> Result<()> {
        Ok(hash_array_into(array.as_ref(), out)?)
    }
    /// Keeps only the first `len` stored values.
    fn truncate(&mut self, len: usize) -> Result<()>;
    /// Stores `array[rows[k]]` as the next ids, in order.
    fn append(&mut self, array: &ArrayRef, rows: &[usize]) -> Result<()>;
    /// Clears `equal[i]` where row `i` of `array` differs from the stored `ids[i]`.
    fn equal(&self, array: &ArrayRef, ids: &[usize], equal: &mut [bool]) -> Result<()>;
    /// Whether row `row` of `array` equals the stored `id`.
    fn equal_row(&self, array: &ArrayRef, row: usize, id: usize) -> bool;
    /// The stored values as an array of the column's type (a copy).
    fn stored(&self) -> Result<ArrayRef>;
    /// The stored values as an array of the column's type.
    fn finish(self: Box<Self>) -> Result<ArrayRef>;
    /// A direct map from value to id, for the integer types that allow one.
    fn dense(&self) -> Option<Box<dyn DenseIndex>> {
        None
    }
}

/// The store for `data_type`.
pub(super) fn key_column(data_type: &DataType) -> Result<Box<dyn KeyColumn>> {
    use DataType as D;
    fn p<T: ArrowPrimitiveType>(t: &DataType) -> Box<dyn KeyColumn> {
        Box::new(PrimitiveKeys::<T>::new(t, None))
    }
    fn int<T: ArrowPrimitiveType>(t: &DataType) -> Box<dyn KeyColumn>
    where
        T::Native: KernelType + Into<i64>,
    {
        Box::new(PrimitiveKeys::<T>::new(t, Some(dense::new::<T>)))
    }
    fn b<T: ByteArrayType>(t: &DataType) -> Box<dyn KeyColumn> {
        Box::new(ByteKeys::<T>::new(t))
    }
    let t = data_type;
    Ok(match t {
        D::Int8 => int::<Int8Type>(t),
        D::Int16 => int::<Int16Type>(t),
        D::Int32 => int::<Int32Type>(t),
        D::Int64 => int::<Int64Type>(t),
        D::UInt8 => int::<UInt8Type>(t),
        D::UInt16 => int::<UInt16Type>(t),
        D::UInt32 => int::<UInt32Type>(t),
        D::UInt64 => p::<UInt64Type>(t),
        D::Float32 => p::<Float32Type>(t),
        D::Float64 => p::<Float64Type>(t),
        D::Date32 => p::<Date32Type>(t),
        D::Date64 => p::<Date64Type>(t),
        D::Time32(TimeUnit::Second) => p::<Time32SecondType>(t),
        D::Time32(TimeUnit::Millisecond) => p::<Time32MillisecondType>(t),
        D::Time64(TimeUnit::Microsecond) => p::<Time64MicrosecondType>(t),
        D::Time64(TimeUnit::Nanosecond) => p::<Time64NanosecondType>(t),
        D::Timestamp(TimeUnit::Second, _) => p::<TimestampSecondType>(t),
        D::Timestamp(TimeUnit::Millisecond, _) => p::<TimestampMillisecondType>(t),
        D::Timestamp(TimeUnit::Microsecond, _) => p::<TimestampMicrosecondType>(t),
        D::Timestamp(TimeUnit::Nanosecond, _) => p::<TimestampNanosecondType>(t),
        D::Duration(TimeUnit::Second) => p::<DurationSecondType>(t),
        D::Duration(TimeUnit::Millisecond) => p::<DurationMillisecondType>(t),
        D::Duration(TimeUnit::Microsecond) => p::<DurationMicrosecondType>(t),
        D::Duration(TimeUnit::Nanosecond) => p::<DurationNanosecondType>(t),
        D::Decimal128(_, _) => p::<Decimal128Type>(t),
        D::Interval(IntervalUnit::YearMonth) => p::<IntervalYearMonthType>(t),
        D::Utf8 => b::<Utf8Type>(t),
        D::LargeUtf8 => b::<LargeUtf8Type>(t),
        D::Binary => b::<BinaryType>(t),
        D::LargeBinary => b::<LargeBinaryType>(t),
        _ => Box::new(RowKeys::new(t)?),
    })
}

fn wrong_type(expected: &DataType, got: &DataType) -> Error {
    Error::Execution(format!(
        "key set: an array of type {got} where {expected} was expected"
    ))
}

/// Stored validity: one flag per id and how many are clear.
#[derive(Default)]
struct Validity {
    valid: Vec<bool>,
    nulls: usize,
}

impl Validity {
    fn push(&mut self, valid: bool) {
        self.valid.push(valid);
        self.nulls += usize::from(!valid);
    }

    fn nulls(&self) -> Option<NullBuffer> {
        (self.nulls > 0).then(|| NullBuffer::from(self.valid.as_slice()))
    }

    fn finish(self) -> Option<NullBuffer> {
        (self.nulls > 0).then(|| NullBuffer::from(self.valid))
    }

    fn truncate(&mut self, len: usize) {
        self.valid.truncate(len);
        self.nulls = self.valid.iter().filter(|v| !**v).count();
    }
}

/// Keys of a primitive type, compared by [`ArrowNativeTypeOp::is_eq`] (floats by bits).
struct PrimitiveKeys<T: ArrowPrimitiveType> {
    data_type: DataType,
    values: Vec<T::Native>,
    validity: Validity,
    /// Makes a direct map, for the integer types.
    dense: Option<fn() -> Box<dyn DenseIndex>>,
}

impl<T: ArrowPrimitiveType> PrimitiveKeys<T> {
    fn new(data_type: &DataType, dense: Option<fn() -> Box<dyn DenseIndex>>) -> Self {
        PrimitiveKeys {
            data_type: data_type.clone(),
            values: Vec::new(),
            validity: Validity::default(),
            dense,
        }
    }

    fn array<'a>(&self, array: &'a ArrayRef) -> Result<&'a PrimitiveArray<T>> {
        array
            .as_primitive_opt::<T>()
            .ok_or_else(|| wrong_type(&self.data_type, array.data_type()))
    }
}

impl<T: ArrowPrimitiveType> KeyColumn for PrimitiveKeys<T> {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }

    fn truncate(&mut self, len: usize) -> Result<()> {
        self.values.truncate(len);
        self.validity.truncate(len);
        Ok(())
    }

    fn append(&mut self, array: &ArrayRef, rows: &[usize]) -> Result<()> {
        let a = self.array(array)?;
        let values = a.values();
        self.values.extend(rows.iter().map(|&r| values[r]));
        for &r in rows {
            self.validity.push(a.is_valid(r));
        }
        Ok(())
    }

    fn equal(&self, array: &ArrayRef, ids: &[usize], equal: &mut [bool]) -> Result<()> {
        let a = self.array(array)?;
        let values = a.values();
        let stored = &self.values;
        if a.null_count() == 0 && self.validity.nulls == 0 {
            for ((e, &id), &v) in equal.iter_mut().zip(ids).zip(values.iter()) {
                *e &= stored[id].is_eq(v);
            }
        } else {
            let valid = &self.validity.valid;
            for (i, (e, &id)) in equal.iter_mut().zip(ids).enumerate() {
                *e &= match (valid[id], a.is_valid(i)) {
                    (true, true) => stored[id].is_eq(values[i]),
                    (x, y) => x == y,
                };
            }
        }
        Ok(())
    }

    fn equal_row(&self, array: &ArrayRef, row: usize, id: usize) -> bool {
        let Ok(a) = self.array(array) else {
            return false;
        };
        match (self.validity.valid[id], a.is_valid(row)) {
            (true, true) => self.values[id].is_eq(a.value(row)),
            (x, y) => x == y,
        }
    }

    fn stored(&self) -> Result<ArrayRef> {
        let array = PrimitiveArray::<T>::try_new(
            ScalarBuffer::from(self.values.clone()),
            self.validity.nulls(),
        )?
        .with_data_type(self.data_type.clone());
        Ok(Arc::new(array))
    }

    fn finish(self: Box<Self>) -> Result<ArrayRef> {
        let this = *self;
        let array =
            PrimitiveArray::<T>::try_new(ScalarBuffer::from(this.values), this.validity.finish())?
                .with_data_type(this.data_type);
        Ok(Arc::new(array))
    }

    fn dense(&self) -> Option<Box<dyn DenseIndex>> {
        self.dense.map(|make| make())
    }
}

/// Text or binary keys, compared by bytes.
struct ByteKeys<T: ByteArrayType> {
    data_type: DataType,
    bytes: Vec<u8>,
    /// Key `id` is `bytes[offsets[id]..offsets[id + 1]]`.
    offsets: Vec<usize>,
    validity: Validity,
    _type: std::marker::PhantomData<T>,
}

impl<T: ByteArrayType> ByteKeys<T> {
    fn new(data_type: &DataType) -> Self {
        ByteKeys {
            data_type: data_type.clone(),
            bytes: Vec::new(),
            offsets: vec![0],
            validity: Validity::default(),
            _type: std::marker::PhantomData,
        }
    }

    fn array<'a>(&self, array: &'a ArrayRef) -> Result<&'a GenericByteArray<T>> {
        array
            .as_bytes_opt::<T>()
            .ok_or_else(|| wrong_type(&self.data_type, array.data_type()))
    }

    #[inline]
    fn value(&self, id: usize) -> &[u8] {
        &self.bytes[self.offsets[id]..self.offsets[id + 1]]
    }
}

/// A byte array of `T` from stored keys (`offsets` into `bytes`, one more than keys).
fn byte_array<T: ByteArrayType>(
    data_type: &DataType,
    offsets: &[usize],
    bytes: Vec<u8>,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    let offsets = offsets
        .iter()
        .map(|&o| {
            T::Offset::from_usize(o).ok_or_else(|| {
                Error::Execution(format!("key set: {o} bytes of keys overflow {data_type}"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // `try_new` checks the offsets and, for text, UTF-8 (whole values were copied).
    let array = GenericByteArray::<T>::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Buffer::from_vec(bytes),
        nulls,
    )?;
    Ok(Arc::new(array))
}

/// The hash of a text or binary key value. Only values of one key column are ever
/// compared, so this need not agree with the kernel's [`hash_bytes`], which it uses for
/// values past 16 bytes: shorter ones are read as two overlapping little-endian words
/// (covering every byte) and mixed with their length in one folded multiply.
#[inline]
fn hash_value(b: &[u8]) -> u64 {
    const K1: u64 = 0x2D35_8DCC_AA6C_78A5;
    const K2: u64 = 0x8BB8_4B93_962E_ACC9;
    let len = b.len();
    let w4 = |s: &[u8]| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[..4]);
        u64::from(u32::from_le_bytes(w))
    };
    let w8 = |s: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[..8]);
        u64::from_le_bytes(w)
    };
    let (x, y) = match len {
        0 => (0, 0),
        1..=3 => {
            let v = u64::from(b[0]) | (u64::from(b[len / 2]) << 8) | (u64::from(b[len - 1]) << 16);
            (v, 0)
        }
        4..=7 => (w4(b), w4(&b[len - 4..])),
        8..=16 => (w8(b), w8(&b[len - 8..])),
        _ => return hash_bytes(b),
    };
    folded_multiply(x ^ K1, y ^ K2 ^ len as u64)
}

/// Row `i`'s bytes in the raw parts of a byte array.
#[inline]
fn slot<'a, O: OffsetSizeTrait>(offsets: &[O], data: &'a [u8], i: usize) -> &'a [u8] {
    &data[offsets[i].as_usize()..offsets[i + 1].as_usize()]
}

impl<T: ByteArrayType> KeyColumn for ByteKeys<T> {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }

    fn kernel_hash(&self) -> bool {
        false
    }

    fn truncate(&mut self, len: usize) -> Result<()> {
        if len + 1 < self.offsets.len() {
            self.offsets.truncate(len + 1);
            self.bytes.truncate(self.offsets[len]);
            self.validity.truncate(len);
        }
        Ok(())
    }

    /// [`hash_value`] of each value ([`NULL_BITS`] for NULL), read straight from the
    /// offsets and bytes.
    fn hash(&mut self, array: &ArrayRef, out: &mut [u64]) -> Result<()> {
        let a = self.array(array)?;
        let (offsets, data) = (a.value_offsets(), a.value_data());
        match a.nulls().filter(|n| n.null_count() > 0) {
            None => {
                for (i, h) in out.iter_mut().enumerate() {
                    *h = combine(*h, hash_value(slot(offsets, data, i)));
                }
            }
            Some(nulls) => {
                for (i, h) in out.iter_mut().enumerate() {
                    let bits = if nulls.is_valid(i) {
                        hash_value(slot(offsets, data, i))
                    } else {
                        NULL_BITS
                    };
                    *h = combine(*h, bits);
                }
            }
        }
        Ok(())
    }

    fn append(&mut self, array: &ArrayRef, rows: &[usize]) -> Result<()> {
        let a = self.array(array)?;
        let (offsets, data) = (a.value_offsets(), a.value_data());
        for &r in rows {
            let valid = a.is_valid(r);
            if valid {
                self.bytes.extend_from_slice(slot(offsets, data, r));
            }
            self.offsets.push(self.bytes.len());
            self.validity.push(valid);
        }
        Ok(())
    }

    fn equal(&self, array: &ArrayRef, ids: &[usize], equal: &mut [bool]) -> Result<()> {
        let a = self.array(array)?;
        let (offsets, data) = (a.value_offsets(), a.value_data());
        if a.null_count() == 0 && self.validity.nulls == 0 {
            for (i, (e, &id)) in equal.iter_mut().zip(ids).enumerate() {
                *e &= self.value(id) == slot(offsets, data, i);
            }
        } else {
            let valid = &self.validity.valid;
            for (i, (e, &id)) in equal.iter_mut().zip(ids).enumerate() {
                *e &= match (valid[id], a.is_valid(i)) {
                    (true, true) => self.value(id) == slot(offsets, data, i),
                    (x, y) => x == y,
                };
            }
        }
        Ok(())
    }

    fn equal_row(&self, array: &ArrayRef, row: usize, id: usize) -> bool {
        let Ok(a) = self.array(array) else {
            return false;
        };
        match (self.validity.valid[id], a.is_valid(row)) {
            (true, true) => self.value(id) == slot(a.value_offsets(), a.value_data(), row),
            (x, y) => x == y,
        }
    }

    fn stored(&self) -> Result<ArrayRef> {
        byte_array::<T>(
            &self.data_type,
            &self.offsets,
            self.bytes.clone(),
            self.validity.nulls(),
        )
    }

    fn finish(self: Box<Self>) -> Result<ArrayRef> {
        let this = *self;
        let nulls = this.validity.finish();
        byte_array::<T>(&this.data_type, &this.offsets, this.bytes, nulls)
    }
}

/// Keys of any other type, kept in Arrow's row format and compared by row bytes.
struct RowKeys {
    data_type: DataType,
    converter: RowConverter,
    rows: Rows,
    /// The current batch's rows (set by `hash`).
    batch: Option<Rows>,
}

impl RowKeys {
    fn new(data_type: &DataType) -> Result<Self> {
        let converter = RowConverter::new(vec![SortField::new(data_type.clone())])?;
        let rows = converter.empty_rows(0, 0);
        Ok(RowKeys {
            data_type: data_type.clone(),
            converter,
            rows,
            batch: None,
        })
    }

    fn batch(&self) -> Result<&Rows> {
        self.batch
            .as_ref()
            .ok_or_else(|| Error::Execution("key set: a batch used before hashing".into()))
    }
}

impl KeyColumn for RowKeys {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }

    fn kernel_hash(&self) -> bool {
        false
    }

    fn truncate(&mut self, len: usize) -> Result<()> {
        // Rows cannot shrink: copy the kept ones.
        let mut kept = self.converter.empty_rows(len, 0);
        for r in self.rows.iter().take(len) {
            kept.push(r);
        }
        self.rows = kept;
        Ok(())
    }

    fn hash(&mut self, array: &ArrayRef, out: &mut [u64]) -> Result<()> {
        let rows = self
            .converter
            .convert_columns(std::slice::from_ref(array))?;
        for (h, r) in out.iter_mut().zip(rows.iter()) {
            *h = combine(*h, hash_bytes(r.data()));
        }
        self.batch = Some(rows);
        Ok(())
    }

    fn append(&mut self, _array: &ArrayRef, rows: &[usize]) -> Result<()> {
        let batch = self
            .batch
            .as_ref()
            .ok_or_else(|| Error::Execution("key set: a batch used before hashing".into()))?;
        for &r in rows {
            self.rows.push(batch.row(r));
        }
        Ok(())
    }

    fn equal(&self, _array: &ArrayRef, ids: &[usize], equal: &mut [bool]) -> Result<()> {
        let batch = self.batch()?;
        for (i, (e, &id)) in equal.iter_mut().zip(ids).enumerate() {
            *e &= self.rows.row(id).data() == batch.row(i).data();
        }
        Ok(())
    }

    fn equal_row(&self, _array: &ArrayRef, row: usize, id: usize) -> bool {
        self.batch()
            .is_ok_and(|b| self.rows.row(id).data() == b.row(row).data())
    }

    fn stored(&self) -> Result<ArrayRef> {
        let mut arrays = self.converter.convert_rows(&self.rows)?;
        arrays
            .pop()
            .ok_or_else(|| Error::Execution("key set: the row converter returned no column".into()))
    }

    fn finish(self: Box<Self>) -> Result<ArrayRef> {
        let mut arrays = self.converter.convert_rows(&self.rows)?;
        arrays
            .pop()
            .ok_or_else(|| Error::Execution("key set: the row converter returned no column".into()))
    }
}
