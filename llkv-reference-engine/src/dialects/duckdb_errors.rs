//! DuckDB's wording of the errors the engine describes as data
//! ([`Dialect::error_message`](llkv_traits::Dialect::error_message)).
//!
//! DuckDB prefixes every message with its exception type (`Constraint Error: `,
//! `Catalog Error: `, `TransactionContext Error: `), and DuckDB's test suites match on
//! that text. The wordings follow DuckDB's own sources: a key that repeats a committed row
//! is reported by the table's index check (`Duplicate key "i: 1" violates primary key
//! constraint.`), a key that repeats a row of the same transaction by the transaction's
//! local index (`PRIMARY KEY or UNIQUE constraint violation: duplicate key "1"`).

use llkv_traits::{
    CatalogError, CatalogObject, CatalogProblem, ConstraintKind, ConstraintViolation, ErrorDetail,
    TransactionAborted,
};

/// DuckDB's message for `error`.
pub(crate) fn message(error: &ErrorDetail<'_>) -> String {
    match error {
        ErrorDetail::Constraint(c) => format!("Constraint Error: {}", constraint(c)),
        ErrorDetail::Catalog(c) => format!("Catalog Error: {}", catalog(c)),
        ErrorDetail::TransactionAborted(a) => format!("TransactionContext Error: {}", aborted(*a)),
    }
}

fn constraint(c: &ConstraintViolation) -> String {
    let kind = match c.kind {
        ConstraintKind::NotNull => {
            let column = c.columns.first().map_or("", String::as_str);
            return format!("NOT NULL constraint failed: {}.{column}", c.table);
        }
        ConstraintKind::PrimaryKey => "primary key",
        ConstraintKind::Unique => "unique",
    };
    if c.within_transaction {
        format!(
            "PRIMARY KEY or UNIQUE constraint violation: duplicate key \"{}\"",
            c.key.join(", ")
        )
    } else {
        let key = c
            .columns
            .iter()
            .zip(&c.key)
            .map(|(column, value)| format!("{column}: {value}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("Duplicate key \"{key}\" violates {kind} constraint.")
    }
}

fn catalog(c: &CatalogError) -> String {
    let object = match c.object {
        CatalogObject::Table => "Table",
        CatalogObject::View => "View",
        CatalogObject::Index => "Index",
    };
    match c.problem {
        CatalogProblem::NotFound => format!("{object} with name {} does not exist!", c.name),
        CatalogProblem::AlreadyExists => {
            format!("{object} with name \"{}\" already exists!", c.name)
        }
    }
}

fn aborted(a: TransactionAborted) -> &'static str {
    match a {
        TransactionAborted::StatementIgnored | TransactionAborted::RolledBackAtCommit => {
            "Current transaction is aborted (please ROLLBACK)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate(kind: ConstraintKind, within_transaction: bool) -> ConstraintViolation {
        ConstraintViolation {
            kind,
            table: "t".into(),
            columns: vec!["a".into(), "b".into()],
            key: vec!["1".into(), "x".into()],
            within_transaction,
        }
    }

    #[test]
    fn constraint_wording() {
        let pk = duplicate(ConstraintKind::PrimaryKey, false);
        assert_eq!(
            message(&ErrorDetail::Constraint(&pk)),
            "Constraint Error: Duplicate key \"a: 1, b: x\" violates primary key constraint."
        );
        let unique = duplicate(ConstraintKind::Unique, false);
        assert!(
            message(&ErrorDetail::Constraint(&unique)).ends_with("violates unique constraint.")
        );
        let local = duplicate(ConstraintKind::PrimaryKey, true);
        assert_eq!(
            message(&ErrorDetail::Constraint(&local)),
            "Constraint Error: PRIMARY KEY or UNIQUE constraint violation: duplicate key \"1, x\""
        );
    }

    #[test]
    fn catalog_wording() {
        let missing = CatalogError {
            problem: CatalogProblem::NotFound,
            object: CatalogObject::Table,
            name: "x".into(),
        };
        assert_eq!(
            message(&ErrorDetail::Catalog(&missing)),
            "Catalog Error: Table with name x does not exist!"
        );
    }
}
