//! Bitmaps as `u64` words (bit `i` of word `w` is element `64 * w + i`), and the packing
//! loops the kernels inline.

use std::borrow::Cow;

use arrow::array::{Array, BooleanArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer};

/// The bits of `b` as words, word 0 holding elements 0..64. Borrowed when the buffer is
/// byte- and word-aligned (the usual case for freshly built arrays), copied otherwise.
/// Bits past `b.len()` in the last word are unspecified.
pub fn words(b: &BooleanBuffer) -> Cow<'_, [u64]> {
    let need = b.len().div_ceil(64);
    #[cfg(target_endian = "little")]
    if b.offset().is_multiple_of(8) {
        let start = b.offset() / 8;
        if let Some(bytes) = b.inner().as_slice().get(start..start + need * 8) {
            // SAFETY: every bit pattern is a valid `u64`; `align_to` only reinterprets the
            // aligned middle, and we use it only when it covers the whole range.
            let (pre, mid, _) = unsafe { bytes.align_to::<u64>() };
            if pre.is_empty() && mid.len() == need {
                return Cow::Borrowed(mid);
            }
        }
    }
    let chunks = b.inner().bit_chunks(b.offset(), b.len());
    let mut v: Vec<u64> = Vec::with_capacity(need);
    v.extend(chunks.iter());
    if chunks.remainder_len() > 0 {
        v.push(chunks.remainder_bits());
    }
    Cow::Owned(v)
}

/// The validity of an array as words, `None` when it has no NULLs.
pub fn valid_words(nulls: Option<&NullBuffer>) -> Option<Cow<'_, [u64]>> {
    nulls
        .filter(|n| n.null_count() > 0)
        .map(|n| words(n.inner()))
}

/// A filter mask as words: true and not NULL.
pub fn mask_words(mask: &BooleanArray) -> Cow<'_, [u64]> {
    match mask.nulls().filter(|n| n.null_count() > 0) {
        None => words(mask.values()),
        Some(n) => Cow::Owned(words(&(mask.values() & n.inner())).into_owned()),
    }
}

/// Set bits among the first `len` bits of `words`.
pub fn count_ones(words: &[u64], len: usize) -> usize {
    let full = len / 64;
    let mut n: usize = words
        .iter()
        .take(full)
        .map(|w| w.count_ones() as usize)
        .sum();
    let rem = len % 64;
    if rem > 0
        && let Some(w) = words.get(full)
    {
        n += (w & ((1u64 << rem) - 1)).count_ones() as usize;
    }
    n
}

/// A `BooleanArray` of `len` values from words, with the given validity.
pub fn bool_array(words: Vec<u64>, len: usize, nulls: Option<NullBuffer>) -> BooleanArray {
    let buffer = Buffer::from_vec(words);
    BooleanArray::new(BooleanBuffer::new(buffer, 0, len), nulls)
}

/// A `BooleanBuffer` of `len` bits from words.
pub fn bool_buffer(words: Vec<u64>, len: usize) -> BooleanBuffer {
    BooleanBuffer::new(Buffer::from_vec(words), 0, len)
}

/// Parts [`pack_unary`] reads side by side: the hardware prefetcher follows each
/// sequential stream only so far ahead, so several streams keep more lines in flight
/// when the input is not in L1/L2.
const STREAMS: usize = 4;

/// Packs `f(value)` for every value into `out` (one bit per value).
#[inline(always)]
pub(crate) fn pack_unary<T: Copy, F: Fn(T) -> bool>(values: &[T], out: &mut [u64], f: F) {
    // The whole chunks in STREAMS equal parts, side by side; the rest below.
    let per = (values.len() / 64).min(out.len()) / STREAMS;
    let (head, values) = values.split_at(per * 64 * STREAMS);
    let (out_head, out) = out.split_at_mut(per * STREAMS);
    if per > 0 {
        let (v0, rest) = head.split_at(per * 64);
        let (v1, rest) = rest.split_at(per * 64);
        let (v2, v3) = rest.split_at(per * 64);
        let (o0, rest) = out_head.split_at_mut(per);
        let (o1, rest) = rest.split_at_mut(per);
        let (o2, o3) = rest.split_at_mut(per);
        let chunks = v0
            .chunks_exact(64)
            .zip(v1.chunks_exact(64))
            .zip(v2.chunks_exact(64))
            .zip(v3.chunks_exact(64));
        let words = o0.iter_mut().zip(o1).zip(o2).zip(o3);
        for ((((c0, c1), c2), c3), (((w0, w1), w2), w3)) in chunks.zip(words) {
            *w0 = chunk_word(c0, &f);
            *w1 = chunk_word(c1, &f);
            *w2 = chunk_word(c2, &f);
            *w3 = chunk_word(c3, &f);
        }
    }
    let mut chunks = values.chunks_exact(64);
    let mut words = out.iter_mut();
    for chunk in &mut chunks {
        let Some(w) = words.next() else { return };
        let mut word = 0u64;
        for (i, v) in chunk.iter().enumerate() {
            word |= u64::from(f(*v)) << i;
        }
        *w = word;
    }
    let rem = chunks.remainder();
    if !rem.is_empty()
        && let Some(w) = words.next()
    {
        let mut word = 0u64;
        for (i, v) in rem.iter().enumerate() {
            word |= u64::from(f(*v)) << i;
        }
        *w = word;
    }
}

