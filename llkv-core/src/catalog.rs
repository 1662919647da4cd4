//! The catalog: tables and views, stored as rows of table 0.
//!
//! Because the catalog is an ordinary MVCC table, DDL is transactional: a `CREATE TABLE`
//! inserts a row, a `DROP TABLE` deletes one, and both commit or roll back with the
//! transaction and are invisible to other snapshots until then.

use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use llkv_traits::TableId;

use crate::error::{Error, Result};

/// The catalog's own table id.
pub const CATALOG_TABLE_ID: TableId = 0;

/// What a catalog entry describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A table with stored rows.
    Table,
    /// A view: a stored query.
    View,
    /// An index on a table's columns.
    Index,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMeta {
    /// Its name as declared.
    pub name: String,
    /// Its stored type.
    pub data_type: DataType,
    /// False for `NOT NULL` (and primary-key) columns.
    pub nullable: bool,
    /// The `DEFAULT` expression as SQL text.
    pub default: Option<String>,
}

/// A table or view as the catalog records it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableMeta {
    /// The table id (also the storage id).
    pub id: TableId,
    /// Table or view.
    pub kind: ObjectKind,
    /// Its name as declared.
    pub name: String,
    /// Its columns (for a view: the query's output columns when created).
    pub columns: Vec<ColumnMeta>,
    /// Positions of the primary-key columns (empty if none).
    pub primary_key: Vec<usize>,
    /// Other unique constraints, as column positions.
    pub uniques: Vec<Vec<usize>>,
    /// The statement that created it (for `.schema`, and the query of a view).
    pub sql: String,
    /// For an index: the indexed table's id. (The indexed columns are in `primary_key`,
    /// and `uniques` holds them once more if the index is unique.)
    pub on_table: Option<TableId>,
}

impl TableMeta {
    /// The Arrow schema of the stored columns.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(&c.name, c.data_type.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    /// Every unique key (primary key first).
    pub fn unique_keys(&self) -> impl Iterator<Item = &Vec<usize>> {
        std::iter::once(&self.primary_key)
            .filter(|k| !k.is_empty())
            .chain(self.uniques.iter())
    }

    /// The position of a column, by name (ASCII case-insensitive).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// The schema of table 0.
pub fn catalog_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("kind", DataType::Utf8, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("sql", DataType::Utf8, true),
        Field::new("meta", DataType::Utf8, true),
    ]))
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn encode_positions(p: &[usize]) -> String {
    p.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_positions(s: &str) -> Result<Vec<usize>> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|p| {
            p.parse()
                .map_err(|_| Error::Corrupt(format!("bad column position {p:?} in catalog")))
        })
        .collect()
}

impl TableMeta {
    /// The catalog row describing this object.
    pub fn to_row(&self) -> RecordBatch {
        let mut meta = String::new();
        for c in &self.columns {
            meta.push_str(&format!(
                "col\t{}\t{}\t{}\t{}\n",
                escape(&c.name),
                escape(&c.data_type.to_string()),
                u8::from(c.nullable),
                c.default
                    .as_deref()
                    .map(|d| format!("={}", escape(d)))
                    .unwrap_or_default()
            ));
        }
        meta.push_str(&format!("pk\t{}\n", encode_positions(&self.primary_key)));
        for u in &self.uniques {
            meta.push_str(&format!("unique\t{}\n", encode_positions(u)));
        }
        if let Some(t) = self.on_table {
            meta.push_str(&format!("on\t{t}\n"));
        }
        let kind = match self.kind {
            ObjectKind::Table => "table",
            ObjectKind::View => "view",
            ObjectKind::Index => "index",
        };
        // The schema is fixed and every column has one value: this cannot fail.
        RecordBatch::try_new(
            catalog_schema(),
            vec![
                Arc::new(Int64Array::from(vec![self.id as i64])),
                Arc::new(StringArray::from(vec![kind])),
                Arc::new(StringArray::from(vec![self.name.as_str()])),
                Arc::new(StringArray::from(vec![self.sql.as_str()])),
                Arc::new(StringArray::from(vec![meta])),
            ],
        )
        .expect("catalog row matches the catalog schema")
    }

    /// Reads the object described by row `i` of a catalog batch.
    pub fn from_row(batch: &RecordBatch, i: usize) -> Result<Self> {
        let bad = || Error::Corrupt(format!("catalog row {i} is malformed"));
        if batch.num_columns() != 5 {
            return Err(bad());
        }
        let id = batch
            .column(0)
            .as_primitive_opt::<arrow::datatypes::Int64Type>()
            .ok_or_else(bad)?
            .value(i);
        let text = |c: usize| -> Result<&str> {
            let a = batch.column(c).as_string_opt::<i32>().ok_or_else(bad)?;
            if a.is_null(i) {
                return Err(bad());
            }
            Ok(a.value(i))
        };
        let kind = match text(1)? {
            "table" => ObjectKind::Table,
            "view" => ObjectKind::View,
            "index" => ObjectKind::Index,
            _ => return Err(bad()),
        };
        let mut meta = TableMeta {
            id: u32::try_from(id).map_err(|_| bad())?,
            kind,
            name: text(2)?.to_owned(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            uniques: Vec::new(),
            sql: text(3)?.to_owned(),
            on_table: None,
        };
        for line in text(4)?.lines() {
            let parts: Vec<&str> = line.split('\t').collect();
            match parts.as_slice() {
                ["col", name, ty, nullable, default] => meta.columns.push(ColumnMeta {
                    name: unescape(name),
                    data_type: DataType::from_str(&unescape(ty)).map_err(|_| bad())?,
                    nullable: *nullable == "1",
                    default: default.strip_prefix('=').map(unescape),
                }),
                ["pk", cols] => meta.primary_key = decode_positions(cols)?,
                ["unique", cols] => meta.uniques.push(decode_positions(cols)?),
                ["on", t] => meta.on_table = Some(t.parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_catalog_row() {
        let meta = TableMeta {
            id: 42,
            kind: ObjectKind::Table,
            name: "we\tird\nname".into(),
            columns: vec![
                ColumnMeta {
                    name: "a".into(),
                    data_type: DataType::Int64,
                    nullable: false,
                    default: None,
                },
                ColumnMeta {
                    name: "b\\c".into(),
                    data_type: DataType::Decimal128(10, 2),
                    nullable: true,
                    default: Some("'x\ty'".into()),
                },
            ],
            primary_key: vec![0],
            uniques: vec![vec![1], vec![0, 1]],
            sql: "CREATE TABLE ...".into(),
            on_table: Some(3),
        };
        let row = meta.to_row();
        assert_eq!(TableMeta::from_row(&row, 0).unwrap(), meta);
    }
}
