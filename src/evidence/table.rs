//! Reading one CSV file of the export (RFC 4180, header row, UTF-8) in a
//! single streaming pass: the header resolved through the mapping, then
//! each row handed over with typed getters whose errors name the file,
//! line, column and value.

use std::io::Read;

use super::EvidenceError;
use super::contract::FileSpec;
use super::date::{DateOrder, parse_instant};
use super::error::{MAX_PROBLEMS, Problem};
use super::export::Export;
use super::mapping::Mapping;

/// The largest amount a row may carry: a quadrillion, far past any deal,
/// and small enough that a whole export's sum stays finite.
const MAX_AMOUNT: f64 = 1e15;

/// A contract column as this export has it.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// Its position in the header; `None` when the mapping declares it absent.
    index: Option<usize>,
    /// The export's name for it.
    name: String,
}

impl Column {
    /// Whether the export has the column.
    pub(crate) fn present(&self) -> bool {
        self.index.is_some()
    }
}

/// One file of the export, open at its first row.
pub(crate) struct Table<'e> {
    file: String,
    spec: FileSpec,
    columns: Vec<Column>,
    reader: csv::Reader<Box<dyn Read + 'e>>,
    dates: DateOrder,
}

impl<'e> Table<'e> {
    /// Opens `spec`'s file and resolves its header; `None` when the export
    /// has no such file.
    pub(crate) fn open(
        export: &'e Export,
        spec: FileSpec,
        mapping: &Mapping,
    ) -> Result<Option<Self>, EvidenceError> {
        let file = mapping.file_name(&spec);
        let Some(input) = export.open(&file)? else {
            return Ok(None);
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(input);
        let header: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(str::to_owned).collect(),
            Err(e) => return Err(csv_error(&file, e)),
        };
        if header.iter().all(String::is_empty) {
            let rule = "the file is empty: its first line must name the columns".to_owned();
            return Err(header_problem(&file, 1, rule));
        }
        let columns = spec
            .columns
            .iter()
            .map(|c| resolve(&file, &header, c, mapping.column(&spec, c)))
            .collect::<Result<_, _>>()?;
        Ok(Some(Self {
            file,
            spec,
            columns,
            reader,
            dates: mapping.dates,
        }))
    }

    /// The file's name in the export.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// The export's column for the contract column `name`.
    pub(crate) fn column(&self, name: &str) -> Column {
        let at = self.spec.columns.iter().position(|c| *c == name);
        // The contract's own column names are the only ones asked for.
        at.map_or(
            Column {
                index: None,
                name: name.to_owned(),
            },
            |i| self.columns[i].clone(),
        )
    }

    /// Hands every row to `row`; rows it refuses are collected (up to
    /// [`MAX_PROBLEMS`]) and fail the file once it is read. Returns the
    /// number of rows.
    pub(crate) fn for_each(
        mut self,
        mut row: impl FnMut(&Row<'_>) -> Result<(), Problem>,
    ) -> Result<u64, EvidenceError> {
        let mut record = csv::ByteRecord::new();
        let mut problems = Vec::new();
        let mut rows = 0;
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    rows += 1;
                    let line = record.position().map_or(0, csv::Position::line);
                    let view = Row {
                        record: &record,
                        line,
                        file: &self.file,
                        dates: self.dates,
                    };
                    if let Err(problem) = row(&view) {
                        problems.push(problem);
                    }
                }
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    return Err(csv_error(&self.file, e));
                }
                Err(e) => problems.push(Problem {
                    file: self.file.clone(),
                    line: e.position().map_or(0, csv::Position::line),
                    column: String::new(),
                    value: String::new(),
                    rule: format!("not a valid CSV row: {e}"),
                }),
            }
            if problems.len() >= MAX_PROBLEMS {
                let more = !self.reader.is_done();
                return Err(EvidenceError::Rows { problems, more });
            }
        }
        if problems.is_empty() {
            Ok(rows)
        } else {
            Err(EvidenceError::Rows {
                problems,
                more: false,
            })
        }
    }
}