/// Packs `f(a[i], b[i])` into `out`; `a` and `b` have the same length.
#[inline(always)]
pub(crate) fn pack_binary<T: Copy, F: Fn(T, T) -> bool>(a: &[T], b: &[T], out: &mut [u64], f: F) {
    let mut ca = a.chunks_exact(64);
    let mut cb = b.chunks_exact(64);
    let mut words = out.iter_mut();
    for (x, y) in (&mut ca).zip(&mut cb) {
        let Some(w) = words.next() else { return };
        let mut word = 0u64;
        for (i, (p, q)) in x.iter().zip(y).enumerate() {
            word |= u64::from(f(*p, *q)) << i;
        }
        *w = word;
    }
    let (ra, rb) = (ca.remainder(), cb.remainder());
    if !ra.is_empty()
        && let Some(w) = words.next()
    {
        let mut word = 0u64;
        for (i, (p, q)) in ra.iter().zip(rb).enumerate() {
            word |= u64::from(f(*p, *q)) << i;
        }
        *w = word;
    }
}

/// The compare word for one chunk of at most 64 values.
#[inline(always)]
pub(crate) fn chunk_word<T: Copy, F: Fn(T) -> bool>(chunk: &[T], f: &F) -> u64 {
    let mut word = 0u64;
    for (i, v) in chunk.iter().enumerate() {
        word |= u64::from(f(*v)) << i;
    }
    word
}

/// Appends the bits of `bits` selected by `mask` to a bitmap under construction.
pub(crate) struct BitWriter {
    words: Vec<u64>,
    cur: u64,
    n: usize,
}

impl BitWriter {
    pub(crate) fn with_capacity(bits: usize) -> Self {
        BitWriter {
            words: Vec::with_capacity(bits.div_ceil(64)),
            cur: 0,
            n: 0,
        }
    }

    /// Appends the low `count` bits of `bits` (the rest must be zero).
    #[inline]
    pub(crate) fn push_bits(&mut self, bits: u64, count: usize) {
        if count == 0 {
            return;
        }
        let used = self.n % 64;
        self.cur |= bits << used;
        if used + count >= 64 {
            self.words.push(self.cur);
            self.cur = if used == 0 { 0 } else { bits >> (64 - used) };
        }
        self.n += count;
    }

    /// Appends the bits of `bits` at the positions set in `mask` (a software `pext`).
    #[inline]
    pub(crate) fn push_selected(&mut self, bits: u64, mask: u64) {
        if mask == u64::MAX {
            self.push_bits(bits, 64);
            return;
        }
        let mut m = mask;
        let mut packed = 0u64;
        let mut k = 0;
        while m != 0 {
            let i = m.trailing_zeros();
            packed |= ((bits >> i) & 1) << k;
            k += 1;
            m &= m - 1;
        }
        let packed = if k == 64 {
            packed
        } else {
            packed & ((1u64 << k) - 1)
        };
        self.push_bits(packed, k);
    }

    /// Appends one bit.
    #[inline]
    #[cfg(test)]
    pub(crate) fn push(&mut self, bit: bool) {
        self.push_bits(u64::from(bit), 1);
    }

    /// The bitmap of every bit pushed.
    pub(crate) fn finish(mut self) -> BooleanBuffer {
        if !self.n.is_multiple_of(64) {
            self.words.push(self.cur);
        }
        bool_buffer(self.words, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_writer_packs_selected_bits() {
        let mut w = BitWriter::with_capacity(200);
        let mut expect = Vec::new();
        let data = [0xDEAD_BEEF_0123_4567u64, u64::MAX, 0, 0x8000_0000_0000_0001];
        let masks = [
            0xF0F0_F0F0_F0F0_F0F0u64,
            u64::MAX,
            0x3,
            0x8000_0000_0000_0001,
        ];
        for (d, m) in data.iter().zip(&masks) {
            w.push_selected(*d, *m);
            for i in 0..64 {
                if m >> i & 1 == 1 {
                    expect.push(d >> i & 1 == 1);
                }
            }
        }
        w.push(true);
        expect.push(true);
        let b = w.finish();
        assert_eq!(b.iter().collect::<Vec<_>>(), expect);
    }

    #[test]
    fn pack_unary_streams_and_tail() {
        for len in [0usize, 1, 63, 64, 255, 256, 257, 1000, 4096, 4160, 5000] {
            let v: Vec<u32> = (0..len as u32)
                .map(|i| i.wrapping_mul(2_654_435_761))
                .collect();
            let mut out = vec![0u64; len.div_ceil(64)];
            pack_unary(&v, &mut out, |x: u32| x.is_multiple_of(3));
            for (i, x) in v.iter().enumerate() {
                assert_eq!(
                    out[i / 64] >> (i % 64) & 1 == 1,
                    x.is_multiple_of(3),
                    "{len} {i}"
                );
            }
        }
    }

    #[test]
    fn words_of_sliced_buffers() {
        let bits: Vec<bool> = (0..300).map(|i| i % 3 == 0 || i % 7 == 0).collect();
        let b = BooleanBuffer::from(bits.clone());
        for off in [0, 1, 8, 63, 64, 65, 128] {
            let s = b.slice(off, 300 - off - 5);
            let w = words(&s);
            for i in 0..s.len() {
                assert_eq!(w[i / 64] >> (i % 64) & 1 == 1, bits[off + i]);
            }
            assert_eq!(count_ones(&w, s.len()), s.count_set_bits());
        }
    }
}
