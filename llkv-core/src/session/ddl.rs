//! `CREATE [OR REPLACE] TABLE`, `CREATE VIEW`, `CREATE INDEX`, `DROP TABLE|VIEW|INDEX`.

use sqlparser::ast::{
    ColumnOption, CreateIndex, CreateTable, ObjectType, Statement, TableConstraint,
};

use llkv_traits::CatalogObject;

use super::{Session, StatementResult};
use crate::binder::{Binder, object_name};
use crate::catalog::{CATALOG_TABLE_ID, ColumnMeta, ObjectKind, TableMeta};
use crate::database::Transaction;
use crate::error::{Error, Result};
use crate::txn::UndoEntry;

pub(super) fn exists(
    s: &Session,
    t: &Transaction,
    name: &str,
) -> Result<Option<std::sync::Arc<TableMeta>>> {
    Ok(s.db
        .catalog_entries(&t.snap)?
        .into_iter()
        .find(|m| m.name.eq_ignore_ascii_case(name)))
}

/// Inserts a catalog row for `meta` (and creates its storage if it is a table).
pub(super) fn add_object(s: &Session, t: &mut Transaction, meta: TableMeta) -> Result<()> {
    let catalog =
        s.db.table_store(CATALOG_TABLE_ID)
            .ok_or_else(|| Error::Corrupt("the catalog table is missing".into()))?;
    if meta.kind == ObjectKind::Table {
        s.db.create_storage(&meta);
        t.undo.push(UndoEntry::CreateTable(meta.id));
        t.touched.insert(meta.id);
    }
    catalog.append(&meta.to_row(), &t.snap, &mut t.undo);
    t.touched.insert(CATALOG_TABLE_ID);
    Ok(())
}

pub(super) fn create_table(
    s: &Session,
    t: &mut Transaction,
    ct: &CreateTable,
) -> Result<StatementResult> {
    let name = object_name(&ct.name)?;
    if let Some(existing) = exists(s, t, &name)? {
        if ct.if_not_exists {
            return Ok(StatementResult::Done("CREATE TABLE"));
        }
        if !ct.or_replace || existing.kind != ObjectKind::Table {
            return Err(Error::already_exists(CatalogObject::Table, name));
        }
        // CREATE OR REPLACE TABLE: the old table (and its indexes) goes, in the same
        // transaction.
        drop_table(s, t, &existing)?;
    }
    let catalog = s.db.catalog_view(t.snap);
    let binder = Binder::new(&catalog, s.dialect.as_ref());
    if let Some(q) = &ct.query {
        // CREATE TABLE ... AS SELECT
        let mut binder = Binder::new(&catalog, s.dialect.as_ref()).with_order_defaults(s.order);
        let bound = binder.bind_query(q)?;
        let schema = bound.plan.schema();
        let columns = schema
            .fields()
            .iter()
            .zip(&bound.names)
            .map(|(f, n)| ColumnMeta {
                name: n.clone(),
                data_type: if f.data_type().is_null() {
                    arrow::datatypes::DataType::Utf8
                } else {
                    f.data_type().clone()
                },
                nullable: true,
                default: None,
            })
            .collect();
        let meta = TableMeta {
            id: s.db.next_table_id(),
            kind: ObjectKind::Table,
            name: name.clone(),
            columns,
            primary_key: Vec::new(),
            uniques: Vec::new(),
            sql: format!("CREATE TABLE {name} AS {q}"),
            on_table: None,
        };
        add_object(s, t, meta)?;
        let rows = super::dml::insert_query(s, t, &name, &[], q)?;
        let _ = rows;
        return Ok(StatementResult::Done("CREATE TABLE"));
    }
    if ct.columns.is_empty() {
        return Err(Error::Syntax(format!(
            "table {name} must have at least one column"
        )));
    }
    let mut columns: Vec<ColumnMeta> = Vec::with_capacity(ct.columns.len());
    let mut primary_key = Vec::new();
    let mut uniques = Vec::new();
    for (i, c) in ct.columns.iter().enumerate() {
        if columns
            .iter()
            .any(|x| x.name.eq_ignore_ascii_case(&c.name.value))
        {
            return Err(Error::AlreadyExists(format!(
                "column {} in table {name}",
                c.name.value
            )));
        }
        let data_type = binder.map_type(&c.data_type)?;
        let mut meta = ColumnMeta {
            name: c.name.value.clone(),
            data_type,
            nullable: true,
            default: None,
        };
        for o in &c.options {
            match &o.option {
                ColumnOption::Null => meta.nullable = true,
                ColumnOption::NotNull => meta.nullable = false,
                ColumnOption::Default(e) => meta.default = Some(e.to_string()),
                ColumnOption::Unique { is_primary, .. } => {
                    if *is_primary {
                        if !primary_key.is_empty() {
                            return Err(Error::Constraint(format!(
                                "table {name} has more than one primary key"
                            )));
                        }
                        primary_key = vec![i];
                        meta.nullable = false;
                    } else {
                        uniques.push(vec![i]);
                    }
                }
                ColumnOption::Check(_) | ColumnOption::ForeignKey { .. } => {
                    return Err(Error::Unsupported(format!(
                        "column constraint {}",
                        o.option
                    )));
                }
                _ => {}
            }
        }
        columns.push(meta);
    }
    let position = |n: &str| -> Result<usize> {
        columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(n))
            .ok_or_else(|| Error::NoSuchColumn(format!("no such column: {n} (in table {name})")))
    };
    let key_columns = |cols: &[sqlparser::ast::IndexColumn]| -> Result<Vec<usize>> {
        cols.iter()
            .map(|c| match &c.column.expr {
                sqlparser::ast::Expr::Identifier(i) => position(&i.value),
                other => Err(Error::Unsupported(format!("key expression {other}"))),
            })
            .collect()
    };
    for tc in &ct.constraints {
        match tc {
            TableConstraint::PrimaryKey { columns: cols, .. } => {
                if !primary_key.is_empty() {
                    return Err(Error::Constraint(format!(
                        "table {name} has more than one primary key"
                    )));
                }
                primary_key = key_columns(cols)?;
            }
            TableConstraint::Unique { columns: cols, .. } => uniques.push(key_columns(cols)?),
            other => return Err(Error::Unsupported(format!("table constraint {other}"))),
        }
    }
    for &i in &primary_key {
        columns[i].nullable = false;
    }
    let meta = TableMeta {
        id: s.db.next_table_id(),
        kind: ObjectKind::Table,
        name,
        columns,
        primary_key,
        uniques,
        sql: ct.to_string(),
        on_table: None,
    };
    add_object(s, t, meta)?;
    Ok(StatementResult::Done("CREATE TABLE"))
}

