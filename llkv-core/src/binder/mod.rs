//! The binder: turns `sqlparser` syntax trees into typed [`Plan`]s and [`Expr`]s.
//!
//! Names are resolved to column positions, types are checked, and the casts the dialect's
//! coercion rules call for are made explicit, so every user mistake (unknown table or
//! column, ambiguous name, wrong argument types) is reported here with a precise message,
//! before anything runs.

mod expr;
mod params;
mod query;
pub mod types;

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use llkv_traits::{AggregateFunction, CatalogObject, Dialect, NullOrder};
use sqlparser::ast::{ObjectName, ObjectNamePart};

use crate::catalog::TableMeta;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::storage::TableStore;

pub(crate) use expr::merge_type;
pub(crate) use params::Params;
pub use query::BoundQuery;

/// A catalog entry with its storage (`None` for a view).
pub type TableEntry = (Arc<TableMeta>, Option<Arc<TableStore>>);

/// What the binder needs to know about the database.
pub trait CatalogAccess {
    /// A table or view by name, as the statement's snapshot sees it.
    fn table(&self, name: &str) -> Result<Option<TableEntry>>;
    /// An aggregate function by (lower-case) name.
    fn aggregate(&self, name: &str) -> Option<Arc<dyn AggregateFunction>>;
    /// The indexes of a table.
    fn indexes(&self, table: llkv_traits::TableId) -> Result<Vec<Arc<TableMeta>>>;
}

/// One column visible to expressions.
#[derive(Debug, Clone)]
pub struct ScopeColumn {
    /// The table name or alias that qualifies it.
    pub qualifier: Option<String>,
    /// Its name.
    pub name: String,
    /// Its type.
    pub data_type: DataType,
}

/// The columns an expression can refer to, in input order.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The columns.
    pub columns: Vec<ScopeColumn>,
}

impl Scope {
    /// A scope over a plan's output, all columns qualified by `qualifier`.
    pub fn of_schema(schema: &Schema, qualifier: Option<&str>) -> Self {
        Self {
            columns: schema
                .fields()
                .iter()
                .map(|f| ScopeColumn {
                    qualifier: qualifier.map(str::to_owned),
                    name: f.name().clone(),
                    data_type: f.data_type().clone(),
                })
                .collect(),
        }
    }

    /// Both scopes, this one's columns first.
    pub fn join(&self, other: &Scope) -> Scope {
        let mut columns = self.columns.clone();
        columns.extend(other.columns.iter().cloned());
        Scope { columns }
    }

    /// The schema of these columns.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(&c.name, c.data_type.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    /// Finds a column; `Ok(None)` if absent, an error if ambiguous.
    pub fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<Option<usize>> {
        let mut found = None;
        for (i, c) in self.columns.iter().enumerate() {
            if !c.name.eq_ignore_ascii_case(name) {
                continue;
            }
            if let Some(q) = qualifier
                && !c
                    .qualifier
                    .as_deref()
                    .is_some_and(|cq| cq.eq_ignore_ascii_case(q))
            {
                continue;
            }
            if found.is_some() {
                return Err(Error::NoSuchColumn(format!(
                    "ambiguous column name: {}",
                    display_name(qualifier, name)
                )));
            }
            found = Some(i);
        }
        Ok(found)
    }
}

fn display_name(qualifier: Option<&str>, name: &str) -> String {
    match qualifier {
        Some(q) => format!("{q}.{name}"),
        None => name.to_owned(),
    }
}

/// Binds statements for one snapshot and dialect.
pub struct Binder<'a> {
    catalog: &'a dyn CatalogAccess,
    dialect: &'a dyn Dialect,
    /// Enclosing scopes, innermost last (for correlated subqueries).
    outer: Vec<Scope>,
    /// Per enclosing scope: whether the subquery bound inside it reads it.
    correlated: Vec<bool>,
    order: OrderDefaults,
    /// The statement's parameters, when binding a plan to reuse ([`params`]).
    params: Option<Params<'a>>,
}

/// What `ORDER BY` keys that do not say mean: a session's settings over the dialect's
/// rule ([`Dialect::nulls_first`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderDefaults {
    /// Where NULLs sort; `None` asks the dialect.
    pub null_order: Option<NullOrder>,
    /// Whether keys without `ASC`/`DESC` sort descending.
    pub descending: bool,
}

impl<'a> Binder<'a> {
    /// A binder over a catalog view and dialect.
    pub fn new(catalog: &'a dyn CatalogAccess, dialect: &'a dyn Dialect) -> Self {
        Self {
            catalog,
            dialect,
            outer: Vec::new(),
            correlated: Vec::new(),
            order: OrderDefaults::default(),
            params: None,
        }
    }

