//! A direct map from a single integer key to its id: one array slot per value in a window
//! `lo..lo + slots.len()`, used instead of hashing while the values seen stay in a window
//! small next to the rows read (group and join keys are often small ranges of integers).

use std::marker::PhantomData;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::datatypes::ArrowPrimitiveType;
use llkv_kernels::KernelType;
use llkv_kernels::aggregate::min_max;
use llkv_kernels::bitmap::valid_words;

use super::NONE;
use crate::error::{Error, Result};

/// A slot no value has taken.
const EMPTY: u32 = u32::MAX;
/// A window may always grow to this many slots.
const MIN_SPAN: usize = 1 << 16;
/// A window never grows past this many slots (16 MiB).
const MAX_SPAN: usize = 1 << 22;
/// Otherwise a window may span this many slots per row read.
const SLOTS_PER_ROW: usize = 4;

/// A direct map for one integer key column (see the module docs).
pub(super) trait DenseIndex: Send {
    /// Replaces `ids` with the id of each row of `array`, giving the values not seen
    /// before the next ids from `len` and listing their rows in `new_rows`. Returns false,
    /// changing nothing, when the batch's values do not fit a window of allowed size.
    fn intern(
        &mut self,
        array: &ArrayRef,
        len: &mut usize,
        ids: &mut Vec<usize>,
        new_rows: &mut Vec<usize>,
    ) -> Result<bool>;

    /// Replaces `ids` with the id of each row of `array`, or [`NONE`] for a value never
    /// interned.
    fn lookup(&self, array: &ArrayRef, ids: &mut Vec<usize>) -> Result<()>;
}

/// A direct map for keys of type `T`.
pub(super) fn new<T: ArrowPrimitiveType>() -> Box<dyn DenseIndex>
where
    T::Native: KernelType + Into<i64>,
{
    Box::new(DenseMap::<T> {
        lo: 0,
        slots: Vec::new(),
        null_id: EMPTY,
        rows: 0,
        _type: PhantomData,
    })
}

struct DenseMap<T> {
    /// The value of slot 0.
    lo: i64,
    /// The id of value `lo + k` in slot `k`, or [`EMPTY`].
    slots: Vec<u32>,
    /// The id of NULL, or [`EMPTY`].
    null_id: u32,
    /// Rows interned so far (the window may grow with them).
    rows: usize,
    _type: PhantomData<fn() -> T>,
}

impl<T: ArrowPrimitiveType> DenseMap<T>
where
    T::Native: KernelType + Into<i64>,
{
    fn array<'a>(&self, array: &'a ArrayRef) -> Result<&'a PrimitiveArray<T>> {
        array.as_primitive_opt::<T>().ok_or_else(|| {
            Error::Execution(format!(
                "key set: an array of type {} where {} was expected",
                array.data_type(),
                T::DATA_TYPE
            ))
        })
    }

    /// Widens the window to hold `min..=max` if that stays within the allowed span.
    fn cover(&mut self, min: i64, max: i64, rows: usize) -> bool {
        let limit = (SLOTS_PER_ROW * (self.rows + rows)).clamp(MIN_SPAN, MAX_SPAN);
        let span = |lo: i64, hi: i64| (i128::from(hi) - i128::from(lo) + 1) as u128;
        if self.slots.is_empty() {
            if span(min, max) > limit as u128 {
                return false;
            }
            self.lo = min;
            self.slots = vec![EMPTY; span(min, max) as usize];
            return true;
        }
        let old = self.slots.len();
        // `old` is at most MAX_SPAN, so the last value of the window fits in an i64.
        let hi = self.lo + (old as i64 - 1);
        if min >= self.lo && max <= hi {
            return true;
        }
        let (need_lo, need_hi) = (min.min(self.lo), max.max(hi));
        if span(need_lo, need_hi) > limit as u128 {
            return false;
        }
        // Grow by at least the old span on each side that grows (within the limit), so
        // a window creeping up batch by batch is copied a logarithmic number of times.
        let room = limit as i128 - span(need_lo, need_hi) as i128;
        let slack = (old as i128).min(room);
        let (mut new_lo, mut new_hi) = (i128::from(need_lo), i128::from(need_hi));
        if need_hi > hi {
            new_hi = (new_hi + slack).min(i128::from(i64::MAX));
        } else {
            new_lo = (new_lo - slack).max(i128::from(i64::MIN));
        }
        let new_span = (new_hi - new_lo + 1) as usize;
        let mut slots = vec![EMPTY; new_span];
        let at = (i128::from(self.lo) - new_lo) as usize;
        slots[at..at + old].copy_from_slice(&self.slots);
        self.slots = slots;
        self.lo = new_lo as i64;
        true
    }
}