pub(super) fn create_view(
    s: &Session,
    t: &mut Transaction,
    stmt: &Statement,
) -> Result<StatementResult> {
    let Statement::CreateView {
        name,
        query,
        columns,
        or_replace,
        if_not_exists,
        materialized,
        ..
    } = stmt
    else {
        return Err(Error::Unsupported("CREATE VIEW".into()));
    };
    if *materialized {
        return Err(Error::Unsupported("materialized views".into()));
    }
    if !columns.is_empty() {
        return Err(Error::Unsupported("view column lists".into()));
    }
    let n = object_name(name)?;
    if let Some(existing) = exists(s, t, &n)? {
        if *if_not_exists {
            return Ok(StatementResult::Done("CREATE VIEW"));
        }
        if !*or_replace || existing.kind != ObjectKind::View {
            return Err(Error::already_exists(CatalogObject::View, n));
        }
        remove_object(s, t, &existing)?;
    }
    let catalog = s.db.catalog_view(t.snap);
    let mut binder = Binder::new(&catalog, s.dialect.as_ref());
    let bound = binder.bind_query(query)?;
    let schema = bound.plan.schema();
    let meta = TableMeta {
        id: s.db.next_table_id(),
        kind: ObjectKind::View,
        name: n,
        columns: schema
            .fields()
            .iter()
            .zip(&bound.names)
            .map(|(f, name)| ColumnMeta {
                name: name.clone(),
                data_type: f.data_type().clone(),
                nullable: true,
                default: None,
            })
            .collect(),
        primary_key: Vec::new(),
        uniques: Vec::new(),
        sql: stmt.to_string(),
        on_table: None,
    };
    add_object(s, t, meta)?;
    Ok(StatementResult::Done("CREATE VIEW"))
}

pub(super) fn remove_object(s: &Session, t: &mut Transaction, meta: &TableMeta) -> Result<()> {
    let catalog =
        s.db.table_store(CATALOG_TABLE_ID)
            .ok_or_else(|| Error::Corrupt("the catalog table is missing".into()))?;
    let (group, row) =
        s.db.catalog_row(&t.snap, meta.id)?
            .ok_or_else(|| Error::NoSuchTable(meta.name.clone()))?;
    catalog.mark_deleted(&group, &[row], &t.snap, &mut t.undo, "the catalog")?;
    t.touched.insert(CATALOG_TABLE_ID);
    if meta.kind == ObjectKind::Table {
        t.dropped.insert(meta.id);
    }
    Ok(())
}

