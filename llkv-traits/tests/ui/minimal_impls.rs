//! The smallest implementations of the four contracts.

use std::collections::HashMap;
use std::sync::Mutex;

use arrow::array::{Array, ArrayRef};
use arrow::buffer::Buffer;
use arrow::datatypes::DataType;
use llkv_traits::*;

#[derive(Default)]
struct TinyPager {
    blobs: Mutex<HashMap<PhysicalKey, BufferBlob>>,
    next: Mutex<PhysicalKey>,
}

impl Pager for TinyPager {
    type Blob = BufferBlob;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<BufferBlob>>, PagerError> {
        let blobs = self.blobs.lock().unwrap();
        Ok(keys.iter().map(|k| blobs.get(k).cloned()).collect())
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError> {
        let mut next = self.next.lock().unwrap();
        let start = (*next).max(pager::RESERVED_KEYS);
        *next = start + count as u64;
        Ok((start..*next).collect())
    }

    fn write_batch(&self, batch: WriteBatch) -> Result<(), PagerError> {
        let mut blobs = self.blobs.lock().unwrap();
        for (k, v) in batch.puts {
            blobs.insert(k, BufferBlob::copy_from(&v));
        }
        for k in batch.frees {
            blobs.remove(&k);
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), PagerError> {
        Ok(())
    }
}

struct NoCodec;

impl ColumnCodec for NoCodec {
    fn name(&self) -> &str {
        "none"
    }
    fn supports(&self, _: &DataType) -> bool {
        false
    }
    fn encode(&self, array: &dyn Array) -> Result<EncodedChunk, CodecError> {
        Err(CodecError::UnsupportedType {
            codec: "none".into(),
            data_type: array.data_type().clone(),
        })
    }
    fn decode(&self, data_type: &DataType, _: Buffer) -> Result<ArrayRef, CodecError> {
        Err(CodecError::UnsupportedType {
            codec: "none".into(),
            data_type: data_type.clone(),
        })
    }
}

#[derive(Default)]
struct CountRows(i64);

impl Accumulator for CountRows {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<(), AggregateError> {
        self.0 += values[0].len() as i64;
        Ok(())
    }
    fn merge_batch(&mut self, _: &[ArrayRef]) -> Result<(), AggregateError> {
        Ok(())
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>, AggregateError> {
        Ok(vec![ScalarValue::Int64(Some(self.0))])
    }
    fn evaluate(&mut self) -> Result<ScalarValue, AggregateError> {
        Ok(ScalarValue::Int64(Some(self.0)))
    }
}

struct CountRowsFn;

impl AggregateFunction for CountRowsFn {
    fn name(&self) -> &str {
        "count_rows"
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType, AggregateError> {
        Ok(DataType::Int64)
    }
    fn state_types(&self, _: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
        Ok(vec![DataType::Int64])
    }
    fn accumulator(&self, _: &[DataType]) -> Result<Box<dyn Accumulator>, AggregateError> {
        Ok(Box::new(CountRows::default()))
    }
}

struct Generic(sqlparser::dialect::GenericDialect);

impl Dialect for Generic {
    fn name(&self) -> &str {
        "generic"
    }
    fn parser(&self) -> &dyn sqlparser::dialect::Dialect {
        &self.0
    }
    fn map_type(&self, t: &sqlparser::ast::DataType) -> Result<DataType, DialectError> {
        Err(DialectError::UnsupportedType(t.to_string()))
    }
    fn nulls_first(&self, descending: bool) -> bool {
        !descending
    }
}

fn main() {
    let pager = TinyPager::default();
    conformance::pager::put_then_get(&pager);
    let _codec: &dyn ColumnCodec = &NoCodec;
    let _f: std::sync::Arc<dyn AggregateFunction> = std::sync::Arc::new(CountRowsFn);
    let _d: &dyn Dialect = &Generic(sqlparser::dialect::GenericDialect {});
}
