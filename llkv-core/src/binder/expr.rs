//! Binding expressions: names to positions, types checked, coercions made explicit.

use std::sync::Arc;

use arrow::datatypes::DataType;
use llkv_traits::{Coercion, IntegerDivision, ScalarValue};
use sqlparser::ast::{
    self, BinaryOperator, DuplicateTreatment, FunctionArg, FunctionArgExpr, FunctionArguments,
    UnaryOperator, Value,
};

use super::types::{cast, common_numeric, comparison_type, number_literal};
use super::{Binder, Scope};
use crate::error::{Error, Result};
use crate::plan::{AggregateCall, BinaryOp, Expr, ScalarFunc, Subquery};

/// Aggregation state while binding the select list, `HAVING` and `ORDER BY` of a grouped
/// query: expressions equal to a group key become references to it, aggregate calls are
/// collected, and everything else must be built from those.
#[derive(Debug, Default)]
pub struct AggContext {
    /// The group keys (bound over the input).
    pub groups: Vec<Expr>,
    /// Their types.
    pub group_types: Vec<DataType>,
    /// The aggregate calls found so far.
    pub calls: Vec<AggregateCall>,
}

type Bound = (Expr, DataType);

fn is_aggregate_call(b: &Binder<'_>, e: &ast::Expr) -> bool {
    if let ast::Expr::Function(f) = e {
        let name = super::object_name(&f.name)
            .unwrap_or_default()
            .to_lowercase();
        let name = b
            .dialect
            .function_alias(&name)
            .map(str::to_owned)
            .unwrap_or(name);
        return b.catalog.aggregate(&name).is_some();
    }
    false
}

/// True if the expression contains an aggregate call (not looking into subqueries).
pub fn contains_aggregate(b: &Binder<'_>, e: &ast::Expr) -> bool {
    use ast::Expr as E;
    let any = |v: &[&ast::Expr]| v.iter().any(|x| contains_aggregate(b, x));
    match e {
        E::Function(f) => {
            if is_aggregate_call(b, e) {
                return true;
            }
            match &f.args {
                FunctionArguments::List(list) => list.args.iter().any(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => contains_aggregate(b, x),
                    _ => false,
                }),
                _ => false,
            }
        }
        E::BinaryOp { left, right, .. } => any(&[left, right]),
        E::UnaryOp { expr, .. }
        | E::Nested(expr)
        | E::Cast { expr, .. }
        | E::IsNull(expr)
        | E::IsNotNull(expr)
        | E::IsTrue(expr)
        | E::IsFalse(expr)
        | E::IsNotTrue(expr)
        | E::IsNotFalse(expr)
        | E::InSubquery { expr, .. } => contains_aggregate(b, expr),
        E::IsDistinctFrom(a, c) | E::IsNotDistinctFrom(a, c) => any(&[a, c]),
        E::Between {
            expr, low, high, ..
        } => any(&[expr, low, high]),
        E::InList { expr, list, .. } => {
            contains_aggregate(b, expr) || list.iter().any(|x| contains_aggregate(b, x))
        }
        E::Like { expr, pattern, .. } | E::ILike { expr, pattern, .. } => any(&[expr, pattern]),
        E::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            operand.as_deref().is_some_and(|o| contains_aggregate(b, o))
                || conditions.iter().any(|c| {
                    contains_aggregate(b, &c.condition) || contains_aggregate(b, &c.result)
                })
                || else_result
                    .as_deref()
                    .is_some_and(|x| contains_aggregate(b, x))
        }
        _ => false,
    }
}

