//! The outcome of each criterion and signal: passed, failed, unknown (a
//! metric it needs was not supplied) or not applicable (the organisation's
//! own metrics say its evidence does not apply).

use crate::engine::assessment::Outcome;
use crate::engine::error::EngineError;
use crate::engine::evaluate::run::Run;
use crate::engine::model::metric_spec::MetricKind;
use crate::engine::model::spec::{CriterionSpec, Evidence};
use crate::engine::value::MetricValue;

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
    let evidence = evidence_on(run, c, |at| run.values[at])?;
    let mut outcome = combine(&evidence);
    if outcome == Outcome::Unknown {
        outcome = settle_applicability(run, c)?.unwrap_or(outcome);
    }
    Ok(Decided { outcome, evidence })
}

/// Each piece of `c`'s evidence decided on the metrics `read` gives.
fn evidence_on<'v>(
    run: &Run<'_>,
    c: &CriterionSpec,
    read: impl Fn(usize) -> Option<&'v MetricValue> + Copy,
) -> Result<Vec<Outcome>, EngineError> {
    let context = || format!("criterion '{}'", c.texts.id);
    c.evidence
        .iter()
        .map(|e| evidence(run, e, read, context))
        .collect()
}

fn evidence<'v>(
    run: &Run<'_>,
    e: &Evidence,
    read: impl Fn(usize) -> Option<&'v MetricValue> + Copy,
    context: impl Fn() -> String + Copy,
) -> Result<Outcome, EngineError> {
    let applies = match &e.applies {
        None => Some(true),
        Some(applies) => run.decide_on(applies, read, || format!("{} (applies)", context()))?,
    };
    if applies == Some(false) {
        return Ok(Outcome::NotApplicable);
    }
    Ok(match (applies, run.decide_on(&e.check, read, context)?) {
        (Some(true), Some(true)) => Outcome::Passed,
        (Some(true), Some(false)) => Outcome::Failed,
        // Unknown data, or evidence decided where it may not apply: a
        // repeat-purchase rate proves nothing of a business whose revenue
        // may recur.
        _ => Outcome::Unknown,
    })
}

/// The most flags an unknown applicability is settled over (2^3 tries).
const SETTLE_FLAGS: usize = 3;

/// An unknown that hangs only on the flags `applies` conditions read (say,
/// whether revenue recurs) is no unknown when every answer they could have
/// gives the same verdict: failed under all, or holding under all.
fn settle_applicability(run: &Run<'_>, c: &CriterionSpec) -> Result<Option<Outcome>, EngineError> {
    let declared = &run.model.spec().metrics;
    let mut flags: Vec<usize> = Vec::new();
    for &at in c
        .evidence
        .iter()
        .filter_map(|e| e.applies.as_ref())
        .flat_map(|a| &a.positions)
    {
        if run.values[at].is_some() || flags.contains(&at) {
            continue;
        }
        if declared[at].kind != MetricKind::Flag || flags.len() == SETTLE_FLAGS {
            return Ok(None);
        }
        flags.push(at);
    }
    if flags.is_empty() {
        return Ok(None);
    }
    let mut verdicts = Vec::new();
    for bits in 0..1u32 << flags.len() {
        let assumed: Vec<(usize, MetricValue)> = flags
            .iter()
            .enumerate()
            .map(|(i, &at)| (at, MetricValue::Flag(bits >> i & 1 == 1)))
            .collect();
        let read = |at: usize| {
            let assumed = assumed.iter().find(|(a, _)| *a == at).map(|(_, v)| v);
            assumed.or(run.values[at])
        };
        verdicts.push(combine(&evidence_on(run, c, read)?));
    }
    Ok(if verdicts.iter().all(|&o| o == Outcome::Failed) {
        Some(Outcome::Failed)
    } else if verdicts.iter().all(|o| o.holds()) {
        let passed = verdicts.contains(&Outcome::Passed);
        Some(if passed {
            Outcome::Passed
        } else {
            Outcome::NotApplicable
        })
    } else {
        None
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
