//! Bound expressions and logical plans: what the binder produces and the executor runs.
//!
//! Expressions refer to input columns by position; the binder has already resolved names,
//! checked types and inserted the casts a dialect's coercion rules call for, so the
//! executor never looks at names or guesses types.

mod params;
pub use params::param_value;
pub mod prune;
pub mod pushdown;

use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};
use llkv_traits::{AggregateFunction, ScalarValue};

use crate::catalog::TableMeta;
use crate::storage::TableStore;

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `IS NOT DISTINCT FROM` (SQLite's `IS`)
    IsNotDistinct,
    /// `IS DISTINCT FROM` (SQLite's `IS NOT`)
    IsDistinct,
    /// `AND` (three-valued)
    And,
    /// `OR` (three-valued)
    Or,
    /// `||`
    Concat,
}

impl BinaryOp {
    /// True for the six ordering comparisons.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            Self::Eq | Self::NotEq | Self::Lt | Self::LtEq | Self::Gt | Self::GtEq
        )
    }

    /// The comparison with its operands swapped (`a < b` is `b > a`).
    pub fn swap(self) -> Self {
        match self {
            Self::Lt => Self::Gt,
            Self::LtEq => Self::GtEq,
            Self::Gt => Self::Lt,
            Self::GtEq => Self::LtEq,
            other => other,
        }
    }
}

/// A built-in scalar function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarFunc {
    /// `abs(x)`
    Abs,
    /// `coalesce(x, ...)` / `ifnull(x, y)`
    Coalesce,
    /// `nullif(x, y)`
    NullIf,
    /// `length(s)`
    Length,
    /// `upper(s)`
    Upper,
    /// `lower(s)`
    Lower,
    /// `substr(s, start [, len])`
    Substr,
    /// `trim(s)`
    Trim,
    /// `ltrim(s)`
    LTrim,
    /// `rtrim(s)`
    RTrim,
    /// `round(x [, digits])`
    Round,
    /// `replace(s, from, to)`
    Replace,
    /// `instr(s, needle)`
    Instr,
    /// `typeof(x)`
    TypeOf,
    /// `random()`
    Random,
}

