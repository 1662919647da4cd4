//! Vectorized expression evaluation: one kernel call per operator per batch.
//!
//! Every operator is applied to whole arrays with Arrow kernels (or a typed loop chosen
//! once per array); literals are passed to comparison and arithmetic kernels as Arrow
//! scalars, so `col > 5` never materializes a column of fives.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Datum, Float64Array, Int64Array, RecordBatch, Scalar,
    StringArray, new_null_array,
};
use arrow::compute::kernels::{boolean, cmp, numeric};
use arrow::compute::{self, CastOptions};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use arrow::error::ArrowError;
use arrow::row::{RowConverter, SortField};
use hashbrown::HashSet;
use llkv_kernels::arith::{ArithOp, ArithOptions, arith_datum};
use llkv_kernels::compare::{CmpOp, compare_datum};
use llkv_traits::{Coercion, DivisionByZero, IntegerOverflow, ScalarValue};

use super::ExecCtx;
use crate::error::{Error, Result};
use crate::functions::format::value_to_text;
use crate::plan::{BinaryOp, Expr, Subquery};

/// An evaluated operand: a whole column, or one value (a length-1 array) standing for
/// every row.
enum Operand {
    Array(ArrayRef),
    Scalar(Scalar<ArrayRef>, ArrayRef),
}

impl Operand {
    fn datum(&self) -> &dyn Datum {
        match self {
            Operand::Array(a) => a,
            Operand::Scalar(s, _) => s,
        }
    }
}

/// `mask` with NULLs read as false.
pub fn null_as_false(mask: &BooleanArray) -> BooleanArray {
    if mask.null_count() == 0 {
        mask.clone()
    } else {
        compute::prep_null_mask_filter(mask)
    }
}

/// Evaluates `expr` over `batch`, giving one value per row.
pub fn evaluate(ctx: &ExecCtx<'_>, expr: &Expr, batch: &RecordBatch) -> Result<ArrayRef> {
    // One level of nesting per call: keep clear of the end of the stack.
    crate::stack::deep(|| evaluate_here(ctx, expr, batch))
}

fn evaluate_here(ctx: &ExecCtx<'_>, expr: &Expr, batch: &RecordBatch) -> Result<ArrayRef> {
    let n = batch.num_rows();
    match expr {
        Expr::Column(i) => Ok(batch.column(*i).clone()),
        Expr::Literal(v) => Ok(v.to_array(n)),
        Expr::Param { index, data_type } => Ok(ctx.param(*index, data_type)?.to_array(n)),
        Expr::Outer { levels, index, .. } => {
            let v = ctx.outer_value(*levels, *index)?;
            Ok(v.to_array(n))
        }
        Expr::Binary(op, l, r) => binary(ctx, *op, l, r, batch),
        Expr::Not(e) => {
            let v = evaluate(ctx, e, batch)?;
            Ok(Arc::new(boolean::not(as_bool(&v)?)?))
        }
        Expr::Negative(e) => {
            let v = evaluate(ctx, e, batch)?;
            match numeric::neg(&v) {
                Ok(r) => Ok(r),
                Err(ArrowError::ArithmeticOverflow(_))
                    if ctx.semantics.overflow == IntegerOverflow::PromoteToFloat =>
                {
                    Ok(numeric::neg(&compute::cast(&v, &DataType::Float64)?)?)
                }
                Err(e) => Err(overflow_error(e)),
            }
        }
        Expr::IsNull(e) => Ok(Arc::new(compute::is_null(&evaluate(ctx, e, batch)?)?)),
        Expr::IsNotNull(e) => Ok(Arc::new(compute::is_not_null(&evaluate(ctx, e, batch)?)?)),
        Expr::Cast(e, t) => cast_value(ctx, &evaluate(ctx, e, batch)?, t),
        Expr::Truthy(e) => truthy(ctx, &evaluate(ctx, e, batch)?),
        Expr::Case {
            operand,
            whens,
            else_expr,
        } => case(ctx, operand.as_deref(), whens, else_expr.as_deref(), batch),
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let v = evaluate(ctx, expr, batch)?;
            let mut acc: Option<BooleanArray> = None;
            for item in list {
                let rhs = operand(ctx, item, batch)?;
                let eq = cmp::eq(&v, rhs.datum())?;
                acc = Some(match acc {
                    None => eq,
                    Some(a) => boolean::or_kleene(&a, &eq)?,
                });
            }
            let acc = acc.unwrap_or_else(|| BooleanArray::from(vec![false; n]));
            Ok(Arc::new(if *negated { boolean::not(&acc)? } else { acc }))
        }
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => {
            let v = evaluate(ctx, expr, batch)?;
            let p = operand(ctx, pattern, batch)?;
            let r = match (*negated, *case_insensitive) {
                (false, false) => compute::like(&v, p.datum())?,
                (true, false) => compute::nlike(&v, p.datum())?,
                (false, true) => compute::ilike(&v, p.datum())?,
                (true, true) => compute::nilike(&v, p.datum())?,
            };
            Ok(Arc::new(r))
        }
        Expr::Func(f, args) => {
            let args = args
                .iter()
                .map(|a| evaluate(ctx, a, batch))
                .collect::<Result<Vec<_>>>()?;
            super::scalar_functions::call(ctx, *f, &args, n)
        }
        Expr::ScalarSubquery(q) => subquery_per_row(
            ctx,
            q,
            batch,
            |ctx, q| {
                let result = ctx.run_subquery(q, Some(1))?;
                match result.first() {
                    Some(col) if !col.is_empty() => {
                        ScalarValue::try_from_array(col, 0).map_err(Error::from)
                    }
                    _ => Ok(ScalarValue::Null),
                }
            },
            &expr_type_hint(q),
        ),
        Expr::Exists(q, negated) => {
            let negated = *negated;
            subquery_per_row(
                ctx,
                q,
                batch,
                move |ctx, q| {
                    let result = ctx.run_subquery(q, Some(1))?;
                    let exists = result.first().is_some_and(|c| !c.is_empty());
                    Ok(ScalarValue::Boolean(Some(exists != negated)))
                },
                &DataType::Boolean,
            )
        }
        Expr::InSubquery(e, q, negated) => in_subquery(ctx, e, q, *negated, batch),
    }
}

