//! Parser for sqllogictest files: SQLite's format plus DuckDB's extensions.
//!
//! The file is read line by line (a trailing `\r` is dropped from every line). Lines starting
//! with `#` are comments and are removed before anything else looks at the text, as SQLite's
//! runner does; they are not blank lines. Records are separated by blank lines.
//!
//! The parser produces a flat list of [`Item`]s. Loops are an [`ItemKind::LoopStart`] whose
//! `end` is the index of the matching [`ItemKind::EndLoop`], so the runner can execute a body
//! range once per iteration. A malformed file does not stop at a panic: parsing ends at the
//! first error with an [`ItemKind::Abort`] item that tells how many records were left unread.

/// One parsed item, with the line it starts on and the conditions written before it.
#[derive(Debug)]
pub(crate) struct Item<'a> {
    /// 1-based line number of the record's first non-condition line.
    pub line: usize,
    /// `skipif` / `onlyif` lines written before the record.
    pub conditions: Vec<Condition<'a>>,
    /// What the item is.
    pub kind: ItemKind<'a>,
}

/// A `skipif` or `onlyif` line.
#[derive(Debug)]
pub(crate) enum Condition<'a> {
    /// `skipif <engine>`: the record is not for this engine.
    SkipIf(&'a str),
    /// `onlyif <engine>`: the record is only for this engine.
    OnlyIf(&'a str),
    /// DuckDB's conditions on loop variables (`skipif i=2`, `onlyif threadid<4&&i>1`).
    Loop {
        /// True for `skipif`, false for `onlyif`.
        skip_if: bool,
        /// Clauses joined by `&&`.
        clauses: Vec<LoopClause<'a>>,
    },
}

/// One `name <op> value` clause of a loop-variable condition.
#[derive(Debug)]
pub(crate) struct LoopClause<'a> {
    pub name: &'a str,
    pub op: CompareOp,
    pub value: &'a str,
}

/// Comparison operator of a [`LoopClause`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

/// What a `statement` record expects.
#[derive(Debug)]
pub(crate) enum StatementExpect {
    /// `statement ok`.
    Ok,
    /// `statement error`, with DuckDB's optional expected message.
    Error(Option<String>),
    /// DuckDB's `statement maybe`: success passes, and so does an error with the message.
    Maybe(Option<String>),
}

/// Sort mode of a query record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortMode {
    /// `nosort`: the order the engine returned.
    Unsorted,
    /// `rowsort` (DuckDB also spells it `sort`): rows sorted as strings.
    Rows,
    /// `valuesort`: every value sorted on its own.
    Values,
}

/// The kinds of items.
#[derive(Debug)]
pub(crate) enum ItemKind<'a> {
    /// `statement ok|error|maybe [connection]`.
    Statement {
        expect: StatementExpect,
        connection: Option<&'a str>,
        sql: String,
    },
    /// `query <types> [sort|connection] [label]`.
    Query {
        types: &'a str,
        sort: SortMode,
        connection: Option<&'a str>,
        label: Option<&'a str>,
        sql: String,
        expected: Vec<&'a str>,
    },
    /// `hash-threshold N`.
    HashThreshold(usize),
    /// `halt`.
    Halt,
    /// `mode skip`.
    ModeSkip,
    /// `mode unskip`.
    ModeUnskip,
    /// `loop`, `foreach`, `concurrentloop`, `concurrentforeach`: the body is the items between
    /// this one and `end`.
    LoopStart {
        /// Iterator names (DuckDB allows `foreach a,b 1,2 3,4`).
        names: Vec<&'a str>,
        /// The value of the iterator(s) for each iteration, comma-split like `names`.
        values: Vec<Vec<String>>,
        /// Index of the matching `EndLoop` item.
        end: usize,
    },
    /// `endloop`.
    EndLoop,
    /// `require <what> [args]`.
    Require(Vec<&'a str>),
    /// `require-env <name> [value]`.
    RequireEnv {
        name: &'a str,
        value: Option<&'a str>,
    },
    /// `load [path] [readonly]`.
    Load {
        path: Option<&'a str>,
        readonly: bool,
    },
    /// `restart`.
    Restart,
    /// `reconnect`.
    Reconnect,
    /// A directive that changes nothing for this runner (`tags`, `sleep`, output modes).
    Ignored,
    /// A directive that the runner cannot honour (e.g. `include`): the rest of the file is
    /// counted as failed when it is reached.
    Unsupported { directive: String },
    /// The parser stopped here: `message` says why, `remaining` is the number of records
    /// (statement and query headers) from the failing point to the end of the file.
    Abort { message: String, remaining: usize },
}

