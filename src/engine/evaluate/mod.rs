//! Evaluation: runs a model's criteria and signals on one organisation and
//! derives what is mechanical: outcomes, the proven level and the ceiling,
//! score, confidence, missing metrics, dimensions and the plan.
//!
//! - `input`: the request's metrics checked against the model and resolved.
//! - `run`: deciding one condition, natively or by script, or "unknown".
//! - `outcome`: each criterion's and signal's outcome.
//! - `standing`: level, ceiling, score, confidence and missing metrics.
//! - `dimensions`: how the organisation stands along each dimension.
//! - `plan`: the interventions, with their horizon and priority.

pub(crate) mod dimensions;
pub(crate) mod input;
pub(crate) mod outcome;
pub(crate) mod plan;
pub(crate) mod run;
pub(crate) mod standing;

use crate::engine::error::EngineError;
use outcome::Decided;
use run::Run;

/// What the criteria and signals say about one organisation.
#[derive(Debug, Clone)]
pub(crate) struct Evaluation {
    /// Each criterion's outcome, in declaration order.
    pub(crate) criteria: Vec<Decided>,
    /// The level the criteria prove, before the model's level rule.
    pub(crate) derived: i32,
    /// The level proven, after the model's level rule.
    pub(crate) level: i32,
    /// The highest level reachable if every unknown criterion held.
    pub(crate) ceiling: i32,
    /// Indexes of the signals that fired.
    pub(crate) fired: Vec<usize>,
}

/// Decides every criterion and signal of `run`'s model, and where that
/// puts the organisation.
pub(crate) fn evaluate(run: &Run<'_>) -> Result<Evaluation, EngineError> {
    let mut evaluation = criteria_only(run)?;
    evaluation.fired = outcome::fired_signals(run)?;
    Ok(evaluation)
}

/// Decides the criteria only (no signals fire): all a probe re-running the
/// model needs.
pub(crate) fn criteria_only(run: &Run<'_>) -> Result<Evaluation, EngineError> {
    standing_of(run, outcome::criteria(run)?)
}

/// Decides the criteria again once the metrics at the declared positions
/// `changed` have moved: a criterion that reads none of them keeps its
/// outcome in `before`, since a check sees only the metrics it declares.
pub(crate) fn criteria_after(
    run: &Run<'_>,
    before: &Evaluation,
    changed: &[usize],
) -> Result<Evaluation, EngineError> {
    run.check_stop(|| "the criteria".to_owned())?;
    let spec = run.model.spec();
    let criteria = spec
        .criteria
        .iter()
        .zip(&before.criteria)
        .map(|(c, was)| match c.reads_any(changed) {
            true => outcome::criterion(run, c),
            false => Ok(was.clone()),
        })
        .collect::<Result<_, _>>()?;
    standing_of(run, criteria)
}

/// Where `criteria` put the organisation, before any signal fires.
fn standing_of(run: &Run<'_>, criteria: Vec<Decided>) -> Result<Evaluation, EngineError> {
    let spec = run.model.spec();
    let derived = standing::proven(spec, &criteria);
    let level = run.level_override(derived)?;
    let ceiling = run
        .level_override(standing::ceiling(spec, &criteria))?
        .max(level);
    Ok(Evaluation {
        criteria,
        derived,
        level,
        ceiling,
        fired: Vec::new(),
    })
}
