//! The engine's typed errors: what went wrong, with the model, field, value and
//! limit that a caller or a consultant needs to fix it.

use thiserror::Error;

use crate::engine::diagnostic::Diagnostic;

/// One metric that failed validation against a model's declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricViolation {
    /// The metric's name as the caller sent it.
    pub metric: String,
    /// The rule it broke, in plain words (e.g. "must be in [0, 1], got 1.5").
    pub rule: String,
}

/// A limit of the sandbox a script can go past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxLimit {
    /// Operations run.
    Operations,
    /// Nested function calls.
    CallDepth,
    /// The size of a string, array or map.
    DataSize,
    /// Time on the clock.
    Time,
}

impl SandboxLimit {
    /// Whether a retry may pass it: only time, which a busy machine makes a
    /// script reach sooner; the others stop the same input every time.
    pub fn depends_on_load(self) -> bool {
        self == Self::Time
    }
}

impl std::fmt::Display for SandboxLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Operations => "operations",
            Self::CallDepth => "call depth",
            Self::DataSize => "data size",
            Self::Time => "time",
        })
    }
}

/// What can go wrong while assessing an organisation.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The request named no model.
    #[error("model: a model id is required; {}", available_models(available))]
    ModelRequired {
        /// The ids of the loaded models.
        available: Vec<String>,
    },
    /// The request named a model that is not loaded.
    #[error("model '{model}' not found; {}", available_models(available))]
    UnknownModel {
        /// The id the caller asked for.
        model: String,
        /// The ids of the loaded models.
        available: Vec<String>,
    },
    /// One or more metrics broke their model's declaration.
    #[error("{}", describe_violations(.violations))]
    InvalidMetrics {
        /// Every violation found, in metric-name order.
        violations: Vec<MetricViolation>,
    },
    /// A field of the request has a value the model cannot take.
    #[error("{field}: {value} {rule}")]
    InvalidField {
        /// The field (e.g. "target_rank").
        field: &'static str,
        /// The value given.
        value: String,
        /// What it must be, in plain words.
        rule: String,
    },
    /// The request itself is larger than the engine accepts.
    #[error("{field}: {actual} exceeds the limit of {limit}")]
    RequestTooLarge {
        /// What was too large (e.g. "metrics").
        field: String,
        /// How large it was.
        actual: usize,
        /// The largest accepted.
        limit: usize,
    },
    /// A model's script failed while running.
    #[error("model '{model}' failed in {context}: {diagnostic}")]
    Script {
        /// The model whose script failed.
        model: String,
        /// Where in the model it failed (e.g. "criterion 'crm_in_use'").
        context: String,
        /// The script position and message.
        diagnostic: Box<Diagnostic>,
    },
    /// A model's script went past one of the sandbox's limits.
    #[error("model '{model}' stopped in {context}: exceeded the {limit} limit ({max})")]
    ScriptLimit {
        /// The model whose script was stopped.
        model: String,
        /// Where in the model it was stopped.
        context: String,
        /// Which limit.
        limit: SandboxLimit,
        /// The limit's value, with its unit.
        max: String,
    },
    /// The caller's deadline passed before the assessment finished.
    #[error("model '{model}': the caller's deadline passed during {context}")]
    DeadlineExceeded {
        /// The model being assessed.
        model: String,
        /// Where the evaluation was when it stopped.
        context: String,
    },
    /// The caller went away before the assessment finished.
    #[error("model '{model}': the call was cancelled during {context}")]
    Cancelled {
        /// The model being assessed.
        model: String,
        /// Where the evaluation was when it stopped.
        context: String,
    },
}

fn describe_breaches(breaches: &[Diagnostic]) -> String {
    match breaches {
        [] => "the model breaks its contract".to_owned(),
        [only] => only.to_string(),
        [first, second] => format!("{first} (and 1 more problem: {second})"),
        [first, rest @ ..] => format!("{first} (and {} more problems)", rest.len()),
    }
}

impl LoadError {
    /// Every diagnostic the error carries, each pinned to a place (line 0
    /// when it is about the whole script).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Self::Script(d) => vec![(**d).clone()],
            Self::Contract(all) => all.clone(),
            Self::TooLarge {
                file,
                actual,
                limit,
            } => vec![Diagnostic::unplaced(
                file,
                format!("the script is {actual} bytes, over the limit of {limit}"),
            )],
            Self::DuplicateModel { file, model, other } => vec![Diagnostic::unplaced(
                file,
                format!("model id '{model}' is already declared by {other}"),
            )],
            Self::Io { .. } | Self::NoModels(_) => Vec::new(),
        }
    }

    /// The error over several lines, each problem with its source line.
    pub fn render(&self) -> String {
        match self {
            Self::Script(d) => d.render(),
            Self::Contract(all) => {
                let rendered: Vec<String> = all.iter().map(Diagnostic::render).collect();
                rendered.join("\n")
            }
            other => other.to_string(),
        }
    }
}

fn describe_violations(violations: &[MetricViolation]) -> String {
    let parts: Vec<String> = violations
        .iter()
        .map(|v| format!("metrics[{}]: {}", v.metric, v.rule))
        .collect();
    parts.join("; ")
}

/// What can go wrong while loading a model script.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The script does not compile, or failed while declaring the model.
    #[error("{0}")]
    Script(Box<Diagnostic>),
    /// The script compiled but its declaration breaks the model contract:
    /// every breach found, in the order found (never empty).
    #[error("{}", describe_breaches(.0))]
    Contract(Vec<Diagnostic>),
    /// The script is larger than the engine compiles.
    #[error("{file}: the script is {actual} bytes, over the limit of {limit}")]
    TooLarge {
        /// The script's file name.
        file: String,
        /// Its size in bytes.
        actual: usize,
        /// The largest accepted.
        limit: usize,
    },
    /// Two scripts declare the same model id.
    #[error("{file}: model id '{model}' is already declared by {other}")]
    DuplicateModel {
        /// The script declaring it again.
        file: String,
        /// The model id.
        model: String,
        /// The script that declared it first.
        other: String,
    },
    /// A scripts directory or file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path that could not be read.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// No model could be loaded.
    #[error("no model loaded from {0}")]
    NoModels(String),
}

/// "available models: a, b", or that there is none.
fn available_models(available: &[String]) -> String {
    match available {
        [] => "no model is loaded".to_owned(),
        _ => format!("available models: {}", available.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_error_counts_the_problems_after_the_first() {
        let problem = |n: usize| Diagnostic::unplaced("m.rhai", format!("problem {n}"));
        let two = describe_breaches(&[problem(1), problem(2)]);
        assert_eq!(
            two,
            "m.rhai: problem 1 (and 1 more problem: m.rhai: problem 2)"
        );
        let three = describe_breaches(&[problem(1), problem(2), problem(3)]);
        assert_eq!(three, "m.rhai: problem 1 (and 2 more problems)");
    }
}
