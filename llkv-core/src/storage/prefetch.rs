//! Prefetching one row of a sealed row group: a point lookup learns a row's location from
//! the key index, then reads the row's marks, its key and every other column it needs,
//! each in its own buffer. For a row not in cache those are a chain of memory misses, one
//! after the other; asking for all of them up front lets them overlap.
//!
//! Only a hint to the CPU: on targets without a stable prefetch instruction it does
//! nothing, and a wrong address would only be a wasted fetch (a prefetch never faults).

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::DataType;

/// Per column, where the value of row `r` lives: `base + r * width` (a fixed-width
/// column's values, a string or binary column's offsets). Columns of other layouts have
/// no slot.
#[derive(Debug)]
pub(super) struct RowSlots(Box<[(usize, usize)]>);

impl RowSlots {
    /// The slots of `batch`'s columns. Their addresses stay valid while the batch's
    /// buffers live: a sealed group keeps its batch, and never changes it.
    pub(super) fn of(batch: &RecordBatch) -> Self {
        let slots = batch
            .columns()
            .iter()
            .filter_map(|col| {
                let data = col.to_data();
                let width = match data.data_type() {
                    DataType::Utf8 | DataType::Binary => 4,
                    DataType::LargeUtf8 | DataType::LargeBinary => 8,
                    t => t.primitive_width()?,
                };
                let buffer = data.buffers().first()?;
                Some((buffer.as_ptr() as usize + data.offset() * width, width))
            })
            .collect();
        Self(slots)
    }

    /// Asks for row `row`'s slot in every column, and for the marks at `marks`.
    pub(super) fn fetch(&self, row: usize, marks: [*const u8; 2]) {
        for addr in marks {
            fetch(addr);
        }
        for &(base, width) in self.0.iter() {
            fetch(base.wrapping_add(row.wrapping_mul(width)) as *const u8);
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn fetch(addr: *const u8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch reads nothing the program sees and never faults, whatever the
    // address; SSE, which has it, is part of the x86-64 baseline.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(addr.cast::<i8>()) }
}

#[cfg(not(target_arch = "x86_64"))]
fn fetch(_addr: *const u8) {}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, BooleanArray, Int32Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn slots_point_at_each_rows_value_or_offset() {
        let ints: ArrayRef = Arc::new(Int32Array::from_iter_values(0..10).slice(3, 5));
        let strs: ArrayRef = Arc::new(StringArray::from_iter_values(["a", "bb", "ccc"]));
        let flags: ArrayRef = Arc::new(BooleanArray::from(vec![true; 3]));
        let schema = Arc::new(Schema::new(vec![
            Field::new("i", DataType::Int32, false),
            Field::new("s", DataType::Utf8, false),
            Field::new("b", DataType::Boolean, false),
        ]));
        let batch = RecordBatch::try_new(schema, vec![ints.slice(0, 3), strs.clone(), flags])
            .expect("batch");
        let slots = RowSlots::of(&batch);
        // Booleans are bits: no slot.
        assert_eq!(slots.0.len(), 2);
        let ints = ints.as_any().downcast_ref::<Int32Array>().expect("i32");
        assert_eq!(slots.0[0], (&ints.values()[0] as *const i32 as usize, 4));
        let strs = strs.as_any().downcast_ref::<StringArray>().expect("utf8");
        let offsets = strs.value_offsets();
        assert_eq!(slots.0[1], (&offsets[0] as *const i32 as usize, 4));
        assert_eq!(
            slots.0[1].0 + 2 * slots.0[1].1,
            &offsets[2] as *const i32 as usize
        );
        // Any row, even one past the end, is only a hint.
        slots.fetch(1, [std::ptr::null(); 2]);
        slots.fetch(usize::MAX, [std::ptr::null(); 2]);
    }
}