fn expr_type_hint(q: &Subquery) -> DataType {
    q.plan
        .schema()
        .fields()
        .first()
        .map(|f| f.data_type().clone())
        .unwrap_or(DataType::Null)
}

/// Runs `one` for the batch: once if the subquery is uncorrelated (cached by the
/// context), otherwise once per row with that row pushed as the outer row.
fn subquery_per_row(
    ctx: &ExecCtx<'_>,
    q: &Arc<Subquery>,
    batch: &RecordBatch,
    one: impl Fn(&ExecCtx<'_>, &Subquery) -> Result<ScalarValue>,
    data_type: &DataType,
) -> Result<ArrayRef> {
    let n = batch.num_rows();
    if !q.correlated {
        let v = one(ctx, q)?;
        let arr = v.to_array(n);
        return cast_if_needed(arr, data_type);
    }
    let mut values = Vec::with_capacity(n);
    for row in 0..n {
        ctx.push_outer(batch.clone(), row);
        let v = one(ctx, q);
        ctx.pop_outer();
        values.push(v?);
    }
    Ok(llkv_traits::aggregate::scalars_to_array(
        &values, data_type,
    )?)
}

fn cast_if_needed(arr: ArrayRef, t: &DataType) -> Result<ArrayRef> {
    if arr.data_type() == t || *t == DataType::Null {
        Ok(arr)
    } else {
        Ok(compute::cast(&arr, t)?)
    }
}

fn in_subquery(
    ctx: &ExecCtx<'_>,
    e: &Expr,
    q: &Arc<Subquery>,
    negated: bool,
    batch: &RecordBatch,
) -> Result<ArrayRef> {
    let v = evaluate(ctx, e, batch)?;
    let n = batch.num_rows();
    let test = |ctx: &ExecCtx<'_>,
                values: &ArrayRef,
                rows: std::ops::Range<usize>|
     -> Result<Vec<Option<bool>>> {
        let result = ctx.run_subquery(q, None)?;
        let set_col = match result.first() {
            Some(c) => cast_if_needed(c.clone(), values.data_type())?,
            None => return Ok(rows.map(|_| Some(negated)).collect()),
        };
        let set_has_null = set_col.null_count() > 0;
        let set_empty = set_col.is_empty();
        let conv = RowConverter::new(vec![SortField::new(values.data_type().clone())])?;
        let set_rows = conv.convert_columns(&[set_col])?;
        let set: HashSet<&[u8]> = set_rows.iter().map(|r| r.data()).collect::<HashSet<_>>();
        let probe = conv.convert_columns(&[values.slice(rows.start, rows.len())])?;
        Ok((0..rows.len())
            .map(|i| {
                let found = if set_empty {
                    Some(false)
                } else if values.is_null(rows.start + i) {
                    None
                } else if set.contains(probe.row(i).data()) {
                    Some(true)
                } else if set_has_null {
                    None
                } else {
                    Some(false)
                };
                found.map(|f| f != negated)
            })
            .collect())
    };
    let out: Vec<Option<bool>> = if !q.correlated {
        test(ctx, &v, 0..n)?
    } else {
        let mut out = Vec::with_capacity(n);
        for row in 0..n {
            ctx.push_outer(batch.clone(), row);
            let r = test(ctx, &v, row..row + 1);
            ctx.pop_outer();
            out.extend(r?);
        }
        out
    };
    Ok(Arc::new(BooleanArray::from(out)))
}

fn operand(ctx: &ExecCtx<'_>, e: &Expr, batch: &RecordBatch) -> Result<Operand> {
    match ctx.constant(e) {
        Some(v) => {
            let a = v.to_array(1);
            Ok(Operand::Scalar(Scalar::new(a.clone()), a))
        }
        None => Ok(Operand::Array(evaluate(ctx, e, batch)?)),
    }
}

fn as_bool(a: &ArrayRef) -> Result<&BooleanArray> {
    a.as_boolean_opt()
        .ok_or_else(|| Error::Type(format!("expected a boolean, found {}", a.data_type())))
}

fn overflow_error(e: ArrowError) -> Error {
    match e {
        ArrowError::ArithmeticOverflow(_) => Error::Execution("integer overflow".into()),
        ArrowError::DivideByZero => Error::Execution("division by zero".into()),
        other => Error::Arrow(other),
    }
}

fn binary(
    ctx: &ExecCtx<'_>,
    op: BinaryOp,
    l: &Expr,
    r: &Expr,
    batch: &RecordBatch,
) -> Result<ArrayRef> {
    let n = batch.num_rows();
    let lo = operand(ctx, l, batch)?;
    let ro = operand(ctx, r, batch)?;
    // Both literal: evaluate on length-1 arrays and broadcast.
    if let (Operand::Scalar(_, a), Operand::Scalar(_, b)) = (&lo, &ro) {
        let one = binary_arrays(
            ctx,
            op,
            &Operand::Array(a.clone()),
            &Operand::Array(b.clone()),
        )?;
        let v = ScalarValue::try_from_array(&one, 0)?;
        return cast_if_needed(v.to_array(n), one.data_type());
    }
    binary_arrays(ctx, op, &lo, &ro)
}

fn operand_type(o: &Operand) -> &DataType {
    match o {
        Operand::Array(a) | Operand::Scalar(_, a) => a.data_type(),
    }
}

fn operand_as(o: &Operand, t: &DataType) -> Result<Operand> {
    Ok(match o {
        Operand::Array(a) => Operand::Array(compute::cast(a, t)?),
        Operand::Scalar(_, a) => {
            let c = compute::cast(a, t)?;
            Operand::Scalar(Scalar::new(c.clone()), c)
        }
    })
}

fn binary_arrays(ctx: &ExecCtx<'_>, op: BinaryOp, lo: &Operand, ro: &Operand) -> Result<ArrayRef> {
    // The binder gives both sides one type; they differ only after an integer overflow
    // was promoted to a real (SQLite), and then both sides compute as reals.
    let (lt, rt) = (operand_type(lo), operand_type(ro));
    if lt != rt
        && lt.is_numeric()
        && rt.is_numeric()
        && !matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Concat)
    {
        let l = operand_as(lo, &DataType::Float64)?;
        let r = operand_as(ro, &DataType::Float64)?;
        return binary_arrays(ctx, op, &l, &r);
    }
    let (l, r) = (lo.datum(), ro.datum());
    let b = |x: BooleanArray| -> Result<ArrayRef> { Ok(Arc::new(x)) };
    match op {
        // Comparisons run on llkv-kernels (stamped out per type and CPU level; other
        // types fall back to Arrow's kernels inside `compare_datum`).
        BinaryOp::Eq => b(compare_datum(l, r, CmpOp::Eq)?),
        BinaryOp::NotEq => b(compare_datum(l, r, CmpOp::NotEq)?),
        BinaryOp::Lt => b(compare_datum(l, r, CmpOp::Lt)?),
        BinaryOp::LtEq => b(compare_datum(l, r, CmpOp::LtEq)?),
        BinaryOp::Gt => b(compare_datum(l, r, CmpOp::Gt)?),
        BinaryOp::GtEq => b(compare_datum(l, r, CmpOp::GtEq)?),
        BinaryOp::IsNotDistinct => b(cmp::not_distinct(l, r)?),
        BinaryOp::IsDistinct => b(cmp::distinct(l, r)?),
        BinaryOp::And | BinaryOp::Or => {
            let la = materialize(lo, ro)?;
            let ra = materialize(ro, lo)?;
            let (la, ra) = (as_bool(&la)?, as_bool(&ra)?);
            b(if op == BinaryOp::And {
                boolean::and_kleene(la, ra)?
            } else {
                boolean::or_kleene(la, ra)?
            })
        }
        BinaryOp::Concat => {
            let la = materialize(lo, ro)?;
            let ra = materialize(ro, lo)?;
            let la = to_text(ctx, &la)?;
            let ra = to_text(ctx, &ra)?;
            Ok(Arc::new(
                compute::kernels::concat_elements::concat_elements_utf8(
                    la.as_string::<i32>(),
                    ra.as_string::<i32>(),
                )?,
            ))
        }
        // The primitive types run on llkv-kernels' checked arithmetic (stamped out per
        // type and CPU level, with the dialect's overflow rule); others (decimals, dates
        // and intervals) on Arrow's kernels below.
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul if kernel_arith_type(lt) => {
            let op = match op {
                BinaryOp::Add => ArithOp::Add,
                BinaryOp::Sub => ArithOp::Sub,
                _ => ArithOp::Mul,
            };
            let opts = ArithOptions::new(ctx.semantics.overflow, DivisionByZero::Null);
            Ok(arith_datum(l, r, op, opts)?)
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => {
            let f = match op {
                BinaryOp::Add => numeric::add,
                BinaryOp::Sub => numeric::sub,
                _ => numeric::mul,
            };
            match f(l, r) {
                Ok(v) => Ok(v),
                Err(ArrowError::ArithmeticOverflow(_))
                    if ctx.semantics.overflow == IntegerOverflow::PromoteToFloat =>
                {
                    let la = compute::cast(&materialize(lo, ro)?, &DataType::Float64)?;
                    let ra = compute::cast(&materialize(ro, lo)?, &DataType::Float64)?;
                    Ok(f(&la, &ra)?)
                }
                Err(e) => Err(overflow_error(e)),
            }
        }
        BinaryOp::Div | BinaryOp::Mod => divide(ctx, op, lo, ro),
    }
}

/// True for the types llkv-kernels' arithmetic takes: the integers and floats.
fn kernel_arith_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
    )
}

