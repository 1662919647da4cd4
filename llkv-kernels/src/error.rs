//! The kernels' error type.

use arrow::datatypes::DataType;
use arrow::error::ArrowError;

/// Why a kernel refused its input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// The kernel has no version for this Arrow type.
    #[error("kernel {kernel} does not support type {data_type}")]
    UnsupportedType {
        /// The kernel's name.
        kernel: &'static str,
        /// The type it was given.
        data_type: DataType,
    },
    /// Two inputs that must share a type do not.
    #[error("kernel {kernel}: mismatched types {left} and {right}")]
    TypeMismatch {
        /// The kernel's name.
        kernel: &'static str,
        /// The first input's type.
        left: DataType,
        /// The other input's type.
        right: DataType,
    },
    /// Two inputs that must have the same length do not.
    #[error("kernel {kernel}: mismatched lengths {left} and {right}")]
    LengthMismatch {
        /// The kernel's name.
        kernel: &'static str,
        /// The first input's length.
        left: usize,
        /// The other input's length.
        right: usize,
    },
    /// A scalar operand was not an array of length 1.
    #[error("expected a scalar (an array of length 1), found an array of length {len}")]
    NotAScalar {
        /// The operand's length.
        len: usize,
    },
    /// Integer arithmetic overflowed and the policy is [`OverflowPolicy::Error`].
    ///
    /// [`OverflowPolicy::Error`]: crate::arith::OverflowPolicy::Error
    #[error("integer overflow in {op}")]
    Overflow {
        /// The operation (`+`, `-`, `*`, `/`).
        op: &'static str,
    },
    /// A division by zero under [`DivZeroPolicy::Error`].
    ///
    /// [`DivZeroPolicy::Error`]: crate::arith::DivZeroPolicy::Error
    #[error("division by zero")]
    DivisionByZero,
    /// A `take` index past the end of the values.
    #[error("take: index {index} out of bounds for length {len}")]
    IndexOutOfBounds {
        /// The index.
        index: usize,
        /// The values' length.
        len: usize,
    },
    /// An error from an Arrow kernel the function delegated to.
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// Result with [`KernelError`].
pub type Result<T, E = KernelError> = std::result::Result<T, E>;
