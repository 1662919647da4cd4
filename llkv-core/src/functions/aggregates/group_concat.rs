//! `GROUP_CONCAT` and `STRING_AGG`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringArray, StringBuilder};
use arrow::datatypes::DataType;
use hashbrown::HashMap;
use llkv_traits::{Accumulator, AggregateError, AggregateFunction, GroupsAccumulator};

use super::groups::{
    GroupIds, GroupStates, Wrap, WrapMany, WrapOne, for_each_valid, input, invalid_arguments,
    unexpected_type,
};
use crate::functions::format::{can_convert_to_text, value_to_text};

/// The separator of the one-argument form.
const DEFAULT_SEPARATOR: &str = ",";

/// `GROUP_CONCAT(x [, sep])` and `STRING_AGG(x, sep)`: the non-NULL `x` as text, in input
/// order, joined by `sep`; `Utf8`, NULL when there are none.
///
/// As in SQLite, each value after the first is preceded by the separator of its own row
/// (in practice the separator is a constant); a NULL separator adds nothing; the default
/// separator is `","`. Values that are not text are converted with
/// [`value_to_text`](crate::functions::format::value_to_text) (integers in decimal, floats
/// as SQLite's `%!.15g`, booleans as `1`/`0`, dates as `YYYY-MM-DD`).
///
/// `group_concat` takes one or two arguments; `string_agg` requires the separator.
///
/// State: `[Utf8 text, Utf8 first_separator]`: the joined text so far (NULL while no value
/// was seen) and the separator of the row of its first value, which is what goes between
/// this text and an earlier one when states are merged.
#[derive(Debug, Clone, Copy)]
pub struct GroupConcat {
    name: &'static str,
    separator_required: bool,
}

impl GroupConcat {
    /// `group_concat(x [, sep])`.
    pub const GROUP_CONCAT: Self = Self {
        name: "group_concat",
        separator_required: false,
    };

    /// `string_agg(x, sep)`.
    pub const STRING_AGG: Self = Self {
        name: "string_agg",
        separator_required: true,
    };

    fn check(&self, arg_types: &[DataType]) -> Result<(), AggregateError> {
        let arity_ok = match arg_types.len() {
            1 => !self.separator_required,
            2 => true,
            _ => false,
        };
        if arity_ok && arg_types.iter().all(can_convert_to_text) {
            Ok(())
        } else {
            Err(invalid_arguments(self.name, arg_types))
        }
    }

    fn build<W: Wrap>(&self, arg_types: &[DataType], wrap: W) -> Result<W::Out, AggregateError> {
        self.check(arg_types)?;
        Ok(wrap.wrap(self.name, ConcatStates::new(self.name)))
    }
}

impl AggregateFunction for GroupConcat {
    fn name(&self) -> &str {
        self.name
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType, AggregateError> {
        self.check(arg_types)?;
        Ok(DataType::Utf8)
    }

    fn state_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>, AggregateError> {
        self.check(arg_types)?;
        Ok(vec![DataType::Utf8, DataType::Utf8])
    }

    fn accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn Accumulator>, AggregateError> {
        self.build(arg_types, WrapOne)
    }

    fn groups_accumulator(
        &self,
        arg_types: &[DataType],
    ) -> Result<Option<Box<dyn GroupsAccumulator>>, AggregateError> {
        self.build(arg_types, WrapMany).map(Some)
    }
}

/// The distinct separators seen, so a group stores a small index instead of a string.
#[derive(Default)]
struct Separators {
    list: Vec<String>,
    index: HashMap<String, u32>,
}

impl Separators {
    fn id(&mut self, sep: &str) -> u32 {
        // The separator is nearly always one constant: check the latest first.
        if let Some(last) = self.list.last()
            && last == sep
        {
            return (self.list.len() - 1) as u32;
        }
        if let Some(&id) = self.index.get(sep) {
            return id;
        }
        let id = self.list.len() as u32;
        self.list.push(sep.to_owned());
        self.index.insert(sep.to_owned(), id);
        id
    }

    fn get(&self, id: u32) -> &str {
        self.list.get(id as usize).map_or("", String::as_str)
    }
}

/// Per group: the text so far, whether a value was seen, the first value's separator.
struct ConcatStates {
    name: &'static str,
    texts: Vec<String>,
    seen: Vec<bool>,
    first_separator: Vec<u32>,
    separators: Separators,
}

impl ConcatStates {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            texts: Vec::new(),
            seen: Vec::new(),
            first_separator: Vec::new(),
            separators: Separators::default(),
        }
    }

    /// Appends `values[i]` (non-NULL rows only) to their groups, each preceded by
    /// `separators[i]` (NULL: nothing; no array: the default) unless it is the first.
    fn append<G: GroupIds>(
        &mut self,
        values: &StringArray,
        separators: Option<&StringArray>,
        groups: G,
    ) {
        let Self {
            texts,
            seen,
            first_separator,
            separators: known,
            ..
        } = self;
        for_each_valid(values, |i| {
            let g = groups.at(i);
            let sep = match separators {
                Some(s) if s.is_valid(i) => s.value(i),
                Some(_) => "",
                None => DEFAULT_SEPARATOR,
            };
            let text = &mut texts[g];
            if seen[g] {
                text.push_str(sep);
            } else {
                seen[g] = true;
                first_separator[g] = known.id(sep);
            }
            text.push_str(values.value(i));
        });
    }
}

impl GroupStates for ConcatStates {
    fn resize(&mut self, total: usize) {
        self.texts.resize(total, String::new());
        self.seen.resize(total, false);
        self.first_separator.resize(total, 0);
    }

    fn update<G: GroupIds>(
        &mut self,
        values: &[ArrayRef],
        groups: G,
    ) -> Result<(), AggregateError> {
        let texts = value_to_text(input(self.name, values, 0)?)?;
        let separators = match values.get(1) {
            Some(s) => Some(value_to_text(s.as_ref())?),
            None => None,
        };
        self.append(&texts, separators.as_ref(), groups);
        Ok(())
    }

    fn merge<G: GroupIds>(&mut self, states: &[ArrayRef], groups: G) -> Result<(), AggregateError> {
        let text_of = |i: usize| -> Result<&StringArray, AggregateError> {
            let a = input(self.name, states, i)?;
            a.as_string_opt::<i32>()
                .ok_or_else(|| unexpected_type(self.name, a.data_type()))
        };
        let (texts, separators) = (text_of(0)?.clone(), text_of(1)?.clone());
        self.append(&texts, Some(&separators), groups);
        Ok(())
    }

    fn state(&self) -> Result<Vec<ArrayRef>, AggregateError> {
        let separators: StringArray = self
            .first_separator
            .iter()
            .map(|&id| Some(self.separators.get(id)))
            .collect();
        Ok(vec![self.evaluate()?, Arc::new(separators)])
    }

    fn evaluate(&self) -> Result<ArrayRef, AggregateError> {
        let bytes = self.texts.iter().map(String::len).sum();
        let mut builder = StringBuilder::with_capacity(self.texts.len(), bytes);
        for (text, &seen) in self.texts.iter().zip(&self.seen) {
            if seen {
                builder.append_value(text);
            } else {
                builder.append_null();
            }
        }
        Ok(Arc::new(builder.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_interned() {
        let mut s = Separators::default();
        assert_eq!(s.id(","), 0);
        assert_eq!(s.id(","), 0);
        assert_eq!(s.id("; "), 1);
        assert_eq!(s.id(","), 0);
        assert_eq!(s.get(1), "; ");
        assert_eq!(s.get(7), "");
    }
}
