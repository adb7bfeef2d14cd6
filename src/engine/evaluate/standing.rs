//! Where the criteria's outcomes put an organisation: the level it has
//! proven, the ceiling it could reach if every unknown held, its score, and
//! which missing metrics would decide the level soonest.

use crate::engine::assessment::Outcome;
use crate::engine::evaluate::outcome::Decided;
use crate::engine::model::Model;
use crate::engine::model::spec::{CriterionSpec, ModelSpec};
use crate::engine::value::MetricValue;

/// The highest rank whose criteria, and every lower rank's, satisfy `ok`.
fn highest(spec: &ModelSpec, decided: &[Decided], ok: impl Fn(Outcome) -> bool) -> i32 {
    let holds = |rank| {
        spec.criteria
            .iter()
            .zip(decided)
            .filter(|(c, _)| c.rank == rank)
            .all(|(_, d)| ok(d.outcome))
    };
    (2..=spec.top_rank())
        .take_while(|&rank| holds(rank))
        .last()
        .unwrap_or(1)
}

/// The level proven: every criterion up to it passed or does not apply.
pub(crate) fn proven(spec: &ModelSpec, decided: &[Decided]) -> i32 {
    highest(spec, decided, Outcome::holds)
}

/// The highest level reached if every unknown criterion held: no criterion
/// up to it failed.
pub(crate) fn ceiling(spec: &ModelSpec, decided: &[Decided]) -> i32 {
    highest(spec, decided, |o| o != Outcome::Failed)
}

/// The rank plus the share of the next rank's applicable criteria that
/// passed (unknown ones count as not passed), kept below the next rank.
pub(crate) fn score(spec: &ModelSpec, level: i32, decided: &[Decided]) -> f64 {
    let next: Vec<Outcome> = spec
        .criteria
        .iter()
        .zip(decided)
        .filter(|(c, d)| c.rank == level + 1 && d.outcome != Outcome::NotApplicable)
        .map(|(_, d)| d.outcome)
        .collect();
    if next.is_empty() {
        return f64::from(level);
    }
    let passed = next.iter().filter(|&&o| o == Outcome::Passed).count() as f64;
    let share = passed / next.len() as f64;
    (f64::from(level) + share.min(0.99)).min(f64::from(spec.top_rank()))
}

/// The metrics criterion `c` reads that were not supplied, leaving out
/// those of evidence that does not apply.
pub(crate) fn missing_of(
    c: &CriterionSpec,
    decided: &Decided,
    values: &[Option<&MetricValue>],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (e, outcome) in c.evidence.iter().zip(&decided.evidence) {
        if *outcome == Outcome::NotApplicable {
            continue;
        }
        let conditions = std::iter::once(&e.check).chain(e.applies.as_ref());
        for condition in conditions {
            for (name, &at) in condition.metrics.iter().zip(&condition.positions) {
                if values[at].is_none() && !out.contains(name) {
                    out.push(name.clone());
                }
            }
        }
    }
    out
}

/// The metrics that matter here but were not supplied, in the order that
/// would decide the level soonest (those of the lowest unknown rank
/// first), and the share of the metrics that matter that were supplied.
pub(crate) fn missing(
    model: &Model,
    decided: &[Decided],
    values: &[Option<&MetricValue>],
) -> (Vec<String>, f64) {
    let spec = model.spec();
    let applies = |(c, e): (usize, usize)| decided[c].evidence[e] != Outcome::NotApplicable;
    let matters = |at: usize| model.readers().matters(at, applies);
    let mut unknown: Vec<(&CriterionSpec, &Decided)> = spec
        .criteria
        .iter()
        .zip(decided)
        .filter(|(_, d)| d.outcome == Outcome::Unknown)
        .collect();
    unknown.sort_by_key(|(c, _)| c.rank);
    let mut names: Vec<String> = Vec::new();
    for (c, d) in unknown {
        for name in missing_of(c, d, values) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let (mut relevant, mut supplied) = (0usize, 0usize);
    for (at, m) in spec.metrics.iter().enumerate() {
        if !matters(at) {
            continue;
        }
        relevant += 1;
        if values[at].is_some() {
            supplied += 1;
        } else if !names.contains(&m.name) {
            names.push(m.name.clone());
        }
    }
    let confidence = if relevant == 0 {
        1.0
    } else {
        supplied as f64 / relevant as f64
    };
    (names, confidence)
}