/// A scalar operand as a full-length array (the other operand gives the length).
fn materialize(o: &Operand, other: &Operand) -> Result<ArrayRef> {
    match (o, other) {
        (Operand::Array(a), _) => Ok(a.clone()),
        (Operand::Scalar(_, s), Operand::Array(a)) => {
            let v = ScalarValue::try_from_array(s, 0)?;
            cast_if_needed(v.to_array(a.len()), s.data_type())
        }
        (Operand::Scalar(_, s), Operand::Scalar(..)) => Ok(s.clone()),
    }
}

fn divide(ctx: &ExecCtx<'_>, op: BinaryOp, lo: &Operand, ro: &Operand) -> Result<ArrayRef> {
    let la = materialize(lo, ro)?;
    let ra = materialize(ro, lo)?;
    // Zero divisors give NULL (or an error, if the dialect says so).
    let zero = ScalarValue::Int64(Some(0)).to_array(1);
    let zero = compute::cast(&zero, ra.data_type())?;
    let is_zero = cmp::eq(&ra, &Scalar::new(zero))?;
    let has_zero = is_zero.true_count() > 0;
    if has_zero && ctx.semantics.division_by_zero == DivisionByZero::Error {
        return Err(Error::Execution("division by zero".into()));
    }
    let ra = if has_zero {
        compute::nullif(&ra, &is_zero)?
    } else {
        ra
    };
    let f = if op == BinaryOp::Div {
        numeric::div
    } else {
        numeric::rem
    };
    match f(&la, &ra) {
        Ok(v) => Ok(v),
        Err(ArrowError::ArithmeticOverflow(_)) | Err(ArrowError::DivideByZero)
            if ctx.semantics.overflow == IntegerOverflow::PromoteToFloat =>
        {
            let lf = compute::cast(&la, &DataType::Float64)?;
            let rf = compute::cast(&ra, &DataType::Float64)?;
            if op == BinaryOp::Mod {
                // i64::MIN % -1 is 0 in SQLite.
                let r: Float64Array = arrow::compute::binary(
                    lf.as_primitive::<Float64Type>(),
                    rf.as_primitive::<Float64Type>(),
                    |a, b| a % b,
                )?;
                Ok(compute::cast(&(Arc::new(r) as ArrayRef), la.data_type())?)
            } else {
                Ok(numeric::div(&lf, &rf)?)
            }
        }
        Err(e) => Err(overflow_error(e)),
    }
}