fn resolve(
    file: &str,
    header: &[String],
    contract: &str,
    wanted: Option<String>,
) -> Result<Column, EvidenceError> {
    let Some(name) = wanted else {
        return Ok(Column {
            index: None,
            name: contract.to_owned(),
        });
    };
    let index = header
        .iter()
        .position(|h| *h == name)
        .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(&name)));
    match index {
        Some(index) => Ok(Column {
            index: Some(index),
            name,
        }),
        None => Err(EvidenceError::MissingColumn {
            file: file.to_owned(),
            contract: (name != contract).then(|| contract.to_owned()),
            column: name,
            header: header.to_vec(),
        }),
    }
}

fn csv_error(file: &str, e: csv::Error) -> EvidenceError {
    let line = e.position().map_or(1, csv::Position::line);
    let rule = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!(
            "the file is not UTF-8 text ({err}): save it as UTF-8; UTF-16 and other encodings are not read"
        ),
        _ => format!("not a valid CSV header: {e}"),
    };
    match e.into_kind() {
        csv::ErrorKind::Io(source) => EvidenceError::Io {
            file: file.to_owned(),
            source,
        },
        _ => header_problem(file, line, rule),
    }
}

/// The error of a file whose header cannot be used, for `rule`.
fn header_problem(file: &str, line: u64, rule: String) -> EvidenceError {
    EvidenceError::Rows {
        problems: vec![Problem {
            file: file.to_owned(),
            line,
            column: String::new(),
            value: String::new(),
            rule,
        }],
        more: false,
    }
}

/// One row of a file, with getters that name what is wrong.
#[derive(Debug)]
pub(crate) struct Row<'r> {
    record: &'r csv::ByteRecord,
    line: u64,
    file: &'r str,
    dates: DateOrder,
}

impl<'r> Row<'r> {
    /// The column's text (trimmed); `None` when the export lacks the column.
    pub(crate) fn text(&self, c: &Column) -> Result<Option<&'r str>, Problem> {
        let Some(index) = c.index else {
            return Ok(None);
        };
        let bytes = self.record.get(index).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Some(text)),
            Err(_) => Err(self.problem(c, &String::from_utf8_lossy(bytes), "is not UTF-8")),
        }
    }

    /// The column's text, which must not be empty.
    pub(crate) fn required(&self, c: &Column) -> Result<&'r str, Problem> {
        match self.text(c)? {
            Some(text) if !text.is_empty() => Ok(text),
            _ => Err(self.problem(c, "", "is empty; a value is required")),
        }
    }

    /// An instant (date or timestamp); `None` when absent or empty.
    pub(crate) fn instant(&self, c: &Column) -> Result<Option<i64>, Problem> {
        match self.text(c)? {
            None | Some("") => Ok(None),
            Some(text) => parse_instant(text, self.dates).map(Some).ok_or_else(|| {
                self.problem(
                    c,
                    text,
                    "is not a date or timestamp (YYYY-MM-DD[ HH:MM:SS])",
                )
            }),
        }
    }

    /// An instant that must be there.
    pub(crate) fn required_instant(&self, c: &Column) -> Result<i64, Problem> {
        self.instant(c)?
            .ok_or_else(|| self.problem(c, "", "is empty; a date is required"))
    }

    /// A finite number >= 0; `None` when absent or empty.
    pub(crate) fn amount(&self, c: &Column) -> Result<Option<f64>, Problem> {
        match self.text(c)? {
            None | Some("") => Ok(None),
            // Bounded so that sums over a whole export stay finite.
            Some(text) => match text.parse::<f64>() {
                Ok(n) if (0.0..=MAX_AMOUNT).contains(&n) => Ok(Some(n)),
                _ => Err(self.problem(c, text, "is not an amount from 0 to 1e15 (e.g. 12500.50)")),
            },
        }
    }

    /// true/false (also yes/no, 1/0); `None` when absent or empty.
    pub(crate) fn flag(&self, c: &Column) -> Result<Option<bool>, Problem> {
        match self.text(c)? {
            None | Some("") => Ok(None),
            Some(text) => match text.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(Some(true)),
                "false" | "no" | "0" => Ok(Some(false)),
                _ => Err(self.problem(c, text, "is not true or false")),
            },
        }
    }

    /// A problem with column `c`'s `value`.
    pub(crate) fn problem(&self, c: &Column, value: &str, rule: &str) -> Problem {
        Problem {
            file: self.file.to_owned(),
            line: self.line,
            column: c.name.clone(),
            value: value.chars().take(64).collect(),
            rule: rule.to_owned(),
        }
    }
}
