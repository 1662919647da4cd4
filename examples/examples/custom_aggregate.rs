//! A user-defined aggregate: `GEOMEAN(x)`, the geometric mean, registered by name and
//! called from SQL like a built-in (GROUP BY runs it through the groups adapter).
//!
//! `cargo run -p llkv-examples --example custom_aggregate`

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use llkv_reference_engine::Engine;
use llkv_traits::{Accumulator, AggregateError, AggregateFunction, ScalarValue};

struct GeoMean;

#[derive(Default)]
struct GeoMeanAcc {
    log_sum: f64,
    count: i64,
}

impl Accumulator for GeoMeanAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<(), AggregateError> {
        let v = cast(&values[0], &DataType::Float64)?;
        for x in v.as_primitive::<Float64Type>().iter().flatten() {
            self.log_sum += x.ln();
            self.count += 1;
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<(), AggregateError> {
        let sums = states[0].as_primitive::<Float64Type>();
        let counts = states[1].as_primitive::<Int64Type>();
        for i in 0..sums.len() {
            self.log_sum += sums.value(i);
            self.count += counts.value(i);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>, AggregateError> {
        Ok(vec![
            ScalarValue::Float64(Some(self.log_sum)),
            ScalarValue::Int64(Some(self.count)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue, AggregateError> {
        Ok(ScalarValue::Float64(
            (self.count > 0).then(|| (self.log_sum / self.count as f64).exp()),
        ))
    }
}

impl AggregateFunction for GeoMean {
    fn name(&self) -> &str {
        "geomean"
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError> {
        match arg_types {
            [t] if t.is_numeric() => Ok(DataType::Float64),
            _ => Err(AggregateError::InvalidArguments {
                function: "geomean".into(),
                arg_types: arg_types.to_vec(),
            }),
        }
    }
    fn state_types(&self, _: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
        Ok(vec![DataType::Float64, DataType::Int64])
    }
    fn accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn Accumulator>, AggregateError> {
        self.return_type(arg_types)?;
        Ok(Box::new(GeoMeanAcc::default()))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::in_memory()?;
    engine.register_aggregate(Arc::new(GeoMean));
    let mut session = engine.session();
    session.execute("CREATE TABLE t (g TEXT, x INTEGER); INSERT INTO t VALUES ('a', 1), ('a', 4), ('b', 2), ('b', 8), ('b', 4)")?;
    let result = session.query("SELECT g, geomean(x) FROM t GROUP BY g ORDER BY g")?;
    println!(
        "{}",
        arrow::util::pretty::pretty_format_batches(&result.batches)?
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    llkv_traits::aggregate_conformance_tests!(
        geomean_kit,
        Arc::new(GeoMean),
        vec![vec![Arc::new(arrow::array::Int64Array::from(vec![
            Some(1),
            None,
            Some(4),
            Some(9)
        ])) as ArrayRef]]
    );
}
