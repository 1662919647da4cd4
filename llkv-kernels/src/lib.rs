//! Vectorized compute kernels for LLKV: compare, filter and take, arithmetic with SQL
//! overflow rules, aggregates, fused compare+filter/count/sum, and key hashing.
//!
//! Every kernel body is written once and stamped out by [`macro@kernel`] (from
//! `llkv-macros`) for each Arrow primitive type **and** each CPU level (x86-64 baseline,
//! AVX2, AVX-512; aarch64 NEON). The best level is detected at run time ([`cpu`]), so a
//! default build (no `-C target-cpu`) runs the wide code on a modern CPU.
//!
//! Two layers:
//! - **Array functions** ([`compare::compare_datum`], [`select::filter`],
//!   [`arith::arith_datum`], [`aggregate::sum`], [`fused::filter_cmp`],
//!   [`hash::hash_columns`], ...) take Arrow arrays, match the type **once per array**
//!   and handle NULLs with SQL semantics. Where noted they fall back to `arrow::compute`
//!   for types they do not specialise, so they can replace the Arrow call outright.
//! - **Stamped kernels** (`compare::cmp_scalar`, `select::filter_words`, ...) work on
//!   value slices and `u64` bitmap words, for callers that already hold typed buffers.
//!
//! ```
//! use arrow::array::{Array, Int64Array};
//! use llkv_kernels::compare::{CmpOp, compare_scalar};
//! use llkv_kernels::fused::count_cmp;
//!
//! let a = Int64Array::from(vec![Some(1), None, Some(7), Some(9)]);
//! let five = Int64Array::from(vec![5]);
//! let gt = compare_scalar(&a, &five, CmpOp::Gt).unwrap();
//! assert_eq!(gt.iter().collect::<Vec<_>>(), [Some(false), None, Some(true), Some(true)]);
//! assert_eq!(count_cmp(&a, &five, CmpOp::Gt).unwrap(), 2);
//! ```
#![warn(missing_docs)]

pub use llkv_macros::kernel;

pub mod aggregate;
pub mod arith;
pub mod bitmap;
pub mod compare;
pub mod cpu;
pub mod error;
pub mod fused;
pub mod hash;
pub mod native;
pub mod select;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use cpu::CpuLevel;
pub use error::{KernelError, Result};
pub use native::{Native, NativeFloat, NativeInt};

/// An element type with every all-type kernel of this crate: the bound generic code over
/// Arrow primitive types uses. Implemented for all ten [`Native`] types.
pub trait KernelType:
    Native
    + compare::cmp_scalar::Kernel
    + compare::cmp_arrays::Kernel
    + select::filter_words::Kernel
    + select::take_values::Kernel
    + select::take_valid::Kernel
    + arith::arith_arrays::Kernel
    + arith::arith_scalar::Kernel
    + arith::nonzero_words::Kernel
    + aggregate::min_max::Kernel
    + fused::filter_cmp_values::Kernel
    + fused::select_cmp_indices::Kernel
    + fused::count_cmp_values::Kernel
    + hash::hash_values::Kernel
{
}

impl<T> KernelType for T where
    T: Native
        + compare::cmp_scalar::Kernel
        + compare::cmp_arrays::Kernel
        + select::filter_words::Kernel
        + select::take_values::Kernel
        + select::take_valid::Kernel
        + arith::arith_arrays::Kernel
        + arith::arith_scalar::Kernel
        + arith::nonzero_words::Kernel
        + aggregate::min_max::Kernel
        + fused::filter_cmp_values::Kernel
        + fused::select_cmp_indices::Kernel
        + fused::count_cmp_values::Kernel
        + hash::hash_values::Kernel
{
}

/// Matches an Arrow `DataType` once and runs `$body` with `$T` bound to the native type.
macro_rules! dispatch_native {
    ($dt:expr, $T:ident => $body:expr, $other:ident => $fallback:expr) => {
        match $dt {
            arrow::datatypes::DataType::Int8 => {
                type $T = i8;
                $body
            }
            arrow::datatypes::DataType::Int16 => {
                type $T = i16;
                $body
            }
            arrow::datatypes::DataType::Int32 => {
                type $T = i32;
                $body
            }
            arrow::datatypes::DataType::Int64 => {
                type $T = i64;
                $body
            }
            arrow::datatypes::DataType::UInt8 => {
                type $T = u8;
                $body
            }
            arrow::datatypes::DataType::UInt16 => {
                type $T = u16;
                $body
            }
            arrow::datatypes::DataType::UInt32 => {
                type $T = u32;
                $body
            }
            arrow::datatypes::DataType::UInt64 => {
                type $T = u64;
                $body
            }
            arrow::datatypes::DataType::Float32 => {
                type $T = f32;
                $body
            }
            arrow::datatypes::DataType::Float64 => {
                type $T = f64;
                $body
            }
            $other => $fallback,
        }
    };
}
pub(crate) use dispatch_native;

/// `array` as a primitive array of `T`, or a type error naming `kernel`.
pub(crate) fn primitive<'a, T: Native>(
    array: &'a dyn arrow::array::Array,
    kernel: &'static str,
) -> Result<&'a arrow::array::PrimitiveArray<T::Arrow>> {
    use arrow::array::AsArray;
    array
        .as_primitive_opt::<T::Arrow>()
        .ok_or_else(|| KernelError::TypeMismatch {
            kernel,
            left: <T::Arrow as arrow::datatypes::ArrowPrimitiveType>::DATA_TYPE,
            right: array.data_type().clone(),
        })
}

/// Support for code generated by [`macro@kernel`]. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use arrow;

    use arrow::array::{Array, AsArray};
    use arrow::datatypes::ArrowPrimitiveType;

    /// The values buffer of `array`, which must be a `PrimitiveArray<A>`.
    pub fn values<'a, A: ArrowPrimitiveType>(
        array: &'a dyn Array,
        kernel: &'static str,
    ) -> Result<&'a [A::Native], crate::KernelError> {
        match array.as_primitive_opt::<A>() {
            Some(p) if p.data_type() == &A::DATA_TYPE => Ok(p.values()),
            _ => Err(crate::KernelError::TypeMismatch {
                kernel,
                left: A::DATA_TYPE,
                right: array.data_type().clone(),
            }),
        }
    }
}
