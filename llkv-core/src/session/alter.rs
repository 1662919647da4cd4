//! `ALTER TABLE`: add, drop, rename and retype columns, change defaults and `NOT NULL`,
//! rename the table.
//!
//! An `ALTER TABLE` rewrites the table under a new table id: it copies the rows its
//! snapshot sees, converted to the new columns, into new storage, replaces the table's
//! catalog row (and its indexes' rows) and drops the old storage at commit. So it is as
//! transactional as any other change: invisible to other snapshots until commit (they go
//! on reading the old table), undone by `ROLLBACK`, and a failing `ALTER` changes nothing.
//! Concurrency follows first-committer-wins: the `ALTER` fails at commit if another
//! transaction committed row changes to the table after its snapshot, and a transaction
//! that changed rows of the old table fails at commit once the `ALTER` has committed
//! (see `database/schema_changes.rs`). The cost is one copy of the table per statement.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Schema};
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, Expr as SqlExpr, Ident,
    RenameTableNameKind, Statement,
};
use sqlparser::parser::Parser;

use super::{Session, StatementResult, ddl};
use crate::binder::{Binder, Scope, object_name};
use crate::catalog::{ColumnMeta, ObjectKind, TableMeta};
use crate::database::Transaction;
use crate::error::{Error, Result};
use crate::exec::{ExecCtx, eval};
use crate::plan::Expr;

/// Where a column of the rewritten table gets its values.
#[derive(Debug, Clone)]
enum Source {
    /// Column `i` of the old table, unchanged.
    Old(usize),
    /// Column `from` of the old table (or, with `using`, an expression over the old
    /// table's columns), cast to the column's new type.
    Convert {
        from: usize,
        using: Option<Box<SqlExpr>>,
    },
    /// A new column: its `DEFAULT`, or NULL.
    New,
}

/// The table as the statement's operations leave it.
struct Draft {
    meta: TableMeta,
    sources: Vec<Source>,
    indexes: Vec<TableMeta>,
}

impl Draft {
    fn position(&self, name: &Ident) -> Result<usize> {
        self.meta.column_index(&name.value).ok_or_else(|| {
            Error::NoSuchColumn(format!(
                "no such column: {} (in table {})",
                name.value, self.meta.name
            ))
        })
    }

    /// True if a primary key, unique constraint or index uses column `i`.
    fn column_in_key(&self, i: usize) -> bool {
        self.meta.unique_keys().any(|k| k.contains(&i))
    }
}

pub(super) fn alter_table(
    s: &Session,
    t: &mut Transaction,
    stmt: &Statement,
) -> Result<StatementResult> {
    let Statement::AlterTable {
        name,
        if_exists,
        operations,
        ..
    } = stmt
    else {
        return Err(Error::Unsupported("ALTER".into()));
    };
    let table_name = object_name(name)?;
    let old = match ddl::exists(s, t, &table_name)? {
        Some(m) if m.kind == ObjectKind::Table => m,
        Some(m) => {
            return Err(Error::Type(format!(
                "{} is not a table: ALTER TABLE changes tables only",
                m.name
            )));
        }
        None if *if_exists => return Ok(StatementResult::Done("ALTER TABLE")),
        None => return Err(Error::NoSuchTable(table_name)),
    };
    let indexes =
        s.db.catalog_entries(&t.snap)?
            .into_iter()
            .filter(|m| m.kind == ObjectKind::Index && m.on_table == Some(old.id))
            .map(|m| (*m).clone())
            .collect();
    let mut draft = Draft {
        meta: (*old).clone(),
        sources: (0..old.columns.len()).map(Source::Old).collect(),
        indexes,
    };
    for op in operations {
        apply(s, t, &mut draft, op)?;
    }
    rewrite(s, t, &old, draft)?;
    Ok(StatementResult::Done("ALTER TABLE"))
}

