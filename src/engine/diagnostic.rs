//! Script diagnostics: a message pinned to `file:line:column`, rendered the way
//! a compiler would, with the offending source line and a caret.

use std::fmt;

use rhai::{EvalAltResult, ParseError, Position};

/// The longest source line a diagnostic quotes, in bytes.
const MAX_QUOTED_LINE: usize = 512;

/// A message about a script, with where in the script it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The script's file name (e.g. "five_stage.rhai").
    pub file: String,
    /// 1-based line, or 0 when the position is unknown.
    pub line: usize,
    /// 1-based column, or 0 when the position is unknown.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The text of the offending line, when known and at most 512 bytes.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// Builds a diagnostic for `message` at `pos` in `source`.
    pub(crate) fn at(file: &str, source: &str, pos: Position, message: String) -> Self {
        // Rhai's positions stop counting at 65,535: from there on the line
        // is unknown rather than wrong.
        let saturated = |n: usize| if n >= usize::from(u16::MAX) { 0 } else { n };
        let line = saturated(pos.line().unwrap_or(0));
        let column = if line == 0 {
            0
        } else {
            saturated(pos.position().unwrap_or(0))
        };
        // A line too long to read at a glance is not quoted: the line and
        // column still point at it.
        let source_line = line
            .checked_sub(1)
            .and_then(|index| source.lines().nth(index))
            .filter(|text| text.len() <= MAX_QUOTED_LINE)
            .map(str::to_owned);
        Self {
            file: file.to_owned(),
            line,
            column,
            message,
            source_line,
        }
    }

    /// Builds a diagnostic about a whole script rather than one place in it.
    pub(crate) fn unplaced(file: &str, message: String) -> Self {
        Self {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message,
            source_line: None,
        }
    }

    /// Builds a diagnostic from a Rhai parse error.
    pub(crate) fn from_parse(file: &str, source: &str, err: &ParseError) -> Self {
        Self::at(file, source, err.position(), err.err_type().to_string())
    }

    /// Builds a diagnostic from a Rhai run-time error, pointing at the
    /// innermost position (inside the called function, not at the call).
    pub(crate) fn from_eval(file: &str, source: &str, err: &EvalAltResult) -> Self {
        let inner = innermost(err);
        Self::at(file, source, inner.position(), describe(inner))
    }

    /// Renders the diagnostic over several lines, with the source line and a
    /// caret under the column.
    pub fn render(&self) -> String {
        let mut out = self.to_string();
        if let Some(text) = &self.source_line {
            let gutter = " ".repeat(self.line.to_string().len());
            let caret = " ".repeat(self.column.saturating_sub(1));
            out.push_str(&format!(
                "\n{gutter} |\n{} | {text}\n{gutter} | {caret}^",
                self.line
            ));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            let (file, line, column) = (&self.file, self.line, self.column);
            write!(f, "{file}:{line}:{column}: {}", self.message)
        }
    }
}

/// Follows nested function-call errors down to the one that actually failed.
pub(crate) fn innermost(err: &EvalAltResult) -> &EvalAltResult {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => innermost(inner),
        other => other,
    }
}

/// The error's message without Rhai's trailing "(line x, position y)".
fn describe(err: &EvalAltResult) -> String {
    let text = err.to_string();
    match text.rfind(" (line ") {
        Some(cut) if text.ends_with(')') => text[..cut].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_past_what_rhai_counts_is_unknown_not_wrong() {
        let source = "x\n".repeat(70_000);
        let past = Diagnostic::at("m.rhai", &source, Position::new(u16::MAX, 3), "boom".into());
        assert_eq!(
            (past.line, past.column, past.source_line.as_deref()),
            (0, 0, None)
        );
        assert_eq!(past.to_string(), "m.rhai: boom");
        let within = Diagnostic::at("m.rhai", &source, Position::new(7, 1), "boom".into());
        assert_eq!(within.to_string(), "m.rhai:7:1: boom");
    }
}