/// Parses a whole file. Never fails: errors become a final [`ItemKind::Abort`] item.
pub(crate) fn parse(text: &str) -> Vec<Item<'_>> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut parser = Parser {
        lines,
        pos: 0,
        items: Vec::new(),
        open_loops: Vec::new(),
    };
    if let Err(error) = parser.run() {
        // Records inside an unclosed loop were parsed but never run: count them from the
        // outermost unclosed loop's line (or from the failing line) to the end.
        let (cut, from_line) = match parser.open_loops.first() {
            Some(&index) => (index, parser.items[index].line),
            None => (parser.items.len(), error.line),
        };
        parser.items.truncate(cut);
        let remaining = count_record_headers(&parser.lines[from_line.saturating_sub(1)..]);
        parser.items.push(Item {
            line: error.line,
            conditions: Vec::new(),
            kind: ItemKind::Abort {
                message: error.message,
                remaining,
            },
        });
    }
    parser.items
}

/// Counts the statement and query records of a file without parsing it fully.
pub(crate) fn count_records(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    count_record_headers(&lines)
}

/// Counts lines that start a statement or query record.
fn count_record_headers(lines: &[&str]) -> usize {
    lines
        .iter()
        .filter(|l| {
            let first = l.split_whitespace().next();
            matches!(first, Some("statement" | "query"))
        })
        .count()
}

struct ParseError {
    line: usize,
    message: String,
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    /// Index of the next line to read.
    pos: usize,
    items: Vec<Item<'a>>,
    /// Indices of `LoopStart` items whose `endloop` has not been seen.
    open_loops: Vec<usize>,
}