impl Binder<'_> {
    /// Binds `e` over `scope`. With an aggregation context, binds over the aggregate's
    /// output (group keys then aggregate values).
    pub(crate) fn bind_expr(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        agg: &mut Option<AggContext>,
    ) -> Result<Bound> {
        // One level of nesting per call: keep clear of the end of the stack.
        crate::stack::deep(|| self.bind_expr_here(e, scope, agg))
    }

    fn bind_expr_here(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        agg: &mut Option<AggContext>,
    ) -> Result<Bound> {
        if let Some(rewritten) = self.dialect.rewrite_expr(e)? {
            return self.bind_expr(&rewritten, scope, agg);
        }
        if agg.is_some() {
            if is_aggregate_call(self, e) {
                return self.bind_aggregate_call(e, scope, agg);
            }
            if !matches!(e, ast::Expr::Value(_))
                && let Ok((bound, t)) = self.bind_expr(e, scope, &mut None)
            {
                let ctx = agg.as_ref().expect("checked is_some above");
                if let Some(k) = ctx.groups.iter().position(|g| self.same_expr(g, &bound)) {
                    return Ok((Expr::Column(k), ctx.group_types[k].clone()));
                }
                if matches!(
                    bound,
                    Expr::Outer { .. } | Expr::Literal(_) | Expr::Param { .. }
                ) {
                    return Ok((bound, t));
                }
                if matches!(
                    e,
                    ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_)
                ) {
                    return self.bare_column(e, bound, t, agg);
                }
            }
        }
        match e {
            ast::Expr::Identifier(i) => self.bind_column(None, i, scope),
            ast::Expr::CompoundIdentifier(parts) => {
                let n = parts.len();
                if n < 2 {
                    return Err(Error::Syntax(format!("invalid name {e}")));
                }
                self.bind_column(Some(&parts[n - 2].value), &parts[n - 1], scope)
            }
            ast::Expr::Value(v) => match self.bind_param(v) {
                Some(p) => Ok(p),
                None => Ok(literal(&v.value)?),
            },
            ast::Expr::TypedString(ast::TypedString {
                data_type, value, ..
            }) => {
                let t = self.map_type(data_type)?;
                self.note_literal_read(value);
                let s = match &value.value {
                    Value::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                };
                Ok((
                    Expr::Cast(
                        Box::new(Expr::Literal(ScalarValue::Utf8(Some(s)))),
                        t.clone(),
                    ),
                    t,
                ))
            }
            ast::Expr::Nested(inner) => self.bind_expr(inner, scope, agg),
            ast::Expr::UnaryOp { op, expr } => self.bind_unary(*op, expr, scope, agg),
            ast::Expr::BinaryOp { left, op, right } => {
                let l = self.bind_expr(left, scope, agg)?;
                let r = self.bind_expr(right, scope, agg)?;
                self.bind_binary(op, l, r)
            }
            ast::Expr::IsNull(x) => {
                let (x, _) = self.bind_expr(x, scope, agg)?;
                Ok((Expr::IsNull(Box::new(x)), DataType::Boolean))
            }
            ast::Expr::IsNotNull(x) => {
                let (x, _) = self.bind_expr(x, scope, agg)?;
                Ok((Expr::IsNotNull(Box::new(x)), DataType::Boolean))
            }
            ast::Expr::IsTrue(x)
            | ast::Expr::IsNotTrue(x)
            | ast::Expr::IsFalse(x)
            | ast::Expr::IsNotFalse(x) => {
                let b = self.bind_condition(x, scope, agg)?;
                let lit = ScalarValue::Boolean(Some(matches!(
                    e,
                    ast::Expr::IsTrue(_) | ast::Expr::IsNotTrue(_)
                )));
                let op = if matches!(e, ast::Expr::IsTrue(_) | ast::Expr::IsFalse(_)) {
                    BinaryOp::IsNotDistinct
                } else {
                    BinaryOp::IsDistinct
                };
                Ok((
                    Expr::Binary(op, Box::new(b), Box::new(Expr::Literal(lit))),
                    DataType::Boolean,
                ))
            }
            ast::Expr::IsDistinctFrom(a, b) | ast::Expr::IsNotDistinctFrom(a, b) => {
                let l = self.bind_expr(a, scope, agg)?;
                let r = self.bind_expr(b, scope, agg)?;
                let op = if matches!(e, ast::Expr::IsDistinctFrom(..)) {
                    BinaryOperator::NotEq
                } else {
                    BinaryOperator::Eq
                };
                let (bound, _) = self.bind_binary(&op, l, r)?;
                let Expr::Binary(_, l, r) = bound else {
                    return Err(Error::Type(format!("cannot compare in {e}")));
                };
                let op = if matches!(e, ast::Expr::IsDistinctFrom(..)) {
                    BinaryOp::IsDistinct
                } else {
                    BinaryOp::IsNotDistinct
                };
                Ok((Expr::Binary(op, l, r), DataType::Boolean))
            }
            ast::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let x = self.bind_expr(expr, scope, agg)?;
                let lo = self.bind_expr(low, scope, agg)?;
                let hi = self.bind_expr(high, scope, agg)?;
                let (ge, _) = self.bind_binary(&BinaryOperator::GtEq, x.clone(), lo)?;
                let (le, _) = self.bind_binary(&BinaryOperator::LtEq, x, hi)?;
                let both = Expr::Binary(BinaryOp::And, Box::new(ge), Box::new(le));
                Ok((
                    if *negated {
                        Expr::Not(Box::new(both))
                    } else {
                        both
                    },
                    DataType::Boolean,
                ))
            }
            ast::Expr::InList {
                expr,
                list,
                negated,
            } => {
                let (x, xt) = self.bind_expr(expr, scope, agg)?;
                let items = list
                    .iter()
                    .map(|i| self.bind_expr(i, scope, agg))
                    .collect::<Result<Vec<_>>>()?;
                let mut t = xt.clone();
                for (_, it) in &items {
                    t = comparison_type(&t, it, self.dialect.coercion())?;
                }
                Ok((
                    Expr::InList {
                        expr: Box::new(cast(x, &xt, &t)),
                        list: items.into_iter().map(|(i, it)| cast(i, &it, &t)).collect(),
                        negated: *negated,
                    },
                    DataType::Boolean,
                ))
            }
            ast::Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let (x, xt) = self.bind_expr(expr, scope, agg)?;
                let sub = self.bind_subquery(subquery, scope)?;
                let st = sub
                    .plan
                    .schema()
                    .fields()
                    .first()
                    .map(|f| f.data_type().clone())
                    .ok_or_else(|| Error::Type("IN subquery returns no column".into()))?;
                if sub.plan.schema().fields().len() != 1 {
                    return Err(Error::Type("IN subquery must return one column".into()));
                }
                let t = comparison_type(&xt, &st, self.dialect.coercion())?;
                Ok((
                    Expr::InSubquery(Box::new(cast(x, &xt, &t)), Arc::new(sub), *negated),
                    DataType::Boolean,
                ))
            }
            ast::Expr::Subquery(q) => {
                let sub = self.bind_subquery(q, scope)?;
                let schema = sub.plan.schema();
                if schema.fields().len() != 1 {
                    return Err(Error::Type("scalar subquery must return one column".into()));
                }
                let t = schema.field(0).data_type().clone();
                Ok((Expr::ScalarSubquery(Arc::new(sub)), t))
            }
            ast::Expr::Exists { subquery, negated } => {
                let sub = self.bind_subquery(subquery, scope)?;
                Ok((Expr::Exists(Arc::new(sub), *negated), DataType::Boolean))
            }
            ast::Expr::Like {
                negated,
                expr,
                pattern,
                escape_char,
                any,
            }
            | ast::Expr::ILike {
                negated,
                expr,
                pattern,
                escape_char,
                any,
            } => {
                if *any || escape_char.is_some() {
                    return Err(Error::Unsupported(format!("{e}")));
                }
                let (x, xt) = self.bind_expr(expr, scope, agg)?;
                let (p, pt) = self.bind_expr(pattern, scope, agg)?;
                let ci = matches!(e, ast::Expr::ILike { .. })
                    || self.dialect.coercion() == Coercion::SqliteAffinity;
                Ok((
                    Expr::Like {
                        expr: Box::new(cast(x, &xt, &DataType::Utf8)),
                        pattern: Box::new(cast(p, &pt, &DataType::Utf8)),
                        negated: *negated,
                        case_insensitive: ci,
                    },
                    DataType::Boolean,
                ))
            }
            ast::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.bind_case(
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                scope,
                agg,
            ),
            ast::Expr::Cast {
                expr, data_type, ..
            } => {
                let (x, xt) = self.bind_expr(expr, scope, agg)?;
                let t = self.map_type(data_type)?;
                Ok((cast(x, &xt, &t), t))
            }
            ast::Expr::Function(f) => self.bind_function(f, e, scope, agg),
            ast::Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                // sqlparser reads SUBSTR/SUBSTRING(...) as its own node.
                let mut args = vec![self.bind_expr(expr, scope, agg)?.0];
                args.push(match substring_from {
                    Some(f) => self.bind_expr(f, scope, agg)?.0,
                    None => Expr::Literal(ScalarValue::Int64(Some(1))),
                });
                if let Some(n) = substring_for {
                    args.push(self.bind_expr(n, scope, agg)?.0);
                }
                Ok((Expr::Func(ScalarFunc::Substr, args), DataType::Utf8))
            }
            ast::Expr::Trim {
                expr,
                trim_where,
                trim_what,
                trim_characters,
            } => {
                // TRIM([BOTH|LEADING|TRAILING] [chars FROM] s) and TRIM(s, chars).
                let func = match trim_where {
                    Some(ast::TrimWhereField::Leading) => ScalarFunc::LTrim,
                    Some(ast::TrimWhereField::Trailing) => ScalarFunc::RTrim,
                    _ => ScalarFunc::Trim,
                };
                let mut args = vec![self.bind_expr(expr, scope, agg)?.0];
                match (trim_what, trim_characters.as_deref()) {
                    (Some(w), _) => args.push(self.bind_expr(w, scope, agg)?.0),
                    (None, Some([c])) => args.push(self.bind_expr(c, scope, agg)?.0),
                    (None, Some(_)) => {
                        return Err(Error::Function(
                            "wrong number of arguments to function trim()".into(),
                        ));
                    }
                    (None, None) => {}
                }
                Ok((Expr::Func(func, args), DataType::Utf8))
            }
            other => Err(Error::Unsupported(format!("expression {other}"))),
        }
    }

    /// A column of a grouped query that is neither grouped nor aggregated: SQLite shows
    /// its value from the group's last row; other dialects reject it.
    fn bare_column(
        &mut self,
        e: &ast::Expr,
        bound: Expr,
        t: DataType,
        agg: &mut Option<AggContext>,
    ) -> Result<Bound> {
        let Some(ctx) = agg.as_mut() else {
            return Err(Error::NoSuchColumn(format!("no such column: {e}")));
        };
        if self.dialect.coercion() != Coercion::SqliteAffinity {
            return Err(Error::NoSuchColumn(format!(
                "column {e} must appear in the GROUP BY clause or be used in an aggregate function"
            )));
        }
        let index = ctx.groups.len() + ctx.calls.len();
        ctx.calls.push(AggregateCall {
            function: Arc::new(crate::functions::aggregates::BareColumn),
            args: vec![bound],
            arg_types: vec![t.clone()],
            distinct: false,
            data_type: t.clone(),
        });
        Ok((Expr::Column(index), t))
    }

    /// Binds a condition: a boolean, or a value made boolean by the dialect's rules.
    pub(crate) fn bind_condition(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        agg: &mut Option<AggContext>,
    ) -> Result<Expr> {
        let (x, t) = self.bind_expr(e, scope, agg)?;
        Ok(to_condition(x, &t))
    }

    fn bind_column(
        &mut self,
        qualifier: Option<&str>,
        name: &ast::Ident,
        scope: &Scope,
    ) -> Result<Bound> {
        if let Some(i) = scope.resolve(qualifier, &name.value)? {
            return Ok((Expr::Column(i), scope.columns[i].data_type.clone()));
        }
        // Enclosing queries, innermost first.
        for depth in (0..self.outer.len()).rev() {
            if let Some(i) = self.outer[depth].resolve(qualifier, &name.value)? {
                let levels = self.outer.len() - depth;
                // Every subquery between here and that scope must run per outer row.
                for c in &mut self.correlated[depth..] {
                    *c = true;
                }
                let t = self.outer[depth].columns[i].data_type.clone();
                return Ok((
                    Expr::Outer {
                        levels,
                        index: i,
                        data_type: t.clone(),
                    },
                    t,
                ));
            }
        }
        if qualifier.is_none() && name.quote_style == Some('"') {
            // SQLite: a double-quoted name that matches no column is a string.
            if self.dialect.coercion() == Coercion::SqliteAffinity {
                return Ok((
                    Expr::Literal(ScalarValue::Utf8(Some(name.value.clone()))),
                    DataType::Utf8,
                ));
            }
        }
        Err(Error::NoSuchColumn(format!(
            "no such column: {}",
            super::display_name(qualifier, &name.value)
        )))
    }

    fn bind_subquery(&mut self, q: &ast::Query, scope: &Scope) -> Result<Subquery> {
        self.outer.push(scope.clone());
        self.correlated.push(false);
        let bound = super::query::bind_query(self, q);
        self.outer.pop();
        let correlated = self.correlated.pop().unwrap_or(false);
        Ok(Subquery {
            plan: bound?.plan,
            correlated,
        })
    }

    fn bind_unary(
        &mut self,
        op: UnaryOperator,
        expr: &ast::Expr,
        scope: &Scope,
        agg: &mut Option<AggContext>,
    ) -> Result<Bound> {
        match op {
            UnaryOperator::Not => {
                let c = self.bind_condition(expr, scope, agg)?;
                Ok((Expr::Not(Box::new(c)), DataType::Boolean))
            }
            UnaryOperator::Minus => {
                // Fold -<number> so that i64::MIN is a literal.
                if let ast::Expr::Value(v) = expr
                    && let Value::Number(n, _) = &v.value
                {
                    self.note_literal_read(v);
                    let lit = number_literal(&format!("-{n}"))?;
                    let t = lit.data_type();
                    return Ok((Expr::Literal(lit), t));
                }
                let (x, t) = self.bind_expr(expr, scope, agg)?;
                let nt = self.arithmetic_operand(&t, &x)?;
                let nt = if nt == DataType::Null {
                    DataType::Int64
                } else {
                    nt
                };
                Ok((Expr::Negative(Box::new(cast(x, &t, &nt))), nt))
            }
            UnaryOperator::Plus => {
                let (x, t) = self.bind_expr(expr, scope, agg)?;
                Ok((x, t))
            }
            other => Err(Error::Unsupported(format!("operator {other}"))),
        }
    }

    pub(crate) fn bind_binary(&mut self, op: &BinaryOperator, l: Bound, r: Bound) -> Result<Bound> {
        let coercion = self.dialect.coercion();
        let (le, lt) = l;
        let (re, rt) = r;
        let cmp = |o| -> Result<Bound> {
            let t = comparison_type(&lt, &rt, coercion)?;
            Ok((
                Expr::Binary(
                    o,
                    Box::new(cast(le.clone(), &lt, &t)),
                    Box::new(cast(re.clone(), &rt, &t)),
                ),
                DataType::Boolean,
            ))
        };
        match op {
            BinaryOperator::Eq => cmp(BinaryOp::Eq),
            BinaryOperator::NotEq => cmp(BinaryOp::NotEq),
            BinaryOperator::Lt => cmp(BinaryOp::Lt),
            BinaryOperator::LtEq => cmp(BinaryOp::LtEq),
            BinaryOperator::Gt => cmp(BinaryOp::Gt),
            BinaryOperator::GtEq => cmp(BinaryOp::GtEq),
            BinaryOperator::And | BinaryOperator::Or => {
                let o = if *op == BinaryOperator::And {
                    BinaryOp::And
                } else {
                    BinaryOp::Or
                };
                Ok((
                    Expr::Binary(
                        o,
                        Box::new(to_condition(le, &lt)),
                        Box::new(to_condition(re, &rt)),
                    ),
                    DataType::Boolean,
                ))
            }
            BinaryOperator::StringConcat => Ok((
                Expr::Binary(BinaryOp::Concat, Box::new(le), Box::new(re)),
                DataType::Utf8,
            )),
            BinaryOperator::Plus
            | BinaryOperator::Minus
            | BinaryOperator::Multiply
            | BinaryOperator::Divide
            | BinaryOperator::Modulo
            | BinaryOperator::DuckIntegerDivide
            | BinaryOperator::MyIntegerDivide => {
                let la = self.arithmetic_operand(&lt, &le)?;
                let ra = self.arithmetic_operand(&rt, &re)?;
                let mut t = match (&la, &ra) {
                    (DataType::Null, DataType::Null) => DataType::Int64,
                    (DataType::Null, x) | (x, DataType::Null) => x.clone(),
                    (a, b) => common_numeric(a, b),
                };
                let o = match op {
                    BinaryOperator::Plus => BinaryOp::Add,
                    BinaryOperator::Minus => BinaryOp::Sub,
                    BinaryOperator::Multiply => BinaryOp::Mul,
                    BinaryOperator::Modulo => BinaryOp::Mod,
                    _ => BinaryOp::Div,
                };
                if matches!(t, DataType::Decimal128(..))
                    && matches!(o, BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod)
                {
                    t = DataType::Float64;
                }
                if *op == BinaryOperator::Divide
                    && t.is_integer()
                    && self.dialect.integer_division() == IntegerDivision::Float
                {
                    t = DataType::Float64;
                }
                Ok((
                    Expr::Binary(o, Box::new(cast(le, &lt, &t)), Box::new(cast(re, &rt, &t))),
                    t,
                ))
            }
            other => Err(Error::Unsupported(format!("operator {other}"))),
        }
    }

    fn bind_case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        scope: &Scope,
        agg: &mut Option<AggContext>,
    ) -> Result<Bound> {
        let coercion = self.dialect.coercion();
        let operand = operand.map(|o| self.bind_expr(o, scope, agg)).transpose()?;
        let mut whens = Vec::new();
        for c in conditions {
            let w = self.bind_expr(&c.condition, scope, agg)?;
            let r = self.bind_expr(&c.result, scope, agg)?;
            // A branch whose condition is a known constant is decided now: SQLite gives the
            // taken branch's value with its own type, which only folding can keep.
            let decided = match &operand {
                Some((o, ot)) => {
                    let t = comparison_type(ot, &w.1, coercion)?;
                    let eq = Expr::Binary(
                        BinaryOp::Eq,
                        Box::new(cast(o.clone(), ot, &t)),
                        Box::new(cast(w.0.clone(), &w.1, &t)),
                    );
                    self.const_eval(&eq)
                }
                None => self.const_eval(&to_condition(w.0.clone(), &w.1)),
            };
            match decided {
                Some(ScalarValue::Boolean(Some(true))) if whens.is_empty() => return Ok(r),
                Some(ScalarValue::Boolean(Some(true))) => {
                    // Taken whenever reached: it is the ELSE of the branches before it.
                    return self.finish_case(operand, whens, Some(r));
                }
                Some(ScalarValue::Boolean(_)) | Some(ScalarValue::Null) => continue,
                _ => whens.push((w, r)),
            }
        }
        let else_b = else_result
            .map(|e| self.bind_expr(e, scope, agg))
            .transpose()?;
        if whens.is_empty() {
            return Ok(else_b.unwrap_or((Expr::Literal(ScalarValue::Null), DataType::Null)));
        }
        self.finish_case(operand, whens, else_b)
    }

    fn finish_case(
        &mut self,
        operand: Option<Bound>,
        whens: Vec<(Bound, Bound)>,
        else_b: Option<Bound>,
    ) -> Result<Bound> {
        let coercion = self.dialect.coercion();
        let mut result_type = DataType::Null;
        let mut op_type = operand.as_ref().map(|(_, t)| t.clone());
        for (w, r) in &whens {
            if let Some(ot) = &op_type {
                op_type = Some(comparison_type(ot, &w.1, coercion)?);
            }
            result_type = merge_type(&result_type, &r.1, coercion);
        }
        if let Some((_, t)) = &else_b {
            result_type = merge_type(&result_type, t, coercion);
        }
        let operand = match (operand, &op_type) {
            (Some((o, t)), Some(ot)) => Some(Box::new(cast(o, &t, ot))),
            _ => None,
        };
        let whens = whens
            .into_iter()
            .map(|((w, wt), (r, rt))| {
                let w = match &op_type {
                    Some(ot) => cast(w, &wt, ot),
                    None => to_condition(w, &wt),
                };
                (w, cast(r, &rt, &result_type))
            })
            .collect();
        let else_expr = else_b.map(|(e, t)| Box::new(cast(e, &t, &result_type)));
        Ok((
            Expr::Case {
                operand,
                whens,
                else_expr,
            },
            result_type,
        ))
    }

    fn function_args<'f>(&self, f: &'f ast::Function) -> Result<(Vec<&'f ast::Expr>, bool, bool)> {
        match &f.args {
            FunctionArguments::None => Ok((Vec::new(), false, false)),
            FunctionArguments::Subquery(_) => Err(Error::Unsupported(format!("{f}"))),
            FunctionArguments::List(list) => {
                let distinct =
                    matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
                let mut star = false;
                let mut args = Vec::new();
                for a in &list.args {
                    match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => args.push(e),
                        FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => star = true,
                        _ => return Err(Error::Unsupported(format!("argument {a} in {f}"))),
                    }
                }
                Ok((args, distinct, star))
            }
        }
    }

    fn bind_aggregate_call(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        agg: &mut Option<AggContext>,
    ) -> Result<Bound> {
        let ast::Expr::Function(f) = e else {
            return Err(Error::Function(format!("{e} is not an aggregate")));
        };
        let name = super::object_name(&f.name)?.to_lowercase();
        let name = self
            .dialect
            .function_alias(&name)
            .map(str::to_owned)
            .unwrap_or(name);
        let function = self
            .catalog
            .aggregate(&name)
            .ok_or_else(|| Error::Function(format!("no such function: {name}")))?;
        let (args, distinct, star) = self.function_args(f)?;
        if distinct && (star || args.len() != 1) {
            return Err(Error::Function(format!(
                "DISTINCT aggregates must have exactly one argument: {name}()"
            )));
        }
        let mut bound = Vec::new();
        let mut types = Vec::new();
        if star {
            if name != "count" || !args.is_empty() {
                return Err(Error::Function(format!("{name}(*) is not allowed")));
            }
            bound.push(Expr::Literal(ScalarValue::Boolean(Some(true))));
            types.push(DataType::Boolean);
        }
        for a in args {
            if contains_aggregate(self, a) {
                return Err(Error::Function(format!(
                    "misuse of aggregate function {name}()"
                )));
            }
            let (x, t) = self.bind_expr(a, scope, &mut None)?;
            bound.push(x);
            types.push(t);
        }
        let data_type = function.return_type(&types)?;
        let ctx = agg
            .as_mut()
            .ok_or_else(|| Error::Function(format!("misuse of aggregate function {name}()")))?;
        let call = AggregateCall {
            function,
            args: bound,
            arg_types: types,
            distinct,
            data_type: data_type.clone(),
        };
        let index = ctx.groups.len() + ctx.calls.len();
        ctx.calls.push(call);
        Ok((Expr::Column(index), data_type))
    }

    fn bind_function(
        &mut self,
        f: &ast::Function,
        e: &ast::Expr,
        scope: &Scope,
        agg: &mut Option<AggContext>,
    ) -> Result<Bound> {
        let name = super::object_name(&f.name)?.to_lowercase();
        let name = self
            .dialect
            .function_alias(&name)
            .map(str::to_owned)
            .unwrap_or(name);
        if self.catalog.aggregate(&name).is_some() {
            // Reached only outside an aggregation context.
            let _ = e;
            return Err(Error::Function(format!(
                "misuse of aggregate function {name}()"
            )));
        }
        let (args, distinct, star) = self.function_args(f)?;
        if distinct || star {
            return Err(Error::Function(format!(
                "{name}() is not an aggregate function"
            )));
        }
        let bound = args
            .iter()
            .map(|a| self.bind_expr(a, scope, agg))
            .collect::<Result<Vec<_>>>()?;
        let arity = |lo: usize, hi: usize| -> Result<()> {
            if bound.len() < lo || bound.len() > hi {
                Err(Error::Function(format!(
                    "wrong number of arguments to function {name}()"
                )))
            } else {
                Ok(())
            }
        };
        let coercion = self.dialect.coercion();
        let (func, t, args): (ScalarFunc, DataType, Vec<Expr>) = match name.as_str() {
            "abs" => {
                arity(1, 1)?;
                let (x, t) = bound.into_iter().next().expect("arity checked");
                let nt = self.arithmetic_operand(&t, &x)?;
                (ScalarFunc::Abs, nt.clone(), vec![cast(x, &t, &nt)])
            }
            "coalesce" | "ifnull" => {
                if name == "ifnull" {
                    arity(2, 2)?;
                } else {
                    arity(1, usize::MAX)?;
                }
                // Arguments that are constant NULLs are skipped, and those after the first
                // constant non-NULL are never reached; a leading constant is the whole
                // answer and keeps its own type (as SQLite's value would).
                let mut kept = Vec::with_capacity(bound.len());
                for (x, xt) in bound {
                    match self.const_eval(&x) {
                        Some(v) if v.is_null() => continue,
                        Some(_) => {
                            kept.push((x, xt));
                            break;
                        }
                        None => kept.push((x, xt)),
                    }
                }
                let mut bound = kept;
                if bound.len() == 1 || bound.is_empty() {
                    return Ok(bound
                        .pop()
                        .unwrap_or((Expr::Literal(ScalarValue::Null), DataType::Null)));
                }
                let mut t = DataType::Null;
                for (_, bt) in &bound {
                    t = merge_type(&t, bt, coercion);
                }
                let args = bound.into_iter().map(|(x, xt)| cast(x, &xt, &t)).collect();
                (ScalarFunc::Coalesce, t, args)
            }
            "nullif" => {
                arity(2, 2)?;
                let mut it = bound.into_iter();
                let (a, at) = it.next().expect("arity checked");
                let (b, bt) = it.next().expect("arity checked");
                let ct = comparison_type(&at, &bt, coercion)?;
                let eq = Expr::Binary(
                    BinaryOp::Eq,
                    Box::new(cast(a.clone(), &at, &ct)),
                    Box::new(cast(b.clone(), &bt, &ct)),
                );
                match self.const_eval(&eq) {
                    Some(ScalarValue::Boolean(Some(true))) => {
                        let null = ScalarValue::null_of(&at).unwrap_or(ScalarValue::Null);
                        return Ok((Expr::Literal(null), at));
                    }
                    Some(_) => return Ok((a, at)),
                    None => {}
                }
                // The result is the first argument with its own type; the comparison is
                // made in the common type.
                let args = vec![a.clone(), cast(a, &at, &ct), cast(b, &bt, &ct)];
                (ScalarFunc::NullIf, at, args)
            }
            other => {
                // Functions whose arguments pass through as bound and whose result type
                // is fixed: (function, result type, fewest and most arguments).
                let (func, t, lo, hi) = match other {
                    "length" | "char_length" | "character_length" => {
                        (ScalarFunc::Length, DataType::Int64, 1, 1)
                    }
                    "upper" | "ucase" => (ScalarFunc::Upper, DataType::Utf8, 1, 1),
                    "lower" | "lcase" => (ScalarFunc::Lower, DataType::Utf8, 1, 1),
                    "substr" | "substring" => (ScalarFunc::Substr, DataType::Utf8, 2, 3),
                    "trim" => (ScalarFunc::Trim, DataType::Utf8, 1, 2),
                    "ltrim" => (ScalarFunc::LTrim, DataType::Utf8, 1, 2),
                    "rtrim" => (ScalarFunc::RTrim, DataType::Utf8, 1, 2),
                    "round" => (ScalarFunc::Round, DataType::Float64, 1, 2),
                    "replace" => (ScalarFunc::Replace, DataType::Utf8, 3, 3),
                    "instr" => (ScalarFunc::Instr, DataType::Int64, 2, 2),
                    "typeof" => (ScalarFunc::TypeOf, DataType::Utf8, 1, 1),
                    "random" => (ScalarFunc::Random, DataType::Int64, 0, 0),
                    _ => return Err(Error::Function(format!("no such function: {name}"))),
                };
                arity(lo, hi)?;
                (func, t, bound.into_iter().map(|(e, _)| e).collect())
            }
        };
        Ok((Expr::Func(func, args), t))
    }
}

