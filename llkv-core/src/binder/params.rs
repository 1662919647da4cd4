//! Binding with parameters: plans that stay right for other values of a statement's
//! literals.
//!
//! The session names some literal nodes of a statement's syntax tree as parameters (the
//! plain literals of a cached statement shape). Where such a node is bound as a value,
//! the binder puts an [`Expr::Param`] of the literal's type in the plan instead of the
//! value, so the plan can run again with other values of those types
//! ([`crate::exec::ExecCtx::with_params`]).
//!
//! That is only sound if nothing else in the plan depends on the values. So every
//! decision the binder makes from a parameter's value goes through this module and marks
//! the binding *value-dependent*: folding a constant expression, reading a `LIMIT`,
//! typing text in arithmetic, reading the literal's syntax directly (a negative number,
//! an `ORDER BY` position, a typed string) or its text (an output column's name). A
//! value-dependent plan, or one where a named node was never bound as a parameter, is
//! still right for the statement at hand, but is not reused.

use std::cell::Cell;
use std::ops::ControlFlow;

use hashbrown::HashMap;
use llkv_traits::ScalarValue;
use sqlparser::ast;

use super::Binder;
use crate::plan::Expr;

/// The parameters of one binding.
#[derive(Debug)]
pub(crate) struct Params<'a> {
    /// Each parameter's value for the statement being bound.
    values: &'a [ScalarValue],
    /// The syntax tree's value nodes that are parameters: node address -> index.
    nodes: HashMap<usize, usize>,
    /// Which parameters were bound as [`Expr::Param`].
    used: Vec<bool>,
    /// Set when a decision read a parameter's value.
    dependent: Cell<bool>,
}

impl<'a> Params<'a> {
    /// Parameters with these values, at the value nodes of `statement` that start where
    /// `slots` says (`(line, column)` -> parameter index). Nodes are told apart by
    /// address, so nodes the binder makes itself (a view's definition, a rewrite) never
    /// pass for parameters: bind `statement` itself, where it is now.
    pub(crate) fn at_slots(
        values: &'a [ScalarValue],
        statement: &ast::Statement,
        slots: &HashMap<(u64, u64), usize>,
    ) -> Self {
        let mut nodes = HashMap::new();
        let _ = ast::visit_expressions(statement, |e: &ast::Expr| {
            if let ast::Expr::Value(v) = e
                && let Some(&i) = slots.get(&(v.span.start.line, v.span.start.column))
            {
                nodes.insert(std::ptr::from_ref(v) as usize, i);
            }
            ControlFlow::<()>::Continue(())
        });
        Self {
            values,
            nodes,
            used: vec![false; values.len()],
            dependent: Cell::new(false),
        }
    }

    fn index_of(&self, v: &ast::ValueWithSpan) -> Option<usize> {
        self.nodes
            .get(&(std::ptr::from_ref(v) as usize))
            .copied()
            .filter(|&i| i < self.values.len())
    }
}

impl Binder<'_> {
    /// The parameter this value node is, bound: its value's type, the value left out.
    pub(super) fn bind_param(
        &mut self,
        v: &ast::ValueWithSpan,
    ) -> Option<(Expr, arrow::datatypes::DataType)> {
        let p = self.params.as_mut()?;
        let index = p.index_of(v)?;
        p.used[index] = true;
        let data_type = p.values[index].data_type();
        Some((
            Expr::Param {
                index,
                data_type: data_type.clone(),
            },
            data_type,
        ))
    }

    /// Notes that the binder reads this value node's syntax rather than binding it.
    pub(super) fn note_literal_read(&self, v: &ast::ValueWithSpan) {
        if let Some(p) = &self.params
            && p.index_of(v).is_some()
        {
            p.dependent.set(true);
        }
    }

    /// Notes that the binder uses the text of `e` (a result column's name, say).
    pub(super) fn note_text_read(&self, e: &ast::Expr) {
        let Some(p) = &self.params else { return };
        if p.dependent.get() {
            return;
        }
        let _ = ast::visit_expressions(e, |x: &ast::Expr| {
            if let ast::Expr::Value(v) = x
                && p.index_of(v).is_some()
            {
                p.dependent.set(true);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
    }

    /// `e` with its parameters replaced by their values, for a decision made now from
    /// them (which makes the binding value-dependent).
    pub(super) fn with_values(&self, e: &Expr) -> Expr {
        match &self.params {
            Some(p) if e.has_params() => {
                p.dependent.set(true);
                // A value always has its parameter's type here (the binder typed the
                // parameter from it), so this cannot fail.
                e.with_params(p.values).unwrap_or_else(|_| e.clone())
            }
            _ => e.clone(),
        }
    }

    /// The type an arithmetic operand takes ([`super::types::arithmetic_operand`]); a
    /// text parameter's type depends on its value.
    pub(super) fn arithmetic_operand(
        &self,
        t: &arrow::datatypes::DataType,
        e: &Expr,
    ) -> crate::error::Result<arrow::datatypes::DataType> {
        let coercion = self.dialect.coercion();
        if *t == arrow::datatypes::DataType::Utf8 {
            return super::types::arithmetic_operand(t, &self.with_values(e), coercion);
        }
        super::types::arithmetic_operand(t, e, coercion)
    }

    /// True if `a` and `b` are the same expression, for the statement's parameter
    /// values. Unless they are equal as bound, that depends on the values.
    pub(super) fn same_expr(&self, a: &Expr, b: &Expr) -> bool {
        if a == b {
            return true;
        }
        if !(a.has_params() || b.has_params()) {
            return false;
        }
        self.with_values(a) == self.with_values(b)
    }

    /// True if the plan bound so far may be run again with other values of the
    /// parameters (of the same types): every parameter was bound as one and no decision
    /// read a value. False without parameters.
    pub fn params_reusable(&self) -> bool {
        self.params
            .as_ref()
            .is_some_and(|p| !p.dependent.get() && p.used.iter().all(|&u| u))
    }
}
