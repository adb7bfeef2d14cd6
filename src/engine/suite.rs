//! Runs a model's test cases (`tests/MODEL/*.json`) and says, for each,
//! whether the model still gives the answer the case expects.

use serde::Serialize;

use super::{Budget, Engine, EngineError};
use crate::engine::cases::Case;
use crate::engine::model::Model;
use crate::engine::scripts::dir::CaseSource;

/// How one test case fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseOutcome {
    /// The case file (or the name given to an inline case).
    pub file: String,
    /// The case's name, when it could be read.
    pub name: String,
    /// The rank and level id the model gave, when it could assess.
    pub got: Option<(i32, String)>,
    /// What went wrong; empty when the case passed.
    pub failures: Vec<String>,
}

impl CaseOutcome {
    /// Whether the model gave the expected answer.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    fn failed(file: &str, name: &str, failure: String) -> Self {
        Self {
            file: file.to_owned(),
            name: name.to_owned(),
            got: None,
            failures: vec![failure],
        }
    }
}

/// Parses a case file, or says why it cannot be read.
pub fn parse_case(source: &CaseSource) -> Result<Case, CaseOutcome> {
    let case = Case::from_json(&source.text).map_err(|e| {
        CaseOutcome::failed(&source.file, "", format!("not a valid case file: {e}"))
    })?;
    if case.model != source.model {
        let message = format!(
            "the case is for model '{}' but sits in tests/{}/",
            case.model, source.model
        );
        return Err(CaseOutcome::failed(&source.file, &case.name, message));
    }
    Ok(case)
}

/// Runs one case on `model` (which need not be serving yet).
pub fn run_case(engine: &Engine, model: &Model, file: &str, case: &Case) -> CaseOutcome {
    match run_case_within(engine, model, file, case, &Budget::default()) {
        Ok(outcome) => outcome,
        Err(err) => CaseOutcome::failed(file, &case.name, err.to_string()),
    }
}

/// Runs one case on `model` within the caller's `budget`: its outcome, or
/// the error that stopped it before it could have one (the deadline
/// passed, or the caller cancelled).
pub fn run_case_within(
    engine: &Engine,
    model: &Model,
    file: &str,
    case: &Case,
    budget: &Budget,
) -> Result<CaseOutcome, EngineError> {
    let mut request = case.request();
    request.model = model.id().to_owned();
    // Thresholds and levers are not compared: skip their search, unless
    // the case fails and they say why.
    request.explain = false;
    let mut got = engine.assess_on(model, &request, budget);
    if got.as_ref().is_ok_and(|a| !case.differences(a).is_empty()) {
        request.explain = true;
        got = engine.assess_on(model, &request, budget);
    }
    match got {
        Ok(got) => Ok(CaseOutcome {
            file: file.to_owned(),
            name: case.name.clone(),
            got: Some((got.level.rank, got.level.id.to_string())),
            failures: case.differences(&got),
        }),
        Err(err @ (EngineError::DeadlineExceeded { .. } | EngineError::Cancelled { .. })) => {
            Err(err)
        }
        Err(err) => Ok(CaseOutcome::failed(file, &case.name, err.to_string())),
    }
}

/// Runs every case in `sources` on `model`.
pub fn run_cases<'a>(
    engine: &Engine,
    model: &Model,
    sources: impl IntoIterator<Item = &'a CaseSource>,
) -> Vec<CaseOutcome> {
    sources
        .into_iter()
        .map(|source| match parse_case(source) {
            Ok(case) => run_case(engine, model, &source.file, &case),
            Err(outcome) => outcome,
        })
        .collect()
}