/// The smallest and largest non-NULL value of `a` (`None` when there is none).
fn range<T: ArrowPrimitiveType>(a: &PrimitiveArray<T>) -> Option<(i64, i64)>
where
    T::Native: KernelType + Into<i64>,
{
    if a.null_count() == a.len() {
        return None;
    }
    let valid = valid_words(a.nulls());
    let extreme = |max| min_max::<T::Native>(a.values(), valid.as_deref(), max).into();
    Some((extreme(false), extreme(true)))
}

impl<T: ArrowPrimitiveType> DenseIndex for DenseMap<T>
where
    T::Native: KernelType + Into<i64>,
{
    fn intern(
        &mut self,
        array: &ArrayRef,
        len: &mut usize,
        ids: &mut Vec<usize>,
        new_rows: &mut Vec<usize>,
    ) -> Result<bool> {
        let a = self.array(array)?;
        let n = a.len();
        // Ids are stored as u32 below EMPTY.
        if *len + n >= EMPTY as usize {
            return Ok(false);
        }
        if let Some((min, max)) = range(a)
            && !self.cover(min, max, n)
        {
            return Ok(false);
        }
        self.rows += n;
        ids.clear();
        ids.reserve(n);
        let lo = self.lo;
        let values = a.values();
        let (slots, null_id) = (&mut self.slots, &mut self.null_id);
        let mut take = |slot: &mut u32, row: usize| {
            if *slot == EMPTY {
                *slot = *len as u32;
                *len += 1;
                new_rows.push(row);
            }
            *slot as usize
        };
        // `cover` made the window hold every non-NULL value, so the slot index is in
        // bounds.
        match a.nulls().filter(|n| n.null_count() > 0) {
            None => ids.extend(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| take(&mut slots[(v.into() - lo) as usize], i)),
            ),
            Some(nulls) => ids.extend(values.iter().enumerate().map(|(i, &v)| {
                if nulls.is_valid(i) {
                    take(&mut slots[(v.into() - lo) as usize], i)
                } else {
                    take(null_id, i)
                }
            })),
        }
        Ok(true)
    }

    fn lookup(&self, array: &ArrayRef, ids: &mut Vec<usize>) -> Result<()> {
        let a = self.array(array)?;
        let (lo, slots) = (self.lo, &self.slots);
        let id = |slot: u32| if slot == EMPTY { NONE } else { slot as usize };
        // Out of the window both ways: `v - lo` wraps to a large unsigned distance.
        let find = |v: T::Native| {
            let k = v.into().wrapping_sub(lo) as u64 as usize;
            slots.get(k).map_or(NONE, |&s| id(s))
        };
        ids.clear();
        ids.reserve(a.len());
        match a.nulls().filter(|n| n.null_count() > 0) {
            None => ids.extend(a.values().iter().map(|&v| find(v))),
            Some(nulls) => ids.extend(a.values().iter().enumerate().map(|(i, &v)| {
                if nulls.is_valid(i) {
                    find(v)
                } else {
                    id(self.null_id)
                }
            })),
        }
        Ok(())
    }
}
