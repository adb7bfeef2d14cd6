//! Levers: for an organisation below the top, the smallest change of each
//! metric that would, alone or with the others, lift it to the next level.
//! Each target comes from re-running the failing criteria's checks along the
//! metric's direction; the levers are then verified by re-running the model.

use crate::engine::assessment::{CriterionResult, Lever};
use crate::engine::error::EngineError;
use crate::engine::evaluate::Run;
use crate::engine::evaluate::input;
use crate::engine::explain::threshold_of;
use crate::engine::model::metric_spec::Direction;
use crate::engine::value::{MetricValue, Metrics};

/// The levers found, and whether together they reach the next level.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) levers: Vec<Lever>,
    pub(crate) reach_next_level: bool,
}

/// The levers that would lift an organisation at `rank` one level.
pub(crate) fn find(
    run: &Run<'_>,
    rank: i32,
    criteria: &[CriterionResult],
) -> Result<Found, EngineError> {
    let spec = run.model.spec();
    if rank >= spec.top_rank() {
        return Ok(Found::default());
    }
    // (metric, target, criteria), in the order the failing criteria name them.
    let mut targets: Vec<(String, MetricValue, Vec<String>)> = Vec::new();
    let failing = spec
        .criteria
        .iter()
        .zip(criteria)
        .filter(|(c, result)| c.rank <= rank + 1 && !result.passed);
    for (c, _) in failing {
        for name in &c.metrics {
            let Some(threshold) = threshold_of(run, c, name)? else {
                continue;
            };
            let current = run.metrics.get(name);
            if current.is_some_and(|v| threshold.comparison.holds(v, &threshold.value)) {
                continue;
            }
            let direction = run
                .model
                .metric(name)
                .map_or(Direction::None, |m| m.direction);
            match targets.iter_mut().find(|(n, ..)| n == name) {
                Some((_, target, ids)) => {
                    *target = stricter(direction, target, &threshold.target);
                    ids.push(c.id.clone());
                }
                None => targets.push((name.clone(), threshold.target, vec![c.id.clone()])),
            }
        }
    }
    let reaches = |changes: &[(&String, &MetricValue)]| -> Result<bool, EngineError> {
        let mut metrics: Metrics = run.metrics.clone();
        for (name, value) in changes {
            metrics.insert((*name).clone(), (*value).clone());
        }
        let probe = Run {
            engine: run.engine,
            limits: run.limits,
            model: run.model,
            metrics: &metrics,
            values: input::resolve(run.model, &metrics).values,
            explain: false,
        };
        Ok(probe.rank()? > rank)
    };
    let all: Vec<(&String, &MetricValue)> = targets.iter().map(|(n, v, _)| (n, v)).collect();
    let reach_next_level = !all.is_empty() && reaches(&all)?;
    let mut levers = Vec::with_capacity(targets.len());
    for (name, target, criteria) in &targets {
        let current = run.metrics.get(name).cloned();
        let change = match (&current, target) {
            // Rounded so 0.85 - 0.65 reads 0.2, not 0.19999999999999996.
            (Some(MetricValue::Number(from)), MetricValue::Number(to)) => {
                Some(((to - from) * 1e9).round() / 1e9)
            }
            _ => None,
        };
        levers.push(Lever {
            metric: name.clone(),
            sufficient_alone: reaches(&[(name, target)])?,
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
