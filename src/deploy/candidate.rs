//! A script that wants to serve: compiled, checked against the model
//! contract and run against its model's test cases. Only a candidate that
//! passes all three may replace a live model.

use std::fmt;

use crate::engine::suite::{CaseOutcome, run_cases};
use crate::engine::{CaseSource, Diagnostic, Engine, LoadError, Model, ScriptSource};

/// Why a script may not serve.
#[derive(Debug)]
pub enum Refusal {
    /// It does not compile or breaks the model contract.
    Load(LoadError),
    /// It loads, but some of its test cases fail.
    Cases {
        /// The model id.
        model: String,
        /// The cases that failed.
        failed: Vec<CaseOutcome>,
    },
    /// The file cannot be read (not UTF-8, too large, an I/O error).
    Unreadable {
        /// The file, relative to the scripts directory.
        file: String,
        /// Why.
        reason: String,
    },
}

impl Refusal {
    /// The diagnostics pinned to a place in a script, when there are any.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Self::Load(LoadError::Script(d) | LoadError::Contract(d)) => vec![(**d).clone()],
            _ => Vec::new(),
        }
    }

    /// The refusal over several lines, with the offending source line.
    pub fn render(&self) -> String {
        match self {
            Self::Load(LoadError::Script(d) | LoadError::Contract(d)) => d.render(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(err) => write!(f, "{err}"),
            Self::Cases { model, failed } => {
                write!(f, "model '{model}' fails {} test cases:", failed.len())?;
                for case in failed {
                    write!(f, " {} ({})", case.file, case.failures.join("; "))?;
                }
                Ok(())
            }
            Self::Unreadable { file, reason } => write!(f, "{file}: {reason}"),
        }
    }
}

/// Compiles `script` with `libs` and runs the cases of its model found in
/// `cases`; the model and the cases' outcomes when all pass, the refusal
/// when not.
pub(crate) fn admit(
    engine: &Engine,
    script: &ScriptSource,
    libs: &[ScriptSource],
    cases: &[CaseSource],
) -> Result<(Model, Vec<CaseOutcome>), Refusal> {
    let model = engine.compile(script, libs).map_err(Refusal::Load)?;
    let own = cases.iter().filter(|c| c.model == model.id());
    let outcomes = run_cases(engine, &model, own);
    let failed: Vec<CaseOutcome> = outcomes.iter().filter(|o| !o.passed()).cloned().collect();
    if failed.is_empty() {
        Ok((model, outcomes))
    } else {
        Err(Refusal::Cases {
            model: model.id().to_owned(),
            failed,
        })
    }
}
