//! Identifiers shared by the storage layers.
//!
//! A [`LogicalFieldId`] names one column of one table in one namespace, packed into a `u64`:
//! 8 bits of namespace, 32 bits of table id and 24 bits of field id. That leaves room for
//! four billion tables of sixteen million columns each.

use std::fmt;

/// A table's id. Table 0 is the catalog.
pub type TableId = u32;

/// A column's id within its table.
pub type FieldId = u32;

/// The namespace a logical field lives in: user data, MVCC metadata or internal columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Namespace {
    /// Columns a user declared.
    UserData = 0,
    /// MVCC metadata: `created_by` and `deleted_by` transaction ids.
    Mvcc = 1,
    /// Internal columns (for example index pages).
    Internal = 2,
}

impl Namespace {
    fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::UserData),
            1 => Some(Self::Mvcc),
            2 => Some(Self::Internal),
            _ => None,
        }
    }
}

/// The largest field id that fits in a [`LogicalFieldId`].
pub const MAX_FIELD_ID: FieldId = (1 << 24) - 1;

/// (namespace, table, field) packed into a `u64`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogicalFieldId(u64);

impl LogicalFieldId {
    /// Packs the three parts. Returns `None` if `field` exceeds [`MAX_FIELD_ID`].
    pub fn new(namespace: Namespace, table: TableId, field: FieldId) -> Option<Self> {
        if field > MAX_FIELD_ID {
            return None;
        }
        Some(Self(
            ((namespace as u64) << 56) | ((table as u64) << 24) | field as u64,
        ))
    }

    /// The packed form.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Unpacks a packed id; `None` if the namespace byte is unknown.
    pub fn from_u64(v: u64) -> Option<Self> {
        Namespace::from_u8((v >> 56) as u8).map(|_| Self(v))
    }

    /// The namespace part.
    pub fn namespace(self) -> Namespace {
        // The constructors only admit known namespaces.
        Namespace::from_u8((self.0 >> 56) as u8).unwrap_or(Namespace::Internal)
    }

    /// The table part.
    pub fn table(self) -> TableId {
        ((self.0 >> 24) & 0xFFFF_FFFF) as TableId
    }

    /// The field part.
    pub fn field(self) -> FieldId {
        (self.0 & MAX_FIELD_ID as u64) as FieldId
    }
}

impl fmt::Debug for LogicalFieldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LogicalFieldId({:?}, table {}, field {})",
            self.namespace(),
            self.table(),
            self.field()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks() {
        let id = LogicalFieldId::new(Namespace::Mvcc, 4_000_000_000, MAX_FIELD_ID).unwrap();
        assert_eq!(id.namespace(), Namespace::Mvcc);
        assert_eq!(id.table(), 4_000_000_000);
        assert_eq!(id.field(), MAX_FIELD_ID);
        assert_eq!(LogicalFieldId::from_u64(id.as_u64()), Some(id));
        assert!(LogicalFieldId::new(Namespace::UserData, 1, MAX_FIELD_ID + 1).is_none());
        assert!(LogicalFieldId::from_u64(0xFF << 56).is_none());
    }
}
