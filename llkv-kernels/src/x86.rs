//! Hand-written x86-64 paths for what the autovectorizer cannot produce: AVX-512
//! `vpcompressd`/`vpcompressq` (filter without a per-value loop) and BMI2 `pext` (filter
//! a validity bitmap a word at a time). Called only after [`crate::cpu`] detected the
//! features; each function states that contract in its `# Safety` section.

use std::arch::x86_64::{
    __m512i, _mm512_loadu_si512, _mm512_maskz_compress_epi32, _mm512_maskz_compress_epi64,
    _mm512_storeu_si512, _pext_u64,
};
use std::mem::MaybeUninit;

use crate::bitmap::BitWriter;

/// Compresses the full 64-value chunks of `values` (4-byte lanes) selected by `mask` into
/// `dst[n..]`, returning the new `n` and the number of chunks done (it stops early if
/// `dst` runs out of room, leaving the rest to the caller). Every slot below the
/// returned `n` is written.
///
/// # Safety
/// The CPU must support `avx512f` (`cpu::detected()` includes `CpuLevel::Avx512`).
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn compress32(
    values: &[u32],
    mask: &[u64],
    dst: &mut [MaybeUninit<u32>],
    mut n: usize,
) -> (usize, usize) {
    let chunks = values.chunks_exact(64);
    let mut done = 0;
    for (chunk, &w) in chunks.zip(mask) {
        if w != 0 {
            for (j, src) in chunk.chunks_exact(16).enumerate() {
                let k = (w >> (16 * j)) as u16;
                if k == 0 {
                    continue;
                }
                let Some(d) = dst.get_mut(n..n + 16) else {
                    return (n, done);
                };
                // SAFETY: `src` holds 16 `u32` (64 readable bytes) and `d` 16 writable
                // slots; unaligned load/store are used, and avx512f is present (contract).
                unsafe {
                    let v = _mm512_loadu_si512(src.as_ptr().cast::<__m512i>());
                    _mm512_storeu_si512(
                        d.as_mut_ptr().cast::<__m512i>(),
                        _mm512_maskz_compress_epi32(k, v),
                    );
                }
                n += k.count_ones() as usize;
            }
        }
        done += 1;
    }
    (n, done)
}

/// [`compress32`] for 8-byte lanes.
///
/// # Safety
/// The CPU must support `avx512f`.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn compress64(
    values: &[u64],
    mask: &[u64],
    dst: &mut [MaybeUninit<u64>],
    mut n: usize,
) -> (usize, usize) {
    let chunks = values.chunks_exact(64);
    let mut done = 0;
    for (chunk, &w) in chunks.zip(mask) {
        if w != 0 {
            for (j, src) in chunk.chunks_exact(8).enumerate() {
                let k = (w >> (8 * j)) as u8;
                if k == 0 {
                    continue;
                }
                let Some(d) = dst.get_mut(n..n + 8) else {
                    return (n, done);
                };
                // SAFETY: `src` holds 8 `u64` (64 readable bytes) and `d` 8 writable
                // slots; unaligned load/store are used, and avx512f is present (contract).
                unsafe {
                    let v = _mm512_loadu_si512(src.as_ptr().cast::<__m512i>());
                    _mm512_storeu_si512(
                        d.as_mut_ptr().cast::<__m512i>(),
                        _mm512_maskz_compress_epi64(k, v),
                    );
                }
                n += k.count_ones() as usize;
            }
        }
        done += 1;
    }
    (n, done)
}

/// Appends the bits of `bits` selected by `mask`, word by word, with `pext`; `len` is the
/// number of valid bit positions (bits of `mask` past it are ignored).
///
/// # Safety
/// The CPU must support `bmi2` (`cpu::detected()` includes `CpuLevel::Avx2`).
#[target_feature(enable = "bmi2,popcnt")]
pub(crate) unsafe fn select_bits(bits: &[u64], mask: &[u64], len: usize, out: &mut BitWriter) {
    for (i, (&b, &m)) in bits.iter().zip(mask).enumerate() {
        let rem = len.saturating_sub(i * 64);
        if rem == 0 {
            break;
        }
        let m = if rem < 64 { m & ((1u64 << rem) - 1) } else { m };
        out.push_bits(_pext_u64(b, m), m.count_ones() as usize);
    }
}
