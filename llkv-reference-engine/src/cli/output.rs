//! Printing query results in the shell's output modes.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use arrow::csv::WriterBuilder;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use arrow::util::pretty::pretty_format_batches_with_schema;

use crate::QueryResult;

/// How the shell prints query results (`.mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputMode {
    /// A boxed table with a header (Arrow's pretty printer).
    #[default]
    Table,
    /// Comma-separated values with a header line.
    Csv,
    /// Tab-separated values with a header line.
    Tsv,
    /// One `column = value` line per column, a blank line between rows (like sqlite3).
    Line,
}

impl OutputMode {
    /// The mode's name as `.mode` takes it.
    pub fn name(self) -> &'static str {
        match self {
            OutputMode::Table => "table",
            OutputMode::Csv => "csv",
            OutputMode::Tsv => "tsv",
            OutputMode::Line => "line",
        }
    }
}

impl fmt::Display for OutputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "table" => Ok(OutputMode::Table),
            "csv" => Ok(OutputMode::Csv),
            "tsv" | "tabs" => Ok(OutputMode::Tsv),
            "line" => Ok(OutputMode::Line),
            _ => Err(format!(
                "unknown output mode `{s}` (expected table, csv, tsv or line)"
            )),
        }
    }
}

/// Writes a query result to `out` in `mode`. Errors carry a printable message.
pub fn write_result(
    out: &mut dyn Write,
    mode: OutputMode,
    result: &QueryResult,
) -> Result<(), String> {
    match mode {
        OutputMode::Table => {
            let table = pretty_format_batches_with_schema(result.schema.clone(), &result.batches)
                .map_err(|e| e.to_string())?;
            writeln!(out, "{table}").map_err(|e| e.to_string())
        }
        OutputMode::Csv | OutputMode::Tsv => {
            let delimiter = if mode == OutputMode::Csv { b',' } else { b'\t' };
            let mut writer = WriterBuilder::new()
                .with_header(true)
                .with_delimiter(delimiter)
                .build(&mut *out);
            if result.batches.is_empty() {
                // Still print the header.
                writer
                    .write(&RecordBatch::new_empty(result.schema.clone()))
                    .map_err(|e| e.to_string())?;
            }
            for batch in &result.batches {
                writer.write(batch).map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        OutputMode::Line => write_lines(out, result),
    }
}

fn write_lines(out: &mut dyn Write, result: &QueryResult) -> Result<(), String> {
    let names: Vec<&str> = result
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let options = FormatOptions::default().with_display_error(true);
    let mut first = true;
    for batch in &result.batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        for row in 0..batch.num_rows() {
            if !first {
                writeln!(out).map_err(|e| e.to_string())?;
            }
            first = false;
            for (name, formatter) in names.iter().zip(&formatters) {
                writeln!(out, "{name:>width$} = {}", formatter.value(row))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    fn sample() -> QueryResult {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(StringArray::from(vec![Some("a,b"), None])),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).expect("valid batch");
        QueryResult {
            schema,
            batches: vec![batch],
        }
    }

    fn render(mode: OutputMode, result: &QueryResult) -> String {
        let mut out = Vec::new();
        write_result(&mut out, mode, result).expect("writes");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn modes() {
        let result = sample();
        let table = render(OutputMode::Table, &result);
        assert!(table.contains("| id | name |"), "{table}");
        assert_eq!(render(OutputMode::Csv, &result), "id,name\n1,\"a,b\"\n2,\n");
        assert_eq!(render(OutputMode::Tsv, &result), "id\tname\n1\ta,b\n2\t\n");
        assert_eq!(
            render(OutputMode::Line, &result),
            "  id = 1\nname = a,b\n\n  id = 2\nname = \n"
        );
    }

    #[test]
    fn empty_results_still_have_headers() {
        let mut result = sample();
        result.batches.clear();
        assert_eq!(render(OutputMode::Csv, &result), "id,name\n");
        assert!(render(OutputMode::Table, &result).contains("id"));
        assert_eq!(render(OutputMode::Line, &result), "");
    }

    #[test]
    fn parses_mode_names() {
        assert_eq!("CSV".parse::<OutputMode>(), Ok(OutputMode::Csv));
        assert!("box".parse::<OutputMode>().is_err());
    }
}
