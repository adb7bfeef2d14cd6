//! Explanations: what each criterion holds each metric against (found by
//! re-running its checks), why the level is not one higher, and levers, in
//! plain words. Unknown criteria are explained as unknown: what to supply to
//! decide them, never what to change.
//!
//! - `probe`: the search for the value at which a check starts to hold.
//! - `decimal`: its fast path, trying the decimals people write first.
//! - `levers`: the smallest changes that would lift the organisation.

pub(crate) mod decimal;
pub(crate) mod levers;
pub(crate) mod probe;

use crate::engine::assessment::{CriterionResult, Outcome, Requirement};
use crate::engine::error::EngineError;
use crate::engine::evaluate::outcome::Decided;
use crate::engine::evaluate::run::Run;
use crate::engine::model::spec::{Condition, CriterionSpec, ModelSpec};
use crate::engine::value::MetricValue;
use probe::Threshold;

/// The threshold criterion `c` holds each of its metrics against, for each
/// piece of its evidence that may apply, where one can be found along the
/// metric's direction.
pub(crate) fn requirements(
    run: &Run<'_>,
    c: &CriterionSpec,
    decided: &Decided,
) -> Result<Vec<Requirement>, EngineError> {
    let mut out = Vec::new();
    for (e, outcome) in c.evidence.iter().zip(&decided.evidence) {
        if *outcome == Outcome::NotApplicable {
            continue;
        }
        let context = || format!("criterion '{}'", c.texts.id);
        for (name, &at) in e.check.metrics.iter().zip(&e.check.positions) {
            let Some(threshold) = threshold_of(run, &e.check, at, context)? else {
                continue;
            };
            let observed = run.values[at].cloned();
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

/// Where `condition` starts to hold along the metric declared at `varied`:
/// first with the other metrics as supplied, then, if no value of it alone
/// makes it hold, with the others at their best (the threshold it sets on
/// its own).
pub(crate) fn threshold_of(
    run: &Run<'_>,
    condition: &Condition,
    varied: usize,
    context: impl Fn() -> String,
) -> Result<Option<Threshold>, EngineError> {
    let spec = &run.model.spec().metrics[varied];
    let name = &spec.name;
    for others_at_best in [false, true] {
        let Some(others) = probe_values(run, condition, varied, others_at_best) else {
            continue;
        };
        let context = || format!("{} (explaining {name})", context());
        let found = probe::threshold(spec, |value: &MetricValue| {
            let read = |at: usize| {
                if at == varied {
                    Some(value)
                } else {
                    others.iter().find(|(o, _)| *o == at).map(|(_, v)| v)
                }
            };
            Ok(run.decide_on(condition, read, context)? == Some(true))
        })?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The metrics `condition` reads except the one at `varied`, by declared
/// position: as supplied (or at best when missing), or all at best. `None`
/// when one has no best value to assume.
fn probe_values(
    run: &Run<'_>,
    condition: &Condition,
    varied: usize,
    others_at_best: bool,
) -> Option<Vec<(usize, MetricValue)>> {
    let declared = &run.model.spec().metrics;
    let mut values = Vec::with_capacity(condition.positions.len());
    for &at in condition.positions.iter().filter(|&&at| at != varied) {
        let supplied = run.values[at].filter(|_| !others_at_best).cloned();
        values.push((at, supplied.or_else(|| probe::best_value(&declared[at]))?));
    }
    Some(values)
}

/// Why the organisation is proven at `level` and not one higher, and what
/// would decide the ceiling.
pub(crate) fn why_not_higher(
    spec: &ModelSpec,
    level: i32,
    derived: i32,
    ceiling: i32,
    criteria: &[CriterionResult],
) -> String {
    let name = |rank| spec.level(rank).map_or("", |l| l.name.as_str());
    if spec.level(level + 1).is_none() {
        return format!("{} is the top level of this model.", name(level));
    }
    if derived > level {
        return format!(
            "The model's level rule holds it at {}, although its criteria reach rank {derived}.",
            name(level)
        );
    }
    // Every lower rank's criteria hold, or the proven level would be lower.
    let next: Vec<&CriterionResult> = criteria.iter().filter(|c| c.rank == level + 1).collect();
    let failing: Vec<&CriterionResult> = next
        .iter()
        .copied()
        .filter(|c| c.outcome == Outcome::Failed)
        .collect();
    let unknown: Vec<&CriterionResult> = next
        .iter()
        .copied()
        .filter(|c| c.outcome == Outcome::Unknown)
        .collect();
    let mut parts = Vec::new();
    if failing.len() == next.len() {
        parts.push(format!("none of its {} criteria hold", next.len()));
    } else if !failing.is_empty() {
        let verb = if failing.len() == 1 { "does" } else { "do" };
        parts.push(format!(
            "{} of its {} criteria {verb} not hold",
            failing.len(),
            next.len()
        ));
    }
    if !unknown.is_empty() {
        parts.push(format!("{} are undecided for want of data", unknown.len()));
    }
    if parts.is_empty() {
        parts.push("the model's level rule decides".to_owned());
    }
    let mut text = format!("Not {} yet: {}.", name(level + 1), parts.join(" and "));
    for c in failing.iter().chain(&unknown) {
        text.push(' ');
        text.push_str(&reason(c));
    }
    if ceiling > level {
        text.push_str(&format!(
            " With the missing metrics it could be as high as {} (rank {ceiling}).",
            name(ceiling)
        ));
    }
    text
}

/// Why one criterion fails or is undecided: its unmet requirements, the
/// metrics to supply, else what it asks.
fn reason(c: &CriterionResult) -> String {
    if c.outcome == Outcome::Unknown && !c.missing_metrics.is_empty() {
        return format!(
            "{}: supply {} to decide.",
            c.texts.id,
            c.missing_metrics.join(", ")
        );
    }
    let unmet: Vec<&Requirement> = c.requirements.iter().filter(|r| !r.met).collect();
    // A failed criterion failed on what was supplied: a metric left out
    // cannot be what decided it, and "supply it to decide" would mislead.
    let supplied: Vec<&Requirement> = unmet
        .iter()
        .copied()
        .filter(|r| r.observed.is_some())
        .collect();
    let shown = match c.outcome == Outcome::Failed && !supplied.is_empty() {
        true => supplied,
        false => unmet,
    };
    let unmet: Vec<String> = shown.into_iter().map(Requirement::text).collect();
    if unmet.is_empty() {
        format!("{}: {}", c.texts.id, c.texts.description)
    } else {
        format!("{}: {}.", c.texts.id, unmet.join("; "))
    }
}