    /// Binds these value nodes of the statement as parameters (see
    /// [`Binder::params_reusable`]).
    pub(crate) fn with_params(mut self, params: Params<'a>) -> Self {
        self.params = Some(params);
        self
    }

    /// Uses these `ORDER BY` defaults (the dialect's, ascending, without this call).
    pub fn with_order_defaults(mut self, order: OrderDefaults) -> Self {
        self.order = order;
        self
    }

    /// The `ORDER BY` defaults in force.
    pub fn order_defaults(&self) -> OrderDefaults {
        self.order
    }

    /// The dialect.
    pub fn dialect(&self) -> &'a dyn Dialect {
        self.dialect
    }

    /// Binds a query with no enclosing scope.
    pub fn bind_query(&mut self, q: &sqlparser::ast::Query) -> Result<BoundQuery> {
        query::bind_query(self, q)
    }

    /// Binds an expression over `scope` with no aggregates allowed.
    pub fn bind_scalar(
        &mut self,
        e: &sqlparser::ast::Expr,
        scope: &Scope,
    ) -> Result<(crate::plan::Expr, DataType)> {
        self.bind_expr(e, scope, &mut None)
    }

    /// Looks up a table (not a view) by name, with its storage.
    pub fn table_for_write(&self, name: &ObjectName) -> Result<(Arc<TableMeta>, Arc<TableStore>)> {
        let n = object_name(name)?;
        match self.catalog.table(&n)? {
            Some((meta, Some(store))) => Ok((meta, store)),
            Some((_, None)) => Err(Error::Unsupported(format!("cannot modify view {n}"))),
            None => Err(Error::not_found(CatalogObject::Table, n)),
        }
    }

    /// The value of an expression that reads no column, outer row or subquery, computed
    /// now; `None` if it reads any of those or fails (it is then left to run time).
    pub fn const_eval(&self, e: &crate::plan::Expr) -> Option<llkv_traits::ScalarValue> {
        let mut pure = true;
        e.visit(&mut |x| {
            if matches!(
                x,
                crate::plan::Expr::Column(_)
                    | crate::plan::Expr::Outer { .. }
                    | crate::plan::Expr::ScalarSubquery(_)
                    | crate::plan::Expr::Exists(..)
                    | crate::plan::Expr::InSubquery(..)
                    | crate::plan::Expr::Func(crate::plan::ScalarFunc::Random, _)
            ) {
                pure = false;
            }
        });
        if !pure {
            return None;
        }
        let e = &self.with_values(e);
        let ctx = crate::exec::ExecCtx::new(
            crate::txn::Snapshot { read_ts: 0, txn: 0 },
            crate::exec::Semantics {
                overflow: self.dialect.integer_overflow(),
                division_by_zero: self.dialect.division_by_zero(),
                coercion: self.dialect.coercion(),
            },
        );
        let one = arrow::array::RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &arrow::array::RecordBatchOptions::new().with_row_count(Some(1)),
        )
        .ok()?;
        let v = crate::exec::eval::evaluate(&ctx, e, &one).ok()?;
        llkv_traits::ScalarValue::try_from_array(&v, 0).ok()
    }

    /// The Arrow type for a DDL type.
    pub fn map_type(&self, t: &sqlparser::ast::DataType) -> Result<DataType> {
        Ok(self.dialect.map_type(t)?)
    }
}

/// The plain name of an object (the last part; schema qualifiers like `main.` are
/// accepted and ignored).
pub fn object_name(name: &ObjectName) -> Result<String> {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(i)) => Ok(i.value.clone()),
        _ => Err(Error::Syntax(format!("invalid name {name}"))),
    }
}

/// Parses a stored view definition's query.
pub fn view_query(meta: &TableMeta, dialect: &dyn Dialect) -> Result<Box<sqlparser::ast::Query>> {
    let mut stmts = sqlparser::parser::Parser::parse_sql(dialect.parser(), &meta.sql)?;
    match stmts.pop() {
        Some(sqlparser::ast::Statement::CreateView { query, .. }) => Ok(query),
        _ => Err(Error::Corrupt(format!(
            "view {} has a bad definition",
            meta.name
        ))),
    }
}

/// A plan over a query result, for use where a relation is expected.
pub fn output_scope(plan: &Plan, names: &[String], qualifier: Option<&str>) -> Scope {
    let schema = plan.schema();
    Scope {
        columns: schema
            .fields()
            .iter()
            .zip(names)
            .map(|(f, n)| ScopeColumn {
                qualifier: qualifier.map(str::to_owned),
                name: n.clone(),
                data_type: f.data_type().clone(),
            })
            .collect(),
    }
}
