//! A script that wants to serve: compiled, checked against the model
//! contract and run against its model's test cases. Only a candidate that
//! passes all three may replace a live model.
//!
//! Test cases run within the caller's deadline, stop when it cancels, and
//! together take at most [`MAX_CASES_TIME`].

use std::fmt;
use std::time::{Duration, Instant};

use crate::engine::cases::Case;
use crate::engine::suite::{CaseOutcome, parse_case, run_case_within};
use crate::engine::{
    Budget, CaseSource, Diagnostic, Engine, EngineError, LoadError, Model, ScriptSource,
};

/// The most test cases one validation may carry.
pub const MAX_CASES: usize = 100;

/// The longest the test cases of one validation, deploy or reloaded file
/// may run, all together.
pub const MAX_CASES_TIME: Duration = Duration::from_secs(10);

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
    /// Its test cases were stopped before the last one ran.
    Stopped {
        /// What stopped them.
        why: Stop,
        /// The cases run.
        done: usize,
        /// The cases there were.
        total: usize,
    },
}

/// What stops test cases before the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The caller's deadline passed.
    Deadline,
    /// The caller went away.
    Cancelled,
    /// They ran longer than [`MAX_CASES_TIME`].
    TooSlow,
}

impl Refusal {
    /// The diagnostics pinned to a place in a script, when there are any.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Self::Load(err) => err.diagnostics(),
            _ => Vec::new(),
        }
    }

    /// The refusal over several lines, with the offending source line.
    pub fn render(&self) -> String {
        match self {
            Self::Load(err) => err.render(),
            other => other.to_string(),
        }
    }
}

/// Failing cases a refusal names, and the longest reason it gives for one.
const SHOWN_CASES: usize = 3;
const SHOWN_REASON: usize = 400;

/// `text`, cut to at most `max` bytes at a character boundary and marked
/// with an ellipsis when cut.
fn at_most(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max {
        return text.into();
    }
    let cut = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}…", &text[..cut]).into()
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(err) => write!(f, "{err}"),
            Self::Cases { model, failed } => {
                write!(f, "model '{model}' fails {} test cases:", failed.len())?;
                // One broken check fails every case alike: a few say why.
                for case in failed.iter().take(SHOWN_CASES) {
                    let why = case.failures.join("; ");
                    write!(f, " {} ({})", case.file, at_most(&why, SHOWN_REASON))?;
                }
                if failed.len() > SHOWN_CASES {
                    write!(f, "; and {} more", failed.len() - SHOWN_CASES)?;
                }
                Ok(())
            }
            Self::Unreadable { file, reason } => write!(f, "{file}: {reason}"),
            Self::Stopped { why, done, total } => {
                let what = match why {
                    Stop::Deadline => "the caller's deadline passed".to_owned(),
                    Stop::Cancelled => "the call was cancelled".to_owned(),
                    Stop::TooSlow => format!(
                        "the test cases ran longer than {}s, the limit,",
                        MAX_CASES_TIME.as_secs()
                    ),
                };
                if *total == 0 {
                    write!(f, "{what} while the script was compiled; nothing changed")
                } else {
                    write!(
                        f,
                        "{what} after {done} of {total} test cases; nothing changed"
                    )
                }
            }
        }
    }
}

/// Runs the cases of compiled `model` found in `cases` within `caller`'s
/// budget; the model and the cases' outcomes when all pass, the refusal
/// when not.
pub(crate) fn admit(
    engine: &Engine,
    model: Model,
    cases: &[CaseSource],
    caller: &Budget,
) -> Result<(Model, Vec<CaseOutcome>), Refusal> {
    let own: Vec<_> = cases
        .iter()
        .filter(|c| c.model == model.id())
        .map(|source| parse_case(source).map(|case| (source.file.clone(), case)))
        .collect();
    let outcomes = run_bounded(engine, &model, own, caller)?;
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

/// Compiles `script` with `libs` within `caller`'s budget: a compile that
/// the caller's deadline or cancellation cut short is stopped, not broken.
pub(crate) fn compile_within(
    engine: &Engine,
    script: &ScriptSource,
    libs: &[ScriptSource],
    caller: &Budget,
) -> Result<Model, Refusal> {
    engine
        .compile_within(script, libs, caller)
        .map_err(|err| match caller_stop(caller) {
            Some(why) => {
                let refusal = Refusal::Stopped {
                    why,
                    done: 0,
                    total: 0,
                };
                tracing::info!(file = %crate::telemetry::one_line(&script.file), "compile stopped: {refusal}");
                refusal
            }
            None => Refusal::Load(err),
        })
}

/// What of the caller's own has ended: its cancellation or its deadline.
fn caller_stop(caller: &Budget) -> Option<Stop> {
    let cancelled = caller.cancelled.as_ref();
    if cancelled.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
        Some(Stop::Cancelled)
    } else if caller.deadline.is_some_and(|d| Instant::now() >= d) {
        Some(Stop::Deadline)
    } else {
        None
    }
}

/// Runs each case (a file name and the case, or the outcome of a case file
/// that could not be read) on `model`, in order, until `caller`'s deadline
/// or cancellation or [`MAX_CASES_TIME`] stops them.
pub(crate) fn run_bounded(
    engine: &Engine,
    model: &Model,
    cases: Vec<Result<(String, Case), CaseOutcome>>,
    caller: &Budget,
) -> Result<Vec<CaseOutcome>, Refusal> {
    let total = cases.len();
    let limit_at = Instant::now() + MAX_CASES_TIME;
    let budget = Budget {
        deadline: Some(caller.deadline.map_or(limit_at, |d| d.min(limit_at))),
        cancelled: caller.cancelled.clone(),
    };
    let mut outcomes = Vec::with_capacity(total);
    for (done, case) in cases.into_iter().enumerate() {
        let outcome = match case {
            Ok((file, case)) => run_case_within(engine, model, &file, &case, &budget)
                .map_err(|err| stopped(&err, caller, model, done, total))?,
            Err(unreadable) => unreadable,
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The refusal for cases stopped by `err` after `done` of `total`.
fn stopped(
    err: &EngineError,
    caller: &Budget,
    model: &Model,
    done: usize,
    total: usize,
) -> Refusal {
    let why = match err {
        EngineError::Cancelled { .. } => Stop::Cancelled,
        _ if caller.deadline.is_some_and(|d| Instant::now() >= d) => Stop::Deadline,
        _ => Stop::TooSlow,
    };
    let refusal = Refusal::Stopped { why, done, total };
    tracing::info!(model = %crate::telemetry::one_line(model.id()), "test cases stopped: {refusal}");
    refusal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_a_few_failing_cases_and_counts_the_rest() {
        let failed = (0..31)
            .map(|i| CaseOutcome {
                file: format!("case{i}.json"),
                name: String::new(),
                got: None,
                failures: vec!["stopped in criterion 'c': ".repeat(40)],
            })
            .collect();
        let refusal = Refusal::Cases {
            model: "m".into(),
            failed,
        };
        let text = refusal.to_string();
        assert!(
            text.starts_with("model 'm' fails 31 test cases: case0.json ("),
            "{text}"
        );
        assert!(text.ends_with("; and 28 more"), "{text}");
        assert!(!text.contains("case3.json"), "{text}");
        assert!(text.len() < 1400, "{} bytes", text.len());
    }
}