/// Text form of any value, the dialect's way.
pub fn to_text(ctx: &ExecCtx<'_>, a: &ArrayRef) -> Result<ArrayRef> {
    match a.data_type() {
        DataType::Utf8 => Ok(a.clone()),
        DataType::Null => Ok(new_null_array(&DataType::Utf8, a.len())),
        DataType::Float32 | DataType::Float64 | DataType::Boolean
            if ctx.semantics.coercion == Coercion::SqliteAffinity =>
        {
            Ok(Arc::new(value_to_text(a.as_ref())?))
        }
        _ => Ok(compute::cast(a, &DataType::Utf8)?),
    }
}

/// A value used as a condition: booleans as they are; numbers are true when non-zero.
pub fn truthy(ctx: &ExecCtx<'_>, a: &ArrayRef) -> Result<ArrayRef> {
    match a.data_type() {
        DataType::Boolean => Ok(a.clone()),
        DataType::Null => Ok(new_null_array(&DataType::Boolean, a.len())),
        DataType::Utf8 => {
            let f = cast_value(ctx, a, &DataType::Float64)?;
            truthy(ctx, &f)
        }
        t if t.is_numeric() => {
            let zero = compute::cast(&ScalarValue::Int64(Some(0)).to_array(1), t)?;
            Ok(Arc::new(cmp::neq(a, &Scalar::new(zero))?))
        }
        other => Err(Error::Type(format!(
            "{other} cannot be used as a condition"
        ))),
    }
}