/// Applies one operation to the draft (catalog checks only; no data moves yet).
fn apply(s: &Session, t: &Transaction, d: &mut Draft, op: &AlterTableOperation) -> Result<()> {
    let table = d.meta.name.clone();
    match op {
        AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            column_position: None,
            ..
        } => {
            if d.meta.column_index(&column_def.name.value).is_some() {
                if *if_not_exists {
                    return Ok(());
                }
                return Err(Error::AlreadyExists(format!(
                    "column {} in table {table}",
                    column_def.name.value
                )));
            }
            let column = new_column(s, &table, column_def)?;
            d.meta.columns.push(column);
            d.sources.push(Source::New);
        }
        AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            ..
        } => {
            for name in column_names {
                let Some(i) = d.meta.column_index(&name.value) else {
                    if *if_exists {
                        continue;
                    }
                    return Err(Error::NoSuchColumn(format!(
                        "no such column: {} (in table {table})",
                        name.value
                    )));
                };
                if d.column_in_key(i) {
                    return Err(Error::Constraint(format!(
                        "cannot drop column {} of table {table}: a PRIMARY KEY or UNIQUE \
                         constraint depends on it",
                        name.value
                    )));
                }
                if let Some(index) = d.indexes.iter().find(|x| x.primary_key.contains(&i)) {
                    return Err(Error::Constraint(format!(
                        "cannot drop column {} of table {table}: index {} depends on it",
                        name.value, index.name
                    )));
                }
                if d.meta.columns.len() == 1 {
                    return Err(Error::Constraint(format!(
                        "cannot drop column {}: table {table} would have no columns",
                        name.value
                    )));
                }
                d.meta.columns.remove(i);
                d.sources.remove(i);
                let shift = |k: &mut Vec<usize>| {
                    for p in k.iter_mut() {
                        if *p > i {
                            *p -= 1;
                        }
                    }
                };
                shift(&mut d.meta.primary_key);
                d.meta.uniques.iter_mut().for_each(shift);
                for index in &mut d.indexes {
                    shift(&mut index.primary_key);
                    index.uniques.iter_mut().for_each(shift);
                }
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let i = d.position(old_column_name)?;
            if let Some(j) = d.meta.column_index(&new_column_name.value)
                && j != i
            {
                return Err(Error::AlreadyExists(format!(
                    "column {} in table {table}",
                    new_column_name.value
                )));
            }
            d.meta.columns[i].name = new_column_name.value.clone();
        }
        AlterTableOperation::RenameTable { table_name } => {
            let (RenameTableNameKind::To(n) | RenameTableNameKind::As(n)) = table_name;
            let new_name = object_name(n)?;
            if !new_name.eq_ignore_ascii_case(&d.meta.name)
                && ddl::exists(s, t, &new_name)?.is_some()
            {
                return Err(Error::AlreadyExists(format!("table {new_name}")));
            }
            d.meta.name = new_name;
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            let i = d.position(column_name)?;
            match op {
                AlterColumnOperation::SetNotNull => d.meta.columns[i].nullable = false,
                AlterColumnOperation::DropNotNull => {
                    if d.meta.primary_key.contains(&i) {
                        return Err(Error::Constraint(format!(
                            "column {} of table {table} is part of the primary key: it \
                             stays NOT NULL",
                            column_name.value
                        )));
                    }
                    d.meta.columns[i].nullable = true;
                }
                AlterColumnOperation::SetDefault { value } => {
                    check_default(s, value, &d.meta.columns[i].data_type)?;
                    d.meta.columns[i].default = Some(value.to_string());
                }
                AlterColumnOperation::DropDefault => d.meta.columns[i].default = None,
                AlterColumnOperation::SetDataType {
                    data_type, using, ..
                } => {
                    let catalog = s.db.catalog_view(t.snap);
                    let to = Binder::new(&catalog, s.dialect.as_ref()).map_type(data_type)?;
                    let from = match &d.sources[i] {
                        Source::Old(f) | Source::Convert { from: f, .. } => *f,
                        Source::New => {
                            return Err(Error::Unsupported(format!(
                                "changing the type of column {} added by the same statement",
                                column_name.value
                            )));
                        }
                    };
                    d.meta.columns[i].data_type = to;
                    d.sources[i] = Source::Convert {
                        from,
                        using: using.clone().map(Box::new),
                    };
                }
                other => {
                    return Err(Error::Unsupported(format!("ALTER TABLE ... ALTER {other}")));
                }
            }
        }
        other => return Err(Error::Unsupported(format!("ALTER TABLE ... {other}"))),
    }
    Ok(())
}

