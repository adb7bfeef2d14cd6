//! Explanations: what each criterion holds each metric against (found by
//! re-running its check), and why the level is not one higher, in plain words.

pub(crate) mod levers;
pub(crate) mod probe;

use crate::engine::assessment::{CriterionResult, Requirement};
use crate::engine::error::EngineError;
use crate::engine::evaluate::Run;
use crate::engine::model::spec::{CriterionSpec, ModelSpec};
use crate::engine::value::MetricValue;
use probe::Threshold;

/// The threshold criterion `c` holds each of its metrics against, where one
/// can be found along the metric's direction.
pub(crate) fn requirements(
    run: &Run<'_>,
    c: &CriterionSpec,
) -> Result<Vec<Requirement>, EngineError> {
    let mut out = Vec::new();
    for name in &c.metrics {
        if let Some(threshold) = threshold_of(run, c, name)? {
            let observed = run.metrics.get(name).cloned();
            let met = observed
                .as_ref()
                .is_some_and(|v| threshold.comparison.holds(v, &threshold.value));
            out.push(Requirement {
                metric: name.clone(),
                observed,
                comparison: threshold.comparison,
                threshold: threshold.value,
                met,
            });
        }
    }
    Ok(out)
}

/// Where `c` starts to hold along `name`: first with the other metrics as
/// supplied, then, if no value of `name` alone makes it hold, with the
/// others at their best (the threshold the criterion sets on its own).
pub(crate) fn threshold_of(
    run: &Run<'_>,
    c: &CriterionSpec,
    name: &str,
) -> Result<Option<Threshold>, EngineError> {
    let (Some(spec), Some(varied)) = (run.model.metric(name), run.model.position(name)) else {
        return Ok(None);
    };
    for others_at_best in [false, true] {
        let Some(others) = probe_values(run, c, varied, others_at_best) else {
            continue;
        };
        let context = || format!("criterion '{}' (explaining {name})", c.id);
        let found = probe::threshold(spec, |value: &MetricValue| {
            let read = |at: usize| {
                if at == varied {
                    Some(value)
                } else {
                    others.iter().find(|(o, _)| *o == at).map(|(_, v)| v)
                }
            };
            run.check_on(c.runnable(), read, context)
        })?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The metrics `c` reads except the one at `varied`, by declared position:
/// as supplied (or at best when missing), or all at best. `None` when one
/// has no best value to assume.
fn probe_values(
    run: &Run<'_>,
    c: &CriterionSpec,
    varied: usize,
    others_at_best: bool,
) -> Option<Vec<(usize, MetricValue)>> {
    let declared = &run.model.spec().metrics;
    let mut values = Vec::with_capacity(c.positions.len());
    for &at in c.positions.iter().filter(|&&at| at != varied) {
        let supplied = run.values[at].filter(|_| !others_at_best).cloned();
        values.push((at, supplied.or_else(|| probe::best_value(&declared[at]))?));
    }
    Some(values)
}

/// Why the organisation is at `rank` and not one higher.
pub(crate) fn why_not_higher(
    spec: &ModelSpec,
    rank: i32,
    derived: i32,
    criteria: &[CriterionResult],
) -> String {
    let level = spec.level(rank).map_or("", |l| l.name.as_str());
    let Some(next) = spec.level(rank + 1) else {
        return format!("{level} is the top level of this model.");
    };
    if derived > rank {
        return format!(
            "The model's level rule holds it at {level}, although its criteria reach rank {derived}."
        );
    }
    // Every lower rank's criteria hold, or the derived rank would be lower.
    let of_next = criteria.iter().filter(|c| c.rank == rank + 1).count();
    let failing: Vec<&CriterionResult> = criteria
        .iter()
        .filter(|c| c.rank == rank + 1 && !c.passed)
        .collect();
    let reasons: Vec<String> = failing.iter().map(|c| reason(c)).collect();
    let count = if failing.len() == of_next {
        format!("none of its {of_next} criteria hold")
    } else {
        format!("{} of its {of_next} criteria do not hold", failing.len())
    };
    format!("Not {} yet: {count}. {}", next.name, reasons.join(" "))
}

/// Why one criterion fails: its unmet requirements, else what it asks.
fn reason(c: &CriterionResult) -> String {
    let unmet: Vec<String> = c
        .requirements
        .iter()
        .filter(|r| !r.met)
        .map(Requirement::text)
        .collect();
    if unmet.is_empty() {
        format!("{}: {}", c.id, c.description)
    } else {
        format!("{}: {}.", c.id, unmet.join("; "))
    }
}