/// Casts with the dialect's rules: under SQLite affinity text converts to numbers by its
/// longest numeric prefix (`'12abc'` is 12, `'abc'` is 0) and floats print the SQLite way.
pub fn cast_value(ctx: &ExecCtx<'_>, a: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    if a.data_type() == to {
        return Ok(a.clone());
    }
    let sqlite = ctx.semantics.coercion == Coercion::SqliteAffinity;
    match (a.data_type(), to) {
        (DataType::Null, t) => Ok(new_null_array(t, a.len())),
        (DataType::Utf8, t) if sqlite && (t.is_integer() || t.is_floating()) => {
            let s = a.as_string::<i32>();
            if t.is_integer() {
                let v: Int64Array = s.iter().map(|o| o.map(sqlite_text_to_int)).collect();
                Ok(compute::cast(&(Arc::new(v) as ArrayRef), t)?)
            } else {
                let v: Float64Array = s.iter().map(|o| o.map(sqlite_text_to_float)).collect();
                Ok(compute::cast(&(Arc::new(v) as ArrayRef), t)?)
            }
        }
        (DataType::Float32 | DataType::Float64 | DataType::Boolean, DataType::Utf8) if sqlite => {
            Ok(Arc::new(value_to_text(a.as_ref())?))
        }
        (DataType::Float64 | DataType::Float32, t) if t.is_integer() && sqlite => {
            // SQLite truncates toward zero and saturates.
            let f = compute::cast(a, &DataType::Float64)?;
            let v: Int64Array = f
                .as_primitive::<Float64Type>()
                .iter()
                .map(|o| o.map(|x| x as i64))
                .collect();
            Ok(compute::cast(&(Arc::new(v) as ArrayRef), t)?)
        }
        (from, to) => {
            let opts = CastOptions {
                safe: false,
                ..Default::default()
            };
            compute::cast_with_options(a, to, &opts)
                .map_err(|e| Error::Execution(format!("cannot cast {from} to {to}: {e}")))
        }
    }
}