/// The type two branches of a CASE (or COALESCE arguments, or UNION columns) share.
pub fn merge_type(a: &DataType, b: &DataType, coercion: Coercion) -> DataType {
    if a == b {
        return a.clone();
    }
    match (a, b) {
        (DataType::Null, x) | (x, DataType::Null) => x.clone(),
        (x, y) if x.is_numeric() && y.is_numeric() => common_numeric(x, y),
        (DataType::Boolean, y) | (y, DataType::Boolean) if y.is_numeric() => {
            common_numeric(&DataType::Int64, y)
        }
        _ => {
            let _ = coercion;
            DataType::Utf8
        }
    }
}

/// Makes a bound value usable as a condition.
pub fn to_condition(e: Expr, t: &DataType) -> Expr {
    match t {
        DataType::Boolean => e,
        DataType::Null => cast(e, t, &DataType::Boolean),
        _ => Expr::Truthy(Box::new(e)),
    }
}

/// A literal's bound form.
pub fn literal(v: &Value) -> Result<Bound> {
    let s = match v {
        Value::Number(n, _) => number_literal(n)?,
        Value::SingleQuotedString(s)
        | Value::DoubleQuotedString(s)
        | Value::TripleSingleQuotedString(s)
        | Value::TripleDoubleQuotedString(s)
        | Value::EscapedStringLiteral(s)
        | Value::NationalStringLiteral(s) => ScalarValue::Utf8(Some(s.clone())),
        Value::Boolean(b) => ScalarValue::Boolean(Some(*b)),
        Value::Null => ScalarValue::Null,
        other => return Err(Error::Unsupported(format!("literal {other}"))),
    };
    let t = s.data_type();
    Ok((Expr::Literal(s), t))
}