/// The column an `ADD COLUMN` declares.
fn new_column(s: &Session, table: &str, def: &ColumnDef) -> Result<ColumnMeta> {
    let data_type = s.dialect.map_type(&def.data_type)?;
    let mut column = ColumnMeta {
        name: def.name.value.clone(),
        data_type,
        nullable: true,
        default: None,
    };
    for o in &def.options {
        match &o.option {
            ColumnOption::Null => column.nullable = true,
            ColumnOption::NotNull => column.nullable = false,
            ColumnOption::Default(e) => {
                check_default(s, e, &column.data_type)?;
                column.default = Some(e.to_string());
            }
            other => {
                return Err(Error::Unsupported(format!(
                    "adding column {} to table {table} with constraint {other}",
                    def.name.value
                )));
            }
        }
    }
    Ok(column)
}

/// Binds a `DEFAULT` expression now, so a bad one fails the statement that declares it.
fn check_default(s: &Session, e: &SqlExpr, to: &DataType) -> Result<()> {
    let catalog =
        s.db.catalog_view(crate::txn::Snapshot { read_ts: 0, txn: 0 });
    let (_, ty) = Binder::new(&catalog, s.dialect.as_ref()).bind_scalar(e, &Scope::default())?;
    if ty != *to && !ty.is_null() && !arrow::compute::can_cast_types(&ty, to) {
        return Err(Error::Type(format!(
            "DEFAULT {e} is a {ty}, which does not convert to {to}"
        )));
    }
    Ok(())
}

