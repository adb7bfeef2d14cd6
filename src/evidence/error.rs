//! What makes an export unreadable, with the file, line, column and value a
//! consultant needs to fix it. A bad row is never skipped: it fails the
//! derivation, together with the other bad rows found (up to a limit).

use thiserror::Error;

/// How many bad rows one file reports before reading stops.
pub const MAX_PROBLEMS: usize = 20;

/// One bad value (or row) of an export file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, e.g. `opportunities.csv`.
    pub file: String,
    /// The 1-based line the row starts on (the header is line 1).
    pub line: u64,
    /// The column, as the export names it; empty for a whole-row problem.
    pub column: String,
    /// The value found (shortened).
    pub value: String,
    /// What it must be, in plain words.
    pub rule: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if !self.column.is_empty() {
            write!(f, "column {}: ", self.column)?;
        }
        // A problem of the file or row, not of one value: the rule alone.
        if self.column.is_empty() && self.value.is_empty() {
            return f.write_str(&self.rule);
        }
        write!(f, "{:?} {}", self.value, self.rule)
    }
}

/// What can stop a derivation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// A file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// A required file is not in the export.
    #[error("{0}: required, but the export has no such file")]
    MissingFile(String),
    /// A file the export contract does not know was sent.
    #[error("{file}: not a file of the export (expected one of: {})", expected.join(", "))]
    UnknownFile {
        /// The name given.
        file: String,
        /// The names the export may use.
        expected: Vec<String>,
    },
    /// A required column is not in a file's header.
    #[error("{file}: no column {column:?}{}; the header has: {}", mapped(.contract), header.join(", "))]
    MissingColumn {
        /// The file.
        file: String,
        /// The column as the export should name it.
        column: String,
        /// The contract's name for it, when a mapping renamed it.
        contract: Option<String>,
        /// The columns the header has.
        header: Vec<String>,
    },
    /// Rows with values that do not parse, are unknown or are missing.
    #[error("{}", describe(.problems, *.more))]
    Rows {
        /// The problems found, in file order.
        problems: Vec<Problem>,
        /// Whether reading stopped at [`MAX_PROBLEMS`] with more to find.
        more: bool,
    },
    /// The mapping file is not valid.
    #[error("mapping {name}: {message}")]
    Mapping {
        /// The mapping's file or profile name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The as-of date is not a date.
    #[error("as-of: {0:?} is not a date (YYYY-MM-DD)")]
    AsOf(String),
}

fn mapped(contract: &Option<String>) -> String {
    match contract {
        Some(name) => format!(" (the mapping's name for {name})"),
        None => String::new(),
    }
}

fn describe(problems: &[Problem], more: bool) -> String {
    let mut lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    if more {
        lines.push(format!("(stopped after {MAX_PROBLEMS} problems)"));
    }
    lines.join("\n")
}
