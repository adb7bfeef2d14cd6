//! How an organisation stands along each of the model's dimensions: the
//! rank up to which the dimension's criteria all hold, and the share of
//! them that passed. What a consultant draws as a radar chart.

use crate::engine::assessment::{DimensionResult, Outcome};
use crate::engine::evaluate::outcome::Decided;
use crate::engine::model::spec::ModelSpec;

/// One result per declared dimension, in declaration order.
pub(crate) fn dimensions(spec: &ModelSpec, decided: &[Decided]) -> Vec<DimensionResult> {
    spec.dimensions
        .iter()
        .map(|d| {
            let of: Vec<(i32, Outcome)> = spec
                .criteria
                .iter()
                .zip(decided)
                .filter(|(c, _)| c.texts.dimension == d.id)
                .map(|(c, decided)| (c.rank, decided.outcome))
                .collect();
            let count = |o: Outcome| of.iter().filter(|(_, x)| *x == o).count() as u32;
            let passed = count(Outcome::Passed);
            let total = of.len() as u32 - count(Outcome::NotApplicable);
            let holds = |rank: i32| {
                of.iter()
                    .filter(|(r, _)| *r == rank)
                    .all(|(_, o)| o.holds())
            };
            let rank = (2..=spec.top_rank())
                .take_while(|&r| holds(r))
                .last()
                .unwrap_or(1);
            DimensionResult {
                id: d.id.clone(),
                name: d.name.clone(),
                rank,
                score: if total == 0 {
                    1.0
                } else {
                    f64::from(passed) / f64::from(total)
                },
                passed,
                total,
                unknown: count(Outcome::Unknown),
            }
        })
        .collect()
}