/// Copies the rows `t` sees into the draft's new storage, then swaps the catalog rows.
fn rewrite(s: &Session, t: &mut Transaction, old: &Arc<TableMeta>, d: Draft) -> Result<()> {
    let Draft {
        mut meta,
        sources,
        indexes,
    } = d;
    let catalog = s.db.catalog_view(t.snap);
    let (_, old_store) = Binder::new(&catalog, s.dialect.as_ref()).table_for_write(
        &sqlparser::ast::ObjectName::from(vec![Ident::new(&old.name)]),
    )?;
    let ctx = ExecCtx::new(t.snap, s.semantics());
    let old_scope = Scope::of_schema(&old.schema(), Some(&old.name));
    // Bind what the new columns compute, once.
    let mut exprs: Vec<Option<Expr>> = Vec::with_capacity(sources.len());
    for (c, src) in meta.columns.iter().zip(&sources) {
        let mut binder = Binder::new(&catalog, s.dialect.as_ref());
        exprs.push(match src {
            Source::Old(_) | Source::Convert { using: None, .. } => None,
            Source::Convert { using: Some(e), .. } => Some(binder.bind_scalar(e, &old_scope)?.0),
            Source::New => match &c.default {
                Some(text) => {
                    let e = Parser::new(s.dialect.parser())
                        .try_with_sql(text)?
                        .parse_expr()?;
                    Some(binder.bind_scalar(&e, &Scope::default())?.0)
                }
                None => None,
            },
        });
    }
    let schema = meta.schema();
    let mut batches = Vec::new();
    for g in old_store.groups() {
        let visible = g.visibility(&t.snap);
        let rows = arrow::compute::filter_record_batch(g.batch(), &visible)?;
        let n = rows.num_rows();
        if n == 0 {
            continue;
        }
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(sources.len());
        for ((c, src), e) in meta.columns.iter().zip(&sources).zip(&exprs) {
            let value = match (src, e) {
                (Source::Old(i), _) => rows.column(*i).clone(),
                (_, Some(e)) => eval::evaluate(&ctx, e, &rows)?,
                (Source::Convert { from, .. }, None) => rows.column(*from).clone(),
                (Source::New, None) => arrow::array::new_null_array(&c.data_type, n),
            };
            columns.push(eval::cast_value(&ctx, &value, &c.data_type)?);
        }
        let batch = RecordBatch::try_new_with_options(
            schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )?;
        for (i, c) in meta.columns.iter().enumerate() {
            if !c.nullable && batch.column(i).null_count() > 0 {
                return Err(Error::Constraint(format!(
                    "NOT NULL constraint failed: {}.{}",
                    meta.name, c.name
                )));
            }
        }
        batches.push(batch);
    }
    // The new table, its rows, then the catalog: the statement's undo entries take all of
    // it back if a later step fails.
    meta.id = s.db.next_table_id();
    meta.sql = create_table_sql(&meta);
    ddl::remove_object(s, t, old)?;
    t.replaced.insert(old.id);
    ddl::add_object(s, t, meta.clone())?;
    let store =
        s.db.table_store(meta.id)
            .ok_or_else(|| Error::Corrupt(format!("storage of table {} is missing", meta.name)))?;
    if !batches.is_empty() {
        let all = arrow::compute::concat_batches(&Arc::new(Schema::clone(&schema)), &batches)?;
        store.append(&all, &t.snap, &mut t.undo);
    }
    let mut keys: Vec<Vec<usize>> = meta.unique_keys().cloned().collect();
    for index in &indexes {
        keys.extend(index.uniques.iter().cloned());
    }
    for key in &keys {
        super::dml::check_existing_unique(t, &meta, &store, key)?;
    }
    for index in indexes {
        if let Some(old_index) =
            s.db.catalog_entries(&t.snap)?
                .into_iter()
                .find(|m| m.id == index.id)
        {
            ddl::remove_object(s, t, &old_index)?;
        }
        let mut index = index;
        index.id = s.db.next_table_id();
        index.on_table = Some(meta.id);
        index.sql = create_index_sql(&index, &meta);
        ddl::add_object(s, t, index)?;
    }
    Ok(())
}

/// The SQL name of a stored type.
fn type_sql(t: &DataType) -> String {
    match t {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float32 => "REAL".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Utf8 => "VARCHAR".into(),
        DataType::Date32 => "DATE".into(),
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        other => other.to_string(),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn column_list(meta: &TableMeta, positions: &[usize]) -> String {
    positions
        .iter()
        .map(|&i| quote(&meta.columns[i].name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `CREATE TABLE` statement that declares `meta` (kept as the table's definition).
pub(super) fn create_table_sql(meta: &TableMeta) -> String {
    let mut parts: Vec<String> = meta
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut s = format!("{} {}", quote(&c.name), type_sql(&c.data_type));
            if !c.nullable && !meta.primary_key.contains(&i) {
                s.push_str(" NOT NULL");
            }
            if let Some(d) = &c.default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            s
        })
        .collect();
    if !meta.primary_key.is_empty() {
        parts.push(format!(
            "PRIMARY KEY ({})",
            column_list(meta, &meta.primary_key)
        ));
    }
    for u in &meta.uniques {
        parts.push(format!("UNIQUE ({})", column_list(meta, u)));
    }
    format!("CREATE TABLE {} ({})", quote(&meta.name), parts.join(", "))
}

/// A `CREATE INDEX` statement for `index` on `table`.
fn create_index_sql(index: &TableMeta, table: &TableMeta) -> String {
    format!(
        "CREATE {}INDEX {} ON {} ({})",
        if index.uniques.is_empty() {
            ""
        } else {
            "UNIQUE "
        },
        quote(&index.name),
        quote(&table.name),
        column_list(table, &index.primary_key)
    )
}