fn is_comment(line: &str) -> bool {
    line.starts_with('#')
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Splits a directive line into tokens, dropping a trailing `# comment`.
fn tokens(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .take_while(|t| !t.starts_with('#'))
        .collect()
}

impl<'a> Parser<'a> {
    fn error(&self, line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            line,
            message: message.into(),
        }
    }

    /// Moves to the next non-comment line and returns it, or `None` at the end of the file.
    fn next_content_line(&mut self) -> Option<&'a str> {
        while self.pos < self.lines.len() {
            let line = self.lines[self.pos];
            if !is_comment(line) {
                return Some(line);
            }
            self.pos += 1;
        }
        None
    }

    /// Reads the lines of a record body until a blank line (or `----` when `stop_at_dashes`),
    /// skipping comments. Leaves `pos` on the terminating line.
    fn body_lines(&mut self, stop_at_dashes: bool) -> Vec<&'a str> {
        let mut out = Vec::new();
        while let Some(line) = self.next_content_line() {
            if is_blank(line) || (stop_at_dashes && line == "----") {
                break;
            }
            out.push(line);
            self.pos += 1;
        }
        out
    }

    /// After a single-line directive: the record must end here.
    fn expect_record_end(&mut self, line_no: usize, directive: &str) -> Result<(), ParseError> {
        match self.next_content_line() {
            Some(line) if !is_blank(line) => Err(self.error(
                line_no,
                format!("`{directive}` must be followed by a blank line"),
            )),
            _ => Ok(()),
        }
    }

    fn run(&mut self) -> Result<(), ParseError> {
        loop {
            // Skip blank and comment lines between records.
            while self.pos < self.lines.len()
                && (is_blank(self.lines[self.pos]) || is_comment(self.lines[self.pos]))
            {
                self.pos += 1;
            }
            if self.pos >= self.lines.len() {
                break;
            }
            self.record()?;
        }
        if let Some(&open) = self.open_loops.last() {
            let line = self.items[open].line;
            return Err(self.error(line, "loop without `endloop`"));
        }
        Ok(())
    }

    fn record(&mut self) -> Result<(), ParseError> {
        let mut conditions = Vec::new();
        let mut line_no = self.pos + 1;
        let mut toks = tokens(self.lines[self.pos]);
        while matches!(toks.first(), Some(&"skipif") | Some(&"onlyif")) {
            let skip_if = toks[0] == "skipif";
            let Some(name) = toks.get(1) else {
                return Err(self.error(line_no, format!("`{}` needs an engine name", toks[0])));
            };
            conditions.push(parse_condition(skip_if, name).map_err(|m| self.error(line_no, m))?);
            self.pos += 1;
            match self.next_content_line() {
                Some(line) if !is_blank(line) => {
                    line_no = self.pos + 1;
                    toks = tokens(line);
                }
                _ => return Err(self.error(line_no, "condition not followed by a record")),
            }
        }
        let Some(&directive) = toks.first() else {
            return Err(self.error(line_no, "empty record"));
        };
        let kind = match directive {
            "statement" => {
                self.pos += 1;
                self.statement(line_no, &toks)?
            }
            "query" => {
                self.pos += 1;
                self.query(line_no, &toks)?
            }
            _ => {
                self.pos += 1;
                let kind = self.directive(line_no, directive, &toks)?;
                self.expect_record_end(line_no, directive)?;
                kind
            }
        };
        let index = self.items.len();
        match kind {
            ItemKind::LoopStart { .. } => self.open_loops.push(index),
            ItemKind::EndLoop => {
                let Some(start) = self.open_loops.pop() else {
                    return Err(self.error(line_no, "`endloop` without a loop"));
                };
                if let ItemKind::LoopStart { end, .. } = &mut self.items[start].kind {
                    *end = index;
                }
            }
            _ => {}
        }
        self.items.push(Item {
            line: line_no,
            conditions,
            kind,
        });
        Ok(())
    }

    fn statement(&mut self, line_no: usize, toks: &[&'a str]) -> Result<ItemKind<'a>, ParseError> {
        let expect_word = toks.get(1).copied().unwrap_or("");
        if !matches!(expect_word, "ok" | "error" | "maybe") {
            return Err(self.error(
                line_no,
                format!(
                    "`statement` must be followed by ok, error or maybe, found `{expect_word}`"
                ),
            ));
        }
        let connection = toks.get(2).copied();
        let sql = self.body_lines(true).join("\n");
        if sql.trim().is_empty() {
            return Err(self.error(line_no, "statement without SQL"));
        }
        let mut message = None;
        if self.next_content_line() == Some("----") {
            if expect_word == "ok" {
                return Err(self.error(line_no, "`statement ok` cannot have an expected result"));
            }
            self.pos += 1;
            message = Some(self.body_lines(false).join("\n"));
        }
        let expect = match expect_word {
            "ok" => StatementExpect::Ok,
            "error" => StatementExpect::Error(message),
            _ => StatementExpect::Maybe(message),
        };
        Ok(ItemKind::Statement {
            expect,
            connection,
            sql,
        })
    }

    fn query(&mut self, line_no: usize, toks: &[&'a str]) -> Result<ItemKind<'a>, ParseError> {
        let Some(&types) = toks.get(1) else {
            return Err(self.error(line_no, "`query` needs a type string (e.g. `query II`)"));
        };
        if let Some(bad) = types.chars().find(|c| !matches!(c, 'I' | 'R' | 'T')) {
            return Err(self.error(
                line_no,
                format!("unknown type character `{bad}` in `{types}` (expected I, R or T)"),
            ));
        }
        let mut sort = SortMode::Unsorted;
        let mut connection = None;
        if let Some(&mode) = toks.get(2) {
            match mode {
                "nosort" => {}
                "rowsort" | "sort" => sort = SortMode::Rows,
                "valuesort" => sort = SortMode::Values,
                // DuckDB: anything else in this place is a connection name.
                other => connection = Some(other),
            }
        }
        let label = toks.get(3).copied();
        let sql = self.body_lines(true).join("\n");
        if sql.trim().is_empty() {
            return Err(self.error(line_no, "query without SQL"));
        }
        let mut expected = Vec::new();
        if self.next_content_line() == Some("----") {
            self.pos += 1;
            expected = self.body_lines(false);
        }
        Ok(ItemKind::Query {
            types,
            sort,
            connection,
            label,
            sql,
            expected,
        })
    }

    fn directive(
        &mut self,
        line_no: usize,
        directive: &str,
        toks: &[&'a str],
    ) -> Result<ItemKind<'a>, ParseError> {
        let args = &toks[1..];
        Ok(match directive {
            "hash-threshold" => {
                let value = args
                    .first()
                    .and_then(|v| v.parse::<usize>().ok())
                    .ok_or_else(|| self.error(line_no, "`hash-threshold` needs a number"))?;
                ItemKind::HashThreshold(value)
            }
            "halt" => ItemKind::Halt,
            "mode" => match args.first() {
                Some(&"skip") => ItemKind::ModeSkip,
                Some(&"unskip") => ItemKind::ModeUnskip,
                // Output and debugging modes of DuckDB's runner.
                Some(_) => ItemKind::Ignored,
                None => return Err(self.error(line_no, "`mode` needs skip or unskip")),
            },
            "loop" | "concurrentloop" => {
                let parsed = match args {
                    [name, start, end] => start
                        .parse::<i64>()
                        .ok()
                        .zip(end.parse::<i64>().ok())
                        .map(|(s, e)| (*name, s, e)),
                    _ => None,
                };
                let Some((name, start, end)) = parsed else {
                    return Err(self.error(line_no, "expected `loop <name> <start> <end>`"));
                };
                ItemKind::LoopStart {
                    names: vec![name],
                    values: (start..end).map(|i| vec![i.to_string()]).collect(),
                    end: usize::MAX,
                }
            }
            "foreach" | "concurrentforeach" => {
                let [name, rest @ ..] = args else {
                    return Err(self.error(line_no, "expected `foreach <name> <values...>`"));
                };
                if rest.is_empty() {
                    return Err(self.error(line_no, "expected `foreach <name> <values...>`"));
                }
                let names: Vec<&str> = name.split(',').collect();
                let mut values = Vec::new();
                for token in foreach_tokens(rest) {
                    let parts: Vec<String> = if names.len() > 1 {
                        token.split(',').map(str::to_string).collect()
                    } else {
                        vec![token]
                    };
                    if parts.len() != names.len() {
                        return Err(self.error(
                            line_no,
                            "foreach: the values do not have as many commas as the names",
                        ));
                    }
                    values.push(parts);
                }
                ItemKind::LoopStart {
                    names,
                    values,
                    end: usize::MAX,
                }
            }
            "endloop" => ItemKind::EndLoop,
            "require" => {
                if args.is_empty() {
                    return Err(self.error(line_no, "`require` needs an argument"));
                }
                ItemKind::Require(args.to_vec())
            }
            "require-env" => match args {
                [name] => ItemKind::RequireEnv { name, value: None },
                [name, value] => ItemKind::RequireEnv {
                    name,
                    value: Some(value),
                },
                _ => return Err(self.error(line_no, "expected `require-env <name> [value]`")),
            },
            "load" => ItemKind::Load {
                path: args.first().copied(),
                readonly: args.get(1) == Some(&"readonly"),
            },
            "restart" => ItemKind::Restart,
            "reconnect" => ItemKind::Reconnect,
            // Metadata and pauses that do not change what is tested. `set
            // ignore_error_messages` would make DuckDB's runner accept some failures: not
            // honouring it only makes the run stricter.
            "tags" | "sleep" => ItemKind::Ignored,
            "set"
                if matches!(
                    args.first(),
                    Some(&"ignore_error_messages" | &"always_fail_error_messages")
                ) =>
            {
                ItemKind::Ignored
            }
            "set" | "reset" | "include" | "unzip" | "test-env" => ItemKind::Unsupported {
                directive: toks.join(" "),
            },
            other => {
                return Err(self.error(line_no, format!("unknown record type `{other}`")));
            }
        })
    }
}

/// Parses the argument of `skipif`/`onlyif`: an engine name, or DuckDB's loop conditions.
fn parse_condition(skip_if: bool, text: &str) -> Result<Condition<'_>, String> {
    if !text.contains(['=', '<', '>']) {
        return Ok(if skip_if {
            Condition::SkipIf(text)
        } else {
            Condition::OnlyIf(text)
        });
    }
    const OPS: [(&str, CompareOp); 6] = [
        ("<>", CompareOp::NotEq),
        ("!=", CompareOp::NotEq),
        (">=", CompareOp::GtEq),
        ("<=", CompareOp::LtEq),
        (">", CompareOp::Gt),
        ("<", CompareOp::Lt),
    ];
    let mut clauses = Vec::new();
    for clause in text.split("&&") {
        let found = OPS
            .iter()
            .find_map(|(sym, op)| clause.split_once(sym).map(|(l, r)| (l, *op, r)))
            .or_else(|| clause.split_once('=').map(|(l, r)| (l, CompareOp::Eq, r)));
        match found {
            Some((name, op, value)) if !name.trim().is_empty() => clauses.push(LoopClause {
                name: name.trim(),
                op,
                value: value.trim(),
            }),
            _ => return Err(format!("malformed condition `{clause}`")),
        }
    }
    Ok(Condition::Loop { skip_if, clauses })
}

/// Expands DuckDB's foreach collections (`<integral>`, `<numeric>`, ...).
fn foreach_tokens(args: &[&str]) -> Vec<String> {
    const SIGNED: [&str; 5] = ["tinyint", "smallint", "integer", "bigint", "hugeint"];
    const UNSIGNED: [&str; 5] = ["utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"];
    const FLOATS: [&str; 2] = ["float", "double"];
    const OTHERS: [&str; 3] = ["bool", "interval", "varchar"];
    const COMPRESSION: [&str; 8] = [
        "none",
        "uncompressed",
        "rle",
        "bitpacking",
        "dictionary",
        "fsst",
        "alp",
        "alprd",
    ];
    let mut out: Vec<String> = Vec::new();
    for arg in args {
        let lower = arg.to_ascii_lowercase();
        let all = lower == "<alltypes>";
        let numeric = all || lower == "<numeric>";
        let integral = numeric || lower == "<integral>";
        let signed = integral || lower == "<signed>";
        let unsigned = integral || lower == "<unsigned>";
        let mut collection = false;
        let mut add = |list: &[&str]| {
            out.extend(list.iter().map(|s| s.to_string()));
            collection = true;
        };
        if signed {
            add(&SIGNED);
        }
        if unsigned {
            add(&UNSIGNED);
        }
        if numeric {
            add(&FLOATS);
        }
        if all {
            add(&OTHERS);
        }
        if lower == "<compression>" {
            add(&COMPRESSION);
        }
        if !collection {
            out.push(arg.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds<'a>(items: &'a [Item<'a>]) -> Vec<&'a ItemKind<'a>> {
        items.iter().map(|i| &i.kind).collect()
    }

    #[test]
    fn parses_sqlite_records_with_crlf_and_comments() {
        let text = "# header\r\nhash-threshold 8\r\n\r\nstatement ok\r\nCREATE TABLE t1(a INTEGER)\r\n\r\n\
                    skipif mysql # aggregate syntax\r\nquery I rowsort label-1\r\nSELECT a\r\n# inner\r\nFROM t1\r\n----\r\n1\r\n2\r\n\r\nhalt\r\n";
        let items = parse(text);
        assert_eq!(items.len(), 4);
        assert!(matches!(items[0].kind, ItemKind::HashThreshold(8)));
        assert!(matches!(
            &items[1].kind,
            ItemKind::Statement { expect: StatementExpect::Ok, sql, connection: None } if sql == "CREATE TABLE t1(a INTEGER)"
        ));
        let ItemKind::Query {
            types,
            sort,
            label,
            sql,
            expected,
            connection,
        } = &items[2].kind
        else {
            panic!("not a query: {:?}", items[2]);
        };
        assert_eq!(*types, "I");
        assert_eq!(*sort, SortMode::Rows);
        assert_eq!(*label, Some("label-1"));
        assert_eq!(*connection, None);
        assert_eq!(sql, "SELECT a\nFROM t1");
        assert_eq!(expected, &vec!["1", "2"]);
        assert_eq!(items[2].line, 8);
        assert!(matches!(
            items[2].conditions[..],
            [Condition::SkipIf("mysql")]
        ));
        assert!(matches!(items[3].kind, ItemKind::Halt));
    }

    #[test]
    fn parses_duckdb_extensions() {
        let text = "require skip_reload\n\nstatement ok con1\nBEGIN\n\n\
                    statement error\nSELECT x\n----\nBinder Error\n\n\
                    query II con2\nSELECT 1, 2\n----\n1\t2\n\n\
                    loop i 0 3\n\nforeach t a,b c,d\n\nstatement maybe\nINSERT INTO t VALUES ({i})\n----\nConflict\n\nendloop\n\nendloop\n\n\
                    onlyif threadid=0&&i>2\nstatement ok\nSELECT 1\n\nmode skip\n\nmode unskip\n\nload {TEST_DIR}/x.db\n\nrestart\n";
        let items = parse(text);
        let k = kinds(&items);
        assert!(matches!(k[0], ItemKind::Require(v) if v == &vec!["skip_reload"]));
        assert!(matches!(
            k[1],
            ItemKind::Statement {
                connection: Some("con1"),
                ..
            }
        ));
        assert!(
            matches!(k[2], ItemKind::Statement { expect: StatementExpect::Error(Some(m)), .. } if m == "Binder Error")
        );
        assert!(
            matches!(k[3], ItemKind::Query { connection: Some("con2"), sort: SortMode::Unsorted, expected, .. } if expected == &vec!["1\t2"])
        );
        assert!(matches!(k[4], ItemKind::LoopStart { values, end: 8, .. } if values.len() == 3));
        assert!(
            matches!(k[5], ItemKind::LoopStart { names, values, end: 7 } if names == &vec!["t"] && values.len() == 2)
        );
        assert!(
            matches!(k[6], ItemKind::Statement { expect: StatementExpect::Maybe(Some(m)), .. } if m == "Conflict")
        );
        assert!(matches!(k[7], ItemKind::EndLoop));
        assert!(matches!(k[8], ItemKind::EndLoop));
        assert!(matches!(
            &items[9].conditions[..],
            [Condition::Loop { skip_if: false, clauses }] if clauses.len() == 2 && clauses[1].op == CompareOp::Gt
        ));
        assert!(matches!(k[10], ItemKind::ModeSkip));
        assert!(matches!(k[11], ItemKind::ModeUnskip));
        assert!(matches!(
            k[12],
            ItemKind::Load {
                path: Some("{TEST_DIR}/x.db"),
                readonly: false
            }
        ));
        assert!(matches!(k[13], ItemKind::Restart));
    }

    #[test]
    fn foreach_with_multiple_names_and_collections() {
        let items = parse("foreach a,b 1,2 3,4\n\nendloop\n\nforeach t <signed>\n\nendloop\n");
        assert!(
            matches!(&items[0].kind, ItemKind::LoopStart { names, values, .. } if names.len() == 2 && values[1] == vec!["3", "4"])
        );
        assert!(matches!(&items[2].kind, ItemKind::LoopStart { values, .. } if values.len() == 5));
    }

    #[test]
    fn malformed_files_end_with_abort_counting_remaining_records() {
        let text = "statement ok\nSELECT 1\n\nbogus directive\n\nstatement ok\nSELECT 2\n\nquery I\nSELECT 3\n";
        let items = parse(text);
        assert_eq!(items.len(), 2);
        assert!(
            matches!(&items[1].kind, ItemKind::Abort { remaining: 2, message } if message.contains("bogus"))
        );
        assert_eq!(items[1].line, 4);

        // An unclosed loop: its records were not run, so they count as remaining.
        let items = parse("statement ok\nSELECT 1\n\nloop i 0 2\n\nstatement ok\nSELECT 2\n");
        assert_eq!(items.len(), 2);
        assert!(matches!(
            &items[1].kind,
            ItemKind::Abort { remaining: 1, .. }
        ));

        let items = parse("endloop\n");
        assert!(matches!(&items[0].kind, ItemKind::Abort { .. }));
        let items = parse("query X\nSELECT 1\n");
        assert!(matches!(
            &items[0].kind,
            ItemKind::Abort { remaining: 1, .. }
        ));
        let items = parse("statement ok\n\n");
        assert!(matches!(&items[0].kind, ItemKind::Abort { .. }));
        let items = parse("hash-threshold x\n");
        assert!(matches!(&items[0].kind, ItemKind::Abort { .. }));
        let items = parse("skipif\nstatement ok\nSELECT 1\n");
        assert!(matches!(
            &items[0].kind,
            ItemKind::Abort { remaining: 1, .. }
        ));
    }

    #[test]
    fn query_without_results_expects_empty() {
        let items = parse("query I nosort\nSELECT 1 WHERE 0\n");
        assert!(matches!(&items[0].kind, ItemKind::Query { expected, .. } if expected.is_empty()));
    }
}