pub(super) fn drop(s: &Session, t: &mut Transaction, stmt: &Statement) -> Result<StatementResult> {
    let Statement::Drop {
        object_type,
        if_exists,
        names,
        ..
    } = stmt
    else {
        return Err(Error::Unsupported("DROP".into()));
    };
    let (kind, verb) = match object_type {
        ObjectType::Table => (ObjectKind::Table, "DROP TABLE"),
        ObjectType::View => (ObjectKind::View, "DROP VIEW"),
        ObjectType::Index => (ObjectKind::Index, "DROP INDEX"),
        other => return Err(Error::Unsupported(format!("DROP {other}"))),
    };
    for n in names {
        let n = object_name(n)?;
        match exists(s, t, &n)? {
            Some(meta) if meta.kind == kind => {
                if kind == ObjectKind::Table {
                    drop_table(s, t, &meta)?;
                } else {
                    remove_object(s, t, &meta)?
                }
            }
            Some(meta) => {
                return Err(Error::Type(format!(
                    "{} is a {}, not a {}",
                    meta.name,
                    if meta.kind == ObjectKind::View {
                        "view"
                    } else {
                        "table"
                    },
                    if kind == ObjectKind::View {
                        "view"
                    } else {
                        "table"
                    }
                )));
            }
            None if *if_exists => {}
            None => {
                return Err(Error::not_found(catalog_object(kind), n));
            }
        }
    }
    Ok(StatementResult::Done(verb))
}

/// Drops a table and its indexes.
fn drop_table(s: &Session, t: &mut Transaction, meta: &TableMeta) -> Result<()> {
    for index in s.db.catalog_entries(&t.snap)? {
        if index.kind == ObjectKind::Index && index.on_table == Some(meta.id) {
            remove_object(s, t, &index)?;
        }
    }
    remove_object(s, t, meta)
}

fn catalog_object(kind: ObjectKind) -> CatalogObject {
    match kind {
        ObjectKind::Table => CatalogObject::Table,
        ObjectKind::View => CatalogObject::View,
        ObjectKind::Index => CatalogObject::Index,
    }
}

pub(super) fn create_index(
    s: &Session,
    t: &mut Transaction,
    ci: &CreateIndex,
) -> Result<StatementResult> {
    if ci.predicate.is_some() || !ci.include.is_empty() || ci.using.is_some() {
        return Err(Error::Unsupported(
            "partial, covering or typed indexes".into(),
        ));
    }
    let name = match &ci.name {
        Some(n) => object_name(n)?,
        None => return Err(Error::Syntax("CREATE INDEX needs a name".into())),
    };
    if exists(s, t, &name)?.is_some() {
        if ci.if_not_exists {
            return Ok(StatementResult::Done("CREATE INDEX"));
        }
        return Err(Error::already_exists(CatalogObject::Index, name));
    }
    let catalog = s.db.catalog_view(t.snap);
    let binder = Binder::new(&catalog, s.dialect.as_ref());
    let (table, store) = binder.table_for_write(&ci.table_name)?;
    let mut columns = Vec::with_capacity(ci.columns.len());
    for c in &ci.columns {
        let sqlparser::ast::Expr::Identifier(ident) = &c.column.expr else {
            return Err(Error::Unsupported(format!(
                "index on expression {}",
                c.column.expr
            )));
        };
        let i = table.column_index(&ident.value).ok_or_else(|| {
            Error::NoSuchColumn(format!(
                "no such column: {} (in table {})",
                ident.value, table.name
            ))
        })?;
        columns.push(i);
    }
    if columns.is_empty() {
        return Err(Error::Syntax(format!("index {name} has no columns")));
    }
    let meta = TableMeta {
        id: s.db.next_table_id(),
        kind: ObjectKind::Index,
        name,
        columns: Vec::new(),
        primary_key: columns.clone(),
        uniques: if ci.unique {
            vec![columns.clone()]
        } else {
            Vec::new()
        },
        sql: ci.to_string(),
        on_table: Some(table.id),
    };
    if ci.unique {
        super::dml::check_existing_unique(t, &table, &store, &columns)?;
    }
    // Build the per-row-group sorted orders now, so the first lookup is fast.
    for g in store.groups() {
        g.sorted_order(columns[0])?;
    }
    add_object(s, t, meta)?;
    Ok(StatementResult::Done("CREATE INDEX"))
}