/// The longest numeric prefix of `s` as SQLite reads it for an integer.
pub fn sqlite_text_to_int(s: &str) -> i64 {
    let f = sqlite_text_to_float(s);
    let t = s.trim_start();
    let digits = t
        .strip_prefix(['+', '-'])
        .unwrap_or(t)
        .bytes()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let sign = usize::from(t.starts_with(['+', '-']));
    match t[..sign + digits].parse::<i64>() {
        Ok(v) if !t[sign + digits..].starts_with(['.', 'e', 'E']) => v,
        _ => {
            if f >= i64::MAX as f64 {
                i64::MAX
            } else if f <= i64::MIN as f64 {
                i64::MIN
            } else {
                f as i64
            }
        }
    }
}

/// The longest numeric prefix of `s` as SQLite reads it for a real.
pub fn sqlite_text_to_float(s: &str) -> f64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut has_digits = i > int_start;
    if i < b.len() && b[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > frac_start || has_digits {
            has_digits = true;
            i = j;
        }
    }
    if !has_digits {
        return 0.0;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    t[..i].parse::<f64>().unwrap_or(0.0)
}

fn case(
    ctx: &ExecCtx<'_>,
    operand: Option<&Expr>,
    whens: &[(Expr, Expr)],
    else_expr: Option<&Expr>,
    batch: &RecordBatch,
) -> Result<ArrayRef> {
    let n = batch.num_rows();
    let base = operand.map(|o| evaluate(ctx, o, batch)).transpose()?;
    let mut result = match else_expr {
        Some(e) => evaluate(ctx, e, batch)?,
        None => {
            let t = whens
                .first()
                .map(|(_, t)| evaluate(ctx, t, &batch.slice(0, 0)).map(|a| a.data_type().clone()))
                .transpose()?
                .unwrap_or(DataType::Null);
            new_null_array(&t, n)
        }
    };
    for (w, t) in whens.iter().rev() {
        let cond = evaluate(ctx, w, batch)?;
        let mask = match &base {
            Some(b) => cmp::eq(b, &cond)?,
            None => as_bool(&cond)?.clone(),
        };
        let mask = null_as_false(&mask);
        if mask.true_count() == 0 {
            continue;
        }
        let then = evaluate(ctx, t, batch)?;
        let then = cast_if_needed(then, result.data_type())?;
        let result_cast = cast_if_needed(result, then.data_type())?;
        result = compute::kernels::zip::zip(&mask, &then, &result_cast)?;
    }
    Ok(result)
}

/// The text values of a string array (helper for functions).
pub fn strings(a: &ArrayRef) -> Result<&StringArray> {
    a.as_string_opt::<i32>()
        .ok_or_else(|| Error::Type(format!("expected text, found {}", a.data_type())))
}

/// The i64 values of an Int64 array (helper for functions).
pub fn int64s(a: &ArrayRef) -> Result<&arrow::array::PrimitiveArray<Int64Type>> {
    a.as_primitive_opt::<Int64Type>()
        .ok_or_else(|| Error::Type(format!("expected an integer, found {}", a.data_type())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_numeric_prefixes() {
        assert_eq!(sqlite_text_to_int(" 12abc"), 12);
        assert_eq!(sqlite_text_to_int("abc"), 0);
        assert_eq!(sqlite_text_to_int("-7"), -7);
        assert_eq!(sqlite_text_to_int("1.9"), 1);
        assert_eq!(sqlite_text_to_float("1.5x"), 1.5);
        assert_eq!(sqlite_text_to_float(".5"), 0.5);
        assert_eq!(sqlite_text_to_float("1e3"), 1000.0);
        assert_eq!(sqlite_text_to_float("e3"), 0.0);
    }
}
