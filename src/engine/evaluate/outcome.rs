//! The outcome of each criterion and signal: passed, failed, unknown (a
//! metric it needs was not supplied) or not applicable (the organisation's
//! own metrics say its evidence does not apply).

use crate::engine::assessment::Outcome;
use crate::engine::error::EngineError;
use crate::engine::evaluate::run::Run;
use crate::engine::model::spec::{CriterionSpec, Evidence};

/// How one criterion came out, and each of its ways of being met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decided {
    /// The criterion's outcome.
    pub(crate) outcome: Outcome,
    /// Each piece of evidence's outcome, in declaration order.
    pub(crate) evidence: Vec<Outcome>,
}

/// Every criterion's outcome, in declaration order.
pub(crate) fn criteria(run: &Run<'_>) -> Result<Vec<Decided>, EngineError> {
    run.check_stop(|| "the criteria".to_owned())?;
    let spec = run.model.spec();
    spec.criteria.iter().map(|c| criterion(run, c)).collect()
}

/// A criterion holds when any evidence that applies holds; it fails when
/// every piece is decided and none that applies holds.
pub(crate) fn criterion(run: &Run<'_>, c: &CriterionSpec) -> Result<Decided, EngineError> {
    let context = || format!("criterion '{}'", c.id);
    let evidence = c
        .evidence
        .iter()
        .map(|e| evidence(run, e, context))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Decided {
        outcome: combine(&evidence),
        evidence,
    })
}

fn evidence(
    run: &Run<'_>,
    e: &Evidence,
    context: impl Fn() -> String + Copy,
) -> Result<Outcome, EngineError> {
    let applies = match &e.applies {
        None => Some(true),
        Some(applies) => run.decide(applies, || format!("{} (applies)", context()))?,
    };
    if applies == Some(false) {
        return Ok(Outcome::NotApplicable);
    }
    Ok(match (applies, run.decide(&e.check, context)?) {
        (_, Some(true)) => Outcome::Passed,
        (Some(true), Some(false)) => Outcome::Failed,
        // Unknown data, or evidence that fails where it may not apply.
        _ => Outcome::Unknown,
    })
}

/// Evidence combined with "or": passed beats unknown, which beats failed,
/// which beats not applicable.
fn combine(evidence: &[Outcome]) -> Outcome {
    [Outcome::Passed, Outcome::Unknown, Outcome::Failed]
        .into_iter()
        .find(|o| evidence.contains(o))
        .unwrap_or(Outcome::NotApplicable)
}

/// Indexes of the signals that are decided and hold.
pub(crate) fn fired_signals(run: &Run<'_>) -> Result<Vec<usize>, EngineError> {
    let mut fired = Vec::new();
    for (i, s) in run.model.spec().signals.iter().enumerate() {
        if run.decide(&s.check, || format!("signal '{}'", s.id))? == Some(true) {
            fired.push(i);
        }
    }
    Ok(fired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    #[test]
    fn evidence_combines_as_or_with_unknowns_in_between() {
        assert_eq!(combine(&[Failed, Passed]), Passed);
        assert_eq!(combine(&[Failed, Unknown]), Unknown);
        assert_eq!(combine(&[NotApplicable, Failed]), Failed);
        assert_eq!(combine(&[NotApplicable, NotApplicable]), NotApplicable);
        assert_eq!(combine(&[NotApplicable, Unknown]), Unknown);
    }
}
