//! The contracts of LLKV.
//!
//! LLKV is assembled from four small traits, each of which a library author can implement
//! to build their own engine without forking ours:
//!
//! - [`Pager`]: a key-value store of immutable blobs with atomic write batches
//!   ([`pager`]);
//! - [`ColumnCodec`]: turns one Arrow array into bytes and back, and produces the chunk
//!   statistics the planner prunes with ([`codec`]);
//! - [`Accumulator`], [`GroupsAccumulator`] and [`AggregateFunction`]: aggregate state,
//!   one group at a time or many at once ([`aggregate`]);
//! - [`Dialect`]: a SQL flavour, a `sqlparser` dialect plus semantics ([`dialect`]).
//!
//! Each contract ships a conformance kit in [`conformance`]: generic checks that any
//! implementation runs from its own tests.

#![warn(missing_docs)]

pub mod aggregate;
pub mod codec;
pub mod conformance;
pub mod diagnostic;
pub mod dialect;
pub mod ids;
pub mod pager;
pub mod scalar;

/// The `arrow` version the contracts are written against (use it to avoid version skew).
pub use arrow;
/// The `sqlparser` version [`Dialect`] delegates to.
pub use sqlparser;

pub use aggregate::{
    Accumulator, AggregateError, AggregateFunction, GroupsAccumulator, GroupsAccumulatorAdapter,
};
pub use codec::{ChunkStats, CodecError, ColumnCodec, EncodedChunk};
pub use diagnostic::{
    CatalogError, CatalogObject, CatalogProblem, ConstraintKind, ConstraintViolation, ErrorDetail,
    TransactionAborted,
};
pub use dialect::{
    Coercion, Dialect, DialectError, DivisionByZero, ErrorInTransaction, IntegerDivision,
    IntegerOverflow, NullOrder, SessionSetting, StatementHook,
};
pub use ids::{FieldId, LogicalFieldId, Namespace, TableId};
pub use pager::{BufferBlob, Pager, PagerBlob, PagerError, PhysicalKey, WriteBatch};
pub use scalar::ScalarValue;