/// A bound expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// The input column at this position.
    Column(usize),
    /// A column of an enclosing query's current row: `levels` scopes out (1 = the
    /// immediately enclosing query), at position `index`.
    Outer {
        /// How many scopes out.
        levels: usize,
        /// The column's position in that scope's row.
        index: usize,
        /// Its type.
        data_type: DataType,
    },
    /// A constant.
    Literal(ScalarValue),
    /// A statement parameter: the `index`-th value given with the statement (a plain
    /// literal of a cached statement shape, or a `?` placeholder). The executor reads its
    /// value from the statement's context ([`crate::exec::ExecCtx::with_params`]).
    Param {
        /// Its position among the statement's parameters.
        index: usize,
        /// The type its values have.
        data_type: DataType,
    },
    /// A binary operation.
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `NOT x` (three-valued).
    Not(Box<Expr>),
    /// `-x`
    Negative(Box<Expr>),
    /// `x IS NULL`
    IsNull(Box<Expr>),
    /// `x IS NOT NULL`
    IsNotNull(Box<Expr>),
    /// A conversion to another type.
    Cast(Box<Expr>, DataType),
    /// A numeric value used as a condition: non-zero is true (SQLite).
    Truthy(Box<Expr>),
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`
    Case {
        /// `CASE x WHEN ...` compares `x` with each `WHEN` value.
        operand: Option<Box<Expr>>,
        /// The branches.
        whens: Vec<(Expr, Expr)>,
        /// The `ELSE` value (NULL if absent).
        else_expr: Option<Box<Expr>>,
    },
    /// `x [NOT] IN (a, b, ...)`
    InList {
        /// The tested value.
        expr: Box<Expr>,
        /// The candidates (already coerced to the tested value's type).
        list: Vec<Expr>,
        /// `NOT IN`
        negated: bool,
    },
    /// `x [NOT] LIKE pattern`
    Like {
        /// The tested string.
        expr: Box<Expr>,
        /// The pattern.
        pattern: Box<Expr>,
        /// `NOT LIKE`
        negated: bool,
        /// ASCII case-insensitive (SQLite's LIKE, `ILIKE`).
        case_insensitive: bool,
    },
    /// A scalar function call.
    Func(ScalarFunc, Vec<Expr>),
    /// A scalar subquery: its first column of its first row, or NULL.
    ScalarSubquery(Arc<Subquery>),
    /// `[NOT] EXISTS (subquery)`
    Exists(Arc<Subquery>, bool),
    /// `x [NOT] IN (subquery)`
    InSubquery(Box<Expr>, Arc<Subquery>, bool),
}

impl Expr {
    /// Splits `a AND b AND c` into its conjuncts, appended to `out` in order.
    pub fn split_conjuncts(self, out: &mut Vec<Expr>) {
        match self {
            Expr::Binary(BinaryOp::And, a, b) => {
                a.split_conjuncts(out);
                b.split_conjuncts(out);
            }
            other => out.push(other),
        }
    }

    /// The conjunction `a AND b AND ...` of `conjuncts`, or `None` if there are none.
    pub fn conjoin(conjuncts: Vec<Expr>) -> Option<Expr> {
        conjuncts
            .into_iter()
            .reduce(|a, b| Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b)))
    }

    /// Calls `f` on this expression and every sub-expression (not into subqueries).
    pub fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Column(_) | Expr::Outer { .. } | Expr::Literal(_) | Expr::Param { .. } => {}
            Expr::ScalarSubquery(_) | Expr::Exists(..) => {}
            Expr::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Not(a)
            | Expr::Negative(a)
            | Expr::IsNull(a)
            | Expr::IsNotNull(a)
            | Expr::Cast(a, _)
            | Expr::Truthy(a) => a.visit(f),
            Expr::Case {
                operand,
                whens,
                else_expr,
            } => {
                if let Some(o) = operand {
                    o.visit(f);
                }
                for (w, t) in whens {
                    w.visit(f);
                    t.visit(f);
                }
                if let Some(e) = else_expr {
                    e.visit(f);
                }
            }
            Expr::InList { expr, list, .. } => {
                expr.visit(f);
                for e in list {
                    e.visit(f);
                }
            }
            Expr::Like { expr, pattern, .. } => {
                expr.visit(f);
                pattern.visit(f);
            }
            Expr::Func(_, args) => {
                for a in args {
                    a.visit(f);
                }
            }
            Expr::InSubquery(e, _, _) => e.visit(f),
        }
    }

    /// The input columns this expression reads.
    pub fn columns(&self) -> Vec<usize> {
        let mut cols = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Column(i) = e {
                cols.push(*i);
            }
        });
        cols.sort_unstable();
        cols.dedup();
        cols
    }

    /// Rewrites every column reference with `f` (not into subqueries).
    pub fn map_columns(&self, f: &dyn Fn(usize) -> usize) -> Expr {
        self.replace_columns(&|i| Expr::Column(f(i)))
    }

    /// Replaces every column reference `i` with the expression `f(i)` (not into
    /// subqueries): for example a projection's expressions, to move a condition below it.
    pub fn replace_columns(&self, f: &dyn Fn(usize) -> Expr) -> Expr {
        let m = |e: &Expr| Box::new(e.replace_columns(f));
        match self {
            Expr::Column(i) => f(*i),
            Expr::Outer { .. } | Expr::Literal(_) | Expr::Param { .. } => self.clone(),
            Expr::ScalarSubquery(_) | Expr::Exists(..) => self.clone(),
            Expr::Binary(op, a, b) => Expr::Binary(*op, m(a), m(b)),
            Expr::Not(a) => Expr::Not(m(a)),
            Expr::Negative(a) => Expr::Negative(m(a)),
            Expr::IsNull(a) => Expr::IsNull(m(a)),
            Expr::IsNotNull(a) => Expr::IsNotNull(m(a)),
            Expr::Truthy(a) => Expr::Truthy(m(a)),
            Expr::Cast(a, t) => Expr::Cast(m(a), t.clone()),
            Expr::Case {
                operand,
                whens,
                else_expr,
            } => Expr::Case {
                operand: operand.as_ref().map(|o| m(o)),
                whens: whens
                    .iter()
                    .map(|(w, t)| (w.replace_columns(f), t.replace_columns(f)))
                    .collect(),
                else_expr: else_expr.as_ref().map(|e| m(e)),
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: m(expr),
                list: list.iter().map(|e| e.replace_columns(f)).collect(),
                negated: *negated,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => Expr::Like {
                expr: m(expr),
                pattern: m(pattern),
                negated: *negated,
                case_insensitive: *case_insensitive,
            },
            Expr::Func(func, args) => {
                Expr::Func(*func, args.iter().map(|a| a.replace_columns(f)).collect())
            }
            Expr::InSubquery(e, q, n) => Expr::InSubquery(m(e), q.clone(), *n),
        }
    }
}

/// A subquery inside an expression.
#[derive(Debug)]
pub struct Subquery {
    /// The plan. Its `Outer` references read the enclosing row.
    pub plan: Plan,
    /// True if the plan reads the enclosing query's row (it must run once per row).
    pub correlated: bool,
}

impl PartialEq for Subquery {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// One aggregate call of an `Aggregate` node.
#[derive(Clone)]
pub struct AggregateCall {
    /// The function.
    pub function: Arc<dyn AggregateFunction>,
    /// Its arguments, over the aggregate's input.
    pub args: Vec<Expr>,
    /// The argument types.
    pub arg_types: Vec<DataType>,
    /// `DISTINCT`
    pub distinct: bool,
    /// The result type.
    pub data_type: DataType,
}

impl std::fmt::Debug for AggregateCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({:?})", self.function.name(), self.args)
    }
}

/// A sort key.
#[derive(Debug, Clone)]
pub struct SortKey {
    /// The value sorted by.
    pub expr: Expr,
    /// Descending.
    pub descending: bool,
    /// NULLs before non-NULLs.
    pub nulls_first: bool,
}

/// Join kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// Rows with a match on both sides.
    Inner,
    /// Every left row, with NULLs where no right row matches.
    Left,
}

/// Set operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    /// `UNION [ALL]`
    Union,
    /// `INTERSECT`
    Intersect,
    /// `EXCEPT`
    Except,
}

/// A logical plan node. Every node knows its output schema.
#[derive(Debug)]
pub enum Plan {
    /// Reads a table: the visible rows of a snapshot, `projection` of its columns, keeping
    /// rows where `filter` (over the projected columns) is true.
    Scan {
        /// The table.
        table: Arc<TableMeta>,
        /// Its rows.
        store: Arc<TableStore>,
        /// Which stored columns, in output order.
        projection: Vec<usize>,
        /// Conjuncts over the projected columns.
        filters: Vec<Expr>,
        /// Projected positions of columns that lead an index (or a key): a filter comparing
        /// one with a constant is answered by binary search instead of a full pass.
        indexed: Vec<usize>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// The integers `start, start + step, ...` up to `end` (exclusive, or inclusive for
    /// `generate_series`), in batches: the `range()` table function.
    Range {
        /// First value.
        start: i64,
        /// Bound.
        end: i64,
        /// Increment (never zero).
        step: i64,
        /// Whether `end` itself is produced.
        inclusive: bool,
        /// Output schema (one Int64 column).
        schema: SchemaRef,
    },
    /// Constant rows (`VALUES`, or one empty row for `SELECT` without `FROM`).
    Values {
        /// One expression list per row.
        rows: Vec<Vec<Expr>>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Keeps rows where the predicate is true.
    Filter {
        /// Input.
        input: Box<Plan>,
        /// Predicate (boolean).
        predicate: Expr,
    },
    /// Computes expressions.
    Project {
        /// Input.
        input: Box<Plan>,
        /// One expression per output column.
        exprs: Vec<Expr>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Groups and aggregates; output = group values then aggregate values.
    Aggregate {
        /// Input.
        input: Box<Plan>,
        /// Group keys.
        group: Vec<Expr>,
        /// Aggregates.
        aggregates: Vec<AggregateCall>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Joins two inputs; output = left columns then right columns.
    Join {
        /// Left input.
        left: Box<Plan>,
        /// Right input.
        right: Box<Plan>,
        /// Inner or left outer.
        kind: JoinKind,
        /// Equality keys: (expression over left, expression over right).
        on: Vec<(Expr, Expr)>,
        /// Remaining condition over the joined row.
        filter: Option<Expr>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Sorts (keeping only the first `fetch` rows if given).
    Sort {
        /// Input.
        input: Box<Plan>,
        /// Keys, most significant first.
        keys: Vec<SortKey>,
        /// Top-K: rows needed after sorting.
        fetch: Option<usize>,
    },
    /// Skips `offset` rows, then passes at most `limit`.
    Limit {
        /// Input.
        input: Box<Plan>,
        /// Rows to pass (all if `None`).
        limit: Option<usize>,
        /// Rows to skip.
        offset: usize,
    },
    /// Removes duplicate rows.
    Distinct {
        /// Input.
        input: Box<Plan>,
    },
    /// `UNION`, `INTERSECT`, `EXCEPT`.
    SetOp {
        /// Left input.
        left: Box<Plan>,
        /// Right input (same column count; types already coerced).
        right: Box<Plan>,
        /// Which operation.
        kind: SetOpKind,
        /// `ALL` (keep duplicates).
        all: bool,
        /// Output schema.
        schema: SchemaRef,
    },
}

impl Plan {
    /// The output schema.
    pub fn schema(&self) -> SchemaRef {
        match self {
            Plan::Scan { schema, .. }
            | Plan::Range { schema, .. }
            | Plan::Values { schema, .. }
            | Plan::Project { schema, .. }
            | Plan::Aggregate { schema, .. }
            | Plan::Join { schema, .. }
            | Plan::SetOp { schema, .. } => schema.clone(),
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input } => input.schema(),
        }
    }

    /// Names the plan's output columns as `names` says (a schema with the same column
    /// types), in the node that makes the output batches: through filters, sorts, limits
    /// and `DISTINCT`, which pass their input's batches on. A query's result then needs
    /// no renaming per run. Nothing changes if the types differ.
    pub fn name_output(&mut self, names: &SchemaRef) {
        let same_types = |s: &SchemaRef| {
            s.fields().len() == names.fields().len()
                && s.fields()
                    .iter()
                    .zip(names.fields())
                    .all(|(a, b)| a.data_type() == b.data_type())
        };
        match self {
            Plan::Scan { schema, .. }
            | Plan::Range { schema, .. }
            | Plan::Values { schema, .. }
            | Plan::Project { schema, .. }
            | Plan::Aggregate { schema, .. }
            | Plan::Join { schema, .. }
            | Plan::SetOp { schema, .. } => {
                if same_types(schema) {
                    *schema = names.clone();
                }
            }
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input } => input.name_output(names),
        }
    }
}
