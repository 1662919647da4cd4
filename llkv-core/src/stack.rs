//! Deep recursion on any thread: the binder and the evaluator recurse once per level of
//! expression nesting (up to [`crate::session::MAX_NESTING`]), and a debug build spends
//! tens of kilobytes of stack per level. Each recursive step runs through [`deep`], which
//! moves onto a new stack segment when the current one runs low, so a deeply nested
//! statement never overflows a small thread stack (a test thread's 2 MiB, say).

/// Stack left below which a recursive step moves to a new segment: more than one step
/// (a binder frame and its helpers) can use, even unoptimized.
const RED_ZONE: usize = 256 * 1024;
/// The size of each new segment.
const SEGMENT: usize = 2 * 1024 * 1024;

/// Runs `f`, on a new stack segment if the current stack is nearly used up.
#[inline]
pub(crate) fn deep<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
