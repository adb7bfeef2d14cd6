//! Levers: for an organisation below the top, the smallest change of each
//! metric that would, alone or with the others, clear every failing
//! criterion up to the next level it can work on. Each target comes from
//! re-running the failing checks along the metric's direction; the levers
//! are then verified by re-running the model. Unknown criteria are not
//! levers: they need data, not change.

use crate::engine::assessment::{Lever, Outcome};
use crate::engine::error::EngineError;
use crate::engine::evaluate::{self, Evaluation, run::Run};
use crate::engine::explain::threshold_of;
use crate::engine::model::metric_spec::Direction;
use crate::engine::value::MetricValue;

/// The levers found, and whether together they reach the next level.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) levers: Vec<Lever>,
    pub(crate) reach_next_level: bool,
}

/// A metric (declared position and name), its target and the failing
/// criteria it serves.
type Target = (usize, String, MetricValue, Vec<String>);

/// The levers that would lift an organisation evaluated as `evaluation`.
pub(crate) fn find(run: &Run<'_>, evaluation: &Evaluation) -> Result<Found, EngineError> {
    let spec = run.model.spec();
    let level = evaluation.level;
    if level >= spec.top_rank() {
        return Ok(Found::default());
    }
    // The next level with failing criteria: the ceiling's next rank.
    let goal = evaluation.ceiling + 1;
    let targets = targets(run, evaluation, goal)?;
    // Each change by declared position: checks read metrics by position,
    // so a probe overrides those and copies no map.
    let reaches = |changes: &[(usize, &MetricValue)]| -> Result<bool, EngineError> {
        let mut values = run.values.clone();
        for &(at, value) in changes {
            values[at] = Some(value);
        }
        let probe = Run { values, ..*run };
        let changed: Vec<usize> = changes.iter().map(|&(at, _)| at).collect();
        Ok(evaluate::criteria_after(&probe, evaluation, &changed)?.ceiling >= goal)
    };
    let all: Vec<(usize, &MetricValue)> = targets.iter().map(|(at, _, v, _)| (*at, v)).collect();
    let reach_next_level = !all.is_empty() && reaches(&all)?;
    let mut levers = Vec::with_capacity(targets.len());
    for (at, name, target, criteria) in &targets {
        let current = run.values[*at].cloned();
        let change = match (&current, target) {
            // Rounded so 0.85 - 0.65 reads 0.2, not 0.19999999999999996.
            (Some(MetricValue::Number(from)), MetricValue::Number(to)) => {
                Some(((to - from) * 1e9).round() / 1e9)
            }
            _ => None,
        };
        levers.push(Lever {
            metric: name.clone(),
            sufficient_alone: reaches(&[(*at, target)])?,
            current,
            target: target.clone(),
            change,
            criteria: criteria.clone(),
        });
    }
    // Changes that are enough on their own first; stable otherwise.
    levers.sort_by_key(|l| !l.sufficient_alone);
    Ok(Found {
        levers,
        reach_next_level,
    })
}

/// Each metric's target, in the order the failing criteria up to `goal`
/// name them: the strictest their failing evidence sets.
fn targets(run: &Run<'_>, evaluation: &Evaluation, goal: i32) -> Result<Vec<Target>, EngineError> {
    let spec = run.model.spec();
    let mut targets: Vec<Target> = Vec::new();
    let failing = spec
        .criteria
        .iter()
        .zip(&evaluation.criteria)
        .filter(|(c, d)| c.rank <= goal && d.outcome == Outcome::Failed);
    for (c, decided) in failing {
        let evidence = c.evidence.iter().zip(&decided.evidence);
        for (e, _) in evidence.filter(|(_, o)| **o == Outcome::Failed) {
            for (name, &at) in e.check.metrics.iter().zip(&e.check.positions) {
                let context = || format!("criterion '{}'", c.texts.id);
                let Some(threshold) = threshold_of(run, &e.check, at, context)? else {
                    continue;
                };
                let current = run.values[at];
                if current.is_some_and(|v| threshold.comparison.holds(v, &threshold.value)) {
                    continue;
                }
                let direction = spec.metrics[at].direction;
                match targets.iter_mut().find(|(t, ..)| *t == at) {
                    Some((_, _, target, ids)) => {
                        *target = stricter(direction, target, &threshold.target);
                        if !ids.iter().any(|id| *id == c.texts.id) {
                            ids.push(c.texts.id.to_string());
                        }
                    }
                    None => targets.push((
                        at,
                        name.clone(),
                        threshold.target,
                        vec![c.texts.id.to_string()],
                    )),
                }
            }
        }
    }
    Ok(targets)
}

/// The harder of two targets along `direction`.
fn stricter(direction: Direction, a: &MetricValue, b: &MetricValue) -> MetricValue {
    match (direction, a, b) {
        (Direction::Higher, MetricValue::Number(x), MetricValue::Number(y)) => {
            MetricValue::Number(x.max(*y))
        }
        (Direction::Lower, MetricValue::Number(x), MetricValue::Number(y)) => {
            MetricValue::Number(x.min(*y))
        }
        _ => a.clone(),
    }
}
